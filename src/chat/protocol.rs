//! WebSocket frames of `GET /api/ws`: JSON text frames tagged by `type` (snake_case), fields camelCase.
//!
//! Session: the client authenticates (an `Authorization: Bearer` header on the upgrade, or an `auth`
//! frame first), receives `ready`, then subscribes to conversations. `subscribe` with `afterSeq`
//! replays every committed event after that sequence number, in order, exactly once, then streams
//! live events; `subscribed` marks the end of the replay. `send_message` is answered by `ack` only
//! after the message is committed; resending the same `clientMsgId` returns the original `ack` with
//! `duplicate: true` and stores nothing new. Any problem with one frame is answered by an `error`
//! frame and the connection stays open; only authentication failures and floods close it.

use crate::domain::{ConversationEvent, ConversationId, ConversationSummary, MessageId};
use serde::{Deserialize, Serialize};

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    #[serde(rename_all = "camelCase")]
    Auth {
        token: String,
    },
    #[serde(rename_all = "camelCase")]
    Subscribe {
        conversation_id: ConversationId,
        #[serde(default)]
        after_seq: u64,
    },
    #[serde(rename_all = "camelCase")]
    Unsubscribe {
        conversation_id: ConversationId,
    },
    /// Staff only: the list of visible conversations, then a summary each time one changes.
    SubscribeInbox,
    #[serde(rename_all = "camelCase")]
    SendMessage {
        conversation_id: ConversationId,
        content: String,
        #[serde(default)]
        client_msg_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Typing {
        conversation_id: ConversationId,
        is_typing: bool,
    },
    Ping,
}

/// Who is on the other end of a typing or presence frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    /// `customer`, `agent`, `manager` or `bot`.
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Frames the gateway sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Authentication succeeded. A customer's `conversationId` is the one their token is for.
    #[serde(rename_all = "camelCase")]
    Ready {
        me: PeerInfo,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    /// A committed conversation event (replayed or live).
    #[serde(rename_all = "camelCase")]
    Event {
        event: ConversationEvent,
    },
    /// The replay requested by `subscribe` is complete; live events follow.
    #[serde(rename_all = "camelCase")]
    Subscribed {
        conversation_id: ConversationId,
        last_seq: u64,
    },
    #[serde(rename_all = "camelCase")]
    Unsubscribed {
        conversation_id: ConversationId,
    },
    /// A `send_message` was committed under `seq`.
    #[serde(rename_all = "camelCase")]
    Ack {
        conversation_id: ConversationId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        message_id: MessageId,
        seq: u64,
        duplicate: bool,
    },
    #[serde(rename_all = "camelCase")]
    Inbox {
        conversations: Vec<ConversationSummary>,
    },
    #[serde(rename_all = "camelCase")]
    InboxUpdate {
        conversation: ConversationSummary,
    },
    /// A conversation left this inbox (another agent took it, or it was re-routed).
    #[serde(rename_all = "camelCase")]
    InboxRemove {
        conversation_id: ConversationId,
    },
    #[serde(rename_all = "camelCase")]
    Typing {
        conversation_id: ConversationId,
        from: PeerInfo,
        is_typing: bool,
    },
    #[serde(rename_all = "camelCase")]
    Presence {
        conversation_id: ConversationId,
        from: PeerInfo,
        online: bool,
    },
    Pong,
    /// `code` is a stable machine-readable name; `ref` echoes the `clientMsgId` or conversation id
    /// of the frame that failed, when there is one.
    #[serde(rename_all = "camelCase")]
    Error {
        code: String,
        message: String,
        #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>, reference: Option<String>) -> Self {
        Self::Error {
            code: code.to_owned(),
            message: message.into(),
            reference,
        }
    }

    /// Serialised frame. Serialising these types cannot fail (no maps with non-string keys); the
    /// fallback keeps the connection alive if that ever changes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                r#"{{"type":"error","code":"internal","message":"frame encoding failed: {e}"}}"#
            )
        })
    }
}
