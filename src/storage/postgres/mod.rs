//! The Postgres store, for cluster mode: several gateway nodes write the same database. Each
//! concern of the `Store` is implemented in its own file, as in the SQLite store; what a batch
//! writes is decided by `storage::batch`, shared with it.
//!
//! Contract (beyond `storage`'s):
//! - `apply_batch` locks the rows of the conversations it appends to (`FOR UPDATE`, in id order,
//!   so two nodes never wait on each other in a cycle) and reads their `last_seq` under the lock:
//!   `seq` stays gap-free and in commit order across nodes. Nothing is cached between batches;
//!   another node may have written since.
//! - Every touched conversation row is written in the batch's transaction (no lazy flush): the
//!   row is always as current as the log, for every node's readers.
//! - A resend's `clientMsgId` is stored once across nodes: the writer checks the stored keys
//!   under the lock, and a unique index backs it.
//! - Commits are durable before they are acknowledged: `synchronous_commit = on`.

mod accounts;
mod attachments;
mod calls;
mod email;
mod log;
mod review;
mod workspace;

use crate::storage::{Result, StorageError, Store};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects with up to `connections` connections and brings the schema up to date (nodes
    /// starting together migrate once: sqlx takes an advisory lock).
    pub async fn open(url: &str, connections: u32) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?
            .options([("synchronous_commit", "on")])
            .application_name("warmline");
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool, for `storage::copy`.
    pub(in crate::storage) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    async fn backup_into(&self, _path: &std::path::Path) -> Result<()> {
        Err(StorageError::Unsupported(
            "a Postgres store is backed up with pg_dump or the server's own backups, not `warmline backup`",
        ))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
