//! The v2.0 compatibility shim: `/api/explore/v2.0/…` and its older alias `/api/v2/…`.
//!
//! Both are answered by the v2.1 routes: the request is rewritten to v2.1, and the answer is put
//! back into v2.0's envelopes (`datasets: [{links, dataset}]`, `records: [{links, record: {id,
//! timestamp, size, fields}}]`, `aggregations`) with the deprecation header Opendatasoft sends.
//! v2.0 defaults that differ from v2.1 are restored (CSV exports without a byte order mark).

use super::params::Params;
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use portail_core::time::iso_utc;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

pub const PREFIXES: &[&str] = &["/api/explore/v2.0", "/api/v2"];
const DEPRECATION: &str = "deprecated API version (v2.0), please use the current v2.1 version";
/// JSON pages above this size are not rewrapped (they are never that large; exports are streamed).
const MAX_ENVELOPE_BYTES: usize = 64 << 20;

/// What a v2.0 path asks for, as far as the envelope cares.
#[derive(Debug, PartialEq)]
enum Kind {
    Datasets,
    Dataset,
    Records { dataset_id: String },
    Record { dataset_id: String, record_id: String },
    Aggregates,
    Other,
}

fn kind(rest: &[&str]) -> Kind {
    match rest {
        ["catalog", "datasets"] => Kind::Datasets,
        ["catalog", "datasets", _] => Kind::Dataset,
        ["catalog", "datasets", id, "records"] => Kind::Records { dataset_id: (*id).to_owned() },
        ["catalog", "datasets", id, "records", record] => {
            Kind::Record { dataset_id: (*id).to_owned(), record_id: (*record).to_owned() }
        }
        ["catalog", "datasets", _, "aggregates"] => Kind::Aggregates,
        _ => Kind::Other,
    }
}

/// Whether a select list holds an aggregate (then records are groups and have no id).
fn aggregated(params: &Params) -> bool {
    params.one("group_by").is_some() || params.one("select").is_some_and(portail_query::select_text_aggregates)
}

/// The v2.1 query string for a v2.0 request of this kind.
fn rewrite_query(kind: &Kind, rest: &[&str], params: &Params) -> Option<String> {
    let mut pairs: Vec<(String, String)> = params.pairs().to_vec();
    let set = |pairs: &mut Vec<(String, String)>, k: &str, v: String| {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k.to_owned(), v));
    };
    match kind {
        // Records carry their id in v2.0: ask for it alongside the selection.
        Kind::Records { .. } if !aggregated(params) => {
            let select = params.one("select").unwrap_or("*").to_owned();
            set(&mut pairs, "select", format!("{select}, _id"));
        }
        _ => {}
    }
    if let ["catalog", "datasets", _, "exports", "csv"] = rest {
        if params.one("with_bom").is_none() {
            set(&mut pairs, "with_bom", "false".into());
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        out.append_pair(k, v);
    }
    Some(out.finish())
}

fn record_envelope(mut fields: Map<String, Value>, timestamp: &Value) -> Value {
    let id = fields.remove("_id").unwrap_or(Value::Null);
    let size = serde_json::to_vec(&fields).map_or(0, |b| b.len());
    json!({"links": [], "record": {"id": id, "timestamp": timestamp, "size": size, "fields": fields}})
}

fn rewrap(kind: &Kind, body: Value, timestamp: &Value) -> Value {
    let results = |body: &Value| body["results"].as_array().cloned().unwrap_or_default();
    match kind {
        Kind::Datasets => json!({
            "total_count": body["total_count"],
            "links": [],
            "datasets": results(&body).into_iter().map(|d| json!({"links": [], "dataset": d})).collect::<Vec<_>>(),
        }),
        Kind::Dataset => json!({"links": [], "dataset": body}),
        Kind::Records { .. } => json!({
            "total_count": body["total_count"],
            "links": [],
            "records": results(&body)
                .into_iter()
                .map(|r| match r {
                    Value::Object(fields) => record_envelope(fields, timestamp),
                    other => other,
                })
                .collect::<Vec<_>>(),
        }),
        Kind::Record { record_id, .. } => match body {
            Value::Object(mut fields) => {
                fields.insert("_id".into(), json!(record_id.to_ascii_lowercase()));
                let Value::Object(mut env) = record_envelope(fields, timestamp) else { unreachable!() };
                env.insert("links".into(), json!([]));
                Value::Object(env)
            }
            other => other,
        },
        Kind::Aggregates => json!({"links": [], "aggregations": results(&body)}),
        Kind::Other => body,
    }
}

/// `timestamp` of v2.0 records: when the dataset's data last changed.
async fn data_timestamp(app: &AppState, site: &Site, kind: &Kind) -> Value {
    let (Kind::Records { dataset_id } | Kind::Record { dataset_id, .. }) = kind else { return Value::Null };
    match app.store.dataset(site.portal.id, dataset_id).await {
        Ok(Some(d)) => json!(iso_utc(d.modified_at)),
        _ => Value::Null,
    }
}

