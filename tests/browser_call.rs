//! A video call through the gateway's media server between two real Chromium pages (fake camera
//! and microphone): both sides decode each other's audio and video, the customer's screen share
//! reaches the agent as a screen, and hanging up is in the timeline.

mod common;

use common::*;
use serde_json::Value;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn customer_and_agent_see_and_hear_each_other_and_the_screen_share() {
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        c.media.udp_port_min = 42000;
        c.media.udp_port_max = 42099;
    })
    .await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    app.add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    app.add_user("alex", Role::Agent, &["security"]).await;
    let Some(steps) = browser::run_script(
        "call.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
            ("WLTEST_SPECIALIST_USER", "alex".into()),
            ("WLTEST_SPECIALIST_PASS", "alex-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    assert!(
        steps.iter().any(|s| s["step"] == "screen share decoded"),
        "{steps:?}"
    );
    let late = steps
        .iter()
        .find(|s| s["step"] == "late joiner decodes video")
        .unwrap_or_else(|| panic!("{steps:?}"));
    eprintln!("late joiner: first picture after {} ms", late["ms"]);
    // The call's course is in the conversation's timeline.
    let list: Value = app
        .get(Some(&manager), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    let id = list["conversations"][0]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let v: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<String> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("call_"))
        .map(|e| {
            let mut k = e["type"].as_str().unwrap().to_owned();
            if let Some(s) = e["source"].as_str() {
                k = format!("{k}:{s}:{}", e["change"].as_str().unwrap_or(""));
            }
            k
        })
        .collect();
    for want in [
        "call_started",
        "call_joined",
        "call_media:camera:started",
        "call_media:microphone:started",
        "call_media:screen:started",
        "call_left",
    ] {
        assert!(
            kinds.iter().any(|k| k == want),
            "{want} missing from {kinds:?}"
        );
    }
}
