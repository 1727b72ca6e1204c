//! v1 records: `search`, record lookup, `download`, `analyze` and `boundingbox`.

use super::{context, geo_field, order_by, respond, v1_error, Context, V1Params, V1Request};
use crate::api::catalog::find_visible;
use crate::api::catalog::Served;
use crate::api::exports::{stream_export, ExportArgs};
use crate::api::facets::{facet_values, FacetSpec, Selection};
use crate::api::params::timezone;
use crate::api::ApiError;
use axum::extract::Path;
use axum::response::Response;
use portail_core::time::iso_utc;
use portail_core::{FieldType, Schema};
use portail_query::{ExportFormat, RecordsRequest};
use serde_json::{json, Map, Value};

impl V1Request {
    /// The dataset named by the `dataset` parameter.
    pub(super) async fn dataset(&self) -> Result<Served, ApiError> {
        let id = self.params.one("dataset").ok_or_else(|| ApiError::parameter("Missing dataset parameter"))?;
        find_visible(&self.app, &self.site, &self.identity, id).await
    }
}

/// A v2.1 value as v1 writes it: points `[lat, lon]`, shapes as bare geometries.
fn v1_value(t: FieldType, v: Value) -> Value {
    match (t, v) {
        (FieldType::GeoPoint2d, Value::Object(p)) => json!([p["lat"], p["lon"]]),
        (FieldType::GeoShape, Value::Object(mut f)) => f.remove("geometry").unwrap_or(Value::Null),
        (_, v) => v,
    }
}

/// One v1 record from a v2.1 result row holding `_id`: nulls left out, `geometry` from the
/// first geo field.
fn v1_record(current: &Served, dataset_id: &str, mut row: Map<String, Value>, keep: &[&str]) -> Value {
    let schema = &current.version.schema;
    let id = row.remove("_id").unwrap_or(Value::Null);
    let geo_name = geo_field(schema).map(|g| g.name.as_str());
    let mut geometry = Value::Null;
    let mut fields = Map::new();
    for f in &schema.fields {
        let Some(v) = row.remove(&f.name).filter(|v| !v.is_null() && v != "") else { continue };
        let v = v1_value(f.field_type, v);
        if geometry.is_null() && geo_name == Some(f.name.as_str()) {
            geometry = match f.field_type {
                FieldType::GeoPoint2d => json!({"type": "Point", "coordinates": [v[1], v[0]]}),
                _ => v.clone(),
            };
        }
        if keep.is_empty() || keep.contains(&f.name.as_str()) {
            fields.insert(f.name.clone(), v);
        }
    }
    let mut out = json!({
        "datasetid": dataset_id,
        "recordid": id,
        "fields": fields,
        "record_timestamp": iso_utc(current.dataset.modified_at),
    });
    if !geometry.is_null() {
        out["geometry"] = geometry;
    }
    out
}

async fn run_records(current: &Served, req: &RecordsRequest<'_>) -> Result<portail_query::RecordsResponse, ApiError> {
    let ds = current.query();
    Ok(portail_query::records(&ds, req).await?)
}

