//! `/catalog/datasets/{id}/records` and `/records/{record_id}`.

use super::catalog::DatasetRequest;
use super::params::{split_refinement, Params, MAX_GROUPS};
use super::{api_headers, ApiError};
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::{FieldType, Schema};
use portail_query::{QueryError, RecordsRequest};
use serde_json::{json, Value};

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Internal(detail) => ApiError::internal(detail),
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

/// An ODSQL string literal holding `s`.
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `refine=field:value` as an ODSQL condition: equality, or the period of a date path
/// (`2024`, `2024/03`, `2024/03/05`).
pub(crate) fn refine_condition(schema: &Schema, field: &str, value: &str) -> Result<String, ApiError> {
    let f = schema.field(field).ok_or_else(|| ApiError::odsql(schema.unknown_field(field)))?;
    let name = format!("`{}`", f.name.replace('`', "\\`"));
    Ok(match f.field_type {
        FieldType::Date | FieldType::Datetime => {
            let parts: Vec<&str> = value.split(['/', '-']).collect();
            let mut conds = vec![];
            for (part, func) in parts.iter().zip(["year", "month", "day"]) {
                let n: i64 =
                    part.parse().map_err(|_| ApiError::parameter(format!("Invalid date path in refine: {value}")))?;
                conds.push(format!("{func}({name}) = {n}"));
            }
            conds.join(" and ")
        }
        // One of a multivalued field's values; a path or one of its levels for a hierarchical one.
        FieldType::Text if f.multivalued().is_some() || f.hierarchical().is_some() => {
            format!("{} IN {name}", quote(value))
        }
        // Literals are read as the field's type when bound, so one quoted form fits every type.
        _ => format!("{name} = {}", quote(value)),
    })
}

/// Refinement conditions as `where`s: those of one facet all hold, unless the facet is
/// disjunctive (by its field's annotation or `asked_disjunctive`), where any of them does.
pub(crate) fn combine_refines(
    schema: &Schema,
    refines: &[(String, String)],
    asked_disjunctive: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = vec![];
    let mut done: Vec<&str> = vec![];
    for (field, condition) in refines {
        let disjunctive = asked_disjunctive(field) || schema.field(field).is_some_and(|f| f.annotations.disjunctive);
        if !disjunctive {
            out.push(condition.clone());
        } else if !done.contains(&field.as_str()) {
            done.push(field);
            let any: Vec<String> = refines.iter().filter(|(f, _)| f == field).map(|(_, c)| format!("({c})")).collect();
            out.push(any.join(" or "));
        }
    }
    out
}

/// Every `where`, plus `refine` and `exclude` as conditions.
pub fn request_wheres(params: &Params, schema: &Schema) -> Result<Vec<String>, ApiError> {
    request_wheres_except(params, schema, None)
}

/// The same, leaving out the refinements of `field` (a disjunctive facet counts its values
/// without its own).
pub fn request_wheres_except(params: &Params, schema: &Schema, field: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut wheres: Vec<String> =
        params.all("where").into_iter().filter(|w| !w.trim().is_empty()).map(str::to_owned).collect();
    // `qv1`: a v1 query that widgets add when they translate a v1 context for v2.1.
    for q in params.all("qv1") {
        let kind = |name: &str| schema.field(name).map(|f| super::v1::v1_kind(f.field_type));
        if let Some(c) = portail_odsql::translate_q(q, &kind).map_err(|e| ApiError::odsql(e.to_string()))? {
            wheres.push(c);
        }
    }
    let mut refines = vec![];
    for r in params.all("refine") {
        let (facet, value) = split_refinement(r)?;
        if Some(facet) != field {
            refines.push((facet.to_owned(), refine_condition(schema, facet, value)?));
        }
    }
    wheres.extend(combine_refines(schema, &refines, |_| false));
    for x in params.all("exclude") {
        let (field, value) = split_refinement(x)?;
        wheres.push(format!("not ({})", refine_condition(schema, field, value)?));
    }
    Ok(wheres)
}

fn request_parts(params: &Params, schema: &Schema) -> Result<(Vec<String>, i64, i64), ApiError> {
    let grouped = params.one("group_by").is_some();
    let (limit, offset) = if grouped { params.page_within(MAX_GROUPS, MAX_GROUPS)? } else { params.page()? };
    let wheres = request_wheres(params, schema)?;
    params.flag("include_links")?;
    params.flag("include_app_metas")?;
    Ok((wheres, limit, offset))
}

pub async fn records(DatasetRequest { current, params, .. }: DatasetRequest) -> Result<Response, ApiError> {
    let schema = &current.version.schema;
    let (wheres, limit, offset) = request_parts(&params, schema)?;
    let req = RecordsRequest {
        select: params.one("select"),
        wheres: wheres.iter().map(String::as_str).collect(),
        group_by: params.one("group_by"),
        order_by: params.one("order_by"),
        limit,
        offset,
        timezone: params.timezone()?,
        lang: params.lang(),
    };
    let ds = current.query();
    let page = portail_query::records(&ds, &req).await?;
    let mut r = Json(json!({"total_count": page.total_count, "results": page.results})).into_response();
    api_headers(&mut r);
    Ok(r)
}

pub async fn record(
    DatasetRequest { current, dataset_id, params, .. }: DatasetRequest,
    Path((_, record_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found =
        || ApiError::not_found(format!("The requested record {record_id} does not exist in dataset {dataset_id}."));
    if record_id.len() != 40 || !record_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let condition = format!("_id = \"{}\"", record_id.to_ascii_lowercase());
    let select = params.one("select").filter(|s| !s.trim().is_empty());
    if select.is_some_and(portail_query::select_text_aggregates) {
        return Err(ApiError::odsql("A record's select cannot hold aggregates"));
    }
    let timezone = params.timezone()?;
    let lang = params.lang();
    let req = RecordsRequest { wheres: vec![&condition], select, limit: 1, timezone, lang, ..Default::default() };
    let ds = current.query();
    let page = portail_query::records(&ds, &req).await?;
    let record = page.results.into_iter().next().ok_or_else(not_found)?;
    let mut r = Json(Value::Object(record)).into_response();
    api_headers(&mut r);
    Ok(r)
}
