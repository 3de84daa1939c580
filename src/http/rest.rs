//! REST handlers. Each one names the caller (`Caller`) unless it is public by design (creating a
//! conversation, logging in), and delegates every decision to the `Backend`.

use super::challenge_gate::ChallengeGate;
use super::client_ip::ClientIp;
use super::error::ApiError;
use super::extract::{conversation_id, Caller, JsonBody, QueryParams};
use crate::domain::{
    Conversation, ConversationEvent, ConversationId, ConversationStatus, Customer, Message,
    Principal,
};
use crate::service::port::{Backend, CreatedConversation, LoginResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateConversationBody {
    #[serde(default)]
    pub customer: Option<Customer>,
    /// The site whose widget the conversation starts from (its id from the snippet); none for
    /// the gateway's own `/chat` page.
    #[serde(default)]
    pub site: Option<String>,
    /// A JWT the site's backend signed for its signed-in user (HS256 with the site's secret):
    /// the customer becomes that user, verified. Needs `site`.
    #[serde(default)]
    pub identity: Option<String>,
}

pub async fn create_conversation<B: Backend>(
    State(b): State<Arc<B>>,
    axum::Extension(challenges): axum::Extension<Arc<ChallengeGate>>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<CreatedConversation>), ApiError> {
    let body = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("request body is over the size limit".into())
        }
        _ => ApiError::BadRequest(r.body_text()),
    })?;
    // The body is optional: an anonymous visitor starts a chat with no details at all.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        CreateConversationBody {
            customer: None,
            site: None,
            identity: None,
        }
    } else {
        serde_json::from_slice::<CreateConversationBody>(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let customer = body.customer.unwrap_or_default();
    let site = match body.site.as_deref() {
        None | Some(crate::domain::site::DEFAULT_SITE) => None,
        Some(id) => Some(b.site(id).await.ok_or_else(|| {
            ApiError::NotFound(format!(
                "no site {:?}: check the snippet's data-site",
                id.chars().take(64).collect::<String>()
            ))
        })?),
    };
    if !super::sites::origin_allowed(&*b, &headers, site.as_deref()) {
        return Err(ApiError::Forbidden(
            "conversations may be started only from the gateway's pages or a site's origins".into(),
        ));
    }
    // Staff and integrations are known callers; only anonymous visitors meet the challenge.
    let known = match super::extract::bearer_of(&headers) {
        Some(token) => matches!(
            b.authenticate(token).await,
            Ok(Principal::Staff(_) | Principal::Bot { .. })
        ),
        None => false,
    };
    let now = chrono::Utc::now().timestamp();
    let customer = super::sites::customer_for(
        site.as_deref(),
        body.identity.as_deref(),
        customer,
        known,
        now,
    )?;
    if !known {
        if let Some(site) = &site {
            if !b.admit_site_conversation(site) {
                return Err(ApiError::RateLimited(format!(
                    "too many new conversations from {} this minute; try again shortly",
                    site.name
                )));
            }
        }
        challenges.admit(&headers, b.counters())?;
    }
    let created = b.create_conversation(customer).await?;
    if !known {
        challenges.created();
    }
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn get_conversation<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(
        b.conversation(&caller.principal, &conversation_id(&id)?)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<String>,
    /// The `nextCursor` of the previous page.
    #[serde(default)]
    pub before: Option<String>,
    /// Page size, 1..=500 (default 500).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Words in the messages, or text in the customer's name or e-mail.
    #[serde(default)]
    pub q: Option<String>,
    /// Only conversations with this tag.
    #[serde(default)]
    pub tag: Option<String>,
}

pub async fn list_conversations<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<crate::service::port::ConversationPage>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown status {s:?} (expected ai, queued, with_agent or resolved)"
            ))
        })?),
    };
    let limit = q.limit.unwrap_or(500);
    Ok(Json(
        b.list_conversations(
            &caller.principal,
            status,
            crate::service::port::ConversationSearch {
                text: q.q.as_deref(),
                tag: q.tag.as_deref(),
            },
            q.before.as_deref(),
            limit,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostMessageBody {
    pub content: String,
    #[serde(default)]
    pub client_msg_id: Option<String>,
}

pub async fn post_message<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PostMessageBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let posted = b
        .post_message(
            &caller.principal,
            &conversation_id(&id)?,
            body.content,
            body.client_msg_id,
        )
        .await?;
    let status = if posted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(posted.message)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(default)]
    pub after: u64,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    events: Vec<ConversationEvent>,
    /// Sequence number of the last event returned (or `after` when there was none).
    last_seq: u64,
    /// True when more events follow; ask again with `after=lastSeq`.
    more: bool,
}

/// Most events returned by one call.
const EVENT_PAGE_MAX: u32 = 1000;

pub async fn events<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let limit = q.limit.unwrap_or(EVENT_PAGE_MAX).clamp(1, EVENT_PAGE_MAX);
    let events = b
        .events_after(
            &caller.principal,
            &conversation_id(&id)?,
            q.after,
            limit + 1,
        )
        .await?;
    let more = events.len() > limit as usize;
    let events: Vec<_> = events.into_iter().take(limit as usize).collect();
    let last_seq = events.last().map(|e| e.seq).unwrap_or(q.after);
    Ok(Json(EventPage {
        events,
        last_seq,
        more,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

pub async fn login<B: Backend>(
    State(b): State<Arc<B>>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Json<LoginResult>, ApiError> {
    Ok(Json(b.login(&body.username, &body.password, ip).await?))
}

pub async fn logout<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    b.logout(&caller.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<crate::domain::User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<ConversationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

pub async fn me(caller: Caller) -> Json<Me> {
    Json(match caller.principal {
        Principal::Customer { conversation_id } => Me {
            kind: "customer",
            user: None,
            conversation_id: Some(conversation_id),
            name: None,
        },
        Principal::Staff(u) => Me {
            kind: u.role.as_str(),
            user: Some(u),
            conversation_id: None,
            name: None,
        },
        Principal::Bot { name, .. } => Me {
            kind: "bot",
            user: None,
            conversation_id: None,
            name: Some(name),
        },
    })
}

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    b.ready().await?;
    Ok(Json(match b.degraded() {
        // Still ready: writes go on and delivery catches up; the reason says what is missing.
        Some(reason) => serde_json::json!({ "status": "degraded", "reason": reason }),
        None => serde_json::json!({ "status": "ready" }),
    }))
}

pub async fn metrics<B: Backend>(State(b): State<Arc<B>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        b.metrics_text(),
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed(
        "this method is not allowed on this path (see /api/openapi.json)".into(),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoteBody {
    pub text: String,
}

/// `POST /api/conversations/{id}/notes`: an internal note (agents in the conversation).
pub async fn add_note<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<(StatusCode, Json<ConversationEvent>), ApiError> {
    let event = b
        .add_note(&caller.principal, &conversation_id(&id)?, body.text)
        .await?;
    Ok((StatusCode::CREATED, Json(event)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagsBody {
    pub tags: Vec<String>,
}

/// `PUT /api/conversations/{id}/tags`: the conversation's whole tag list.
pub async fn set_tags<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TagsBody>,
) -> Result<Json<ConversationEvent>, ApiError> {
    let event = b
        .set_tags(&caller.principal, &conversation_id(&id)?, body.tags)
        .await?;
    Ok(Json(event))
}
