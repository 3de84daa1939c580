//! Router scenarios driven by a simulated clock: every input carries the clock's time, nothing
//! sleeps.

use super::*;
use crate::domain::{ConversationId, Role, Timestamp, Urgency, User, UserId};
use chrono::{TimeDelta, TimeZone, Utc};

/// Simulated time: starts at a fixed instant and only moves when told.
struct Clock(Timestamp);

impl Clock {
    fn new() -> Self {
        Self(Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap())
    }
    fn now(&self) -> Timestamp {
        self.0
    }
    fn advance(&mut self, secs: i64) -> Timestamp {
        self.0 += TimeDelta::seconds(secs);
        self.0
    }
}

fn user(id: &str, skills: &[&str], languages: &[&str], max_concurrent: u32) -> User {
    User {
        id: UserId::from(id),
        username: id.to_owned(),
        name: id.to_owned(),
        role: Role::Agent,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        languages: languages.iter().map(|s| s.to_string()).collect(),
        max_concurrent,
        disabled: false,
        created_at: Clock::new().now(),
    }
}

fn uid(s: &str) -> UserId {
    UserId::from(s)
}

fn cid(s: &str) -> ConversationId {
    ConversationId::from(s)
}

fn router() -> Router {
    Router::new(RoutingConfig::default())
}

/// `(conversation, agent)` of every `Offer` in the batch.
fn offers(actions: &[RoutingAction]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            RoutingAction::Offer {
                conversation_id,
                agent_id,
                ..
            } => Some((conversation_id.0.clone(), agent_id.0.clone())),
            _ => None,
        })
        .collect()
}

fn offer(conversation: &str, agent: &str) -> Vec<(String, String)> {
    vec![(conversation.to_owned(), agent.to_owned())]
}

/// The batch without `WaitEstimate`s, for tests about offers.
fn routing_only(actions: Vec<RoutingAction>) -> Vec<RoutingAction> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, RoutingAction::WaitEstimate { .. }))
        .collect()
}

/// `(conversation, position, estimate)` of every `WaitEstimate` in the batch.
fn estimates(actions: &[RoutingAction]) -> Vec<(String, usize, u64)> {
    actions
        .iter()
        .filter_map(|a| match a {
            RoutingAction::WaitEstimate {
                conversation_id,
                position,
                estimate_secs,
            } => Some((conversation_id.0.clone(), *position, *estimate_secs)),
            _ => None,
        })
        .collect()
}

fn load_of(r: &Router, agent: &str) -> usize {
    r.snapshot()
        .agents
        .iter()
        .find(|a| a.agent_id.0 == agent)
        .map_or(0, |a| a.load)
}

/// Enqueues and has `agent` accept the resulting offer; panics if it went elsewhere.
fn assign(r: &mut Router, clock: &Clock, conversation: &str, skill: &str, agent: &str) {
    let out = r.enqueue(cid(conversation), skill, None, Urgency::Medium, clock.now());
    assert_eq!(offers(&out), offer(conversation, agent));
    r.accept(&cid(conversation), &uid(agent), clock.now())
        .unwrap();
}

#[test]
fn routes_to_the_agent_with_the_skill() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a-billing", &["billing"], &["en"], 2), clock.now());
    r.agent_online(&user("b-tech", &["tech"], &["en"], 2), clock.now());
    let out = r.enqueue(cid("c1"), "tech", None, Urgency::Medium, clock.now());
    assert_eq!(offers(&out), offer("c1", "b-tech"));
    let out = r.enqueue(cid("c2"), "legal", None, Urgency::Medium, clock.now());
    assert!(offers(&out).is_empty(), "nobody has the skill: {out:?}");
}

#[test]
fn prefers_a_speaker_of_the_language_and_waits_for_one_who_is_around() {
    let mut clock = Clock::new();
    let mut r = router();
    // "a" would win every other tie-break (idle longer, lower id).
    r.agent_online(&user("a", &["billing"], &["en"], 1), clock.now());
    clock.advance(10);
    r.agent_online(&user("b", &["billing"], &["fr", "EN"], 1), clock.now());
    let out = r.enqueue(
        cid("c1"),
        "billing",
        Some("FR"),
        Urgency::Medium,
        clock.now(),
    );
    assert_eq!(
        offers(&out),
        offer("c1", "b"),
        "case-insensitive language match"
    );
    r.accept(&cid("c1"), &uid("b"), clock.now()).unwrap();
    // b is full but signed in: a French conversation waits for b rather than going to a.
    let out = r.enqueue(
        cid("c2"),
        "billing",
        Some("fr"),
        Urgency::Medium,
        clock.now(),
    );
    assert!(offers(&out).is_empty(), "{out:?}");
    let out = r.released(&cid("c1"), &uid("b"), 300, clock.now());
    assert_eq!(offers(&out), offer("c2", "b"));
}

