//! What a manager reads: the handoff view (figures, conversation, briefing as delivered, calls with
//! their recordings and transcript, sentiment over time) and the exports (unified JSON, WebVTT,
//! SRT, briefing Markdown). Every text that leaves here passes the redactor.

use super::{Review, ReviewError};
use crate::domain::{
    Briefing, Call, Conversation, ConversationEvent, ConversationId, EventBody, Message, Speaker,
    TranscriptSegment, TranscriptSource,
};
use crate::review::Redactor;
use crate::transcribe::subtitles::{self, Cue};
use serde_json::{json, Value};

/// An export a manager can download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The unified conversation object.
    Json,
    WebVtt,
    Srt,
    BriefingMarkdown,
}

impl ExportKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "export.json" => Self::Json,
            "transcript.vtt" => Self::WebVtt,
            "transcript.srt" => Self::Srt,
            "briefing.md" => Self::BriefingMarkdown,
            _ => return None,
        })
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::WebVtt => "text/vtt; charset=utf-8",
            Self::Srt => "application/x-subrip; charset=utf-8",
            Self::BriefingMarkdown => "text/markdown; charset=utf-8",
        }
    }

    /// The audit log's action name.
    pub fn action(self) -> &'static str {
        match self {
            Self::Json => "export.json",
            Self::WebVtt => "export.vtt",
            Self::Srt => "export.srt",
            Self::BriefingMarkdown => "export.briefing",
        }
    }

    pub fn file_name(self, id: &ConversationId) -> String {
        match self {
            Self::Json => format!("{id}.json"),
            Self::WebVtt => format!("{id}.vtt"),
            Self::Srt => format!("{id}.srt"),
            Self::BriefingMarkdown => format!("{id}-briefing.md"),
        }
    }
}

fn redact_briefing(r: &Redactor, b: &mut Briefing) {
    let red = |s: &mut String| *s = r.redact(s).into_owned();
    red(&mut b.summary);
    red(&mut b.warm_introduction);
    red(&mut b.emotional_state.note);
    red(&mut b.escalation.ai_assessment);
    red(&mut b.escalation.customer_expectation);
    b.detail.course.iter_mut().for_each(red);
    b.detail.background.iter_mut().for_each(red);
    b.next_actions.iter_mut().for_each(red);
    b.technical.error_messages.iter_mut().for_each(red);
    b.technical.urls.iter_mut().for_each(red);
    b.known_facts.iter_mut().for_each(|f| red(&mut f.value));
    if let Some(t) = b.transfer.as_mut() {
        red(&mut t.note);
    }
}

/// Messages and transcript lines (`Redactor::redact_event`), and the briefings and free-text
/// notes events carry.
fn redact_event(r: &Redactor, e: &mut ConversationEvent) {
    r.redact_event(e);
    match &mut e.body {
        EventBody::AgentBriefingReady { briefing } | EventBody::HandoffOffered { briefing, .. } => {
            redact_briefing(r, briefing)
        }
        EventBody::ConversationCreated { customer } => {
            if let Some(email) = customer.email.as_mut() {
                *email = r.redact(email).into_owned();
            }
        }
        EventBody::ConversationResolved { note: Some(n), .. } => *n = r.redact(n).into_owned(),
        EventBody::NoteAdded { text, .. } => *text = r.redact(text).into_owned(),
        EventBody::FollowupRequested { email } | EventBody::TranscriptEmailRequested { email } => {
            *email = r.redact(email).into_owned()
        }
        EventBody::TransferRequested { note: Some(n), .. } => *n = r.redact(n).into_owned(),
        EventBody::HandoffRated {
            comment: Some(c), ..
        }
        | EventBody::BriefingRated {
            comment: Some(c), ..
        } => *c = r.redact(c).into_owned(),
        _ => {}
    }
}

