//! The coordinator task: one loop over commands and a clock tick. The decisions are
//! `crate::handoff::steps`'s (it owns the router and the live cases); the task feeds it the
//! commands, the time and what only IO can tell (the header cache, the store), and carries out
//! the steps it returns: writes queued on the journal in order, metrics, frames to agents. See
//! the module docs for the ordering and durability contract.

use super::{AgentAction, Command, Handoff, HandoffError, Reply, COMMANDS};
use crate::assistant::Assistant;
use crate::chat::{Hub, ServerFrame};
use crate::domain::{
    AgentLoad, CaseSummary, Conversation, ConversationId, ConversationStatus, EventBody, QueueView,
    QueuedCase, SkillQueue, Timestamp, User,
};
use crate::handoff::policy::EscalationPolicy;
use crate::handoff::steps::{Step, Steps, TransferRequest};
use crate::handoff::HandoffConfig;
use crate::metrics::{Metrics, ReasonLabel};
use crate::service::headers::HeaderCache;
use crate::service::tasks::{stopped, Tasks};
use crate::storage::journal::{Journal, Pending};
use crate::storage::{Store, WriteOp, WriteOutcome};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn, Instrument};

/// How often offers are expired, hand-backs checked and the queue view refreshed.
const TICK: Duration = Duration::from_millis(500);
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
    /// Where the coordinator and its replies run (tracked, so shutdown waits for them).
    pub tasks: Arc<Tasks>,
    /// Turns true (or its sender is dropped) when the coordinator is to stop, after the step in
    /// hand: at shutdown, once the turn worker has finished (`turns::TurnDeps::finished`).
    pub stop: watch::Receiver<bool>,
}

pub(super) struct Coordinator {
    pub(super) deps: Deps,
    /// Every decision: the live cases, the router, who is signed in.
    pub(super) steps: Steps,
    /// The queue view changed since it was last published.
    dirty: bool,
    /// The latest write nobody waits for (an escalation's events, a tick's expiries): the
    /// journal commits in order, so once it is durable every earlier one is too. Stopping waits
    /// for it.
    last_write: Option<Pending>,
}

/// Starts the coordinator on `deps.tasks`. It restores open handoffs from the store first, and
/// stops when `deps.stop` turns true, after the step in hand and the commands already queued
/// (their writes are queued on the journal by then, and their replies follow once durable). The
/// state it holds is the log's: the next start rebuilds it (`recover`).
pub fn spawn(deps: Deps) -> Handoff {
    let (tx, mut rx) = mpsc::channel::<Command>(COMMANDS);
    let steps = Steps::new(deps.config.clone(), deps.policy.clone());
    let tasks = deps.tasks.clone();
    let mut stop = deps.stop.clone();
    let mut c = Coordinator {
        deps,
        steps,
        dirty: true,
        last_write: None,
    };
    tasks.spawn(
        "handoff coordinator",
        async move {
            tokio::select! {
                () = stopped(&mut stop) => return,
                () = c.recover() => {}
            }
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Commands and ticks take turns (unbiased), the stop is seen after each.
            while !*stop.borrow() {
                tokio::select! {
                    () = stopped(&mut stop) => break,
                    cmd = rx.recv() => match cmd {
                        Some(cmd) => c.handle(cmd).await,
                        None => break,
                    },
                    _ = tick.tick() => c.tick(Utc::now()).await,
                }
            }
            // What was queued before the stop is carried out (the last turns' escalations), and
            // written before the coordinator ends.
            for _ in 0..rx.len() {
                let Ok(cmd) = rx.try_recv() else { break };
                c.handle(cmd).await;
            }
            if let Some(last) = c.last_write.take() {
                if let Err(e) = last.outcome().await {
                    warn!(error = %e, "the coordinator's last writes failed");
                }
            }
            info!("handoff coordinator stopped");
        }
        .instrument(tracing::info_span!("handoff")),
    );
    Handoff { tx, tasks }
}

