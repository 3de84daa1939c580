//! A conversation's state as the writer sees it, the same for every store: the header and summary
//! projected from the log, the idempotency keys of its latest events, and the row that caches them.
//!
//! Contract:
//! - The log is the truth and the conversation row a cache of it: [`ConversationState::replay`]
//!   rebuilds the state from a row's snapshot and the events committed after it, so a lagging row
//!   (even one a crash left behind) is never served.
//! - [`StateCache`] holds the states a single writer touched; only a store that is the only writer
//!   of its database may trust it between batches (SQLite). A store shared by several writers
//!   (Postgres) loads the state inside each batch's transaction instead.

use super::codec::{from_ms, json, ms, to_json};
use super::Result;
use crate::domain::{ConversationEvent, ConversationHeader, ConversationId, ConversationSummary};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Idempotency keys (`clientMsgId`) remembered per conversation. Clients resend only messages that
/// were not acknowledged, which are always among the latest, so a bounded window deduplicates
/// every real resend without an index over the whole log (in SQLite that index cost a quarter of
/// the writer's throughput: each message dirtied another scattered B-tree page).
#[derive(Debug, Clone, Default)]
pub struct RecentKeys {
    order: VecDeque<String>,
    seqs: HashMap<String, u64>,
}

impl RecentKeys {
    /// Keys remembered per conversation.
    pub const WINDOW: usize = 256;

    /// The keys of `(key, seq)` pairs in commit order, keeping the newest [`Self::WINDOW`].
    pub fn of(keys: impl IntoIterator<Item = (String, u64)>) -> Self {
        let mut recent = Self::default();
        for (key, seq) in keys {
            recent.insert(key, seq);
        }
        recent
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.seqs.get(key).copied()
    }

    pub fn insert(&mut self, key: String, seq: u64) {
        if self.seqs.insert(key.clone(), seq).is_none() {
            self.order.push_back(key);
            if self.order.len() > Self::WINDOW {
                if let Some(old) = self.order.pop_front() {
                    self.seqs.remove(&old);
                }
            }
        }
    }
}

/// One conversation as the writer knows it.
#[derive(Debug, Clone)]
pub struct ConversationState {
    /// The conversation's integer key: what the event log is indexed by (a 36-character id would
    /// make that index four times larger).
    pub key: i64,
    pub header: ConversationHeader,
    pub summary: ConversationSummary,
    /// The conversation's row lags this state (plain messages since it was last written); the
    /// journal's periodic `flush` writes it.
    pub row_stale: bool,
    /// Idempotency keys of the latest events, for deduplicating resends.
    pub recent: RecentKeys,
}

/// A conversation row as stored: the columns every store keeps for listing, and the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub key: i64,
    pub header: String,
    pub summary: String,
    pub last_seq: i64,
    pub updated_at: i64,
}

impl ConversationState {
    /// The state from its row and the events committed after the row was written (`newer`, in
    /// seq order), with the idempotency keys of its latest events (`keys`, in seq order).
    pub fn replay(
        row: StoredRow,
        newer: impl IntoIterator<Item = ConversationEvent>,
        keys: impl IntoIterator<Item = (String, u64)>,
    ) -> Result<Self> {
        let mut header = read_header(&row.header, row.last_seq, row.updated_at)?;
        let mut summary: ConversationSummary = json(&row.summary, "summary")?;
        for event in newer {
            header.apply(&event);
            summary.apply(&header, &event);
        }
        Ok(Self {
            key: row.key,
            header,
            summary,
            row_stale: false,
            recent: RecentKeys::of(keys),
        })
    }
}

/// The header from its snapshot and the columns kept current on every append.
pub fn read_header(snapshot: &str, last_seq: i64, updated_at: i64) -> Result<ConversationHeader> {
    let mut h: ConversationHeader = json(snapshot, "header")?;
    h.last_seq = last_seq.max(0) as u64;
    h.updated_at = Some(from_ms(updated_at)?);
    Ok(h)
}

/// A conversation row to write. `header: None` keeps the stored snapshot (only plain messages
/// happened since it was written, and those do not change it).
#[derive(Debug, Clone, PartialEq)]
pub struct RowWrite {
    pub id: String,
    pub status: &'static str,
    pub skill: String,
    pub header: Option<String>,
    pub summary: String,
    pub last_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RowWrite {
    pub fn of(state: &ConversationState, with_header: bool) -> Result<Self> {
        let h = &state.header;
        let updated_at = h.updated_at.map(ms).unwrap_or(0);
        Ok(Self {
            id: h.conversation_id.0.clone(),
            status: h.status.as_str(),
            skill: h.skill.clone(),
            header: with_header.then(|| to_json(h)).transpose()?,
            summary: to_json(&state.summary)?,
            last_seq: h.last_seq as i64,
            created_at: h.created_at.map(ms).unwrap_or(updated_at),
            updated_at,
        })
    }
}

/// The states a single writer touched, so a plain message costs no read. Bounded: past `limit`
/// conversations it is dropped and rebuilt on demand.
pub struct StateCache {
    states: Mutex<HashMap<ConversationId, ConversationState>>,
    limit: usize,
}

impl StateCache {
    pub fn new(limit: usize) -> Self {
        Self {
            states: Mutex::new(HashMap::new()),
            limit,
        }
    }

    pub fn get(&self, id: &ConversationId) -> Option<ConversationState> {
        self.states.lock().ok().and_then(|c| c.get(id).cloned())
    }

    /// Keeps the states of a committed batch.
    pub fn extend(
        &self,
        states: impl ExactSizeIterator<Item = (ConversationId, ConversationState)>,
    ) {
        if let Ok(mut cache) = self.states.lock() {
            if cache.len() + states.len() > self.limit {
                cache.clear();
            }
            cache.extend(states);
        }
    }

    /// The rows that lag their conversation's state.
    pub fn stale_rows(&self) -> Result<Vec<RowWrite>> {
        let Ok(cache) = self.states.lock() else {
            return Ok(Vec::new());
        };
        cache
            .values()
            .filter(|c| c.row_stale)
            .map(|c| RowWrite::of(c, false))
            .collect()
    }

    /// Marks `rows` written, each only if nothing was appended to its conversation since: a newer
    /// state must never be marked written by an older row.
    pub fn written(&self, rows: &[RowWrite]) {
        if let Ok(mut cache) = self.states.lock() {
            for r in rows {
                if let Some(c) = cache.get_mut(&ConversationId(r.id.clone())) {
                    if c.header.last_seq as i64 == r.last_seq {
                        c.row_stale = false;
                    }
                }
            }
        }
    }
}
