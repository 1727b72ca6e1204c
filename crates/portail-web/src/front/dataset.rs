//! Dataset pages (`/explore/dataset/<id>/<tab>/`): information, table, map, analyze, export and
//! api tabs, server-rendered from the same engine as the API (so a page shows what the API
//! answers), and the embeddable table and map (`/explore/embed/dataset/<id>/<tab>/`, TP-7).
//! Nothing here loads from another origin: the map is drawn by the server, without tiles (TP-5).

use crate::api::catalog::{self, Entry, Served};
use crate::api::records::quote;
use crate::api::{exports, PREFIX};
use crate::context::{query_value, Ctx};
use crate::front::{explore, filters, format};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use portail_core::{Code, Field, FieldType, Schema};
use portail_query::{QueryError, RecordsRequest};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const TABS: [&str; 6] = ["information", "table", "map", "analyze", "export", "api"];
/// The tabs an embedding site may frame.
pub const EMBED_TABS: [&str; 2] = ["table", "map"];
const TABLE_ROWS: i64 = 20;
/// The records API's window (`offset + limit` ≤ 10,000) applies to pages too.
const TABLE_WINDOW: i64 = 10_000;
const MAP_POINTS: i64 = 2_000;
const ANALYZE_GROUPS: i64 = 25;
const CHART_WIDTH: f64 = 600.0;
const MAP_WIDTH: f64 = 800.0;
const MAP_HEIGHT: f64 = 500.0;

/// A dataset page request: the dataset, its serving version and the query parameters.
struct Shown {
    entry: Entry,
    served: Served,
    query: Option<String>,
}

impl Shown {
    fn schema(&self) -> &Schema {
        &self.served.version.schema
    }

    fn param(&self, name: &str) -> Option<String> {
        query_value(self.query.as_deref(), name).filter(|v| !v.trim().is_empty())
    }

    fn geo_field(&self) -> Option<&Field> {
        self.schema().fields.iter().find(|f| f.field_type == FieldType::GeoPoint2d)
    }

    fn tabs(&self) -> Vec<&'static str> {
        TABS.iter()
            .copied()
            .filter(|t| match *t {
                "map" => self.geo_field().is_some(),
                "analyze" => self.entry.rows() > 0,
                _ => true,
            })
            .collect()
    }
}

/// The dataset if the visitor may see it; otherwise the page that says why not (404 for
/// datasets that are absent, unpublished or restricted to signed-in users, as in the API).
async fn load(ctx: &Ctx, dataset_id: &str) -> Result<Shown, Response> {
    let mut entry = match catalog::visible_one(&ctx.app, &ctx.site, &ctx.identity, dataset_id).await {
        Ok(entry) => entry,
        Err(err) if err.code == Code::NotFound => return Err(ctx.not_found()),
        Err(err) => {
            tracing::error!(error = %err.message, "dataset lookup failed");
            return Err(ctx.error(Code::Internal, "error-500-body"));
        }
    };
    let mut current = match ctx.app.catalog.current(&entry.dataset).await {
        Ok(Some(current)) => current,
        Ok(None) => return Err(ctx.not_found()),
        Err(err) => {
            tracing::error!(error = %err, "dataset version lookup failed");
            return Err(ctx.error(Code::Internal, "error-500-body"));
        }
    };
    if let Err(err) = catalog::with_attachments(&ctx.app, std::slice::from_mut(&mut entry)).await {
        tracing::error!(error = %err.message, "attachment listing failed");
        return Err(ctx.error(Code::Internal, "error-500-body"));
    }
    // Title, description and labels in the visitor's language, where the publisher translated.
    entry.dataset.localize(ctx.lang);
    entry.dataset.localize_labels(ctx.lang, &mut current.version.schema);
    let query = ctx.path_and_query.split_once('?').map(|(_, q)| q.to_owned());
    Ok(Shown { entry, served: Served::new(&ctx.site, current, ctx.app.tables.clone()), query })
}

