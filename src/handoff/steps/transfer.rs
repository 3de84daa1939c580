//! Transfers: an agent in the conversation hands it to a named colleague or a skill with a note.
//! The order of events is
//!
//! `transfer_requested` (staff only, with the note) -> `handoff_offered` to the colleague (the
//! briefing rebuilt from the whole conversation, with the note) -> `handoff_accepted` (the
//! customer hears who is coming) -> `briefing_opened` -> `agent_joined` -> the new agent's
//! introduction -> the old agent's `participant_left` -> `transfer_ended` (`completed`).
//!
//! Warm: until the new agent has joined, the asking agent keeps the conversation. A transfer
//! nobody takes ends with `transfer_ended` and the reason, and the asking agent carries on.

use super::case::Transfer;
use super::error::StepError;
use super::reason::{Milestone, TransferOutcome};
use super::step::{write, Step};
use super::{plausible_skill, Steps};
use crate::domain::{
    Conversation, ConversationId, EventBody, Speaker, Timestamp, TransferNote, User, UserId,
};
use crate::handoff::routing::{RequeueReason, RoutingError, TransferTarget};
use std::sync::Arc;

/// Longest note for the colleague, in characters.
const MAX_NOTE_CHARS: usize = 2000;
/// Longest user id accepted as a target.
const MAX_AGENT_ID: usize = 128;

/// What the asking agent sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferRequest {
    /// A colleague's user id.
    pub to_agent: Option<String>,
    pub to_skill: Option<String>,
    pub note: Option<String>,
}

