//! The SQLite side of handoff review: stored handoff figures, the audit log, the recordings the
//! retention job looks for and the webhook outbox. `SqliteStore` delegates here; writes go through
//! its single writer connection like every other write.

use crate::domain::{AuditEntry, ConversationId, HandoffFilter, HandoffMetrics, Timestamp, UserId};
use crate::storage::codec::{from_ms, json, ms, to_json};
use crate::storage::{NewWebhook, QueuedWebhook, Result, WebhookOutcome};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

pub(super) async fn put_handoffs(writer: &SqlitePool, items: &[HandoffMetrics]) -> Result<()> {
    let mut tx = writer.begin().await?;
    for m in items {
        put_handoff(&mut tx, m).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn put_handoff(conn: &mut sqlx::SqliteConnection, m: &HandoffMetrics) -> Result<()> {
    let encoded = to_json(m)?;
    sqlx::query(
        "INSERT INTO handoffs (conversation_id, escalated_at, resolved_at, agent_id, skill, \
           trigger, context_score, repeat_asks, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
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

pub(super) async fn handoff(
    reader: &SqlitePool,
    id: &ConversationId,
) -> Result<Option<HandoffMetrics>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT metrics FROM handoffs WHERE conversation_id = ?")
            .bind(id.as_str())
            .fetch_optional(reader)
            .await?;
    Ok(parse(row.into_iter().collect())?.pop())
}

/// Appends ` WHERE ...` for `f` (always a WHERE, so callers can add `AND`s).
fn push_filter(q: &mut QueryBuilder<'_, Sqlite>, f: &HandoffFilter) {
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

pub(super) async fn list_handoffs(
    reader: &SqlitePool,
    f: &HandoffFilter,
    limit: u32,
    offset: u32,
) -> Result<(u64, Vec<HandoffMetrics>)> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM handoffs");
    push_filter(&mut count, f);
    let (total,): (i64,) = count.build_query_as().fetch_one(reader).await?;
    let mut page = QueryBuilder::new("SELECT metrics FROM handoffs");
    push_filter(&mut page, f);
    page.push(" ORDER BY escalated_at DESC, conversation_id LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    let rows: Vec<(String,)> = page.build_query_as().fetch_all(reader).await?;
    Ok((total.max(0) as u64, parse(rows)?))
}

pub(super) async fn handoffs_matching(
    reader: &SqlitePool,
    f: &HandoffFilter,
) -> Result<Vec<HandoffMetrics>> {
    let mut q = QueryBuilder::new("SELECT metrics FROM handoffs");
    push_filter(&mut q, f);
    q.push(" ORDER BY escalated_at DESC");
    let rows: Vec<(String,)> = q.build_query_as().fetch_all(reader).await?;
    parse(rows)
}

pub(super) async fn handoff_facets(reader: &SqlitePool) -> Result<(Vec<String>, Vec<String>)> {
    let skills: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT skill FROM handoffs ORDER BY 1")
        .fetch_all(reader)
        .await?;
    let triggers: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT trigger FROM handoffs ORDER BY 1")
            .fetch_all(reader)
            .await?;
    Ok((
        skills.into_iter().map(|r| r.0).collect(),
        triggers.into_iter().map(|r| r.0).collect(),
    ))
}

pub(super) async fn handoffs_missing(reader: &SqlitePool) -> Result<Vec<ConversationId>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM conversations c WHERE c.status = 'resolved' \
           AND json_extract(c.header, '$.escalation') IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id) \
         ORDER BY c.updated_at",
    )
    .fetch_all(reader)
    .await?;
    Ok(rows.into_iter().map(|r| ConversationId(r.0)).collect())
}

pub(super) async fn append_audit(writer: &SqlitePool, e: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, conversation_id, detail, ip) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ms(e.at))
    .bind(e.user_id.as_str())
    .bind(&e.username)
    .bind(&e.action)
    .bind(e.conversation_id.as_ref().map(|c| c.0.clone()))
    .bind(&e.detail)
    .bind(&e.ip)
    .execute(writer)
    .await?;
    Ok(())
}

type AuditRow = (i64, String, String, String, Option<String>, String, String);

pub(super) async fn audit_log(reader: &SqlitePool, limit: u32) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT at, user_id, username, action, conversation_id, detail, ip FROM audit_log \
         ORDER BY at DESC, id DESC LIMIT ?",
    )
    .bind(i64::from(limit))
    .fetch_all(reader)
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

pub(super) async fn recordings_older_than(
    reader: &SqlitePool,
    before: Timestamp,
) -> Result<Vec<(ConversationId, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.id, json_extract(r.body, '$.callId') FROM events r \
         JOIN conversations c ON c.key = r.conversation_key \
         WHERE r.type = 'recording_ready' AND r.ts < ? \
           AND json_extract(r.body, '$.callId') IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM events d WHERE d.type = 'recordings_deleted' \
             AND d.conversation_key = r.conversation_key \
             AND json_extract(d.body, '$.callId') = json_extract(r.body, '$.callId')) \
         ORDER BY r.pos",
    )
    .bind(ms(before))
    .fetch_all(reader)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, call)| (ConversationId(c), call))
        .collect())
}

pub(super) async fn enqueue_webhook(
    writer: &SqlitePool,
    w: &NewWebhook,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_outbox (url, event_type, body, created_at, next_attempt_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&w.url)
    .bind(&w.event_type)
    .bind(&w.body)
    .bind(ms(now))
    .bind(ms(now))
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn due_webhooks(
    reader: &SqlitePool,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<QueuedWebhook>> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, url, event_type, body, attempts FROM webhook_outbox \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? \
         ORDER BY next_attempt_at, id LIMIT ?",
    )
    .bind(ms(now))
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, url, event_type, body, attempts)| QueuedWebhook {
            id,
            url,
            event_type,
            body,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        })
        .collect())
}

pub(super) async fn webhook_attempted(
    writer: &SqlitePool,
    id: i64,
    outcome: &WebhookOutcome,
    now: Timestamp,
) -> Result<()> {
    let q = match outcome {
        WebhookOutcome::Delivered => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, delivered_at = ?, \
             last_error = NULL WHERE id = ?",
        )
        .bind(ms(now))
        .bind(id),
        WebhookOutcome::Retry { at, error } => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?, \
             last_error = ? WHERE id = ?",
        )
        .bind(ms(*at))
        .bind(error.clone())
        .bind(id),
        WebhookOutcome::GaveUp { error } => sqlx::query(
            "UPDATE webhook_outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? \
             WHERE id = ?",
        )
        .bind(ms(now))
        .bind(error.clone())
        .bind(id),
    };
    q.execute(writer).await?;
    Ok(())
}
