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

/// How an `ApiError` is answered: a service error kind, or one of the two refusals only HTTP has.
enum Class {
    Kind(ErrorKind),
    MethodNotAllowed,
    ChallengeRequired,
}

impl ApiError {
    /// What kind of failure this is; the two that only HTTP knows stand apart.
    fn class(&self) -> Class {
        let kind = match self {
            Self::MethodNotAllowed(_) => return Class::MethodNotAllowed,
            Self::ChallengeRequired { .. } => return Class::ChallengeRequired,
            Self::BadRequest(_) => ErrorKind::Invalid,
            Self::Unauthorized(_) => ErrorKind::Unauthenticated,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::HandoffConflict(code, _) => ErrorKind::OutOfOrder(code),
            Self::PayloadTooLarge(_) => ErrorKind::TooLarge,
            Self::UnsupportedMediaType(_) => ErrorKind::UnsupportedType,
            Self::RateLimited(_) => ErrorKind::RateLimited,
            Self::InsufficientStorage(_) => ErrorKind::StorageFull,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Internal(_) => ErrorKind::Internal,
            Self::Service(e) => e.kind(),
        };
        Class::Kind(kind)
    }

    pub fn status(&self) -> StatusCode {
        match self.class() {
            Class::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Class::ChallengeRequired => StatusCode::PRECONDITION_REQUIRED,
            Class::Kind(kind) => match kind {
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
        match self.class() {
            Class::MethodNotAllowed => "method_not_allowed",
            Class::ChallengeRequired => "challenge_required",
            Class::Kind(kind) => match kind {
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
        match self.class() {
            Class::Kind(ErrorKind::Unavailable) => "the service is temporarily unavailable".into(),
            Class::Kind(ErrorKind::Internal) => "internal error; it has been logged".into(),
            Class::Kind(ErrorKind::StorageFull) => {
                "storage is full: nothing was saved; try again later".into()
            }
            _ => self.to_string(),
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
