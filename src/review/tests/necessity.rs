//! Was a person needed? Agent actions, person requests, calls and knowledge-base answers.

use super::fixtures::at;
use crate::domain::{KnowledgeMatch, Message, NecessityReason, Speaker};
use crate::review::{assess_necessity, NecessityInput};

fn agent(id: &str, text: &str) -> Message {
    let mut m = Message::new(Speaker::Agent, text, at(0));
    m.id = id.into();
    m
}

fn judge(
    trigger: &str,
    resolved: bool,
    had_call: bool,
    msgs: &[Message],
    kb: &[KnowledgeMatch],
) -> Option<(bool, NecessityReason, String)> {
    let refs: Vec<&Message> = msgs.iter().collect();
    assess_necessity(&NecessityInput {
        trigger,
        resolved,
        had_call,
        messages: &refs,
        knowledge_matches: kb,
    })
    .map(|n| (n.necessary, n.reason, n.detail))
}

/// Agent line and the action it reports (the detail's prefix), if any.
const ACTIONS: &[(&str, Option<&str>)] = &[
    (
        "I've processed a full refund for the duplicate charge.",
        Some("Refund issued"),
    ),
    (
        "Your refund has been issued and should arrive in 5 days.",
        Some("Refund issued"),
    ),
    (
        "I've credited your account with $10 for the trouble.",
        Some("Account credited"),
    ),
    (
        "I went ahead and reset your password, please check your inbox.",
        Some("Account changed"),
    ),
    ("Your account has been unlocked.", Some("Account changed")),
    (
        "I've escalated this to our engineering team.",
        Some("Escalated to engineering"),
    ),
    ("i manually re-sent the invoice to you", Some("Manual fix")),
    (
        "I've applied a 20% discount to your next invoice.",
        Some("Discount applied"),
    ),
    ("I extended your trial by 14 days.", Some("Trial extended")),
    (
        "I cancelled your subscription, effective today.",
        Some("Subscription cancelled"),
    ),
    ("Unfortunately I can't issue a refund for this plan.", None),
    ("The refund was not processed yet, sorry.", None),
    ("You'll be refunded once the bank confirms.", None),
    ("You can reset your password from the settings page.", None),
    ("Is there anything else I can help with?", None),
    (
        "I can confirm I've processed the refund.",
        Some("Refund issued"),
    ),
];

#[test]
fn agent_actions_make_it_necessary() {
    for (text, want) in ACTIONS {
        let got = judge("low_confidence", true, false, &[agent("m1", text)], &[]);
        match want {
            Some(prefix) => {
                let Some((true, NecessityReason::AgentAction, detail)) = &got else {
                    panic!("{text:?}: {got:?}")
                };
                assert!(detail.starts_with(prefix), "{text:?}: {detail}");
                assert!(detail.contains(text.trim_end_matches('.')), "{detail}");
            }
            None => assert_eq!(got, None, "{text:?}"),
        }
    }
}

fn kb(id: &str, score: f64) -> KnowledgeMatch {
    KnowledgeMatch {
        message_id: id.into(),
        article_title: "Reset your password".into(),
        score,
    }
}

#[test]
fn person_requests_and_calls_make_it_necessary() {
    let answer = [agent("m1", "Go to Settings > Security.")];
    let strong = [kb("m1", 0.9)];
    let got = judge("explicit_request", true, false, &answer, &strong);
    assert_eq!(
        got,
        Some((
            true,
            NecessityReason::AgentAction,
            "The customer asked for a person".into()
        ))
    );
    let got = judge("call_request", true, false, &answer, &[]).map(|g| g.2);
    assert_eq!(
        got.as_deref(),
        Some("The customer asked for a call with a person")
    );
    let got = judge("frustration", true, true, &answer, &strong).map(|g| g.2);
    assert_eq!(got.as_deref(), Some("A call was held with the agent"));
}

#[test]
fn a_close_knowledge_match_makes_it_unnecessary() {
    let answer = [
        agent("m1", "Go to Settings > Security."),
        agent("m2", "Done?"),
    ];
    let got = judge(
        "low_confidence",
        true,
        false,
        &answer,
        &[kb("m2", 0.61), kb("m1", 0.7)],
    );
    assert_eq!(
        got,
        Some((
            false,
            NecessityReason::KnowledgeBaseAnswer,
            "Answered from “Reset your password” (70% match); the assistant could have handled it"
                .into()
        ))
    );
    // Too weak, not finite, or not an agent message of the episode: nothing decides it.
    let weak = [kb("m1", 0.59), kb("m1", f64::NAN), kb("m9", 0.95)];
    assert_eq!(judge("low_confidence", true, false, &answer, &weak), None);
    let mut customer = agent("m3", "Settings > Security?");
    customer.speaker = Speaker::Customer;
    assert_eq!(
        judge("low_confidence", true, false, &[customer], &[kb("m3", 0.9)]),
        None
    );
}

#[test]
fn open_episodes_are_not_judged() {
    let refund = [agent("m1", "I've processed a full refund.")];
    assert_eq!(
        judge("explicit_request", false, true, &refund, &[kb("m1", 0.9)]),
        None
    );
}
