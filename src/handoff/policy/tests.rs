use super::*;
use crate::domain::{
    ConversationId, Customer, Message, Participant, ParticipantId, ParticipantKind,
    SentimentLabel as L, UserId,
};
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 12, 14, 30, 0)
        .single()
        .expect("valid time")
}

/// Builds a conversation message by message; ids are `m1`, `m2`, ... and each message is 15 s
/// after the previous one.
struct Conv {
    c: Conversation,
}

impl Conv {
    fn new() -> Self {
        let header = ConversationHeader::new(ConversationId::from("c1"), Customer::default(), t0());
        Self {
            c: Conversation {
                header,
                messages: Vec::new(),
                notes: Vec::new(),
            },
        }
    }

    fn push(mut self, speaker: Speaker, text: &str, f: impl FnOnce(&mut Message)) -> Self {
        let n = self.c.messages.len() + 1;
        let mut m = Message::new(speaker, text, t0() + TimeDelta::seconds(15 * n as i64));
        m.id = MessageId(format!("m{n}"));
        f(&mut m);
        self.c.messages.push(m);
        self
    }

    /// A customer message with intent, label and compound score.
    fn cust(self, text: &str, intent: &str, label: L, score: f64) -> Self {
        self.push(Speaker::Customer, text, |m| {
            m.intent = Some(intent.to_owned());
            m.sentiment = Some(label);
            m.sentiment_score = Some(score);
        })
    }

    /// A neutral technical customer message.
    fn say(self, text: &str) -> Self {
        self.cust(text, "technical_support", L::Neutral, 0.0)
    }

    fn ai(self, confidence: f64, actions: &[&str]) -> Self {
        self.push(Speaker::Ai, "reply", |m| {
            m.confidence = Some(confidence);
            m.actions_attempted = actions.iter().map(|a| (*a).to_owned()).collect();
        })
    }

    fn system(self, text: &str) -> Self {
        self.push(Speaker::System, text, |_| {})
    }

    fn status(mut self, s: ConversationStatus) -> Self {
        self.c.header.status = s;
        self
    }

    fn skill(mut self, s: &str) -> Self {
        self.c.header.skill = s.to_owned();
        self
    }

    fn done(self) -> Conversation {
        self.c
    }
}

fn policy() -> EscalationPolicy {
    EscalationPolicy::new(PolicyConfig::default())
}

fn eval_with(
    p: &EscalationPolicy,
    c: &Conversation,
    oos: bool,
    bot: Option<&str>,
) -> Option<Decision> {
    p.evaluate(&PolicyInput {
        conversation: c,
        assistant_out_of_scope: oos,
        bot_handoff_reason: bot,
        now: t0(),
    })
}

fn eval(c: &Conversation) -> Option<Decision> {
    eval_with(&policy(), c, false, None)
}

fn ids(xs: &[&str]) -> Vec<MessageId> {
    xs.iter().map(|x| MessageId::from(*x)).collect()
}

fn fired(c: &Conversation) -> Option<(Trigger, Vec<MessageId>)> {
    eval(c).map(|d| (d.trigger, d.evidence))
}

// ---- triggers ------------------------------------------------------------------------------

#[test]
fn low_confidence_fires_after_two_consecutive_low_replies() {
    let c = Conv::new()
        .say("dashboard is blank")
        .ai(0.25, &[])
        .say("it's the reports page")
        .ai(0.2, &[])
        .done();
    assert_eq!(
        fired(&c),
        Some((Trigger::LowConfidence, ids(&["m2", "m4"])))
    );
    let d = eval(&c).expect("decision");
    assert_eq!(d.urgency, Urgency::Low);
    assert_eq!(d.recommended_skill, "technical");
    assert_eq!(d.customer_expectation, "technical_resolution");
    assert!(d.ai_assessment.contains("0.30"), "{}", d.ai_assessment);
}

