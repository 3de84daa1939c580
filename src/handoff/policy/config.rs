//! The `[handoff.policy]` configuration and its validation.

use crate::analysis::default_intents;
use serde::{Deserialize, Serialize};

/// A `[handoff.policy]` value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("handoff.policy.low_confidence must be between 0 and 1, got {0}")]
    LowConfidence(f64),
    #[error("handoff.policy.{0} must be at least 1")]
    ZeroTurns(&'static str),
    #[error("handoff.policy.no_accept_timeout_secs must be at least 1")]
    ZeroTimeout,
}

/// The `[handoff.policy]` section of the configuration.
///
/// ```toml
/// [handoff.policy]
/// low_confidence = 0.3
/// low_confidence_turns = 2
/// repeated_failure_turns = 2
/// always_human_intents = ["security", "legal", "cancellation"]
/// frustration_escalates = true
/// no_accept_timeout_secs = 180
/// critical_intents = ["security"]
/// high_urgency_intents = ["legal"]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Assistant confidence strictly below this counts as low.
    pub low_confidence: f64,
    /// Consecutive low-confidence assistant replies that escalate.
    pub low_confidence_turns: usize,
    /// Proposed steps in a row the customer reports as failed before escalating.
    pub repeated_failure_turns: usize,
    /// Intents that always go to a person, whatever the assistant thinks.
    pub always_human_intents: Vec<String>,
    /// Whether frustration alone escalates (it raises urgency either way).
    pub frustration_escalates: bool,
    /// Seconds a queued conversation waits for an agent before it is handed back to the assistant.
    pub no_accept_timeout_secs: u64,
    /// Intents whose always-human escalation is `critical`.
    pub critical_intents: Vec<String>,
    /// Intents whose always-human escalation is at least `high`.
    pub high_urgency_intents: Vec<String>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            // The built-in assistant's confidence is calibrated: below 0.3 it is right less than
            // a third of the time.
            low_confidence: 0.3,
            low_confidence_turns: 2,
            repeated_failure_turns: 2,
            always_human_intents: default_intents()
                .into_iter()
                .filter(|i| i.always_human)
                .map(|i| i.name)
                .collect(),
            frustration_escalates: true,
            no_accept_timeout_secs: 180,
            critical_intents: vec!["security".to_owned()],
            high_urgency_intents: vec!["legal".to_owned()],
        }
    }
}

impl PolicyConfig {
    /// Rejects values that would silently disable or always fire a trigger.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !(0.0..=1.0).contains(&self.low_confidence) {
            return Err(PolicyError::LowConfidence(self.low_confidence));
        }
        if self.low_confidence_turns == 0 {
            return Err(PolicyError::ZeroTurns("low_confidence_turns"));
        }
        if self.repeated_failure_turns == 0 {
            return Err(PolicyError::ZeroTurns("repeated_failure_turns"));
        }
        if self.no_accept_timeout_secs == 0 {
            return Err(PolicyError::ZeroTimeout);
        }
        Ok(())
    }
}
