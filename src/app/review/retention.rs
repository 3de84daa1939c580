//! The retention job: every `retention_check_secs`, deletes the recording files of calls whose
//! recording became ready more than `retention_days` ago, then commits `recordings_deleted` for the
//! call. The transcript, the conversation and the handoff figures stay. Files are deleted before
//! the event is committed, so a crash in between only repeats the (idempotent) deletion.

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
        tokio::time::sleep(every).await;
    }
}

impl Review {
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
