//! `POST /i18n/setlang/` (Django's `set_language`): the only way `django_language` is set.

use crate::context::see_other;
use crate::context::Ctx;
use crate::context::{form_value, safe_next};
use crate::csrf::check_origin;
use crate::privacy::registry::LANGUAGE;
use crate::tenant::Site;
use axum::body::Bytes;
use axum::http::header;
use axum::response::Response;
use portail_core::{Code, Lang};

pub async fn set_language(ctx: Ctx, body: Bytes) -> Response {
    // CK-9: no token needed, but a cross-site request is refused. The Referer rule of CK-13 (b)
    // does not apply here, hence `https = false`.
    if check_origin(&ctx.headers, &ctx.site.origin, false).is_err() {
        return ctx.error(Code::CsrfFailure, "error-403-origin");
    }
    let next = safe_next(form_value(&body, "next").as_deref());
    let mut response = see_other(&next);
    let site: &Site = &ctx.site;
    // An unknown or unoffered code is ignored: no cookie, never echoed (CK-10).
    if let Some(lang) =
        form_value(&body, "language").and_then(|v| v.parse::<Lang>().ok()).filter(|l| site.portal.offers(*l))
    {
        response.headers_mut().append(header::SET_COOKIE, LANGUAGE.set(lang.code(), site.https));
    }
    response
}
