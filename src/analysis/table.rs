//! The sentiment analyser's lookup table: every word it knows, with all of its roles, behind one
//! hash lookup, so scoring a word costs one lookup however many lists it appears in.
//!
//! Built once from the static lists in `lexicon` and `cues`. Multi-word entries are filed under
//! their first word, longest first, so the longest matching phrase wins.

use super::cues::{CUE_PHRASES, CUE_WORDS};
use super::lexicon::{ACRONYMS, BOOSTERS, NEGATORS, PHRASES, WORDS};
use super::tokens::Tokens;
use std::collections::HashMap;

/// Everything known about one word.
#[derive(Debug, Default)]
pub(super) struct WordInfo {
    /// Sentiment valence, 0 if the word carries none.
    pub valence: f64,
    /// Intensity added to a following sentiment word (dampeners are negative), 0 if none.
    pub booster: f64,
    pub negator: bool,
    /// Written in capitals it is a name, not shouting.
    pub acronym: bool,
    /// Frustration weight of the word on its own.
    pub cue: f64,
    /// Multi-word entries starting with this word, longest first.
    pub phrases: Vec<Phrase>,
}

/// A multi-word entry: the words after the first, and what it contributes.
#[derive(Debug)]
pub(super) struct Phrase {
    rest: Vec<Box<str>>,
    /// Valence replacing that of its words; 0 for a pure frustration cue.
    pub valence: f64,
    /// Frustration weight; 0 for a pure sentiment phrase.
    pub cue: f64,
}

impl Phrase {
    /// Number of words, the first included.
    pub fn len(&self) -> usize {
        self.rest.len() + 1
    }

    /// Whether the phrase starts at word `i` (whose first word the caller has already matched).
    /// A phrase never spans a clause break.
    pub fn matches_at(&self, t: &Tokens, i: usize) -> bool {
        let clause = t.clause(i);
        i + self.rest.len() < t.len()
            && self.rest.iter().enumerate().all(|(k, w)| {
                let j = i + 1 + k;
                t.clause(j) == clause && t.word(j) == &**w
            })
    }
}

/// The table itself.
#[derive(Debug)]
pub(super) struct WordTable {
    map: HashMap<Box<str>, WordInfo>,
}

/// The entry as written plus, if it has apostrophes, the spelling without them.
fn spellings(entry: &str) -> impl Iterator<Item = String> {
    let plain = entry.contains('\'').then(|| entry.replace('\'', ""));
    std::iter::once(entry.to_owned()).chain(plain)
}

impl WordTable {
    pub fn build() -> Self {
        let mut table = WordTable {
            map: HashMap::with_capacity(1024),
        };
        for &(w, v) in WORDS {
            for s in spellings(w) {
                table.entry(&s).valence = v;
            }
        }
        for &(w, b) in BOOSTERS {
            table.entry(w).booster = b;
        }
        for &w in NEGATORS {
            table.entry(w).negator = true;
        }
        for &w in ACRONYMS {
            table.entry(w).acronym = true;
        }
        for &(w, c) in CUE_WORDS {
            table.entry(w).cue = c;
        }
        for &(p, v) in PHRASES {
            for s in spellings(p) {
                table.add_phrase(&s, v, 0.0);
            }
        }
        for &(p, c) in CUE_PHRASES {
            for s in spellings(p) {
                table.add_phrase(&s, 0.0, c);
            }
        }
        for info in table.map.values_mut() {
            info.phrases
                .sort_by_key(|p| std::cmp::Reverse(p.rest.len()));
        }
        table
    }

    fn entry(&mut self, word: &str) -> &mut WordInfo {
        self.map.entry(word.into()).or_default()
    }

    fn add_phrase(&mut self, phrase: &str, valence: f64, cue: f64) {
        let mut words = phrase.split_whitespace();
        if let Some(first) = words.next() {
            let rest = words.map(Box::from).collect();
            self.entry(first)
                .phrases
                .push(Phrase { rest, valence, cue });
        }
    }

    pub fn get(&self, word: &str) -> Option<&WordInfo> {
        self.map.get(word)
    }
}

/// Whether `word` flips what follows: a listed negator or any "n't" contraction.
pub(super) fn is_negator(info: Option<&WordInfo>, word: &str) -> bool {
    info.is_some_and(|i| i.negator) || word.ends_with("n't")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_every_role() {
        let t = WordTable::build();
        let seriously = t.get("seriously").map(|i| (i.booster, i.cue));
        assert_eq!(seriously, Some((0.293, 1.0)));
        assert!(t
            .get("useless")
            .is_some_and(|i| i.valence < 0.0 && i.cue > 0.0));
        assert!(t.get("doesnt").is_some_and(|i| i.negator));
        assert!(t.get("zebra").is_none());
    }

    #[test]
    fn phrases_match_longest_first_within_a_clause() {
        let t = WordTable::build();
        let still = t.get("still").map(|i| &i.phrases[..]).unwrap_or(&[]);
        assert!(still.windows(2).all(|w| w[0].len() >= w[1].len()));

        let tokens = Tokens::new("it is not working");
        let not = t.get("not").map(|i| &i.phrases[..]).unwrap_or(&[]);
        assert!(not
            .iter()
            .any(|p| p.valence < 0.0 && p.matches_at(&tokens, 2)));
        let split = Tokens::new("it is not. working");
        assert!(!not.iter().any(|p| p.matches_at(&split, 2)));
    }

    #[test]
    fn apostrophe_free_spellings_are_added() {
        let t = WordTable::build();
        let tokens = Tokens::new("doesnt work");
        let doesnt = t.get("doesnt").map(|i| &i.phrases[..]).unwrap_or(&[]);
        assert!(doesnt
            .iter()
            .any(|p| p.valence < 0.0 && p.matches_at(&tokens, 0)));
    }

    #[test]
    fn negators_include_any_contraction() {
        assert!(is_negator(None, "shan't"));
        assert!(!is_negator(None, "can"));
    }
}
