//! Okapi BM25 over documents of weighted terms (k1 = 1.2, b = 0.75).
//!
//! A document is a list of `(term, weight)`; a term's frequency in a document is the sum of its
//! weights, so a caller can count a title word twice without repeating it (a simple form of BM25F).
//! Document length is the sum of all weights. The index is built once and only read afterwards.
//!
//! idf is the non-negative variant `ln(1 + (N - n + 0.5) / (n + 0.5))`, so a term present in every
//! document still counts a little instead of pulling scores below zero.

use std::collections::HashMap;

pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;

/// One ranked document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub doc: usize,
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    /// term -> (document, term frequency), documents ascending.
    postings: HashMap<String, Vec<(usize, f64)>>,
    doc_len: Vec<f64>,
    avg_len: f64,
}

impl Bm25 {
    pub fn new<D>(docs: impl IntoIterator<Item = D>) -> Self
    where
        D: IntoIterator<Item = (String, f64)>,
    {
        let mut postings: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        let mut doc_len = Vec::new();
        for (doc, terms) in docs.into_iter().enumerate() {
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut len = 0.0;
            for (term, weight) in terms {
                len += weight;
                *tf.entry(term).or_default() += weight;
            }
            for (term, f) in tf {
                postings.entry(term).or_default().push((doc, f));
            }
            doc_len.push(len);
        }
        let avg_len = if doc_len.is_empty() {
            0.0
        } else {
            doc_len.iter().sum::<f64>() / doc_len.len() as f64
        };
        Self {
            postings,
            doc_len,
            avg_len,
        }
    }

    /// Number of documents.
    fn len(&self) -> usize {
        self.doc_len.len()
    }

    /// Inverse document frequency; a term no document contains gets the largest value, which is
    /// what makes unknown query words count *against* a match in [`Bm25::max_idf`].
    pub fn idf(&self, term: &str) -> f64 {
        let n = self.postings.get(term).map_or(0, Vec::len) as f64;
        let total = self.len() as f64;
        (1.0 + (total - n + 0.5) / (n + 0.5)).ln()
    }

    /// Whether any document contains `term`.
    pub fn contains(&self, term: &str) -> bool {
        self.postings.contains_key(term)
    }

    /// `sum(weight * idf)` over the query: what a document scores when it contains every query term
    /// once at average length. Callers divide a score by it to get a corpus-independent strength.
    pub fn max_idf(&self, query: &[(String, f64)]) -> f64 {
        query.iter().map(|(t, w)| w * self.idf(t)).sum()
    }

    /// Score of every document (zero where no query term occurs), indexed by document.
    pub fn scores(&self, query: &[(String, f64)]) -> Vec<f64> {
        let mut scores = vec![0.0; self.len()];
        if self.avg_len <= 0.0 {
            return scores;
        }
        for (term, weight) in query {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let idf = self.idf(term);
            for &(doc, tf) in list {
                let norm = K1 * (1.0 - B + B * self.doc_len[doc] / self.avg_len);
                scores[doc] += weight * idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        scores
    }

    /// Documents with a positive score, best first; ties keep document order so results are stable.
    pub fn rank(&self, query: &[(String, f64)]) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .scores(query)
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .map(|(doc, score)| Hit { doc, score })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Vec<(String, f64)> {
        text.split_whitespace()
            .map(|w| (w.to_owned(), 1.0))
            .collect()
    }

    fn q(text: &str) -> Vec<(String, f64)> {
        doc(text)
    }

    fn corpus() -> Bm25 {
        Bm25::new([doc("cat sat mat"), doc("dog sat log"), doc("cat cat dog")])
    }

    #[test]
    fn scores_match_the_formula() {
        let idx = corpus();
        // "cat" is in 2 of 3 documents; every document has length 3, the average.
        let idf = (1.0 + (3.0 - 2.0 + 0.5) / (2.0 + 0.5_f64)).ln();
        assert!((idx.idf("cat") - idf).abs() < 1e-12);
        let s = idx.scores(&q("cat"));
        // At average length the length norm is k1, so tf=1 scores exactly idf.
        assert!((s[0] - idf).abs() < 1e-12, "{s:?}");
        assert_eq!(s[1], 0.0);
        assert!(
            (s[2] - idf * 2.0 * (K1 + 1.0) / (2.0 + K1)).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn ranking_prefers_frequency_rarity_and_short_documents() {
        let idx = corpus();
        let hits = idx.rank(&q("cat"));
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [2, 0]);

        // "mat" (1 doc) is rarer than "sat" (2 docs): the doc with "mat" wins a "sat mat" query.
        let hits = idx.rank(&q("sat mat"));
        assert_eq!(hits[0].doc, 0);
        assert_eq!(hits.len(), 2);

        // Same term frequency, longer document: lower score.
        let idx = Bm25::new([
            doc("key rotate"),
            doc("key rotate a b c d e f"),
            doc("other words here"),
        ]);
        let s = idx.scores(&q("rotate"));
        assert!(s[0] > s[1] && s[1] > 0.0, "{s:?}");
    }

    #[test]
    fn weights_act_as_term_frequency() {
        let weighted = Bm25::new([vec![("x".to_owned(), 2.0), ("y".to_owned(), 1.0)], doc("z")]);
        let repeated = Bm25::new([doc("x x y"), doc("z")]);
        assert_eq!(weighted.scores(&q("x")), repeated.scores(&q("x")));
        let half = weighted.scores(&[("x".to_owned(), 0.5)]);
        assert!((half[0] * 2.0 - weighted.scores(&q("x"))[0]).abs() < 1e-12);
    }

    #[test]
    fn unknown_terms_score_nothing_but_raise_the_ceiling() {
        let idx = corpus();
        assert!(idx.rank(&q("weather paris")).is_empty());
        assert!(idx.max_idf(&q("cat paris")) > idx.max_idf(&q("cat")));
        assert!(idx.idf("paris") > idx.idf("cat"));
        assert!(Bm25::new(Vec::<Vec<(String, f64)>>::new())
            .rank(&q("cat"))
            .is_empty());
    }
}
