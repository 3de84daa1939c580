//! Step scenarios driven by a simulated clock: every input carries the clock's time, nothing
//! sleeps, and the assertions read the events the engine asks to write.

use super::*;
use crate::domain::{
    BriefingText, Conversation, ConversationHeader, ConversationStatus, Customer, EventBody,
    HandoffState, KnowledgeContext, Message, Participant, ParticipantId, ParticipantKind,
    PendingTransfer, Role, Speaker, Urgency,
};
use crate::handoff::policy::{Decision, PolicyConfig, Trigger};
use crate::handoff::routing::{AgentStatus, RequeueReason};
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

/// Default configuration: offers expire after 30 s, hand-back after 180 s.
fn steps() -> Steps {
    let policy = EscalationPolicy::new(PolicyConfig::default());
    Steps::new(HandoffConfig::default(), Arc::new(policy))
}

const OFFER_SECS: i64 = 30;
const HAND_BACK_SECS: i64 = 180;

fn agent(id: &str) -> User {
    User::for_tests(id, Role::Agent, &["billing"])
}

fn cid(s: &str) -> ConversationId {
    ConversationId::from(s)
}

fn uid(s: &str) -> UserId {
    UserId::from(s)
}

/// A conversation with Dana's one message, still with the assistant.
fn conversation(id: &str, now: Timestamp) -> Conversation {
    let customer = Customer {
        name: Some("Dana Smith".into()),
        ..Customer::default()
    };
    let mut header = ConversationHeader::new(cid(id), customer, now);
    header.skill = "billing".into();
    let message = Message::new(
        Speaker::Customer,
        "I was charged twice, get me a person",
        now,
    );
    Conversation {
        header,
        messages: vec![message],
        notes: Vec::new(),
    }
}

fn decision(now: Timestamp) -> Decision {
    Decision {
        trigger: Trigger::ExplicitRequest,
        evidence: Vec::new(),
        urgency: Urgency::Medium,
        recommended_skill: "billing".into(),
        ai_assessment: "The customer asked for a person.".into(),
        customer_expectation: "refund".into(),
        decided_at: now,
    }
}

fn escalate(s: &mut Steps, id: &str, now: Timestamp) -> Vec<Step> {
    s.escalate(
        conversation(id, now),
        &decision(now),
        0.9,
        KnowledgeContext::default(),
        false,
        now,
    )
}

