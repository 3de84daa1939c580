//! The commit bus: every event the journal commits is published once, in commit order, to named
//! subscribers that each do one job (the header cache, review recomputation, the conversation's
//! sockets, offer frames, inboxes, metrics). A new listener — a copilot, a webhook, a bus between
//! nodes — is one more subscriber, not another line in a closure.
//!
//! Contract: subscribers run on the journal writer's task, after the commit and before the
//! writers are answered, so they must not block (hand work to a channel). A subscriber that panics
//! is logged with its name and skipped; the others and the writer go on.

use super::headers::HeaderCache;
use crate::chat::{Fanout, Hub};
use crate::domain::{ConversationEvent, ConversationHeader, ConversationId, ConversationSummary};
use crate::metrics::{Metrics, SpeakerLabel};
use crate::storage::journal::CommitSink;
use crate::storage::WriteOutcome;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// One committed event, as every subscriber sees it.
pub struct Committed<'a> {
    pub event: &'a Arc<ConversationEvent>,
    /// The event as stored and served.
    pub json: &'a Arc<str>,
    /// The conversation after the event.
    pub header: &'a Arc<ConversationHeader>,
    pub summary: &'a Arc<ConversationSummary>,
}

/// Something that acts on every commit.
pub trait CommitSubscriber: Send + Sync {
    /// For logs: which subscriber failed.
    fn name(&self) -> &'static str;
    fn committed(&self, c: &Committed<'_>);
}

/// The subscribers, in the order they run.
#[derive(Default)]
pub struct CommitBus {
    subscribers: Vec<Box<dyn CommitSubscriber>>,
}

impl CommitBus {
    pub fn with(mut self, subscriber: impl CommitSubscriber + 'static) -> Self {
        self.subscribers.push(Box::new(subscriber));
        self
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.subscribers.iter().map(|s| s.name()).collect()
    }

    pub fn publish(&self, c: &Committed<'_>) {
        for s in &self.subscribers {
            if catch_unwind(AssertUnwindSafe(|| s.committed(c))).is_err() {
                tracing::error!(
                    subscriber = s.name(),
                    conversation_id = %c.event.conversation_id,
                    seq = c.event.seq,
                    "a commit subscriber failed"
                );
            }
        }
    }

    /// The journal's hook: publishes what was committed (duplicates and misses are not news).
    pub fn into_sink(self) -> CommitSink {
        Arc::new(move |outcome: &WriteOutcome| {
            if let WriteOutcome::Committed {
                event,
                json,
                header,
                summary,
            } = outcome
            {
                self.publish(&Committed {
                    event,
                    json,
                    header,
                    summary,
                });
            }
        })
    }
}

/// Keeps the latest header of each conversation in memory.
pub struct HeaderCacheUpdate(pub Arc<HeaderCache>);

impl CommitSubscriber for HeaderCacheUpdate {
    fn name(&self) -> &'static str {
        "header_cache"
    }
    fn committed(&self, c: &Committed<'_>) {
        self.0.offer(c.header.clone());
    }
}

/// Queues the conversation for its handoff figures when the event changes them.
pub struct ReviewRecompute(pub tokio::sync::mpsc::UnboundedSender<ConversationId>);

impl CommitSubscriber for ReviewRecompute {
    fn name(&self) -> &'static str {
        "review"
    }
    fn committed(&self, c: &Committed<'_>) {
        if super::review::wants_recompute(c.event, c.header) {
            let _ = self.0.send(c.event.conversation_id.clone());
        }
    }
}

/// The event to the conversation's subscribers (each side sees its own redaction).
pub struct ConversationFanout(pub Arc<dyn Fanout>);

impl CommitSubscriber for ConversationFanout {
    fn name(&self) -> &'static str {
        "conversation_fanout"
    }
    fn committed(&self, c: &Committed<'_>) {
        self.0.publish_event(c.event, c.json, c.header.clone());
    }
}

/// Offers, withdrawals and queue changes to the agents they concern.
pub struct OfferFrames(pub Arc<Hub>);

impl CommitSubscriber for OfferFrames {
    fn name(&self) -> &'static str {
        "offers"
    }
    fn committed(&self, c: &Committed<'_>) {
        super::handoff::frames_for_commit(c.event, c.header, &self.0);
    }
}

/// The conversation's row in every inbox that shows it.
pub struct Inboxes(pub Arc<dyn Fanout>);

impl CommitSubscriber for Inboxes {
    fn name(&self) -> &'static str {
        "inboxes"
    }
    fn committed(&self, c: &Committed<'_>) {
        self.0.publish_inbox(c.header.clone(), c.summary);
    }
}

/// Committed messages by speaker.
pub struct MessageMetrics(pub Arc<Metrics>);

impl CommitSubscriber for MessageMetrics {
    fn name(&self) -> &'static str {
        "metrics"
    }
    fn committed(&self, c: &Committed<'_>) {
        if let Some(m) = c.event.body.message() {
            let speaker = match m.speaker {
                crate::domain::Speaker::Customer => "customer",
                crate::domain::Speaker::Ai => "ai",
                crate::domain::Speaker::Agent => "agent",
                crate::domain::Speaker::System => "system",
            };
            self.0
                .messages_committed
                .get_or_create(&SpeakerLabel { speaker })
                .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Customer, EventBody};
    use std::sync::Mutex;

    struct Record(&'static str, Arc<Mutex<Vec<&'static str>>>);
    impl CommitSubscriber for Record {
        fn name(&self) -> &'static str {
            self.0
        }
        fn committed(&self, _: &Committed<'_>) {
            self.1
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(self.0);
        }
    }

    struct Panics;
    impl CommitSubscriber for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }
        fn committed(&self, _: &Committed<'_>) {
            panic!("a broken subscriber");
        }
    }

    #[test]
    fn subscribers_run_in_order_and_one_failing_does_not_stop_the_others() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let bus = CommitBus::default()
            .with(Record("first", seen.clone()))
            .with(Panics)
            .with(Record("last", seen.clone()));
        assert_eq!(bus.names(), ["first", "panics", "last"]);
        let id = ConversationId::generate();
        let now = chrono::Utc::now();
        let header = Arc::new(ConversationHeader::new(
            id.clone(),
            Customer::default(),
            now,
        ));
        let outcome = WriteOutcome::Committed {
            event: Arc::new(ConversationEvent {
                conversation_id: id,
                seq: 1,
                timestamp: now,
                body: EventBody::ConversationCreated {
                    customer: Customer::default(),
                },
            }),
            json: Arc::from("{}"),
            summary: Arc::new(ConversationSummary::from_header(&header)),
            header,
        };
        let sink = bus.into_sink();
        sink(&outcome);
        sink(&WriteOutcome::UnknownConversation);
        assert_eq!(
            *seen.lock().unwrap_or_else(|p| p.into_inner()),
            ["first", "last"]
        );
    }
}