#[test]
fn falls_back_to_any_language_when_nobody_speaks_it() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &["en"], 1), clock.now());
    let out = r.enqueue(
        cid("c1"),
        "billing",
        Some("de"),
        Urgency::Medium,
        clock.now(),
    );
    assert_eq!(offers(&out), offer("c1", "a"));
}

#[test]
fn falls_back_when_the_only_speaker_declined() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &["en"], 1), clock.now());
    r.agent_online(&user("b", &["billing"], &["fr"], 1), clock.now());
    let out = r.enqueue(
        cid("c1"),
        "billing",
        Some("fr"),
        Urgency::Medium,
        clock.now(),
    );
    assert_eq!(offers(&out), offer("c1", "b"));
    let out = r.decline(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert_eq!(offers(&out), offer("c1", "a"));
}

#[test]
fn lower_load_wins_then_longest_idle_then_user_id() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 3), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 3), clock.now());
    // Equal load and idle time: lower user id.
    assign(&mut r, &clock, "c1", "billing", "a");
    // a now has load 1: b wins on load even though a has the lower id.
    clock.advance(5);
    assign(&mut r, &clock, "c2", "billing", "b");
    // Both load 1; a was assigned earlier (idle since t0) than b (t0+5): a has idled longer.
    clock.advance(5);
    assign(&mut r, &clock, "c3", "billing", "a");
    clock.advance(5);
    assign(&mut r, &clock, "c4", "billing", "b");
    // Both load 2; a released at t0+20 and is idle since then; b's last event is t0+15.
    clock.advance(5);
    r.released(&cid("c1"), &uid("a"), 20, clock.now());
    clock.advance(5);
    assign(&mut r, &clock, "c5", "billing", "a"); // load: a 1 < b 2
    clock.advance(5);
    r.released(&cid("c5"), &uid("a"), 5, clock.now()); // a idle since t0+30, load 1
    r.released(&cid("c2"), &uid("b"), 25, clock.now()); // b idle since t0+30, load 1
    assign(&mut r, &clock, "c6", "billing", "a"); // tie on load and idle: id
}

#[test]
fn idle_time_beats_user_id() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("z", &["billing"], &[], 1), clock.now());
    clock.advance(60);
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert_eq!(offers(&out), offer("c1", "z"));
}

#[test]
fn queue_orders_by_urgency_then_waiting_time() {
    let mut clock = Clock::new();
    let mut r = router();
    r.enqueue(cid("low"), "billing", None, Urgency::Low, clock.now());
    clock.advance(1);
    r.enqueue(
        cid("med-old"),
        "billing",
        None,
        Urgency::Medium,
        clock.now(),
    );
    clock.advance(1);
    r.enqueue(cid("crit"), "billing", None, Urgency::Critical, clock.now());
    clock.advance(1);
    r.enqueue(
        cid("med-new"),
        "billing",
        None,
        Urgency::Medium,
        clock.now(),
    );
    r.enqueue(cid("other-skill"), "tech", None, Urgency::Low, clock.now());
    let snap = r.snapshot();
    assert_eq!(snap.queues.len(), 2);
    let order: Vec<(&str, usize)> = snap.queues[0]
        .conversations
        .iter()
        .map(|c| (c.conversation_id.as_str(), c.position))
        .collect();
    assert_eq!(snap.queues[0].skill, "billing");
    assert_eq!(
        order,
        vec![("crit", 1), ("med-old", 2), ("med-new", 3), ("low", 4)]
    );
    assert_eq!(
        r.wait_estimate(&cid("other-skill"), clock.now()).unwrap().0,
        1
    );

    // A re-escalation can raise urgency, never lower it.
    r.enqueue(cid("low"), "billing", None, Urgency::High, clock.now());
    r.enqueue(cid("crit"), "billing", None, Urgency::Low, clock.now());
    assert_eq!(r.wait_estimate(&cid("low"), clock.now()).unwrap().0, 2);
    assert_eq!(r.wait_estimate(&cid("crit"), clock.now()).unwrap().0, 1);

    // The first agent gets the most urgent work first.
    let out = r.agent_online(&user("a", &["billing", "tech"], &[], 1), clock.now());
    assert_eq!(offers(&out), offer("crit", "a"));
}

