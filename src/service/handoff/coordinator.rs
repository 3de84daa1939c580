//! The coordinator task: one loop over commands and a clock tick, owning the router and the live
//! cases. See the module docs for the ordering and durability contract.

use super::case::{first_name, Case};
use super::{AgentAction, Command, Handoff, HandoffError, Reply, COMMANDS};
use crate::assistant::Assistant;
use crate::chat::{Hub, ServerFrame};
use crate::domain::{
    Briefing, BriefingText, Conversation, ConversationHeader, ConversationId, ConversationStatus,
    Escalation, EventBody, KnowledgeContext, Message, Participant, ParticipantId, ParticipantKind,
    Speaker, Timestamp, Urgency, User, UserId,
};
use crate::handoff::messages::{Waiting, WaitingState};
use crate::handoff::policy::{Decision, EscalationPolicy};
use crate::handoff::routing::{AgentStatus, RequeueReason, Router, RoutingAction, RoutingError};
use crate::handoff::HandoffConfig;
use crate::metrics::{Metrics, ReasonLabel};
use crate::service::headers::HeaderCache;
use crate::storage::journal::{Journal, Pending};
use crate::storage::{Store, WriteOp, WriteOutcome};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{info, warn, Instrument};

/// How often offers are expired, hand-backs checked and the queue view refreshed.
const TICK: Duration = Duration::from_millis(500);
/// Longest introduction an agent may send when joining, in bytes.
const MAX_INTRODUCTION: usize = 4096;
/// Most conversations restored per status at start.
pub(super) const RECOVER_LIMIT: u32 = 100_000;

/// What the coordinator needs from the rest of the gateway.
pub struct Deps {
    pub journal: Journal,
    pub hub: Arc<Hub>,
    pub headers: Arc<HeaderCache>,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub config: HandoffConfig,
    pub policy: Arc<EscalationPolicy>,
    /// For knowledge-base next steps in briefings of restored cases.
    pub assistant: Option<Arc<dyn Assistant>>,
}

pub(super) struct Online {
    sockets: usize,
    pub(super) user: User,
}

pub(super) struct Coordinator {
    pub(super) deps: Deps,
    pub(super) router: Router,
    pub(super) cases: HashMap<ConversationId, Case>,
    pub(super) online: HashMap<UserId, Online>,
    /// Assignments of agents who are not signed in (restored at start, or taken over over REST):
    /// given to the router when they sign in.
    pub(super) pending_assign: HashMap<UserId, Vec<(ConversationId, String)>>,
    /// The queue view changed since it was last published.
    dirty: bool,
}

/// Starts the coordinator. It restores open handoffs from the store first.
pub fn spawn(deps: Deps) -> (Handoff, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Command>(COMMANDS);
    let router = Router::new(deps.config.routing.clone());
    let mut c = Coordinator {
        deps,
        router,
        cases: HashMap::new(),
        online: HashMap::new(),
        pending_assign: HashMap::new(),
        dirty: true,
    };
    let task = tokio::spawn(
        async move {
            c.recover().await;
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    cmd = rx.recv() => match cmd {
                        Some(cmd) => c.handle(cmd).await,
                        None => break,
                    },
                    _ = tick.tick() => c.tick(Utc::now()).await,
                }
            }
        }
        .instrument(tracing::info_span!("handoff")),
    );
    (Handoff { tx }, task)
}

/// Answers `reply` once every write in `batch` is durable.
fn reply_after(batch: Vec<Pending>, reply: Reply) {
    tokio::spawn(async move {
        for pending in batch {
            match pending.outcome().await {
                Ok(WriteOutcome::Committed { .. } | WriteOutcome::Duplicate { .. }) => {}
                Ok(WriteOutcome::UnknownConversation) => {
                    let _ = reply.send(Err(HandoffError::NotEscalated));
                    return;
                }
                Err(e) => {
                    let _ = reply.send(Err(HandoffError::Storage(e.to_string())));
                    return;
                }
            }
        }
        let _ = reply.send(Ok(()));
    });
}

