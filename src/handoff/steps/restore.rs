//! Restoring open handoffs at start from what the log projected into the conversation headers:
//! waiting conversations go back into the queue with their original waiting time; accepted and
//! joined ones come back to their agents when those sign in.

use super::case::Case;
use super::reason::{CaseOrigin, TransferOutcome};
use super::step::{write, Step};
use super::Steps;
use crate::domain::{
    Conversation, ConversationHeader, Escalation, EventBody, KnowledgeContext, ParticipantKind,
    Timestamp, Urgency,
};
use std::sync::Arc;

impl Steps {
    /// The conversation of `header` (queued or with an agent when the gateway stopped), with
    /// its recent `conversation` and knowledge-base context. A transfer under way is over (it
    /// lived in the router, which starts empty): `transfer_ended` (`interrupted`), and the
    /// agent who asked still has the conversation.
    pub fn restore(
        &mut self,
        header: &ConversationHeader,
        conversation: Conversation,
        kb: KnowledgeContext,
        now: Timestamp,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let id = header.conversation_id.clone();
        let escalation = header.escalation.clone().unwrap_or_else(|| Escalation {
            trigger: CaseOrigin::Restored.as_str().into(),
            ai_assessment: String::new(),
            recommended_agent: header.skill.clone(),
            urgency: Urgency::Medium,
            customer_expectation: String::new(),
        });
        let state = header.handoff.clone().unwrap_or_default();
        let queued_at = state.escalated_at.or(header.updated_at).unwrap_or(now);
        if let Some(t) = &state.transfer {
            let body = EventBody::TransferEnded {
                from_agent_id: t.from_agent_id.clone(),
                to_agent_id: t.to_agent_id.clone(),
                outcome: TransferOutcome::Interrupted.as_str().into(),
            };
            write(&mut out, &id, body);
        }
        let mut case = Case::new(escalation, queued_at, Arc::new(conversation), kb);
        case.accepted = state.accepted.clone();
        case.opened = state.briefing_opened.clone();
        for p in header
            .participants
            .iter()
            .filter(|p| p.kind == ParticipantKind::Agent && p.left_at.is_none())
        {
            if let Some(user) = &p.user_id {
                case.joined
                    .insert(user.clone(), (p.joined_at, p.id.clone()));
                if !case.accepted.contains(user) {
                    case.accepted.push(user.clone());
                }
            }
        }
        let skill = case.skill().to_owned();
        if case.waiting() {
            let language = case.language();
            let (urgency, at) = (case.urgency(), case.queued_at);
            let actions = self
                .router
                .enqueue(id.clone(), &skill, language.as_deref(), urgency, at);
            self.cases.insert(id.clone(), case);
            self.apply(actions, now, &mut out);
        } else {
            for agent in &case.accepted {
                self.pending_assign
                    .entry(agent.clone())
                    .or_default()
                    .push((id.clone(), skill.clone()));
            }
            self.cases.insert(id.clone(), case);
        }
        out
    }
}