#[test]
fn low_confidence_does_not_fire_below_its_thresholds() {
    // One low reply only.
    let c = Conv::new()
        .say("blank")
        .ai(0.9, &[])
        .say("still")
        .ai(0.3, &[])
        .done();
    assert_eq!(fired(&c), None);
    // Exactly at the threshold is not low.
    let c = Conv::new()
        .say("blank")
        .ai(0.45, &[])
        .say("x")
        .ai(0.45, &[])
        .done();
    assert_eq!(fired(&c), None);
    // A confident reply in between breaks the run.
    let c = Conv::new()
        .say("a")
        .ai(0.3, &[])
        .say("b")
        .ai(0.8, &[])
        .say("c")
        .ai(0.3, &[])
        .done();
    assert_eq!(fired(&c), None);
}

#[test]
fn explicit_request_fires_with_its_message() {
    let c = Conv::new()
        .say("blank page")
        .ai(0.9, &[])
        .cust("let me talk to a human", "human_request", L::Neutral, 0.0)
        .done();
    assert_eq!(fired(&c), Some((Trigger::ExplicitRequest, ids(&["m3"]))));
    let d = eval(&c).expect("decision");
    assert_eq!(d.customer_expectation, "talk_to_person");
    assert_eq!(d.urgency, Urgency::Medium);
    // The "human please" message is skill general; the problem before it is technical.
    assert_eq!(d.recommended_skill, "technical");

    let without = Conv::new().say("blank page").ai(0.9, &[]).done();
    assert_eq!(fired(&without), None);
}

#[test]
fn call_request_fires_with_its_message() {
    let c = Conv::new()
        .say("blank page")
        .ai(0.9, &[])
        .cust("can you call me", "call_request", L::Neutral, 0.0)
        .done();
    assert_eq!(fired(&c), Some((Trigger::CallRequest, ids(&["m3"]))));
    assert_eq!(
        eval(&c).map(|d| d.customer_expectation),
        Some("call_with_person".to_owned())
    );
}

#[test]
fn frustrated_message_fires_with_high_urgency() {
    let c = Conv::new()
        .say("blank page")
        .ai(0.9, &[])
        .cust(
            "this is STILL broken, ridiculous",
            "technical_support",
            L::Frustrated,
            -0.7,
        )
        .done();
    assert_eq!(fired(&c), Some((Trigger::Frustration, ids(&["m3"]))));
    assert_eq!(eval(&c).map(|d| d.urgency), Some(Urgency::High));
}

#[test]
fn falling_trend_fires_with_the_scored_messages_as_evidence() {
    let c = Conv::new()
        .cust("hi", "greeting", L::Positive, 0.4)
        .ai(0.9, &[])
        .cust("hmm", "technical_support", L::Neutral, 0.1)
        .ai(0.9, &[])
        .cust("not great", "technical_support", L::Negative, -0.3)
        .done();
    // slope -0.35 per message, latest negative.
    assert_eq!(
        fired(&c),
        Some((Trigger::Frustration, ids(&["m1", "m3", "m5"])))
    );
}

#[test]
fn frustration_does_not_fire_just_below_its_thresholds() {
    // Negative but a gentle slide (slope -0.1 > -0.15) and not labelled frustrated.
    let c = Conv::new()
        .cust("meh", "technical_support", L::Negative, -0.1)
        .ai(0.9, &[])
        .cust("meh", "technical_support", L::Negative, -0.2)
        .ai(0.9, &[])
        .cust("meh", "technical_support", L::Negative, -0.3)
        .done();
    assert_eq!(fired(&c), None);
    // An earlier frustrated message followed by a calm one is not "turning frustrated" now.
    let c = Conv::new()
        .cust("argh", "technical_support", L::Frustrated, -0.2)
        .ai(0.9, &[])
        .cust("ok I see", "technical_support", L::Neutral, 0.0)
        .done();
    assert_eq!(fired(&c), None);
}

