//! The warm handoff from the assistant to a person, as sans-IO engines (time passed in, decisions
//! returned, no IO; imports only `crate::domain` and `crate::analysis`):
//! - `policy`: when to escalate, with which trigger, evidence and urgency; guards and hand-back;
//! - `briefing`: the context package the agent reads before joining;
//! - `routing`: skills-based queues, offers, timeouts, wait estimates and specialist invites.
//!
//! `app` wires them to the journal and the hub (the wiring lands with the handoff protocol).

pub mod briefing;
pub mod policy;
pub mod routing;

use serde::{Deserialize, Serialize};

/// The `[handoff]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffConfig {
    pub policy: policy::PolicyConfig,
    pub routing: routing::RoutingConfig,
}
