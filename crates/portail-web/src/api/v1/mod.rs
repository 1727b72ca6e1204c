//! The v1 Search API (`/api/records/1.0/…`, `/api/datasets/1.0/…`), still called by ods-widgets,
//! older scripts and harvesters. Every endpoint takes GET or a form-encoded POST, answers JSON
//! (or JSONP with `callback`), and its errors are `{"error": "..."}`.
//!
//! A v1 "context" (`q`, `refine.<f>`, `exclude.<f>`, `geofilter.*`) becomes ODSQL conditions,
//! then runs through the same query engine as v2.1.

mod datasets;
mod feeds;
mod geo;
mod records;
mod series;

pub use records::export_v1;

use super::params::Params;
use super::ApiError;
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use portail_core::{FieldType, Schema};
use portail_odsql::V1Field;
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for (path, handler) in [
        ("/api/records/1.0/search", get(records::search).post(records::search)),
        ("/api/records/1.0/download", get(records::download).post(records::download)),
        ("/api/records/1.0/analyze", get(records::analyze).post(records::analyze)),
        ("/api/records/1.0/boundingbox", get(records::boundingbox).post(records::boundingbox)),
        ("/api/records/1.0/geocluster", get(geo::geocluster).post(geo::geocluster)),
        ("/api/records/1.0/geopreview", get(geo::geopreview).post(geo::geopreview)),
        ("/api/records/1.0/geopolygon", get(geo::geopolygon).post(geo::geopolygon)),
        ("/api/datasets/1.0/search", get(datasets::search).post(datasets::search)),
        ("/api/datasets/1.0/{dataset_id}", get(datasets::lookup).post(datasets::lookup)),
        ("/api/datasets/1.0/{dataset_id}/records/{record_id}", get(records::lookup).post(records::lookup)),
        // Where harvesters (udata's Opendatasoft backend) fetch the files the dataset lists.
        ("/api/datasets/1.0/{dataset_id}/attachments/{attachment_id}", get(super::attachments::download)),
    ] {
        for p in [path.to_owned(), format!("{path}/")] {
            router = router.route(&p, handler.clone().options(|| async { super::preflight() }));
        }
    }
    router
}

/// What every v1 records endpoint extracts.
pub struct V1Request {
    pub app: AppState,
    pub site: Site,
    pub identity: Option<Identity>,
    pub params: V1Params,
}

impl FromRequest<AppState> for V1Request {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, app: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let site = parts.extensions.get::<Site>().cloned();
        let identity = parts.extensions.get::<Option<Identity>>().cloned().flatten();
        let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| v1_error(ApiError::parameter("Request body too large or unreadable")))?;
        let Some(site) = site else {
            return Err(v1_error(ApiError::internal("request without a portal")));
        };
        let params = V1Params::new(&parts.uri, &parts.method, &parts.headers, &body);
        Ok(V1Request { app: app.clone(), site, identity: caller(&parts.method, identity), params })
    }
}

/// Largest POSTed form read (v1 parameters only).
const MAX_FORM_BYTES: usize = 1 << 20;

/// The parameters of a v1 call: the query string, plus the form body of a POST. Reading them
/// is `Params`' job; v1 adds trimming, `<prefix>.<field>` families and its own paging.
pub struct V1Params(Params);

impl V1Params {
    pub fn new(uri: &Uri, method: &Method, headers: &HeaderMap, body: &Bytes) -> V1Params {
        let mut pairs = Params::parse(uri.query()).pairs().to_vec();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if method == Method::POST && is_form {
            pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
        }
        V1Params(Params::from_pairs(pairs))
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.0.one(name).map(str::trim)
    }

