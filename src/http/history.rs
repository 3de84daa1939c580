//! Returning customers' history: `GET /api/conversations/{id}/history` lists the earlier
//! conversations of the customer of `{id}`, and `GET /api/conversations/{id}/history/{pastId}`
//! reads one of them. Both are read-only and authorised by access to `{id}`: the customer of it
//! (with its token) or staff who may read it.

use super::error::ApiError;
use super::extract::{conversation_id, Caller};
use crate::domain::Conversation;
use crate::service::port::{Backend, CustomerHistory};
use axum::extract::{Path, State};
use axum::Json;
use std::sync::Arc;

pub async fn list<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CustomerHistory>, ApiError> {
    Ok(Json(
        b.customer_history(&caller.principal, &conversation_id(&id)?)
            .await?,
    ))
}

pub async fn one<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, past)): Path<(String, String)>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(
        b.past_conversation(
            &caller.principal,
            &conversation_id(&id)?,
            &conversation_id(&past)?,
        )
        .await?,
    ))
}
