//! Suffix folding for intent keywords: "charged", "charges" and "charging" all become "charg".
//!
//! Deliberately crude and purely subtractive, so it returns a slice of its input and never
//! allocates. It does not need to produce real words, only to send the forms of one word to the
//! same key; keywords and message words go through the same function, so a collision between two
//! unrelated words is the only possible error, and the minimum stem length keeps those rare.
//! Words containing digits or non-ASCII letters ("2fa", "500", "café") are left alone.

/// Shortest stem any rule may leave behind.
const MIN_STEM: usize = 3;

/// Drops `suffix` from `word` if what remains is still long enough.
fn cut<'a>(word: &'a str, suffix: &str) -> Option<&'a str> {
    word.strip_suffix(suffix)
        .filter(|rest| rest.len() >= MIN_STEM)
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The folded form of a lowercase word.
pub(super) fn stem(word: &str) -> &str {
    if word.len() <= MIN_STEM || !word.bytes().all(|b| b.is_ascii_lowercase() || b == b'\'') {
        return word;
    }
    let mut w = word;
    // Possessive and plural: "customer's", "invoices"; but keep "access", "status", "analysis".
    if let Some(rest) = cut(w, "'s") {
        w = rest;
    } else if !(w.ends_with("ss") || w.ends_with("us") || w.ends_with("is")) {
        w = cut(w, "s").unwrap_or(w);
    }
    // Verb endings: "loading", "charged".
    w = cut(w, "ing").or_else(|| cut(w, "ed")).unwrap_or(w);
    // "charge"/"charg", "reply"/"repl", "replie(s)"/"repl".
    w = cut(w, "e").unwrap_or(w);
    w = cut(w, "y").or_else(|| cut(w, "i")).unwrap_or(w);
    // "logg(ed)"/"log", "bill"/"bil": a doubled final consonant counts once.
    let b = w.as_bytes();
    if b.len() > MIN_STEM && b[b.len() - 1] == b[b.len() - 2] && !is_vowel(b[b.len() - 1]) {
        w = &w[..w.len() - 1];
    }
    w
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn same(words: &[&str]) {
        let first = stem(words[0]);
        for w in words {
            assert_eq!(stem(w), first, "{w} should fold like {}", words[0]);
        }
    }

    #[test]
    fn folds_inflections_together() {
        same(&["charge", "charges", "charged", "charging"]);
        same(&["crash", "crashes", "crashed", "crashing"]);
        same(&["log", "logged", "logging", "logs"]);
        same(&["bill", "bills", "billing", "billed"]);
        same(&["cancel", "cancels", "cancelled", "canceled", "cancelling"]);
        same(&["invoice", "invoices", "invoiced"]);
        same(&["reply", "replies", "replied"]);
        same(&["key", "keys"]);
        same(&["rotate", "rotated", "rotating"]);
        same(&["webhook", "webhooks"]);
        same(&["customer", "customers", "customer's"]);
    }

    #[test]
    fn keeps_distinct_words_apart() {
        assert_ne!(stem("login"), stem("log"));
        assert_ne!(stem("card"), stem("car"));
        assert_ne!(stem("export"), stem("expert"));
    }

    #[test]
    fn leaves_short_numeric_and_non_ascii_words_alone() {
        for w in [
            "2fa", "500", "401", "api", "sso", "was", "café", "status", "can't",
        ] {
            assert_eq!(stem(w), w);
        }
    }
}
