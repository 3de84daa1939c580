//! Transfers over the real gateway: an agent hands a conversation to a named colleague or a skill
//! with a note; the colleague is offered a briefing rebuilt from the whole conversation with the
//! note in it, the customer hears who is coming (never the note), and the first agent leaves only
//! once the colleague has joined. Transfers nobody takes leave the conversation where it was.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::bench::client::Socket;
use warmline::domain::Role;

const NOTE: &str =
    "Refund of INV-20931 approved on my side; the account is locked, needs an unlock first";

async fn next(ws: &mut Socket, kind: &str) -> Value {
    recv_type(ws, &[kind]).await
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me: Value = app.get(Some(token), "/api/me").await.json().await.unwrap();
    me["user"]["id"].as_str().expect("a staff user").to_owned()
}

/// An agent online (known to routing) with their token, id and socket.
async fn online_agent(app: &TestApp, username: &str, skills: &[&str]) -> (String, String, Socket) {
    let token = app.add_user(username, Role::Agent, skills).await;
    let id = user_id(app, &token).await;
    let mut ws = app.socket(&token).await;
    assert_eq!(next(&mut ws, "agent_status").await["status"], "available");
    (token, id, ws)
}

/// A customer escalated to billing, taken by `agent` (accept, open, join), who then talks with
/// the customer: the customer gives an account id only after the agent joined.
async fn billing_conversation_with(
    app: &TestApp,
    agent_token: &str,
    agent: &mut Socket,
) -> (String, String, Socket) {
    let (id, customer) = app.new_conversation(json!({ "name": "Priya Shah" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    app.post_message(
        &customer,
        &id,
        "I was charged twice for my Pro plan, invoice INV-20931. I want a person please.",
    )
    .await;
    next(agent, "offer").await;
    for frame in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(agent, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    let res = app
        .post_message(agent_token, &id, "I can refund it. Which account is it on?")
        .await;
    assert!(res.status().is_success());
    let res = app
        .post_message(
            &customer,
            &id,
            "It's account ACC-77812, and it says the account is locked.",
        )
        .await;
    assert!(res.status().is_success());
    (id, customer, c)
}

async fn post_step(
    app: &TestApp,
    token: &str,
    id: &str,
    step: &str,
    body: Value,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/conversations/{id}/handoff/{step}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn events_as(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let v: Value = app
        .get(Some(token), &format!("/api/conversations/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    v["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_named_transfer_hands_over_with_the_briefing_and_the_note() {
    let app = spawn_app().await;
    let (sam_token, _sam_id, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let (alex_token, alex_id, mut alex) = online_agent(&app, "alex", &["security"]).await;
    let (id, customer, mut c) = billing_conversation_with(&app, &sam_token, &mut sam).await;

    let done = step(&mut sam, json!({ "type": "transfer_conversation", "conversationId": id, "toAgent": alex_id, "note": NOTE })).await;
    assert_eq!(done["type"], "done", "{done}");
    let offer = next(&mut alex, "offer").await;
    assert_eq!(
        offer["specialist"], false,
        "a transfer is a takeover: {offer}"
    );
    let briefing = &offer["briefing"];
    assert_eq!(briefing["transfer"]["note"], NOTE);
    assert_eq!(briefing["transfer"]["fromAgentName"], "sam (test)");
    assert!(
        briefing["transfer"]["agentMessages"].as_u64().unwrap() >= 2,
        "{briefing}"
    );
    // Updated: what the customer said to sam after the escalation is in it.
    let briefing_text = briefing.to_string();
    assert!(
        briefing_text.contains("ACC-77812"),
        "the briefing is rebuilt from the whole conversation: {briefing_text}"
    );
    let intro = briefing["warmIntroduction"].as_str().unwrap();
    assert!(intro.contains("sam has filled me in"), "{intro}");

    for frame in ["accept_offer", "open_briefing"] {
        let done = step(&mut alex, json!({ "type": frame, "conversationId": id })).await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    // The customer hears who is coming.
    let notice = loop {
        let m = recv_message(&mut c).await;
        let text = m["message"]["content"].as_str().unwrap_or_default();
        if m["message"]["speaker"] == "system" && text.contains("handing") {
            break text.to_owned();
        }
    };
    assert!(
        notice.contains("handing your conversation to alex"),
        "{notice}"
    );
    let done = step(
        &mut alex,
        json!({ "type": "join_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    let hello = loop {
        let m = recv_message(&mut c).await;
        if m["message"]["speaker"] == "agent" {
            break m["message"]["content"].as_str().unwrap().to_owned();
        }
    };
    assert!(hello.contains("sam has filled me in"), "{hello}");
    next_event(&mut c, "participant_left").await;

    // Staff see the whole transfer; the customer saw none of it but its effects.
    let staff: Vec<Value> = events_as(&app, &alex_token, &id).await;
    let kinds: Vec<&str> = staff.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k} in {kinds:?}"))
    };
    assert!(
        at("transfer_requested") < kinds.iter().rposition(|k| *k == "handoff_offered").unwrap()
    );
    assert!(
        kinds.iter().rposition(|k| *k == "agent_joined")
            < kinds.iter().rposition(|k| *k == "participant_left")
    );
    let ended = staff
        .iter()
        .rfind(|e| e["type"] == "transfer_ended")
        .unwrap();
    assert_eq!(ended["outcome"], "completed");
    assert_eq!(ended["toAgentId"], alex_id.as_str());
    let customer_view = events_as(&app, &customer, &id).await;
    let customer_json = serde_json::to_string(&customer_view).unwrap();
    assert!(
        !customer_json.contains("approved on my side"),
        "the note is staff only"
    );
    assert!(!customer_json.contains("transfer_requested"));
    let rest: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(!rest.to_string().contains("approved on my side"));

    // The conversation is alex's now; sam may follow it but no longer write into it.
    let header: Value = app
        .get(Some(&alex_token), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        header["handoff"]["accepted"][0],
        alex_id.as_str(),
        "{header}"
    );
    assert!(header["handoff"].get("transfer").is_none());
    assert_eq!(
        app.get(Some(&sam_token), &format!("/api/conversations/{id}"))
            .await
            .status(),
        200
    );
    let res = app.post_message(&sam_token, &id, "one more thing").await;
    assert_eq!(res.status(), 403, "sam handed it over");
    let res = app
        .post_message(&alex_token, &id, "Unlocking it now.")
        .await;
    assert!(res.status().is_success());
    // Alex resolves it: it is theirs to close.
    let done = step(
        &mut alex,
        json!({ "type": "resolve_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
}

#[tokio::test]
async fn transfers_nobody_takes_leave_the_conversation_with_its_agent() {
    let app = spawn_app().await;
    let (sam_token, _, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let (alex_token, alex_id, mut alex) = online_agent(&app, "alex", &["security"]).await;
    let (id, _customer, _c) = billing_conversation_with(&app, &sam_token, &mut sam).await;
    subscribe(&mut sam, &id, 0).await;

    // Declined: sam keeps it and reads why.
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toAgent": alex_id, "note": NOTE }),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    next(&mut alex, "offer").await;
    let done = step(
        &mut alex,
        json!({ "type": "decline_offer", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    let ended = next_event(&mut sam, "transfer_ended").await;
    assert_eq!(ended["outcome"], "declined");
    assert!(app
        .post_message(&sam_token, &id, "Still with you.")
        .await
        .status()
        .is_success());

    // Called off before anyone answered: the colleague's offer is withdrawn.
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toSkill": "security" }),
    )
    .await;
    assert_eq!(res.status(), 200);
    next(&mut alex, "offer").await;
    let res = post_step(&app, &sam_token, &id, "cancel-transfer", json!({})).await;
    assert_eq!(res.status(), 200);
    next(&mut alex, "offer_withdrawn").await;
    assert_eq!(
        next_event(&mut sam, "transfer_ended").await["outcome"],
        "cancelled"
    );
    let res = post_step(&app, &sam_token, &id, "cancel-transfer", json!({})).await;
    assert_eq!(res.status(), 409);

    // Refused up front, with the reason.
    let code = |res: reqwest::Response| async move {
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        (
            status.as_u16(),
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toSkill": "legal" }),
    )
    .await;
    assert_eq!(code(res).await, (409, "no_agent_available".into()));
    let res = app
        .http
        .put(app.url("/api/me/status"))
        .bearer_auth(&alex_token)
        .json(&json!({ "status": "away" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toAgent": alex_id }),
    )
    .await;
    let (status, body_code) = code(res).await;
    assert_eq!(
        (status, body_code.as_str()),
        (409, "transfer_target_unavailable")
    );
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toAgent": "no-such-agent" }),
    )
    .await;
    assert_eq!(code(res).await.1, "transfer_target_unavailable");
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toAgent": alex_id, "toSkill": "security" }),
    )
    .await;
    assert_eq!(code(res).await, (400, "bad_request".into()));
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toSkill": "security", "note": "x".repeat(2001) }),
    )
    .await;
    assert_eq!(code(res).await.0, 400);
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toSkill": "../etc" }),
    )
    .await;
    assert_eq!(code(res).await.0, 400);
}

#[tokio::test]
async fn only_an_agent_in_the_conversation_may_transfer_it() {
    let app = spawn_app().await;
    let (sam_token, sam_id, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let (alex_token, alex_id, _alex) = online_agent(&app, "alex", &["billing"]).await;
    let (id, customer, _c) = billing_conversation_with(&app, &sam_token, &mut sam).await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let body = json!({ "toAgent": alex_id, "note": NOTE });
    for (who, token) in [("customer", &customer), ("manager", &manager)] {
        let res = post_step(&app, token, &id, "transfer", body.clone()).await;
        assert_eq!(res.status(), 403, "{who}");
    }
    // A colleague with the skill who is not in it cannot move it, even to themselves.
    let res = post_step(
        &app,
        &alex_token,
        &id,
        "transfer",
        json!({ "toAgent": sam_id }),
    )
    .await;
    assert!(
        matches!(res.status().as_u16(), 403 | 404 | 409),
        "{}",
        res.status()
    );
    let res = post_step(&app, &alex_token, &id, "cancel-transfer", json!({})).await;
    assert!(
        matches!(res.status().as_u16(), 403 | 404 | 409),
        "{}",
        res.status()
    );
    // Nothing was started by any of them.
    let events = events_as(&app, &alex_token, &id).await;
    assert!(!events.iter().any(|e| e["type"] == "transfer_requested"));
}

#[tokio::test]
async fn a_transfer_pending_at_a_restart_ends_and_the_agent_keeps_the_conversation() {
    let mut app = spawn_app().await;
    let (sam_token, _, mut sam) = online_agent(&app, "sam", &["billing"]).await;
    let (_alex_token, alex_id, mut alex) = online_agent(&app, "alex", &["security"]).await;
    let (id, _customer, _c) = billing_conversation_with(&app, &sam_token, &mut sam).await;
    let res = post_step(
        &app,
        &sam_token,
        &id,
        "transfer",
        json!({ "toAgent": alex_id }),
    )
    .await;
    assert_eq!(res.status(), 200);
    next(&mut alex, "offer").await;
    drop((sam, alex));
    app.restart().await;
    let mut ended = Value::Null;
    for _ in 0..200 {
        let events = events_as(&app, &sam_token, &id).await;
        if let Some(e) = events.iter().rfind(|e| e["type"] == "transfer_ended") {
            ended = e.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Either the colleague's sign-out at shutdown ended it, or the restart did: never left open.
    assert!(
        ["unavailable", "interrupted"].contains(&ended["outcome"].as_str().unwrap_or_default()),
        "{ended}"
    );
    let header: Value = app
        .get(Some(&sam_token), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(header["handoff"].get("transfer").is_none(), "{header}");
    // Sam is still the one in it, and may ask again once back online.
    let mut sam = app.socket(&sam_token).await;
    assert_eq!(next(&mut sam, "agent_status").await["status"], "available");
    assert!(app
        .post_message(&sam_token, &id, "Still here.")
        .await
        .status()
        .is_success());
}