#[test]
fn frustration_can_be_switched_off_but_still_raises_urgency() {
    let cfg = PolicyConfig {
        frustration_escalates: false,
        ..PolicyConfig::default()
    };
    let p = EscalationPolicy::new(cfg);
    // The assistant said twice that it does not know this (see the out-of-scope test).
    let c = Conv::new()
        .say("blank")
        .ai(0.9, &[])
        .cust("ARGH", "technical_support", L::Frustrated, -0.8)
        .done();
    assert_eq!(eval_with(&p, &c, false, None), None);
    let c = Conv::new()
        .say("blank")
        .ai(0.1, &[])
        .cust("ARGH", "technical_support", L::Frustrated, -0.8)
        .ai(0.9, &[])
        .done();
    let d = eval_with(&p, &c, true, None).expect("out of scope decides");
    assert_eq!((d.trigger, d.urgency), (Trigger::OutOfScope, Urgency::High));
}

#[test]
fn a_failed_step_proposed_again_fires() {
    let c = Conv::new()
        .say("dashboard blank")
        .ai(0.9, &["cache_clear"])
        .cust("that didn’t work", "technical_support", L::Neutral, 0.0)
        .ai(0.9, &["cache_clear"])
        .done();
    assert_eq!(
        fired(&c),
        Some((Trigger::RepeatedFailure, ids(&["m2", "m3", "m4"])))
    );
    let d = eval(&c).expect("decision");
    assert!(
        d.ai_assessment.contains("cache_clear"),
        "{}",
        d.ai_assessment
    );
    assert_eq!(d.urgency, Urgency::Medium);
}

#[test]
fn a_step_repeated_without_a_failure_report_does_not_fire() {
    let c = Conv::new()
        .say("dashboard blank")
        .ai(0.9, &["cache_clear"])
        .cust("ok, doing that now", "technical_support", L::Neutral, 0.0)
        .ai(0.9, &["cache_clear"])
        .done();
    assert_eq!(fired(&c), None);
}

#[test]
fn failures_in_a_row_fire_at_the_threshold_only() {
    let one = Conv::new()
        .say("dashboard blank")
        .ai(0.9, &["cache_clear"])
        .cust("no luck", "technical_support", L::Neutral, 0.0)
        .ai(0.9, &["browser_check"]);
    assert_eq!(fired(&one.c), None);
    let two = one
        .cust("same error", "technical_support", L::Neutral, 0.0)
        .done();
    assert_eq!(
        fired(&two),
        Some((Trigger::RepeatedFailure, ids(&["m2", "m3", "m4", "m5"])))
    );

    // A step that worked resets the streak.
    let reset = Conv::new()
        .say("dashboard blank")
        .ai(0.9, &["cache_clear"])
        .cust("no luck", "technical_support", L::Neutral, 0.0)
        .ai(0.9, &["browser_check"])
        .cust("that fixed it, thanks", "thanks", L::Positive, 0.6)
        .ai(0.9, &["reinstall"])
        .cust("nope", "technical_support", L::Neutral, 0.0)
        .done();
    assert_eq!(fired(&reset), None);
}

#[test]
fn always_human_intents_fire_with_their_skill_and_urgency() {
    let case = |intent: &str| {
        let c = Conv::new()
            .say("hello")
            .ai(0.9, &[])
            .cust("about my account", intent, L::Neutral, 0.0)
            .done();
        eval(&c).map(|d| (d.trigger, d.evidence, d.urgency, d.recommended_skill))
    };
    let ah = Trigger::AlwaysHumanIntent;
    assert_eq!(
        case("security"),
        Some((ah, ids(&["m3"]), Urgency::Critical, "security".to_owned()))
    );
    assert_eq!(
        case("legal"),
        Some((ah, ids(&["m3"]), Urgency::High, "legal".to_owned()))
    );
    assert_eq!(
        case("cancellation"),
        Some((ah, ids(&["m3"]), Urgency::Medium, "billing".to_owned()))
    );
    assert_eq!(case("billing"), None);
}

