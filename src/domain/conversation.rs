//! The unified conversation object and its projection from the event log.
//!
//! `ConversationHeader` is everything about a conversation except its messages; it is rebuilt by
//! applying events in `seq` order (`ConversationHeader::apply`), so storage can keep it as a snapshot
//! next to the log. `Conversation` is the public shape: the header flattened together with messages.

use super::briefing::Briefing;
use super::call::{Call, CallMember, MediaChange};
use super::events::{ConversationEvent, EventBody};
use super::handoff::HandoffState;
use super::ids::{ConversationId, ParticipantId, UserId};
use super::message::{Message, Speaker};
use super::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Lifecycle of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The assistant is handling it.
    #[default]
    Ai,
    /// Waiting for a human agent.
    Queued,
    /// A human agent owns it; the assistant is silent.
    WithAgent,
    /// Closed with the customer's problem resolved.
    Resolved,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ai => "ai",
            Self::Queued => "queued",
            Self::WithAgent => "with_agent",
            Self::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ai" => Self::Ai,
            "queued" => Self::Queued,
            "with_agent" => Self::WithAgent,
            "resolved" => Self::Resolved,
            _ => return None,
        })
    }
}

/// What we know about the customer's history with the product (the article's `customer.context`).
/// Keys we do not model stay in `attributes` and round-trip unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerContext {
    #[serde(default)]
    pub previous_interactions: u32,
    #[serde(default)]
    pub satisfaction_history: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_status: Option<String>,
    #[serde(flatten)]
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub context: CustomerContext,
    /// The site whose widget the conversation came from (none: the gateway's own page). Set by
    /// the gateway, never taken from the client's customer object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The site vouched for this customer with a signed identity token: name, email and
    /// `context` are the site's. Set by the gateway only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// Context an anonymous browser sent about itself: kept and shown as unverified, never used
    /// for routing or priority. Set by the gateway only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_context: Option<CustomerContext>,
    /// A verified customer's earlier conversations here, counted when this one was opened (see
    /// `history`). Set by the gateway only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<super::history::ContactHistory>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

/// Why and to whom a conversation is handed to a person (the article's `escalation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    pub trigger: String,
    #[serde(default)]
    pub ai_assessment: String,
    #[serde(default)]
    pub recommended_agent: String,
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub customer_expectation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    Customer,
    Ai,
    Agent,
}

/// Someone taking part in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: ParticipantId,
    pub kind: ParticipantKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub name: String,
    pub joined_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<Timestamp>,
}

/// The conversation without its messages: what the event log projects to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationHeader {
    pub conversation_id: ConversationId,
    #[serde(default)]
    pub status: ConversationStatus,
    #[serde(default)]
    pub customer: Customer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub calls: Vec<Call>,
    /// The skill this conversation is routed under (from the customer's intent); agents with the
    /// skill see it while no agent owns it.
    #[serde(default = "default_skill")]
    pub skill: String,
    /// The agent briefing, once the conversation was escalated (staff-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub briefing: Option<Box<Briefing>>,
    /// The live handoff, from escalation until resolution or hand-back (staff-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffState>,
    /// How likely a handoff is becoming, updated every assistant turn (staff-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_likelihood: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Tags staff put on the conversation (lowercase; staff-only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The e-mail address the customer left to be answered by e-mail (see `followup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followup: Option<super::followup::FollowUp>,
    /// Sequence number of the last event applied.
    #[serde(default)]
    pub last_seq: u64,
}

pub fn default_skill() -> String {
    "general".to_owned()
}

impl ConversationHeader {
    pub fn new(conversation_id: ConversationId, customer: Customer, now: Timestamp) -> Self {
        Self {
            conversation_id,
            status: ConversationStatus::Ai,
            customer,
            escalation: None,
            participants: Vec::new(),
            calls: Vec::new(),
            skill: default_skill(),
            briefing: None,
            handoff: None,
            handoff_likelihood: None,
            created_at: Some(now),
            updated_at: Some(now),
            tags: Vec::new(),
            followup: None,
            last_seq: 0,
        }
    }

