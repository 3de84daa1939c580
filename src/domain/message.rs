//! A message in a conversation: chat text or a transcribed voice segment, with its analysis.

use super::{ids::MessageId, ids::UserId, Timestamp};
use serde::{Deserialize, Serialize};

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Customer,
    Ai,
    Agent,
    System,
}

/// How it was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Chat,
    Voice,
}

/// Coarse emotional reading of a message. `Frustrated` is negative *and* aimed at the situation or
/// the service (repetition, waiting, things still broken), which is what escalation cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
    Frustrated,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Neutral => "neutral",
            Self::Negative => "negative",
            Self::Frustrated => "frustrated",
        }
    }
}

/// A label with its score: `score` is the compound valence in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    pub score: f64,
}

/// One message. `seq` is the conversation event sequence number it was committed under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(default)]
    pub id: MessageId,
    #[serde(default)]
    pub seq: u64,
    pub timestamp: Timestamp,
    pub speaker: Speaker,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<UserId>,
    pub content: String,
    #[serde(default)]
    pub channel: Channel,
    /// The article's field: the label as a plain string (`"frustrated"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentLabel>,
    /// Compound valence behind `sentiment`, in [-1, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Assistant confidence in its reply, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Troubleshooting steps the assistant proposed in this message (ids such as `cache_clear`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions_attempted: Vec<String>,
    /// On assistant replies: the knowledge-base sections the reply rests on, as
    /// `article-id#section-slug` (for a clarifying question, the sections it asks between).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Client-chosen idempotency key: resending the same key never stores a second copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// On assistant replies: how likely a handoff was becoming after this turn, in [0, 1].
    /// Staff-only (customers receive messages without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_likelihood: Option<f64>,
    /// On `voice` messages: the call, the speaker's participant and where in the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<super::transcript::VoiceSegment>,
    /// A file sent with the message (a screenshot, a log, a PDF); see `domain::attachment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<super::attachment::Attachment>,
}

impl Message {
    /// A message with only the required fields set; analysis and ids are filled in later.
    pub fn new(speaker: Speaker, content: impl Into<String>, timestamp: Timestamp) -> Self {
        Self {
            id: MessageId::generate(),
            seq: 0,
            timestamp,
            speaker,
            agent_id: None,
            content: content.into(),
            channel: Channel::Chat,
            sentiment: None,
            sentiment_score: None,
            intent: None,
            confidence: None,
            actions_attempted: Vec::new(),
            sources: Vec::new(),
            client_msg_id: None,
            handoff_likelihood: None,
            voice: None,
            attachment: None,
        }
    }

    /// True when [`Message::for_customer`] would change it.
    pub fn has_staff_only_fields(&self) -> bool {
        self.agent_id.is_some()
            || self.sentiment.is_some()
            || self.sentiment_score.is_some()
            || self.intent.is_some()
            || self.handoff_likelihood.is_some()
            || self
                .attachment
                .as_ref()
                .is_some_and(|a| a.findings.is_some())
    }

    /// The message as the customer of `conversation` sees it: no assessment of them (sentiment,
    /// intent, the handoff likelihood, what was read from an attached log), the agent under
    /// their alias. The assistant's confidence in its own answer stays: it is about the answer,
    /// and the page may show it.
    pub fn for_customer(&self, conversation: &super::ids::ConversationId) -> Message {
        Message {
            agent_id: self.agent_id.as_ref().map(|a| a.alias_in(conversation)),
            sentiment: None,
            sentiment_score: None,
            intent: None,
            handoff_likelihood: None,
            attachment: self
                .attachment
                .as_ref()
                .map(|a| super::attachment::Attachment {
                    findings: None,
                    ..a.clone()
                }),
            ..self.clone()
        }
    }

    pub fn set_sentiment(&mut self, s: Sentiment) {
        self.sentiment = Some(s.label);
        self.sentiment_score = Some(s.score);
    }
}