impl Steps {
    /// `agent`, in the conversation, asks for it to be transferred. `fresh` is the conversation
    /// as stored now, for the colleague's briefing (ignored when older than the case's).
    pub fn transfer(
        &mut self,
        id: &ConversationId,
        agent: &User,
        request: TransferRequest,
        fresh: Option<Conversation>,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let note = request
            .note
            .map(|n| n.trim().to_owned())
            .unwrap_or_default();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(StepError::BadTransfer(
                "the note for your colleague is at most 2000 characters",
            ));
        }
        let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (to_agent, to_skill) = (trimmed(request.to_agent), trimmed(request.to_skill));
        let case = self.cases.get_mut(id).ok_or(StepError::NotInConversation)?;
        let Some((joined_at, _)) = case.joined.get(&agent.id).cloned() else {
            return Err(StepError::NotInConversation);
        };
        if case.transfer.is_some() || case.invite.is_some() {
            return Err(StepError::InvitePending);
        }
        let target = match (to_agent, to_skill) {
            (Some(to), None) if to.len() <= MAX_AGENT_ID => {
                let agent = UserId::from(to.as_str());
                // A colleague asked by name takes it in their own field when it is not the
                // conversation's: their introduction and handle time say what they are.
                let skills = self.online.get(&agent).map(|o| &o.user.skills);
                let own = skills
                    .filter(|s| !s.iter().any(|k| k == case.skill()))
                    .and_then(|s| s.first());
                let skill = own.map_or_else(|| case.skill().to_owned(), Clone::clone);
                TransferTarget::Agent { agent, skill }
            }
            (None, Some(skill)) if plausible_skill(&skill) => TransferTarget::Skill(skill),
            (None, Some(_)) => return Err(StepError::BadSkill),
            _ => {
                return Err(StepError::BadTransfer(
                    "name either toAgent (a colleague's user id) or toSkill, not both",
                ))
            }
        };
        let (to, skill) = match &target {
            TransferTarget::Agent { agent, skill } => (Some(agent.clone()), skill.clone()),
            TransferTarget::Skill(skill) => (None, skill.clone()),
        };
        if let Some(c) = fresh.filter(|c| c.header.last_seq >= case.conversation.header.last_seq) {
            case.conversation = Arc::new(c);
        }
        let agent_messages = case
            .conversation
            .messages
            .iter()
            .filter(|m| m.timestamp >= joined_at)
            .filter(|m| matches!(m.speaker, Speaker::Agent | Speaker::Customer))
            .count();
        // Set before the router acts: the offer it makes is built with the handover in it.
        case.transfer = Some(Transfer {
            from: agent.id.clone(),
            to: to.clone(),
            taken_by: None,
            note: TransferNote {
                from_agent_name: agent.name.clone(),
                note: note.clone(),
                skill: skill.clone(),
                requested_at: now,
                agent_messages,
            },
        });
        let actions = match self.router.transfer(id, &agent.id, target, now) {
            Ok(actions) => actions,
            Err(e) => {
                if let Some(case) = self.cases.get_mut(id) {
                    case.transfer = None;
                }
                return Err(match e {
                    RoutingError::TargetUnavailable { agent, why } => {
                        StepError::TransferTargetUnavailable {
                            name: self.name_of(&agent),
                            why,
                        }
                    }
                    RoutingError::NobodyWithSkill { skill, .. } => {
                        StepError::NobodyToTransferTo(skill)
                    }
                    _ => StepError::InvitePending,
                });
            }
        };
        let mut out = vec![Step::Count(Milestone::Transfer)];
        let to_agent_name = to.as_ref().map(|a| self.name_of(a));
        let body = EventBody::TransferRequested {
            from_agent_id: agent.id.clone(),
            to_agent_id: to,
            to_agent_name,
            skill,
            note: Some(note).filter(|n| !n.is_empty()),
        };
        write(&mut out, id, body);
        self.apply(actions, now, &mut out);
        Ok(out)
    }

    /// The asking agent calls the transfer off before anyone accepted it.
    pub fn cancel_transfer(
        &mut self,
        id: &ConversationId,
        agent: &User,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let case = self.cases.get_mut(id).ok_or(StepError::NoTransfer)?;
        if !case.joined.contains_key(&agent.id) {
            return Err(StepError::NotInConversation);
        }
        match &case.transfer {
            Some(t) if t.taken_by.is_none() => {}
            _ => return Err(StepError::NoTransfer),
        }
        let Some(t) = case.transfer.take() else {
            return Err(StepError::NoTransfer);
        };
        case.offer_live = false;
        let actions = self.router.withdraw_seat(id, now);
        let mut out = Vec::new();
        let body = EventBody::TransferEnded {
            from_agent_id: t.from,
            to_agent_id: t.to,
            outcome: TransferOutcome::Cancelled.as_str().into(),
        };
        write(&mut out, id, body);
        self.apply(actions, now, &mut out);
        Ok(out)
    }

    /// Nobody took it: the asking agent keeps the conversation and reads why in its timeline.
    pub(super) fn transfer_failed(
        &mut self,
        id: &ConversationId,
        reason: Option<RequeueReason>,
        out: &mut Vec<Step>,
    ) {
        let Some(t) = self.cases.get_mut(id).and_then(|c| c.transfer.take()) else {
            return;
        };
        out.push(Step::Count(Milestone::TransferFailed));
        let body = EventBody::TransferEnded {
            from_agent_id: t.from,
            to_agent_id: t.to,
            outcome: TransferOutcome::failed(reason).as_str().into(),
        };
        write(out, id, body);
    }

    /// The new agent has joined and introduced themselves: the one who handed it over leaves, and
    /// the conversation is the new agent's (first in line, under the skill it moved to).
    pub(super) fn complete_transfer(
        &mut self,
        id: &ConversationId,
        now: Timestamp,
        out: &mut Vec<Step>,
    ) {
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        let Some(t) = case.transfer.take() else {
            return;
        };
        let Some(taker) = t.taken_by.clone() else {
            return;
        };
        let left = case.joined.remove(&t.from);
        case.accepted.retain(|a| a != &t.from && a != &taker);
        case.accepted.insert(0, taker.clone());
        case.opened.retain(|a| a != &t.from);
        // Later briefings and invites are for the skill it moved to. The escalation as recorded
        // stays what it was (the review reports why it first came to a person); the header's
        // skill follows `transfer_ended`.
        case.escalation.recommended_agent = t.note.skill.clone();
        out.push(Step::Count(Milestone::TransferCompleted));
        let mut actions = Vec::new();
        if let Some((joined_at, participant_id)) = left {
            write(out, id, EventBody::ParticipantLeft { participant_id });
            let secs = u64::try_from((now - joined_at).num_seconds()).unwrap_or(0);
            actions = self.router.released(id, &t.from, secs, now);
        }
        let body = EventBody::TransferEnded {
            from_agent_id: t.from,
            to_agent_id: Some(taker),
            outcome: TransferOutcome::Completed.as_str().into(),
        };
        write(out, id, body);
        self.apply(actions, now, out);
    }
}
