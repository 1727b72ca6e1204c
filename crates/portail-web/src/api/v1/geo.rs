//! v1 map helpers called by ods-widgets maps: `geocluster` (points grouped per map cell, with
//! optional series), `geopreview` (the geometries of the first records) and `geopolygon` (records
//! grouped by shape, for choropleth maps).

use super::series::{series, Serie};
use super::{context, geo_field, respond, v1_error, V1Params, V1Request};
use crate::api::params::timezone;
use crate::api::ApiError;
use axum::response::Response;
use portail_core::FieldType;
use portail_query::RecordsRequest;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Most clusters one answer holds (the group-by limit of v2.1).
const MAX_CLUSTERS: i64 = 20_000;

/// Most geometries `geopreview` returns, and its default.
const MAX_PREVIEW: i64 = 10_000;
const DEFAULT_PREVIEW: i64 = 1_000;

/// `clusterprecision` (the map's zoom, 0–25) and `clusterdistance` (pixels between clusters).
fn cluster_grid(params: &V1Params) -> Result<(u8, f64), ApiError> {
    let precision = params.one("clusterprecision").ok_or_else(|| ApiError::parameter("Missing clusterprecision"))?;
    let zoom =
        precision.parse::<u8>().ok().filter(|z| *z <= 25).ok_or_else(|| {
            ApiError::parameter(format!("Invalid clusterprecision: {precision} (a zoom from 0 to 25)"))
        })?;
    let distance = params.one("clusterdistance").ok_or_else(|| ApiError::parameter("Missing clusterdistance"))?;
    let pixels = distance
        .parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| ApiError::parameter(format!("Invalid clusterdistance: {distance} (pixels, above 0)")))?;
    // The radius of geo_cluster(), which merges clusters closer than it: 1 to 256 pixels.
    Ok((zoom, pixels.clamp(1.0, 256.0)))
}

/// The request's context as conditions, plus one: records without a value in `field` (a
/// quoted geo field) are on no map.
fn located(params: &V1Params, schema: &portail_core::Schema, field: &str) -> Result<Vec<String>, ApiError> {
    let mut wheres = context(params, schema)?.all();
    wheres.push(format!("{field} is not null"));
    Ok(wheres)
}

/// `{"min", "max"}` of numbers (integers stay integers), or nulls when there are none.
fn range(values: impl Iterator<Item = Value>) -> Value {
    let numbers: Vec<Value> = values.filter(Value::is_number).collect();
    if let Some(ints) = numbers.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>() {
        return json!({"min": ints.iter().min(), "max": ints.iter().max()});
    }
    let floats: Vec<f64> = numbers.iter().filter_map(Value::as_f64).collect();
    json!({"min": floats.iter().copied().reduce(f64::min), "max": floats.iter().copied().reduce(f64::max)})
}

/// `geocluster`: the matching points grouped as `geo_cluster()` does with a radius of
/// `clusterdistance` pixels at zoom `clusterprecision` (no two clusters closer than that), each
/// cluster at the centroid of its points (`[lat, lon]`), with its count, its series and, in
/// `polygon` mode, the convex hull of its points as GeoJSON.
pub async fn geocluster(req: V1Request) -> Response {
    geocluster_inner(&req).await.unwrap_or_else(v1_error)
}