#[test]
fn offer_then_accept_assigns() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 2), clock.now());
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::High, clock.now());
    let expected_expiry = clock.now() + TimeDelta::seconds(30);
    assert_eq!(
        routing_only(out),
        vec![RoutingAction::Offer {
            conversation_id: cid("c1"),
            agent_id: uid("a"),
            expires_at: expected_expiry,
        }]
    );
    assert_eq!(
        r.snapshot().queues[0].conversations[0].offered_to,
        Some(uid("a"))
    );
    clock.advance(29);
    let out = r.accept(&cid("c1"), &uid("a"), clock.now()).unwrap();
    assert_eq!(
        out,
        vec![RoutingAction::Assigned {
            conversation_id: cid("c1"),
            agent_id: uid("a"),
        }]
    );
    assert_eq!(load_of(&r, "a"), 1);
    assert!(r.snapshot().queues.is_empty());
    assert_eq!(r.wait_estimate(&cid("c1"), clock.now()), None);
    // A second accept finds no offer.
    assert_eq!(
        r.accept(&cid("c1"), &uid("a"), clock.now()),
        Err(RoutingError::NoLiveOffer {
            conversation: cid("c1")
        })
    );
}

#[test]
fn decline_moves_on_and_never_returns_to_the_decliner() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 2), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 2), clock.now());
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert_eq!(offers(&out), offer("c1", "a"));
    let out = r.decline(&cid("c1"), &uid("a"), clock.now()).unwrap();
    assert_eq!(
        routing_only(out.clone())[0],
        RoutingAction::Requeued {
            conversation_id: cid("c1"),
            reason: RequeueReason::Declined,
        }
    );
    assert_eq!(offers(&out), offer("c1", "b"));
    let out = r.decline(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert!(offers(&out).is_empty(), "both declined: {out:?}");
    // Status changes and ticks do not bring it back to a decliner.
    let out = r.set_status(&uid("a"), AgentStatus::Away, clock.now());
    assert!(offers(&out).is_empty());
    let out = r.set_status(&uid("a"), AgentStatus::Available, clock.now());
    assert!(offers(&out).is_empty(), "{out:?}");
    assert!(offers(&r.tick(clock.now())).is_empty());
    // The decliner still gets other work, and a new agent gets this one.
    let out = r.enqueue(cid("c2"), "billing", None, Urgency::Medium, clock.now());
    assert_eq!(offers(&out), offer("c2", "a"));
    let out = r.agent_online(&user("c", &["billing"], &[], 1), clock.now());
    assert_eq!(offers(&out), offer("c1", "c"));
}

#[test]
fn timeout_on_tick_moves_the_offer_to_the_next_agent() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 1), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    clock.advance(29);
    assert!(r.tick(clock.now()).is_empty(), "not yet expired");
    clock.advance(1);
    let out = r.tick(clock.now());
    assert_eq!(
        routing_only(out),
        vec![
            RoutingAction::OfferWithdrawn {
                conversation_id: cid("c1"),
                agent_id: uid("a"),
            },
            RoutingAction::Requeued {
                conversation_id: cid("c1"),
                reason: RequeueReason::OfferExpired,
            },
            RoutingAction::Offer {
                conversation_id: cid("c1"),
                agent_id: uid("b"),
                expires_at: clock.now() + TimeDelta::seconds(30),
            },
        ]
    );
    // When b lets it expire too, a (who missed it once, like b now) is asked again rather
    // than leaving the customer stuck; b, with the same misses, loses on the id tie-break.
    clock.advance(30);
    let out = r.tick(clock.now());
    assert_eq!(offers(&out), offer("c1", "a"));
}

#[test]
fn a_single_agent_who_misses_is_offered_again() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    clock.advance(30);
    let out = r.tick(clock.now());
    assert_eq!(offers(&out), offer("c1", "a"));
    assert!(r.accept(&cid("c1"), &uid("a"), clock.now()).is_ok());
}

#[test]
fn stays_queued_without_agents_and_is_offered_when_one_signs_in() {
    let mut clock = Clock::new();
    let mut r = router();
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert!(offers(&out).is_empty());
    assert_eq!(estimates(&out), vec![("c1".to_owned(), 1, 480)]);
    clock.advance(600);
    assert!(r.tick(clock.now()).is_empty());
    r.agent_online(&user("t", &["tech"], &[], 1), clock.now());
    assert_eq!(r.wait_estimate(&cid("c1"), clock.now()), Some((1, 480)));
    let out = r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    assert_eq!(offers(&out), offer("c1", "a"));
}

#[test]
fn agent_offline_with_a_pending_offer_requeues_and_reoffers() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 1), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    let out = r.agent_offline(&uid("a"), clock.now());
    assert_eq!(
        routing_only(out.clone())[..2],
        [
            RoutingAction::OfferWithdrawn {
                conversation_id: cid("c1"),
                agent_id: uid("a"),
            },
            RoutingAction::Requeued {
                conversation_id: cid("c1"),
                reason: RequeueReason::AgentOffline,
            },
        ]
    );
    assert_eq!(offers(&out), offer("c1", "b"));
    assert!(r.snapshot().agents.iter().all(|a| a.agent_id != uid("a")));
    // Going away with an offer does the same.
    let out = r.set_status(&uid("b"), AgentStatus::Away, clock.now());
    assert!(out.contains(&RoutingAction::Requeued {
        conversation_id: cid("c1"),
        reason: RequeueReason::AgentUnavailable,
    }));
    assert!(offers(&out).is_empty());
    // And coming back (not a decline) brings it back.
    let out = r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    assert_eq!(offers(&out), offer("c1", "a"));
}

