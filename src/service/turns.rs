//! Customer turns, beside the request path: each committed customer message arrives here over a
//! bounded channel. While the assistant owns the conversation it answers (with a time limit), the
//! escalation policy looks at the conversation including that answer, the likelihood score and a
//! draft briefing are refreshed, the answer is committed as an `ai` message, and a decision to
//! escalate goes to the handoff coordinator. While the conversation waits for an agent the
//! coordinator gets the new messages for the briefing, and the assistant stays honest: it answers
//! "is anyone coming?" with the place in line and the estimate (offering to continue by e-mail when
//! nobody is online, and noting the address), keeps answering what the knowledge base covers,
//! and otherwise says that what the customer added is passed on. Several conversations are handled
//! at once; a slow external bot never blocks the chat.

use super::handoff::Handoff;
use super::preparation::{Draft, Preparation};
use super::tasks::{stopped, until_stopped, Tasks};
use crate::analysis::intent::FALLBACK_SKILL;
use crate::analysis::requests::asks_for_person;
use crate::analysis::waiting::{asks_about_wait, email_in};
use crate::assistant::{Assistant, AssistantError, AssistantReply};
use crate::domain::{
    Briefing, Conversation, ConversationId, Escalation, EventBody, KnowledgeContext, Message,
    Speaker, Urgency,
};
use crate::handoff::briefing::{build_briefing, BriefingInput};
use crate::handoff::messages::MessagesConfig;
use crate::handoff::policy::{Decision, EscalationPolicy, Guard, PolicyInput, Trigger};
use crate::metrics::Metrics;
use crate::storage::{journal::Journal, Store, WriteOp};
use chrono::Utc;
use futures_util::FutureExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

/// Briefings written by a language model at once; more are skipped (the rules' text stands).
pub const BRIEFING_WRITERS: usize = 4;

/// A committed customer message waiting for its turn.
#[derive(Debug)]
pub struct TurnJob {
    pub conversation_id: ConversationId,
    pub message: Message,
}

/// Turns handled at once.
const CONCURRENT_TURNS: usize = 16;
/// Jobs queued before new ones are skipped (and counted).
pub const QUEUE: usize = 4096;
/// Longest wait for one reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Confidence of the assistant's own lines while the customer waits (nothing is being guessed).
const WAITING_CONFIDENCE: f64 = 0.9;
/// What the customer sees when the assistant fails.
const FALLBACK: &str =
    "Sorry, I couldn't process that just now. Could you try again, or ask for a person?";

pub struct TurnDeps {
    pub assistant: Option<Arc<dyn Assistant>>,
    pub store: Arc<dyn Store>,
    pub journal: Journal,
    pub metrics: Arc<Metrics>,
    pub policy: Arc<EscalationPolicy>,
    /// `None` when `[handoff] enabled = false`: the assistant answers, nothing escalates.
    pub handoff: Option<Handoff>,
    pub preparation: Arc<Preparation>,
    /// What the customer reads while waiting (`[handoff.messages]`).
    pub messages: Arc<MessagesConfig>,
    /// Briefings a language model may be writing at once (`write_briefing`).
    pub writers: Arc<Semaphore>,
    /// E-mail is configured: an address a waiting customer types while nobody is online becomes
    /// an e-mail follow-up (`followup_requested`), as the assistant's answer promises.
    pub email_followups: bool,
    /// Where the turn worker, its turns and the briefing rewrites run (tracked, so shutdown
    /// waits for them).
    pub tasks: Arc<Tasks>,
    /// Turns true when the gateway shuts down.
    pub stop: watch::Receiver<bool>,
    /// Set once the worker has ended: the handoff coordinator stops only then, so the
    /// escalations the last turns decide still reach it.
    pub finished: watch::Sender<bool>,
}

