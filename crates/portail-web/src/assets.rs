//! Static assets, embedded in the binary and served from the portal's own origin (TP-5). They
//! never set a cookie (SET-2).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../assets/portail.css");
const CONSENT_SCRIPT: &str = include_str!("../assets/consent.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The consent forms' progressive enhancement.
pub async fn consent_script() -> Response {
    asset("text/javascript; charset=utf-8", CONSENT_SCRIPT)
}
