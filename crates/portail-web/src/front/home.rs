use crate::api::catalog;
use crate::context::Ctx;
use crate::front::explore;
use axum::response::Response;
use serde_json::Value;

/// How many of the latest datasets the home page shows.
const LATEST: usize = 5;

pub async fn page(ctx: Ctx) -> Response {
    let latest: Vec<Value> = match catalog::visible(&ctx.app, &ctx.site, &ctx.identity).await {
        Ok(mut entries) => {
            entries.sort_by_key(|e| std::cmp::Reverse(e.dataset.modified_at));
            entries.iter().take(LATEST).map(|e| explore::summary(&ctx, e)).collect()
        }
        Err(err) => {
            // The home page still says what the portal is; the list is a bonus.
            tracing::error!(error = %err.message, "home page dataset list failed");
            vec![]
        }
    };
    let page = ctx.page("home.html").with("latest", latest);
    ctx.render(page)
}
