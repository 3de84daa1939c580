//! The router: the state machine that ties presence, queues, offers and estimates together.
//! Every public method is one input; it returns the actions the caller must carry out.

use super::action::{RequeueReason, RoutingAction};
use super::agents::{Agent, AgentStatus, Roster, Search};
use super::config::RoutingConfig;
use super::error::RoutingError;
use super::estimate::HandleTimes;
use super::offers::{Offer, Offers, Passes, Purpose};
use super::queue::Queue;
use super::snapshot::{AgentSnapshot, QueueSnapshot, QueuedConversation, RoutingSnapshot};
use crate::domain::{ConversationId, Timestamp, Urgency, User, UserId};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// An open request for another agent to come into an assigned conversation: as a specialist
/// beside the agents there, or to take it over (a transfer). It exists only while an offer for
/// it is live; when nobody is left it ends with `NoSpecialist` or `TransferFailed`.
#[derive(Debug, Clone)]
pub(super) struct SeatRequest {
    pub kind: SeatKind,
    pub skill: String,
    pub inviting: UserId,
    pub passes: Passes,
    /// Why the last asked agent did not take it (a failed transfer says so).
    pub last_pass: Option<RequeueReason>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SeatKind {
    Specialist,
    /// `only`: a transfer to this named agent and nobody else.
    Transfer {
        only: Option<UserId>,
    },
}

/// Skills routing and the queue. See the module docs for the contract.
#[derive(Debug, Clone)]
pub struct Router {
    cfg: RoutingConfig,
    pub(super) roster: Roster,
    queue: Queue,
    pub(super) offers: Offers,
    pub(super) seats: BTreeMap<ConversationId, SeatRequest>,
    handle_times: HandleTimes,
}

impl Router {
    pub fn new(cfg: RoutingConfig) -> Self {
        let handle_times = HandleTimes::new(cfg.handle_time_samples, cfg.default_handle_secs);
        Self {
            cfg,
            roster: Roster::default(),
            queue: Queue::default(),
            offers: Offers::default(),
            seats: BTreeMap::new(),
            handle_times,
        }
    }

    /// The agent signed in (or reconnected): status `Available`, profile refreshed from `user`,
    /// conversations still assigned from before a reconnect are kept. Waiting work may be offered
    /// at once. A disabled account is treated as signing out.
    pub fn agent_online(&mut self, user: &User, now: Timestamp) -> Vec<RoutingAction> {
        if user.disabled {
            return self.agent_offline(&user.id, now);
        }
        match self.roster.get_mut(&user.id) {
            Some(agent) => {
                agent.update_profile(user);
                agent.online = true;
                agent.status = AgentStatus::Available;
            }
            None => self.roster.insert(Agent::from_user(user, now)),
        }
        self.settled(Vec::new(), now)
    }

    /// Changes a signed-in agent's status. Leaving `Available` withdraws a pending offer and moves
    /// it on; returning to it may bring an offer. Unknown or signed-out agents are ignored.
    pub fn set_status(
        &mut self,
        agent: &UserId,
        status: AgentStatus,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        match self.roster.get_mut(agent) {
            Some(a) if a.online => a.status = status,
            _ => return out,
        }
        if status != AgentStatus::Available {
            self.withdraw_agent_offer(agent, RequeueReason::AgentUnavailable, now, &mut out);
        }
        self.settled(out, now)
    }

    /// The agent signed out: a pending offer is withdrawn and moved on. Conversations already
    /// assigned stay assigned (a reconnect should not bounce the customer); the caller decides
    /// whether to `released` + `enqueue` them.
    pub fn agent_offline(&mut self, agent: &UserId, now: Timestamp) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        match self.roster.get_mut(agent) {
            Some(a) if a.online => {
                a.online = false;
                // Keep the record while it holds work so its load survives a reconnect.
                if a.assigned.is_empty() {
                    self.roster.remove(agent);
                }
            }
            _ => return out,
        }
        self.withdraw_agent_offer(agent, RequeueReason::AgentOffline, now, &mut out);
        self.settled(out, now)
    }

    /// Puts the conversation in the queue of `skill`. If it is already queued only its urgency
    /// can rise (it keeps its original waiting time). An empty language means "any".
    pub fn enqueue(
        &mut self,
        conversation: ConversationId,
        skill: &str,
        language: Option<&str>,
        urgency: Urgency,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let language = language.map(str::trim).filter(|l| !l.is_empty());
        self.queue
            .enqueue(conversation, skill, language, urgency, now);
        self.settled(Vec::new(), now)
    }

