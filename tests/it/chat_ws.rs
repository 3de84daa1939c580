//! Chat over the WebSocket: both directions, acknowledgement after commit, idempotent resend, and
//! resume after a dropped connection with nothing lost and nothing repeated.

use crate::common;

use common::*;
use serde_json::json;
use warmline::domain::Role;

#[tokio::test]
async fn customer_and_agent_chat_both_ways_live() {
    let app = spawn_app().await;
    let agent = app
        .add_user("maria", Role::Agent, &["general", "technical"])
        .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Sarah" })).await;

    let mut c = app.socket(&customer).await;
    let mut a = app.socket(&agent).await;
    subscribe(&mut c, &id, 0).await;
    let replay = subscribe(&mut a, &id, 0).await;
    assert_eq!(replay[0]["type"], "conversation_created");

    send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": "Hi, my dashboard is blank", "clientMsgId": "c-1" })).await.unwrap();
    let ack = recv_type(&mut c, &["ack"]).await;
    assert_eq!(ack["clientMsgId"], "c-1");
    assert_eq!(ack["duplicate"], false);
    let seen_by_agent = recv_message(&mut a).await;
    assert_eq!(
        seen_by_agent["message"]["content"],
        "Hi, my dashboard is blank"
    );
    assert_eq!(seen_by_agent["message"]["speaker"], "customer");
    assert_eq!(seen_by_agent["seq"], ack["seq"]);
    assert!(
        seen_by_agent["message"]["sentiment"].is_string(),
        "customer messages carry a sentiment"
    );
    assert!(
        seen_by_agent["message"]["intent"].is_string(),
        "customer messages carry an intent"
    );

    send_json(&mut a, &json!({ "type": "send_message", "conversationId": id, "content": "Hi Sarah, I'm Maria. Let me look.", "clientMsgId": "a-1" })).await.unwrap();
    recv_type(&mut a, &["ack"]).await;
    let reply = recv_message(&mut c).await;
    assert_eq!(reply["message"]["speaker"], "agent");
    assert_eq!(
        reply["message"]["content"],
        "Hi Sarah, I'm Maria. Let me look."
    );

    // The agent joined by writing: the conversation is theirs now.
    let conv: serde_json::Value = app
        .get(Some(&agent), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["status"], "with_agent");
    assert!(conv["participants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["kind"] == "agent" && p["leftAt"].is_null()));
}

#[tokio::test]
async fn typing_and_presence_reach_the_other_side_only() {
    let app = spawn_app().await;
    let agent = app
        .add_user("maria", Role::Agent, &["general", "technical"])
        .await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let mut a = app.socket(&agent).await;
    subscribe(&mut a, &id, 0).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    let presence = recv_type(&mut a, &["presence"]).await;
    assert_eq!(presence["from"]["kind"], "customer");
    assert_eq!(presence["online"], true);
    send_json(
        &mut c,
        &json!({ "type": "typing", "conversationId": id, "isTyping": true }),
    )
    .await
    .unwrap();
    let typing = recv_type(&mut a, &["typing"]).await;
    assert_eq!(typing["isTyping"], true);
    drop(c);
    let gone = recv_type(&mut a, &["presence"]).await;
    assert_eq!(gone["online"], false);
}

#[tokio::test]
async fn resending_a_client_msg_id_stores_nothing_new() {
    let app = spawn_app().await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let mut c = app.socket(&customer).await;
    let frame = json!({ "type": "send_message", "conversationId": id, "content": "once only", "clientMsgId": "dup-1" });
    send_json(&mut c, &frame).await.unwrap();
    let first = recv_type(&mut c, &["ack"]).await;
    send_json(&mut c, &frame).await.unwrap();
    let second = recv_type(&mut c, &["ack"]).await;
    assert_eq!(second["duplicate"], true);
    assert_eq!(first["seq"], second["seq"]);
    assert_eq!(first["messageId"], second["messageId"]);
    let conv: serde_json::Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_reconnecting_client_receives_exactly_what_it_missed_in_order() {
    let app = spawn_app().await;
    let agent = app
        .add_user("maria", Role::Agent, &["general", "technical"])
        .await;
    let (id, customer) = app.new_conversation(json!({})).await;

    let mut a = app.socket(&agent).await;
    subscribe(&mut a, &id, 0).await;
    let mut c = app.socket(&customer).await;
    for i in 0..5 {
        send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": format!("before {i}"), "clientMsgId": format!("b{i}") })).await.unwrap();
        recv_type(&mut c, &["ack"]).await;
    }
    let mut last_seq = 0;
    for _ in 0..5 {
        last_seq = recv_message(&mut a).await["seq"].as_u64().unwrap();
    }
    // The agent's connection drops; the customer keeps writing.
    drop(a);
    for i in 0..7 {
        send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": format!("while away {i}"), "clientMsgId": format!("w{i}") })).await.unwrap();
        recv_type(&mut c, &["ack"]).await;
    }
    // Reconnect with the last seq seen; then more arrive live.
    let mut a = app.socket(&agent).await;
    send_json(
        &mut a,
        &json!({ "type": "subscribe", "conversationId": id, "afterSeq": last_seq }),
    )
    .await
    .unwrap();
    for i in 0..3 {
        send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": format!("after {i}"), "clientMsgId": format!("a{i}") })).await.unwrap();
        recv_type(&mut c, &["ack"]).await;
    }
    let mut got = Vec::new();
    while got.len() < 10 {
        let f = recv(&mut a).await;
        if f["type"] == "event" {
            got.push((
                f["event"]["seq"].as_u64().unwrap(),
                f["event"]["message"]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            ));
        }
    }
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    let expected: Vec<u64> = (last_seq + 1..=last_seq + 10).collect();
    assert_eq!(seqs, expected, "every missed and new event once, in order");
    assert_eq!(got[0].1, "while away 0");
    assert_eq!(got[9].1, "after 2");
    // Nothing more is pending: a ping is answered next, with no stray duplicate before it.
    send_json(&mut a, &json!({ "type": "ping" })).await.unwrap();
    let next = recv_type(&mut a, &["pong", "event"]).await;
    assert_eq!(next["type"], "pong", "no duplicate event after the replay");
}

#[tokio::test]
async fn rest_events_after_pages_the_log() {
    let app = spawn_app().await;
    let (id, customer) = app.new_conversation(json!({})).await;
    for i in 0..4 {
        assert_eq!(
            app.post_message(&customer, &id, &format!("m{i}"))
                .await
                .status(),
            201
        );
    }
    let page: serde_json::Value = app
        .get(
            Some(&customer),
            &format!("/api/conversations/{id}/events?after=2&limit=2"),
        )
        .await
        .json()
        .await
        .unwrap();
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![3, 4]);
    assert_eq!(page["lastSeq"], 4);
    assert_eq!(page["more"], true);
    let rest: serde_json::Value = app
        .get(
            Some(&customer),
            &format!("/api/conversations/{id}/events?after=4"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["events"].as_array().unwrap().len(), 1);
    assert_eq!(rest["more"], false);
}

#[tokio::test]
async fn the_agent_inbox_lists_and_updates_visible_conversations() {
    let app = spawn_app().await;
    let agent = app
        .add_user("maria", Role::Agent, &["general", "technical"])
        .await;
    let mut a = app.socket(&agent).await;
    send_json(&mut a, &json!({ "type": "subscribe_inbox" }))
        .await
        .unwrap();
    let inbox = recv_type(&mut a, &["inbox"]).await;
    assert_eq!(inbox["conversations"].as_array().unwrap().len(), 0);
    let (id, customer) = app.new_conversation(json!({ "name": "Lee" })).await;
    let update = recv_type(&mut a, &["inbox_update"]).await;
    assert_eq!(update["conversation"]["conversationId"], id.as_str());
    assert_eq!(update["conversation"]["customerName"], "Lee");
    app.post_message(&customer, &id, "hello there").await;
    let update = recv_type(&mut a, &["inbox_update"]).await;
    assert_eq!(update["conversation"]["lastMessage"], "hello there");
}

/// The frames that arrive on `ws` within `ms`, none awaited.
async fn frames_within(
    ws: &mut warmline::bench::client::Socket,
    ms: u64,
) -> Vec<serde_json::Value> {
    let mut got = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_millis(ms), async {
        loop {
            got.push(recv(ws).await);
        }
    })
    .await;
    got
}

async fn last_seq(app: &TestApp, token: &str, id: &str) -> u64 {
    let page: serde_json::Value = app
        .get(
            Some(token),
            &format!("/api/conversations/{id}/events?after=0"),
        )
        .await
        .json()
        .await
        .unwrap();
    page["lastSeq"].as_u64().unwrap()
}

/// Read receipts both ways: the customer's `read` reaches the agent as a `receipt` and the
/// joined agent's reaches the customer, naming no agent; positions are clamped to the last seq;
/// a viewing agent's reading tells the customer nothing; a frame for a conversation the sender may
/// not read is refused; a new subscriber learns the positions at once.
#[tokio::test]
async fn read_receipts_reach_the_other_side_without_naming_anyone() {
    let app = spawn_app().await;
    let maria = app.add_user("maria", Role::Agent, &["general"]).await;
    let sam = app.add_user("sam", Role::Agent, &["general"]).await;
    let maria_id = app
        .get(Some(&maria), "/api/me")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, customer) = app.new_conversation(json!({ "name": "Sarah" })).await;
    let (other_id, other_customer) = app.new_conversation(json!({})).await;

    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    let mut a = app.socket(&maria).await;
    subscribe(&mut a, &id, 0).await;
    let mut s = app.socket(&sam).await;
    subscribe(&mut s, &id, 0).await;

    send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": "Is anyone there?", "clientMsgId": "c-1" })).await.unwrap();
    let first = recv_type(&mut c, &["ack"]).await["seq"].as_u64().unwrap();
    recv_message(&mut s).await;

    // Sam only looks (nobody has joined yet): his reading is accepted and counts for nobody.
    for kind in ["delivered", "read"] {
        send_json(
            &mut s,
            &json!({ "type": kind, "conversationId": id, "seq": first }),
        )
        .await
        .unwrap();
    }
    let quiet = frames_within(&mut c, 400).await;
    assert!(
        quiet.iter().all(|f| f["type"] != "receipt"),
        "a viewing agent's reading reached the customer: {quiet:?}"
    );
    let quiet = frames_within(&mut s, 100).await;
    assert!(
        quiet.iter().all(|f| f["type"] != "error"),
        "a viewing agent may say what he read: {quiet:?}"
    );

    // Maria joins by replying; the conversation is hers now.
    send_json(&mut a, &json!({ "type": "send_message", "conversationId": id, "content": "Hi Sarah, Maria here.", "clientMsgId": "a-1" })).await.unwrap();
    recv_type(&mut a, &["ack"]).await;
    recv_message(&mut c).await;
    let last = last_seq(&app, &customer, &id).await;
    assert!(last > first);

    // The customer has seen everything (and claims more): clamped to the last seq.
    send_json(
        &mut c,
        &json!({ "type": "read", "conversationId": id, "seq": last + 1000 }),
    )
    .await
    .unwrap();
    let receipt = recv_type(&mut a, &["receipt"]).await;
    assert_eq!(
        receipt,
        json!({ "type": "receipt", "conversationId": id, "side": "customer", "deliveredSeq": last, "readSeq": last })
    );

    // Maria's page renders, then shows, the customer's message: the customer learns only
    // "support", never who.
    send_json(
        &mut a,
        &json!({ "type": "delivered", "conversationId": id, "seq": first }),
    )
    .await
    .unwrap();
    let delivered = recv_type(&mut c, &["receipt"]).await;
    assert_eq!(
        delivered,
        json!({ "type": "receipt", "conversationId": id, "side": "agent", "deliveredSeq": first, "readSeq": 0 })
    );
    send_json(
        &mut a,
        &json!({ "type": "read", "conversationId": id, "seq": last }),
    )
    .await
    .unwrap();
    let seen = recv_type(&mut c, &["receipt"]).await;
    assert_eq!(
        seen,
        json!({ "type": "receipt", "conversationId": id, "side": "agent", "deliveredSeq": last, "readSeq": last })
    );
    assert!(!seen.to_string().contains(&maria_id));
    // Going back changes nothing, and tells nobody.
    send_json(
        &mut a,
        &json!({ "type": "read", "conversationId": id, "seq": first }),
    )
    .await
    .unwrap();

    // Refused: Sam lost access when Maria took the conversation; another customer never had it.
    send_json(
        &mut s,
        &json!({ "type": "read", "conversationId": id, "seq": last }),
    )
    .await
    .unwrap();
    let refused = recv_type(&mut s, &["error"]).await;
    assert_eq!(refused["ref"], id.as_str(), "{refused}");
    let mut o = app.socket(&other_customer).await;
    subscribe(&mut o, &other_id, 0).await;
    send_json(
        &mut o,
        &json!({ "type": "read", "conversationId": id, "seq": 1 }),
    )
    .await
    .unwrap();
    let refused = recv_type(&mut o, &["error", "receipt"]).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "not_found");
    assert_eq!(refused["ref"], id.as_str());

    // A reloaded customer page learns at once that support has seen everything.
    let mut again = app.socket(&customer).await;
    send_json(
        &mut again,
        &json!({ "type": "subscribe", "conversationId": id, "afterSeq": 0 }),
    )
    .await
    .unwrap();
    let mut receipts = Vec::new();
    loop {
        let f = recv(&mut again).await;
        match f["type"].as_str() {
            Some("receipt") => receipts.push(f),
            Some("subscribed") => break,
            _ => {}
        }
    }
    let support = receipts
        .iter()
        .find(|r| r["side"] == "agent")
        .expect("the agent side's receipt on subscribe");
    assert_eq!(support["readSeq"], last);
    for r in &receipts {
        assert!(!r.to_string().contains(&maria_id), "{r}");
    }
    // Nothing after the backwards read: the next frame is the pong.
    send_json(&mut c, &json!({ "type": "ping" })).await.unwrap();
    let next = recv_type(&mut c, &["pong", "receipt"]).await;
    assert_eq!(next["type"], "pong", "a read that went back was fanned out");
}

#[tokio::test]
async fn the_receipt_frames_are_documented() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .get(None, "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let consts = |schema: &str| -> Vec<String> {
        doc["components"]["schemas"][schema]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["type"]["const"].as_str().map(String::from))
            .collect()
    };
    let client = consts("WsClientFrame");
    assert!(client.contains(&"read".to_owned()), "{client:?}");
    assert!(client.contains(&"delivered".to_owned()), "{client:?}");
    assert!(consts("WsServerFrame").contains(&"receipt".to_owned()));
}
