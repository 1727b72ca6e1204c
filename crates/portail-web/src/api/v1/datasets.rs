//! v1 datasets: catalog `search` and dataset `lookup`, in v1's dataset shape (`datasetid`,
//! flat `metas`, `fields` as a list).

use super::{respond, v1_error, V1Request};
use crate::api::catalog::{list_or_null, matching_entries, text_or_null, visible_one, with_attachments, Entry};
use crate::api::catalog_exports::{self, facet_group};
use crate::api::facets::FacetSort;
use crate::api::params::Params;
use crate::api::ApiError;
use crate::tenant::Site;
use axum::extract::Path;
use axum::response::Response;
use portail_core::time::iso_utc;
use portail_odsql::V1Field;
use serde_json::{json, Value};

fn v1_dataset(site: &Site, e: &Entry) -> Value {
    let d = &e.dataset;
    let fields: Vec<Value> = e
        .version
        .iter()
        .flat_map(|v| v.schema.fields.iter())
        .map(|f| {
            // v1 writes annotations as a list of `{"name": …}`.
            let annotations = d.metas.annotations(&f.name).v1_json();
            let mut field =
                json!({"name": f.name, "label": f.label, "type": f.field_type.as_str(), "annotations": annotations});
            if let Some(desc) = &f.description {
                field["description"] = json!(desc);
            }
            field
        })
        .collect();
    let modified = iso_utc(d.modified_at);
    json!({
        "datasetid": d.dataset_id,
        "dataset_uid": d.uid,
        "has_records": e.rows() > 0,
        "data_visible": true,
        "features": e.features(),
        "attachments": crate::api::attachments::of_entry(e),
        "alternative_exports": [],
        "billing_plans": [],
        "fields": fields,
        "metas": {
            "title": d.title,
            "description": if d.description.is_empty() { Value::Null } else { json!(d.description) },
            "modified": modified,
            "data_processed": modified,
            "metadata_processed": modified,
            "records_count": e.rows(),
            "domain": site.origin.split_once("://").map_or(site.origin.as_str(), |(_, host)| host),
            "timezone": "UTC",
            "language": site.portal.default_lang.code(),
            "visibility": if d.restricted { "restricted" } else { "domain" },
            "publisher": text_or_null(&d.metas.publisher),
            "theme": list_or_null(&d.metas.theme),
            "keyword": list_or_null(&d.metas.keyword),
            "license": text_or_null(&d.metas.license),
            "license_url": text_or_null(&d.metas.license_url),
        },
        "interop_metas": {},
        "extra_metas": {},
    })
}

/// Catalog names a v1 query may use, and how they compare.
fn catalog_field(name: &str) -> Option<V1Field> {
    match name {
        "datasetid" | "dataset_id" | "title" | "description" | "publisher" | "theme" | "keyword" | "license"
        | "features" | "visibility" => Some(V1Field::Text),
        "records_count" => Some(V1Field::Number),
        "modified" => Some(V1Field::Date),
        _ => None,
    }
}

/// A v2.1 catalog facet value as v1 writes it: `value` is the `path` a refine takes.
fn v1_facet(mut f: Value) -> Value {
    if let Some(value) = f.as_object_mut().and_then(|o| o.remove("value")) {
        f["path"] = value;
    }
    if let Some(children) = f.get_mut("facets").and_then(Value::as_array_mut) {
        for child in children.iter_mut() {
            *child = v1_facet(child.take());
        }
    }
    f
}

/// `facetsort.<facet>` on catalog facets: by count or by name, descending or not (excluded
/// values stay last, as they come).
fn sort_values(values: &mut [Value], sort: FacetSort) {
    let by_name = |a: &Value, b: &Value| a["name"].as_str().cmp(&b["name"].as_str());
    let by_count = |a: &Value, b: &Value| a["count"].as_i64().cmp(&b["count"].as_i64()).then_with(|| by_name(a, b));
    let excluded = |v: &Value| v["state"] == "excluded";
    let (counted, descending) = match sort {
        FacetSort::Count { descending } => (true, descending),
        FacetSort::Alphanum { descending } | FacetSort::Num { descending } => (false, descending),
    };
    let order = |a: &Value, b: &Value| {
        let ascending = if counted { by_count(a, b) } else { by_name(a, b) };
        if descending {
            ascending.reverse()
        } else {
            ascending
        }
    };
    values.sort_by(|a, b| excluded(a).cmp(&excluded(b)).then_with(|| order(a, b)));
}