#[test]
fn always_human_reports_the_most_urgent_intent() {
    let c = Conv::new()
        .cust("I think I was hacked", "security", L::Negative, -0.4)
        .ai(0.9, &[])
        .cust("and I want to cancel", "cancellation", L::Neutral, 0.0)
        .done();
    let d = eval(&c).expect("decision");
    assert_eq!(d.evidence, ids(&["m1", "m3"]));
    assert_eq!(d.recommended_skill, "security");
    assert_eq!(d.customer_expectation, "security_resolution");
    assert_eq!(d.urgency, Urgency::Critical);
}

#[test]
fn unconfigured_intent_is_not_always_human() {
    let p = EscalationPolicy::new(PolicyConfig {
        always_human_intents: vec!["legal".into()],
        ..PolicyConfig::default()
    });
    let c = Conv::new()
        .cust("cancel it", "cancellation", L::Neutral, 0.0)
        .done();
    assert_eq!(eval_with(&p, &c, false, None), None);
    // ... unless the configured analysis intents flag it.
    let p = p.with_intents(&crate::analysis::default_intents());
    assert_eq!(
        eval_with(&p, &c, false, None).map(|d| d.trigger),
        Some(Trigger::AlwaysHumanIntent)
    );
}

#[test]
fn out_of_scope_and_bot_request_cite_the_last_exchange() {
    // Once, "I'm not sure, tell me more" is the right answer; the second time it goes to a person.
    let once = Conv::new()
        .say("blank page")
        .ai(0.9, &[])
        .cust("do you sell t-shirts", "general_question", L::Neutral, 0.0)
        .ai(0.05, &[])
        .done();
    let p = policy();
    assert_eq!(eval_with(&p, &once, true, None), None);
    let c = Conv::new()
        .say("blank page")
        .ai(0.05, &[])
        .cust("do you sell t-shirts", "general_question", L::Neutral, 0.0)
        .ai(0.05, &[])
        .done();
    let d = eval_with(&p, &c, true, None).expect("decision");
    assert_eq!(
        (d.trigger, d.evidence),
        (Trigger::OutOfScope, ids(&["m3", "m4"]))
    );
    let d = eval_with(&p, &c, false, Some("kb_exhausted")).expect("decision");
    assert_eq!(
        (d.trigger, &d.evidence),
        (Trigger::BotRequest, &ids(&["m3", "m4"]))
    );
    assert!(
        d.ai_assessment.contains("kb_exhausted"),
        "{}",
        d.ai_assessment
    );
    // Without either flag, two unsure replies are still low confidence.
    assert_eq!(
        eval_with(&p, &c, false, None).map(|d| d.trigger),
        Some(Trigger::LowConfidence)
    );
}

// ---- precedence and urgency ------------------------------------------------------------------

