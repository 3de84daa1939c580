//! Calls and recordings, as the after-call jobs find them in the log: recordings waiting for a
//! transcript, recordings past retention.

use super::Result;
use crate::domain::{ConversationId, Timestamp};
use async_trait::async_trait;

/// What the after-call jobs look for.
#[async_trait]
pub trait CallRecords: Send + Sync {
    /// Calls whose recording is ready but which have no after-call transcript yet, as
    /// (conversation, call id), oldest first.
    async fn calls_awaiting_transcript(&self) -> Result<Vec<(ConversationId, String)>>;

    /// Calls whose recording became ready before `before` and whose files are not deleted yet,
    /// as (conversation, call id), oldest first.
    async fn recordings_older_than(
        &self,
        before: Timestamp,
    ) -> Result<Vec<(ConversationId, String)>>;
}
