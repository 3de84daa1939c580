//! The briefing a human agent reads before joining an escalated conversation (the article's
//! "context package").
//!
//! Contract: plain data, no IO, imports only other `domain` items. It is laid out for progressive
//! disclosure: `summary` is the 5-second read (who, core issue, emotion, urgency, expectation; at most
//! [`Briefing::SUMMARY_MAX_CHARS`] characters), `detail` the 30-second read (course of the
//! conversation, attempted solutions with their outcome, customer background), `technical` the
//! as-needed read (error messages, codes, URLs, ids, browser, device). `known_facts` lists what the
//! customer already told us so the agent never asks again. The briefing is produced by
//! `handoff::briefing::build_briefing`; field names are camelCase on the wire.

use super::conversation::Escalation;
use super::ids::MessageId;
use super::message::SentimentLabel;
use super::Timestamp;
use serde::{Deserialize, Serialize};

/// Everything an agent needs to pick up an escalated conversation without making the customer repeat
/// themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Briefing {
    /// Why and to whom the conversation was handed over.
    pub escalation: Escalation,
    /// Executive summary: one or two sentences, at most `SUMMARY_MAX_CHARS` characters.
    pub summary: String,
    /// The 30-second read.
    pub detail: BriefingDetail,
    /// Diagnostic details the customer gave.
    pub technical: TechnicalDetail,
    /// Facts the customer already gave ("do not ask again").
    #[serde(default)]
    pub known_facts: Vec<KnownFact>,
    /// Concrete next steps for the agent, most useful first; never a step that already failed.
    #[serde(default)]
    pub next_actions: Vec<String>,
    /// A suggested first message from the agent to the customer.
    #[serde(default)]
    pub warm_introduction: String,
    /// How complete the context is, and what is missing.
    pub completeness: Completeness,
    /// The customer's mood at handoff time.
    pub emotional_state: EmotionalState,
    /// Deadlines, stakes and recurrence the customer mentioned, in order, each with their words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_pressure: Vec<PressureFact>,
    /// How long the customer has been at it: what they said, else the conversation's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_spent: Option<TimeSpent>,
    pub generated_at: Timestamp,
    /// Sequence number of the last conversation event the briefing was built from.
    #[serde(default)]
    pub source_seq: u64,
    /// When a language model wrote the summary and introduction from the facts: which one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
    /// When a colleague is handing the conversation over: who, and what they want you to know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferNote>,
}

/// The handover from the agent who had the conversation to the one taking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferNote {
    pub from_agent_name: String,
    /// Their note for the next agent (may be empty).
    #[serde(default)]
    pub note: String,
    /// The skill the conversation is handed to.
    pub skill: String,
    pub requested_at: Timestamp,
    /// What the agent and the customer said to each other before the handover, in messages.
    #[serde(default)]
    pub agent_messages: usize,
}

impl Briefing {
    /// Longest executive summary, in characters.
    pub const SUMMARY_MAX_CHARS: usize = 280;

    /// The value of the first known fact of `kind`, if any.
    pub fn fact(&self, kind: &str) -> Option<&str> {
        self.known_facts
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.value.as_str())
    }
}

/// The conversation's course, what was tried, and who the customer is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingDetail {
    /// The conversation's course in a few lines.
    #[serde(default)]
    pub course: Vec<String>,
    /// Solutions the assistant attempted, in order, with their outcome.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Customer background from `customer.context`.
    #[serde(default)]
    pub background: Vec<String>,
}

/// One troubleshooting step: proposed by the assistant, or one the customer says they took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// For the assistant, the action id it reported (`cache_clear`); for the customer, what they
    /// did in a few words of their own ("rotated the signing secret").
    pub action: String,
    pub outcome: AttemptOutcome,
    /// The message that proposed or reported it.
    pub message_id: MessageId,
    #[serde(default)]
    pub source: AttemptSource,
    /// The customer's own sentence about it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What came of it in the customer's words ("still 401").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result: String,
}

/// Who tried a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptSource {
    /// The assistant proposed it (`actionsAttempted`).
    #[default]
    Assistant,
    /// The customer says they did it.
    Customer,
}

