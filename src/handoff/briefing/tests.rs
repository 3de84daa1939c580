//! Fixture-driven tests of the whole builder.

use super::text::repeats_action;
use super::*;
use crate::domain::{Customer, SentimentLabel};
use chrono::TimeZone;

/// Customer messages with the given texts, one minute apart.
pub(crate) fn said_from(texts: &[&str]) -> Vec<Message> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ts = Utc
                .with_ymd_and_hms(2026, 3, 12, 14, i as u32, 0)
                .single()
                .unwrap_or_default();
            let mut m = Message::new(Speaker::Customer, *t, ts);
            m.id = format!("m{i}").as_str().into();
            m
        })
        .collect()
}

/// The fixtures, by file name.
const FIXTURES: &[(&str, &str)] = &[
    (
        "01-billing-double-charge",
        include_str!("../../../tests/fixtures/briefings/01-billing-double-charge.json"),
    ),
    (
        "02-webhook-signature",
        include_str!("../../../tests/fixtures/briefings/02-webhook-signature.json"),
    ),
    (
        "03-locked-2fa",
        include_str!("../../../tests/fixtures/briefings/03-locked-2fa.json"),
    ),
    (
        "04-angry-cancellation",
        include_str!("../../../tests/fixtures/briefings/04-angry-cancellation.json"),
    ),
    (
        "05-api-key-403",
        include_str!("../../../tests/fixtures/briefings/05-api-key-403.json"),
    ),
    (
        "06-data-export-timeout",
        include_str!("../../../tests/fixtures/briefings/06-data-export-timeout.json"),
    ),
    (
        "07-dashboard-blank-chrome",
        include_str!("../../../tests/fixtures/briefings/07-dashboard-blank-chrome.json"),
    ),
    (
        "08-sso-login-loop-safari",
        include_str!("../../../tests/fixtures/briefings/08-sso-login-loop-safari.json"),
    ),
    (
        "09-refund-over-policy",
        include_str!("../../../tests/fixtures/briefings/09-refund-over-policy.json"),
    ),
    (
        "10-security-suspicious-login",
        include_str!("../../../tests/fixtures/briefings/10-security-suspicious-login.json"),
    ),
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 12, 20, 0, 0)
        .single()
        .unwrap_or_default()
}

fn conversation(name: &str) -> Conversation {
    let Some((_, json)) = FIXTURES.iter().find(|(n, _)| *n == name) else {
        panic!("no fixture {name}")
    };
    match serde_json::from_str(json) {
        Ok(c) => c,
        Err(e) => panic!("fixture {name}: {e}"),
    }
}

fn brief_with(name: &str, agent: Option<&str>, kb: &[String]) -> Briefing {
    let kb = crate::domain::KnowledgeContext {
        next_steps: kb.to_vec(),
        ..Default::default()
    };
    let c = conversation(name);
    let Some(esc) = c.header.escalation.clone() else {
        panic!("fixture {name} has no escalation")
    };
    build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: agent,
        agent_skill_label: None,
        kb: &kb,
        written: None,
        transfer: None,
        now: now(),
    })
}

/// What one fixture's briefing must contain.
struct Expect {
    fixture: &'static str,
    /// Words the summary must contain: the name, the core issue, the emotion.
    summary_has: &'static [&'static str],
    facts: &'static [(&'static str, &'static str)],
    codes: &'static [&'static str],
    urls: &'static [&'static str],
    ids: &'static [&'static str],
    errors: &'static [&'static str],
    browser: Option<&'static str>,
    device: Option<&'static str>,
    attempts: &'static [(&'static str, AttemptOutcome)],
    /// A phrase the first next action must contain.
    first_action_has: &'static str,
    missing: &'static [&'static str],
    /// How the warm introduction greets the customer.
    greeting: &'static str,
    label: SentimentLabel,
}

use AttemptOutcome::{Failed, PartiallyWorked};

