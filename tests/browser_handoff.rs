//! The warm handoff through the pages in real Chromium: the agent console receives the offer with
//! the briefing, accepts and joins; the customer chat shows the escalation notice, the wait and
//! the warm introduction, and no staff-only text.

mod common;

use common::*;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn the_handoff_works_in_the_browser() {
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
