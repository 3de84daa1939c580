//! Agents and their presence: who is signed in, in which status, with how much work, and who is
//! the best candidate for a piece of work.

use crate::domain::{ConversationId, Timestamp, User, UserId};
use std::collections::BTreeMap;

/// What an agent told us about their availability (a domain type: the queue view shows it).
/// Signing out is `Router::agent_offline`.
pub use crate::domain::AgentStatus;

/// The router's view of one agent.
#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub id: UserId,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub max_concurrent: u32,
    pub status: AgentStatus,
    pub online: bool,
    /// Conversations this agent works on, with the skill they were routed for (the handle time
    /// of a release is recorded under that skill).
    pub assigned: BTreeMap<ConversationId, String>,
    /// Last assignment or release (or sign-in): ranking prefers whoever has waited longest.
    pub idle_since: Timestamp,
}

impl Agent {
    pub fn from_user(user: &User, now: Timestamp) -> Self {
        Self {
            id: user.id.clone(),
            skills: user.skills.clone(),
            languages: user.languages.clone(),
            max_concurrent: user.max_concurrent,
            status: AgentStatus::Available,
            online: true,
            assigned: BTreeMap::new(),
            idle_since: now,
        }
    }

    /// Refreshes the profile on sign-in; work in progress is kept because it outlives a reconnect.
    pub fn update_profile(&mut self, user: &User) {
        self.skills = user.skills.clone();
        self.languages = user.languages.clone();
        self.max_concurrent = user.max_concurrent;
    }

    pub fn load(&self) -> usize {
        self.assigned.len()
    }

    pub fn has_skill(&self, skill: &str) -> bool {
        self.skills.iter().any(|s| s == skill)
    }

    /// Language tags are compared case-insensitively ("en" = "EN"); skills are exact names.
    pub fn speaks(&self, language: &str) -> bool {
        self.languages
            .iter()
            .any(|l| l.eq_ignore_ascii_case(language))
    }

    /// Signed in and not away: counts towards the agents serving a skill.
    pub fn serves(&self, skill: &str) -> bool {
        self.online && self.status != AgentStatus::Away && self.has_skill(skill)
    }

    /// Could take a new offer right now, ignoring whether one is already pending (the offer
    /// book knows that).
    pub fn has_room(&self) -> bool {
        self.online
            && self.status == AgentStatus::Available
            && u64::try_from(self.load()).unwrap_or(u64::MAX) < u64::from(self.max_concurrent)
    }
}

/// What a search for the best agent must respect besides skill and capacity.
pub(crate) struct Search<'a> {
    pub skill: &'a str,
    /// Preferred language; only enforced while some serving, non-excluded agent speaks it.
    pub language: Option<&'a str>,
    /// Never offered this work: decliners, agents already in the conversation.
    pub excluded: &'a dyn Fn(&UserId) -> bool,
    /// Holding another offer right now (one live offer per agent).
    pub has_offer: &'a dyn Fn(&UserId) -> bool,
    /// Ranked after everyone else by this count (offers this agent let expire for the work).
    pub misses: &'a dyn Fn(&UserId) -> u32,
}

/// All agents the router knows: online ones, and offline ones that still hold conversations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roster {
    agents: BTreeMap<UserId, Agent>,
}

impl Roster {
    pub fn get_mut(&mut self, id: &UserId) -> Option<&mut Agent> {
        self.agents.get_mut(id)
    }

    pub fn insert(&mut self, agent: Agent) {
        self.agents.insert(agent.id.clone(), agent);
    }

    pub fn remove(&mut self, id: &UserId) {
        self.agents.remove(id);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    /// Agents currently working on the conversation.
    pub fn members(&self, conversation: &ConversationId) -> impl Iterator<Item = &UserId> + '_ {
        let conversation = conversation.clone();
        self.agents
            .values()
            .filter(move |a| a.assigned.contains_key(&conversation))
            .map(|a| &a.id)
    }

    /// Number of agents serving the skill, at least 1 so estimates never divide by zero.
    pub fn serving(&self, skill: &str) -> usize {
        self.agents
            .values()
            .filter(|a| a.serves(skill))
            .count()
            .max(1)
    }

    /// The best agent for the search: fewest misses, then lowest load, then idle longest, then
    /// lowest user id so equal situations always route the same way.
    pub fn best(&self, search: &Search<'_>) -> Option<UserId> {
        let eligible = |a: &&Agent| a.has_skill(search.skill) && !(search.excluded)(&a.id);
        // Language is a preference backed by who is around: if a speaker is signed in (even if
        // busy right now) the conversation waits for them; otherwise anyone with the skill helps.
        let language = search.language.filter(|lang| {
            self.agents
                .values()
                .filter(eligible)
                .any(|a| a.serves(search.skill) && a.speaks(lang))
        });
        self.agents
            .values()
            .filter(eligible)
            .filter(|a| a.has_room() && !(search.has_offer)(&a.id))
            .filter(|a| language.is_none_or(|lang| a.speaks(lang)))
            .min_by_key(|a| ((search.misses)(&a.id), a.load(), a.idle_since, &a.id))
            .map(|a| a.id.clone())
    }
}
