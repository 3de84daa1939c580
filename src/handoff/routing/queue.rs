//! Conversations waiting for an agent, one logical queue per skill, ordered by urgency (higher
//! first) then by waiting time (older first).

use super::offers::Passes;
use crate::domain::{ConversationId, Timestamp, Urgency};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// One waiting conversation. It stays here while offered and leaves on accept or withdraw.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub conversation: ConversationId,
    pub skill: String,
    pub language: Option<String>,
    pub urgency: Urgency,
    pub enqueued_at: Timestamp,
    /// Arrival order, so two conversations enqueued at the same instant keep a stable order.
    seq: u64,
    /// Agents who declined or let an offer for this conversation expire.
    pub passes: Passes,
    /// Last `(position, estimate_secs)` sent to the customer, to emit only changes.
    pub last_estimate: Option<(usize, u64)>,
}

impl Entry {
    fn priority(&self) -> (Reverse<Urgency>, Timestamp, u64) {
        (Reverse(self.urgency), self.enqueued_at, self.seq)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Queue {
    entries: BTreeMap<ConversationId, Entry>,
    next_seq: u64,
}

impl Queue {
    /// Adds the conversation, or raises its urgency if it is already waiting (an escalation
    /// that grows more urgent keeps its place in time and never loses priority).
    pub fn enqueue(
        &mut self,
        conversation: ConversationId,
        skill: &str,
        language: Option<&str>,
        urgency: Urgency,
        now: Timestamp,
    ) {
        if let Some(entry) = self.entries.get_mut(&conversation) {
            entry.urgency = entry.urgency.max(urgency);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.insert(
            conversation.clone(),
            Entry {
                conversation,
                skill: skill.to_owned(),
                language: language.map(str::to_owned),
                urgency,
                enqueued_at: now,
                seq,
                passes: Passes::default(),
                last_estimate: None,
            },
        );
    }

    pub fn get(&self, conversation: &ConversationId) -> Option<&Entry> {
        self.entries.get(conversation)
    }

    pub fn get_mut(&mut self, conversation: &ConversationId) -> Option<&mut Entry> {
        self.entries.get_mut(conversation)
    }

    pub fn remove(&mut self, conversation: &ConversationId) -> Option<Entry> {
        self.entries.remove(conversation)
    }

    /// Every waiting conversation, highest priority first across all skills: dispatch serves
    /// them in this order so a multi-skilled agent goes to the most urgent work.
    pub fn by_priority(&self) -> Vec<&Entry> {
        let mut all: Vec<&Entry> = self.entries.values().collect();
        all.sort_by_key(|e| e.priority());
        all
    }

    /// The queues per skill (skills in name order), each in priority order.
    pub fn by_skill(&self) -> BTreeMap<&str, Vec<&Entry>> {
        let mut queues: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for entry in self.by_priority() {
            queues.entry(entry.skill.as_str()).or_default().push(entry);
        }
        queues
    }

    /// 1-based position of the conversation within its skill's queue.
    pub fn position(&self, conversation: &ConversationId) -> Option<usize> {
        let entry = self.entries.get(conversation)?;
        let ahead = self
            .entries
            .values()
            .filter(|e| e.skill == entry.skill && e.priority() < entry.priority())
            .count();
        Some(ahead + 1)
    }
}
