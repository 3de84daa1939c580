//! The service port: everything the HTTP and WebSocket layer asks of the gateway, with typed
//! results and `ServiceError`s. `service::Gateway` implements it; the router is generic over it, so
//! http never names a concrete store, engine or hub, and tests could supply another.

use super::error::ServiceError;
use crate::chat::Fanout;
use crate::config::LimitsConfig;
use crate::domain::canned::CannedResponse;
use crate::domain::{
    Access, AuditEntry, Briefing, CallMember, Channel, Conversation, ConversationEvent,
    ConversationHeader, ConversationId, ConversationStatus, ConversationSummary, Customer, GroupBy,
    HandoffAggregate, HandoffFilter, HandoffMetrics, Message, Principal, QueueView, RecordingFile,
    SentimentLabel, Speaker, Timestamp, TranscriptSegment, TranscriptSource, User,
};
use async_trait::async_trait;
use serde::Deserialize;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedConversation {
    pub conversation_id: ConversationId,
    pub customer_token: String,
    /// A verified customer's open conversation was continued rather than a new one started.
    pub resumed: bool,
}

/// A verified customer's earlier conversations, newest first (`domain::history`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerHistory {
    /// False for an anonymous customer: nothing links their conversations.
    pub verified: bool,
    pub conversations: Vec<crate::domain::history::PastConversation>,
}

/// A conversation reopened from an e-mail's link: its id and a fresh customer token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkSession {
    pub conversation_id: ConversationId,
    pub customer_token: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResult {
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

/// The briefing staff read: the one delivered at escalation, or the current draft before it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingView {
    /// True while the conversation has not escalated: what the agent would read now.
    pub draft: bool,
    /// How likely a handoff is, from the last turn's policy evaluation (0-1).
    pub likelihood: Option<f64>,
    pub briefing: std::sync::Arc<crate::domain::briefing::Briefing>,
}

/// What a manager can filter handoffs by.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewFacets {
    pub agents: Vec<AgentName>,
    pub skills: Vec<String>,
    pub triggers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentName {
    pub id: crate::domain::UserId,
    pub name: String,
}

/// One handoff as a manager reviews it (`GET /api/review/handoffs/{id}`): its figures, the
/// conversation and its events, the briefing as delivered, each call with its recordings and
/// transcript, and the customer's sentiment over time. Everything in it is redacted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffView {
    pub metrics: HandoffMetrics,
    pub conversation: Conversation,
    /// The briefing the first agent who joined was offered (what they read), else the latest
    /// one built; `null` when there is none.
    pub briefing: Option<Briefing>,
    /// Who was offered that briefing, and when; `null` for a briefing nobody was offered.
    pub briefing_delivered_to: Option<BriefingDelivery>,
    pub events: Vec<ConversationEvent>,
    pub calls: Vec<CallReview>,
    /// The customer's messages that have a sentiment score, in order.
    pub sentiment: Vec<SentimentPoint>,
}

/// The agent a briefing was delivered to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingDelivery {
    pub agent_id: crate::domain::UserId,
    pub agent_name: String,
    pub offered_at: Timestamp,
}

/// A call as a manager reviews it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallReview {
    pub call_id: String,
    pub started_at: Timestamp,
    /// `null` while the call is live.
    pub ended_at: Option<Timestamp>,
    /// The zero of the recordings' `offsetMs`; `null` for a call not recorded.
    pub recording_started_at: Option<Timestamp>,
    /// When retention deleted the files (the transcript stays); `null` while they are kept.
    pub recordings_deleted_at: Option<Timestamp>,
    pub members: Vec<CallMember>,
    pub recordings: Vec<RecordingLink>,
    /// The complete after-call transcript when there is one, else the live lines.
    pub transcript: Vec<TranscriptSegment>,
    pub transcript_source: TranscriptSource,
}

/// A recording file and where to fetch it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingLink {
    #[serde(flatten)]
    pub file: RecordingFile,
    /// `/api/conversations/{id}/recordings/{callId}/{name}`.
    pub url: String,
}

