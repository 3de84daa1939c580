//! Turning text into search terms: lowercase, split on anything that is not a letter or digit,
//! drop stopwords, then a light suffix stemmer so "charged", "charges" and "charging" meet.
//!
//! The same function runs over knowledge-base passages and customer messages, so whatever it does
//! to one side it does to the other; it only has to be consistent, not linguistically right.

/// Words too common (or too conversational) to say anything about the customer's problem. Chat
/// filler such as "hi", "please" and "still" is here too, and so are "work", "problem" and "issue":
/// they would otherwise match any passage that happens to contain them and make "still not working"
/// look like a question about something.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "anymore",
    "anyone", "anything", "are", "as", "ask", "asked", "at", "be", "because", "been", "before",
    "being", "both", "but", "by", "can", "cannot", "cant", "could", "couldnt", "did", "didnt", "do",
    "does", "doesnt", "doing", "dont", "down", "each", "either", "even", "ever", "every", "few",
    "for", "from", "get", "gets", "getting", "give", "got", "had", "has", "have", "having", "he",
    "hello", "help", "her", "here", "hers", "hey", "hi", "him", "his", "how", "i", "id", "if", "im",
    "in", "into", "is", "isnt", "issue", "issues", "it", "its", "ive", "just", "keep", "keeps",
    "know", "let", "like", "ll", "me", "might", "more", "most", "much", "must", "my", "myself",
    "need", "no", "nor", "not", "now", "of", "off", "ok", "okay", "on", "once", "one", "only", "or",
    "other", "our", "ours", "out", "over", "own", "please", "pls", "problem", "problems", "really",
    "s", "said", "same", "say", "says", "see", "seem", "seems", "she", "should", "so", "some",
    "someone", "something", "still", "such", "sure", "t", "tell", "than", "thank", "thanks", "that",
    "thats", "the", "their", "them", "then", "there", "these", "they", "thing", "things", "this",
    "those", "through", "to", "too", "tried", "try", "trying", "under", "until", "up", "us", "very",
    "want", "was", "wasnt", "way", "we", "were", "what", "whats", "when", "where", "which", "while",
    "who", "why", "will", "with", "without", "wont", "work", "worked", "working", "works", "would",
    "yes", "yet", "you", "your", "youre", "yours",
];

/// True for a word (already lowercased, apostrophes removed) that carries no search meaning.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// Lowercased words of `text`, apostrophes folded away ("didn't" -> "didnt"), nothing dropped.
/// Cue detection (greetings, "talk to a human") works on these; the analysis reads the same words.
pub use crate::analysis::requests::words;

/// Search terms of `text`: words minus stopwords, stemmed.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stopword(w))
        .map(|w| stem(&w))
        .collect()
}

/// A light English suffix stemmer (plural, -ed, -ing, -ly, -ation, trailing -e). It over- and
/// under-stems now and then; that is acceptable because both sides of every comparison go through
/// it, and it never turns two common support words into one.
pub fn stem(word: &str) -> String {
    // Numbers, codes ("401", "2fa") and short words are left alone.
    if word.chars().count() <= 3 || !word.chars().any(|c| c.is_alphabetic()) {
        return word.to_owned();
    }
    // "cookies" is not the plural of "cooky"; the -ies rule below would get it wrong.
    let mut w = match word {
        "cookies" => "cookie".to_owned(),
        _ => word.to_owned(),
    };
    w = strip_plural(w);
    w = strip_verb_suffix(w);
    if let Some(base) = w.strip_suffix("ly") {
        if base.chars().count() >= 4 {
            w = base.to_owned();
        }
    }
    if let Some(base) = w.strip_suffix("ation") {
        if base.chars().count() >= 3 {
            w = format!("{base}ate");
        }
    }
    // A final "e" goes so that "charge" meets "charg(ed)" and "rotate" meets "rotat(ion)".
    if w.chars().count() >= 4 {
        if let Some(base) = w.strip_suffix('e') {
            w = base.to_owned();
        }
    }
    w
}

fn strip_plural(w: String) -> String {
    if let Some(base) = w.strip_suffix("ies") {
        if base.chars().count() >= 2 {
            return format!("{base}y");
        }
    }
    if let Some(base) = w.strip_suffix("sses") {
        return format!("{base}ss");
    }
    if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") {
        return w;
    }
    match w.strip_suffix('s') {
        Some(base) if base.chars().count() >= 3 => base.to_owned(),
        _ => w,
    }
}

fn strip_verb_suffix(w: String) -> String {
    if let Some(base) = w.strip_suffix("ied") {
        if base.chars().count() >= 2 {
            return format!("{base}y");
        }
    }
    for suffix in ["ing", "ed"] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.chars().count() >= 3 && base.chars().any(is_vowel) {
                return undouble(base);
            }
        }
    }
    w
}

/// "stopp" -> "stop", "logg" -> "log"; but "bill", "pass" and "buzz" keep their double letter
/// because their base form has it.
fn undouble(base: &str) -> String {
    let mut chars = base.chars().rev();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a == b && !is_vowel(a) && !matches!(a, 'l' | 's' | 'z') => {
            base[..base.len() - a.len_utf8()].to_owned()
        }
        _ => base.to_owned(),
    }
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopword_list_is_sorted_for_binary_search() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn words_fold_case_apostrophes_and_punctuation() {
        assert_eq!(
            words("It DIDN'T work... (2FA) e-mail!"),
            ["it", "didnt", "work", "2fa", "e", "mail"]
        );
        assert_eq!(words("customer’s café"), ["customers", "café"]);
    }

    #[test]
    fn inflections_meet_on_one_stem() {
        for group in [
            &["charge", "charged", "charges", "charging"][..],
            &["rotate", "rotated", "rotating", "rotation"],
            &["log", "logged", "logging", "logs"],
            &["export", "exports", "exported", "exporting"],
            &["entry", "entries"],
            &["verify", "verified", "verifies"],
            &["cookie", "cookies"],
            &["cache", "cached", "caching", "caches"],
        ] {
            let stems: Vec<String> = group.iter().map(|w| stem(w)).collect();
            assert!(
                stems.windows(2).all(|p| p[0] == p[1]),
                "{group:?} -> {stems:?}"
            );
        }
    }

    #[test]
    fn distinct_words_stay_distinct() {
        assert_ne!(stem("bill"), stem("bell"));
        assert_eq!(stem("billing"), "bill");
        assert_eq!(stem("access"), "access");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("401"), "401");
    }

    #[test]
    fn terms_drop_stopwords() {
        assert_eq!(
            terms("Hi, my dashboard is still not loading!"),
            ["dashboard", "load"]
        );
    }
}
