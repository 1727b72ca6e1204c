//! Attaching files to datasets from `/backoffice/datasets/`: one multipart form (the token first,
//! then the dataset and the file), and a delete button per attachment. Editors and admins only.

use crate::api::attachments::{attachment_id, file_path};
use crate::context::{see_other, Ctx};
use crate::csrf::PendingCsrf;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use portail_core::media::mimetype;
use portail_core::Code;
use portail_store::AttachmentRecord;

/// Largest attachment: documentation and schemas, not data (data is imported as a dataset).
pub const MAX_ATTACHMENT_BYTES: usize = 50 << 20;

async fn refuse(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    super::datasets::render_with_error(ctx, status, key).await
}

pub async fn attach(ctx: Ctx, Extension(pending): Extension<PendingCsrf>, mut form: Multipart) -> Response {
    if let Err(answer) = super::datasets::editor_form(&ctx, &pending, &mut form).await {
        return answer;
    }
    let (mut dataset_id, mut file) = (None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return refuse(&ctx, StatusCode::BAD_REQUEST, "att-error-no-file").await,
        };
        match field.name().unwrap_or("") {
            "dataset_id" => dataset_id = field.text().await.ok().map(|t| t.trim().to_owned()),
            "file" => {
                let name = field.file_name().map(|n| n.rsplit(['/', '\\']).next().unwrap_or("").trim().to_owned());
                let mut field = field;
                let mut bytes = vec![];
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            bytes.extend_from_slice(&chunk);
                            if bytes.len() > MAX_ATTACHMENT_BYTES {
                                return refuse(&ctx, StatusCode::PAYLOAD_TOO_LARGE, "att-error-too-large").await;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return refuse(&ctx, StatusCode::BAD_REQUEST, "att-error-no-file").await,
                    }
                }
                let name: String = name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(200).collect();
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(name, bytes)| !name.is_empty() && !bytes.is_empty()) else {
        return refuse(&ctx, StatusCode::BAD_REQUEST, "att-error-no-file").await;
    };
    let portal_id = ctx.site.portal.id;
    let dataset = match ctx.app.store.dataset(portal_id, dataset_id.as_deref().unwrap_or("")).await {
        Ok(Some(d)) => d,
        Ok(None) => return ctx.not_found(),
        Err(e) => {
            tracing::error!(error = %e, "dataset lookup failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    let record = AttachmentRecord {
        attachment_id: attachment_id(&name),
        mimetype: mimetype(&name).to_owned(),
        size: bytes.len() as i64,
        created_at: ctx.app.now(),
        title: name,
    };
    // Written beside, then renamed: a reader never sees half a file.
    let path = file_path(&ctx.app, portal_id, &dataset.uid, &record.attachment_id);
    let partial = path.with_extension("partial");
    let written = async {
        tokio::fs::create_dir_all(path.parent().expect("attachments live in a directory")).await?;
        tokio::fs::write(&partial, &bytes).await?;
        tokio::fs::rename(&partial, &path).await
    };
    if let Err(e) = written.await {
        tracing::error!(error = %e, "cannot store an attachment");
        let _ = tokio::fs::remove_file(&partial).await;
        return ctx.error(Code::Internal, "error-500-body");
    }
    if let Err(e) = ctx.app.store.put_attachment(&dataset.uid, &record).await {
        tracing::error!(error = %e, "cannot record an attachment");
        return ctx.error(Code::Internal, "error-500-body");
    }
    see_other("/backoffice/datasets/")
}

pub async fn detach(ctx: Ctx, Path((dataset_id, attachment)): Path<(String, String)>) -> Response {
    if ctx.identity.is_none() {
        return see_other("/login/?next=/backoffice/datasets/");
    }
    if !super::datasets::can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let portal_id = ctx.site.portal.id;
    let dataset = match ctx.app.store.dataset(portal_id, &dataset_id).await {
        Ok(Some(d)) => d,
        Ok(None) => return ctx.not_found(),
        Err(e) => {
            tracing::error!(error = %e, "dataset lookup failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    match ctx.app.store.delete_attachment(&dataset.uid, &attachment).await {
        Ok(true) => {
            let _ = tokio::fs::remove_file(file_path(&ctx.app, portal_id, &dataset.uid, &attachment)).await;
            see_other("/backoffice/datasets/")
        }
        Ok(false) => ctx.not_found(),
        Err(e) => {
            tracing::error!(error = %e, "cannot delete an attachment");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}