const EXPECTED: &[Expect] = &[
    Expect {
        fixture: "01-billing-double-charge",
        summary_has: &[
            "Dana (Team subscriber",
            "duplicate charge on INV-2041",
            "frustrated",
        ],
        facts: &[
            ("name", "Dana Whitfield"),
            ("email", "dana@brightlane.co"),
            ("plan", "Team"),
            ("invoice_id", "INV-2041"),
            ("amount", "$249.00"),
            ("date", "March 3rd"),
        ],
        codes: &[],
        urls: &[],
        ids: &["INV-2041"],
        errors: &[],
        browser: None,
        device: None,
        attempts: &[
            ("pending_authorization_check", Failed),
            ("resend_invoice", Failed),
        ],
        first_action_has: "refund the duplicate $249.00",
        missing: &["no account id"],
        greeting: "Hi Dana!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "02-webhook-signature",
        summary_has: &[
            "Marcus (Enterprise customer",
            "webhook deliveries",
            "failing",
            "Increasingly frustrated",
            "tomorrow",
        ],
        facts: &[
            ("name", "Marcus Oyelaran"),
            ("plan", "Enterprise"),
            ("account_id", "acct_7Hq2Lm"),
            ("url", "https://api.tidepool.dev/hooks/warmline"),
        ],
        codes: &["401", "500"],
        urls: &["https://api.tidepool.dev/hooks/warmline"],
        ids: &["acct_7Hq2Lm"],
        errors: &["Signature mismatch: expected v1 signature not found"],
        browser: None,
        device: None,
        attempts: &[
            ("webhook_secret_check", Failed),
            ("copied the secret again", Failed),
            ("redeployed", Failed),
            ("server_clock_check", Failed),
        ],
        first_action_has: "delivery logs for https://api.tidepool.dev/hooks/warmline",
        missing: &["no email"],
        greeting: "Hi Marcus!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "03-locked-2fa",
        summary_has: &[
            "Elena (Pro subscriber)",
            "two-factor device",
            "frustrated",
            "3pm",
        ],
        facts: &[
            ("email", "elena.petrova@northwind.io"),
            ("plan", "Pro"),
            ("name", "Elena Petrova"),
        ],
        codes: &[],
        urls: &[],
        ids: &[],
        errors: &[],
        browser: None,
        device: None,
        attempts: &[("backup_codes", Failed), ("email_recovery_link", Failed)],
        first_action_has: "reset two-factor authentication",
        missing: &["no account id"],
        greeting: "Hi Elena!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "04-angry-cancellation",
        summary_has: &[
            "Tom (Business subscriber",
            "cancelling their subscription",
            "Frustrated",
            "third time",
        ],
        facts: &[
            ("name", "Tom Becker"),
            ("email", "tom@beckerhaus.de"),
            ("plan", "Business"),
            ("account_id", "acct_bh2291"),
        ],
        codes: &[],
        urls: &[],
        ids: &["acct_bh2291"],
        errors: &["Something went wrong"],
        browser: None,
        device: None,
        attempts: &[("retention_offer", Failed), ("self_service_cancel", Failed)],
        first_action_has: "Cancel the subscription on acct_bh2291",
        missing: &[],
        greeting: "Hi Tom!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "05-api-key-403",
        summary_has: &["Priya (Team plan", "API key", "403", "frustrated"],
        facts: &[
            ("name", "Priya"),
            ("request_id", "req_8HqK2xR"),
            ("plan", "Team"),
            ("email", "priya.raman@lumen-analytics.com"),
        ],
        codes: &["403", "E1042"],
        urls: &[],
        ids: &["req_8HqK2xR"],
        errors: &["API key does not have access to this resource"],
        browser: None,
        device: None,
        attempts: &[
            ("rotated our API key yesterday", Failed),
            ("api_key_regenerate", Failed),
            // "Regenerated it, updated the env var, restarted everything": the first is the
            // suggested step's outcome, the other two are steps of their own.
            ("updated the env var", Failed),
            ("restarted everything", Failed),
            ("role_permissions_check", Failed),
        ],
        first_action_has: "rejected request req_8HqK2xR",
        missing: &["no account id"],
        greeting: "Hi Priya!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "06-data-export-timeout",
        summary_has: &[
            "Grace (Enterprise customer",
            "data export",
            "frustrated",
            "Friday",
            "auditors",
        ],
        facts: &[
            ("name", "Grace Liu"),
            ("email", "grace@fernway.org"),
            ("plan", "Enterprise"),
            ("account_id", "ws_fern01"),
            ("browser", "Firefox"),
        ],
        codes: &["504"],
        urls: &[],
        ids: &["ws_fern01"],
        errors: &["504 Gateway Timeout"],
        browser: Some("Firefox"),
        device: None,
        attempts: &[
            ("smaller_date_range", PartiallyWorked),
            ("browser_switch", Failed),
        ],
        first_action_has: "export job logs for ws_fern01",
        missing: &[],
        greeting: "Hi Grace!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "07-dashboard-blank-chrome",
        summary_has: &[
            "Jonas (Pro subscriber",
            "blank page",
            "Frustrated",
            "board meeting",
            "clearing the cache",
        ],
        facts: &[
            ("name", "Jonas Meyer"),
            ("email", "jonas.meyer@kraftwerk-labs.de"),
            ("plan", "Pro"),
            ("browser", "Chrome 124"),
            ("device", "Windows 11"),
        ],
        codes: &[],
        urls: &[],
        ids: &[],
        errors: &["Uncaught TypeError: Cannot read properties of undefined (reading 'map')"],
        browser: Some("Chrome 124"),
        device: Some("Windows 11"),
        attempts: &[
            ("cache_clear", Failed),
            ("browser_check", Failed),
            ("incognito_test", PartiallyWorked),
        ],
        first_action_has: "Reproduce the blank dashboard on Chrome 124",
        missing: &["no account id"],
        greeting: "Hi Jonas!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "08-sso-login-loop-safari",
        summary_has: &["The customer (Team subscriber)", "login loop", "frustrated"],
        facts: &[
            ("email", "aisha@quillstack.io"),
            ("plan", "Team"),
            ("browser", "Safari"),
            ("device", "iPhone 15 Pro (iOS 17.4)"),
        ],
        codes: &[],
        urls: &[],
        ids: &[],
        errors: &[],
        browser: Some("Safari"),
        device: Some("iPhone 15 Pro (iOS 17.4)"),
        attempts: &[
            ("cookie_clear", Failed),
            ("safari_tracking_setting", PartiallyWorked),
        ],
        first_action_has: "Reproduce the SSO redirect on Safari (iPhone 15 Pro (iOS 17.4))",
        missing: &["customer name unknown", "no account id"],
        greeting: "Hi there!",
        label: SentimentLabel::Frustrated,
    },
    Expect {
        fixture: "09-refund-over-policy",
        summary_has: &["Rafael (Pro subscriber", "refund for ORD-55821"],
        facts: &[
            ("name", "Rafael Souza"),
            ("email", "rafael@souzadesign.com.br"),
            ("plan", "Pro"),
            ("order_id", "ORD-55821"),
            ("date", "January 9, 2026"),
            ("amount", "$588.00"),
        ],
        codes: &[],
        urls: &[],
        ids: &["ORD-55821"],
        errors: &[],
        browser: None,
        device: None,
        attempts: &[
            ("policy_explained", Failed),
            ("plan_downgrade_offer", Failed),
        ],
        first_action_has: "purchase date of ORD-55821 against the refund policy",
        missing: &["no account id"],
        greeting: "Hi Rafael!",
        label: SentimentLabel::Negative,
    },
    Expect {
        fixture: "10-security-suspicious-login",
        summary_has: &[
            "Henrik (Business subscriber",
            "sign-ins",
            "don't recognise",
            "Upset",
        ],
        facts: &[
            ("name", "Henrik Olsen"),
            ("email", "henrik@olsen-consulting.no"),
            ("plan", "Business"),
            ("account_id", "acct_olsen77"),
            ("date", "2026-03-12"),
        ],
        codes: &[],
        urls: &[],
        ids: &["acct_olsen77"],
        errors: &[],
        browser: None,
        device: None,
        attempts: &[("password_reset", Failed)],
        first_action_has: "active sessions on acct_olsen77",
        missing: &[],
        greeting: "Hi Henrik!",
        label: SentimentLabel::Negative,
    },
];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Phrases the introduction would use to ask for each kind of fact.
const ASKS: &[(&str, &str)] = &[
    ("email", "email address"),
    ("account_id", "account id"),
    ("browser", "which browser"),
    ("device", "which device"),
    ("url", "URL of your endpoint"),
    ("invoice_id", "invoice or order number"),
    ("order_id", "invoice or order number"),
    ("name", "your name"),
];

