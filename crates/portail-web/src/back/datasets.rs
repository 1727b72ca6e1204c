//! `/backoffice/datasets/`: the portal's datasets, publishing, and uploads that become queued
//! import jobs (the worker of `portail serve` runs them).

use crate::context::{form_value, query_value, see_other, Ctx};
use crate::csrf::PendingCsrf;
use axum::body::Bytes;
use axum::extract::{Multipart, Path};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use portail_catalog::{dataset_id_from_file, validate_dataset_id, JobParams};
use portail_core::{Code, Role};
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// Largest file accepted by the upload form.
pub const MAX_UPLOAD_BYTES: u64 = 1 << 30;

/// The page with one error, for the attachment form.
pub(crate) async fn render_with_error(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let max = (super::attachments::MAX_ATTACHMENT_BYTES >> 20) as u64;
    render(ctx, status, None, vec![json!({"key": key, "max": max})]).await
}

pub(crate) fn can_edit(ctx: &Ctx) -> bool {
    ctx.identity.as_ref().is_some_and(|u| u.role >= Role::Editor)
}

/// What a multipart form of the datasets page checks before reading any file byte: a signed-in
/// user, the CSRF token as first field, an editor's role. `Err` holds the answer to give.
pub(crate) async fn editor_form(ctx: &Ctx, pending: &PendingCsrf, form: &mut Multipart) -> Result<(), Response> {
    if ctx.identity.is_none() {
        return Err(see_other("/login/?next=/backoffice/datasets/"));
    }
    if !crate::csrf::multipart_token_ok(form, pending).await {
        return Err(ctx.error(Code::CsrfFailure, "error-403-csrf"));
    }
    if !can_edit(ctx) {
        return Err(ctx.error(Code::Forbidden, "error-403-forbidden"));
    }
    Ok(())
}

