//! What the router's actions mean for the cases: offers with a briefing per agent, withdrawals
//! with their reason, acceptances and what the customer hears, specialist invites, failed
//! transfers, and the wait the customer is told.

use super::case::first_name;
use super::reason::{DeclineReason, Milestone};
use super::step::{say, write, Step};
use super::Steps;
use crate::domain::{Briefing, ConversationId, EventBody, Speaker, Timestamp, UserId};
use crate::handoff::routing::RoutingAction;
use std::sync::Arc;

impl Steps {
    /// The steps for the router's actions, in order; then the wait of every conversation they
    /// touched, where the customer should hear it again.
    pub(super) fn apply(
        &mut self,
        actions: Vec<RoutingAction>,
        now: Timestamp,
        out: &mut Vec<Step>,
    ) {
        // Conversations whose wait the customer may need to hear again after this batch.
        let mut touched: Vec<ConversationId> = Vec::new();
        for (i, action) in actions.iter().enumerate() {
            if let Some(id) = action_conversation(action) {
                if !touched.contains(id) {
                    touched.push(id.clone());
                }
            }
            match action {
                RoutingAction::Offer {
                    conversation_id,
                    agent_id,
                    expires_at,
                } => self.offer(conversation_id, agent_id, *expires_at, now, out),
                RoutingAction::OfferWithdrawn {
                    conversation_id,
                    agent_id,
                } => {
                    let reason = match actions.get(i + 1) {
                        Some(RoutingAction::Requeued {
                            conversation_id: c,
                            reason,
                        }) if c == conversation_id => DeclineReason::from(*reason),
                        _ => DeclineReason::Withdrawn,
                    };
                    out.push(Step::Count(reason.milestone()));
                    if let Some(case) = self.cases.get_mut(conversation_id) {
                        case.offer_live = false;
                    }
                    let body = EventBody::HandoffDeclined {
                        agent_id: agent_id.clone(),
                        reason: reason.as_str().to_owned(),
                    };
                    write(out, conversation_id, body);
                }
                RoutingAction::Assigned {
                    conversation_id,
                    agent_id,
                } => self.assigned(conversation_id, agent_id, now, out),
                RoutingAction::Requeued { .. } => {}
                // Told below, adjusted for a live offer.
                RoutingAction::WaitEstimate { .. } => {}
                RoutingAction::SpecialistInvited {
                    conversation_id,
                    agent_id,
                    skill,
                } => {
                    let Some(inviter) = self
                        .cases
                        .get(conversation_id)
                        .and_then(|c| c.invite.as_ref())
                        .map(|(_, by)| by.clone())
                    else {
                        continue;
                    };
                    out.push(Step::Count(Milestone::SpecialistInvite));
                    let body = EventBody::SpecialistInvited {
                        agent_id: agent_id.clone(),
                        skill: skill.clone(),
                        invited_by: inviter,
                    };
                    write(out, conversation_id, body);
                }
                RoutingAction::TransferOffered { .. } => {
                    out.push(Step::Count(Milestone::TransferOffer))
                }
                RoutingAction::TransferFailed {
                    conversation_id,
                    reason,
                    ..
                } => self.transfer_failed(conversation_id, *reason, out),
                RoutingAction::NoSpecialist {
                    conversation_id,
                    skill,
                } => {
                    let inviter = self
                        .cases
                        .get_mut(conversation_id)
                        .and_then(|c| c.invite.take())
                        .map(|(_, by)| by);
                    if let Some(inviter) = inviter {
                        out.push(Step::NoSpecialist {
                            inviter,
                            conversation_id: conversation_id.clone(),
                            skill: skill.clone(),
                        });
                    }
                }
            }
        }
        for id in touched {
            self.tell_wait(&id, now, out);
        }
    }

