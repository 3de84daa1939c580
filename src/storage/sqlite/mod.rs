//! The SQLite store: one writer connection (WAL, `synchronous=FULL`) fed by the journal, and a pool
//! of read-only connections for queries. Each concern of the `Store` is implemented in its own
//! file: the log (`log`), users and sessions (`accounts`), and the rest, which delegate to the
//! files holding their SQL (`delegates`).
//!
//! One gateway process owns the database file: the writer's state cache assumes no other writer.

mod accounts;
mod attachments;
mod canned;
mod customers;
mod delegates;
mod email;
mod log;
mod review;
mod sites;

use crate::storage::state::StateCache;
use crate::storage::{Result, Store};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// WAL pages after which a commit also checkpoints (SQLite's default is 1000).
const AUTOCHECKPOINT_PAGES: &str = "1000";

/// Conversation states cached by the writer before the cache is dropped and rebuilt on demand.
const CACHE_LIMIT: usize = 50_000;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    cache: StateCache,
}

impl SqliteStore {
    /// The read-only pool, for `storage::copy`.
    pub(in crate::storage) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub async fn open(url: &str, read_connections: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        // The writer keeps a large page cache (the hot index pages of the log) and checkpoints the
        // WAL itself, inside a commit, once it exceeds `AUTOCHECKPOINT_PAGES`. Checkpointing from a
        // second connection was tried: the writer then meets the checkpointer's WAL locks, gets
        // SQLITE_BUSY and sleeps in SQLite's busy handler for ~200 ms at a time.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(
                opts.clone()
                    .pragma("cache_size", "-65536")
                    .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES),
            )
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(read_connections)
            .connect_with(opts.clone().read_only(true))
            .await?;
        Ok(Self {
            writer,
            reader,
            cache: StateCache::new(CACHE_LIMIT),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn backup_into(&self, path: &std::path::Path) -> Result<()> {
        // One read transaction: the copy is the snapshot at its start; the writer goes on.
        let target = path.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}
