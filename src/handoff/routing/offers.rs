//! Live offers: at most one per conversation and one per agent, each with an expiry; and the
//! record of who already passed on a piece of work.

use crate::domain::{ConversationId, Timestamp, UserId};
use std::collections::{BTreeMap, BTreeSet};

/// What accepting the offer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Take the queued conversation.
    Queue,
    /// Come into an assigned conversation: as a specialist, or taking it over (a seat request).
    Specialist,
}

#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub conversation: ConversationId,
    pub agent: UserId,
    pub expires_at: Timestamp,
    pub purpose: Purpose,
    /// The skill the agent is wanted for (handle times are recorded under it).
    pub skill: String,
}

impl Offer {
    /// An offer is dead from its expiry instant on, whether or not `tick` has run.
    pub fn expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }
}

/// The offer book, indexed both ways so both "one per conversation" and "one per agent" are
/// checked in O(log n).
#[derive(Debug, Clone, Default)]
pub(crate) struct Offers {
    by_conversation: BTreeMap<ConversationId, Offer>,
    by_agent: BTreeMap<UserId, ConversationId>,
}

impl Offers {
    pub fn for_conversation(&self, conversation: &ConversationId) -> Option<&Offer> {
        self.by_conversation.get(conversation)
    }

    pub fn for_agent(&self, agent: &UserId) -> Option<&Offer> {
        self.by_agent
            .get(agent)
            .and_then(|c| self.by_conversation.get(c))
    }

    pub fn agent_has_offer(&self, agent: &UserId) -> bool {
        self.by_agent.contains_key(agent)
    }

    /// Records a new offer. Callers check both sides are free first; replacing silently would
    /// leave a stale index entry, so a clash is refused.
    pub fn insert(&mut self, offer: Offer) -> bool {
        if self.by_conversation.contains_key(&offer.conversation)
            || self.by_agent.contains_key(&offer.agent)
        {
            return false;
        }
        self.by_agent
            .insert(offer.agent.clone(), offer.conversation.clone());
        self.by_conversation
            .insert(offer.conversation.clone(), offer);
        true
    }

    pub fn remove(&mut self, conversation: &ConversationId) -> Option<Offer> {
        let offer = self.by_conversation.remove(conversation)?;
        self.by_agent.remove(&offer.agent);
        Some(offer)
    }

    /// Conversations whose offer has expired at `now`, oldest expiry first.
    pub fn expired(&self, now: Timestamp) -> Vec<ConversationId> {
        let mut expired: Vec<&Offer> = self
            .by_conversation
            .values()
            .filter(|o| o.expired(now))
            .collect();
        expired
            .sort_by(|a, b| (a.expires_at, &a.conversation).cmp(&(b.expires_at, &b.conversation)));
        expired
            .into_iter()
            .map(|o| o.conversation.clone())
            .collect()
    }
}

/// Agents who passed on one piece of work.
#[derive(Debug, Clone, Default)]
pub(crate) struct Passes {
    /// Never offered this work again.
    declined: BTreeSet<UserId>,
    /// Let the offer expire this many times; ranked after agents who have not.
    missed: BTreeMap<UserId, u32>,
}

impl Passes {
    pub fn decline(&mut self, agent: &UserId) {
        self.declined.insert(agent.clone());
    }

    pub fn miss(&mut self, agent: &UserId) {
        *self.missed.entry(agent.clone()).or_default() += 1;
    }

    pub fn declined(&self, agent: &UserId) -> bool {
        self.declined.contains(agent)
    }

    pub fn misses(&self, agent: &UserId) -> u32 {
        self.missed.get(agent).copied().unwrap_or(0)
    }

    pub fn passed(&self, agent: &UserId) -> bool {
        self.declined(agent) || self.misses(agent) > 0
    }
}
