//! `/catalog/datasets` and `/catalog/datasets/{id}`: the catalog searched over dataset metadata.

use super::params::{split_refinement, Params};
use super::{api_headers, ApiError, PREFIX};
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portail_core::time::iso_utc;
use portail_core::FieldType;
use portail_odsql::{Arg, CmpOp, Cond, Expr, Literal, SelectItem};
use portail_store::{DatasetRecord, VersionRecord};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

fn ok(body: Value) -> Response {
    let mut r = Json(body).into_response();
    api_headers(&mut r);
    r
}

pub(crate) fn link(href: String, rel: &str) -> Value {
    json!({"href": href, "rel": rel})
}

pub async fn root(Extension(site): Extension<Site>) -> Response {
    let base = format!("{}{PREFIX}", site.origin);
    ok(json!({"links": [link(base.clone(), "self"), link(format!("{base}/catalog"), "catalog")]}))
}

pub async fn catalog_root(Extension(site): Extension<Site>) -> Response {
    let base = format!("{}{PREFIX}/catalog", site.origin);
    ok(json!({"links": [
        link(base.clone(), "self"),
        link(format!("{base}/datasets"), "datasets"),
        link(format!("{base}/exports"), "exports"),
        link(format!("{base}/facets"), "facets"),
    ]}))
}

/// A published dataset the caller may see, with its serving version.
#[derive(Clone)]
pub(crate) struct Entry {
    pub dataset: DatasetRecord,
    pub version: Option<VersionRecord>,
    /// Filled by [`with_attachments`] where the dataset object is shown, not on every lookup:
    /// records, facets and exports find the dataset through here and need none.
    pub attachments: Vec<portail_store::AttachmentRecord>,
}

/// Loads the attachments of the entries whose dataset object is about to be shown.
pub(crate) async fn with_attachments(app: &AppState, entries: &mut [Entry]) -> Result<(), ApiError> {
    for e in entries {
        e.attachments = app.store.attachments(&e.dataset.uid).await.map_err(ApiError::internal)?;
    }
    Ok(())
}

impl Entry {
    pub fn rows(&self) -> i64 {
        self.version.as_ref().map_or(0, |v| v.rows)
    }

    pub fn features(&self) -> Vec<&'static str> {
        let types: Vec<FieldType> =
            self.version.iter().flat_map(|v| v.schema.fields.iter().map(|f| f.field_type)).collect();
        let mut out = vec![];
        if self.rows() > 0 {
            out.push("analyze");
        }
        if types.iter().any(|t| matches!(t, FieldType::GeoPoint2d | FieldType::GeoShape)) {
            out.push("geo");
        }
        if types.iter().any(|t| matches!(t, FieldType::Date | FieldType::Datetime)) {
            out.push("timeserie");
        }
        out
    }
}

/// The datasets of the portal the caller may see: published ones, restricted ones only for the
/// portal's signed-in users. Everything else does not exist, as far as the API says.
fn can_see(d: &DatasetRecord, identity: &Option<Identity>) -> bool {
    d.published && (!d.restricted || identity.is_some())
}

async fn entry(app: &AppState, dataset: DatasetRecord) -> Result<Entry, ApiError> {
    let version = match dataset.current_version {
        Some(v) => app.store.version(&dataset.uid, v).await.map_err(ApiError::internal)?,
        None => None,
    };
    Ok(Entry { dataset, version, attachments: vec![] })
}

pub(crate) async fn visible(app: &AppState, site: &Site, identity: &Option<Identity>) -> Result<Vec<Entry>, ApiError> {
    let datasets = app.store.datasets(site.portal.id).await.map_err(ApiError::internal)?;
    let mut out = vec![];
    for dataset in datasets.into_iter().filter(|d| can_see(d, identity)) {
        out.push(entry(app, dataset).await?);
    }
    Ok(out)
}

/// One dataset the caller may see, looked up by id (one store query, not the whole catalog).
pub(crate) async fn visible_one(
    app: &AppState,
    site: &Site,
    identity: &Option<Identity>,
    dataset_id: &str,
) -> Result<Entry, ApiError> {
    let dataset = app.store.dataset(site.portal.id, dataset_id).await.map_err(ApiError::internal)?;
    match dataset.filter(|d| can_see(d, identity)) {
        Some(d) => entry(app, d).await,
        None => Err(ApiError::dataset_not_found(dataset_id)),
    }
}

