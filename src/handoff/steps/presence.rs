//! Agents signing in and out (each open socket counts) and their status.

use super::step::Step;
use super::{Online, Steps};
use crate::domain::{Timestamp, User, UserId};
use crate::handoff::routing::AgentStatus;

impl Steps {
    /// An agent's socket opened. The first one signs them in (`Available`): waiting work may be
    /// offered, and assignments kept for them come back. Another tab only learns the status the
    /// agent already has.
    pub fn connected(&mut self, agent: User, now: Timestamp) -> Vec<Step> {
        let id = agent.id.clone();
        let entry = self.online.entry(id.clone()).or_insert(Online {
            sockets: 0,
            user: agent.clone(),
        });
        entry.sockets += 1;
        entry.user = agent.clone();
        if entry.sockets > 1 {
            // Another tab: it learns the status the agent already has.
            let status = self
                .router
                .agent_status(&id)
                .unwrap_or(AgentStatus::Available);
            return vec![Step::Status { agent: id, status }];
        }
        let mut out = vec![Step::AgentsOnline(self.online.len())];
        let mut actions = self.router.agent_online(&agent, now);
        for (conversation, skill) in self.pending_assign.remove(&id).unwrap_or_default() {
            actions.extend(self.router.assign(&conversation, &id, &skill, now));
        }
        self.apply(actions, now, &mut out);
        out.push(Step::Status {
            agent: id,
            status: AgentStatus::Available,
        });
        out
    }

    /// An agent's socket closed (every `connected` is followed by one). The last one signs them
    /// out: an offer they held moves on; their assignments stay.
    pub fn disconnected(&mut self, agent: &UserId, now: Timestamp) -> Vec<Step> {
        let mut out = Vec::new();
        let Some(entry) = self.online.get_mut(agent) else {
            return out;
        };
        entry.sockets = entry.sockets.saturating_sub(1);
        if entry.sockets > 0 {
            return out;
        }
        let actions = self.router.agent_offline(agent, now);
        self.apply(actions, now, &mut out);
        self.online.remove(agent);
        out.push(Step::AgentsOnline(self.online.len()));
        out
    }

    /// A signed-in agent's status changed: leaving `Available` moves their offer on, returning
    /// to it may bring one. Their sockets are told the status.
    pub fn set_status(&mut self, agent: &UserId, status: AgentStatus, now: Timestamp) -> Vec<Step> {
        let actions = self.router.set_status(agent, status, now);
        let mut out = Vec::new();
        self.apply(actions, now, &mut out);
        out.push(Step::Status {
            agent: agent.clone(),
            status,
        });
        out
    }
}
