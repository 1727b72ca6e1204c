//! The single list of routes.

use crate::app::AppState;
use crate::context::{see_other, Ctx};
use crate::{api, assets, audience, back, csrf, front, privacy, session, tenant};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Every page route of a portal, for the trailing-slash redirect and the cookie audit test.
pub const PAGE_ROUTES: &[&str] = &[
    "/",
    "/terms/cookies-policy/",
    "/terms/cookies-policy/registry.json",
    "/i18n/setlang/",
    "/login/",
    "/logout/",
    "/backoffice/",
    "/backoffice/settings/",
    "/backoffice/datasets/",
    "/backoffice/datasets/upload/",
    "/backoffice/datasets/{dataset_id}/visibility/",
    "/consent/",
    "/.well-known/gpc.json",
    "/pages/{slug}/",
    "/backoffice/privacy/",
    "/backoffice/privacy/integrations/",
    "/backoffice/privacy/ask-again/",
    "/backoffice/privacy/settings/",
    "/backoffice/privacy/records.json",
    "/backoffice/audience/",
    "/backoffice/audience.csv",
    "/backoffice/audience/delete-term/",
    "/explore/",
    "/explore/dataset/{dataset_id}/",
    "/explore/dataset/{dataset_id}/{tab}/",
    "/explore/embed/dataset/{dataset_id}/{tab}/",
    "/backoffice/apikeys/",
    "/backoffice/apikeys/{id}/delete/",
    "/backoffice/datasets/attachments/",
    "/backoffice/datasets/{dataset_id}/attachments/{attachment_id}/delete/",
    "/backoffice/pages/",
    "/backoffice/pages/new/",
    "/backoffice/pages/{slug}/",
    "/backoffice/pages/{slug}/delete/",
    "/backoffice/privacy/policy-text/",
    "/backoffice/datasets/{dataset_id}/metadata/",
    "/backoffice/datasets/{dataset_id}/restriction/",
    "/backoffice/datasets/{dataset_id}/delete/",
    "/backoffice/datasets/{dataset_id}/fields/",
    "/backoffice/datasets/{dataset_id}/translation/",
];

pub fn router(app: AppState) -> Router {
    let pages = Router::new()
        .route(PAGE_ROUTES[0], get(front::home::page))
        .route(PAGE_ROUTES[1], get(privacy::policy::page))
        .route(PAGE_ROUTES[2], get(privacy::policy::registry_json))
        .route(PAGE_ROUTES[3], post(front::setlang::set_language))
        .route(PAGE_ROUTES[4], get(front::login::form).post(front::login::submit))
        .route(PAGE_ROUTES[5], post(front::login::logout))
        .route(PAGE_ROUTES[6], get(back::settings::page))
        .route(PAGE_ROUTES[7], post(back::settings::save))
        .route(PAGE_ROUTES[8], get(back::datasets::page))
        .route(
            PAGE_ROUTES[9],
            post(back::datasets::upload)
                .layer(DefaultBodyLimit::max(back::datasets::MAX_UPLOAD_BYTES as usize + (1 << 20))),
        )
        .route(PAGE_ROUTES[10], post(back::datasets::visibility))
        .route(PAGE_ROUTES[11], get(privacy::panel::page).post(privacy::panel::submit))
        .route(PAGE_ROUTES[12], get(privacy::panel::gpc_json))
        .route(PAGE_ROUTES[13], get(front::pages::page))
        .route(PAGE_ROUTES[14], get(back::privacy::page))
        .route(PAGE_ROUTES[15], post(back::privacy::integration))
        .route(PAGE_ROUTES[16], post(back::privacy::ask_again))
        .route(PAGE_ROUTES[17], post(back::privacy::settings))
        .route(PAGE_ROUTES[18], get(back::privacy::records))
        .route(PAGE_ROUTES[19], get(back::audience::page))
        .route(PAGE_ROUTES[20], get(back::audience::csv))
        .route(PAGE_ROUTES[21], post(back::audience::delete_term))
        .route(PAGE_ROUTES[22], get(front::explore::page))
        .route(PAGE_ROUTES[23], get(front::dataset::page))
        .route(PAGE_ROUTES[24], get(front::dataset::page))
        .route(PAGE_ROUTES[25], get(front::dataset::embed))
        .route(PAGE_ROUTES[26], get(back::apikeys::page).post(back::apikeys::create))
        .route(PAGE_ROUTES[27], post(back::apikeys::delete))
        .route(
            PAGE_ROUTES[28],
            post(back::attachments::attach)
                .layer(DefaultBodyLimit::max(back::attachments::MAX_ATTACHMENT_BYTES + (1 << 20))),
        )
        .route(PAGE_ROUTES[29], post(back::attachments::detach))
        .route(PAGE_ROUTES[30], get(back::pages::list))
        .route(PAGE_ROUTES[31], get(back::pages::new_form).post(back::pages::create))
        .route(PAGE_ROUTES[32], get(back::pages::edit_form).post(back::pages::update))
        .route(PAGE_ROUTES[33], post(back::pages::delete))
        .route(PAGE_ROUTES[34], post(back::privacy::policy_text))
        .route(PAGE_ROUTES[35], get(back::metadata::page).post(back::metadata::save))
        .route(PAGE_ROUTES[36], post(back::dataset_admin::restriction))
        .route(PAGE_ROUTES[37], get(back::dataset_admin::confirm).post(back::dataset_admin::delete))
        .route(PAGE_ROUTES[38], get(back::fields::page).post(back::fields::save))
        .route(PAGE_ROUTES[39], post(back::metadata::save_translation))
        .merge(api::routes())
        .fallback(not_found)
        // Outermost last: tenant → audience → API quota → identity → CSRF → handler.
        .layer(from_fn_with_state(app.clone(), csrf::protect))
        .layer(from_fn_with_state(app.clone(), session::identify))
        .layer(from_fn_with_state(app.clone(), api::quota::limit))
        // Counted after the answer, from what the request and response say (AN-2, AN-3).
        .layer(from_fn_with_state(app.clone(), audience::count))
        .layer(from_fn_with_state(app.clone(), tenant::resolve));

    Router::new()
        .route("/static/portail.css", get(assets::stylesheet))
        .route("/static/consent.js", get(assets::consent_script))
        .merge(pages)
        .layer(from_fn_with_state(app.clone(), crate::access_log::log))
        .layer(RequestBodyLimitLayer::new(back::datasets::MAX_UPLOAD_BYTES as usize + (1 << 20)))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
        .layer(CatchPanicLayer::new())
        // Paths only: query strings may hold search terms and keys that logs must not keep.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
        ))
        .with_state(app)
}

/// 404 of the portal: JSON under `/api/`, the translated page elsewhere; a known page asked for
/// without its trailing slash is redirected.
async fn not_found(State(app): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return api::fallback(req.method());
    }
    let (parts, _) = req.into_parts();
    let path = parts.uri.path();
    if parts.method == Method::GET && !path.ends_with('/') {
        let with_slash = format!("{path}/");
        if PAGE_ROUTES.contains(&with_slash.as_str()) {
            let target = match parts.uri.query() {
                Some(q) => format!("{with_slash}?{q}"),
                None => with_slash,
            };
            return see_other(&target);
        }
    }
    match Ctx::from_parts(&app, &parts) {
        Some(ctx) => ctx.not_found(),
        None => crate::error::bare_internal_error(),
    }
}
