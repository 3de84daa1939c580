//! Delivers queued webhooks (`handoff_completed`) from the outbox: POST with the JSON body as
//! stored, signed `X-Warmline-Signature: sha256=<hex HMAC-SHA256 of the body>` with the configured
//! secret. A 2xx answer delivers it; anything else is retried with exponential back-off (5 s, 10 s,
//! 20 s, ... capped at an hour) until `webhook_max_attempts`. Delivery is at least once: receivers
//! deduplicate on `X-Warmline-Delivery` or on the body's `id`.

use crate::domain::HandoffMetrics;
use crate::review::ReviewConfig;
use crate::storage::{QueuedWebhook, Store, WebhookOutcome};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const HANDOFF_COMPLETED: &str = "handoff_completed";
/// How often the outbox is looked at when nothing wakes the deliverer.
const POLL: Duration = Duration::from_secs(5);
const FIRST_RETRY_SECS: i64 = 5;
const MAX_RETRY_SECS: i64 = 3600;
/// Deliveries taken from the outbox per round.
const BATCH: u32 = 32;

/// The `handoff_completed` body: `{"id", "type", "occurredAt", "conversationId", "metrics"}`.
pub fn completed_body(metrics: &HandoffMetrics) -> Result<String, serde_json::Error> {
    serde_json::to_string(&serde_json::json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "type": HANDOFF_COMPLETED,
        "occurredAt": metrics.resolved_at.unwrap_or(metrics.computed_at),
        "conversationId": metrics.conversation_id,
        "metrics": metrics,
    }))
}

/// Runs until the process ends.
/// Delivers due webhooks until `stop` turns true. An attempt under way then is finished and its
/// outcome stored (so a delivered hook is not sent again after the restart); nothing new starts.
pub async fn deliver(
    store: Arc<dyn Store>,
    config: ReviewConfig,
    due: Arc<Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(config.webhook_timeout_ms))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: cannot build an HTTP client");
            return;
        }
    };
    let secret = config.webhook_secret.clone().unwrap_or_default();
    while !*stop.borrow() {
        match store.due_webhooks(Utc::now(), BATCH).await {
            Ok(batch) => {
                for hook in batch {
                    if *stop.borrow() {
                        return;
                    }
                    let outcome = attempt(&client, secret.as_bytes(), &hook, &config).await;
                    if let Err(e) = store.webhook_attempted(hook.id, &outcome, Utc::now()).await {
                        tracing::error!(error = %e, "webhook outcome not stored");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the webhook outbox"),
        }
        tokio::select! {
            _ = tokio::time::timeout(POLL, due.notified()) => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }
}

async fn attempt(
    client: &reqwest::Client,
    secret: &[u8],
    hook: &QueuedWebhook,
    config: &ReviewConfig,
) -> WebhookOutcome {
    let signature = crate::assistant::hmac::signature_header(secret, hook.body.as_bytes());
    let sent = client
        .post(&hook.url)
        .header("Content-Type", "application/json")
        .header("X-Warmline-Event", &hook.event_type)
        .header("X-Warmline-Delivery", hook.id.to_string())
        .header("X-Warmline-Signature", signature)
        .body(hook.body.clone())
        .send()
        .await;
    let error = match sent {
        Ok(r) if r.status().is_success() => {
            tracing::info!(url = %hook.url, event = %hook.event_type, "webhook delivered");
            return WebhookOutcome::Delivered;
        }
        Ok(r) => format!("HTTP {}", r.status().as_u16()),
        Err(e) => e.to_string(),
    };
    let attempts = hook.attempts + 1;
    if attempts >= config.webhook_max_attempts {
        tracing::warn!(url = %hook.url, attempts, %error, "webhook given up");
        return WebhookOutcome::GaveUp { error };
    }
    let backoff = (FIRST_RETRY_SECS << attempts.saturating_sub(1).min(20)).min(MAX_RETRY_SECS);
    tracing::warn!(url = %hook.url, attempts, retry_in_secs = backoff, %error, "webhook failed");
    WebhookOutcome::Retry {
        at: Utc::now() + chrono::Duration::seconds(backoff),
        error,
    }
}
