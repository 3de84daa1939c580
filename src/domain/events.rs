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
    /// An agent in the conversation asked a colleague (`to_agent_id`) or whoever is best with
    /// `skill` to take it over, with a note for them. Staff only.
    #[serde(rename_all = "camelCase")]
    TransferRequested {
        from_agent_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent_id: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent_name: Option<String>,
        skill: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The transfer is over. `outcome`: `completed` (`to_agent_id` took it over and the asking
    /// agent left), or why the asking agent keeps it: `declined`, `expired`, `unavailable`,
    /// `nobody_available`, `cancelled`, `interrupted` (the gateway restarted). Staff only.
    #[serde(rename_all = "camelCase")]
    TransferEnded {
        from_agent_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_agent_id: Option<UserId>,
        outcome: String,
    },
    /// The customer's place in the queue changed, or whether anyone who serves the skill is
    /// signed in did.
    #[serde(rename_all = "camelCase")]
    WaitEstimated {
        position: usize,
        estimate_secs: u64,
        /// Nobody who serves the skill is signed in: the estimate promises nothing.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        nobody_online: bool,
    },
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
    /// A staff member wrote an internal note on the conversation: for the team (and the review),
    /// never for the customer. Staff only.
    #[serde(rename_all = "camelCase")]
    NoteAdded {
        agent_id: UserId,
        agent_name: String,
        text: String,
    },
    /// The conversation's tags were set (the whole new list, lowercase). Staff only.
    #[serde(rename_all = "camelCase")]
    TagsChanged { agent_id: UserId, tags: Vec<String> },
    /// A call's recording files were deleted (`reason`: `retention`). The transcript and the
    /// metrics stay. Staff only.
    #[serde(rename_all = "camelCase")]
    RecordingsDeleted { call_id: String, reason: String },
    /// Nobody was online, and the waiting customer left an e-mail address (with their message,
    /// committed as a message just before): the conversation stays in the queue as an e-mail
    /// follow-up, and agents' replies reach them by e-mail while they are away. The customer and
    /// staff see it; the address is personal data (redacted where other personal data is).
    #[serde(rename_all = "camelCase")]
    FollowupRequested { email: String },
    /// The customer asked for the conversation's transcript by e-mail (personal data, like
    /// `followup_requested`).
    #[serde(rename_all = "camelCase")]
    TranscriptEmailRequested { email: String },
    /// Attachment files were deleted from the gateway's disk (`reason`: `retention`). The
    /// messages keep describing them; downloading them answers 404 from now on.
    #[serde(rename_all = "camelCase")]
    AttachmentsDeleted {
        attachment_ids: Vec<String>,
        reason: String,
    },
    /// Stands in for a staff-only event in what a customer receives, so their `seq` stays
    /// gap-free without revealing the event. Never stored.
    Redacted,
}

impl ConversationEvent {
    /// The event as the conversation's customer may see it: an escalation reads as a plain status
    /// change to `queued`, other staff-only events become `Redacted` (same `seq` and timestamp);
    /// messages lose the assessment of the customer and of the assistant's answer; staff appear
    /// under their alias ([`UserId::alias_in`]), never their account id; a resolution keeps who
    /// resolved it (as that alias) but not the note, which is for the team.
    pub fn for_customer(&self) -> std::borrow::Cow<'_, Self> {
        use std::borrow::Cow;
        let conversation = &self.conversation_id;
        let alias = |u: &Option<UserId>| u.as_ref().map(|u| u.alias_in(conversation));
        let owned = |body: EventBody| {
            Cow::Owned(Self {
                conversation_id: self.conversation_id.clone(),
                seq: self.seq,
                timestamp: self.timestamp,
                body,
            })
        };
        match &self.body {
            // The counts of earlier conversations are for the briefing (they name the routing).
            EventBody::ConversationCreated { customer } if customer.history.is_some() => {
                owned(EventBody::ConversationCreated {
                    customer: Customer {
                        history: None,
                        ..customer.clone()
                    },
                })
            }
            EventBody::Message {
                message,
                routing_skill,
            } if message.has_staff_only_fields() || routing_skill.is_some() => {
                owned(EventBody::Message {
                    message: message.for_customer(conversation),
                    routing_skill: None,
                })
            }
            EventBody::ParticipantJoined { participant } if participant.user_id.is_some() => {
                owned(EventBody::ParticipantJoined {
                    participant: Participant {
                        user_id: alias(&participant.user_id),
                        ..participant.clone()
                    },
                })
            }
            EventBody::AgentJoined {
                participant,
                specialist,
            } if participant.user_id.is_some() => owned(EventBody::AgentJoined {
                participant: Participant {
                    user_id: alias(&participant.user_id),
                    ..participant.clone()
                },
                specialist: *specialist,
            }),
            EventBody::ConversationResolved { by, note } if by.is_some() || note.is_some() => {
                owned(EventBody::ConversationResolved {
                    by: alias(by),
                    note: None,
                })
            }
            // The customer learns that a person is coming (the system message says why), not the
            // assessment behind it.
            EventBody::EscalationTriggered { .. } => owned(EventBody::StatusChanged {
                status: ConversationStatus::Queued,
                reason: Some("escalated".into()),
            }),
            // That someone has the conversation and is reading it is the customer's to know (it
            // is the honest state of their wait); under the agent's alias.
            EventBody::HandoffAccepted {
                agent_id,
                agent_name,
            } => owned(EventBody::HandoffAccepted {
                agent_id: agent_id.alias_in(conversation),
                agent_name: agent_name.clone(),
            }),
            body if !body.customer_visible() => owned(EventBody::Redacted),
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
            Self::TransferRequested { .. } => "transfer_requested",
            Self::TransferEnded { .. } => "transfer_ended",
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
            Self::NoteAdded { .. } => "note_added",
            Self::TagsChanged { .. } => "tags_changed",
            Self::RecordingsDeleted { .. } => "recordings_deleted",
            Self::FollowupRequested { .. } => "followup_requested",
            Self::TranscriptEmailRequested { .. } => "transcript_email_requested",
            Self::AttachmentsDeleted { .. } => "attachments_deleted",
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
            | Self::FollowupRequested { .. }
            | Self::TranscriptEmailRequested { .. }
            | Self::HandoffRated { .. }
            | Self::AttachmentsDeleted { .. } => true,
            Self::EscalationUpdated { .. }
            | Self::EscalationTriggered { .. }
            | Self::AgentBriefingReady { .. }
            | Self::HandoffOffered { .. }
            | Self::HandoffAccepted { .. }
            | Self::HandoffDeclined { .. }
            | Self::BriefingOpened { .. }
            | Self::SpecialistInvited { .. }
            | Self::TransferRequested { .. }
            | Self::TransferEnded { .. }
            | Self::RecordingReady { .. }
            | Self::TranscriptReady { .. }
            | Self::BriefingRated { .. }
            | Self::NoteAdded { .. }
            | Self::TagsChanged { .. }
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

#[cfg(test)]
mod customer_view_tests {
    //! Walks every event type: what the customer receives carries no staff-only field.
    use super::*;
    use crate::domain::briefing::{BriefingDetail, Completeness, EmotionalState, TechnicalDetail};
    use crate::domain::call::RecordingSource;
    use crate::domain::conversation::{ParticipantKind, Urgency};
    use crate::domain::message::{SentimentLabel, Speaker};
    use crate::domain::transcript::{TranscriptSegment, TranscriptSource, VoiceSegment};
    use chrono::TimeZone;

    const STAFF: &str = "usr-0000-staff-secret";
    const NOTE: &str = "STAFF-ONLY refund approved by finance";

    fn at() -> Timestamp {
        chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap()
    }

    fn escalation() -> Escalation {
        Escalation {
            trigger: "frustration".into(),
            ai_assessment: "STAFF-ONLY assessment".into(),
            recommended_agent: "billing".into(),
            urgency: Urgency::High,
            customer_expectation: "STAFF-ONLY expectation".into(),
        }
    }

    fn briefing() -> Box<Briefing> {
        Box::new(Briefing {
            escalation: escalation(),
            summary: "STAFF-ONLY summary".into(),
            detail: BriefingDetail::default(),
            technical: TechnicalDetail::default(),
            known_facts: Vec::new(),
            next_actions: vec!["STAFF-ONLY next".into()],
            warm_introduction: "STAFF-ONLY intro".into(),
            completeness: Completeness {
                score: 0.5,
                missing: Vec::new(),
            },
            emotional_state: EmotionalState {
                label: SentimentLabel::Frustrated,
                trend: "worsening".into(),
                note: "STAFF-ONLY mood".into(),
                peak: None,
            },
            time_pressure: Vec::new(),
            time_spent: None,
            generated_at: at(),
            source_seq: 1,
            written_by: None,
            transfer: None,
        })
    }

    fn agent() -> Participant {
        Participant {
            id: ParticipantId::from("par-1"),
            kind: ParticipantKind::Agent,
            user_id: Some(UserId::from(STAFF)),
            name: "Maria".into(),
            joined_at: at(),
            left_at: None,
        }
    }

    fn message() -> Message {
        let mut m = Message::new(Speaker::Agent, "hello", at());
        m.agent_id = Some(UserId::from(STAFF));
        m.sentiment = Some(SentimentLabel::Frustrated);
        m.sentiment_score = Some(-0.7);
        m.intent = Some("billing".into());
        m.confidence = Some(0.42);
        m.handoff_likelihood = Some(0.77);
        m.voice = Some(VoiceSegment {
            call_id: "call-1".into(),
            participant_id: ParticipantId::from("par-1"),
            start_ms: 0,
            end_ms: 10,
            confidence: 0.9,
            source: TranscriptSource::Live,
        });
        m.attachment = Some(crate::domain::attachment::Attachment {
            id: "att_0123456789abcdef0123456789abcdef".into(),
            name: "app.log".into(),
            content_type: "text/plain; charset=utf-8".into(),
            kind: crate::domain::attachment::AttachmentKind::Text,
            size: 10,
            sha256: "00".into(),
            width: None,
            height: None,
            url: "/api/conversations/conv-1/attachments/att_0123456789abcdef0123456789abcdef"
                .into(),
            thumbnail_url: None,
            findings: Some(crate::domain::attachment::LogFindings {
                lines: vec![crate::domain::attachment::LogLine {
                    line: 1,
                    text: "STAFF-ONLY ERROR".into(),
                }],
                codes: vec!["E1234".into()],
                total: 1,
            }),
        });
        m
    }

    /// One of every event type. The match below has no wildcard: a new type does not compile
    /// until it is added here.
    fn every_event() -> Vec<EventBody> {
        let staff = || UserId::from(STAFF);
        let all = vec![
            EventBody::ConversationCreated {
                customer: Customer::default(),
            },
            EventBody::Message {
                message: message(),
                routing_skill: Some("billing".into()),
            },
            EventBody::ParticipantJoined {
                participant: agent(),
            },
            EventBody::ParticipantLeft {
                participant_id: ParticipantId::from("par-1"),
            },
            EventBody::StatusChanged {
                status: ConversationStatus::Queued,
                reason: None,
            },
            EventBody::EscalationUpdated {
                escalation: escalation(),
            },
            EventBody::EscalationTriggered {
                escalation: escalation(),
                evidence: Vec::new(),
                likelihood: Some(0.77),
            },
            EventBody::AgentBriefingReady {
                briefing: briefing(),
            },
            EventBody::HandoffOffered {
                agent_id: staff(),
                agent_name: "Maria".into(),
                expires_at: at(),
                specialist: false,
                briefing: briefing(),
            },
            EventBody::HandoffAccepted {
                agent_id: staff(),
                agent_name: "Maria".into(),
            },
            EventBody::HandoffDeclined {
                agent_id: staff(),
                reason: "declined".into(),
            },
            EventBody::BriefingOpened { agent_id: staff() },
            EventBody::AgentJoined {
                participant: agent(),
                specialist: false,
            },
            EventBody::SpecialistInvited {
                agent_id: staff(),
                skill: "billing".into(),
                invited_by: staff(),
            },
            EventBody::TransferRequested {
                from_agent_id: staff(),
                to_agent_id: Some(staff()),
                to_agent_name: Some("Alex".into()),
                skill: "billing".into(),
                note: Some("STAFF-ONLY transfer note".into()),
            },
            EventBody::TransferEnded {
                from_agent_id: staff(),
                to_agent_id: Some(staff()),
                outcome: "completed".into(),
            },
            EventBody::WaitEstimated {
                position: 1,
                estimate_secs: 60,
                nobody_online: true,
            },
            EventBody::HandedBack {
                reason: "expired".into(),
            },
            EventBody::ConversationResolved {
                by: Some(staff()),
                note: Some(NOTE.into()),
            },
            EventBody::CallStarted {
                call_id: "call-1".into(),
                origin: CallOrigin::Customer,
                recorded: true,
            },
            EventBody::CallJoined {
                call_id: "call-1".into(),
                participant_id: ParticipantId::from("par-1"),
                name: "Maria".into(),
            },
            EventBody::CallLeft {
                call_id: "call-1".into(),
                participant_id: ParticipantId::from("par-1"),
                reason: "hangup".into(),
            },
            EventBody::CallMedia {
                call_id: "call-1".into(),
                participant_id: ParticipantId::from("par-1"),
                source: MediaSource::Screen,
                change: MediaChange::Started,
            },
            EventBody::CallEnded {
                call_id: "call-1".into(),
                reason: "ended".into(),
            },
            EventBody::RecordingReady {
                call_id: "call-1".into(),
                clock_started_at: at(),
                files: vec![RecordingFile {
                    participant_id: None,
                    source: RecordingSource::Mixed,
                    path: "STAFF-ONLY/path".into(),
                    offset_ms: 0,
                    duration_ms: 1,
                    mime: "audio/ogg".into(),
                }],
            },
            EventBody::TranscriptReady {
                call_id: "call-1".into(),
                segments: vec![TranscriptSegment {
                    participant_id: ParticipantId::from("par-1"),
                    speaker: Speaker::Agent,
                    name: "Maria".into(),
                    start_ms: 0,
                    end_ms: 1,
                    text: "STAFF-ONLY transcript".into(),
                    confidence: 1.0,
                }],
                audio_ms: 1,
            },
            EventBody::HandoffRated {
                score: 5,
                repeated: false,
                comment: None,
            },
            EventBody::BriefingRated {
                agent_id: staff(),
                score: 2,
                comment: Some("STAFF-ONLY rating".into()),
            },
            EventBody::NoteAdded {
                agent_id: staff(),
                agent_name: "Sam".into(),
                text: "STAFF-ONLY note: refund approved by finance".into(),
            },
            EventBody::TagsChanged {
                agent_id: staff(),
                tags: vec!["staff-only-tag".into()],
            },
            EventBody::RecordingsDeleted {
                call_id: "call-1".into(),
                reason: "retention".into(),
            },
            EventBody::FollowupRequested {
                email: "dana@example.com".into(),
            },
            EventBody::TranscriptEmailRequested {
                email: "dana@example.com".into(),
            },
            EventBody::AttachmentsDeleted {
                attachment_ids: vec!["att_0123456789abcdef0123456789abcdef".into()],
                reason: "retention".into(),
            },
            EventBody::Redacted,
        ];
        for body in &all {
            match body {
                EventBody::ConversationCreated { .. }
                | EventBody::Message { .. }
                | EventBody::ParticipantJoined { .. }
                | EventBody::ParticipantLeft { .. }
                | EventBody::StatusChanged { .. }
                | EventBody::EscalationUpdated { .. }
                | EventBody::EscalationTriggered { .. }
                | EventBody::AgentBriefingReady { .. }
                | EventBody::HandoffOffered { .. }
                | EventBody::HandoffAccepted { .. }
                | EventBody::HandoffDeclined { .. }
                | EventBody::BriefingOpened { .. }
                | EventBody::AgentJoined { .. }
                | EventBody::SpecialistInvited { .. }
                | EventBody::TransferRequested { .. }
                | EventBody::TransferEnded { .. }
                | EventBody::WaitEstimated { .. }
                | EventBody::HandedBack { .. }
                | EventBody::ConversationResolved { .. }
                | EventBody::CallStarted { .. }
                | EventBody::CallJoined { .. }
                | EventBody::CallLeft { .. }
                | EventBody::CallMedia { .. }
                | EventBody::CallEnded { .. }
                | EventBody::RecordingReady { .. }
                | EventBody::TranscriptReady { .. }
                | EventBody::HandoffRated { .. }
                | EventBody::BriefingRated { .. }
                | EventBody::NoteAdded { .. }
                | EventBody::TagsChanged { .. }
                | EventBody::RecordingsDeleted { .. }
                | EventBody::FollowupRequested { .. }
                | EventBody::TranscriptEmailRequested { .. }
                | EventBody::AttachmentsDeleted { .. }
                | EventBody::Redacted => {}
            }
        }
        all
    }

    /// Names of fields that are for staff only, wherever they appear.
    const STAFF_FIELDS: &[&str] = &[
        "\"briefing\"",
        "\"note\"",
        "\"handoffLikelihood\"",
        "\"likelihood\"",
        "\"sentiment\"",
        "\"sentimentScore\"",
        "\"intent\"",
        "\"routingSkill\"",
        "\"aiAssessment\"",
        "\"escalation\"",
        "\"segments\"",
        "\"files\"",
        "\"findings\"",
    ];

    #[test]
    fn no_event_type_shows_the_customer_a_staff_only_field() {
        let events = every_event();
        let kinds: std::collections::HashSet<&str> = events.iter().map(EventBody::kind).collect();
        assert_eq!(kinds.len(), events.len(), "one sample per type");
        for (seq, body) in events.into_iter().enumerate() {
            let kind = body.kind();
            let event = ConversationEvent {
                conversation_id: ConversationId::from("conv-1"),
                seq: seq as u64 + 1,
                timestamp: at(),
                body,
            };
            let seen = event.for_customer();
            let json = serde_json::to_string(&*seen).unwrap();
            assert!(!json.contains(STAFF), "{kind}: account id in {json}");
            assert!(
                !json.contains("STAFF-ONLY"),
                "{kind}: staff-only text in {json}"
            );
            for field in STAFF_FIELDS {
                assert!(!json.contains(field), "{kind}: {field} in {json}");
            }
            assert_eq!(seen.seq, event.seq, "{kind}: the seq stays gap-free");
        }
    }

    #[test]
    fn staff_keep_one_alias_per_conversation_so_names_still_resolve() {
        let conv = ConversationId::from("conv-1");
        let joined = ConversationEvent {
            conversation_id: conv.clone(),
            seq: 1,
            timestamp: at(),
            body: EventBody::AgentJoined {
                participant: agent(),
                specialist: false,
            },
        };
        let said = ConversationEvent {
            seq: 2,
            body: EventBody::Message {
                message: message(),
                routing_skill: None,
            },
            ..joined.clone()
        };
        let (EventBody::AgentJoined { participant, .. }, EventBody::Message { message, .. }) =
            (&joined.for_customer().body, &said.for_customer().body)
        else {
            panic!("types kept");
        };
        assert_eq!(participant.user_id, message.agent_id);
        assert!(participant
            .user_id
            .as_ref()
            .unwrap()
            .as_str()
            .starts_with("agent-"));
        let elsewhere = UserId::from(STAFF).alias_in(&ConversationId::from("conv-2"));
        assert_ne!(participant.user_id.as_ref(), Some(&elsewhere));
    }
}
