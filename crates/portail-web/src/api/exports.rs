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

pub(crate) const FORMATS: &[&str] = &[
    "csv", "json", "jsonl", "geojson", "kml", "gpx", "shp", "fgb", "ov2", "ical", "parquet", "xlsx", "jsonld",
    "rdfxml", "turtle", "n3",
];
/// Formats made of geometries: offered, and served, only for datasets with a geo field.
pub(crate) const GEO_FORMATS: &[&str] = &["geojson", "kml", "gpx", "shp", "fgb", "ov2"];

/// The export formats a dataset offers: geographic ones with a geo field, `ical` with a date.
pub(crate) fn formats_for(schema: &portail_core::Schema) -> impl Iterator<Item = &'static str> {
    let geo = has_geo(schema);
    let dates = has_dates(schema);
    FORMATS.iter().copied().filter(move |f| (geo || !GEO_FORMATS.contains(f)) && (dates || *f != "ical"))
}

fn has_dates(schema: &portail_core::Schema) -> bool {
    use portail_core::FieldType;
    schema.fields.iter().any(|f| matches!(f.field_type, FieldType::Date | FieldType::Datetime))
}

fn has_geo(schema: &portail_core::Schema) -> bool {
    super::v1::geo_field(schema).is_some()
}

pub async fn list(DatasetRequest { site, dataset_id, current, .. }: DatasetRequest) -> Result<Response, ApiError> {
    let base = format!("{}{PREFIX}/catalog/datasets/{dataset_id}/exports", site.origin);
    let mut links = vec![json!({"rel": "self", "href": base})];
    links.extend(formats_for(&current.version.schema).map(|f| json!({"rel": f, "href": format!("{base}/{f}")})));
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
    let list_separator = params.one("list_separator").unwrap_or(",").to_owned();
    if list_separator.chars().count() > 5 || list_separator.contains(['\n', '\r']) {
        return Err(ApiError::parameter(format!(
            "Invalid value for list_separator API parameter: {list_separator} (at most 5 characters on one line)"
        )));
    }
    Ok(ExportFormat::Csv {
        delimiter,
        bom,
        labels: params.flag("use_labels")?,
        quote_all: params.flag("quote_all")?,
        list_separator,
    })
}

/// GPX's options: `name_field`, `description_field_list` (comma-separated) and
/// `use_extension` (true by default in v2.1).
fn gpx_options(params: &Params) -> Result<ExportFormat, ApiError> {
    Ok(ExportFormat::Gpx(portail_query::GpxOptions {
        name_field: params.one("name_field").map(|f| f.trim().to_owned()),
        description_fields: params
            .one("description_field_list")
            .map(|list| list.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect())
            .unwrap_or_default(),
        use_extension: match params.one("use_extension") {
            None => true,
            Some(_) => params.flag("use_extension")?,
        },
    }))
}

/// A format that needs geometries, asked of a dataset without any.
fn check_geo(format: &str, schema: &portail_core::Schema) -> Result<(), ApiError> {
    if GEO_FORMATS.contains(&format) && format != "geojson" && !has_geo(schema) {
        return Err(ApiError::parameter(format!(
            "The {format} export needs a geo field (geo_point_2d or geo_shape), and this dataset has none."
        )));
    }
    Ok(())
}

/// `epsg`: the coordinate system of GeoJSON, Shapefile and FlatGeobuf exports (WGS 84 unless asked).
fn crs(params: &Params) -> Result<portail_query::Crs, ApiError> {
    let Some(value) = params.one("epsg").map(str::trim) else { return Ok(portail_query::Crs::Wgs84) };
    value.trim_start_matches("EPSG:").parse().ok().and_then(portail_query::Crs::from_epsg).ok_or_else(|| {
        ApiError::parameter(format!(
            "Invalid value for epsg API parameter: {value}; portail writes coordinates in EPSG {}.",
            portail_query::Crs::CODES
        ))
    })
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
    /// `compressed=true`: the file gzipped (`.gz` added to its name).
    pub compressed: bool,
}