/// Starts the turn worker on `deps.tasks`; customer messages are queued on the returned sender.
/// When the gateway stops, the turns in flight finish (their answers and decisions are
/// committed) and the worker ends; turns still queued are not started.
pub fn spawn(deps: TurnDeps) -> mpsc::Sender<TurnJob> {
    let (tx, mut rx) = mpsc::channel::<TurnJob>(QUEUE);
    let mut stop = deps.stop.clone();
    let tasks = deps.tasks.clone();
    let deps = Arc::new(deps);
    tasks.spawn("turns", async move {
        let mut running = JoinSet::new();
        loop {
            // At most `CONCURRENT_TURNS` at once: while full, only a turn's end moves on.
            let room = running.len() < CONCURRENT_TURNS;
            tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                Some(done) = running.join_next(), if !running.is_empty() => turn_ended(done),
                job = rx.recv(), if room => match job {
                    Some(job) => {
                        let deps = deps.clone();
                        let span =
                            tracing::info_span!("turn", conversation_id = %job.conversation_id);
                        running.spawn(async move { turn(&deps, job).await }.instrument(span));
                    }
                    None => break,
                },
            }
        }
        // New messages get no turn from now on (their senders see the queue closed); those
        // queued get none either: the messages themselves are committed.
        rx.close();
        let mut not_started = 0;
        while rx.try_recv().is_ok() {
            not_started += 1;
        }
        if !running.is_empty() || not_started > 0 {
            info!(
                in_flight = running.len(),
                not_started, "stopping: finishing the turns in flight"
            );
        }
        while let Some(done) = running.join_next().await {
            turn_ended(done);
        }
        deps.finished.send_replace(true);
    });
    tx
}

fn turn_ended(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            tracing::error!(error = %e, "a turn panicked");
        }
    }
}

async fn turn(deps: &TurnDeps, job: TurnJob) {
    // The opening and the newest messages, not the whole log: a turn costs the same in the
    // thousandth message as in the first.
    let window = crate::storage::MessageWindow::TURN;
    let mut conversation = match deps
        .store
        .conversation_window(&job.conversation_id, window)
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            warn!(error = %e, "turn could not load the conversation");
            deps.metrics.assistant_failures.inc();
            return;
        }
    };
    match deps.policy.guard(&conversation.header) {
        Guard::Allowed => {}
        Guard::AlreadyQueued => {
            if let Some(handoff) = &deps.handoff {
                waiting_turn(deps, handoff, conversation, &job).await;
            }
            return;
        }
        Guard::HumanOwns | Guard::Resolved => return,
    }
    let reply = match &deps.assistant {
        Some(a) => Some(ask(a, deps, &conversation, &job.message).await),
        None => None,
    };
    let now = Utc::now();
    let reply_message = reply.as_ref().map(|r| {
        let mut m = Message::new(Speaker::Ai, r.content.clone(), now);
        m.confidence = Some(r.confidence.clamp(0.0, 1.0));
        m.actions_attempted = r.actions_attempted.clone();
        m.sources = r.sources.clone();
        m
    });
    if let Some(m) = &reply_message {
        conversation.messages.push(m.clone());
    }
    let likelihood = deps.policy.likelihood(&conversation);
    let decision = deps
        .handoff
        .as_ref()
        .and_then(|_| {
            deps.policy.evaluate(&PolicyInput {
                conversation: &conversation,
                assistant_out_of_scope: reply.as_ref().is_some_and(|r| r.out_of_scope),
                bot_handoff_reason: reply
                    .as_ref()
                    .and_then(|r| r.handoff.as_ref())
                    .map(|h| h.reason.as_str()),
                now,
            })
        })
        .map(|d| with_bot_request(d, reply.as_ref()));
    // On escalation the gateway's own message explains the handoff, so the assistant's reply is
    // kept only when it is part of the evidence (a low-confidence or out-of-scope answer) and is
    // not itself a handoff announcement, which would say the same thing twice.
    let post_reply = match (&decision, &reply_message, &reply) {
        (Some(d), Some(m), Some(r)) => r.handoff.is_none() && d.evidence.contains(&m.id),
        (_, Some(_), _) => true,
        _ => false,
    };
    if !post_reply && reply_message.is_some() {
        conversation.messages.pop();
    }
    if let (true, Some(mut message)) = (post_reply, reply_message) {
        message.handoff_likelihood = Some(likelihood);
        let op = WriteOp::Append {
            conversation_id: job.conversation_id.clone(),
            body: EventBody::Message {
                message,
                routing_skill: None,
            },
            client_id: Some(format!("ai-reply-{}", job.message.id)),
            at: now,
        };
        if let Err(e) = deps.journal.write(op).await {
            warn!(error = %e, "assistant reply not stored");
            deps.metrics.assistant_failures.inc();
            return;
        }
        deps.metrics.assistant_replies.inc();
    }
    // After the reply is out: the customer does not wait for the briefing work.
    let kb = knowledge(deps, &conversation);
    if deps.handoff.is_some() {
        let escalation = decision
            .as_ref()
            .map(Decision::to_escalation)
            .unwrap_or_else(|| not_escalated(&conversation, likelihood));
        prepare(deps, &conversation, escalation, likelihood, &kb, now);
    }
    if let (Some(decision), Some(handoff)) = (decision, &deps.handoff) {
        if let Err(e) = handoff
            .escalate(conversation, decision, likelihood, kb)
            .await
        {
            warn!(error = %e, "escalation not handed to the coordinator");
        }
    }
}