    /// Agents currently taking part (joined and not left).
    pub fn active_agents(&self) -> impl Iterator<Item = &UserId> {
        self.participants
            .iter()
            .filter(|p| p.kind == ParticipantKind::Agent && p.left_at.is_none())
            .filter_map(|p| p.user_id.as_ref())
    }

    pub fn has_active_agent(&self, user: &UserId) -> bool {
        self.active_agents().any(|u| u == user)
    }

    /// How staff member `user` appears to this conversation's customer: under their alias once
    /// they take part in it, not at all before (an agent only looking is not announced).
    pub fn customer_alias_of(&self, user: &UserId) -> Option<UserId> {
        self.has_active_agent(user)
            .then(|| user.alias_in(&self.conversation_id))
    }

    /// The header as the conversation's customer may see it: no briefing, no assessment of them,
    /// no internal routing; only their place in the queue survives from the handoff; staff under
    /// their alias.
    pub fn for_customer(&self) -> Self {
        let id = &self.conversation_id;
        Self {
            participants: self
                .participants
                .iter()
                .map(|p| Participant {
                    user_id: p.user_id.as_ref().map(|u| u.alias_in(id)),
                    ..p.clone()
                })
                .collect(),
            // The counts of earlier conversations are for the briefing (they name the routing).
            customer: Customer {
                history: None,
                ..self.customer.clone()
            },
            briefing: None,
            escalation: None,
            handoff_likelihood: None,
            tags: Vec::new(),
            handoff: self.handoff.as_ref().map(|h| HandoffState {
                wait: h.wait,
                ..HandoffState::default()
            }),
            calls: self
                .calls
                .iter()
                .map(|c| Call {
                    recordings: Vec::new(),
                    recording_started_at: None,
                    transcript_segments: None,
                    recordings_deleted_at: None,
                    ..c.clone()
                })
                .collect(),
            ..self.clone()
        }
    }

    /// The call in progress, if any.
    pub fn live_call(&self) -> Option<&Call> {
        self.calls.iter().rev().find(|c| c.is_live())
    }

    fn call_mut(&mut self, call_id: &str) -> Option<&mut Call> {
        self.calls.iter_mut().rev().find(|c| c.call_id == call_id)
    }

    fn handoff_mut(&mut self) -> &mut HandoffState {
        self.handoff.get_or_insert_with(HandoffState::default)
    }

    fn agent_joined(&mut self, participant: &Participant) {
        if participant.kind == ParticipantKind::Agent {
            self.status = ConversationStatus::WithAgent;
            if let Some(h) = &mut self.handoff {
                h.wait = None;
            }
        }
        self.participants.retain(|p| p.id != participant.id);
        self.participants.push(participant.clone());
    }

