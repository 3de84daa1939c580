//! Where a conversation stands in the warm handoff, as projected from its events: who it is offered
//! to, who accepted it, who has read the briefing, who was invited, and the customer's place in the
//! queue. Plain data; `ConversationHeader::apply` keeps it current.

use super::ids::{MessageId, UserId};
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The customer's place in the queue, as last told to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitEstimate {
    /// 1-based position in the skill's queue.
    pub position: usize,
    pub estimate_secs: u64,
}

/// The live handoff of an escalated conversation. It starts with `escalation_triggered` and ends
/// when the conversation is resolved or handed back to the assistant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<Timestamp>,
    /// The messages that caused the escalation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<MessageId>,
    /// The agent holding the live offer, if any, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_expires_at: Option<Timestamp>,
    /// Agents who accepted (the first one, then invited specialists), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<UserId>,
    /// Agents who opened the briefing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub briefing_opened: Vec<UserId>,
    /// Specialists invited and not yet answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invited: Vec<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitEstimate>,
    /// A transfer under way, from `transfer_requested` until `transfer_ended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<PendingTransfer>,
}

/// An agent asked a colleague, or anyone with a skill, to take the conversation over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingTransfer {
    pub from_agent_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_agent_id: Option<UserId>,
    pub skill: String,
    pub requested_at: Timestamp,
}

impl HandoffState {
    /// May this agent read the conversation because of the handoff (offered, accepted, invited)?
    pub fn involves(&self, agent: &UserId) -> bool {
        self.offered_to.as_ref() == Some(agent)
            || self.accepted.contains(agent)
            || self.invited.contains(agent)
    }

    pub fn has_accepted(&self, agent: &UserId) -> bool {
        self.accepted.contains(agent)
    }

    pub fn has_opened(&self, agent: &UserId) -> bool {
        self.briefing_opened.contains(agent)
    }
}