fn requeue_reason(r: RequeueReason) -> &'static str {
    match r {
        RequeueReason::Declined => "declined",
        RequeueReason::OfferExpired => "expired",
        RequeueReason::AgentOffline => "agent_offline",
        RequeueReason::AgentUnavailable => "agent_unavailable",
    }
}

pub(super) fn plausible_skill(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Coordinator {
    pub(super) fn count(&self, step: &'static str) {
        self.deps
            .metrics
            .handoff_events
            .get_or_create(&ReasonLabel { reason: step })
            .inc();
    }

    /// Queues one event behind everything queued before it.
    pub(super) async fn write(
        &self,
        conversation: &ConversationId,
        body: EventBody,
        at: Timestamp,
        batch: &mut Vec<Pending>,
    ) {
        let op = WriteOp::Append {
            conversation_id: conversation.clone(),
            body,
            client_id: None,
            at,
        };
        match self.deps.journal.submit(op).await {
            Ok(p) => batch.push(p),
            Err(e) => {
                warn!(conversation_id = %conversation, error = %e, "handoff write not queued")
            }
        }
    }

    pub(super) async fn say(
        &self,
        conversation: &ConversationId,
        speaker: Speaker,
        agent: Option<&UserId>,
        text: String,
        at: Timestamp,
        batch: &mut Vec<Pending>,
    ) {
        let mut message = Message::new(speaker, text, at);
        message.agent_id = agent.cloned();
        let body = EventBody::Message {
            message,
            routing_skill: None,
        };
        self.write(conversation, body, at, batch).await;
    }

    pub(super) fn name_of(&self, agent: &UserId) -> String {
        self.online
            .get(agent)
            .map(|o| o.user.name.clone())
            .unwrap_or_else(|| agent.to_string())
    }

    pub(super) async fn handle(&mut self, cmd: Command) {
        let now = Utc::now();
        match cmd {
            Command::Escalate {
                conversation,
                decision,
                likelihood,
                kb,
            } => {
                self.escalate(*conversation, decision, likelihood, kb, now)
                    .await
            }
            Command::Refresh { conversation, kb } => self.refresh(*conversation, kb, now).await,
            Command::Act {
                conversation_id,
                agent,
                action,
                fresh,
                reply,
            } => {
                let span = tracing::info_span!("handoff_action", conversation_id = %conversation_id, agent = %agent.username, action = action.name());
                let mut batch = Vec::new();
                let result = self
                    .act(&conversation_id, &agent, action, fresh, now, &mut batch)
                    .instrument(span)
                    .await;
                match result {
                    Ok(()) => reply_after(batch, reply),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::TakeOver {
                header,
                agent,
                draft,
                reply,
            } => {
                let mut batch = Vec::new();
                self.take_over(&header, &agent, draft, now, &mut batch)
                    .await;
                reply_after(batch, reply);
            }
            Command::SetStatus {
                agent,
                status,
                reply,
            } => {
                let actions = self.router.set_status(&agent, status, now);
                let mut batch = Vec::new();
                self.apply(actions, now, &mut batch).await;
                self.deps.hub.publish_user(
                    &agent,
                    &ServerFrame::AgentStatus {
                        status: status_name(status).into(),
                    },
                );
                reply_after(batch, reply);
            }
            Command::Connected { agent } => self.connected(agent, now).await,
            Command::Disconnected { agent } => self.disconnected(&agent, now).await,
            Command::Snapshot { reply } => {
                let _ = reply.send(self.snapshot());
            }
            Command::Rewritten {
                conversation_id,
                text,
            } => self.rewritten(&conversation_id, text, now).await,
            Command::Waiting {
                conversation_id,
                reply,
            } => {
                let _ = reply.send(self.waiting_state(&conversation_id, now));
                return;
            }
        }
        self.dirty = true;
    }

    async fn escalate(
        &mut self,
        conversation: Conversation,
        decision: Decision,
        likelihood: f64,
        kb: KnowledgeContext,
        now: Timestamp,
    ) {
        let id = conversation.header.conversation_id.clone();
        if self.cases.contains_key(&id) {
            return;
        }
        // An agent may have taken it over while the turn was evaluated.
        if self
            .deps
            .headers
            .get(&id)
            .is_some_and(|h| h.status != ConversationStatus::Ai)
        {
            return;
        }
        let mut escalation = decision.to_escalation();
        // Plan-based priority, from context the site vouched for (anonymous claims are kept
        // apart and never reach `customer.context`).
        let customer_record = &conversation.header.customer;
        if let Some(floor) = self.deps.config.routing.account_priority(customer_record) {
            escalation.urgency = escalation.urgency.max(floor);
        }
        let customer = conversation
            .header
            .customer
            .name
            .as_deref()
            .map(|n| first_name(n).to_owned());
        let case = Case::new(escalation.clone(), now, Arc::new(conversation), kb);
        let label = self.deps.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        let mut batch = Vec::new();
        self.write(
            &id,
            EventBody::EscalationTriggered {
                escalation,
                evidence: decision.evidence.clone(),
                likelihood: Some(likelihood),
            },
            now,
            &mut batch,
        )
        .await;
        self.write(
            &id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
            now,
            &mut batch,
        )
        .await;
        let (skill, urgency, language) = (case.skill().to_owned(), case.urgency(), case.language());
        self.cases.insert(id.clone(), case);
        self.deps
            .metrics
            .escalations
            .get_or_create(&ReasonLabel {
                reason: decision.trigger.as_str(),
            })
            .inc();
        info!(conversation_id = %id, trigger = decision.trigger.as_str(), skill = %skill, "escalated");
        let actions = self
            .router
            .enqueue(id.clone(), &skill, language.as_deref(), urgency, now);
        let offered = actions.iter().any(
            |a| matches!(a, RoutingAction::Offer { conversation_id, .. } if conversation_id == &id),
        );
        let nobody = self.router.agents_serving(&skill) == 0;
        let waiting = match self.router.wait_estimate(&id, now) {
            Some((position, _)) if nobody => Waiting::NobodyOnline { position },
            Some((position, estimate_secs)) if !offered => Waiting::Queued {
                position,
                estimate_secs,
            },
            _ => Waiting::Offered {
                estimate_secs: self.deps.config.routing.offer_timeout_secs,
            },
        };
        let text = self.deps.config.messages.escalation(
            decision.trigger,
            &skill,
            waiting,
            customer.as_deref(),
        );
        self.say(&id, Speaker::System, None, text, now, &mut batch)
            .await;
        self.apply(actions, now, &mut batch).await;
    }

    /// A language model's texts for the case's current facts replace the rules' in its briefings;
    /// a waiting case's stored briefing is refreshed so staff read them. Texts for older facts
    /// are dropped.
    async fn rewritten(&mut self, id: &ConversationId, text: BriefingText, now: Timestamp) {
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        let current = case
            .conversation
            .messages
            .iter()
            .map(|m| m.seq)
            .fold(case.conversation.header.last_seq, u64::max);
        if text.source_seq != current {
            return;
        }
        case.written = Some(text);
        if !case.waiting() {
            return;
        }
        let label = self.deps.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        let mut batch = Vec::new();
        self.write(
            id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
            now,
            &mut batch,
        )
        .await;
    }

    fn waiting_state(&self, id: &ConversationId, now: Timestamp) -> Option<WaitingState> {
        let case = self.cases.get(id)?;
        let skill = case.skill().to_owned();
        if let Some(agent) = case.accepted.first() {
            return Some(WaitingState {
                position: 0,
                estimate_secs: 0,
                nobody_online: false,
                skill,
                agent: Some(first_name(&self.name_of(agent)).to_owned()),
            });
        }
        let offer_secs = self.deps.config.routing.offer_timeout_secs;
        // Out of the queue while an agent holds the offer: first in line, at most the offer's time.
        let (position, queue_estimate) = self
            .router
            .wait_estimate(id, now)
            .unwrap_or((1, offer_secs));
        let estimate_secs = if case.offer_live {
            queue_estimate.min(offer_secs)
        } else {
            queue_estimate
        };
        Some(WaitingState {
            position,
            estimate_secs,
            nobody_online: self.router.agents_serving(&skill) == 0,
            skill,
            agent: None,
        })
    }

    async fn refresh(&mut self, conversation: Conversation, kb: KnowledgeContext, now: Timestamp) {
        let id = conversation.header.conversation_id.clone();
        let Some(case) = self.cases.get_mut(&id) else {
            return;
        };
        if !case.waiting() || case.conversation.header.last_seq >= conversation.header.last_seq {
            return;
        }
        case.conversation = Arc::new(conversation);
        if kb != KnowledgeContext::default() {
            case.kb = kb;
        }
        let mut batch = Vec::new();
        // What the customer wrote while waiting can make the case stronger or more urgent.
        let reassessed =
            self.deps
                .policy
                .reassess(&case.conversation, &case.escalation, case.queued_at);
        if let Some(escalation) = reassessed {
            case.escalation = escalation.clone();
            self.write(
                &id,
                EventBody::EscalationUpdated { escalation },
                now,
                &mut batch,
            )
            .await;
        }
        let Some(case) = self.cases.get(&id) else {
            return;
        };
        let label = self.deps.config.messages.skill(case.skill()).label;
        let briefing = case.briefing(None, &label, now);
        self.write(
            &id,
            EventBody::AgentBriefingReady {
                briefing: Box::new(briefing),
            },
            now,
            &mut batch,
        )
        .await;
    }

    /// Carries out the router's actions in order.
    pub(super) async fn apply(
        &mut self,
        actions: Vec<RoutingAction>,
        now: Timestamp,
        batch: &mut Vec<Pending>,
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
                } => {
                    self.offer(conversation_id, agent_id, *expires_at, now, batch)
                        .await
                }
                RoutingAction::OfferWithdrawn {
                    conversation_id,
                    agent_id,
                } => {
                    let reason = match actions.get(i + 1) {
                        Some(RoutingAction::Requeued {
                            conversation_id: c,
                            reason,
                        }) if c == conversation_id => requeue_reason(*reason),
                        _ => "withdrawn",
                    };
                    self.count(if reason == "expired" {
                        "expired"
                    } else {
                        "withdrawn"
                    });
                    if let Some(case) = self.cases.get_mut(conversation_id) {
                        case.offer_live = false;
                    }
                    let body = EventBody::HandoffDeclined {
                        agent_id: agent_id.clone(),
                        reason: reason.to_owned(),
                    };
                    self.write(conversation_id, body, now, batch).await;
                }
                RoutingAction::Assigned {
                    conversation_id,
                    agent_id,
                } => self.assigned(conversation_id, agent_id, now, batch).await,
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
                    self.count("specialist_invite");
                    let body = EventBody::SpecialistInvited {
                        agent_id: agent_id.clone(),
                        skill: skill.clone(),
                        invited_by: inviter,
                    };
                    self.write(conversation_id, body, now, batch).await;
                }
                RoutingAction::TransferOffered { .. } => self.count("transfer_offer"),
                RoutingAction::TransferFailed {
                    conversation_id,
                    reason,
                    ..
                } => {
                    self.transfer_failed(conversation_id, *reason, now, batch)
                        .await
                }
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
                        self.deps.hub.publish_user(
                            &inviter,
                            &ServerFrame::error(
                                "no_specialist",
                                format!("nobody with skill {skill:?} can join right now"),
                                Some(conversation_id.to_string()),
                            ),
                        );
                    }
                }
            }
        }
        for id in touched {
            self.tell_wait(&id, now, batch).await;
        }
    }

    /// Tells a waiting customer their place and wait when it changed. While an agent holds the
    /// offer the wait is at most the offer's answer time, not the queue's handle-time estimate.
    pub(super) async fn tell_wait(
        &mut self,
        id: &ConversationId,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) {
        let Some((position, queue_estimate)) = self.router.wait_estimate(id, now) else {
            return;
        };
        let offer_secs = self.deps.config.routing.offer_timeout_secs;
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
        self.write(id, body, now, batch).await;
    }

    async fn offer(
        &mut self,
        id: &ConversationId,
        agent: &UserId,
        expires_at: Timestamp,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) {
        let name = self.name_of(agent);
        let messages = &self.deps.config.messages;
        let Some(case) = self.cases.get_mut(id) else {
            return;
        };
        // Someone taking a transfer takes the conversation over; they are not a specialist.
        let specialist = !case.accepted.is_empty() && case.transfer.is_none();
        let label = messages.skill(case.offer_skill()).label;
        let briefing = Arc::new(case.briefing(Some(first_name(&name)), &label, now));
        case.offered.insert(agent.clone(), briefing.clone());
        case.offer_live = true;
        self.count("offer");
        let body = EventBody::HandoffOffered {
            agent_id: agent.clone(),
            agent_name: name,
            expires_at,
            specialist,
            briefing: Box::new(Briefing::clone(&briefing)),
        };
        self.write(id, body, now, batch).await;
    }

    async fn assigned(
        &mut self,
        id: &ConversationId,
        agent: &UserId,
        now: Timestamp,
        batch: &mut Vec<Pending>,
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
        self.count("accept");
        let body = EventBody::HandoffAccepted {
            agent_id: agent.clone(),
            agent_name: name.clone(),
        };
        self.write(id, body, now, batch).await;
        let messages = &self.deps.config.messages;
        let text = match handing_over {
            Some(from) => Some(messages.transfer_accepted(first_name(&from), &name, &skill)),
            None if first => Some(messages.accepted(&name, &skill)),
            None => None,
        };
        if let Some(text) = text {
            self.say(id, Speaker::System, None, text, now, batch).await;
        }
    }

    async fn act(
        &mut self,
        id: &ConversationId,
        agent: &User,
        action: AgentAction,
        fresh: Option<Box<Conversation>>,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) -> Result<(), HandoffError> {
        match action {
            AgentAction::Transfer {
                to_agent,
                to_skill,
                note,
            } => {
                let request = super::transfer::Request {
                    to_agent,
                    to_skill,
                    note,
                };
                self.transfer(id, agent, request, fresh.map(|c| *c), now, batch)
                    .await?
            }
            AgentAction::CancelTransfer => self.cancel_transfer(id, agent, now, batch).await?,
            AgentAction::Accept => {
                let actions = self
                    .router
                    .accept(id, &agent.id, now)
                    .map_err(routing_error)?;
                self.apply(actions, now, batch).await;
            }
            AgentAction::Decline { .. } => {
                let actions = self
                    .router
                    .decline(id, &agent.id, now)
                    .map_err(routing_error)?;
                self.count("decline");
                if let Some(case) = self.cases.get_mut(id) {
                    case.offer_live = false;
                }
                let body = EventBody::HandoffDeclined {
                    agent_id: agent.id.clone(),
                    reason: "declined".into(),
                };
                self.write(id, body, now, batch).await;
                self.apply(actions, now, batch).await;
            }
            AgentAction::OpenBriefing => {
                let case = self.cases.get_mut(id).ok_or(HandoffError::NotEscalated)?;
                if !case.offered.contains_key(&agent.id) && !case.accepted.contains(&agent.id) {
                    return Err(HandoffError::NotOffered);
                }
                if !case.opened.contains(&agent.id) {
                    case.opened.push(agent.id.clone());
                    let body = EventBody::BriefingOpened {
                        agent_id: agent.id.clone(),
                    };
                    self.write(id, body, now, batch).await;
                }
            }
            AgentAction::Join { introduction } => {
                self.join(id, agent, introduction, now, batch).await?
            }
            AgentAction::InviteSpecialist { skill } => {
                let skill = skill.trim().to_owned();
                if !plausible_skill(&skill) {
                    return Err(HandoffError::BadSkill);
                }
                let case = self
                    .cases
                    .get_mut(id)
                    .ok_or(HandoffError::NotInConversation)?;
                if !case.joined.contains_key(&agent.id) {
                    return Err(HandoffError::NotInConversation);
                }
                if case.invite.is_some() {
                    return Err(HandoffError::InvitePending);
                }
                case.invite = Some((skill.clone(), agent.id.clone()));
                let actions = self.router.invite_specialist(id, &skill, &agent.id, now);
                if actions.is_empty() {
                    if let Some(case) = self.cases.get_mut(id) {
                        case.invite = None;
                    }
                    return Err(HandoffError::InvitePending);
                }
                let nobody = actions
                    .iter()
                    .any(|a| matches!(a, RoutingAction::NoSpecialist { .. }));
                if nobody {
                    if let Some(case) = self.cases.get_mut(id) {
                        case.invite = None;
                    }
                    return Err(HandoffError::NoSpecialist(skill));
                }
                self.apply(actions, now, batch).await;
            }
            AgentAction::Resolve { note } => self.resolve(id, agent, note, now, batch).await?,
        }
        Ok(())
    }

    async fn join(
        &mut self,
        id: &ConversationId,
        agent: &User,
        introduction: Option<String>,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) -> Result<(), HandoffError> {
        let introduction = introduction
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if introduction
            .as_ref()
            .is_some_and(|s| s.len() > MAX_INTRODUCTION)
        {
            return Err(HandoffError::BadIntroduction(MAX_INTRODUCTION));
        }
        let case = self.cases.get_mut(id).ok_or(HandoffError::NotAccepted)?;
        if case.joined.contains_key(&agent.id) {
            return Err(HandoffError::AlreadyJoined);
        }
        if !case.accepted.contains(&agent.id) {
            return Err(HandoffError::NotAccepted);
        }
        if !case.opened.contains(&agent.id) {
            return Err(HandoffError::BriefingNotOpened);
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
        let label = self.deps.config.messages.skill(case.skill()).label;
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
        self.count("join");
        self.write(
            id,
            EventBody::AgentJoined {
                participant,
                specialist,
            },
            now,
            batch,
        )
        .await;
        if specialist {
            let text = self
                .deps
                .config
                .messages
                .specialist_joined(&agent.name, &specialist_skill);
            self.say(id, Speaker::System, None, text, now, batch).await;
        }
        let first_words = match (introduction, specialist) {
            (Some(text), _) => Some(text),
            (None, false) => suggested,
            (None, true) => None,
        };
        if let Some(text) = first_words {
            self.say(id, Speaker::Agent, Some(&agent.id), text, now, batch)
                .await;
        }
        if taking_over {
            self.complete_transfer(id, now, batch).await;
        }
        Ok(())
    }

    async fn resolve(
        &mut self,
        id: &ConversationId,
        agent: &User,
        note: Option<String>,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) -> Result<(), HandoffError> {
        let case = self.cases.get(id).ok_or(HandoffError::NotInConversation)?;
        if !case.joined.contains_key(&agent.id) {
            return Err(HandoffError::NotInConversation);
        }
        let note = note
            .map(|n| n.trim().chars().take(1000).collect::<String>())
            .filter(|n| !n.is_empty());
        let Some(mut case) = self.cases.remove(id) else {
            return Err(HandoffError::NotInConversation);
        };
        if let Some(t) = case.transfer.take() {
            let body = EventBody::TransferEnded {
                from_agent_id: t.from,
                to_agent_id: t.taken_by.or(t.to),
                outcome: "cancelled".into(),
            };
            self.write(id, body, now, batch).await;
        }
        self.count("resolve");
        self.write(
            id,
            EventBody::ConversationResolved {
                by: Some(agent.id.clone()),
                note,
            },
            now,
            batch,
        )
        .await;
        let text = self.deps.config.messages.resolved(&agent.name);
        self.say(id, Speaker::System, None, text, now, batch).await;
        // The agents leave, so a customer who writes again meets the assistant, not silence.
        for (_, participant) in case.joined.values() {
            let body = EventBody::ParticipantLeft {
                participant_id: participant.clone(),
            };
            self.write(id, body, now, batch).await;
        }
        let mut actions = self.router.withdraw(id, now);
        for (who, (joined_at, _)) in &case.joined {
            let secs = u64::try_from((now - *joined_at).num_seconds()).unwrap_or(0);
            actions.extend(self.router.released(id, who, secs, now));
        }
        for list in self.pending_assign.values_mut() {
            list.retain(|(c, _)| c != id);
        }
        self.apply(actions, now, batch).await;
        Ok(())
    }

    async fn take_over(
        &mut self,
        header: &ConversationHeader,
        agent: &User,
        draft: Option<Arc<Briefing>>,
        now: Timestamp,
        batch: &mut Vec<Pending>,
    ) {
        let id = header.conversation_id.clone();
        if !self.cases.contains_key(&id) {
            let escalation = Escalation {
                trigger: "agent_takeover".into(),
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
            self.write(
                &id,
                EventBody::EscalationTriggered {
                    escalation: escalation.clone(),
                    evidence: Vec::new(),
                    likelihood: header.handoff_likelihood,
                },
                now,
                batch,
            )
            .await;
            // The draft kept current every turn becomes the takeover's briefing.
            if let Some(draft) = draft {
                let mut briefing = Briefing::clone(&draft);
                briefing.escalation = escalation.clone();
                self.write(
                    &id,
                    EventBody::AgentBriefingReady {
                        briefing: Box::new(briefing),
                    },
                    now,
                    batch,
                )
                .await;
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
        self.count("take_over");
        let actions = self.router.assign(&id, &agent.id, &skill, now);
        if !self.online.contains_key(&agent.id) {
            self.pending_assign
                .entry(agent.id.clone())
                .or_default()
                .push((id.clone(), skill));
        }
        self.apply(actions, now, batch).await;
        let Some(case) = self.cases.get_mut(&id) else {
            return;
        };
        if !case.accepted.contains(&agent.id) {
            case.accepted.push(agent.id.clone());
            let body = EventBody::HandoffAccepted {
                agent_id: agent.id.clone(),
                agent_name: agent.name.clone(),
            };
            self.write(&id, body, now, batch).await;
        }
        let Some(case) = self.cases.get_mut(&id) else {
            return;
        };
        if case.joined.contains_key(&agent.id) {
            return;
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
        self.write(
            &id,
            EventBody::AgentJoined {
                participant,
                specialist: false,
            },
            now,
            batch,
        )
        .await;
    }

    async fn connected(&mut self, agent: User, now: Timestamp) {
        let id = agent.id.clone();
        let entry = self.online.entry(id.clone()).or_insert(Online {
            sockets: 0,
            user: agent.clone(),
        });
        entry.sockets += 1;
        entry.user = agent.clone();
        if entry.sockets > 1 {
            // Another tab: it learns the status the agent already has.
            let status = self
                .router
                .agent_status(&id)
                .unwrap_or(AgentStatus::Available);
            self.deps.hub.publish_user(
                &id,
                &ServerFrame::AgentStatus {
                    status: status_name(status).into(),
                },
            );
            return;
        }
        self.deps
            .metrics
            .agents_online
            .set(self.online.len() as i64);
        let mut actions = self.router.agent_online(&agent, now);
        for (conversation, skill) in self.pending_assign.remove(&id).unwrap_or_default() {
            actions.extend(self.router.assign(&conversation, &id, &skill, now));
        }
        let mut batch = Vec::new();
        self.apply(actions, now, &mut batch).await;
        self.deps.hub.publish_user(
            &id,
            &ServerFrame::AgentStatus {
                status: "available".into(),
            },
        );
    }

    async fn disconnected(&mut self, agent: &UserId, now: Timestamp) {
        let Some(entry) = self.online.get_mut(agent) else {
            return;
        };
        entry.sockets = entry.sockets.saturating_sub(1);
        if entry.sockets > 0 {
            return;
        }
        let actions = self.router.agent_offline(agent, now);
        let mut batch = Vec::new();
        self.apply(actions, now, &mut batch).await;
        self.online.remove(agent);
        self.deps
            .metrics
            .agents_online
            .set(self.online.len() as i64);
    }

    /// Expires offers, hands back conversations nobody accepted in time, publishes the queue view.
    pub(super) async fn tick(&mut self, now: Timestamp) {
        let mut batch = Vec::new();
        let actions = self.router.tick(now);
        if !actions.is_empty() {
            self.dirty = true;
        }
        self.apply(actions, now, &mut batch).await;
        let due: Vec<ConversationId> = self
            .cases
            .iter()
            .filter(|(_, c)| c.waiting() && self.deps.policy.hand_back_due(c.queued_at, now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            // A customer who left an e-mail address waits for a person however long it takes:
            // the reply reaches them by e-mail.
            if self.follows_up_by_email(&id).await {
                continue;
            }
            let Some(case) = self.cases.remove(&id) else {
                continue;
            };
            self.dirty = true;
            self.count("hand_back");
            info!(conversation_id = %id, "no agent accepted in time; handed back to the assistant");
            let actions = self.router.withdraw(&id, now);
            self.apply(actions, now, &mut batch).await;
            self.write(
                &id,
                EventBody::HandedBack {
                    reason: "no_agent_accepted".into(),
                },
                now,
                &mut batch,
            )
            .await;
            // A system message also closes the policy's evidence window, so the same words
            // cannot escalate again at once.
            let text = self.deps.config.messages.handed_back(case.skill());
            self.say(&id, Speaker::System, None, text, now, &mut batch)
                .await;
        }
        let queued = self.cases.values().filter(|c| c.waiting()).count();
        self.deps.metrics.handoff_queued.set(queued as i64);
        if std::mem::take(&mut self.dirty) {
            let snapshot = self.snapshot();
            self.deps.hub.publish_queue(move || snapshot);
        }
    }

    /// Whether the customer left an e-mail address to be answered by e-mail (`followup`).
    async fn follows_up_by_email(&self, id: &ConversationId) -> bool {
        match self.deps.headers.get(id) {
            Some(h) => h.followup.is_some(),
            None => matches!(self.deps.store.header(id).await, Ok(Some(h)) if h.followup.is_some()),
        }
    }

    /// The router's snapshot with names, customers and summaries added, for the agent page.
    fn snapshot(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self.router.snapshot()).unwrap_or_default();
        if let Some(agents) = v.get_mut("agents").and_then(|a| a.as_array_mut()) {
            for a in agents {
                let name = a
                    .get("agentId")
                    .and_then(|id| id.as_str())
                    .map(|id| self.name_of(&UserId::from(id)));
                if let (Some(obj), Some(name)) = (a.as_object_mut(), name) {
                    obj.insert("name".into(), name.into());
                }
            }
        }
        if let Some(queues) = v.get_mut("queues").and_then(|q| q.as_array_mut()) {
            for q in queues {
                let Some(list) = q.get_mut("conversations").and_then(|c| c.as_array_mut()) else {
                    continue;
                };
                for entry in list {
                    let case = entry
                        .get("conversationId")
                        .and_then(|id| id.as_str())
                        .and_then(|id| self.cases.get(&ConversationId::from(id)));
                    let (Some(case), Some(obj)) = (case, entry.as_object_mut()) else {
                        continue;
                    };
                    obj.insert(
                        "customerName".into(),
                        case.conversation.header.customer.name.clone().into(),
                    );
                    obj.insert("trigger".into(), case.escalation.trigger.clone().into());
                    let by_email = self
                        .deps
                        .headers
                        .get(&case.conversation.header.conversation_id)
                        .is_some_and(|h| h.followup.is_some());
                    obj.insert("emailFollowup".into(), by_email.into());
                }
            }
        }
        v
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

fn status_name(s: AgentStatus) -> &'static str {
    match s {
        AgentStatus::Available => "available",
        AgentStatus::Busy => "busy",
        AgentStatus::Away => "away",
    }
}

fn routing_error(e: RoutingError) -> HandoffError {
    match e {
        RoutingError::OfferExpired { .. } => HandoffError::OfferExpired,
        _ => HandoffError::NotOffered,
    }
}