    /// Fold one committed event into the header. Events must arrive in `seq` order.
    pub fn apply(&mut self, event: &ConversationEvent) {
        self.last_seq = event.seq;
        self.updated_at = Some(event.timestamp);
        match &event.body {
            EventBody::ConversationCreated { customer } => self.customer = customer.clone(),
            EventBody::Message {
                message,
                routing_skill,
            } => {
                if message.speaker == Speaker::Customer {
                    if let Some(skill) = routing_skill {
                        self.skill = skill.clone();
                    }
                }
                if let Some(l) = message.handoff_likelihood {
                    self.handoff_likelihood = Some(l);
                }
            }
            EventBody::ParticipantJoined { participant } => self.agent_joined(participant),
            EventBody::AgentJoined { participant, .. } => self.agent_joined(participant),
            EventBody::ParticipantLeft { participant_id } => {
                for p in self
                    .participants
                    .iter_mut()
                    .filter(|p| &p.id == participant_id)
                {
                    p.left_at = Some(event.timestamp);
                }
            }
            EventBody::StatusChanged { status, .. } => self.status = *status,
            EventBody::EscalationUpdated { escalation } => {
                self.escalation = Some(escalation.clone())
            }
            EventBody::EscalationTriggered {
                escalation,
                evidence,
                likelihood,
            } => {
                self.escalation = Some(escalation.clone());
                self.status = ConversationStatus::Queued;
                self.briefing = None;
                if likelihood.is_some() {
                    self.handoff_likelihood = *likelihood;
                }
                self.handoff = Some(HandoffState {
                    escalated_at: Some(event.timestamp),
                    evidence: evidence.clone(),
                    ..HandoffState::default()
                });
            }
            EventBody::AgentBriefingReady { briefing } => self.briefing = Some(briefing.clone()),
            EventBody::HandoffOffered {
                agent_id,
                expires_at,
                ..
            } => {
                let h = self.handoff_mut();
                h.offered_to = Some(agent_id.clone());
                h.offer_expires_at = Some(*expires_at);
            }
            EventBody::HandoffAccepted { agent_id, .. } => {
                let h = self.handoff_mut();
                if h.offered_to.as_ref() == Some(agent_id) {
                    h.offered_to = None;
                    h.offer_expires_at = None;
                }
                h.invited.retain(|a| a != agent_id);
                if !h.accepted.contains(agent_id) {
                    h.accepted.push(agent_id.clone());
                }
            }
            EventBody::HandoffDeclined { agent_id, .. } => {
                let h = self.handoff_mut();
                if h.offered_to.as_ref() == Some(agent_id) {
                    h.offered_to = None;
                    h.offer_expires_at = None;
                }
                h.invited.retain(|a| a != agent_id);
            }
            EventBody::BriefingOpened { agent_id } => {
                let h = self.handoff_mut();
                if !h.briefing_opened.contains(agent_id) {
                    h.briefing_opened.push(agent_id.clone());
                }
            }
            EventBody::SpecialistInvited { agent_id, .. } => {
                let h = self.handoff_mut();
                if !h.invited.contains(agent_id) {
                    h.invited.push(agent_id.clone());
                }
            }
            EventBody::TransferRequested {
                from_agent_id,
                to_agent_id,
                skill,
                ..
            } => {
                self.handoff_mut().transfer = Some(super::handoff::PendingTransfer {
                    from_agent_id: from_agent_id.clone(),
                    to_agent_id: to_agent_id.clone(),
                    skill: skill.clone(),
                    requested_at: event.timestamp,
                });
            }
            EventBody::TransferEnded {
                from_agent_id,
                outcome,
                ..
            } => {
                let h = self.handoff_mut();
                let pending = h.transfer.take();
                // Handed over: the conversation now belongs to the new agent under the skill it
                // moved to; the one who handed it is no longer part of the handoff.
                if outcome == "completed" {
                    h.accepted.retain(|a| a != from_agent_id);
                    h.briefing_opened.retain(|a| a != from_agent_id);
                    if let Some(t) = pending {
                        self.skill = t.skill;
                    }
                }
            }
            EventBody::WaitEstimated {
                position,
                estimate_secs,
                ..
            } => {
                self.handoff_mut().wait = Some(super::handoff::WaitEstimate {
                    position: *position,
                    estimate_secs: *estimate_secs,
                });
            }
            EventBody::HandedBack { .. } => {
                self.status = ConversationStatus::Ai;
                self.handoff = None;
            }
            EventBody::ConversationResolved { .. } => {
                self.status = ConversationStatus::Resolved;
                if let Some(h) = &mut self.handoff {
                    h.offered_to = None;
                    h.offer_expires_at = None;
                    h.invited.clear();
                    h.wait = None;
                    h.transfer = None;
                }
            }
            EventBody::CallStarted {
                call_id,
                origin,
                recorded,
            } => self.calls.push(Call {
                call_id: call_id.clone(),
                started_at: event.timestamp,
                ended_at: None,
                origin: Some(*origin),
                recorded: *recorded,
                members: Vec::new(),
                recordings: Vec::new(),
                recording_started_at: None,
                transcript_segments: None,
                recordings_deleted_at: None,
            }),
            EventBody::CallJoined {
                call_id,
                participant_id,
                name,
            } => {
                if let Some(call) = self.call_mut(call_id) {
                    call.members.push(CallMember {
                        participant_id: participant_id.clone(),
                        name: name.clone(),
                        joined_at: event.timestamp,
                        left_at: None,
                        media: Vec::new(),
                    });
                }
            }
            EventBody::CallLeft {
                call_id,
                participant_id,
                ..
            } => {
                if let Some(m) = self
                    .call_mut(call_id)
                    .and_then(|c| c.member_mut(participant_id))
                {
                    m.left_at = Some(event.timestamp);
                    m.media.clear();
                }
            }
            EventBody::CallMedia {
                call_id,
                participant_id,
                source,
                change,
            } => {
                if let Some(m) = self
                    .call_mut(call_id)
                    .and_then(|c| c.member_mut(participant_id))
                {
                    m.media.retain(|(s, _)| s != source);
                    match change {
                        MediaChange::Started | MediaChange::Unmuted => {
                            m.media.push((*source, false))
                        }
                        MediaChange::Muted => m.media.push((*source, true)),
                        MediaChange::Stopped => {}
                    }
                }
            }
            EventBody::CallEnded { call_id, .. } => {
                if let Some(call) = self.call_mut(call_id) {
                    call.ended_at = Some(event.timestamp);
                    for m in call.members.iter_mut().filter(|m| m.left_at.is_none()) {
                        m.left_at = Some(event.timestamp);
                        m.media.clear();
                    }
                }
            }
            EventBody::RecordingReady {
                call_id,
                clock_started_at,
                files,
            } => {
                if let Some(call) = self.call_mut(call_id) {
                    call.recordings.extend(files.iter().cloned());
                    call.recording_started_at = Some(*clock_started_at);
                }
            }
            EventBody::TranscriptReady {
                call_id, segments, ..
            } => {
                if let Some(call) = self.call_mut(call_id) {
                    call.transcript_segments = Some(segments.len());
                }
            }
            EventBody::RecordingsDeleted { call_id, .. } => {
                if let Some(call) = self.call_mut(call_id) {
                    call.recordings.clear();
                    call.recordings_deleted_at = Some(event.timestamp);
                }
            }
            EventBody::TagsChanged { tags, .. } => self.tags.clone_from(tags),
            EventBody::FollowupRequested { email } => {
                self.followup = Some(super::followup::FollowUp {
                    email: email.clone(),
                    requested_at: event.timestamp,
                })
            }
            EventBody::TranscriptEmailRequested { .. } => {}
            EventBody::HandoffRated { .. }
            | EventBody::BriefingRated { .. }
            | EventBody::NoteAdded { .. }
            | EventBody::AttachmentsDeleted { .. } => {}
            EventBody::Redacted => {}
        }
    }
}

