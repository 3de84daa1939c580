//! Prometheus metrics of the gateway, rendered in the text exposition format at `/metrics`.
//! A leaf module: it knows metric names, not the modules that feed them.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SpeakerLabel {
    pub speaker: &'static str,
}

/// An e-mail's kind (`reply`, `transcript`) and how an attempt ended (`sent`, `retry`,
/// `failed`, `skipped`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EmailLabel {
    pub kind: &'static str,
    pub outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    /// E-mail outbox attempts by kind and outcome.
    pub emails: Family<EmailLabel, Counter>,
    /// E-mails waiting in the outbox (batching, retrying) at the last look.
    pub email_outbox_pending: Gauge,
    /// Time an SMTP delivery took.
    pub email_send_seconds: Histogram,
    /// Customer e-mail requests by kind: `followup`, `transcript`, `link_opened`, `link_refused`.
    pub email_requests: Family<ReasonLabel, Counter>,
    pub http_responses: Family<StatusLabel, Counter>,
    /// Attachment uploads by outcome: `stored`, `duplicate`, `too_large`, `unsupported`,
    /// `bad_request`, `refused`, `disk_full`, `failed`.
    pub attachments: Family<OutcomeLabel, Counter>,
    /// Bytes of attachments stored.
    pub attachment_bytes: Counter,
    pub ws_connections: Gauge,
    pub ws_frames_received: Counter,
    pub ws_frames_rejected: Family<ReasonLabel, Counter>,
    pub rate_limited: Family<ReasonLabel, Counter>,
    /// Proof-of-work challenges for anonymous creation: `issued`, `solved`, `refused`.
    pub creation_challenges: Family<OutcomeLabel, Counter>,
    pub messages_committed: Family<SpeakerLabel, Counter>,
    pub journal_batch_writes: Histogram,
    pub journal_commit_seconds: Histogram,
    pub journal_failures: Counter,
    pub assistant_replies: Counter,
    pub assistant_failures: Counter,
    pub assistant_seconds: Histogram,
    /// Handoff steps by kind: `offer`, `accept`, `decline`, `withdrawn`, `join`, `hand_back`,
    /// `resolve`, `specialist_invite`, `take_over`.
    pub handoff_events: Family<ReasonLabel, Counter>,
    /// Escalations by trigger.
    pub escalations: Family<ReasonLabel, Counter>,
    /// Conversations waiting for an agent.
    pub handoff_queued: Gauge,
    /// Agents signed in to routing.
    pub agents_online: Gauge,
    /// Policy evaluations and briefing refreshes skipped because the turn queue was full.
    pub turns_skipped: Counter,
    /// Customer messages analysed by words only because the embedder was busy past
    /// `[semantic] analysis_wait_ms` (load shedding).
    pub analysis_shed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("warmline");
        let m = Self {
            emails: Family::default(),
            email_outbox_pending: Gauge::default(),
            email_send_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            email_requests: Family::default(),
            http_responses: Family::default(),
            attachments: Family::default(),
            attachment_bytes: Counter::default(),
            ws_connections: Gauge::default(),
            ws_frames_received: Counter::default(),
            ws_frames_rejected: Family::default(),
            rate_limited: Family::default(),
            creation_challenges: Family::default(),
            messages_committed: Family::default(),
            journal_batch_writes: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            journal_commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            journal_failures: Counter::default(),
            assistant_replies: Counter::default(),
            assistant_failures: Counter::default(),
            assistant_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            handoff_events: Family::default(),
            escalations: Family::default(),
            handoff_queued: Gauge::default(),
            agents_online: Gauge::default(),
            turns_skipped: Counter::default(),
            analysis_shed: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "emails",
            "E-mail attempts by kind and outcome",
            m.emails.clone(),
        );
        registry.register(
            "attachments",
            "Attachment uploads by outcome",
            m.attachments.clone(),
        );
        registry.register(
            "attachment_bytes",
            "Bytes of attachments stored",
            m.attachment_bytes.clone(),
        );
        registry.register(
            "email_outbox_pending",
            "E-mails waiting in the outbox",
            m.email_outbox_pending.clone(),
        );
        registry.register(
            "email_send_seconds",
            "Time an SMTP delivery took",
            m.email_send_seconds.clone(),
        );
        registry.register(
            "email_requests",
            "Customer e-mail requests by kind",
            m.email_requests.clone(),
        );
        registry.register(
            "http_responses",
            "HTTP responses by status",
            m.http_responses.clone(),
        );
        registry.register(
            "ws_connections",
            "Open WebSocket connections",
            m.ws_connections.clone(),
        );
        registry.register(
            "ws_frames_received",
            "WebSocket frames received",
            m.ws_frames_received.clone(),
        );
        registry.register(
            "ws_frames_rejected",
            "WebSocket frames answered with an error",
            m.ws_frames_rejected.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests or frames refused by a rate limit",
            m.rate_limited.clone(),
        );
        registry.register(
            "creation_challenges",
            "Proof-of-work challenges for new anonymous conversations, by outcome",
            m.creation_challenges.clone(),
        );
        registry.register(
            "messages_committed",
            "Messages durably committed",
            m.messages_committed.clone(),
        );
        registry.register(
            "journal_batch_writes",
            "Writes per group commit",
            m.journal_batch_writes.clone(),
        );
        registry.register(
            "journal_commit_seconds",
            "Duration of one group commit",
            m.journal_commit_seconds.clone(),
        );
        registry.register(
            "journal_failures",
            "Group commits that failed",
            m.journal_failures.clone(),
        );
        registry.register(
            "assistant_replies",
            "Assistant replies committed",
            m.assistant_replies.clone(),
        );
        registry.register(
            "assistant_failures",
            "Assistant calls that failed",
            m.assistant_failures.clone(),
        );
        registry.register(
            "assistant_seconds",
            "Time the assistant took to answer",
            m.assistant_seconds.clone(),
        );
        registry.register(
            "handoff_events",
            "Handoff steps by kind",
            m.handoff_events.clone(),
        );
        registry.register(
            "escalations",
            "Escalations to a person by trigger",
            m.escalations.clone(),
        );
        registry.register(
            "handoff_queued",
            "Conversations waiting for an agent",
            m.handoff_queued.clone(),
        );
        registry.register(
            "agents_online",
            "Agents signed in to routing",
            m.agents_online.clone(),
        );
        registry.register(
            "turns_skipped",
            "Customer turns not evaluated because the turn queue was full",
            m.turns_skipped.clone(),
        );
        registry.register(
            "analysis_shed",
            "Customer messages analysed by words only because the embedder was busy",
            m.analysis_shed.clone(),
        );
        Self { registry, ..m }
    }

    /// Adds a collector read at each scrape (counters other modules keep, wired by `app`).
    pub fn with_collector(
        mut self,
        collector: Box<dyn prometheus_client::collector::Collector>,
    ) -> Self {
        self.registry.register_collector(collector);
        self
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
