//! What a manager reads: the handoff view (figures, conversation, briefing as delivered, calls with
//! their recordings and transcript, sentiment over time) and the exports (unified JSON, WebVTT,
//! SRT, briefing Markdown). Every text that leaves here passes the redactor.

use super::{Review, ReviewError};
use crate::domain::{
    Briefing, Call, Conversation, ConversationEvent, ConversationId, EventBody, Message, Speaker,
    TranscriptSegment, TranscriptSource,
};
use crate::review::Redactor;
use crate::service::port::{
    BriefingDelivery, CallReview, HandoffView, RecordingLink, SentimentPoint,
};
use crate::transcribe::subtitles::{self, Cue};

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
fn briefing_as_delivered(
    events: &[ConversationEvent],
) -> Option<(Briefing, Option<BriefingDelivery>)> {
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
            Some(BriefingDelivery {
                agent_id: agent_id.clone(),
                agent_name: agent_name.clone(),
                offered_at: e.timestamp,
            }),
        )),
        _ => None,
    });
    offered.or_else(|| {
        events.iter().rev().find_map(|e| match &e.body {
            EventBody::AgentBriefingReady { briefing } => Some(((**briefing).clone(), None)),
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

/// Each call of the conversation with its recordings (and where to fetch them) and transcript.
fn call_reviews(
    id: &ConversationId,
    conversation: &Conversation,
    events: &[ConversationEvent],
) -> Vec<CallReview> {
    conversation
        .header
        .calls
        .iter()
        .map(|call| {
            let (transcript, transcript_source) = call_transcript(call, conversation, events);
            let recordings = call
                .recordings
                .iter()
                .map(|f| RecordingLink {
                    url: format!(
                        "/api/conversations/{id}/recordings/{}/{}",
                        call.call_id,
                        f.name()
                    ),
                    file: f.clone(),
                })
                .collect();
            CallReview {
                call_id: call.call_id.clone(),
                started_at: call.started_at,
                ended_at: call.ended_at,
                recording_started_at: call.recording_started_at,
                recordings_deleted_at: call.recordings_deleted_at,
                members: call.members.clone(),
                recordings,
                transcript,
                transcript_source,
            }
        })
        .collect()
}

/// The customer's messages with a sentiment score, in order.
fn sentiment_points(conversation: &Conversation) -> Vec<SentimentPoint> {
    conversation
        .messages
        .iter()
        .filter(|m| matches!(m.speaker, Speaker::Customer))
        .filter_map(|m| {
            Some(SentimentPoint {
                seq: m.seq,
                at: m.timestamp,
                score: m.sentiment_score?,
                label: m.sentiment,
                speaker: m.speaker,
                channel: m.channel,
            })
        })
        .collect()
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
    ) -> Result<Option<HandoffView>, ReviewError> {
        // Figures from the log as written (facts such as an e-mail address must be seen to
        // recognise a repeat ask), everything shown redacted.
        let (mut conversation, mut events) = self.load(id).await?;
        let Some(metrics) = self.compute(&conversation, &events) else {
            return Ok(None);
        };
        self.redact_all(&mut conversation, &mut events);
        let (briefing, briefing_delivered_to) = match briefing_as_delivered(&events) {
            Some((b, to)) => (Some(b), to),
            None => (None, None),
        };
        let calls = call_reviews(id, &conversation, &events);
        let sentiment = sentiment_points(&conversation);
        Ok(Some(HandoffView {
            metrics,
            conversation,
            briefing,
            briefing_delivered_to,
            events,
            calls,
            sentiment,
        }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        CallMember, Channel, ConversationHeader, Customer, ParticipantId, RecordingFile,
        RecordingSource, SentimentLabel, UserId, VoiceSegment,
    };
    use serde_json::{json, Value};

    fn at(secs: i64) -> crate::domain::Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    /// A conversation with a recorded call (live lines and an after-call transcript for it), a
    /// live call, and customer messages with and without a sentiment score.
    fn sample() -> (ConversationId, Conversation, Vec<ConversationEvent>) {
        let id = ConversationId::from("conv-1");
        let mut header = ConversationHeader::new(id.clone(), Customer::default(), at(0));
        let member = ParticipantId::from("p-cust");
        let file = |source, participant: Option<&ParticipantId>, name: &str| RecordingFile {
            participant_id: participant.cloned(),
            source,
            path: format!("conv-1/call-1/{name}"),
            offset_ms: 120,
            duration_ms: 60_000,
            mime: "audio/ogg".into(),
        };
        header.calls = vec![
            Call {
                call_id: "call-1".into(),
                started_at: at(10),
                ended_at: Some(at(70)),
                origin: None,
                recorded: true,
                members: vec![CallMember {
                    participant_id: member.clone(),
                    name: "Ana".into(),
                    joined_at: at(11),
                    left_at: Some(at(70)),
                    media: Vec::new(),
                }],
                recordings: vec![
                    file(RecordingSource::Microphone, Some(&member), "mic.ogg"),
                    file(RecordingSource::Mixed, None, "mixed.ogg"),
                ],
                recording_started_at: Some(at(10)),
                transcript_segments: None,
                recordings_deleted_at: None,
            },
            Call {
                call_id: "call-2".into(),
                started_at: at(100),
                ended_at: None,
                origin: None,
                recorded: false,
                members: Vec::new(),
                recordings: Vec::new(),
                recording_started_at: None,
                transcript_segments: None,
                recordings_deleted_at: Some(at(200)),
            },
        ];
        let mut scored = Message::new(Speaker::Customer, "this is useless", at(20));
        scored.seq = 4;
        scored.sentiment = Some(SentimentLabel::Frustrated);
        scored.sentiment_score = Some(-0.625);
        let mut voice = Message::new(Speaker::Customer, "hello?", at(30));
        voice.seq = 5;
        voice.channel = Channel::Voice;
        voice.sentiment_score = Some(0.1);
        voice.voice = Some(VoiceSegment {
            call_id: "call-1".into(),
            participant_id: member.clone(),
            start_ms: 500,
            end_ms: 900,
            confidence: 0.8,
            source: TranscriptSource::Live,
        });
        let unscored = Message::new(Speaker::Customer, "ok", at(40));
        let ai = Message::new(Speaker::Ai, "Let me help", at(41));
        let conversation = Conversation {
            header,
            messages: vec![scored, voice, unscored, ai],
            notes: Vec::new(),
        };
        let events = vec![ConversationEvent {
            conversation_id: id.clone(),
            seq: 9,
            timestamp: at(80),
            body: EventBody::TranscriptReady {
                call_id: "call-1".into(),
                segments: vec![TranscriptSegment {
                    participant_id: member,
                    speaker: Speaker::Customer,
                    name: "Ana".into(),
                    start_ms: 620,
                    end_ms: 1_020,
                    text: "hello".into(),
                    confidence: 0.9,
                }],
                audio_ms: 60_000,
            },
        }];
        (id, conversation, events)
    }

    /// What the view's calls, sentiment and delivery were before they were typed (`json!`).
    fn old_calls(id: &ConversationId, c: &Conversation, events: &[ConversationEvent]) -> Value {
        let calls: Vec<Value> = c
            .header
            .calls
            .iter()
            .map(|call| {
                let (transcript, source) = call_transcript(call, c, events);
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
        json!(calls)
    }

    fn old_sentiment(c: &Conversation) -> Value {
        let points: Vec<Value> = c
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
        json!(points)
    }

    #[test]
    fn the_typed_handoff_view_serialises_as_the_json_one_did() {
        let (id, conversation, events) = sample();
        let calls =
            serde_json::to_value(call_reviews(&id, &conversation, &events)).unwrap_or_default();
        assert_eq!(calls, old_calls(&id, &conversation, &events));
        assert_eq!(calls[0]["transcriptSource"], "after_call");
        assert_eq!(
            calls[0]["recordings"][1]["url"],
            "/api/conversations/conv-1/recordings/call-1/mixed.ogg"
        );
        assert!(calls[1]["endedAt"].is_null() && calls[1]["recordingStartedAt"].is_null());
        let sentiment = serde_json::to_value(sentiment_points(&conversation)).unwrap_or_default();
        assert_eq!(sentiment, old_sentiment(&conversation));
        assert_eq!(sentiment.as_array().map(Vec::len), Some(2));

        let delivery = BriefingDelivery {
            agent_id: UserId::from("sam"),
            agent_name: "Sam".into(),
            offered_at: at(50),
        };
        assert_eq!(
            serde_json::to_value(&delivery).unwrap_or_default(),
            json!({"agentId": delivery.agent_id, "agentName": "Sam", "offeredAt": at(50)})
        );
    }
}
