//! Content pages (`/pages/<slug>/`): text written by the portal's editors, optionally with a
//! video shown through the portal's `video` integration — as a placeholder until the visitor
//! allows it (TP-3, TP-4). Bodies are plain text, so no third-party markup can slip in (TP-6).

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
    let body = content.body.get(ctx.lang);
    let paragraphs: Vec<&str> = body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    let video = content.video_url.as_deref().and_then(|url| video_values(&ctx, url));
    let page = ctx
        .page("page.html")
        .with("content", json!({"title": content.title.get(ctx.lang), "paragraphs": paragraphs}))
        .with("video", video);
    ctx.render(page)
}

/// The video, if the portal's video integration serves its origin: the player when granted, else
/// what the placeholder needs. A video from any other origin is not shown at all.
fn video_values(ctx: &Ctx, url: &str) -> Option<Value> {
    let integration = ctx.site.privacy.integration("video")?;
    let origin = &integration.config.origin;
    if !url.starts_with(&format!("{origin}/")) {
        return None;
    }
    let keep: Vec<&str> = ctx.consent.granted.iter().copied().filter(|k| *k != "video").collect();
    Some(json!({
        "key": "video",
        "granted": ctx.consent.grants("video"),
        "url": url,
        "vendor": integration.config.vendor,
        "title": integration.kind.title.get(ctx.lang),
        "description": integration.kind.description.get(ctx.lang),
        "keep": keep,
        "next": ctx.path_and_query,
    }))
}
