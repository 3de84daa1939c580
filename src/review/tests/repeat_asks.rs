//! Repeat-ask detection on realistic agent utterances, chat and transcribed voice, against one
//! conversation where the customer had already given most facts.

use super::fixtures::{briefing, fact, Log};
use crate::domain::{Channel, EventBody, FactOrigin, KnownFact, RepeatAsk};
use crate::review::{asked_kinds, detect_repeat_asks};
use FactOrigin::{Briefing, CustomerMessage, CustomerRecord};

/// The customer gave email, order, plan, browser, device, amount, date and URL in two messages; the
/// CRM record holds name, email and account id; the briefing offered to the agent lists name,
/// email and order. No phone number or invoice was ever given. Returns the log up to the agent
/// joining and the customer facts the caller would extract.
fn before_agent_speaks() -> (Log, Vec<KnownFact>) {
    let mut log = Log::new();
    let m2 = log.customer(
        10,
        "Hi, I was charged twice for my Pro plan. My email is priya@acme.io and the order is ORD-4821.",
    );
    log.ai(
        20,
        "Sorry to hear that! Could you tell me more about the device you use?",
    );
    let m4 = log.customer(
        30,
        "I'm on Chrome 120 on an iPhone 15, it charged me $49.00 on March 3rd. The page is https://app.acme.io/billing",
    );
    log.escalate(40, "frustration", vec![m4.clone()]);
    let delivered = vec![
        fact("name", "Priya Raman", None),
        fact("email", "priya@acme.io", Some(&m2)),
        fact("order_id", "ORD-4821", Some(&m2)),
    ];
    log.offer(41, "sam", briefing(delivered, 0.8));
    log.push(
        50,
        EventBody::BriefingOpened {
            agent_id: "sam".into(),
        },
    );
    log.join(60, "sam", false);
    let facts = vec![
        fact("name", "Priya Raman", None),
        fact("email", "priya@acme.io", None),
        fact("account_id", "acct_9f2k", None),
        fact("email", "priya@acme.io", Some(&m2)),
        fact("order_id", "ORD-4821", Some(&m2)),
        fact("plan", "Pro", Some(&m2)),
        fact("browser", "Chrome 120", Some(&m4)),
        fact("device", "iPhone 15", Some(&m4)),
        fact("amount", "$49.00", Some(&m4)),
        fact("date", "March 3rd", Some(&m4)),
        fact("url", "https://app.acme.io/billing", Some(&m4)),
    ];
    (log, facts)
}

/// The repeat asks of one agent utterance posted after the agent joined.
fn repeat_asks_of(text: &str, channel: Channel) -> Vec<RepeatAsk> {
    let (mut log, facts) = before_agent_speaks();
    log.agent(70, "sam", text, channel);
    let episode_start = log
        .events
        .iter()
        .position(|e| matches!(e.body, EventBody::EscalationTriggered { .. }))
        .unwrap();
    detect_repeat_asks(&log.events, &log.events[episode_start..], &facts)
}

const CHAT: Channel = Channel::Chat;
const VOICE: Channel = Channel::Voice;

/// The exact repeat asks expected of an utterance: (kind, where it was known from).
type Expected = &'static [(&'static str, FactOrigin)];

/// Agent utterance, channel, and the repeat asks it makes.
const UTTERANCES: &[(&str, Channel, Expected)] = &[
    // Asks for something already given: repeat asks.
    ("What's your email?", CHAT, &[("email", Briefing)]),
    (
        "Could you give me your order number, please?",
        CHAT,
        &[("order_id", Briefing)],
    ),
    (
        "um can you read me the order number",
        VOICE,
        &[("order_id", Briefing)],
    ),
    (
        "Can you tell me which browser you're on?",
        CHAT,
        &[("browser", CustomerMessage)],
    ),
    (
        "and the account i d please",
        VOICE,
        &[("account_id", CustomerRecord)],
    ),
    (
        "Which plan are you on at the moment?",
        CHAT,
        &[("plan", CustomerMessage)],
    ),
    (
        "okay so uh what device are you using",
        VOICE,
        &[("device", CustomerMessage)],
    ),
    (
        "How much were you charged, and when did it happen?",
        CHAT,
        &[("amount", CustomerMessage), ("date", CustomerMessage)],
    ),
    (
        "Can you paste the link to the page where you see the error?",
        CHAT,
        &[("url", CustomerMessage)],
    ),
    (
        "Before I look into it, could you confirm your full name and e-mail address for security?",
        CHAT,
        &[("name", Briefing), ("email", Briefing)],
    ),
    (
        "right could you spell your last name for me",
        VOICE,
        &[("name", Briefing)],
    ),
    (
        "I'll need the email on the account",
        VOICE,
        &[("email", Briefing)],
    ),
    // Confirmations that quote the known value: not asks.
    ("I see your order ORD-4821, is that right?", CHAT, &[]),
    (
        "Is priya@acme.io still the best address for you?",
        CHAT,
        &[],
    ),
    ("so you're still on the pro plan right", VOICE, &[]),
    (
        "And that was Chrome 120, which browser version did the update install?",
        CHAT,
        &[],
    ),
    // Asks for something nobody gave: not repeat asks.
    ("What's the best number to reach you on?", CHAT, &[]),
    (
        "Thanks! Just to double-check, what's the invoice number?",
        CHAT,
        &[],
    ),
    // Statements, courtesy and rhetorical questions.
    ("I've updated your email address in our system.", CHAT, &[]),
    (
        "Is there anything else I can help you with today?",
        CHAT,
        &[],
    ),
    ("hi priya how are you doing today", VOICE, &[]),
    ("Did you get the reset email I just sent?", CHAT, &[]),
    (
        "Could you click the link in the email and tell me what you see?",
        CHAT,
        &[],
    ),
    ("Would you like me to upgrade your plan?", CHAT, &[]),
    ("Can you send me a screenshot of the error?", CHAT, &[]),
    // A new instance, not the one already given.
    (
        "Do you have another order number for the second charge?",
        CHAT,
        &[],
    ),
];

