//! Calls and recordings in the Postgres log: the after-call jobs' queries, the SQLite store's
//! ported (`->>` is NULL for a missing key and for a JSON null, as SQLite's `json_extract` is).

use super::PgStore;
use crate::domain::{ConversationId, Timestamp};
use crate::storage::codec::ms;
use crate::storage::{CallRecords, Result};
use async_trait::async_trait;

#[async_trait]
impl CallRecords for PgStore {
    async fn calls_awaiting_transcript(&self) -> Result<Vec<(ConversationId, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, (r.body::jsonb ->> 'callId') FROM events r \
             JOIN conversations c ON c.key = r.conversation_key \
             WHERE r.type = 'recording_ready' AND (r.body::jsonb ->> 'callId') IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM events t WHERE t.type = 'transcript_ready' \
               AND t.conversation_key = r.conversation_key \
               AND (t.body::jsonb ->> 'callId') = (r.body::jsonb ->> 'callId')) \
             ORDER BY r.pos",
        )
        .fetch_all(&self.pool)
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
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, (r.body::jsonb ->> 'callId') FROM events r \
             JOIN conversations c ON c.key = r.conversation_key \
             WHERE r.type = 'recording_ready' AND r.ts < $1 \
               AND (r.body::jsonb ->> 'callId') IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM events d WHERE d.type = 'recordings_deleted' \
                 AND d.conversation_key = r.conversation_key \
                 AND (d.body::jsonb ->> 'callId') = (r.body::jsonb ->> 'callId')) \
             ORDER BY r.pos",
        )
        .bind(ms(before))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, call)| (ConversationId(c), call))
            .collect())
    }
}