#[test]
fn precedence_picks_the_most_specific_trigger() {
    let base = || {
        Conv::new()
            .say("blank")
            .ai(0.3, &["cache_clear"])
            .cust("didn't work", "technical_support", L::Neutral, 0.0)
            .ai(0.2, &["cache_clear"])
    };
    let p = policy();
    let trig = |c: &Conversation, oos, bot| eval_with(&p, c, oos, bot).map(|d| d.trigger);
    // Low confidence and repeated failure: the failure is more specific.
    let c = base().done();
    assert_eq!(trig(&c, true, Some("x")), Some(Trigger::RepeatedFailure));
    let c = base()
        .cust("ugh!!", "technical_support", L::Frustrated, -0.8)
        .done();
    assert_eq!(trig(&c, false, None), Some(Trigger::Frustration));
    let c = base()
        .cust("get me a human", "human_request", L::Frustrated, -0.8)
        .done();
    assert_eq!(trig(&c, false, None), Some(Trigger::ExplicitRequest));
    let c = base()
        .cust("get me a human", "human_request", L::Frustrated, -0.8)
        .cust("call me", "call_request", L::Neutral, 0.0)
        .done();
    assert_eq!(trig(&c, false, None), Some(Trigger::CallRequest));
    let c = base()
        .cust("call me", "call_request", L::Neutral, 0.0)
        .cust("or I'll get my lawyer", "legal", L::Negative, -0.5)
        .done();
    assert_eq!(trig(&c, false, None), Some(Trigger::AlwaysHumanIntent));
    // Bot request before out of scope before low confidence.
    let c = Conv::new()
        .say("a")
        .ai(0.2, &[])
        .say("b")
        .ai(0.2, &[])
        .done();
    assert_eq!(trig(&c, true, Some("x")), Some(Trigger::BotRequest));
    assert_eq!(trig(&c, true, None), Some(Trigger::OutOfScope));
    assert_eq!(trig(&c, false, None), Some(Trigger::LowConfidence));
}

#[test]
fn urgency_is_the_highest_any_fired_trigger_implies() {
    // The customer asks for a person while frustrated: named by the request, urgent by the mood.
    let c = Conv::new()
        .say("blank")
        .ai(0.9, &[])
        .cust("I want a HUMAN now", "human_request", L::Frustrated, -0.8)
        .done();
    let d = eval(&c).expect("decision");
    assert_eq!(
        (d.trigger, d.urgency),
        (Trigger::ExplicitRequest, Urgency::High)
    );
    // Negative mood lifts low confidence from low to medium.
    let c = Conv::new()
        .say("a")
        .ai(0.2, &[])
        // Slope -0.1: negative, but not a falling trend.
        .cust("hmm", "technical_support", L::Negative, -0.1)
        .ai(0.2, &[])
        .done();
    let d = eval(&c).expect("decision");
    assert_eq!(
        (d.trigger, d.urgency),
        (Trigger::LowConfidence, Urgency::Medium)
    );
}

#[test]
fn header_skill_is_preferred_for_non_intent_triggers() {
    let c = Conv::new()
        .skill("integrations")
        .say("webhook fails")
        .cust("human please", "human_request", L::Neutral, 0.0)
        .done();
    assert_eq!(
        eval(&c).map(|d| d.recommended_skill),
        Some("integrations".to_owned())
    );
    let c = Conv::new()
        .cust("human please", "human_request", L::Neutral, 0.0)
        .done();
    assert_eq!(
        eval(&c).map(|d| d.recommended_skill),
        Some("general".to_owned())
    );
}

// ---- guards ----------------------------------------------------------------------------------

fn asks_for_human() -> Conv {
    Conv::new()
        .say("blank")
        .ai(0.9, &[])
        .cust("human please", "human_request", L::Neutral, 0.0)
}

#[test]
fn guard_allows_only_an_assistant_owned_conversation() {
    let p = policy();
    let c = asks_for_human().done();
    assert_eq!(p.guard(&c.header), Guard::Allowed);
    assert!(eval(&c).is_some());
    assert!(Guard::Allowed.may_escalate() && Guard::Allowed.assistant_may_reply());
}

#[test]
fn human_owned_conversation_is_not_evaluated() {
    let p = policy();
    let c = asks_for_human()
        .status(ConversationStatus::WithAgent)
        .done();
    assert_eq!(p.guard(&c.header), Guard::HumanOwns);
    assert_eq!(eval(&c), None);
    assert!(!Guard::HumanOwns.assistant_may_reply());

    // An active agent participant owns it even if the status lags behind.
    let mut c = asks_for_human().done();
    c.header.participants.push(Participant {
        id: ParticipantId::from("p1"),
        kind: ParticipantKind::Agent,
        user_id: Some(UserId::from("usr-a")),
        name: "Maria".into(),
        joined_at: t0(),
        left_at: None,
    });
    assert_eq!(p.guard(&c.header), Guard::HumanOwns);
    assert_eq!(eval(&c), None);
    // Once that agent left, the assistant owns it again.
    c.header.participants[0].left_at = Some(t0());
    assert_eq!(p.guard(&c.header), Guard::Allowed);
}

