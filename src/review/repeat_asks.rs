//! Repeat asks: agent questions for a fact the customer had already given.
//!
//! For every agent message of the episode (chat, or a transcribed `voice` line) `asks` says which
//! fact kinds it asks for. It is a repeat ask when a fact of that kind was known before the
//! question (by event `seq`): from the briefing's "do not ask again" list delivered before it
//! (`handoff_offered`, `agent_briefing_ready`), from a customer message before it, or from the
//! customer record. When several sources knew it, the briefing wins: the agent had it in front of
//! them, which is what a manager needs to see. Quoting any known value of the kind ("I see your
//! order ORD-1234, is that right?") is confirming, not asking, and never counts.

use super::asks::asks;
use super::text::quotes;
use crate::domain::{
    ConversationEvent, EventBody, FactOrigin, KnownFact, MessageId, RepeatAsk, Speaker,
};
use std::collections::HashMap;

/// A fact and from when (which `seq`) it was known.
struct Known<'a> {
    /// Known to questions with a greater `seq`.
    seq: u64,
    fact: &'a KnownFact,
    origin: FactOrigin,
}

/// Preference between sources that both knew a fact (lower wins).
fn rank(origin: FactOrigin) -> u8 {
    match origin {
        FactOrigin::Briefing => 0,
        FactOrigin::CustomerMessage => 1,
        FactOrigin::CustomerRecord => 2,
    }
}

/// The repeat asks among the agent messages of `episode`, in message order, at most one per
/// message and kind. `log` is the conversation's whole event log (it places customer messages and
/// briefings in time); `customer_facts` are every fact the customer gave, with the message it came
/// from (`None`: the customer record).
pub fn detect_repeat_asks(
    log: &[ConversationEvent],
    episode: &[ConversationEvent],
    customer_facts: &[KnownFact],
) -> Vec<RepeatAsk> {
    let known = known_facts(log, customer_facts);
    let mut out = Vec::new();
    for event in episode {
        let Some(msg) = event.body.message() else {
            continue;
        };
        if msg.speaker != Speaker::Agent {
            continue;
        }
        for ask in asks(&msg.content) {
            let before: Vec<&Known<'_>> = known
                .iter()
                .filter(|k| k.fact.kind == ask.kind && k.seq < event.seq)
                .collect();
            if before.iter().any(|k| quotes(&msg.content, &k.fact.value)) {
                continue;
            }
            // `min_by_key` keeps the first of equals: the earliest fact of the preferred source.
            let Some(k) = before.iter().min_by_key(|k| rank(k.origin)) else {
                continue;
            };
            out.push(RepeatAsk {
                message_id: msg.id.clone(),
                seq: event.seq,
                at: msg.timestamp,
                channel: msg.channel,
                agent_id: msg.agent_id.clone(),
                text: ask.sentence.to_owned(),
                fact_kind: ask.kind.to_owned(),
                known_value: k.fact.value.clone(),
                known_from: k.origin,
                known_message_id: k.fact.message_id.clone(),
            });
        }
    }
    out
}

/// Every known fact with the `seq` from which it was known. Facts from messages the log does not
/// hold cannot be placed in time and are left out.
fn known_facts<'a>(
    log: &'a [ConversationEvent],
    customer_facts: &'a [KnownFact],
) -> Vec<Known<'a>> {
    let seq_of: HashMap<&MessageId, u64> = log
        .iter()
        .filter_map(|e| e.body.message().map(|m| (&m.id, e.seq)))
        .collect();
    let mut known: Vec<Known<'a>> = customer_facts
        .iter()
        .filter_map(|fact| match &fact.message_id {
            None => Some(Known {
                seq: 0,
                fact,
                origin: FactOrigin::CustomerRecord,
            }),
            Some(id) => seq_of.get(id).map(|&seq| Known {
                seq,
                fact,
                origin: FactOrigin::CustomerMessage,
            }),
        })
        .collect();
    for e in log {
        let briefing = match &e.body {
            EventBody::HandoffOffered { briefing, .. }
            | EventBody::AgentBriefingReady { briefing } => briefing,
            _ => continue,
        };
        known.extend(briefing.known_facts.iter().map(|fact| Known {
            seq: e.seq,
            fact,
            origin: FactOrigin::Briefing,
        }));
    }
    known
}