#[test]
fn every_fixture_has_expectations() {
    assert_eq!(FIXTURES.len(), 10);
    for (name, _) in FIXTURES {
        assert!(
            EXPECTED.iter().any(|e| e.fixture == *name),
            "{name} untested"
        );
    }
}

#[test]
fn fixtures_brief_field_by_field() {
    for e in EXPECTED {
        let f = e.fixture;
        let b = brief_with(f, Some("Maria"), &[]);

        assert!(
            text::char_len(&b.summary) <= Briefing::SUMMARY_MAX_CHARS,
            "{f}: summary too long"
        );
        for w in e.summary_has {
            assert!(
                b.summary.contains(w),
                "{f}: summary lacks {w:?}: {}",
                b.summary
            );
        }

        let facts: Vec<(&str, &str)> = b
            .known_facts
            .iter()
            .map(|k| (k.kind.as_str(), k.value.as_str()))
            .collect();
        assert_eq!(facts, e.facts, "{f}: known facts");
        for k in b
            .known_facts
            .iter()
            .filter(|k| k.kind != "name" && k.kind != "email" && k.kind != "plan")
        {
            assert!(
                k.message_id.is_some(),
                "{f}: {} has no source message",
                k.kind
            );
        }

        let t = &b.technical;
        assert_eq!(t.codes, strings(e.codes), "{f}: codes");
        assert_eq!(t.urls, strings(e.urls), "{f}: urls");
        assert_eq!(t.ids, strings(e.ids), "{f}: ids");
        assert_eq!(t.error_messages, strings(e.errors), "{f}: error messages");
        assert_eq!(t.browser.as_deref(), e.browser, "{f}: browser");
        assert_eq!(t.device.as_deref(), e.device, "{f}: device");

        let attempts: Vec<(&str, AttemptOutcome)> = b
            .detail
            .attempts
            .iter()
            .map(|a| (a.action.as_str(), a.outcome))
            .collect();
        assert_eq!(attempts, e.attempts, "{f}: attempts");
        for a in &b.detail.attempts {
            assert!(
                a.message_id.as_str().starts_with("msg-"),
                "{f}: attempt source"
            );
        }

        assert!(
            !b.next_actions.is_empty() && b.next_actions.len() <= recommend::MAX_ACTIONS,
            "{f}"
        );
        assert!(
            b.next_actions[0].contains(e.first_action_has),
            "{f}: first action {:?}",
            b.next_actions[0]
        );
        for a in b.detail.attempts.iter().filter(|a| a.outcome == Failed) {
            for n in &b.next_actions {
                assert!(
                    !repeats_action(n, &a.action),
                    "{f}: {n:?} repeats failed {}",
                    a.action
                );
            }
        }

        assert_eq!(b.completeness.missing, strings(e.missing), "{f}: missing");
        assert!((0.0..=1.0).contains(&b.completeness.score), "{f}: score");
        assert_eq!(
            b.completeness.score == 1.0,
            e.missing.is_empty(),
            "{f}: score vs missing"
        );

        let intro = &b.warm_introduction;
        assert!(intro.starts_with(e.greeting), "{f}: intro {intro}");
        assert!(intro.contains("I'm Maria"), "{f}: intro names the agent");
        assert!(
            intro.contains("Let me start by"),
            "{f}: intro has a first step"
        );
        for k in &b.known_facts {
            for (kind, ask) in ASKS.iter().filter(|(kind, _)| *kind == k.kind) {
                assert!(
                    !intro.contains(ask),
                    "{f}: intro asks for known {kind}: {intro}"
                );
            }
        }
        assert!(intro.matches('?').count() <= 1, "{f}: at most one question");

        assert_eq!(b.emotional_state.label, e.label, "{f}: emotion");
        assert!(["improving", "steady", "worsening"].contains(&b.emotional_state.trend.as_str()));
        assert!(
            b.detail.course.len() >= 3 && b.detail.course.len() <= 11,
            "{f}: course"
        );
        assert!(!b.detail.background.is_empty(), "{f}: background");
        assert_eq!(b.generated_at, now());
        assert_eq!(b.source_seq, 7, "{f}: source seq");
        assert_eq!(
            Some(&b.escalation),
            conversation(f).header.escalation.as_ref()
        );
    }
}