    /// The last value, untrimmed (a tab separator is whitespace).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.pairs().iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.all(name)
    }

    /// `(suffix, value)` of every `<prefix><suffix>=value` pair.
    pub fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0.pairs().iter().filter_map(move |(k, v)| k.strip_prefix(prefix).map(|f| (f, v.as_str())))
    }

    pub fn flag(&self, name: &str) -> bool {
        self.one(name).is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    fn int(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.one(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| ApiError::parameter(format!("Invalid value for {name}: {v}"))),
        }
    }

    /// `rows` (default 10) and `start`, within `start + rows ≤ 10,000`.
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        let rows = self.int("rows", 10)?;
        let start = self.int("start", 0)?;
        if rows < 0 || start < 0 {
            return Err(ApiError::parameter("rows and start must be positive"));
        }
        if rows + start > 10_000 {
            return Err(ApiError::parameter(format!(
                "Invalid value for rows and start: start + rows = {} but must be at most 10000",
                rows + start
            )));
        }
        Ok((rows, start))
    }
}

/// A v1 caller: read-only POSTs skip the CSRF token check, so they are answered as anonymous
/// (a page elsewhere cannot use a visitor's session to read restricted data).
pub fn caller(method: &Method, identity: Option<Identity>) -> Option<Identity> {
    if method == Method::POST {
        None
    } else {
        identity
    }
}

/// `parameters.disjunctive` as v1 echoes it, `{facet: true}` (ods-widgets read it), or `None`.
pub fn disjunctive_echo(params: &V1Params) -> Option<Value> {
    let facets: serde_json::Map<String, Value> = params
        .prefixed("disjunctive.")
        .filter(|(_, v)| v.eq_ignore_ascii_case("true"))
        .map(|(f, _)| (f.to_owned(), Value::Bool(true)))
        .collect();
    (!facets.is_empty()).then_some(Value::Object(facets))
}

/// The v1 error body, `{"error": "..."}`, with the status of the error's code.
pub fn v1_error(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let message =
        if status == StatusCode::INTERNAL_SERVER_ERROR { "An internal error occurred.".into() } else { e.message };
    let mut r = (status, Json(serde_json::json!({"error": message}))).into_response();
    super::api_headers(&mut r);
    r
}

/// JSON, or JSONP when `callback` (or `format=jsonp`) asks for it.
pub fn respond(params: &V1Params, body: &Value) -> Response {
    let callback = params.one("callback").filter(|c| {
        c.len() <= 128 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' || ch == '$')
    });
    let mut r = match callback {
        Some(cb) => {
            let mut r = format!("/**/{cb}({body});").into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/javascript; charset=utf-8"));
            r
        }
        None => Json(body).into_response(),
    };
    super::api_headers(&mut r);
    r
}

pub(crate) fn v1_kind(t: FieldType) -> V1Field {
    match t {
        FieldType::Text => V1Field::Text,
        FieldType::Int | FieldType::Double => V1Field::Number,
        FieldType::Date | FieldType::Datetime => V1Field::Date,
        _ => V1Field::Other,
    }
}

/// `csv_separator` (`;` by default, `,`, tab or `|`), for every v1 answer in CSV.
pub fn csv_separator(params: &V1Params) -> Result<u8, ApiError> {
    match params.raw("csv_separator").unwrap_or(";") {
        ";" => Ok(b';'),
        "," => Ok(b','),
        "\t" => Ok(b'\t'),
        "|" => Ok(b'|'),
        other => Err(ApiError::parameter(format!("Unsupported csv_separator: {other}"))),
    }
}

/// ods-widgets' `facetsort.<facet>` (`-count`, `alphanum`, `-num`…), for record and catalog facets.
pub fn facet_sort(params: &V1Params, facet: &str) -> Result<Option<super::facets::FacetSort>, ApiError> {
    let Some(sort) = params.one(&format!("facetsort.{facet}")) else { return Ok(None) };
    super::facets::FacetSort::parse(sort).map(Some).ok_or_else(|| {
        ApiError::parameter(format!(
            "Invalid facetsort.{facet}: {sort} (count, alphanum, num, or with a leading - for descending)"
        ))
    })
}

