//! Conversational cues the built-in assistant reacts to before searching the knowledge base:
//! small talk, an explicit request for a person, and follow-ups ("still not working") that only make
//! sense together with the customer's previous message. Input is `text::words` output.

/// What a message is, as far as small talk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    /// Thanks that also say the problem is solved ("that worked, thanks").
    Resolved,
}

const GREETING: &[&str] = &[
    "afternoon",
    "evening",
    "good",
    "greetings",
    "hello",
    "hey",
    "heya",
    "hi",
    "hiya",
    "howdy",
    "morning",
    "yo",
];
#[rustfmt::skip]
const THANKS: &[&str] = &[
    "alright", "amazing", "appreciate", "appreciated", "awesome", "brilliant", "cheers", "cool",
    "excellent", "fantastic", "great", "helpful", "nice", "ok", "okay", "perfect", "super", "thank",
    "thanks", "thx", "ty", "wonderful",
];
const RESOLVED: &[&str] = &[
    "fixed", "helped", "solved", "sorted", "trick", "worked", "works",
];
/// Words that may surround greetings and thanks without making the message about anything.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "a", "all", "for", "folks", "got", "it", "lot", "lots", "much", "now", "so", "team", "that",
    "the", "there", "this", "very", "you", "again", "did", "has", "is", "its", "everyone", "guys",
    "mate",
];
/// Any of these means the message is not plain small talk ("thanks but it doesn't work").
const NEGATION: &[&str] = &[
    "but", "cant", "didnt", "doesnt", "dont", "isnt", "never", "no", "not", "still", "wasnt",
    "wont",
];

/// Greeting, thanks or neither. A message counts only if *every* word is small talk, so
/// "hi, my dashboard is blank" goes to the knowledge base.
pub fn small_talk(words: &[String]) -> Option<SmallTalk> {
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    if words.is_empty() || has(NEGATION) {
        return None;
    }
    let all_small = words.iter().all(|w| {
        let w = w.as_str();
        GREETING.contains(&w) || THANKS.contains(&w) || RESOLVED.contains(&w) || FILLER.contains(&w)
    });
    if !all_small {
        return None;
    }
    if has(RESOLVED) {
        Some(SmallTalk::Resolved)
    } else if has(THANKS) {
        Some(SmallTalk::Thanks)
    } else if has(GREETING) {
        Some(SmallTalk::Greeting)
    } else {
        None
    }
}

/// Nouns that name a person on our side; "human" and the like are requests on their own.
#[rustfmt::skip]
const PERSON: &[&str] = &[
    "agent", "person", "someone", "somebody", "human", "representative", "rep", "operator",
    "supervisor", "staff", "people",
];
const ALONE_IS_ENOUGH: &[&str] = &["human", "representative", "operator", "supervisor"];
const ASK_VERBS: &[&str] = &[
    "talk", "speak", "chat", "connect", "transfer", "get", "want", "need", "contact", "reach",
    "escalate",
];

/// True when the customer asks for a human ("can I talk to a real person", "agent please").
pub fn asks_for_person(words: &[String]) -> bool {
    for (i, w) in words.iter().enumerate() {
        if ALONE_IS_ENOUGH.contains(&w.as_str()) {
            return true;
        }
        if PERSON.contains(&w.as_str()) {
            // A verb of asking shortly before the noun ("talk to a real person", "get me an agent"),
            // and no negation a little further back ("I don't want to talk to a person").
            let asked = words[i.saturating_sub(5)..i]
                .iter()
                .any(|v| ASK_VERBS.contains(&v.as_str()));
            let negated = words[i.saturating_sub(7)..i]
                .iter()
                .any(|v| matches!(v.as_str(), "dont" | "not" | "never"));
            if asked && !negated {
                return true;
            }
        }
    }
    // "agent", "agent please", "live person!!"
    let rest: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| {
            !matches!(
                *w,
                "please" | "pls" | "a" | "an" | "the" | "real" | "live" | "now"
            )
        })
        .collect();
    matches!(rest.as_slice(), ["agent"] | ["person"] | ["someone"])
}

const FOLLOWUP_WORDS: &[&str] = &[
    "again", "anymore", "another", "else", "nope", "same", "still", "tried",
];
const NEGATORS: &[&str] = &[
    "didnt", "doesnt", "isnt", "no", "not", "nothing", "wasnt", "wont", "cant",
];
const OUTCOMES: &[&str] = &[
    "change",
    "changed",
    "difference",
    "help",
    "helped",
    "luck",
    "work",
    "worked",
    "working",
    "works",
    "fixed",
];

/// True when the message leans on the previous one: it names nothing the knowledge base knows
/// (`known_terms == 0`), or it is short and says the last suggestion failed ("still blank",
/// "that didn't work", "what else can I try").
pub fn is_followup(words: &[String], own_terms: usize, known_terms: usize) -> bool {
    if known_terms == 0 {
        return true;
    }
    if own_terms > 4 {
        return false;
    }
    let cue = words.iter().any(|w| FOLLOWUP_WORDS.contains(&w.as_str()));
    let failed = words.iter().enumerate().any(|(i, w)| {
        NEGATORS.contains(&w.as_str())
            && words[i + 1..]
                .iter()
                .take(3)
                .any(|n| OUTCOMES.contains(&n.as_str()))
    });
    cue || failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::text::words;

    #[test]
    fn small_talk_only_when_every_word_is_small_talk() {
        assert_eq!(small_talk(&words("Hi there!")), Some(SmallTalk::Greeting));
        assert_eq!(
            small_talk(&words("Good morning")),
            Some(SmallTalk::Greeting)
        );
        assert_eq!(
            small_talk(&words("thanks so much!")),
            Some(SmallTalk::Thanks)
        );
        assert_eq!(small_talk(&words("ok")), Some(SmallTalk::Thanks));
        assert_eq!(
            small_talk(&words("That worked, thank you!")),
            Some(SmallTalk::Resolved)
        );
        assert_eq!(
            small_talk(&words("it works now")),
            Some(SmallTalk::Resolved)
        );
        assert_eq!(small_talk(&words("hi, my dashboard is blank")), None);
        assert_eq!(small_talk(&words("thanks but it still doesn't work")), None);
        assert_eq!(small_talk(&words("not working")), None);
        assert_eq!(small_talk(&words("")), None);
    }

    #[test]
    fn person_requests() {
        for yes in [
            "Can I talk to a real person?",
            "agent please",
            "AGENT!!",
            "I want to speak with someone",
            "get me a human",
            "Please connect me to a support representative",
            "I need to talk to an agent now",
            "I tried everything but I need to talk to a person",
        ] {
            assert!(asks_for_person(&words(yes)), "{yes}");
        }
        for no in [
            "My dashboard is blank",
            "The user agent string is wrong in the export",
            "Can people on my team see exports?",
            "I don't want to talk to a person, just fix it",
        ] {
            assert!(!asks_for_person(&words(no)), "{no}");
        }
    }

    #[test]
    fn followups() {
        assert!(is_followup(&words("still not working"), 1, 1));
        assert!(is_followup(
            &words("That didn't help, the page is still blank"),
            2,
            2
        ));
        assert!(is_followup(&words("nope"), 0, 0));
        assert!(is_followup(&words("what else can I try?"), 0, 0));
        assert!(!is_followup(&words("How do I get a refund?"), 1, 1));
        assert!(!is_followup(
            &words("I was charged twice for my subscription this month"),
            4,
            4
        ));
    }
}
