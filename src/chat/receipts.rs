//! Read receipts: how far each side of a conversation has received ("delivered") and seen
//! ("read") its events, by `seq`. Pure state, no IO; the hub holds one and the socket session
//! feeds it.
//!
//! Decisions (see `ClientFrame::Read` / `ClientFrame::Delivered` for the wire side):
//! - **Two sides**: the customer, and "support" (every agent taking part counts together). The
//!   customer only ever learns "support has seen up to seq N": a receipt names no agent.
//! - **Who counts for support**: staff who take part in the conversation (joined, not left), i.e.
//!   whom the customer can see. An agent only viewing (offered, reading the briefing), a manager
//!   looking on or a bot never moves a position: "Seen" must not reveal them.
//! - **Delivered** is what a page of that side acknowledged with a `delivered` frame after it
//!   rendered the event (honest: "the page has it", not "we wrote it to a socket"); **read**
//!   is what a visible page had in view. Reading implies delivery.
//! - Positions only move forward and are clamped to the conversation's last `seq`, so a client
//!   cannot claim to have seen what does not exist yet.
//! - Kept in memory only (not conversation events, not persisted): they survive page reloads and
//!   reconnects but not a gateway restart, and each node knows its own (like presence). Memory is
//!   bounded: past `capacity` conversations the least recently updated are forgotten.

use crate::domain::{ConversationHeader, ConversationId, Principal};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Conversations whose positions are kept before the least recently updated are forgotten.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// The side of a conversation a receipt is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptSide {
    Customer,
    /// Support: the agents taking part, together.
    Agent,
}

impl ReceiptSide {
    /// The side `who` reads for in the conversation `header`, or `None` when their reading must
    /// not count (a viewing agent, a manager, a bot, a stranger).
    pub fn of(who: &Principal, header: &ConversationHeader) -> Option<Self> {
        match who {
            Principal::Customer { conversation_id } => {
                (*conversation_id == header.conversation_id).then_some(Self::Customer)
            }
            Principal::Staff(user) if !user.disabled && header.has_active_agent(&user.id) => {
                Some(Self::Agent)
            }
            Principal::Staff(_) | Principal::Bot { .. } => None,
        }
    }
}

/// What a frame acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptMark {
    /// The page rendered events up to `seq`.
    Delivered,
    /// The person had events up to `seq` on screen.
    Read,
}

/// One side's positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Positions {
    pub delivered: u64,
    pub read: u64,
}

impl Positions {
    /// Moves forward to `seq` (never back); true if anything changed.
    fn advance(&mut self, mark: ReceiptMark, seq: u64) -> bool {
        let before = *self;
        if mark == ReceiptMark::Read {
            self.read = self.read.max(seq);
        }
        self.delivered = self.delivered.max(seq).max(self.read);
        *self != before
    }

    pub fn is_empty(&self) -> bool {
        self.delivered == 0 && self.read == 0
    }
}

#[derive(Debug, Default)]
struct Entry {
    customer: Positions,
    agent: Positions,
    touched: u64,
}

impl Entry {
    fn side(&mut self, side: ReceiptSide) -> &mut Positions {
        match side {
            ReceiptSide::Customer => &mut self.customer,
            ReceiptSide::Agent => &mut self.agent,
        }
    }
}

/// Per-conversation, per-side positions.
#[derive(Debug)]
pub struct ReadPositions {
    entries: HashMap<ConversationId, Entry>,
    capacity: usize,
    clock: u64,
}

