//! The escalation policy: should this conversation go to a person now, why, how urgently and to
//! which skill; and how likely that is becoming, turn by turn.
//!
//! Contract:
//! - Pure: no IO, no clocks, no global state. Time comes in as `DateTime<Utc>`; imports only
//!   `crate::domain` and `crate::analysis`. Nothing here panics on any conversation.
//! - `EscalationPolicy::evaluate` is called after every message while the assistant owns the
//!   conversation. It first consults `guard`: once a person owns it, it is queued, or it is
//!   resolved, it returns `None` (no double escalation, no loop after resolution).
//! - Evidence window: triggers only look at messages after the last `Agent` or `System` message.
//!   The gateway posts a system message when it hands a conversation back to the assistant (no
//!   agent accepted, or the customer declined) or reopens it, so the evidence that already led to
//!   one escalation cannot immediately cause the next.
//! - Triggers, each with the ids of the messages that caused it:
//!   - `LowConfidence`: the assistant's last `low_confidence_turns` measured replies (consecutive)
//!     all had `confidence < low_confidence`.
//!   - `ExplicitRequest` / `CallRequest`: a customer message with intent `human_request` /
//!     `call_request`.
//!   - `Frustration` (when `frustration_escalates`): the customer's latest analysed message is
//!     labelled frustrated, or `frustration_trend` over their scores is falling.
//!   - `RepeatedFailure`: a step id in `actions_attempted` proposed again after the customer said
//!     it failed; or `repeated_failure_turns` proposals in a row each answered with a failure.
//!   - `AlwaysHumanIntent`: a customer message whose intent is in `always_human_intents`.
//!   - `OutOfScope` / `BotRequest`: flags from the assistant's current reply.
//! - Precedence when several fire is [`PRECEDENCE`]: what the customer or the rules demand comes
//!   before what we infer. The decision's urgency is the highest any fired trigger implies, raised
//!   by the customer's mood (the worst of their last few messages: a plain "a person please"
//!   after an angry message is not calm), by time pressure in their words (a deadline within a day
//!   or two, a blocked team, production down: high; a later deadline or "third time this month":
//!   medium) and by a business or enterprise plan (at least medium); nothing lowers it.
//! - `reassess` is called while the conversation waits for an agent: a stronger trigger or a
//!   higher urgency from what the customer wrote since updates the escalation (never weakens it).
//! - `likelihood` is a smooth 0..1 score for the UI ("handoff likely"); it never decides.
//! - `hand_back_due` is true from the instant `no_accept_timeout_secs` have elapsed since queueing.

mod config;
mod likelihood;
mod triggers;

#[cfg(test)]
mod tests;

pub use config::{PolicyConfig, PolicyError};
pub use triggers::{CALL_REQUEST_INTENT, HUMAN_REQUEST_INTENT};

use crate::analysis::pressure::time_pressure;
use crate::analysis::{default_intents, intent::FALLBACK_SKILL, IntentDef};
use crate::domain::{
    Conversation, ConversationHeader, ConversationStatus, Customer, Escalation, Message, MessageId,
    PressureKind, SentimentLabel, Speaker, Urgency,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use triggers::Fired;

/// Why a conversation is escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    LowConfidence,
    ExplicitRequest,
    CallRequest,
    Frustration,
    RepeatedFailure,
    AlwaysHumanIntent,
    OutOfScope,
    BotRequest,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LowConfidence => "low_confidence",
            Self::ExplicitRequest => "explicit_request",
            Self::CallRequest => "call_request",
            Self::Frustration => "frustration",
            Self::RepeatedFailure => "repeated_failure",
            Self::AlwaysHumanIntent => "always_human_intent",
            Self::OutOfScope => "out_of_scope",
            Self::BotRequest => "bot_request",
        }
    }
}

/// Which trigger names the decision when several fire, first wins. Rules and the customer's own
/// words come first (an always-human topic must reach the right specialist; a call request is a
/// person request with a channel); then what we read from the customer (frustration, failures);
/// then the assistant's own signals, an explicit bot request before a vaguer out-of-scope flag
/// and the statistical low-confidence last.
pub const PRECEDENCE: [Trigger; 8] = [
    Trigger::AlwaysHumanIntent,
    Trigger::CallRequest,
    Trigger::ExplicitRequest,
    Trigger::Frustration,
    Trigger::RepeatedFailure,
    Trigger::BotRequest,
    Trigger::OutOfScope,
    Trigger::LowConfidence,
];

fn precedence(t: Trigger) -> usize {
    PRECEDENCE
        .iter()
        .position(|&p| p == t)
        .unwrap_or(PRECEDENCE.len())
}

