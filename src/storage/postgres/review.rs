//! The Postgres side of handoff review: stored handoff figures, the audit log, and the webhook
//! outbox's SQL (`email` implements `Outbox` with it). The SQL is the SQLite store's, ported:
//! text sorts use the `C` collation (SQLite compares bytes; Postgres would otherwise sort by the
//! database's locale).

use super::PgStore;
use crate::domain::{AuditEntry, ConversationId, HandoffFilter, HandoffMetrics, Timestamp, UserId};
use crate::storage::codec::{from_ms, json, ms, to_json};
use crate::storage::{
    NewWebhook, QueuedWebhook, Result, ReviewStore, StorageError, WebhookOutcome,
};
use async_trait::async_trait;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

/// How long `due_webhooks` holds the deliveries it hands out. The deliverer attempts a round's
/// deliveries one after the other (32 at most, each bounded by `review.webhook_timeout_ms`, 5 s
/// by default): a hold this long covers a round, and a node that stops mid-round leaves its
/// unattempted deliveries to another node (or itself, restarted) after it.
const WEBHOOK_HOLD_MS: i64 = 10 * 60 * 1000;

#[async_trait]
impl ReviewStore for PgStore {
    async fn put_handoffs(&self, metrics: &[HandoffMetrics]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for m in metrics {
            put_handoff(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn handoff(&self, id: &ConversationId) -> Result<Option<HandoffMetrics>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT metrics FROM handoffs WHERE conversation_id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(parse(row.into_iter().collect())?.pop())
    }

    async fn list_handoffs(
        &self,
        filter: &HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>)> {
        let mut count = QueryBuilder::new("SELECT count(*) FROM handoffs");
        push_filter(&mut count, filter);
        let (total,): (i64,) = count.build_query_as().fetch_one(&self.pool).await?;
        let mut page = QueryBuilder::new("SELECT metrics FROM handoffs");
        push_filter(&mut page, filter);
        page.push(" ORDER BY escalated_at DESC, conversation_id COLLATE \"C\" LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::from(offset));
        let rows: Vec<(String,)> = page.build_query_as().fetch_all(&self.pool).await?;
        Ok((total.max(0) as u64, parse(rows)?))
    }

    async fn handoffs_matching(&self, filter: &HandoffFilter) -> Result<Vec<HandoffMetrics>> {
        let mut q = QueryBuilder::new("SELECT metrics FROM handoffs");
        push_filter(&mut q, filter);
        q.push(" ORDER BY escalated_at DESC");
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        parse(rows)
    }

    async fn handoff_facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        let skills: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT skill COLLATE \"C\" FROM handoffs ORDER BY 1")
                .fetch_all(&self.pool)
                .await?;
        let triggers: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT trigger COLLATE \"C\" FROM handoffs ORDER BY 1")
                .fetch_all(&self.pool)
                .await?;
        Ok((
            skills.into_iter().map(|r| r.0).collect(),
            triggers.into_iter().map(|r| r.0).collect(),
        ))
    }

    async fn handoffs_missing(&self) -> Result<Vec<ConversationId>> {
        // Every batch writes its conversation rows: nothing to flush first. `->>` is NULL for a
        // JSON null, as SQLite's json_extract is (`->` would give the JSON value `null`).
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT c.id FROM conversations c WHERE c.status = 'resolved' \
               AND (c.header::jsonb ->> 'escalation') IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id) \
             ORDER BY c.updated_at",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| ConversationId(r.0)).collect())
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        append_audit(&mut conn, entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT at, user_id, username, action, conversation_id, detail, ip FROM audit_log \
             ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at, user, username, action, conv, detail, ip)| {
                Ok(AuditEntry {
                    at: from_ms(at)?,
                    user_id: UserId(user),
                    username,
                    action,
                    conversation_id: conv.map(ConversationId),
                    detail,
                    ip,
                })
            })
            .collect()
    }
}

async fn put_handoff(conn: &mut PgConnection, m: &HandoffMetrics) -> Result<()> {
    let encoded = to_json(m)?;
    sqlx::query(
        "INSERT INTO handoffs (conversation_id, escalated_at, resolved_at, agent_id, skill, \
           trigger, context_score, repeat_asks, metrics) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (conversation_id) DO UPDATE SET escalated_at = excluded.escalated_at, \
           resolved_at = excluded.resolved_at, agent_id = excluded.agent_id, \
           skill = excluded.skill, trigger = excluded.trigger, \
           context_score = excluded.context_score, repeat_asks = excluded.repeat_asks, \
           metrics = excluded.metrics",
    )
    .bind(m.conversation_id.as_str())
    .bind(ms(m.escalated_at))
    .bind(m.resolved_at.map(ms))
    .bind(m.agent_id.as_ref().map(|a| a.0.clone()))
    .bind(&m.skill)
    .bind(&m.trigger)
    .bind(m.context_score)
    .bind(m.repeat_asks.len() as i64)
    .bind(encoded)
    .execute(conn)
    .await?;
    Ok(())
}