async fn ask(
    assistant: &Arc<dyn Assistant>,
    deps: &TurnDeps,
    conversation: &Conversation,
    message: &Message,
) -> AssistantReply {
    let started = Instant::now();
    let answered = async {
        if !assistant.runs_locally() {
            return assistant.reply(conversation, message).await;
        }
        // A local assistant computes (embeddings, retrieval) without waiting on anything: on a
        // blocking thread, so the async workers keep serving sockets meanwhile.
        let (a, c, m) = (assistant.clone(), conversation.clone(), message.clone());
        tokio::task::spawn_blocking(move || a.reply(&c, &m).now_or_never())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| {
                Err(AssistantError::Config(
                    "the local assistant did not finish".into(),
                ))
            })
    };
    let reply = match tokio::time::timeout(REPLY_TIMEOUT, answered).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            warn!(error = %e, assistant = assistant.name(), "assistant failed");
            deps.metrics.assistant_failures.inc();
            fallback()
        }
        Err(_) => {
            warn!(assistant = assistant.name(), "assistant timed out");
            deps.metrics.assistant_failures.inc();
            fallback()
        }
    };
    deps.metrics
        .assistant_seconds
        .observe(started.elapsed().as_secs_f64());
    reply
}

/// A bot that asked for a person may name the skill and urgency; they refine the decision.
fn with_bot_request(mut d: Decision, reply: Option<&AssistantReply>) -> Decision {
    let Some(h) = reply.and_then(|r| r.handoff.as_ref()) else {
        return d;
    };
    // The bot's skill wins for its own request, and whenever the policy only knows "general"
    // ("a person please" says nothing about the topic; the bot may know it).
    if d.trigger == Trigger::BotRequest || d.recommended_skill == FALLBACK_SKILL {
        if let Some(skill) = h.skill.as_ref().filter(|s| !s.trim().is_empty()) {
            d.recommended_skill = skill.clone();
        }
    }
    if let Some(u) = h.urgency {
        d.urgency = d.urgency.max(u);
    }
    d
}

fn knowledge(deps: &TurnDeps, conversation: &Conversation) -> KnowledgeContext {
    deps.assistant
        .as_ref()
        .map(|a| a.knowledge(conversation))
        .unwrap_or_default()
}

/// A customer message while the conversation waits for an agent: the briefing is refreshed, and
/// the assistant answers the customer honestly (see the module docs).
async fn waiting_turn(
    deps: &TurnDeps,
    handoff: &Handoff,
    conversation: Conversation,
    job: &TurnJob,
) {
    let id = job.conversation_id.clone();
    let state = handoff.waiting(&id).await;
    let text = &job.message.content;
    let messages = &deps.messages;
    let reply = match &state {
        None => None,
        // Asking for a person again is asking how long: they are already in line for one.
        Some(w) if asks_about_wait(text) || asks_for_person(text) => Some(AssistantReply::text(
            messages.waiting_answer(w),
            WAITING_CONFIDENCE,
        )),
        // They left an e-mail address to be answered by e-mail: the assistant stays quiet (they
        // are likely gone); the briefing still takes in what they added.
        Some(_) if conversation.header.followup.is_some() => None,
        Some(w) if w.nobody_online && email_in(text).is_some() => {
            let email = email_in(text).unwrap_or_default();
            if deps.email_followups {
                note_followup(deps, &id, email).await;
            }
            Some(AssistantReply::text(
                messages.email_noted(w, email),
                WAITING_CONFIDENCE,
            ))
        }
        Some(w) => {
            let answer = match &deps.assistant {
                Some(a) => Some(ask(a, deps, &conversation, &job.message).await),
                None => None,
            };
            // A confident knowledge-base answer helps while they wait; anything else is passed on.
            match answer {
                Some(r)
                    if !r.sources.is_empty()
                        && !r.out_of_scope
                        && r.handoff.is_none()
                        && r.confidence >= deps.policy.config().low_confidence =>
                {
                    Some(r)
                }
                _ => Some(AssistantReply::text(
                    messages.noted_for_agent(w),
                    WAITING_CONFIDENCE,
                )),
            }
        }
    };
    let Some(r) = reply else {
        let kb = knowledge(deps, &conversation);
        handoff.refresh(conversation, kb).await;
        return;
    };
    let now = Utc::now();
    let mut message = Message::new(Speaker::Ai, r.content, now);
    message.confidence = Some(r.confidence.clamp(0.0, 1.0));
    message.actions_attempted = r.actions_attempted;
    message.sources = r.sources;
    let op = WriteOp::Append {
        conversation_id: id,
        body: EventBody::Message {
            message,
            routing_skill: None,
        },
        client_id: Some(format!("ai-reply-{}", job.message.id)),
        at: now,
    };
    match deps.journal.write(op).await {
        Ok(_) => {
            deps.metrics.assistant_replies.inc();
        }
        Err(e) => {
            warn!(error = %e, "assistant reply while waiting not stored");
            deps.metrics.assistant_failures.inc();
        }
    }
    let kb = knowledge(deps, &conversation);
    if let Some(escalation) = conversation.header.escalation.clone() {
        let likelihood = conversation.header.handoff_likelihood.unwrap_or(1.0);
        prepare(deps, &conversation, escalation, likelihood, &kb, Utc::now());
    }
    handoff.refresh(conversation, kb).await;
}

