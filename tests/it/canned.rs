//! Canned responses over REST: managers add, change and delete them (each change audited), agents
//! and managers list and search them, everyone else is refused; bad fields are 400 (413 for a body
//! over 4 KB) and a taken shortcut is 409.

use crate::common;

use common::*;
use serde_json::{json, Value};
use warmline::domain::Role;

const PATH: &str = "/api/canned-responses";

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.http.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    send(app, reqwest::Method::POST, Some(token), PATH, Some(body)).await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app.get(Some(token), &format!("{PATH}{query}")).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

fn shortcuts(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["shortcut"].as_str().unwrap())
        .collect()
}

async fn error_code(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap();
    (
        status,
        v["error"]["code"].as_str().unwrap_or_default().to_owned(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn managers_add_change_and_delete_and_every_change_is_audited() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let agent = app.add_user("sam", Role::Agent, &["billing"]).await;

    let res = create(
        &app,
        &manager,
        json!({"shortcut": " /Refund ", "title": " Refund issued ", "body": "Hi {customer}, your refund is on its way."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["shortcut"], "refund", "normalised: {made}");
    assert_eq!(made["title"], "Refund issued");
    assert_eq!(made["updatedByName"], "morgan (test)");
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(made["createdAt"].is_string() && made["createdBy"] == made["updatedBy"]);

    // Agents and managers read it.
    for token in [&agent, &manager] {
        let items = list(&app, token, "").await;
        assert_eq!(shortcuts(&items), ["refund"]);
        assert_eq!(
            items[0]["body"],
            "Hi {customer}, your refund is on its way."
        );
    }

    let res = send(
        &app,
        reqwest::Method::PUT,
        Some(&manager),
        &format!("{PATH}/{id}"),
        Some(
            json!({"shortcut": "refund-full", "title": "Full refund", "body": "Refunded in full."}),
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["shortcut"], "refund-full");
    assert_eq!(changed["createdAt"], made["createdAt"]);
    assert_eq!(
        shortcuts(&list(&app, &agent, "").await),
        ["refund-full"],
        "the change is what agents see"
    );

    let res = send(
        &app,
        reqwest::Method::DELETE,
        Some(&manager),
        &format!("{PATH}/{id}"),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert!(list(&app, &agent, "").await.is_empty());
    // Gone: a second delete or an edit is 404.
    let res = send(
        &app,
        reqwest::Method::DELETE,
        Some(&manager),
        &format!("{PATH}/{id}"),
        None,
    )
    .await;
    assert_eq!(error_code(res).await.0, 404);
    let res = send(
        &app,
        reqwest::Method::PUT,
        Some(&manager),
        &format!("{PATH}/{id}"),
        Some(json!({"shortcut": "x", "title": "x", "body": "x"})),
    )
    .await;
    assert_eq!(error_code(res).await.0, 404);
    let res = send(
        &app,
        reqwest::Method::PUT,
        Some(&manager),
        &format!("{PATH}/not%20an%20id"),
        Some(json!({"shortcut": "x", "title": "x", "body": "x"})),
    )
    .await;
    assert_eq!(error_code(res).await.0, 404);

    let audit: Value = app
        .get(Some(&manager), "/api/review/audit")
        .await
        .json()
        .await
        .unwrap();
    let entries: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("canned."))
        .map(|e| {
            assert_eq!(e["username"], "morgan");
            (
                e["action"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("canned.deleted".to_owned(), "/refund-full".to_owned()),
            (
                "canned.updated".to_owned(),
                "/refund → /refund-full".to_owned()
            ),
            ("canned.created".to_owned(), "/refund".to_owned()),
        ]
    );
}

#[tokio::test]
async fn search_finds_shortcut_title_and_body_case_insensitively() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let agent = app.add_user("sam", Role::Agent, &["billing"]).await;
    for (shortcut, title, body) in [
        ("refund", "Refund issued", "Your refund is on its way."),
        (
            "thanks",
            "Thank you",
            "Glad the REFUND arrived, {customer}.",
        ),
        (
            "billing-refund",
            "Billing question",
            "We looked at your invoice.",
        ),
        ("hello", "Greeting", "Hi {customer}, Ünïcode wörks."),
    ] {
        let res = create(
            &app,
            &manager,
            json!({"shortcut": shortcut, "title": title, "body": body}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Shortcut prefix first, then shortcut/title, then body.
    assert_eq!(
        shortcuts(&list(&app, &agent, "?q=Ref").await),
        ["refund", "billing-refund", "thanks"]
    );
    assert_eq!(
        shortcuts(&list(&app, &agent, "?q=%2Fref").await),
        ["refund", "billing-refund", "thanks"]
    );
    assert_eq!(
        shortcuts(&list(&app, &agent, "?q=greeting").await),
        ["hello"]
    );
    assert_eq!(
        shortcuts(&list(&app, &agent, "?q=W%C3%96RKS").await),
        ["hello"],
        "case-insensitive beyond ASCII"
    );
    assert!(list(&app, &agent, "?q=nothing%20like%20it")
        .await
        .is_empty());
    assert_eq!(
        shortcuts(&list(&app, &agent, "?q=").await),
        ["billing-refund", "hello", "refund", "thanks"]
    );
    let res = app.get(Some(&agent), &format!("{PATH}?bogus=1")).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn fields_are_filled_for_a_conversation_the_agent_may_read() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let agent = app.add_user("sam", Role::Agent, &["general"]).await;
    let res = create(
        &app,
        &manager,
        json!({"shortcut": "hello", "title": "Greeting", "body": "Hi {customer} ({customer_full}), {agent} from {skill}. Order {order}."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let (named, customer) = app
        .new_conversation(json!({"name": "Dana Whitfield"}))
        .await;
    let items = list(&app, &manager, &format!("?conversation={named}")).await;
    assert_eq!(
        items[0]["filled"],
        "Hi Dana (Dana Whitfield), morgan from general. Order {order}."
    );
    let (anonymous, _) = app.new_conversation(json!({})).await;
    let items = list(&app, &manager, &format!("?conversation={anonymous}")).await;
    assert_eq!(
        items[0]["filled"],
        "Hi there (there), morgan from general. Order {order}."
    );
    // Without a conversation nothing is filled.
    assert!(list(&app, &agent, "").await[0].get("filled").is_none());
    // A conversation the caller may not read is not found: a customer's own is still not theirs
    // to fill from (customers do not read canned responses), an unknown one is 404.
    let res = app
        .get(Some(&customer), &format!("{PATH}?conversation={named}"))
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .get(Some(&agent), &format!("{PATH}?conversation=nope-{named}"))
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn bad_fields_are_refused_and_a_taken_shortcut_is_a_conflict() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let ok = json!({"shortcut": "refund", "title": "Refund", "body": "Refunded."});
    assert_eq!(create(&app, &manager, ok.clone()).await.status(), 201);

    let (status, code, message) = error_code(create(&app, &manager, ok.clone()).await).await;
    assert_eq!((status, code.as_str()), (409, "conflict"));
    assert!(message.contains("/refund"), "{message}");
    // Also in another case or with the slash.
    let res = create(
        &app,
        &manager,
        json!({"shortcut": "/REFUND", "title": "t", "body": "b"}),
    )
    .await;
    assert_eq!(res.status(), 409);

    for (body, want_status, field) in [
        (
            json!({"shortcut": "re fund", "title": "t", "body": "b"}),
            400,
            "shortcut",
        ),
        (
            json!({"shortcut": "refund_2", "title": "t", "body": "b"}),
            400,
            "shortcut",
        ),
        (
            json!({"shortcut": "x".repeat(33), "title": "t", "body": "b"}),
            400,
            "shortcut",
        ),
        (
            json!({"shortcut": "", "title": "t", "body": "b"}),
            400,
            "shortcut",
        ),
        (
            json!({"shortcut": "a", "title": "  ", "body": "b"}),
            400,
            "title",
        ),
        (
            json!({"shortcut": "a", "title": "t".repeat(101), "body": "b"}),
            400,
            "title",
        ),
        (
            json!({"shortcut": "a", "title": "t", "body": " \n "}),
            400,
            "body",
        ),
        (
            json!({"shortcut": "a", "title": "t", "body": "b".repeat(4097)}),
            413,
            "body",
        ),
    ] {
        let (status, _, message) = error_code(create(&app, &manager, body.clone()).await).await;
        assert_eq!(status, want_status, "{body}: {message}");
        assert!(message.starts_with(field), "{body}: {message}");
    }
    // Malformed bodies: missing or unknown fields.
    let res = create(&app, &manager, json!({"shortcut": "a", "title": "t"})).await;
    assert_eq!(res.status(), 400);
    let res = create(
        &app,
        &manager,
        json!({"shortcut": "a", "title": "t", "body": "b", "id": "x"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    // Exactly 4 KB is fine.
    let res = create(
        &app,
        &manager,
        json!({"shortcut": "long", "title": "t", "body": "b".repeat(4096)}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // Renaming onto a taken shortcut is a conflict too, and changes nothing.
    let other: Value = create(
        &app,
        &manager,
        json!({"shortcut": "other", "title": "Other", "body": "Other."}),
    )
    .await
    .json()
    .await
    .unwrap();
    let res = send(
        &app,
        reqwest::Method::PUT,
        Some(&manager),
        &format!("{PATH}/{}", other["id"].as_str().unwrap()),
        Some(json!({"shortcut": "refund", "title": "Other", "body": "Other."})),
    )
    .await;
    assert_eq!(res.status(), 409);
    let items = list(&app, &manager, "").await;
    assert_eq!(shortcuts(&items), ["long", "other", "refund"]);
    // A failed change leaves no audit entry.
    let audit: Value = app
        .get(Some(&manager), "/api/review/audit")
        .await
        .json()
        .await
        .unwrap();
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("canned."))
        .count();
    assert_eq!(changes, 3);
}

#[tokio::test]
async fn only_staff_read_and_only_managers_write() {
    let app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let agent = app.add_user("sam", Role::Agent, &["billing"]).await;
    let (_, customer) = app.new_conversation(json!({"name": "Dana"})).await;
    let key = app.api_key("helpdesk-bot").await;
    let made: Value = create(
        &app,
        &manager,
        json!({"shortcut": "refund", "title": "Refund", "body": "Refunded."}),
    )
    .await
    .json()
    .await
    .unwrap();
    let one = format!("{PATH}/{}", made["id"].as_str().unwrap());
    let body = || Some(json!({"shortcut": "new", "title": "New", "body": "New."}));

    // No token or a bad one: 401 everywhere.
    for token in [None, Some("wl_s_not-a-real-token")] {
        for (method, path, b) in [
            (reqwest::Method::GET, PATH, None),
            (reqwest::Method::POST, PATH, body()),
            (reqwest::Method::PUT, one.as_str(), body()),
            (reqwest::Method::DELETE, one.as_str(), None),
        ] {
            let (status, code, _) =
                error_code(send(&app, method.clone(), token, path, b).await).await;
            assert_eq!(
                (status, code.as_str()),
                (401, "unauthorized"),
                "{method} {path}"
            );
        }
    }
    // Customers and integrations: 403, and nothing of the responses.
    for token in [&customer, &key] {
        let res = app.get(Some(token), PATH).await;
        assert_eq!(res.status(), 403);
        assert!(!res.text().await.unwrap().contains("Refunded"));
    }
    // Agents read but do not write.
    for token in [&customer, &key, &agent] {
        for (method, path, b) in [
            (reqwest::Method::POST, PATH, body()),
            (reqwest::Method::PUT, one.as_str(), body()),
            (reqwest::Method::DELETE, one.as_str(), None),
        ] {
            let (status, code, _) =
                error_code(send(&app, method.clone(), Some(token), path, b).await).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "forbidden"),
                "{method} {path}"
            );
        }
    }
    assert_eq!(shortcuts(&list(&app, &agent, "").await), ["refund"]);
    // Agents' attempts changed nothing, and left no audit entry.
    let items = list(&app, &manager, "").await;
    assert_eq!(items[0]["title"], "Refund");
}

#[tokio::test]
async fn responses_survive_a_restart() {
    let mut app = spawn_app().await;
    let manager = app.add_user("morgan", Role::Manager, &[]).await;
    let res = create(
        &app,
        &manager,
        json!({"shortcut": "refund", "title": "Refund", "body": "Hi {customer}, refunded."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    app.restart().await;
    let token = app.login("morgan").await;
    let items = list(&app, &token, "").await;
    assert_eq!(shortcuts(&items), ["refund"]);
    assert_eq!(items[0]["body"], "Hi {customer}, refunded.");
}

#[tokio::test]
async fn the_demo_team_gets_demo_responses() {
    let app = spawn_app().await;
    let store = app.store();
    let policy = warmline::app::password_policy(&app.config).unwrap();
    let created = warmline::app::admin::ensure_demo_users(&*store, &policy)
        .await
        .unwrap();
    assert!(!created.is_empty());
    let all = store.canned_responses().await.unwrap();
    let names: Vec<&str> = all.iter().map(|r| r.shortcut.as_str()).collect();
    assert!(names.contains(&"refund"), "{names:?}");
    assert!(all.iter().all(|r| r.body.len() <= 4096));
}

#[tokio::test]
async fn the_api_description_documents_canned_responses() {
    let app = spawn_app().await;
    let doc: Value = app
        .get(None, "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/canned-responses", &["get", "post"][..]),
        ("/api/canned-responses/{id}", &["put", "delete"]),
    ] {
        for m in methods {
            assert!(
                paths[path][m].is_object(),
                "{m} {path} missing from OpenAPI"
            );
        }
    }
    assert!(doc["components"]["schemas"]["CannedResponse"].is_object());
}
