//! Content pages (`/pages/<slug>/`): HTML written by the portal's editors in the back office,
//! sanitized on save and again here (TP-6); embedded videos appear as placeholders until the
//! visitor allows the integration, then as the player (TP-3, TP-4).

use crate::content::{self, Part};
use crate::context::Ctx;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{json, Value};

pub async fn page(ctx: Ctx, Path(slug): Path<String>) -> Response {
    let content = match ctx.app.store.page(ctx.site.portal.id, &slug).await {
        Ok(Some(content)) => content,
        Ok(None) => return ctx.not_found(),
        Err(err) => {
            tracing::error!(error = %err, "content page lookup failed");
            return ctx.error(portail_core::Code::Internal, "error-500-body");
        }
    };
    let embeddable = ctx.site.privacy.embeddable();
    let parts: Vec<Value> = content::parts(content.body.get(ctx.lang), &embeddable, own_host(&ctx))
        .into_iter()
        .filter_map(|part| match part {
            Part::Html(html) => Some(json!({"html": html})),
            Part::Embed { key, url } => consent_gated(&ctx, &key, &url).map(|embed| json!({"embed": embed})),
        })
        .collect();
    let page = ctx.page("page.html").with("content", json!({"title": content.title.get(ctx.lang), "parts": parts}));
    ctx.render(page)
}

/// `host[:port]` the visitor reached the portal on: URLs there are not third-party.
pub fn own_host(ctx: &Ctx) -> &str {
    ctx.site.origin.split_once("://").map_or(ctx.site.origin.as_str(), |(_, host)| host)
}

/// Content through an enabled integration: whether it is granted (then the caller renders it),
/// and what the placeholder needs otherwise (TP-3), `url` being the plain link to the vendor.
pub fn consent_gated(ctx: &Ctx, key: &str, url: &str) -> Option<Value> {
    let integration = ctx.site.privacy.integration(key)?;
    let keep: Vec<&str> = ctx.consent.granted.iter().copied().filter(|k| *k != key).collect();
    Some(json!({
        "key": integration.key(),
        "granted": ctx.consent.grants(key),
        "url": url,
        "vendor": integration.config.vendor,
        "title": integration.kind.title.get(ctx.lang),
        "description": integration.kind.description.get(ctx.lang),
        "keep": keep,
        "next": ctx.path_and_query,
    }))
}
