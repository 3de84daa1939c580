//! The warm handoff through the pages in real Chromium: the agent console receives the offer with
//! the briefing, accepts and joins; the customer chat shows the escalation notice, the wait and
//! the warm introduction, and no staff-only text.

use crate::common;

use common::*;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn the_handoff_works_in_the_browser() {
    let _heavy = heavy().await;
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    app.add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let Some(steps) = browser::run_script(
        "handoff.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "customer sees the warm introduction"),
        "{steps:?}"
    );
}

/// Under pressure, a visitor's page solves the gateway's proof-of-work challenge before the chat
/// opens, on a desktop and on a phone.
#[tokio::test]
async fn a_visitor_under_pressure_solves_the_challenge_in_the_browser() {
    let _heavy = heavy().await;
    let app = spawn_app_with(|c| {
        c.limits.challenge_above_conversations_per_minute = 1;
        c.limits.challenge_base_bits = 20;
        c.limits.challenge_max_bits = 20;
    })
    .await;
    app.new_conversation(serde_json::json!({ "name": "An earlier visitor" }))
        .await;
    let Some(steps) =
        browser::run_script("challenge.mjs", &[("WLTEST_BASE", app.base.clone())]).await
    else {
        return;
    };
    let started = steps
        .iter()
        .filter(|s| s["step"] == "conversation started after the challenge")
        .count();
    assert_eq!(started, 2, "{steps:?}");
    let metrics = app.get(None, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("warmline_creation_challenges_total{outcome=\"solved\"} 2"),
        "{metrics}"
    );
}

/// Alerts in the agent console: the offer rings (Web Audio) and raises a notification while the
/// tab is hidden, the title counts it, mute silences it; a customer's call rings until the agent
/// joins, also a call in another of the agent's conversations while they read a different one;
/// in the call the thread follows new messages and the "New messages" pill stays off the
/// composer; auto-away sets an idle agent away and back, and leaves a chosen "away" alone.
#[tokio::test]
async fn the_agent_is_alerted_in_the_browser() {
    let _heavy = heavy().await;
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        // Long enough to test the ring, mute and the notification on one offer.
        c.handoff.routing.offer_timeout_secs = 120;
        // Not the range of the call test, which may run at the same time.
        c.media.udp_port_min = 42400;
        c.media.udp_port_max = 42499;
    })
    .await;
    app.add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let Some(steps) = browser::run_script(
        "alerts.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    for expected in [
        "offer rings",
        "notification while hidden",
        "title counts the offer",
        "notification click focuses the offer",
        "mute stops the tone",
        "accepted: the ring stops",
        "call rings",
        "joining stops the ring",
        "follows new messages during the call",
        "pill above the composer",
        "a call in another conversation rings",
        "the notification opens that conversation and joining stops the ring",
        "auto-away after idle",
        "available again on activity",
        "a chosen away stays",
    ] {
        assert!(
            steps.iter().any(|s| s["step"] == expected),
            "no step {expected:?}: {steps:?}"
        );
    }
    let rang = steps.iter().find(|s| s["step"] == "offer rings").unwrap();
    assert!(rang["tonesPlayed"].as_u64().unwrap_or(0) >= 2, "{rang}");
    let away = steps
        .iter()
        .find(|s| s["step"] == "auto-away after idle")
        .unwrap();
    assert_eq!(away["status"], "away", "{away}");
}

/// The agent's workspace in the browser: an internal note from the composer, a tag in the header,
/// and the inbox search by words and by tag; the customer's page shows none of it.
#[tokio::test]
async fn notes_tags_and_search_work_in_the_browser() {
    let _heavy = heavy().await;
    let app = spawn_app().await;
    app.add_user(
        "sam",
        Role::Agent,
        &["general", "billing", "technical", "integrations", "account"],
    )
    .await;
    let Some(steps) = browser::run_script(
        "workspace.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    for s in [
        "note in the thread",
        "tag on the conversation",
        "customer page has no note",
        "search finds it",
    ] {
        assert!(steps.iter().any(|x| x["step"] == s), "{s}: {steps:?}");
    }
}
