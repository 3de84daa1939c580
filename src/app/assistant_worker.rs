//! Runs the assistant beside the request path: customer messages arrive over a bounded channel once
//! committed, the assistant answers (with a time limit), and its reply is committed as an `ai`
//! message. A handoff request from the assistant records an escalation and queues the conversation.
//! Several conversations are answered at once; a slow external bot never blocks the chat.

use crate::assistant::{Assistant, AssistantReply};
use crate::domain::{
    ConversationId, ConversationStatus, Escalation, EventBody, Message, Speaker, Urgency,
};
use crate::metrics::Metrics;
use crate::storage::{journal::Journal, Store, WriteOp};
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use tracing::{warn, Instrument};

/// A committed customer message waiting for the assistant.
#[derive(Debug)]
pub struct AssistantJob {
    pub conversation_id: ConversationId,
    pub message: Message,
}

/// Replies computed at once.
const CONCURRENT_REPLIES: usize = 16;
/// Jobs queued before new ones are skipped (and counted).
pub const QUEUE: usize = 4096;
/// Longest wait for one reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// What the customer sees when the assistant fails.
const FALLBACK: &str =
    "Sorry, I couldn't process that just now. Could you try again, or ask for a person?";

pub fn spawn(
    assistant: Arc<dyn Assistant>,
    store: Arc<dyn Store>,
    journal: Journal,
    metrics: Arc<Metrics>,
) -> (mpsc::Sender<AssistantJob>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<AssistantJob>(QUEUE);
    let permits = Arc::new(Semaphore::new(CONCURRENT_REPLIES));
    let task = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let (assistant, store, journal, metrics) = (
                assistant.clone(),
                store.clone(),
                journal.clone(),
                metrics.clone(),
            );
            let span = tracing::info_span!("assistant", conversation_id = %job.conversation_id);
            tokio::spawn(
                async move {
                    answer(&*assistant, &*store, &journal, &metrics, job).await;
                    drop(permit);
                }
                .instrument(span),
            );
        }
    });
    (tx, task)
}

async fn answer(
    assistant: &dyn Assistant,
    store: &dyn Store,
    journal: &Journal,
    metrics: &Metrics,
    job: AssistantJob,
) {
    let conversation = match store.conversation(&job.conversation_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            warn!(error = %e, "assistant could not load the conversation");
            metrics.assistant_failures.inc();
            return;
        }
    };
    // A person took over (or it was escalated) since the message arrived: stay silent.
    if conversation.header.status != ConversationStatus::Ai {
        return;
    }
    let started = Instant::now();
    let reply =
        match tokio::time::timeout(REPLY_TIMEOUT, assistant.reply(&conversation, &job.message))
            .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                warn!(error = %e, assistant = assistant.name(), "assistant failed");
                metrics.assistant_failures.inc();
                fallback()
            }
            Err(_) => {
                warn!(assistant = assistant.name(), "assistant timed out");
                metrics.assistant_failures.inc();
                fallback()
            }
        };
    metrics
        .assistant_seconds
        .observe(started.elapsed().as_secs_f64());
    let now = Utc::now();
    let mut message = Message::new(Speaker::Ai, reply.content.clone(), now);
    message.confidence = Some(reply.confidence.clamp(0.0, 1.0));
    message.actions_attempted = reply.actions_attempted.clone();
    let mut ops = vec![WriteOp::Append {
        conversation_id: job.conversation_id.clone(),
        body: EventBody::Message {
            message,
            routing_skill: None,
        },
        client_id: Some(format!("ai-reply-{}", job.message.id)),
        at: now,
    }];
    if let Some(h) = &reply.handoff {
        ops.push(WriteOp::Append {
            conversation_id: job.conversation_id.clone(),
            body: EventBody::EscalationUpdated {
                escalation: Escalation {
                    trigger: h.reason.clone(),
                    ai_assessment: "The assistant asked for a person to take over.".into(),
                    recommended_agent: h
                        .skill
                        .clone()
                        .unwrap_or_else(|| conversation.header.skill.clone()),
                    urgency: h.urgency.unwrap_or(Urgency::Medium),
                    customer_expectation: "to talk to a person".into(),
                },
            },
            client_id: None,
            at: now,
        });
        ops.push(WriteOp::Append {
            conversation_id: job.conversation_id.clone(),
            body: EventBody::StatusChanged {
                status: ConversationStatus::Queued,
                reason: Some(h.reason.clone()),
            },
            client_id: None,
            at: now,
        });
    }
    for op in ops {
        if let Err(e) = journal.write(op).await {
            warn!(error = %e, "assistant reply not stored");
            metrics.assistant_failures.inc();
            return;
        }
    }
    metrics.assistant_replies.inc();
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
