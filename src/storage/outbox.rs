//! The outbox: webhooks and e-mails written with the events that owe them and delivered after,
//! with their attempts, retries and outcomes kept.

use super::Result;
use crate::domain::{ConversationId, Timestamp};
use async_trait::async_trait;

/// A webhook to deliver: `body` is sent as is and signed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhook {
    pub url: String,
    pub event_type: String,
    pub body: String,
}

/// A webhook delivery waiting for its next attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedWebhook {
    pub id: i64,
    pub url: String,
    pub event_type: String,
    pub body: String,
    pub attempts: u32,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookOutcome {
    Delivered,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// No more attempts.
    GaveUp {
        error: String,
    },
}

/// An e-mail waiting in the outbox (rows written with the events that owe them; see
/// `domain::followup`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEmail {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub kind: crate::domain::followup::OutboxKind,
    pub recipient: String,
    /// The events it carries: a reply batch's agent messages in `first_seq..=last_seq`, a
    /// transcript's conversation up to `last_seq`.
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
}

/// How an e-mail's attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailOutcome {
    Sent,
    /// Not sent: the customer had already received it on the page.
    Skipped,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// No more attempts.
    Failed {
        error: String,
    },
}

/// Deliveries owed to the outside world, kept until they are done: webhooks and e-mails.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues a webhook delivery; it is attempted from `now`.
    async fn enqueue_webhook(&self, delivery: &NewWebhook, now: Timestamp) -> Result<()>;
    /// Deliveries due at `now`, oldest first.
    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedWebhook>>;
    /// Records an attempt's outcome.
    async fn webhook_attempted(
        &self,
        id: i64,
        outcome: &WebhookOutcome,
        now: Timestamp,
    ) -> Result<()>;

    /// Pending e-mails that may be due at `now` (not waiting for a retry or held by an attempt),
    /// oldest first.
    async fn pending_emails(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedEmail>>;
    /// Takes `mail` for an attempt: counts the attempt and holds the row until `lease_until` (a
    /// gateway that stops mid-attempt retries it then). False when the row changed since it was
    /// read (a reply joined the batch, or someone else took it).
    async fn claim_email(&self, mail: &QueuedEmail, lease_until: Timestamp) -> Result<bool>;
    /// Records how a claimed e-mail's attempt ended.
    async fn email_attempted(&self, id: i64, outcome: &EmailOutcome, now: Timestamp) -> Result<()>;
    /// Outbox rows by state (`pending`, `sent`, `failed`, `skipped`).
    async fn email_counts(&self) -> Result<Vec<(String, u64)>>;
}