#[test]
fn assigned_work_survives_a_reconnect() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    assign(&mut r, &clock, "c1", "billing", "a");
    r.agent_offline(&uid("a"), clock.now());
    let snap = r.snapshot();
    assert!(!snap.agents[0].online);
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    assert_eq!(load_of(&r, "a"), 1);
    let out = r.enqueue(cid("c2"), "billing", None, Urgency::Medium, clock.now());
    assert!(offers(&out).is_empty(), "still at capacity after reconnect");
}

#[test]
fn max_concurrent_is_respected() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("zero", &["billing"], &[], 0), clock.now());
    r.agent_online(&user("a", &["billing"], &[], 2), clock.now());
    assign(&mut r, &clock, "c1", "billing", "a");
    assign(&mut r, &clock, "c2", "billing", "a");
    let out = r.enqueue(cid("c3"), "billing", None, Urgency::Critical, clock.now());
    assert!(
        offers(&out).is_empty(),
        "a is full and zero has no room: {out:?}"
    );
    assert_eq!(load_of(&r, "a"), 2);
    let out = r.released(&cid("c1"), &uid("a"), 100, clock.now());
    assert_eq!(offers(&out), offer("c3", "a"));
    // Releasing twice, or by someone not assigned, changes nothing.
    assert!(r
        .released(&cid("c1"), &uid("a"), 100, clock.now())
        .is_empty());
    assert!(r
        .released(&cid("c2"), &uid("zero"), 100, clock.now())
        .is_empty());
}

#[test]
fn one_offer_per_agent_at_a_time() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 5), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    let out = r.enqueue(cid("c2"), "billing", None, Urgency::Medium, clock.now());
    assert!(offers(&out).is_empty(), "a already holds c1's offer");
    let out = r.accept(&cid("c1"), &uid("a"), clock.now()).unwrap();
    assert_eq!(offers(&out), offer("c2", "a"));
}

#[test]
fn wait_estimates_use_position_mean_handle_time_and_agents() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 1), clock.now());
    // Two six-minute samples, then both agents busy again.
    assign(&mut r, &clock, "x1", "billing", "a");
    assign(&mut r, &clock, "x2", "billing", "b");
    r.released(&cid("x1"), &uid("a"), 360, clock.now());
    r.released(&cid("x2"), &uid("b"), 360, clock.now());
    assign(&mut r, &clock, "y1", "billing", "a");
    assign(&mut r, &clock, "y2", "billing", "b");

    let out = r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert_eq!(estimates(&out), vec![("c1".to_owned(), 1, 180)]);
    r.enqueue(cid("c2"), "billing", None, Urgency::Medium, clock.now());
    let out = r.enqueue(cid("c3"), "billing", None, Urgency::Medium, clock.now());
    // Position 3, mean 6 min, 2 agents: 9 min. Only the new conversation's estimate changed.
    assert_eq!(estimates(&out), vec![("c3".to_owned(), 3, 540)]);
    assert_eq!(r.wait_estimate(&cid("c3"), clock.now()), Some((3, 540)));

    // An urgent arrival pushes everyone back one place: all three hear about it.
    let out = r.enqueue(
        cid("urgent"),
        "billing",
        None,
        Urgency::Critical,
        clock.now(),
    );
    assert_eq!(
        estimates(&out),
        vec![
            ("urgent".to_owned(), 1, 180),
            ("c1".to_owned(), 2, 360),
            ("c2".to_owned(), 3, 540),
            ("c3".to_owned(), 4, 720),
        ]
    );

    // One agent away: half the capacity, estimates double.
    let out = r.set_status(&uid("b"), AgentStatus::Away, clock.now());
    assert_eq!(estimates(&out)[3], ("c3".to_owned(), 4, 1440));
    r.set_status(&uid("b"), AgentStatus::Available, clock.now());

    // A 12-minute release: mean (360+360+720)/3 = 8 min; a takes "urgent" (offer only, so
    // it stays queued at position 1 until accepted).
    let out = r.released(&cid("y1"), &uid("a"), 720, clock.now());
    assert_eq!(offers(&out), offer("urgent", "a"));
    assert_eq!(r.wait_estimate(&cid("c1"), clock.now()), Some((2, 480)));
    r.accept(&cid("urgent"), &uid("a"), clock.now()).unwrap();
    assert_eq!(r.wait_estimate(&cid("c1"), clock.now()), Some((1, 240)));
    let snap = r.snapshot();
    assert_eq!(snap.queues[0].mean_handle_secs, 480);
    assert_eq!(snap.queues[0].agents_serving, 2);
    assert_eq!(snap.queues[0].conversations[2].estimate_secs, 720);

    // Withdrawing the head moves the rest up.
    let out = r.withdraw(&cid("c1"), clock.now());
    assert_eq!(
        estimates(&out),
        vec![("c2".to_owned(), 1, 240), ("c3".to_owned(), 2, 480)]
    );
}

