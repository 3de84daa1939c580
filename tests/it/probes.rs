//! Health, readiness, metrics, the OpenAPI document and the pages.

use crate::common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get(None, "/healthz").await.status(), 200);
    let ready: Value = app.get(None, "/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let res = app.get(None, "/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains("# TYPE warmline_messages_committed counter"),
        "{text}"
    );
    assert!(text.contains("warmline_ws_connections"));
    assert!(text.contains("warmline_media_packets_forwarded_total"));
    assert!(text.contains("warmline_media_audio_tap_dropped_total"));
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = spawn_app().await;
    let doc: Value = app
        .get(None, "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/conversations", &["get", "post"][..]),
        ("/api/conversations/{id}", &["get"]),
        ("/api/conversations/{id}/messages", &["post"]),
        ("/api/conversations/{id}/events", &["get"]),
        ("/api/conversations/{id}/history", &["get"]),
        ("/api/conversations/{id}/history/{pastId}", &["get"]),
        ("/api/conversations/{id}/briefing", &["get"]),
        ("/api/conversations/{id}/handoff/{step}", &["post"]),
        (
            "/api/conversations/{id}/recordings/{callId}/{file}",
            &["get"],
        ),
        ("/api/conversations/{id}/{export}", &["get"]),
        ("/api/conversations/{id}/attachments", &["post"]),
        (
            "/api/conversations/{id}/attachments/{attachmentId}",
            &["get"],
        ),
        (
            "/api/conversations/{id}/attachments/{attachmentId}/thumbnail",
            &["get"],
        ),
        ("/api/conversations/{id}/rating", &["post"]),
        ("/api/conversations/{id}/briefing/rating", &["post"]),
        ("/api/review/handoffs", &["get"]),
        ("/api/review/handoffs/{id}", &["get"]),
        ("/api/review/aggregates", &["get"]),
        ("/api/review/filters", &["get"]),
        ("/api/review/audit", &["get"]),
        ("/api/canned-responses", &["get", "post"]),
        ("/api/canned-responses/{id}", &["put", "delete"]),
        ("/api/queue", &["get"]),
        ("/api/sites/{id}/widget", &["get", "options"]),
        ("/api/email", &["get"]),
        ("/api/email/resume", &["post"]),
        ("/api/conversations/{id}/followup", &["post"]),
        ("/api/conversations/{id}/transcript-email", &["post"]),
        ("/api/me/status", &["put"]),
        ("/api/auth/login", &["post"]),
        ("/api/auth/logout", &["post"]),
        ("/api/me", &["get"]),
        ("/api/ws", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        let p = paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from OpenAPI"));
        for m in methods {
            assert!(p.get(*m).is_some(), "{m} {path} missing from OpenAPI");
        }
    }
}

#[tokio::test]
async fn the_pages_are_served() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/", "/chat"),
        ("/chat", "customer.js"),
        ("/agent", "agent.js"),
        ("/review", "review.js"),
        ("/static/warmline.css", ""),
    ] {
        let res = app.get(None, path).await;
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains(needle), "{path} should mention {needle}");
    }
    assert_eq!(app.get(None, "/static/../Cargo.toml").await.status(), 404);
    assert_eq!(app.get(None, "/static/nope.js").await.status(), 404);
}