/// The briefing the first agent who joined was offered (what they read), with who got it; else the
/// latest briefing built.
fn briefing_as_delivered(events: &[ConversationEvent]) -> Option<(Briefing, Value)> {
    let first_agent = events.iter().find_map(|e| match &e.body {
        EventBody::AgentJoined {
            participant,
            specialist: false,
        } => participant.user_id.clone(),
        _ => None,
    });
    let offered = events.iter().rev().find_map(|e| match &e.body {
        EventBody::HandoffOffered {
            agent_id,
            agent_name,
            briefing,
            specialist: false,
            ..
        } if first_agent.as_ref().is_none_or(|a| a == agent_id) => Some((
            (**briefing).clone(),
            json!({"agentId": agent_id, "agentName": agent_name, "offeredAt": e.timestamp}),
        )),
        _ => None,
    });
    offered.or_else(|| {
        events.iter().rev().find_map(|e| match &e.body {
            EventBody::AgentBriefingReady { briefing } => Some(((**briefing).clone(), Value::Null)),
            _ => None,
        })
    })
}

/// A call's transcript: the complete after-call one when it exists, else the live lines.
fn call_transcript(
    call: &Call,
    conversation: &Conversation,
    events: &[ConversationEvent],
) -> (Vec<TranscriptSegment>, TranscriptSource) {
    let after_call = events.iter().rev().find_map(|e| match &e.body {
        EventBody::TranscriptReady {
            call_id, segments, ..
        } if *call_id == call.call_id => Some(segments.clone()),
        _ => None,
    });
    if let Some(segments) = after_call {
        return (segments, TranscriptSource::AfterCall);
    }
    let name_of = |m: &Message| {
        let pid = m.voice.as_ref().map(|v| &v.participant_id);
        call.members
            .iter()
            .find(|c| Some(&c.participant_id) == pid)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let live = conversation
        .messages
        .iter()
        .filter_map(|m| {
            let v = m.voice.as_ref().filter(|v| v.call_id == call.call_id)?;
            Some(TranscriptSegment {
                participant_id: v.participant_id.clone(),
                speaker: m.speaker,
                name: name_of(m),
                start_ms: v.start_ms,
                end_ms: v.end_ms,
                text: m.content.clone(),
                confidence: v.confidence,
            })
        })
        .collect();
    (live, TranscriptSource::Live)
}

fn cues(segments: &[TranscriptSegment]) -> Vec<Cue> {
    segments
        .iter()
        .map(|s| Cue {
            start_ms: s.start_ms,
            end_ms: s.end_ms.max(s.start_ms + 1),
            speaker: Some(if s.name.is_empty() {
                match s.speaker {
                    Speaker::Customer => "Customer".to_owned(),
                    Speaker::Agent => "Agent".to_owned(),
                    Speaker::Ai => "Assistant".to_owned(),
                    Speaker::System => "System".to_owned(),
                }
            } else {
                s.name.clone()
            }),
            text: s.text.clone(),
        })
        .collect()
}

impl Review {
    /// The conversation and its events with personal data redacted.
    async fn load_redacted(
        &self,
        id: &ConversationId,
    ) -> Result<(Conversation, Vec<ConversationEvent>), ReviewError> {
        let (mut conversation, mut events) = self.load(id).await?;
        self.redact_all(&mut conversation, &mut events);
        Ok((conversation, events))
    }

    fn redact_all(&self, conversation: &mut Conversation, events: &mut [ConversationEvent]) {
        let r = &self.redactor;
        conversation
            .messages
            .iter_mut()
            .for_each(|m| r.redact_message(m));
        if let Some(b) = conversation.header.briefing.as_mut() {
            redact_briefing(r, b);
        }
        for note in &mut conversation.notes {
            note.text = r.redact(&note.text).into_owned();
        }
        // The customer record's contact fields are what the rules protect most of all.
        let customer = &mut conversation.header.customer;
        if let Some(email) = customer.email.as_mut() {
            *email = r.redact(email).into_owned();
        }
        if let Some(f) = conversation.header.followup.as_mut() {
            f.email = r.redact(&f.email).into_owned();
        }
        events.iter_mut().for_each(|e| redact_event(r, e));
    }

    /// The handoff view; `None` when the conversation was never escalated.
    pub(crate) async fn handoff_view(
        &self,
        id: &ConversationId,
    ) -> Result<Option<Value>, ReviewError> {
        // Figures from the log as written (facts such as an e-mail address must be seen to
        // recognise a repeat ask), everything shown redacted.
        let (mut conversation, mut events) = self.load(id).await?;
        let Some(metrics) = self.compute(&conversation, &events) else {
            return Ok(None);
        };
        self.redact_all(&mut conversation, &mut events);
        let (briefing, delivered_to) = match briefing_as_delivered(&events) {
            Some((b, to)) => (Some(b), to),
            None => (None, Value::Null),
        };
        let calls: Vec<Value> = conversation
            .header
            .calls
            .iter()
            .map(|call| {
                let (transcript, source) = call_transcript(call, &conversation, &events);
                let recordings: Vec<Value> = call
                    .recordings
                    .iter()
                    .map(|f| {
                        let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                        v["url"] = json!(format!(
                            "/api/conversations/{id}/recordings/{}/{}",
                            call.call_id,
                            f.name()
                        ));
                        v
                    })
                    .collect();
                json!({
                    "callId": call.call_id,
                    "startedAt": call.started_at,
                    "endedAt": call.ended_at,
                    "recordingStartedAt": call.recording_started_at,
                    "recordingsDeletedAt": call.recordings_deleted_at,
                    "members": call.members,
                    "recordings": recordings,
                    "transcript": transcript,
                    "transcriptSource": source,
                })
            })
            .collect();
        let sentiment: Vec<Value> = conversation
            .messages
            .iter()
            .filter(|m| matches!(m.speaker, Speaker::Customer))
            .filter_map(|m| {
                Some(json!({
                    "seq": m.seq,
                    "at": m.timestamp,
                    "score": m.sentiment_score?,
                    "label": m.sentiment,
                    "speaker": m.speaker,
                    "channel": m.channel,
                }))
            })
            .collect();
        Ok(Some(json!({
            "metrics": metrics,
            "conversation": conversation,
            "briefing": briefing,
            "briefingDeliveredTo": delivered_to,
            "events": events,
            "calls": calls,
            "sentiment": sentiment,
        })))
    }

    /// An export's body. `call` picks a call for the transcripts (default: the latest call with
    /// a transcript; each call has its own clock).
    pub(crate) async fn export(
        &self,
        id: &ConversationId,
        kind: ExportKind,
        call: Option<&str>,
    ) -> Result<Option<String>, ReviewError> {
        let (conversation, events) = self.load_redacted(id).await?;
        Ok(match kind {
            ExportKind::Json => {
                // The conversation, and beside it every file sent in it (whether its bytes are
                // still kept, and their hash), names redacted like the messages.
                let mut value = serde_json::to_value(&conversation).map_err(ReviewError::Encode)?;
                let mut files = self.store.attachments_of(id).await?;
                for f in &mut files {
                    f.name = self.redactor.redact(&f.name).into_owned();
                }
                value["attachments"] = serde_json::to_value(&files).map_err(ReviewError::Encode)?;
                Some(serde_json::to_string_pretty(&value).map_err(ReviewError::Encode)?)
            }
            ExportKind::WebVtt | ExportKind::Srt => {
                let all = conversation
                    .header
                    .calls
                    .iter()
                    .rev()
                    .filter(|c| call.is_none_or(|id| id == c.call_id))
                    .map(|c| cues(&call_transcript(c, &conversation, &events).0))
                    .find(|cues| !cues.is_empty());
                let Some(all) = all else {
                    return Ok(None);
                };
                Some(match kind {
                    ExportKind::WebVtt => subtitles::to_webvtt(&all),
                    _ => subtitles::to_srt(&all),
                })
            }
            ExportKind::BriefingMarkdown => briefing_as_delivered(&events).map(|(b, _)| {
                crate::review::briefing_markdown(&b, conversation.header.customer.name.as_deref())
            }),
        })
    }
}
