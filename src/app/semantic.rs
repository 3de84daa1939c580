//! Loading the embedding model at start: `[semantic]` says whether and from where. A missing or
//! damaged model is an error only with `required = true`; otherwise the gateway runs on its lexical
//! fallbacks and the log says how to fetch the model. The model is wrapped in a memo so a message
//! is embedded once per turn (the analysis, then the assistant).

use crate::analysis::semantic::Embedder;
use crate::config::Config;
use crate::embed::{EmbedError, Memo, MiniLm};
use std::sync::Arc;

/// Vector caches live in this directory below `data_dir`.
pub const VECTORS_DIR: &str = "cache/vectors";

pub fn load(config: &Config) -> Result<Option<Arc<dyn Embedder>>, EmbedError> {
    if !config.semantic.enabled {
        return Ok(None);
    }
    let dir = config.semantic.model_dir(&config.data_dir);
    match MiniLm::load(&dir) {
        Ok(model) => {
            tracing::info!(model = model.id(), dir = %dir.display(), "semantic layer on");
            Ok(Some(Arc::new(Memo::new(Arc::new(model)))))
        }
        Err(e) if config.semantic.required => Err(e),
        Err(e) => {
            tracing::warn!(
                error = %e,
                "semantic layer off: retrieval, intent and matching use words only (`warmline models fetch` gets the model)"
            );
            Ok(None)
        }
    }
}
