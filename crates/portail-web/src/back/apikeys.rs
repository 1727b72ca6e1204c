//! `/backoffice/apikeys/`: each user's API keys. A key lets scripts call the API as its owner
//! (restricted datasets included), or, when created for public data only, as an anonymous
//! caller; it is shown once, when created, and only its digest is kept.

use crate::context::{form_value, see_other, Ctx};
use crate::session::{digest, new_api_key};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use portail_core::time::iso_utc;
use portail_core::Code;
use portail_store::ApiKeyRecord;
use serde_json::{json, Value};

pub const MAX_NAME_CHARS: usize = 100;
/// Characters of a key kept in clear, so that its owner can tell keys apart.
const PREFIX_CHARS: usize = 6;

fn sign_in_first() -> Response {
    see_other("/login/?next=/backoffice/apikeys/")
}

/// The page, with the key just created (shown this once) or an error about the name.
async fn render(ctx: &Ctx, created: Option<(&str, &str)>, error: Option<&str>) -> Response {
    let Some(user) = &ctx.identity else { return sign_in_first() };
    let keys = match ctx.app.store.api_keys(ctx.site.portal.id, user.user_id).await {
        Ok(keys) => keys,
        Err(err) => {
            tracing::error!(error = %err, "api key listing failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "id": k.id,
                "name": k.name,
                "prefix": k.key_prefix,
                "created": iso_utc(k.created_at)[..10],
                "last_used": k.last_used_at.map(|t| iso_utc(t)[..10].to_owned()),
                "public_only": k.public_only,
            })
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = ctx
        .page("backoffice_apikeys.html")
        .with_form()
        .status(status)
        .with("keys", keys)
        .with("created", created.map(|(name, key)| json!({"name": name, "key": key})))
        .with("error", error)
        .with("max_name", MAX_NAME_CHARS);
    ctx.render(page)
}

pub async fn page(ctx: Ctx) -> Response {
    render(&ctx, None, None).await
}

pub async fn create(ctx: Ctx, body: Bytes) -> Response {
    let Some(user) = &ctx.identity else { return sign_in_first() };
    let name = form_value(&body, "name").unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return render(&ctx, None, Some("apikeys-error-name")).await;
    }
    let key = new_api_key();
    let record = ApiKeyRecord {
        id: 0,
        portal_id: ctx.site.portal.id,
        user_id: user.user_id,
        name: name.clone(),
        key_prefix: key[..PREFIX_CHARS].to_owned(),
        created_at: ctx.app.now(),
        last_used_at: None,
        public_only: form_value(&body, "scope").as_deref() == Some("public"),
    };
    if let Err(err) = ctx.app.store.create_api_key(&record, &digest(&key)).await {
        tracing::error!(error = %err, "api key creation failed");
        return ctx.error(Code::Internal, "error-500-body");
    }
    render(&ctx, Some((&name, &key)), None).await
}

pub async fn delete(ctx: Ctx, Path(id): Path<i64>) -> Response {
    let Some(user) = &ctx.identity else { return sign_in_first() };
    match ctx.app.store.delete_api_key(ctx.site.portal.id, user.user_id, id).await {
        Ok(true) => see_other("/backoffice/apikeys/"),
        // Another user's key, or none: as if it did not exist.
        Ok(false) => ctx.not_found(),
        Err(err) => {
            tracing::error!(error = %err, "api key deletion failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}
