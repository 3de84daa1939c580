//! Small text helpers shared by the briefing parts: sentence picking, graceful truncation and turning
//! action ids into words.

use unicode_segmentation::UnicodeSegmentation;

/// Number of characters in `s`.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to at most `max` characters at a word boundary, with `…` when something was cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    let s = s.trim();
    if char_len(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    // Room for the ellipsis.
    let budget = max - 1;
    let mut out = String::new();
    let mut used = 0;
    for word in s.split_word_bounds() {
        let n = char_len(word);
        if used + n > budget {
            break;
        }
        out.push_str(word);
        used += n;
    }
    let mut out = out
        .trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—(".contains(c))
        .to_owned();
    if out.is_empty() {
        // A single word longer than the budget: cut inside it, on a grapheme boundary.
        out = s.graphemes(true).take(budget).collect();
    }
    out.push('…');
    out
}

/// The sentences of `s`, trimmed, without empty ones.
pub fn sentences(s: &str) -> impl Iterator<Item = &str> {
    s.split_sentence_bounds()
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
    "thanks",
    "thank you",
    "ok",
    "okay",
];

/// True for a sentence that carries no content ("Hi there!", "Thanks.", "Hi, I'm Priya from Acme.").
pub fn is_small_talk(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    let words = lower.split_whitespace().count();
    words < 4
        || (words < 8 && GREETINGS.iter().any(|g| lower.starts_with(g)))
        || (words < 10 && lower.contains("my name is"))
}

/// `sentence` without a leading greeting ("Hello, I got…" -> "I got…").
pub fn strip_greeting(sentence: &str) -> &str {
    let lower = sentence.to_ascii_lowercase();
    for g in ["hi there", "hello there", "hey there", "hi", "hello", "hey"] {
        if lower.starts_with(g) {
            let rest = &sentence[g.len()..];
            if rest.starts_with([',', '!', '.']) {
                let rest = rest[1..].trim_start();
                if !rest.is_empty() {
                    return rest;
                }
            }
        }
    }
    sentence
}

/// `dataVolume` / `signup_date` -> "Data volume" / "Signup date".
pub fn label_of_key(key: &str) -> String {
    let mut spaced = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            spaced.push(' ');
        }
        spaced.push(c);
    }
    capitalize(&humanize(&spaced).to_lowercase())
}

/// Well-known action ids in words, as a noun phrase ("clearing the cache").
const ACTIONS: &[(&str, &str)] = &[
    ("cache_clear", "clearing the cache"),
    ("browser_check", "checking the browser version"),
    ("password_reset", "a password reset"),
    ("relogin", "signing out and back in"),
    ("incognito_test", "a private-window test"),
    ("cookie_clear", "clearing cookies"),
    ("retry_payment", "retrying the payment"),
    ("api_key_regenerate", "regenerating the API key"),
    ("webhook_secret_check", "checking the webhook secret"),
    ("backup_codes", "using backup codes"),
    ("email_verification", "email verification"),
    ("email_recovery_link", "an email recovery link"),
    (
        "pending_authorization_check",
        "checking for a pending authorization",
    ),
    ("resend_invoice", "resending the invoice"),
    ("server_clock_check", "checking the server clock"),
    (
        "role_permissions_check",
        "checking the key's role permissions",
    ),
    ("smaller_date_range", "exporting smaller date ranges"),
    ("browser_switch", "switching browsers"),
    ("retention_offer", "a retention discount"),
    ("self_service_cancel", "cancelling in Settings"),
    (
        "safari_tracking_setting",
        "turning off Safari's cross-site tracking prevention",
    ),
    ("policy_explained", "explaining the refund policy"),
    (
        "plan_downgrade_offer",
        "offering a switch to monthly billing",
    ),
];

/// `cache_clear` -> "clearing the cache"; unknown ids -> their words ("resend_invoice" -> "resend invoice").
pub fn action_words(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(id, _)| *id == action)
        .map(|(_, words)| (*words).to_owned())
        .unwrap_or_else(|| humanize(action))
}

