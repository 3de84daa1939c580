//! One live handoff as the step engine tracks it, from escalation until resolution or hand-back.

use crate::domain::{
    Briefing, BriefingText, Conversation, Escalation, KnowledgeContext, ParticipantId, Timestamp,
    TransferNote, Urgency, UserId,
};
use crate::handoff::briefing::{build_briefing, BriefingInput};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Case {
    pub escalation: Escalation,
    pub queued_at: Timestamp,
    /// The latest conversation seen, for briefings built per offered agent.
    pub conversation: Arc<Conversation>,
    /// What the knowledge base says about the conversation, for briefings.
    pub kb: KnowledgeContext,
    /// The summary and introduction a language model wrote for the latest facts, if any.
    pub written: Option<BriefingText>,
    /// Agents in order of acceptance (the first owns the handoff; later ones are specialists).
    pub accepted: Vec<UserId>,
    pub opened: Vec<UserId>,
    /// Joined agents: when (for handle times) and as which participant (to leave on resolve).
    pub joined: HashMap<UserId, (Timestamp, ParticipantId)>,
    /// The briefing each agent was offered (personalised introduction).
    pub offered: HashMap<UserId, Arc<Briefing>>,
    /// The pending specialist request: skill and who asked.
    pub invite: Option<(String, UserId)>,
    /// An agent holds a live offer for it right now.
    pub offer_live: bool,
    /// The `(position, estimate_secs, nobody_online)` last told to the customer.
    pub told_wait: Option<(usize, u64, bool)>,
    /// A transfer under way: from the request until the new agent joined, or it failed.
    pub transfer: Option<Transfer>,
}

/// A transfer as the engine tracks it.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub from: UserId,
    /// The named colleague, or `None` for whoever with the skill takes it.
    pub to: Option<UserId>,
    /// Who accepted it (and will join).
    pub taken_by: Option<UserId>,
    pub note: TransferNote,
}

impl Case {
    pub fn new(
        escalation: Escalation,
        queued_at: Timestamp,
        conversation: Arc<Conversation>,
        kb: KnowledgeContext,
    ) -> Self {
        Self {
            escalation,
            queued_at,
            conversation,
            kb,
            written: None,
            accepted: Vec::new(),
            opened: Vec::new(),
            joined: HashMap::new(),
            offered: HashMap::new(),
            invite: None,
            offer_live: false,
            told_wait: None,
            transfer: None,
        }
    }

    pub fn skill(&self) -> &str {
        &self.escalation.recommended_agent
    }

    pub fn urgency(&self) -> Urgency {
        self.escalation.urgency
    }

    /// No agent has accepted yet: it waits in the queue.
    pub fn waiting(&self) -> bool {
        self.accepted.is_empty()
    }

    /// The briefing for `agent` (or for nobody in particular), whose role reads as `label`
    /// ("integration specialist"), as of `now`.
    /// During a transfer it is the handover briefing: the colleague's note, the skill the
    /// conversation moves to, and an introduction that names the colleague.
    pub fn briefing(&self, agent: Option<&str>, label: &str, now: Timestamp) -> Briefing {
        let transfer = self.transfer.as_ref().map(|t| &t.note);
        let escalation = match transfer {
            Some(t) if t.skill != self.escalation.recommended_agent => Escalation {
                recommended_agent: t.skill.clone(),
                ..self.escalation.clone()
            },
            _ => self.escalation.clone(),
        };
        build_briefing(&BriefingInput {
            conversation: &self.conversation,
            escalation: &escalation,
            agent_name: agent,
            agent_skill_label: Some(label),
            kb: &self.kb,
            written: self.written.as_ref(),
            transfer,
            now,
        })
    }

    /// The skill an offer going out now is for: a transfer's, else the conversation's.
    pub fn offer_skill(&self) -> &str {
        match (&self.transfer, &self.invite) {
            (Some(t), _) => &t.note.skill,
            (None, Some((skill, _))) if !self.accepted.is_empty() => skill,
            _ => self.skill(),
        }
    }

    /// The customer's preferred language from `customer.context` (`language` or `locale`).
    pub fn language(&self) -> Option<String> {
        let attrs = &self.conversation.header.customer.context.attributes;
        ["language", "locale"]
            .iter()
            .filter_map(|k| attrs.get(*k).and_then(|v| v.as_str()))
            .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase())
            .find(|l| !l.is_empty() && l.len() <= 8)
    }
}

/// The first word of a display name ("Maria" for "Maria Lopez"), for the introduction.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}
