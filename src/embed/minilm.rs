//! all-MiniLM-L6-v2 in process: the Hugging Face tokenizer (WordPiece, lower-cased) and the BERT
//! encoder (`encoder`, packed sequences), mean-pooled over the tokens and normalised, as
//! sentence-transformers computes it. Texts are cut at `MAX_TOKENS` word pieces (the model's own
//! limit), so a long message costs at most one 256-token pass.

use super::encoder::{Dims, Encoder};
use super::{package, EmbedError};
use crate::analysis::semantic::{EmbedFailure, Embedder, Embedding};
use std::path::Path;
use tokenizers::Tokenizer;

/// The model's `max_seq_length`: word pieces beyond it are not read.
pub const MAX_TOKENS: usize = 256;

/// A customer message is read up to this many word pieces (the length the model was trained on;
/// a turn's cost grows with it, and rambling past ~90 words rarely changes what it is about).
const MESSAGE_TOKENS: usize = 128;

/// Word pieces packed into one encoder pass at most (memory: a few MB of activations).
const PASS_TOKENS: usize = 4096;

pub struct MiniLm {
    encoder: Encoder,
    tokenizer: Tokenizer,
    id: String,
}

impl MiniLm {
    /// Loads the verified model folder (`package::fetch` makes it).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        package::verify(dir)?;
        let dims: Dims = serde_json::from_slice(&package::read(dir, "config.json")?)
            .map_err(EmbedError::Config)?;
        let tokenizer = package::tokenizer(dir, MAX_TOKENS.min(dims.max_position_embeddings))?;
        let encoder = Encoder::load(dims, &package::read(dir, "model.safetensors")?)?;
        Ok(Self {
            encoder,
            tokenizer,
            id: package::model_id(),
        })
    }

    fn run(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        let encodings = texts
            .iter()
            .map(|t| self.tokenizer.encode(*t, true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(EmbedError::Tokenizer)?;
        let mut out = Vec::with_capacity(texts.len());
        let mut pass: Vec<&[u32]> = Vec::new();
        let mut tokens = 0;
        for enc in &encodings {
            let ids = enc.get_ids();
            if !pass.is_empty() && tokens + ids.len() > PASS_TOKENS {
                out.extend(self.encoder.encode(&pass)?);
                pass.clear();
                tokens = 0;
            }
            pass.push(ids);
            tokens += ids.len();
        }
        if !pass.is_empty() {
            out.extend(self.encoder.encode(&pass)?);
        }
        Ok(out.into_iter().map(Embedding::normalized).collect())
    }
}

impl Embedder for MiniLm {
    fn id(&self) -> &str {
        &self.id
    }

    fn embed(&self, text: &str) -> Result<Embedding, EmbedFailure> {
        self.run(&[text])
            .map_err(EmbedFailure::new)?
            .pop()
            .ok_or_else(|| EmbedFailure::new(EmbedError::Empty))
    }

    /// All of `texts` in as few packed passes as fit (`PASS_TOKENS` word pieces each).
    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedFailure> {
        self.run(texts).map_err(EmbedFailure::new)
    }

    /// One pass over `text`: the whole is the usual embedding (as `embed` gives it, but read to
    /// `MESSAGE_TOKENS`), each part the mean of its own word pieces' hidden states in that pass
    /// ("late chunking"). A part past the cut reads as the whole.
    fn embed_parts(
        &self,
        text: &str,
        parts: &[std::ops::Range<usize>],
    ) -> Result<(Embedding, Vec<Embedding>), EmbedFailure> {
        self.parts(text, parts).map_err(EmbedFailure::new)
    }
}

impl MiniLm {
    fn parts(
        &self,
        text: &str,
        parts: &[std::ops::Range<usize>],
    ) -> Result<(Embedding, Vec<Embedding>), EmbedError> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(EmbedError::Tokenizer)?;
        let mut ids = enc.get_ids().to_vec();
        if ids.len() > MESSAGE_TOKENS {
            // Keep the closing [SEP]: the model reads a cut text as a whole one.
            let sep = ids[ids.len() - 1];
            ids.truncate(MESSAGE_TOKENS - 1);
            ids.push(sep);
        }
        let ids = ids.as_slice();
        let special = &enc.get_special_tokens_mask()[..ids.len()];
        let offsets = &enc.get_offsets()[..ids.len()];
        // Word pieces are in text order, so a part's pieces are one run of positions.
        let runs: Vec<Option<std::ops::Range<usize>>> = parts
            .iter()
            .map(|r| {
                // The last position is [SEP] even where the cut put it over a word piece.
                let inside = |i: &usize| {
                    *i + 1 < ids.len()
                        && special.get(*i) == Some(&0)
                        && offsets
                            .get(*i)
                            .is_some_and(|&(a, b)| a >= r.start && b <= r.end && b > a)
                };
                let first = (0..ids.len()).find(inside)?;
                let last = (0..ids.len()).rev().find(inside)?;
                Some(first..last + 1)
            })
            .collect();
        // The whole text first, then each part that survived the cut.
        let pools: Vec<std::ops::Range<usize>> = std::iter::once(0..ids.len())
            .chain(runs.iter().flatten().cloned())
            .collect();
        let mut pooled = self.encoder.encode_pooled(ids, &pools)?.into_iter();
        let whole = Embedding::normalized(pooled.next().ok_or(EmbedError::Empty)?);
        let mut out = Vec::with_capacity(parts.len());
        for run in &runs {
            let v = match run {
                Some(_) => pooled.next().map(Embedding::normalized),
                None => Some(whole.clone()),
            };
            out.push(v.ok_or(EmbedError::Empty)?);
        }
        Ok((whole, out))
    }
}