/// The `type` of every event written, in order.
fn kinds(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(Step::written)
        .map(|b| {
            serde_json::to_value(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// `(agent, reason)` of every `handoff_declined` written.
fn declined(steps: &[Step]) -> Vec<(String, String)> {
    steps
        .iter()
        .filter_map(|s| match s.written() {
            Some(EventBody::HandoffDeclined { agent_id, reason }) => {
                Some((agent_id.0.clone(), reason.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The agent of every `handoff_offered` written.
fn offered(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| match s.written() {
            Some(EventBody::HandoffOffered { agent_id, .. }) => Some(agent_id.0.clone()),
            _ => None,
        })
        .collect()
}

/// The texts of every message written, with who said them.
fn said(steps: &[Step]) -> Vec<(Speaker, String)> {
    steps
        .iter()
        .filter_map(|s| match s.written() {
            Some(EventBody::Message { message, .. }) => {
                Some((message.speaker, message.content.clone()))
            }
            _ => None,
        })
        .collect()
}

fn counted(steps: &[Step]) -> Vec<Milestone> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Count(m) => Some(*m),
            _ => None,
        })
        .collect()
}

/// Signs `ids` in, in order.
fn online(s: &mut Steps, ids: &[&str], now: Timestamp) {
    for id in ids {
        s.connected(agent(id), now);
    }
}

/// `who` accepts, opens the briefing and joins (with their own introduction).
/// How many conversations the router counts for agent `id` (None: it does not know them).
fn load_of(s: &Steps, id: &str) -> Option<usize> {
    s.router()
        .snapshot()
        .agents
        .iter()
        .find(|a| a.agent_id == uid(id))
        .map(|a| a.load)
}

fn accept_and_join(s: &mut Steps, id: &str, who: &str, now: Timestamp) -> Vec<Step> {
    let a = agent(who);
    let mut out = s.accept(&cid(id), &a, now).unwrap();
    out.extend(s.open_briefing(&cid(id), &a).unwrap());
    out.extend(s.join(&cid(id), &a, Some("Hi Dana".into()), now).unwrap());
    out
}

#[test]
fn escalation_with_an_agent_online_is_briefed_then_offered_at_once() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    let out = escalate(&mut s, "c1", clock.now());
    let kinds = kinds(&out);
    assert_eq!(
        kinds[..4],
        [
            "escalation_triggered",
            "agent_briefing_ready",
            "message",
            "handoff_offered"
        ],
        "{kinds:?}"
    );
    assert_eq!(offered(&out), ["ann"]);
    assert!(out.contains(&Step::Escalated {
        conversation_id: cid("c1"),
        trigger: Trigger::ExplicitRequest,
        skill: "billing".into(),
    }));
    assert_eq!(counted(&out), [Milestone::Offer]);
    let case = s.case(&cid("c1")).unwrap();
    assert!(case.waiting() && case.offer_live);
    // The customer hears that someone has it, within the offer's time.
    let w = s.waiting(&cid("c1"), clock.now()).unwrap();
    assert!(w.estimate_secs <= OFFER_SECS as u64, "{w:?}");
}

#[test]
fn escalation_is_ignored_when_staff_have_it_or_it_is_already_escalated() {
    let clock = Clock::new();
    let mut s = steps();
    let now = clock.now();
    let taken = s.escalate(
        conversation("c1", now),
        &decision(now),
        0.9,
        KnowledgeContext::default(),
        true,
        now,
    );
    assert!(taken.is_empty());
    assert!(s.case(&cid("c1")).is_none());
    assert!(!escalate(&mut s, "c1", now).is_empty());
    assert!(
        escalate(&mut s, "c1", now).is_empty(),
        "one case per conversation"
    );
}

#[test]
fn nobody_online_queues_and_says_so() {
    let clock = Clock::new();
    let mut s = steps();
    let out = escalate(&mut s, "c1", clock.now());
    assert!(offered(&out).is_empty());
    assert!(out.iter().any(|st| matches!(
        st.written(),
        Some(EventBody::WaitEstimated {
            position: 1,
            nobody_online: true,
            ..
        })
    )));
    let w = s.waiting(&cid("c1"), clock.now()).unwrap();
    assert!(w.nobody_online && w.agent.is_none());
    // The agent signs in later: the offer follows.
    let out = s.connected(agent("ann"), clock.now());
    assert_eq!(offered(&out), ["ann"]);
    assert_eq!(
        out.last(),
        Some(&Step::Status {
            agent: uid("ann"),
            status: AgentStatus::Available
        })
    );
}

#[test]
fn an_unanswered_offer_expires_on_the_clock_and_moves_on() {
    let mut clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann", "bob"], clock.now());
    let out = escalate(&mut s, "c1", clock.now());
    let first = offered(&out);
    assert_eq!(first.len(), 1);
    let (holder, other) = if first[0] == "ann" {
        ("ann", "bob")
    } else {
        ("bob", "ann")
    };
    // Just before the offer runs out nothing happens.
    let (out, routed) = s.tick(clock.advance(OFFER_SECS - 1));
    assert!(out.is_empty() && !routed, "{out:?}");
    // Once it has run out, accepting is refused even before the clock moved it on.
    let late = clock.advance(1);
    assert_eq!(
        s.accept(&cid("c1"), &agent(holder), late),
        Err(StepError::OfferExpired)
    );
    let (out, routed) = s.tick(late);
    assert!(routed);
    assert_eq!(declined(&out), [(holder.to_owned(), "expired".to_owned())]);
    assert_eq!(offered(&out), [other]);
    assert_eq!(counted(&out), [Milestone::Expired, Milestone::Offer]);
    assert!(s.case(&cid("c1")).unwrap().offer_live);
}

#[test]
fn a_declined_offer_moves_on_and_only_the_holder_may_answer() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann", "bob"], clock.now());
    let out = escalate(&mut s, "c1", clock.now());
    let holder = offered(&out).remove(0);
    let other = if holder == "ann" { "bob" } else { "ann" };
    assert_eq!(
        s.accept(&cid("c1"), &agent(other), clock.now()),
        Err(StepError::NotOffered)
    );
    assert_eq!(
        s.decline(&cid("c9"), &agent(&holder), clock.now()),
        Err(StepError::NotOffered)
    );
    let out = s.decline(&cid("c1"), &agent(&holder), clock.now()).unwrap();
    assert_eq!(declined(&out), [(holder.clone(), "declined".to_owned())]);
    assert_eq!(offered(&out), [other]);
    assert_eq!(counted(&out)[0], Milestone::Decline);
}

#[test]
fn joining_needs_an_accepted_offer_and_an_opened_briefing() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    let (c1, ann, now) = (cid("c1"), agent("ann"), clock.now());
    assert_eq!(
        s.open_briefing(&cid("c9"), &ann),
        Err(StepError::NotEscalated)
    );
    assert_eq!(
        s.open_briefing(&c1, &agent("zoe")),
        Err(StepError::NotOffered)
    );
    assert_eq!(s.join(&c1, &ann, None, now), Err(StepError::NotAccepted));
    let out = s.accept(&c1, &ann, now).unwrap();
    assert_eq!(kinds(&out), ["handoff_accepted", "message"]);
    assert_eq!(said(&out)[0].0, Speaker::System);
    assert_eq!(
        s.join(&c1, &ann, None, now),
        Err(StepError::BriefingNotOpened)
    );
    assert_eq!(
        kinds(&s.open_briefing(&c1, &ann).unwrap()),
        ["briefing_opened"]
    );
    assert!(
        s.open_briefing(&c1, &ann).unwrap().is_empty(),
        "opened once"
    );
    let long = "x".repeat(agent::MAX_INTRODUCTION + 1);
    assert_eq!(
        s.join(&c1, &ann, Some(long), now),
        Err(StepError::BadIntroduction(agent::MAX_INTRODUCTION))
    );
    let out = s.join(&c1, &ann, None, now).unwrap();
    assert_eq!(kinds(&out), ["agent_joined", "message"]);
    // Without an introduction of their own, the briefing's suggestion, in the agent's name.
    let (speaker, text) = said(&out).remove(0);
    assert_eq!(speaker, Speaker::Agent);
    assert!(!text.is_empty());
    assert!(matches!(
        out[1].written(),
        Some(EventBody::AgentJoined {
            specialist: false,
            ..
        })
    ));
    assert_eq!(s.join(&c1, &ann, None, now), Err(StepError::AlreadyJoined));
    assert_eq!(s.waiting(&c1, now).unwrap().agent.as_deref(), Some("ann"));
}

#[test]
fn take_over_of_an_unanswered_conversation_opens_the_case_and_joins_at_once() {
    let clock = Clock::new();
    let mut s = steps();
    let now = clock.now();
    let header = conversation("c1", now).header;
    // The draft kept current every turn, as the assistant left it.
    let drafted = Case::new(
        decision(now).to_escalation(),
        now,
        Arc::new(conversation("c1", now)),
        KnowledgeContext::default(),
    );
    let draft = Arc::new(drafted.briefing(None, "billing specialist", now));
    let out = s.take_over(&header, &agent("ann"), Some(draft), now);
    assert_eq!(
        kinds(&out),
        [
            "escalation_triggered",
            "agent_briefing_ready",
            "handoff_accepted",
            "agent_joined"
        ]
    );
    let Some(EventBody::EscalationTriggered { escalation, .. }) = out[0].written() else {
        panic!("{out:?}")
    };
    assert_eq!(escalation.trigger, "agent_takeover");
    assert_eq!(escalation.recommended_agent, "billing");
    let Some(EventBody::AgentBriefingReady { briefing }) = out[1].written() else {
        panic!("{out:?}")
    };
    assert_eq!(
        &briefing.escalation, escalation,
        "the draft carries the takeover"
    );
    assert_eq!(counted(&out), [Milestone::TakeOver]);
    // Taking over again writes nothing new.
    let again = s.take_over(&header, &agent("ann"), None, now);
    assert!(kinds(&again).is_empty(), "{again:?}");
    // Ann was not signed in: the assignment waits for her, and she is not offered it again.
    let out = s.connected(agent("ann"), now);
    assert!(offered(&out).is_empty(), "{out:?}");
    assert_eq!(load_of(&s, "ann"), Some(1));
}

#[test]
fn take_over_of_a_waiting_conversation_withdraws_the_offer_someone_holds() {
    let mut clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["bob"], clock.now());
    escalate(&mut s, "c1", clock.now());
    online(&mut s, &["ann"], clock.now());
    let header = conversation("c1", clock.now()).header;
    let out = s.take_over(&header, &agent("ann"), None, clock.advance(5));
    assert_eq!(
        kinds(&out),
        ["handoff_declined", "handoff_accepted", "agent_joined"]
    );
    assert_eq!(declined(&out), [("bob".to_owned(), "withdrawn".to_owned())]);
    assert_eq!(counted(&out), [Milestone::TakeOver, Milestone::Withdrawn]);
    // Bob's late answer is refused; the case is Ann's and nothing expires any more.
    assert!(s.accept(&cid("c1"), &agent("bob"), clock.now()).is_err());
    let (out, _) = s.tick(clock.advance(OFFER_SECS));
    assert!(out.is_empty(), "{out:?}");
    assert!(s.hand_back_due(clock.advance(HAND_BACK_SECS)).is_empty());
}

#[test]
fn nobody_accepting_in_time_hands_the_conversation_back() {
    let mut clock = Clock::new();
    let mut s = steps();
    escalate(&mut s, "c1", clock.now());
    assert!(s
        .hand_back_due(clock.advance(HAND_BACK_SECS - 1))
        .is_empty());
    let due = s.hand_back_due(clock.advance(1));
    assert_eq!(due, [cid("c1")]);
    let out = s.hand_back(&cid("c1"), clock.now()).unwrap();
    assert_eq!(kinds(&out), ["handed_back", "message"]);
    assert!(matches!(
        out.iter().find_map(Step::written),
        Some(EventBody::HandedBack { reason }) if reason == "no_agent_accepted"
    ));
    assert_eq!(counted(&out), [Milestone::HandBack]);
    assert!(s.case(&cid("c1")).is_none());
    assert_eq!(s.waiting_count(), 0);
    assert!(s.hand_back(&cid("c1"), clock.now()).is_none());
}

#[test]
fn an_agent_signing_out_with_an_offer_passes_it_on() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    // A second tab closing changes nothing.
    s.connected(agent("ann"), clock.now());
    assert!(s.disconnected(&uid("ann"), clock.now()).is_empty());
    let out = s.disconnected(&uid("ann"), clock.now());
    assert_eq!(
        declined(&out),
        [("ann".to_owned(), "agent_offline".to_owned())]
    );
    assert_eq!(out.last(), Some(&Step::AgentsOnline(0)));
    assert!(!s.case(&cid("c1")).unwrap().offer_live);
}

#[test]
fn going_away_with_an_offer_passes_it_on() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    let out = s.set_status(&uid("ann"), AgentStatus::Away, clock.now());
    assert_eq!(
        declined(&out),
        [("ann".to_owned(), "agent_unavailable".to_owned())]
    );
    assert_eq!(
        out.last(),
        Some(&Step::Status {
            agent: uid("ann"),
            status: AgentStatus::Away
        })
    );
}

