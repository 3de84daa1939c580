//! Sentence meaning as the engines see it: unit-length embedding vectors, compared by cosine.
//!
//! Contract:
//! - [`Embedder`] turns text into an [`Embedding`]; the model behind it (all-MiniLM-L6-v2 in
//!   `crate::embed`) is chosen by `app`. Engines take an `&dyn Embedder` (or vectors computed
//!   beforehand) and never load models themselves, so everything here stays pure and testable
//!   with a stand-in embedder.
//! - An embedding is normalised once when it is made, so the cosine of two embeddings is their
//!   dot product, in [-1, 1]. Embeddings of different models never meet: an index remembers the
//!   model id it was built with.
//! - Embedding can fail (a model error); every caller has a lexical fallback, so a failure costs
//!   quality, never an answer.

use std::sync::Arc;

/// A unit-length sentence vector.
#[derive(Clone, PartialEq)]
pub struct Embedding(Arc<[f32]>);

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding({} dims)", self.0.len())
    }
}

impl Embedding {
    /// `v` scaled to unit length; a zero or non-finite vector stays all zeros (similar to nothing).
    pub fn normalized(mut v: Vec<f32>) -> Self {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm.is_finite() && norm > 0.0 {
            for x in &mut v {
                *x /= norm;
            }
        } else {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        Self(v.into())
    }

    /// A vector that was normalised when it was stored (the vector cache), taken as it is.
    pub fn from_unit(v: Vec<f32>) -> Self {
        Self(v.into())
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    pub fn dims(&self) -> usize {
        self.0.len()
    }

    /// Cosine similarity in [-1, 1]; 0 for vectors of different sizes.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }
}

/// Why an embedding could not be made.
#[derive(Debug, thiserror::Error)]
#[error("embedding failed: {source}")]
pub struct EmbedFailure {
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl EmbedFailure {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            source: Box::new(e),
        }
    }
}

/// A sentence-embedding model.
pub trait Embedder: Send + Sync {
    /// Names the model and its weights (vectors of different ids are not comparable).
    fn id(&self) -> &str;

    fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure>;

    /// Several texts at once; the default embeds them one by one.
    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedFailure> {
        texts.iter().map(|t| self.embed(t)).collect()
    }

    /// `text` as a whole, and each of its `parts` (byte ranges of `text`, e.g. its sentences).
    /// The default embeds the parts as texts of their own; a model may instead read them in the
    /// context of the whole text, from the same pass (one model run for a message).
    fn embed_parts(
        &self,
        text: &str,
        parts: &[std::ops::Range<usize>],
    ) -> Result<(Embedding, Vec<Embedding>), EmbedFailure> {
        let mut batch = Vec::with_capacity(parts.len() + 1);
        batch.push(text);
        batch.extend(parts.iter().filter_map(|r| text.get(r.clone())));
        let mut all = self.embed_all(&batch)?;
        if all.is_empty() {
            return Err(EmbedFailure::new(std::io::Error::other(
                "no vector for the text",
            )));
        }
        let whole = all.remove(0);
        Ok((whole, all))
    }
}

/// A message in embedding space: each of its sentences, and the message as a whole (their
/// mean). A long message that tells a story around its problem is diluted as one text; its
/// sentences are not, so a search can match the one sentence that names the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageVectors {
    pub whole: Embedding,
    pub sentences: Vec<Embedding>,
}

impl MessageVectors {
    /// The best cosine of the whole message or any of its sentences with `v`.
    pub fn best_cosine(&self, v: &Embedding) -> f32 {
        self.sentences
            .iter()
            .map(|s| s.cosine(v))
            .fold(self.whole.cosine(v), f32::max)
    }
}

/// Most sentences of one message embedded (the rest are read only as part of the whole).
const MAX_SENTENCES: usize = 8;

/// The sentences of `text` worth embedding: split at sentence ends and line breaks, without
/// fragments of fewer than three words ("Hi team.", "Thanks!").
pub fn sentences(text: &str) -> Vec<&str> {
    sentence_ranges(text)
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

/// Where `sentences` are in `text` (byte ranges, trimmed).
pub fn sentence_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut keep = |from: usize, to: usize| {
        let raw = &text[from..to];
        let lead = raw.len() - raw.trim_start().len();
        let s = raw.trim();
        if s.split_whitespace().count() >= 3 {
            out.push(from + lead..from + lead + s.len());
        }
    };
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // "hooks.acme.io", "v2.3", "401!!": a stop ends a sentence only before a space or the end.
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' => chars.peek().is_none_or(|&(_, n)| n.is_whitespace()),
            _ => false,
        };
        if ends {
            keep(start, i + c.len_utf8());
            start = i + c.len_utf8();
        }
    }
    keep(start, text.len());
    out.truncate(MAX_SENTENCES);
    out
}

