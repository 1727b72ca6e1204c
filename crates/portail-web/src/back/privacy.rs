//! `/backoffice/privacy/`: the portal's third-party integrations (REG-3), "ask visitors again"
//! (ASK-2), the privacy contact and audience retention (section 13), the admin's own text around
//! the cookie policy (POL-7), and the download of choice records with the UI versions they name
//! (REC-5). Admins change; other roles read.

use crate::context::{form_value, query_value, see_other, Ctx};
use crate::privacy::integrations::{self, validate_origin, KINDS};
use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::time::days_from_civil;
use portail_core::{Code, Localized};
use portail_store::privacy::{IntegrationConfig, PolicyText, VendorCookie};
use serde_json::json;

fn sign_in_first() -> Response {
    see_other("/login/?next=/backoffice/privacy/")
}

/// One declared vendor cookie per line: `name | domain | max-age seconds | purpose EN | purpose FR`.
pub fn parse_cookies(text: &str) -> Result<Vec<VendorCookie>, String> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [name, domain, max_age, en, fr] = fields.as_slice() else {
            return Err(format!("line {}: expected 5 fields separated by |, found {}", i + 1, fields.len()));
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) {
            return Err(format!("line {}: `{name}` is not a cookie name", i + 1));
        }
        let max_age_s =
            max_age.parse::<i64>().map_err(|_| format!("line {}: `{max_age}` is not a number of seconds", i + 1))?;
        out.push(VendorCookie {
            name: (*name).to_owned(),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            max_age_s,
            purpose: Localized::new(*en, *fr),
        });
    }
    Ok(out)
}

/// `/path[?query]`: absolute on the vendor's origin, without a host, quotes, angle brackets or
/// spaces (it lands in a `src` attribute).
pub fn valid_script_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 300
        && path.chars().all(|c| c.is_ascii_graphic() && !"\"'<>\\`".contains(c))
}