fn parse(rows: Vec<(String,)>) -> Result<Vec<HandoffMetrics>> {
    rows.into_iter()
        .map(|(j,)| json(&j, "handoff metrics"))
        .collect()
}

/// Appends ` WHERE ...` for `f` (always a WHERE, so callers can add `AND`s).
fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &HandoffFilter) {
    q.push(" WHERE 1 = 1");
    if let Some(from) = f.from {
        q.push(" AND escalated_at >= ").push_bind(ms(from));
    }
    if let Some(to) = f.to {
        q.push(" AND escalated_at < ").push_bind(ms(to));
    }
    if let Some(agent) = &f.agent_id {
        q.push(" AND agent_id = ").push_bind(agent.0.clone());
    }
    if let Some(skill) = &f.skill {
        q.push(" AND skill = ").push_bind(skill.clone());
    }
    if let Some(trigger) = &f.trigger {
        q.push(" AND trigger = ").push_bind(trigger.clone());
    }
    if let Some(max) = f.max_context_score {
        q.push(" AND context_score <= ").push_bind(max);
    }
    if f.with_repeat_asks {
        q.push(" AND repeat_asks > 0");
    }
}

/// Writes one audit entry on `conn` (a transaction's, when it goes with a change).
pub(super) async fn append_audit(conn: &mut PgConnection, e: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, conversation_id, detail, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ms(e.at))
    .bind(e.user_id.as_str())
    .bind(&e.username)
    .bind(&e.action)
    .bind(e.conversation_id.as_ref().map(|c| c.0.clone()))
    .bind(&e.detail)
    .bind(&e.ip)
    .execute(conn)
    .await?;
    Ok(())
}

type AuditRow = (i64, String, String, String, Option<String>, String, String);

pub(super) async fn enqueue_webhook(pool: &PgPool, w: &NewWebhook, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_outbox (url, event_type, body, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&w.url)
    .bind(&w.event_type)
    .bind(&w.body)
    .bind(ms(now))
    .bind(ms(now))
    .execute(pool)
    .await?;
    Ok(())
}

/// Deliveries due at `now`, oldest first, taken for this caller: their next attempt moves
/// [`WEBHOOK_HOLD_MS`] on (the outcome then sets it), so a deliverer on another node does not
/// take them too, and rows another node is taking right now are skipped, not waited for.
pub(super) async fn due_webhooks(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<QueuedWebhook>> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "WITH due AS ( \
           SELECT id, next_attempt_at AS due_at FROM webhook_outbox \
           WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
           ORDER BY next_attempt_at, id LIMIT $2 \
           FOR UPDATE SKIP LOCKED), \
         taken AS ( \
           UPDATE webhook_outbox w SET next_attempt_at = $3 FROM due WHERE w.id = due.id \
           RETURNING w.id, w.url, w.event_type, w.body, w.attempts, due.due_at) \
         SELECT id, url, event_type, body, attempts FROM taken ORDER BY due_at, id",
    )
    .bind(ms(now))
    .bind(i64::from(limit))
    .bind(ms(now).saturating_add(WEBHOOK_HOLD_MS))
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, url, event_type, body, attempts)| {
            Ok(QueuedWebhook {
                attempts: u32::try_from(attempts).map_err(|_| {
                    StorageError::Corrupt(format!("webhook {id}: attempts {attempts}"))
                })?,
                id,
                url,
                event_type,
                body,
            })
        })
        .collect()
}

pub(super) async fn webhook_attempted(
    pool: &PgPool,
    id: i64,
    outcome: &WebhookOutcome,
    now: Timestamp,
) -> Result<()> {
    let q = match outcome {
        WebhookOutcome::Delivered => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, delivered_at = $1, \
             last_error = NULL WHERE id = $2",
        )
        .bind(ms(now))
        .bind(id),
        WebhookOutcome::Retry { at, error } => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, \
             last_error = $2 WHERE id = $3",
        )
        .bind(ms(*at))
        .bind(error.clone())
        .bind(id),
        WebhookOutcome::GaveUp { error } => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, failed_at = $1, last_error = $2 \
             WHERE id = $3",
        )
        .bind(ms(now))
        .bind(error.clone())
        .bind(id),
    };
    q.execute(pool).await?;
    Ok(())
}
