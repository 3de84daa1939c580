//! An agent's commands on a case: accept or decline the offer, open the briefing, join, ask for
//! a specialist, resolve. Each is refused with a [`StepError`] (and no steps) when the case's
//! state does not allow it.

use super::case::first_name;
use super::error::StepError;
use super::reason::{DeclineReason, Milestone, TransferOutcome};
use super::step::{say, write, Step};
use super::{plausible_skill, Steps};
use crate::domain::{
    ConversationId, EventBody, Participant, ParticipantId, ParticipantKind, Speaker, Timestamp,
    User,
};
use crate::handoff::routing::{RoutingAction, RoutingError};

/// Longest introduction an agent may send when joining, in bytes.
pub const MAX_INTRODUCTION: usize = 4096;
/// Longest resolution note kept, in characters.
const MAX_RESOLVE_NOTE: usize = 1000;

impl Steps {
    /// `agent` accepts the offer they hold (refused once it expired, even before `tick` moved
    /// it on).
    pub fn accept(
        &mut self,
        id: &ConversationId,
        agent: &User,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let actions = self
            .router
            .accept(id, &agent.id, now)
            .map_err(routing_error)?;
        let mut out = Vec::new();
        self.apply(actions, now, &mut out);
        Ok(out)
    }

    /// `agent` declines the offer they hold; it moves on and never comes back to them.
    pub fn decline(
        &mut self,
        id: &ConversationId,
        agent: &User,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let actions = self
            .router
            .decline(id, &agent.id, now)
            .map_err(routing_error)?;
        let mut out = vec![Step::Count(Milestone::Decline)];
        if let Some(case) = self.cases.get_mut(id) {
            case.offer_live = false;
        }
        let body = EventBody::HandoffDeclined {
            agent_id: agent.id.clone(),
            reason: DeclineReason::Declined.as_str().into(),
        };
        write(&mut out, id, body);
        self.apply(actions, now, &mut out);
        Ok(out)
    }

    /// `agent`, offered or accepted, opens the briefing (written once per agent).
    pub fn open_briefing(
        &mut self,
        id: &ConversationId,
        agent: &User,
    ) -> Result<Vec<Step>, StepError> {
        let case = self.cases.get_mut(id).ok_or(StepError::NotEscalated)?;
        if !case.offered.contains_key(&agent.id) && !case.accepted.contains(&agent.id) {
            return Err(StepError::NotOffered);
        }
        let mut out = Vec::new();
        if !case.opened.contains(&agent.id) {
            case.opened.push(agent.id.clone());
            let body = EventBody::BriefingOpened {
                agent_id: agent.id.clone(),
            };
            write(&mut out, id, body);
        }
        Ok(out)
    }

    /// `agent` joins: only after accepting and opening the briefing, once. The first to accept
    /// joins as the owner, later ones as specialists; whoever took a transfer takes it over
    /// (the asking agent leaves). The introduction is theirs, else the briefing's suggestion
    /// written now (specialists say nothing unless they write something).
    pub fn join(
        &mut self,
        id: &ConversationId,
        agent: &User,
        introduction: Option<String>,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let introduction = introduction
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if introduction
            .as_ref()
            .is_some_and(|s| s.len() > MAX_INTRODUCTION)
        {
            return Err(StepError::BadIntroduction(MAX_INTRODUCTION));
        }
        let case = self.cases.get_mut(id).ok_or(StepError::NotAccepted)?;
        if case.joined.contains_key(&agent.id) {
            return Err(StepError::AlreadyJoined);
        }
        if !case.accepted.contains(&agent.id) {
            return Err(StepError::NotAccepted);
        }
        if !case.opened.contains(&agent.id) {
            return Err(StepError::BriefingNotOpened);
        }
        let taking_over = case
            .transfer
            .as_ref()
            .is_some_and(|t| t.taken_by.as_ref() == Some(&agent.id));
        let specialist = !taking_over && case.accepted.first() != Some(&agent.id);
        let participant_id = ParticipantId::generate();
        case.joined
            .insert(agent.id.clone(), (now, participant_id.clone()));
        // Written now, from everything the customer said while waiting, not when the offer went out.
        let label = self.config.messages.skill(case.skill()).label;
        let suggested = Some(
            case.briefing(Some(first_name(&agent.name)), &label, now)
                .warm_introduction,
        );
        let specialist_skill = case
            .invite
            .take()
            .map(|(skill, _)| skill)
            .unwrap_or_else(|| case.skill().to_owned());
        let participant = Participant {
            id: participant_id,
            kind: ParticipantKind::Agent,
            user_id: Some(agent.id.clone()),
            name: agent.name.clone(),
            joined_at: now,
            left_at: None,
        };
        let mut out = vec![Step::Count(Milestone::Join)];
        write(
            &mut out,
            id,
            EventBody::AgentJoined {
                participant,
                specialist,
            },
        );
        if specialist {
            let text = self
                .config
                .messages
                .specialist_joined(&agent.name, &specialist_skill);
            say(&mut out, id, Speaker::System, None, text, now);
        }
        let first_words = match (introduction, specialist) {
            (Some(text), _) => Some(text),
            (None, false) => suggested,
            (None, true) => None,
        };
        if let Some(text) = first_words {
            say(&mut out, id, Speaker::Agent, Some(&agent.id), text, now);
        }
        if taking_over {
            self.complete_transfer(id, now, &mut out);
        }
        Ok(out)
    }

