//! What happens around a conversation changing hands: the assistant answering, an agent taking
//! over, the others losing it live, presence, and sockets closing when the gateway stops.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;

#[tokio::test]
async fn the_built_in_assistant_answers_from_the_knowledge_base() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Sarah" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    send_json(&mut c, &json!({ "type": "send_message", "conversationId": id, "content": "My dashboard won't load, it's just a blank white page", "clientMsgId": "q1" })).await.unwrap();
    let mine = recv_message(&mut c).await;
    assert_eq!(mine["message"]["speaker"], "customer");
    assert!(
        mine["message"].get("intent").is_none(),
        "the assessment of the customer is for staff: {mine}"
    );
    let reply = recv_message(&mut c).await;
    assert_eq!(reply["message"]["speaker"], "ai");
    let confidence = reply["message"]["confidence"].as_f64().unwrap();
    assert!(
        confidence > 0.4,
        "a KB match answers with confidence, got {confidence}"
    );
    assert!(
        !reply["message"]["actionsAttempted"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{reply}"
    );
    assert!(reply["message"]["content"].as_str().unwrap().len() > 40);
    // The conversation was routed under the topic's skill.
    let conv: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["skill"], "technical");
    // Staff see the intent the message was read with.
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let staff: Value = app
        .get(Some(&manager), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        staff["messages"][0]["intent"], "technical_support",
        "{staff}"
    );
}

#[tokio::test]
async fn the_assistant_falls_silent_once_an_agent_owns_the_conversation() {
    let app = spawn_app_with(|c| c.assistant = AssistantConfig::default()).await;
    let agent = app
        .add_user("maria", Role::Agent, &["general", "technical"])
        .await;
    let (id, customer) = app.new_conversation(json!({})).await;
    assert_eq!(
        app.post_message(&agent, &id, "Hi, Maria from support here.")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post_message(&customer, &id, "my dashboard is blank")
            .await
            .status(),
        201
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let conv: Value = app
        .get(Some(&customer), &format!("/api/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let speakers: Vec<&str> = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(
        speakers,
        vec!["agent", "customer"],
        "no assistant reply after a human took over"
    );
}

#[tokio::test]
async fn an_agent_who_loses_the_conversation_stops_receiving_it_at_once() {
    let app = spawn_app().await;
    let maria = app.add_user("maria", Role::Agent, &["general"]).await;
    let alex = app.add_user("alex", Role::Agent, &["general"]).await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let mut watcher = app.socket(&alex).await;
    subscribe(&mut watcher, &id, 0).await;
    send_json(&mut watcher, &json!({ "type": "subscribe_inbox" }))
        .await
        .unwrap();
    recv_type(&mut watcher, &["inbox"]).await;

    assert_eq!(
        app.post_message(&maria, &id, "Maria here, I'll take this.")
            .await
            .status(),
        201
    );
    // Alex is told, once, and nothing of the conversation follows.
    let err = recv_type(&mut watcher, &["error"]).await;
    assert_eq!(err["code"], "forbidden");
    assert_eq!(err["ref"], id.as_str());
    recv_type(&mut watcher, &["unsubscribed"]).await;
    let removed = recv_type(&mut watcher, &["inbox_remove"]).await;
    assert_eq!(removed["conversationId"], id.as_str());

    assert_eq!(
        app.post_message(&customer, &id, "my card number is 4111 1111 1111 1111")
            .await
            .status(),
        201
    );
    send_json(&mut watcher, &json!({ "type": "ping" }))
        .await
        .unwrap();
    loop {
        let f = recv(&mut watcher).await;
        assert_ne!(
            f["type"], "event",
            "no event may reach an agent who lost access: {f}"
        );
        if f["type"] == "pong" {
            break;
        }
    }
}

#[tokio::test]
async fn a_new_subscriber_learns_who_is_already_online() {
    let app = spawn_app().await;
    let agent = app.add_user("maria", Role::Agent, &["general"]).await;
    let (id, customer) = app.new_conversation(json!({ "name": "Dana" })).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    let mut a = app.socket(&agent).await;
    send_json(
        &mut a,
        &json!({ "type": "subscribe", "conversationId": id, "afterSeq": 0 }),
    )
    .await
    .unwrap();
    let presence = recv_type(&mut a, &["presence"]).await;
    assert_eq!(presence["from"]["kind"], "customer");
    assert_eq!(presence["from"]["name"], "Dana");
    assert_eq!(presence["online"], true);
}

#[tokio::test]
async fn sockets_are_closed_when_the_gateway_stops() {
    let mut app = spawn_app().await;
    let (id, customer) = app.new_conversation(json!({})).await;
    let mut c = app.socket(&customer).await;
    subscribe(&mut c, &id, 0).await;
    let running = app.running.take().unwrap();
    let stopping = tokio::spawn(running.stop());
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), next_json(&mut c)).await;
    assert!(
        matches!(closed, Ok(Err(_))),
        "the socket closes with the gateway: {closed:?}"
    );
    stopping.await.unwrap().unwrap();
}