/// What kind of time pressure a phrase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PressureKind {
    /// A point in time: "tomorrow", "by Friday", "in an hour".
    Deadline,
    /// What depends on it: "our release", "a board meeting", "the whole team is blocked".
    Stakes,
    /// It keeps happening: "third time this month".
    Recurrence,
}

/// A piece of time pressure the customer mentioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PressureFact {
    pub kind: PressureKind,
    /// The phrase as written ("tomorrow").
    pub text: String,
    /// The sentence it is in.
    #[serde(default)]
    pub quote: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
}

/// How long the customer has been at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSpent {
    /// For the agent: "20 minutes", "since this morning".
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// True when the customer said it; false when measured from the conversation.
    #[serde(default)]
    pub stated: bool,
}

/// What happened after an attempt, judged from the customer's next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Failed,
    PartiallyWorked,
    Worked,
    Unknown,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::PartiallyWorked => "partially_worked",
            Self::Worked => "worked",
            Self::Unknown => "unknown",
        }
    }
}

/// Diagnostic details, each list in order of first mention, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TechnicalDetail {
    /// Error messages the customer quoted.
    #[serde(default)]
    pub error_messages: Vec<String>,
    /// HTTP status and error codes (`401`, `ERR_TOO_MANY_REDIRECTS`, `E1234`).
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub urls: Vec<String>,
    /// Account, order, invoice and request ids.
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// Something the customer already told us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownFact {
    /// `name`, `email`, `phone`, `account_id`, `order_id`, `invoice_id`, `request_id`, `plan`,
    /// `device`, `browser`, `url`, `amount`, `date`.
    pub kind: String,
    pub value: String,
    /// The message it came from; `None` when it came from the customer record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
}

/// How complete the briefing's context is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completeness {
    /// Share of the expected items that are known, in [0, 1].
    pub score: f64,
    /// What is missing, in words (`no account id`, `browser unknown`).
    #[serde(default)]
    pub missing: Vec<String>,
}

/// The customer's mood at handoff time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmotionalState {
    /// The customer's mood now: the latest message's, unless a calmer-sounding latest message
    /// (a plain request after an angry one) would hide how they feel.
    pub label: SentimentLabel,
    /// `improving`, `steady` or `worsening`.
    pub trend: String,
    /// The worst mood of the conversation so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<SentimentLabel>,
    /// One line for the agent.
    #[serde(default)]
    pub note: String,
}

/// What the knowledge base says about a conversation, handed to the briefing by whoever owns the
/// knowledge base (the built-in assistant): the topic it matched, next steps an agent could take
/// (whole sentences), and the names of the step ids the assistant reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeContext {
    /// "Webhook deliveries failing".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default)]
    pub next_steps: Vec<String>,
    /// `(action id, name)`: `("webhook_signature_verify", "Verify webhook signatures")`.
    #[serde(default)]
    pub step_names: Vec<(String, String)>,
}

/// A briefing's summary and warm introduction as a language model wrote them from the briefing's
/// extracted facts (`[assistant] write_briefings`). The introduction is the part after the agent's
/// greeting and name, which the gateway writes itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefingText {
    pub summary: String,
    pub introduction: String,
    /// The `source_seq` of the briefing it was written from: it applies to that one only.
    pub source_seq: u64,
    /// Which model wrote it (`openai:llama3.1`).
    pub written_by: String,
}

impl BriefingText {
    /// Longest introduction accepted, in characters.
    pub const INTRODUCTION_MAX_CHARS: usize = 700;

    /// Fit to show: both texts present, within their lengths, and every number in them (codes,
    /// amounts, ids, durations) found in `facts`, so a model cannot slip in a figure of its own.
    pub fn is_faithful_to(&self, facts: &str) -> bool {
        let fits = |t: &str, max: usize| !t.trim().is_empty() && t.chars().count() <= max;
        if !fits(&self.summary, Briefing::SUMMARY_MAX_CHARS)
            || !fits(&self.introduction, Self::INTRODUCTION_MAX_CHARS)
        {
            return false;
        }
        let numbers = |t: &str| -> Vec<String> {
            t.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        };
        numbers(&self.summary)
            .into_iter()
            .chain(numbers(&self.introduction))
            .all(|n| facts.contains(&n))
    }
}
