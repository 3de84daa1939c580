//! Durability: everything acknowledged survives a restart of the gateway, and sequence numbers
//! continue without a gap.

use crate::common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn every_acknowledged_message_is_there_after_a_restart() {
    every_acknowledged_message_survives_a_restart_of(spawn_app().await).await;
}

/// Concurrent senders over WebSocket on `app`, a restart, then every acknowledged message in its
/// place and the log continuing without a gap (also run on the Postgres store: `store.rs`).
pub(crate) async fn every_acknowledged_message_survives_a_restart_of(mut app: TestApp) {
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

#[tokio::test]
async fn listings_show_the_latest_message_at_once_and_after_a_restart() {
    let mut app = spawn_app().await;
    let agent = app
        .add_user("maria", warmline::domain::Role::Agent, &["general"])
        .await;
    let manager = app
        .add_user("morgan", warmline::domain::Role::Manager, &[])
        .await;
    let (id, customer) = app.new_conversation(json!({ "name": "Ana" })).await;
    app.post_message(&customer, &id, "hello, anyone?").await;
    // Taking over writes the handoff record (escalation, acceptance, join: header changes), then
    // the plain message.
    let posted: Value = app
        .post_message(&agent, &id, "Hi Ana, Maria here.")
        .await
        .json()
        .await
        .unwrap();
    let seq = posted["seq"].clone();
    let latest = |v: Value| {
        (
            v["conversations"][0]["lastMessage"].clone(),
            v["conversations"][0]["lastSeq"].clone(),
        )
    };
    let listed: Value = app
        .get(Some(&manager), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(latest(listed), (json!("Hi Ana, Maria here."), seq.clone()));
    app.restart().await;
    let manager = app.login("morgan").await;
    let listed: Value = app
        .get(Some(&manager), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(latest(listed), (json!("Hi Ana, Maria here."), seq.clone()));
}

#[tokio::test]
async fn conversation_rows_catch_up_with_the_log_within_seconds() {
    // SQLite whatever `WLTEST_STORE` says: the test reads the database file itself.
    let app = spawn_app_with(|c| c.storage.url = None).await;
    let (id, customer) = app.new_conversation(json!({})).await;
    for i in 0..3 {
        app.post_message(&customer, &id, &format!("m{i}")).await;
    }
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.dir.path().join("warmline.db").display()
    ))
    .await
    .unwrap();
    let mut row_seq = 0;
    for _ in 0..30 {
        row_seq = sqlx::query_scalar::<_, i64>("SELECT last_seq FROM conversations WHERE id = ?")
            .bind(&id)
            .fetch_one(&db)
            .await
            .unwrap();
        if row_seq == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(row_seq, 4, "the stored row reaches the log's last seq");
}
