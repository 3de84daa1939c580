//! The SQLite side of attachments (`domain::attachment::StoredAttachment`). `SqliteStore`
//! delegates here. Rows are written directly (not through the journal): the message that carries
//! the attachment goes through the journal afterwards, and a row whose message never committed is
//! found by [`unsent`] and cleaned up.

use crate::domain::attachment::StoredAttachment;
use crate::domain::{ConversationId, Timestamp};
use crate::storage::codec::ms;
use crate::storage::rows::{attachment, AttachmentRow, ATTACHMENT_COLUMNS};
use crate::storage::Result;
use sqlx::SqlitePool;

pub(super) async fn insert(writer: &SqlitePool, a: &StoredAttachment) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (id, conversation_id, message_id, uploaded_by, name, \
         content_type, kind, size, sha256, width, height, thumbnail_type, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn get(
    reader: &SqlitePool,
    conversation: &ConversationId,
    id: &str,
) -> Result<Option<StoredAttachment>> {
    let row: Option<AttachmentRow> = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = ? AND a.id = ?"
    ))
    .bind(conversation.as_str())
    .bind(id)
    .fetch_optional(reader)
    .await?;
    row.map(attachment).transpose()
}

pub(super) async fn of_conversation(
    reader: &SqlitePool,
    conversation: &ConversationId,
) -> Result<Vec<StoredAttachment>> {
    let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = ? ORDER BY a.created_at, a.id"
    ))
    .bind(conversation.as_str())
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(attachment).collect()
}

pub(super) async fn count_on_disk(
    reader: &SqlitePool,
    conversation: &ConversationId,
) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attachments WHERE conversation_id = ? AND deleted_at IS NULL",
    )
    .bind(conversation.as_str())
    .fetch_one(reader)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) async fn older_than(
    reader: &SqlitePool,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<StoredAttachment>> {
    let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.deleted_at IS NULL AND a.created_at < ? \
         ORDER BY a.created_at LIMIT ?"
    ))
    .bind(ms(before))
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(attachment).collect()
}

/// Files on disk, created before `before`, whose message is not in the log: the upload was
/// stored but its message never committed (a crash or a failed commit in between).
pub(super) async fn unsent(
    reader: &SqlitePool,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<StoredAttachment>> {
    let rows: Vec<AttachmentRow> = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.deleted_at IS NULL AND a.created_at < ? \
         AND NOT EXISTS (SELECT 1 FROM events e JOIN conversations c ON c.key = e.conversation_key \
           WHERE c.id = a.conversation_id AND e.type = 'message' \
             AND json_extract(e.body, '$.message.id') = a.message_id) \
         ORDER BY a.created_at LIMIT ?"
    ))
    .bind(ms(before))
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.into_iter().map(attachment).collect()
}

pub(super) async fn mark_deleted(
    writer: &SqlitePool,
    ids: &[String],
    at: Timestamp,
    reason: &str,
) -> Result<()> {
    let mut tx = writer.begin().await?;
    for id in ids {
        sqlx::query(
            "UPDATE attachments SET deleted_at = ?, deleted_reason = ? \
             WHERE id = ? AND deleted_at IS NULL",
        )
        .bind(ms(at))
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn remove(writer: &SqlitePool, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM attachments WHERE id = ?")
        .bind(id)
        .execute(writer)
        .await?;
    Ok(())
}