/// An escalation the policy decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub trigger: Trigger,
    /// The messages that caused it, oldest first.
    pub evidence: Vec<MessageId>,
    pub urgency: Urgency,
    pub recommended_skill: String,
    /// One honest sentence for the agent: what happened, not a guess dressed up as a diagnosis.
    pub ai_assessment: String,
    /// What the customer is waiting for, as a short snake_case token (`technical_resolution`).
    pub customer_expectation: String,
    /// The `now` of the evaluation that decided it (the queue's `queued_at`).
    pub decided_at: DateTime<Utc>,
}

impl Decision {
    /// The article's `escalation` object for the conversation header.
    pub fn to_escalation(&self) -> Escalation {
        Escalation {
            trigger: self.trigger.as_str().to_owned(),
            ai_assessment: self.ai_assessment.clone(),
            recommended_agent: self.recommended_skill.clone(),
            urgency: self.urgency,
            customer_expectation: self.customer_expectation.clone(),
        }
    }
}

/// What `evaluate` looks at.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The conversation including the latest message (and the assistant's reply, if any).
    pub conversation: &'a Conversation,
    /// The assistant's current reply says the topic is outside what it knows.
    pub assistant_out_of_scope: bool,
    /// The assistant (built-in or external bot) asked for a person, with its reason.
    pub bot_handoff_reason: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// May the conversation be escalated, and may the assistant speak?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// The assistant owns it: evaluate and reply.
    Allowed,
    /// An agent owns it: the assistant stays silent and nothing escalates.
    HumanOwns,
    /// Closed: no escalation (reopening is the gateway's decision, with a system message).
    Resolved,
    /// Waiting for an agent: the assistant may keep the customer company, but no second escalation.
    AlreadyQueued,
}

impl Guard {
    pub fn may_escalate(self) -> bool {
        self == Self::Allowed
    }
    pub fn assistant_may_reply(self) -> bool {
        matches!(self, Self::Allowed | Self::AlreadyQueued)
    }
}

/// The configured policy. Cheap to share by reference; all methods take `&self`.
#[derive(Debug, Clone)]
pub struct EscalationPolicy {
    cfg: PolicyConfig,
    /// Intent name -> the skill that handles it.
    skills: HashMap<String, String>,
}

impl EscalationPolicy {
    /// The customer started a video call while the assistant had the conversation: a request for
    /// a person by the clearest means there is. The decision names their latest message as the
    /// evidence (the context they called about) and routes under the conversation's skill.
    pub fn call_started(&self, conv: &Conversation, now: DateTime<Utc>) -> Decision {
        let evidence = conv
            .messages
            .iter()
            .rev()
            .find(|m| m.speaker == Speaker::Customer)
            .map(|m| vec![m.id.clone()])
            .unwrap_or_default();
        Decision {
            trigger: Trigger::CallRequest,
            evidence,
            urgency: Urgency::Medium,
            recommended_skill: conv.header.skill.clone(),
            ai_assessment: "The customer started a video call to talk to a person.".to_owned(),
            customer_expectation: "call_with_person".to_owned(),
            decided_at: now,
        }
    }

    /// A policy over the default intent set. Out-of-range values are clamped rather than trusted
    /// (`PolicyConfig::validate` reports them at start-up).
    pub fn new(mut cfg: PolicyConfig) -> Self {
        if !cfg.low_confidence.is_finite() {
            cfg.low_confidence = PolicyConfig::default().low_confidence;
        }
        cfg.low_confidence = cfg.low_confidence.clamp(0.0, 1.0);
        cfg.low_confidence_turns = cfg.low_confidence_turns.max(1);
        cfg.repeated_failure_turns = cfg.repeated_failure_turns.max(1);
        let mut policy = Self {
            cfg,
            skills: HashMap::new(),
        };
        policy.learn_skills(&default_intents());
        policy
    }

    /// Uses the configured `[analysis]` intents for skills, and adds every intent they flag
    /// `always_human` to `always_human_intents`, so the flag works wherever it was set.
    pub fn with_intents(mut self, intents: &[IntentDef]) -> Self {
        self.skills.clear();
        self.learn_skills(intents);
        for i in intents.iter().filter(|i| i.always_human) {
            if !self.cfg.always_human_intents.contains(&i.name) {
                self.cfg.always_human_intents.push(i.name.clone());
            }
        }
        self
    }

    fn learn_skills(&mut self, intents: &[IntentDef]) {
        for i in intents {
            self.skills.insert(i.name.clone(), i.skill.clone());
        }
    }

    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    pub fn guard(&self, header: &ConversationHeader) -> Guard {
        match header.status {
            // Resolved first: stale agent participants must not make a closed case look owned.
            ConversationStatus::Resolved => Guard::Resolved,
            ConversationStatus::WithAgent => Guard::HumanOwns,
            _ if header.active_agents().next().is_some() => Guard::HumanOwns,
            ConversationStatus::Queued => Guard::AlreadyQueued,
            ConversationStatus::Ai => Guard::Allowed,
        }
    }

