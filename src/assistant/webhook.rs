//! An integrator's own bot behind a URL.
//!
//! Request: `POST <url>` with `Content-Type: application/json` and body
//! `{"conversation": <unified conversation object>, "message": <the new customer message>}`.
//! With a secret configured, `X-Warmline-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`
//! lets the bot check that the call comes from this gateway.
//!
//! Response: 2xx with an [`AssistantReply`] as JSON (`content`, `confidence`, optional
//! `actionsAttempted`, `handoff`, `outOfScope`, `sources`). Anything else (non-2xx, invalid JSON,
//! no answer within `timeout_ms`, content over 16 KiB) is an [`AssistantError`]; confidence is
//! clamped into [0, 1].

use super::error::AssistantError;
use super::hmac::signature_header;
use super::http;
use super::{Assistant, AssistantReply};
use crate::domain::{Conversation, Message};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Url;
use serde::Serialize;

/// Header carrying the body signature.
pub const SIGNATURE_HEADER: &str = "x-warmline-signature";
const BACKEND: &str = "webhook";

pub struct WebhookAssistant {
    url: Url,
    secret: Option<String>,
    timeout_ms: u64,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Request<'a> {
    conversation: &'a Conversation,
    message: &'a Message,
}

impl WebhookAssistant {
    pub fn new(url: &str, secret: Option<String>, timeout_ms: u64) -> Result<Self, AssistantError> {
        Ok(Self {
            url: http::parse_url("assistant.url", url)?,
            secret,
            timeout_ms,
            client: http::client(timeout_ms)?,
        })
    }
}

#[async_trait::async_trait]
impl Assistant for WebhookAssistant {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn reply(
        &self,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<AssistantReply, AssistantError> {
        let body = serde_json::to_vec(&Request {
            conversation,
            message,
        })
        .map_err(|e| http::invalid(BACKEND, format!("cannot encode the request: {e}")))?;
        let mut headers = Vec::new();
        if let Some(secret) = &self.secret {
            let value = HeaderValue::from_str(&signature_header(secret.as_bytes(), &body))
                .map_err(|e| http::invalid(BACKEND, format!("signature header: {e}")))?;
            headers.push((HeaderName::from_static(SIGNATURE_HEADER), value));
        }
        let bytes = http::post_json(
            &self.client,
            BACKEND,
            self.url.clone(),
            body,
            &headers,
            self.timeout_ms,
        )
        .await?;
        let reply: AssistantReply = serde_json::from_slice(&bytes)
            .map_err(|e| http::invalid(BACKEND, format!("expected AssistantReply JSON: {e}")))?;
        http::check_reply(BACKEND, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::testutil::{conversation, serve};
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::Router;
    use std::time::Duration;

    const SECRET: &str = "s3cret";

    /// The bot an integrator would write: checks the signature, reads the message, answers.
    async fn bot(headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
        let expected = signature_header(SECRET.as_bytes(), &body);
        let got = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if got != expected {
            return (StatusCode::UNAUTHORIZED, "bad signature".into());
        }
        let v: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return (StatusCode::BAD_REQUEST, "bad json".into()),
        };
        let said = v["message"]["content"].as_str().unwrap_or("").to_owned();
        let msgs = v["conversation"]["messages"].as_array().map_or(0, Vec::len);
        let conv_id = v["conversation"]["conversationId"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let reply = serde_json::json!({
            "content": format!("echo {said} ({msgs} messages in {conv_id})"),
            "confidence": 1.7,
            "actionsAttempted": ["echo"],
            "handoff": {"reason": "vip", "urgency": "high"}
        });
        (StatusCode::OK, reply.to_string())
    }

    fn app() -> Router {
        Router::new()
            .route("/bot", post(bot))
            .route("/garbage", post(|| async { "not json" }))
            .route(
                "/missing",
                post(|| async { r#"{"content":"no confidence"}"# }),
            )
            .route(
                "/huge",
                post(|| async {
                    serde_json::json!({"content": "x".repeat(16 * 1024 + 1), "confidence": 0.5})
                        .to_string()
                }),
            )
            .route(
                "/boom",
                post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database on fire") }),
            )
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    r#"{"content":"late","confidence":1}"#
                }),
            )
    }

    async fn call(
        path: &str,
        secret: Option<&str>,
        timeout_ms: u64,
    ) -> Result<AssistantReply, AssistantError> {
        let base = serve(app()).await;
        let hook = WebhookAssistant::new(
            &format!("{base}{path}"),
            secret.map(str::to_owned),
            timeout_ms,
        )?;
        let (conv, msg) = conversation(&["my dashboard is blank"]);
        hook.reply(&conv, &msg).await
    }

    #[tokio::test]
    async fn signed_request_gets_the_bots_reply_clamped() {
        let r = call("/bot", Some(SECRET), 2_000).await.unwrap();
        assert_eq!(
            r.content,
            "echo my dashboard is blank (1 messages in conv-1)"
        );
        assert_eq!(r.confidence, 1.0);
        assert_eq!(r.actions_attempted, ["echo"]);
        let h = r.handoff.unwrap();
        assert_eq!(
            (h.reason.as_str(), h.urgency),
            ("vip", Some(crate::domain::Urgency::High))
        );
    }

    #[tokio::test]
    async fn wrong_or_missing_signature_is_refused_by_the_bot() {
        let e = call("/bot", Some("other"), 2_000).await.unwrap_err();
        assert!(
            matches!(e, AssistantError::Status { status: 401, .. }),
            "{e}"
        );
        let e = call("/bot", None, 2_000).await.unwrap_err();
        assert!(
            matches!(e, AssistantError::Status { status: 401, .. }),
            "{e}"
        );
    }

    #[tokio::test]
    async fn failures_are_errors_with_a_reason() {
        let e = call("/boom", None, 2_000).await.unwrap_err();
        assert!(
            matches!(&e, AssistantError::Status { status: 500, body, .. } if body == "database on fire"),
            "{e}"
        );
        let e = call("/garbage", None, 2_000).await.unwrap_err();
        assert!(matches!(e, AssistantError::InvalidReply { .. }), "{e}");
        let e = call("/missing", None, 2_000).await.unwrap_err();
        assert!(e.to_string().contains("confidence"), "{e}");
        let e = call("/huge", None, 2_000).await.unwrap_err();
        assert!(e.to_string().contains("16384"), "{e}");
        let e = call("/nowhere", None, 2_000).await.unwrap_err();
        assert!(
            matches!(e, AssistantError::Status { status: 404, .. }),
            "{e}"
        );
    }

    #[tokio::test]
    async fn slow_bot_times_out() {
        let started = std::time::Instant::now();
        let e = call("/slow", None, 200).await.unwrap_err();
        assert!(
            matches!(
                e,
                AssistantError::Timeout {
                    timeout_ms: 200,
                    ..
                }
            ),
            "{e}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn unreachable_bot_is_a_transport_error() {
        // Bind then drop a listener: nothing accepts on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hook =
            WebhookAssistant::new(&format!("http://127.0.0.1:{port}/bot"), None, 2_000).unwrap();
        let (conv, msg) = conversation(&["hello"]);
        let e = hook.reply(&conv, &msg).await.unwrap_err();
        assert!(matches!(e, AssistantError::Transport { .. }), "{e}");
    }
}