/// Answers `reply` once every write in `batch` is durable.
fn reply_after(tasks: &Tasks, batch: Vec<Pending>, reply: Reply) {
    tasks.spawn("handoff reply", async move {
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

impl Coordinator {
    /// Queues one event behind everything queued before it.
    async fn write(
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

    /// Carries out the engine's steps in order; writes are stamped `now` and their pending
    /// outcomes collected in `batch`.
    pub(super) async fn run(&self, steps: Vec<Step>, now: Timestamp, batch: &mut Vec<Pending>) {
        for step in steps {
            match step {
                Step::Write {
                    conversation_id,
                    body,
                } => self.write(&conversation_id, *body, now, batch).await,
                Step::Count(milestone) => {
                    self.deps
                        .metrics
                        .handoff_events
                        .get_or_create(&ReasonLabel {
                            reason: milestone.as_str(),
                        })
                        .inc();
                }
                Step::Escalated {
                    conversation_id,
                    trigger,
                    skill,
                } => {
                    self.deps
                        .metrics
                        .escalations
                        .get_or_create(&ReasonLabel {
                            reason: trigger.as_str(),
                        })
                        .inc();
                    info!(conversation_id = %conversation_id, trigger = trigger.as_str(), skill = %skill, "escalated");
                }
                Step::HandedBack { conversation_id } => {
                    info!(conversation_id = %conversation_id, "no agent accepted in time; handed back to the assistant");
                }
                Step::Status { agent, status } => {
                    self.deps.hub.publish_user(
                        &agent,
                        &ServerFrame::AgentStatus {
                            status: status.as_str().into(),
                        },
                    );
                }
                Step::NoSpecialist {
                    inviter,
                    conversation_id,
                    skill,
                } => {
                    self.deps.hub.publish_user(
                        &inviter,
                        &ServerFrame::error(
                            "no_specialist",
                            format!("nobody with skill {skill:?} can join right now"),
                            Some(conversation_id.to_string()),
                        ),
                    );
                }
                Step::AgentsOnline(n) => {
                    self.deps.metrics.agents_online.set(n as i64);
                }
            }
        }
    }

    /// Carries out `steps` whose writes nobody waits for.
    async fn run_unacked(&mut self, steps: Vec<Step>, now: Timestamp) {
        let mut batch = Vec::new();
        self.run(steps, now, &mut batch).await;
        self.keep_last(batch);
    }

    /// Keeps the last of `batch`'s writes for the stop to wait on (see `last_write`).
    pub(super) fn keep_last(&mut self, mut batch: Vec<Pending>) {
        if let Some(last) = batch.pop() {
            self.last_write = Some(last);
        }
    }

    /// Carries out `steps` and answers `reply` once their writes are durable.
    async fn run_and_reply(&self, steps: Vec<Step>, now: Timestamp, reply: Reply) {
        let mut batch = Vec::new();
        self.run(steps, now, &mut batch).await;
        reply_after(&self.deps.tasks, batch, reply);
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
                // An agent may have taken it over while the turn was evaluated.
                let staff_have_it = self
                    .deps
                    .headers
                    .get(&conversation.header.conversation_id)
                    .is_some_and(|h| h.status != ConversationStatus::Ai);
                let steps = self.steps.escalate(
                    *conversation,
                    &decision,
                    likelihood,
                    kb,
                    staff_have_it,
                    now,
                );
                self.run_unacked(steps, now).await;
            }
            Command::Refresh { conversation, kb } => {
                let steps = self.steps.refresh(*conversation, kb, now);
                self.run_unacked(steps, now).await;
            }
            Command::Act {
                conversation_id,
                agent,
                action,
                fresh,
                reply,
            } => {
                let span = tracing::info_span!("handoff_action", conversation_id = %conversation_id, agent = %agent.username, action = action.name());
                let decided =
                    span.in_scope(|| self.act(&conversation_id, &agent, action, fresh, now));
                match decided {
                    Ok(steps) => self.run_and_reply(steps, now, reply).instrument(span).await,
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
                let steps = self.steps.take_over(&header, &agent, draft, now);
                self.run_and_reply(steps, now, reply).await;
            }
            Command::SetStatus {
                agent,
                status,
                reply,
            } => {
                let steps = self.steps.set_status(&agent, status, now);
                self.run_and_reply(steps, now, reply).await;
            }
            Command::Connected { agent } => {
                let steps = self.steps.connected(agent, now);
                self.run_unacked(steps, now).await;
            }
            Command::Disconnected { agent } => {
                let steps = self.steps.disconnected(&agent, now);
                self.run_unacked(steps, now).await;
            }
            Command::Snapshot { reply } => {
                let _ = reply.send(self.snapshot());
            }
            Command::Rewritten {
                conversation_id,
                text,
            } => {
                let steps = self.steps.rewritten(&conversation_id, text, now);
                self.run_unacked(steps, now).await;
            }
            Command::Waiting {
                conversation_id,
                reply,
            } => {
                let _ = reply.send(self.steps.waiting(&conversation_id, now));
                return;
            }
        }
        self.dirty = true;
    }

    /// An agent's command, as the engine decides it.
    fn act(
        &mut self,
        id: &ConversationId,
        agent: &User,
        action: AgentAction,
        fresh: Option<Box<Conversation>>,
        now: Timestamp,
    ) -> Result<Vec<Step>, HandoffError> {
        let steps = &mut self.steps;
        let result = match action {
            AgentAction::Transfer {
                to_agent,
                to_skill,
                note,
            } => {
                let request = TransferRequest {
                    to_agent,
                    to_skill,
                    note,
                };
                steps.transfer(id, agent, request, fresh.map(|c| *c), now)
            }
            AgentAction::CancelTransfer => steps.cancel_transfer(id, agent, now),
            AgentAction::Accept => steps.accept(id, agent, now),
            AgentAction::Decline { .. } => steps.decline(id, agent, now),
            AgentAction::OpenBriefing => steps.open_briefing(id, agent),
            AgentAction::Join { introduction } => steps.join(id, agent, introduction, now),
            AgentAction::InviteSpecialist { skill } => {
                steps.invite_specialist(id, agent, &skill, now)
            }
            AgentAction::Resolve { note } => steps.resolve(id, agent, note, now),
        };
        result.map_err(HandoffError::from)
    }

    /// Expires offers, hands back conversations nobody accepted in time, publishes the queue view.
    pub(super) async fn tick(&mut self, now: Timestamp) {
        let mut batch = Vec::new();
        let (steps, routed) = self.steps.tick(now);
        if routed {
            self.dirty = true;
        }
        self.run(steps, now, &mut batch).await;
        for id in self.steps.hand_back_due(now) {
            // A customer who left an e-mail address waits for a person however long it takes:
            // the reply reaches them by e-mail.
            if self.follows_up_by_email(&id).await {
                continue;
            }
            let Some(steps) = self.steps.hand_back(&id, now) else {
                continue;
            };
            self.dirty = true;
            self.run(steps, now, &mut batch).await;
        }
        self.keep_last(batch);
        let queued = self.steps.waiting_count();
        self.deps.metrics.handoff_queued.set(queued as i64);
        if std::mem::take(&mut self.dirty) {
            self.deps.hub.publish_queue(|| self.snapshot());
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
    fn snapshot(&self) -> QueueView {
        let routing = self.steps.router().snapshot();
        let queues = routing
            .queues
            .into_iter()
            .map(|q| SkillQueue {
                skill: q.skill,
                agents_serving: q.agents_serving,
                mean_handle_secs: q.mean_handle_secs,
                conversations: q
                    .conversations
                    .into_iter()
                    .map(|c| {
                        let case = self.steps.case(&c.conversation_id).map(|case| {
                            let header = &case.conversation.header;
                            CaseSummary {
                                customer_name: header.customer.name.clone(),
                                trigger: case.escalation.trigger.clone(),
                                email_followup: self
                                    .deps
                                    .headers
                                    .get(&header.conversation_id)
                                    .is_some_and(|h| h.followup.is_some()),
                            }
                        });
                        QueuedCase {
                            conversation_id: c.conversation_id,
                            position: c.position,
                            urgency: c.urgency,
                            language: c.language,
                            enqueued_at: c.enqueued_at,
                            estimate_secs: c.estimate_secs,
                            offered_to: c.offered_to,
                            case,
                        }
                    })
                    .collect(),
                waiting: None,
            })
            .collect();
        let agents = routing
            .agents
            .into_iter()
            .map(|a| AgentLoad {
                name: self.steps.name_of(&a.agent_id),
                agent_id: a.agent_id,
                status: a.status,
                online: a.online,
                load: a.load,
                max_concurrent: a.max_concurrent,
                skills: Some(a.skills),
                languages: Some(a.languages),
                conversations: a.conversations,
                offer: a.offer,
                idle_since: a.idle_since,
            })
            .collect();
        QueueView { queues, agents }
    }
}
