//! Request extractors that answer in the API's JSON error shape: the caller's identity from the
//! bearer token, and JSON bodies / query strings whose rejections become `ApiError`s.

use super::error::ApiError;
use crate::domain::Principal;
use crate::service::port::Backend;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::sync::Arc;

/// The authenticated caller. Rejects with 401 when the token is missing, unknown, expired or revoked.
pub struct Caller {
    pub principal: Principal,
    pub token: String,
    /// The client address (loopback for requests that did not come through a socket).
    pub ip: std::net::IpAddr,
}

impl Caller {
    /// The caller as the audit log records them.
    pub fn asker(&self) -> crate::service::port::Asker<'_> {
        crate::service::port::Asker {
            who: &self.principal,
            ip: self.ip,
        }
    }
}

/// A conversation id from a request path; an id that cannot exist is answered like an unknown
/// one (404), so probing tells a stranger nothing.
pub fn conversation_id(raw: &str) -> Result<crate::domain::ConversationId, ApiError> {
    if crate::domain::ids::is_plausible_id(raw) {
        Ok(crate::domain::ConversationId::from(raw))
    } else {
        Err(ApiError::conversation_not_found())
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_of(&parts.headers)
}

/// The bearer token in `headers`, if any.
pub fn bearer_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl<B: Backend> FromRequestParts<Arc<B>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, backend: &Arc<B>) -> Result<Self, ApiError> {
        let token = bearer(parts)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "missing bearer token (Authorization: Bearer <token>)".into(),
                )
            })?
            .to_owned();
        let principal = backend.authenticate(&token).await?;
        let ip = super::client_ip::ClientIp::of(&parts.extensions);
        Ok(Caller {
            principal,
            token,
            ip,
        })
    }
}

/// `axum::Json` with JSON errors: 400 for malformed bodies, 413 over the size limit.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("request body is over the size limit".into())
        } else {
            ApiError::BadRequest(r.body_text())
        }
    }
}

/// `axum::extract::Query` with JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}