#[test]
fn resolving_needs_a_joined_agent_and_everyone_leaves() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    assert_eq!(
        s.resolve(&cid("c1"), &agent("ann"), None, clock.now()),
        Err(StepError::NotInConversation)
    );
    accept_and_join(&mut s, "c1", "ann", clock.now());
    let out = s
        .resolve(
            &cid("c1"),
            &agent("ann"),
            Some("  refunded  ".into()),
            clock.now(),
        )
        .unwrap();
    assert_eq!(
        kinds(&out),
        ["conversation_resolved", "message", "participant_left"]
    );
    assert!(matches!(
        out.iter().find_map(Step::written),
        Some(EventBody::ConversationResolved { note: Some(n), .. }) if n == "refunded"
    ));
    assert!(s.case(&cid("c1")).is_none());
}

#[test]
fn a_specialist_invite_is_refused_when_nobody_can_join() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    accept_and_join(&mut s, "c1", "ann", clock.now());
    let (c1, ann) = (cid("c1"), agent("ann"));
    assert_eq!(
        s.invite_specialist(&c1, &ann, "bad skill!", clock.now()),
        Err(StepError::BadSkill)
    );
    assert_eq!(
        s.invite_specialist(&c1, &agent("bob"), "security", clock.now()),
        Err(StepError::NotInConversation)
    );
    assert_eq!(
        s.invite_specialist(&c1, &ann, "security", clock.now()),
        Err(StepError::NoSpecialist("security".into()))
    );
    // Refused, it leaves no invite behind: the next one is tried afresh.
    s.connected(
        User::for_tests("sec", Role::Agent, &["security"]),
        clock.now(),
    );
    let out = s
        .invite_specialist(&c1, &ann, " security ", clock.now())
        .unwrap();
    assert_eq!(kinds(&out), ["specialist_invited", "handoff_offered"]);
    assert!(matches!(
        out.iter().find_map(Step::written),
        Some(EventBody::SpecialistInvited { invited_by, .. }) if invited_by == &uid("ann")
    ));
    assert_eq!(
        s.invite_specialist(&c1, &ann, "security", clock.now()),
        Err(StepError::InvitePending)
    );
}

