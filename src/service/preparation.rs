//! Predictive preparation: after every assistant turn the handoff-likelihood score and a draft
//! briefing are kept here, so staff can see how likely a handoff is becoming and what the agent
//! would read, and an escalation finds its briefing ready. The escalated briefing itself is stored
//! with the conversation (`agent_briefing_ready`); this cache holds drafts only, and the latest
//! summary and introduction a language model wrote for each conversation's facts.

use crate::domain::{Briefing, BriefingText, ConversationId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Drafts kept before the cache is emptied and refilled by the next turns.
const LIMIT: usize = 20_000;

#[derive(Debug, Clone)]
pub struct Draft {
    pub likelihood: f64,
    pub briefing: Arc<Briefing>,
}

#[derive(Default)]
pub struct Preparation {
    drafts: Mutex<HashMap<ConversationId, Draft>>,
    written: Mutex<HashMap<ConversationId, BriefingText>>,
}

impl Preparation {
    pub fn get(&self, id: &ConversationId) -> Option<Draft> {
        self.drafts.lock().ok().and_then(|m| m.get(id).cloned())
    }

    pub fn put(&self, id: ConversationId, draft: Draft) {
        let Ok(mut m) = self.drafts.lock() else {
            return;
        };
        if m.len() >= LIMIT && !m.contains_key(&id) {
            m.clear();
        }
        m.insert(id, draft);
    }

    pub fn written(&self, id: &ConversationId) -> Option<BriefingText> {
        self.written.lock().ok().and_then(|m| m.get(id).cloned())
    }

    pub fn put_written(&self, id: ConversationId, text: BriefingText) {
        let Ok(mut m) = self.written.lock() else {
            return;
        };
        if m.len() >= LIMIT && !m.contains_key(&id) {
            m.clear();
        }
        m.insert(id, text);
    }
}
