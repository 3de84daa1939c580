//! A read-only picture of the router for the agent page: queues with positions, agents with load.

use super::agents::AgentStatus;
use crate::domain::{ConversationId, Timestamp, Urgency, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingSnapshot {
    /// Skills with waiting conversations, in skill-name order.
    pub queues: Vec<QueueSnapshot>,
    /// Known agents in user-id order (online ones, and offline ones still holding conversations).
    pub agents: Vec<AgentSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSnapshot {
    pub skill: String,
    /// Agents signed in and not away with this skill (at least 1, as used by the estimate).
    pub agents_serving: usize,
    pub mean_handle_secs: u64,
    /// In queue order; `position` is 1-based.
    pub conversations: Vec<QueuedConversation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedConversation {
    pub conversation_id: ConversationId,
    pub position: usize,
    pub urgency: Urgency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub enqueued_at: Timestamp,
    pub estimate_secs: u64,
    /// The agent holding the live offer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSnapshot {
    pub agent_id: UserId,
    pub status: AgentStatus,
    pub online: bool,
    pub load: usize,
    pub max_concurrent: u32,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub conversations: Vec<ConversationId>,
    /// The conversation this agent is being offered, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<ConversationId>,
    pub idle_since: Timestamp,
}
