//! The cookie-policy page (`/terms/cookies-policy/`) and its JSON twin, both rendered from the
//! registry for the request's portal, in the visitor's language (POL-1…POL-5).

use super::registry::{CookieSpec, COOKIES, PREFERENCES};
use crate::context::Ctx;
use crate::i18n::I18n;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::time::iso_day;
use portail_core::Lang;
use portail_store::privacy::{UiVersion, VendorCookie};
use serde_json::{json, Value};

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

/// A cookie's lifetime as configured: `cookies_preferences` follows `consent_max_age_days`.
fn max_age(ctx: &Ctx, c: &CookieSpec) -> u32 {
    if c.name == PREFERENCES.name {
        (ctx.app.config.consent_max_age_s() as u32).min(c.max_age_s)
    } else {
        c.max_age_s
    }
}

fn row(ctx: &Ctx, c: &CookieSpec) -> Value {
    let lang = ctx.lang;
    let max_age_s = max_age(ctx, c);
    json!({
        "name": c.name,
        "provider": ctx.app.config.operator_name,
        "function": c.function.get(lang),
        "purpose": c.purpose.get(lang),
        "set_when": c.set_when.get(lang),
        "lifetime": lifetime(&ctx.app.i18n, lang, max_age_s),
        "max_age_s": max_age_s,
        "attributes": c.attributes(&ctx.t("attr-secure-on-https")),
    })
}

/// A vendor's declared cookies as the panel and the policy page list them.
pub fn vendor_cookie_rows(i18n: &I18n, lang: Lang, cookies: &[VendorCookie]) -> Vec<Value> {
    cookies
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "domain": c.domain,
                "max_age_s": c.max_age_s,
                "lifetime": lifetime(i18n, lang, u32::try_from(c.max_age_s).unwrap_or(u32::MAX)),
                "purpose": c.purpose.get(lang),
            })
        })
        .collect()
}

/// POL-4: one row per enabled integration, with the cookies it declares.
fn integration_rows(ctx: &Ctx) -> Vec<Value> {
    let lang = ctx.lang;
    ctx.site
        .privacy
        .integrations
        .iter()
        .map(|i| {
            let cookies = vendor_cookie_rows(&ctx.app.i18n, lang, &i.config.cookies);
            json!({
                "key": i.key(),
                "vendor": i.config.vendor,
                "title": i.kind.title.get(lang),
                "purpose": i.kind.description.get(lang),
                "origin": i.config.origin,
                "privacy_url": i.config.privacy_url,
                "cookies": cookies,
            })
        })
        .collect()
}

/// When the current banner/panel version was first used: archived on first sight (REC-4).
async fn ui_version_since(ctx: &Ctx) -> i64 {
    let ui = ctx.app.ui_versions.get(ctx.lang);
    let version = UiVersion {
        ui_version: ui.id.clone(),
        language: ctx.lang.code().to_owned(),
        content: ui.content.clone(),
        first_seen: ctx.app.now(),
    };
    ctx.app.store.archive_ui_version(&version).await.unwrap_or_else(|err| {
        tracing::warn!(error = %err, "archiving the consent UI version failed");
        ctx.app.now()
    })
}

/// POL-7: an admin's plain text as paragraphs (split on blank lines) of lines; the template
/// escapes them, so no markup of theirs reaches the page.
fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = vec![];
    let mut current = vec![];
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The admin's text in the page's language only: a text written for the other language is
/// not shown in its place.
fn own_text(text: &portail_core::Localized, lang: Lang) -> &str {
    match lang {
        Lang::En => &text.en,
        Lang::Fr => &text.fr,
    }
}

pub async fn page(ctx: Ctx) -> Response {
    let cookies: Vec<Value> = COOKIES.iter().map(|c| row(&ctx, c)).collect();
    let privacy = &ctx.site.privacy;
    let since = ui_version_since(&ctx).await;
    let page = ctx
        .page("policy.html")
        .with("cookies", cookies)
        .with("integrations", integration_rows(&ctx))
        .with("public_url", &ctx.site.origin)
        .with("days", ctx.app.config.consent_max_age_days)
        .with("retention_months", privacy.settings.audience_retention_months)
        .with("counts_countries", privacy.settings.audience_country && ctx.app.countries.is_some())
        .with("contact", &privacy.settings.privacy_contact)
        .with("consent_version", &privacy.consent_version)
        .with("ui_version", &ctx.app.ui_versions.get(ctx.lang).id)
        .with("ui_since", iso_day(since))
        .with("last_change", iso_day(privacy.settings.consent_changed_at))
        .with("text_before", paragraphs(own_text(&privacy.settings.policy_text.before, ctx.lang)))
        .with("text_after", paragraphs(own_text(&privacy.settings.policy_text.after, ctx.lang)));
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
                "max_age_s": max_age(&ctx, c),
                "first_party": c.first_party,
            })
        })
        .collect();
    let integrations: Vec<Value> = ctx
        .site
        .privacy
        .integrations
        .iter()
        .map(|i| {
            json!({
                "key": i.key(),
                "purpose": i.key(),
                "vendor": i.config.vendor,
                "title": i.kind.title,
                "description": i.kind.description,
                "privacy_url": i.config.privacy_url,
                "origins": [i.config.origin],
                "cookies": i.config.cookies,
            })
        })
        .collect();
    let body = json!({
        "portal": ctx.site.portal.slug,
        "public_url": ctx.site.origin,
        "cookies": cookies,
        "integrations": integrations,
        "consent_version": ctx.site.privacy.consent_version,
        "ui_version": {"en": ctx.app.ui_versions.get(Lang::En).id, "fr": ctx.app.ui_versions.get(Lang::Fr).id},
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn free_text_becomes_paragraphs_of_lines() {
        let text = "First line\r\nsecond line\n\n  \nNext paragraph  \n\n";
        assert_eq!(super::paragraphs(text), [vec!["First line", "second line"], vec!["Next paragraph"]]);
        assert!(super::paragraphs(" \n\n").is_empty());
    }

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
}
