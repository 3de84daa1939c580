//! An integrator's own bot replaces the built-in assistant: the gateway posts each customer message
//! to the bot's webhook (signed), stores the bot's answer as the assistant's message, and honours a
//! handoff request. The bot here is a fake on loopback standing in for the integrator's service.

use crate::common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use warmline::assistant::{signature_header, AssistantConfig, SIGNATURE_HEADER};
use warmline::domain::Role;

const SECRET: &str = "shared-bot-secret";

/// Starts the fake bot; returns its URL and the requests it saw.
async fn fake_bot() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/bot",
        post(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let signed = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if signed != signature_header(SECRET.as_bytes(), &body) {
                    return (StatusCode::UNAUTHORIZED, "bad signature".to_owned());
                }
                let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let text = req["message"]["content"].as_str().unwrap_or("").to_owned();
                log.lock().unwrap().push(req);
                let reply = if text.contains("person") {
                    json!({ "content": "Connecting you with a specialist now.", "confidence": 0.2,
                            "handoff": { "reason": "bot_request", "skill": "billing" } })
                } else {
                    json!({ "content": format!("Bot here: I read \"{text}\"."), "confidence": 0.77,
                            "actionsAttempted": ["checked_invoice"] })
                };
                (StatusCode::OK, reply.to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn a_webhook_bot_answers_and_can_hand_off() {
    let (url, seen) = fake_bot().await;
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::Webhook {
            url,
            secret: Some(SECRET.into()),
            timeout_ms: 5000,
        };
    })
    .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Lee" })).await;
    let mut ws = app.socket(&customer).await;
    subscribe(&mut ws, &id, 0).await;

    send_json(&mut ws, &json!({ "type": "send_message", "conversationId": id, "content": "Where is invoice INV-2041?", "clientMsgId": "q1" })).await.unwrap();
    recv_message(&mut ws).await; // the customer's own message
    let reply = recv_message(&mut ws).await;
    assert_eq!(reply["message"]["speaker"], "ai");
    assert_eq!(
        reply["message"]["content"],
        "Bot here: I read \"Where is invoice INV-2041?\"."
    );
    assert_eq!(reply["message"]["confidence"], 0.77);
    assert_eq!(
        reply["message"]["actionsAttempted"],
        json!(["checked_invoice"])
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0]["conversation"]["conversationId"],
            id.as_str(),
            "the bot gets the unified model"
        );
        assert_eq!(
            seen[0]["message"]["intent"], "billing",
            "and the analysed message"
        );
    }

    send_json(&mut ws, &json!({ "type": "send_message", "conversationId": id, "content": "I want a person please", "clientMsgId": "q2" })).await.unwrap();
    let mut status = None;
    while status.is_none() {
        let f = recv_type(&mut ws, &["event"]).await;
        if f["event"]["type"] == "status_changed" {
            status = Some(f["event"]["status"].clone());
        }
    }
    assert_eq!(status.unwrap(), "queued");
    let as_customer: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(as_customer["status"], "queued");
    assert!(
        as_customer.get("escalation").is_none() && as_customer.get("briefing").is_none(),
        "the customer never sees the assessment or the briefing: {as_customer}"
    );
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let conv: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    // The customer's own words outrank the bot's request; the bot's skill still routes it.
    assert_eq!(conv["escalation"]["trigger"], "explicit_request");
    assert_eq!(conv["escalation"]["recommendedAgent"], "billing");
    assert_eq!(conv["status"], "queued");
    assert!(
        conv["briefing"]["summary"].is_string(),
        "staff see the briefing"
    );
}

#[tokio::test]
async fn an_unreachable_bot_never_loses_the_customer_message() {
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::Webhook {
            url: "http://127.0.0.1:9/unreachable".into(),
            secret: None,
            timeout_ms: 500,
        };
    })
    .await;
    let (id, customer) = app.new_conversation(json!({})).await;
    assert_eq!(
        app.post_message(&customer, &id, "hello?").await.status(),
        201
    );
    let mut ws = app.socket(&customer).await;
    let events = subscribe(&mut ws, &id, 0).await;
    let mut messages: Vec<Value> = events
        .into_iter()
        .filter(|e| e["type"] == "message")
        .collect();
    if messages.len() < 2 {
        messages.push(recv_message(&mut ws).await);
    }
    assert_eq!(messages[0]["message"]["content"], "hello?");
    assert_eq!(messages[1]["message"]["speaker"], "ai");
    assert_eq!(
        messages[1]["message"]["confidence"], 0.0,
        "an honest fallback, not a made-up answer"
    );
    let metrics = app.get(None, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("warmline_assistant_failures_total 1"),
        "{metrics}"
    );
}

/// Shutdown lets the turn in flight finish: the bot's slow answer is taken, and the handoff it
/// asks for reaches the coordinator (which stops only after the turns) and is written before the
/// gateway stops; the next start finds the conversation queued.
#[tokio::test]
async fn a_turn_in_flight_at_shutdown_is_finished_and_its_handoff_kept() {
    let asked = Arc::new(tokio::sync::Notify::new());
    let notify = asked.clone();
    let bot = Router::new().route(
        "/bot",
        post(move || {
            let notify = notify.clone();
            async move {
                notify.notify_one();
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                json!({ "content": "Connecting you with a specialist now.", "confidence": 0.2,
                        "handoff": { "reason": "bot_request", "skill": "billing" } })
                .to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, bot).await.unwrap() });
    let mut app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::Webhook {
            url,
            secret: None,
            timeout_ms: 10_000,
        };
    })
    .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Rae" })).await;
    assert_eq!(
        app.post_message(&customer, &id, "my invoice is wrong")
            .await
            .status(),
        201
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), asked.notified())
        .await
        .expect("the bot was asked");
    // Stopped while the bot thinks; read at once after the new start.
    let stopping = std::time::Instant::now();
    app.restart().await;
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(10),
        "stopped within the grace: {:?}",
        stopping.elapsed()
    );
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let conv: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    // Only the bot's answer, which came after the stop had begun, asks for `bot_request`.
    assert_eq!(
        conv["escalation"]["trigger"], "bot_request",
        "the turn in flight was finished: {conv}"
    );
    assert_eq!(conv["status"], "queued", "{conv}");
    assert_eq!(conv["escalation"]["recommendedAgent"], "billing");
}
