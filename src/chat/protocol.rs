//! WebSocket frames of `GET /api/ws`: JSON text frames tagged by `type` (snake_case), fields camelCase.
//!
//! Session: the client authenticates (an `Authorization: Bearer` header on the upgrade, or an `auth`
//! frame first), receives `ready`, then subscribes to conversations. `subscribe` with `afterSeq`
//! replays every committed event after that sequence number, in order, exactly once, then streams
//! live events; `subscribed` marks the end of the replay. `send_message` is answered by `ack` only
//! after the message is committed; resending the same `clientMsgId` returns the original `ack` with
//! `duplicate: true` and stores nothing new. Any problem with one frame is answered by an `error`
//! frame and the connection stays open; only authentication failures and floods close it.
//!
//! Handoff (agents): a staff socket receives `agent_status`, and for agents `offer` (carrying the
//! briefing) and `offer_withdrawn`, without subscribing. `accept_offer` -> `open_briefing` ->
//! `join_conversation` is the order the gateway enforces (so the agent is briefed before the
//! customer sees them); each step, and `decline_offer`, `invite_specialist`,
//! `transfer_conversation`, `cancel_transfer`, `resolve_conversation` and `set_status`, is answered by `done` once committed, or by `error`
//! with a specific code (`briefing_not_opened`, `offer_expired`, ...). Customers receive staff-only
//! events as `redacted` with the same `seq`, so their log stays gap-free.
//!
//! Read receipts: pages send `delivered` / `read` with the highest `seq` they rendered / showed;
//! subscribers receive `receipt` per side (customer, or support as a whole). Not conversation
//! events: kept in memory, never in the log (`chat::receipts`).

