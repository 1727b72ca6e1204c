//! Responses for failures that happen before a portal is known or a page can be rendered.

use crate::app::AppState;
use crate::context::html_headers;
use crate::locale::negotiate_without_portal;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// 404 for a host that belongs to no portal. It names no portal and sets no cookie.
pub fn unknown_host(app: &AppState, headers: &HeaderMap) -> Response {
    let lang = negotiate_without_portal(headers);
    match app.templates.render("unknown_host.html", json!({"lang": lang.code()})) {
        Ok(html) => {
            let mut response = (StatusCode::NOT_FOUND, html).into_response();
            html_headers(
                response.headers_mut(),
                lang,
                &crate::privacy::csp::policy(None, crate::privacy::csp::Framing::SameOrigin),
            );
            response
        }
        Err(_) => bare_internal_error(),
    }
}

/// A last-resort 500 that needs no template: the detail is in the log, never in the response.
pub fn bare_internal_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response()
}