    /// Tells a waiting customer their place and wait when it changed. While an agent holds the
    /// offer the wait is at most the offer's answer time, not the queue's handle-time estimate.
    pub(super) fn tell_wait(&mut self, id: &ConversationId, now: Timestamp, out: &mut Vec<Step>) {
        let Some((position, queue_estimate)) = self.router.wait_estimate(id, now) else {
            return;
        };
        let offer_secs = self.config.routing.offer_timeout_secs;
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        if !case.waiting() {
            return;
        }
        let estimate_secs = if case.offer_live {
            queue_estimate.min(offer_secs)
        } else {
            queue_estimate
        };
        let nobody_online = self.router.agents_serving(case.skill()) == 0;
        if case.told_wait == Some((position, estimate_secs, nobody_online)) {
            return;
        }
        case.told_wait = Some((position, estimate_secs, nobody_online));
        let body = EventBody::WaitEstimated {
            position,
            estimate_secs,
            nobody_online,
        };
        write(out, id, body);
    }

    /// The offer to `agent`, with the briefing written for them as of now.
    fn offer(
        &mut self,
        id: &ConversationId,
        agent: &UserId,
        expires_at: Timestamp,
        now: Timestamp,
        out: &mut Vec<Step>,
    ) {
        let name = self.name_of(agent);
        let messages = &self.config.messages;
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        // Someone taking a transfer takes the conversation over; they are not a specialist.
        let specialist = !case.accepted.is_empty() && case.transfer.is_none();
        let label = messages.skill(case.offer_skill()).label;
        let briefing = Arc::new(case.briefing(Some(first_name(&name)), &label, now));
        case.offered.insert(agent.clone(), briefing.clone());
        case.offer_live = true;
        out.push(Step::Count(Milestone::Offer));
        let body = EventBody::HandoffOffered {
            agent_id: agent.clone(),
            agent_name: name,
            expires_at,
            specialist,
            briefing: Box::new(Briefing::clone(&briefing)),
        };
        write(out, id, body);
    }

    /// `agent` accepted: the customer hears who is coming (or, in a transfer, who takes over).
    fn assigned(
        &mut self,
        id: &ConversationId,
        agent: &UserId,
        now: Timestamp,
        out: &mut Vec<Step>,
    ) {
        let name = self.name_of(agent);
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        let first = case.accepted.is_empty();
        case.offer_live = false;
        if !case.accepted.contains(agent) {
            case.accepted.push(agent.clone());
        }
        let skill = case.offer_skill().to_owned();
        let handing_over = match &mut case.transfer {
            Some(t) if &t.from != agent => {
                t.taken_by = Some(agent.clone());
                Some(t.note.from_agent_name.clone())
            }
            _ => None,
        };
        out.push(Step::Count(Milestone::Accept));
        let body = EventBody::HandoffAccepted {
            agent_id: agent.clone(),
            agent_name: name.clone(),
        };
        write(out, id, body);
        let messages = &self.config.messages;
        let text = match handing_over {
            Some(from) => Some(messages.transfer_accepted(first_name(&from), &name, &skill)),
            None if first => Some(messages.accepted(&name, &skill)),
            None => None,
        };
        if let Some(text) = text {
            say(out, id, Speaker::System, None, text, now);
        }
    }
}

fn action_conversation(a: &RoutingAction) -> Option<&ConversationId> {
    match a {
        RoutingAction::Offer {
            conversation_id, ..
        }
        | RoutingAction::OfferWithdrawn {
            conversation_id, ..
        }
        | RoutingAction::Assigned {
            conversation_id, ..
        }
        | RoutingAction::Requeued {
            conversation_id, ..
        }
        | RoutingAction::WaitEstimate {
            conversation_id, ..
        }
        | RoutingAction::SpecialistInvited {
            conversation_id, ..
        }
        | RoutingAction::NoSpecialist {
            conversation_id, ..
        }
        | RoutingAction::TransferOffered {
            conversation_id, ..
        }
        | RoutingAction::TransferFailed {
            conversation_id, ..
        } => Some(conversation_id),
    }
}