#[test]
fn handle_time_window_keeps_only_recent_samples() {
    let clock = Clock::new();
    let cfg = RoutingConfig {
        handle_time_samples: 1,
        default_handle_secs: 100,
        ..RoutingConfig::default()
    };
    let mut r = Router::new(cfg);
    r.enqueue(cid("q"), "tech", None, Urgency::Low, clock.now());
    assert_eq!(r.wait_estimate(&cid("q"), clock.now()), Some((1, 100)));
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    assign(&mut r, &clock, "x1", "billing", "a");
    r.released(&cid("x1"), &uid("a"), 1000, clock.now());
    assign(&mut r, &clock, "x2", "billing", "a");
    r.released(&cid("x2"), &uid("a"), 60, clock.now());
    r.enqueue(cid("w"), "billing", None, Urgency::Low, clock.now());
    let out = r.enqueue(cid("w2"), "billing", None, Urgency::Low, clock.now());
    assert_eq!(estimates(&out), vec![("w2".to_owned(), 2, 120)]);
    assert_eq!(
        r.wait_estimate(&cid("q"), clock.now()),
        Some((1, 100)),
        "per skill"
    );
}

#[test]
fn specialist_invite_offers_someone_not_in_the_conversation() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing", "tech"], &[], 2), clock.now());
    r.agent_online(&user("b", &["tech"], &[], 2), clock.now());
    r.agent_online(&user("c", &["tech"], &[], 2), clock.now());
    assign(&mut r, &clock, "c1", "billing", "a");
    // a is the inviter (and in the conversation) although it has the skill.
    let out = r.invite_specialist(&cid("c1"), "tech", &uid("a"), clock.now());
    assert_eq!(
        out[0],
        RoutingAction::SpecialistInvited {
            conversation_id: cid("c1"),
            agent_id: uid("b"),
            skill: "tech".to_owned(),
        }
    );
    assert_eq!(offers(&out), offer("c1", "b"));
    // A second invite while one is live is ignored.
    assert!(r
        .invite_specialist(&cid("c1"), "tech", &uid("a"), clock.now())
        .is_empty());
    r.accept(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert_eq!(load_of(&r, "b"), 1);
    // b is in now: the next tech invite goes to c; c lets it expire; nobody is left.
    let out = r.invite_specialist(&cid("c1"), "tech", &uid("b"), clock.now());
    assert_eq!(offers(&out), offer("c1", "c"));
    clock.advance(30);
    let out = r.tick(clock.now());
    assert_eq!(
        out,
        vec![
            RoutingAction::OfferWithdrawn {
                conversation_id: cid("c1"),
                agent_id: uid("c"),
            },
            RoutingAction::NoSpecialist {
                conversation_id: cid("c1"),
                skill: "tech".to_owned(),
            },
        ]
    );
    // The specialist's handle time counts for the skill it joined for.
    r.released(&cid("c1"), &uid("b"), 60, clock.now());
    assert_eq!(r.wait_estimate(&cid("nothing"), clock.now()), None);
    r.enqueue(cid("t1"), "legal", None, Urgency::Low, clock.now());
    let snap = r.snapshot();
    assert_eq!(snap.queues[0].mean_handle_secs, 480);
    r.enqueue(cid("t2"), "tech", None, Urgency::Low, clock.now());
    let out = r.snapshot();
    let tech = out.queues.iter().find(|q| q.skill == "tech").unwrap();
    assert_eq!(tech.mean_handle_secs, 60);
}

#[test]
fn specialist_decline_moves_on_then_no_specialist() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 2), clock.now());
    r.agent_online(&user("b", &["legal"], &[], 2), clock.now());
    r.agent_online(&user("c", &["legal"], &[], 2), clock.now());
    assign(&mut r, &clock, "c1", "billing", "a");
    let out = r.invite_specialist(&cid("c1"), "legal", &uid("a"), clock.now());
    assert_eq!(offers(&out), offer("c1", "b"));
    let out = r.decline(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert_eq!(offers(&out), offer("c1", "c"));
    let out = r.decline(&cid("c1"), &uid("c"), clock.now()).unwrap();
    assert_eq!(
        out,
        vec![RoutingAction::NoSpecialist {
            conversation_id: cid("c1"),
            skill: "legal".to_owned(),
        }]
    );
}

