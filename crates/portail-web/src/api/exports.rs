//! `/catalog/datasets/{id}/exports` and `/exports/{format}`: the whole (filtered) dataset,
//! streamed as it is encoded.

use super::catalog::DatasetRequest;
use super::catalog::Served;
use super::params::Params;
use super::records::request_wheres;
use super::{api_headers, ApiError, PREFIX};
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use portail_query::{ExportFormat, RecordsRequest};
use serde_json::json;

pub(crate) const FORMATS: &[&str] = &["csv", "json", "jsonl", "geojson", "parquet", "xlsx"];

pub async fn list(DatasetRequest { site, dataset_id, .. }: DatasetRequest) -> Result<Response, ApiError> {
    let base = format!("{}{PREFIX}/catalog/datasets/{dataset_id}/exports", site.origin);
    let mut links = vec![json!({"rel": "self", "href": base})];
    links.extend(FORMATS.iter().map(|f| json!({"rel": f, "href": format!("{base}/{f}")})));
    let mut r = Json(json!({"links": links})).into_response();
    api_headers(&mut r);
    Ok(r)
}

fn csv_options(params: &Params) -> Result<ExportFormat, ApiError> {
    let delimiter = match params.one("delimiter").unwrap_or(";") {
        ";" => b';',
        "," => b',',
        "\t" | "\\t" | "tab" => b'\t',
        "|" => b'|',
        other => {
            return Err(ApiError::parameter(format!(
                "Invalid value for delimiter API parameter: {other} was found but one of ; , tab | is expected."
            )))
        }
    };
    let bom = match params.one("with_bom") {
        None => true,
        Some(_) => params.flag("with_bom")?,
    };
    Ok(ExportFormat::Csv { delimiter, bom, labels: params.flag("use_labels")? })
}

/// What an export needs besides the dataset.
pub struct ExportArgs<'a> {
    pub format: ExportFormat,
    pub select: Option<&'a str>,
    pub wheres: Vec<String>,
    pub order_by: Option<&'a str>,
    pub group_by: Option<&'a str>,
    pub limit: i64,
    pub timezone: portail_query::Zone,
    pub lang: Option<portail_core::Lang>,
}

pub async fn export(
    DatasetRequest { current, params, dataset_id, .. }: DatasetRequest,
    Path((_, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let format = match format.trim_end_matches('/') {
        "csv" => csv_options(&params)?,
        "json" => ExportFormat::Json,
        "jsonl" => ExportFormat::Jsonl,
        "geojson" => ExportFormat::GeoJson,
        "xlsx" => ExportFormat::Xlsx { labels: params.flag("use_labels")? },
        "parquet" => match params.one("parquet_compression").unwrap_or("snappy") {
            "snappy" => ExportFormat::Parquet { zstd: false },
            "zstd" => ExportFormat::Parquet { zstd: true },
            other => {
                return Err(ApiError::parameter(format!(
                    "Invalid value for parquet_compression API parameter: {other} (snappy or zstd)"
                )))
            }
        },
        other => {
            return Err(ApiError::parameter(format!(
                "Invalid value for format: {other} is not an available export format ({}).",
                FORMATS.join(", ")
            )))
        }
    };
    let wheres = request_wheres(&params, &current.version.schema)?;
    // Exports have no page cap: `limit` defaults to -1, everything.
    let limit = match params.one("limit") {
        None => -1,
        Some(v) => v.trim().parse::<i64>().ok().filter(|l| *l >= -1).ok_or_else(|| {
            ApiError::parameter(format!(
                "Invalid value for limit API parameter: {v} was found but limit >= -1 is expected."
            ))
        })?,
    };
    let args = ExportArgs {
        format,
        select: params.one("select"),
        wheres,
        order_by: params.one("order_by"),
        group_by: params.one("group_by"),
        limit,
        timezone: params.timezone()?,
        lang: params.lang(),
    };
    stream_export(&current, &dataset_id, args).await
}

/// Runs an export over a visible dataset's serving version and streams it.
pub async fn stream_export(current: &Served, dataset_id: &str, args: ExportArgs<'_>) -> Result<Response, ApiError> {
    let format = args.format;
    let req = RecordsRequest {
        select: args.select,
        wheres: args.wheres.iter().map(String::as_str).collect(),
        group_by: args.group_by,
        order_by: args.order_by,
        limit: args.limit,
        offset: 0,
        timezone: args.timezone,
        lang: args.lang,
    };
    let ds = current.query();
    let stream = portail_query::export(&ds, &req, format).await?;
    // Errors after the first byte can only end the stream; they are logged.
    let body = Body::from_stream(stream.map(|chunk| {
        chunk.map_err(|e| {
            tracing::error!(error = %e, "export failed while streaming");
            std::io::Error::other(e.to_string())
        })
    }));
    let mut r = body.into_response();
    api_headers(&mut r);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{dataset_id}.{}\"", format.extension())) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
