//! `/backoffice/`: the portal's settings. Every role on the portal may read them; only an admin
//! may change the title and description (both languages).

use crate::context::{form_value, query_value, see_other, Ctx};
use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portail_core::{Code, Localized, Portal};
use serde::Serialize;
use serde_json::json;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;

#[derive(Serialize)]
struct FieldError {
    key: &'static str,
    name: String,
    max: usize,
}

/// Where anonymous visitors are sent: the sign-in page, back here afterwards.
fn sign_in_first() -> Response {
    see_other("/login/?next=/backoffice/")
}

fn settings_view(portal: &Portal, title: &Localized, description: &Localized) -> serde_json::Value {
    json!({
        "langs": portal.langs.iter().map(|l| l.code()).collect::<Vec<_>>(),
        "default_lang": portal.default_lang.code(),
        "title_en": title.en, "title_fr": title.fr,
        "description_en": description.en, "description_fr": description.fr,
    })
}

pub async fn page(ctx: Ctx, uri: Uri) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first();
    }
    let portal = &ctx.site.portal;
    let page = ctx
        .page("backoffice.html")
        .with("settings", settings_view(portal, &portal.title, &portal.description))
        .with("saved", query_value(uri.query(), "saved").is_some())
        .with("errors", Vec::<FieldError>::new());
    ctx.render(page)
}

fn validate(ctx: &Ctx, title: &Localized, description: &Localized) -> Vec<FieldError> {
    let mut errors = vec![];
    if title.en.trim().is_empty() && title.fr.trim().is_empty() {
        errors.push(FieldError { key: "back-error-title-empty", name: String::new(), max: 0 });
    }
    let fields = [
        ("back-field-title-en", &title.en, MAX_TITLE_CHARS),
        ("back-field-title-fr", &title.fr, MAX_TITLE_CHARS),
        ("back-field-description-en", &description.en, MAX_DESCRIPTION_CHARS),
        ("back-field-description-fr", &description.fr, MAX_DESCRIPTION_CHARS),
    ];
    for (label, value, max) in fields {
        if value.chars().count() > max {
            errors.push(FieldError { key: "back-error-too-long", name: ctx.t(label), max });
        }
    }
    errors
}

pub async fn save(ctx: Ctx, body: Bytes) -> Response {
    let Some(user) = ctx.identity.as_ref() else {
        return sign_in_first();
    };
    if !user.role.can_edit_portal() {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let field = |name: &str| form_value(&body, name).unwrap_or_default().trim().replace("\r\n", "\n");
    let title = Localized::new(field("title_en"), field("title_fr"));
    let description = Localized::new(field("description_en"), field("description_fr"));
    let errors = validate(&ctx, &title, &description);
    if !errors.is_empty() {
        let page = ctx
            .page("backoffice.html")
            .status(StatusCode::BAD_REQUEST)
            .with("settings", settings_view(&ctx.site.portal, &title, &description))
            .with("saved", false)
            .with("errors", errors);
        return ctx.render(page);
    }
    if let Err(err) = ctx.app.store.update_portal_texts(ctx.site.portal.id, &title, &description).await {
        tracing::error!(error = %err, "saving portal texts failed");
        return ctx.error(Code::Internal, "error-500-body");
    }
    tracing::info!(portal = %ctx.site.portal.slug, user.id = user.user_id, "portal texts updated");
    see_other("/backoffice/?saved=1")
}
