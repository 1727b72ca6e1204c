//! CSRF protection, Django style: a `csrftoken` cookie holding a 32-character secret, and forms
//! carrying a freshly masked 64-character copy of it (`csrfmiddlewaretoken`), or scripts sending
//! it in `X-CSRFToken`. Masking (Django ≥ 4.1) keeps the token different on every render, which
//! defeats BREACH-style compression attacks on the secret.

use crate::app::AppState;
use crate::context::Ctx;
use crate::privacy::registry;
use crate::tenant::Site;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use portail_core::Code;
use rand::Rng;
use subtle::ConstantTimeEq;

const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const SECRET_LEN: usize = 32;
pub const FORM_FIELD: &str = "csrfmiddlewaretoken";
pub const HEADER: &str = "x-csrftoken";

fn random_chars(n: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..n).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

fn index(c: u8) -> Option<usize> {
    CHARS.iter().position(|&x| x == c)
}

pub fn new_secret() -> String {
    random_chars(SECRET_LEN)
}

/// A secret as stored in the cookie must be exactly 32 characters of the alphabet.
pub fn is_well_formed_secret(s: &str) -> bool {
    s.len() == SECRET_LEN && s.bytes().all(|b| index(b).is_some())
}

/// A 64-character token: a random mask followed by the secret shifted by the mask.
pub fn mask(secret: &str) -> String {
    let mask = random_chars(SECRET_LEN);
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| {
            let (s, m) = (index(s).unwrap_or(0), index(m).unwrap_or(0));
            CHARS[(s + m) % CHARS.len()] as char
        })
        .collect();
    mask + &cipher
}

fn unmask(token: &str) -> Option<String> {
    let (mask, cipher) = token.as_bytes().split_at(SECRET_LEN);
    mask.iter()
        .zip(cipher)
        .map(|(&m, &c)| {
            let (m, c) = (index(m)?, index(c)?);
            Some(CHARS[(c + CHARS.len() - m) % CHARS.len()] as char)
        })
        .collect()
}

/// Whether a submitted token (32 characters unmasked, or 64 masked) matches the cookie secret.
/// The comparison runs in constant time.
pub fn token_matches(token: &str, secret: &str) -> bool {
    if !is_well_formed_secret(secret) || !token.is_ascii() {
        return false;
    }
    let candidate = match token.len() {
        SECRET_LEN => token.to_owned(),
        64 => match unmask(token) {
            Some(s) => s,
            None => return false,
        },
        _ => return false,
    };
    candidate.as_bytes().ct_eq(secret.as_bytes()).into()
}

pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Why a request failed the origin rules.
#[derive(Debug, PartialEq, Eq)]
pub enum OriginFailure {
    /// `Origin` is present and is not the portal's.
    ForeignOrigin,
    /// The browser says the request is cross-site.
    CrossSite,
    /// HTTPS without `Origin`: `Referer` is missing or not this host over https.
    BadReferer,
}

/// The origin half of CK-13 (a)/(b), plus `Sec-Fetch-Site` (CK-9). `portal_origin` is
/// `scheme://host[:port]` as the request addressed it.
pub fn check_origin(headers: &HeaderMap, portal_origin: &str, https: bool) -> Result<(), OriginFailure> {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(OriginFailure::CrossSite);
    }
    match headers.get("origin").map(|v| v.to_str().unwrap_or("")) {
        Some(origin) if !origin.eq_ignore_ascii_case(portal_origin) => Err(OriginFailure::ForeignOrigin),
        Some(_) => Ok(()),
        None if https => {
            let referer = headers.get("referer").and_then(|v| v.to_str().ok()).unwrap_or("");
            let prefix = format!("{portal_origin}/");
            if referer.len() >= prefix.len() && referer[..prefix.len()].eq_ignore_ascii_case(&prefix) {
                Ok(())
            } else {
                Err(OriginFailure::BadReferer)
            }
        }
        None => Ok(()),
    }
}

/// Routes outside the token check: they only change preferences kept in the visitor's own
/// browser and are protected by the origin rule alone (CK-9, CK-17).
pub const ORIGIN_ONLY_ROUTES: &[&str] = &["/i18n/setlang/", "/consent/"];

/// The v1 Search API takes form-encoded POSTs from widgets on other sites. They only read, and
/// their handlers answer a POST as anonymous (no session), so they need no token.
pub const READ_ONLY_POST_PREFIXES: &[&str] = &["/api/records/1.0/", "/api/datasets/1.0/"];

/// Routes whose multipart body carries the token as its first field; the handler checks it
/// (streaming the body here would mean buffering whole uploads).
pub const MULTIPART_ROUTES: &[&str] = &["/backoffice/datasets/upload/", "/backoffice/datasets/attachments/"];

/// The cookie secret a multipart handler must match its first field against.
#[derive(Clone)]
pub struct PendingCsrf(pub String);