/// The unified conversation object: header and messages, as served by `GET /api/conversations/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(flatten)]
    pub header: ConversationHeader,
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Internal notes, oldest first (staff only; empty in the customer's view).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<InternalNote>,
}

/// A note staff wrote on the conversation for each other; the customer never sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternalNote {
    pub seq: u64,
    pub at: Timestamp,
    pub agent_id: UserId,
    pub agent_name: String,
    pub text: String,
}

impl InternalNote {
    /// The note an event carries, if it is one.
    pub fn from_event(event: &super::ConversationEvent) -> Option<Self> {
        match &event.body {
            EventBody::NoteAdded {
                agent_id,
                agent_name,
                text,
            } => Some(Self {
                seq: event.seq,
                at: event.timestamp,
                agent_id: agent_id.clone(),
                agent_name: agent_name.clone(),
                text: text.clone(),
            }),
            _ => None,
        }
    }
}

impl Conversation {
    /// The conversation as its customer may see it (see `ConversationHeader::for_customer`).
    pub fn for_customer(mut self) -> Self {
        self.header = self.header.for_customer();
        self.notes.clear();
        let id = &self.header.conversation_id;
        for m in &mut self.messages {
            *m = m.for_customer(id);
        }
        self
    }
}

/// One row of a conversation list (agent inbox, manager overview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub skill: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sentiment: Option<super::SentimentLabel>,
    pub last_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Agents who currently own it.
    #[serde(default)]
    pub agents: Vec<UserId>,
    /// The escalation's urgency while it is escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    /// The latest handoff-likelihood score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_likelihood: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A call going on now, and who is in it: an agent's inbox rings for a call in one of their
    /// conversations that they are not in, even while another conversation is on screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_call: Option<LiveCall>,
    /// The customer left an e-mail address to be answered by e-mail (the inbox says
    /// "E-mail follow-up"); the address itself is not in the summary.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_followup: bool,
}

