//! The tokeniser shared by sentiment and intent: one pass over the text, no regex, two allocations
//! (the lowercase word buffer and the word list).
//!
//! A word is a run of letters and digits; an apostrophe between two such characters stays inside it
//! ("isn't", "i've"), and curly apostrophes are folded to `'` so both spellings look up the same
//! entry. Everything else separates words. Sentence punctuation (`. , ; : ! ?`, brackets, line
//! breaks) also starts a new *clause*: negation and intensifiers never reach across one, so in
//! "No, it's great" the "no" does not negate "great".

/// Where one word sits in `Tokens::buf`, and how it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    clause: usize,
    /// At least two letters and no lowercase ones ("STILL", "NOT"); a lone "I" is not shouting.
    caps: bool,
    /// Contains a lowercase letter: with `caps` this tells whether capitals stand out at all.
    lower: bool,
}

/// A message split into lowercase words, plus the punctuation facts the scorers need.
#[derive(Debug, Clone, Default)]
pub(super) struct Tokens {
    buf: String,
    spans: Vec<Span>,
    /// Number of `!` in the text.
    pub exclamations: usize,
    /// Number of `?` in the text.
    pub questions: usize,
    /// Longest run of `!` (spaces between them do not break the run: "! ! !" is shouting too).
    pub longest_bang_run: usize,
    /// "?!" or "!?" somewhere in the text.
    pub interrobang: bool,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '\n' | '\r'
    )
}

impl Tokens {
    pub(super) fn new(text: &str) -> Self {
        let mut t = Tokens {
            buf: String::with_capacity(text.len()),
            spans: Vec::with_capacity(text.len() / 4 + 1),
            ..Tokens::default()
        };
        let mut clause = 0usize;
        let mut pending_break = false;
        let mut current: Option<Span> = None;
        let mut letters = 0usize;
        let mut bang_run = 0usize;
        let mut last_mark: Option<char> = None;
        let mut chars = text.chars().peekable();

        while let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                let span = current.get_or_insert_with(|| {
                    if pending_break {
                        clause += 1;
                        pending_break = false;
                    }
                    letters = 0;
                    Span {
                        start: t.buf.len(),
                        end: 0,
                        clause,
                        caps: true,
                        lower: false,
                    }
                });
                if c.is_alphabetic() {
                    letters += 1;
                    if c.is_lowercase() {
                        span.lower = true;
                        span.caps = false;
                    }
                }
                t.buf.extend(c.to_lowercase());
            } else if current.is_some()
                && is_apostrophe(c)
                && chars.peek().is_some_and(|n| n.is_alphanumeric())
            {
                t.buf.push('\'');
            } else {
                if let Some(mut span) = current.take() {
                    span.end = t.buf.len();
                    span.caps &= letters >= 2;
                    t.spans.push(span);
                }
                if is_clause_break(c) {
                    pending_break = true;
                }
            }

            // Punctuation facts; whitespace neither breaks a run of '!' nor separates "? !".
            match c {
                '!' => {
                    t.exclamations += 1;
                    bang_run += 1;
                    t.longest_bang_run = t.longest_bang_run.max(bang_run);
                    t.interrobang |= last_mark == Some('?');
                }
                '?' => {
                    t.questions += 1;
                    bang_run = 0;
                    t.interrobang |= last_mark == Some('!');
                }
                c if c.is_whitespace() => {}
                _ => bang_run = 0,
            }
            if !c.is_whitespace() {
                last_mark = Some(c);
            }
        }
        if let Some(mut span) = current.take() {
            span.end = t.buf.len();
            span.caps &= letters >= 2;
            t.spans.push(span);
        }
        t
    }

    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The lowercase word at `i`; empty past the end (callers index within `len()`).
    pub(super) fn word(&self, i: usize) -> &str {
        self.spans
            .get(i)
            .and_then(|s| self.buf.get(s.start..s.end))
            .unwrap_or("")
    }

    /// Words in order.
    pub(super) fn words(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.word(i))
    }

    /// Clause number of word `i` (0 past the end).
    pub(super) fn clause(&self, i: usize) -> usize {
        self.spans.get(i).map_or(0, |s| s.clause)
    }

    /// Word `i` was written in capitals.
    pub(super) fn caps(&self, i: usize) -> bool {
        self.spans.get(i).is_some_and(|s| s.caps)
    }

    /// Some words are in capitals and others are not, so the capitals are emphasis rather than a
    /// caps-lock habit (VADER applies its capitals boost only in this case).
    pub(super) fn caps_stand_out(&self) -> bool {
        self.spans.iter().any(|s| s.caps) && self.spans.iter().any(|s| s.lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Tokens::new(text).words().map(str::to_owned).collect()
    }

    #[test]
    fn splits_on_non_word_characters_and_lowercases() {
        assert_eq!(
            words("The Dashboard isn't loading -- error 500!"),
            ["the", "dashboard", "isn't", "loading", "error", "500"]
        );
        assert_eq!(words("two-factor  e-mail"), ["two", "factor", "e", "mail"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("?!..."), Vec::<String>::new());
    }

    #[test]
    fn folds_curly_apostrophes_and_drops_quotes() {
        assert_eq!(words("It doesn’t work"), ["it", "doesn't", "work"]);
        assert_eq!(words("'quoted' customers'"), ["quoted", "customers"]);
    }

    #[test]
    fn marks_capitals_and_clauses() {
        let t = Tokens::new("I tried it THREE times. STILL broken, OK?");
        assert!(!t.caps(0), "a lone capital I is not shouting");
        assert!(t.caps(3));
        assert!(t.caps(5));
        assert!(!t.caps(6));
        assert_eq!(t.clause(4), 0);
        assert_eq!(t.clause(5), 1);
        assert_eq!(t.clause(7), 2);
        assert!(t.caps_stand_out());
        assert!(!Tokens::new("ALL CAPS ONLY").caps_stand_out());
    }

    #[test]
    fn counts_punctuation() {
        let t = Tokens::new("Why?! Fix it ! ! ! now? ok!");
        assert!(t.interrobang);
        assert_eq!(t.exclamations, 5);
        assert_eq!(t.questions, 2);
        assert_eq!(t.longest_bang_run, 3);
        let calm = Tokens::new("Hi! Thanks? Great!");
        assert!(!calm.interrobang);
        assert_eq!(calm.longest_bang_run, 1);
    }

    #[test]
    fn non_ascii_text_is_safe() {
        assert_eq!(
            words("Ça ne marche pas — İstanbul"),
            ["ça", "ne", "marche", "pas", "i̇stanbul"]
        );
        assert_eq!(Tokens::new("日本語のテキスト").len(), 1);
    }
}