#[test]
fn failed_attempts_stay_out_of_kb_suggestions() {
    let kb = strings(&[
        "Ask the customer to clear the browser cache and reload",
        "Check today's front-end release notes for known regressions",
    ]);
    let b = brief_with("07-dashboard-blank-chrome", Some("Maria"), &kb);
    assert!(
        b.next_actions
            .iter()
            .all(|a| !a.contains("clear the browser cache")),
        "{:?}",
        b.next_actions
    );
    assert_eq!(b.next_actions[1], kb[1]);
}

#[test]
fn course_and_intro_tell_what_was_tried() {
    let b = brief_with("07-dashboard-blank-chrome", Some("Maria"), &[]);
    assert!(b
        .detail
        .course
        .iter()
        .any(|l| l == "AI suggested clearing the cache → failed"));
    assert!(b
        .detail
        .course
        .iter()
        .any(|l| l.starts_with("Do not repeat (already failed): clearing the cache")));
    // "Cleared the cache, still blank" answers the assistant's suggestion; it is not a second
    // step of the customer's own.
    assert!(
        b.warm_introduction
            .contains("clearing the cache and checking the browser version didn't solve it"),
        "{}",
        b.warm_introduction
    );
    assert!(b
        .warm_introduction
        .contains("A private-window test helped a little"));
    assert!(b
        .warm_introduction
        .ends_with("could you tell me your account id, if you have it handy?"));
    assert_eq!(
        b.detail.background[1],
        "Satisfaction history: 4.2 → 3.8 → 4.5 (latest 4.5)"
    );
}