/// The conversation's call in progress, as the inbox needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveCall {
    pub call_id: String,
    pub started_at: Timestamp,
    /// The customer is in the call now.
    #[serde(default)]
    pub customer_in_call: bool,
    /// Staff in the call now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff_in_call: Vec<UserId>,
    /// Staff who joined the call at some point (someone who left it need not be rung back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff_joined: Vec<UserId>,
}

impl LiveCall {
    /// The call of `h` that has not ended, if any, with who is in it now.
    fn of(h: &ConversationHeader) -> Option<Self> {
        let call = h.calls.iter().rev().find(|c| c.ended_at.is_none())?;
        let mut live = Self {
            call_id: call.call_id.clone(),
            started_at: call.started_at,
            customer_in_call: false,
            staff_in_call: Vec::new(),
            staff_joined: Vec::new(),
        };
        for m in &call.members {
            let Some(p) = h.participants.iter().find(|p| p.id == m.participant_id) else {
                continue;
            };
            let now = m.left_at.is_none();
            match (p.kind, &p.user_id) {
                (ParticipantKind::Customer, _) if now => live.customer_in_call = true,
                (ParticipantKind::Agent, Some(user)) => {
                    if now && !live.staff_in_call.contains(user) {
                        live.staff_in_call.push(user.clone());
                    }
                    if !live.staff_joined.contains(user) {
                        live.staff_joined.push(user.clone());
                    }
                }
                _ => {}
            }
        }
        Some(live)
    }
}

impl ConversationSummary {
    /// Longest `last_message` preview kept in a summary, in characters.
    pub const PREVIEW_CHARS: usize = 140;

    /// The summary of a conversation that has no messages yet.
    pub fn from_header(h: &ConversationHeader) -> Self {
        Self {
            conversation_id: h.conversation_id.clone(),
            status: h.status,
            skill: h.skill.clone(),
            customer_name: h.customer.name.clone(),
            last_message: None,
            last_sentiment: None,
            last_seq: h.last_seq,
            updated_at: h.updated_at,
            agents: h.active_agents().cloned().collect(),
            urgency: h
                .handoff
                .as_ref()
                .and(h.escalation.as_ref())
                .map(|e| e.urgency),
            handoff_likelihood: h.handoff_likelihood,
            tags: h.tags.clone(),
            live_call: LiveCall::of(h),
            email_followup: h.followup.is_some(),
        }
    }

    /// Brings the summary up to date after `event` was applied to `h`. The preview follows the
    /// latest message of anyone; the sentiment follows the customer's latest, which is what an
    /// agent scanning the inbox needs.
    pub fn apply(&mut self, h: &ConversationHeader, event: &ConversationEvent) {
        let (last_message, mut last_sentiment) = (self.last_message.take(), self.last_sentiment);
        let mut preview = last_message;
        if let Some(m) = event.body.message() {
            preview = Some(match &m.attachment {
                // A file sent without words is previewed by its name.
                Some(a) if m.content.is_empty() => format!("File: {}", a.name),
                _ => m.content.chars().take(Self::PREVIEW_CHARS).collect(),
            });
            if m.speaker == Speaker::Customer {
                last_sentiment = m.sentiment;
            }
        }
        *self = Self {
            last_message: preview,
            last_sentiment,
            ..Self::from_header(h)
        };
    }
}

#[cfg(test)]
mod recording_tests {
    use super::*;
    use crate::domain::{CallOrigin, RecordingFile, RecordingSource};

