//! The team's settings in Postgres: canned responses (a change and its audit entry in one
//! transaction, so neither is kept without the other) and sites. The SQLite store's SQL, ported;
//! listings sort with the `C` collation, as SQLite compares bytes.

use super::{review, PgStore};
use crate::domain::canned::CannedResponse;
use crate::domain::site::Site;
use crate::domain::AuditEntry;
use crate::storage::codec::{ms, to_json};
use crate::storage::rows::{canned, site, CannedRow, SiteRow, CANNED_COLUMNS, SITE_COLUMNS};
use crate::storage::{Result, StorageError, Workspace};
use async_trait::async_trait;

/// A unique violation is a taken shortcut (the id is fresh).
fn taken(e: sqlx::Error, shortcut: &str) -> StorageError {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(format!("shortcut /{shortcut}"))
        }
        other => other.into(),
    }
}

impl PgStore {
    /// Inserts `site`; `on_conflict` is appended to the statement (empty: a duplicate id fails).
    async fn insert_site(&self, site: &Site, on_conflict: &str) -> Result<()> {
        let origins = to_json(&site.origins)?;
        sqlx::query(&format!(
            "INSERT INTO sites ({SITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             {on_conflict}"
        ))
        .bind(&site.id)
        .bind(&site.name)
        .bind(origins)
        .bind(&site.secret)
        .bind(&site.color)
        .bind(&site.greeting)
        .bind(i64::from(site.conversations_per_minute))
        .bind(ms(site.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Workspace for PgStore {
    async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        let rows: Vec<CannedRow> = sqlx::query_as(&format!(
            "SELECT {CANNED_COLUMNS} FROM canned_responses ORDER BY shortcut COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(canned).collect()
    }

    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>> {
        let row: Option<CannedRow> = sqlx::query_as(&format!(
            "SELECT {CANNED_COLUMNS} FROM canned_responses WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(canned).transpose()
    }

    async fn create_canned_response(
        &self,
        r: &CannedResponse,
        audit: Option<&AuditEntry>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO canned_responses ({CANNED_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
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
            review::append_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update_canned_response(&self, r: &CannedResponse, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE canned_responses SET shortcut = $1, title = $2, body = $3, updated_by = $4, \
             updated_at = $5 WHERE id = $6",
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
        review::append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_canned_response(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM canned_responses WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        review::append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn sites(&self) -> Result<Vec<Site>> {
        let rows: Vec<SiteRow> = sqlx::query_as(&format!(
            "SELECT {SITE_COLUMNS} FROM sites ORDER BY name COLLATE \"C\", id COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(site).collect()
    }

    async fn create_site(&self, site: &Site) -> Result<()> {
        self.insert_site(site, "").await
    }

    /// Creates the site, or brings an existing one with its id to these settings (its creation
    /// time stays): a site declared in the configuration file, applied at every start.
    async fn upsert_site(&self, site: &Site) -> Result<()> {
        self.insert_site(
            site,
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, origins = excluded.origins, \
               secret = excluded.secret, color = excluded.color, greeting = excluded.greeting, \
               conversations_per_minute = excluded.conversations_per_minute",
        )
        .await
    }

    async fn delete_site(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sites WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_site_secret(&self, id: &str, secret: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE sites SET secret = $1 WHERE id = $2")
            .bind(secret)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
