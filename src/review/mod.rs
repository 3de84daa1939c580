//! Handoff review: the quality figures of a handoff (`domain::HandoffMetrics`), computed from the
//! conversation's committed event log, and what managers read and export from them.
//!
//! Contract:
//! - Pure: imports only `crate::domain` and `crate::analysis`; no IO, no clocks, no async. Time is
//!   passed in (`MetricsInput::now`); the same input gives the same output. Nothing here fails or
//!   panics on any input, so the module has no error type.
//! - `compute_metrics` describes the latest handoff episode of a conversation: its last
//!   `escalation_triggered` event and what followed it, up to `conversation_resolved` or
//!   `handed_back`. A conversation that was never escalated has no metrics (`None`).
//! - `detect_repeat_asks` finds agent questions (chat, or transcribed voice lines) for a fact the
//!   customer had already given: in a message before the question, in a briefing delivered before
//!   it, or in the customer record. Quoting the known value is confirming, not asking.
//! - `assess_necessity` judges whether a person was needed; `context_score` turns repeat asks into
//!   the 0–100 score managers sort by.
//! - `Redactor` masks card numbers, e-mail addresses and phone numbers in stored transcripts and
//!   exported text (`[review.redact]`).
//! - `config`: the `[review]` section (redaction, recording retention, webhooks).
//! - `aggregate` groups metrics by day, agent, skill or trigger in one pass plus a sort per figure
//!   (10,000 handoffs in a few milliseconds); `handoffs_csv` and `aggregates_csv` export them as
//!   RFC 4180 CSV that spreadsheets cannot execute.
//! - `briefing_markdown` renders a briefing for a manager, with customer text escaped.
//!
//! One file per job: `episode` (slicing the log), `metrics`, `asks` (is this sentence asking for a
//! fact, and which), `repeat_asks` (was it known before), `necessity`, `context`, `redact`,
//! `aggregate`, `csv` and `briefing_markdown`.

mod aggregate;
mod asks;
mod briefing_markdown;
pub mod config;
mod context;
mod csv;
mod episode;
mod metrics;
mod necessity;
mod redact;
mod repeat_asks;
mod text;

#[cfg(test)]
mod tests;

pub use aggregate::aggregate;
pub use asks::asked_kinds;
pub use briefing_markdown::briefing_markdown;
pub use config::{RedactConfig, ReviewConfig, ReviewConfigError};
pub use context::context_score;
pub use csv::{aggregates_csv, handoffs_csv};
pub use metrics::{compute_metrics, MetricsInput};
pub use necessity::{assess_necessity, NecessityInput, KNOWLEDGE_MATCH_MIN_SCORE};
pub use redact::Redactor;
pub use repeat_asks::detect_repeat_asks;
