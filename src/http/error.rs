//! The one error type of the HTTP and WebSocket API, and the only place a service error becomes a
//! status and a wire code. Every failure a client can cause maps to a status and a stable `code`;
//! internal failures are logged with their whole cause chain and answered with a generic message,
//! so nothing about the inside leaks.
//!
//! | status | code                  | when                                                     |
//! |--------|-----------------------|----------------------------------------------------------|
//! | 400    | `bad_request`         | malformed JSON, missing or invalid fields                |
//! | 401    | `unauthorized`        | missing, unknown, expired or revoked token; bad password |
//! | 403    | `forbidden`           | authenticated, but not allowed to do this                |
//! | 404    | `not_found`           | no such resource, or one the caller may not see          |
//! | 405    | `method_not_allowed`  | the path exists, the method does not                     |
//! | 409    | `conflict`            | already exists                                           |
//! | 409    | handoff step codes    | `not_offered`, `offer_expired`, `not_accepted`,          |
//! |        |                       | `briefing_not_opened`, `already_joined`, `not_escalated`,|
//! |        |                       | `not_in_conversation`, `invite_pending`, `no_specialist` |
//! | 413    | `payload_too_large`   | message or body over the configured limit                |
//! | 415    | `unsupported_media_type` | an attachment whose bytes are not an allowed type     |
//! | 428    | `challenge_required`  | solve the attached proof-of-work challenge, then retry   |
//! | 429    | `rate_limited`        | too many requests or frames                              |
//! | 507    | `insufficient_storage`| the database's disk is full: nothing was saved           |
//! | 503    | `unavailable`         | storage not reachable, shutting down                     |
//! | 500    | `internal`            | a bug or a failure we did not foresee                    |

use crate::service::{ErrorKind, ServiceError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A handoff step out of order (409 with a specific code, e.g. `briefing_not_opened`).
    #[error("{1}")]
    HandoffConflict(&'static str, String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An upload whose bytes are not one of the allowed types (whatever its name says).
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    RateLimited(String),
    /// Anonymous creation under pressure: the body carries `challenge: {token, bits}`.
    #[error("{message}")]
    ChallengeRequired {
        message: String,
        token: String,
        bits: u8,
    },
    #[error("storage is full: nothing was saved; try again later")]
    InsufficientStorage(String),
    #[error("service unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    /// What the service port answered; its `kind()` picks the status and code.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::HandoffConflict(..) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::ChallengeRequired { .. } => StatusCode::PRECONDITION_REQUIRED,
            Self::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Service(e) => match e.kind() {
                ErrorKind::Invalid => StatusCode::BAD_REQUEST,
                ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict | ErrorKind::OutOfOrder(_) => StatusCode::CONFLICT,
                ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                ErrorKind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                ErrorKind::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
                ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::HandoffConflict(code, _) => code,
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::RateLimited(_) => "rate_limited",
            Self::ChallengeRequired { .. } => "challenge_required",
            Self::InsufficientStorage(_) => "insufficient_storage",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
            Self::Service(e) => match e.kind() {
                ErrorKind::Invalid => "bad_request",
                ErrorKind::Unauthenticated => "unauthorized",
                ErrorKind::Forbidden => "forbidden",
                ErrorKind::NotFound => "not_found",
                ErrorKind::Conflict => "conflict",
                ErrorKind::OutOfOrder(code) => code,
                ErrorKind::TooLarge => "payload_too_large",
                ErrorKind::UnsupportedType => "unsupported_media_type",
                ErrorKind::RateLimited => "rate_limited",
                ErrorKind::StorageFull => "insufficient_storage",
                ErrorKind::Unavailable => "unavailable",
                ErrorKind::Internal => "internal",
            },
        }
    }

    /// The message shown to the client: internal details stay in the logs.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unavailable(_) => "the service is temporarily unavailable".into(),
            Self::Internal(_) => "internal error; it has been logged".into(),
            Self::Service(e) => match e.kind() {
                ErrorKind::Unavailable => "the service is temporarily unavailable".into(),
                ErrorKind::Internal => "internal error; it has been logged".into(),
                ErrorKind::StorageFull => {
                    "storage is full: nothing was saved; try again later".into()
                }
                _ => e.to_string(),
            },
            other => other.to_string(),
        }
    }

    pub fn conversation_not_found() -> Self {
        Self::NotFound("conversation not found".into())
    }

    fn log(&self) {
        match self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "unavailable"),
            Self::InsufficientStorage(cause) => tracing::error!(%cause, "storage full"),
            Self::Service(e) => {
                let cause = e.chain();
                match e.kind() {
                    ErrorKind::Internal => tracing::error!(%cause, "internal error"),
                    ErrorKind::Unavailable => tracing::warn!(%cause, "unavailable"),
                    ErrorKind::StorageFull => tracing::error!(%cause, "storage full"),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let mut body =
            json!({ "error": { "code": self.code(), "message": self.public_message() } });
        if let Self::ChallengeRequired { token, bits, .. } = &self {
            body["error"]["challenge"] = json!({
                "algorithm": "sha256-leading-zero-bits",
                "token": token,
                "bits": bits,
                "header": "Warmline-Challenge",
            });
        }
        (self.status(), axum::Json(body)).into_response()
    }
}
