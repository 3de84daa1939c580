//! An agent writes into a conversation they are not in: they take it over at once. A
//! conversation nobody escalated (the assistant still has it, or it waits unanswered) opens a
//! case with trigger `agent_takeover`, briefed from the draft kept current every turn.

use super::case::Case;
use super::reason::{CaseOrigin, Milestone};
use super::step::{write, Step};
use super::Steps;
use crate::domain::{
    Briefing, Conversation, ConversationHeader, Escalation, EventBody, KnowledgeContext,
    Participant, ParticipantId, ParticipantKind, Timestamp, Urgency, User,
};
use std::sync::Arc;

impl Steps {
    /// `agent` takes the conversation of `header` over: assigned (an offer someone else holds is
    /// withdrawn), accepted and joined, each written once. An agent who is not signed in gets
    /// the assignment when they sign in.
    pub fn take_over(
        &mut self,
        header: &ConversationHeader,
        agent: &User,
        draft: Option<Arc<Briefing>>,
        now: Timestamp,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let id = header.conversation_id.clone();
        if !self.cases.contains_key(&id) {
            let escalation = Escalation {
                trigger: CaseOrigin::AgentTakeover.as_str().into(),
                ai_assessment: format!("{} took the conversation over directly.", agent.name),
                recommended_agent: header.skill.clone(),
                urgency: Urgency::Medium,
                customer_expectation: String::new(),
            };
            let conversation = Conversation {
                header: header.clone(),
                messages: Vec::new(),
                notes: Vec::new(),
            };
            write(
                &mut out,
                &id,
                EventBody::EscalationTriggered {
                    escalation: escalation.clone(),
                    evidence: Vec::new(),
                    likelihood: header.handoff_likelihood,
                },
            );
            // The draft kept current every turn becomes the takeover's briefing.
            if let Some(draft) = draft {
                let mut briefing = Briefing::clone(&draft);
                briefing.escalation = escalation.clone();
                write(
                    &mut out,
                    &id,
                    EventBody::AgentBriefingReady {
                        briefing: Box::new(briefing),
                    },
                );
            }
            self.cases.insert(
                id.clone(),
                Case::new(
                    escalation,
                    now,
                    Arc::new(conversation),
                    KnowledgeContext::default(),
                ),
            );
        }
        let skill = self
            .cases
            .get(&id)
            .map(|c| c.skill().to_owned())
            .unwrap_or_default();
        out.push(Step::Count(Milestone::TakeOver));
        let actions = self.router.assign(&id, &agent.id, &skill, now);
        if !self.online.contains_key(&agent.id) {
            self.pending_assign
                .entry(agent.id.clone())
                .or_default()
                .push((id.clone(), skill));
        }
        self.apply(actions, now, &mut out);
        let Some(case) = self.cases.get_mut(&id) else {
            return out;
        };
        if !case.accepted.contains(&agent.id) {
            case.accepted.push(agent.id.clone());
            let body = EventBody::HandoffAccepted {
                agent_id: agent.id.clone(),
                agent_name: agent.name.clone(),
            };
            write(&mut out, &id, body);
        }
        if case.joined.contains_key(&agent.id) {
            return out;
        }
        let participant_id = ParticipantId::generate();
        case.joined
            .insert(agent.id.clone(), (now, participant_id.clone()));
        let participant = Participant {
            id: participant_id,
            kind: ParticipantKind::Agent,
            user_id: Some(agent.id.clone()),
            name: agent.name.clone(),
            joined_at: now,
            left_at: None,
        };
        write(
            &mut out,
            &id,
            EventBody::AgentJoined {
                participant,
                specialist: false,
            },
        );
        out
    }
}
