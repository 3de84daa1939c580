//! Live transcription end to end in real Chromium: the customer's and the agent's fake
//! microphones play different speech WAVs into a call; the gateway transcribes each member's
//! audio with the real model and stores `voice` messages, which the agent's call view shows.
//! The customer's words must come from the customer, the agent's from the agent.

use crate::common;

use common::speech::words;
use common::*;
use serde_json::Value;
use std::time::Duration;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn call_speech_becomes_voice_messages_of_the_right_speaker() {
    let _heavy = heavy().await;
    let Some(model) = whisper_model() else { return };
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        c.media.udp_port_min = 42100;
        c.media.udp_port_max = 42199;
        c.transcribe.enabled = true;
        c.transcribe.model = Some(model);
        c.transcribe.threads_per_worker = 1;
    })
    .await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    app.add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let customer_wav = app.dir.path().join("customer.wav");
    let agent_wav = app.dir.path().join("agent.wav");
    common::speech::microphone_wav(
        &customer_wav,
        "I was charged twice for my subscription and I would like a refund.",
    );
    common::speech::microphone_wav(
        &agent_wav,
        "I can see the duplicate payment on your invoice and I will refund it today.",
    );
    let Some(steps) = browser::run_script(
        "transcribe.mjs",
        &[
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
            ("WLTEST_CUSTOMER_WAV", customer_wav.display().to_string()),
            ("WLTEST_AGENT_WAV", agent_wav.display().to_string()),
        ],
    )
    .await
    else {
        return;
    };
    assert!(
        steps.iter().any(|s| s["step"] == "agent line shown"),
        "{steps:?}"
    );

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
    let mut voice = Vec::new();
    for _ in 0..40 {
        let v: Value = app
            .get(Some(&manager), &format!("/api/conversations/{id}/events"))
            .await
            .json()
            .await
            .unwrap();
        voice = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "message" && e["message"]["channel"] == "voice")
            .map(|e| e["message"].clone())
            .collect::<Vec<_>>();
        if voice.iter().any(|m| m["speaker"] == "agent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let said = |speaker: &str| {
        words(
            &voice
                .iter()
                .filter(|m| m["speaker"] == speaker)
                .map(|m| m["content"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    let (customer, agent) = (said("customer"), said("agent"));
    eprintln!(
        "customer said: {}\nagent said: {}",
        customer.join(" "),
        agent.join(" ")
    );
    // Words only one side says: each side's lines carry at least two of its own (tiny.en on
    // synthetic speech through Opus misses a word now and then) and none of the other's.
    let customer_only = ["charged", "twice", "subscription"];
    let agent_only = ["duplicate", "payment", "invoice", "today"];
    let count =
        |said: &[String], set: &[&str]| said.iter().filter(|w| set.contains(&w.as_str())).count();
    assert!(
        count(&customer, &customer_only) >= 2,
        "customer: {customer:?}"
    );
    assert!(count(&agent, &agent_only) >= 2, "agent: {agent:?}");
    assert_eq!(
        count(&customer, &agent_only),
        0,
        "agent's words under the customer: {customer:?}"
    );
    assert_eq!(
        count(&agent, &customer_only),
        0,
        "customer's words under the agent: {agent:?}"
    );
    let line = voice.iter().find(|m| m["speaker"] == "agent").unwrap();
    assert!(line["agentId"].is_string(), "{line}");
    assert!(
        line["sentiment"].is_string() && line["intent"].is_string(),
        "{line}"
    );
    let v = &line["voice"];
    assert!(v["callId"].as_str().unwrap().starts_with("call-"));
    assert!(v["endMs"].as_u64().unwrap() > v["startMs"].as_u64().unwrap());
    assert_eq!(v["source"], "live");
}
