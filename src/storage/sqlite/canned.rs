//! The SQLite side of canned responses. `SqliteStore` delegates here; a change and its audit entry
//! are written in one transaction on the writer connection, so neither is kept without the other.

use crate::domain::canned::CannedResponse;
use crate::domain::AuditEntry;
use crate::storage::codec::ms;
use crate::storage::rows::{canned, CannedRow, CANNED_COLUMNS};
use crate::storage::{Result, StorageError};
use sqlx::{SqliteConnection, SqlitePool};

pub(super) async fn list(reader: &SqlitePool) -> Result<Vec<CannedResponse>> {
    let rows: Vec<CannedRow> = sqlx::query_as(&format!(
        "SELECT {CANNED_COLUMNS} FROM canned_responses ORDER BY shortcut"
    ))
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(canned).collect()
}

pub(super) async fn get(reader: &SqlitePool, id: &str) -> Result<Option<CannedResponse>> {
    let row: Option<CannedRow> = sqlx::query_as(&format!(
        "SELECT {CANNED_COLUMNS} FROM canned_responses WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(reader)
    .await?;
    row.map(canned).transpose()
}

/// A unique violation is a taken shortcut (the id is fresh).
fn taken(e: sqlx::Error, shortcut: &str) -> StorageError {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(format!("shortcut /{shortcut}"))
        }
        other => other.into(),
    }
}

pub(super) async fn create(
    writer: &SqlitePool,
    r: &CannedResponse,
    audit: Option<&AuditEntry>,
) -> Result<()> {
    let mut tx = writer.begin().await?;
    sqlx::query(&format!(
        "INSERT INTO canned_responses ({CANNED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&r.id)
    .bind(&r.shortcut)
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.created_by.as_str())
    .bind(r.updated_by.as_str())
    .bind(ms(r.created_at))
    .bind(ms(r.updated_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e, &r.shortcut))?;
    if let Some(a) = audit {
        append_audit(&mut tx, a).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn update(
    writer: &SqlitePool,
    r: &CannedResponse,
    audit: &AuditEntry,
) -> Result<bool> {
    let mut tx = writer.begin().await?;
    let done = sqlx::query(
        "UPDATE canned_responses SET shortcut = ?, title = ?, body = ?, updated_by = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(&r.shortcut)
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.updated_by.as_str())
    .bind(ms(r.updated_at))
    .bind(&r.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| taken(e, &r.shortcut))?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    append_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn delete(writer: &SqlitePool, id: &str, audit: &AuditEntry) -> Result<bool> {
    let mut tx = writer.begin().await?;
    let done = sqlx::query("DELETE FROM canned_responses WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    append_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

async fn append_audit(conn: &mut SqliteConnection, e: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, conversation_id, detail, ip) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ms(e.at))
    .bind(e.user_id.as_str())
    .bind(&e.username)
    .bind(&e.action)
    .bind(e.conversation_id.as_ref().map(|c| c.0.clone()))
    .bind(&e.detail)
    .bind(&e.ip)
    .execute(conn)
    .await?;
    Ok(())
}
