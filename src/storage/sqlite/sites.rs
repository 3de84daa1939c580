//! The SQLite side of sites (`domain::site`). `SqliteStore` delegates here.

use crate::domain::site::Site;
use crate::storage::codec::ms;
use crate::storage::rows::{site, SiteRow, SITE_COLUMNS};
use crate::storage::{Result, StorageError};
use sqlx::SqlitePool;

pub(super) async fn list(reader: &SqlitePool) -> Result<Vec<Site>> {
    let rows: Vec<SiteRow> = sqlx::query_as(&format!(
        "SELECT {SITE_COLUMNS} FROM sites ORDER BY name, id"
    ))
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(site).collect()
}

pub(super) async fn create(writer: &SqlitePool, site: &Site) -> Result<()> {
    insert(writer, site, "").await
}

/// Inserts `site`; `on_conflict` is appended to the statement (empty: a duplicate id fails).
async fn insert(writer: &SqlitePool, site: &Site, on_conflict: &str) -> Result<()> {
    let origins = serde_json::to_string(&site.origins)
        .map_err(|e| StorageError::Corrupt(format!("site origins: {e}")))?;
    sqlx::query(&format!(
        "INSERT INTO sites ({SITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) {on_conflict}"
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