/// What a dataset object carries beyond its metadata: `include_links`, `include_app_metas`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extras {
    pub links: bool,
    pub app_metas: bool,
    /// `lang`: the title, description and labels in that language where translated.
    pub lang: Option<portail_core::Lang>,
}

impl Extras {
    pub(crate) fn of(params: &Params) -> Result<Extras, ApiError> {
        Ok(Extras {
            links: params.flag("include_links")?,
            app_metas: params.flag("include_app_metas")?,
            lang: params.lang(),
        })
    }
}

/// `metas.visualization`, the application template of `include_app_metas`: which views the
/// portal's own pages offer for the dataset and the fields they show.
fn visualization(e: &Entry) -> Value {
    let fields: Vec<&portail_core::Field> = e.version.iter().flat_map(|v| v.schema.fields.iter()).collect();
    let features = e.features();
    let text: Vec<&str> =
        fields.iter().filter(|f| f.field_type == portail_core::FieldType::Text).map(|f| f.name.as_str()).collect();
    json!({
        "table_disabled": false,
        "table_fields": fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        "map_disabled": !features.contains(&"geo"),
        "map_tooltip_fields": text,
        "map_tooltip_html_enabled": false,
        "analyze_disabled": false,
        "calendar_enabled": false,
        "image_enabled": false,
        "custom_view_enabled": false,
    })
}

/// A metadata text as the dataset object shows it: `null` when unset, as Opendatasoft does.
pub(crate) fn text_or_null(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        json!(text)
    }
}

/// A metadata list (`theme`, `keyword`): `null` when empty.
pub(crate) fn list_or_null(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        json!(items)
    }
}

pub(crate) fn dataset_json(site: &Site, e: &Entry, extras: Extras) -> Value {
    let mut d = e.dataset.clone();
    let mut schema = e.version.as_ref().map(|v| v.schema.clone()).unwrap_or_default();
    // The metadata's language: the portal's, or the one asked for where it is translated.
    let mut language = site.portal.default_lang;
    if let Some(lang) = extras.lang.filter(|l| d.metas.translations.contains_key(l.code())) {
        d.localize(lang);
        d.localize_labels(lang, &mut schema);
        language = lang;
    }
    let d = &d;
    let fields: Vec<Value> = schema
        .fields
        .iter()
        .map(|f| {
            // Annotations as v2.1 writes them: name → arguments.
            let annotations = d.metas.annotations(&f.name).v2_json();
            json!({"name": f.name, "label": f.label, "type": f.field_type.as_str(), "description": f.description, "annotations": annotations})
        })
        .collect();
    let mut out = json!({
        "dataset_id": d.dataset_id,
        "dataset_uid": d.uid,
        "attachments": super::attachments::of_entry(e),
        "has_records": e.rows() > 0,
        "data_visible": true,
        "fields": fields,
        "metas": {"default": {
            "title": d.title,
            "description": if d.description.is_empty() { Value::Null } else { json!(d.description) },
            "modified": iso_utc(d.modified_at),
            "records_count": e.rows(),
            "timezone": "UTC",
            "publisher": text_or_null(&d.metas.publisher),
            "theme": list_or_null(&d.metas.theme),
            "keyword": list_or_null(&d.metas.keyword),
            "license": text_or_null(&d.metas.license),
            "license_url": text_or_null(&d.metas.license_url),
            "language": language.code(),
        }},
        "features": e.features(),
        "visibility": if d.restricted { "restricted" } else { "domain" },
    });
    if extras.app_metas {
        out["metas"]["visualization"] = visualization(e);
    }
    if extras.links {
        let base = format!("{}{PREFIX}/catalog", site.origin);
        out["_links"] = json!([
            link(format!("{base}/datasets/{}", d.dataset_id), "self"),
            link(base.clone(), "catalog"),
            link(format!("{base}/datasets/{}/records", d.dataset_id), "records"),
            link(format!("{base}/datasets/{}/attachments", d.dataset_id), "attachments"),
        ]);
    }
    out
}

/// A metadata value as ODSQL sees it.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<String>),
    Null,
}

