//! `compute_metrics` over whole logs: a reopened, re-escalated conversation; a hand-back; a
//! conversation that was never escalated.

use super::fixtures::{at, briefing, fact, t0, Log};
use crate::domain::{
    BriefingRating, CallOrigin, Channel, ConversationStatus, CustomerRating, EventBody, FactOrigin,
    HandoffDurations, KnowledgeMatch, KnownFact, MessageId, NecessityReason, Urgency,
};
use crate::review::{compute_metrics, MetricsInput};

fn input<'a>(log: &'a Log, facts: &'a [KnownFact], kb: &'a [KnowledgeMatch]) -> MetricsInput<'a> {
    MetricsInput {
        events: &log.events,
        customer_facts: facts,
        knowledge_matches: kb,
        now: at(10_000),
    }
}

/// Episode 1 (resolved quickly), then the customer reopens and a second, fuller episode follows:
/// one declined offer, the briefing read, a warm introduction, a specialist, a call, a repeat ask
/// and a refund.
fn reopened_and_escalated_again() -> (Log, Vec<KnownFact>, MessageId) {
    let mut log = Log::new(); // seq 1 at 0 s
    let m2 = log.customer_routed(
        10,
        "Hi, my email is priya@acme.io and I can't log in",
        "technical",
    );
    log.escalate(20, "explicit_request", vec![m2.clone()]);
    log.join(30, "old", false);
    log.agent(40, "old", "What's your email?", Channel::Chat); // earlier episode: not counted
    log.resolve(50, "old");
    log.push(
        1000,
        EventBody::StatusChanged {
            status: ConversationStatus::Ai,
            reason: Some("reopened_by_customer".into()),
        },
    );
    log.system(1000, "Conversation reopened.");
    log.customer_routed(
        1010,
        "Now I was charged twice for order ORD-4821!",
        "billing",
    );
    log.ai(1020, "I can help with billing questions.");
    let evidence_old = log.customer_routed(1050, "Still charged twice", "billing");
    let evidence_new = log.customer(1100, "This is ridiculous, I want my money back");
    // Evidence is listed newest first here on purpose: the oldest by time must win.
    log.escalate(1200, "frustration", vec![evidence_new, evidence_old]);
    let facts_delivered = vec![fact("email", "priya@acme.io", Some(&m2))];
    log.briefing_ready(1201, briefing(facts_delivered.clone(), 0.5));
    log.offer(1202, "bea", briefing(facts_delivered.clone(), 0.6));
    log.push(
        1230,
        EventBody::HandoffDeclined {
            agent_id: "bea".into(),
            reason: "declined".into(),
        },
    );
    log.offer(1240, "sam", briefing(facts_delivered, 0.75));
    log.push(
        1250,
        EventBody::BriefingOpened {
            agent_id: "sam".into(),
        },
    );
    log.push(
        1260,
        EventBody::HandoffAccepted {
            agent_id: "sam".into(),
            agent_name: "Sam".into(),
        },
    );
    log.join(1290, "sam", false);
    log.agent(
        1290,
        "sam",
        "Hi Priya, I'm Sam from billing. I can see the double charge.",
        Channel::Chat,
    );
    log.agent(
        1300,
        "sam",
        "um what's the email on the account",
        Channel::Voice,
    );
    log.push(
        1310,
        EventBody::CallStarted {
            call_id: "call-1".into(),
            origin: CallOrigin::Agent,
            recorded: true,
        },
    );
    log.join(1320, "dan", true);
    log.join(1330, "sam", false); // rejoining does not make a third agent
    let refund = log.agent(
        1400,
        "dan",
        "I've processed a full refund for the duplicate charge.",
        Channel::Chat,
    );
    log.resolve(1500, "sam");
    let rating = |score, comment: &str| EventBody::BriefingRated {
        agent_id: "sam".into(),
        score,
        comment: Some(comment.into()),
    };
    log.push(1510, rating(2, "missing the order"));
    log.push(
        1520,
        EventBody::HandoffRated {
            score: 3,
            repeated: false,
            comment: None,
        },
    );
    log.push(1530, rating(4, "fine after all"));
    log.push(
        1540,
        EventBody::HandoffRated {
            score: 4,
            repeated: true,
            comment: Some("Had to give my email again".into()),
        },
    );
    let facts = vec![fact("email", "priya@acme.io", Some(&m2))];
    (log, facts, refund)
}

