//! What a waiting customer asks: "is anyone actually coming?", "how much longer?", "hello??" —
//! and the e-mail address they leave to be contacted. Pure, case-insensitive, never fails.

use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    wait: Regex,
    email: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            wait: Regex::new(concat!(
                r"(?i)\b(?:is\s+(?:any|some)(?:one|body)\s+(?:actually\s+|really\s+|even\s+)?(?:coming|there|here|on\s+(?:it|this)|looking|available|joining)",
                r"|(?:any|some)(?:one|body)\s+(?:there|here|coming|home)\b",
                r"|how\s+(?:much\s+)?(?:long(?:er)?|many\s+more\s+minutes)",
                r"|(?:still|been)\s+waiting|still\s+in\s+(?:the\s+)?(?:queue|line)",
                r"|when\s+(?:will|is|can|do)\s+(?:someone|somebody|anyone|an?\s+(?:agent|person|human|specialist)|they|he|she|i)\b[^.?!]{0,30}(?:come|join|be\s+(?:here|with)|get\s+(?:to|back)|talk|reply|answer|help|speak)",
                r"|where\s+(?:is|are)\s+(?:the|my|that|this|your)?\s*(?:agent|person|human|specialist|they|everyone)",
                r"|any\s+(?:update|news|eta|progress)|what'?s\s+(?:taking|the\s+(?:hold\s*up|delay|wait))|\beta\b",
                r"|are\s+you\s+(?:still\s+)?there|hello\s*\?+|what\s+(?:number|position)\s+am\s+i",
                r"|how\s+far\s+(?:along|up)|am\s+i\s+(?:next|still\s+in)",
                r")"
            ))
            .ok()?,
            email: Regex::new(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b").ok()?,
        })
    })
    .as_ref()
}

/// True when the customer asks whether, when or how soon a person is coming.
pub fn asks_about_wait(text: &str) -> bool {
    let t = text.trim();
    // A bare "?" or "??" while waiting asks the same.
    (!t.is_empty() && t.chars().all(|c| c == '?')) || patterns().is_some_and(|p| p.wait.is_match(t))
}

/// The first e-mail address in `text`.
pub fn email_in(text: &str) -> Option<&str> {
    patterns()?.email.find(text).map(|m| m.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_the_wait() {
        for yes in [
            "Is anyone actually coming?",
            "hello??",
            "how much longer?",
            "Still waiting...",
            "When will someone join?",
            "any update?",
            "Are you still there?",
            "Is somebody there",
            "what's taking so long",
            "?",
            "how long will this take",
        ] {
            assert!(asks_about_wait(yes), "{yes}");
        }
        for no in [
            "My webhook still fails with 401",
            "How do I export to CSV?",
            "The invoice is INV-2024-118",
            "hello, my dashboard is blank",
        ] {
            assert!(!asks_about_wait(no), "{no}");
        }
    }

    #[test]
    fn finds_an_email_address() {
        assert_eq!(
            email_in("you can reach me at jo.lee+support@acme.co.uk thanks"),
            Some("jo.lee+support@acme.co.uk")
        );
        assert_eq!(email_in("no address here"), None);
    }
}
