//! Returning customers over the real gateway: a verified customer's earlier conversations are
//! listed for them (read-only, newest first) and for the agent (with outcomes); opening the widget
//! on another device continues the open conversation; the briefing counts the earlier contacts.
//! Anonymous visitors are never linked, whatever id they claim, and one customer never reads
//! another's history.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::bench::client::Socket;
use warmline::domain::site::Site;
use warmline::domain::Role;

async fn site(app: &TestApp) -> Site {
    acme_site(app, "Acme").await
}

fn identity(site: &Site, sub: &str) -> String {
    identity_token(
        site,
        &site.secret,
        json!({ "sub": sub, "name": "Sarah Chen", "email": "sarah@acme.io",
                "context": { "accountStatus": "pro" } }),
    )
}

/// Opens the widget as `sub`: `(conversation id, customer token, resumed)`.
async fn open(app: &TestApp, site: &Site, sub: &str) -> (String, String, bool) {
    let res = app
        .http
        .post(app.url("/api/conversations"))
        .json(&json!({ "site": site.id, "identity": identity(site, sub) }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.expect("json");
    (
        v["conversationId"].as_str().expect("id").to_owned(),
        v["customerToken"].as_str().expect("token").to_owned(),
        v["resumed"].as_bool().expect("resumed"),
    )
}

async fn agent(app: &TestApp) -> (String, Socket) {
    let token = app
        .add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let mut ws = app.socket(&token).await;
    assert_eq!(
        recv_type(&mut ws, &["agent_status"]).await["status"],
        "available"
    );
    (token, ws)
}

/// The customer asks for a person; the agent takes it. Returns the offer's briefing.
async fn escalate_and_take(app: &TestApp, agent: &mut Socket, id: &str, customer: &str) -> Value {
    let res = app
        .post_message(
            customer,
            id,
            "I was charged twice on invoice INV-20931. I want to talk to a person please.",
        )
        .await;
    assert!(res.status().is_success());
    let offer = recv_type(agent, &["offer"]).await;
    for frame in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(agent, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    offer["briefing"].clone()
}

async fn json_of(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = app.get(Some(token), path).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_returning_customer_sees_their_history_and_the_agent_is_told() {
    let app = spawn_app().await;
    let acme = site(&app).await;
    let (agent_token, mut sam) = agent(&app).await;

    // First visit: escalated, taken and resolved by Sam.
    let (first, first_token, resumed) = open(&app, &acme, "user-42").await;
    assert!(!resumed);
    escalate_and_take(&app, &mut sam, &first, &first_token).await;
    let res = app
        .post_message(&agent_token, &first, "Refunded, sorry about that.")
        .await;
    assert!(res.status().is_success());
    let done = step(
        &mut sam,
        json!({ "type": "resolve_conversation", "conversationId": first }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");

    // She comes back days later: a new conversation, and the briefing knows her.
    let (second, token_a, resumed) = open(&app, &acme, "user-42").await;
    assert!(!resumed, "a resolved conversation is not continued");
    assert_ne!(second, first);
    let briefing = escalate_and_take(&app, &mut sam, &second, &token_a).await;
    let background = briefing["detail"]["background"].to_string();
    assert!(
        background.contains("Returning customer: 1 earlier conversation here (1 with an agent)")
            && background.contains("resolved by sam"),
        "{background}"
    );

    // Her history, as she reads it: the first conversation, resolved, without staff fields.
    let (status, history) = json_of(
        &app,
        &token_a,
        &format!("/api/conversations/{second}/history"),
    )
    .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["verified"], true);
    let list = history["conversations"].as_array().expect("list");
    assert_eq!(list.len(), 1, "{history}");
    assert_eq!(list[0]["conversationId"], first.as_str());
    assert_eq!(list[0]["outcome"], "resolved_by_agent");
    assert_eq!(
        list[0]["firstMessage"],
        "I was charged twice on invoice INV-20931. I want to talk to a person please."
    );
    let last = list[0]["lastMessage"].as_str().unwrap_or_default();
    assert!(
        last.contains("marked this conversation as resolved"),
        "{last}"
    );
    assert!(
        list[0].get("escalationTrigger").is_none() && list[0].get("skill").is_none(),
        "{history}"
    );
    // ... and reads it, redacted as on her own page.
    let (status, past) = json_of(
        &app,
        &token_a,
        &format!("/api/conversations/{second}/history/{first}"),
    )
    .await;
    assert_eq!(status, 200, "{past}");
    assert!(
        past["messages"].as_array().is_some_and(|m| m.len() >= 3),
        "{past}"
    );
    assert!(
        past.get("briefing").is_none() && past.get("escalation").is_none(),
        "staff-only fields leaked: {past}"
    );
    // The counts behind the briefing stay with staff.
    let (_, own) = json_of(&app, &token_a, &format!("/api/conversations/{second}")).await;
    assert!(own["customer"].get("history").is_none(), "{own}");
    let (_, events) = json_of(
        &app,
        &token_a,
        &format!("/api/conversations/{second}/events"),
    )
    .await;
    assert!(!events.to_string().contains("\"history\""), "{events}");
    // Read-only: her token writes only into the conversation it was issued for.
    let res = app.post_message(&token_a, &first, "one more thing").await;
    assert_eq!(res.status(), 404);

    // The agent sees the same history with outcomes and the staff fields.
    let (status, staff) = json_of(
        &app,
        &agent_token,
        &format!("/api/conversations/{second}/history"),
    )
    .await;
    assert_eq!(status, 200, "{staff}");
    let row = &staff["conversations"][0];
    assert_eq!(row["escalationTrigger"], "explicit_request", "{staff}");
    assert_eq!(row["skill"], "billing");
    assert!(
        row["agents"][0]
            .as_str()
            .is_some_and(|a| a.starts_with("sam")),
        "{staff}"
    );
    let (status, _) = json_of(
        &app,
        &agent_token,
        &format!("/api/conversations/{second}/history/{first}"),
    )
    .await;
    assert_eq!(status, 200);

    // Another device: the widget opens the same open conversation, and both see each other.
    let (again, token_b, resumed) = open(&app, &acme, "user-42").await;
    assert!(resumed);
    assert_eq!(again, second);
    assert_ne!(token_b, token_a);
    let mut device_a = app.socket(&token_a).await;
    subscribe(&mut device_a, &second, 0).await;
    let res = app
        .post_message(&token_b, &second, "Sent from my phone")
        .await;
    assert_eq!(res.status(), 201);
    let seen = recv_message(&mut device_a).await;
    assert_eq!(seen["message"]["content"], "Sent from my phone");
}

#[tokio::test]
async fn strangers_and_anonymous_claims_are_never_linked() {
    let app = spawn_app().await;
    let acme = site(&app).await;
    let (first, _, _) = open(&app, &acme, "user-42").await;

    // Another signed-in customer cannot reach user-42's conversation through their own.
    let (other, other_token, resumed) = open(&app, &acme, "user-7").await;
    assert!(!resumed);
    let (_, history) = json_of(
        &app,
        &other_token,
        &format!("/api/conversations/{other}/history"),
    )
    .await;
    assert_eq!(history["conversations"], json!([]), "{history}");
    let (status, _) = json_of(
        &app,
        &other_token,
        &format!("/api/conversations/{other}/history/{first}"),
    )
    .await;
    assert_eq!(status, 404);

    // An anonymous visitor claiming user-42's id and a verified flag gets nothing of hers.
    let res = app
        .http
        .post(app.url("/api/conversations"))
        .json(&json!({ "site": acme.id, "customer": {
            "id": format!("{}:user-42", acme.id), "verified": true,
            "history": { "conversations": 9, "withAgent": 9, "closedBeforeAgent": 0 } } }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    assert_eq!(created["resumed"], false);
    assert_ne!(created["conversationId"], first.as_str());
    let anon = created["conversationId"].as_str().expect("id");
    let anon_token = created["customerToken"].as_str().expect("token");
    let (_, history) = json_of(
        &app,
        anon_token,
        &format!("/api/conversations/{anon}/history"),
    )
    .await;
    assert_eq!(history, json!({ "verified": false, "conversations": [] }));
    let (status, _) = json_of(
        &app,
        anon_token,
        &format!("/api/conversations/{anon}/history/{first}"),
    )
    .await;
    assert_eq!(status, 404);
    let (_, conv) = json_of(&app, anon_token, &format!("/api/conversations/{anon}")).await;
    assert!(
        conv["customer"].get("history").is_none(),
        "a sent history was kept: {conv}"
    );

    // Nobody without a token reads a history; a bad past id is a clear 400.
    assert_eq!(
        app.get(None, &format!("/api/conversations/{first}/history"))
            .await
            .status(),
        401
    );
    let (status, body) = json_of(
        &app,
        &other_token,
        &format!("/api/conversations/{other}/history/not-an-id"),
    )
    .await;
    assert!(matches!(status, 400 | 404), "{status} {body}");
}