#[test]
fn resolved_conversation_does_not_escalate_again() {
    let p = policy();
    let c = asks_for_human().status(ConversationStatus::Resolved).done();
    assert_eq!(p.guard(&c.header), Guard::Resolved);
    assert_eq!(eval(&c), None);
    assert!(!Guard::Resolved.may_escalate());
}

#[test]
fn queued_conversation_is_not_escalated_twice() {
    let p = policy();
    let c = asks_for_human().status(ConversationStatus::Queued).done();
    assert_eq!(p.guard(&c.header), Guard::AlreadyQueued);
    assert_eq!(eval(&c), None);
    assert!(Guard::AlreadyQueued.assistant_may_reply());
}

#[test]
fn evidence_before_a_hand_back_does_not_escalate_again() {
    let handed_back = asks_for_human().system("No agent is free; the assistant will keep helping.");
    assert_eq!(fired(&handed_back.c), None);
    assert_eq!(policy().likelihood(&handed_back.c), 0.0);
    let again = handed_back
        .cust("I still want a person", "human_request", L::Negative, -0.3)
        .done();
    assert_eq!(
        fired(&again),
        Some((Trigger::ExplicitRequest, ids(&["m5"])))
    );
}

// ---- hand-back timing ------------------------------------------------------------------------

#[test]
fn hand_back_is_due_exactly_at_the_timeout() {
    let p = policy();
    let q = t0();
    let at = |s: i64| p.hand_back_due(q, q + TimeDelta::seconds(s));
    assert!(!at(0));
    assert!(!at(179));
    assert!(!p.hand_back_due(q, q + TimeDelta::milliseconds(179_999)));
    assert!(at(180));
    assert!(at(181));
    assert!(at(3600));
    // Clock skew: now before queued_at is never due.
    assert!(!at(-5));
    assert_eq!(p.hand_back_at(q), q + TimeDelta::seconds(180));

    let short = EscalationPolicy::new(PolicyConfig {
        no_accept_timeout_secs: 30,
        ..PolicyConfig::default()
    });
    assert!(!short.hand_back_due(q, q + TimeDelta::seconds(29)));
    assert!(short.hand_back_due(q, q + TimeDelta::seconds(30)));
    // A huge timeout saturates instead of overflowing.
    let huge = EscalationPolicy::new(PolicyConfig {
        no_accept_timeout_secs: u64::MAX,
        ..PolicyConfig::default()
    });
    assert!(!huge.hand_back_due(q, q + TimeDelta::days(365 * 100)));
    assert_eq!(huge.hand_back_at(q), DateTime::<Utc>::MAX_UTC);
}

// ---- likelihood ------------------------------------------------------------------------------

#[test]
fn likelihood_rises_with_frustration() {
    let p = policy();
    let with_mood = |label: L, score: f64| {
        let c = Conv::new()
            .cust("hi", "technical_support", L::Neutral, 0.0)
            .ai(0.8, &[])
            .cust("hmm", "technical_support", label, score)
            .done();
        p.likelihood(&c)
    };
    let calm = with_mood(L::Positive, 0.5);
    let neutral = with_mood(L::Neutral, 0.0);
    let negative = with_mood(L::Negative, -0.4);
    let frustrated = with_mood(L::Frustrated, -0.8);
    assert!(
        calm <= neutral && neutral < negative && negative < frustrated,
        "{calm} {neutral} {negative} {frustrated}"
    );
    assert!((0.0..=1.0).contains(&frustrated));
}

