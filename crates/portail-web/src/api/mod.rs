//! The data API: Opendatasoft Explore API v2.1 (`/api/explore/v2.1/…`).
//!
//! The catalog, datasets, records, facets, exports, attachments and files, the v1 and v2.0
//! shims and the OpenAPI description (docs/api.md says what each takes). Responses never set a
//! cookie; a signed-in user's session cookie or an API key lets them see the portal's
//! restricted datasets, which everyone else gets as 404.

pub(crate) mod attachments;
pub(crate) mod catalog;
pub(crate) mod catalog_exports;
mod download;
mod error;
pub(crate) mod exports;
pub(crate) mod facets;
pub mod openapi;
mod openapi_v1;
pub(crate) mod params;
pub mod quota;
pub(crate) mod records;
pub(crate) mod v1;
mod v20;

pub use error::ApiError;

use crate::app::AppState;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub const PREFIX: &str = "/api/explore/v2.1";

pub fn routes() -> Router<AppState> {
    let mut router = v21_routes().merge(v1::routes());
    for prefix in v20::PREFIXES {
        for p in [prefix.to_string(), format!("{prefix}/"), format!("{prefix}/{{*rest}}")] {
            router = router.route(&p, get(v20::handle).options(|| async { preflight() }));
        }
    }
    for p in ["/explore/dataset/{dataset_id}/download", "/explore/dataset/{dataset_id}/download/"] {
        router = router.route(p, get(download::download));
    }
    router
}

/// The v2.1 routes (also what the v2.0 shim calls).
fn v21_routes() -> Router<AppState> {
    // Clients call every path with and without a trailing slash (the official JS client always
    // adds one): both are routed, neither redirects.
    let both = |path: &str| [path.to_owned(), format!("{path}/")];
    let mut router = Router::new();
    for (path, handler) in [
        ("", get(catalog::root)),
        ("/catalog", get(catalog::catalog_root)),
        ("/catalog/datasets", get(catalog::datasets)),
        ("/catalog/facets", get(catalog_exports::facets)),
        ("/catalog/exports", get(catalog_exports::list)),
        ("/catalog/exports/{format}", get(catalog_exports::export)),
        ("/catalog/datasets/{dataset_id}", get(catalog::dataset)),
        ("/catalog/datasets/{dataset_id}/records", get(records::records)),
        ("/catalog/datasets/{dataset_id}/records/{record_id}", get(records::record)),
        ("/catalog/datasets/{dataset_id}/facets", get(facets::facets)),
        ("/catalog/datasets/{dataset_id}/exports", get(exports::list)),
        ("/catalog/datasets/{dataset_id}/exports/{format}", get(exports::export)),
        ("/catalog/datasets/{dataset_id}/attachments", get(attachments::list)),
        ("/catalog/datasets/{dataset_id}/attachments/{attachment_id}", get(attachments::download)),
        ("/catalog/datasets/{dataset_id}/files/{file_id}", get(attachments::file)),
        ("/swagger.json", get(openapi::serve)),
        ("/openapi.json", get(openapi::serve)),
    ] {
        for p in both(&format!("{PREFIX}{path}")) {
            if p.is_empty() {
                continue;
            }
            router = router.route(&p, handler.clone().options(|| async { preflight() }));
        }
    }
    router
}

/// Unknown paths under `/api/`: a JSON 404, or the CORS preflight answer for OPTIONS.
pub fn fallback(method: &Method) -> Response {
    if method == Method::OPTIONS {
        return preflight();
    }
    ApiError::not_found("The requested resource does not exist.").into_response()
}

/// CORS preflight: GET from anywhere, with the headers official widgets and clients send.
fn preflight() -> Response {
    let mut r = axum::http::StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, ODS-Widgets-Version, X-Requested-With"),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    r
}

/// An API answer that is a text document of its own type (a feed, a CSV page).
pub fn api_text(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    api_headers(&mut r);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Headers of every API response.
pub fn api_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::VARY, HeaderValue::from_static("Cookie, Authorization"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
}
