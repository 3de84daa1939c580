//! `warmline migrate`: a single-node SQLite database copied into an empty Postgres database, for
//! a team moving to cluster mode.
//!
//! Contract:
//! - Every row is copied as it is: conversation keys, `seq` numbers, `clientMsgId`s (a resend
//!   after the move is still recognised), ids, password hashes and token digests (sessions and
//!   keys keep working), outbox rows with their attempts.
//! - The target must be empty (no conversations, no users); the copy is one Postgres transaction,
//!   so a failed copy leaves it empty.
//! - SQLite's conversation rows may lag its log (they are flushed about once a second); the copy
//!   brings each lagging row up to date from the log, as the Postgres store keeps them.
//! - The gateway on the SQLite file should be stopped: writes made during the copy are not in it.

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::state::RowWrite;
use super::{Result, StorageError};
use sqlx::{Postgres, QueryBuilder, Row};

/// Tables in the order their references need, with the column that orders their rows.
const TABLES: &[&str] = &[
    "users",
    "conversations",
    "events",
    "tokens",
    "handoffs",
    "audit_log",
    "webhook_outbox",
    "canned_responses",
    "sites",
    "attachments",
    "email_outbox",
];

/// Identity columns whose sequences continue after the copied rows.
const IDENTITIES: &[(&str, &str)] = &[
    ("conversations", "key"),
    ("events", "pos"),
    ("audit_log", "id"),
    ("webhook_outbox", "id"),
    ("email_outbox", "id"),
];

/// Rows read and inserted at a time (Postgres takes at most 65535 bound values per statement).
const CHUNK: i64 = 1000;

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: u64,
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Float,
    Text,
}

/// Copies the SQLite database at `from` into the empty Postgres database at `to` (created and
/// migrated as needed), calling `progress` after each table. Returns the row count per table,
/// plus the number of conversation rows brought up to date as `conversations (caught up)`.
pub async fn sqlite_to_postgres(
    from: &str,
    to: &str,
    progress: &mut (dyn FnMut(&Copied) + Send),
) -> Result<Vec<Copied>> {
    let source = SqliteStore::open(from, 2).await?;
    let target = PgStore::open(to, 2).await?;
    let mut tx = target.pool().begin().await?;
    let present: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM conversations) + (SELECT COUNT(*) FROM users)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if present > 0 {
        return Err(StorageError::Conflict(
            "the target database already has conversations or users: migrate into an empty one"
                .into(),
        ));
    }
    let mut copied = Vec::new();
    for &table in TABLES {
        let rows = copy_table(&source, &mut tx, table).await?;
        let c = Copied { table, rows };
        progress(&c);
        copied.push(c);
    }
    for (table, column) in IDENTITIES {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                           COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    let caught_up = catch_up_rows(&source, &mut tx).await?;
    let c = Copied {
        table: "conversations (caught up)",
        rows: caught_up,
    };
    progress(&c);
    copied.push(c);
    tx.commit().await?;
    Ok(copied)
}

/// The target's columns of `table` (generated ones left out) and how to carry each.
async fn columns(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &str,
) -> Result<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
          ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(name, ty)| {
            let kind = match ty.as_str() {
                "bigint" | "integer" => Kind::Int,
                "double precision" | "real" => Kind::Float,
                "text" => Kind::Text,
                other => {
                    return Err(StorageError::Corrupt(format!(
                        "{table}.{name}: no copy for Postgres type {other}"
                    )))
                }
            };
            Ok((name, kind))
        })
        .collect()
}

async fn copy_table(
    source: &SqliteStore,
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &'static str,
) -> Result<u64> {
    let cols = columns(tx, table).await?;
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let list = names.join(", ");
    let mut after = i64::MIN;
    let mut total = 0u64;
    loop {
        let rows = sqlx::query(&format!(
            "SELECT rowid, {list} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
        ))
        .bind(after)
        .bind(CHUNK)
        .fetch_all(source.reader())
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.try_get(0)?;
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "INSERT INTO {table} ({list}) OVERRIDING SYSTEM VALUE "
        ));
        let mut bad = None;
        qb.push_values(&rows, |mut b, row| {
            for (i, (name, kind)) in cols.iter().enumerate() {
                let at = i + 1;
                let bound = match kind {
                    Kind::Int => row.try_get::<Option<i64>, _>(at).map(|v| {
                        b.push_bind(v);
                    }),
                    Kind::Float => row.try_get::<Option<f64>, _>(at).map(|v| {
                        b.push_bind(v);
                    }),
                    Kind::Text => row.try_get::<Option<String>, _>(at).map(|v| {
                        b.push_bind(v);
                    }),
                };
                if let Err(e) = bound {
                    bad.get_or_insert_with(|| format!("{table}.{name}: {e}"));
                    b.push_bind(None::<String>);
                }
            }
        });
        if let Some(bad) = bad {
            return Err(StorageError::Corrupt(bad));
        }
        qb.build().execute(&mut **tx).await?;
        total += rows.len() as u64;
    }
    Ok(total)
}

/// Brings every copied conversation row whose SQLite row lagged the log up to date.
async fn catch_up_rows(
    source: &SqliteStore,
    tx: &mut sqlx::Transaction<'_, Postgres>,
) -> Result<u64> {
    let lagging: Vec<String> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c
          WHERE c.last_seq < (SELECT MAX(e.seq) FROM events e WHERE e.conversation_key = c.key)",
    )
    .fetch_all(source.reader())
    .await?;
    let mut n = 0;
    for id in lagging {
        let Some(state) = source
            .current_state(&crate::domain::ConversationId(id))
            .await?
        else {
            continue;
        };
        let row = RowWrite::of(&state, true)?;
        sqlx::query(
            "UPDATE conversations SET status = $2, skill = $3, header = $4, summary = $5,
                    last_seq = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(&row.id)
        .bind(row.status)
        .bind(&row.skill)
        .bind(row.header.as_deref().unwrap_or_default())
        .bind(&row.summary)
        .bind(row.last_seq)
        .bind(row.updated_at)
        .execute(&mut **tx)
        .await?;
        n += 1;
    }
    Ok(n)
}