fn path_of(map: &HashMap<String, String>) -> (String, String) {
    let id = map.get("dataset_id").cloned().unwrap_or_default();
    let tab = map.get("tab").cloned().unwrap_or_else(|| TABS[0].to_owned());
    (id, tab)
}

pub async fn page(ctx: Ctx, Path(path): Path<HashMap<String, String>>) -> Response {
    let (dataset_id, tab) = path_of(&path);
    let shown = match load(&ctx, &dataset_id).await {
        Ok(shown) => shown,
        Err(response) => return response,
    };
    let tabs = shown.tabs();
    if !tabs.contains(&tab.as_str()) {
        return ctx.not_found();
    }
    let content = match tab_values(&ctx, &shown, &tab, "/explore/dataset").await {
        Ok(content) => content,
        Err(response) => return response,
    };
    let tab_links: Vec<Value> = tabs
        .iter()
        .map(|t| {
            json!({
                "key": t,
                "label": ctx.t(&format!("dataset-tab-{t}")),
                "href": format!("/explore/dataset/{dataset_id}/{t}/"),
                "current": *t == tab,
            })
        })
        .collect();
    let status = status_of(&content);
    let page = ctx
        .page("dataset.html")
        .status(status)
        .with("dataset", explore::summary(&ctx, &shown.entry))
        .with("tab", &tab)
        .with("tab_label", ctx.t(&format!("dataset-tab-{tab}")))
        .with("tabs", tab_links)
        .with("content", content);
    ctx.render(page)
}

/// The embeddable table and map: no banner, no cookie, framable by any site (TP-7).
pub async fn embed(ctx: Ctx, Path(path): Path<HashMap<String, String>>) -> Response {
    let (dataset_id, tab) = path_of(&path);
    if !EMBED_TABS.contains(&tab.as_str()) {
        return ctx.not_found();
    }
    let shown = match load(&ctx, &dataset_id).await {
        Ok(shown) => shown,
        Err(response) => return response,
    };
    if !shown.tabs().contains(&tab.as_str()) {
        return ctx.not_found();
    }
    let content = match tab_values(&ctx, &shown, &tab, "/explore/embed/dataset").await {
        Ok(content) => content,
        Err(response) => return response,
    };
    let status = status_of(&content);
    let page = ctx
        .page("embed.html")
        .embedded()
        .status(status)
        .with("dataset", explore::summary(&ctx, &shown.entry))
        .with("tab", &tab)
        .with("portal_page", format!("{}/explore/dataset/{dataset_id}/{tab}/", ctx.site.origin))
        .with("content", content);
    ctx.render(page)
}

