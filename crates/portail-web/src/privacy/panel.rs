//! The consent panel (`GET /consent/`), the one endpoint that records a choice (`POST /consent/`,
//! used by the banner, the panel and placeholders) and `/.well-known/gpc.json`.

use super::consent::{new_record_id, Choice};
use super::policy::{lifetime, vendor_cookie_rows};
use super::registry::{self, COOKIES, PREFERENCES};
use crate::context::{form_value, query_value, safe_next, see_other, Ctx};
use crate::csrf::check_origin;
use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::Code;
use portail_store::privacy::{ConsentRecord, UiVersion};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// PAN-1, PAN-2: every cookie, the audience objection and each consent purpose, unchecked unless
/// a valid choice granted it.
pub async fn page(ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let i18n = &ctx.app.i18n;
    let necessary: Vec<Value> = COOKIES
        .iter()
        .map(|c| json!({"name": c.name, "purpose": c.purpose.get(lang), "lifetime": lifetime(i18n, lang, c.max_age_s)}))
        .collect();
    let purposes: Vec<Value> = ctx
        .site
        .privacy
        .integrations
        .iter()
        .map(|i| {
            let cookies = vendor_cookie_rows(i18n, lang, &i.config.cookies);
            json!({
                "key": i.key(),
                "title": i.kind.title.get(lang),
                "description": i.kind.description.get(lang),
                "vendor": i.config.vendor,
                "privacy_url": i.config.privacy_url,
                "cookies": cookies,
                "granted": ctx.consent.grants(i.key()),
            })
        })
        .collect();
    let next = safe_next(query_value(ctx.path_and_query.split_once('?').map(|(_, q)| q), "next").as_deref());
    let page = ctx
        .page("consent.html")
        .without_banner()
        .with("necessary", necessary)
        .with("purposes", purposes)
        .with("audience_objected", ctx.consent.audience_objected)
        .with("signal_applied", ctx.consent.signal && ctx.consent.stored.is_none())
        .with("days", ctx.app.config.consent_max_age_days)
        .with("return_to", next);
    ctx.render(page)
}

/// PAN-7: `choice` = accept_all | refuse_all | save, `purpose_<key>=on`, `audience`, `next`,
/// `source`. Records the choice (REC-1), sets `cookies_preferences` (CK-18) and deletes the
/// cookies of withdrawn vendors on the portal's host (PAN-5).
pub async fn submit(ctx: Ctx, body: Bytes) -> Response {
    // BAN-10 / CK-17: no token, but never from another site.
    if check_origin(&ctx.headers, &ctx.site.origin, false).is_err() {
        return ctx.error(Code::CsrfFailure, "error-403-origin");
    }
    let privacy = ctx.site.privacy.clone();
    let now = ctx.app.now();
    let field = |name: &str| form_value(&body, name);
    let granted_in_form = |key: &str| field(&format!("purpose_{key}")).as_deref() == Some("on");
    let purposes: BTreeMap<String, bool> = match field("choice").as_deref() {
        Some("accept_all") => privacy.integrations.iter().map(|i| (i.key().to_owned(), true)).collect(),
        Some("refuse_all") => privacy.integrations.iter().map(|i| (i.key().to_owned(), false)).collect(),
        Some("save") => privacy.integrations.iter().map(|i| (i.key().to_owned(), granted_in_form(i.key()))).collect(),
        _ => return ctx.error(Code::InvalidParameter, "error-400-consent-choice"),
    };
    // The earlier cookie, if genuine, even if outdated: the record links to it.
    let previous = registry::read(&ctx.headers, &PREFERENCES).and_then(|v| privacy.decode(v, now));
    let audience_objected = match field("audience").as_deref() {
        Some("allowed") => false,
        Some("objected") => true,
        None => previous.as_ref().is_some_and(|p| p.audience_objected),
        Some(_) => return ctx.error(Code::InvalidParameter, "error-400-consent-choice"),
    };
    let source = match field("source").as_deref() {
        Some(s @ ("banner" | "panel" | "placeholder")) => s.to_owned(),
        _ => "panel".to_owned(),
    };
    let ui = ctx.app.ui_versions.get(ctx.lang);
    let record = ConsentRecord {
        record_id: new_record_id(),
        portal_id: ctx.site.portal.id,
        decided_at: now,
        consent_version: privacy.consent_version.clone(),
        ui_version: ui.id.clone(),
        language: ctx.lang.code().to_owned(),
        source,
        purposes: purposes.iter().map(|(k, g)| (k.clone(), if *g { "granted" } else { "denied" }.to_owned())).collect(),
        audience: if audience_objected { "objected" } else { "allowed" }.to_owned(),
        signal_present: ctx.consent.signal,
        previous_record_id: previous.as_ref().map(|p| p.record_id.clone()),
    };
    let archived = UiVersion {
        ui_version: ui.id.clone(),
        language: record.language.clone(),
        content: ui.content.clone(),
        first_seen: now,
    };
    let stored = async {
        ctx.app.store.archive_ui_version(&archived).await?;
        ctx.app.store.add_consent_record(&record).await
    };
    if let Err(err) = stored.await {
        tracing::error!(error = %err, "consent record could not be stored");
        return ctx.error(Code::Internal, "error-500-body");
    }
    let choice = Choice {
        consent_version: privacy.consent_version.clone(),
        decided_at: now,
        purposes: purposes.clone(),
        audience_objected,
        record_id: record.record_id.clone(),
    };
    let value = privacy.encode(&choice);
    let secure = ctx.site.https;
    let mut cookies = vec![PREFERENCES.set_with_max_age(&value, ctx.app.config.consent_max_age_s() as u32, secure)];
    let host = portail_core::portal::normalize_host(ctx.site.origin.split_once("://").map_or("", |(_, h)| h));
    for integration in privacy.integrations.iter().filter(|i| ctx.consent.grants(i.key()) && !purposes[i.key()]) {
        for cookie in integration.config.cookies.iter().filter(|c| c.domain == host) {
            cookies.extend(registry::delete_vendor_cookie(&cookie.name, secure));
        }
    }
    let wants_json =
        ctx.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    let mut response = if wants_json {
        Json(json!({
            "consent_version": choice.consent_version,
            "purposes": purposes,
            "audience": record.audience,
            "record_id": record.record_id,
        }))
        .into_response()
    } else {
        see_other(&safe_next(field("next").as_deref()))
    };
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// SIG-4: portail honours Global Privacy Control on every portal.
pub async fn gpc_json(ctx: Ctx) -> Response {
    let changed = ctx.site.privacy.settings.consent_changed_at;
    let body = json!({"gpc": true, "lastUpdate": portail_core::time::iso_day(changed)});
    (StatusCode::OK, Json(body)).into_response()
}
