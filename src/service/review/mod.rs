//! Handoff review, the IO side. It keeps every conversation's handoff figures up to date as events
//! commit, queues `handoff_completed` webhooks when a handoff resolves, deletes expired
//! recordings, and builds what managers read (the handoff view, exports) with personal data
//! redacted. What the figures are is decided in `crate::review`; this module loads, stores and
//! sends.
//!
//! Contract:
//! - `wants_recompute` is asked for every committed event (from the journal's commit sink, so it
//!   must be cheap); the conversations it picks are recomputed shortly after, coalesced.
//! - Figures are derived data: they can always be recomputed from the log, and a restart
//!   recomputes resolved handoffs that have none (`Store::handoffs_missing`).
//! - `handoff_completed` is queued in the outbox just before a resolved handoff's figures are
//!   first stored, and delivered (with retries) from there: at least once, even across a restart.

mod retention;
mod views;
mod webhooks;

pub use views::ExportKind;

use crate::assistant::Assistant;
use crate::domain::{
    Conversation, ConversationEvent, ConversationHeader, ConversationId, ConversationStatus,
    EventBody, HandoffMetrics, KnowledgeMatch, Speaker,
};
use crate::review::{compute_metrics, MetricsInput, Redactor, ReviewConfig};
use crate::service::tasks::until_stopped;
use crate::storage::journal::Journal;
use crate::storage::{NewWebhook, StorageError, Store};
use chrono::Utc;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};

/// How long the recompute worker waits for more events of the same burst before computing.
const COALESCE: Duration = Duration::from_millis(300);
/// Handoffs whose figures are stored in one transaction when a restart catches up.
const RESUME_CHUNK: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no such conversation")]
    NotFound,
    #[error("recording files: {0}")]
    Files(std::io::Error),
    #[error("webhook body: {0}")]
    Encode(serde_json::Error),
}

/// Whether a committed event can change a handoff's figures. Messages count only while an agent
/// has the conversation (first response, repeat asks); the assistant phase never does.
pub fn wants_recompute(event: &ConversationEvent, header: &ConversationHeader) -> bool {
    match &event.body {
        EventBody::EscalationTriggered { .. }
        | EventBody::AgentJoined { .. }
        | EventBody::BriefingOpened { .. }
        | EventBody::ConversationResolved { .. }
        | EventBody::HandedBack { .. }
        | EventBody::HandoffRated { .. }
        | EventBody::BriefingRated { .. }
        | EventBody::CallEnded { .. }
        | EventBody::TranscriptReady { .. } => true,
        EventBody::Message { message, .. } => {
            header.status == ConversationStatus::WithAgent
                && matches!(message.speaker, Speaker::Agent | Speaker::Customer)
        }
        _ => false,
    }
}

/// Facts the customer said on a call that the stored transcript only shows as `[email]` or
/// `[phone]`: the agent still must not ask for them again.
fn redacted_facts(conversation: &Conversation) -> Vec<crate::domain::KnownFact> {
    conversation
        .messages
        .iter()
        .filter(|m| m.speaker == Speaker::Customer)
        .flat_map(|m| {
            [("[email]", "email"), ("[phone]", "phone")]
                .into_iter()
                .filter(|(mark, _)| m.content.contains(mark))
                .map(|(mark, kind)| crate::domain::KnownFact {
                    kind: kind.to_owned(),
                    value: mark.to_owned(),
                    message_id: Some(m.id.clone()),
                })
        })
        .collect()
}

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub journal: Journal,
    pub assistant: Option<Arc<dyn Assistant>>,
    pub recordings: PathBuf,
    /// Attachment files (retention deletes them with the recordings).
    pub attachments: Arc<crate::service::attachments::Attachments>,
}

/// The review side of the gateway: figures, webhooks, retention, and the manager's views.
pub struct Review {
    store: Arc<dyn Store>,
    journal: Journal,
    assistant: Option<Arc<dyn Assistant>>,
    redactor: Redactor,
    config: ReviewConfig,
    recordings: PathBuf,
    attachments: Arc<crate::service::attachments::Attachments>,
    webhooks_due: Arc<Notify>,
}

impl Review {
    /// Starts the recompute worker (fed by `changed`), the webhook deliverer and the retention
    /// job on `tasks`, and recomputes resolved handoffs that have no figures yet. All three stop
    /// when `stop` turns true (the gateway shuts down): the webhook deliverer after recording the
    /// attempt in flight, the other two at once (their work is recomputed at the next start).
    pub fn start(
        config: &ReviewConfig,
        deps: Deps,
        changed: mpsc::UnboundedReceiver<ConversationId>,
        stop: watch::Receiver<bool>,
        tasks: &crate::service::tasks::Tasks,
    ) -> Arc<Self> {
        let review = Arc::new(Self {
            store: deps.store,
            journal: deps.journal,
            assistant: deps.assistant,
            redactor: Redactor::from_config(&config.redact),
            config: config.clone(),
            recordings: deps.recordings,
            attachments: deps.attachments,
            webhooks_due: Arc::new(Notify::new()),
        });
        tasks.spawn(
            "review recompute",
            until_stopped(stop.clone(), review.clone().recompute_worker(changed)),
        );
        tasks.spawn(
            "webhook delivery",
            webhooks::deliver(
                review.store.clone(),
                review.config.clone(),
                review.webhooks_due.clone(),
                stop.clone(),
            ),
        );
        // Always: besides expired files (only with `retention_days`), it removes uploads whose
        // message never committed.
        tasks.spawn(
            "retention",
            until_stopped(stop, retention::run(review.clone())),
        );
        review
    }

