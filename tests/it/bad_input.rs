//! Bad input gets a clear JSON error (or error frame) naming the problem; the connection survives
//! where it sensibly can, and nothing is half-stored.

use crate::common;

use common::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

async fn message_count(app: &TestApp, token: &str, id: &str) -> usize {
    let conv: Value = app
        .get(Some(token), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    conv["messages"].as_array().unwrap().len()
}

#[tokio::test]
async fn malformed_json_bodies_are_400_with_a_reason() {
    let app = spawn_app().await;
    let (id, token) = app.new_conversation(json!({})).await;
    for body in [
        "{\"content\":",
        "[1,2,3]",
        "{\"content\": 5}",
        "{\"text\": \"hi\"}",
    ] {
        let res = app
            .http
            .post(app.url(&format!("/api/conversations/{id}/messages")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "body {body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    let res = app
        .http
        .post(app.url("/api/conversations"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(message_count(&app, &token, &id).await, 0);
}

#[tokio::test]
async fn empty_and_oversize_messages_are_refused_and_not_stored() {
    let app = spawn_app_with(|c| c.limits.max_message_bytes = 1024).await;
    let (id, token) = app.new_conversation(json!({})).await;
    let res = app.post_message(&token, &id, "   ").await;
    assert_eq!(res.status(), 400);
    let res = app.post_message(&token, &id, &"x".repeat(1025)).await;
    assert_eq!(res.status(), 413);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");
    assert!(v["error"]["message"].as_str().unwrap().contains("1024"));
    assert_eq!(
        app.post_message(&token, &id, &"y".repeat(1024))
            .await
            .status(),
        201
    );
    // Over the frame/body limit entirely.
    let huge = json!({ "content": "z".repeat(app.config.limits.max_frame_bytes + 10) });
    let res = app
        .http
        .post(app.url(&format!("/api/conversations/{id}/messages")))
        .bearer_auth(&token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(message_count(&app, &token, &id).await, 1);
}

#[tokio::test]
async fn websocket_bad_frames_get_error_frames_and_the_connection_survives() {
    let app = spawn_app_with(|c| c.limits.max_message_bytes = 1024).await;
    let (id, token) = app.new_conversation(json!({})).await;
    let mut ws = app.socket(&token).await;
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "bad_request"),
        (json!({ "type": "teleport" }).to_string(), "bad_request"),
        (json!({ "type": "send_message", "conversationId": id }).to_string(), "bad_request"),
        (json!({ "type": "send_message", "conversationId": id, "content": "x".repeat(2000), "clientMsgId": "big" }).to_string(), "payload_too_large"),
        (json!({ "type": "send_message", "conversationId": "no-such-conversation", "content": "hi", "clientMsgId": "lost" }).to_string(), "not_found"),
        (json!({ "type": "send_message", "conversationId": id, "content": "hi", "clientMsgId": "bad id with spaces" }).to_string(), "bad_request"),
        (json!({ "type": "subscribe", "conversationId": "../../etc/passwd", "afterSeq": 0 }).to_string(), "not_found"),
        (json!({ "type": "subscribe_inbox" }).to_string(), "forbidden"),
        (json!({ "type": "auth", "token": token }).to_string(), "bad_request"),
    ];
    for (frame, code) in &cases {
        ws.send(Message::text(frame.clone())).await.unwrap();
        let err = recv_type(&mut ws, &["error"]).await;
        assert_eq!(err["code"], *code, "frame {frame}: {err}");
    }
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(recv_type(&mut ws, &["error"]).await["code"], "bad_request");
    let unknown = recv_type_after(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(
        unknown["type"], "pong",
        "still connected after every bad frame"
    );
    assert_eq!(
        message_count(&app, &token, &id).await,
        0,
        "nothing half-stored"
    );
}

async fn recv_type_after(ws: &mut warmline::bench::client::Socket, frame: Value) -> Value {
    send_json(ws, &frame).await.unwrap();
    recv_type(ws, &["pong"]).await
}

#[tokio::test]
async fn frames_over_the_frame_limit_close_the_socket_but_not_the_gateway() {
    let app = spawn_app().await;
    let (id, token) = app.new_conversation(json!({})).await;
    let mut ws = app.socket(&token).await;
    let huge = "q".repeat(app.config.limits.max_frame_bytes + 1);
    let _ = ws
        .send(Message::text(
            json!({ "type": "send_message", "conversationId": id, "content": huge }).to_string(),
        ))
        .await;
    assert!(
        tokio::time::timeout(std::time::Duration::from_secs(5), next_json(&mut ws))
            .await
            .map(|r| r.is_err())
            .unwrap_or(false)
    );
    // Everyone else carries on.
    assert_eq!(
        app.post_message(&token, &id, "still here").await.status(),
        201
    );
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let app = spawn_app().await;
    let (_, token) = app.new_conversation(json!({})).await;
    for path in [
        "/api/conversations/does-not-exist",
        "/api/conversations/does-not-exist/events",
        "/api/nothing-here",
    ] {
        let res = app.get(Some(&token), path).await;
        assert_eq!(res.status(), 404, "{path}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "not_found");
    }
    let res = app
        .get(Some(&token), "/api/conversations/x/events?after=-3")
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_frame_flood_is_throttled_then_disconnected() {
    let app = spawn_app_with(|c| {
        c.limits.ws_frames_per_second = 5;
        c.limits.ws_frame_burst = 5;
    })
    .await;
    let (id, token) = app.new_conversation(json!({})).await;
    let mut ws = app.socket(&token).await;
    for _ in 0..40 {
        if ws
            .send(Message::text(json!({ "type": "ping" }).to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut pongs = 0;
    let mut limited = 0;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), next_json(&mut ws)).await {
            Ok(Ok(f)) if f["type"] == "pong" => pongs += 1,
            Ok(Ok(f)) if f["code"] == "rate_limited" => limited += 1,
            Ok(Ok(_)) => {}
            _ => break,
        }
    }
    assert_eq!(pongs, 5, "the burst is served");
    assert!(limited >= 1, "then frames are refused with rate_limited");
    // The flooder is gone, the gateway is not.
    assert_eq!(app.post_message(&token, &id, "fine").await.status(), 201);
    let metrics = app.get(None, "/metrics").await.text().await.unwrap();
    assert!(metrics.contains("warmline_rate_limited_total{reason=\"ws_frames\"}"));
}

#[tokio::test]
async fn a_request_flood_from_one_address_gets_429() {
    let app = spawn_app_with(|c| {
        c.limits.http_requests_per_second_per_ip = 1;
        c.limits.http_request_burst_per_ip = 10;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..15 {
        statuses.push(app.get(None, "/api/me").await.status().as_u16());
    }
    assert!(statuses.iter().take(10).all(|s| *s == 401), "{statuses:?}");
    assert!(statuses.iter().skip(10).any(|s| *s == 429), "{statuses:?}");
    let res = app.get(None, "/api/me").await;
    if res.status() == 429 {
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "rate_limited");
    }
    // Health probes are never throttled.
    assert_eq!(app.get(None, "/healthz").await.status(), 200);
}

#[tokio::test]
async fn conversation_creation_is_limited_per_address() {
    let app = spawn_app_with(|c| c.limits.conversations_per_minute_per_ip = 3).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            app.http
                .post(app.url("/api/conversations"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![201, 201, 201, 429, 429]);
}

#[tokio::test]
async fn login_attempts_are_limited_per_address() {
    let app = spawn_app_with(|c| c.limits.logins_per_minute_per_ip = 3).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = app
            .http
            .post(app.url("/api/auth/login"))
            .json(&json!({ "username": "nobody", "password": "guessing-game" }))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn wrong_methods_and_plain_gets_on_the_socket_are_json_errors() {
    let app = spawn_app().await;
    let res = app
        .http
        .put(app.url("/api/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed");
    let res = app.get(None, "/api/ws").await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket upgrade"),
        "{v}"
    );
}
