//! The e-mail outbox in SQLite (`email_outbox`, migration 0009). Rows are written by the journal's
//! batch, in the transaction of the event that owes them (`write_outbox`); the delivery task reads
//! pending rows, claims one before each attempt and records how it ended.

use crate::domain::followup::{OutboxEntry, OutboxKind};
use crate::domain::{ConversationId, Timestamp};
use crate::storage::codec::{from_ms, ms};
use crate::storage::{EmailOutcome, QueuedEmail, Result, StorageError};
use sqlx::{Row, SqlitePool};

/// Writes the e-mails a batch's events owe. A reply joins the conversation's pending reply batch
/// while that batch has had no attempt; otherwise it starts a new one.
pub(super) async fn write_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    entries: &[OutboxEntry],
) -> Result<()> {
    for e in entries {
        if e.kind == OutboxKind::Reply {
            let joined = sqlx::query(
                "UPDATE email_outbox SET last_seq = ?, last_at = ?, recipient = ? \
                 WHERE id = (SELECT id FROM email_outbox WHERE conversation_id = ? \
                   AND kind = 'reply' AND state = 'pending' AND attempts = 0 \
                   ORDER BY id DESC LIMIT 1)",
            )
            .bind(e.seq as i64)
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.conversation_id.0)
        .bind(e.kind.as_str())
        .bind(&e.recipient)
        .bind(e.seq as i64)
        .bind(e.seq as i64)
        .bind(ms(e.at))
        .bind(ms(e.at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn pending_emails(
    reader: &SqlitePool,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<QueuedEmail>> {
    let rows = sqlx::query(
        "SELECT id, conversation_id, kind, recipient, first_seq, last_seq, first_at, last_at, \
         attempts, next_attempt_at FROM email_outbox WHERE state = 'pending' \
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
    )
    .bind(ms(now))
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(2)?;
            let next: Option<i64> = r.try_get(9)?;
            Ok(QueuedEmail {
                id: r.try_get(0)?,
                conversation_id: ConversationId(r.try_get(1)?),
                kind: OutboxKind::parse(&kind)
                    .ok_or_else(|| StorageError::Corrupt(format!("outbox kind {kind:?}")))?,
                recipient: r.try_get(3)?,
                first_seq: r.try_get::<i64, _>(4)? as u64,
                last_seq: r.try_get::<i64, _>(5)? as u64,
                first_at: from_ms(r.try_get(6)?)?,
                last_at: from_ms(r.try_get(7)?)?,
                attempts: r.try_get::<i64, _>(8)? as u32,
                next_attempt_at: next.map(from_ms).transpose()?,
            })
        })
        .collect()
}

pub(super) async fn claim_email(
    writer: &SqlitePool,
    mail: &QueuedEmail,
    lease_until: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = ? \
         WHERE id = ? AND state = 'pending' AND attempts = ? AND last_seq = ?",
    )
    .bind(ms(lease_until))
    .bind(mail.id)
    .bind(i64::from(mail.attempts))
    .bind(mail.last_seq as i64)
    .execute(writer)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn email_attempted(
    writer: &SqlitePool,
    id: i64,
    outcome: &EmailOutcome,
    now: Timestamp,
) -> Result<()> {
    let (state, next, error) = match outcome {
        EmailOutcome::Sent => ("sent", None, None),
        EmailOutcome::Skipped => ("skipped", None, None),
        EmailOutcome::Retry { at, error } => ("pending", Some(ms(*at)), Some(error.as_str())),
        EmailOutcome::Failed { error } => ("failed", None, Some(error.as_str())),
    };
    let finished = (state != "pending").then(|| ms(now));
    sqlx::query(
        "UPDATE email_outbox SET state = ?, next_attempt_at = ?, \
         last_error = COALESCE(?, last_error), finished_at = ? WHERE id = ?",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(finished)
    .bind(id)
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn email_counts(reader: &SqlitePool) -> Result<Vec<(String, u64)>> {
    let rows =
        sqlx::query("SELECT state, COUNT(*) FROM email_outbox GROUP BY state ORDER BY state")
            .fetch_all(reader)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u64)))
        .collect()
}