#[test]
fn a_transfer_nobody_answers_expires_and_the_asking_agent_keeps_it() {
    let mut clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    accept_and_join(&mut s, "c1", "ann", clock.now());
    s.connected(
        User::for_tests("tess", Role::Agent, &["security"]),
        clock.now(),
    );
    let (c1, ann) = (cid("c1"), agent("ann"));
    let both = TransferRequest {
        to_agent: Some("tess".into()),
        to_skill: Some("security".into()),
        note: None,
    };
    assert!(matches!(
        s.transfer(&c1, &ann, both, None, clock.now()),
        Err(StepError::BadTransfer(_))
    ));
    let request = TransferRequest {
        to_skill: Some("security".into()),
        note: Some("Card was charged twice; refund approved".into()),
        ..TransferRequest::default()
    };
    let out = s.transfer(&c1, &ann, request, None, clock.now()).unwrap();
    assert_eq!(kinds(&out), ["transfer_requested", "handoff_offered"]);
    assert_eq!(offered(&out), ["tess"]);
    let Some(EventBody::HandoffOffered {
        specialist,
        briefing,
        ..
    }) = out[2..].iter().find_map(Step::written)
    else {
        panic!("{out:?}")
    };
    assert!(!specialist, "whoever takes a transfer takes it over");
    assert_eq!(briefing.escalation.recommended_agent, "security");
    let (out, _) = s.tick(clock.advance(OFFER_SECS));
    assert!(matches!(
        out.iter().rev().find_map(Step::written),
        Some(EventBody::TransferEnded { outcome, .. }) if outcome == "expired"
    ));
    assert!(counted(&out).contains(&Milestone::TransferFailed));
    assert!(s.case(&c1).unwrap().transfer.is_none());
    assert_eq!(
        s.cancel_transfer(&c1, &ann, clock.now()),
        Err(StepError::NoTransfer)
    );
}

