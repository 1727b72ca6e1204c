//! The cookie-policy page (`/terms/cookies-policy/`) and its JSON twin, both rendered from the
//! registry for the request's portal, in the visitor's language (POL-1…POL-5).

use super::registry::{CookieSpec, COOKIES};
use crate::context::Ctx;
use crate::i18n::I18n;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::Lang;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// ASK-2: first 8 hex of SHA-256 over the portal's consent purposes (sorted by key) and its
/// consent revision. Portals have no integration yet, so the purpose list is empty.
pub fn consent_version(purposes: &[&str], revision: u32) -> String {
    let mut sorted = purposes.to_vec();
    sorted.sort_unstable();
    let canonical = format!("purposes={};revision={revision}", sorted.join(","));
    hex::encode(Sha256::digest(canonical.as_bytes()))[..8].to_owned()
}

/// A `Max-Age` as the policy table shows it: "14 days", "1 year", "52 weeks (364 days)".
pub fn lifetime(i18n: &I18n, lang: Lang, max_age_s: u32) -> String {
    if !max_age_s.is_multiple_of(86_400) {
        return i18n.text(lang, "lifetime-seconds", &[("n", max_age_s.to_string())]);
    }
    let days = max_age_s / 86_400;
    if days.is_multiple_of(365) {
        i18n.text(lang, "lifetime-years", &[("n", (days / 365).to_string())])
    } else if days.is_multiple_of(7) && days > 60 {
        i18n.text(lang, "lifetime-weeks", &[("n", (days / 7).to_string()), ("days", days.to_string())])
    } else {
        i18n.text(lang, "lifetime-days", &[("n", days.to_string())])
    }
}

fn row(ctx: &Ctx, c: &CookieSpec) -> Value {
    let lang = ctx.lang;
    json!({
        "name": c.name,
        "provider": ctx.app.config.operator_name,
        "function": c.function.get(lang),
        "purpose": c.purpose.get(lang),
        "set_when": c.set_when.get(lang),
        "lifetime": lifetime(&ctx.app.i18n, lang, c.max_age_s),
        "max_age_s": c.max_age_s,
        "attributes": c.attributes(&ctx.t("attr-secure-on-https")),
    })
}

pub async fn page(ctx: Ctx) -> Response {
    let cookies: Vec<Value> = COOKIES.iter().map(|c| row(&ctx, c)).collect();
    let page = ctx
        .page("policy.html")
        .with("cookies", cookies)
        .with("public_url", &ctx.site.origin)
        .with("consent_version", consent_version(&[], 0));
    ctx.render(page)
}

/// POL-5: the same rows as JSON, in both languages, for audits and tools.
pub async fn registry_json(ctx: Ctx) -> Response {
    let cookies: Vec<Value> = COOKIES
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "provider": ctx.app.config.operator_name,
                "category": c.category,
                "function": c.function,
                "purpose": c.purpose,
                "set_when": c.set_when,
                "http_only": c.http_only,
                "same_site": c.same_site,
                "path": c.path,
                "secure_on_https": true,
                "max_age_s": c.max_age_s,
                "first_party": c.first_party,
            })
        })
        .collect();
    let body = json!({
        "portal": ctx.site.portal.slug,
        "public_url": ctx.site.origin,
        "cookies": cookies,
        "integrations": [],
        "consent_version": consent_version(&[], 0),
        "ui_version": Value::Null,
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_the_spec_shows_them() {
        // spec: POL-3
        let i18n = I18n::load().unwrap();
        let cases = [
            (1_209_600, "14 days", "14 jours"),
            (31_536_000, "1 year", "1 an"),
            (31_449_600, "52 weeks (364 days)", "52 semaines (364 jours)"),
            (15_552_000, "180 days", "180 jours"),
            (86_400, "1 day", "1 jour"),
        ];
        for (secs, en, fr) in cases {
            assert_eq!(lifetime(&i18n, Lang::En, secs), en);
            assert_eq!(lifetime(&i18n, Lang::Fr, secs), fr);
        }
    }

    #[test]
    fn consent_version_depends_on_purposes_and_revision_only() {
        let v = consent_version(&[], 0);
        assert_eq!(v.len(), 8);
        assert_eq!(consent_version(&["b", "a"], 0), consent_version(&["a", "b"], 0));
        assert_ne!(consent_version(&[], 1), v);
        assert_ne!(consent_version(&["video"], 0), v);
    }
}
