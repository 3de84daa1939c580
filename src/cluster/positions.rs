//! What each conversation's subscribers on this node were last sent, and which conversations the
//! database is ahead of: the position check's decision, with no IO.

use crate::domain::ConversationId;
use std::collections::HashMap;

/// Per conversation with subscribers here: the last `seq` every one of them has been handed.
#[derive(Debug, Default)]
pub struct Positions {
    sent: HashMap<ConversationId, u64>,
}

impl Positions {
    /// A subscriber of `id` arrived having (or about to read from the store) everything up to
    /// `seen`: the conversation is watched from the lowest such position. (A later subscriber's
    /// lower position may hand the others events they have; they skip them by `seq`.)
    pub fn track(&mut self, id: &ConversationId, seen: u64) {
        self.sent
            .entry(id.clone())
            .and_modify(|s| *s = (*s).min(seen))
            .or_insert(seen);
    }

    /// Stops watching `id` (its last subscriber left).
    pub fn forget(&mut self, id: &ConversationId) {
        self.sent.remove(id);
    }

    /// `seq` of `id` was handed to the local subscribers (events may arrive out of order between
    /// nodes: the position only moves forward).
    pub fn delivered(&mut self, id: &ConversationId, seq: u64) {
        if let Some(sent) = self.sent.get_mut(id) {
            *sent = (*sent).max(seq);
        }
    }

    /// The conversations watched, for the check's one query.
    pub fn watched(&self) -> Vec<ConversationId> {
        self.sent.keys().cloned().collect()
    }

    /// Given the database's last seqs, the conversations whose subscribers are behind, with what
    /// they were sent.
    pub fn behind(&self, stored: &[(ConversationId, u64)]) -> Vec<(ConversationId, u64)> {
        stored
            .iter()
            .filter_map(|(id, last)| {
                let sent = *self.sent.get(id)?;
                (sent < *last).then(|| (id.clone(), sent))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ConversationId {
        ConversationId(s.into())
    }

    #[test]
    fn a_lost_last_message_is_found_and_only_for_watched_conversations() {
        let mut p = Positions::default();
        p.track(&id("a"), 3);
        p.track(&id("b"), 7);
        assert!(p.behind(&[(id("a"), 3), (id("b"), 7)]).is_empty());
        p.delivered(&id("a"), 4);
        p.delivered(&id("a"), 5);
        // The database has 6 for `a`: its last message never arrived.
        assert_eq!(
            p.behind(&[(id("a"), 6), (id("b"), 7), (id("z"), 9)]),
            [(id("a"), 5)]
        );
        p.delivered(&id("a"), 6);
        assert!(p.behind(&[(id("a"), 6), (id("b"), 7)]).is_empty());
        p.forget(&id("b"));
        assert_eq!(p.watched(), [id("a")]);
    }

    #[test]
    fn positions_only_move_forward() {
        let mut p = Positions::default();
        p.track(&id("a"), 0);
        p.delivered(&id("a"), 9);
        p.delivered(&id("a"), 8);
        assert!(p.behind(&[(id("a"), 9)]).is_empty());
        // Deliveries to an unwatched conversation are not remembered.
        p.delivered(&id("x"), 1);
        assert_eq!(p.watched(), [id("a")]);
    }

    #[test]
    fn a_subscriber_from_further_back_lowers_the_position() {
        let mut p = Positions::default();
        p.track(&id("a"), 5);
        p.track(&id("a"), 2);
        assert_eq!(p.behind(&[(id("a"), 5)]), [(id("a"), 2)]);
        p.track(&id("a"), 9);
        assert_eq!(
            p.behind(&[(id("a"), 5)]),
            [(id("a"), 2)],
            "never raised by a subscriber"
        );
    }
}