#[test]
fn a_taken_transfer_completes_when_the_colleague_joins() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    accept_and_join(&mut s, "c1", "ann", clock.now());
    online(&mut s, &["bob"], clock.now());
    let request = TransferRequest {
        to_agent: Some("bob".into()),
        ..TransferRequest::default()
    };
    s.transfer(&cid("c1"), &agent("ann"), request, None, clock.now())
        .unwrap();
    let out = accept_and_join(&mut s, "c1", "bob", clock.now());
    assert_eq!(
        kinds(&out),
        [
            "handoff_accepted",
            "message",
            "briefing_opened",
            "agent_joined",
            "message",
            "participant_left",
            "transfer_ended"
        ]
    );
    assert!(matches!(
        out.last().and_then(Step::written),
        Some(EventBody::TransferEnded { outcome, to_agent_id: Some(to), .. }) if outcome == "completed" && to == &uid("bob")
    ));
    let case = s.case(&cid("c1")).unwrap();
    assert_eq!(case.accepted, [uid("bob")]);
    assert!(!case.joined.contains_key(&uid("ann")));
}

#[test]
fn the_asking_agent_may_call_a_transfer_off_until_someone_accepts() {
    let clock = Clock::new();
    let mut s = steps();
    online(&mut s, &["ann"], clock.now());
    escalate(&mut s, "c1", clock.now());
    accept_and_join(&mut s, "c1", "ann", clock.now());
    online(&mut s, &["bob"], clock.now());
    let (c1, ann) = (cid("c1"), agent("ann"));
    assert_eq!(
        s.cancel_transfer(&c1, &ann, clock.now()),
        Err(StepError::NoTransfer)
    );
    let request = TransferRequest {
        to_agent: Some("bob".into()),
        ..TransferRequest::default()
    };
    let out = s
        .transfer(&c1, &ann, request.clone(), None, clock.now())
        .unwrap();
    assert_eq!(offered(&out), ["bob"]);
    assert!(matches!(
        out.iter().find_map(Step::written),
        Some(EventBody::TransferRequested { to_agent_name: Some(n), note: None, .. }) if n == "bob"
    ));
    assert_eq!(
        s.transfer(&c1, &ann, request, None, clock.now()),
        Err(StepError::InvitePending)
    );
    assert_eq!(
        s.cancel_transfer(&c1, &agent("bob"), clock.now()),
        Err(StepError::NotInConversation)
    );
    let out = s.cancel_transfer(&c1, &ann, clock.now()).unwrap();
    assert!(matches!(
        out.first().and_then(Step::written),
        Some(EventBody::TransferEnded { outcome, to_agent_id: Some(to), .. }) if outcome == "cancelled" && to == &uid("bob")
    ));
    assert_eq!(declined(&out), [("bob".to_owned(), "withdrawn".to_owned())]);
    assert_eq!(
        s.cancel_transfer(&c1, &ann, clock.now()),
        Err(StepError::NoTransfer)
    );
}

