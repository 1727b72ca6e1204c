//! Per-request context of an HTML page, and the one place pages are rendered, so that every page
//! gets the same language, headers and cookie rules.

use crate::app::AppState;
use crate::csrf;
use crate::locale::{self, query_param};
use crate::privacy::consent::ConsentState;
use crate::privacy::csp::{self, Framing};
use crate::privacy::integrations;
use crate::privacy::registry::{self, CSRF};
use crate::session::Identity;
use crate::tenant::Site;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portail_core::{Code, Lang};
use serde_json::{json, Map, Value};

pub struct Ctx {
    pub app: AppState,
    pub site: Site,
    pub identity: Option<Identity>,
    pub lang: Lang,
    pub headers: HeaderMap,
    /// Path and query of the request, for `next` fields.
    pub path_and_query: String,
    /// The visitor's consent as it applies to this request.
    pub consent: ConsentState,
}

impl Ctx {
    pub fn from_parts(app: &AppState, parts: &Parts) -> Option<Ctx> {
        let site = parts.extensions.get::<Site>()?.clone();
        let identity = parts.extensions.get::<Option<Identity>>().cloned().flatten();
        let lang = locale::negotiate(&site.portal, &parts.headers, parts.uri.query());
        let path_and_query = parts.uri.path_and_query().map_or("/".to_owned(), |pq| pq.as_str().to_owned());
        let consent = ConsentState::of(&site.privacy, &parts.headers, app.now(), app.config.consent_max_age_s());
        Some(Ctx { app: app.clone(), site, identity, lang, headers: parts.headers.clone(), path_and_query, consent })
    }

