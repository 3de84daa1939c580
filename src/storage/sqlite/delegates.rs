//! The SQLite store's concerns that are plain delegation to the files holding their SQL
//! (`review`, `email`, `canned`, `sites`, `attachments`): reads go to the read-only pool, writes
//! to the single writer connection.

use super::{attachments, canned, email, review, sites, SqliteStore};
use crate::domain::attachment::StoredAttachment;
use crate::domain::canned::CannedResponse;
use crate::domain::site::Site;
use crate::domain::{AuditEntry, ConversationId, HandoffFilter, HandoffMetrics, Timestamp};
use crate::storage::{
    AttachmentStore, CallRecords, EmailOutcome, EventLog, NewWebhook, Outbox, QueuedEmail,
    QueuedWebhook, Result, ReviewStore, WebhookOutcome, Workspace,
};
use async_trait::async_trait;

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn put_handoffs(&self, metrics: &[HandoffMetrics]) -> Result<()> {
        review::put_handoffs(&self.writer, metrics).await
    }

    async fn handoff(&self, id: &ConversationId) -> Result<Option<HandoffMetrics>> {
        review::handoff(&self.reader, id).await
    }

    async fn list_handoffs(
        &self,
        filter: &HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>)> {
        review::list_handoffs(&self.reader, filter, limit, offset).await
    }

    async fn handoffs_matching(&self, filter: &HandoffFilter) -> Result<Vec<HandoffMetrics>> {
        review::handoffs_matching(&self.reader, filter).await
    }

    async fn handoff_facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        review::handoff_facets(&self.reader).await
    }

    async fn handoffs_missing(&self) -> Result<Vec<ConversationId>> {
        // The conversation rows are refreshed lazily; bring them up to date first.
        self.flush().await?;
        review::handoffs_missing(&self.reader).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        review::append_audit(&self.writer, entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        review::audit_log(&self.reader, limit).await
    }
}

#[async_trait]
impl CallRecords for SqliteStore {
    async fn calls_awaiting_transcript(&self) -> Result<Vec<(ConversationId, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, json_extract(r.body, '$.callId') FROM events r \
             JOIN conversations c ON c.key = r.conversation_key \
             WHERE r.type = 'recording_ready' AND json_extract(r.body, '$.callId') IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM events t WHERE t.type = 'transcript_ready' \
               AND t.conversation_key = r.conversation_key \
               AND json_extract(t.body, '$.callId') = json_extract(r.body, '$.callId')) \
             ORDER BY r.pos",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, call)| (ConversationId(c), call))
            .collect())
    }

    async fn recordings_older_than(
        &self,
        before: Timestamp,
    ) -> Result<Vec<(ConversationId, String)>> {
        review::recordings_older_than(&self.reader, before).await
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn enqueue_webhook(&self, delivery: &NewWebhook, now: Timestamp) -> Result<()> {
        review::enqueue_webhook(&self.writer, delivery, now).await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedWebhook>> {
        review::due_webhooks(&self.reader, now, limit).await
    }

    async fn webhook_attempted(
        &self,
        id: i64,
        outcome: &WebhookOutcome,
        now: Timestamp,
    ) -> Result<()> {
        review::webhook_attempted(&self.writer, id, outcome, now).await
    }

    async fn pending_emails(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedEmail>> {
        email::pending_emails(&self.reader, now, limit).await
    }

    async fn claim_email(&self, mail: &QueuedEmail, lease_until: Timestamp) -> Result<bool> {
        email::claim_email(&self.writer, mail, lease_until).await
    }

    async fn email_attempted(&self, id: i64, outcome: &EmailOutcome, now: Timestamp) -> Result<()> {
        email::email_attempted(&self.writer, id, outcome, now).await
    }

    async fn email_counts(&self) -> Result<Vec<(String, u64)>> {
        email::email_counts(&self.reader).await
    }
}

#[async_trait]
impl Workspace for SqliteStore {
    async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        canned::list(&self.reader).await
    }

    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>> {
        canned::get(&self.reader, id).await
    }

    async fn create_canned_response(
        &self,
        response: &CannedResponse,
        audit: Option<&AuditEntry>,
    ) -> Result<()> {
        canned::create(&self.writer, response, audit).await
    }

    async fn update_canned_response(
        &self,
        response: &CannedResponse,
        audit: &AuditEntry,
    ) -> Result<bool> {
        canned::update(&self.writer, response, audit).await
    }

    async fn delete_canned_response(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        canned::delete(&self.writer, id, audit).await
    }

    async fn sites(&self) -> Result<Vec<Site>> {
        sites::list(&self.reader).await
    }

    async fn create_site(&self, site: &Site) -> Result<()> {
        sites::create(&self.writer, site).await
    }

    async fn upsert_site(&self, site: &Site) -> Result<()> {
        sites::upsert(&self.writer, site).await
    }

    async fn delete_site(&self, id: &str) -> Result<bool> {
        sites::delete(&self.writer, id).await
    }

    async fn set_site_secret(&self, id: &str, secret: &str) -> Result<bool> {
        sites::set_secret(&self.writer, id, secret).await
    }
}

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn insert_attachment(&self, attachment: &StoredAttachment) -> Result<()> {
        attachments::insert(&self.writer, attachment).await
    }

    async fn attachment(
        &self,
        conversation: &ConversationId,
        id: &str,
    ) -> Result<Option<StoredAttachment>> {
        attachments::get(&self.reader, conversation, id).await
    }

    async fn attachments_of(&self, conversation: &ConversationId) -> Result<Vec<StoredAttachment>> {
        attachments::of_conversation(&self.reader, conversation).await
    }

    async fn attachments_on_disk(&self, conversation: &ConversationId) -> Result<u64> {
        attachments::count_on_disk(&self.reader, conversation).await
    }

    async fn attachments_older_than(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>> {
        attachments::older_than(&self.reader, before, limit).await
    }

    async fn unsent_attachments(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAttachment>> {
        attachments::unsent(&self.reader, before, limit).await
    }

    async fn mark_attachments_deleted(
        &self,
        ids: &[String],
        at: Timestamp,
        reason: &str,
    ) -> Result<()> {
        attachments::mark_deleted(&self.writer, ids, at, reason).await
    }

    async fn remove_attachment(&self, id: &str) -> Result<()> {
        attachments::remove(&self.writer, id).await
    }
}