#[test]
fn likelihood_rises_as_confidence_falls_and_failures_pile_up() {
    let p = policy();
    let conf = |c: f64| p.likelihood(&Conv::new().say("x").ai(c, &[]).done());
    assert!(conf(0.9) < conf(0.5) && conf(0.5) < conf(0.1));

    let zero = Conv::new().say("blank").ai(0.9, &["a"]);
    let l0 = p.likelihood(&zero.c);
    let one = zero
        .cust("no luck", "technical_support", L::Neutral, 0.0)
        .ai(0.9, &["b"]);
    let l1 = p.likelihood(&one.c);
    let two = one.cust("no luck", "technical_support", L::Neutral, 0.0);
    let l2 = p.likelihood(&two.c);
    assert!(l0 < l1 && l1 < l2, "{l0} {l1} {l2}");

    let asks = p.likelihood(&asks_for_human().done());
    assert!(asks > 0.9, "{asks}");
    assert_eq!(p.likelihood(&Conv::new().done()), 0.0);
}

// ---- config and wire shape -------------------------------------------------------------------

#[test]
fn default_config_matches_the_documented_values() {
    let d = PolicyConfig::default();
    assert_eq!(d.low_confidence, 0.3);
    assert_eq!((d.low_confidence_turns, d.repeated_failure_turns), (2, 2));
    assert_eq!(
        d.always_human_intents,
        ["security", "legal", "cancellation"]
    );
    assert!(d.frustration_escalates);
    assert_eq!(d.no_accept_timeout_secs, 180);
    assert_eq!(d.validate(), Ok(()));
}

#[test]
fn config_reads_from_toml_and_rejects_typos() {
    use figment::providers::{Format, Toml};
    let parse = |s: &str| {
        figment::Figment::from(Toml::string(s))
            .extract_inner::<PolicyConfig>("handoff.policy")
            .map_err(|e| e.to_string())
    };
    let cfg = parse("[handoff.policy]\nlow_confidence = 0.3\nno_accept_timeout_secs = 60\n");
    let expected = PolicyConfig {
        low_confidence: 0.3,
        no_accept_timeout_secs: 60,
        ..PolicyConfig::default()
    };
    assert_eq!(cfg, Ok(expected));
    assert_eq!(parse("[handoff.policy]\n"), Ok(PolicyConfig::default()));
    assert!(parse("[handoff.policy]\nlow_confidense = 0.3\n").is_err());
}

#[test]
fn validate_names_the_bad_value() {
    let bad = |f: fn(&mut PolicyConfig)| {
        let mut c = PolicyConfig::default();
        f(&mut c);
        c.validate().map_err(|e| e.to_string())
    };
    assert_eq!(
        bad(|c| c.low_confidence = 1.5),
        Err("handoff.policy.low_confidence must be between 0 and 1, got 1.5".to_owned())
    );
    assert!(bad(|c| c.low_confidence = f64::NAN).is_err());
    assert_eq!(
        bad(|c| c.repeated_failure_turns = 0),
        Err("handoff.policy.repeated_failure_turns must be at least 1".to_owned())
    );
    assert_eq!(
        bad(|c| c.no_accept_timeout_secs = 0),
        Err(PolicyError::ZeroTimeout.to_string())
    );
}

#[test]
fn decision_maps_to_the_article_escalation() {
    let d = eval(&asks_for_human().done()).expect("decision");
    let e = d.to_escalation();
    assert_eq!(e.trigger, "explicit_request");
    assert_eq!(e.recommended_agent, "technical");
    assert_eq!(e.urgency, Urgency::Medium);
    assert_eq!(d.decided_at, t0());
    let json = serde_json::to_value(&d).expect("serialize");
    assert_eq!(json["trigger"], "explicit_request");
    assert_eq!(json["recommendedSkill"], "technical");
    for t in PRECEDENCE {
        assert_eq!(serde_json::to_value(t).expect("serialize"), t.as_str());
    }
}
