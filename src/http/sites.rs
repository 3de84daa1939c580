//! What websites embedding the widget meet: the site's public settings for the launcher on the
//! host page (CORS for the site's origins only), the widget frame (framable only by the site's
//! origins: `Content-Security-Policy: frame-ancestors`), and the `Origin` check shared with the
//! WebSocket and conversation creation.
//!
//! Contract: a request without `Origin` (a server, curl) is not a browser request from another
//! site and passes; a browser request passes when its origin is the gateway's own (the `Origin`
//! names the `Host` it was sent to) or one the site (or, where no site is named, any site) lists.

use super::error::ApiError;
use crate::domain::identity;
use crate::domain::site::{normalize_origin, Site};
use crate::domain::{Customer, CustomerContext};
use crate::service::port::Backend;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// The `Origin` of a browser request, if it sent one (`null` counts as one, and matches nothing).
pub fn origin_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// Whether `origin` is the gateway's own: the same host and port the request was sent to.
pub fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(origin) = normalize_origin(origin) else {
        return false;
    };
    let authority = origin.split_once("://").map_or("", |(_, a)| a);
    // The default port is dropped from a normalised origin; a Host header may carry it.
    let host = host.to_ascii_lowercase();
    authority == host
        || authority == host.trim_end_matches(":80")
        || authority == host.trim_end_matches(":443")
}

/// The check of the module contract. `site`: the site the request is for, if it names one.
pub fn origin_allowed<B: Backend>(b: &B, headers: &HeaderMap, site: Option<&Site>) -> bool {
    let Some(origin) = origin_of(headers) else {
        return true;
    };
    if same_origin(origin, headers) {
        return true;
    }
    match site {
        Some(site) => site.allows(origin),
        None => b.any_site_allows(origin),
    }
}

/// The customer of a new conversation. With an identity token: the user the site vouches for
/// (a refused token is a 401 and no conversation). Without: what the client sent, never marked
/// verified; an anonymous browser's own `context` is kept apart as unverified, so it cannot buy
/// routing or priority ("accountStatus": "enterprise_vip"). Integrations and staff are trusted
/// callers: their context stays the context.
pub fn customer_for(
    site: Option<&Site>,
    identity: Option<&str>,
    mut sent: Customer,
    trusted_caller: bool,
    now: i64,
) -> Result<Customer, ApiError> {
    if let Some(token) = identity {
        let site = site.ok_or_else(|| {
            ApiError::BadRequest("an identity token needs the site it was signed for (site)".into())
        })?;
        return identity::verify(token, site, now)
            .map_err(|e| ApiError::Unauthorized(e.to_string()));
    }
    sent.site = site.map(|s| s.id.clone());
    sent.verified = false;
    sent.unverified_context = None;
    sent.history = None;
    if !trusted_caller && sent.context != CustomerContext::default() {
        sent.unverified_context = Some(std::mem::take(&mut sent.context));
    }
    Ok(sent)
}

fn site_id(id: &str) -> Result<&str, ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some(id)
        .ok_or_else(|| ApiError::NotFound("no such site".into()))
}

async fn known_site<B: Backend>(b: &B, id: &str) -> Result<Arc<Site>, ApiError> {
    b.site(site_id(id)?)
        .await
        .ok_or_else(|| ApiError::NotFound("no such site".into()))
}

/// `Access-Control-Allow-Origin` for a listed origin (cached per origin: `Vary: Origin`).
fn cors(response: &mut Response, origin: Option<&str>) {
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}

fn refused(origin: Option<&str>) -> ApiError {
    ApiError::Forbidden(format!(
        "origin {:?} is not one of this site's origins; add it with `warmline sites add … --origin`",
        origin.unwrap_or_default().chars().take(200).collect::<String>()
    ))
}

/// `GET /api/sites/{id}/widget`: the launcher's settings (name, colour, greeting).
pub async fn widget_settings<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site = known_site(&*b, &id).await?;
    let origin = origin_of(&headers);
    if !origin_allowed(&*b, &headers, Some(&site)) {
        return Err(refused(origin));
    }
    let mut response = Json(site.public()).into_response();
    cors(&mut response, origin);
    Ok(response)
}

/// `OPTIONS /api/sites/{id}/widget`: the CORS preflight, for the site's origins only.
pub async fn widget_preflight<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site = known_site(&*b, &id).await?;
    let origin = origin_of(&headers);
    if !origin_allowed(&*b, &headers, Some(&site)) {
        return Err(refused(origin));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    cors(&mut response, origin);
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct FrameQuery {
    pub site: Option<String>,
}

/// `GET /widget?site=ID`: the chat in a frame, which only the site's origins may embed.
pub async fn widget_frame<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<FrameQuery>,
) -> Result<Response, ApiError> {
    let id = q
        .site
        .ok_or_else(|| ApiError::BadRequest("the widget needs ?site=ID".into()))?;
    let site = known_site(&*b, &id).await?;
    let mut response = super::assets::customer_page().await;
    let csp = super::security_headers::csp_with_frame_ancestors(&site.frame_ancestors());
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_is_the_host_the_request_went_to() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("support.acme.io"));
        assert!(same_origin("https://support.acme.io", &h));
        assert!(!same_origin("https://evil.io", &h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin("http://127.0.0.1:8080", &h));
        assert!(!same_origin("http://127.0.0.1:8081", &h));
        assert!(!same_origin("null", &h));
    }
}
