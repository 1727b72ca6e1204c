//! Restricting a dataset to the portal's signed-in users (editors and admins) and deleting it
//! with all its versions (admins, after a confirmation page).

use super::datasets::can_edit;
use crate::context::{form_value, see_other, Ctx};
use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use portail_catalog::CatalogError;
use portail_core::Code;

fn sign_in_first() -> Response {
    see_other("/login/?next=/backoffice/datasets/")
}

fn failed(ctx: &Ctx, e: CatalogError, what: &str) -> Response {
    match e {
        CatalogError::NotFound(_) => ctx.not_found(),
        CatalogError::Busy(_) => ctx.error(Code::InvalidParameter, "ds-error-busy"),
        e => {
            tracing::error!(error = %e, "{what} failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

/// `restricted=true|false`: who may see the dataset (only signed-in users of the portal, or all).
pub async fn restriction(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first();
    }
    if !can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let restricted = form_value(&body, "restricted").as_deref() == Some("true");
    let d = match ctx.app.catalog.dataset(ctx.site.portal.id, &dataset_id).await {
        Ok(d) => d,
        Err(e) => return failed(&ctx, e, "finding the dataset"),
    };
    match ctx.app.store.set_restricted(&d.uid, restricted, ctx.app.now()).await {
        Ok(()) => see_other("/backoffice/datasets/"),
        Err(e) => failed(&ctx, e.into(), "changing the restriction"),
    }
}

fn admin_only(ctx: &Ctx) -> Option<Response> {
    match ctx.identity.as_ref() {
        None => Some(sign_in_first()),
        Some(u) if !u.role.can_edit_portal() => Some(ctx.error(Code::Forbidden, "error-403-forbidden")),
        Some(_) => None,
    }
}

/// The confirmation page: what deleting removes, and the button that does it.
pub async fn confirm(ctx: Ctx, Path(dataset_id): Path<String>) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    let d = match ctx.app.catalog.dataset(ctx.site.portal.id, &dataset_id).await {
        Ok(d) => d,
        Err(e) => return failed(&ctx, e, "finding the dataset"),
    };
    let versions = ctx.app.store.versions(&d.uid).await.map(|v| v.len()).unwrap_or(0);
    let page = ctx
        .page("backoffice_dataset_delete.html")
        .with_form()
        .with("dataset_id", &d.dataset_id)
        .with("title", &d.title)
        .with("versions", versions);
    ctx.render(page)
}

pub async fn delete(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if let Some(refusal) = admin_only(&ctx) {
        return refusal;
    }
    // The form repeats the identifier, so that a stray request deletes nothing.
    if form_value(&body, "confirm").as_deref() != Some(dataset_id.as_str()) {
        return ctx.error(Code::InvalidParameter, "ds-error-confirm");
    }
    match ctx.app.catalog.delete(ctx.site.portal.id, &dataset_id).await {
        Ok(()) => {
            tracing::info!(portal = %ctx.site.portal.slug, dataset = %dataset_id, "dataset deleted");
            see_other("/backoffice/datasets/?deleted=1")
        }
        Err(e) => failed(&ctx, e, "deleting the dataset"),
    }
}
