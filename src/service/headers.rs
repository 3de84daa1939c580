//! The latest committed header of recently active conversations, so authorising a request or a
//! frame does not cost a database read. The commit sink writes it in commit order; a header read
//! from the database is only stored if nothing newer arrived meanwhile (compared by `last_seq`).

use crate::domain::{ConversationHeader, ConversationId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept before the cache is emptied and refilled on demand.
const LIMIT: usize = 50_000;

#[derive(Default)]
pub struct HeaderCache {
    map: Mutex<HashMap<ConversationId, Arc<ConversationHeader>>>,
}

impl HeaderCache {
    pub fn get(&self, id: &ConversationId) -> Option<Arc<ConversationHeader>> {
        self.map.lock().ok().and_then(|m| m.get(id).cloned())
    }

    /// Stores `h` unless a header at least as new is already there.
    pub fn offer(&self, h: Arc<ConversationHeader>) {
        let Ok(mut m) = self.map.lock() else { return };
        if m.get(&h.conversation_id)
            .is_some_and(|cur| cur.last_seq >= h.last_seq)
        {
            return;
        }
        if m.len() >= LIMIT {
            m.clear();
        }
        m.insert(h.conversation_id.clone(), h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Customer;

    fn header(seq: u64) -> Arc<ConversationHeader> {
        let mut h = ConversationHeader::new(
            ConversationId::from("c"),
            Customer::default(),
            chrono::Utc::now(),
        );
        h.last_seq = seq;
        Arc::new(h)
    }

    #[test]
    fn an_older_header_never_replaces_a_newer_one() {
        let c = HeaderCache::default();
        c.offer(header(5));
        c.offer(header(3));
        assert_eq!(
            c.get(&ConversationId::from("c")).map(|h| h.last_seq),
            Some(5)
        );
        c.offer(header(6));
        assert_eq!(
            c.get(&ConversationId::from("c")).map(|h| h.last_seq),
            Some(6)
        );
    }
}