#[test]
fn no_specialist_when_nobody_has_the_skill() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 2), clock.now());
    assign(&mut r, &clock, "c1", "billing", "a");
    let out = r.invite_specialist(&cid("c1"), "security", &uid("a"), clock.now());
    assert_eq!(
        out,
        vec![RoutingAction::NoSpecialist {
            conversation_id: cid("c1"),
            skill: "security".to_owned(),
        }]
    );
}

#[test]
fn accepting_someone_elses_or_an_expired_offer_fails() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.agent_online(&user("b", &["billing"], &[], 1), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert_eq!(
        r.accept(&cid("c1"), &uid("b"), clock.now()),
        Err(RoutingError::NotOfferedTo {
            conversation: cid("c1"),
            agent: uid("b"),
        })
    );
    assert_eq!(
        r.decline(&cid("c1"), &uid("b"), clock.now()),
        Err(RoutingError::NotOfferedTo {
            conversation: cid("c1"),
            agent: uid("b"),
        })
    );
    assert_eq!(
        r.accept(&cid("nope"), &uid("a"), clock.now()),
        Err(RoutingError::NoLiveOffer {
            conversation: cid("nope"),
        })
    );
    // Expired but not yet ticked: refused, and the offer is still a's to be moved on.
    clock.advance(30);
    let expired = Err(RoutingError::OfferExpired {
        conversation: cid("c1"),
        agent: uid("a"),
    });
    assert_eq!(r.accept(&cid("c1"), &uid("a"), clock.now()), expired);
    assert_eq!(load_of(&r, "a"), 0);
    // After the tick moved it to b, a still hears "expired", and b can accept.
    let out = r.tick(clock.now());
    assert_eq!(offers(&out), offer("c1", "b"));
    assert_eq!(r.accept(&cid("c1"), &uid("a"), clock.now()), expired);
    assert!(r.accept(&cid("c1"), &uid("b"), clock.now()).is_ok());
}

#[test]
fn withdraw_takes_the_conversation_and_its_offer_away() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &[], 1), clock.now());
    r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    r.enqueue(cid("c2"), "billing", None, Urgency::Medium, clock.now());
    let out = r.withdraw(&cid("c1"), clock.now());
    assert_eq!(
        routing_only(out.clone())[0],
        RoutingAction::OfferWithdrawn {
            conversation_id: cid("c1"),
            agent_id: uid("a"),
        }
    );
    assert_eq!(offers(&out), offer("c2", "a"), "a is free for the next one");
    assert_eq!(r.wait_estimate(&cid("c1"), clock.now()), None);
    assert_eq!(
        r.accept(&cid("c1"), &uid("a"), clock.now()),
        Err(RoutingError::NoLiveOffer {
            conversation: cid("c1")
        })
    );
}

#[test]
fn disabled_or_unknown_agents_are_ignored() {
    let clock = Clock::new();
    let mut r = router();
    let mut u = user("a", &["billing"], &[], 1);
    u.disabled = true;
    assert!(r.agent_online(&u, clock.now()).is_empty());
    assert!(r.snapshot().agents.is_empty());
    assert!(r
        .set_status(&uid("ghost"), AgentStatus::Available, clock.now())
        .is_empty());
    assert!(r.agent_offline(&uid("ghost"), clock.now()).is_empty());
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::Medium, clock.now());
    assert!(offers(&out).is_empty());
}

#[test]
fn config_reads_the_toml_section_and_rejects_unknown_keys() {
    let cfg: RoutingConfig = toml::from_str("offer_timeout_secs = 45\n").unwrap();
    assert_eq!(cfg.offer_timeout_secs, 45);
    assert_eq!(cfg.default_handle_secs, 480);
    assert_eq!(cfg.handle_time_samples, 50);
    assert!(toml::from_str::<RoutingConfig>("offer_timeout = 45\n").is_err());
    assert!(cfg.validate().is_ok());
    let bad = RoutingConfig {
        offer_timeout_secs: 0,
        ..RoutingConfig::default()
    };
    assert!(matches!(
        bad.validate(),
        Err(RoutingError::InvalidConfig {
            field: "offer_timeout_secs",
            ..
        })
    ));
}

#[test]
fn actions_and_snapshot_serialise_in_camel_case() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["billing"], &["en"], 1), clock.now());
    let out = r.enqueue(cid("c1"), "billing", Some("en"), Urgency::High, clock.now());
    let json = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(json["type"], "offer");
    assert_eq!(json["conversationId"], "c1");
    assert_eq!(json["agentId"], "a");
    assert_eq!(json["expiresAt"], "2025-03-01T09:00:30Z");
    let snap = serde_json::to_value(r.snapshot()).unwrap();
    assert_eq!(snap["queues"][0]["conversations"][0]["offeredTo"], "a");
    assert_eq!(snap["queues"][0]["conversations"][0]["urgency"], "high");
    assert_eq!(snap["agents"][0]["status"], "available");
    assert_eq!(snap["agents"][0]["maxConcurrent"], 1);
}

