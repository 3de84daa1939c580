//! Group commit, the part every store shares: turning a batch of [`WriteOp`]s into the rows to
//! write and the outcomes to report, inside the store's transaction.
//!
//! Contract:
//! - Sequence numbers: each conversation's events get `last_seq + 1, + 2…` in the order of the
//!   batch, with no gaps; the state they start from is the one the store hands over (its cache
//!   or, in a store shared by several writers, the row read and locked inside the transaction).
//! - Idempotency: an append whose `client_id` is among the conversation's recent keys, or earlier
//!   in the same batch, becomes `Duplicate` with the stored event; nothing is written for it.
//! - Projection: the header and summary move with every event; a conversation's row is written in
//!   the same commit only when its header changed (status, participants, routing…), otherwise it
//!   is marked stale for the store's periodic flush: a plain chat message costs one event row.
//! - E-mails the events owe (`domain::followup`) are planned with them, to commit atomically.
//!
//! The store does the IO through [`BatchTx`] and writes what [`plan`] returns, then commits; only
//! after the commit may it report the outcomes (and keep the states in its cache).

use super::codec::{ms, to_json};
use super::state::{ConversationState, RecentKeys, RowWrite};
use super::{NewToken, Result, WriteOp, WriteOutcome};
use crate::domain::followup::OutboxEntry;
use crate::domain::EventBody;
use crate::domain::{ConversationEvent, ConversationHeader, ConversationId, ConversationSummary};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;

/// What the planner needs from the store's open transaction.
#[async_trait]
pub trait BatchTx: Send {
    /// The conversation's state as committed (a store shared by several writers reads it locked),
    /// or `None` when there is no such conversation.
    async fn load(&mut self, id: &ConversationId) -> Result<Option<ConversationState>>;
    /// One stored event, by its conversation's key and seq (a resend's original).
    async fn event_at(&mut self, key: i64, seq: u64) -> Result<ConversationEvent>;
    /// Inserts a new conversation's row and returns its key.
    async fn insert_conversation(
        &mut self,
        header: &ConversationHeader,
        summary: &ConversationSummary,
    ) -> Result<i64>;
}

/// An event ready to insert.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub conversation_key: i64,
    pub seq: i64,
    pub kind: &'static str,
    pub ts: i64,
    pub client_id: Option<String>,
    pub body: Arc<str>,
}

impl EventRow {
    fn new(key: i64, e: &ConversationEvent, client_id: Option<String>, body: Arc<str>) -> Self {
        Self {
            conversation_key: key,
            seq: e.seq as i64,
            kind: e.body.kind(),
            ts: ms(e.timestamp),
            client_id,
            body,
        }
    }
}

/// A conversation the batch touched, as it will be after the commit.
struct Staged {
    state: ConversationState,
    header_changed: bool,
}

/// What a batch writes and reports.
pub struct Plan {
    staged: HashMap<ConversationId, Staged>,
    /// New events, in the batch's order.
    pub events: Vec<EventRow>,
    /// Customer tokens of new conversations.
    pub tokens: Vec<NewToken>,
    /// E-mails the events owe.
    pub outbox: Vec<OutboxEntry>,
    /// One per op, in order; reported only after the commit.
    pub outcomes: Vec<WriteOutcome>,
}

impl Plan {
    /// The rows to write in this commit: conversations whose header changed. They are no longer
    /// stale once written.
    pub fn changed_rows(&mut self) -> Result<Vec<RowWrite>> {
        let mut rows = Vec::new();
        for st in self.staged.values_mut().filter(|st| st.header_changed) {
            rows.push(RowWrite::of(&st.state, true)?);
            st.state.row_stale = false;
        }
        Ok(rows)
    }

    /// Every touched conversation's row, header included: for a store without a writer's cache,
    /// whose rows must be as current as the log after every commit.
    pub fn all_rows(&mut self) -> Result<Vec<RowWrite>> {
        let mut rows = Vec::with_capacity(self.staged.len());
        for st in self.staged.values_mut() {
            rows.push(RowWrite::of(&st.state, true)?);
            st.state.row_stale = false;
        }
        Ok(rows)
    }

