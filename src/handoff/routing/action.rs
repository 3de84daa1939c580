//! What the router asks its caller to do. The caller executes them in order.

use crate::domain::{ConversationId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// Why a conversation went back to waiting without an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequeueReason {
    /// The agent declined the offer.
    Declined,
    /// The agent did not answer within `offer_timeout_secs`.
    OfferExpired,
    /// The agent went offline while holding the offer.
    AgentOffline,
    /// The agent switched to `busy` or `away` while holding the offer.
    AgentUnavailable,
}

/// One output of the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum RoutingAction {
    /// Show the conversation (with its briefing) to the agent; it may accept until `expires_at`.
    Offer {
        conversation_id: ConversationId,
        agent_id: UserId,
        expires_at: Timestamp,
    },
    /// Take the offer off the agent's screen: it expired or the agent/conversation went away.
    OfferWithdrawn {
        conversation_id: ConversationId,
        agent_id: UserId,
    },
    /// The agent accepted: join them to the conversation.
    Assigned {
        conversation_id: ConversationId,
        agent_id: UserId,
    },
    /// The conversation is waiting again (it may be offered to someone else in the same batch).
    Requeued {
        conversation_id: ConversationId,
        reason: RequeueReason,
    },
    /// Tell the customer where they stand: 1-based position in the skill queue and seconds.
    WaitEstimate {
        conversation_id: ConversationId,
        position: usize,
        estimate_secs: u64,
    },
    /// A specialist was offered to join an assigned conversation (followed by its `Offer`).
    SpecialistInvited {
        conversation_id: ConversationId,
        agent_id: UserId,
        skill: String,
    },
    /// Nobody (else) with the skill can join now; the invite is over.
    NoSpecialist {
        conversation_id: ConversationId,
        skill: String,
    },
    /// An agent in the conversation asked `agent_id` to take it over (followed by its `Offer`).
    TransferOffered {
        conversation_id: ConversationId,
        agent_id: UserId,
        skill: String,
    },
    /// Nobody took the transfer: the asking agent keeps the conversation. `reason` is why the
    /// last agent asked did not take it (`None`: nobody could be asked).
    TransferFailed {
        conversation_id: ConversationId,
        skill: String,
        reason: Option<RequeueReason>,
    },
}
