//! `/backoffice/pages/`: the portal's content pages (`/pages/<slug>/`), written in HTML by editors
//! and admins in both languages. Saving converts third-party embeds into placeholders of an
//! enabled integration or removes them, and says which (TP-6); viewers may only read the list.

use crate::back::datasets::can_edit;
use crate::content::{self, Change};
use crate::context::{form_value, see_other, Ctx};
use crate::front::pages::own_host;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use portail_core::time::iso_utc;
use portail_core::{Code, Lang, Localized};
use portail_store::privacy::ContentPage;
use serde_json::{json, Value};

pub const MAX_TITLE_CHARS: usize = 200;
const MAX_SLUG_CHARS: usize = 60;

fn sign_in_first(next: &str) -> Response {
    see_other(&format!("/login/?next={next}"))
}

fn internal(ctx: &Ctx, err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "content page store failed");
    ctx.error(Code::Internal, "error-500-body")
}

/// `[a-z0-9-]`, starting and ending with a letter or digit; `new` names the creation form.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_CHARS
        && slug != "new"
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

pub async fn list(ctx: Ctx) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first("/backoffice/pages/");
    }
    let pages = match ctx.app.store.pages(ctx.site.portal.id).await {
        Ok(pages) => pages,
        Err(err) => return internal(&ctx, err),
    };
    let pages: Vec<Value> = pages
        .iter()
        .map(|p| {
            json!({
                "slug": p.slug,
                "title": p.title.get(ctx.lang),
                "updated": (p.updated_at > 0).then(|| iso_utc(p.updated_at)[..10].to_owned()),
            })
        })
        .collect();
    let page = ctx.page("backoffice_pages.html").with_form().with("pages", pages).with("can_edit", can_edit(&ctx));
    ctx.render(page)
}

/// What the editor form shows: the page as stored, or as typed when it was refused.
struct Draft {
    slug: String,
    title: Localized,
    body: Localized,
    is_new: bool,
}

fn render_editor(ctx: &Ctx, draft: &Draft, changes: &[(Lang, Change)], error: Option<&str>, saved: bool) -> Response {
    let changes: Vec<Value> = changes
        .iter()
        .map(|(lang, c)| {
            json!({
                "lang": lang.code(),
                "tag": c.tag,
                "url": c.url,
                "origin": content::origin_of(&c.url),
                "integration": c.integration.as_deref().and_then(|k| ctx.site.privacy.integration(k))
                    .map(|i| i.kind.title.get(ctx.lang)),
            })
        })
        .collect();
    let embeddable: Vec<Value> = ctx
        .site
        .privacy
        .integrations
        .iter()
        .filter(|i| i.kind.embeddable)
        .map(|i| json!({"title": i.kind.title.get(ctx.lang), "origin": i.config.origin}))
        .collect();
    let page = ctx
        .page("backoffice_page_edit.html")
        .with_form()
        .status(if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK })
        .with(
            "draft",
            json!({
                "slug": draft.slug, "is_new": draft.is_new,
                "title_en": draft.title.en, "title_fr": draft.title.fr,
                "body_en": draft.body.en, "body_fr": draft.body.fr,
            }),
        )
        .with("changes", changes)
        .with("embeddable", embeddable)
        .with("error", error)
        .with("saved", saved)
        .with("max_title", MAX_TITLE_CHARS)
        .with("max_slug", MAX_SLUG_CHARS);
    ctx.render(page)
}

/// The editor checks every route but the list: signed in, and allowed to edit.
fn editor_guard(ctx: &Ctx, next: &str) -> Option<Response> {
    if ctx.identity.is_none() {
        return Some(sign_in_first(next));
    }
    (!can_edit(ctx)).then(|| ctx.error(Code::Forbidden, "error-403-forbidden"))
}

pub async fn new_form(ctx: Ctx) -> Response {
    if let Some(refused) = editor_guard(&ctx, "/backoffice/pages/new/") {
        return refused;
    }
    let draft = Draft { slug: String::new(), title: Localized::default(), body: Localized::default(), is_new: true };
    render_editor(&ctx, &draft, &[], None, false)
}

