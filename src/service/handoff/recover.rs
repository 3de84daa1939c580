//! Restoring open handoffs at start from what the log projected into the conversation headers:
//! waiting conversations go back into the queue with their original waiting time; accepted and
//! joined ones come back to their agents when those sign in.

use super::case::Case;
use super::coordinator::Coordinator;
use crate::domain::{ConversationStatus, Escalation, Urgency};
use chrono::Utc;
use std::sync::Arc;
use tracing::{info, warn};

impl Coordinator {
    pub(super) async fn recover(&mut self) {
        let now = Utc::now();
        let mut restored = 0usize;
        let mut batch = Vec::new();
        for status in [ConversationStatus::Queued, ConversationStatus::WithAgent] {
            let rows = match self
                .deps
                .store
                .list_conversations(Some(status), super::coordinator::RECOVER_LIMIT)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    warn!(error = %e, "could not restore open handoffs");
                    continue;
                }
            };
            for (header, _) in rows {
                let id = header.conversation_id.clone();
                let window = crate::storage::MessageWindow::TURN;
                let conversation = match self.deps.store.conversation_window(&id, window).await {
                    Ok(Some(c)) => c,
                    Ok(None) => continue,
                    Err(e) => {
                        warn!(conversation_id = %id, error = %e, "could not restore handoff");
                        continue;
                    }
                };
                let escalation = header.escalation.clone().unwrap_or_else(|| Escalation {
                    trigger: "restored".into(),
                    ai_assessment: String::new(),
                    recommended_agent: header.skill.clone(),
                    urgency: Urgency::Medium,
                    customer_expectation: String::new(),
                });
                let state = header.handoff.clone().unwrap_or_default();
                let queued_at = state.escalated_at.or(header.updated_at).unwrap_or(now);
                let kb = self
                    .deps
                    .assistant
                    .as_ref()
                    .map(|a| a.knowledge(&conversation))
                    .unwrap_or_default();
                // A transfer under way lived in the router, which starts empty: it is over, and
                // the agent who asked still has the conversation and may ask again.
                if let Some(t) = &state.transfer {
                    let body = crate::domain::EventBody::TransferEnded {
                        from_agent_id: t.from_agent_id.clone(),
                        to_agent_id: t.to_agent_id.clone(),
                        outcome: "interrupted".into(),
                    };
                    self.write(&id, body, now, &mut batch).await;
                }
                let mut case = Case::new(escalation, queued_at, Arc::new(conversation), kb);
                case.accepted = state.accepted.clone();
                case.opened = state.briefing_opened.clone();
                for p in header.participants.iter().filter(|p| {
                    p.kind == crate::domain::ParticipantKind::Agent && p.left_at.is_none()
                }) {
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
                    let actions =
                        self.router
                            .enqueue(id.clone(), &skill, language.as_deref(), urgency, at);
                    self.cases.insert(id.clone(), case);
                    self.apply(actions, now, &mut batch).await;
                } else {
                    for agent in &case.accepted {
                        self.pending_assign
                            .entry(agent.clone())
                            .or_default()
                            .push((id.clone(), skill.clone()));
                    }
                    self.cases.insert(id.clone(), case);
                }
                restored += 1;
            }
        }
        if restored > 0 {
            info!(restored, "open handoffs restored");
        }
    }
}
