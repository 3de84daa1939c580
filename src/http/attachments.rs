//! Attachments over REST.
//!
//! - `POST /api/conversations/{id}/attachments?name=shot.png&clientMsgId=…`: the request body is
//!   the file itself (any `Content-Type`; the type is sniffed from the bytes). Answered `201` with
//!   the committed message carrying `attachment` (`200` for a resent `clientMsgId`), `413` over
//!   the size limit, `415` for a type that is not allowed. Streamed: the body is never held in
//!   memory whole.
//! - `GET /api/conversations/{id}/attachments/{attachmentId}`: the file, as a download
//!   (`Content-Disposition: attachment`), with its sniffed type, `nosniff` and a sandboxing
//!   policy, and byte ranges.
//! - `GET /api/conversations/{id}/attachments/{attachmentId}/thumbnail`: an image's thumbnail.
//!
//! The conversation's participants and managers only: the backend decides (see
//! `Backend::attachment_file`).

use super::error::ApiError;
use super::extract::{conversation_id, Caller, QueryParams};
use crate::domain::Message;
use crate::service::port::{Backend, Upload};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, for people; never decides its type.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub client_msg_id: Option<String>,
}

pub async fn upload<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<UploadQuery>,
    request: Request,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let id = conversation_id(&id)?;
    let declared_len = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    let body = request
        .into_body()
        .into_data_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other));
    let upload = Upload {
        name: q.name.unwrap_or_default(),
        client_msg_id: q.client_msg_id,
        declared_len,
        expects_continue,
        body: Box::pin(body),
    };
    let posted = b.upload_attachment(&caller.principal, &id, upload).await?;
    let status = if posted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(posted.message)))
}

pub async fn download<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    serve(&*b, &caller, &id, &attachment, false, request).await
}

pub async fn thumbnail<B: Backend>(
    State(b): State<Arc<B>>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    serve(&*b, &caller, &id, &attachment, true, request).await
}

async fn serve<B: Backend>(
    b: &B,
    caller: &Caller,
    id: &str,
    attachment: &str,
    thumbnail: bool,
    request: Request,
) -> Result<Response, ApiError> {
    let found = b
        .attachment_file(caller.asker(), &conversation_id(id)?, attachment, thumbnail)
        .await?;
    // The stored type comes from the allow-list; this only guards against a corrupt row ever
    // making the gateway serve markup from its own origin.
    let lower = found.mime.to_ascii_lowercase();
    if lower.contains("html") || lower.contains("xml") || lower.contains("javascript") {
        return Err(ApiError::Internal(format!(
            "refusing to serve an attachment as {lower}"
        )));
    }
    let mime = found
        .mime
        .parse()
        .map_err(|_| ApiError::Internal("attachment with an unusable type".into()))?;
    let served = ServeFile::new_with_mime(&found.path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| ApiError::Internal(format!("serving an attachment: {e}")))?;
    if served.status() == StatusCode::NOT_FOUND {
        return Err(ApiError::NotFound("the attachment's file is gone".into()));
    }
    let mut response = served.into_response();
    let headers = response.headers_mut();
    let disposition = if found.thumbnail {
        "inline"
    } else {
        "attachment"
    };
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, &found.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Opened directly, the file runs nothing and can be framed by nobody.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if found.thumbnail {
            "private, max-age=3600"
        } else {
            "private, no-store"
        }),
    );
    Ok(response)
}

/// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266).
pub fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_for_any_name() {
        assert_eq!(
            content_disposition("attachment", "shot.png"),
            "attachment; filename=\"shot.png\"; filename*=UTF-8''shot.png"
        );
        let d = content_disposition("attachment", "Ärger \"x\".log");
        assert_eq!(
            d,
            "attachment; filename=\"_rger _x_.log\"; filename*=UTF-8''%C3%84rger%20%22x%22.log"
        );
        assert!(HeaderValue::from_str(&d).is_ok());
    }
}
