//! Who may see and do what: one test per role boundary. A wrong or missing token is 401; the wrong
//! person gets 403 or 404 and never data.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::domain::Role;

#[tokio::test]
async fn no_token_and_bad_tokens_are_401() {
    let app = spawn_app().await;
    let (id, _) = app.new_conversation(json!({})).await;
    for token in [None, Some("wl_c_not-a-real-token"), Some("")] {
        let res = app.get(token, &format!("/api/conversations/{id}")).await;
        assert_eq!(res.status(), 401, "token {token:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let res = app
        .http
        .get(app.url(&format!("/api/conversations/{id}")))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_customer_sees_only_their_own_conversation() {
    let app = spawn_app().await;
    let (mine, my_token) = app.new_conversation(json!({ "name": "A" })).await;
    let (theirs, _) = app
        .new_conversation(json!({ "name": "B", "email": "b@example.com" }))
        .await;
    assert_eq!(
        app.get(Some(&my_token), &format!("/api/conversations/{mine}"))
            .await
            .status(),
        200
    );
    let res = app
        .get(Some(&my_token), &format!("/api/conversations/{theirs}"))
        .await;
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.unwrap().contains("b@example.com"));
    assert_eq!(
        app.get(
            Some(&my_token),
            &format!("/api/conversations/{theirs}/events")
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post_message(&my_token, &theirs, "let me in")
            .await
            .status(),
        404
    );
    // Customers cannot list conversations.
    assert_eq!(
        app.get(Some(&my_token), "/api/conversations")
            .await
            .status(),
        403
    );
    // Nor subscribe to someone else's over the socket.
    let mut ws = app.socket(&my_token).await;
    send_json(
        &mut ws,
        &json!({ "type": "subscribe", "conversationId": theirs, "afterSeq": 0 }),
    )
    .await
    .unwrap();
    let err = recv_type(&mut ws, &["error", "event"]).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "not_found");
}

#[tokio::test]
async fn an_agent_sees_only_unowned_conversations_of_their_skills() {
    let app = spawn_app().await;
    let billing = app.add_user("sam", Role::Agent, &["billing"]).await;
    let general = app.add_user("maria", Role::Agent, &["general"]).await;
    let (id, _) = app.new_conversation(json!({})).await; // routed under "general"
    assert_eq!(
        app.get(Some(&general), &format!("/api/conversations/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(Some(&billing), &format!("/api/conversations/{id}"))
            .await
            .status(),
        404
    );
    let list: Value = app
        .get(Some(&billing), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["conversations"].as_array().unwrap().len(), 0);
    let list: Value = app
        .get(Some(&general), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn once_an_agent_owns_a_conversation_other_agents_lose_it() {
    let app = spawn_app().await;
    let maria = app.add_user("maria", Role::Agent, &["general"]).await;
    let alex = app.add_user("alex", Role::Agent, &["general"]).await;
    let (id, _) = app.new_conversation(json!({})).await;
    assert_eq!(
        app.post_message(&maria, &id, "Hi, Maria here.")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.get(Some(&alex), &format!("/api/conversations/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.post_message(&alex, &id, "me too").await.status(), 404);
    assert_eq!(
        app.get(Some(&maria), &format!("/api/conversations/{id}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_manager_reads_everything_but_cannot_write() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let (id, customer) = app.new_conversation(json!({})).await;
    app.post_message(&customer, &id, "hello").await;
    assert_eq!(
        app.get(Some(&manager), &format!("/api/conversations/{id}"))
            .await
            .status(),
        200
    );
    let list: Value = app
        .get(Some(&manager), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
    let res = app.post_message(&manager, &id, "I should not").await;
    assert_eq!(res.status(), 403);
    let mut ws = app.socket(&manager).await;
    send_json(&mut ws, &json!({ "type": "send_message", "conversationId": id, "content": "nope", "clientMsgId": "m1" })).await.unwrap();
    let err = recv_type(&mut ws, &["error", "ack"]).await;
    assert_eq!(err["code"], "forbidden");
    assert_eq!(err["ref"], "m1");
}

#[tokio::test]
async fn disabled_users_and_logged_out_tokens_are_rejected() {
    let app = spawn_app().await;
    let token = app.add_user("sam", Role::Agent, &["general"]).await;
    assert_eq!(app.get(Some(&token), "/api/me").await.status(), 200);
    let res = app
        .http
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get(Some(&token), "/api/me").await.status(), 401);

    let token = app.login("sam").await;
    app.store()
        .set_user_disabled("sam", true, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(app.get(Some(&token), "/api/me").await.status(), 401);
    let res = app
        .http
        .post(app.url("/api/auth/login"))
        .json(&json!({ "username": "sam", "password": "sam-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_401() {
    let app = spawn_app().await;
    app.add_user("sam", Role::Agent, &[]).await;
    for (u, p) in [("sam", "wrong-password"), ("nobody", "whatever-pass")] {
        let res = app
            .http
            .post(app.url("/api/auth/login"))
            .json(&json!({ "username": u, "password": p }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["message"], "wrong username or password");
    }
}

#[tokio::test]
async fn an_integration_key_reads_and_writes_as_the_assistant() {
    let app = spawn_app().await;
    let key = app.api_key("helpdesk-bot").await;
    let (id, _) = app.new_conversation(json!({})).await;
    assert_eq!(
        app.get(Some(&key), &format!("/api/conversations/{id}"))
            .await
            .status(),
        200
    );
    let res = app
        .post_message(&key, &id, "Answer from the external bot")
        .await;
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["speaker"], "ai");
    // A revoked key is dead at once.
    let keys = app.store().list_api_keys().await.unwrap();
    app.store()
        .revoke_api_key(&keys[0].id, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        app.get(Some(&key), &format!("/api/conversations/{id}"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_socket_with_a_bad_token_is_closed_without_data() {
    let app = spawn_app().await;
    let mut ws = app.raw_socket().await;
    send_json(&mut ws, &json!({ "type": "auth", "token": "wl_s_forged" }))
        .await
        .unwrap();
    let err = recv(&mut ws).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "unauthorized");
    assert!(
        next_json(&mut ws).await.is_err(),
        "connection closes after a failed auth"
    );
    // A first frame that is not auth is refused too.
    let mut ws = app.raw_socket().await;
    send_json(
        &mut ws,
        &json!({ "type": "subscribe", "conversationId": "x", "afterSeq": 0 }),
    )
    .await
    .unwrap();
    assert_eq!(recv(&mut ws).await["code"], "unauthorized");
}
