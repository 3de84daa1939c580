//! Attachments' records (`domain::attachment`): the files live on disk, the store keeps what they
//! are, whose they are and whether they were deleted.

use super::Result;
use crate::domain::attachment::StoredAttachment;
use crate::domain::{ConversationId, Timestamp};
use async_trait::async_trait;

/// Attachment records.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Records an attachment whose files were just stored (its message commits after).
    async fn insert_attachment(&self, attachment: &StoredAttachment) -> Result<()>;
    /// The attachment `id` of `conversation`, its files deleted or not.
    async fn attachment(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> Result<Option<StoredAttachment>>;
    /// Every attachment of `conversation`, oldest first.
    async fn attachments_of(&self, conversation: &ConversationId) -> Result<Vec<StoredAttachment>>;
    /// How many attachments of `conversation` still have their files.
    async fn attachments_on_disk(&self, conversation: &ConversationId) -> Result<u64>;
    /// Attachments with files on disk created before `before`, oldest first, at most `limit`.
    async fn attachments_older_than(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>>;
    /// Attachments with files on disk created before `before` whose message is not in the log
    /// (stored, then the commit failed or the gateway stopped in between).
    async fn unsent_attachments(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>>;
    /// Marks attachments' files deleted (`reason`: `retention`, `unsent`).
    async fn mark_attachments_deleted(
        &self,
        ids: &[String],
        at: Timestamp,
        reason: &str,
    ) -> Result<()>;
    /// Forgets an attachment whose message was refused or was a resend of one already stored.
    async fn remove_attachment(&self, id: &str) -> Result<()>;
}
