//! Security headers on every response. The pages load only their own scripts and styles (no inline
//! code, styles set through the CSSOM), so the policy can be strict: nothing from other origins, no
//! framing (the embeddable widget's frame will name its sites' origins), no sniffing, no referrer.
//! Camera, microphone and screen capture are allowed only to the gateway's own pages.

use axum::http::header::{HeaderName, HeaderValue};
use axum::http::HeaderMap;

const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

const HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()",
    ),
];

/// The policy with other `frame-ancestors` (the widget frame names its site's origins).
pub fn csp_with_frame_ancestors(sources: &str) -> String {
    CSP.replace(
        "frame-ancestors 'none'",
        &format!("frame-ancestors {sources}"),
    )
}

/// Adds the headers a handler did not set itself. A handler that set its own policy (the widget
/// frame) gets no `X-Frame-Options`: it cannot name origins, and `frame-ancestors` decides.
pub fn apply(headers: &mut HeaderMap) {
    let own_policy = headers.contains_key("content-security-policy");
    for (name, value) in HEADERS {
        let name = HeaderName::from_static(name);
        if own_policy && name == "x-frame-options" {
            continue;
        }
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}
