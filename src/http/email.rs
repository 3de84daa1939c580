//! E-mail follow-ups and transcripts over REST (see `service::email` for what happens behind them).
//!
//! | method | path                                          | who                 | answer               |
//! |--------|-----------------------------------------------|---------------------|----------------------|
//! | GET    | `/api/email`                                  | anyone              | 200 `{enabled}`      |
//! | POST   | `/api/conversations/{id}/followup`            | the customer        | 201 the event        |
//! | POST   | `/api/conversations/{id}/transcript-email`    | the customer        | 202 the event        |
//! | POST   | `/api/email/resume`                           | anyone with a link  | 200 `{conversationId, customerToken}` |
//!
//! E-mail off: 404 `not_found`. An address that is not one: 400 `bad_request` with the reason.
//! A follow-up for a conversation that is not waiting for a person: 409 `conflict`. A forged,
//! changed or expired link: 401 `unauthorized`. Too many requests from one address (all three
//! POSTs count, `limits.email_requests_per_hour_per_ip`) or transcripts for one conversation
//! (`email.transcripts_per_conversation_per_hour`): 429 `rate_limited`.

use super::error::ApiError;
use super::extract::{conversation_id, Caller, JsonBody};
use crate::service::port::Backend;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Longest link token accepted, in bytes.
const MAX_LINK: usize = 512;

/// Paths whose POSTs count against the per-address e-mail limit.
pub fn is_email_request(path: &str) -> bool {
    path == "/api/email/resume"
        || (path.starts_with("/api/conversations/")
            && (path.ends_with("/followup") || path.ends_with("/transcript-email")))
}

pub async fn settings<B: Backend>(State(b): State<Arc<B>>) -> Response {
    Json(json!({ "enabled": b.email_enabled() })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FollowupRequest {
    email: String,
    #[serde(default)]
    message: Option<String>,
}

pub async fn followup<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<FollowupRequest>,
) -> Result<Response, ApiError> {
    let event = b
        .request_followup(
            &caller.principal,
            &conversation_id(&id)?,
            &body.email,
            body.message,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptRequest {
    email: String,
}

pub async fn transcript<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TranscriptRequest>,
) -> Result<Response, ApiError> {
    let event = b
        .request_transcript(&caller.principal, &conversation_id(&id)?, &body.email)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(event)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResumeRequest {
    link: String,
}

pub async fn resume<B: Backend>(
    State(b): State<Arc<B>>,
    JsonBody(body): JsonBody<ResumeRequest>,
) -> Result<Response, ApiError> {
    if body.link.len() > MAX_LINK {
        return Err(ApiError::Unauthorized(
            "this link is not a conversation link".into(),
        ));
    }
    let session = b.resume_link(&body.link).await?;
    Ok(Json(session).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limited_paths_are_the_email_posts() {
        assert!(is_email_request("/api/email/resume"));
        assert!(is_email_request("/api/conversations/c-1/followup"));
        assert!(is_email_request("/api/conversations/c-1/transcript-email"));
        assert!(!is_email_request("/api/conversations/c-1/messages"));
        assert!(!is_email_request("/api/email"));
    }
}
