//! `compute_metrics`: the figures of a conversation's latest handoff, from its event log.
//!
//! Timeline of an episode (see `episode`): AI phase -> escalation -> queue wait -> the first agent
//! opens the briefing -> joins -> first agent message -> resolution. Every duration is measured
//! between the events that mark it and is `None` when one of them did not happen; a negative gap
//! (clock skew between writers) counts as 0, since the step did happen.

use super::context::context_score;
use super::episode::Episode;
use super::necessity::{assess_necessity, NecessityInput};
use super::repeat_asks::detect_repeat_asks;
use crate::domain::{
    BriefingRating, ConversationEvent, ConversationHeader, CustomerRating, EventBody,
    HandoffDurations, HandoffMetrics, KnowledgeMatch, KnownFact, Message, Participant, Speaker,
    Timestamp, UserId,
};
use std::collections::HashMap;

/// What `compute_metrics` reads, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct MetricsInput<'a> {
    /// The conversation's whole committed event log, in seq order (staff view, nothing redacted).
    pub events: &'a [ConversationEvent],
    /// Every fact the customer gave, with the message it came from (`KnownFact.message_id`),
    /// extracted by the caller from all customer messages (chat and voice) plus the customer record
    /// (message_id None). The briefing's `known_facts` are read from the events themselves.
    pub customer_facts: &'a [KnownFact],
    /// Agent messages that closely match a knowledge-base article (found by the caller).
    pub knowledge_matches: &'a [KnowledgeMatch],
    pub now: Timestamp,
}

/// Milliseconds from `from` to `to`, 0 if `to` is earlier.
fn ms(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from((to - from).num_milliseconds()).unwrap_or(0)
}

/// The metrics of the latest handoff of `input.events`, or `None` if it was never escalated.
pub fn compute_metrics(input: &MetricsInput<'_>) -> Option<HandoffMetrics> {
    let ep = Episode::latest(input.events)?;
    let escalated = ep.escalation_event();
    let escalated_at = escalated.timestamp;
    let events = ep.events();

    // The first (non-specialist) agent to join, and where.
    let first_join: Option<(usize, &ConversationEvent, &Participant)> =
        events.iter().enumerate().find_map(|(i, e)| match &e.body {
            EventBody::AgentJoined {
                participant,
                specialist: false,
            } => Some((i, e, participant)),
            _ => None,
        });
    let agent_id = first_join.and_then(|(_, _, p)| p.user_id.clone());
    let resolved = events.iter().find_map(|e| match e.body {
        EventBody::ConversationResolved { .. } => Some(e.timestamp),
        _ => None,
    });

    // Routing is settled when the first agent joins; until then a customer message may move it.
    let routed = ep.start + first_join.map_or(events.len(), |(i, _, _)| i + 1);
    let (header, skill) = project(input.events, routed);
    let messages: Vec<&Message> = events.iter().filter_map(|e| e.body.message()).collect();
    let had_call = events
        .iter()
        .any(|e| matches!(e.body, EventBody::CallStarted { .. }));

    let durations = HandoffDurations {
        ai_phase_ms: ai_phase_start(&ep).map(|t| ms(t, escalated_at)),
        time_to_escalate_ms: first_sign(&ep).map(|t| ms(t, escalated_at)),
        queue_wait_ms: first_join.map(|(_, e, _)| ms(escalated_at, e.timestamp)),
        offer_read_ms: first_join.and_then(|(i, _, _)| {
            let agent = agent_id.as_ref()?;
            let accepted = events[..i].iter().rposition(|b| {
                matches!(&b.body, EventBody::HandoffAccepted { agent_id, .. } if agent_id == agent)
            })?;
            events[..accepted]
                .iter()
                .rev()
                .find(|b| matches!(&b.body, EventBody::HandoffOffered { agent_id, .. } if agent_id == agent))
                .map(|o| ms(o.timestamp, events[accepted].timestamp))
        }),
        briefing_read_ms: first_join.and_then(|(i, e, _)| {
            let agent = agent_id.as_ref()?;
            events[..i]
                .iter()
                .find(|b| matches!(&b.body, EventBody::BriefingOpened { agent_id } if agent_id == agent))
                .map(|b| ms(b.timestamp, e.timestamp))
        }),
        first_response_ms: first_join.and_then(|(i, e, _)| {
            events[i + 1..]
                .iter()
                .filter_map(|x| x.body.message())
                // The warm introduction is written with the join, at its instant; what counts
                // is the first thing the agent wrote themselves.
                .find(|m| m.speaker == Speaker::Agent && m.timestamp > e.timestamp)
                .map(|m| ms(e.timestamp, m.timestamp))
        }),
        resolution_ms: first_join
            .and_then(|(_, e, _)| resolved.map(|r| ms(e.timestamp, r))),
    };

    let repeat_asks = detect_repeat_asks(input.events, events, input.customer_facts);
    let necessity = assess_necessity(&NecessityInput {
        trigger: &ep.escalation.trigger,
        resolved: resolved.is_some(),
        had_call,
        messages: &messages,
        knowledge_matches: input.knowledge_matches,
    });

    Some(HandoffMetrics {
        conversation_id: escalated.conversation_id.clone(),
        customer_name: header.customer.name,
        escalated_at,
        resolved_at: resolved,
        trigger: ep.escalation.trigger.clone(),
        skill,
        urgency: ep.escalation.urgency,
        agent_name: first_join.map(|(_, _, p)| p.name.clone()),
        agent_id: agent_id.clone(),
        agents_involved: agents_involved(events),
        context_score: context_score(&repeat_asks),
        repeat_asks,
        briefing_completeness: briefing_completeness(events, first_join.map(|(i, _, p)| (i, p))),
        customer_rating: customer_rating(ep.since_escalation()),
        briefing_ratings: briefing_ratings(ep.since_escalation()),
        necessity,
        had_call,
        durations,
        computed_at: input.now,
    })
}

