//! Host header → portal. An unknown host is answered with a 404 that names no portal, before any
//! handler runs, so one portal's pages can never be reached through another's host.

use crate::app::AppState;
use crate::error::unknown_host;
use crate::privacy::consent::PortalPrivacy;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portail_core::portal::normalize_host;
use portail_core::Portal;
use std::net::IpAddr;
use std::sync::Arc;

/// The portal a request addressed, and how it addressed it.
#[derive(Clone, Debug)]
pub struct Site {
    pub portal: Arc<Portal>,
    /// `scheme://host[:port]` as the client wrote it: what `Origin` must equal.
    pub origin: String,
    /// Whether the portal is reached over HTTPS (cookies then get `Secure`).
    pub https: bool,
    /// Integrations, consent version and settings of the portal.
    pub privacy: Arc<PortalPrivacy>,
}

fn raw_host(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

pub fn is_https(app: &AppState, headers: &HeaderMap) -> bool {
    app.config.public_https
        || (app.config.trusted_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

/// Finds the portal for a host name: registered domains first, then the platform's default portal
/// on the bare base domain and loopback names, then `<slug>.<base-domain>`.
pub async fn find_portal(app: &AppState, raw_host: &str) -> Result<Option<Portal>, portail_store::StoreError> {
    let host = normalize_host(raw_host);
    if host.is_empty() {
        return Ok(None);
    }
    if let Some(portal) = app.store.portal_by_domain(&host).await? {
        return Ok(Some(portal));
    }
    let base = app.config.base_domain.as_str();
    if host == base || host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return match &app.config.default_portal {
            Some(slug) => app.store.portal_by_slug(slug).await,
            None => Ok(app.store.portals().await?.into_iter().next()),
        };
    }
    match host.strip_suffix(base).and_then(|rest| rest.strip_suffix('.')) {
        Some(label) if !label.contains('.') => app.store.portal_by_slug(label).await,
        _ => Ok(None),
    }
}

async fn load_privacy(app: &AppState, portal_id: i64) -> Result<PortalPrivacy, portail_store::StoreError> {
    let settings = app.store.privacy_settings(portal_id).await?;
    Ok(PortalPrivacy::new(settings, app.platform_secret().await?, portal_id))
}

/// The 404 for a host that is no portal: JSON under `/api/`, a neutral page elsewhere.
fn no_portal(app: &AppState, req: &Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return crate::api::ApiError::not_found("No portal answers at this address.").into_response();
    }
    unknown_host(app, req.headers())
}

pub async fn resolve(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(host) = raw_host(&req) else {
        return no_portal(&app, &req);
    };
    match find_portal(&app, &host).await {
        Ok(Some(portal)) => {
            let privacy = match load_privacy(&app, portal.id).await {
                Ok(p) => p,
                Err(err) => {
                    tracing::error!(error = %err, "privacy settings lookup failed");
                    return crate::error::bare_internal_error();
                }
            };
            let https = is_https(&app, req.headers());
            let scheme = if https { "https" } else { "http" };
            let site = Site {
                portal: Arc::new(portal),
                origin: format!("{scheme}://{}", host.to_ascii_lowercase()),
                https,
                privacy: Arc::new(privacy),
            };
            req.extensions_mut().insert(site);
            next.run(req).await
        }
        Ok(None) => no_portal(&app, &req),
        Err(err) => {
            tracing::error!(error = %err, "portal lookup failed");
            crate::error::bare_internal_error().into_response()
        }
    }
}