async fn render(ctx: &Ctx, status: StatusCode, queued: Option<i64>, errors: Vec<serde_json::Value>) -> Response {
    let portal = &ctx.site.portal;
    let store = &ctx.app.store;
    let (datasets, jobs) = match (store.datasets(portal.id).await, store.jobs(portal.id, 20).await) {
        (Ok(d), Ok(j)) => (d, j),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot list datasets");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    let mut rows = vec![];
    for d in datasets {
        let records = match d.current_version {
            Some(v) => store.version(&d.uid, v).await.ok().flatten().map_or(0, |v| v.rows),
            None => 0,
        };
        let attachments: Vec<serde_json::Value> = store
            .attachments(&d.uid)
            .await
            .unwrap_or_default()
            .iter()
            .map(|a| json!({"id": a.attachment_id, "title": a.title, "size_kb": (a.size + 1023) / 1024}))
            .collect();
        rows.push(json!({"id": d.dataset_id, "title": d.title, "published": d.published, "restricted": d.restricted, "version": d.current_version, "rows": records, "attachments": attachments}));
    }
    let jobs: Vec<_> = jobs
        .into_iter()
        .map(|j| json!({"id": j.id, "dataset": j.dataset_id, "status": j.status.as_str(), "message": j.message}))
        .collect();
    let page = ctx
        .page("backoffice_datasets.html")
        .status(status)
        .with("datasets", rows)
        .with("jobs", jobs)
        .with("can_edit", can_edit(ctx))
        .with("queued", queued)
        .with("deleted", query_value(ctx.path_and_query.split_once('?').map(|(_, q)| q), "deleted").is_some())
        .with("errors", errors);
    ctx.render(page)
}

pub async fn page(ctx: Ctx, uri: Uri) -> Response {
    if ctx.identity.is_none() {
        return see_other("/login/?next=/backoffice/datasets/");
    }
    let queued = query_value(uri.query(), "queued").and_then(|v| v.parse().ok());
    render(&ctx, StatusCode::OK, queued, vec![]).await
}

pub async fn visibility(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if ctx.identity.is_none() {
        return see_other("/login/?next=/backoffice/datasets/");
    }
    if !can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let published = form_value(&body, "published").as_deref() == Some("true");
    match ctx.app.catalog.set_published(ctx.site.portal.id, &dataset_id, published).await {
        Ok(()) => see_other("/backoffice/datasets/"),
        Err(portail_catalog::CatalogError::NotFound(_)) => ctx.not_found(),
        Err(e) if e.is_user_error() => {
            render(&ctx, StatusCode::BAD_REQUEST, None, vec![json!({"key": "ds-error-no-data", "max": 0})]).await
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot change visibility");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

/// Keeps the last path component of a client-sent file name, without separators or controls.
fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.is_empty() || cleaned.starts_with('.') {
        format!("upload{cleaned}")
    } else {
        cleaned
    }
}

fn upload_error(key: &str) -> serde_json::Value {
    json!({"key": key, "max": MAX_UPLOAD_BYTES >> 20})
}

/// Receives the form: the CSRF token must come first (it is checked before any file byte is
/// stored), then the options and the file, streamed to the uploads directory.
pub async fn upload(ctx: Ctx, Extension(pending): Extension<PendingCsrf>, mut form: Multipart) -> Response {
    if let Err(answer) = editor_form(&ctx, &pending, &mut form).await {
        return answer;
    }
    let dir = ctx.app.catalog.uploads_dir().join(crate::session::new_session_key());
    let (mut dataset_id, mut title, mut publish, mut lenient, mut saved) = (None, None, false, false, None);
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return render(&ctx, StatusCode::BAD_REQUEST, None, vec![upload_error("ds-error-no-file")]).await,
        };
        match field.name().unwrap_or("") {
            "file" => {
                let name = safe_file_name(field.file_name().unwrap_or("upload.csv"));
                if let Err(e) = tokio::fs::create_dir_all(&dir).await {
                    tracing::error!(error = %e, "cannot create the upload directory");
                    return ctx.error(Code::Internal, "error-500-body");
                }
                let path = dir.join(&name);
                let Ok(mut file) = tokio::fs::File::create(&path).await else {
                    return ctx.error(Code::Internal, "error-500-body");
                };
                let mut size = 0u64;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size += chunk.len() as u64;
                            if size > MAX_UPLOAD_BYTES {
                                let _ = tokio::fs::remove_dir_all(&dir).await;
                                return render(
                                    &ctx,
                                    StatusCode::PAYLOAD_TOO_LARGE,
                                    None,
                                    vec![upload_error("ds-error-too-large")],
                                )
                                .await;
                            }
                            if file.write_all(&chunk).await.is_err() {
                                let _ = tokio::fs::remove_dir_all(&dir).await;
                                return ctx.error(Code::Internal, "error-500-body");
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            let _ = tokio::fs::remove_dir_all(&dir).await;
                            return render(&ctx, StatusCode::BAD_REQUEST, None, vec![upload_error("ds-error-no-file")])
                                .await;
                        }
                    }
                }
                let _ = file.flush().await;
                if size > 0 {
                    saved = Some(path);
                }
            }
            other => {
                let key = other.to_owned();
                let value = field.text().await.unwrap_or_default().trim().to_owned();
                match key.as_str() {
                    "dataset_id" if !value.is_empty() => dataset_id = Some(value),
                    "title" if !value.is_empty() => title = Some(value),
                    "publish" => publish = value == "true",
                    "lenient" => lenient = value == "true",
                    _ => {}
                }
            }
        }
    }
    let Some(file) = saved else {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return render(&ctx, StatusCode::BAD_REQUEST, None, vec![upload_error("ds-error-no-file")]).await;
    };
    let dataset_id = dataset_id.unwrap_or_else(|| dataset_id_from_file(&file));
    if validate_dataset_id(&dataset_id).is_err() {
        let _ = tokio::fs::remove_dir_all(&dir).await;
        return render(&ctx, StatusCode::BAD_REQUEST, None, vec![upload_error("ds-error-id")]).await;
    }
    let params =
        JobParams { file, title, publish, delimiter: None, encoding: None, sheet: None, lenient, remove_file: true };
    match ctx.app.catalog.enqueue(ctx.site.portal.id, &dataset_id, &params).await {
        Ok(job) => {
            tracing::info!(portal = %ctx.site.portal.slug, dataset = %dataset_id, job = job.id, "upload queued");
            see_other(&format!("/backoffice/datasets/?queued={}", job.id))
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot queue the import");
            let _ = tokio::fs::remove_dir_all(&dir).await;
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_file_names_lose_their_paths() {
        assert_eq!(safe_file_name("C:\\Users\\x\\Budget 2024.csv"), "Budget 2024.csv");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name(".."), "upload..");
        assert_eq!(safe_file_name(""), "upload");
    }
}
