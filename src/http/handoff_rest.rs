//! REST side of the handoff protocol (the same steps as the WebSocket frames): the briefing, the
//! queue, the agent's status and each agent step. Every step answers only after it is committed.

use super::error::ApiError;
use super::extract::{conversation_id, Caller, JsonBody};
use crate::service::port::{Backend, HandoffAction};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn briefing<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<crate::service::port::BriefingView>, ApiError> {
    Ok(Json(
        b.briefing(&caller.principal, &conversation_id(&id)?)
            .await?,
    ))
}

pub async fn queue<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
) -> Result<Json<crate::domain::QueueView>, ApiError> {
    Ok(Json(b.queue(&caller.principal).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: String,
}

pub async fn set_status<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    b.set_agent_status(&caller.principal, &body.status).await?;
    Ok(Json(json!({ "status": body.status })))
}

/// Optional fields of a step; each step reads the one it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepBody {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub introduction: Option<String>,
    #[serde(default)]
    pub skill: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// transfer: a colleague's user id.
    #[serde(default)]
    pub to_agent: Option<String>,
    /// transfer: a skill, for whoever is best with it.
    #[serde(default)]
    pub to_skill: Option<String>,
}

pub async fn step<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, step)): Path<(String, String)>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = conversation_id(&id)?;
    let body = body.map_err(|r| match r.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("request body is over the size limit".into())
        }
        _ => ApiError::BadRequest(r.body_text()),
    })?;
    // The body is optional: accept and open-briefing need none.
    let body: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let action = match step.as_str() {
        "accept" => HandoffAction::Accept,
        "decline" => HandoffAction::Decline {
            reason: body.reason,
        },
        "open-briefing" => HandoffAction::OpenBriefing,
        "join" => HandoffAction::Join {
            introduction: body.introduction,
        },
        "invite" => HandoffAction::InviteSpecialist {
            skill: body
                .skill
                .ok_or_else(|| ApiError::BadRequest("invite needs a skill".into()))?,
        },
        "resolve" => HandoffAction::Resolve { note: body.note },
        "transfer" => HandoffAction::Transfer {
            to_agent: body.to_agent,
            to_skill: body.to_skill,
            note: body.note,
        },
        "cancel-transfer" => HandoffAction::CancelTransfer,
        _ => return Err(ApiError::NotFound(
            "no such handoff step; use accept, decline, open-briefing, join, invite, transfer, \
                 cancel-transfer or resolve"
                .into(),
        )),
    };
    let name = action.name();
    b.handoff_action(&caller.principal, &id, action).await?;
    Ok(Json(json!({ "action": name, "conversationId": id })))
}