    /// The agent takes the conversation. Only the holder of the live, unexpired offer may.
    pub fn accept(
        &mut self,
        conversation: &ConversationId,
        agent: &UserId,
        now: Timestamp,
    ) -> Result<Vec<RoutingAction>, RoutingError> {
        let offer = self.held_offer(conversation, agent)?;
        if offer.expired(now) {
            return Err(RoutingError::OfferExpired {
                conversation: conversation.clone(),
                agent: agent.clone(),
            });
        }
        let Some(offer) = self.offers.remove(conversation) else {
            return Err(no_live_offer(conversation));
        };
        match offer.purpose {
            Purpose::Queue => {
                self.queue.remove(conversation);
            }
            Purpose::Specialist => {
                self.seats.remove(conversation);
            }
        }
        if let Some(a) = self.roster.get_mut(agent) {
            a.assigned.insert(conversation.clone(), offer.skill);
            a.idle_since = now;
        }
        let out = vec![RoutingAction::Assigned {
            conversation_id: conversation.clone(),
            agent_id: agent.clone(),
        }];
        Ok(self.settled(out, now))
    }

    /// The agent turns the offer down; it moves on to the next best agent and never comes back
    /// to this one for this conversation. Declining an expired offer `tick` has not yet moved
    /// on is allowed (the answer is the same).
    pub fn decline(
        &mut self,
        conversation: &ConversationId,
        agent: &UserId,
        now: Timestamp,
    ) -> Result<Vec<RoutingAction>, RoutingError> {
        self.held_offer(conversation, agent)?;
        let Some(offer) = self.offers.remove(conversation) else {
            return Err(no_live_offer(conversation));
        };
        let mut out = Vec::new();
        match offer.purpose {
            Purpose::Queue => {
                if let Some(entry) = self.queue.get_mut(conversation) {
                    entry.passes.decline(agent);
                }
                out.push(RoutingAction::Requeued {
                    conversation_id: conversation.clone(),
                    reason: RequeueReason::Declined,
                });
            }
            Purpose::Specialist => {
                if let Some(request) = self.seats.get_mut(conversation) {
                    request.passes.decline(agent);
                    request.last_pass = Some(RequeueReason::Declined);
                }
                self.offer_seat(conversation, now, &mut out);
            }
        }
        Ok(self.settled(out, now))
    }

