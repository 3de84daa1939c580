//! The warm handoff from the assistant to a person, as sans-IO engines (time passed in, decisions
//! returned, no IO; imports only `crate::domain` and `crate::analysis`):
//! - `policy`: when to escalate, with which trigger, evidence and urgency; guards and hand-back;
//! - `briefing`: the context package the agent reads before joining;
//! - `routing`: skills-based queues, offers, timeouts, wait estimates and specialist invites;
//! - `steps`: every live case with the router: escalation, offers, take-over, join, transfer,
//!   hand-back and resolution, as the events to write;
//! - `messages`: what the customer reads at each step (templates from `[handoff.messages]`).
//!
//! `service::handoff` feeds `steps` its inputs and the time, and carries out the steps it returns.

pub mod briefing;
pub mod messages;
pub mod policy;
pub mod routing;
pub mod steps;

use serde::{Deserialize, Serialize};

/// The `[handoff]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffConfig {
    /// Evaluate the escalation policy on every customer turn and route escalations to agents.
    /// Off only for deployments (and load tests) that want plain chat.
    pub enabled: bool,
    pub policy: policy::PolicyConfig,
    pub routing: routing::RoutingConfig,
    pub messages: messages::MessagesConfig,
}

impl Default for HandoffConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            policy: policy::PolicyConfig::default(),
            routing: routing::RoutingConfig::default(),
            messages: messages::MessagesConfig::default(),
        }
    }
}
