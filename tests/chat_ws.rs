//! Chat over the WebSocket: both directions, acknowledgement after commit, idempotent resend, and
//! resume after a dropped connection with nothing lost and nothing repeated.

mod common;

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