/// A view the visitor's parameters made impossible is a 400, shown with its reason.
fn status_of(content: &Value) -> StatusCode {
    if content.get("error").is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

async fn tab_values(ctx: &Ctx, shown: &Shown, tab: &str, base: &str) -> Result<Value, Response> {
    let result = match tab {
        "table" => table(ctx, shown, base).await,
        "map" => map(ctx, shown, base.starts_with("/explore/embed/")).await,
        "analyze" => analyze(ctx, shown).await,
        "export" => Ok(export(shown)),
        "api" => Ok(api(ctx, shown)),
        _ => Ok(information(ctx, shown)),
    };
    match result {
        Ok(values) => Ok(values),
        // A question the engine cannot answer is the visitor's to fix: say what is wrong.
        Err(QueryError::Internal(detail)) => {
            tracing::error!(error = %detail, "dataset page query failed");
            Err(ctx.error(Code::Internal, "error-500-body"))
        }
        Err(err) => Ok(json!({"error": err.to_string()})),
    }
}

fn information(ctx: &Ctx, shown: &Shown) -> Value {
    let d = &shown.entry.dataset;
    let paragraphs: Vec<&str> = d.description.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    let fields: Vec<Value> = shown
        .schema()
        .fields
        .iter()
        .map(|f| {
            json!({
                "label": f.label,
                "name": f.name,
                "type": ctx.t(&format!("field-type-{}", f.field_type.as_str())),
                "description": f.description,
            })
        })
        .collect();
    let attachments: Vec<Value> = shown
        .entry
        .attachments
        .iter()
        .map(|a| {
            json!({
                "title": a.title,
                "href": format!("{PREFIX}/catalog/datasets/{}/attachments/{}", d.dataset_id, a.attachment_id),
                "size": format::integer(ctx.lang, (a.size + 1023) / 1024),
            })
        })
        .collect();
    json!({
        "paragraphs": paragraphs,
        "attachments": attachments,
        "fields": fields,
        "version": shown.served.version.version,
    })
}

/// The `order_by` of a `sort` parameter (`field` or `-field`), when it names a sortable field.
fn order_of(schema: &Schema, sort: &str) -> Option<String> {
    let (name, descending) = match sort.strip_prefix('-') {
        Some(name) => (name, true),
        None => (sort, false),
    };
    let field = schema.field(name)?;
    if matches!(field.field_type, FieldType::GeoPoint2d | FieldType::GeoShape | FieldType::File) {
        return None;
    }
    Some(format!("`{}`{}", field.name, if descending { " DESC" } else { "" }))
}

/// A link to the same tab with `changes` applied to the current parameters.
fn tab_link(shown: &Shown, base: &str, tab: &str, changes: &[(&str, String)]) -> String {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(shown.query.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "lang")
        .collect();
    format::url_with(&format!("{base}/{}/{tab}/", shown.entry.dataset.dataset_id), pairs, changes)
}

async fn table(ctx: &Ctx, shown: &Shown, base: &str) -> Result<Value, QueryError> {
    let schema = shown.schema();
    let q = shown.param("q").unwrap_or_default();
    let sort = shown.param("sort").unwrap_or_default();
    let order_by = order_of(schema, &sort);
    let last_page = TABLE_WINDOW / TABLE_ROWS;
    let page_no = shown.param("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, last_page);
    let search: Vec<String> = (!q.trim().is_empty()).then(|| quote(q.trim())).into_iter().collect();
    // Facet filters: `refine.<field>=<value>` in the address, as Opendatasoft's pages write them.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(shown.query.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "lang")
        .collect();
    let refinements = filters::refinements(&pairs, &shown.entry.dataset.metas.facets);
    let mut wheres = search.clone();
    wheres.extend(filters::conditions(schema, &refinements));
    let table_path = format!("{base}/{}/table/", shown.entry.dataset.dataset_id);
    let link = |p: Vec<(String, String)>| format::url_with(&table_path, p, &[]);
    let facets = filters::panel(ctx.lang, &shown.served, &search, &pairs, &link).await;
    let req = RecordsRequest {
        wheres: wheres.iter().map(String::as_str).collect(),
        order_by: order_by.as_deref(),
        limit: TABLE_ROWS,
        offset: (page_no - 1) * TABLE_ROWS,
        ..Default::default()
    };
    let result = portail_query::records(&shown.served.query(), &req).await?;
    let columns: Vec<Value> = schema
        .fields
        .iter()
        .map(|f| {
            let sortable = order_of(schema, &f.name).is_some();
            let state = if sort == f.name {
                "ascending"
            } else if sort == format!("-{}", f.name) {
                "descending"
            } else {
                "none"
            };
            let next = if state == "ascending" { format!("-{}", f.name) } else { f.name.clone() };
            json!({
                "label": f.label,
                "name": f.name,
                "sort": state,
                "href": sortable.then(|| tab_link(shown, base, "table", &[("sort", next), ("page", String::new())])),
            })
        })
        .collect();
    let rows: Vec<Vec<String>> = result
        .results
        .iter()
        .map(|record| {
            schema
                .fields
                .iter()
                .map(|f| format::field_cell(ctx.lang, f, record.get(&f.name).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    let total = result.total_count as i64;
    let pages = (total.min(TABLE_WINDOW) + TABLE_ROWS - 1) / TABLE_ROWS;
    let page_link = |n: i64| tab_link(shown, base, "table", &[("page", n.to_string())]);
    Ok(json!({
        "q": q,
        "sort": sort,
        "facets": facets,
        "refinements": refinements.iter().map(|(f, v)| json!({"key": format!("refine.{f}"), "value": v})).collect::<Vec<_>>(),
        "columns": columns,
        "rows": rows,
        "total": format::integer(ctx.lang, total),
        "first": if rows.is_empty() { 0 } else { (page_no - 1) * TABLE_ROWS + 1 },
        "last": (page_no - 1) * TABLE_ROWS + rows.len() as i64,
        "page_no": page_no,
        "pages": pages.max(1),
        "prev": (page_no > 1).then(|| page_link(page_no - 1)),
        "next_page": (page_no < pages).then(|| page_link(page_no + 1)),
    }))
}

/// Web Mercator, as slippy maps draw the world: `(x, y)` in `[0, 1]`, north at the top.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.05112878, 85.05112878).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// How world coordinates (Web Mercator, `[0, 1]`) map onto the drawing: `cx, cy` at its centre,
/// `scale` drawing units per world unit.
struct View {
    cx: f64,
    cy: f64,
    scale: f64,
}

/// Points placed in a `MAP_WIDTH` × `MAP_HEIGHT` drawing that fits them all with a margin,
/// keeping the projection's proportions.
fn place(points: &[(f64, f64)]) -> (Vec<(f64, f64)>, View) {
    let projected: Vec<(f64, f64)> = points.iter().map(|(lon, lat)| mercator(*lon, *lat)).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in &projected {
        (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
    }
    // A single place (or a line) still gets a sensible scale: about a town's width.
    let span = (x1 - x0).max(y1 - y0).max(1e-4);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let scale = (MAP_WIDTH / ((x1 - x0).max(span / 4.0) * 1.1)).min(MAP_HEIGHT / ((y1 - y0).max(span / 4.0) * 1.1));
    let placed = projected
        .iter()
        .map(|(x, y)| (MAP_WIDTH / 2.0 + (x - cx) * scale, MAP_HEIGHT / 2.0 + (y - cy) * scale))
        .collect();
    (placed, View { cx, cy, scale })
}

/// The slippy-map tiles under the drawing, at the zoom where a tile is about 256 units wide:
/// `(z, x, y, left, top, size)` in drawing units.
fn tiles(view: &View) -> Vec<(u32, u32, u32, f64, f64, f64)> {
    let z = (view.scale / 256.0).log2().round().clamp(0.0, 19.0) as u32;
    let n = f64::from(1u32 << z);
    let size = view.scale / n;
    let (half_w, half_h) = (MAP_WIDTH / 2.0 / view.scale, MAP_HEIGHT / 2.0 / view.scale);
    let range = |c: f64, half: f64| {
        let first = ((c - half) * n).floor().clamp(0.0, n - 1.0) as u32;
        let last = ((c + half) * n).floor().clamp(0.0, n - 1.0) as u32;
        first..=last
    };
    let mut out = vec![];
    for ty in range(view.cy, half_h) {
        for tx in range(view.cx, half_w) {
            let left = MAP_WIDTH / 2.0 + (f64::from(tx) / n - view.cx) * view.scale;
            let top = MAP_HEIGHT / 2.0 + (f64::from(ty) / n - view.cy) * view.scale;
            out.push((z, tx, ty, left, top, size));
        }
    }
    out
}

/// The map's background: tiles from the `maptiles` integration once granted (TP-4), its
/// placeholder before (TP-3), nothing in embeds (TP-7) or without that integration.
fn background(ctx: &Ctx, view: &View, embedded: bool) -> Value {
    let integration = ctx.site.privacy.integration(crate::privacy::integrations::MAP_TILES.key);
    let Some(integration) = integration.filter(|i| !embedded && !i.config.resource.is_empty()) else {
        return json!({});
    };
    let origin = &integration.config.origin;
    let Some(gate) = crate::front::pages::consent_gated(ctx, integration.key(), origin) else { return json!({}) };
    if !ctx.consent.grants(integration.key()) {
        return json!({"placeholder": gate});
    }
    let tiles: Vec<Value> = tiles(view)
        .into_iter()
        .map(|(z, x, y, left, top, size)| {
            let path = integration.config.resource.replace("{z}", &z.to_string()).replace("{x}", &x.to_string());
            json!({
                "href": format!("{origin}{}", path.replace("{y}", &y.to_string())),
                "x": format!("{left:.1}"), "y": format!("{top:.1}"), "size": format!("{:.1}", size + 0.5),
            })
        })
        .collect();
    json!({"tiles": tiles, "vendor": integration.config.vendor})
}

async fn map(ctx: &Ctx, shown: &Shown, embedded: bool) -> Result<Value, QueryError> {
    let Some(geo) = shown.geo_field() else { return Ok(json!({})) };
    let label = shown.schema().fields.iter().find(|f| f.field_type == FieldType::Text);
    let select = match label {
        Some(l) => format!("`{}`, `{}`", geo.name, l.name),
        None => format!("`{}`", geo.name),
    };
    let condition = format!("`{}` is not null", geo.name);
    let req =
        RecordsRequest { select: Some(&select), wheres: vec![&condition], limit: MAP_POINTS, ..Default::default() };
    let result = portail_query::records(&shown.served.query(), &req).await?;
    let mut coordinates = vec![];
    let mut labels = vec![];
    for record in &result.results {
        let point = record.get(&geo.name);
        let lon = point.and_then(|p| p.get("lon")).and_then(Value::as_f64);
        let lat = point.and_then(|p| p.get("lat")).and_then(Value::as_f64);
        if let (Some(lon), Some(lat)) = (lon, lat) {
            coordinates.push((lon, lat));
            let text = label.and_then(|l| record.get(&l.name)).map(|v| format::cell(ctx.lang, v)).unwrap_or_default();
            labels.push(if text.is_empty() { format::cell(ctx.lang, point.unwrap_or(&Value::Null)) } else { text });
        }
    }
    let (placed, view) = place(&coordinates);
    let points: Vec<Value> = placed
        .iter()
        .zip(labels)
        .map(|((x, y), label)| json!({"x": format!("{x:.1}"), "y": format!("{y:.1}"), "label": label}))
        .collect();
    Ok(json!({
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "points": points,
        "shown": format::integer(ctx.lang, coordinates.len() as i64),
        "total": format::integer(ctx.lang, result.total_count as i64),
        "field": geo.label,
        "background": if coordinates.is_empty() { json!({}) } else { background(ctx, &view, embedded) },
    }))
}

/// The fields a chart can group by: text, whole numbers, booleans, and dates by year.
fn groupable(f: &Field) -> bool {
    matches!(
        f.field_type,
        FieldType::Text | FieldType::Int | FieldType::Boolean | FieldType::Date | FieldType::Datetime
    )
}

/// The field a chart groups by when the visitor has not chosen: the first text field with a few
/// distinct values (a category, a town), else the first date (by year), else the first candidate.
async fn default_group(shown: &Shown, candidates: &[&Field]) -> Result<String, QueryError> {
    let texts: Vec<&Field> = candidates.iter().copied().filter(|f| f.field_type == FieldType::Text).take(8).collect();
    if !texts.is_empty() {
        let select: Vec<String> =
            texts.iter().enumerate().map(|(i, f)| format!("count(distinct `{}`) as d{i}", f.name)).collect();
        let select = select.join(", ");
        let req = RecordsRequest { select: Some(&select), limit: 1, ..Default::default() };
        let result = portail_query::records(&shown.served.query(), &req).await?;
        let distinct = |i: usize| result.results.first().and_then(|r| r.get(&format!("d{i}"))).and_then(Value::as_i64);
        let few = (0..texts.len()).find(|i| distinct(*i).is_some_and(|n| (2..=ANALYZE_GROUPS).contains(&n)));
        if let Some(i) = few {
            return Ok(texts[i].name.clone());
        }
    }
    let date = candidates.iter().find(|f| matches!(f.field_type, FieldType::Date | FieldType::Datetime));
    Ok(date.unwrap_or(&candidates[0]).name.clone())
}

async fn analyze(ctx: &Ctx, shown: &Shown) -> Result<Value, QueryError> {
    let schema = shown.schema();
    let candidates: Vec<&Field> = schema.fields.iter().filter(|f| groupable(f)).collect();
    if candidates.is_empty() {
        return Ok(json!({"empty": true}));
    }
    let x_name = match shown.param("x") {
        Some(x) => x,
        None => default_group(shown, &candidates).await?,
    };
    let Some(x) = candidates.iter().find(|f| f.name == x_name) else {
        return Err(QueryError::invalid(schema.unknown_field(&x_name)));
    };
    let numeric: Vec<&Field> =
        schema.fields.iter().filter(|f| matches!(f.field_type, FieldType::Int | FieldType::Double)).collect();
    let mut measures: Vec<(String, String)> = vec![("count".into(), ctx.t("analyze-count"))];
    for f in &numeric {
        for agg in ["avg", "sum", "min", "max"] {
            let label = ctx.app.i18n.text(ctx.lang, &format!("analyze-{agg}"), &[("field", f.label.clone())]);
            measures.push((format!("{agg}:{}", f.name), label));
        }
    }
    let y = shown.param("y").unwrap_or_else(|| "count".into());
    let Some((_, y_label)) = measures.iter().find(|(key, _)| *key == y) else {
        return Err(QueryError::invalid(format!("Unknown measure: {y}")));
    };
    let aggregate = match y.split_once(':') {
        Some((agg, field)) => format!("{agg}(`{field}`)"),
        None => "count(*)".into(),
    };
    let by_year = matches!(x.field_type, FieldType::Date | FieldType::Datetime);
    let group_by = if by_year { format!("year(`{}`) as k", x.name) } else { format!("`{}` as k", x.name) };
    let select = format!("{aggregate} as v");
    let order_by = if by_year { "k" } else { "v DESC" };
    let req = RecordsRequest {
        select: Some(&select),
        group_by: Some(&group_by),
        order_by: Some(order_by),
        limit: ANALYZE_GROUPS,
        ..Default::default()
    };
    let result = portail_query::records(&shown.served.query(), &req).await?;
    let values: Vec<f64> = result.results.iter().map(|r| r.get("v").and_then(Value::as_f64).unwrap_or(0.0)).collect();
    let top = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let bars: Vec<Value> = result
        .results
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (r, v))| {
            let key = format::cell(ctx.lang, r.get("k").unwrap_or(&Value::Null));
            let width = if top > 0.0 { v.abs() / top * CHART_WIDTH } else { 0.0 };
            let rounded = (v * 100.0).round() / 100.0;
            json!({
                "key": if key.is_empty() { ctx.t("analyze-empty-key") } else { key },
                "value": format::decimal(ctx.lang, rounded),
                "width": (width * 10.0).round() / 10.0,
                "y": i * 24,
            })
        })
        .collect();
    let options = |items: Vec<(String, String)>, selected: &str| -> Vec<Value> {
        items
            .into_iter()
            .map(|(value, label)| json!({"value": value, "label": label, "selected": value == selected}))
            .collect()
    };
    let x_options = candidates.iter().map(|f| (f.name.clone(), f.label.clone())).collect();
    Ok(json!({
        "x_options": options(x_options, &x.name),
        "y_options": options(measures.clone(), &y),
        "x_label": x.label,
        "y_label": y_label,
        "by_year": by_year,
        "bars": bars,
        "height": bars.len() * 24,
        "width": CHART_WIDTH,
        "groups": result.total_count,
    }))
}

fn export(shown: &Shown) -> Value {
    let id = &shown.entry.dataset.dataset_id;
    let base = format!("{PREFIX}/catalog/datasets/{id}/exports");
    let formats: Vec<Value> =
        exports::formats_for(shown.schema()).map(|f| json!({"format": f, "href": format!("{base}/{f}")})).collect();
    json!({
        "formats": formats,
        // What French spreadsheet software opens directly: `;` between values.
        "excel_csv": format!("{base}/csv?delimiter=%3B"),
        "download": format!("/explore/dataset/{id}/download/?format=csv"),
    })
}

fn api(ctx: &Ctx, shown: &Shown) -> Value {
    let id = &shown.entry.dataset.dataset_id;
    let origin = &ctx.site.origin;
    let dataset = format!("{origin}{PREFIX}/catalog/datasets/{id}");
    let fields: Map<String, Value> =
        shown.schema().fields.iter().map(|f| (f.name.clone(), json!(f.field_type.as_str()))).collect();
    json!({
        "records_path": format!("{PREFIX}/catalog/datasets/{id}/records"),
        "examples": [
            {"key": "api-example-dataset", "url": dataset},
            {"key": "api-example-records", "url": format!("{dataset}/records?limit=10")},
            {"key": "api-example-facets", "url": format!("{dataset}/facets")},
            {"key": "api-example-export", "url": format!("{dataset}/exports/csv")},
            {"key": "api-example-v1", "url": format!("{origin}/api/records/1.0/search/?dataset={id}&rows=10")},
        ],
        "openapi": format!("{PREFIX}/swagger.json"),
        "fields": fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_keeps_north_up_and_fits_the_drawing() {
        // Paris is north-west of Lyon: higher (smaller y) and to the left.
        let (placed, _) = place(&[(2.35, 48.85), (4.83, 45.76)]);
        let (paris, lyon) = (placed[0], placed[1]);
        assert!(paris.0 < lyon.0 && paris.1 < lyon.1, "{placed:?}");
        for (x, y) in &placed {
            assert!((0.0..=MAP_WIDTH).contains(x) && (0.0..=MAP_HEIGHT).contains(y), "{placed:?}");
        }
        // One point sits in the middle.
        let (single, _) = place(&[(2.35, 48.85)]);
        assert_eq!(single, vec![(MAP_WIDTH / 2.0, MAP_HEIGHT / 2.0)]);
    }

    #[test]
    fn tiles_cover_the_drawing_and_sit_under_their_places() {
        let (placed, view) = place(&[(2.35, 48.85), (4.83, 45.76)]);
        let tiles = tiles(&view);
        let z = tiles[0].0;
        assert!(tiles.iter().all(|t| t.0 == z) && tiles.len() <= 30, "{tiles:?}");
        // The tile the slippy-map formula gives for Paris is drawn under Paris's point.
        let n = f64::from(1u32 << z);
        let lat = 48.85f64.to_radians();
        let (tx, ty) =
            (((2.35 + 180.0) / 360.0 * n) as u32, ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32);
        let (_, _, _, left, top, size) = *tiles.iter().find(|t| (t.1, t.2) == (tx, ty)).expect("Paris's tile is drawn");
        let (px, py) = placed[0];
        assert!(left <= px && px <= left + size && top <= py && py <= top + size, "{px},{py} in {left},{top}+{size}");
        // Together they cover the whole drawing.
        let (x0, y0) = tiles.iter().fold((f64::MAX, f64::MAX), |(x, y), t| (x.min(t.3), y.min(t.4)));
        let (x1, y1) = tiles.iter().fold((f64::MIN, f64::MIN), |(x, y), t| (x.max(t.3 + t.5), y.max(t.4 + t.5)));
        assert!(x0 <= 0.0 && y0 <= 0.0 && x1 >= MAP_WIDTH && y1 >= MAP_HEIGHT, "{x0},{y0} – {x1},{y1}");
    }

    #[test]
    fn only_known_non_geo_fields_sort() {
        let field = |name: &str, field_type| Field::new(name, name, field_type);
        let schema = Schema { fields: vec![field("nom", FieldType::Text), field("geo", FieldType::GeoPoint2d)] };
        assert_eq!(order_of(&schema, "nom").as_deref(), Some("`nom`"));
        assert_eq!(order_of(&schema, "-nom").as_deref(), Some("`nom` DESC"));
        assert_eq!(order_of(&schema, "geo"), None);
        assert_eq!(order_of(&schema, "nope"), None);
    }
}
