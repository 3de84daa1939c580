//! The routing queue as staff see it (`GET /api/queue`, the `queue` frame after `subscribe_queue`):
//! each skill's waiting conversations in order, and the agents with their status and load. The
//! handoff coordinator builds it from the router's snapshot and publishes it whole; each viewer
//! gets their own cut of it (agents see the waiting customers of their own skills only).

use super::ids::{ConversationId, UserId};
use super::{Timestamp, Urgency};
use serde::{Deserialize, Serialize};

/// What an agent told the router about their availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes offers up to their maximum of concurrent conversations.
    Available,
    /// Working (e.g. wrap-up) and counted as serving their skills, but gets no new offers.
    Busy,
    /// Not at the desk: no offers, and not counted in wait estimates.
    Away,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Busy => "busy",
            Self::Away => "away",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "available" => Some(Self::Available),
            "busy" => Some(Self::Busy),
            "away" => Some(Self::Away),
            _ => None,
        }
    }
}

/// Queues and agents, as published (everything) or as one staff member may see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueView {
    /// Skills with waiting conversations, in skill-name order.
    pub queues: Vec<SkillQueue>,
    /// Known agents in user-id order (online ones, and offline ones still holding conversations).
    pub agents: Vec<AgentLoad>,
}

/// One skill's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillQueue {
    pub skill: String,
    /// Agents signed in and not away with this skill (at least 1, as used by the estimate).
    pub agents_serving: usize,
    pub mean_handle_secs: u64,
    /// In queue order; `position` is 1-based. Empty in an agent's view of another skill's queue.
    pub conversations: Vec<QueuedCase>,
    /// How many wait, in an agent's view of another skill's queue (which does not list them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<usize>,
}

/// A conversation waiting in a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedCase {
    pub conversation_id: ConversationId,
    pub position: usize,
    pub urgency: Urgency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub enqueued_at: Timestamp,
    pub estimate_secs: u64,
    /// The agent holding the live offer, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<UserId>,
    /// Who waits and why, when the coordinator knows the case (it always should).
    #[serde(flatten)]
    pub case: Option<CaseSummary>,
}

/// Who is waiting and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    /// `null` for a customer who gave no name.
    pub customer_name: Option<String>,
    /// What escalated it (`explicit_request`, ...).
    pub trigger: String,
    /// The customer left an e-mail address: replies reach them by e-mail.
    pub email_followup: bool,
}

/// One agent's status and load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentLoad {
    pub agent_id: UserId,
    pub status: AgentStatus,
    pub online: bool,
    pub load: usize,
    pub max_concurrent: u32,
    /// Absent in an agent's view of their colleagues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// Absent in an agent's view of their colleagues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    pub conversations: Vec<ConversationId>,
    /// The conversation this agent is being offered, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<ConversationId>,
    pub idle_since: Timestamp,
    /// Their display name.
    pub name: String,
}
