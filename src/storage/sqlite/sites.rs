//! The SQLite side of sites (`domain::site`). `SqliteStore` delegates here.

use crate::domain::site::Site;
use crate::storage::codec::{from_ms, ms};
use crate::storage::{Result, StorageError};
use sqlx::SqlitePool;

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

const COLUMNS: &str =
    "id, name, origins, secret, color, greeting, conversations_per_minute, created_at";

fn parse(row: Row) -> Result<Site> {
    let (id, name, origins, secret, color, greeting, per_minute, created_at) = row;
    let origins: Vec<String> = serde_json::from_str(&origins)
        .map_err(|e| StorageError::Corrupt(format!("site {id} origins: {e}")))?;
    Ok(Site {
        id,
        name,
        origins,
        secret,
        color,
        greeting,
        conversations_per_minute: u32::try_from(per_minute).unwrap_or(0),
        created_at: from_ms(created_at)?,
    })
}

pub(super) async fn list(reader: &SqlitePool) -> Result<Vec<Site>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM sites ORDER BY name, id"))
        .fetch_all(reader)
        .await?;
    rows.into_iter().map(parse).collect()
}

pub(super) async fn create(writer: &SqlitePool, site: &Site) -> Result<()> {
    insert(writer, site, "").await
}

/// Inserts `site`; `on_conflict` is appended to the statement (empty: a duplicate id fails).
async fn insert(writer: &SqlitePool, site: &Site, on_conflict: &str) -> Result<()> {
    let origins = serde_json::to_string(&site.origins)
        .map_err(|e| StorageError::Corrupt(format!("site origins: {e}")))?;
    sqlx::query(&format!(
        "INSERT INTO sites ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) {on_conflict}"
    ))
    .bind(&site.id)
    .bind(&site.name)
    .bind(origins)
    .bind(&site.secret)
    .bind(&site.color)
    .bind(&site.greeting)
    .bind(i64::from(site.conversations_per_minute))
    .bind(ms(site.created_at))
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn delete(writer: &SqlitePool, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sites WHERE id = ?")
        .bind(id)
        .execute(writer)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn set_secret(writer: &SqlitePool, id: &str, secret: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE sites SET secret = ? WHERE id = ?")
        .bind(secret)
        .bind(id)
        .execute(writer)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Creates the site, or brings an existing one with its id to these settings (its creation time
/// stays): a site declared in the configuration file, applied at every start.
pub(super) async fn upsert(writer: &SqlitePool, site: &Site) -> Result<()> {
    insert(
        writer,
        site,
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, origins = excluded.origins,
           secret = excluded.secret, color = excluded.color, greeting = excluded.greeting,
           conversations_per_minute = excluded.conversations_per_minute",
    )
    .await
}