#[test]
fn a_direct_assignment_withdraws_the_offer_and_counts_as_load() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("maria", &["billing"], &["en"], 2), clock.now());
    r.agent_online(&user("sam", &["billing"], &["en"], 2), clock.now());
    let out = r.enqueue(cid("c1"), "billing", None, Urgency::High, clock.now());
    let offered_to = offers(&out)[0].1.clone();
    let taker = if offered_to == "maria" {
        "sam"
    } else {
        "maria"
    };
    let out = r.assign(&cid("c1"), &uid(taker), "billing", clock.now());
    assert!(
        out.iter().any(|a| matches!(a, RoutingAction::OfferWithdrawn { agent_id, .. } if agent_id.0 == offered_to)),
        "the other agent's offer is withdrawn: {out:?}"
    );
    assert_eq!(load_of(&r, taker), 1);
    assert!(
        r.wait_estimate(&cid("c1"), clock.now()).is_none(),
        "left the queue"
    );
    assert!(
        r.assign(&cid("c2"), &uid("nobody"), "billing", clock.now())
            .is_empty(),
        "unknown agents are ignored"
    );
}

#[test]
fn agents_serving_counts_signed_in_agents_with_the_skill() {
    let mut clock = Clock::new();
    let mut r = router();
    assert_eq!(r.agents_serving("billing"), 0, "nobody is signed in");
    r.agent_online(&user("sam", &["billing"], &["en"], 2), clock.now());
    r.agent_online(&user("maria", &["technical"], &["en"], 2), clock.now());
    assert_eq!(r.agents_serving("billing"), 1);
    r.agent_offline(&uid("sam"), clock.advance(5));
    assert_eq!(r.agents_serving("billing"), 0);
}

fn to_agent(agent: &str, skill: &str) -> TransferTarget {
    TransferTarget::Agent {
        agent: uid(agent),
        skill: skill.to_owned(),
    }
}

#[test]
fn a_named_transfer_offers_only_that_colleague_and_keeps_the_asker_until_released() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["tech"], &[], 2), clock.now());
    // b has no tech skill and a full load: asked by name, that does not matter.
    r.agent_online(&user("b", &["billing"], &[], 1), clock.now());
    r.agent_online(&user("c", &["billing"], &[], 2), clock.now());
    assign(&mut r, &clock, "c0", "billing", "b");
    assign(&mut r, &clock, "c1", "tech", "a");
    let out = r
        .transfer(&cid("c1"), &uid("a"), to_agent("b", "tech"), clock.now())
        .unwrap();
    assert_eq!(
        out[0],
        RoutingAction::TransferOffered {
            conversation_id: cid("c1"),
            agent_id: uid("b"),
            skill: "tech".to_owned(),
        }
    );
    assert_eq!(offers(&out), offer("c1", "b"));
    // A second transfer or an invite while it is pending is refused or ignored.
    assert!(matches!(
        r.transfer(&cid("c1"), &uid("a"), to_agent("c", "tech"), clock.now()),
        Err(RoutingError::RequestPending { .. })
    ));
    assert!(r
        .invite_specialist(&cid("c1"), "billing", &uid("a"), clock.now())
        .is_empty());
    let out = r.accept(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert!(out.contains(&RoutingAction::Assigned {
        conversation_id: cid("c1"),
        agent_id: uid("b"),
    }));
    // Warm: both are in until the caller releases the asker.
    assert_eq!((load_of(&r, "a"), load_of(&r, "b")), (1, 2));
    r.released(&cid("c1"), &uid("a"), 120, clock.now());
    assert_eq!((load_of(&r, "a"), load_of(&r, "b")), (0, 2));
}