/// A deadline as it reads after "needed": "by tomorrow", "in 45 minutes", "on Monday", "by 3pm",
/// "urgently". The customer's own words keep their case.
pub fn by_when(deadline: &str) -> String {
    let d = deadline.trim();
    let lower = d.to_lowercase();
    // "at 3pm" and "on Friday" read as "by 3pm" and "by Friday" after "needed".
    for prefix in ["at ", "on "] {
        if lower.starts_with(prefix) {
            return format!("by {}", &d[prefix.len()..]);
        }
    }
    let prepositions = [
        "by ", "before ", "in ", "on ", "until ", "till ", "within ", "due ", "this ", "next ",
        "coming ",
    ];
    let urgent = [
        "asap",
        "as soon as",
        "urgent",
        "right now",
        "right away",
        "immediately",
        "time-sensitive",
        "time sensitive",
        "time-critical",
        "time critical",
    ];
    if prepositions.iter().any(|p| lower.starts_with(p)) {
        lower_first_word(d)
    } else if urgent.iter().any(|p| lower.starts_with(p)) {
        "urgently".to_owned()
    } else if lower.starts_with("end of") {
        format!("by the {}", lower_first_word(d))
    } else {
        format!("by {}", lower_first_word(d))
    }
}

/// "By Friday" -> "by Friday": the sentence's capital, not the name's.
fn lower_first_word(s: &str) -> String {
    let mut words = s.splitn(2, ' ');
    let first = words.next().unwrap_or("").to_lowercase();
    match words.next() {
        Some(rest) => format!("{first} {rest}"),
        None => first,
    }
}

/// `technical_specialist` -> "technical specialist".
pub fn humanize(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// "a", "b" and "c".
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Lower-cases the first character only: "Rotated the secret" -> "rotated the secret", while
/// "Node/Express" further on stays as written.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Upper-cases the first character.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Word stems (first five letters) of an action id or sentence, for "is this the same step?" checks.
pub fn stems(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && !matches!(*w, "the" | "and" | "for" | "check" | "test"))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// True when `text` proposes the step `action` again: it mentions every word stem of an action id
/// with two or more words (so "Clear the browser cache" repeats `cache_clear`), or the action's
/// words themselves for a one-word action (`browser_check` -> "checking the browser version").
pub fn repeats_action(text: &str, action: &str) -> bool {
    let action_stems = stems(action);
    if action_stems.len() >= 2 {
        let words = stems(text);
        return action_stems.iter().all(|s| words.contains(s));
    }
    let lower = text.to_lowercase();
    lower.contains(&action_words(action).to_lowercase())
        || lower.contains(&humanize(action).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_word_boundaries() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 10), "one two…");
        assert_eq!(truncate_words("abcdefghijkl", 5), "abcd…");
        assert!(char_len(&truncate_words("héllo wörld ünïcode", 8)) <= 8);
    }

    #[test]
    fn actions_in_words() {
        assert_eq!(action_words("cache_clear"), "clearing the cache");
        assert_eq!(label_of_key("dataVolume"), "Data volume");
        assert_eq!(
            strip_greeting("Hello, I got a new phone"),
            "I got a new phone"
        );
        assert!(is_small_talk("Hi, I'm Priya from Lumen Analytics"));
        assert!(!is_small_talk("I'm locked out of my account"));
        assert_eq!(action_words("escalate_to_tier2"), "escalate to tier2");
        assert_eq!(
            join_and(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert!(repeats_action(
            "Ask them to clear the browser cache",
            "cache_clear"
        ));
        assert!(!repeats_action("Check webhook logs", "cache_clear"));
        assert!(!repeats_action(
            "Reproduce it on the customer's browser",
            "browser_check"
        ));
        assert!(repeats_action(
            "Try checking the browser version",
            "browser_check"
        ));
    }
}