fn cookies_text(cookies: &[VendorCookie]) -> String {
    cookies
        .iter()
        .map(|c| format!("{} | {} | {} | {} | {}", c.name, c.domain, c.max_age_s, c.purpose.en, c.purpose.fr))
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn page(ctx: Ctx, uri: Uri) -> Response {
    render(ctx, uri.query().and_then(|q| query_value(Some(q), "saved")).is_some(), None, StatusCode::OK)
}

fn render(ctx: Ctx, saved: bool, error: Option<String>, status: StatusCode) -> Response {
    let Some(user) = ctx.identity.as_ref() else {
        return sign_in_first();
    };
    let privacy = &ctx.site.privacy;
    let kinds: Vec<_> = KINDS
        .iter()
        .map(|k| {
            let enabled = privacy.settings.integrations.iter().find(|i| i.kind == k.key);
            json!({
                "key": k.key,
                "title": k.title.get(ctx.lang),
                "description": k.description.get(ctx.lang),
                "enabled": enabled.is_some(),
                "vendor": enabled.map(|i| i.vendor.clone()).unwrap_or_default(),
                "origin": enabled.map(|i| i.origin.clone()).unwrap_or_default(),
                "privacy_url": enabled.map(|i| i.privacy_url.clone()).unwrap_or_default(),
                "cookies": enabled.map(|i| cookies_text(&i.cookies)).unwrap_or_default(),
                "resource": enabled.map(|i| i.resource.clone()).unwrap_or_default(),
                "takes_script": k.key == integrations::EXTERNAL_ANALYTICS.key,
                "takes_tiles": k.key == integrations::MAP_TILES.key,
            })
        })
        .collect();
    let can_edit = user.role.can_edit_portal();
    let page = ctx
        .page("backoffice_privacy.html")
        .status(status)
        .with_form()
        .with("kinds", kinds)
        .with("can_edit", can_edit)
        .with("saved", saved)
        .with("error", error)
        .with("consent_version", &privacy.consent_version)
        .with("revision", privacy.settings.consent_revision)
        .with("contact", &privacy.settings.privacy_contact)
        .with("retention", privacy.settings.audience_retention_months)
        .with("time_zone", privacy.zone().name())
        .with("country_on", privacy.settings.audience_country)
        .with("country_db", ctx.app.countries.is_some())
        .with("default_zone", crate::audience::DEFAULT_ZONE.name())
        .with("policy_fields", policy_fields(&privacy.settings.policy_text));
    ctx.render(page)
}

/// Characters each free text of the policy page holds at most.
pub const POLICY_TEXT_MAX: usize = 4000;

/// The four free texts of the policy page: form field, label key and current value.
fn policy_fields(text: &PolicyText) -> Vec<serde_json::Value> {
    let fields = [
        ("policy_before_en", "bp-policy-before-en", &text.before.en),
        ("policy_before_fr", "bp-policy-before-fr", &text.before.fr),
        ("policy_after_en", "bp-policy-after-en", &text.after.en),
        ("policy_after_fr", "bp-policy-after-fr", &text.after.fr),
    ];
    fields.iter().map(|(name, label, value)| json!({"name": name, "label": label, "value": value})).collect()
}

fn admin_only(ctx: &Ctx) -> Option<Response> {
    match ctx.identity.as_ref() {
        None => Some(sign_in_first()),
        Some(u) if !u.role.can_edit_portal() => Some(ctx.error(Code::Forbidden, "error-403-forbidden")),
        Some(_) => None,
    }
}

pub async fn integration(ctx: Ctx, body: Bytes) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    let field = |name: &str| form_value(&body, name).unwrap_or_default().trim().to_owned();
    let Some(kind) = integrations::kind(&field("kind")) else {
        return render(ctx, false, Some("unknown integration".into()), StatusCode::BAD_REQUEST);
    };
    let (portal_id, now) = (ctx.site.portal.id, ctx.app.now());
    let result = if field("action") == "disable" {
        ctx.app.store.remove_integration(portal_id, kind.key, now).await.map_err(|e| e.to_string())
    } else {
        let origin = match validate_origin(&field("origin")) {
            Ok(o) => o,
            Err(msg) => return render(ctx, false, Some(format!("origin: {msg}")), StatusCode::BAD_REQUEST),
        };
        let privacy_url = field("privacy_url");
        if !(privacy_url.starts_with("https://") || privacy_url.starts_with("http://")) {
            let msg = "the vendor's privacy policy must be an http(s) address".to_owned();
            return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
        }
        let vendor = field("vendor");
        if vendor.is_empty() {
            return render(ctx, false, Some("the vendor's name is required".into()), StatusCode::BAD_REQUEST);
        }
        let cookies = match parse_cookies(&field("cookies")) {
            Ok(c) => c,
            Err(msg) => return render(ctx, false, Some(format!("cookies: {msg}")), StatusCode::BAD_REQUEST),
        };
        // What is loaded from the vendor's origin once granted (TP-4): the analytics script, or
        // the tiles' path template.
        let resource = field("resource");
        let resource = if kind.key == integrations::EXTERNAL_ANALYTICS.key {
            if !valid_script_path(&resource) {
                let msg = "the analytics script must be a path on the vendor's origin, such as /matomo.js".to_owned();
                return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
            }
            resource
        } else if kind.key == integrations::MAP_TILES.key {
            let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| resource.contains(p));
            if !(valid_script_path(&resource) && placeholders) {
                let msg =
                    "the tiles' address must be a path with {z}, {x} and {y}, such as /{z}/{x}/{y}.png".to_owned();
                return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
            }
            resource
        } else {
            String::new()
        };
        let config = IntegrationConfig {
            kind: kind.key.to_owned(),
            vendor,
            origin,
            privacy_url,
            cookies,
            enabled_at: now,
            resource,
        };
        ctx.app.store.put_integration(portal_id, &config, now).await.map_err(|e| e.to_string())
    };
    match result {
        Ok(()) => see_other("/backoffice/privacy/?saved=1"),
        Err(err) => {
            tracing::error!(error = %err, "saving an integration failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

pub async fn ask_again(ctx: Ctx) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    match ctx.app.store.bump_consent_revision(ctx.site.portal.id, ctx.app.now()).await {
        Ok(()) => see_other("/backoffice/privacy/?saved=1"),
        Err(err) => {
            tracing::error!(error = %err, "consent revision failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

pub async fn settings(ctx: Ctx, body: Bytes) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    let contact = form_value(&body, "privacy_contact").unwrap_or_default().trim().chars().take(300).collect::<String>();
    let months = form_value(&body, "audience_retention_months").and_then(|v| v.trim().parse::<i64>().ok());
    let Some(months) = months.filter(|m| (1..=25).contains(m)) else {
        let msg = "audience retention must be a whole number of months from 1 to 25".to_owned();
        return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
    };
    // Absent: unchanged; empty: the platform's default.
    let zone = form_value(&body, "time_zone").map(|z| z.trim().to_owned());
    if let Some(zone) = zone.as_deref().filter(|z| !z.is_empty() && crate::audience::parse_zone(z).is_none()) {
        let msg = format!("unknown time zone `{zone}`: give an IANA name such as Europe/Paris or Indian/Reunion");
        return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
    }
    // A checkbox: absent means off. Without the platform's database there is nothing to turn on.
    let country = form_value(&body, "audience_country").is_some() && ctx.app.countries.is_some();
    let id = ctx.site.portal.id;
    let saved = async {
        ctx.app.store.set_privacy_contact(id, &contact).await?;
        ctx.app.store.set_audience_country(id, country).await?;
        if let Some(zone) = &zone {
            ctx.app.store.set_time_zone(id, zone).await?;
        }
        ctx.app.store.set_audience_retention(id, months).await
    };
    match saved.await {
        Ok(()) => see_other("/backoffice/privacy/?saved=1"),
        Err(err) => {
            tracing::error!(error = %err, "privacy settings failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

/// POL-7: the admin's text before and after the generated policy, per language. Only these four
/// texts can be changed; the sections and tables are always rendered from the registry.
pub async fn policy_text(ctx: Ctx, body: Bytes) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    let mut values = vec![];
    for (name, label) in [
        ("policy_before_en", "bp-policy-before-en"),
        ("policy_before_fr", "bp-policy-before-fr"),
        ("policy_after_en", "bp-policy-after-en"),
        ("policy_after_fr", "bp-policy-after-fr"),
    ] {
        let value = form_value(&body, name).unwrap_or_default().replace("\r\n", "\n").trim().to_owned();
        if value.chars().count() > POLICY_TEXT_MAX {
            let args = [("name", ctx.t(label)), ("max", POLICY_TEXT_MAX.to_string())];
            let msg = ctx.app.i18n.text(ctx.lang, "back-error-too-long", &args);
            return render(ctx, false, Some(msg), StatusCode::BAD_REQUEST);
        }
        values.push(value);
    }
    let [before_en, before_fr, after_en, after_fr]: [String; 4] = values.try_into().expect("four fields");
    let text = PolicyText { before: Localized::new(before_en, before_fr), after: Localized::new(after_en, after_fr) };
    match ctx.app.store.set_policy_text(ctx.site.portal.id, &text).await {
        Ok(()) => see_other("/backoffice/privacy/?saved=1"),
        Err(err) => {
            tracing::error!(error = %err, "saving the policy text failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

/// `YYYY-MM-DD` → Unix seconds at 00:00 UTC.
fn parse_day(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(i64::from(days_from_civil(y, m, d)) * 86_400)
}

/// REC-5: records decided in `[from, to]` (days, UTC) and the UI versions they refer to.
pub async fn records(ctx: Ctx, uri: Uri) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    let now = ctx.app.now();
    let from = match query_value(uri.query(), "from") {
        Some(v) => parse_day(&v),
        None => Some(now - 30 * 86_400),
    };
    let to = match query_value(uri.query(), "to") {
        Some(v) => parse_day(&v).map(|t| t + 86_400),
        None => Some(now + 1),
    };
    let (Some(from), Some(to)) = (from, to) else {
        return ctx.error(Code::InvalidParameter, "error-400-date");
    };
    let store = &ctx.app.store;
    let records = match store.consent_records(ctx.site.portal.id, from, to).await {
        Ok(r) => r,
        Err(err) => {
            tracing::error!(error = %err, "reading consent records failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    let mut ids: Vec<String> = records.iter().map(|r| r.ui_version.clone()).collect();
    ids.sort();
    ids.dedup();
    let versions = store.ui_versions(&ids).await.unwrap_or_default();
    let body = json!({
        "portal": ctx.site.portal.slug,
        "from": portail_core::time::iso_utc(from),
        "to": portail_core::time::iso_utc(to),
        "records": records,
        "ui_versions": versions,
    });
    let mut response = Json(body).into_response();
    let name = format!("attachment; filename=\"consent-records-{}.json\"", ctx.site.portal.slug);
    if let Ok(v) = HeaderValue::from_str(&name) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_cookies_are_parsed_with_their_line_on_error() {
        let c = parse_cookies("vid | video.example | 3600 | Plays | Lecture\n\n").unwrap();
        assert_eq!((c[0].name.as_str(), c[0].domain.as_str(), c[0].max_age_s), ("vid", "video.example", 3600));
        assert_eq!(parse_cookies("a|b|c").unwrap_err(), "line 1: expected 5 fields separated by |, found 3");
        assert!(parse_cookies("ok|d|1|a|b\nbad name|d|1|a|b").unwrap_err().starts_with("line 2"));
    }
}
