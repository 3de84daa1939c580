//! The one error type of the assistant module. Messages are written for the operator reading the
//! gateway log: they say which backend or file failed and why, never a secret.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    /// The `[assistant]` configuration is unusable (bad URL, out-of-range threshold, ...).
    #[error("assistant config: {0}")]
    Config(String),

    /// A knowledge-base file or folder could not be read.
    #[error("knowledge base: cannot read {path}: {source}")]
    KbIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A knowledge base was read but its content is unusable (no title, bad action id, empty).
    #[error("knowledge base: {0}")]
    Kb(String),

    /// The external backend could not be reached or the connection broke.
    #[error("assistant backend {backend}: request failed: {detail}")]
    Transport { backend: String, detail: String },

    /// The external backend did not answer within the configured time.
    #[error("assistant backend {backend}: no answer within {timeout_ms} ms")]
    Timeout { backend: String, timeout_ms: u64 },

    /// The external backend answered with a non-2xx status.
    #[error("assistant backend {backend}: HTTP {status}: {body}")]
    Status {
        backend: String,
        status: u16,
        body: String,
    },

    /// The external backend answered 2xx but the body is not a usable reply.
    #[error("assistant backend {backend}: invalid reply: {detail}")]
    InvalidReply { backend: String, detail: String },
}
