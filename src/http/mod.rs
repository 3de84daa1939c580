//! The HTTP surface: REST, the WebSocket, the pages, health and metrics, on one axum router that is
//! generic over the `Backend` it serves. Every request passes the guard: the client's address
//! (behind trusted proxies, the forwarded one), per-address rate limits, a tracing span carrying the
//! conversation id when the path names one, security headers, and a status counter.
//!
//! It sees only the service port (`service::port`: the `Backend` trait and its typed results;
//! `service::error`), the domain, its protocol frames (`chat`) and its configuration: no store,
//! hub, metrics registry or engine. WebSocket sessions subscribe through `Backend::fanout()` (the
//! `chat::Fanout` trait) and fill gaps from the log; `error.rs` maps every `ServiceError` to a
//! status and code; `server.rs` is the accept loop, drained at shutdown.

pub mod assets;
pub mod attachments;
pub mod canned;
pub mod challenge_gate;
pub mod client_ip;
pub mod conn_limits;
pub mod creation_challenge;
pub mod email;
pub mod error;
pub mod extract;
pub mod handoff_rest;
pub mod history;
pub mod ratelimit;
pub mod recordings;
pub mod rest;
pub mod review;
pub mod security_headers;
pub mod server;
pub mod sites;
pub mod ws;

pub use crate::service::port::Backend;
pub use error::ApiError;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use client_ip::{ClientIp, TrustedProxies};
use ratelimit::IpLimits;
use std::net::IpAddr;
use std::sync::Arc;
use tracing::Instrument;

/// The OpenAPI 3.1 description of the REST API, served at `/api/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What the guard needs besides the backend.
#[derive(Clone)]
struct Guard {
    limits: Arc<IpLimits>,
    proxies: Arc<TrustedProxies>,
}

pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    let limits = IpLimits::new(backend.limits());
    // Validated with the configuration; a list that does not parse believes no proxy.
    let proxies = TrustedProxies::parse(&backend.limits().trusted_proxies).unwrap_or_default();
    let guard_state = Guard {
        limits,
        proxies: Arc::new(proxies),
    };
    let body_limit = backend.limits().max_frame_bytes;
    let websockets = conn_limits::PerIpCounts::new();
    let challenges = challenge_gate::ChallengeGate::new(backend.limits());
    Router::new()
        .route(
            "/api/conversations",
            post(rest::create_conversation::<B>).get(rest::list_conversations::<B>),
        )
        .route("/api/conversations/{id}", get(rest::get_conversation::<B>))
        .route(
            "/api/conversations/{id}/messages",
            post(rest::post_message::<B>),
        )
        .route("/api/conversations/{id}/events", get(rest::events::<B>))
        .route("/api/conversations/{id}/history", get(history::list::<B>))
        .route(
            "/api/conversations/{id}/history/{past}",
            get(history::one::<B>),
        )
        .route("/api/conversations/{id}/notes", post(rest::add_note::<B>))
        .route(
            "/api/conversations/{id}/tags",
            axum::routing::put(rest::set_tags::<B>),
        )
        .route(
            "/api/conversations/{id}/briefing",
            get(handoff_rest::briefing::<B>),
        )
        .route(
            "/api/conversations/{id}/handoff/{step}",
            post(handoff_rest::step::<B>),
        )
        .route(
            "/api/conversations/{id}/recordings/{call_id}/{file}",
            get(recordings::get::<B>),
        )
        .route(
            "/api/conversations/{id}/attachments",
            post(attachments::upload::<B>),
        )
        .route(
            "/api/conversations/{id}/attachments/{attachment_id}",
            get(attachments::download::<B>),
        )
        .route(
            "/api/conversations/{id}/attachments/{attachment_id}/thumbnail",
            get(attachments::thumbnail::<B>),
        )
        .route("/api/conversations/{id}/{export}", get(review::export::<B>))
        .route(
            "/api/conversations/{id}/rating",
            post(review::rate_handoff::<B>),
        )
        .route(
            "/api/conversations/{id}/briefing/rating",
            post(review::rate_briefing::<B>),
        )
        .route("/api/review/handoffs", get(review::handoffs::<B>))
        .route("/api/review/handoffs/{id}", get(review::handoff::<B>))
        .route("/api/review/aggregates", get(review::aggregates::<B>))
        .route("/api/review/filters", get(review::filters::<B>))
        .route("/api/review/audit", get(review::audit::<B>))
        .route(
            "/api/canned-responses",
            get(canned::list::<B>).post(canned::create::<B>),
        )
        .route(
            "/api/canned-responses/{id}",
            axum::routing::put(canned::update::<B>).delete(canned::delete::<B>),
        )
        .route("/api/queue", get(handoff_rest::queue::<B>))
        .route(
            "/api/me/status",
            axum::routing::put(handoff_rest::set_status::<B>),
        )
        .route(
            "/api/conversations/{id}/followup",
            post(email::followup::<B>),
        )
        .route(
            "/api/conversations/{id}/transcript-email",
            post(email::transcript::<B>),
        )
        .route("/api/email", get(email::settings::<B>))
        .route("/api/email/resume", post(email::resume::<B>))
        .route("/api/auth/login", post(rest::login::<B>))
        .route("/api/auth/logout", post(rest::logout::<B>))
        .route("/api/me", get(rest::me))
        .route("/api/openapi.json", get(openapi))
        .route("/api/ws", get(ws::upgrade::<B>))
        .route(
            "/api/sites/{id}/widget",
            get(sites::widget_settings::<B>).options(sites::widget_preflight::<B>),
        )
        .route("/widget", get(sites::widget_frame::<B>))
        .route("/widget.js", get(assets::widget_script))
        .route("/healthz", get(rest::healthz))
        .route("/readyz", get(rest::readyz::<B>))
        .route("/metrics", get(metrics::<B>))
        .route("/", get(assets::index))
        .route("/chat", get(assets::customer_page))
        .route("/agent", get(assets::agent_page))
        .route("/review", get(assets::review_page))
        .route("/static/{*path}", get(assets::static_file))
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .layer(axum::Extension(websockets))
        .layer(axum::Extension(challenges))
        .layer(middleware::from_fn_with_state(
            (backend.clone(), guard_state),
            guard::<B>,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(backend)
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// The client address the guard resolved (loopback for in-process requests).
pub fn client_ip(req: &Request) -> IpAddr {
    ClientIp::of(req.extensions())
}

async fn guard<B: Backend>(
    State((backend, guard)): State<(Arc<B>, Guard)>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = ClientIp::of(req.extensions());
    let ip = guard.proxies.client(peer, req.headers());
    req.extensions_mut().insert(ClientIp(ip));
    let limits = &guard.limits;
    let path = req.uri().path().to_owned();
    let conversation_id = path
        .strip_prefix("/api/conversations/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| crate::domain::ids::is_plausible_id(id))
        .unwrap_or("")
        .to_owned();
    let span = tracing::info_span!("request", method = %req.method(), path = %path, conversation_id = %conversation_id);
    let is_probe = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
    let started = std::time::Instant::now();
    let response = async {
        if !is_probe {
            if let Err((e, reason)) = limits.check(ip, req.method(), &path) {
                backend.counters().rate_limited(reason);
                return e.into_response();
            }
        }
        next.run(req).await
    }
    .instrument(span.clone())
    .await;
    let mut response = response;
    security_headers::apply(response.headers_mut());
    let status = response.status().as_u16();
    backend.counters().http_response(status);
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "response"
        )
    });
    response
}

/// `/metrics` answers scrapers on loopback, and managers or integration keys elsewhere. A request
/// a proxy forwarded is not a local scraper, even when the proxy itself is local.
async fn metrics<B: Backend>(State(b): State<Arc<B>>, req: Request) -> Result<Response, ApiError> {
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    if forwarded || !client_ip(&req).is_loopback() {
        let (mut parts, _) = req.into_parts();
        let token = extract::bearer(&parts).map(str::to_owned).ok_or_else(|| {
            ApiError::Unauthorized(
                "metrics outside loopback need a manager or integration token".into(),
            )
        })?;
        let who = b.authenticate(&token).await?;
        let allowed = who.is_staff_role(crate::domain::Role::Manager)
            || matches!(who, crate::domain::Principal::Bot { .. });
        if !allowed {
            return Err(ApiError::Forbidden(
                "metrics are for managers and integrations".into(),
            ));
        }
        parts.extensions.clear();
    }
    Ok(rest::metrics(State(b)).await.into_response())
}