    /// The escalation to make now, or `None` (also whenever `guard` does not allow one).
    pub fn evaluate(&self, input: &PolicyInput) -> Option<Decision> {
        let conv = input.conversation;
        if !self.guard(&conv.header).may_escalate() {
            return None;
        }
        let w = triggers::window(&conv.messages);
        let cfg = &self.cfg;
        let mut fired: Vec<Fired> = [
            triggers::always_human(w, &cfg.always_human_intents, |i| self.intent_rank(i)),
            triggers::call_request(w),
            triggers::explicit_request(w),
            triggers::frustration(w).filter(|_| cfg.frustration_escalates),
            triggers::repeated_failure(w, cfg),
            input
                .bot_handoff_reason
                .map(|r| triggers::bot_request(w, r)),
            input
                .assistant_out_of_scope
                .then(|| triggers::out_of_scope(w, cfg))
                .flatten(),
            triggers::low_confidence(w, cfg),
        ]
        .into_iter()
        .flatten()
        .collect();
        fired.sort_by_key(|f| precedence(f.trigger));
        let urgency = self.urgency(&fired, w, &conv.header.customer);
        let top = fired.into_iter().next()?;
        let skill = self.recommended_skill(&top, conv);
        let expectation = match top.trigger {
            Trigger::CallRequest => "call_with_person".to_owned(),
            Trigger::ExplicitRequest => "talk_to_person".to_owned(),
            _ => format!("{}_resolution", top.intent.as_deref().unwrap_or(&skill)),
        };
        Some(Decision {
            trigger: top.trigger,
            evidence: top.evidence,
            urgency,
            recommended_skill: skill,
            ai_assessment: top.assessment,
            customer_expectation: expectation,
            decided_at: input.now,
        })
    }

    /// 2 for critical intents, 1 for high-urgency ones, 0 otherwise.
    fn intent_rank(&self, intent: &str) -> u8 {
        let has = |list: &[String]| list.iter().any(|i| i == intent);
        if has(&self.cfg.critical_intents) {
            2
        } else {
            u8::from(has(&self.cfg.high_urgency_intents))
        }
    }

    /// The highest urgency any fired trigger implies, raised by the customer's mood, the time
    /// pressure in their words and their plan.
    fn urgency(&self, fired: &[Fired], window: &[Message], customer: &Customer) -> Urgency {
        let base = fired.iter().map(|f| match f.trigger {
            Trigger::AlwaysHumanIntent => {
                match f.intent.as_deref().map_or(0, |i| self.intent_rank(i)) {
                    2 => Urgency::Critical,
                    1 => Urgency::High,
                    _ => Urgency::Medium,
                }
            }
            Trigger::Frustration => Urgency::High,
            Trigger::ExplicitRequest
            | Trigger::CallRequest
            | Trigger::RepeatedFailure
            | Trigger::BotRequest => Urgency::Medium,
            Trigger::OutOfScope | Trigger::LowConfidence => Urgency::Low,
        });
        let mood = match triggers::recent_worst_label(window) {
            Some(SentimentLabel::Frustrated) => Urgency::High,
            Some(SentimentLabel::Negative) => Urgency::Medium,
            _ => Urgency::Low,
        };
        let plan = customer
            .context
            .account_status
            .as_deref()
            .map(str::to_lowercase)
            .filter(|s| s.contains("enterprise") || s.contains("business"))
            .map_or(Urgency::Low, |_| Urgency::Medium);
        base.fold(mood.max(plan).max(pressure_urgency(window)), Urgency::max)
    }

    /// The escalation updated with what the customer wrote since `since` (while waiting): a
    /// trigger of higher precedence replaces the old one, the urgency only rises. `None` when
    /// nothing changes.
    pub fn reassess(
        &self,
        conversation: &Conversation,
        current: &Escalation,
        since: DateTime<Utc>,
    ) -> Option<Escalation> {
        let all = triggers::window_since(&conversation.messages, since);
        let cfg = &self.cfg;
        let mut fired: Vec<Fired> = [
            triggers::always_human(all, &cfg.always_human_intents, |i| self.intent_rank(i)),
            triggers::call_request(all),
            triggers::explicit_request(all),
            triggers::frustration(all).filter(|_| cfg.frustration_escalates),
        ]
        .into_iter()
        .flatten()
        .collect();
        fired.sort_by_key(|f| precedence(f.trigger));
        let urgency = self
            .urgency(
                &fired,
                &conversation.messages,
                &conversation.header.customer,
            )
            .max(current.urgency);
        let mut updated = current.clone();
        updated.urgency = urgency;
        let current_rank = PRECEDENCE
            .iter()
            .position(|t| t.as_str() == current.trigger)
            .unwrap_or(PRECEDENCE.len());
        if let Some(top) = fired.into_iter().next() {
            if precedence(top.trigger) < current_rank {
                updated.trigger = top.trigger.as_str().to_owned();
                updated.ai_assessment = top.assessment;
                updated.customer_expectation = match top.trigger {
                    Trigger::CallRequest => "call_with_person".to_owned(),
                    Trigger::ExplicitRequest => "talk_to_person".to_owned(),
                    _ => updated.customer_expectation,
                };
            }
        }
        (updated != *current).then_some(updated)
    }

