//! Handoff review: the quality figures of one handoff, as managers read them and webhooks carry
//! them, and the ratings customers and agents give.
//!
//! Contract: plain data, no IO. `HandoffMetrics` is computed from a conversation's committed event
//! log by `review::compute_metrics` (time passed in) whenever the handoff resolves, is rated or its
//! call transcript arrives; storage keeps the latest copy per conversation. Durations are in
//! milliseconds and `None` when the step did not happen. Field names are camelCase on the wire.

use super::conversation::Urgency;
use super::ids::{ConversationId, MessageId, UserId};
use super::message::Channel;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The figures of one handoff (escalation to resolution) of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffMetrics {
    pub conversation_id: ConversationId,
    pub customer_name: Option<String>,
    /// When the (last) escalation was triggered.
    pub escalated_at: Timestamp,
    /// When an agent resolved it; `None` while it is open.
    pub resolved_at: Option<Timestamp>,
    /// The escalation's trigger (`explicit_request`, `frustration`, `low_confidence`, ...).
    pub trigger: String,
    /// The skill it was routed under.
    pub skill: String,
    pub urgency: Urgency,
    /// The first agent who joined.
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    /// Distinct agents who joined (the first one plus specialists).
    pub agents_involved: u32,
    pub durations: HandoffDurations,
    /// Agent questions for something the customer had already given.
    pub repeat_asks: Vec<RepeatAsk>,
    /// 100 when nothing was asked again, lower with every repeat ask (see `review::context`).
    pub context_score: f64,
    /// The briefing's completeness when it was delivered, in [0, 1].
    pub briefing_completeness: Option<f64>,
    pub customer_rating: Option<CustomerRating>,
    pub briefing_ratings: Vec<BriefingRating>,
    pub necessity: Option<EscalationNecessity>,
    /// Whether a call was held during the handoff.
    pub had_call: bool,
    pub computed_at: Timestamp,
}

/// How long each step of the handoff took, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffDurations {
    /// Conversation start to escalation: the assistant alone.
    pub ai_phase_ms: Option<u64>,
    /// First sign of trouble (the oldest evidence message) to escalation.
    pub time_to_escalate_ms: Option<u64>,
    /// Escalation to the first agent joining: what the customer waited.
    pub queue_wait_ms: Option<u64>,
    /// The offer shown to the agent who then joined, until they accepted it: reading the briefing
    /// on the offer card.
    #[serde(default)]
    pub offer_read_ms: Option<u64>,
    /// Briefing opened (the console opens it on accepting) to the same agent joining: reading
    /// the whole briefing before speaking.
    pub briefing_read_ms: Option<u64>,
    /// Agent joined to the first message an agent wrote after the warm introduction (which is
    /// sent with the join itself), chat or voice.
    pub first_response_ms: Option<u64>,
    /// Agent joined to resolution.
    pub resolution_ms: Option<u64>,
}

/// Where a fact the agent asked for again was already known from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactOrigin {
    /// The customer said it in the conversation before the question.
    CustomerMessage,
    /// The briefing listed it under "do not ask again".
    Briefing,
    /// The customer record the conversation was opened with.
    CustomerRecord,
}

/// One agent question asking for a fact the customer had already given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepeatAsk {
    /// The agent's message (chat, or a transcribed `voice` line).
    pub message_id: MessageId,
    pub seq: u64,
    pub at: Timestamp,
    pub channel: Channel,
    pub agent_id: Option<UserId>,
    /// The question as asked.
    pub text: String,
    /// The fact kind asked for (`email`, `order_id`, `browser`, ... as in `KnownFact::kind`).
    pub fact_kind: String,
    /// What was already known, and from where.
    pub known_value: String,
    pub known_from: FactOrigin,
    /// The customer message that gave it, when it came from one.
    pub known_message_id: Option<MessageId>,
}

/// The customer's answer to the end-of-conversation survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRating {
    /// 1 (poor) to 5 (excellent).
    pub score: u8,
    /// "Did you have to repeat yourself?"
    pub repeated: bool,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// An agent's rating of the briefing they received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingRating {
    pub agent_id: UserId,
    /// 1 (useless) to 5 (had everything I needed).
    pub score: u8,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// Why the escalation was or was not needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NecessityReason {
    /// The agent did something the assistant cannot (refund, account change, manual fix,
    /// a call), or the customer asked for a person.
    AgentAction,
    /// The agent's answer is one the knowledge base already holds.
    KnowledgeBaseAnswer,
}

/// Was a person needed for this handoff?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationNecessity {
    pub necessary: bool,
    pub reason: NecessityReason,
    /// One line for the manager (`Refund issued by the agent`, `Answered from "Reset your password"`).
    pub detail: String,
    /// The agent message that decided it.
    pub message_id: Option<MessageId>,
}

/// An agent message that matches a knowledge-base article closely: evidence that the assistant
/// could have answered it. The app finds them (it may search the knowledge base); the pure
/// computation only weighs them.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeMatch {
    pub message_id: MessageId,
    pub article_title: String,
    /// Similarity in [0, 1].
    pub score: f64,
}

/// How to group handoffs in the aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Agent,
    Skill,
    Trigger,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "day" => Self::Day,
            "agent" => Self::Agent,
            "skill" => Self::Skill,
            "trigger" => Self::Trigger,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Agent => "agent",
            Self::Skill => "skill",
            Self::Trigger => "trigger",
        }
    }
}

/// The figures of a group of handoffs (one day, agent, skill or trigger, or all of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffAggregate {
    /// The group's key (`2026-11-27`, an agent id, a skill, a trigger; `all` for the total).
    pub key: String,
    /// What to show for it (the agent's name for an agent id).
    pub label: String,
    pub handoffs: u64,
    pub resolved: u64,
    pub median_queue_wait_ms: Option<u64>,
    pub p90_queue_wait_ms: Option<u64>,
    #[serde(default)]
    pub median_offer_read_ms: Option<u64>,
    pub median_briefing_read_ms: Option<u64>,
    pub median_first_response_ms: Option<u64>,
    pub median_resolution_ms: Option<u64>,
    pub mean_context_score: Option<f64>,
    pub repeat_asks: u64,
    /// Handoffs with at least one repeat ask.
    pub handoffs_with_repeat_asks: u64,
    pub customer_ratings: u64,
    pub mean_customer_score: Option<f64>,
    /// Share of rated handoffs where the customer said they had to repeat themselves.
    pub repeated_share: Option<f64>,
    pub briefing_ratings: u64,
    pub mean_briefing_score: Option<f64>,
    /// Handoffs judged unnecessary (the knowledge base had the answer).
    pub unnecessary: u64,
    pub mean_agents_involved: Option<f64>,
}

/// Which handoffs a listing or aggregate covers. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffFilter {
    /// Escalated at or after.
    pub from: Option<Timestamp>,
    /// Escalated before.
    pub to: Option<Timestamp>,
    pub agent_id: Option<UserId>,
    pub skill: Option<String>,
    pub trigger: Option<String>,
    /// Context score at most this (find the bad ones).
    pub max_context_score: Option<f64>,
    /// Only handoffs with at least one repeat ask.
    pub with_repeat_asks: bool,
}

/// A manager's access to review data, kept in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user_id: UserId,
    pub username: String,
    /// `recording.read`, `review.view`, `export.json`, `export.vtt`, `export.srt`,
    /// `export.briefing`, `review.list`, `review.aggregates`.
    pub action: String,
    pub conversation_id: Option<ConversationId>,
    /// What exactly (a recording's `callId/name`).
    pub detail: String,
    /// The client address.
    pub ip: String,
}