pub async fn search(req: V1Request) -> Response {
    let V1Request { app, site, identity, params } = &req;
    let run = async {
        let (rows, start) = params.page()?;
        let format = params.one("format").unwrap_or("json");
        if !matches!(format, "json" | "jsonp" | "csv" | "rss") {
            return Err(ApiError::parameter(format!(
                "Unsupported format: {format} (available: json, jsonp, csv, rss)"
            )));
        }
        // A v1 catalog query is a v2.1 one: `q` becomes `where`, `refine.f=v` becomes `refine=f:v`.
        let mut pairs = vec![];
        for q in params.all("q").into_iter().chain(params.prefixed("q.").map(|(_, q)| q)) {
            if let Some(c) =
                portail_odsql::translate_q(q, &catalog_field).map_err(|e| ApiError::odsql(e.to_string()))?
            {
                pairs.push(("where".to_owned(), c));
            }
        }
        if let Some(sort) = super::order_by(params, |n| catalog_field(n).is_some())? {
            pairs.push(("order_by".to_owned(), sort));
        }
        // Refinements apart, with their facet: a disjunctive facet is counted without its own.
        let mut refines: Vec<(&str, (String, String))> = vec![];
        for (key, prefix) in [("refine", "refine."), ("exclude", "exclude.")] {
            refines.extend(params.prefixed(prefix).map(|(f, v)| (f, (key.to_owned(), format!("{f}:{v}")))));
        }
        let with_refines = |skip: Option<&str>| {
            let mut all = pairs.clone();
            all.extend(
                refines.iter().filter(|(f, (k, _))| !(Some(*f) == skip && k == "refine")).map(|(_, p)| p.clone()),
            );
            Params::from_pairs(all)
        };
        let query = with_refines(None);
        let matching = matching_entries(app, site, identity, &query).await?;
        let mut shown: Vec<Entry> = matching.iter().skip(start as usize).take(rows as usize).cloned().collect();
        if format == "csv" || format == "rss" {
            return catalog_page(site, &shown, format, super::csv_separator(params)?);
        }
        with_attachments(app, &mut shown).await?;
        let datasets: Vec<Value> = shown.iter().map(|e| v1_dataset(site, e)).collect();
        let mut parameters = json!({"timezone": "UTC", "rows": rows, "start": start, "format": "json"});
        if let Some(q) = params.one("q") {
            parameters["q"] = json!(q);
        }
        let mut body = json!({"nhits": matching.len(), "parameters": parameters, "datasets": datasets});
        let facets: Vec<&str> = params.all("facet").into_iter().map(str::trim).filter(|f| !f.is_empty()).collect();
        if !facets.is_empty() {
            let refined = query.refinements();
            let mut groups = vec![];
            for name in &facets {
                let disjunctive = params.flag(&format!("disjunctive.{name}"));
                let own = if disjunctive {
                    Some(matching_entries(app, site, identity, &with_refines(Some(name))).await?)
                } else {
                    None
                };
                let counted = own.as_deref().unwrap_or(&matching);
                let Some(mut group) = facet_group(site, counted, name, &refined, false)? else { continue };
                if let Some(values) = group.get_mut("facets").and_then(Value::as_array_mut) {
                    for v in values.iter_mut() {
                        *v = v1_facet(v.take());
                    }
                    if let Some(sort) = super::facet_sort(params, name)? {
                        sort_values(values, sort);
                    }
                }
                groups.push(group);
            }
            body["parameters"]["facet"] = json!(facets);
            if let Some(disjunctive) = super::disjunctive_echo(params) {
                body["parameters"]["disjunctive"] = disjunctive;
            }
            body["facet_groups"] = json!(groups);
        }
        Ok(respond(params, &body))
    };
    run.await.unwrap_or_else(v1_error)
}

/// A page of the catalog search as the catalog export of that format writes it.
fn catalog_page(site: &Site, shown: &[Entry], format: &str, separator: u8) -> Result<Response, ApiError> {
    let page: Vec<&Entry> = shown.iter().collect();
    if format == "csv" {
        let params = Params::from_pairs(vec![("delimiter".to_owned(), char::from(separator).to_string())]);
        return Ok(crate::api::api_text(catalog_exports::csv(site, &page, &None, &params)?, "text/csv; charset=utf-8"));
    }
    Ok(crate::api::api_text(catalog_exports::rss(site, &page), "application/rss+xml; charset=utf-8"))
}

pub async fn lookup(Path(dataset_id): Path<String>, req: V1Request) -> Response {
    let run = async {
        let mut entry = visible_one(&req.app, &req.site, &req.identity, &dataset_id).await?;
        with_attachments(&req.app, std::slice::from_mut(&mut entry)).await?;
        Ok(respond(&req.params, &v1_dataset(&req.site, &entry)))
    };
    run.await.unwrap_or_else(|e: ApiError| v1_error(e))
}
