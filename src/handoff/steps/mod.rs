//! The handoff's steps: every live case (from escalation until resolution or hand-back), the
//! router and who is signed in, and what each input means for them.
//!
//! Contract:
//! - Sans-IO, like `routing`: no clocks, channels, stores or sockets. Every input is a method on
//!   [`Steps`] carrying `now`; every output is a returned `Vec<Step>` the caller carries out in
//!   order: the events to write (all stamped `now`), what to count, whom to tell what. A refused
//!   agent command returns a [`StepError`] and no steps.
//! - Inputs that need IO take its result: `escalate` is told whether staff already have the
//!   conversation; the caller asks `hand_back_due` which cases are due and hands back those whose
//!   customer does not wait for an e-mail; `restore` takes what the log says of a conversation.
//! - The order of writes is the handoff's order (see `service::handoff`): `escalation_triggered` ->
//!   `agent_briefing_ready` -> the customer's escalation message -> `handoff_offered` ->
//!   `handoff_accepted` -> `briefing_opened` -> `agent_joined` -> the warm introduction.
//! - Joining needs an accepted offer and an opened briefing, so the agent has read the briefing
//!   before the customer sees them. An agent who writes into a conversation takes it over at
//!   once (`take_over`), briefed from the draft kept current every turn.
//! - Reasons and outcomes are enums ([`DeclineReason`], [`TransferOutcome`], [`HandBackReason`],
//!   [`Milestone`]); the event bodies carry their `as_str`, unchanged on the wire.

mod agent;
mod apply;
mod case;
mod error;
mod escalate;
mod presence;
mod reason;
mod restore;
mod step;
mod take_over;
mod tick;
mod transfer;

#[cfg(test)]
mod tests;

pub use case::{first_name, Case, Transfer};
pub use error::StepError;
pub use reason::{CaseOrigin, DeclineReason, HandBackReason, Milestone, TransferOutcome};
pub use step::Step;
pub use transfer::TransferRequest;

use crate::domain::{ConversationId, Timestamp, User, UserId};
use crate::handoff::messages::WaitingState;
use crate::handoff::policy::EscalationPolicy;
use crate::handoff::routing::Router;
use crate::handoff::HandoffConfig;
use std::collections::HashMap;
use std::sync::Arc;

/// A signed-in agent: how many sockets they have open, and who they are.
#[derive(Debug, Clone)]
struct Online {
    sockets: usize,
    user: User,
}

/// Every live handoff and the router. See the module docs for the contract.
#[derive(Debug)]
pub struct Steps {
    config: HandoffConfig,
    policy: Arc<EscalationPolicy>,
    router: Router,
    cases: HashMap<ConversationId, Case>,
    online: HashMap<UserId, Online>,
    /// Assignments of agents who are not signed in (restored at start, or taken over over REST):
    /// given to the router when they sign in.
    pending_assign: HashMap<UserId, Vec<(ConversationId, String)>>,
}

impl Steps {
    pub fn new(config: HandoffConfig, policy: Arc<EscalationPolicy>) -> Self {
        let router = Router::new(config.routing.clone());
        Self {
            config,
            policy,
            router,
            cases: HashMap::new(),
            online: HashMap::new(),
            pending_assign: HashMap::new(),
        }
    }

    /// The router, for its snapshot.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The live case of a conversation.
    pub fn case(&self, id: &ConversationId) -> Option<&Case> {
        self.cases.get(id)
    }

    /// How many cases wait for an agent to accept.
    pub fn waiting_count(&self) -> usize {
        self.cases.values().filter(|c| c.waiting()).count()
    }

    /// The display name of a signed-in agent, else their id.
    pub fn name_of(&self, agent: &UserId) -> String {
        self.online
            .get(agent)
            .map(|o| o.user.name.clone())
            .unwrap_or_else(|| agent.to_string())
    }

    /// Where the queued conversation `id` stands, for the assistant's answers while the customer
    /// waits; `None` when it is not waiting for an agent.
    pub fn waiting(&self, id: &ConversationId, now: Timestamp) -> Option<WaitingState> {
        let case = self.cases.get(id)?;
        let skill = case.skill().to_owned();
        if let Some(agent) = case.accepted.first() {
            return Some(WaitingState {
                position: 0,
                estimate_secs: 0,
                nobody_online: false,
                skill,
                agent: Some(first_name(&self.name_of(agent)).to_owned()),
            });
        }
        let offer_secs = self.config.routing.offer_timeout_secs;
        // Out of the queue while an agent holds the offer: first in line, at most the offer's time.
        let (position, queue_estimate) = self
            .router
            .wait_estimate(id, now)
            .unwrap_or((1, offer_secs));
        let estimate_secs = if case.offer_live {
            queue_estimate.min(offer_secs)
        } else {
            queue_estimate
        };
        Some(WaitingState {
            position,
            estimate_secs,
            nobody_online: self.router.agents_serving(&skill) == 0,
            skill,
            agent: None,
        })
    }
}

/// A skill name as agents and configuration spell them.
pub fn plausible_skill(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
