//! `/catalog/datasets/{id}/attachments` and `/attachments/{attachment_id}`: files a publisher
//! attached to a dataset, listed and served with the dataset's visibility.

use super::catalog::{link, DatasetRequest, Entry};
use super::{api_headers, ApiError, PREFIX};
use crate::app::AppState;
use crate::tenant::Site;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_store::AttachmentRecord;
use serde_json::{json, Value};
use std::path::PathBuf;

/// `stations.zip` → `stations_zip`: the id Opendatasoft derives from a file name.
pub fn attachment_id(file_name: &str) -> String {
    let id: String = file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if id.is_empty() {
        "attachment".into()
    } else {
        id
    }
}

/// Where an attachment's bytes are kept.
pub fn file_path(app: &AppState, portal_id: i64, dataset_uid: &str, attachment_id: &str) -> PathBuf {
    app.catalog.dataset_dir(portal_id, dataset_uid).join("attachments").join(attachment_id)
}

fn href(site: &Site, dataset_id: &str, a: &AttachmentRecord) -> String {
    format!("{}{PREFIX}/catalog/datasets/{dataset_id}/attachments/{}", site.origin, a.attachment_id)
}

/// The dataset object's form: `{id, title, mimetype, url}`.
pub fn in_dataset(a: &AttachmentRecord) -> Value {
    json!({"id": a.attachment_id, "title": a.title, "mimetype": a.mimetype, "url": format!("odsfile://{}", a.title)})
}

pub async fn list(
    State(app): State<AppState>,
    DatasetRequest { site, dataset_id, current, .. }: DatasetRequest,
) -> Result<Response, ApiError> {
    let attachments = app.store.attachments(&current.current.dataset.uid).await.map_err(ApiError::internal)?;
    let items: Vec<Value> = attachments
        .iter()
        .map(|a| {
            json!({
                "href": href(&site, &dataset_id, a),
                "metas": {"mime-type": a.mimetype, "title": a.title, "id": a.attachment_id, "url": format!("odsfile://{}", a.title)},
            })
        })
        .collect();
    let base = format!("{}{PREFIX}/catalog/datasets/{dataset_id}", site.origin);
    let mut r = Json(
        json!({"links": [link(format!("{base}/attachments"), "self"), link(base, "dataset")], "attachments": items}),
    )
    .into_response();
    api_headers(&mut r);
    Ok(r)
}

pub async fn download(
    State(app): State<AppState>,
    DatasetRequest { dataset_id, current, .. }: DatasetRequest,
    Path((_, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let dataset = &current.current.dataset;
    let not_found =
        || ApiError::not_found(format!("The attachment {attachment_id} does not exist in dataset {dataset_id}."));
    let all = app.store.attachments(&dataset.uid).await.map_err(ApiError::internal)?;
    let a = all.into_iter().find(|a| a.attachment_id == attachment_id).ok_or_else(not_found)?;
    // Attachments are small (see the back office's limit): read whole.
    let bytes = tokio::fs::read(file_path(&app, dataset.portal_id, &dataset.uid, &a.attachment_id))
        .await
        .map_err(|_| not_found())?;
    Ok(served_file(Body::from(bytes), &a.mimetype, "attachment", &a.title))
}

/// A stored file as the API sends it: its media type, its name (`disposition` `attachment` or
/// `inline`), and headers that keep whatever it holds from running as a page of the portal.
fn served_file(body: Body, mimetype: &str, disposition: &str, filename: &str) -> Response {
    let mut r = body.into_response();
    api_headers(&mut r);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mimetype).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let name: String =
        filename.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\' || *c == ' ').collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    r
}

/// `files/{file_id}`: the files `file` fields point to (shipped in the version's archive),
/// streamed with their media type and name, and the dataset's visibility: an unknown id is a
/// 404, as an invisible dataset is. Ids are digests of the content, so a copy never goes stale.
pub async fn file(
    DatasetRequest { dataset_id, current, .. }: DatasetRequest,
    Path((_, file_id)): Path<(String, String)>,
    request_headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("The file {file_id} does not exist in dataset {dataset_id}."));
    let stored = current.current.stored_file(&file_id).ok_or_else(not_found)?;
    let etag = format!("\"{file_id}\"");
    if request_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag) {
        let mut r = axum::http::StatusCode::NOT_MODIFIED.into_response();
        api_headers(&mut r);
        return Ok(r);
    }
    let file = tokio::fs::File::open(&stored.path).await.map_err(|_| not_found())?;
    let length = file.metadata().await.map_err(ApiError::internal)?.len();
    let chunks = futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut r = served_file(Body::from_stream(chunks), &stored.mimetype, "inline", &stored.filename);
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

/// Attachments of an entry (already loaded with it).
pub fn of_entry(e: &Entry) -> Vec<Value> {
    e.attachments.iter().map(in_dataset).collect()
}