    /// Expires offers whose time is up and moves each on to the next agent. An agent who let an
    /// offer expire is ranked after everyone else for that conversation, but not excluded, so a
    /// conversation served by one agent is offered again rather than stuck.
    pub fn tick(&mut self, now: Timestamp) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        for conversation in self.offers.expired(now) {
            let Some(offer) = self.offers.remove(&conversation) else {
                continue;
            };
            out.push(RoutingAction::OfferWithdrawn {
                conversation_id: conversation.clone(),
                agent_id: offer.agent.clone(),
            });
            match offer.purpose {
                Purpose::Queue => {
                    if let Some(entry) = self.queue.get_mut(&conversation) {
                        entry.passes.miss(&offer.agent);
                    }
                    out.push(RoutingAction::Requeued {
                        conversation_id: conversation.clone(),
                        reason: RequeueReason::OfferExpired,
                    });
                }
                Purpose::Specialist => {
                    if let Some(request) = self.seats.get_mut(&conversation) {
                        request.passes.miss(&offer.agent);
                        request.last_pass = Some(RequeueReason::OfferExpired);
                    }
                    self.offer_seat(&conversation, now, &mut out);
                }
            }
        }
        self.settled(out, now)
    }

    /// The agent is done with the conversation: frees one unit of capacity, restarts the agent's
    /// idle time and records `handled_secs` for the skill it was routed for. Ignored if the
    /// agent was not assigned to it.
    pub fn released(
        &mut self,
        conversation: &ConversationId,
        agent: &UserId,
        handled_secs: u64,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let Some(a) = self.roster.get_mut(agent) else {
            return Vec::new();
        };
        let Some(skill) = a.assigned.remove(conversation) else {
            return Vec::new();
        };
        a.idle_since = now;
        if !a.online && a.assigned.is_empty() {
            self.roster.remove(agent);
        }
        self.handle_times.record(&skill, handled_secs);
        self.settled(Vec::new(), now)
    }

    /// Offers the best agent with `skill` who is not in the conversation (nor the inviter) a seat
    /// in it: `SpecialistInvited` + `Offer`, or `NoSpecialist` when nobody qualifies. Ignored
    /// while the conversation already has a live offer (one live offer per conversation).
    pub fn invite_specialist(
        &mut self,
        conversation: &ConversationId,
        skill: &str,
        inviting: &UserId,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        if self.offers.for_conversation(conversation).is_some()
            || self.seats.contains_key(conversation)
        {
            return out;
        }
        self.seats.insert(
            conversation.clone(),
            SeatRequest {
                kind: SeatKind::Specialist,
                skill: skill.to_owned(),
                inviting: inviting.clone(),
                passes: Passes::default(),
                last_pass: None,
            },
        );
        self.offer_seat(conversation, now, &mut out);
        self.settled(out, now)
    }

    /// Assigns the conversation to `agent` without an offer: an agent took it over directly, or
    /// the gateway restores assignments after a restart. It leaves the queue, a live offer for it
    /// (to anyone) is withdrawn, and it counts towards the agent's load. Unknown (signed-out)
    /// agents are ignored; the caller repeats it when they sign in.
    pub fn assign(
        &mut self,
        conversation: &ConversationId,
        agent: &UserId,
        skill: &str,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        if self.roster.get_mut(agent).is_none() {
            return out;
        }
        if let Some(offer) = self.offers.remove(conversation) {
            out.push(RoutingAction::OfferWithdrawn {
                conversation_id: conversation.clone(),
                agent_id: offer.agent,
            });
        }
        self.queue.remove(conversation);
        self.seats.remove(conversation);
        if let Some(a) = self.roster.get_mut(agent) {
            a.assigned.insert(conversation.clone(), skill.to_owned());
            a.idle_since = now;
        }
        self.settled(out, now)
    }

    /// The conversation no longer wants an agent (e.g. handed back to the assistant): it leaves
    /// the queue, and a live offer or specialist invite for it is withdrawn. Agents already
    /// assigned are released separately with `released`.
    pub fn withdraw(
        &mut self,
        conversation: &ConversationId,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        let mut out = Vec::new();
        if let Some(offer) = self.offers.remove(conversation) {
            out.push(RoutingAction::OfferWithdrawn {
                conversation_id: conversation.clone(),
                agent_id: offer.agent,
            });
        }
        self.queue.remove(conversation);
        self.seats.remove(conversation);
        self.settled(out, now)
    }

    /// `(position, estimate_secs)` of a queued conversation, or `None` if it is not queued.
    /// The estimate depends on the queue and handle times only; `now` is part of the input
    /// contract so a time-aware estimate can be added without changing callers.
    pub fn wait_estimate(
        &self,
        conversation: &ConversationId,
        _now: Timestamp,
    ) -> Option<(usize, u64)> {
        let entry = self.queue.get(conversation)?;
        let position = self.queue.position(conversation)?;
        let agents = self.roster.serving(&entry.skill);
        Some((
            position,
            self.handle_times
                .estimate_secs(&entry.skill, position, agents),
        ))
    }

    /// The routing status of a signed-in agent.
    pub fn agent_status(&self, agent: &UserId) -> Option<AgentStatus> {
        self.roster
            .iter()
            .find(|a| &a.id == agent && a.online)
            .map(|a| a.status)
    }

    /// Signed-in agents who serve `skill` and are not away, for honest customer messages.
    pub fn agents_serving(&self, skill: &str) -> usize {
        self.roster.iter().filter(|a| a.serves(skill)).count()
    }

    /// Queues with positions and agents with load and status, for the agent page.
    pub fn snapshot(&self) -> RoutingSnapshot {
        let queues = self
            .queue
            .by_skill()
            .into_iter()
            .map(|(skill, entries)| {
                let agents = self.roster.serving(skill);
                QueueSnapshot {
                    skill: skill.to_owned(),
                    agents_serving: agents,
                    mean_handle_secs: self.handle_times.mean_secs(skill),
                    conversations: entries
                        .into_iter()
                        .enumerate()
                        .map(|(i, e)| QueuedConversation {
                            conversation_id: e.conversation.clone(),
                            position: i + 1,
                            urgency: e.urgency,
                            language: e.language.clone(),
                            enqueued_at: e.enqueued_at,
                            estimate_secs: self.handle_times.estimate_secs(skill, i + 1, agents),
                            offered_to: self
                                .offers
                                .for_conversation(&e.conversation)
                                .map(|o| o.agent.clone()),
                        })
                        .collect(),
                }
            })
            .collect();
        let agents = self
            .roster
            .iter()
            .map(|a| AgentSnapshot {
                agent_id: a.id.clone(),
                status: a.status,
                online: a.online,
                load: a.load(),
                max_concurrent: a.max_concurrent,
                skills: a.skills.clone(),
                languages: a.languages.clone(),
                conversations: a.assigned.keys().cloned().collect(),
                offer: self.offers.for_agent(&a.id).map(|o| o.conversation.clone()),
                idle_since: a.idle_since,
            })
            .collect();
        RoutingSnapshot { queues, agents }
    }

    // ---- internals ----

    /// The live offer for `conversation` if `agent` holds it, else why not. An agent who let
    /// this conversation's offer expire hears "expired" rather than "someone else's".
    fn held_offer(
        &self,
        conversation: &ConversationId,
        agent: &UserId,
    ) -> Result<&Offer, RoutingError> {
        match self.offers.for_conversation(conversation) {
            Some(offer) if &offer.agent == agent => Ok(offer),
            _ if self.missed(conversation, agent) => Err(RoutingError::OfferExpired {
                conversation: conversation.clone(),
                agent: agent.clone(),
            }),
            Some(_) => Err(RoutingError::NotOfferedTo {
                conversation: conversation.clone(),
                agent: agent.clone(),
            }),
            None => Err(no_live_offer(conversation)),
        }
    }

    fn missed(&self, conversation: &ConversationId, agent: &UserId) -> bool {
        let queued = self
            .queue
            .get(conversation)
            .is_some_and(|e| e.passes.misses(agent) > 0);
        let invited = self
            .seats
            .get(conversation)
            .is_some_and(|r| r.passes.misses(agent) > 0);
        queued || invited
    }

    /// Withdraws the agent's pending offer (status change, sign-out) and moves it on. The agent
    /// is not marked as having passed: they did not refuse the work.
    fn withdraw_agent_offer(
        &mut self,
        agent: &UserId,
        reason: RequeueReason,
        now: Timestamp,
        out: &mut Vec<RoutingAction>,
    ) {
        let Some(conversation) = self.offers.for_agent(agent).map(|o| o.conversation.clone())
        else {
            return;
        };
        let Some(offer) = self.offers.remove(&conversation) else {
            return;
        };
        out.push(RoutingAction::OfferWithdrawn {
            conversation_id: conversation.clone(),
            agent_id: agent.clone(),
        });
        match offer.purpose {
            Purpose::Queue => out.push(RoutingAction::Requeued {
                conversation_id: conversation,
                reason,
            }),
            Purpose::Specialist => {
                if let Some(request) = self.seats.get_mut(&conversation) {
                    request.last_pass = Some(reason);
                }
                self.offer_seat(&conversation, now, out)
            }
        }
    }

    /// Next step of a seat request: offer the best remaining agent, or end it.
    pub(super) fn offer_seat(
        &mut self,
        conversation: &ConversationId,
        now: Timestamp,
        out: &mut Vec<RoutingAction>,
    ) {
        let Some(request) = self.seats.get(conversation) else {
            return;
        };
        let skill = request.skill.clone();
        let best = match &request.kind {
            SeatKind::Transfer { only: Some(agent) } => Some(agent.clone())
                .filter(|a| !request.passes.passed(a))
                .filter(|a| self.named_unavailable(conversation, a).is_none()),
            _ => {
                let members: BTreeSet<&UserId> = self.roster.members(conversation).collect();
                // Whoever declined or missed is not asked again: the request has to end.
                let excluded = |id: &UserId| {
                    members.contains(id) || id == &request.inviting || request.passes.passed(id)
                };
                let has_offer = |id: &UserId| self.offers.agent_has_offer(id);
                self.roster.best(&Search {
                    skill: &request.skill,
                    language: None,
                    excluded: &excluded,
                    has_offer: &has_offer,
                    misses: &|_| 0,
                })
            }
        };
        let transfer = matches!(request.kind, SeatKind::Transfer { .. });
        let last_pass = request.last_pass;
        match best {
            Some(agent) => {
                out.push(if transfer {
                    RoutingAction::TransferOffered {
                        conversation_id: conversation.clone(),
                        agent_id: agent.clone(),
                        skill: skill.clone(),
                    }
                } else {
                    RoutingAction::SpecialistInvited {
                        conversation_id: conversation.clone(),
                        agent_id: agent.clone(),
                        skill: skill.clone(),
                    }
                });
                self.make_offer(conversation, agent, skill, Purpose::Specialist, now, out);
            }
            None => {
                self.seats.remove(conversation);
                out.push(if transfer {
                    RoutingAction::TransferFailed {
                        conversation_id: conversation.clone(),
                        skill,
                        reason: last_pass,
                    }
                } else {
                    RoutingAction::NoSpecialist {
                        conversation_id: conversation.clone(),
                        skill,
                    }
                });
            }
        }
    }

    pub(super) fn make_offer(
        &mut self,
        conversation: &ConversationId,
        agent: UserId,
        skill: String,
        purpose: Purpose,
        now: Timestamp,
        out: &mut Vec<RoutingAction>,
    ) {
        let expires_at = deadline(now, self.cfg.offer_timeout_secs);
        let offer = Offer {
            conversation: conversation.clone(),
            agent: agent.clone(),
            expires_at,
            purpose,
            skill,
        };
        if self.offers.insert(offer) {
            out.push(RoutingAction::Offer {
                conversation_id: conversation.clone(),
                agent_id: agent,
                expires_at,
            });
        }
    }

    /// After every input: offer waiting work to free agents, then report changed estimates.
    pub(super) fn settled(
        &mut self,
        mut out: Vec<RoutingAction>,
        now: Timestamp,
    ) -> Vec<RoutingAction> {
        self.dispatch(now, &mut out);
        self.refresh_estimates(&mut out);
        out
    }

    /// Greedy in queue priority order across skills: the most urgent, longest-waiting
    /// conversation gets the best agent first.
    fn dispatch(&mut self, now: Timestamp, out: &mut Vec<RoutingAction>) {
        let waiting: Vec<ConversationId> = self
            .queue
            .by_priority()
            .into_iter()
            .filter(|e| self.offers.for_conversation(&e.conversation).is_none())
            .map(|e| e.conversation.clone())
            .collect();
        for conversation in waiting {
            let Some(entry) = self.queue.get(&conversation) else {
                continue;
            };
            let members: BTreeSet<&UserId> = self.roster.members(&conversation).collect();
            let excluded = |id: &UserId| entry.passes.declined(id) || members.contains(id);
            let has_offer = |id: &UserId| self.offers.agent_has_offer(id);
            let misses = |id: &UserId| entry.passes.misses(id);
            let best = self.roster.best(&Search {
                skill: &entry.skill,
                language: entry.language.as_deref(),
                excluded: &excluded,
                has_offer: &has_offer,
                misses: &misses,
            });
            let skill = entry.skill.clone();
            if let Some(agent) = best {
                self.make_offer(&conversation, agent, skill, Purpose::Queue, now, out);
            }
        }
    }

    /// Emits `WaitEstimate` for each queued conversation whose position or estimate changed
    /// since it was last told.
    fn refresh_estimates(&mut self, out: &mut Vec<RoutingAction>) {
        let mut changed = Vec::new();
        for (skill, entries) in self.queue.by_skill() {
            let agents = self.roster.serving(skill);
            for (i, entry) in entries.into_iter().enumerate() {
                let now_estimate = (i + 1, self.handle_times.estimate_secs(skill, i + 1, agents));
                if entry.last_estimate != Some(now_estimate) {
                    changed.push((entry.conversation.clone(), now_estimate));
                }
            }
        }
        for (conversation, (position, estimate_secs)) in changed {
            if let Some(entry) = self.queue.get_mut(&conversation) {
                entry.last_estimate = Some((position, estimate_secs));
            }
            out.push(RoutingAction::WaitEstimate {
                conversation_id: conversation,
                position,
                estimate_secs,
            });
        }
    }
}

fn no_live_offer(conversation: &ConversationId) -> RoutingError {
    RoutingError::NoLiveOffer {
        conversation: conversation.clone(),
    }
}

/// `now + secs`, saturating at the end of representable time instead of panicking on a huge
/// configured timeout.
fn deadline(now: Timestamp, secs: u64) -> Timestamp {
    i64::try_from(secs)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