/// One customer message's sentiment, for the review page's curve.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentimentPoint {
    pub seq: u64,
    pub at: Timestamp,
    pub score: f64,
    pub label: Option<SentimentLabel>,
    pub speaker: Speaker,
    pub channel: Channel,
}

/// A message after it was committed (or found already committed under its `clientMsgId`).
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    pub duplicate: bool,
}

/// An agent's step in the handoff protocol (WebSocket frame or REST call).
#[derive(Debug, Clone, PartialEq)]
pub enum HandoffAction {
    Accept,
    Decline {
        reason: Option<String>,
    },
    OpenBriefing,
    Join {
        introduction: Option<String>,
    },
    InviteSpecialist {
        skill: String,
    },
    /// Hand the conversation to a named colleague (`to_agent`, their user id) or to whoever is
    /// best with `to_skill`, with a note for them. Warm: the asking agent stays until the new one
    /// has joined.
    Transfer {
        to_agent: Option<String>,
        to_skill: Option<String>,
        note: Option<String>,
    },
    /// Call off a transfer nobody has accepted yet.
    CancelTransfer,
    Resolve {
        note: Option<String>,
    },
}

impl HandoffAction {
    /// The WebSocket frame type that carries it, also the `action` of the `done` frame.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accept => "accept_offer",
            Self::Decline { .. } => "decline_offer",
            Self::OpenBriefing => "open_briefing",
            Self::Join { .. } => "join_conversation",
            Self::InviteSpecialist { .. } => "invite_specialist",
            Self::Transfer { .. } => "transfer_conversation",
            Self::CancelTransfer => "cancel_transfer",
            Self::Resolve { .. } => "resolve_conversation",
        }
    }
}

/// A recording file to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingOnDisk {
    pub path: std::path::PathBuf,
    pub mime: String,
}

/// The body of an upload, as it arrives.
pub type UploadBody = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send>,
>;

/// A file a customer or agent sends (`POST /api/conversations/{id}/attachments`).
pub struct Upload {
    /// The name the client gave it (the type is never taken from it).
    pub name: String,
    pub client_msg_id: Option<String>,
    /// The request's `Content-Length`, when it has one: a body declared over the limit is refused
    /// before any of it is stored.
    pub declared_len: Option<u64>,
    /// The client sent `Expect: 100-continue`: a refusal before reading the body spares it the
    /// upload altogether.
    pub expects_continue: bool,
    pub body: UploadBody,
}

/// An attachment's file (or its thumbnail) to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub path: std::path::PathBuf,
    /// The type sniffed at upload, never `text/html`.
    pub mime: String,
    /// What the download is called.
    pub file_name: String,
    pub thumbnail: bool,
}

/// A download for a manager: its type, file name and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub mime: String,
    pub file_name: String,
    pub body: String,
}

/// Who asked, for the audit log: the caller and their address.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    pub who: &'a Principal,
    pub ip: std::net::IpAddr,
}