#[test]
fn what_the_customer_writes_while_waiting_rebuilds_the_briefing() {
    let clock = Clock::new();
    let mut s = steps();
    escalate(&mut s, "c1", clock.now());
    let same = conversation("c1", clock.now());
    assert!(
        s.refresh(same, KnowledgeContext::default(), clock.now())
            .is_empty(),
        "not newer than the case's"
    );
    let mut newer = conversation("c1", clock.now());
    newer.header.last_seq = 5;
    let out = s.refresh(newer.clone(), KnowledgeContext::default(), clock.now());
    assert_eq!(
        kinds(&out).last().map(String::as_str),
        Some("agent_briefing_ready")
    );
    assert_eq!(s.case(&cid("c1")).unwrap().conversation.header.last_seq, 5);
    // Once someone accepted, the briefing they read stays.
    online(&mut s, &["ann"], clock.now());
    s.accept(&cid("c1"), &agent("ann"), clock.now()).unwrap();
    newer.header.last_seq = 6;
    assert!(s
        .refresh(newer, KnowledgeContext::default(), clock.now())
        .is_empty());
}

#[test]
fn a_rewritten_briefing_applies_to_its_own_facts_only() {
    let clock = Clock::new();
    let mut s = steps();
    escalate(&mut s, "c1", clock.now());
    let text = |source_seq| BriefingText {
        summary: "Charged twice for March; wants a refund.".into(),
        introduction: "Hi Dana, I have your billing question here.".into(),
        source_seq,
        written_by: "test".into(),
    };
    assert!(s.rewritten(&cid("c1"), text(3), clock.now()).is_empty());
    assert!(s.case(&cid("c1")).unwrap().written.is_none());
    let out = s.rewritten(&cid("c1"), text(0), clock.now());
    assert_eq!(kinds(&out), ["agent_briefing_ready"]);
    assert!(s.case(&cid("c1")).unwrap().written.is_some());
    assert!(s.rewritten(&cid("c9"), text(0), clock.now()).is_empty());
}