    /// Every conversation's state after the batch.
    pub fn into_states(
        self,
    ) -> (
        impl ExactSizeIterator<Item = (ConversationId, ConversationState)>,
        Vec<WriteOutcome>,
    ) {
        (
            self.staged.into_iter().map(|(id, st)| (id, st.state)),
            self.outcomes,
        )
    }
}

/// The conversations `ops` append to, sorted: a store that locks their rows takes them in this
/// order, so two writers never wait on each other in a cycle.
pub fn appended_conversations(ops: &[WriteOp]) -> Vec<ConversationId> {
    let mut ids: Vec<ConversationId> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::Append {
                conversation_id, ..
            } => Some(conversation_id.clone()),
            WriteOp::Create { .. } => None,
        })
        .collect();
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    ids.dedup();
    ids
}

/// Plans `ops` inside `tx`. `cached` gives the state of a conversation the store already holds
/// (a single writer's cache); anything else is loaded through `tx`.
pub async fn plan(
    tx: &mut dyn BatchTx,
    cached: &(dyn Fn(&ConversationId) -> Option<ConversationState> + Sync),
    ops: Vec<WriteOp>,
) -> Result<Plan> {
    let mut plan = Plan {
        staged: HashMap::new(),
        events: Vec::with_capacity(ops.len()),
        tokens: Vec::new(),
        outbox: Vec::new(),
        outcomes: Vec::with_capacity(ops.len()),
    };
    // Idempotency keys appended within this batch (not yet visible to a read).
    let mut batch_keys: HashMap<(ConversationId, String), Arc<ConversationEvent>> = HashMap::new();

    for op in ops {
        match op {
            WriteOp::Create {
                mut header,
                customer_token,
            } => {
                let at = header.created_at.unwrap_or_else(chrono::Utc::now);
                let event = ConversationEvent {
                    conversation_id: header.conversation_id.clone(),
                    seq: 1,
                    timestamp: at,
                    body: EventBody::ConversationCreated {
                        customer: header.customer.clone(),
                    },
                };
                header.apply(&event);
                let summary = ConversationSummary::from_header(&header);
                let json: Arc<str> = Arc::from(to_json(&event)?);
                let key = tx.insert_conversation(&header, &summary).await?;
                plan.events
                    .push(EventRow::new(key, &event, None, json.clone()));
                plan.tokens.push(customer_token);
                plan.outcomes.push(WriteOutcome::Committed {
                    event: Arc::new(event),
                    json,
                    header: Arc::new(header.clone()),
                    summary: Arc::new(summary.clone()),
                });
                let id = header.conversation_id.clone();
                let state = ConversationState {
                    key,
                    header,
                    summary,
                    row_stale: false,
                    recent: RecentKeys::default(),
                };
                plan.staged.insert(
                    id,
                    Staged {
                        state,
                        header_changed: false,
                    },
                );
            }
            WriteOp::Append {
                conversation_id,
                mut body,
                client_id,
                at,
            } => {
                if !plan.staged.contains_key(&conversation_id) {
                    let loaded = match cached(&conversation_id) {
                        Some(c) => Some(c),
                        None => tx.load(&conversation_id).await?,
                    };
                    let Some(state) = loaded else {
                        plan.outcomes.push(WriteOutcome::UnknownConversation);
                        continue;
                    };
                    plan.staged.insert(
                        conversation_id.clone(),
                        Staged {
                            state,
                            header_changed: false,
                        },
                    );
                }
                let Some(st) = plan.staged.get_mut(&conversation_id) else {
                    plan.outcomes.push(WriteOutcome::UnknownConversation);
                    continue;
                };
                if let Some(key) = &client_id {
                    let k = (conversation_id.clone(), key.clone());
                    if let Some(ev) = batch_keys.get(&k) {
                        plan.outcomes
                            .push(WriteOutcome::Duplicate { event: ev.clone() });
                        continue;
                    }
                    if let Some(seq) = st.state.recent.get(key) {
                        let event = tx.event_at(st.state.key, seq).await?;
                        plan.outcomes.push(WriteOutcome::Duplicate {
                            event: Arc::new(event),
                        });
                        continue;
                    }
                }
                let seq = st.state.header.last_seq + 1;
                if let EventBody::Message { message, .. } = &mut body {
                    message.seq = seq;
                }
                let event = ConversationEvent {
                    conversation_id: conversation_id.clone(),
                    seq,
                    timestamp: at,
                    body,
                };
                let json: Arc<str> = Arc::from(to_json(&event)?);
                plan.events.push(EventRow::new(
                    st.state.key,
                    &event,
                    client_id.clone(),
                    json.clone(),
                ));
                // A chat message moves only last_seq/updated_at, unless it re-routes the
                // conversation.
                let plain_message = match &event.body {
                    EventBody::Message { routing_skill, .. } => routing_skill
                        .as_ref()
                        .is_none_or(|s| *s == st.state.header.skill),
                    _ => false,
                };
                st.state.header.apply(&event);
                plan.outbox.extend(crate::domain::followup::outbox_entry(
                    &st.state.header,
                    &event,
                ));
                st.header_changed |= !plain_message;
                st.state.row_stale = true;
                st.state.summary.apply(&st.state.header, &event);
                let event = Arc::new(event);
                if let Some(key) = client_id {
                    st.state.recent.insert(key.clone(), seq);
                    batch_keys.insert((conversation_id, key), event.clone());
                }
                plan.outcomes.push(WriteOutcome::Committed {
                    event,
                    json,
                    header: Arc::new(st.state.header.clone()),
                    summary: Arc::new(st.state.summary.clone()),
                });
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Customer, Message, Speaker};
    use crate::storage::TokenKind;

    /// A transaction over memory: conversations by id, events by (key, seq).
    #[derive(Default)]
    struct MemoryTx {
        states: HashMap<ConversationId, ConversationState>,
        events: HashMap<(i64, u64), ConversationEvent>,
        next_key: i64,
        loads: usize,
    }

    #[async_trait]
    impl BatchTx for MemoryTx {
        async fn load(&mut self, id: &ConversationId) -> Result<Option<ConversationState>> {
            self.loads += 1;
            Ok(self.states.get(id).cloned())
        }
        async fn event_at(&mut self, key: i64, seq: u64) -> Result<ConversationEvent> {
            self.events
                .get(&(key, seq))
                .cloned()
                .ok_or_else(|| crate::storage::StorageError::Corrupt("no such event".into()))
        }
        async fn insert_conversation(
            &mut self,
            _header: &ConversationHeader,
            _summary: &ConversationSummary,
        ) -> Result<i64> {
            self.next_key += 1;
            Ok(self.next_key)
        }
    }

    impl MemoryTx {
        /// Commits a plan: what a store does after writing its rows.
        fn commit(&mut self, plan: Plan) -> Vec<WriteOutcome> {
            for e in &plan.events {
                let event: ConversationEvent = serde_json::from_str(&e.body).unwrap();
                self.events
                    .insert((e.conversation_key, e.seq as u64), event);
            }
            let (states, outcomes) = plan.into_states();
            self.states.extend(states);
            outcomes
        }
    }

    fn at(s: i64) -> crate::domain::Timestamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn create(id: &str) -> WriteOp {
        let header = ConversationHeader::new(
            ConversationId(id.into()),
            Customer {
                name: Some("Sarah".into()),
                ..Default::default()
            },
            at(0),
        );
        WriteOp::Create {
            header,
            customer_token: NewToken {
                hash: format!("hash-{id}"),
                id: format!("tok-{id}"),
                kind: TokenKind::Customer,
                user_id: None,
                conversation_id: Some(ConversationId(id.into())),
                name: String::new(),
                created_at: at(0),
                expires_at: None,
            },
        }
    }

    fn say(id: &str, text: &str, client_id: Option<&str>, s: i64) -> WriteOp {
        WriteOp::Append {
            conversation_id: ConversationId(id.into()),
            body: EventBody::Message {
                message: Message::new(Speaker::Customer, text.to_owned(), at(s)),
                routing_skill: None,
            },
            client_id: client_id.map(str::to_owned),
            at: at(s),
        }
    }

    fn seqs(outcomes: &[WriteOutcome]) -> Vec<String> {
        outcomes
            .iter()
            .map(|o| match o {
                WriteOutcome::Committed { event, .. } => format!("+{}", event.seq),
                WriteOutcome::Duplicate { event } => format!("={}", event.seq),
                WriteOutcome::UnknownConversation => "?".into(),
            })
            .collect()
    }

    async fn run(tx: &mut MemoryTx, ops: Vec<WriteOp>) -> Vec<WriteOutcome> {
        let p = plan(tx, &|_| None, ops).await.unwrap();
        tx.commit(p)
    }

    #[tokio::test]
    async fn seqs_follow_the_batch_order_per_conversation_without_gaps() {
        let mut tx = MemoryTx::default();
        let out = run(
            &mut tx,
            vec![
                create("a"),
                say("a", "one", None, 1),
                create("b"),
                say("b", "uno", None, 2),
                say("a", "two", None, 3),
            ],
        )
        .await;
        assert_eq!(seqs(&out), ["+1", "+2", "+1", "+2", "+3"]);
        let out = run(
            &mut tx,
            vec![say("b", "dos", None, 4), say("a", "three", None, 5)],
        )
        .await;
        assert_eq!(seqs(&out), ["+3", "+4"]);
    }

    #[tokio::test]
    async fn a_resend_is_stored_once_in_the_same_batch_or_a_later_one() {
        let mut tx = MemoryTx::default();
        run(&mut tx, vec![create("a")]).await;
        let out = run(
            &mut tx,
            vec![
                say("a", "hello", Some("m1"), 1),
                say("a", "hello", Some("m1"), 1),
                say("a", "again", Some("m2"), 2),
            ],
        )
        .await;
        assert_eq!(seqs(&out), ["+2", "=2", "+3"]);
        let out = run(&mut tx, vec![say("a", "hello", Some("m1"), 9)]).await;
        assert_eq!(seqs(&out), ["=2"]);
        let WriteOutcome::Duplicate { event } = &out[0] else {
            panic!("not a duplicate");
        };
        assert_eq!(event.timestamp, at(1), "the original, not the resend");
    }

    #[tokio::test]
    async fn an_unknown_conversation_is_reported_and_writes_nothing() {
        let mut tx = MemoryTx::default();
        let p = plan(&mut tx, &|_| None, vec![say("nope", "hi", None, 1)])
            .await
            .unwrap();
        assert!(p.events.is_empty());
        assert_eq!(seqs(&p.outcomes), ["?"]);
    }

    #[tokio::test]
    async fn a_plain_message_leaves_the_row_stale_a_status_change_writes_it() {
        let mut tx = MemoryTx::default();
        run(&mut tx, vec![create("a")]).await;
        let mut p = plan(&mut tx, &|_| None, vec![say("a", "hi", None, 1)])
            .await
            .unwrap();
        assert!(p.changed_rows().unwrap().is_empty());
        let (mut states, _) = p.into_states();
        assert!(states.next().unwrap().1.row_stale);

        let resolve = WriteOp::Append {
            conversation_id: ConversationId("a".into()),
            body: EventBody::ConversationResolved {
                by: None,
                note: None,
            },
            client_id: None,
            at: at(2),
        };
        let mut p = plan(&mut tx, &|_| None, vec![resolve]).await.unwrap();
        let rows = p.changed_rows().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "resolved");
        assert!(rows[0].header.is_some());
    }

    #[tokio::test]
    async fn a_cached_state_is_used_instead_of_a_read() {
        let mut tx = MemoryTx::default();
        run(&mut tx, vec![create("a")]).await;
        let state = tx.states.get(&ConversationId("a".into())).cloned();
        let p = plan(&mut tx, &|_| state.clone(), vec![say("a", "hi", None, 1)])
            .await
            .unwrap();
        assert_eq!(tx.loads, 0);
        assert_eq!(seqs(&p.outcomes), ["+2"]);
    }

    #[test]
    fn appends_lock_in_key_order_once_each() {
        let ops = vec![
            say("c", "x", None, 1),
            create("z"),
            say("a", "x", None, 1),
            say("c", "y", None, 2),
        ];
        let ids: Vec<String> = appended_conversations(&ops)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(ids, ["a", "c"]);
    }
}