fn meta(e: &Entry, path: &[String]) -> Result<V, ApiError> {
    let name = path.join(".");
    let bare = name.strip_prefix("default.").unwrap_or(&name);
    let d = &e.dataset;
    Ok(match bare {
        "dataset_id" | "datasetid" => V::Str(d.dataset_id.clone()),
        "dataset_uid" => V::Str(d.uid.clone()),
        "title" => V::Str(d.title.clone()),
        "description" if d.description.is_empty() => V::Null,
        "description" => V::Str(d.description.clone()),
        "modified" => V::Str(iso_utc(d.modified_at)),
        "records_count" => V::Num(e.rows() as f64),
        "has_records" => V::Bool(e.rows() > 0),
        "data_visible" => V::Bool(true),
        "features" => V::List(e.features().iter().map(|s| s.to_string()).collect()),
        "visibility" => V::Str(if d.restricted { "restricted" } else { "domain" }.into()),
        "theme" | "keyword" => {
            let items = if bare == "theme" { &d.metas.theme } else { &d.metas.keyword };
            if items.is_empty() {
                V::Null
            } else {
                V::List(items.clone())
            }
        }
        "publisher" | "license" | "license_url" => {
            let text = match bare {
                "publisher" => &d.metas.publisher,
                "license" => &d.metas.license,
                _ => &d.metas.license_url,
            };
            if text.is_empty() {
                V::Null
            } else {
                V::Str(text.clone())
            }
        }
        _ => return Err(ApiError::odsql(format!("Unknown field: {name}"))),
    })
}

fn literal(expr: &Expr) -> Result<V, ApiError> {
    match expr {
        Expr::Literal { value, .. } => Ok(match value {
            Literal::Str(s) => V::Str(s.clone()),
            Literal::Num(_, n) => V::Num(*n),
            Literal::Bool(b) => V::Bool(*b),
            Literal::Null => V::Null,
            Literal::Date(d) => V::Str(d.replace('/', "-")),
            Literal::Geom(_) => return Err(ApiError::odsql("Geometries cannot be compared with catalog metadata")),
        }),
        _ => Err(ApiError::odsql("Catalog conditions compare a metadata field with a value")),
    }
}

fn value(e: &Entry, expr: &Expr) -> Result<V, ApiError> {
    match expr {
        Expr::Field { path, .. } => meta(e, path),
        other => literal(other),
    }
}

fn compare(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::Str(x), V::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        // `modified > 2020`: a bare year against a date compares with the date's year.
        (V::Str(x), V::Num(y)) if x.len() >= 4 => x[..4].parse::<f64>().ok().and_then(|year| year.partial_cmp(y)),
        _ => None,
    }
}

fn text_of(e: &Entry) -> Vec<String> {
    let d = &e.dataset;
    let m = &d.metas;
    let text = format!(
        "{} {} {} {} {} {}",
        d.title,
        d.description,
        d.dataset_id.replace(['-', '_'], " "),
        m.theme.join(" "),
        m.keyword.join(" "),
        m.publisher
    );
    portail_search::words(&text)
}

/// Every word of `query` is in the metadata's words (a trailing `*`, or `prefix_all`, makes it a prefix).
fn words_match(e: &Entry, query: &str, prefix_all: bool) -> bool {
    let words = text_of(e);
    let parts: Vec<&str> = query.split_whitespace().collect();
    parts.iter().all(|part| {
        let prefix = prefix_all || part.ends_with('*');
        portail_search::words(part.trim_end_matches('*'))
            .iter()
            .all(|w| words.iter().any(|x| if prefix { x.starts_with(w.as_str()) } else { x == w }))
    })
}

/// The front office's catalog search box: every word of `query` starts a word of the title,
/// description or identifier, or (typed in full) is one with a typo or two.
pub(crate) fn text_matches(e: &Entry, query: &str) -> bool {
    portail_search::text_matches_forgiving(query, &text_of(e))
}

