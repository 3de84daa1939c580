//! The per-conversation event log. Every change to a conversation is an event with a sequence number
//! that starts at 1 and has no gaps; a client that knows its last `seq` can ask for exactly what it
//! missed. Events are immutable once committed.

use super::briefing::Briefing;
use super::call::{CallOrigin, MediaChange, MediaSource, RecordingFile};
use super::conversation::{ConversationStatus, Customer, Escalation, Participant};
use super::ids::{ConversationId, MessageId, ParticipantId, UserId};
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
    /// Kept for logs written before the handoff protocol; new escalations are `EscalationTriggered`.
    #[serde(rename_all = "camelCase")]
    EscalationUpdated { escalation: Escalation },
    /// The policy (or a bot) decided a person is needed. Status becomes `queued`.
    #[serde(rename_all = "camelCase")]
    EscalationTriggered {
        escalation: Escalation,
        /// The messages that caused it, oldest first.
        #[serde(default)]
        evidence: Vec<MessageId>,
        /// The handoff-likelihood score at that moment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        likelihood: Option<f64>,
    },
    /// The briefing is built and stored with the conversation (also when it is refreshed).
    #[serde(rename_all = "camelCase")]
    AgentBriefingReady { briefing: Box<Briefing> },
    /// The conversation is offered to one agent, with the briefing they will read.
    #[serde(rename_all = "camelCase")]
    HandoffOffered {
        agent_id: UserId,
        #[serde(default)]
        agent_name: String,
        expires_at: super::Timestamp,
        /// An invite to join an assigned conversation as a specialist, not the first handoff.
        #[serde(default)]
        specialist: bool,
        briefing: Box<Briefing>,
    },
    #[serde(rename_all = "camelCase")]
    HandoffAccepted {
        agent_id: UserId,
        #[serde(default)]
        agent_name: String,
    },
    /// The offer ended without acceptance: `declined`, `expired`, `agent_offline`,
    /// `agent_unavailable` or `withdrawn`.
    #[serde(rename_all = "camelCase")]
    HandoffDeclined { agent_id: UserId, reason: String },
    #[serde(rename_all = "camelCase")]
    BriefingOpened { agent_id: UserId },
    /// An agent entered the conversation; from here the customer sees them.
    #[serde(rename_all = "camelCase")]
    AgentJoined {
        participant: Participant,
        #[serde(default)]
        specialist: bool,
    },
    #[serde(rename_all = "camelCase")]
    SpecialistInvited {
        agent_id: UserId,
        skill: String,
        invited_by: UserId,
    },
    /// The customer's place in the queue changed.
    #[serde(rename_all = "camelCase")]
    WaitEstimated { position: usize, estimate_secs: u64 },
    /// No agent took it in time (or the last agent left): the assistant has it again.
    #[serde(rename_all = "camelCase")]
    HandedBack { reason: String },
    #[serde(rename_all = "camelCase")]
    ConversationResolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A call started in the conversation (chat continues beside it).
    #[serde(rename_all = "camelCase")]
    CallStarted {
        call_id: String,
        origin: CallOrigin,
        #[serde(default)]
        recorded: bool,
    },
    #[serde(rename_all = "camelCase")]
    CallJoined {
        call_id: String,
        participant_id: ParticipantId,
        #[serde(default)]
        name: String,
    },
    /// `reason`: `hangup`, `dropped` (connection lost) or `ended`.
    #[serde(rename_all = "camelCase")]
    CallLeft {
        call_id: String,
        participant_id: ParticipantId,
        reason: String,
    },
    /// A member started, stopped, muted or unmuted their microphone, camera or screen share.
    #[serde(rename_all = "camelCase")]
    CallMedia {
        call_id: String,
        participant_id: ParticipantId,
        source: MediaSource,
        change: MediaChange,
    },
    #[serde(rename_all = "camelCase")]
    CallEnded { call_id: String, reason: String },
    /// The call's recording files are finalised (after the call ended). Staff only.
    #[serde(rename_all = "camelCase")]
    RecordingReady {
        call_id: String,
        /// The call clock's zero: every file's `offsetMs` (and the transcription audio's
        /// timestamps) count from here.
        clock_started_at: Timestamp,
        files: Vec<RecordingFile>,
    },
    /// A call's complete transcript, recognised from its recordings after the call (every
    /// utterance, including any the live path dropped). Staff only.
    #[serde(rename_all = "camelCase")]
    TranscriptReady {
        call_id: String,
        segments: Vec<super::transcript::TranscriptSegment>,
        /// Seconds of audio transcribed, in milliseconds.
        audio_ms: u64,
    },
    /// The customer answered the end-of-conversation survey (the latest answer counts).
    #[serde(rename_all = "camelCase")]
    HandoffRated {
        /// 1 to 5.
        score: u8,
        /// "Did you have to repeat yourself?"
        repeated: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// An agent rated the briefing they received (their latest rating counts). Staff only.
    #[serde(rename_all = "camelCase")]
    BriefingRated {
        agent_id: UserId,
        /// 1 to 5.
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A call's recording files were deleted (`reason`: `retention`). The transcript and the
    /// metrics stay. Staff only.
    #[serde(rename_all = "camelCase")]
    RecordingsDeleted { call_id: String, reason: String },
    /// Stands in for a staff-only event in what a customer receives, so their `seq` stays
    /// gap-free without revealing the event. Never stored.
    Redacted,
}

impl ConversationEvent {
    /// The event as the conversation's customer may see it: an escalation reads as a plain status
    /// change to `queued`, other staff-only events become `Redacted` (same `seq` and timestamp),
    /// messages lose staff-only fields.
    pub fn for_customer(&self) -> std::borrow::Cow<'_, Self> {
        use std::borrow::Cow;
        match &self.body {
            EventBody::Message {
                message,
                routing_skill,
            } if message.handoff_likelihood.is_some() || routing_skill.is_some() => {
                let mut message = message.clone();
                message.handoff_likelihood = None;
                Cow::Owned(Self {
                    body: EventBody::Message {
                        message,
                        routing_skill: None,
                    },
                    ..self.clone()
                })
            }
            // The customer learns that a person is coming (the system message says why), not the
            // assessment behind it.
            EventBody::EscalationTriggered { .. } => Cow::Owned(Self {
                conversation_id: self.conversation_id.clone(),
                seq: self.seq,
                timestamp: self.timestamp,
                body: EventBody::StatusChanged {
                    status: ConversationStatus::Queued,
                    reason: Some("escalated".into()),
                },
            }),
            body if !body.customer_visible() => Cow::Owned(Self {
                conversation_id: self.conversation_id.clone(),
                seq: self.seq,
                timestamp: self.timestamp,
                body: EventBody::Redacted,
            }),
            _ => Cow::Borrowed(self),
        }
    }

    /// True if `for_customer` would change it.
    pub fn needs_redaction(&self) -> bool {
        matches!(self.for_customer(), std::borrow::Cow::Owned(_))
    }
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
            Self::EscalationTriggered { .. } => "escalation_triggered",
            Self::AgentBriefingReady { .. } => "agent_briefing_ready",
            Self::HandoffOffered { .. } => "handoff_offered",
            Self::HandoffAccepted { .. } => "handoff_accepted",
            Self::HandoffDeclined { .. } => "handoff_declined",
            Self::BriefingOpened { .. } => "briefing_opened",
            Self::AgentJoined { .. } => "agent_joined",
            Self::SpecialistInvited { .. } => "specialist_invited",
            Self::WaitEstimated { .. } => "wait_estimated",
            Self::HandedBack { .. } => "handed_back",
            Self::ConversationResolved { .. } => "conversation_resolved",
            Self::CallStarted { .. } => "call_started",
            Self::CallJoined { .. } => "call_joined",
            Self::CallLeft { .. } => "call_left",
            Self::CallMedia { .. } => "call_media",
            Self::CallEnded { .. } => "call_ended",
            Self::RecordingReady { .. } => "recording_ready",
            Self::TranscriptReady { .. } => "transcript_ready",
            Self::HandoffRated { .. } => "handoff_rated",
            Self::BriefingRated { .. } => "briefing_rated",
            Self::RecordingsDeleted { .. } => "recordings_deleted",
            Self::Redacted => "redacted",
        }
    }

    /// Whether the customer may see this event as it is. Staff-only events carry the briefing,
    /// the assessment of the customer or internal routing; the customer sees their effects (a
    /// system message, the agent joining) instead.
    pub fn customer_visible(&self) -> bool {
        match self {
            Self::ConversationCreated { .. }
            | Self::Message { .. }
            | Self::ParticipantJoined { .. }
            | Self::ParticipantLeft { .. }
            | Self::StatusChanged { .. }
            | Self::AgentJoined { .. }
            | Self::WaitEstimated { .. }
            | Self::HandedBack { .. }
            | Self::ConversationResolved { .. }
            | Self::CallStarted { .. }
            | Self::CallJoined { .. }
            | Self::CallLeft { .. }
            | Self::CallMedia { .. }
            | Self::CallEnded { .. }
            | Self::HandoffRated { .. } => true,
            Self::EscalationUpdated { .. }
            | Self::EscalationTriggered { .. }
            | Self::AgentBriefingReady { .. }
            | Self::HandoffOffered { .. }
            | Self::HandoffAccepted { .. }
            | Self::HandoffDeclined { .. }
            | Self::BriefingOpened { .. }
            | Self::SpecialistInvited { .. }
            | Self::RecordingReady { .. }
            | Self::TranscriptReady { .. }
            | Self::BriefingRated { .. }
            | Self::RecordingsDeleted { .. }
            | Self::Redacted => false,
        }
    }

    pub fn message(&self) -> Option<&Message> {
        match self {
            Self::Message { message, .. } => Some(message),
            _ => None,
        }
    }
}