/// `text` embedded sentence by sentence, and as a whole (the sentences' mean; the text itself when
/// it is one sentence or has none worth embedding apart). The text and its sentences come from
/// one `embed_parts` call (with the model: one pass over the message, which intent and mood then
/// read from the memo).
pub fn embed_message(model: &dyn Embedder, text: &str) -> Result<MessageVectors, EmbedFailure> {
    let parts = sentence_ranges(text);
    if parts.len() <= 1 {
        let whole = model.embed(text)?;
        return Ok(MessageVectors {
            sentences: vec![whole.clone()],
            whole,
        });
    }
    let (_, sentences) = model.embed_parts(text, &parts)?;
    let dims = sentences.first().map_or(0, Embedding::dims);
    let mut sum = vec![0f32; dims];
    for v in &sentences {
        for (a, b) in sum.iter_mut().zip(v.as_slice()) {
            *a += b;
        }
    }
    Ok(MessageVectors {
        whole: Embedding::normalized(sum),
        sentences,
    })
}

/// Labelled vectors searched by cosine: knowledge-base passages, intent examples.
#[derive(Debug, Clone, Default)]
pub struct VectorIndex<L> {
    items: Vec<(L, Embedding)>,
}

impl<L> VectorIndex<L> {
    pub fn new(items: Vec<(L, Embedding)>) -> Self {
        Self { items }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[(L, Embedding)] {
        &self.items
    }

    /// Every item with its similarity to `query`, most similar first (ties keep index order).
    pub fn ranked(&self, query: &Embedding) -> Vec<(&L, f32)> {
        let mut out: Vec<(usize, f32)> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, (_, e))| (i, query.cosine(e)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.into_iter()
            .filter_map(|(i, s)| self.items.get(i).map(|(l, _)| (l, s)))
            .collect()
    }
}

#[cfg(test)]
pub mod stand_in {
    //! A deterministic stand-in for tests of the engines: a bag of hashed word stems, so texts
    //! sharing words are similar. It has none of a real model's knowledge of paraphrase.

    use super::{EmbedFailure, Embedder, Embedding};

    pub struct BagOfWords;

    const DIMS: usize = 256;

    impl Embedder for BagOfWords {
        fn id(&self) -> &str {
            "test:bag-of-words"
        }

        fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
            let mut v = vec![0f32; DIMS];
            for w in text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
            {
                let w = w.to_lowercase();
                let stem: String = w.chars().take(5).collect();
                let h = stem.bytes().fold(2166136261u32, |h, b| {
                    (h ^ u32::from(b)).wrapping_mul(16777619)
                });
                v[h as usize % DIMS] += 1.0;
            }
            Ok(Embedding::normalized(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stand_in::BagOfWords;
    use super::*;

    #[test]
    fn normalised_vectors_have_unit_cosine_with_themselves() {
        let e = Embedding::normalized(vec![3.0, 4.0]);
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert_eq!(e.as_slice(), &[0.6, 0.8]);
        let zero = Embedding::normalized(vec![0.0, 0.0]);
        assert_eq!(zero.cosine(&e), 0.0);
        let nan = Embedding::normalized(vec![f32::NAN, 1.0]);
        assert_eq!(nan.as_slice(), &[0.0, 0.0]);
        assert_eq!(e.cosine(&Embedding::normalized(vec![1.0])), 0.0);
    }

    #[test]
    fn index_ranks_by_similarity() {
        let m = BagOfWords;
        let items = [
            "refund my invoice",
            "webhook signature failing",
            "reset password",
        ]
        .iter()
        .map(|t| (*t, m.embed(t).unwrap()))
        .collect();
        let index = VectorIndex::new(items);
        let q = m.embed("my webhook signatures keep failing").unwrap();
        let ranked = index.ranked(&q);
        assert_eq!(*ranked[0].0, "webhook signature failing");
        assert!(ranked[0].1 > ranked[1].1);
    }
}
