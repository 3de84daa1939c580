//! Small text helpers shared by the review parts: normalising what agents say (chat or transcribed
//! speech), splitting it into sentences, and telling whether a known value is quoted in it.

use crate::domain::Urgency;

/// `s` lowercased, typographic apostrophes folded to `'`, speech fillers ("um", "uh") dropped and
/// whitespace collapsed to single spaces. Transcribed speech and typed chat then look alike.
pub fn normalize(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        let bare = word.trim_matches(|c: char| matches!(c, ',' | '.' | '…' | '-'));
        if FILLERS.contains(&bare) {
            // Keep a sentence mark the filler carried ("uh?"), drop the filler itself.
            if word.ends_with('?') {
                out.push('?');
            }
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Hesitations a speech recogniser writes out; they carry no meaning for us.
const FILLERS: &[&str] = &["um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm", "ah"];

/// The sentences of `s` with whether each ended in a question mark. A `.` ends a sentence only
/// when followed by whitespace or the end, so e-mail addresses, URLs and amounts stay whole.
pub fn sentences(s: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        let ends = match c {
            '?' | '!' | ';' | '\n' => true,
            '.' | '…' => next_is_space,
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            push_sentence(&mut out, &s[start..end]);
            start = end;
        }
    }
    push_sentence(&mut out, &s[start..]);
    out
}

fn push_sentence<'a>(out: &mut Vec<(&'a str, bool)>, raw: &'a str) {
    let t = raw.trim();
    if t.chars().any(char::is_alphanumeric) {
        out.push((t, t.ends_with('?')));
    } else if t.contains('?') {
        // A lone "?" after a sentence ("your email ?") makes the previous one a question.
        if let Some(last) = out.last_mut() {
            last.1 = true;
        }
    }
}

/// Lowercase ASCII letters and digits of `s` only: `ORD-1234`, `ord 1234` and `ORD1234` agree.
pub fn alnum(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The words of `s` (lowercase runs of letters and digits), with ordinal suffixes dropped from
/// numbers ("3rd" -> "3") so "March 3rd" and "march 3" agree.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let suffix = &w[digits.len()..];
            if !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && matches!(suffix, "st" | "nd" | "rd" | "th")
            {
                digits.to_owned()
            } else {
                w
            }
        })
        .collect()
}

/// Whether `value` is quoted in `text`. Values with a digit, an `@` or at least six characters
/// (ids, e-mail addresses, phone numbers) are compared on their letters and digits alone, so
/// spacing and dashes do not matter, and a spoken "jane at acme dot io" matches `jane@acme.io`.
/// Short words ("Pro", "Chrome") must appear as whole words, so "provide" does not quote "Pro".
pub fn quotes(text: &str, value: &str) -> bool {
    let key = alnum(value);
    if key.is_empty() {
        return false;
    }
    let needle = words(value);
    let hay = words(text);
    if !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle.as_slice()) {
        return true;
    }
    let distinctive =
        value.contains('@') || key.len() >= 6 || key.bytes().any(|b| b.is_ascii_digit());
    distinctive && {
        let spoken = text
            .to_lowercase()
            .replace(" at ", "@")
            .replace(" dot ", ".");
        alnum(text).contains(&key) || alnum(&spoken).contains(&key)
    }
}

/// An urgency's wire name (`high`), as in the JSON export.
pub fn urgency(u: Urgency) -> &'static str {
    match u {
        Urgency::Low => "low",
        Urgency::Medium => "medium",
        Urgency::High => "high",
        Urgency::Critical => "critical",
    }
}

/// `s` cut to at most `max` characters, with `…` when something was cut.
pub fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_speech_and_chat_alike() {
        assert_eq!(
            normalize("Um, so  what’s the uh e-mail on the account"),
            "so what's the e-mail on the account"
        );
        assert_eq!(normalize("What's your EMAIL?"), "what's your email?");
    }

    #[test]
    fn splits_sentences_but_not_addresses() {
        assert_eq!(
            sentences("Thanks! Is jane@acme.io right? I paid $49.00 today."),
            vec![
                ("Thanks!", false),
                ("Is jane@acme.io right?", true),
                ("I paid $49.00 today.", false)
            ]
        );
        assert_eq!(sentences("your email ?"), vec![("your email ?", true)]);
        assert_eq!(sentences("  "), vec![]);
    }

    #[test]
    fn quotes_ids_loosely_and_words_exactly() {
        assert!(quotes("I see your order ord 1234, right?", "ORD-1234"));
        assert!(quotes("is it jane at acme dot io", "jane@acme.io"));
        assert!(quotes("still on the Pro plan?", "Pro"));
        assert!(!quotes("could you provide the plan?", "Pro"));
        assert!(quotes("was that on march 3?", "March 3rd"));
        assert!(!quotes("anything", ""));
    }

    #[test]
    fn clips_long_text() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("a longer sentence here", 9), "a longer…");
    }
}