/// What a conversation list is narrowed to besides its status: text found in the messages or the
/// customer's name or e-mail, and a tag.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationSearch<'a> {
    pub text: Option<&'a str>,
    pub tag: Option<&'a str>,
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The principal behind a bearer token; `Unauthorized` when unknown, expired or revoked.
    async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError>;
    /// Resolves once the session behind `token` ends (logout, disable, password change, expiry);
    /// a socket opened with it closes then.
    fn session_end(&self, token: &str) -> SessionEnd;
    /// `ip` is the client's address, for the audit entry of an account locked by failures.
    async fn login(
        &self,
        username: &str,
        password: &str,
        ip: std::net::IpAddr,
    ) -> Result<LoginResult, ServiceError>;
    async fn logout(&self, token: &str) -> Result<(), ServiceError>;

    /// A new conversation, or a verified customer's recent open one continued (`resumed`).
    async fn create_conversation(
        &self,
        customer: Customer,
    ) -> Result<CreatedConversation, ServiceError>;
    /// The earlier conversations of the customer of `id` (verified customers only), newest
    /// first, redacted for `who`.
    async fn customer_history(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<CustomerHistory, ServiceError>;
    /// One of those earlier conversations, read-only, redacted for `who`.
    async fn past_conversation(
        &self,
        who: &Principal,
        id: &ConversationId,
        past: &ConversationId,
    ) -> Result<Conversation, ServiceError>;
    /// The header and what `who` may do with it; `NotFound` when it does not exist or `who` may not
    /// see it (a stranger cannot tell the two apart).
    async fn authorize(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<(std::sync::Arc<ConversationHeader>, Access), ServiceError>;
    async fn conversation(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<Conversation, ServiceError>;
    async fn events_after(
        &self,
        who: &Principal,
        id: &ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>, ServiceError>;
    /// The conversations `who` may read, newest first, `limit` at most, continuing after the
    /// opaque `before` cursor. Access is checked before the limit counts.
    async fn list_conversations(
        &self,
        who: &Principal,
        status: Option<ConversationStatus>,
        search: ConversationSearch<'_>,
        before: Option<&str>,
        limit: u32,
    ) -> Result<ConversationPage, ServiceError>;
    /// A staff inbox: every readable conversation that needs or has a person first (queued,
    /// with an agent), then the newest others, at most `limit` in all.
    async fn inbox(
        &self,
        who: &Principal,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, ServiceError>;
    /// Staff: an internal note on the conversation, for the team and the review; the customer
    /// never receives it. Agents who may write to the conversation.
    async fn add_note(
        &self,
        who: &Principal,
        id: &ConversationId,
        text: String,
    ) -> Result<ConversationEvent, ServiceError>;
    /// Staff: replaces the conversation's tags (normalised; see `domain::tags`). Agents who may
    /// write to the conversation.
    async fn set_tags(
        &self,
        who: &Principal,
        id: &ConversationId,
        tags: Vec<String>,
    ) -> Result<ConversationEvent, ServiceError>;
    /// Commits a message from `who`; returns only after it is durable.
    async fn post_message(
        &self,
        who: &Principal,
        id: &ConversationId,
        content: String,
        client_msg_id: Option<String>,
    ) -> Result<Posted, ServiceError>;

    /// An agent's handoff step; returns once its events are committed.
    async fn handoff_action(
        &self,
        who: &Principal,
        id: &ConversationId,
        action: HandoffAction,
    ) -> Result<(), ServiceError>;
    /// Agent: `available`, `busy` or `away`.
    async fn set_agent_status(&self, who: &Principal, status: &str) -> Result<(), ServiceError>;
    /// Staff: the briefing of an escalated conversation, or the current draft before escalation.
    async fn briefing(
        &self,
        who: &Principal,
        id: &ConversationId,
    ) -> Result<BriefingView, ServiceError>;
    /// What `who` may see of a published queue view (agents: their skills' queues only, and
    /// not their colleagues' skills).
    fn queue_view(&self, who: &Principal, queue: &QueueView) -> QueueView;
    /// Staff: queues and agents, cut for `who`.
    async fn queue(&self, who: &Principal) -> Result<QueueView, ServiceError>;
    /// Managers: one page of handoffs, newest first, and how many match. Audited.
    async fn review_handoffs(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<HandoffMetrics>), ServiceError>;
    /// Managers: the figures of all matching handoffs, overall and grouped. Audited.
    async fn review_aggregates(
        &self,
        asker: Asker<'_>,
        filter: HandoffFilter,
        by: GroupBy,
    ) -> Result<(HandoffAggregate, Vec<HandoffAggregate>), ServiceError>;
    /// The handoff list as a CSV file, one row per handoff.
    fn handoffs_csv(&self, items: &[HandoffMetrics]) -> String {
        crate::review::handoffs_csv(items)
    }
    /// Aggregate rows as a CSV file, one row per group.
    fn aggregates_csv(&self, rows: &[HandoffAggregate]) -> String {
        crate::review::aggregates_csv(rows)
    }
    /// Managers: one handoff's view (figures, conversation, briefing as delivered, calls with
    /// recordings and transcript, sentiment), redacted. Audited.
    async fn review_handoff(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
    ) -> Result<HandoffView, ServiceError>;
    /// Managers: agents, skills and triggers to filter by.
    async fn review_filters(&self, who: &Principal) -> Result<ReviewFacets, ServiceError>;
    /// Managers: the most recent audit entries.
    async fn review_audit(
        &self,
        asker: Asker<'_>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ServiceError>;
    /// Managers: `export.json`, `transcript.vtt`, `transcript.srt` or `briefing.md` of a
    /// conversation (`call` picks the call for transcripts), redacted. Audited.
    async fn export(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        name: &str,
        call: Option<&str>,
    ) -> Result<Download, ServiceError>;
    /// The conversation's customer rates the handoff once it is resolved.
    async fn rate_handoff(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        repeated: bool,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError>;
    /// An agent who took part rates the briefing they received.
    async fn rate_briefing(
        &self,
        who: &Principal,
        id: &ConversationId,
        score: u8,
        comment: Option<String>,
    ) -> Result<ConversationEvent, ServiceError>;

    /// Managers: a call's recording file, by the name recorded in the conversation's header
    /// (`Forbidden` for anyone else, `NotFound` for names the header does not list). Audited.
    async fn recording(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        call_id: &str,
        name: &str,
    ) -> Result<RecordingOnDisk, ServiceError>;
    /// Stores a file `who` sends in conversation `id` and commits the message that carries it
    /// (empty content, `attachment` set); returns only after both are durable. The type is
    /// sniffed from the bytes; refused uploads leave nothing on disk (see `service::attachments`).
    async fn upload_attachment(
        &self,
        who: &Principal,
        id: &ConversationId,
        upload: Upload,
    ) -> Result<Posted, ServiceError>;
    /// An attachment's file, or its thumbnail, for the conversation's participants and managers
    /// (managers' reads are audited): `NotFound` when the caller cannot see the conversation or
    /// the file is unknown or deleted, `Forbidden` for staff who see it but are not part of it.
    async fn attachment_file(
        &self,
        asker: Asker<'_>,
        id: &ConversationId,
        attachment: &str,
        thumbnail: bool,
    ) -> Result<AttachmentFile, ServiceError>;
    /// A socket of `who` opened / closed (agents count as online for routing while one is open;
    /// call members signalling on a closed socket leave their calls).
    fn socket_opened(&self, who: &Principal);
    async fn socket_closed(&self, who: &Principal, conn: u64);

    /// A call frame (`call_start`, `call_offer`, `call_answer`, `call_ice`, `call_media`,
    /// `call_hangup`) from socket `conn`. The direct answer (e.g. `call_ready`) is returned;
    /// later signals for the browser (answers, gateway offers, candidates) go to `out`.
    async fn call_frame(
        &self,
        who: &Principal,
        conn: u64,
        frame: crate::chat::ClientFrame,
        out: tokio::sync::mpsc::Sender<crate::chat::ServerFrame>,
    ) -> Result<Option<crate::chat::ServerFrame>, ServiceError>;

    /// Agents and managers: the canned responses matching `query` (all when blank), best first
    /// (see `domain::canned::search`). With `conversation` (one `who` may read), each comes with
    /// its body filled for that conversation and `who`.
    async fn canned_responses(
        &self,
        who: &Principal,
        query: &str,
        conversation: Option<&ConversationId>,
    ) -> Result<Vec<CannedView>, ServiceError>;
    /// Managers: adds a canned response (`Conflict` when the shortcut is taken). Audited.
    async fn create_canned_response(
        &self,
        asker: Asker<'_>,
        input: CannedInput,
    ) -> Result<CannedView, ServiceError>;
    /// Managers: changes one (`NotFound`, `Conflict`). Audited.
    async fn update_canned_response(
        &self,
        asker: Asker<'_>,
        id: &str,
        input: CannedInput,
    ) -> Result<CannedView, ServiceError>;
    /// Managers: deletes one (`NotFound`). Audited.
    async fn delete_canned_response(&self, asker: Asker<'_>, id: &str) -> Result<(), ServiceError>;

    /// Whether e-mail follow-ups and transcripts are on (`[email]` configured).
    fn email_enabled(&self) -> bool;
    /// The conversation's customer, waiting for a person while nobody is online, leaves an e-mail
    /// address (validated) and optionally a message: commits `followup_requested` (and the
    /// message); agents' replies then reach them by e-mail while they are away. `NotFound` when
    /// e-mail is off, `BadRequest` for an address that is not one, `Conflict` when the
    /// conversation is not waiting for a person.
    async fn request_followup(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
        message: Option<String>,
    ) -> Result<ConversationEvent, ServiceError>;
    /// The conversation's customer asks for the transcript by e-mail: commits
    /// `transcript_email_requested`; the e-mail goes out from the outbox. `RateLimited` past the
    /// per-conversation allowance.
    async fn request_transcript(
        &self,
        who: &Principal,
        id: &ConversationId,
        email: &str,
    ) -> Result<ConversationEvent, ServiceError>;
    /// Opens a signed link from an e-mail: a fresh customer token for its conversation.
    /// `Unauthorized` when the link is forged, changed or expired.
    async fn resume_link(&self, link: &str) -> Result<LinkSession, ServiceError>;

    /// Delivery to the sockets listening (the in-process hub, or a bus between nodes).
    fn fanout(&self) -> &dyn Fanout;
    fn limits(&self) -> &LimitsConfig;
    /// The site with this id (websites embedding the widget), if there is one.
    async fn site(&self, id: &str) -> Option<std::sync::Arc<crate::domain::site::Site>>;
    /// Whether some site lists `origin`.
    fn any_site_allows(&self, origin: &str) -> bool;
    /// Counts a new anonymous conversation of `site`; false when the site is over its limit.
    fn admit_site_conversation(&self, site: &crate::domain::site::Site) -> bool;
    /// Readiness: storage answers and the writer runs.
    async fn ready(&self) -> Result<(), ServiceError>;
    /// Ready, but delivering worse than usual, and why (cluster mode with NATS down).
    fn degraded(&self) -> Option<&'static str> {
        None
    }
    /// Prometheus text exposition.
    fn metrics_text(&self) -> String;
    /// Where the HTTP layer counts its own traffic.
    fn counters(&self) -> &dyn EdgeCounters;
    /// Becomes `true` when the gateway shuts down; WebSocket sessions then close.
    fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool>;
}

/// Counters of the HTTP and WebSocket layer's own traffic (exported on `/metrics`).
pub trait EdgeCounters: Send + Sync {
    /// A response went out with this status.
    fn http_response(&self, status: u16);
    /// A request or frame was refused by a rate limit (`reason` names which).
    fn rate_limited(&self, reason: &'static str);
    /// WebSockets open now.
    fn ws_open_connections(&self) -> i64;
    fn ws_opened(&self);
    fn ws_closed(&self);
    fn ws_frame_received(&self);
    /// A frame was refused (`reason`: `bad_json`, `too_large`, `protocol`, ...).
    fn ws_frame_rejected(&self, reason: &'static str);
    /// Proof-of-work challenges for anonymous creation: `issued`, `solved`, `refused`.
    fn creation_challenge(&self, outcome: &'static str);
}

/// Resolves when the session a socket was opened with ends. Dropping it stops watching.
pub struct SessionEnd {
    rx: tokio::sync::watch::Receiver<bool>,
    _registration: Box<dyn std::any::Any + Send + Sync>,
}

impl SessionEnd {
    pub fn new(
        rx: tokio::sync::watch::Receiver<bool>,
        registration: Box<dyn std::any::Any + Send + Sync>,
    ) -> Self {
        Self {
            rx,
            _registration: registration,
        }
    }

    /// Waits for the end; never resolves if nobody can end it any more.
    pub async fn ended(&mut self) {
        if self.rx.wait_for(|ended| *ended).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One page of a conversation list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `before` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A canned response as served.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CannedView {
    #[serde(flatten)]
    pub response: CannedResponse,
    /// The display name of who changed it last, when that account still exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by_name: Option<String>,
    /// The body with its fields filled for the conversation asked about (`?conversation=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filled: Option<String>,
}

/// What a manager sends to add or change one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    pub shortcut: String,
    pub title: String,
    pub body: String,
}