async fn geocluster_inner(req: &V1Request) -> Result<Response, ApiError> {
    let params = &req.params;
    let current = req.dataset().await?;
    let schema = &current.version.schema;
    let geo = geo_field(schema)
        .filter(|f| f.field_type == FieldType::GeoPoint2d)
        .ok_or_else(|| ApiError::parameter("This dataset has no geo point field to cluster"))?;
    let (zoom, radius) = cluster_grid(params)?;
    let polygons = match params.one("clustermode").unwrap_or("polygon") {
        "polygon" => params.one("return_polygons").is_none_or(|v| !v.eq_ignore_ascii_case("false")),
        "heatmap" => false,
        other => return Err(ApiError::parameter(format!("Unsupported clustermode: {other} (polygon, heatmap)"))),
    };
    let series: Vec<Serie> = series(params)?;
    let field = format!("`{}`", geo.name);
    let cell = format!("geo_cluster({field}, {zoom}, {radius}) as c");
    let mut select = vec![cell.clone(), "count(*) as n".to_owned()];
    if polygons {
        select.push(format!("envelope({field}) as hull"));
    }
    select.extend(series.iter().enumerate().map(|(i, s)| s.select(i)));
    let wheres = located(params, schema, &field)?;
    let select = select.join(", ");
    let query = RecordsRequest {
        select: Some(&select),
        wheres: wheres.iter().map(String::as_str).collect(),
        group_by: Some(&cell),
        order_by: Some("n desc"),
        limit: MAX_CLUSTERS,
        offset: 0,
        timezone: timezone(params.one("timezone"))?,
        lang: params.one("lang").and_then(portail_core::Lang::from_tag),
    };
    let ds = current.query();
    let mut page = portail_query::records(&ds, &query).await?;
    // Biggest first; equal counts by position, so that the same request gives the same answer.
    let key = |row: &Map<String, Value>| {
        let c = &row["c"]["cluster_centroid"];
        (row["n"].as_i64().unwrap_or(0), c["lat"].as_f64().unwrap_or(0.0), c["lon"].as_f64().unwrap_or(0.0))
    };
    page.results.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0).then(ka.1.total_cmp(&kb.1)).then(ka.2.total_cmp(&kb.2))
    });
    let clusters: Vec<Value> = page
        .results
        .iter()
        .map(|row| {
            let (count, lat, lon) = key(row);
            let mut cluster = Map::new();
            cluster.insert("cluster_center".into(), json!([lat, lon]));
            cluster.insert("count".into(), json!(count));
            let values: Map<String, Value> =
                series.iter().enumerate().map(|(i, s)| (s.name.clone(), s.value(i, row))).collect();
            cluster.insert("series".into(), Value::Object(values));
            if polygons {
                let hull = row.get("hull").and_then(|h| h.get("geometry")).cloned().unwrap_or(Value::Null);
                cluster.insert("cluster".into(), hull);
            }
            Value::Object(cluster)
        })
        .collect();
    let serie_ranges: Map<String, Value> =
        series.iter().map(|s| (s.name.clone(), range(clusters.iter().map(|c| c["series"][&s.name].clone())))).collect();
    let body = json!({
        "clusters": clusters,
        "count": range(clusters.iter().map(|c| c["count"].clone())),
        "series": serie_ranges,
        "clusterprecision": zoom,
    });
    Ok(respond(params, &body))
}

/// A short digest naming one geometry, so that a map can ask again for the records at it.
fn geo_digest(geometry: &Value) -> String {
    let digest = Sha256::digest(geometry.to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// `geopreview`: the geometry of each of the first `rows` matching records (1,000 by default),
/// as `[{"geometry": GeoJSON, "geo_digest": …}]`, for maps that draw shapes without their fields;
/// the geometry is that of `geo_field`, else the first shape, else the first point.
pub async fn geopreview(req: V1Request) -> Response {
    let run = async {
        let params = &req.params;
        let current = req.dataset().await?;
        let schema = &current.version.schema;
        // Shapes first: maps ask for a preview to draw them.
        let geo = polygon_field(params, schema)?;
        let rows = match params.one("rows") {
            None => DEFAULT_PREVIEW,
            Some(r) => r
                .parse::<i64>()
                .ok()
                .filter(|r| (0..=MAX_PREVIEW).contains(r))
                .ok_or_else(|| ApiError::parameter(format!("Invalid value for rows: {r} (0 to {MAX_PREVIEW})")))?,
        };
        let field = format!("`{}`", geo.name);
        let wheres = located(params, schema, &field)?;
        let query = RecordsRequest {
            select: Some(&field),
            wheres: wheres.iter().map(String::as_str).collect(),
            limit: rows,
            timezone: timezone(params.one("timezone"))?,
            ..Default::default()
        };
        let ds = current.query();
        let page = portail_query::records(&ds, &query).await?;
        let shapes: Vec<Value> = page
            .results
            .into_iter()
            .filter_map(|mut row| {
                let value = row.remove(&geo.name)?;
                let geometry = match geo.field_type {
                    FieldType::GeoPoint2d => json!({"type": "Point", "coordinates": [value["lon"], value["lat"]]}),
                    _ => value.get("geometry").cloned()?,
                };
                let digest = geo_digest(&geometry);
                Some(json!({"geometry": geometry, "geo_digest": digest}))
            })
            .collect();
        Ok(respond(params, &Value::Array(shapes)))
    };
    run.await.unwrap_or_else(v1_error)
}

/// Records `geopolygon` reads at most; a map of every French commune (about 35,000) fits.
const MAX_POLYGON_RECORDS: i64 = 50_000;

/// The field `geopolygon` groups by: `geo_field` when given, else the first shape, else the
/// first point.
fn polygon_field<'a>(params: &V1Params, schema: &'a portail_core::Schema) -> Result<&'a portail_core::Field, ApiError> {
    let is_geo = |f: &&portail_core::Field| matches!(f.field_type, FieldType::GeoShape | FieldType::GeoPoint2d);
    match params.one("geo_field") {
        Some(name) => schema
            .field(name)
            .filter(is_geo)
            .ok_or_else(|| ApiError::parameter(format!("geo_field: {name} is not a geo field of this dataset"))),
        None => schema
            .fields
            .iter()
            .find(|f| f.field_type == FieldType::GeoShape)
            .or_else(|| schema.fields.iter().find(is_geo))
            .ok_or_else(|| ApiError::parameter("This dataset has no geo field")),
    }
}

