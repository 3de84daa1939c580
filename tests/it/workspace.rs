//! The agent's workspace over the API: internal notes, tags and search. Notes and tags are
//! staff-only: the customer's REST view and socket never carry them (asserted on the raw frames),
//! and every endpoint checks who is asking.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::domain::Role;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn note(app: &TestApp, token: Option<&str>, id: &str, text: &str) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        token,
        &format!("/api/conversations/{id}/notes"),
        json!({ "text": text }),
    )
    .await
}

async fn tags(app: &TestApp, token: Option<&str>, id: &str, tags: Value) -> (u16, Value) {
    send(
        app,
        reqwest::Method::PUT,
        token,
        &format!("/api/conversations/{id}/tags"),
        json!({ "tags": tags }),
    )
    .await
}

async fn json_of(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(Some(token), path).await;
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.expect("json")
}

const SECRET: &str = "Refund approved by finance, do not mention the chargeback";

#[tokio::test]
async fn internal_notes_and_tags_never_reach_the_customer() {
    let app = spawn_app().await;
    let sam = app.add_user("sam", Role::Agent, &["general"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Dana" })).await;
    let mut customer_ws = app.socket(&customer).await;
    subscribe(&mut customer_ws, &id, 0).await;
    let mut sam_ws = app.socket(&sam).await;
    subscribe(&mut sam_ws, &id, 0).await;

    let (status, event) = note(&app, Some(&sam), &id, &format!("  {SECRET}  ")).await;
    assert_eq!(status, 201, "{event}");
    assert_eq!(event["type"], "note_added");
    assert_eq!(event["text"], SECRET);
    let (status, _) = tags(&app, Some(&sam), &id, json!(["Refund", "VIP customer"])).await;
    assert_eq!(status, 200);
    app.post_message(&customer, &id, "Hello, anyone there?")
        .await;

    // The team sees both, live and in the REST view.
    let live = recv_type(&mut sam_ws, &["event"]).await;
    assert_eq!(live["event"]["type"], "note_added");
    assert_eq!(live["event"]["text"], SECRET);
    let staff = json_of(&app, &sam, &format!("/api/conversations/{id}")).await;
    assert_eq!(staff["notes"][0]["text"], SECRET);
    assert_eq!(staff["notes"][0]["agentName"], "sam (test)");
    assert_eq!(staff["tags"], json!(["refund", "vip-customer"]));

    // The customer's socket: the same seqs, redacted, and nothing of either in any frame.
    let mut frames = Vec::new();
    loop {
        let f = recv(&mut customer_ws).await;
        let done = f["type"] == "event" && f["event"]["type"] == "message";
        frames.push(f);
        if done {
            break;
        }
    }
    let text = serde_json::to_string(&frames).unwrap();
    assert!(
        !text.contains("finance") && !text.contains("vip-customer"),
        "{text}"
    );
    let kinds: Vec<&str> = frames
        .iter()
        .filter_map(|f| f["event"]["type"].as_str())
        .collect();
    assert_eq!(kinds, ["redacted", "redacted", "message"], "{text}");
    // ... its REST views and its replay.
    for path in [
        format!("/api/conversations/{id}"),
        format!("/api/conversations/{id}/events"),
    ] {
        let body = app.get(Some(&customer), &path).await.text().await.unwrap();
        assert!(
            !body.contains("finance")
                && !body.contains("vip-customer")
                && !body.contains("\"notes\"")
                && !body.contains("\"tags\""),
            "{path}: {body}"
        );
    }
    let mut again = app.socket(&customer).await;
    let replay = serde_json::to_string(&subscribe(&mut again, &id, 0).await).unwrap();
    assert!(!replay.contains("finance") && !replay.contains("vip-customer"));
}

#[tokio::test]
async fn only_agents_who_may_write_add_notes_and_tags() {
    let app = spawn_app().await;
    let sam = app.add_user("sam", Role::Agent, &["general"]).await;
    let other = app.add_user("olga", Role::Agent, &["billing"]).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let key = app.api_key("helpdesk").await;
    let (id, customer) = app.new_conversation(json!({ "name": "Dana" })).await;

    assert_eq!(note(&app, None, &id, "x").await.0, 401);
    assert_eq!(note(&app, Some("not-a-token"), &id, "x").await.0, 401);
    assert_eq!(note(&app, Some(&customer), &id, "x").await.0, 403);
    assert_eq!(note(&app, Some(&key), &id, "x").await.0, 403);
    assert_eq!(note(&app, Some(&manager), &id, "x").await.0, 403);
    assert_eq!(
        note(&app, Some(&other), &id, "x").await.0,
        404,
        "an agent who cannot see it learns nothing"
    );
    assert_eq!(
        note(&app, Some(&sam), "no-such-conversation", "x").await.0,
        404
    );
    assert_eq!(note(&app, Some(&sam), &id, "   ").await.0, 400);
    assert_eq!(
        note(&app, Some(&sam), &id, &"n".repeat(20_000)).await.0,
        413
    );
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        Some(&sam),
        &format!("/api/conversations/{id}/notes"),
        json!({ "text": "x", "extra": 1 }),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    assert_eq!(tags(&app, Some(&customer), &id, json!(["a"])).await.0, 403);
    assert_eq!(tags(&app, Some(&manager), &id, json!(["a"])).await.0, 403);
    assert_eq!(tags(&app, Some(&other), &id, json!(["a"])).await.0, 404);
    assert_eq!(tags(&app, Some(&sam), &id, json!(["<b>"])).await.0, 400);
    let many: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
    assert_eq!(tags(&app, Some(&sam), &id, json!(many)).await.0, 400);
    assert_eq!(tags(&app, Some(&sam), &id, json!([])).await.0, 200);

    // Nothing refused was written.
    let staff = json_of(&app, &sam, &format!("/api/conversations/{id}")).await;
    assert!(staff["notes"].is_null(), "{staff}");
}

#[tokio::test]
async fn search_finds_conversations_by_text_customer_and_tag_within_access() {
    let app = spawn_app().await;
    let sam = app
        .add_user(
            "sam",
            Role::Agent,
            &["general", "billing", "technical", "integrations", "account"],
        )
        .await;
    let other = app.add_user("olga", Role::Agent, &["sales"]).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (webhook, c1) = app
        .new_conversation(json!({ "name": "Priya Raman", "email": "priya@acme.io" }))
        .await;
    app.post_message(
        &c1,
        &webhook,
        "Our webhook deliveries fail with HTTP 401 since Tuesday",
    )
    .await;
    let (refund, c2) = app.new_conversation(json!({ "name": "Tom" })).await;
    app.post_message(&c2, &refund, "I was charged twice, I want a refund")
        .await;
    let (_quiet, c3) = app.new_conversation(json!({ "name": "Ana" })).await;
    app.post_message(&c3, &_quiet, "Just saying hello").await;
    assert_eq!(
        tags(&app, Some(&sam), &refund, json!(["refund"])).await.0,
        200
    );

    let ids = |v: &Value| -> Vec<String> {
        v["conversations"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["conversationId"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |token: String, query: &'static str| {
        let app = &app;
        async move { json_of(app, &token, &format!("/api/conversations?{query}")).await }
    };
    // Words in messages, as prefixes, any case; the customer's name and e-mail; a tag.
    assert_eq!(
        ids(&search(sam.clone(), "q=WEBHOOK%20deliver").await),
        [webhook.as_str()]
    );
    assert_eq!(
        ids(&search(sam.clone(), "q=acme.io").await),
        [webhook.as_str()]
    );
    assert_eq!(
        ids(&search(sam.clone(), "q=priya").await),
        [webhook.as_str()]
    );
    assert_eq!(
        ids(&search(sam.clone(), "tag=refund").await),
        [refund.as_str()]
    );
    assert_eq!(
        ids(&search(sam.clone(), "tag=REFUND&q=charged").await),
        [refund.as_str()]
    );
    assert!(ids(&search(sam.clone(), "tag=refund&q=webhook").await).is_empty());
    assert!(ids(&search(sam.clone(), "q=nothing-like-this").await).is_empty());
    // Search syntax is text, never a query: quotes, stars and SQL wildcards match literally.
    assert!(ids(&search(sam.clone(), "q=%22%20OR%20*").await).is_empty());
    assert!(ids(&search(sam.clone(), "q=%25").await).is_empty());
    // The tag follows its latest change.
    assert_eq!(
        tags(&app, Some(&sam), &refund, json!(["billing"])).await.0,
        200
    );
    assert!(ids(&search(sam.clone(), "tag=refund").await).is_empty());
    // Access first: another skill's agent finds nothing; managers read everything.
    assert!(ids(&search(other.clone(), "q=webhook").await).is_empty());
    assert_eq!(
        ids(&search(manager.clone(), "q=webhook").await),
        [webhook.as_str()]
    );
    assert_eq!(
        app.get(Some(&c1), "/api/conversations?q=webhook")
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get(None, "/api/conversations?q=webhook").await.status(),
        401
    );
    let long = "q".repeat(300);
    assert_eq!(
        app.get(Some(&sam), &format!("/api/conversations?q={long}"))
            .await
            .status(),
        400
    );
}