    #[test]
    fn recordings_land_in_their_call_and_customers_never_see_them() {
        let now = chrono::Utc::now();
        let id = ConversationId::from("c-1");
        let mut h = ConversationHeader::new(id.clone(), Customer::default(), now);
        let ev = |seq, body| ConversationEvent {
            conversation_id: id.clone(),
            seq,
            timestamp: now,
            body,
        };
        h.apply(&ev(
            1,
            EventBody::CallStarted {
                call_id: "call-1".into(),
                origin: CallOrigin::Customer,
                recorded: true,
            },
        ));
        let file = RecordingFile {
            participant_id: None,
            source: RecordingSource::Mixed,
            path: "c-1/call-1/mixed.ogg".into(),
            offset_ms: 0,
            duration_ms: 6_000,
            mime: "audio/ogg".into(),
        };
        let ready = ev(
            2,
            EventBody::RecordingReady {
                call_id: "call-1".into(),
                clock_started_at: now,
                files: vec![file.clone()],
            },
        );
        h.apply(&ready);
        assert_eq!(h.calls[0].recordings, vec![file.clone()]);
        assert_eq!(file.name(), "mixed.ogg");
        assert_eq!(h.calls[0].recording_started_at, Some(now));
        assert!(h.for_customer().calls[0].recordings.is_empty());
        assert_eq!(h.for_customer().calls[0].recording_started_at, None);
        assert_eq!(ready.for_customer().body, EventBody::Redacted);
        let json = serde_json::to_value(&ready.body).unwrap();
        assert_eq!(json["type"], "recording_ready");
        assert_eq!(json["files"][0]["offsetMs"], 0);
        assert_eq!(json["files"][0]["source"], "mixed");
    }
}

#[cfg(test)]
mod live_call_tests {
    use super::*;
    use crate::domain::CallOrigin;

    #[test]
    fn the_summary_says_who_is_in_the_call_now_and_who_was() {
        let now = chrono::Utc::now();
        let id = ConversationId::from("c-1");
        let mut h = ConversationHeader::new(id.clone(), Customer::default(), now);
        let mut seq = 0;
        let mut apply = |h: &mut ConversationHeader, body| {
            seq += 1;
            h.apply(&ConversationEvent {
                conversation_id: id.clone(),
                seq,
                timestamp: now,
                body,
            });
        };
        let person = |pid: &str, kind, user: Option<&str>| Participant {
            id: ParticipantId::from(pid),
            kind,
            user_id: user.map(UserId::from),
            name: pid.into(),
            joined_at: now,
            left_at: None,
        };
        let joined = |pid: &str| EventBody::CallJoined {
            call_id: "call-1".into(),
            participant_id: ParticipantId::from(pid),
            name: pid.into(),
        };
        apply(
            &mut h,
            EventBody::ParticipantJoined {
                participant: person("p-cust", ParticipantKind::Customer, None),
            },
        );
        apply(
            &mut h,
            EventBody::AgentJoined {
                participant: person("p-sam", ParticipantKind::Agent, Some("u-sam")),
                specialist: false,
            },
        );
        assert_eq!(ConversationSummary::from_header(&h).live_call, None);
        apply(
            &mut h,
            EventBody::CallStarted {
                call_id: "call-1".into(),
                origin: CallOrigin::Customer,
                recorded: false,
            },
        );
        apply(&mut h, joined("p-cust"));
        let live = ConversationSummary::from_header(&h).live_call.unwrap();
        assert!(live.customer_in_call && live.staff_in_call.is_empty());
        apply(&mut h, joined("p-sam"));
        apply(
            &mut h,
            EventBody::CallLeft {
                call_id: "call-1".into(),
                participant_id: ParticipantId::from("p-sam"),
                reason: "hangup".into(),
            },
        );
        let live = ConversationSummary::from_header(&h).live_call.unwrap();
        assert!(live.customer_in_call && live.staff_in_call.is_empty());
        assert_eq!(live.staff_joined, vec![UserId::from("u-sam")]);
        let json = serde_json::to_value(ConversationSummary::from_header(&h)).unwrap();
        assert_eq!(json["liveCall"]["customerInCall"], true);
        apply(
            &mut h,
            EventBody::CallEnded {
                call_id: "call-1".into(),
                reason: "ended".into(),
            },
        );
        assert_eq!(ConversationSummary::from_header(&h).live_call, None);
    }
}