    /// The triggering intent's own skill unless it is `general`; else the conversation's routing skill; else the skill
    /// of the customer's latest topical intent (a "human please" message is skill `general`, the
    /// problem before it is not); else `general`.
    fn recommended_skill(&self, top: &Fired, conv: &Conversation) -> String {
        if let Some(skill) = top
            .intent
            .as_ref()
            .and_then(|i| self.skills.get(i))
            .filter(|s| s.as_str() != FALLBACK_SKILL)
        {
            return skill.clone();
        }
        let header = conv.header.skill.trim();
        if !header.is_empty() && header != FALLBACK_SKILL {
            return header.to_owned();
        }
        conv.messages
            .iter()
            .rev()
            .filter(|m| m.speaker == Speaker::Customer)
            .filter_map(|m| m.intent.as_ref().and_then(|i| self.skills.get(i)))
            .find(|s| s.as_str() != FALLBACK_SKILL)
            .cloned()
            .unwrap_or_else(|| FALLBACK_SKILL.to_owned())
    }

    /// How likely a handoff is becoming, in [0, 1], over the same window as `evaluate`.
    ///
    /// A noisy-OR of four risks, each in [0, 1]: low recent assistant confidence (recency
    /// weighted), the customer's mood (latest label, latest score, downward slope), failed steps
    /// (streak relative to `repeated_failure_turns`, 1 once a failed step is repeated) and a
    /// latest intent that needs a person. Noisy-OR keeps it smooth and monotone: any risk rising
    /// raises the score, and no single weak signal alone reaches 1.
    pub fn likelihood(&self, conversation: &Conversation) -> f64 {
        likelihood::score(&self.cfg, conversation)
    }

    /// When a conversation queued at `queued_at` is handed back if no agent has accepted it.
    pub fn hand_back_at(&self, queued_at: DateTime<Utc>) -> DateTime<Utc> {
        queued_at
            .checked_add_signed(self.timeout())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// True once `no_accept_timeout_secs` have elapsed since `queued_at` (exactly at the deadline
    /// counts as elapsed). A `now` before `queued_at` (clock skew) is never due.
    pub fn hand_back_due(&self, queued_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now.signed_duration_since(queued_at) >= self.timeout()
    }

    fn timeout(&self) -> TimeDelta {
        i64::try_from(self.cfg.no_accept_timeout_secs)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .unwrap_or(TimeDelta::MAX)
    }
}

/// Deadlines this soon make a case high urgency; later ones medium.
const SOON: &[&str] = &[
    "tomorrow",
    "tonight",
    "today",
    "hour",
    "minute",
    "asap",
    "as soon as",
    "right now",
    "right away",
    "immediately",
    "urgent",
    "noon",
    "midday",
    "end of the day",
    "end of day",
    "eod",
    "cob",
    "am",
    "pm",
    "o'clock",
];

/// Stakes that block work now: high on their own.
const BLOCKING: &[&str] = &[
    "whole",
    "entire",
    "all of our",
    "all of my",
    "production",
    "prod ",
    "down",
    "blocked",
    "blocking",
    "losing",
    "affected",
    "complaining",
    "impacted",
    "can't",
    "cannot",
    "unable",
    "payroll",
    "board meeting",
    "launch",
    "release",
    "go-live",
    "go live",
    "audit",
];

/// The urgency the customer's own words about time and stakes imply.
fn pressure_urgency(window: &[Message]) -> Urgency {
    let mut urgency = Urgency::Low;
    for m in window.iter().filter(|m| m.speaker == Speaker::Customer) {
        for cue in time_pressure(&m.content) {
            let text = cue.text.to_lowercase();
            let level = match cue.kind {
                PressureKind::Deadline if SOON.iter().any(|s| text.contains(s)) => Urgency::High,
                PressureKind::Deadline => Urgency::Medium,
                PressureKind::Stakes if BLOCKING.iter().any(|s| text.contains(s)) => Urgency::High,
                PressureKind::Stakes | PressureKind::Recurrence => Urgency::Medium,
            };
            urgency = urgency.max(level);
        }
    }
    urgency
}
