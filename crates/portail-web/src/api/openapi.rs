//! The OpenAPI 3.0 description of portail's data API, served at `/api/explore/v2.1/swagger.json`
//! (where Opendatasoft portals serve theirs) and `/api/explore/v2.1/openapi.json`.
//!
//! It describes what portail answers, not Opendatasoft's whole product: the formats, limits and
//! error codes come from the constants the handlers use, so the description cannot drift from
//! them. The integration tests validate real responses against the schemas below.

use super::params::{MAX_GROUPS, MAX_LIMIT, MAX_WINDOW};
use super::{catalog_exports, exports, PREFIX};
use crate::tenant::Site;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portail_core::Code;
use serde_json::{json, Map, Value};

pub async fn serve(Extension(site): Extension<Site>) -> Response {
    let mut r = Json(document(&site.origin, &site.portal.name)).into_response();
    super::api_headers(&mut r);
    r
}

/// `/api/explore/v2.0/swagger.json` (and `/api/v2/swagger.json`).
pub fn serve_v20(site: &Site) -> Response {
    let mut r = Json(v20_document(&site.origin, &site.portal.name)).into_response();
    super::api_headers(&mut r);
    r
}

/// The whole document for a portal reached at `origin`: v2.1 under the server URL, v1 with
/// path-level servers.
pub fn document(origin: &str, portal_name: &str) -> Value {
    let mut doc = v21_document(origin, portal_name);
    let merge = |target: &mut Value, more: Map<String, Value>| {
        if let Some(map) = target.as_object_mut() {
            map.extend(more);
        }
    };
    merge(&mut doc["paths"], super::openapi_v1::paths(origin));
    merge(&mut doc["components"]["parameters"], super::openapi_v1::parameters());
    merge(&mut doc["components"]["schemas"], super::openapi_v1::schemas());
    merge(&mut doc["components"]["responses"], super::openapi_v1::responses());
    doc
}

/// The description of the v2.0 compatibility shim (`/api/explore/v2.0/…` and `/api/v2/…`): the
/// v2.1 paths with v2.0's envelopes around datasets and records, and `aggregates`.
pub fn v20_document(origin: &str, portal_name: &str) -> Value {
    let mut doc = v21_document(origin, portal_name);
    doc["info"]["title"] = json!(format!("{portal_name} — Explore API v2.0 (deprecated)"));
    doc["info"]["version"] = json!("2.0");
    doc["info"]["description"] = json!(
        "The previous version of the Explore API, kept for older clients: every answer carries an \
         `ODS-Explore-API-Deprecation` header. Queries are v2.1's; datasets and records come in v2.0's \
         envelopes. Use v2.1 (`/api/explore/v2.1/swagger.json`) for new work."
    );
    doc["servers"] = json!([{"url": format!("{origin}/api/explore/v2.0")}, {"url": format!("{origin}/api/v2")}]);
    let links = json!({"type": "array", "items": reference("schemas", "link")});
    let record = json!({"type": "object", "required": ["links", "record"], "properties": {
        "links": links,
        "record": {"type": "object", "required": ["fields"], "properties": {
            "id": {"type": "string", "nullable": true, "description": "Absent meaning for groups."},
            "timestamp": {"type": "string", "nullable": true},
            "size": {"type": "integer"},
            "fields": reference("schemas", "record"),
        }},
    }});
    let dataset = json!({"type": "object", "required": ["links", "dataset"],
        "properties": {"links": links, "dataset": reference("schemas", "dataset")}});
    let schemas = &mut doc["components"]["schemas"];
    schemas["v20_record"] = record;
    schemas["v20_records"] = json!({"type": "object", "required": ["total_count", "links", "records"], "properties": {
        "total_count": {"type": "integer"}, "links": links, "records": {"type": "array", "items": reference("schemas", "v20_record")}}});
    schemas["v20_dataset"] = dataset;
    schemas["v20_datasets"] = json!({"type": "object", "required": ["total_count", "links", "datasets"], "properties": {
        "total_count": {"type": "integer"}, "links": links, "datasets": {"type": "array", "items": reference("schemas", "v20_dataset")}}});
    schemas["v20_aggregations"] = json!({"type": "object", "required": ["links", "aggregations"], "properties": {
        "links": links, "aggregations": {"type": "array", "items": {"type": "object"}}}});
    let paths = &mut doc["paths"];
    for (path, schema) in [
        ("/catalog/datasets", "v20_datasets"),
        ("/catalog/datasets/{dataset_id}", "v20_dataset"),
        ("/catalog/datasets/{dataset_id}/records", "v20_records"),
        ("/catalog/datasets/{dataset_id}/records/{record_id}", "v20_record"),
    ] {
        paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = reference("schemas", schema);
        paths[path]["get"]["operationId"] =
            json!(format!("v20{}", paths[path]["get"]["operationId"].as_str().unwrap_or("")));
    }
    paths["/catalog/datasets/{dataset_id}/aggregates"] = get(
        "v20GetAggregates",
        "Dataset",
        "Aggregate a dataset's records (v2.0; v2.1 uses `records` with `group_by`): every group unless `limit` is given.",
        param_refs(&[&["dataset_id"], QUERY, &["limit", "offset"]].concat()),
        json_body("v20_aggregations", "The groups."),
    );
    doc
}

