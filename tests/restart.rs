//! Durability: everything acknowledged survives a restart of the gateway, and sequence numbers
//! continue without a gap.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn every_acknowledged_message_is_there_after_a_restart() {
    let mut app = spawn_app().await;
    let mut conversations = Vec::new();
    for i in 0..5 {
        conversations.push(
            app.new_conversation(json!({ "name": format!("C{i}") }))
                .await,
        );
    }
    // Concurrent senders over WebSocket, so commits are grouped.
    let mut tasks = Vec::new();
    for (id, token) in conversations.clone() {
        let mut ws = app.socket(&token).await;
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for n in 0..40 {
                send_json(&mut ws, &json!({ "type": "send_message", "conversationId": id, "content": format!("durable {n}"), "clientMsgId": format!("d{n}") })).await.unwrap();
                let ack = recv_type(&mut ws, &["ack"]).await;
                acked.push(ack["seq"].as_u64().unwrap());
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    app.restart().await;
    for ((id, token), seqs) in conversations.iter().zip(&acked) {
        let conv: Value = app
            .get(Some(token), &format!("/api/conversations/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let stored: Vec<u64> = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(&stored, seqs, "conversation {id}");
        let contents: Vec<&str> = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents[39], "durable 39");
        // The log continues where it left off, and old tokens still work.
        let res = app.post_message(token, id, "after restart").await;
        assert_eq!(res.status(), 201);
        let m: Value = res.json().await.unwrap();
        assert_eq!(m["seq"].as_u64().unwrap(), seqs.last().unwrap() + 1);
    }
    // Resending a pre-restart clientMsgId is still recognised as a duplicate.
    let (id, token) = &conversations[0];
    let res = app
        .http
        .post(app.url(&format!("/api/conversations/{id}/messages")))
        .bearer_auth(token)
        .json(&json!({ "content": "durable 0", "clientMsgId": "d0" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "duplicate answers 200 with the original");
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["seq"].as_u64().unwrap(), acked[0][0]);
}