#[test]
fn without_agent_name_the_intro_uses_the_role() {
    let c = conversation("01-billing-double-charge");
    let Some(esc) = c.header.escalation.clone() else {
        panic!("escalation")
    };
    let b = build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: None,
        agent_skill_label: Some("billing specialist"),
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now: now(),
    });
    assert!(b
        .warm_introduction
        .starts_with("Hi Dana! I'm a billing specialist on the support team."));
    // Without a role either, it never guesses one from a skill id ("an integrations").
    let b = brief_with("02-webhook-signature", None, &[]);
    assert!(
        b.warm_introduction
            .starts_with("Hi Marcus! I'm from the support team, taking over from our assistant."),
        "{}",
        b.warm_introduction
    );
}

#[test]
fn long_first_message_is_trimmed_gracefully() {
    let mut c = conversation("02-webhook-signature");
    let long = format!(
        "Our webhook endpoint fails {} and nothing works",
        "again and again ".repeat(120)
    );
    c.messages[0].content = long;
    let Some(esc) = c.header.escalation.clone() else {
        panic!("escalation")
    };
    let b = build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: None,
        agent_skill_label: Some("integration specialist"),
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now: now(),
    });
    assert!(
        text::char_len(&b.summary) <= Briefing::SUMMARY_MAX_CHARS,
        "{}",
        b.summary
    );
    // Written from the facts, so a long first message costs it nothing.
    assert!(
        b.summary
            .starts_with("Marcus (Enterprise customer, power user) has been dealing with webhook"),
        "{}",
        b.summary
    );
    assert!(
        !b.summary.contains("again and again again"),
        "{}",
        b.summary
    );
    assert!(b.summary.contains("frustrated"), "{}", b.summary);
    assert!(b
        .warm_introduction
        .contains("I'm an integration specialist"));
}

