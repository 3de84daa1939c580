//! The one error type of routing: a rejected accept, decline or transfer, or a bad configuration.

use crate::domain::{ConversationId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// Nobody holds an offer for this conversation (never offered, already accepted, withdrawn).
    #[error("conversation {conversation} has no live offer")]
    NoLiveOffer { conversation: ConversationId },
    /// The live offer belongs to a different agent.
    #[error("the offer for conversation {conversation} is not held by agent {agent}")]
    NotOfferedTo {
        conversation: ConversationId,
        agent: UserId,
    },
    /// The agent's offer ran out (whether or not `tick` has moved it on yet).
    #[error("the offer of conversation {conversation} to agent {agent} has expired")]
    OfferExpired {
        conversation: ConversationId,
        agent: UserId,
    },
    /// Another transfer or specialist invite for the conversation is under way.
    #[error("a transfer or specialist invite for conversation {conversation} is already pending")]
    RequestPending { conversation: ConversationId },
    /// The named colleague cannot be asked now (`why`: "is away", ...).
    #[error("agent {agent} {why}")]
    TargetUnavailable { agent: UserId, why: &'static str },
    /// Nobody with the skill, outside the conversation, can be asked now.
    #[error("nobody with skill {skill:?} can take conversation {conversation} now")]
    NobodyWithSkill {
        conversation: ConversationId,
        skill: String,
    },
    #[error("handoff.routing.{field} {problem}")]
    InvalidConfig {
        field: &'static str,
        problem: &'static str,
    },
}
