//! What the engine asks its caller to do. The caller carries the steps out in order.

use super::reason::Milestone;
use crate::domain::{ConversationId, EventBody, Message, Speaker, Timestamp, UserId};
use crate::handoff::policy::Trigger;
use crate::handoff::routing::AgentStatus;

/// One output of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Append `body` to the conversation's log, stamped with the input's `now`, behind every
    /// write before it (one conversation's events commit in the order written).
    Write {
        conversation_id: ConversationId,
        body: Box<EventBody>,
    },
    /// Count a milestone (`handoff_events{reason}`).
    Count(Milestone),
    /// The policy's escalation was recorded: count it by trigger and log it.
    Escalated {
        conversation_id: ConversationId,
        trigger: Trigger,
        skill: String,
    },
    /// Nobody accepted in time and the assistant has the conversation again: log it.
    HandedBack { conversation_id: ConversationId },
    /// Tell the agent's sockets their status.
    Status { agent: UserId, status: AgentStatus },
    /// Tell the agent who asked for a specialist that nobody with the skill can join now.
    NoSpecialist {
        inviter: UserId,
        conversation_id: ConversationId,
        skill: String,
    },
    /// The number of agents signed in changed.
    AgentsOnline(usize),
}

impl Step {
    /// The event a step writes, if it writes one.
    pub fn written(&self) -> Option<&EventBody> {
        match self {
            Self::Write { body, .. } => Some(body.as_ref()),
            _ => None,
        }
    }
}

/// Appends a write of `body` to `out`.
pub(super) fn write(out: &mut Vec<Step>, conversation_id: &ConversationId, body: EventBody) {
    out.push(Step::Write {
        conversation_id: conversation_id.clone(),
        body: Box::new(body),
    });
}

/// Appends a message from `speaker` (an agent's carries their id) to `out`.
pub(super) fn say(
    out: &mut Vec<Step>,
    conversation_id: &ConversationId,
    speaker: Speaker,
    agent: Option<&UserId>,
    text: String,
    now: Timestamp,
) {
    let mut message = Message::new(speaker, text, now);
    message.agent_id = agent.cloned();
    let body = EventBody::Message {
        message,
        routing_skill: None,
    };
    write(out, conversation_id, body);
}
