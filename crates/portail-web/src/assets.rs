//! Static assets, embedded in the binary and served from the portal's own origin.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../assets/portail.css");

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLESHEET,
    )
        .into_response()
}