#[test]
fn a_named_transfer_fails_with_the_reason_when_declined_missed_or_the_colleague_leaves() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["tech"], &[], 3), clock.now());
    r.agent_online(&user("b", &["tech"], &[], 3), clock.now());
    r.agent_online(&user("c", &["tech"], &[], 3), clock.now());
    assign(&mut r, &clock, "c1", "tech", "a");
    let failed = |reason| RoutingAction::TransferFailed {
        conversation_id: cid("c1"),
        skill: "tech".to_owned(),
        reason: Some(reason),
    };
    // Declined: nobody else is asked (c has the skill but was not named).
    r.transfer(&cid("c1"), &uid("a"), to_agent("b", "tech"), clock.now())
        .unwrap();
    let out = r.decline(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert_eq!(routing_only(out), vec![failed(RequeueReason::Declined)]);
    // Missed.
    r.transfer(&cid("c1"), &uid("a"), to_agent("b", "tech"), clock.now())
        .unwrap();
    clock.advance(30);
    let out = routing_only(r.tick(clock.now()));
    assert_eq!(out.last(), Some(&failed(RequeueReason::OfferExpired)));
    // Signed out while holding it.
    r.transfer(&cid("c1"), &uid("a"), to_agent("c", "tech"), clock.now())
        .unwrap();
    let out = routing_only(r.agent_offline(&uid("c"), clock.now()));
    assert_eq!(out.last(), Some(&failed(RequeueReason::AgentOffline)));
    assert_eq!(load_of(&r, "a"), 1, "the asker keeps the conversation");
}

#[test]
fn a_named_transfer_is_refused_up_front_when_the_colleague_cannot_be_asked() {
    let clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["tech"], &[], 3), clock.now());
    r.agent_online(&user("b", &["tech"], &[], 3), clock.now());
    r.agent_online(&user("c", &["tech"], &[], 3), clock.now());
    assign(&mut r, &clock, "c1", "tech", "a");
    let why = |r: &mut Router, to: &str| match r.transfer(
        &cid("c1"),
        &uid("a"),
        to_agent(to, "tech"),
        clock.now(),
    ) {
        Err(RoutingError::TargetUnavailable { why, .. }) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(why(&mut r, "a"), "is the agent asking");
    assert_eq!(why(&mut r, "nobody"), "is not signed in");
    r.set_status(&uid("b"), AgentStatus::Away, clock.now());
    assert_eq!(why(&mut r, "b"), "is away");
    // c holds an offer for other work.
    let out = r.enqueue(cid("c2"), "tech", None, Urgency::Low, clock.now());
    assert_eq!(offers(&out), offer("c2", "c"));
    assert_eq!(why(&mut r, "c"), "is answering another offer");
    r.accept(&cid("c2"), &uid("c"), clock.now()).unwrap();
    r.invite_specialist(&cid("c1"), "tech", &uid("a"), clock.now());
    r.accept(&cid("c1"), &uid("c"), clock.now()).unwrap();
    assert_eq!(why(&mut r, "c"), "is already in the conversation");
}

#[test]
fn a_skill_transfer_tries_each_agent_with_the_skill_then_fails() {
    let mut clock = Clock::new();
    let mut r = router();
    r.agent_online(&user("a", &["tech", "billing"], &[], 3), clock.now());
    assert!(matches!(
        r.enqueue(cid("c1"), "tech", None, Urgency::Low, clock.now())[..],
        [RoutingAction::Offer { .. }, ..]
    ));
    r.accept(&cid("c1"), &uid("a"), clock.now()).unwrap();
    // The asker has the skill but does not count.
    assert!(matches!(
        r.transfer(
            &cid("c1"),
            &uid("a"),
            TransferTarget::Skill("billing".into()),
            clock.now()
        ),
        Err(RoutingError::NobodyWithSkill { .. })
    ));
    r.agent_online(&user("b", &["billing"], &[], 3), clock.now());
    r.agent_online(&user("c", &["billing"], &[], 3), clock.now());
    let out = r
        .transfer(
            &cid("c1"),
            &uid("a"),
            TransferTarget::Skill("billing".into()),
            clock.now(),
        )
        .unwrap();
    assert_eq!(offers(&out), offer("c1", "b"));
    let out = r.decline(&cid("c1"), &uid("b"), clock.now()).unwrap();
    assert_eq!(offers(&out), offer("c1", "c"));
    clock.advance(30);
    let out = routing_only(r.tick(clock.now()));
    assert_eq!(
        out.last(),
        Some(&RoutingAction::TransferFailed {
            conversation_id: cid("c1"),
            skill: "billing".to_owned(),
            reason: Some(RequeueReason::OfferExpired),
        })
    );
    // Once over, a new transfer may start (a new question: b may be asked again), and an
    // accepted one assigns the new agent under the skill it was transferred to.
    let out = r
        .transfer(
            &cid("c1"),
            &uid("a"),
            TransferTarget::Skill("billing".into()),
            clock.now(),
        )
        .unwrap();
    assert_eq!(offers(&out), offer("c1", "b"));
    r.accept(&cid("c1"), &uid("b"), clock.now()).unwrap();
    r.released(&cid("c1"), &uid("b"), 90, clock.now());
    r.enqueue(cid("c9"), "billing", None, Urgency::Low, clock.now());
    let billing = r
        .snapshot()
        .queues
        .into_iter()
        .find(|q| q.skill == "billing")
        .unwrap();
    assert_eq!(billing.mean_handle_secs, 90);
}
