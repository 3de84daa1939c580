//! The one error type of routing: a rejected accept/decline, or a bad configuration.

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
    #[error("handoff.routing.{field} {problem}")]
    InvalidConfig {
        field: &'static str,
        problem: &'static str,
    },
}