fn field_list(params: &V1Params, schema: &Schema) -> Result<Vec<String>, ApiError> {
    let Some(fields) = params.one("fields") else { return Ok(vec![]) };
    let mut out = vec![];
    for name in fields.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if schema.field(name).is_none() {
            return Err(ApiError::parameter(schema.unknown_field(name)));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// `facet_groups` of a records search: each `facet=` field counted over the context, a
/// disjunctive facet ignoring its own refinements (its selected values marked `refined`).
async fn facet_groups(current: &Served, params: &V1Params, ctx: &Context) -> Result<Vec<Value>, ApiError> {
    let mut groups = vec![];
    for name in params.all("facet") {
        let name = name.trim();
        let mut spec = FacetSpec::named(name);
        if params.flag(&format!("disjunctive.{name}")) {
            spec.disjunctive = Some(true);
        }
        if let Some(sort) = super::facet_sort(params, name)? {
            spec.sort = Some(sort);
        }
        let wheres =
            if spec.is_disjunctive(&current.version.schema) { ctx.without_refines_of(name) } else { ctx.all() };
        let pick = |prefix: &str| -> Vec<String> {
            params.prefixed(prefix).filter(|(f, _)| *f == name).map(|(_, v)| v.to_owned()).collect()
        };
        let (refined, excluded) = (pick("refine."), pick("exclude."));
        let selection = Selection { refined: &refined, excluded: &excluded };
        let values = facet_values(current, &wheres, &spec, &selection, timezone(params.one("timezone"))?).await?;
        groups.push(json!({"name": name, "facets": values.iter().map(|v| v.json("path")).collect::<Vec<_>>()}));
    }
    Ok(groups)
}

/// What a v1 search says it did.
fn echo(params: &V1Params, dataset_id: Option<&str>, rows: i64, start: i64) -> Value {
    let zone = params.one("timezone").and_then(portail_query::Zone::parse).unwrap_or_default();
    let format = params.one("format").unwrap_or("json");
    let mut p = json!({"timezone": zone.name(), "rows": rows, "start": start, "format": format});
    if let Some(d) = dataset_id {
        p["dataset"] = json!(d);
    }
    if let Some(q) = params.one("q") {
        p["q"] = json!(q);
    }
    let facets = params.all("facet");
    if !facets.is_empty() {
        p["facet"] = json!(facets);
    }
    for (key, prefix) in [("refine", "refine."), ("exclude", "exclude.")] {
        let m: Map<String, Value> = params.prefixed(prefix).map(|(f, v)| (f.to_owned(), json!(v))).collect();
        if !m.is_empty() {
            p[key] = Value::Object(m);
        }
    }
    if let Some(disjunctive) = super::disjunctive_echo(params) {
        p["disjunctive"] = disjunctive;
    }
    if let Some(sort) = params.one("sort") {
        p["sort"] = json!(sort.split(',').map(str::trim).collect::<Vec<_>>());
    }
    if let Some(fields) = params.one("fields") {
        p["fields"] = json!(fields.split(',').map(str::trim).collect::<Vec<_>>());
    }
    p
}

pub async fn search(req: V1Request) -> Response {
    search_inner(&req).await.unwrap_or_else(v1_error)
}

async fn search_inner(req: &V1Request) -> Result<Response, ApiError> {
    let params = &req.params;
    let current = req.dataset().await?;
    let dataset_id = current.dataset.dataset_id.clone();
    let schema = &current.version.schema;
    let (rows, start) = params.page()?;
    let ctx = context(params, schema)?;
    let keep = field_list(params, schema)?;
    let order = order_by(params, |n| schema.field(n).is_some())?;
    let wheres = ctx.all();
    let query = RecordsRequest {
        select: Some("*, _id"),
        wheres: wheres.iter().map(String::as_str).collect(),
        order_by: order.as_deref(),
        limit: rows,
        offset: start,
        timezone: timezone(params.one("timezone"))?,
        ..Default::default()
    };
    let format = params.one("format").unwrap_or("json");
    let feed = match format {
        "json" | "jsonp" | "geojson" | "geojsonp" => None,
        "rss" => Some(super::feeds::Feed::Rss),
        "atom" => Some(super::feeds::Feed::Atom),
        other => {
            return Err(ApiError::parameter(format!(
                "Unsupported format: {other} (available: json, jsonp, geojson, geojsonp, rss, atom)"
            )))
        }
    };
    let page = run_records(&current, &query).await?;
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    let records: Vec<Value> = page.results.into_iter().map(|r| v1_record(&current, &dataset_id, r, &keep)).collect();
    if let Some(feed) = feed {
        return Ok(super::feeds::records_feed(feed, &req.site, &current, &records));
    }
    let body = if format.starts_with("geojson") {
        let features: Vec<Value> = records
            .iter()
            .map(|r| json!({"type": "Feature", "geometry": r.get("geometry").cloned().unwrap_or(Value::Null), "properties": r["fields"]}))
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    } else {
        let mut body = json!({
            "nhits": page.total_count,
            "parameters": echo(params, Some(&dataset_id), rows, start),
            "records": records,
        });
        if !params.all("facet").is_empty() {
            body["facet_groups"] = json!(facet_groups(&current, params, &ctx).await?);
        }
        body
    };
    Ok(respond(params, &body))
}

pub async fn lookup(Path((dataset_id, record_id)): Path<(String, String)>, req: V1Request) -> Response {
    let run = async {
        let current = find_visible(&req.app, &req.site, &req.identity, &dataset_id).await?;
        let missing = || ApiError::not_found(format!("Unknown record: {record_id}"));
        if record_id.len() != 40 || !record_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(missing());
        }
        let condition = format!("_id = \"{}\"", record_id.to_ascii_lowercase());
        let query = RecordsRequest { select: Some("*, _id"), wheres: vec![&condition], limit: 1, ..Default::default() };
        let row = run_records(&current, &query).await?.results.into_iter().next().ok_or_else(missing)?;
        Ok(respond(&req.params, &v1_record(&current, &dataset_id, row, &[])))
    };
    run.await.unwrap_or_else(v1_error)
}

/// Streams an export with v1 parameters: the context, `fields`, `sort`, `rows`, and
/// `format` (csv by default, `;`-separated; json, jsonl, geojson), `use_labels_for_header`.
pub async fn export_v1(current: &Served, params: &V1Params) -> Result<Response, ApiError> {
    let schema = &current.version.schema;
    let labels = params.flag("use_labels_for_header");
    let delimiter = super::csv_separator(params)?;
    let format = match params.one("format").unwrap_or("csv") {
        "csv" => ExportFormat::Csv { delimiter, bom: true, labels, quote_all: false, list_separator: ",".into() },
        "json" => ExportFormat::Json,
        "jsonl" => ExportFormat::Jsonl,
        "geojson" => ExportFormat::GeoJson { crs: portail_query::Crs::Wgs84 },
        "kml" => ExportFormat::Kml,
        "gpx" => ExportFormat::Gpx(portail_query::GpxOptions {
            name_field: None,
            description_fields: vec![],
            use_extension: true,
        }),
        "shp" => ExportFormat::Shapefile { name: current.dataset.dataset_id.clone(), crs: portail_query::Crs::Wgs84 },
        "fgb" => ExportFormat::FlatGeobuf { name: current.dataset.dataset_id.clone(), crs: portail_query::Crs::Wgs84 },
        "ov2" => ExportFormat::Ov2 { name_field: None },
        "parquet" => ExportFormat::Parquet { zstd: false },
        "xlsx" => ExportFormat::Xlsx { labels },
        other => {
            return Err(ApiError::parameter(format!(
                "Unsupported format: {other} (available: csv, json, jsonl, geojson, kml, gpx, shp, fgb, ov2, parquet, xlsx)"
            )))
        }
    };
    let ctx = context(params, schema)?;
    let fields = field_list(params, schema)?;
    let select = (!fields.is_empty()).then(|| fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "));
    let order = order_by(params, |n| schema.field(n).is_some())?;
    let limit = match params.one("rows") {
        None => -1,
        Some(r) => r
            .parse::<i64>()
            .ok()
            .filter(|r| *r >= -1)
            .ok_or_else(|| ApiError::parameter(format!("Invalid value for rows: {r}")))?,
    };
    let args = ExportArgs {
        format,
        select: select.as_deref(),
        wheres: ctx.all(),
        order_by: order.as_deref(),
        group_by: None,
        limit,
        timezone: timezone(params.one("timezone"))?,
        lang: params.one("lang").and_then(portail_core::Lang::from_tag),
        compressed: false,
    };
    stream_export(current, &current.dataset.dataset_id, args).await
}

pub async fn download(req: V1Request) -> Response {
    let run = async {
        let current = req.dataset().await?;
        export_v1(&current, &req.params).await
    };
    run.await.unwrap_or_else(v1_error)
}

/// Date parts grouped on for `precision` (the period down to which dates are kept) or
/// `periodic` (one recurring part).
fn date_parts(params: &V1Params) -> Result<Vec<&'static str>, ApiError> {
    const PARTS: [&str; 5] = ["year", "month", "day", "hour", "minute"];
    if let Some(p) = params.one("periodic") {
        return match PARTS.iter().find(|x| **x == p) {
            Some(x) => Ok(vec![*x]),
            None => {
                Err(ApiError::parameter(format!("Unsupported periodic value: {p} (year, month, day, hour, minute)")))
            }
        };
    }
    let precision = params.one("precision").unwrap_or("day");
    match PARTS.iter().position(|x| *x == precision) {
        Some(i) => Ok(PARTS[..=i].to_vec()),
        None => Err(ApiError::parameter(format!(
            "Unsupported precision value: {precision} (year, month, day, hour, minute)"
        ))),
    }
}

/// `analyze`: `x` (a field; dates by `precision` or `periodic`) and series
/// `y.<serie>.func` (COUNT, AVG, SUM, MIN, MAX, STDDEV, SUMSQUARES) over `y.<serie>.expr`, as
/// `[{x, <serie>…}]`.
pub async fn analyze(req: V1Request) -> Response {
    analyze_inner(&req).await.unwrap_or_else(v1_error)
}

async fn analyze_inner(req: &V1Request) -> Result<Response, ApiError> {
    let params = &req.params;
    let current = req.dataset().await?;
    let schema = &current.version.schema;
    let csv_separator = match params.one("format").unwrap_or("json") {
        "json" | "jsonp" => None,
        "csv" => Some(super::csv_separator(params)?),
        other => return Err(ApiError::parameter(format!("Unsupported format: {other} (available: json, jsonp, csv)"))),
    };
    let x_name = params.one("x").ok_or_else(|| ApiError::parameter("Missing x parameter"))?;
    let x = schema.field(x_name).ok_or_else(|| ApiError::parameter(schema.unknown_field(x_name)))?;
    let quoted = format!("`{}`", x.name);
    let x_keys: Vec<(String, String)> = match x.field_type {
        FieldType::Date | FieldType::Datetime => {
            date_parts(params)?.into_iter().map(|p| (format!("{p}({quoted})"), p.to_owned())).collect()
        }
        FieldType::GeoPoint2d | FieldType::GeoShape => {
            return Err(ApiError::parameter(format!("{x_name} is a geo field and cannot be an x axis")))
        }
        _ => vec![(quoted.clone(), String::new())],
    };
    let mut series = super::series::series(params)?;
    if series.is_empty() {
        series.push(super::series::count_serie());
    }
    let group_by: Vec<String> = x_keys.iter().enumerate().map(|(i, (e, _))| format!("{e} as x{i}")).collect();
    let mut select = group_by.clone();
    for (i, serie) in series.iter().enumerate() {
        select.push(serie.select(i));
    }
    let mut order = vec![];
    if let Some(sort) = params.one("sort") {
        for part in sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, dir) = part.strip_prefix('-').map_or((part, "desc"), |n| (n, "asc"));
            if name == "x" {
                order.extend((0..x_keys.len()).map(|i| format!("x{i} {dir}")));
            } else if let Some(i) = series.iter().position(|s| s.name == name) {
                order.push(format!("s{i} {dir}"));
            } else {
                return Err(ApiError::parameter(format!("Unknown sort: {name} (x or a serie)")));
            }
        }
    }
    if order.is_empty() {
        order.extend((0..x_keys.len()).map(|i| format!("x{i}")));
    }
    let limit = match params.one("maxpoints") {
        Some(m) => m
            .parse::<i64>()
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| ApiError::parameter(format!("Invalid maxpoints: {m}")))?
            .min(20_000),
        None => 20_000,
    };
    let ctx = context(params, schema)?;
    let wheres = ctx.all();
    let (select, group_by, order) = (select.join(", "), group_by.join(", "), order.join(", "));
    let query = RecordsRequest {
        select: Some(&select),
        wheres: wheres.iter().map(String::as_str).collect(),
        group_by: Some(&group_by),
        order_by: Some(&order),
        limit,
        offset: 0,
        timezone: timezone(params.one("timezone"))?,
        lang: params.one("lang").and_then(portail_core::Lang::from_tag),
    };
    let page = run_records(&current, &query).await?;
    let mut points: Vec<Map<String, Value>> = page
        .results
        .into_iter()
        .map(|row| {
            let x = if x_keys.len() == 1 && x_keys[0].1.is_empty() {
                row["x0"].clone()
            } else {
                let parts: Map<String, Value> = x_keys
                    .iter()
                    .enumerate()
                    .map(|(i, (_, part))| (part.clone(), row[&format!("x{i}")].clone()))
                    .collect();
                Value::Object(parts)
            };
            let mut point = Map::new();
            point.insert("x".into(), x);
            for (i, serie) in series.iter().enumerate() {
                point.insert(serie.name.clone(), serie.value(i, &row));
            }
            point
        })
        .collect();
    for serie in series.iter().filter(|s| s.cumulative) {
        super::series::accumulate(&mut points, &serie.name);
    }
    if let Some(sep) = csv_separator {
        let mut columns: Vec<&str> = x_keys.iter().map(|(_, part)| part.as_str()).collect();
        if columns == [""] {
            columns = vec!["x"];
        }
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        return Ok(super::series::csv(&points, &columns, &names, char::from(sep)));
    }
    let points: Vec<Value> = points.into_iter().map(Value::Object).collect();
    Ok(respond(params, &Value::Array(points)))
}

/// `boundingbox`: how many records match and the box around their points,
/// `[west, south, east, north]`.
pub async fn boundingbox(req: V1Request) -> Response {
    let run = async {
        let current = req.dataset().await?;
        let schema = &current.version.schema;
        let ctx = context(&req.params, schema)?;
        let wheres = ctx.all();
        let Some(geo) = geo_field(schema).filter(|f| f.field_type == FieldType::GeoPoint2d) else {
            return Err(ApiError::parameter("This dataset has no geo point field"));
        };
        let ds = current.query();
        let refs: Vec<&str> = wheres.iter().map(String::as_str).collect();
        let (count, bbox) = portail_query::bounding_box(&ds, &refs, &geo.name).await?;
        let mut body = json!({"count": count, "bbox": bbox});
        if count > 0 {
            body["geometries"] = json!({"Point": count});
        }
        Ok(respond(&req.params, &body))
    };
    run.await.unwrap_or_else(v1_error)
}