    async fn recompute_worker(
        self: Arc<Self>,
        mut changed: mpsc::UnboundedReceiver<ConversationId>,
    ) {
        match self.store.handoffs_missing().await {
            Ok(missing) => {
                if !missing.is_empty() {
                    tracing::info!(
                        count = missing.len(),
                        "computing handoff figures missed before the restart"
                    );
                }
                for chunk in missing.chunks(RESUME_CHUNK) {
                    if let Err(e) = self.recompute_many(chunk).await {
                        tracing::error!(error = %e, "handoff figures not computed after the restart");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot look for handoffs without figures"),
        }
        while let Some(first) = changed.recv().await {
            let mut batch = HashSet::from([first]);
            tokio::time::sleep(COALESCE).await;
            while let Ok(id) = changed.try_recv() {
                batch.insert(id);
            }
            for id in batch {
                self.recompute_logged(&id).await;
            }
        }
    }

    async fn recompute_logged(&self, id: &ConversationId) {
        if let Err(e) = self.recompute(id).await {
            tracing::error!(conversation_id = %id, error = %e, "handoff figures not updated");
        }
    }

    /// The conversation with every event, from the log.
    pub(crate) async fn load(
        &self,
        id: &ConversationId,
    ) -> Result<(Conversation, Vec<ConversationEvent>), ReviewError> {
        let header = self.store.header(id).await?.ok_or(ReviewError::NotFound)?;
        let events = self.store.events_after(id, 0, u32::MAX).await?;
        let messages = events
            .iter()
            .filter_map(|e| e.body.message().cloned())
            .collect();
        let notes = events
            .iter()
            .filter_map(crate::domain::InternalNote::from_event)
            .collect();
        Ok((
            Conversation {
                header,
                messages,
                notes,
            },
            events,
        ))
    }

    /// The handoff figures as of now (not stored); `None` when it was never escalated.
    pub(crate) fn compute(
        &self,
        conversation: &Conversation,
        events: &[ConversationEvent],
    ) -> Option<HandoffMetrics> {
        let mut customer_facts = crate::handoff::briefing::customer_facts(conversation);
        customer_facts.extend(redacted_facts(conversation));
        let knowledge_matches = self.knowledge_matches(conversation);
        let mut metrics = compute_metrics(&MetricsInput {
            events,
            customer_facts: &customer_facts,
            knowledge_matches: &knowledge_matches,
            now: Utc::now(),
        })?;
        // Repeat asks quote messages; they leave the gateway in exports and webhooks.
        for ask in &mut metrics.repeat_asks {
            ask.text = self.redactor.redact(&ask.text).into_owned();
            ask.known_value = self.redactor.redact(&ask.known_value).into_owned();
        }
        Some(metrics)
    }

    fn knowledge_matches(&self, conversation: &Conversation) -> Vec<KnowledgeMatch> {
        let Some(assistant) = &self.assistant else {
            return Vec::new();
        };
        conversation
            .messages
            .iter()
            .filter(|m| m.speaker == Speaker::Agent)
            .filter_map(|m| {
                // `review` weighs the score (`KNOWLEDGE_MATCH_MIN_SCORE`).
                let (title, score) = assistant.knowledge_match(&m.content)?;
                Some(KnowledgeMatch {
                    message_id: m.id.clone(),
                    article_title: title,
                    score,
                })
            })
            .collect()
    }

    /// Recomputes and stores one conversation's figures.
    pub(crate) async fn recompute(&self, id: &ConversationId) -> Result<(), ReviewError> {
        self.recompute_many(std::slice::from_ref(id)).await
    }

    /// Recomputes conversations' figures and stores them in one transaction; queues
    /// `handoff_completed` for each handoff that has just resolved.
    pub(crate) async fn recompute_many(&self, ids: &[ConversationId]) -> Result<(), ReviewError> {
        let mut fresh = Vec::with_capacity(ids.len());
        for id in ids {
            let (conversation, events) = self.load(id).await?;
            let Some(metrics) = self.compute(&conversation, &events) else {
                continue;
            };
            let before = self.store.handoff(id).await?;
            let newly_resolved = metrics.resolved_at.is_some()
                && before.as_ref().and_then(|b| b.resolved_at) != metrics.resolved_at;
            if newly_resolved {
                self.queue_completed(&metrics).await?;
            }
            fresh.push(metrics);
        }
        if !fresh.is_empty() {
            self.store.put_handoffs(&fresh).await?;
        }
        Ok(())
    }

    async fn queue_completed(&self, metrics: &HandoffMetrics) -> Result<(), ReviewError> {
        if self.config.webhook_urls.is_empty() {
            return Ok(());
        }
        let body = webhooks::completed_body(metrics).map_err(ReviewError::Encode)?;
        let now = Utc::now();
        for url in &self.config.webhook_urls {
            let hook = NewWebhook {
                url: url.clone(),
                event_type: webhooks::HANDOFF_COMPLETED.into(),
                body: body.clone(),
            };
            self.store.enqueue_webhook(&hook, now).await?;
        }
        self.webhooks_due.notify_one();
        Ok(())
    }
}