#[test]
fn repeat_asks_on_realistic_agent_utterances() {
    let mut failures = Vec::new();
    for (text, channel, expected) in UTTERANCES {
        let got: Vec<(String, FactOrigin)> = repeat_asks_of(text, *channel)
            .into_iter()
            .map(|a| (a.fact_kind, a.known_from))
            .collect();
        let want: Vec<(String, FactOrigin)> = expected
            .iter()
            .map(|(k, o)| ((*k).to_owned(), *o))
            .collect();
        if got != want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(UTTERANCES.len() >= 14);
}

/// What the classifier alone says each utterance asks for, known or not.
const KINDS: &[(&str, &[&str])] = &[
    ("What's your email?", &["email"]),
    ("What's the best number to reach you on?", &["phone"]),
    ("Who am I speaking with?", &["name"]),
    ("can i get your ticket number", &["ticket_id"]),
    (
        "What's the transaction ID on your bank statement?",
        &["payment_id"],
    ),
    (
        "Could you share the request id from the response headers?",
        &["request_id"],
    ),
    ("are you on iphone or android", &["device"]),
    ("What date was the second charge?", &["date"]),
    ("I see your order ORD-4821, is that right?", &[]),
    ("I've updated your email.", &[]),
    (
        "Could you log in with your email address and try again?",
        &[],
    ),
    ("What's the weather like over there?", &[]),
    ("Let me check your plan.", &[]),
    ("Can I grab the invoice number from you?", &["invoice_id"]),
    ("Can you check your email for the link?", &[]),
    ("Your email, could you confirm it?", &["email"]),
    (
        "I have the email here, what's the phone number?",
        &["phone"],
    ),
    ("What's your new email address?", &[]),
    ("Have you tried a different browser?", &[]),
    ("When can I call you back?", &[]),
    ("so when did this first start happening", &["date"]),
    ("do you have your order number handy", &["order_id"]),
];

#[test]
fn classifier_names_the_kinds_asked_for() {
    for (text, want) in KINDS {
        assert_eq!(asked_kinds(text), *want, "{text:?}");
    }
}

#[test]
fn a_repeat_ask_carries_the_question_and_its_source() {
    let asks = repeat_asks_of(
        "Thanks for waiting. Can you tell me which browser you're on?",
        CHAT,
    );
    assert_eq!(asks.len(), 1);
    let a = &asks[0];
    assert_eq!(a.text, "Can you tell me which browser you're on?");
    assert_eq!(a.known_value, "Chrome 120");
    assert_eq!(a.known_message_id, Some("m4".into()));
    assert_eq!(a.agent_id, Some("sam".into()));
    assert_eq!(a.channel, CHAT);
    assert_eq!(a.message_id, "m9".into());
    assert_eq!(a.seq, 9);
}

#[test]
fn one_repeat_ask_per_message_and_kind() {
    let asks = repeat_asks_of("What's your email? Sorry, your email address?", CHAT);
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].text, "What's your email?");
}

#[test]
fn a_fact_given_after_the_question_was_not_known_before_it() {
    let mut log = Log::new();
    log.customer(10, "I was charged twice.");
    let start = log.events.len();
    log.escalate(20, "frustration", vec![]);
    log.join(30, "sam", false);
    log.agent(40, "sam", "What's your order number?", CHAT);
    let m = log.customer(50, "ORD-4821");
    log.agent(60, "sam", "Thanks. And the order number again?", CHAT);
    let facts = vec![fact("order_id", "ORD-4821", Some(&m))];
    let asks = detect_repeat_asks(&log.events, &log.events[start..], &facts);
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].seq, 7);
    assert_eq!(asks[0].known_from, CustomerMessage);
}

#[test]
fn a_briefing_delivered_after_the_question_does_not_count() {
    let mut log = Log::new();
    let m = log.customer(10, "My email is priya@acme.io");
    let start = log.events.len();
    log.escalate(20, "frustration", vec![]);
    log.join(30, "sam", false);
    log.agent(40, "sam", "What's your email?", CHAT);
    log.briefing_ready(
        50,
        briefing(vec![fact("email", "priya@acme.io", Some(&m))], 1.0),
    );
    let facts = vec![fact("email", "priya@acme.io", Some(&m))];
    let asks = detect_repeat_asks(&log.events, &log.events[start..], &facts);
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0].known_from, CustomerMessage);
    assert_eq!(asks[0].known_message_id, Some(m));
}

#[test]
fn only_agent_messages_of_the_episode_are_read() {
    let mut log = Log::new();
    let m = log.customer(10, "My email is priya@acme.io");
    log.agent(15, "sam", "What's your email?", CHAT); // an earlier episode
    let start = log.events.len();
    log.escalate(20, "frustration", vec![]);
    log.ai(25, "What's your email?");
    log.customer(26, "What's your email?");
    let facts = vec![fact("email", "priya@acme.io", Some(&m))];
    assert_eq!(
        detect_repeat_asks(&log.events, &log.events[start..], &facts),
        vec![]
    );
}
