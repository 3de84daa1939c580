//! `GET /api/conversations/{id}/recordings/{callId}/{file}`: a call's recording file, streamed
//! with its type (`audio/ogg`, `video/webm`) and byte ranges (players seek with them). Managers
//! only; the backend resolves only names the conversation's header lists.

use super::error::ApiError;
use super::extract::{conversation_id, Caller};
use crate::service::port::Backend;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

pub async fn get<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, call_id, file)): Path<(String, String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let found = b
        .recording(caller.asker(), &conversation_id(&id)?, &call_id, &file)
        .await?;
    let served = ServeFile::new_with_mime(
        &found.path,
        &found
            .mime
            .parse()
            .map_err(|_| ApiError::Internal("recording with an unusable type".into()))?,
    )
    .oneshot(request)
    .await
    .map_err(|e| ApiError::Internal(format!("serving a recording: {e}")))?;
    if served.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(ApiError::NotFound("the recording file is gone".into()));
    }
    Ok(served.into_response())
}