fn v21_document(origin: &str, portal_name: &str) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{portal_name} — Explore API v2.1"),
            "version": "2.1",
            "description": DESCRIPTION,
        },
        "servers": [{"url": format!("{origin}{PREFIX}")}],
        "tags": [
            {"name": "Catalog", "description": "The portal's datasets and their metadata."},
            {"name": "Dataset", "description": "One dataset's records, facets and exports."},
            {"name": "v1", "description": "The older Search API (`/api/records/1.0/…`, `/api/datasets/1.0/…`), still called by ods-widgets; errors are `{\"error\"}`."},
        ],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "apikey": {"type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "`Apikey <key>`: a key created in the back office; the call sees what the key's owner sees."},
                "apikey_parameter": {"type": "apiKey", "in": "query", "name": "apikey",
                    "description": "The same key as a query parameter, as ods-widgets send it."},
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid",
                    "description": "A signed-in publisher's session: restricted datasets become visible."},
            },
            "parameters": parameters(),
            "schemas": schemas(),
            "responses": responses(),
        },
        "security": [{}, {"apikey": []}, {"apikey_parameter": []}, {"session": []}],
    })
}

const DESCRIPTION: &str = "Opendatasoft-compatible data API of a portail portal. Queries are written in \
ODSQL (`select`, `where`, `group_by`, `order_by`, `refine`, `exclude`). Every path is also answered with a \
trailing slash. Errors have the body `{\"error_code\", \"message\"}`. Restricted and unknown datasets both \
answer 404. The v1 Search API is described too, under its own paths.";

pub(super) fn reference(kind: &str, name: &str) -> Value {
    json!({"$ref": format!("#/components/{kind}/{name}")})
}

fn param_refs(names: &[&str]) -> Vec<Value> {
    names.iter().map(|n| reference("parameters", n)).collect()
}

/// One GET operation with its parameters and its documented answers.
fn get(id: &str, tag: &str, summary: &str, params: Vec<Value>, ok: Value) -> Value {
    let mut responses = Map::new();
    responses.insert("200".into(), ok);
    let statuses =
        [("400", "bad_request"), ("401", "unauthorized"), ("404", "not_found"), ("429", "quota"), ("503", "timeout")];
    for (status, name) in statuses {
        responses.insert(status.into(), reference("responses", name));
    }
    json!({"get": {"operationId": id, "tags": [tag], "summary": summary, "parameters": params, "responses": responses}})
}

fn json_body(schema: &str, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": reference("schemas", schema)}}})
}

fn file_body(description: &str, media: &[(&str, Value)]) -> Value {
    let content: Map<String, Value> =
        media.iter().map(|(m, schema)| (m.to_string(), json!({"schema": schema}))).collect();
    json!({"description": description, "content": content})
}