/// The header projected over the whole log, and the skill it had after the first `cut` events.
fn project(log: &[ConversationEvent], cut: usize) -> (ConversationHeader, String) {
    let mut header = match log.first() {
        Some(e) => {
            ConversationHeader::new(e.conversation_id.clone(), Default::default(), e.timestamp)
        }
        None => {
            ConversationHeader::new(Default::default(), Default::default(), Timestamp::default())
        }
    };
    let mut skill = header.skill.clone();
    for (i, e) in log.iter().enumerate() {
        header.apply(e);
        if i + 1 == cut {
            skill = header.skill.clone();
        }
    }
    (header, skill)
}

/// Where the AI phase began: the conversation's start, or its reopening by the customer.
fn ai_phase_start(ep: &Episode<'_>) -> Option<Timestamp> {
    ep.ai_phase().first().map(|e| e.timestamp)
}

/// The first sign of trouble: the oldest evidence message of the escalation, else the first
/// customer message of the AI phase.
fn first_sign(ep: &Episode<'_>) -> Option<Timestamp> {
    let found = ep
        .log
        .iter()
        .filter_map(|e| e.body.message())
        .filter(|m| ep.evidence.contains(&m.id))
        .map(|m| m.timestamp)
        .min();
    found.or_else(|| {
        ep.ai_phase()
            .iter()
            .filter_map(|e| e.body.message())
            .find(|m| m.speaker == Speaker::Customer)
            .map(|m| m.timestamp)
    })
}

/// Distinct agents who joined during the episode.
fn agents_involved(events: &[ConversationEvent]) -> u32 {
    let mut seen: Vec<&UserId> = Vec::new();
    for e in events {
        if let EventBody::AgentJoined { participant, .. } = &e.body {
            if let Some(u) = &participant.user_id {
                if !seen.contains(&u) {
                    seen.push(u);
                }
            }
        }
    }
    u32::try_from(seen.len()).unwrap_or(u32::MAX)
}

/// The completeness of the briefing as delivered: the last one offered to the first agent before
/// they joined, else the latest one built during the episode.
fn briefing_completeness(
    events: &[ConversationEvent],
    first_join: Option<(usize, &Participant)>,
) -> Option<f64> {
    let offered = first_join.and_then(|(i, p)| {
        let agent = p.user_id.as_ref()?;
        events[..i].iter().rev().find_map(|e| match &e.body {
            EventBody::HandoffOffered {
                agent_id, briefing, ..
            } if agent_id == agent => Some(briefing.completeness.score),
            _ => None,
        })
    });
    offered.or_else(|| {
        events.iter().rev().find_map(|e| match &e.body {
            EventBody::AgentBriefingReady { briefing } => Some(briefing.completeness.score),
            _ => None,
        })
    })
}

/// The customer's latest survey answer since the escalation.
fn customer_rating(since: &[ConversationEvent]) -> Option<CustomerRating> {
    since.iter().rev().find_map(|e| match &e.body {
        EventBody::HandoffRated {
            score,
            repeated,
            comment,
        } => Some(CustomerRating {
            score: *score,
            repeated: *repeated,
            comment: comment.clone(),
            at: e.timestamp,
        }),
        _ => None,
    })
}

/// Each agent's latest rating of the briefing since the escalation, in order of first rating.
fn briefing_ratings(since: &[ConversationEvent]) -> Vec<BriefingRating> {
    let mut out: Vec<BriefingRating> = Vec::new();
    let mut at: HashMap<UserId, usize> = HashMap::new();
    for e in since {
        if let EventBody::BriefingRated {
            agent_id,
            score,
            comment,
        } = &e.body
        {
            let rating = BriefingRating {
                agent_id: agent_id.clone(),
                score: *score,
                comment: comment.clone(),
                at: e.timestamp,
            };
            match at.get(agent_id) {
                Some(&i) => out[i] = rating,
                None => {
                    at.insert(agent_id.clone(), out.len());
                    out.push(rating);
                }
            }
        }
    }
    out
}