/// The first geo field of a dataset: where `geofilter.*` applies and `geometry` comes from.
pub fn geo_field(schema: &Schema) -> Option<&portail_core::Field> {
    schema
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::GeoPoint2d)
        .or_else(|| schema.fields.iter().find(|f| f.field_type == FieldType::GeoShape))
}

/// A v1 context as ODSQL conditions over a dataset. Refinements are returned apart (field,
/// condition) so that disjunctive facets can leave their own out.
pub struct Context {
    pub conditions: Vec<String>,
    pub refines: Vec<(String, String)>,
    /// Facets asked as `disjunctive.<field>=true`: their refinements OR together.
    pub disjunctive: Vec<String>,
    pub schema: Schema,
}

impl Context {
    pub fn all(&self) -> Vec<String> {
        self.conditions.iter().cloned().chain(self.combined(&self.refines)).collect()
    }

    /// Every condition except the refinements of `field`.
    pub fn without_refines_of(&self, field: &str) -> Vec<String> {
        let others: Vec<(String, String)> = self.refines.iter().filter(|(f, _)| f != field).cloned().collect();
        self.conditions.iter().cloned().chain(self.combined(&others)).collect()
    }

    fn combined(&self, refines: &[(String, String)]) -> Vec<String> {
        super::records::combine_refines(&self.schema, refines, |f| self.disjunctive.iter().any(|d| d == f))
    }
}

fn numbers(s: &str, n: usize, name: &str) -> Result<Vec<f64>, ApiError> {
    let parts: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
        ApiError::parameter(format!("Invalid value for {name}: {s} (expected {n} comma-separated numbers)"))
    })?;
    if parts.len() != n {
        return Err(ApiError::parameter(format!(
            "Invalid value for {name}: {s} (expected {n} comma-separated numbers)"
        )));
    }
    Ok(parts)
}

pub fn context(params: &V1Params, schema: &Schema) -> Result<Context, ApiError> {
    let mut conditions = vec![];
    // `q.<name>=…` are further named queries (widgets keep one per filter), ANDed with `q`.
    let named = params.prefixed("q.").map(|(_, q)| q);
    for q in params.all("q").into_iter().chain(params.all("qv1")).chain(named) {
        let kind = |name: &str| schema.field(name).map(|f| v1_kind(f.field_type));
        match portail_odsql::translate_q(q, &kind) {
            Ok(Some(c)) => conditions.push(c),
            Ok(None) => {}
            Err(e) => return Err(ApiError::odsql(e.to_string())),
        }
    }
    let mut refines = vec![];
    for (field, value) in params.prefixed("refine.") {
        refines.push((field.to_owned(), super::records::refine_condition(schema, field, value)?));
    }
    for (field, value) in params.prefixed("exclude.") {
        conditions.push(format!("not ({})", super::records::refine_condition(schema, field, value)?));
    }
    let geo = || {
        geo_field(schema)
            .filter(|f| f.field_type == FieldType::GeoPoint2d)
            .map(|f| format!("`{}`", f.name))
            .ok_or_else(|| ApiError::parameter("This dataset has no geo point field to filter on"))
    };
    if let Some(d) = params.one("geofilter.distance") {
        let v = numbers(d, 3, "geofilter.distance")?;
        conditions.push(format!("within_distance({}, geom'POINT({} {})', {}m)", geo()?, v[1], v[0], v[2]));
    }
    if let Some(b) = params.one("geofilter.bbox") {
        let v = numbers(b, 4, "geofilter.bbox")?;
        conditions.push(format!("in_bbox({}, {}, {}, {}, {})", geo()?, v[0], v[1], v[2], v[3]));
    }
    if let Some(p) = params.one("geofilter.polygon") {
        let field = geo_field(schema)
            .map(|f| format!("`{}`", f.name))
            .ok_or_else(|| ApiError::parameter("This dataset has no geo field to filter on"))?;
        conditions.push(format!("intersects({field}, geom'{}')", polygon_wkt(p)?));
    }
    let disjunctive = params
        .prefixed("disjunctive.")
        .filter(|(_, v)| v.eq_ignore_ascii_case("true") || *v == "1")
        .map(|(f, _)| f.to_owned())
        .collect();
    Ok(Context { conditions, refines, disjunctive, schema: schema.clone() })
}