fn dataset_file() -> Value {
    let text = json!({"type": "string"});
    file_body(
        "The export, streamed.",
        &[
            ("text/csv", text.clone()),
            ("application/json", json!({"type": "array", "items": reference("schemas", "record")})),
            ("application/jsonl", text.clone()),
            (
                "application/geo+json",
                json!({"type": "object", "required": ["type", "features"],
                "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}}}}),
            ),
            ("application/vnd.google-earth.kml+xml", text.clone()),
            ("application/gpx+xml", text.clone()),
            ("application/zip", json!({"type": "string", "format": "binary"})),
            ("application/flatgeobuf", json!({"type": "string", "format": "binary"})),
            ("application/octet-stream", json!({"type": "string", "format": "binary", "description": "TomTom OV2."})),
            ("text/calendar", text.clone()),
            ("text/turtle", text.clone()),
            ("text/n3", text.clone()),
            ("application/rdf+xml", text.clone()),
            (
                "application/ld+json",
                json!({"type": "object", "required": ["@context", "@graph"],
                "properties": {"@graph": {"type": "array", "items": {"type": "object"}}}}),
            ),
            ("application/gzip", json!({"type": "string", "format": "binary"})),
            ("application/vnd.apache.parquet", json!({"type": "string", "format": "binary"})),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                json!({"type": "string", "format": "binary"}),
            ),
        ],
    )
}

fn catalog_file() -> Value {
    let text = json!({"type": "string"});
    file_body(
        "The catalog file: CSV, JSON (datasets, or DCAT-US for `data.json`), XLSX, RSS 2.0, DCAT-AP in RDF/XML or Turtle.",
        &[
            ("text/csv", text.clone()),
            (
                "application/json",
                json!({"oneOf": [
                    {"type": "array", "items": reference("schemas", "dataset")},
                    {"type": "object", "required": ["dataset"]},
                ]}),
            ),
            ("application/rdf+xml", text.clone()),
            ("text/turtle", text.clone()),
            ("application/rss+xml", text),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                json!({"type": "string", "format": "binary"}),
            ),
        ],
    )
}

const QUERY: &[&str] = &["select", "where", "order_by", "group_by", "refine", "exclude", "lang", "timezone"];
const CSV_OPTIONS: &[&str] = &["delimiter", "quote_all", "with_bom"];
const FILE_OPTIONS: &[&str] =
    &["compressed", "epsg", "name_field", "description_field_list", "use_extension", "parquet_compression"];
const CATALOG_CSV_OPTIONS: &[&str] = &["delimiter", "list_separator", "quote_all", "with_bom"];