pub async fn handle(State(app): State<AppState>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let Some(rest) = PREFIXES.iter().find_map(|p| path.strip_prefix(p)) else {
        return super::fallback(&parts.method);
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if let (["swagger.json" | "openapi.json"], Some(site)) = (segments.as_slice(), parts.extensions.get::<Site>()) {
        let mut r = super::openapi::serve_v20(site);
        r.headers_mut().insert("ods-explore-api-deprecation", HeaderValue::from_static(DEPRECATION));
        return r;
    }
    let kind = kind(&segments);
    let params = Params::parse(parts.uri.query());
    // v2.0's aggregates endpoint is v2.1's records with group_by.
    let target_rest = match kind {
        Kind::Aggregates => format!("/catalog/datasets/{}/records", segments[2]),
        _ => rest.to_owned(),
    };
    let mut target = format!("{}{target_rest}", super::PREFIX);
    let aggregates_defaults = kind == Kind::Aggregates && params.one("limit").is_none() && params.one("rows").is_none();
    let mut query = rewrite_query(&kind, &segments, &params);
    if aggregates_defaults {
        // v2.0 aggregates returned every group.
        query = Some(match query {
            Some(q) => format!("{q}&limit=20000"),
            None => "limit=20000".into(),
        });
    }
    if let Some(q) = &query {
        target = format!("{target}?{q}");
    }
    let Ok(uri) = target.parse::<Uri>() else {
        return super::ApiError::parameter("Invalid request path").into_response();
    };
    // A fresh request: the outer route's path parameters must not reach the inner routes.
    let mut inner_req = Request::new(body);
    *inner_req.method_mut() = parts.method.clone();
    *inner_req.uri_mut() = uri;
    *inner_req.headers_mut() = std::mem::take(&mut parts.headers);
    let site = parts.extensions.get::<Site>().cloned();
    if let Some(site) = &site {
        inner_req.extensions_mut().insert(site.clone());
    }
    if let Some(identity) = parts.extensions.get::<Option<Identity>>() {
        inner_req.extensions_mut().insert(identity.clone());
    }
    let inner = super::v21_routes().with_state(app.clone());
    let response = match inner.oneshot(inner_req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let mut response = if response.status() == StatusCode::OK && is_json(&response) && kind != Kind::Other {
        let timestamp = match &site {
            Some(site) => data_timestamp(&app, site, &kind).await,
            None => Value::Null,
        };
        let (mut head, body) = response.into_parts();
        match axum::body::to_bytes(body, MAX_ENVELOPE_BYTES).await.ok().and_then(|b| serde_json::from_slice(&b).ok()) {
            Some(v) => {
                let bytes = serde_json::to_vec(&rewrap(&kind, v, &timestamp)).unwrap_or_default();
                head.headers.remove(header::CONTENT_LENGTH);
                Response::from_parts(head, Body::from(bytes))
            }
            None => super::ApiError::internal("unreadable v2.1 answer").into_response(),
        }
    } else {
        response
    };
    response.headers_mut().insert("ods-explore-api-deprecation", HeaderValue::from_static(DEPRECATION));
    response
}

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_envelopes() {
        assert_eq!(kind(&["catalog", "datasets"]), Kind::Datasets);
        assert_eq!(kind(&["catalog", "datasets", "x", "records"]), Kind::Records { dataset_id: "x".into() });
        assert_eq!(kind(&["catalog", "datasets", "x", "aggregates"]), Kind::Aggregates);
        assert_eq!(kind(&["catalog", "datasets", "x", "facets"]), Kind::Other);
    }

    #[test]
    fn records_ask_for_their_id_unless_grouped() {
        let q = |s: &str| {
            rewrite_query(&Kind::Records { dataset_id: "x".into() }, &["catalog"], &Params::parse(Some(s)))
                .unwrap_or_default()
        };
        assert_eq!(q("rows=5"), "rows=5&select=*%2C+_id");
        assert_eq!(q("select=nom"), "select=nom%2C+_id");
        assert_eq!(q("select=count(*)"), "select=count%28*%29");
        assert_eq!(q("select=nom&group_by=nom"), "select=nom&group_by=nom");
    }

    #[test]
    fn records_are_wrapped_with_id_and_size() {
        let body = json!({"total_count": 1, "results": [{"nom": "a", "_id": "abc"}]});
        let v = rewrap(&Kind::Records { dataset_id: "x".into() }, body, &json!("2024-01-01T00:00:00+00:00"));
        assert_eq!(v["records"][0]["record"]["id"], "abc");
        assert_eq!(v["records"][0]["record"]["fields"], json!({"nom": "a"}));
        assert_eq!(v["records"][0]["record"]["size"], 11);
        assert_eq!(v["total_count"], 1);
    }
}
