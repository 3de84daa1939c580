//! The embeddable widget on a real website's page, in Chromium: a host page on another origin
//! (served by the script) loads `/widget.js` with the site's id; the launcher shows in the corner
//! within 2 s of the page's load, opens the chat in the gateway's frame, the customer talks to the
//! assistant, is handed to an agent, and holds a video call with screen sharing inside the frame;
//! replies while the widget is closed show as an unread badge (and are not "Seen" by the agent);
//! the conversation and the open or closed state survive the host's page loads; a page on an
//! origin the site does not list cannot show the chat.

use crate::common;

use common::*;
use serde_json::Value;
use warmline::assistant::AssistantConfig;
use warmline::domain::Role;
use warmline::service::sites::{self, NewSite};

/// A free local port: bound, read, and released for the script's web server.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn the_widget_on_a_sites_page_chats_calls_counts_unread_and_stays_on_its_origins() {
    let _heavy = heavy().await;
    let app = spawn_app_with(|c| {
        c.assistant = AssistantConfig::default();
        // Not the ranges of the other browser tests, which may run at the same time.
        c.media.udp_port_min = 42900;
        c.media.udp_port_max = 42999;
    })
    .await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let sam = app
        .add_user("sam", Role::Agent, &["billing", "general"])
        .await;
    let (host_port, other_port) = (free_port(), free_port());
    assert_ne!(host_port, other_port);
    let host = format!("http://127.0.0.1:{host_port}");
    let site = sites::create(
        &*app.store(),
        NewSite {
            name: "Acme Outdoor".into(),
            origins: vec![host.clone()],
            color: Some("#0F6F67".into()),
            greeting: Some("Hi! Questions about your order?".into()),
            conversations_per_minute: 0,
        },
    )
    .await
    .expect("site created");
    // A new site takes effect without a restart: wait until its frame is served.
    let mut status = 0;
    for _ in 0..100 {
        status = app
            .get(None, &format!("/widget?site={}", site.id))
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the new site's frame is not served");

    // The host's backend signs its signed-in user; a forger signs with a guess.
    let sign = |secret: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({
            "sub": "u-1001", "name": "Sarah Chen", "email": "sarah@example.com",
            "iat": now, "exp": now + 900, "aud": site.id,
            "context": { "accountStatus": "pro-subscriber", "previousInteractions": 3,
                         "satisfactionHistory": [4.2, 3.8] },
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("token signs")
    };
    let (identity, forged) = (sign(&site.secret), sign("a-guessed-secret"));
    let earlier = earlier_conversation(&app, &site.id, &sign(&site.secret), &sam).await;
    let Some(steps) = browser::run_script(
        "widget.mjs",
        &[
            ("WLTEST_IDENTITY", identity),
            ("WLTEST_BAD_IDENTITY", forged),
            ("WLTEST_BASE", app.base.clone()),
            ("WLTEST_SITE", site.id.clone()),
            ("WLTEST_SITE_NAME", "Acme Outdoor".into()),
            ("WLTEST_SITE_COLOR", "#0f6f67".into()),
            (
                "WLTEST_SITE_GREETING",
                "Hi! Questions about your order?".into(),
            ),
            ("WLTEST_HOST_PORT", host_port.to_string()),
            ("WLTEST_OTHER_PORT", other_port.to_string()),
            ("WLTEST_AGENT_USER", "sam".into()),
            ("WLTEST_AGENT_PASS", "sam-password".into()),
        ],
    )
    .await
    else {
        return;
    };
    for expected in [
        "launcher visible",
        "frame loaded hidden before the first open",
        "opened",
        "assistant answered in the widget",
        "customer escalated",
        "agent joined",
        "video call in the widget",
        "screen share decoded",
        "closed from inside the frame",
        "unread badge",
        "reload keeps the closed state and the unread count",
        "reopened: same conversation, unread cleared",
        "reload keeps the open state",
        "API and Escape",
        "mobile sheet",
        "other origin cannot show the chat",
        "a forged identity is refused",
        "identified customer escalated",
        "customer reads an earlier conversation",
        "agent sees the customer's history",
        "time to launcher",
    ] {
        let step = steps.iter().find(|s| s["step"] == expected);
        let step = step.unwrap_or_else(|| panic!("no step {expected:?}: {steps:?}"));
        eprintln!("{step}");
    }
    let timing = steps
        .iter()
        .find(|s| s["step"] == "time to launcher")
        .unwrap();
    let median = timing["medianMs"].as_f64().unwrap();
    assert!(median <= 2000.0, "time to launcher {median} ms: {timing}");

    // The gateway's side: the widget's conversations are the site's, and reloading the host page
    // did not start another one (one from the main flow, one from the identity check).
    let list: Value = app
        .get(Some(&manager), "/api/conversations")
        .await
        .json()
        .await
        .unwrap();
    let conversations: Vec<&Value> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["conversationId"] != earlier.as_str())
        .collect();
    assert_eq!(conversations.len(), 2, "{list}");
    for c in &conversations {
        let id = c["conversationId"].as_str().unwrap();
        let conv: Value = app
            .get(Some(&manager), &format!("/api/conversations/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(conv["customer"]["site"], site.id.as_str(), "{conv}");
    }
    // The signed-in customer is verified, and their plan is in the briefing the agent reads.
    let verified: Vec<Value> = {
        let mut out = Vec::new();
        for c in conversations {
            let id = c["conversationId"].as_str().unwrap();
            let conv: Value = app
                .get(Some(&manager), &format!("/api/conversations/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if conv["customer"]["verified"] == true {
                out.push(conv);
            }
        }
        out
    };
    assert_eq!(
        verified.len(),
        1,
        "exactly the identified visitor is verified"
    );
    let conv = &verified[0];
    assert_eq!(conv["customer"]["name"], "Sarah Chen");
    assert_eq!(conv["customer"]["id"], format!("{}:u-1001", site.id));
    let background = conv["briefing"]["detail"]["background"].to_string();
    assert!(
        background.contains("verified") && background.contains("Account status: pro subscriber"),
        "{background}"
    );
    assert!(
        background.contains("Returning customer: 1 earlier conversation here (1 with an agent)"),
        "{background}"
    );
}

/// The signed-in customer's visit of a few days ago: escalated, taken by Sam and resolved, so
/// that the widget's visit is a returning customer's. Returns its id.
async fn earlier_conversation(app: &TestApp, site: &str, identity: &str, sam: &str) -> String {
    let created: Value = app
        .http
        .post(app.url("/api/conversations"))
        .json(&serde_json::json!({ "site": site, "identity": identity }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["conversationId"].as_str().unwrap().to_owned();
    let customer = created["customerToken"].as_str().unwrap();
    let mut agent = app.socket(sam).await;
    app.post_message(
        customer,
        &id,
        "My tent order #88120 never shipped. Can a person check?",
    )
    .await;
    recv_type(&mut agent, &["offer"]).await;
    for frame in ["accept_offer", "open_briefing", "join_conversation"] {
        let done = step(
            &mut agent,
            serde_json::json!({ "type": frame, "conversationId": id }),
        )
        .await;
        assert_eq!(done["type"], "done", "{frame}: {done}");
    }
    let res = app
        .post_message(
            sam,
            &id,
            "It left our warehouse today; tracking follows by e-mail.",
        )
        .await;
    assert!(res.status().is_success());
    let done = step(
        &mut agent,
        serde_json::json!({ "type": "resolve_conversation", "conversationId": id }),
    )
    .await;
    assert_eq!(done["type"], "done", "{done}");
    id
}
