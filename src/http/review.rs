//! Handoff review over REST: the list, aggregates, one handoff's view, filter choices, the audit
//! log and the exports (managers only; every read is audited by the backend), and the two
//! ratings (the customer's survey, the agent's rating of the briefing). Lists and aggregates
//! also come as CSV (`format=csv`).

use super::error::ApiError;
use super::extract::{conversation_id, Caller, JsonBody, QueryParams};
use crate::domain::{ConversationEvent, GroupBy, HandoffFilter, UserId};
use crate::service::port::{Backend, Download, HandoffView};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Handoffs in one page of the list, by default and at most.
const PAGE_DEFAULT: u32 = 50;
const PAGE_MAX: u32 = 500;
const AUDIT_MAX: u32 = 1000;

/// The filters both the list and the aggregates take.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewQuery {
    /// First day (UTC, `YYYY-MM-DD`), inclusive.
    from: Option<String>,
    /// Last day, inclusive.
    to: Option<String>,
    agent: Option<String>,
    skill: Option<String>,
    trigger: Option<String>,
    /// Only handoffs with a repeat ask.
    repeat_asks: Option<bool>,
    /// Only handoffs whose context score is at most this.
    max_score: Option<f64>,
    limit: Option<u32>,
    offset: Option<u32>,
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// Aggregates: `day`, `agent`, `skill` or `trigger`.
    by: Option<String>,
}

fn day(raw: &str, key: &str) -> Result<chrono::DateTime<Utc>, ApiError> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("{key} must be a date like 2026-11-27")))?;
    Ok(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default()))
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl ReviewQuery {
    fn filter(&self) -> Result<HandoffFilter, ApiError> {
        let from = non_empty(&self.from).map(|f| day(&f, "from")).transpose()?;
        let to = non_empty(&self.to)
            .map(|t| day(&t, "to").map(|d| d + chrono::Duration::days(1)))
            .transpose()?;
        if let Some(max) = self.max_score {
            if !(0.0..=100.0).contains(&max) {
                return Err(ApiError::BadRequest("maxScore must be 0 to 100".into()));
            }
        }
        Ok(HandoffFilter {
            from,
            to,
            agent_id: non_empty(&self.agent).map(UserId),
            skill: non_empty(&self.skill),
            trigger: non_empty(&self.trigger),
            max_context_score: self.max_score,
            with_repeat_asks: self.repeat_asks.unwrap_or(false),
        })
    }

    fn csv(&self) -> Result<bool, ApiError> {
        match self.format.as_deref() {
            None | Some("") | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(format!(
                "unknown format {other:?} (expected json or csv)"
            ))),
        }
    }
}

fn download(d: Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, d.mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", d.file_name),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        d.body,
    )
        .into_response()
}

fn csv(name: &str, body: String) -> Response {
    download(Download {
        mime: "text/csv; charset=utf-8".into(),
        file_name: name.into(),
        body,
    })
}

pub async fn handoffs<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    QueryParams(q): QueryParams<ReviewQuery>,
) -> Result<Response, ApiError> {
    let as_csv = q.csv()?;
    // CSV is the whole filtered list; JSON is one page.
    let (limit, offset) = if as_csv {
        (u32::MAX, 0)
    } else {
        (
            q.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX),
            q.offset.unwrap_or(0),
        )
    };
    let (total, items) = b
        .review_handoffs(caller.asker(), q.filter()?, limit, offset)
        .await?;
    if as_csv {
        return Ok(csv("handoffs.csv", b.handoffs_csv(&items)));
    }
    Ok(Json(json!({ "total": total, "items": items })).into_response())
}

pub async fn aggregates<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    QueryParams(q): QueryParams<ReviewQuery>,
) -> Result<Response, ApiError> {
    let by = match non_empty(&q.by) {
        None => GroupBy::Day,
        Some(by) => GroupBy::parse(&by).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown grouping {by:?} (expected day, agent, skill or trigger)"
            ))
        })?,
    };
    let as_csv = q.csv()?;
    let (overall, groups) = b.review_aggregates(caller.asker(), q.filter()?, by).await?;
    if as_csv {
        let mut rows = groups;
        rows.push(overall);
        return Ok(csv(
            &format!("handoffs-by-{}.csv", by.as_str()),
            b.aggregates_csv(&rows),
        ));
    }
    Ok(Json(json!({ "by": by, "overall": overall, "groups": groups })).into_response())
}

pub async fn handoff<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<HandoffView>, ApiError> {
    Ok(Json(
        b.review_handoff(caller.asker(), &conversation_id(&id)?)
            .await?,
    ))
}

pub async fn filters<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
) -> Result<Json<crate::service::port::ReviewFacets>, ApiError> {
    Ok(Json(b.review_filters(&caller.principal).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<u32>,
}

pub async fn audit<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, AUDIT_MAX);
    let items = b.review_audit(caller.asker(), limit).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// The call whose transcript to export (default: the latest with one).
    call: Option<String>,
}

/// `GET /api/conversations/{id}/{export}` for the four export names.
pub async fn export<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let d = b
        .export(
            caller.asker(),
            &conversation_id(&id)?,
            &name,
            q.call.as_deref(),
        )
        .await?;
    Ok(download(d))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HandoffRating {
    score: u8,
    repeated: bool,
    #[serde(default)]
    comment: Option<String>,
}

fn created(event: ConversationEvent) -> Response {
    (StatusCode::CREATED, Json(event)).into_response()
}

pub async fn rate_handoff<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<HandoffRating>,
) -> Result<Response, ApiError> {
    let event = b
        .rate_handoff(
            &caller.principal,
            &conversation_id(&id)?,
            body.score,
            body.repeated,
            body.comment,
        )
        .await?;
    Ok(created(event))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BriefingRating {
    score: u8,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn rate_briefing<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<BriefingRating>,
) -> Result<Response, ApiError> {
    let event = b
        .rate_briefing(
            &caller.principal,
            &conversation_id(&id)?,
            body.score,
            body.comment,
        )
        .await?;
    Ok(created(event))
}