fn eval(e: &Entry, c: &Cond) -> Result<bool, ApiError> {
    Ok(match c {
        Cond::And(items) => {
            for i in items {
                if !eval(e, i)? {
                    return Ok(false);
                }
            }
            true
        }
        Cond::Or(items) => {
            for i in items {
                if eval(e, i)? {
                    return Ok(true);
                }
            }
            false
        }
        Cond::Not(inner) => !eval(e, inner)?,
        Cond::FullText { text, .. } => words_match(e, text, false),
        Cond::Like { expr, pattern, .. } => match value(e, expr)? {
            V::Str(s) => {
                let have = portail_search::words(&s);
                portail_search::words(pattern).iter().all(|w| have.contains(w))
            }
            _ => false,
        },
        Cond::Compare { left, op, right, .. } => {
            let (a, b) = (value(e, left)?, value(e, right)?);
            match (&a, op) {
                // `features = 'geo'`: equality with a list means membership.
                (V::List(items), CmpOp::Eq) => matches!(&b, V::Str(s) if items.contains(s)),
                (V::List(items), CmpOp::Ne) => !matches!(&b, V::Str(s) if items.contains(s)),
                _ => match (compare(&a, &b), op) {
                    (None, _) => false,
                    (Some(o), CmpOp::Eq) => o == Ordering::Equal,
                    (Some(o), CmpOp::Ne) => o != Ordering::Equal,
                    (Some(o), CmpOp::Lt) => o == Ordering::Less,
                    (Some(o), CmpOp::Le) => o != Ordering::Greater,
                    (Some(o), CmpOp::Gt) => o == Ordering::Greater,
                    (Some(o), CmpOp::Ge) => o != Ordering::Less,
                },
            }
        }
        Cond::InList { expr, values, .. } => {
            let v = value(e, expr)?;
            let mut found = false;
            for candidate in values {
                found |= compare(&v, &literal(candidate)?) == Some(Ordering::Equal);
            }
            found
        }
        Cond::InRange { expr, low, high, .. } => {
            let v = value(e, expr)?;
            let lo = compare(&v, &literal(&low.value)?);
            let hi = compare(&v, &literal(&high.value)?);
            let above = lo == Some(Ordering::Greater) || (low.inclusive && lo == Some(Ordering::Equal));
            let below = hi == Some(Ordering::Less) || (high.inclusive && hi == Some(Ordering::Equal));
            above && below
        }
        Cond::Member { value: needle, field, .. } => match (literal(needle)?, value(e, field)?) {
            (V::Str(s), V::List(items)) => items.contains(&s),
            (a, b) => compare(&a, &b) == Some(Ordering::Equal),
        },
        Cond::IsNull { expr, negated, .. } => (value(e, expr)? == V::Null) != *negated,
        Cond::IsBool { expr, value: want, negated, .. } => (value(e, expr)? == V::Bool(*want)) != *negated,
        Cond::Truthy { expr, .. } => value(e, expr)? == V::Bool(true),
        Cond::Function { name, args, .. } => match name.as_str() {
            "search" | "suggest" | "startswith" => {
                let Some(Arg::Expr(Expr::Literal { value: Literal::Str(q), .. })) = args.last() else {
                    return Err(ApiError::odsql(format!("{name}() takes a quoted text as its last argument")));
                };
                let fields: Vec<&Arg> = args[..args.len() - 1].iter().collect();
                let all = fields.is_empty() || fields.iter().any(|a| matches!(a, Arg::Star(_)));
                if name == "startswith" {
                    let mut hit = false;
                    for f in &fields {
                        if let Arg::Expr(expr) = f {
                            hit |= matches!(value(e, expr)?, V::Str(s) if s.starts_with(q.as_str()));
                        }
                    }
                    hit
                } else {
                    // search(): every word but the last within a typo or two, the last a prefix;
                    // suggest(): every word a prefix (spec 7.3).
                    let mode = if name == "search" {
                        portail_search::Match::Fuzzy
                    } else {
                        portail_search::Match::AllPrefixes
                    };
                    if all {
                        portail_search::text_matches(q, &text_of(e), mode)
                    } else {
                        let mut hit = false;
                        for f in &fields {
                            if let Arg::Expr(expr) = f {
                                if let V::Str(s) = value(e, expr)? {
                                    hit |= portail_search::text_matches(q, &portail_search::words(&s), mode);
                                }
                            }
                        }
                        hit
                    }
                }
            }
            other => {
                return Err(ApiError::odsql(format!(
                    "ODSQL query is malformed: {other}() is not supported on the catalog"
                )))
            }
        },
    })
}

