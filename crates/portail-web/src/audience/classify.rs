//! Which counters a request adds to (AN-2), and which requests count not at all (AN-3).

use super::{local_day_hour, ua};
use crate::app::AppState;
use crate::privacy::consent::ConsentState;
use crate::tenant::Site;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use portail_store::privacy::Dimension;
use std::net::SocketAddr;

/// One counter to increment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub dimension: Dimension,
    pub key: String,
    pub zero_results: bool,
}

fn hit(dimension: Dimension, key: impl Into<String>) -> Hit {
    Hit { dimension, key: key.into(), zero_results: false }
}

/// Set by the catalog page on its response so that the search is counted with its outcome (AN-9).
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    pub term: String,
    pub results: usize,
}

/// Paths that are never counted (AN-3).
const NOT_COUNTED: [&str; 7] =
    ["/backoffice/", "/login/", "/logout/", "/consent/", "/i18n/", "/static/", "/.well-known/"];

/// API hits: calls per dataset and endpoint kind, exports per dataset and format.
fn api_hits(path: &str) -> Vec<Hit> {
    let mut segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // `/api/v2/…` is the old alias of `/api/explore/v2.0/…`.
    if segments.starts_with(&["api", "v2"]) {
        segments.insert(1, "explore");
    }
    match segments.as_slice() {
        ["api", "explore", _, "catalog", "datasets", id, "records", ..] => {
            vec![hit(Dimension::ApiCalls, format!("{id} records"))]
        }
        ["api", "explore", _, "catalog", "datasets", id, "facets"] => {
            vec![hit(Dimension::ApiCalls, format!("{id} facets"))]
        }
        ["api", "explore", _, "catalog", "datasets", id, "exports", format] => {
            vec![hit(Dimension::ApiCalls, format!("{id} exports")), hit(Dimension::Exports, format!("{id} {format}"))]
        }
        ["api", "explore", _, "catalog", ..] => vec![hit(Dimension::ApiCalls, "catalog")],
        ["api", "records", "1.0", kind] => vec![hit(Dimension::ApiCalls, format!("v1 {kind}"))],
        ["api", "datasets", "1.0", ..] => vec![hit(Dimension::ApiCalls, "v1 catalog")],
        _ => vec![],
    }
}

/// The host of an external referrer, never its path or query (AN-5).
fn referrer_host(headers: &HeaderMap, site: &Site) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = referer.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    let host = portail_core::portal::normalize_host(host);
    let own = portail_core::portal::normalize_host(site.origin.split_once("://").map_or("", |(_, h)| h));
    (!host.is_empty() && host != own).then_some(host)
}

fn client_address(app: &AppState, req: &Request) -> Option<String> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    crate::context::client_address(app.config.trusted_proxy, req.headers(), peer)
}

/// Middleware: answers the request, then counts it if it qualifies. Nothing about the request
/// is kept beyond the counters.
pub async fn count(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(site) = req.extensions().get::<Site>().cloned() else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    if req.method() != Method::GET || NOT_COUNTED.iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let now = app.now();
    // AN-3: signals, a valid objection (even for an outdated consent version) and robots.
    let consent = ConsentState::of(&site.privacy, &headers, now, app.config.consent_max_age_s());
    if consent.audience_objected || ua::is_bot(&user_agent) {
        return next.run(req).await;
    }
    let address = client_address(&app, &req);
    let response = next.run(req).await;
    if !response.status().is_success() {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut hits = vec![];
    if path.starts_with("/api/") {
        hits = api_hits(&path);
    } else if let Some(rest) = path.strip_prefix("/explore/embed/dataset/") {
        // AN-2: embed views per dataset with the embedding site's host.
        if is_html {
            let id = rest.split('/').next().unwrap_or("");
            let host = referrer_host(&headers, &site).unwrap_or_else(|| "-".into());
            hits.push(hit(Dimension::Embeds, format!("{id} {host}")));
        }
    } else if let Some(rest) = path.strip_prefix("/explore/dataset/") {
        let mut segments = rest.split('/');
        let id = segments.next().unwrap_or("");
        if path.contains("/download") {
            let format = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned())
                .unwrap_or_default();
            hits.push(hit(Dimension::Exports, format!("{id} {format}")));
        } else if is_html {
            // AN-2: dataset page views per dataset and tab.
            let tab = segments.next().filter(|t| !t.is_empty()).unwrap_or(crate::front::dataset::TABS[0]);
            hits.push(hit(Dimension::Datasets, format!("{id} {tab}")));
        }
    }
    if is_html {
        hits.push(hit(Dimension::Pageviews, path.clone()));
        hits.push(hit(Dimension::Browsers, ua::browser(&user_agent)));
        hits.push(hit(Dimension::Systems, ua::system(&user_agent)));
        hits.push(hit(Dimension::Devices, ua::device(&user_agent)));
        if let Some(lang) = response.headers().get(header::CONTENT_LANGUAGE).and_then(|v| v.to_str().ok()) {
            hits.push(hit(Dimension::Languages, lang.to_owned()));
        }
        if let Some(host) = referrer_host(&headers, &site) {
            hits.push(hit(Dimension::Referrers, host));
        }
        // AN-7: only where the portal asked for it and the platform has the offline database.
        if site.privacy.settings.audience_country {
            let ip = address.as_deref().and_then(|a| a.parse::<std::net::IpAddr>().ok());
            if let (Some(db), Some(ip)) = (&app.countries, ip) {
                if let Some(code) = db.country(ip) {
                    hits.push(hit(Dimension::Countries, code.to_owned()));
                }
            }
        }
        if let Some(search) = response.extensions().get::<SearchOutcome>() {
            let term: String = search.term.trim().to_lowercase().chars().take(100).collect();
            if !term.is_empty() {
                hits.push(Hit { dimension: Dimension::Searches, key: term, zero_results: search.results == 0 });
            }
        }
    }
    if hits.is_empty() {
        return response;
    }
    let zone = site.privacy.zone();
    let (day, hour) = local_day_hour(now, zone);
    // Unique visitors are counted on pages only: API clients are not visitors.
    let visitor = if is_html { address.as_deref().map(|a| (a, user_agent.as_str())) } else { None };
    app.audience.record(site.portal.id, zone, (&day, hour), &hits, visitor);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_map_to_dataset_and_kind() {
        // spec: AN-2
        let keys = |p: &str| api_hits(p).into_iter().map(|h| (h.dimension, h.key)).collect::<Vec<_>>();
        assert_eq!(
            keys("/api/explore/v2.1/catalog/datasets/trees/records"),
            [(Dimension::ApiCalls, "trees records".into())]
        );
        assert_eq!(
            keys("/api/explore/v2.1/catalog/datasets/trees/exports/csv"),
            [(Dimension::ApiCalls, "trees exports".into()), (Dimension::Exports, "trees csv".into())]
        );
        assert_eq!(keys("/api/explore/v2.1/catalog/datasets"), [(Dimension::ApiCalls, "catalog".into())]);
        assert!(keys("/api/explore/v2.1/").is_empty());
    }
}