#[test]
fn a_restart_queues_a_waiting_conversation_with_its_original_wait() {
    let mut clock = Clock::new();
    let escalated_at = clock.now();
    let mut s = steps();
    let mut header = conversation("c1", escalated_at).header;
    header.status = ConversationStatus::Queued;
    header.escalation = Some(decision(escalated_at).to_escalation());
    header.handoff = Some(HandoffState {
        escalated_at: Some(escalated_at),
        ..HandoffState::default()
    });
    let now = clock.advance(100);
    let out = s.restore(
        &header,
        conversation("c1", escalated_at),
        KnowledgeContext::default(),
        now,
    );
    assert_eq!(kinds(&out), ["wait_estimated"]);
    let case = s.case(&cid("c1")).unwrap();
    assert_eq!(case.queued_at, escalated_at);
    assert_eq!(case.escalation.trigger, "explicit_request");
    // The wait before the restart counts towards the hand-back.
    assert!(s
        .hand_back_due(clock.advance(HAND_BACK_SECS - 101))
        .is_empty());
    assert_eq!(s.hand_back_due(clock.advance(1)), [cid("c1")]);
}

#[test]
fn a_restart_ends_a_pending_transfer_and_keeps_the_conversation_with_its_agent() {
    let mut clock = Clock::new();
    let joined_at = clock.now();
    let mut s = steps();
    let mut header = conversation("c1", joined_at).header;
    header.status = ConversationStatus::WithAgent;
    header.participants.push(Participant {
        id: ParticipantId::generate(),
        kind: ParticipantKind::Agent,
        user_id: Some(uid("ann")),
        name: "ann".into(),
        joined_at,
        left_at: None,
    });
    header.handoff = Some(HandoffState {
        escalated_at: Some(joined_at),
        transfer: Some(PendingTransfer {
            from_agent_id: uid("ann"),
            to_agent_id: Some(uid("bob")),
            skill: "billing".into(),
            requested_at: joined_at,
        }),
        ..HandoffState::default()
    });
    let now = clock.advance(60);
    let out = s.restore(
        &header,
        conversation("c1", joined_at),
        KnowledgeContext::default(),
        now,
    );
    assert_eq!(kinds(&out), ["transfer_ended"]);
    assert!(matches!(
        out[0].written(),
        Some(EventBody::TransferEnded { outcome, .. }) if outcome == "interrupted"
    ));
    let case = s.case(&cid("c1")).unwrap();
    assert!(!case.waiting() && case.joined.contains_key(&uid("ann")));
    assert_eq!(
        case.escalation.trigger, "restored",
        "no escalation was recorded"
    );
    // Ann gets it back when she signs in, without an offer.
    let out = s.connected(agent("ann"), now);
    assert!(offered(&out).is_empty(), "{out:?}");
    assert_eq!(load_of(&s, "ann"), Some(1));
}

#[test]
fn reasons_keep_their_wire_strings() {
    let requeued = [
        (RequeueReason::Declined, "declined"),
        (RequeueReason::OfferExpired, "expired"),
        (RequeueReason::AgentOffline, "agent_offline"),
        (RequeueReason::AgentUnavailable, "agent_unavailable"),
    ];
    for (r, wire) in requeued {
        assert_eq!(DeclineReason::from(r).as_str(), wire);
    }
    assert_eq!(DeclineReason::Withdrawn.as_str(), "withdrawn");
    assert_eq!(DeclineReason::Expired.milestone(), Milestone::Expired);
    assert_eq!(DeclineReason::Declined.milestone(), Milestone::Withdrawn);
    let failed = [
        (Some(RequeueReason::Declined), "declined"),
        (Some(RequeueReason::OfferExpired), "expired"),
        (Some(RequeueReason::AgentOffline), "unavailable"),
        (Some(RequeueReason::AgentUnavailable), "unavailable"),
        (None, "nobody_available"),
    ];
    for (r, wire) in failed {
        assert_eq!(TransferOutcome::failed(r).as_str(), wire);
    }
    assert_eq!(
        HandBackReason::NoAgentAccepted.as_str(),
        "no_agent_accepted"
    );
    assert_eq!(CaseOrigin::AgentTakeover.as_str(), "agent_takeover");
}