    /// `agent`, in the conversation, asks for a specialist with `skill` to join beside them.
    /// Refused while another invite or transfer is pending, or when nobody with the skill can
    /// join now.
    pub fn invite_specialist(
        &mut self,
        id: &ConversationId,
        agent: &User,
        skill: &str,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let skill = skill.trim().to_owned();
        if !plausible_skill(&skill) {
            return Err(StepError::BadSkill);
        }
        let case = self.cases.get_mut(id).ok_or(StepError::NotInConversation)?;
        if !case.joined.contains_key(&agent.id) {
            return Err(StepError::NotInConversation);
        }
        if case.invite.is_some() {
            return Err(StepError::InvitePending);
        }
        case.invite = Some((skill.clone(), agent.id.clone()));
        let actions = self.router.invite_specialist(id, &skill, &agent.id, now);
        if actions.is_empty() {
            if let Some(case) = self.cases.get_mut(id) {
                case.invite = None;
            }
            return Err(StepError::InvitePending);
        }
        let nobody = actions
            .iter()
            .any(|a| matches!(a, RoutingAction::NoSpecialist { .. }));
        if nobody {
            if let Some(case) = self.cases.get_mut(id) {
                case.invite = None;
            }
            return Err(StepError::NoSpecialist(skill));
        }
        let mut out = Vec::new();
        self.apply(actions, now, &mut out);
        Ok(out)
    }

    /// `agent`, in the conversation, resolves it: a transfer under way is cancelled, the
    /// customer is told, every agent leaves (so a customer who writes again meets the
    /// assistant, not silence) and the router frees them, recording their handle times.
    pub fn resolve(
        &mut self,
        id: &ConversationId,
        agent: &User,
        note: Option<String>,
        now: Timestamp,
    ) -> Result<Vec<Step>, StepError> {
        let case = self.cases.get(id).ok_or(StepError::NotInConversation)?;
        if !case.joined.contains_key(&agent.id) {
            return Err(StepError::NotInConversation);
        }
        let note = note
            .map(|n| n.trim().chars().take(MAX_RESOLVE_NOTE).collect::<String>())
            .filter(|n| !n.is_empty());
        let Some(mut case) = self.cases.remove(id) else {
            return Err(StepError::NotInConversation);
        };
        let mut out = Vec::new();
        if let Some(t) = case.transfer.take() {
            let body = EventBody::TransferEnded {
                from_agent_id: t.from,
                to_agent_id: t.taken_by.or(t.to),
                outcome: TransferOutcome::Cancelled.as_str().into(),
            };
            write(&mut out, id, body);
        }
        out.push(Step::Count(Milestone::Resolve));
        write(
            &mut out,
            id,
            EventBody::ConversationResolved {
                by: Some(agent.id.clone()),
                note,
            },
        );
        let text = self.config.messages.resolved(&agent.name);
        say(&mut out, id, Speaker::System, None, text, now);
        // The agents leave, so a customer who writes again meets the assistant, not silence.
        for (_, participant) in case.joined.values() {
            let body = EventBody::ParticipantLeft {
                participant_id: participant.clone(),
            };
            write(&mut out, id, body);
        }
        let mut actions = self.router.withdraw(id, now);
        for (who, (joined_at, _)) in &case.joined {
            let secs = u64::try_from((now - *joined_at).num_seconds()).unwrap_or(0);
            actions.extend(self.router.released(id, who, secs, now));
        }
        for list in self.pending_assign.values_mut() {
            list.retain(|(c, _)| c != id);
        }
        self.apply(actions, now, &mut out);
        Ok(out)
    }
}

/// A refused accept or decline, as the agent reads it.
fn routing_error(e: RoutingError) -> StepError {
    match e {
        RoutingError::OfferExpired { .. } => StepError::OfferExpired,
        _ => StepError::NotOffered,
    }
}
