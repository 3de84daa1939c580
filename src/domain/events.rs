//! The per-conversation event log. Every change to a conversation is an event with a sequence number
//! that starts at 1 and has no gaps; a client that knows its last `seq` can ask for exactly what it
//! missed. Events are immutable once committed.

use super::conversation::{ConversationStatus, Customer, Escalation, Participant};
use super::ids::{ConversationId, ParticipantId};
use super::message::Message;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// A committed event. On the wire: `{"conversationId", "seq", "timestamp", "type", ...body fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationEvent {
    pub conversation_id: ConversationId,
    pub seq: u64,
    pub timestamp: Timestamp,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened. The `type` tag is the event's name in the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    #[serde(rename_all = "camelCase")]
    ConversationCreated { customer: Customer },
    #[serde(rename_all = "camelCase")]
    Message {
        message: Message,
        /// For customer messages: the skill the conversation should be routed under from now on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routing_skill: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    ParticipantJoined { participant: Participant },
    #[serde(rename_all = "camelCase")]
    ParticipantLeft { participant_id: ParticipantId },
    #[serde(rename_all = "camelCase")]
    StatusChanged {
        status: ConversationStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    EscalationUpdated { escalation: Escalation },
}

impl EventBody {
    /// The `type` tag, as stored in the log's `type` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ConversationCreated { .. } => "conversation_created",
            Self::Message { .. } => "message",
            Self::ParticipantJoined { .. } => "participant_joined",
            Self::ParticipantLeft { .. } => "participant_left",
            Self::StatusChanged { .. } => "status_changed",
            Self::EscalationUpdated { .. } => "escalation_updated",
        }
    }

    pub fn message(&self) -> Option<&Message> {
        match self {
            Self::Message { message, .. } => Some(message),
            _ => None,
        }
    }
}