/// Commits the address a waiting customer typed as their e-mail follow-up (when it is one).
async fn note_followup(deps: &TurnDeps, id: &ConversationId, email: &str) {
    let Ok(email) = crate::domain::followup::valid_email(email) else {
        return;
    };
    let op = WriteOp::Append {
        conversation_id: id.clone(),
        body: EventBody::FollowupRequested { email },
        client_id: None,
        at: Utc::now(),
    };
    if let Err(e) = deps.journal.write(op).await {
        warn!(error = %e, "e-mail follow-up from the chat not stored");
    }
}

/// Has the assistant's language model write the draft's summary and introduction anew, beside
/// the turns: the customer never waits for it, and an escalation starts with the rules' text and
/// is refreshed with the model's when it arrives (`Handoff::rewritten`). Skipped when the model
/// is already busy writing as many as it may.
fn write_briefing(deps: &TurnDeps, conversation_id: ConversationId, draft: Arc<Briefing>) {
    let (Some(assistant), Some(handoff)) = (deps.assistant.clone(), deps.handoff.clone()) else {
        return;
    };
    if !assistant.writes_briefings() {
        return;
    }
    let Ok(permit) = deps.writers.clone().try_acquire_owned() else {
        return;
    };
    let preparation = deps.preparation.clone();
    // Not worth holding a shutdown for: the rules' text stands without it.
    deps.tasks.spawn(
        "briefing rewrite",
        until_stopped(
            deps.stop.clone(),
            async move {
                if let Some(text) = assistant.phrase_briefing(&draft).await {
                    preparation.put_written(conversation_id.clone(), text.clone());
                    handoff.rewritten(conversation_id, text).await;
                }
                drop(permit);
            }
            .in_current_span(),
        ),
    );
}

/// The escalation a draft briefing is written under while nobody escalated.
fn not_escalated(conversation: &Conversation, likelihood: f64) -> Escalation {
    Escalation {
        trigger: "not_escalated".into(),
        ai_assessment: format!(
            "Not escalated; handoff likelihood {:.0}%.",
            likelihood * 100.0
        ),
        recommended_agent: conversation.header.skill.clone(),
        urgency: Urgency::Low,
        customer_expectation: String::new(),
    }
}

/// Keeps the likelihood and a draft briefing current for staff (see `preparation`), and has a
/// language model rewrite its texts when the assistant has one.
fn prepare(
    deps: &TurnDeps,
    conversation: &Conversation,
    escalation: Escalation,
    likelihood: f64,
    kb: &KnowledgeContext,
    now: chrono::DateTime<Utc>,
) {
    let label = deps.messages.skill(&escalation.recommended_agent).label;
    let id = conversation.header.conversation_id.clone();
    let written = deps.preparation.written(&id);
    let briefing = Arc::new(build_briefing(&BriefingInput {
        conversation,
        escalation: &escalation,
        agent_name: None,
        agent_skill_label: Some(&label),
        kb,
        written: written.as_ref(),
        transfer: None,
        now,
    }));
    deps.preparation.put(
        id.clone(),
        Draft {
            likelihood,
            briefing: briefing.clone(),
        },
    );
    write_briefing(deps, id, briefing);
}

fn fallback() -> AssistantReply {
    AssistantReply {
        content: FALLBACK.into(),
        confidence: 0.0,
        actions_attempted: Vec::new(),
        handoff: None,
        out_of_scope: false,
        sources: Vec::new(),
    }
}
