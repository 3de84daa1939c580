//! The pages in `web/`, embedded in the binary at build time so the gateway is one file to deploy.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Web;

fn serve(path: &str) -> Response {
    match Web::get(path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                ],
                file.data,
            )
                .into_response()
        }
        None => super::error::ApiError::NotFound(format!("no page {path:?}")).into_response(),
    }
}

pub async fn index() -> Response {
    serve("index.html")
}

pub async fn customer_page() -> Response {
    serve("customer.html")
}

/// The widget's loader for host pages (`<script src=".../widget.js" data-site=... async>`). A
/// classic script from another origin needs no CORS; pages of any website may load it, and the
/// frame it opens decides who may embed the chat (`/widget?site=`).
pub async fn widget_script() -> Response {
    let mut response = serve("widget.js");
    // Host pages may cache it briefly; `no-cache` would revalidate on every page of their site.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=300"),
    );
    // Loaded cross-origin by design (it is the embed snippet).
    response.headers_mut().insert(
        "cross-origin-resource-policy",
        axum::http::HeaderValue::from_static("cross-origin"),
    );
    response
}

pub async fn agent_page() -> Response {
    serve("agent.html")
}

pub async fn review_page() -> Response {
    serve("review.html")
}

pub async fn static_file(Path(path): Path<String>) -> Response {
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    serve(&path)
}

/// Every embedded file name, for tests and diagnostics.
pub fn files() -> Vec<String> {
    Web::iter().map(|f| f.into_owned()).collect()
}
