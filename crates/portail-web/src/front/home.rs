use crate::context::Ctx;
use axum::response::Response;

pub async fn page(ctx: Ctx) -> Response {
    let page = ctx.page("home.html");
    ctx.render(page)
}
