//! Attachments' records in Postgres (`domain::attachment::StoredAttachment`), the SQLite store's
//! SQL ported. Rows are written directly (not through the journal): the message that carries the
//! attachment goes through the journal afterwards, and a row whose message never committed is
//! found by `unsent_attachments` and cleaned up.

use super::PgStore;
use crate::domain::attachment::StoredAttachment;
use crate::domain::{ConversationId, Timestamp};
use crate::storage::codec::ms;
use crate::storage::rows::{attachment, AttachmentRow, ATTACHMENT_COLUMNS};
use crate::storage::{AttachmentStore, Result, StorageError};
use async_trait::async_trait;

#[async_trait]
impl AttachmentStore for PgStore {
    async fn insert_attachment(&self, a: &StoredAttachment) -> Result<()> {
        sqlx::query(
            "INSERT INTO attachments (id, conversation_id, message_id, uploaded_by, name, \
             content_type, kind, size, sha256, width, height, thumbnail_type, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&a.id)
        .bind(a.conversation_id.as_str())
        .bind(a.message_id.as_str())
        .bind(&a.uploaded_by)
        .bind(&a.name)
        .bind(&a.content_type)
        .bind(a.kind.as_str())
        .bind(i64::try_from(a.size).unwrap_or(i64::MAX))
        .bind(&a.sha256)
        .bind(a.width.map(i64::from))
        .bind(a.height.map(i64::from))
        .bind(&a.thumbnail_type)
        .bind(ms(a.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn attachment(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> Result<Option<StoredAttachment>> {
        let row: Option<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = $1 AND a.id = $2"
        ))
        .bind(conversation.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(attachment).transpose()
    }

    async fn attachments_of(&self, conversation: &ConversationId) -> Result<Vec<StoredAttachment>> {
        let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = $1 \
             ORDER BY a.created_at, a.id COLLATE \"C\""
        ))
        .bind(conversation.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(attachment).collect()
    }

    async fn attachments_on_disk(&self, conversation: &ConversationId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM attachments WHERE conversation_id = $1 AND deleted_at IS NULL",
        )
        .bind(conversation.as_str())
        .fetch_one(&self.pool)
        .await?;
        u64::try_from(n).map_err(|_| StorageError::Corrupt(format!("attachment count {n}")))
    }

    async fn attachments_older_than(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>> {
        let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.deleted_at IS NULL AND a.created_at < $1 \
             ORDER BY a.created_at LIMIT $2"
        ))
        .bind(ms(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(attachment).collect()
    }

    /// Files on disk, created before `before`, whose message is not in the log: the upload was
    /// stored but its message never committed (a crash or a failed commit in between).
    async fn unsent_attachments(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>> {
        let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.deleted_at IS NULL AND a.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM events e \
               JOIN conversations c ON c.key = e.conversation_key \
               WHERE c.id = a.conversation_id AND e.type = 'message' \
                 AND (e.body::jsonb -> 'message' ->> 'id') = a.message_id) \
             ORDER BY a.created_at LIMIT $2"
        ))
        .bind(ms(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(attachment).collect()
    }

    async fn mark_attachments_deleted(
        &self,
        ids: &[String],
        at: Timestamp,
        reason: &str,
    ) -> Result<()> {
        // One statement for all of them: the same effect as SQLite's per-row updates in one
        // transaction.
        sqlx::query(
            "UPDATE attachments SET deleted_at = $1, deleted_reason = $2 \
             WHERE id = ANY($3) AND deleted_at IS NULL",
        )
        .bind(ms(at))
        .bind(reason)
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_attachment(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM attachments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
