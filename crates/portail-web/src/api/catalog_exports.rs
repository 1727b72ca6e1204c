//! `/catalog/facets` and `/catalog/exports[/{format}]`: facet values over dataset metadata, and
//! the catalog as CSV, JSON, XLSX, an RSS feed, DCAT (RDF/XML, what data.gouv.fr harvests) and
//! Project Open Data `data.json`.

use super::catalog::{facet_values, link, listed, matching_entries, parse_catalog_select, Entry, Extras};
use super::facets::facet_name;
use super::params::Params;
use super::{api_headers, ApiError, PREFIX};
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portail_core::time::iso_utc;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Facets listed when the request names none, as Opendatasoft portals configure them.
const DEFAULT_FACETS: &[&str] = &["features", "modified", "language", "publisher", "theme", "keyword", "license"];
pub(crate) const FORMATS: &[&str] = &["csv", "json", "xlsx", "rss", "dcat", "rdf", "ttl", "data.json"];
/// Dataset export formats a DCAT distribution may point to.
const DISTRIBUTIONS: &[(&str, &str, &str)] = &[
    ("csv", "CSV", "text/csv"),
    ("json", "JSON", "application/json"),
    ("jsonl", "JSONL", "application/jsonl"),
    ("geojson", "GeoJSON", "application/geo+json"),
    ("kml", "KML", "application/vnd.google-earth.kml+xml"),
    ("gpx", "GPX", "application/gpx+xml"),
    ("shp", "Shapefile", "application/zip"),
    ("fgb", "FlatGeobuf", "application/flatgeobuf"),
    ("parquet", "Parquet", "application/vnd.apache.parquet"),
    ("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
];

pub async fn facets(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let entries = matching_entries(&app, &site, &identity, &params).await?;
    let asked: Vec<String> = params.all("facet").into_iter().map(facet_name).collect();
    let names: Vec<String> =
        if asked.is_empty() { DEFAULT_FACETS.iter().map(|s| s.to_string()).collect() } else { asked.clone() };
    let mut groups = vec![];
    for name in &names {
        if let Some(group) = facet_group(&site, &entries, name, &params.refinements(), !asked.is_empty())? {
            groups.push(group);
        }
    }
    let mut r = Json(json!({"links": [], "facets": groups})).into_response();
    api_headers(&mut r);
    Ok(r)
}

/// One catalog facet over `entries`: `{"name", "facets": [{"name", "value", "count", "state"}]}`,
/// most frequent first (`modified` by year, each year holding its months); `None` when no entry
/// has a value and the facet was not asked for by name.
pub(crate) fn facet_group(
    site: &Site,
    entries: &[Entry],
    name: &str,
    refined: &[(String, String)],
    asked: bool,
) -> Result<Option<Value>, ApiError> {
    let state = |facet: &str, value: &str| {
        if refined.iter().any(|(f, v)| f == facet && (v == value || value.starts_with(&format!("{v}/")))) {
            "refined"
        } else {
            "displayed"
        }
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        for v in facet_values(site, e, name)? {
            // Dates count by year, each year holding its months.
            let key = if name == "modified" { v[..4].to_owned() } else { v };
            *counts.entry(key).or_default() += 1;
        }
    }
    if counts.is_empty() && !asked {
        return Ok(None);
    }
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let facets: Vec<Value> = values
        .iter()
        .map(|(value, count)| {
            let mut f = json!({"name": value, "value": value, "count": count, "state": state(name, value)});
            if name == "modified" {
                f["facets"] = json!(months(site, entries, value, &state));
            }
            f
        })
        .collect();
    Ok(Some(json!({"name": name, "facets": facets})))
}

fn months(site: &Site, entries: &[Entry], year: &str, state: &impl Fn(&str, &str) -> &'static str) -> Vec<Value> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        for v in facet_values(site, e, "modified").unwrap_or_default() {
            if v.starts_with(year) {
                *counts.entry(v[..7].to_owned()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(path, count)| json!({"name": &path[5..], "value": path, "count": count, "state": state("modified", &path)}))
        .collect()
}

pub async fn list(Extension(site): Extension<Site>) -> Response {
    let base = format!("{}{PREFIX}/catalog/exports", site.origin);
    let mut links = vec![link(base.clone(), "self")];
    links.extend(FORMATS.iter().map(|f| link(format!("{base}/{f}"), f)));
    let mut r = Json(json!({"links": links})).into_response();
    api_headers(&mut r);
    r
}

/// Export `limit` (-1, the default, is everything) and `offset`.
fn export_page(params: &Params) -> Result<(Option<usize>, usize), ApiError> {
    let int = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .one(name)
            .map(|v| v.trim().parse::<i64>().map_err(|_| ApiError::parameter(format!("Invalid value for {name}: {v}"))))
            .transpose()
    };
    let limit = match int("limit")? {
        None | Some(-1) => None,
        Some(l) if l >= 0 => Some(l as usize),
        Some(l) => return Err(ApiError::parameter(format!("Invalid value for limit API parameter: {l}"))),
    };
    let offset = match int("offset")? {
        None => 0,
        Some(o) if o >= 0 => o as usize,
        Some(o) => return Err(ApiError::parameter(format!("Invalid value for offset API parameter: {o}"))),
    };
    Ok((limit, offset))
}

pub async fn export(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    Path(format): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let format = format.trim_end_matches('/').to_owned();
    if !FORMATS.contains(&format.as_str()) {
        return Err(ApiError::parameter(format!(
            "Invalid value for format: {format} is not an available catalog export format ({}).",
            FORMATS.join(", ")
        )));
    }
    let (limit, offset) = export_page(&params)?;
    let select = parse_catalog_select(&params)?;
    let all = matching_entries(&app, &site, &identity, &params).await?;
    let total = all.len();
    let mut shown: Vec<Entry> = all.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).collect();
    if format == "json" {
        super::catalog::with_attachments(&app, &mut shown).await?;
    }
    let page: Vec<&Entry> = shown.iter().collect();
    let (body, content_type, extension): (Vec<u8>, &str, &str) = match format.as_str() {
        "csv" => (csv(&site, &page, &select, &params)?.into_bytes(), "text/csv; charset=utf-8", "csv"),
        "json" => {
            let items: Result<Vec<Value>, ApiError> =
                page.iter().map(|e| listed(&site, e, Extras::default(), &select)).collect();
            (serde_json::to_vec(&items?).unwrap_or_default(), "application/json; charset=utf-8", "json")
        }
        "xlsx" => (
            xlsx(&site, &page, &select, &params)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "rss" => (rss(&site, &page).into_bytes(), "application/rss+xml; charset=utf-8", "rss"),
        "data.json" => (data_json(&site, &page).into_bytes(), "application/json; charset=utf-8", "json"),
        // DCAT: RDF/XML (`dcat`, `rdf`) or the same graph in Turtle (`ttl`).
        _ => {
            let formats = distribution_formats(&params)?;
            let labels = params.one("use_labels_in_exports").is_none_or(|v| !v.eq_ignore_ascii_case("false"));
            let paging = Paging { uri: &uri, total, offset, limit };
            match format.as_str() {
                "ttl" => {
                    (ttl(&site, &page, &formats, labels, &paging).into_bytes(), "text/turtle; charset=utf-8", "ttl")
                }
                _ => (
                    dcat(&site, &page, &formats, labels, &paging).into_bytes(),
                    "application/rdf+xml; charset=utf-8",
                    "rdf",
                ),
            }
        }
    };
    let mut r = body.into_response();
    api_headers(&mut r);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"catalog.{extension}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Flat metadata columns of the catalog CSV (or the `select`ed keys).
const CSV_COLUMNS: &[&str] = &[
    "dataset_id",
    "title",
    "description",
    "modified",
    "records_count",
    "features",
    "visibility",
    "language",
    "publisher",
    "theme",
    "keyword",
    "license",
];

fn flat(full: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(m) = full {
        for (k, v) in m {
            match (k.as_str(), v) {
                ("metas", Value::Object(templates)) => {
                    if let Some(Value::Object(d)) = templates.get("default") {
                        out.extend(d.clone());
                    }
                }
                ("fields" | "attachments" | "_links", _) => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    out
}

pub(crate) fn csv(
    site: &Site,
    page: &[&Entry],
    select: &Option<Vec<portail_odsql::SelectItem>>,
    params: &Params,
) -> Result<String, ApiError> {
    let delimiter = match params.one("delimiter").unwrap_or(";") {
        ";" => ';',
        "," => ',',
        "\t" | "\\t" | "tab" => '\t',
        "|" => '|',
        other => return Err(ApiError::parameter(format!("Invalid value for delimiter API parameter: {other}"))),
    };
    let list_separator = params.one("list_separator").unwrap_or(",").to_owned();
    let quote_all = params.flag("quote_all")?;
    let bom = params.one("with_bom").is_none() || params.flag("with_bom")?;
    let rows: Vec<Map<String, Value>> =
        page.iter().map(|e| listed(site, e, Extras::default(), select).map(|v| flat(&v))).collect::<Result<_, _>>()?;
    let columns: Vec<String> = match (select, rows.first()) {
        (Some(_), Some(first)) => first.keys().cloned().collect(),
        _ => CSV_COLUMNS.iter().map(|c| c.to_string()).collect(),
    };
    let cell = |s: &str| {
        if quote_all || s.contains(delimiter) || s.contains('"') || s.contains('\n') || s.contains('\r') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let text = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(&list_separator),
        Some(other) => other.to_string(),
    };
    let mut out = String::from(if bom { "\u{feff}" } else { "" });
    let sep = delimiter.to_string();
    out.push_str(&columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(&sep));
    out.push_str("\r\n");
    for row in &rows {
        out.push_str(&columns.iter().map(|c| cell(&text(row.get(c)))).collect::<Vec<_>>().join(&sep));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The catalog as one sheet with the CSV's columns (lists joined by `, `).
fn xlsx(
    site: &Site,
    page: &[&Entry],
    select: &Option<Vec<portail_odsql::SelectItem>>,
    params: &Params,
) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let rows: Vec<Map<String, Value>> =
        page.iter().map(|e| listed(site, e, Extras::default(), select).map(|v| flat(&v))).collect::<Result<_, _>>()?;
    let columns: Vec<String> = match (select, rows.first()) {
        (Some(_), Some(first)) => first.keys().cloned().collect(),
        _ => CSV_COLUMNS.iter().map(|c| c.to_string()).collect(),
    };
    let list_separator = params.one("list_separator").unwrap_or(", ");
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("catalog").map_err(fail)?;
    let bold = Format::new().set_bold();
    for (col, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, name, &bold).map_err(fail)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (col, name) in columns.iter().enumerate() {
            let c = col as u16;
            match row.get(name) {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) => {
                    sheet.write_number(r, c, n.as_f64().unwrap_or_default()).map_err(fail)?;
                }
                Some(Value::Bool(b)) => {
                    sheet.write_boolean(r, c, *b).map_err(fail)?;
                }
                Some(Value::String(s)) => {
                    sheet.write_string(r, c, s).map_err(fail)?;
                }
                Some(Value::Array(items)) => {
                    let text: Vec<String> =
                        items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect();
                    sheet.write_string(r, c, text.join(list_separator)).map_err(fail)?;
                }
                Some(other) => {
                    sheet.write_string(r, c, other.to_string()).map_err(fail)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// A date as RSS writes it (RFC 822/2822, in UTC).
pub(crate) fn rfc2822(unix_seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = portail_core::time::civil_from_days(days as i32);
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[(days + 3).rem_euclid(7) as usize];
    format!(
        "{weekday}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        MONTHS[m as usize - 1],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The catalog as an RSS 2.0 feed, newest first: one item per dataset, linking to its page.
pub(crate) fn rss(site: &Site, page: &[&Entry]) -> String {
    let mut entries: Vec<&&Entry> = page.iter().collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.dataset.modified_at));
    let portal = &site.portal;
    let lang = portal.default_lang;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n");
    out.push_str(&format!("<title>{}</title>\n", xml(portal.title.get(lang))));
    out.push_str(&format!("<link>{}/explore/</link>\n", xml(&site.origin)));
    out.push_str(&format!("<description>{}</description>\n", xml(portal.description.get(lang))));
    out.push_str(&format!("<language>{}</language>\n", lang.code()));
    if let Some(latest) = entries.first() {
        out.push_str(&format!("<lastBuildDate>{}</lastBuildDate>\n", rfc2822(latest.dataset.modified_at)));
    }
    for e in entries {
        let d = &e.dataset;
        let url = format!("{}/explore/dataset/{}/", site.origin, d.dataset_id);
        out.push_str("<item>\n");
        out.push_str(&format!("<title>{}</title>\n", xml(&d.title)));
        out.push_str(&format!("<link>{}</link>\n", xml(&url)));
        out.push_str(&format!("<guid isPermaLink=\"true\">{}</guid>\n", xml(&url)));
        if !d.description.is_empty() {
            out.push_str(&format!("<description>{}</description>\n", xml(&d.description)));
        }
        out.push_str(&format!("<pubDate>{}</pubDate>\n", rfc2822(d.modified_at)));
        for feature in e.features() {
            out.push_str(&format!("<category>{feature}</category>\n"));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

/// `include_exports`: the dataset formats advertised as distributions (those portail serves).
fn distribution_formats(params: &Params) -> Result<Vec<&'static (&'static str, &'static str, &'static str)>, ApiError> {
    match params.one("include_exports") {
        None => Ok(DISTRIBUTIONS.iter().collect()),
        Some(list) => Ok(DISTRIBUTIONS
            .iter()
            .filter(|(f, _, _)| list.split(',').any(|x| x.trim().eq_ignore_ascii_case(f)))
            .collect()),
    }
}

pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn dataset_uri(site: &Site, id: &str) -> String {
    format!("{}{PREFIX}/catalog/datasets/{id}", site.origin)
}

fn export_url(site: &Site, id: &str, format: &str, labels: bool) -> String {
    let base = format!("{}/exports/{format}", dataset_uri(site, id));
    if labels && format == "csv" {
        format!("{base}?use_labels=true")
    } else {
        base
    }
}

/// Where this page of a paged export sits, for hydra links.
struct Paging<'a> {
    uri: &'a Uri,
    total: usize,
    offset: usize,
    limit: Option<usize>,
}

impl Paging<'_> {
    fn url(&self, site: &Site, offset: usize) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(self.uri.query().unwrap_or("").as_bytes()) {
            if k != "offset" {
                out.append_pair(&k, &v);
            }
        }
        out.append_pair("offset", &offset.to_string());
        format!("{}{}?{}", site.origin, self.uri.path(), out.finish())
    }
}

/// A dataset's distributions in a DCAT export: (download URL, format label, media type); the
/// geographic formats only for datasets with a geo field.
fn distributions<'f>(
    site: &Site,
    e: &Entry,
    formats: &[&(&str, &'f str, &'f str)],
    labels: bool,
) -> Vec<(String, &'f str, &'f str)> {
    let geo = e.features().contains(&"geo");
    formats
        .iter()
        .filter(|(format, _, _)| geo || !super::exports::GEO_FORMATS.contains(format))
        .map(|(format, label, media)| (export_url(site, &e.dataset.dataset_id, format, labels), *label, *media))
        .collect()
}

/// The hydra paging of a limited DCAT export: this page's URL and its first/last/next/previous.
struct HydraView {
    this: String,
    links: Vec<(&'static str, String)>,
}

fn hydra_view(site: &Site, paging: &Paging) -> Option<HydraView> {
    let limit = paging.limit?.max(1);
    let last = if paging.total == 0 { 0 } else { (paging.total - 1) / limit * limit };
    let mut links = vec![("first", paging.url(site, 0)), ("last", paging.url(site, last))];
    if paging.offset + limit < paging.total {
        links.push(("next", paging.url(site, paging.offset + limit)));
    }
    if paging.offset > 0 {
        links.push(("previous", paging.url(site, paging.offset.saturating_sub(limit))));
    }
    Some(HydraView { this: paging.url(site, paging.offset), links })
}

/// The words harvesters turn into tags: the dataset's themes, then its keywords.
fn tags(d: &portail_store::DatasetRecord) -> impl Iterator<Item = &String> {
    d.metas.theme.iter().chain(d.metas.keyword.iter())
}

/// Who publishes the dataset: its own publisher, else the portal.
fn publisher_of<'a>(site: &'a Site, d: &'a portail_store::DatasetRecord) -> &'a str {
    if d.metas.publisher.is_empty() {
        &site.portal.name
    } else {
        &d.metas.publisher
    }
}

/// `dct:license` as RDF/XML: the licence's address when known, else its name; empty when unset.
fn license_xml(d: &portail_store::DatasetRecord) -> String {
    let m = &d.metas;
    if !m.license_url.is_empty() {
        format!("    <dct:license rdf:resource=\"{}\"/>\n", xml(&m.license_url))
    } else if !m.license.is_empty() {
        format!("    <dct:license>{}</dct:license>\n", xml(&m.license))
    } else {
        String::new()
    }
}

/// `dct:license` as a Turtle object, when set.
fn license_ttl(d: &portail_store::DatasetRecord) -> Option<String> {
    let m = &d.metas;
    if !m.license_url.is_empty() {
        Some(ttl_iri(&m.license_url))
    } else if !m.license.is_empty() {
        Some(ttl_string(&m.license))
    } else {
        None
    }
}

fn dcat(site: &Site, page: &[&Entry], formats: &[&(&str, &str, &str)], labels: bool, paging: &Paging) -> String {
    let catalog_uri = format!("{}{PREFIX}/catalog/exports/dcat", site.origin);
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"",
        " xmlns:dcat=\"http://www.w3.org/ns/dcat#\" xmlns:dct=\"http://purl.org/dc/terms/\"",
        " xmlns:foaf=\"http://xmlns.com/foaf/0.1/\" xmlns:hydra=\"http://www.w3.org/ns/hydra/core#\">\n"
    ));
    let lang = site.portal.default_lang.code();
    out.push_str(&format!("  <dcat:Catalog rdf:about=\"{}\">\n", xml(&catalog_uri)));
    out.push_str(&format!("    <dct:title xml:lang=\"{lang}\">{}</dct:title>\n", xml(&site.portal.name)));
    out.push_str(&format!(
        "    <dct:publisher><foaf:Organization><foaf:name>{}</foaf:name></foaf:Organization></dct:publisher>\n",
        xml(&site.portal.name)
    ));
    out.push_str(&format!("    <foaf:homepage rdf:resource=\"{}/\"/>\n", xml(&site.origin)));
    for e in page {
        out.push_str(&format!(
            "    <dcat:dataset rdf:resource=\"{}\"/>\n",
            xml(&dataset_uri(site, &e.dataset.dataset_id))
        ));
    }
    if paging.limit.is_some() {
        out.push_str(&format!("    <hydra:view rdf:resource=\"{}\"/>\n", xml(&paging.url(site, paging.offset))));
    }
    out.push_str("  </dcat:Catalog>\n");
    for e in page {
        let d = &e.dataset;
        out.push_str(&format!("  <dcat:Dataset rdf:about=\"{}\">\n", xml(&dataset_uri(site, &d.dataset_id))));
        out.push_str(&format!("    <dct:identifier>{}</dct:identifier>\n", xml(&d.dataset_id)));
        out.push_str(&format!("    <dct:title xml:lang=\"{lang}\">{}</dct:title>\n", xml(&d.title)));
        if !d.description.is_empty() {
            out.push_str(&format!(
                "    <dct:description xml:lang=\"{lang}\">{}</dct:description>\n",
                xml(&d.description)
            ));
        }
        out.push_str(&format!(
            "    <dct:modified rdf:datatype=\"http://www.w3.org/2001/XMLSchema#dateTime\">{}</dct:modified>\n",
            iso_utc(d.modified_at)
        ));
        out.push_str(&format!("    <dct:language>{lang}</dct:language>\n"));
        for word in tags(d) {
            out.push_str(&format!("    <dcat:keyword xml:lang=\"{lang}\">{}</dcat:keyword>\n", xml(word)));
        }
        let license = license_xml(d);
        out.push_str(&license);
        out.push_str(&format!(
            "    <dct:publisher><foaf:Organization><foaf:name>{}</foaf:name></foaf:Organization></dct:publisher>\n",
            xml(publisher_of(site, d))
        ));
        for (url, label, media) in distributions(site, e, formats, labels) {
            out.push_str("    <dcat:distribution>\n");
            out.push_str(&format!("      <dcat:Distribution rdf:about=\"{}\">\n", xml(&url)));
            out.push_str(&format!("        <dct:title>{} ({label})</dct:title>\n", xml(&d.title)));
            out.push_str(&format!("        <dcat:downloadURL rdf:resource=\"{}\"/>\n", xml(&url)));
            out.push_str(&format!("        <dcat:accessURL rdf:resource=\"{}\"/>\n", xml(&url)));
            out.push_str(&format!("        <dct:format>{label}</dct:format>\n"));
            out.push_str(&format!("        <dcat:mediaType>{media}</dcat:mediaType>\n"));
            out.push_str(&license.replace("    <dct:license", "        <dct:license"));
            out.push_str("      </dcat:Distribution>\n");
            out.push_str("    </dcat:distribution>\n");
        }
        out.push_str("  </dcat:Dataset>\n");
    }
    if let Some(view) = hydra_view(site, paging) {
        out.push_str(&format!("  <hydra:PartialCollectionView rdf:about=\"{}\">\n", xml(&view.this)));
        out.push_str(&format!(
            "    <hydra:totalItems rdf:datatype=\"http://www.w3.org/2001/XMLSchema#integer\">{}</hydra:totalItems>\n",
            paging.total
        ));
        for (relation, url) in &view.links {
            out.push_str(&format!("    <hydra:{relation} rdf:resource=\"{}\"/>\n", xml(url)));
        }
        out.push_str("  </hydra:PartialCollectionView>\n");
    }
    out.push_str("</rdf:RDF>\n");
    out
}

/// A Turtle string literal.
fn ttl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Turtle IRI: characters IRIs may not hold are percent-encoded.
fn ttl_iri(s: &str) -> String {
    let mut out = String::from("<");
    for c in s.chars() {
        if c <= ' ' || "<>\"{}|^`\\".contains(c) {
            for b in c.to_string().bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out.push('>');
    out
}

/// The DCAT export in Turtle (`ttl`): the same graph as the RDF/XML `dcat` export.
fn ttl(site: &Site, page: &[&Entry], formats: &[&(&str, &str, &str)], labels: bool, paging: &Paging) -> String {
    let lang = site.portal.default_lang.code();
    let publisher = format!("[ a foaf:Organization ; foaf:name {} ]", ttl_string(&site.portal.name));
    let mut out = String::from(concat!(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n",
        "@prefix dct: <http://purl.org/dc/terms/> .\n",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n",
        "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n"
    ));
    let catalog_uri = format!("{}{PREFIX}/catalog/exports/ttl", site.origin);
    out.push_str(&format!("{} a dcat:Catalog ;\n", ttl_iri(&catalog_uri)));
    out.push_str(&format!("    dct:title {}@{lang} ;\n", ttl_string(&site.portal.name)));
    out.push_str(&format!("    dct:publisher {publisher} ;\n"));
    let view = hydra_view(site, paging);
    if let Some(view) = &view {
        out.push_str(&format!("    hydra:view {} ;\n", ttl_iri(&view.this)));
    }
    for e in page {
        out.push_str(&format!("    dcat:dataset {} ;\n", ttl_iri(&dataset_uri(site, &e.dataset.dataset_id))));
    }
    out.push_str(&format!("    foaf:homepage {} .\n", ttl_iri(&format!("{}/", site.origin))));
    for e in page {
        let d = &e.dataset;
        out.push_str(&format!("\n{} a dcat:Dataset ;\n", ttl_iri(&dataset_uri(site, &d.dataset_id))));
        out.push_str(&format!("    dct:identifier {} ;\n", ttl_string(&d.dataset_id)));
        out.push_str(&format!("    dct:title {}@{lang} ;\n", ttl_string(&d.title)));
        if !d.description.is_empty() {
            out.push_str(&format!("    dct:description {}@{lang} ;\n", ttl_string(&d.description)));
        }
        out.push_str(&format!("    dct:modified \"{}\"^^xsd:dateTime ;\n", iso_utc(d.modified_at)));
        out.push_str(&format!("    dct:language \"{lang}\" ;\n"));
        for word in tags(d) {
            out.push_str(&format!("    dcat:keyword {}@{lang} ;\n", ttl_string(word)));
        }
        let license = license_ttl(d);
        if let Some(license) = &license {
            out.push_str(&format!("    dct:license {license} ;\n"));
        }
        let distributions = distributions(site, e, formats, labels);
        for (url, _, _) in &distributions {
            out.push_str(&format!("    dcat:distribution {} ;\n", ttl_iri(url)));
        }
        if d.metas.publisher.is_empty() {
            out.push_str(&format!("    dct:publisher {publisher} .\n"));
        } else {
            let own = format!("[ a foaf:Organization ; foaf:name {} ]", ttl_string(&d.metas.publisher));
            out.push_str(&format!("    dct:publisher {own} .\n"));
        }
        for (url, label, media) in &distributions {
            out.push_str(&format!("\n{} a dcat:Distribution ;\n", ttl_iri(url)));
            out.push_str(&format!("    dct:title {} ;\n", ttl_string(&format!("{} ({label})", d.title))));
            out.push_str(&format!("    dcat:downloadURL {} ;\n", ttl_iri(url)));
            out.push_str(&format!("    dcat:accessURL {} ;\n", ttl_iri(url)));
            out.push_str(&format!("    dct:format {} ;\n", ttl_string(label)));
            if let Some(license) = &license {
                out.push_str(&format!("    dct:license {license} ;\n"));
            }
            out.push_str(&format!("    dcat:mediaType {} .\n", ttl_string(media)));
        }
    }
    if let Some(view) = view {
        out.push_str(&format!("\n{} a hydra:PartialCollectionView ;\n", ttl_iri(&view.this)));
        for (relation, url) in &view.links {
            out.push_str(&format!("    hydra:{relation} {} ;\n", ttl_iri(url)));
        }
        out.push_str(&format!("    hydra:totalItems \"{}\"^^xsd:integer .\n", paging.total));
    }
    out
}

/// Project Open Data metadata schema v1.1.
fn data_json(site: &Site, page: &[&Entry]) -> String {
    let datasets: Vec<Value> = page
        .iter()
        .map(|e| {
            let d = &e.dataset;
            let distribution: Vec<Value> = DISTRIBUTIONS
                .iter()
                .filter(|(f, _, _)| !super::exports::GEO_FORMATS.contains(f) || e.features().contains(&"geo"))
                .map(|(f, label, media)| {
                    json!({"@type": "dcat:Distribution", "title": format!("{} ({label})", d.title),
                           "downloadURL": export_url(site, &d.dataset_id, f, true), "mediaType": media, "format": label})
                })
                .collect();
            let mut out = json!({
                "@type": "dcat:Dataset",
                "identifier": dataset_uri(site, &d.dataset_id),
                "title": d.title,
                "description": d.description,
                "modified": iso_utc(d.modified_at),
                "accessLevel": "public",
                "keyword": d.metas.keyword,
                "theme": d.metas.theme,
                "language": [site.portal.default_lang.code()],
                "publisher": {"@type": "org:Organization", "name": publisher_of(site, d)},
                "distribution": distribution,
            });
            // POD's `license` is the licence's address; a bare name is all some portals have.
            let license = if d.metas.license_url.is_empty() { &d.metas.license } else { &d.metas.license_url };
            if !license.is_empty() {
                out["license"] = json!(license);
            }
            out
        })
        .collect();
    json!({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": datasets,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_dates_are_rfc_2822() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(rfc2822(1_800_000_000), "Fri, 15 Jan 2027 08:00:00 +0000");
    }

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(xml("a<b & \"c\" 'd'\u{1}"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;");
    }

    #[test]
    fn flat_lifts_default_metas_and_drops_nested_lists() {
        let v = json!({"dataset_id": "x", "fields": [1], "metas": {"default": {"title": "T"}}});
        let f = flat(&v);
        assert_eq!(f.get("title"), Some(&json!("T")));
        assert!(f.get("fields").is_none());
    }
}
