//! The one error type of the service port: what went wrong, in the service's terms, with the
//! cause kept as its `source` (a storage, handoff, media or I/O error) instead of flattened to a
//! string. `http::error` owns the only mapping from these to a status and a wire `code`; the
//! services never name a status.
//!
//! `kind()` is the classification the edges read (HTTP answers, WebSocket `error` frames, logs);
//! the variants carry the words a client is shown. Internal causes are never shown: the edge logs
//! them with their whole source chain and answers a generic message.

use crate::storage::StorageError;

/// Errors from outside the service's own terms, with their chain.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request itself is wrong: a missing, malformed or out-of-range field.
    #[error("{0}")]
    Invalid(String),
    /// No valid credentials: unknown, expired or revoked token; wrong password; forged link.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or one the caller may not see (the two look the same from outside).
    #[error("{0}")]
    NotFound(String),
    /// It already exists, or the resource is not in a state that allows it.
    #[error("{0}")]
    Conflict(String),
    /// A handoff step out of order; `code` is the stable name clients switch on
    /// (`briefing_not_opened`, `offer_expired`, ...).
    #[error("{1}")]
    OutOfOrder(&'static str, String),
    /// A message, upload or field over its configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// An upload whose bytes are not one of the allowed types.
    #[error("{0}")]
    UnsupportedType(String),
    /// Over a per-caller or per-conversation allowance.
    #[error("{0}")]
    RateLimited(String),
    /// A dependency is not there right now (shutting down, media server closed); retry later.
    #[error("{context}")]
    Unavailable {
        context: String,
        #[source]
        source: Option<Cause>,
    },
    /// A file could not be written because the disk under the data directory is full.
    #[error("{context}")]
    DiskFull {
        context: String,
        #[source]
        source: Cause,
    },
    /// The store refused or failed; `kind()` tells a full disk and a stopped writer from a bug.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A failure the service did not foresee; `context` says what it was doing.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Cause>,
    },
}

/// How an edge should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    OutOfOrder(&'static str),
    TooLarge,
    UnsupportedType,
    RateLimited,
    /// Nothing was saved because the disk is full or failing; it can succeed once there is room.
    StorageFull,
    Unavailable,
    Internal,
}

impl ServiceError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::Unauthenticated(_) => ErrorKind::Unauthenticated,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::OutOfOrder(code, _) => ErrorKind::OutOfOrder(code),
            Self::TooLarge(_) => ErrorKind::TooLarge,
            Self::UnsupportedType(_) => ErrorKind::UnsupportedType,
            Self::RateLimited(_) => ErrorKind::RateLimited,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::DiskFull { .. } => ErrorKind::StorageFull,
            Self::Storage(e) if e.is_disk_trouble() => ErrorKind::StorageFull,
            Self::Storage(StorageError::Conflict(_)) => ErrorKind::Conflict,
            Self::Storage(StorageError::WriterGone)
            | Self::Storage(StorageError::Database(sqlx::Error::PoolTimedOut)) => {
                ErrorKind::Unavailable
            }
            Self::Storage(_) | Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    pub fn conversation_not_found() -> Self {
        Self::NotFound("conversation not found".into())
    }

    /// An unforeseen failure while doing `context`, keeping `source` as the cause.
    pub fn internal(context: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// An unforeseen state with no underlying error (a bug or a broken invariant).
    pub fn bug(context: impl Into<String>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// A dependency not there right now, keeping its error as the cause.
    pub fn unavailable(context: impl Into<String>, source: impl Into<Cause>) -> Self {
        Self::Unavailable {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// The message and every cause under it, for the log line at the edge.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_are_classified_by_what_happened() {
        let full = ServiceError::from(StorageError::Full("no space left".into()));
        assert_eq!(full.kind(), ErrorKind::StorageFull);
        let gone = ServiceError::from(StorageError::WriterGone);
        assert_eq!(gone.kind(), ErrorKind::Unavailable);
        let taken = ServiceError::from(StorageError::Conflict("user sam".into()));
        assert_eq!(taken.kind(), ErrorKind::Conflict);
        let corrupt = ServiceError::from(StorageError::Corrupt("bad row".into()));
        assert_eq!(corrupt.kind(), ErrorKind::Internal);
    }

    #[test]
    fn the_chain_keeps_every_cause() {
        let io = std::io::Error::other("disk on fire");
        let e = ServiceError::internal("writing the thumbnail", io);
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert_eq!(e.chain(), "writing the thumbnail: disk on fire");
        let e = ServiceError::from(StorageError::CommitFailed("busy".into()));
        assert_eq!(e.chain(), "commit failed: busy");
    }
}