#[test]
fn empty_conversation_still_briefs() {
    let mut c = conversation("09-refund-over-policy");
    c.messages.clear();
    c.header.customer = Customer::default();
    let esc = Escalation {
        trigger: String::new(),
        ai_assessment: String::new(),
        recommended_agent: String::new(),
        urgency: crate::domain::Urgency::Low,
        customer_expectation: String::new(),
    };
    let b = build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: None,
        agent_skill_label: None,
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now: now(),
    });
    assert!(
        b.summary
            .starts_with("The customer has an issue the assistant could not resolve."),
        "{}",
        b.summary
    );
    assert!(b.known_facts.is_empty() && b.detail.attempts.is_empty());
    assert_eq!(
        b.completeness.missing,
        strings(&[
            "customer name unknown",
            "no email",
            "no account id",
            "no escalation reason"
        ])
    );
    assert_eq!(b.completeness.score, 0.0);
    assert_eq!(b.next_actions.len(), 1);
    assert!(b
        .warm_introduction
        .starts_with("Hi there! I'm from the support team"));
    assert_eq!(b.emotional_state.label, SentimentLabel::Neutral);
}

#[test]
fn messages_without_sentiment_are_scored() {
    let mut c = conversation("04-angry-cancellation");
    for m in &mut c.messages {
        m.sentiment = None;
        m.sentiment_score = None;
    }
    let Some(esc) = c.header.escalation.clone() else {
        panic!("escalation")
    };
    let b = build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: None,
        agent_skill_label: None,
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now: now(),
    });
    assert!(
        matches!(
            b.emotional_state.label,
            SentimentLabel::Frustrated | SentimentLabel::Negative
        ),
        "{:?}",
        b.emotional_state
    );
}

#[test]
fn wire_format_is_camel_case_and_round_trips() {
    let b = brief_with("06-data-export-timeout", Some("Maria"), &[]);
    let json = match serde_json::to_value(&b) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    for key in [
        "escalation",
        "summary",
        "detail",
        "technical",
        "knownFacts",
        "nextActions",
        "warmIntroduction",
        "completeness",
        "emotionalState",
        "generatedAt",
        "sourceSeq",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["detail"]["attempts"][0]["outcome"], "partially_worked");
    assert_eq!(json["detail"]["attempts"][0]["messageId"], "msg-e1f2-02");
    assert_eq!(json["technical"]["errorMessages"][0], "504 Gateway Timeout");
    assert_eq!(json["knownFacts"][3]["messageId"], "msg-e1f2-05");
    assert_eq!(json["emotionalState"]["label"], "frustrated");
    let back: Result<Briefing, _> = serde_json::from_value(json);
    assert_eq!(back.ok(), Some(b));
}

#[test]
fn five_hundred_messages_build_without_duplicates() {
    let base = conversation("07-dashboard-blank-chrome");
    let mut c = base.clone();
    c.messages.clear();
    for round in 0..84 {
        for (i, m) in base.messages.iter().enumerate() {
            let mut m = m.clone();
            m.id = format!("msg-{round}-{i}").as_str().into();
            m.seq = (round * 6 + i) as u64 + 2;
            m.timestamp += chrono::Duration::minutes(round as i64 * 6);
            c.messages.push(m);
        }
    }
    c.messages.truncate(500);
    let Some(esc) = c.header.escalation.clone() else {
        panic!("escalation")
    };
    let b = build_briefing(&BriefingInput {
        conversation: &c,
        escalation: &esc,
        agent_name: Some("Maria"),
        agent_skill_label: None,
        kb: &crate::domain::KnowledgeContext::default(),
        written: None,
        transfer: None,
        now: now(),
    });
    assert_eq!(b.source_seq, 501);
    assert_eq!(b.known_facts.len(), 5);
    assert_eq!(b.technical.error_messages.len(), 1);
    // 84 rounds, each with three attempts, cut at message 500 (the last round's AI message 2
    // included).
    assert_eq!(b.detail.attempts.len(), 83 * 3 + 2);
    assert!(text::char_len(&b.summary) <= Briefing::SUMMARY_MAX_CHARS);
    assert!(b.detail.course.len() <= 11);
    assert!(b
        .detail
        .course
        .iter()
        .any(|l| l.contains("earlier step(s)")));
}
