//! Conversational cues the built-in assistant reacts to before searching the knowledge base:
//! small talk and follow-ups ("still not working") that only make
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

/// True when the message says the last suggestion did not help ("still blank", "that didn't
/// work", "nope", "same error", "what else can I try").
pub fn reports_failure(words: &[String]) -> bool {
    let has = |w: &str| words.iter().any(|x| x == w);
    let failed = words.iter().enumerate().any(|(i, w)| {
        NEGATORS.contains(&w.as_str())
            && words[i + 1..]
                .iter()
                .take(3)
                .any(|n| OUTCOMES.contains(&n.as_str()))
    });
    // "still" only with what is still wrong ("still blank", "still not", "still getting 401").
    let still_wrong = words.iter().enumerate().any(|(i, w)| {
        w == "still"
            && words[i + 1..].iter().take(3).any(|n| {
                NEGATORS.contains(&n.as_str())
                    || matches!(
                        n.as_str(),
                        "broken"
                            | "blank"
                            | "fails"
                            | "failing"
                            | "getting"
                            | "seeing"
                            | "same"
                            | "happening"
                            | "stuck"
                            | "down"
                            | "error"
                            | "errors"
                            | "empty"
                    )
            })
    });
    failed
        || still_wrong
        || has("nope")
        || (has("same")
            && words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "error" | "problem" | "issue" | "thing" | "result"
                )
            }))
        || (has("else") && words.iter().any(|w| matches!(w.as_str(), "try" | "do")))
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
