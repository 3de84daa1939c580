//! Verified identity over the real gateway: the site's backend signs a short-lived HS256 token for
//! its signed-in user; the conversation's customer becomes that user, verified, and their plan
//! reaches the agent's briefing and the routing priority. Forged, expired, foreign and site-less
//! tokens are refused with 401/400 and create nothing. An anonymous visitor's own claims are kept
//! apart as unverified, shown as such, and change nothing.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::bench::client::Socket;
use warmline::domain::Role;
use warmline::service::sites;

async fn create(app: &TestApp, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/api/conversations"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn conversations(app: &TestApp) -> usize {
    app.store()
        .list_conversations(None, 10_000)
        .await
        .unwrap()
        .len()
}

async fn online_agent(app: &TestApp, name: &str) -> Socket {
    let token = app
        .add_user(name, Role::Agent, &["billing", "general"])
        .await;
    let mut ws = app.socket(&token).await;
    assert_eq!(
        recv_type(&mut ws, &["agent_status"]).await["status"],
        "available"
    );
    ws
}

/// The customer asks for a person; returns the offer the agent receives.
async fn escalate(app: &TestApp, agent: &mut Socket, created: &Value) -> Value {
    let id = created["conversationId"].as_str().unwrap();
    let token = created["customerToken"].as_str().unwrap();
    let res = app
        .post_message(
            token,
            id,
            "I was charged twice on invoice INV-20931. I want to talk to a person please.",
        )
        .await;
    assert!(res.status().is_success());
    recv_type(agent, &["offer"]).await
}

#[tokio::test]
async fn a_verified_customer_reaches_the_briefing_and_the_routing() {
    let app =
        spawn_app_with(|c| c.assistant = warmline::assistant::AssistantConfig::default()).await;
    let acme = acme_site(&app, "Acme").await;
    let mut agent = online_agent(&app, "sam").await;

    let signed = identity_token(
        &acme,
        &acme.secret,
        json!({ "name": "Sarah Chen", "email": "sarah@acme.io", "context": {
            "accountStatus": "enterprise", "previousInteractions": 3,
            "satisfactionHistory": [4.2, 3.8], "productUsage": "power-user" } }),
    );
    let res = create(&app, json!({ "site": acme.id, "identity": signed })).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["conversationId"].as_str().unwrap();
    let conv: Value = app
        .get(
            created["customerToken"].as_str(),
            &format!("/api/conversations/{id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let customer = &conv["customer"];
    assert_eq!(customer["verified"], true, "{customer}");
    assert_eq!(customer["name"], "Sarah Chen");
    assert_eq!(customer["id"], format!("{}:user-42", acme.id));
    assert_eq!(customer["context"]["accountStatus"], "enterprise");

    let offer = escalate(&app, &mut agent, &created).await;
    let background = offer["briefing"]["detail"]["background"].to_string();
    assert!(background.contains("verified"), "{background}");
    assert!(
        background.contains("3 previous interactions"),
        "{background}"
    );
    assert!(background.contains("4.2 → 3.8"), "{background}");
    assert!(
        background.contains("Account status: enterprise"),
        "{background}"
    );
    // Plan-based priority: an enterprise account is at least high urgency.
    let urgency = offer["briefing"]["escalation"]["urgency"].as_str().unwrap();
    assert!(matches!(urgency, "high" | "critical"), "{urgency}");
}

#[tokio::test]
async fn an_anonymous_claim_is_kept_apart_and_changes_nothing() {
    let app =
        spawn_app_with(|c| c.assistant = warmline::assistant::AssistantConfig::default()).await;
    let acme = acme_site(&app, "Acme").await;
    let mut agent = online_agent(&app, "sam").await;
    let res = create(
        &app,
        json!({ "site": acme.id, "customer": {
            "name": "Eve", "verified": true,
            "context": { "accountStatus": "enterprise_vip", "previousInteractions": 40 } } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["conversationId"].as_str().unwrap();
    let conv: Value = app
        .get(
            created["customerToken"].as_str(),
            &format!("/api/conversations/{id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let customer = &conv["customer"];
    assert!(customer.get("verified").is_none(), "{customer}");
    assert!(
        customer["context"].get("accountStatus").is_none(),
        "{customer}"
    );
    assert_eq!(
        customer["unverifiedContext"]["accountStatus"],
        "enterprise_vip"
    );
    let offer = escalate(&app, &mut agent, &created).await;
    let background = offer["briefing"]["detail"]["background"].to_string();
    assert!(
        background.contains("Unverified") && background.contains("enterprise vip"),
        "{background}"
    );
    assert!(!background.contains("identity and account verified"));
    assert!(background.contains("First contact"), "{background}");
    let urgency = offer["briefing"]["escalation"]["urgency"].as_str().unwrap();
    assert_eq!(urgency, "medium", "an anonymous claim bought priority");
}

#[tokio::test]
async fn forged_expired_foreign_and_siteless_tokens_create_nothing() {
    let app = spawn_app().await;
    let acme = acme_site(&app, "Acme").await;
    let other = acme_site(&app, "Other").await;
    let now = chrono::Utc::now().timestamp();
    let before = conversations(&app).await;
    let cases = [
        (
            "forged",
            json!({ "site": acme.id, "identity": identity_token(&acme, "guessed-secret", json!({})) }),
            401,
        ),
        (
            "expired",
            json!({ "site": acme.id, "identity": identity_token(&acme, &acme.secret, json!({ "exp": now - 3600 })) }),
            401,
        ),
        (
            "valid for a month",
            json!({ "site": acme.id, "identity": identity_token(&acme, &acme.secret, json!({ "exp": now + 30 * 86400 })) }),
            401,
        ),
        (
            "another site's token",
            json!({ "site": acme.id, "identity": identity_token(&other, &other.secret, json!({})) }),
            401,
        ),
        (
            "signed with the other site's secret for this one",
            json!({ "site": acme.id, "identity": identity_token(&acme, &other.secret, json!({})) }),
            401,
        ),
        (
            "no site",
            json!({ "identity": identity_token(&acme, &acme.secret, json!({})) }),
            400,
        ),
        (
            "garbage",
            json!({ "site": acme.id, "identity": "eyJ.garbage" }),
            401,
        ),
        (
            "unlisted site",
            json!({ "site": "site_000000000000", "identity": identity_token(&acme, &acme.secret, json!({})) }),
            404,
        ),
    ];
    for (what, body, status) in cases {
        let res = create(&app, body).await;
        assert_eq!(res.status(), status, "{what}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["message"].is_string(), "{what}: {err}");
    }
    assert_eq!(
        conversations(&app).await,
        before,
        "a refused token created a conversation"
    );
    // After rotating the secret, tokens signed with the old one fail.
    let old = identity_token(&acme, &acme.secret, json!({}));
    assert_eq!(
        create(&app, json!({ "site": acme.id, "identity": old.clone() }))
            .await
            .status(),
        201
    );
    sites::rotate_secret(&*app.store(), &acme.id).await.unwrap();
    let mut status = 0;
    for _ in 0..60 {
        status = create(&app, json!({ "site": acme.id, "identity": old.clone() }))
            .await
            .status()
            .as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "the old secret still works after rotation");
}
