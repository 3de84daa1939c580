//! The Postgres outbox: webhooks (their SQL in `review`) and e-mails (`email_outbox`). E-mail rows
//! are written by the batch, in the transaction of the event that owes them (`write_outbox`); the
//! delivery task reads pending rows, claims one before each attempt and records how it ended.
//!
//! Several nodes may deliver at once. A claim is a conditional UPDATE: under Postgres's
//! read-committed rules a second claimer of the same row waits for the first to commit, then
//! re-checks the condition against the row as the first left it, and takes nothing. The batch's
//! reply-join re-checks the same way, so a reply never joins a batch whose attempt has begun.

use super::{review, PgStore};
use crate::domain::followup::{OutboxEntry, OutboxKind};
use crate::domain::{ConversationId, Timestamp};
use crate::storage::codec::{from_ms, ms};
use crate::storage::{
    EmailOutcome, NewWebhook, Outbox, QueuedEmail, QueuedWebhook, Result, StorageError,
    WebhookOutcome,
};
use async_trait::async_trait;
use sqlx::Row;

/// Writes the e-mails a batch's events owe. A reply joins the conversation's pending reply batch
/// while that batch has had no attempt; otherwise it starts a new one.
pub(super) async fn write_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    entries: &[OutboxEntry],
) -> Result<()> {
    for e in entries {
        if e.kind == OutboxKind::Reply {
            // The outer conditions repeat the inner ones: if a claim on another node took the
            // row after this statement's snapshot, the row is re-checked once the claim commits
            // and is left alone (the reply then starts a new batch).
            let joined = sqlx::query(
                "UPDATE email_outbox SET last_seq = $1, last_at = $2, recipient = $3 \
                 WHERE id = (SELECT id FROM email_outbox WHERE conversation_id = $4 \
                   AND kind = 'reply' AND state = 'pending' AND attempts = 0 \
                   ORDER BY id DESC LIMIT 1) \
                 AND kind = 'reply' AND state = 'pending' AND attempts = 0",
            )
            .bind(seq(e.seq)?)
            .bind(ms(e.at))
            .bind(&e.recipient)
            .bind(&e.conversation_id.0)
            .execute(&mut **tx)
            .await?;
            if joined.rows_affected() > 0 {
                continue;
            }
        }
        sqlx::query(
            "INSERT INTO email_outbox \
             (conversation_id, kind, recipient, first_seq, last_seq, first_at, last_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.conversation_id.0)
        .bind(e.kind.as_str())
        .bind(&e.recipient)
        .bind(seq(e.seq)?)
        .bind(seq(e.seq)?)
        .bind(ms(e.at))
        .bind(ms(e.at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn seq(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| StorageError::Corrupt(format!("seq {v} out of range")))
}

/// A stored count or sequence number, which is never negative.
fn unsigned(v: i64, what: &str, id: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt(format!("e-mail {id}: {what} {v}")))
}

#[async_trait]
impl Outbox for PgStore {
    async fn enqueue_webhook(&self, delivery: &NewWebhook, now: Timestamp) -> Result<()> {
        review::enqueue_webhook(&self.pool, delivery, now).await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedWebhook>> {
        review::due_webhooks(&self.pool, now, limit).await
    }

    async fn webhook_attempted(
        &self,
        id: i64,
        outcome: &WebhookOutcome,
        now: Timestamp,
    ) -> Result<()> {
        review::webhook_attempted(&self.pool, id, outcome, now).await
    }

    async fn pending_emails(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedEmail>> {
        let rows = sqlx::query(
            "SELECT id, conversation_id, kind, recipient, first_seq, last_seq, first_at, \
             last_at, attempts, next_attempt_at FROM email_outbox WHERE state = 'pending' \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id LIMIT $2",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let kind: String = r.try_get(2)?;
                let next: Option<i64> = r.try_get(9)?;
                let attempts = unsigned(r.try_get(8)?, "attempts", id)?;
                Ok(QueuedEmail {
                    id,
                    conversation_id: ConversationId(r.try_get(1)?),
                    kind: OutboxKind::parse(&kind)
                        .ok_or_else(|| StorageError::Corrupt(format!("outbox kind {kind:?}")))?,
                    recipient: r.try_get(3)?,
                    first_seq: unsigned(r.try_get(4)?, "first_seq", id)?,
                    last_seq: unsigned(r.try_get(5)?, "last_seq", id)?,
                    first_at: from_ms(r.try_get(6)?)?,
                    last_at: from_ms(r.try_get(7)?)?,
                    attempts: u32::try_from(attempts).map_err(|_| {
                        StorageError::Corrupt(format!("e-mail {id}: attempts {attempts}"))
                    })?,
                    next_attempt_at: next.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    async fn claim_email(&self, mail: &QueuedEmail, lease_until: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id = $2 AND state = 'pending' AND attempts = $3 AND last_seq = $4",
        )
        .bind(ms(lease_until))
        .bind(mail.id)
        .bind(i64::from(mail.attempts))
        .bind(seq(mail.last_seq)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn email_attempted(&self, id: i64, outcome: &EmailOutcome, now: Timestamp) -> Result<()> {
        let (state, next, error) = match outcome {
            EmailOutcome::Sent => ("sent", None, None),
            EmailOutcome::Skipped => ("skipped", None, None),
            EmailOutcome::Retry { at, error } => ("pending", Some(ms(*at)), Some(error.as_str())),
            EmailOutcome::Failed { error } => ("failed", None, Some(error.as_str())),
        };
        let finished = (state != "pending").then(|| ms(now));
        sqlx::query(
            "UPDATE email_outbox SET state = $1, next_attempt_at = $2, \
             last_error = COALESCE($3, last_error), finished_at = $4 WHERE id = $5",
        )
        .bind(state)
        .bind(next)
        .bind(error)
        .bind(finished)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn email_counts(&self) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT state COLLATE \"C\", COUNT(*) FROM email_outbox GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                let n = u64::try_from(n)
                    .map_err(|_| StorageError::Corrupt(format!("e-mail count {n}")))?;
                Ok((state, n))
            })
            .collect()
    }
}
