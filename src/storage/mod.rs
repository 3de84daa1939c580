//! Durable storage, split by concern into traits that together make a [`Store`]: the
//! conversation log ([`EventLog`]), users and sessions ([`Accounts`]), calls and recordings
//! ([`CallRecords`]), review ([`ReviewStore`]), the outbox ([`Outbox`]), the team's settings
//! ([`Workspace`]) and attachments ([`AttachmentStore`]). SQLite is the embedded default; another
//! store sits beside it (chosen by the URL's scheme in `open`) without touching callers.
//!
//! Contract:
//! - `apply_batch` commits every write of the batch in one transaction, durably (the SQLite
//!   implementation runs WAL with `synchronous=FULL`), and is called by one writer only: the
//!   `journal`, which groups concurrent writes into batches. Nothing is reported committed before the
//!   commit returns.
//! - Events of one conversation get `seq` 1, 2, 3… with no gaps, in commit order; a resend with a
//!   recent `client_id` is stored once. Both, and the header/summary projection, are decided by
//!   [`batch`], which every store shares; a store only does the IO.
//! - Secrets (passwords, tokens) never reach the store in clear: it sees argon2 hashes and SHA-256
//!   digests.

mod accounts;
mod attachments;
pub mod batch;
mod calls;
pub(crate) mod codec;
pub mod copy;
pub mod journal;
mod listing;
mod log;
mod outbox;
pub mod postgres;
mod review;
pub(crate) mod rows;
pub mod sqlite;
pub mod state;
mod window;
mod workspace;

pub use accounts::{Accounts, ApiKeyInfo, NewToken, NewUser, TokenKind};
pub use attachments::AttachmentStore;
pub use calls::CallRecords;
pub use listing::{ListCursor, SearchTerms};
pub use log::{EventLog, WriteOp, WriteOutcome};
pub use outbox::{EmailOutcome, NewWebhook, Outbox, QueuedEmail, QueuedWebhook, WebhookOutcome};
pub use review::ReviewStore;
pub use window::MessageWindow;
pub use workspace::Workspace;

use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?} (supported: sqlite://PATH, postgres://USER@HOST/DB)")]
    UnsupportedUrl(String),
    /// The store cannot do this; the message says what to use instead.
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The disk under the database is full (or failing writes): nothing of the write was kept.
    #[error("the database's disk is full or failing: {0}")]
    Full(String),
    #[error("the writer has stopped")]
    WriterGone,
}

impl StorageError {
    /// True for SQLite's "disk full" and I/O failures (`SQLITE_FULL`, `SQLITE_IOERR_*`): the
    /// write was refused by the disk, not by a bug, and can succeed once there is room.
    pub fn is_disk_trouble(&self) -> bool {
        match self {
            StorageError::Full(_) => true,
            StorageError::Database(sqlx::Error::Database(db)) => db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 10 | 13)),
            StorageError::Database(sqlx::Error::Io(_)) => true,
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A whole store: every concern, plus what concerns the database as a whole.
#[async_trait]
pub trait Store:
    EventLog + Accounts + CallRecords + ReviewStore + Outbox + Workspace + AttachmentStore + 'static
{
    /// Writes a consistent copy of the whole store to the new file `path` while writes go on:
    /// everything committed before the copy began, nothing after.
    async fn backup_into(&self, path: &std::path::Path) -> Result<()>;

    /// Cheap liveness probe of the database.
    async fn ping(&self) -> Result<()>;
}

/// Opens the store named by `url`, creating and migrating it as needed.
pub async fn open(url: &str, read_connections: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::open(url, read_connections).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        // The writer (the journal) and the readers share one pool: a reader never waits for a
        // commit in Postgres, so there is no reason to keep them apart.
        Ok(Arc::new(
            postgres::PgStore::open(url, read_connections + 1).await?,
        ))
    } else {
        Err(StorageError::UnsupportedUrl(url.to_owned()))
    }
}