/// Whether a multipart form's first field is the token matching the cookie's secret (read
/// before any file byte is stored).
pub async fn multipart_token_ok(form: &mut axum::extract::Multipart, pending: &PendingCsrf) -> bool {
    match form.next_field().await {
        Ok(Some(field)) if field.name() == Some(FORM_FIELD) => {
            field.text().await.is_ok_and(|t| token_matches(t.trim(), &pending.0))
        }
        _ => false,
    }
}

/// Largest form body read for the token check.
const FORM_LIMIT: usize = 1 << 20;

/// Refuses unsafe requests that fail CK-13: wrong origin, or no token matching the `csrftoken`
/// cookie. Requests authenticated only by an API key are exempt from the token (CK-15).
pub async fn protect(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !is_unsafe(req.method()) || ORIGIN_ONLY_ROUTES.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    if req.method() == axum::http::Method::POST
        && READ_ONLY_POST_PREFIXES.iter().any(|p| req.uri().path().starts_with(p))
    {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let refuse = |parts: &axum::http::request::Parts, key: &str| {
        // API callers get the API's error body, not a page.
        if parts.uri.path().starts_with("/api/") {
            let message = "This request changes state and needs the page's CSRF token (or an API key).";
            return axum::response::IntoResponse::into_response(crate::api::ApiError::new(Code::CsrfFailure, message));
        }
        match Ctx::from_parts(&app, parts) {
            Some(ctx) => ctx.error(Code::CsrfFailure, key),
            None => crate::error::bare_internal_error(),
        }
    };
    let Some(site) = parts.extensions.get::<Site>().cloned() else {
        return crate::error::bare_internal_error();
    };
    if check_origin(&parts.headers, &site.origin, site.https).is_err() {
        return refuse(&parts, "error-403-origin");
    }
    let api_key_only = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("apikey "))
        && registry::read(&parts.headers, &registry::SESSION).is_none();
    if api_key_only {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Some(secret) =
        registry::read(&parts.headers, &registry::CSRF).filter(|s| is_well_formed_secret(s)).map(str::to_owned)
    else {
        return refuse(&parts, "error-403-csrf");
    };
    let is_multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        if !MULTIPART_ROUTES.contains(&parts.uri.path()) {
            return refuse(&parts, "error-403-csrf");
        }
        let mut req = Request::from_parts(parts, body);
        req.extensions_mut().insert(PendingCsrf(secret));
        return next.run(req).await;
    }
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => return refuse(&parts, "error-403-csrf"),
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let token = is_form
        .then(|| crate::context::form_value(&bytes, FORM_FIELD))
        .flatten()
        .or_else(|| parts.headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned));
    if !token.is_some_and(|t| token_matches(&t, &secret)) {
        return refuse(&parts, "error-403-csrf");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tokens_differ_on_every_render_and_all_validate() {
        // spec: CK-12
        let secret = new_secret();
        assert!(is_well_formed_secret(&secret));
        let (a, b) = (mask(&secret), mask(&secret));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(token_matches(&a, &secret) && token_matches(&b, &secret));
        assert!(token_matches(&secret, &secret), "the unmasked secret is accepted too (X-CSRFToken)");
    }

    #[test]
    fn wrong_or_malformed_tokens_are_refused() {
        let secret = new_secret();
        let other = new_secret();
        assert!(!token_matches(&mask(&other), &secret));
        assert!(!token_matches(&other, &secret));
        assert!(!token_matches("", &secret));
        assert!(!token_matches(&"!".repeat(64), &secret));
        assert!(!token_matches(&"é".repeat(32), &secret));
        assert!(!token_matches(&mask(&secret), "short"));
    }

    #[test]
    fn django_masking_is_reproduced() {
        // Django: mask "a"*32 (index 0) leaves the secret unchanged; mask "b"*32 shifts by one.
        let secret = "abcdefghijklmnopqrstuvwxyzABCDEF";
        assert!(token_matches(&format!("{}{}", "a".repeat(32), secret), secret));
        assert!(token_matches(&format!("{}{}", "b".repeat(32), "bcdefghijklmnopqrstuvwxyzABCDEFG"), secret));
    }

    #[test]
    fn origin_rules() {
        let mut h = HeaderMap::new();
        assert_eq!(check_origin(&h, "http://a.localhost:8080", false), Ok(()));
        assert_eq!(check_origin(&h, "https://a.example", true), Err(OriginFailure::BadReferer));
        h.insert("referer", "https://a.example/login/".parse().unwrap());
        assert_eq!(check_origin(&h, "https://a.example", true), Ok(()));
        h.insert("referer", "https://a.example.evil.org/".parse().unwrap());
        assert_eq!(check_origin(&h, "https://a.example", true), Err(OriginFailure::BadReferer));
        h.insert("origin", "http://b.localhost:8080".parse().unwrap());
        assert_eq!(check_origin(&h, "http://a.localhost:8080", false), Err(OriginFailure::ForeignOrigin));
        h.insert("origin", "http://a.localhost:8080".parse().unwrap());
        assert_eq!(check_origin(&h, "http://a.localhost:8080", false), Ok(()));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(check_origin(&h, "http://a.localhost:8080", false), Err(OriginFailure::CrossSite));
    }
}
