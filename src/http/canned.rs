//! Canned responses over REST: agents and managers list and search them, managers add, change and
//! delete them (each change audited by the backend).
//!
//! | method | path                          | who                | answer                 |
//! |--------|-------------------------------|--------------------|------------------------|
//! | GET    | `/api/canned-responses?q=`    | agents, managers   | 200 `{items}`          |
//! | POST   | `/api/canned-responses`       | managers           | 201 the response       |
//! | PUT    | `/api/canned-responses/{id}`  | managers           | 200 the response       |
//! | DELETE | `/api/canned-responses/{id}`  | managers           | 204                    |
//!
//! A taken shortcut is 409 `conflict`; an invalid field 400 (413 for a body over 4 KB).

use super::error::ApiError;
use super::extract::{conversation_id, Caller, JsonBody, QueryParams};
use crate::service::port::{Backend, CannedInput, CannedView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Search text: shortcut (with or without the slash), title or body; case-insensitive.
    q: Option<String>,
    /// A conversation the caller may read: each item then carries `filled`.
    conversation: Option<String>,
}

pub async fn list<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let conversation = q.conversation.as_deref().map(conversation_id).transpose()?;
    let items = b
        .canned_responses(
            &caller.principal,
            q.q.as_deref().unwrap_or_default(),
            conversation.as_ref(),
        )
        .await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn create<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    JsonBody(input): JsonBody<CannedInput>,
) -> Result<Response, ApiError> {
    let view = b.create_canned_response(caller.asker(), input).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub async fn update<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CannedInput>,
) -> Result<Json<CannedView>, ApiError> {
    Ok(Json(
        b.update_canned_response(caller.asker(), &id, input).await?,
    ))
}

pub async fn delete<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    b.delete_canned_response(caller.asker(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