    pub fn page(&self, template: &'static str) -> Page {
        Page {
            template,
            status: StatusCode::OK,
            values: Map::new(),
            has_form: false,
            cookies: vec![],
            banner: true,
            embedded: false,
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.app.i18n.text(self.lang, key, &[])
    }

    /// The current request's valid CSRF secret, if its cookie holds one.
    pub fn csrf_secret(&self) -> Option<&str> {
        registry::read(&self.headers, &CSRF).filter(|s| csrf::is_well_formed_secret(s))
    }

    /// The translated error page for `code`, with `message_key` as its explanation.
    pub fn error(&self, code: Code, message_key: &str) -> Response {
        let title = match code.status() {
            404 => "error-404-title",
            403 => "error-403-title",
            429 => "error-429-title",
            400..=499 => "error-400-title",
            _ => "error-500-title",
        };
        let page = self
            .page("error.html")
            .status(StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .with("title_key", title)
            .with("message_key", message_key)
            .with("error_code", code.wire());
        self.render(page)
    }

    /// What the banner shows (BAN-5): the organisation, each purpose with its vendor, the lifetime
    /// of a choice, and where to come back to.
    fn banner_values(&self) -> Value {
        let purposes: Vec<Value> = self
            .site
            .privacy
            .integrations
            .iter()
            .map(|i| json!({"key": i.key(), "title": i.kind.title.get(self.lang), "vendor": i.config.vendor}))
            .collect();
        json!({
            "organisation": self.site.portal.name,
            "purposes": purposes,
            "days": self.app.config.consent_max_age_days,
            "next": self.path_and_query,
            "customise": format!("/consent/?{}", form_urlencoded::Serializer::new(String::new()).append_pair("next", &self.path_and_query).finish()),
        })
    }

    pub fn not_found(&self) -> Response {
        self.error(Code::NotFound, "error-404-body")
    }

    pub fn render(&self, page: Page) -> Response {
        let portal = &self.site.portal;
        let mut cookies = page.cookies;
        let mut values = page.values;
        // Forms posting under cookie auth need a token; anonymous pages without forms get none
        // and therefore set no cookie (CK-17). Embedded pages never set one (TP-7).
        if !page.embedded && (page.has_form || self.identity.is_some()) {
            let secret = match self.csrf_secret() {
                Some(s) => s.to_owned(),
                None => {
                    let s = csrf::new_secret();
                    cookies.push(CSRF.set(&s, self.site.https));
                    s
                }
            };
            values.insert("csrf_token".into(), json!(csrf::mask(&secret)));
        }
        let langs: Vec<Value> = portal
            .langs
            .iter()
            .map(|l| json!({"code": l.code(), "label": self.app.i18n.text(*l, &format!("lang-name-{}", l.code()), &[]), "current": *l == self.lang}))
            .collect();
        values.insert("lang".into(), json!(self.lang.code()));
        values.insert("langs".into(), json!(langs));
        values.insert(
            "portal".into(),
            json!({
                "slug": portal.slug,
                "name": portal.name,
                "title": portal.title.get(self.lang),
                "description": portal.description.get(self.lang),
                "paragraphs": portal.description.get(self.lang).split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
            }),
        );
        values.insert("next".into(), json!(switcher_next(&self.path_and_query)));
        // BAN-1: the banner, except on the panel itself and in the back office.
        let in_back_office = self.path_and_query.starts_with("/backoffice/");
        let show_banner =
            page.banner && !page.embedded && !in_back_office && self.consent.needs_banner(&self.site.privacy);
        if show_banner {
            values.insert("banner".into(), self.banner_values());
        }
        // TP-4: an external analytics script only once its purpose is granted; never in an embed,
        // nor in the back office (the portal's staff at work are not its audience).
        if let Some(analytics) = self.site.privacy.integration(integrations::EXTERNAL_ANALYTICS.key) {
            let measured = !page.embedded && !in_back_office;
            if measured && self.consent.grants(analytics.key()) && !analytics.config.resource.is_empty() {
                let src = format!("{}{}", analytics.config.origin, analytics.config.resource);
                values.insert("analytics_script".into(), json!(src));
            }
        }
        if let Some(user) = &self.identity {
            let role = self.app.i18n.text(self.lang, &format!("role-{}", user.role.as_str()), &[]);
            values.insert(
                "user".into(),
                json!({"email": user.email, "role": role, "is_admin": user.role.can_edit_portal()}),
            );
        }
        match self.app.templates.render(page.template, Value::Object(values)) {
            Ok(html) => {
                let mut response = (page.status, html).into_response();
                let headers = response.headers_mut();
                // Embedded pages render no third-party content, whatever the visitor allowed (TP-7).
                let csp = match page.embedded {
                    true => csp::policy(None, Framing::Anyone),
                    false => csp::policy(Some((&self.site.privacy, &self.consent)), Framing::SameOrigin),
                };
                html_headers(headers, self.lang, &csp);
                for cookie in cookies {
                    headers.append(header::SET_COOKIE, cookie);
                }
                response
            }
            Err(err) => {
                tracing::error!(template = page.template, error = %err, "template rendering failed");
                crate::error::bare_internal_error()
            }
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        Ctx::from_parts(app, parts).ok_or_else(crate::error::bare_internal_error)
    }
}

/// The client's address as text: the first `X-Forwarded-For` hop when a trusted proxy sits in
/// front, else the socket peer. (What a proxy forwards is not always an address.)
pub fn client_address(trusted_proxy: bool, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Option<String> {
    if trusted_proxy {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        if let Some(first) = forwarded.and_then(|v| v.split(',').next()) {
            return Some(first.trim().to_owned());
        }
    }
    peer.map(|p| p.ip().to_string())
}

/// The client's socket address, when the server was started with connect info.
pub struct PeerAddr(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(PeerAddr(info.map(|c| c.0)))
    }
}

/// The path a language switch returns to: the current one without its `lang` parameter, which
/// would otherwise override the choice just made.
fn switcher_next(path_and_query: &str) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    format!("{path}?{query}")
}

/// Only a same-origin relative path is an acceptable redirect target; anything else becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `303 See Other` to a path already checked by [`safe_next`] or built by the server.
pub fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

pub fn form_value(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

pub fn query_value(parts_query: Option<&str>, name: &str) -> Option<String> {
    query_param(parts_query, name).map(|v| v.into_owned())
}

/// Headers every HTML page carries: language, caching, referrer policy and the CSP (built by
/// [`crate::privacy::csp::policy`] from the visitor's choices).
pub fn html_headers(headers: &mut HeaderMap, lang: Lang, csp: &str) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(lang.code()) {
        headers.insert(header::CONTENT_LANGUAGE, v);
    }
    // SIG-5: the page depends on language, cookies and signals.
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie, Sec-GPC, DNT"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(v) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
}

/// A page to render: its template, status, extra values and cookies.
pub struct Page {
    template: &'static str,
    status: StatusCode,
    values: Map<String, Value>,
    has_form: bool,
    cookies: Vec<HeaderValue>,
    banner: bool,
    embedded: bool,
}

impl Page {
    pub fn with(mut self, key: &str, value: impl serde::Serialize) -> Self {
        self.values.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The consent panel never shows the banner above itself (BAN-1).
    pub fn without_banner(mut self) -> Self {
        self.banner = false;
        self
    }

    /// A page other sites may frame (TP-7): no banner, no cookie, `frame-ancestors *`.
    pub fn embedded(mut self) -> Self {
        self.embedded = true;
        self.cookies.clear();
        self
    }

    /// The page shows a form that posts under cookie auth: it needs a CSRF token.
    pub fn with_form(mut self) -> Self {
        self.has_form = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_same_origin_paths_are_redirect_targets() {
        assert_eq!(safe_next(Some("/backoffice/?a=1")), "/backoffice/?a=1");
        for bad in ["//evil.org/", "https://evil.org/", "/\\evil.org", "javascript:alert(1)", "", "/a\nb"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_switcher_drops_the_lang_parameter_only() {
        assert_eq!(switcher_next("/terms/cookies-policy/?lang=en"), "/terms/cookies-policy/");
        assert_eq!(switcher_next("/x?lang=en&q=v%C3%A9lo"), "/x?q=v%C3%A9lo");
        assert_eq!(switcher_next("/"), "/");
    }
}