#[test]
fn describes_the_latest_episode() {
    let (log, facts, refund) = reopened_and_escalated_again();
    let Some(m) = compute_metrics(&input(&log, &facts, &[])) else {
        panic!("escalated conversations have metrics")
    };
    assert_eq!(m.conversation_id.as_str(), "conv-1");
    assert_eq!(m.customer_name.as_deref(), Some("Priya Raman"));
    assert_eq!(m.escalated_at, at(1200));
    assert_eq!(m.resolved_at, Some(at(1500)));
    assert_eq!(m.trigger, "frustration");
    assert_eq!(m.skill, "billing");
    assert_eq!(m.urgency, Urgency::High);
    assert_eq!(m.agent_id, Some("sam".into()));
    assert_eq!(m.agent_name.as_deref(), Some("Agent sam"));
    assert_eq!(m.agents_involved, 2);
    assert_eq!(
        m.durations,
        HandoffDurations {
            ai_phase_ms: Some(200_000), // reopened at 1000 -> escalated at 1200
            time_to_escalate_ms: Some(150_000), // oldest evidence at 1050
            queue_wait_ms: Some(90_000), // 1200 -> sam joins at 1290
            offer_read_ms: Some(20_000), // offered to sam at 1240, accepted at 1260
            briefing_read_ms: Some(40_000), // sam opens at 1250
            first_response_ms: Some(10_000), // after the warm introduction posted on joining
            resolution_ms: Some(210_000), // 1290 -> 1500
        }
    );
    assert_eq!(m.briefing_completeness, Some(0.75));
    assert_eq!(m.repeat_asks.len(), 1);
    assert_eq!(m.repeat_asks[0].fact_kind, "email");
    assert_eq!(m.repeat_asks[0].known_from, FactOrigin::Briefing);
    assert_eq!(m.repeat_asks[0].channel, Channel::Voice);
    assert_eq!(m.context_score, 65.0);
    assert_eq!(
        m.customer_rating,
        Some(CustomerRating {
            score: 4,
            repeated: true,
            comment: Some("Had to give my email again".into()),
            at: at(1540),
        })
    );
    assert_eq!(
        m.briefing_ratings,
        vec![BriefingRating {
            agent_id: "sam".into(),
            score: 4,
            comment: Some("fine after all".into()),
            at: at(1530),
        }]
    );
    assert!(m.had_call);
    let Some(n) = &m.necessity else {
        panic!("resolved episodes are judged")
    };
    assert!(n.necessary);
    assert_eq!(n.reason, NecessityReason::AgentAction);
    assert!(
        n.detail.starts_with("Refund issued by the agent"),
        "{}",
        n.detail
    );
    assert_eq!(n.message_id, Some(refund));
    assert_eq!(m.computed_at, at(10_000));
}

#[test]
fn without_evidence_the_first_customer_message_of_the_ai_phase_counts() {
    let mut log = Log::new();
    log.customer(30, "hello");
    log.customer(40, "is anyone there");
    log.escalate(100, "low_confidence", vec!["m-unknown".into()]);
    let m = compute_metrics(&input(&log, &[], &[])).unwrap();
    assert_eq!(m.durations.ai_phase_ms, Some(100_000));
    assert_eq!(m.durations.time_to_escalate_ms, Some(70_000));
    assert_eq!(m.skill, "general");
}

#[test]
fn a_hand_back_ends_the_episode_without_an_agent() {
    let mut log = Log::new();
    log.customer(10, "I need help");
    log.escalate(20, "explicit_request", vec![]);
    log.briefing_ready(21, briefing(vec![], 0.4));
    log.push(
        200,
        EventBody::HandedBack {
            reason: "no_agent".into(),
        },
    );
    log.agent(300, "sam", "What's your email?", Channel::Chat); // after the episode
    let facts = vec![fact("email", "priya@acme.io", None)];
    let m = compute_metrics(&input(&log, &facts, &[])).unwrap();
    assert_eq!(m.agent_id, None);
    assert_eq!(m.agent_name, None);
    assert_eq!(m.agents_involved, 0);
    assert_eq!(m.durations.queue_wait_ms, None);
    assert_eq!(m.durations.briefing_read_ms, None);
    assert_eq!(m.durations.first_response_ms, None);
    assert_eq!(m.durations.resolution_ms, None);
    assert_eq!(m.resolved_at, None);
    assert_eq!(m.briefing_completeness, Some(0.4));
    assert_eq!(m.repeat_asks, vec![]);
    assert_eq!(m.context_score, 100.0);
    assert_eq!(m.necessity, None);
    assert!(!m.had_call);
}

#[test]
fn a_knowledge_base_answer_makes_it_unnecessary() {
    let mut log = Log::new();
    log.customer(10, "How do I reset my password?");
    log.escalate(20, "low_confidence", vec![]);
    log.join(30, "sam", false);
    let answer = log.agent(
        40,
        "sam",
        "Go to Settings, then Security, then Reset password.",
        Channel::Chat,
    );
    log.resolve(50, "sam");
    let kb = [KnowledgeMatch {
        message_id: answer.clone(),
        article_title: "Reset your password".into(),
        score: 0.82,
    }];
    let n = compute_metrics(&input(&log, &[], &kb))
        .unwrap()
        .necessity
        .unwrap();
    assert!(!n.necessary);
    assert_eq!(n.reason, NecessityReason::KnowledgeBaseAnswer);
    assert_eq!(n.message_id, Some(answer));
    assert!(n.detail.contains("Reset your password"), "{}", n.detail);
}

#[test]
fn never_escalated_has_no_metrics() {
    let mut log = Log::new();
    log.customer(10, "thanks, that fixed it");
    assert_eq!(compute_metrics(&input(&log, &[], &[])), None);
    assert_eq!(
        compute_metrics(&MetricsInput {
            events: &[],
            customer_facts: &[],
            knowledge_matches: &[],
            now: t0(),
        }),
        None
    );
}