/// `geofilter.polygon=(lat,lon),(lat,lon),…` (v1 puts latitudes first) as a closed WKT polygon.
fn polygon_wkt(text: &str) -> Result<String, ApiError> {
    portail_odsql::lat_lon_polygon(text).ok_or_else(|| {
        ApiError::parameter(format!(
            "Invalid geofilter.polygon: {text} (expected at least three points as (lat,lon),(lat,lon),(lat,lon))"
        ))
    })
}

/// `sort=field` sorts descending, `sort=-field` ascending (the reverse of most APIs).
pub fn order_by(params: &V1Params, known: impl Fn(&str) -> bool) -> Result<Option<String>, ApiError> {
    let Some(sort) = params.one("sort") else { return Ok(None) };
    let mut items = vec![];
    for part in sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, dir) = match part.strip_prefix('-') {
            Some(n) => (n, "asc"),
            None => (part, "desc"),
        };
        if !known(name) {
            return Err(ApiError::parameter(format!("Unknown sort field: {name}")));
        }
        items.push(format!("`{name}` {dir}"));
    }
    Ok((!items.is_empty()).then(|| items.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portail_core::Field;

    fn schema() -> Schema {
        let f = |name: &str, t| Field::new(name, name, t);
        Schema { fields: vec![f("nom", FieldType::Text), f("n", FieldType::Int), f("geo", FieldType::GeoPoint2d)] }
    }

    fn params(q: &str) -> V1Params {
        V1Params::new(&format!("/x?{q}").parse().unwrap(), &Method::GET, &HeaderMap::new(), &Bytes::new())
    }

    #[test]
    fn context_translates_q_refines_and_geofilters() {
        let c =
            context(&params("q=ecole&refine.nom=A&exclude.n=3&geofilter.distance=48.8,2.3,500"), &schema()).unwrap();
        assert_eq!(c.conditions[0], "\"ecole\"");
        assert_eq!(c.conditions[1], "not (`n` = \"3\")");
        assert_eq!(c.conditions[2], "within_distance(`geo`, geom'POINT(2.3 48.8)', 500m)");
        assert_eq!(c.refines, [("nom".to_owned(), "`nom` = \"A\"".to_owned())]);
        assert!(context(&params("geofilter.distance=1,2"), &schema()).is_err());
        let c = context(&params("geofilter.polygon=(48.8,2.3),(48.9,2.3),(48.9,2.4)"), &schema()).unwrap();
        assert_eq!(c.conditions[0], "intersects(`geo`, geom'POLYGON((2.3 48.8, 2.3 48.9, 2.4 48.9, 2.3 48.8))')");
        for bad in ["(48.8,2.3),(48.9,2.3)", "48.8,2.3,48.9", "(a,b),(1,2),(3,4)", "(1,2,3),(1,2),(3,4)"] {
            assert!(context(&params(&format!("geofilter.polygon={bad}")), &schema()).is_err(), "{bad}");
        }
        assert!(context(&params("refine.nope=1"), &schema()).is_err());
    }

    #[test]
    fn sort_is_descending_unless_minus() {
        let known = |n: &str| n == "n" || n == "nom";
        assert_eq!(order_by(&params("sort=n"), known).unwrap().unwrap(), "`n` desc");
        assert_eq!(order_by(&params("sort=-nom,n"), known).unwrap().unwrap(), "`nom` asc, `n` desc");
        assert!(order_by(&params("sort=x"), known).is_err());
    }

    #[test]
    fn jsonp_only_with_a_plain_callback_name() {
        let r = respond(&params("callback=cb_1"), &serde_json::json!({"a": 1}));
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/javascript"));
        let r = respond(&params("callback=alert(1)//"), &serde_json::json!({}));
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    }
}