/// Sort keys of the catalog: the metadata that can be ordered.
fn order(entries: &mut [Entry], clause: Option<&str>) -> Result<(), ApiError> {
    let items = match clause {
        Some(text) => portail_odsql::parse_order_by(text).map_err(|e| ApiError::syntax(&e, "order_by"))?,
        None => vec![],
    };
    let mut keys = vec![];
    for item in &items {
        let Expr::Field { path, .. } = &item.expr else {
            return Err(ApiError::odsql(format!("ODSQL query is malformed: {} cannot order the catalog", item.text)));
        };
        if let Some(e) = entries.first() {
            meta(e, path)?;
        }
        keys.push((path.clone(), item.descending));
    }
    let mut failure = None;
    entries.sort_by(|a, b| {
        for (path, desc) in &keys {
            let (x, y) = match (meta(a, path), meta(b, path)) {
                (Ok(x), Ok(y)) => (x, y),
                (Err(e), _) | (_, Err(e)) => {
                    failure.get_or_insert(e);
                    return Ordering::Equal;
                }
            };
            // Nulls last in both directions.
            let o = match (&x, &y) {
                (V::Null, V::Null) => Ordering::Equal,
                (V::Null, _) => return Ordering::Greater,
                (_, V::Null) => return Ordering::Less,
                _ => compare(&x, &y).unwrap_or(Ordering::Equal),
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.dataset.dataset_id.cmp(&b.dataset.dataset_id)
    });
    failure.map_or(Ok(()), Err)
}

/// `select` on the catalog keeps the named keys; default-template metadata come out at the root.
fn project(full: Value, items: &[SelectItem]) -> Result<Value, ApiError> {
    if items.iter().any(|i| matches!(i, SelectItem::All(_))) {
        return Ok(full);
    }
    let mut out = Map::new();
    for item in items {
        let SelectItem::Expr { expr: Expr::Field { path, .. }, alias, .. } = item else {
            return Err(ApiError::odsql("ODSQL query is malformed: the catalog select takes field names"));
        };
        let name = path.join(".");
        let bare = name.strip_prefix("default.").unwrap_or(&name);
        let v = full.get(bare).or_else(|| full["metas"]["default"].get(bare)).cloned();
        let Some(v) = v.or_else(|| (bare == "datasetid").then(|| full["dataset_id"].clone())) else {
            return Err(ApiError::odsql(format!("Unknown field: {name}")));
        };
        out.insert(alias.clone().unwrap_or_else(|| bare.to_owned()), v);
    }
    Ok(Value::Object(out))
}

/// The values an entry has for a catalog facet (`features`, `modified` by day, `language`;
/// the template metadata portail does not hold yet have none).
pub(crate) fn facet_values(site: &Site, e: &Entry, name: &str) -> Result<Vec<String>, ApiError> {
    Ok(match name {
        "features" => e.features().iter().map(|s| s.to_string()).collect(),
        "dataset_id" | "datasetid" => vec![e.dataset.dataset_id.clone()],
        "modified" => vec![iso_utc(e.dataset.modified_at)[..10].replace('-', "/")],
        "language" => vec![site.portal.default_lang.code().to_owned()],
        "visibility" => vec![if e.dataset.restricted { "restricted" } else { "domain" }.to_owned()],
        "theme" => e.dataset.metas.theme.clone(),
        "keyword" => e.dataset.metas.keyword.clone(),
        "publisher" => [&e.dataset.metas.publisher].into_iter().filter(|t| !t.is_empty()).cloned().collect(),
        "license" => [&e.dataset.metas.license].into_iter().filter(|t| !t.is_empty()).cloned().collect(),
        other => return Err(ApiError::odsql(format!("Unknown facet: {other}"))),
    })
}

/// Whether an entry has `value` for a catalog facet: a date facet matches by period (`2024`,
/// `2024/03`).
pub(crate) fn refine_matches(site: &Site, e: &Entry, facet: &str, value: &str) -> Result<bool, ApiError> {
    let values = facet_values(site, e, facet)?;
    Ok(values.iter().any(|v| v == value || (facet == "modified" && v.starts_with(&format!("{value}/")))))
}

/// The visible datasets matching every `where`, `refine` and `exclude` of the request, in
/// `order_by` order.
pub(crate) async fn matching_entries(
    app: &AppState,
    site: &Site,
    identity: &Option<Identity>,
    params: &Params,
) -> Result<Vec<Entry>, ApiError> {
    let mut conditions = vec![];
    for clause in params.all("where").into_iter().filter(|w| !w.trim().is_empty()) {
        conditions.push(portail_odsql::parse_where(clause).map_err(|e| ApiError::syntax(&e, "where"))?);
    }
    let mut matching = vec![];
    for entry in visible(app, site, identity).await? {
        let mut keep = true;
        for c in &conditions {
            keep = keep && eval(&entry, c)?;
        }
        for r in params.all("refine") {
            let (facet, value) = split_refinement(r)?;
            keep = keep && refine_matches(site, &entry, facet, value)?;
        }
        for x in params.all("exclude") {
            let (facet, value) = split_refinement(x)?;
            keep = keep && !refine_matches(site, &entry, facet, value)?;
        }
        if keep {
            matching.push(entry);
        }
    }
    order(&mut matching, params.one("order_by"))?;
    Ok(matching)
}

pub(crate) fn parse_catalog_select(params: &Params) -> Result<Option<Vec<SelectItem>>, ApiError> {
    params.one("select").map(|s| portail_odsql::parse_select(s).map_err(|e| ApiError::syntax(&e, "select"))).transpose()
}

/// A dataset object as the catalog lists it, with `select` applied.
pub(crate) fn listed(
    site: &Site,
    e: &Entry,
    extras: Extras,
    select: &Option<Vec<SelectItem>>,
) -> Result<Value, ApiError> {
    let full = dataset_json(site, e, extras);
    match select {
        Some(items) => project(full, items),
        None => Ok(full),
    }
}

pub async fn datasets(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let (limit, offset) = params.page()?;
    let extras = Extras::of(&params)?;
    let include_links = extras.links;
    let select = parse_catalog_select(&params)?;
    let matching = matching_entries(&app, &site, &identity, &params).await?;
    let total = matching.len();
    let mut shown: Vec<Entry> = matching.into_iter().skip(offset as usize).take(limit as usize).collect();
    with_attachments(&app, &mut shown).await?;
    let mut results = vec![];
    for e in &shown {
        results.push(listed(&site, e, extras, &select)?);
    }
    let mut body = json!({"total_count": total, "results": results});
    if include_links {
        let base = format!("{}{PREFIX}/catalog/datasets", site.origin);
        body["_links"] = json!([
            link(format!("{base}?limit={limit}&offset={offset}"), "self"),
            link(format!("{base}?limit={limit}&offset=0"), "first")
        ]);
    }
    Ok(ok(body))
}

/// The serving version of a dataset the caller may see, or the API's 404.
pub async fn find_visible(
    app: &AppState,
    site: &Site,
    identity: &Option<Identity>,
    dataset_id: &str,
) -> Result<Served, ApiError> {
    let entry = visible_one(app, site, identity, dataset_id).await?;
    let current = app
        .catalog
        .current(&entry.dataset)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::dataset_not_found(dataset_id))?;
    Ok(Served::new(site, current, app.tables.clone()))
}

/// A visible dataset's serving version, with the engine's tables that query it.
pub struct Served {
    pub current: portail_catalog::CurrentVersion,
    pub tables: portail_query::Tables,
    /// Where its files are served on the portal the request came to.
    pub files_url: String,
}

impl std::ops::Deref for Served {
    type Target = portail_catalog::CurrentVersion;
    fn deref(&self) -> &Self::Target {
        &self.current
    }
}

impl Served {
    pub fn new(site: &Site, current: portail_catalog::CurrentVersion, tables: portail_query::Tables) -> Served {
        let files_url = format!("{}{PREFIX}/catalog/datasets/{}/files/", site.origin, current.dataset.dataset_id);
        Served { current, tables, files_url }
    }

    /// The version as the query engine takes it.
    pub fn query(&self) -> portail_query::Dataset<'_> {
        portail_query::Dataset {
            parquet: self.current.parquet(),
            index_dir: self.current.index_dir(),
            schema: &self.current.version.schema,
            tables: &self.tables,
            files_url: Some(self.files_url.clone()),
        }
    }
}

