//! Sites over the real gateway: a site's origins may read its widget settings (CORS), frame the
//! widget (`frame-ancestors`), start conversations and open sockets; other origins are refused;
//! the site's own limit on new conversations holds; a removed site stops working without a
//! restart. The gateway's own `/chat` page keeps working as the default site.

use crate::common;

use common::*;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use warmline::service::sites::{self, NewSite};

const SHOP: &str = "https://shop.example";
const EVIL: &str = "https://evil.example";

async fn shop_site(app: &TestApp, per_minute: u32) -> warmline::domain::site::Site {
    sites::create(
        &*app.store(),
        NewSite {
            name: "Shop".into(),
            origins: vec![SHOP.into(), "http://localhost:5173".into()],
            color: Some("#0F6F67".into()),
            greeting: Some("Hi! How can we help?".into()),
            conversations_per_minute: per_minute,
        },
    )
    .await
    .expect("site created")
}

async fn create(app: &TestApp, origin: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.http.post(app.url("/api/conversations")).json(&body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_sites_origins_may_use_its_widget_and_others_may_not() {
    let app = spawn_app().await;
    let site = shop_site(&app, 0).await;
    let id = &site.id;
    assert!(id.starts_with("site_") && site.secret.len() >= 40);

    // The launcher's settings: for the site's origins only, never the secret or the origins.
    let get = |origin: &'static str| {
        app.http
            .get(app.url(&format!("/api/sites/{id}/widget")))
            .header("origin", origin)
            .send()
    };
    let res = get(SHOP).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], SHOP);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "Shop");
    assert_eq!(body["color"], "#0f6f67");
    assert!(
        body.get("secret").is_none() && body.get("origins").is_none(),
        "{body}"
    );
    let res = get(EVIL).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            app.url(&format!("/api/sites/{id}/widget")),
        )
        .header("origin", SHOP)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-origin"], SHOP);
    for unknown in ["site_nope", "../etc", "x".repeat(200).as_str()] {
        let res = app
            .http
            .get(app.url(&format!("/api/sites/{unknown}/widget")))
            .header("origin", SHOP)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{unknown}");
    }

    // The frame: only the site's origins may embed it; every other page stays unframable.
    let res = app.get(None, &format!("/widget?site={id}")).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors https://shop.example http://localhost:5173"),
        "{csp}"
    );
    assert!(res.headers().get("x-frame-options").is_none());
    let res = app.get(None, "/chat").await;
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(app.get(None, "/widget?site=site_nope").await.status(), 404);
    assert_eq!(app.get(None, "/widget").await.status(), 400);

    // Conversations: from the gateway's own pages (the widget frame) or the site's origins.
    let own = app.base.clone();
    let res = create(&app, Some(&own), json!({ "site": id })).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let token = created["customerToken"].as_str().unwrap();
    let conv: Value = app
        .get(
            Some(token),
            &format!(
                "/api/conversations/{}",
                created["conversationId"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(conv["customer"]["site"], id.as_str(), "{conv}");
    assert_eq!(
        create(&app, Some(SHOP), json!({ "site": id }))
            .await
            .status(),
        201
    );
    assert_eq!(
        create(&app, Some(EVIL), json!({ "site": id }))
            .await
            .status(),
        403
    );
    assert_eq!(create(&app, Some(EVIL), json!({})).await.status(), 403);
    assert_eq!(
        create(&app, None, json!({ "site": "site_nope" }))
            .await
            .status(),
        404
    );
    // A client cannot claim a site it did not come through.
    let res = create(&app, None, json!({ "customer": { "site": id } })).await;
    let created: Value = res.json().await.unwrap();
    let conv: Value = app
        .get(
            created["customerToken"].as_str(),
            &format!(
                "/api/conversations/{}",
                created["conversationId"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(conv["customer"].get("site").is_none(), "{conv}");
    // The standalone page is the default site.
    assert_eq!(
        create(&app, Some(&own), json!({ "site": "default" }))
            .await
            .status(),
        201
    );

    // Sockets: no Origin (a server), the gateway's own, a site's; not another website's.
    let ws_url = format!("{}/api/ws", app.base.replacen("http", "ws", 1));
    let connect = |origin: Option<&str>| {
        let mut req = ws_url.clone().into_client_request().unwrap();
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        tokio_tungstenite::connect_async(req)
    };
    assert!(connect(None).await.is_ok());
    assert!(connect(Some(&own)).await.is_ok());
    assert!(connect(Some(SHOP)).await.is_ok());
    match connect(Some(EVIL)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("another website opened a socket: {other:?}"),
    }
}

#[tokio::test]
async fn a_site_has_its_own_limit_and_a_removed_site_stops_working() {
    let app = spawn_app().await;
    let site = shop_site(&app, 2).await;
    let body = json!({ "site": site.id });
    for _ in 0..2 {
        assert_eq!(create(&app, Some(SHOP), body.clone()).await.status(), 201);
    }
    let res = create(&app, Some(SHOP), body.clone()).await;
    assert_eq!(res.status(), 429);
    let err: Value = res.json().await.unwrap();
    assert!(
        err["error"]["message"].as_str().unwrap().contains("Shop"),
        "{err}"
    );
    // Other sites and the gateway's own page are not held up by this one.
    assert_eq!(create(&app, None, json!({})).await.status(), 201);

    sites::remove(&*app.store(), &site.id).await.unwrap();
    let mut status = 0;
    for _ in 0..100 {
        status = app
            .get(None, &format!("/widget?site={}", site.id))
            .await
            .status()
            .as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 404, "a removed site still serves its widget");
    assert_eq!(create(&app, Some(SHOP), body).await.status(), 404);
}

#[tokio::test]
async fn sites_declared_in_the_config_file_are_applied_at_every_start() {
    let declared = |origin: &str| warmline::domain::site::SiteConfig {
        id: "acme-app".into(),
        name: "Acme".into(),
        origins: vec![origin.into()],
        secret: "0123456789abcdef0123456789abcdef-acme".into(),
        greeting: Some("Hello from the config".into()),
        ..Default::default()
    };
    let mut app = spawn_app_with(|c| c.sites = vec![declared(SHOP)]).await;
    let widget = |app: &TestApp, origin: &'static str| {
        app.http
            .get(app.url("/api/sites/acme-app/widget"))
            .header("origin", origin)
            .send()
    };
    let res = widget(&app, SHOP).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], SHOP);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["greeting"], "Hello from the config");
    // The host signs with the secret it chose in the file.
    let now = chrono::Utc::now().timestamp();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "u-1", "exp": now + 300, "aud": "acme-app" }),
        &jsonwebtoken::EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef-acme"),
    )
    .unwrap();
    let res = create(
        &app,
        Some(SHOP),
        json!({ "site": "acme-app", "identity": token }),
    )
    .await;
    assert_eq!(res.status(), 201);

    // The file changes (another origin): the next start applies it, the old origin is refused.
    app.config.sites = vec![declared(EVIL)];
    app.restart().await;
    assert_eq!(widget(&app, SHOP).await.unwrap().status(), 403);
    assert_eq!(widget(&app, EVIL).await.unwrap().status(), 200);

    // A weak secret, a bad id or a duplicate is refused at start, naming the key.
    for bad in [
        vec![warmline::domain::site::SiteConfig {
            secret: "short".into(),
            ..declared(SHOP)
        }],
        vec![warmline::domain::site::SiteConfig {
            id: "no spaces".into(),
            ..declared(SHOP)
        }],
        vec![declared(SHOP), declared(EVIL)],
    ] {
        let config = warmline::config::Config {
            sites: bad,
            ..Default::default()
        };
        let err = config.validate().expect_err("refused").to_string();
        assert!(err.contains("sites"), "{err}");
    }
}
