//! The front-office download URL, `/explore/dataset/<id>/download/?format=csv…`, as Opendatasoft
//! portals serve it: v1-style parameters (`refine.<field>`, `exclude.<field>`, `q`,
//! `use_labels_for_header`, `csv_separator`), and errors as JSON with an `error` key.

use super::catalog::find_visible;
use super::exports::{stream_export, ExportArgs};
use super::records::quote;
use super::ApiError;
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portail_query::ExportFormat;

fn v1_error(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (status, Json(serde_json::json!({"error": e.message}))).into_response();
    super::api_headers(&mut r);
    r
}

pub async fn download(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    Path(dataset_id): Path<String>,
    uri: Uri,
) -> Response {
    match run(&app, &site, &identity, &dataset_id, &uri).await {
        Ok(r) => r,
        Err(e) => v1_error(e),
    }
}

async fn run(
    app: &AppState,
    site: &Site,
    identity: &Option<Identity>,
    dataset_id: &str,
    uri: &Uri,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    let current = find_visible(app, site, identity, dataset_id).await?;
    let labels = get("use_labels_for_header").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let delimiter = match get("csv_separator").as_deref().unwrap_or(";") {
        ";" => b';',
        "," => b',',
        "\t" => b'\t',
        "|" => b'|',
        other => return Err(ApiError::parameter(format!("Unsupported csv_separator: {other}"))),
    };
    let format = match get("format").as_deref().unwrap_or("csv") {
        "csv" => ExportFormat::Csv { delimiter, bom: true, labels },
        "json" => ExportFormat::Json,
        "jsonl" => ExportFormat::Jsonl,
        "geojson" => ExportFormat::GeoJson,
        other => {
            return Err(ApiError::parameter(format!(
                "Unsupported format: {other} (available: csv, json, jsonl, geojson)"
            )))
        }
    };
    let schema = &current.version.schema;
    let mut wheres = vec![];
    if let Some(q) = get("q") {
        wheres.push(quote(&q));
    }
    for (k, v) in &pairs {
        for (prefix, negate) in [("refine.", false), ("exclude.", true)] {
            if let Some(field) = k.strip_prefix(prefix) {
                let f = schema.field(field).ok_or_else(|| ApiError::odsql(format!("Unknown field: {field}")))?;
                let cond = format!("`{}` = {}", f.name, quote(v));
                wheres.push(if negate { format!("not ({cond})") } else { cond });
            }
        }
    }
    let args = ExportArgs { format, select: None, wheres, order_by: None, group_by: None, limit: -1 };
    stream_export(&current, dataset_id, args).await
}