pub async fn export(
    DatasetRequest { current, params, dataset_id, site }: DatasetRequest,
    Path((_, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = format.trim_end_matches('/');
    let rdf = |syntax| {
        let dataset = format!("{}{PREFIX}/catalog/datasets/{dataset_id}", site.origin);
        ExportFormat::Rdf(portail_query::RdfOptions {
            syntax,
            records: format!("{dataset}/records/"),
            vocabulary: format!("{}/explore/dataset/{dataset_id}/vocabulary#", site.origin),
            class: current.dataset.metas.rdf_class.clone(),
            dataset,
        })
    };
    check_geo(name, &current.version.schema)?;
    let crs = crs(&params)?;
    let format = match name {
        "csv" => csv_options(&params)?,
        "json" => ExportFormat::Json,
        "jsonl" => ExportFormat::Jsonl,
        "geojson" => ExportFormat::GeoJson { crs },
        "kml" => ExportFormat::Kml,
        "gpx" => gpx_options(&params)?,
        "shp" => ExportFormat::Shapefile { name: dataset_id.clone(), crs },
        "fgb" => ExportFormat::FlatGeobuf { name: dataset_id.clone(), crs },
        "ical" => ExportFormat::Ical,
        "ov2" => ExportFormat::Ov2 { name_field: params.one("name_field").map(|f| f.trim().to_owned()) },
        "xlsx" => ExportFormat::Xlsx { labels: params.flag("use_labels")? },
        "turtle" => rdf(portail_query::RdfSyntax::Turtle),
        "n3" => rdf(portail_query::RdfSyntax::N3),
        "rdfxml" => rdf(portail_query::RdfSyntax::RdfXml),
        "jsonld" => rdf(portail_query::RdfSyntax::JsonLd),
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
    // RDF describes records, each named by its id: the id is selected first, groups refused.
    let rdf_select;
    let (select, group_by) = match &format {
        ExportFormat::Rdf(_) => {
            if params.one("group_by").is_some_and(|g| !g.trim().is_empty()) {
                return Err(ApiError::parameter(format!(
                    "The {name} export describes records one by one: group_by is not available with it."
                )));
            }
            rdf_select = format!("_id, {}", params.one("select").filter(|s| !s.trim().is_empty()).unwrap_or("*"));
            (Some(rdf_select.as_str()), None)
        }
        _ => (params.one("select"), params.one("group_by")),
    };
    let args = ExportArgs {
        format,
        select,
        wheres,
        order_by: params.one("order_by"),
        group_by,
        limit,
        timezone: params.timezone()?,
        lang: params.lang(),
        compressed: params.flag("compressed")?,
    };
    stream_export(&current, &dataset_id, args).await
}

/// Runs an export over a visible dataset's serving version and streams it.
pub async fn stream_export(current: &Served, dataset_id: &str, args: ExportArgs<'_>) -> Result<Response, ApiError> {
    let format = args.format.clone();
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
    let mut stream = portail_query::export(&ds, &req, args.format).await?;
    if args.compressed {
        stream = gzip(stream);
    }
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
    let (content_type, gz) = if args.compressed { ("application/gzip", ".gz") } else { (format.content_type(), "") };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let filename = format!("{dataset_id}.{}{gz}", format.extension());
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// The stream gzipped as it goes: each chunk is compressed when it arrives, and the gzip
/// trailer follows the last one.
fn gzip(stream: portail_query::ByteStream) -> portail_query::ByteStream {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let io = |e: std::io::Error| portail_query::QueryError::Internal(format!("gzip: {e}"));
    futures::stream::unfold((stream, Some(encoder)), move |(mut stream, mut encoder)| async move {
        let e = encoder.as_mut()?;
        let chunk = match stream.next().await {
            Some(Ok(bytes)) => e.write_all(&bytes).map(|_| std::mem::take(e.get_mut())).map_err(io),
            Some(Err(err)) => Err(err),
            None => encoder.take()?.finish().map_err(io),
        };
        Some((chunk, (stream, encoder)))
    })
    .boxed()
}