fn paths() -> Value {
    let with = |base: &[&str], more: &[&str]| param_refs(&[base, more].concat());
    let mut paths = Map::new();
    paths.insert("/".into(), get("root", "Catalog", "Links to the API's parts.", vec![], json_body("links", "Links.")));
    paths.insert(
        "/catalog".into(),
        get("catalogRoot", "Catalog", "Links to the catalog's parts.", vec![], json_body("links", "Links.")),
    );
    paths.insert(
        "/catalog/datasets".into(),
        get(
            "getDatasets",
            "Catalog",
            "Search the catalog: ODSQL over dataset metadata (`default.title`, `dataset_id`, `records_count`…).",
            with(QUERY, &["limit", "offset", "rows", "start", "include_links", "include_app_metas"]),
            json_body("datasets", "A page of datasets."),
        ),
    );
    paths.insert(
        "/catalog/facets".into(),
        get(
            "getCatalogFacets",
            "Catalog",
            "Facet values over the catalog (theme, keyword, publisher, modified…).",
            with(&["facet", "refine", "exclude", "where", "timezone"], &[]),
            json_body("facets", "Facets."),
        ),
    );
    paths.insert(
        "/catalog/exports".into(),
        get("listCatalogExports", "Catalog", "The catalog's export formats.", vec![], json_body("links", "Links.")),
    );
    paths.insert(
        "/catalog/exports/{format}".into(),
        get(
            "exportCatalog",
            "Catalog",
            "The whole catalog (or a query's part of it) in one file.",
            with(&["catalog_format"], &[QUERY, &["limit_export", "offset"], CATALOG_CSV_OPTIONS].concat()),
            catalog_file(),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}".into(),
        get(
            "getDataset",
            "Catalog",
            "One dataset: metadata, fields and features.",
            with(&["dataset_id", "select", "lang", "timezone", "include_links", "include_app_metas"], &[]),
            json_body("dataset", "The dataset."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/records".into(),
        get(
            "getRecords",
            "Dataset",
            "Query a dataset's records: a page of records, or of groups when `group_by` or aggregates are used.",
            with(
                &["dataset_id"],
                &[QUERY, &["limit", "offset", "rows", "start", "include_links", "include_app_metas"]].concat(),
            ),
            json_body("records", "A page of records or groups."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/records/{record_id}".into(),
        get(
            "getRecord",
            "Dataset",
            "One record by its identifier.",
            with(&["dataset_id", "record_id", "select", "lang", "timezone"], &[]),
            json_body("record", "The record."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/facets".into(),
        get(
            "getRecordsFacets",
            "Dataset",
            "Facet values of the dataset's facetable fields (text, date, boolean), after `where` and `refine`.",
            with(&["dataset_id", "facet", "where", "refine", "exclude", "lang", "timezone"], &[]),
            json_body("facets", "Facets."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/exports".into(),
        get(
            "listExportFormats",
            "Dataset",
            "The dataset's export formats.",
            with(&["dataset_id"], &[]),
            json_body("links", "Links."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/exports/{format}".into(),
        get(
            "exportRecords",
            "Dataset",
            "All matching records in one streamed file; no limit unless `limit` is given.",
            with(
                &["dataset_id", "dataset_format"],
                &[QUERY, &["limit_export", "use_labels"], CSV_OPTIONS, FILE_OPTIONS].concat(),
            ),
            dataset_file(),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/attachments".into(),
        get(
            "listDatasetAttachments",
            "Dataset",
            "Files the publisher attached to the dataset.",
            with(&["dataset_id"], &[]),
            json_body("attachments", "The attachments."),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/attachments/{attachment_id}".into(),
        get(
            "getDatasetAttachment",
            "Dataset",
            "One attached file, as uploaded.",
            with(&["dataset_id", "attachment_id"], &[]),
            file_body("The file.", &[("application/octet-stream", json!({"type": "string", "format": "binary"}))]),
        ),
    );
    paths.insert(
        "/catalog/datasets/{dataset_id}/files/{file_id}".into(),
        get(
            "getDatasetFile",
            "Dataset",
            "The file a `file` field's value points to (an image or a document shipped in the dataset's \
             archive), with its media type; an unknown id is a 404.",
            with(&["dataset_id", "file_id"], &[]),
            file_body("The file, in its own media type.", &[("*/*", json!({"type": "string", "format": "binary"}))]),
        ),
    );
    paths.insert(
        "/swagger.json".into(),
        json!({"get": {"operationId": "getOpenApi", "tags": ["Catalog"], "summary": "This description.",
            "responses": {"200": {"description": "OpenAPI 3.0 document.",
                "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
    );
    Value::Object(paths)
}

pub(super) fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn parameters() -> Value {
    let text = json!({"type": "string"});
    let flag = json!({"type": "boolean", "default": false});
    let repeated = json!({"type": "array", "items": {"type": "string"}});
    let mut p = Map::new();
    let mut add = |key: &str, value: Value| {
        p.insert(key.into(), value);
    };
    add(
        "select",
        query_param(
            "select",
            "ODSQL select: fields, expressions and aggregates, each optionally `AS alias`.",
            text.clone(),
        ),
    );
    add(
        "where",
        query_param("where", "ODSQL filter: comparisons, full text, `in`, `like`, geo predicates.", text.clone()),
    );
    add(
        "group_by",
        query_param("group_by", "ODSQL grouping: fields, `range()`, date parts, `date_format()`.", text.clone()),
    );
    add("order_by", query_param("order_by", "ODSQL ordering: `expr [asc|desc]`, nulls last.", text.clone()));
    add(
        "limit",
        query_param(
            "limit",
            &format!(
                "Items per page; `offset + limit` ≤ {MAX_WINDOW} ({MAX_GROUPS} for groups); -1 means the maximum."
            ),
            json!({"type": "integer", "minimum": -1, "maximum": MAX_GROUPS, "default": 10}),
        ),
    );
    add(
        "offset",
        query_param("offset", "Index of the first item.", json!({"type": "integer", "minimum": 0, "default": 0})),
    );
    add(
        "limit_export",
        query_param(
            "limit",
            "Number of items exported; all when absent or -1.",
            json!({"type": "integer", "minimum": -1}),
        ),
    );
    let older = |name: &str, description: &str| {
        json!({"name": name, "in": "query", "deprecated": true, "description": description,
            "schema": {"type": "integer", "minimum": 0}})
    };
    add("rows", older("rows", "Older name of `limit` (v2.0, widgets)."));
    add("start", older("start", "Older name of `offset` (v2.0, widgets)."));
    let refine = "`facet:value`, repeatable; the values of different facets are combined with AND.";
    add("refine", json!({"name": "refine", "in": "query", "description": refine, "schema": repeated, "explode": true}));
    add(
        "exclude",
        json!({"name": "exclude", "in": "query", "description": "`facet:value` to leave out, repeatable.",
            "schema": repeated, "explode": true}),
    );
    add(
        "facet",
        json!({"name": "facet", "in": "query", "description": "A field to facet on (repeatable); all facetable fields when absent.",
            "schema": repeated, "explode": true}),
    );
    add("lang", query_param("lang", "Language of day and month names, and of a dataset's title, description and field labels where the publisher translated them.", json!({"type": "string", "enum": ["en", "fr"]})));
    add(
        "timezone",
        query_param(
            "timezone",
            "IANA time zone: datetimes are written with its offset; date parts, ranges, refines and datetime literals are read on its clock.",
            json!({"type": "string", "default": "UTC"}),
        ),
    );
    add("include_links", query_param("include_links", "Add `_links` to the answer.", flag.clone()));
    add("include_app_metas", query_param("include_app_metas", "Accepted for compatibility.", flag.clone()));
    add("use_labels", query_param("use_labels", "Field labels instead of names in CSV headers.", flag.clone()));
    add("quote_all", query_param("quote_all", "Quote every CSV cell.", flag.clone()));
    add("compressed", query_param("compressed", "Gzip the file (its name ends in `.gz`).", flag.clone()));
    add(
        "epsg",
        query_param(
            "epsg",
            "Coordinate system of GeoJSON, Shapefile and FlatGeobuf exports: WGS 84, Web Mercator, Lambert-93, the conic conformal zones CC42–CC50, the overseas departments' UTM systems, WGS 84 UTM zones, the NTF Lambert zones (27572: Lambert II étendu).",
            json!({"type": "integer", "default": 4326, "anyOf": [
                {"enum": [4326, 3857, 2154, 5490, 2972, 2975, 4471]},
                {"minimum": 27561, "maximum": 27564},
                {"minimum": 27571, "maximum": 27574},
                {"minimum": 3942, "maximum": 3950},
                {"minimum": 32601, "maximum": 32660},
                {"minimum": 32701, "maximum": 32760},
            ]}),
        ),
    );
    add("name_field", query_param("name_field", "GPX and OV2: the field naming each point or track.", text.clone()));
    add(
        "description_field_list",
        query_param("description_field_list", "GPX: comma-separated fields written in each description.", text.clone()),
    );
    add(
        "use_extension",
        query_param(
            "use_extension",
            "GPX: fields as `<extensions>` elements (true) or description lines (false).",
            json!({"type": "boolean", "default": true}),
        ),
    );
    add(
        "with_bom",
        query_param(
            "with_bom",
            "Start the CSV with a UTF-8 byte order mark.",
            json!({"type": "boolean", "default": true}),
        ),
    );
    add(
        "delimiter",
        query_param(
            "delimiter",
            "CSV cell separator.",
            json!({"type": "string", "enum": [";", ",", "\t", "|"], "default": ";"}),
        ),
    );
    add(
        "list_separator",
        query_param(
            "list_separator",
            "Separator of multivalued cells in CSV.",
            json!({"type": "string", "default": ","}),
        ),
    );
    add(
        "parquet_compression",
        query_param(
            "parquet_compression",
            "Parquet compression codec.",
            json!({"type": "string", "enum": ["snappy", "zstd"], "default": "snappy"}),
        ),
    );
    let path = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema});
    add("dataset_id", path("dataset_id", "The dataset identifier.", text.clone()));
    add("record_id", path("record_id", "The record identifier (`_id`).", text.clone()));
    add("attachment_id", path("attachment_id", "The attachment identifier (from its file name).", text.clone()));
    add("file_id", path("file_id", "The file identifier, from a `file` field's value.", text));
    add("dataset_format", path("format", "Export format.", json!({"type": "string", "enum": exports::FORMATS})));
    add(
        "catalog_format",
        path("format", "Catalog export format.", json!({"type": "string", "enum": catalog_exports::FORMATS})),
    );
    Value::Object(p)
}

fn schemas() -> Value {
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.wire()).collect();
    let nullable_text = json!({"type": "string", "nullable": true});
    json!({
        "link": {"type": "object", "required": ["href", "rel"],
            "properties": {"href": {"type": "string"}, "rel": {"type": "string"}}},
        "attachments": {"type": "object", "required": ["links", "attachments"],
            "properties": {
                "links": {"type": "array", "items": reference("schemas", "link")},
                "attachments": {"type": "array", "items": {"type": "object", "required": ["href", "metas"],
                    "properties": {"href": {"type": "string"}, "metas": {"type": "object",
                        "required": ["id", "title", "mime-type", "url"],
                        "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                            "mime-type": {"type": "string"}, "url": {"type": "string"}}}}}},
            }},
        "links": {"type": "object", "required": ["links"],
            "properties": {"links": {"type": "array", "items": reference("schemas", "link")}}},
        "error": {"type": "object", "required": ["error_code", "message"], "additionalProperties": false,
            "properties": {"error_code": {"type": "string", "enum": codes}, "message": {"type": "string"}}},
        "field": {"type": "object", "required": ["name", "label", "type"],
            "properties": {
                "name": {"type": "string"}, "label": {"type": "string"},
                "type": {"type": "string", "enum": ["text", "int", "double", "boolean", "date", "datetime", "geo_point_2d", "geo_shape", "file"]},
                "description": nullable_text.clone(),
                "annotations": {"type": "object"},
            }},
        "dataset": {"type": "object",
            "description": "A dataset. All these properties are given unless `select` names some of them.",
            "properties": {
                "dataset_id": {"type": "string"}, "dataset_uid": {"type": "string"},
                "attachments": {"type": "array", "items": {"type": "object"}},
                "has_records": {"type": "boolean"}, "data_visible": {"type": "boolean"},
                "fields": {"type": "array", "items": reference("schemas", "field")},
                "metas": {"type": "object", "required": ["default"], "properties": {"default": {
                    "type": "object", "required": ["title", "modified", "records_count"],
                    "properties": {
                        "title": {"type": "string"}, "description": nullable_text.clone(),
                        "modified": {"type": "string", "format": "date-time"},
                        "records_count": {"type": "integer", "minimum": 0},
                        "timezone": nullable_text.clone(), "language": nullable_text.clone(),
                        "publisher": nullable_text.clone(), "license": nullable_text.clone(),
                        "license_url": nullable_text,
                        "theme": {"type": "array", "items": {"type": "string"}, "nullable": true},
                        "keyword": {"type": "array", "items": {"type": "string"}, "nullable": true},
                    }}}},
                "features": {"type": "array", "items": {"type": "string", "enum": ["analyze", "geo", "timeserie"]}},
                "visibility": {"type": "string", "enum": ["domain", "restricted"]},
                "_links": {"type": "array", "items": reference("schemas", "link")},
            }},
        "datasets": {"type": "object", "required": ["total_count", "results"],
            "properties": {
                "total_count": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": reference("schemas", "dataset")},
                "_links": {"type": "array", "items": reference("schemas", "link")},
            }},
        "record": {"type": "object", "additionalProperties": true,
            "description": "Selected values by output name; plain records also carry `_id`, `_timestamp`, `_size`. \
                            Dates are ISO 8601 strings, geo points `{lon, lat}`, shapes GeoJSON features."},
        "records": {"type": "object", "required": ["total_count", "results"],
            "properties": {
                "total_count": {"type": "integer", "minimum": 0,
                    "description": "Matching records, or groups when grouping."},
                "results": {"type": "array", "maxItems": MAX_GROUPS, "items": reference("schemas", "record")},
                "_links": {"type": "array", "items": reference("schemas", "link")},
            }},
        "facet_value": {"type": "object", "required": ["name", "value", "count", "state"],
            "properties": {
                "name": {"type": "string"}, "value": {"type": "string"},
                "count": {"type": "integer", "minimum": 0},
                "state": {"type": "string", "enum": ["displayed", "refined", "excluded"]},
                "facets": {"type": "array", "items": reference("schemas", "facet_value")},
            }},
        "facets": {"type": "object", "required": ["facets"],
            "properties": {
                "links": {"type": "array", "items": reference("schemas", "link")},
                "facets": {"type": "array", "items": {"type": "object", "required": ["name", "facets"],
                    "properties": {"name": {"type": "string"},
                        "facets": {"type": "array", "items": reference("schemas", "facet_value")}}}},
            }},
    })
}

fn responses() -> Value {
    let error = |description: &str| json_body("error", description);
    json!({
        "bad_request": error(&format!(
            "A parameter or an ODSQL clause is invalid (`limit` ≤ {MAX_LIMIT} records, `offset + limit` ≤ {MAX_WINDOW})."
        )),
        "unauthorized": error("The API key sent is unknown, revoked or of another portal."),
        "not_found": error("Unknown or restricted dataset or record."),
        "timeout": error("The query ran past the server's time limit."),
        "quota": {"description": "The portal's daily API quota is spent (`api_daily_quota`), until midnight UTC.",
            "content": {"application/json": {"schema": {"type": "object",
                "required": ["errorcode", "reset_time", "limit_time_unit", "call_limit", "error"],
                "properties": {
                    "errorcode": {"type": "integer", "enum": [10002]},
                    "reset_time": {"type": "string", "format": "date-time"},
                    "limit_time_unit": {"type": "string", "enum": ["day"]},
                    "call_limit": {"type": "integer"},
                    "error": {"type": "string"}}}}}},
    })
}
