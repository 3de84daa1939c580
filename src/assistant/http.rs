//! What the two HTTP adapters share: client construction, one POST with bounded response reading
//! and error mapping, and the checks every external reply must pass.

use super::error::AssistantError;
use super::{AssistantReply, MAX_CONTENT_BYTES};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Url;
use std::time::Duration;

/// Largest response body read from a backend. Chat-completion answers carry some JSON around the
/// reply, so this is well above `MAX_CONTENT_BYTES`; anything larger is not a chat reply.
const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// How much of an error body is quoted in an `AssistantError::Status`.
const ERROR_BODY_CHARS: usize = 300;
/// Guards on what a backend may list; step ids are short machine keys.
const MAX_ACTIONS: usize = 32;
const MAX_ACTION_LEN: usize = 128;
const MAX_REASON_LEN: usize = 256;

/// An http(s) URL with a host, or a config error naming `field`.
pub fn parse_url(field: &str, raw: &str) -> Result<Url, AssistantError> {
    let url = Url::parse(raw)
        .map_err(|e| AssistantError::Config(format!("{field}: '{raw}' is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AssistantError::Config(format!(
            "{field}: '{raw}' must be an http:// or https:// URL"
        )));
    }
    Ok(url)
}

/// A client whose every request (connect, send, read) must finish within `timeout_ms`.
pub fn client(timeout_ms: u64) -> Result<reqwest::Client, AssistantError> {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(timeout_ms))
        .user_agent(concat!("warmline/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AssistantError::Config(format!("cannot build the HTTP client: {e}")))
}

/// POSTs `body` as JSON and returns the response body of a 2xx answer.
pub async fn post_json(
    client: &reqwest::Client,
    backend: &str,
    url: Url,
    body: Vec<u8>,
    headers: &[(HeaderName, HeaderValue)],
    timeout_ms: u64,
) -> Result<Vec<u8>, AssistantError> {
    let mut map = HeaderMap::new();
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in headers {
        map.insert(name.clone(), value.clone());
    }
    let fail = |e: reqwest::Error| transport_error(backend, timeout_ms, e);
    let mut resp = client
        .post(url)
        .headers(map)
        .body(body)
        .send()
        .await
        .map_err(fail)?;
    let status = resp.status();

    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(fail)? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            if !status.is_success() {
                break; // an error page: the start is enough to quote
            }
            return Err(invalid(
                backend,
                format!("response larger than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let text: String = String::from_utf8_lossy(&bytes)
            .chars()
            .take(ERROR_BODY_CHARS)
            .collect();
        return Err(AssistantError::Status {
            backend: backend.to_owned(),
            status: status.as_u16(),
            body: text.trim().to_owned(),
        });
    }
    Ok(bytes)
}

fn transport_error(backend: &str, timeout_ms: u64, e: reqwest::Error) -> AssistantError {
    if e.is_timeout() {
        return AssistantError::Timeout {
            backend: backend.to_owned(),
            timeout_ms,
        };
    }
    // The URL may carry a token in its query string; keep it out of logs. The source chain has the
    // useful part ("connection refused", "dns error").
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    AssistantError::Transport {
        backend: backend.to_owned(),
        detail,
    }
}

pub fn invalid(backend: &str, detail: impl Into<String>) -> AssistantError {
    AssistantError::InvalidReply {
        backend: backend.to_owned(),
        detail: detail.into(),
    }
}

/// Applies the module's rules to a reply from outside: bounded content, something to say, a
/// confidence clamped into [0, 1], sane action ids.
pub fn check_reply(
    backend: &str,
    mut reply: AssistantReply,
) -> Result<AssistantReply, AssistantError> {
    if reply.content.len() > MAX_CONTENT_BYTES {
        return Err(invalid(
            backend,
            format!(
                "content is {} bytes, the limit is {MAX_CONTENT_BYTES}",
                reply.content.len()
            ),
        ));
    }
    if reply.content.trim().is_empty() && reply.handoff.is_none() {
        return Err(invalid(backend, "empty content and no handoff"));
    }
    if !reply.confidence.is_finite() {
        return Err(invalid(backend, "confidence is not a number"));
    }
    reply.confidence = reply.confidence.clamp(0.0, 1.0);
    if reply.actions_attempted.len() > MAX_ACTIONS
        || reply
            .actions_attempted
            .iter()
            .any(|a| a.len() > MAX_ACTION_LEN)
    {
        return Err(invalid(
            backend,
            format!("at most {MAX_ACTIONS} actions of at most {MAX_ACTION_LEN} bytes"),
        ));
    }
    if let Some(h) = &reply.handoff {
        if h.reason.trim().is_empty() || h.reason.len() > MAX_REASON_LEN {
            return Err(invalid(
                backend,
                format!("handoff reason must be 1..={MAX_REASON_LEN} bytes"),
            ));
        }
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::HandoffRequest;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(parse_url("u", "https://bot.example.com/x").is_ok());
        assert!(parse_url("u", "http://127.0.0.1:8080").is_ok());
        for bad in ["", "bot.example.com", "file:///etc/passwd", "mailto:a@b.c"] {
            assert!(parse_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replies_are_clamped_and_bounded() {
        let r = check_reply("t", AssistantReply::text("ok", 3.0)).unwrap();
        assert_eq!(r.confidence, 1.0);
        assert_eq!(
            check_reply("t", AssistantReply::text("ok", -1.0))
                .unwrap()
                .confidence,
            0.0
        );
        assert!(check_reply(
            "t",
            AssistantReply::text("x".repeat(MAX_CONTENT_BYTES + 1), 0.5)
        )
        .is_err());
        assert!(check_reply(
            "t",
            AssistantReply::text("x".repeat(MAX_CONTENT_BYTES), 0.5)
        )
        .is_ok());
        assert!(check_reply("t", AssistantReply::text("  ", 0.5)).is_err());
        assert!(check_reply("t", AssistantReply::text("x", f64::NAN)).is_err());
        let mut handoff_only = AssistantReply::text("", 0.2);
        handoff_only.handoff = Some(HandoffRequest {
            reason: "billing_dispute".into(),
            skill: None,
            urgency: None,
        });
        assert!(check_reply("t", handoff_only).is_ok());
    }
}