/// `geopolygon`: the matching records grouped by their geometry (records sharing one shape
/// make one group), each with its count and series, as `geocluster` answers: `{"clusters":
/// [{"cluster": GeoJSON, "geo_digest", "count", "series"}], "count", "series"}`.
pub async fn geopolygon(req: V1Request) -> Response {
    geopolygon_inner(&req).await.unwrap_or_else(v1_error)
}

struct Group {
    geometry: Value,
    count: usize,
    inputs: Vec<Vec<f64>>,
}

async fn geopolygon_inner(req: &V1Request) -> Result<Response, ApiError> {
    let params = &req.params;
    let current = req.dataset().await?;
    let schema = &current.version.schema;
    let geo = polygon_field(params, schema)?;
    let series: Vec<Serie> = series(params)?;
    let field = format!("`{}`", geo.name);
    let mut select = vec![format!("{field} as g")];
    select.extend(series.iter().enumerate().filter_map(|(i, s)| s.input(i)));
    let wheres = located(params, schema, &field)?;
    let select = select.join(", ");
    let query = RecordsRequest {
        select: Some(&select),
        wheres: wheres.iter().map(String::as_str).collect(),
        limit: MAX_POLYGON_RECORDS,
        timezone: timezone(params.one("timezone"))?,
        ..Default::default()
    };
    let ds = current.query();
    let page = portail_query::records(&ds, &query).await?;
    // Grouped by digest, in the order the shapes first appear.
    let mut order: Vec<String> = vec![];
    let mut groups: std::collections::HashMap<String, Group> = std::collections::HashMap::new();
    for row in &page.results {
        let geometry = match geo.field_type {
            FieldType::GeoPoint2d => json!({"type": "Point", "coordinates": [row["g"]["lon"], row["g"]["lat"]]}),
            _ => row["g"].get("geometry").cloned().unwrap_or(Value::Null),
        };
        let digest = geo_digest(&geometry);
        let group = groups.entry(digest.clone()).or_insert_with(|| {
            order.push(digest);
            Group { geometry, count: 0, inputs: vec![vec![]; series.len()] }
        });
        group.count += 1;
        for (i, values) in group.inputs.iter_mut().enumerate() {
            if let Some(v) = row.get(&format!("e{i}")).and_then(Value::as_f64) {
                values.push(v);
            }
        }
    }
    let clusters: Vec<Value> = order
        .iter()
        .map(|digest| {
            let g = &groups[digest];
            let values: Map<String, Value> =
                series.iter().enumerate().map(|(i, s)| (s.name.clone(), s.fold(&g.inputs[i], g.count))).collect();
            json!({"cluster": g.geometry, "geo_digest": digest, "count": g.count, "series": values})
        })
        .collect();
    let serie_ranges: Map<String, Value> =
        series.iter().map(|s| (s.name.clone(), range(clusters.iter().map(|c| c["series"][&s.name].clone())))).collect();
    let body = json!({
        "clusters": clusters,
        "count": range(clusters.iter().map(|c| c["count"].clone())),
        "series": serie_ranges,
    });
    Ok(respond(params, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method};

    fn params(q: &str) -> V1Params {
        V1Params::new(&format!("/x?{q}").parse().unwrap(), &Method::GET, &HeaderMap::new(), &Bytes::new())
    }

    #[test]
    fn the_grid_is_a_zoom_and_the_distance_in_pixels() {
        assert_eq!(cluster_grid(&params("clusterprecision=12&clusterdistance=50")).unwrap(), (12, 50.0));
        assert_eq!(cluster_grid(&params("clusterprecision=0&clusterdistance=1")).unwrap(), (0, 1.0));
        assert_eq!(cluster_grid(&params("clusterprecision=3&clusterdistance=9000")).unwrap().1, 256.0);
        for bad in [
            "clusterdistance=50",
            "clusterprecision=26&clusterdistance=5",
            "clusterprecision=3",
            "clusterprecision=3&clusterdistance=-2",
            "clusterprecision=x&clusterdistance=2",
        ] {
            assert!(cluster_grid(&params(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_skip_what_is_not_a_number() {
        assert_eq!(range([json!(3), json!(null), json!(1.5)].into_iter()), json!({"min": 1.5, "max": 3.0}));
        assert_eq!(range([json!(3), json!(1)].into_iter()), json!({"min": 1, "max": 3}), "counts stay integers");
        assert_eq!(range(std::iter::empty()), json!({"min": null, "max": null}));
    }
}
