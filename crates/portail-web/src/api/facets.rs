//! `/catalog/datasets/{id}/facets`: value counts of the requested fields over the matching
//! records. Text, numeric and boolean fields count by value, date fields by year.

use super::catalog::DatasetRequest;
use super::catalog::Served;
use super::records::request_wheres;
use super::{api_headers, ApiError};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::FieldType;
use portail_query::RecordsRequest;
use serde_json::{json, Value};

/// Most values returned per facet.
const MAX_FACET_VALUES: i64 = 1000;

/// The facet name of `facet=name` or `facet=facet(name="x", …)`.
pub(crate) fn facet_name(spec: &str) -> String {
    let s = spec.trim();
    if let Some(inner) = s.strip_prefix("facet(").and_then(|r| r.strip_suffix(')')) {
        for part in inner.split(',') {
            if let Some((k, v)) = part.split_once('=') {
                if k.trim() == "name" {
                    return v.trim().trim_matches('"').trim_matches('\'').to_owned();
                }
            }
        }
    }
    s.to_owned()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Counts of one field's values over the records matching `wheres`, most frequent first:
/// `(value as text, count)`. Dates count by year; geo fields cannot be facets.
pub(crate) async fn facet_counts(
    current: &Served,
    wheres: &[String],
    name: &str,
    timezone: portail_query::Zone,
) -> Result<Vec<(String, Value)>, ApiError> {
    let schema = &current.version.schema;
    let field = schema.field(name).ok_or_else(|| ApiError::odsql(schema.unknown_field(name)))?;
    let quoted = format!("`{}`", field.name.replace('`', "\\`"));
    let key = match field.field_type {
        FieldType::Date | FieldType::Datetime => format!("year({quoted})"),
        FieldType::GeoPoint2d | FieldType::GeoShape => {
            return Err(ApiError::odsql(format!("{name} is a geo field and cannot be a facet")))
        }
        _ => quoted,
    };
    let select = format!("{key} as facet_value, count(*) as facet_count");
    let group_by = format!("{key} as facet_value");
    let req = RecordsRequest {
        select: Some(&select),
        wheres: wheres.iter().map(String::as_str).collect(),
        group_by: Some(&group_by),
        order_by: Some("facet_count desc, facet_value"),
        limit: MAX_FACET_VALUES,
        offset: 0,
        timezone,
        lang: None,
    };
    let ds = current.query();
    let page = portail_query::records(&ds, &req).await?;
    Ok(page
        .results
        .iter()
        .filter(|row| !row["facet_value"].is_null())
        .map(|row| (text_of(&row["facet_value"]), row["facet_count"].clone()))
        .collect())
}

pub async fn facets(DatasetRequest { current, params, .. }: DatasetRequest) -> Result<Response, ApiError> {
    let wheres = request_wheres(&params, &current.version.schema)?;
    let refined = params.refinements();
    let timezone = params.timezone()?;
    let mut groups = vec![];
    for spec in params.all("facet") {
        let name = facet_name(spec);
        let values: Vec<Value> = facet_counts(&current, &wheres, &name, timezone)
            .await?
            .into_iter()
            .map(|(value, count)| {
                let state =
                    if refined.iter().any(|(f, v)| *f == name && *v == value) { "refined" } else { "displayed" };
                json!({"name": value, "value": value, "count": count, "state": state})
            })
            .collect();
        groups.push(json!({"name": name, "facets": values}));
    }
    let mut r = Json(json!({"links": [], "facets": groups})).into_response();
    api_headers(&mut r);
    Ok(r)
}
