//! The retention job: every `retention_check_secs`, deletes the recording files of calls whose
//! recording became ready more than `retention_days` ago, then commits `recordings_deleted` for the
//! call. The transcript, the conversation and the handoff figures stay. Files are deleted before
//! the event is committed, so a crash in between only repeats the (idempotent) deletion.
//!
//! Attachments follow the same policy: files sent more than `retention_days` ago are deleted,
//! then `attachments_deleted` is committed for their conversation and their rows are marked
//! deleted (the messages keep describing them). Uploads whose message never committed (the
//! gateway stopped in between) are deleted after an hour, with no event: they were never in the
//! conversation.

use super::{Review, ReviewError};
use crate::domain::{ConversationId, EventBody};
use crate::storage::WriteOp;
use chrono::Utc;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(review: Arc<Review>) {
    let every = Duration::from_secs(review.config.retention_check_secs);
    loop {
        match review.apply_retention().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(calls = n, "retention: recordings deleted"),
            Err(e) => tracing::error!(error = %e, "retention job failed"),
        }
        match review.apply_attachment_retention().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "retention: attachments deleted"),
            Err(e) => tracing::error!(error = %e, "attachment retention failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Attachments handled per pass (a backlog is worked through over the following passes).
const ATTACHMENT_BATCH: u32 = 500;
/// How long an upload may wait for its message before it counts as never sent.
const UNSENT_AFTER: chrono::Duration = chrono::Duration::hours(1);

impl Review {
    /// Deletes expired attachments (see the module docs) and uploads never sent; returns how
    /// many files went.
    pub(crate) async fn apply_attachment_retention(&self) -> Result<usize, ReviewError> {
        let now = Utc::now();
        let mut deleted = 0;
        let unsent = self
            .store
            .unsent_attachments(now - UNSENT_AFTER, ATTACHMENT_BATCH)
            .await?;
        for a in &unsent {
            self.attachments
                .remove_files(&a.conversation_id, &a.id)
                .await
                .map_err(ReviewError::Files)?;
        }
        if !unsent.is_empty() {
            let ids: Vec<String> = unsent.iter().map(|a| a.id.clone()).collect();
            self.store
                .mark_attachments_deleted(&ids, now, "unsent")
                .await?;
            deleted += ids.len();
        }
        let days = self.config.retention_days;
        if days <= 0.0 {
            return Ok(deleted);
        }
        let cutoff = now - chrono::Duration::milliseconds((days * 86_400_000.0) as i64);
        let expired = self
            .store
            .attachments_older_than(cutoff, ATTACHMENT_BATCH)
            .await?;
        let mut by_conversation: std::collections::BTreeMap<ConversationId, Vec<String>> =
            Default::default();
        for a in expired {
            self.attachments
                .remove_files(&a.conversation_id, &a.id)
                .await
                .map_err(ReviewError::Files)?;
            by_conversation
                .entry(a.conversation_id)
                .or_default()
                .push(a.id);
        }
        for (conversation, ids) in by_conversation {
            let op = WriteOp::Append {
                conversation_id: conversation.clone(),
                body: EventBody::AttachmentsDeleted {
                    attachment_ids: ids.clone(),
                    reason: "retention".into(),
                },
                // The same files deleted again after a crash are recorded once.
                client_id: ids.first().map(|id| format!("attachments-deleted-{id}")),
                at: now,
            };
            self.journal.write(op).await?;
            self.store
                .mark_attachments_deleted(&ids, now, "retention")
                .await?;
            // The conversation's directory goes too once it is empty.
            let _ = tokio::fs::remove_dir(self.attachments.conversation_dir(&conversation)).await;
            tracing::info!(conversation_id = %conversation, files = ids.len(), "attachments deleted by retention");
            deleted += ids.len();
        }
        Ok(deleted)
    }

    /// Deletes every expired call recording; returns how many calls lost their files.
    pub(crate) async fn apply_retention(&self) -> Result<usize, ReviewError> {
        let days = self.config.retention_days;
        if days <= 0.0 {
            return Ok(0);
        }
        let cutoff = Utc::now() - chrono::Duration::milliseconds((days * 86_400_000.0) as i64);
        let expired = self.store.recordings_older_than(cutoff).await?;
        let mut deleted = 0;
        for (conversation, call_id) in expired {
            self.delete_call_recordings(&conversation, &call_id).await?;
            deleted += 1;
        }
        Ok(deleted)
    }

    async fn delete_call_recordings(
        &self,
        conversation: &ConversationId,
        call_id: &str,
    ) -> Result<(), ReviewError> {
        let header = self
            .store
            .header(conversation)
            .await?
            .ok_or(ReviewError::NotFound)?;
        let files: Vec<PathBuf> = header
            .calls
            .iter()
            .filter(|c| c.call_id == call_id)
            .flat_map(|c| c.recordings.iter())
            .filter_map(|f| f.under(&self.recordings))
            .collect();
        for file in &files {
            match tokio::fs::remove_file(file).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ReviewError::Files(e)),
            }
        }
        // The call's directory goes too once it is empty (it only ever held these files).
        if let Some(dir) = files.first().and_then(|f| f.parent()) {
            let _ = tokio::fs::remove_dir(dir).await;
        }
        let op = WriteOp::Append {
            conversation_id: conversation.clone(),
            body: EventBody::RecordingsDeleted {
                call_id: call_id.to_owned(),
                reason: "retention".into(),
            },
            client_id: Some(format!("recordings-deleted-{call_id}")),
            at: Utc::now(),
        };
        self.journal.write(op).await?;
        tracing::info!(conversation_id = %conversation, call_id, files = files.len(), "recordings deleted by retention");
        Ok(())
    }
}