use super::receipts::ReceiptSide;
use crate::domain::{
    Briefing, ConversationEvent, ConversationId, ConversationSummary, IceServer, MessageId,
    QueueView, Timestamp, Urgency,
};
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
    /// Agent: `available`, `busy` or `away`. Only available agents receive offers.
    #[serde(rename_all = "camelCase")]
    SetStatus {
        status: String,
    },
    /// Staff: the queues and agents now, then again whenever they change.
    SubscribeQueue,
    /// Agent: take the conversation offered to you.
    #[serde(rename_all = "camelCase")]
    AcceptOffer {
        conversation_id: ConversationId,
    },
    /// Agent: pass on the offer; it moves to the next agent and does not come back to you.
    #[serde(rename_all = "camelCase")]
    DeclineOffer {
        conversation_id: ConversationId,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Agent: you are reading the briefing (recorded as `briefing_opened`).
    #[serde(rename_all = "camelCase")]
    OpenBriefing {
        conversation_id: ConversationId,
    },
    /// Agent: enter the accepted conversation; `introduction` (default: the briefing's suggested
    /// warm introduction) is your first message to the customer.
    #[serde(rename_all = "camelCase")]
    JoinConversation {
        conversation_id: ConversationId,
        #[serde(default)]
        introduction: Option<String>,
    },
    /// Agent in the conversation: ask for a specialist with `skill` to join.
    #[serde(rename_all = "camelCase")]
    InviteSpecialist {
        conversation_id: ConversationId,
        skill: String,
    },
    /// Agent in the conversation: hand it to a colleague (`toAgent`, a user id) or whoever is
    /// best with `toSkill`, with a note for them.
    #[serde(rename_all = "camelCase")]
    TransferConversation {
        conversation_id: ConversationId,
        #[serde(default)]
        to_agent: Option<String>,
        #[serde(default)]
        to_skill: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Agent in the conversation: call off a transfer nobody accepted yet.
    #[serde(rename_all = "camelCase")]
    CancelTransfer {
        conversation_id: ConversationId,
    },
    /// Agent in the conversation: it is resolved.
    #[serde(rename_all = "camelCase")]
    ResolveConversation {
        conversation_id: ConversationId,
        #[serde(default)]
        note: Option<String>,
    },
    /// Customer or agent in the conversation: start the conversation's call, or get the one in
    /// progress. Answered by `call_ready`.
    #[serde(rename_all = "camelCase")]
    CallStart {
        conversation_id: ConversationId,
    },
    /// The browser's SDP offer (the first one joins the call). `tracks` names the source of each
    /// local track by its id (`{"<track id>": "microphone" | "camera" | "screen"}`).
    #[serde(rename_all = "camelCase")]
    CallOffer {
        call_id: String,
        sdp: String,
        #[serde(default)]
        tracks: std::collections::BTreeMap<String, String>,
    },
    /// The browser's answer to a `call_offer` from the gateway.
    #[serde(rename_all = "camelCase")]
    CallAnswer {
        call_id: String,
        sdp: String,
    },
    /// A trickled ICE candidate from the browser (`candidate` as in `RTCIceCandidateInit`).
    #[serde(rename_all = "camelCase")]
    CallIce {
        call_id: String,
        candidate: IceCandidate,
    },
    /// The browser muted or unmuted a source, or stopped its screen share.
    #[serde(rename_all = "camelCase")]
    CallMedia {
        call_id: String,
        source: String,
        /// `muted`, `unmuted` or `stopped`.
        change: String,
    },
    #[serde(rename_all = "camelCase")]
    CallHangup {
        call_id: String,
    },
    /// The page has shown the conversation's events up to `seq` to the person (tab visible, the
    /// event scrolled into view). Send at most a few times a second, when it grows. Answered by
    /// nothing; the other side learns it as a `receipt` (see `chat::receipts` for who counts).
    #[serde(rename_all = "camelCase")]
    Read {
        conversation_id: ConversationId,
        seq: u64,
    },
    /// The page has received and rendered events up to `seq` (visible or not). Same rules as
    /// `read`, which implies it.
    #[serde(rename_all = "camelCase")]
    Delivered {
        conversation_id: ConversationId,
        seq: u64,
    },
}

/// `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
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
        /// Boxed: events are the largest frames and would size every other one.
        event: Box<ConversationEvent>,
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
    /// An offer for this agent: accept before `expiresAt` or it moves on. Carries the briefing,
    /// so the agent is briefed before the customer ever sees them.
    #[serde(rename_all = "camelCase")]
    Offer {
        conversation_id: ConversationId,
        expires_at: Timestamp,
        specialist: bool,
        skill: String,
        urgency: Urgency,
        /// When the conversation was escalated (how long the customer has been waiting).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escalated_at: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_name: Option<String>,
        briefing: Box<Briefing>,
    },
    /// The offer is gone: `declined`, `expired`, `withdrawn` (taken over, handed back, resolved),
    /// `agent_unavailable` or `agent_offline`.
    #[serde(rename_all = "camelCase")]
    OfferWithdrawn {
        conversation_id: ConversationId,
        reason: String,
    },
    /// Queues and agents (the routing snapshot), for staff who sent `subscribe_queue`.
    #[serde(rename_all = "camelCase")]
    Queue {
        queue: QueueView,
    },
    /// This agent's routing status, on connect and after every change.
    #[serde(rename_all = "camelCase")]
    AgentStatus {
        status: String,
    },
    /// The call to connect to: make an `RTCPeerConnection` with `iceServers`, add local tracks,
    /// send `call_offer`. `recorded` says whether the call is recorded (the page must say so).
    #[serde(rename_all = "camelCase")]
    CallReady {
        conversation_id: ConversationId,
        call_id: String,
        ice_servers: Vec<IceServer>,
        recorded: bool,
    },
    /// The gateway's answer to the browser's offer.
    #[serde(rename_all = "camelCase")]
    CallAnswer {
        call_id: String,
        sdp: String,
    },
    /// The gateway's offer (tracks of others were added or removed); answer with `call_answer`.
    /// Remote tracks arrive with stream id `wl-<participantId>` and track id
    /// `wl-<participantId>-<microphone|camera|screen>`.
    #[serde(rename_all = "camelCase")]
    CallOffer {
        call_id: String,
        sdp: String,
    },
    /// A trickled ICE candidate from the gateway.
    #[serde(rename_all = "camelCase")]
    CallIce {
        call_id: String,
        candidate: IceCandidate,
    },
    /// A handoff action (`accept_offer`, `join_conversation`, ...) is committed.
    #[serde(rename_all = "camelCase")]
    Done {
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    /// How far one side of the conversation has received (`deliveredSeq`) and seen (`readSeq`)
    /// its events. `side` is `customer` or `agent` (support as a whole: never which agent). Sent
    /// to the conversation's subscribers when it moves, and on `subscribe` when known.
    #[serde(rename_all = "camelCase")]
    Receipt {
        conversation_id: ConversationId,
        side: ReceiptSide,
        delivered_seq: u64,
        read_seq: u64,
    },
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
