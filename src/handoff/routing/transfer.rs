//! Transfers: an agent in a conversation hands it to a named colleague or to whoever is best
//! with a skill. A transfer is warm: the asking agent stays in the conversation until the new
//! agent has taken it, so the customer is never left alone in a queue; if nobody takes it the
//! asking agent keeps it and hears why (`TransferFailed`).

use super::action::RoutingAction;
use super::agents::{AgentStatus, Search};
use super::engine::{Router, SeatKind, SeatRequest};
use super::error::RoutingError;
use super::offers::Passes;
use crate::domain::{ConversationId, Timestamp, UserId};
use std::collections::BTreeSet;

/// Who a transfer goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// This colleague and nobody else. They take it as `skill` (for handle times).
    Agent { agent: UserId, skill: String },
    /// The best agent with the skill who is not in the conversation; on decline or expiry the
    /// next one, until nobody is left.
    Skill(String),
}

impl Router {
    /// Starts a transfer of `conversation` from `from`: `TransferOffered` + `Offer` to the first
    /// candidate. Refused while another transfer or specialist invite for it is pending, when the
    /// named agent cannot be asked now, or when nobody with the skill can. On accept the new
    /// agent is `Assigned`; the caller releases `from` once the new agent has joined.
    pub fn transfer(
        &mut self,
        conversation: &ConversationId,
        from: &UserId,
        target: TransferTarget,
        now: Timestamp,
    ) -> Result<Vec<RoutingAction>, RoutingError> {
        if self.offers.for_conversation(conversation).is_some()
            || self.seats.contains_key(conversation)
        {
            return Err(RoutingError::RequestPending {
                conversation: conversation.clone(),
            });
        }
        let (skill, only) = match target {
            TransferTarget::Agent { agent, skill } => {
                if &agent == from {
                    return Err(RoutingError::TargetUnavailable {
                        agent,
                        why: "is the agent asking",
                    });
                }
                if let Some(why) = self.named_unavailable(conversation, &agent) {
                    return Err(RoutingError::TargetUnavailable { agent, why });
                }
                (skill, Some(agent))
            }
            TransferTarget::Skill(skill) => {
                if !self.anyone_with_skill(conversation, from, &skill) {
                    return Err(RoutingError::NobodyWithSkill {
                        conversation: conversation.clone(),
                        skill,
                    });
                }
                (skill, None)
            }
        };
        self.seats.insert(
            conversation.clone(),
            SeatRequest {
                kind: SeatKind::Transfer { only },
                skill,
                inviting: from.clone(),
                passes: Passes::default(),
                last_pass: None,
            },
        );
        let mut out = Vec::new();
        self.offer_seat(conversation, now, &mut out);
        Ok(self.settled(out, now))
    }

    /// Calls off a pending transfer (or invite): its live offer is withdrawn. Nothing happens if
    /// there is none or it was accepted already.
    pub fn withdraw_seat(
        &mut self,
        conversation: &ConversationId,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        if self.seats.remove(conversation).is_none() {
            return out;
        }
        if let Some(offer) = self.offers.remove(conversation) {
            out.push(RoutingAction::OfferWithdrawn {
                conversation_id: conversation.clone(),
                agent_id: offer.agent,
            });
        }
        self.settled(out, now)
    }

    /// Why a named colleague cannot be asked to take the conversation right now, if they can't.
    /// Capacity is not checked: a colleague asked by name decides for themselves.
    pub(super) fn named_unavailable(
        &self,
        conversation: &ConversationId,
        agent: &UserId,
    ) -> Option<&'static str> {
        let Some(a) = self.roster.iter().find(|a| &a.id == agent && a.online) else {
            return Some("is not signed in");
        };
        if a.status == AgentStatus::Away {
            return Some("is away");
        }
        if a.assigned.contains_key(conversation) {
            return Some("is already in the conversation");
        }
        if self.offers.agent_has_offer(agent) {
            return Some("is answering another offer");
        }
        None
    }

    fn anyone_with_skill(&self, conversation: &ConversationId, from: &UserId, skill: &str) -> bool {
        let members: BTreeSet<&UserId> = self.roster.members(conversation).collect();
        let excluded = |id: &UserId| members.contains(id) || id == from;
        let has_offer = |id: &UserId| self.offers.agent_has_offer(id);
        self.roster
            .best(&Search {
                skill,
                language: None,
                excluded: &excluded,
                has_offer: &has_offer,
                misses: &|_| 0,
            })
            .is_some()
    }
}