pub async fn edit_form(ctx: Ctx, Path(slug): Path<String>) -> Response {
    if let Some(refused) = editor_guard(&ctx, &format!("/backoffice/pages/{slug}/")) {
        return refused;
    }
    match ctx.app.store.page(ctx.site.portal.id, &slug).await {
        Ok(Some(p)) => {
            let draft = Draft { slug: p.slug, title: p.title, body: p.body, is_new: false };
            render_editor(&ctx, &draft, &[], None, false)
        }
        Ok(None) => ctx.not_found(),
        Err(err) => internal(&ctx, err),
    }
}

pub async fn create(ctx: Ctx, body: Bytes) -> Response {
    if let Some(refused) = editor_guard(&ctx, "/backoffice/pages/new/") {
        return refused;
    }
    let slug = form_value(&body, "slug").unwrap_or_default().trim().to_ascii_lowercase();
    save(ctx, slug, &body, true).await
}

pub async fn update(ctx: Ctx, Path(slug): Path<String>, body: Bytes) -> Response {
    if let Some(refused) = editor_guard(&ctx, &format!("/backoffice/pages/{slug}/")) {
        return refused;
    }
    match ctx.app.store.page(ctx.site.portal.id, &slug).await {
        Ok(Some(_)) => save(ctx, slug, &body, false).await,
        Ok(None) => ctx.not_found(),
        Err(err) => internal(&ctx, err),
    }
}

async fn save(ctx: Ctx, slug: String, form: &[u8], is_new: bool) -> Response {
    let field = |name: &str| form_value(form, name).unwrap_or_default().replace("\r\n", "\n");
    let title = Localized::new(field("title_en").trim(), field("title_fr").trim());
    let typed = Localized::new(field("body_en"), field("body_fr"));
    let draft = Draft { slug: slug.clone(), title: title.clone(), body: typed.clone(), is_new };
    let error = if !valid_slug(&slug) {
        Some("pages-error-slug")
    } else if title.en.is_empty() && title.fr.is_empty()
        || title.en.chars().count() > MAX_TITLE_CHARS
        || title.fr.chars().count() > MAX_TITLE_CHARS
    {
        Some("pages-error-title")
    } else if typed.en.len() > content::MAX_BODY_BYTES || typed.fr.len() > content::MAX_BODY_BYTES {
        Some("pages-error-body")
    } else {
        None
    };
    if let Some(error) = error {
        return render_editor(&ctx, &draft, &[], Some(error), false);
    }
    if is_new {
        match ctx.app.store.page(ctx.site.portal.id, &slug).await {
            Ok(Some(_)) => return render_editor(&ctx, &draft, &[], Some("pages-error-taken"), false),
            Ok(None) => {}
            Err(err) => return internal(&ctx, err),
        }
    }
    let embeddable = ctx.site.privacy.embeddable();
    let host = own_host(&ctx);
    let (en, en_changes) = content::prepare(&typed.en, &embeddable, host);
    let (fr, fr_changes) = content::prepare(&typed.fr, &embeddable, host);
    let page = ContentPage { slug, title, body: Localized::new(en, fr), updated_at: ctx.app.now() };
    if let Err(err) = ctx.app.store.put_page(ctx.site.portal.id, &page).await {
        return internal(&ctx, err);
    }
    let changes: Vec<(Lang, Change)> =
        en_changes.into_iter().map(|c| (Lang::En, c)).chain(fr_changes.into_iter().map(|c| (Lang::Fr, c))).collect();
    let draft = Draft { slug: page.slug, title: page.title, body: page.body, is_new: false };
    render_editor(&ctx, &draft, &changes, None, true)
}

pub async fn delete(ctx: Ctx, Path(slug): Path<String>) -> Response {
    if let Some(refused) = editor_guard(&ctx, "/backoffice/pages/") {
        return refused;
    }
    match ctx.app.store.delete_page(ctx.site.portal.id, &slug).await {
        Ok(true) => see_other("/backoffice/pages/"),
        Ok(false) => ctx.not_found(),
        Err(err) => internal(&ctx, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_with_inner_hyphens() {
        for ok in ["a", "about", "open-data-2024", "9"] {
            assert!(valid_slug(ok), "{ok}");
        }
        for bad in ["", "new", "-a", "a-", "About", "a b", "a/b", "é", &"a".repeat(61)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
