//! Word error rate: how far a transcript is from a reference, for the benchmark and the tests.
//!
//! Both texts are normalised the same way before words are compared: lowercase; apostrophes
//! dropped (so "don't" and "dont" agree); thousands separators inside numbers dropped and
//! decimal points kept (Whisper writes numbers as digits, "1,000" and "3.5", and references
//! should too); every other non-alphanumeric character is a word break. The alignment is the
//! word-level Levenshtein distance; among equally short alignments a substitution is preferred
//! over a deletion, and a deletion over an insertion.

/// The alignment of a hypothesis against its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordErrors {
    pub hits: usize,
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
    pub reference_words: usize,
    pub hypothesis_words: usize,
}

impl WordErrors {
    pub fn errors(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// Errors per reference word. It can exceed 1 (insertions); an empty reference counts as
    /// one word, so that anything said over silence is an error rather than a division by zero.
    pub fn rate(&self) -> f64 {
        self.errors() as f64 / self.reference_words.max(1) as f64
    }
}

/// The words of `text` after normalisation.
pub fn normalize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        match c {
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            '\'' | '\u{2019}' | '\u{2018}' | '`' => {}
            ',' if between_digits => {}
            '.' if between_digits => out.push('.'),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().map(str::to_owned).collect()
}

/// Aligns the normalised words of `hypothesis` against those of `reference`.
pub fn word_errors(reference: &str, hypothesis: &str) -> WordErrors {
    align(&normalize(reference), &normalize(hypothesis))
}

/// Levenshtein over words, one row at a time (memory grows with the hypothesis only).
fn align(reference: &[String], hypothesis: &[String]) -> WordErrors {
    let blank = WordErrors {
        reference_words: reference.len(),
        hypothesis_words: hypothesis.len(),
        ..WordErrors::default()
    };
    let with = |e: WordErrors, f: fn(&mut WordErrors)| {
        let mut e = e;
        f(&mut e);
        e
    };
    let mut previous: Vec<WordErrors> = (0..=hypothesis.len())
        .map(|j| WordErrors {
            insertions: j,
            ..blank
        })
        .collect();
    for (i, r) in reference.iter().enumerate() {
        let mut row = Vec::with_capacity(previous.len());
        row.push(WordErrors {
            deletions: i + 1,
            ..blank
        });
        for (j, h) in hypothesis.iter().enumerate() {
            let diagonal = if r == h {
                with(previous[j], |e| e.hits += 1)
            } else {
                with(previous[j], |e| e.substitutions += 1)
            };
            let deletion = with(previous[j + 1], |e| e.deletions += 1);
            let insertion = with(row[j], |e| e.insertions += 1);
            let best = [diagonal, deletion, insertion]
                .into_iter()
                .min_by_key(WordErrors::errors)
                .unwrap_or(diagonal);
            row.push(best);
        }
        previous = row;
    }
    previous.last().copied().unwrap_or(blank)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(reference: &str, hypothesis: &str) -> (usize, usize, usize, usize) {
        let e = word_errors(reference, hypothesis);
        assert_eq!(e.hits + e.substitutions + e.deletions, e.reference_words);
        assert_eq!(e.hits + e.substitutions + e.insertions, e.hypothesis_words);
        (e.hits, e.substitutions, e.deletions, e.insertions)
    }

    #[test]
    fn identical_texts_have_no_errors() {
        let jfk = "And so my fellow Americans, ask not what your country can do for you, \
                   ask what you can do for your country.";
        let whisper = " And so, my fellow Americans, ask not what your country can do for \
                       you, ask what you can do for your country.";
        let e = word_errors(jfk, whisper);
        assert_eq!((e.errors(), e.reference_words, e.rate()), (0, 22, 0.0));
    }

    #[test]
    fn substitutions_deletions_and_insertions_are_counted_apart() {
        assert_eq!(counts("the cat sat", "the cat sat down"), (3, 0, 0, 1));
        assert_eq!(counts("the cat sat down", "the cat down"), (3, 0, 1, 0));
        assert_eq!(counts("the cat sat", "the dog sat"), (2, 1, 0, 0));
        assert_eq!(counts("a b c d", "a x c d e"), (3, 1, 0, 1));
        assert_eq!(counts("a b c", "c b a"), (1, 2, 0, 0));
        assert_eq!(counts("", "hello there"), (0, 0, 0, 2));
        assert_eq!(counts("hello there", ""), (0, 0, 2, 0));
        let e = word_errors("one two three four", "one too three");
        assert_eq!(e.rate(), 0.5);
    }

    #[test]
    fn normalisation_ignores_case_punctuation_and_apostrophes() {
        assert_eq!(
            normalize("Hello, World!  It's\tfine..."),
            ["hello", "world", "its", "fine"]
        );
        assert_eq!(normalize("don’t DON'T dont"), ["dont", "dont", "dont"]);
        assert_eq!(
            normalize("well-known (sort of)"),
            ["well", "known", "sort", "of"]
        );
        assert_eq!(normalize("Ünïcode STRASSE"), ["ünïcode", "strasse"]);
        assert!(normalize(" ,.!? ").is_empty());
    }

    #[test]
    fn numbers_keep_their_digits_and_decimal_points() {
        assert_eq!(
            normalize("1,000 people paid $3.50, at 9.30."),
            ["1000", "people", "paid", "3.50", "at", "9.30"]
        );
        assert_eq!(
            normalize("In 1961, 2.5% rose"),
            ["in", "1961", "2.5", "rose"]
        );
        assert_eq!(
            counts("it cost 1,000 dollars", "It cost 1000 dollars."),
            (4, 0, 0, 0)
        );
        assert_eq!(counts("version 3.5", "version 35"), (1, 1, 0, 0));
    }

    #[test]
    fn empty_reference_and_hypothesis() {
        assert_eq!(word_errors("", "").rate(), 0.0);
        assert_eq!(word_errors("", "uh").rate(), 1.0);
        assert_eq!(word_errors("...", "").errors(), 0);
    }

    #[test]
    fn long_texts_align_in_reasonable_time() {
        let reference: String = (0..1_000).map(|i| format!("w{} ", i % 97)).collect();
        let hypothesis: String = (0..1_000)
            .filter(|i| i % 10 != 0)
            .map(|i| format!("w{} ", i % 97))
            .collect();
        let e = word_errors(&reference, &hypothesis);
        assert_eq!((e.deletions, e.substitutions, e.insertions), (100, 0, 0));
    }
}