impl Default for ReadPositions {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl ReadPositions {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            clock: 0,
        }
    }

    /// Records that `side` has `mark`ed events up to `seq` (clamped to `last_seq`, the
    /// conversation's newest). Returns the side's new positions when they moved, `None` when the
    /// frame changed nothing (nothing to tell anyone).
    pub fn record(
        &mut self,
        id: &ConversationId,
        side: ReceiptSide,
        mark: ReceiptMark,
        seq: u64,
        last_seq: u64,
    ) -> Option<Positions> {
        let seq = seq.min(last_seq);
        if seq == 0 {
            return None;
        }
        if !self.entries.contains_key(id) && self.entries.len() >= self.capacity {
            self.evict();
        }
        self.clock += 1;
        let clock = self.clock;
        let entry = self.entries.entry(id.clone()).or_default();
        let positions = entry.side(side);
        if !positions.advance(mark, seq) {
            return None;
        }
        let now = *positions;
        entry.touched = clock;
        Some(now)
    }

    /// Both sides' positions in `id` (empty ones included).
    pub fn get(&self, id: &ConversationId) -> [(ReceiptSide, Positions); 2] {
        let e = self.entries.get(id);
        [
            (
                ReceiptSide::Customer,
                e.map(|e| e.customer).unwrap_or_default(),
            ),
            (ReceiptSide::Agent, e.map(|e| e.agent).unwrap_or_default()),
        ]
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets the least recently updated tenth (at least one), so a full table costs one sort
    /// per many new conversations rather than a scan for each.
    fn evict(&mut self) {
        let mut ages: Vec<u64> = self.entries.values().map(|e| e.touched).collect();
        let drop = (self.capacity / 10).max(1).min(ages.len());
        if drop == 0 {
            return;
        }
        let (_, cut, _) = ages.select_nth_unstable(drop - 1);
        let cut = *cut;
        self.entries.retain(|_, e| e.touched > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Customer, Participant, ParticipantId, ParticipantKind, Role, User, UserId,
    };

    fn id(s: &str) -> ConversationId {
        ConversationId::from(s)
    }

    fn header(joined: &[&str]) -> ConversationHeader {
        let now = chrono::DateTime::UNIX_EPOCH;
        let mut h = ConversationHeader::new(id("c1"), Customer::default(), now);
        for u in joined {
            h.participants.push(Participant {
                id: ParticipantId::from(format!("p-{u}").as_str()),
                kind: ParticipantKind::Agent,
                user_id: Some(UserId::from(*u)),
                name: (*u).into(),
                joined_at: now,
                left_at: None,
            });
        }
        h
    }

    #[test]
    fn sides_count_only_whom_the_customer_can_see() {
        let h = header(&["maria"]);
        let customer = Principal::Customer {
            conversation_id: id("c1"),
        };
        let stranger = Principal::Customer {
            conversation_id: id("c2"),
        };
        let joined = Principal::Staff(User::for_tests("maria", Role::Agent, &["general"]));
        let viewing = Principal::Staff(User::for_tests("sam", Role::Agent, &["general"]));
        let manager = Principal::Staff(User::for_tests("mo", Role::Manager, &[]));
        let bot = Principal::Bot {
            key_id: "k".into(),
            name: "bot".into(),
        };
        assert_eq!(ReceiptSide::of(&customer, &h), Some(ReceiptSide::Customer));
        assert_eq!(ReceiptSide::of(&stranger, &h), None);
        assert_eq!(ReceiptSide::of(&joined, &h), Some(ReceiptSide::Agent));
        assert_eq!(ReceiptSide::of(&viewing, &h), None);
        assert_eq!(ReceiptSide::of(&manager, &h), None);
        assert_eq!(ReceiptSide::of(&bot, &h), None);
        let mut left = header(&["maria"]);
        left.participants[0].left_at = Some(chrono::DateTime::UNIX_EPOCH);
        assert_eq!(ReceiptSide::of(&joined, &left), None);
    }

    #[test]
    fn positions_move_forward_only_and_are_clamped() {
        let mut r = ReadPositions::default();
        let c = id("c1");
        let got = r.record(&c, ReceiptSide::Customer, ReceiptMark::Delivered, 3, 10);
        assert_eq!(
            got,
            Some(Positions {
                delivered: 3,
                read: 0
            })
        );
        // Reading implies delivery; beyond the last seq is clamped.
        let got = r.record(&c, ReceiptSide::Customer, ReceiptMark::Read, 99, 10);
        assert_eq!(
            got,
            Some(Positions {
                delivered: 10,
                read: 10
            })
        );
        // Going back, or repeating, changes nothing and tells nobody.
        assert_eq!(
            r.record(&c, ReceiptSide::Customer, ReceiptMark::Read, 4, 10),
            None
        );
        assert_eq!(
            r.record(&c, ReceiptSide::Customer, ReceiptMark::Delivered, 10, 10),
            None
        );
        assert_eq!(
            r.record(&c, ReceiptSide::Agent, ReceiptMark::Read, 0, 10),
            None
        );
        let [(s1, p1), (s2, p2)] = r.get(&c);
        assert_eq!((s1, p1.read), (ReceiptSide::Customer, 10));
        assert_eq!((s2, p2), (ReceiptSide::Agent, Positions::default()));
    }

    #[test]
    fn a_full_table_forgets_the_least_recently_updated() {
        let mut r = ReadPositions::with_capacity(10);
        for i in 0..10 {
            r.record(
                &id(&format!("c{i}")),
                ReceiptSide::Customer,
                ReceiptMark::Read,
                1,
                5,
            );
        }
        // c0 is refreshed, so c1 is now the oldest.
        r.record(&id("c0"), ReceiptSide::Customer, ReceiptMark::Read, 2, 5);
        r.record(&id("new"), ReceiptSide::Agent, ReceiptMark::Read, 1, 5);
        assert_eq!(r.len(), 10);
        assert!(r.get(&id("c1"))[0].1.is_empty());
        assert_eq!(r.get(&id("c0"))[0].1.read, 2);
        assert_eq!(r.get(&id("new"))[1].1.read, 1);
    }
}
