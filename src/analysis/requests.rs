//! Does the customer ask for a person? "Can I talk to a real person", "agent please", "get me a
//! human", but not "the user agent string" or "I don't want to talk to a person". Pure; the
//! assistant hands over on it and the escalation policy counts it as an explicit request whatever
//! else the message is about.

/// True when `text` asks for a human.
pub fn asks_for_person(text: &str) -> bool {
    asks_for_person_in(&words(text))
}

/// Lowercased words, apostrophes folded away ("don't" -> "dont"; inside a word an apostrophe
/// joins, so "customer's" becomes "customers"), nothing dropped.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            cur.extend(ch.to_lowercase());
        } else if ch == '\'' || ch == '\u{2019}' {
            continue;
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
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
fn asks_for_person_in(words: &[String]) -> bool {
    for (i, w) in words.iter().enumerate() {
        if ALONE_IS_ENOUGH.contains(&w.as_str()) {
            return true;
        }
        // "Could someone on your team …" asks for a person; "can someone tell me how to export"
        // is just a question, and "can people see exports" is about something else.
        if matches!(w.as_str(), "someone" | "somebody")
            && i > 0
            && matches!(words[i - 1].as_str(), "can" | "could")
            && matches!(
                words.get(i + 1..i + 3),
                Some([a, b]) if matches!((a.as_str(), b.as_str()), ("on" | "from", "your") | ("there", _) | ("from", "support"))
            )
        {
            return true;
        }
        // "Is anybody there?", "anyone around??": said to a bot, a call for a person.
        if matches!(w.as_str(), "anyone" | "anybody" | "someone" | "somebody")
            && matches!(
                words.get(i + 1).map(String::as_str),
                Some("there" | "here" | "around" | "available" | "alive" | "real" | "reading")
            )
            && !words[i + 2..]
                .iter()
                .any(|v| matches!(v.as_str(), "who" | "that" | "tell"))
        {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            "Could someone on your team make an exception?",
            "Is anybody there? Kindly revert.",
            "hello?? anyone around",
        ] {
            assert!(asks_for_person(yes), "{yes}");
        }
        for no in [
            "My dashboard is blank",
            "The user agent string is wrong in the export",
            "Can people on my team see exports?",
            "I don't want to talk to a person, just fix it",
            "Is anyone there who knows how exports work? Never mind, found it.",
        ] {
            assert!(!asks_for_person(no), "{no}");
        }
    }
}