/// A request about one dataset the caller may see: its serving version and the query string.
/// Extraction fails with the API's 404 when the dataset is absent or invisible to the caller.
pub struct DatasetRequest {
    pub site: Site,
    pub dataset_id: String,
    pub current: Served,
    pub params: Params,
}

impl axum::extract::FromRequestParts<AppState> for DatasetRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, app: &AppState) -> Result<Self, ApiError> {
        let site =
            parts.extensions.get::<Site>().cloned().ok_or_else(|| ApiError::internal("request without a portal"))?;
        let identity = parts.extensions.get::<Option<Identity>>().cloned().flatten();
        let Path(path): Path<std::collections::HashMap<String, String>> =
            Path::from_request_parts(parts, app).await.map_err(|e| ApiError::not_found(e.to_string()))?;
        let dataset_id = path.get("dataset_id").cloned().unwrap_or_default();
        let current = find_visible(app, &site, &identity, &dataset_id).await?;
        Ok(DatasetRequest { site, dataset_id, current, params: Params::parse(parts.uri.query()) })
    }
}

pub async fn dataset(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    Path(dataset_id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let extras = Extras::of(&params)?;
    let mut entry = visible_one(&app, &site, &identity, &dataset_id).await?;
    with_attachments(&app, std::slice::from_mut(&mut entry)).await?;
    let full = dataset_json(&site, &entry, extras);
    Ok(ok(match params.one("select") {
        Some(s) => project(full, &portail_odsql::parse_select(s).map_err(|e| ApiError::syntax(&e, "select"))?)?,
        None => full,
    }))
}
