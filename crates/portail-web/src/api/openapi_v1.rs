//! The v1 Search API in the OpenAPI description: its paths live outside the v2.1 server URL, so
//! each carries its own `servers` entry (the portal's origin). Parameter families such as
//! `refine.<field>` are described under that name; clients replace `<field>` by a field.

use super::openapi::{query_param as query, reference};
use serde_json::{json, Map, Value};

/// Parameters every v1 records endpoint takes: the dataset and its "context".
const CONTEXT: &[&str] = &[
    "v1_dataset",
    "v1_q",
    "v1_q_named",
    "v1_refine",
    "v1_exclude",
    "v1_geofilter_distance",
    "v1_geofilter_polygon",
    "v1_geofilter_bbox",
    "v1_timezone",
    "v1_lang",
    "v1_callback",
    "v1_source",
];
const SERIES: &[&str] = &["v1_serie_func", "v1_serie_expr", "v1_serie_cumulative"];

fn refs(names: &[&str]) -> Vec<Value> {
    names.iter().map(|n| reference("parameters", n)).collect()
}

fn jsonp_or_json(schema: Value, description: &str) -> Value {
    json!({"description": description, "content": {
        "application/json": {"schema": schema},
        "application/javascript": {"schema": {"type": "string", "description": "JSONP, with `callback`."}},
    }})
}

fn with_csv(mut ok: Value) -> Value {
    ok["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    ok
}

/// One v1 operation, answered with GET or a form-encoded POST.
fn operation(origin: &str, id: &str, summary: &str, params: Vec<Value>, ok: Value) -> Value {
    let mut responses = Map::new();
    responses.insert("200".into(), ok);
    for (status, name) in [("400", "v1_bad_request"), ("401", "v1_unauthorized"), ("404", "v1_not_found")] {
        responses.insert(status.into(), reference("responses", name));
    }
    let op = |suffix: &str| {
        json!({"operationId": format!("{id}{suffix}"), "tags": ["v1"], "summary": summary, "parameters": params,
            "responses": responses})
    };
    let mut post = op("Post");
    post["requestBody"] = json!({"required": false, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "additionalProperties": {"type": "string"},
            "description": "The same parameters as the query string."}}}});
    json!({"servers": [{"url": origin}], "get": op(""), "post": post})
}

pub(crate) fn paths(origin: &str) -> Map<String, Value> {
    let with = |parts: &[&[&str]]| refs(&parts.concat());
    let body = |schema: &str, description: &str| jsonp_or_json(reference("schemas", schema), description);
    let mut p = Map::new();
    p.insert(
        "/api/records/1.0/search".into(),
        operation(
            origin,
            "v1SearchRecords",
            "Search a dataset's records (v1): `nhits`, `records` and `facet_groups`; `format=geojson` gives a FeatureCollection, `rss` and `atom` a feed of the page's records.",
            with(&[CONTEXT, &["v1_rows", "v1_start", "v1_sort", "v1_fields", "v1_facet", "v1_facetsort", "v1_disjunctive", "v1_search_format"]]),
            json!({"description": "Records, a GeoJSON FeatureCollection, or a feed.", "content": {
                "application/json": {"schema": {"oneOf": [reference("schemas", "v1_records"), reference("schemas", "v1_feature_collection")]}},
                "application/javascript": {"schema": {"type": "string"}},
                "application/rss+xml": {"schema": {"type": "string", "description": "RSS 2.0, one item per record."}},
                "application/atom+xml": {"schema": {"type": "string", "description": "Atom, one entry per record."}},
            }}),
        ),
    );
    p.insert(
        "/api/records/1.0/download".into(),
        operation(
            origin,
            "v1Download",
            "All matching records in one streamed file (CSV by default).",
            with(&[CONTEXT, &["v1_rows", "v1_sort", "v1_fields", "v1_download_format", "v1_csv_separator", "v1_use_labels_for_header"]]),
            json!({"description": "The file.", "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/jsonl": {"schema": {"type": "string"}},
                "application/geo+json": {"schema": {"type": "object"}},
                "application/vnd.google-earth.kml+xml": {"schema": {"type": "string"}},
                "application/gpx+xml": {"schema": {"type": "string"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/flatgeobuf": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
            }}),
        ),
    );
    p.insert(
        "/api/records/1.0/analyze".into(),
        operation(
            origin,
            "v1Analyze",
            "Series over an x axis (a field; dates by `precision` or `periodic`).",
            with(&[
                CONTEXT,
                SERIES,
                &[
                    "v1_x",
                    "v1_precision",
                    "v1_periodic",
                    "v1_analyze_sort",
                    "v1_maxpoints",
                    "v1_analyze_format",
                    "v1_csv_separator",
                ],
            ]),
            with_csv(jsonp_or_json(
                json!({"type": "array", "items": {"type": "object", "required": ["x"]}}),
                "One object per x value (a CSV row with `format=csv`).",
            )),
        ),
    );
    p.insert(
        "/api/records/1.0/boundingbox".into(),
        operation(
            origin,
            "v1BoundingBox",
            "How many records match and the box around their points.",
            with(&[CONTEXT]),
            body("v1_bbox", "Count and box."),
        ),
    );
    p.insert(
        "/api/records/1.0/geocluster".into(),
        operation(
            origin,
            "v1GeoCluster",
            "The matching points grouped per map cell, with their counts and series.",
            with(&[
                CONTEXT,
                SERIES,
                &[
                    "v1_clusterprecision",
                    "v1_clusterdistance",
                    "v1_clustermode",
                    "v1_return_polygons",
                    "v1_shapeprecision",
                ],
            ]),
            body("v1_clusters", "Clusters."),
        ),
    );
    p.insert(
        "/api/records/1.0/geopreview".into(),
        operation(
            origin,
            "v1GeoPreview",
            "The geometries of the first matching records.",
            with(&[CONTEXT, &["v1_preview_rows", "v1_geo_field", "v1_clusterprecision"]]),
            jsonp_or_json(json!({"type": "array", "items": reference("schemas", "v1_shape")}), "Geometries."),
        ),
    );
    p.insert(
        "/api/records/1.0/geopolygon".into(),
        operation(
            origin,
            "v1GeoPolygon",
            "The matching records grouped by geometry, with their counts and series.",
            with(&[CONTEXT, SERIES, &["v1_geo_field", "v1_clusterprecision"]]),
            body("v1_clusters", "Groups."),
        ),
    );
    p.insert(
        "/api/datasets/1.0/search".into(),
        operation(
            origin,
            "v1SearchDatasets",
            "Search the catalog (v1).",
            refs(&[
                "v1_q",
                "v1_q_named",
                "v1_refine",
                "v1_exclude",
                "v1_rows",
                "v1_start",
                "v1_sort",
                "v1_facet",
                "v1_facetsort",
                "v1_disjunctive",
                "v1_timezone",
                "v1_lang",
                "v1_callback",
                "v1_source",
                "v1_catalog_format",
                "v1_csv_separator",
            ]),
            {
                let mut ok = with_csv(body(
                    "v1_datasets",
                    "Datasets (a CSV row or an RSS item each with `format=csv` or `rss`).",
                ));
                ok["content"]["application/rss+xml"] = json!({"schema": {"type": "string"}});
                ok
            },
        ),
    );
    p.insert(
        "/api/datasets/1.0/{dataset_id}".into(),
        operation(
            origin,
            "v1GetDataset",
            "One dataset (v1 shape).",
            refs(&["dataset_id", "v1_callback", "v1_source", "v1_format", "v1_timezone", "v1_lang"]),
            body("v1_dataset", "The dataset."),
        ),
    );
    p.insert(
        "/api/datasets/1.0/{dataset_id}/records/{record_id}".into(),
        operation(
            origin,
            "v1GetRecord",
            "One record (v1 shape).",
            refs(&["dataset_id", "record_id", "v1_callback", "v1_format", "v1_timezone", "v1_lang"]),
            body("v1_record", "The record."),
        ),
    );
    p
}

pub(crate) fn parameters() -> Map<String, Value> {
    let text = json!({"type": "string"});
    let number = json!({"type": "integer", "minimum": 0});
    let flag = json!({"type": "boolean"});
    let mut p = Map::new();
    let mut add = |key: &str, value: Value| {
        p.insert(key.into(), value);
    };
    add(
        "v1_dataset",
        json!({"name": "dataset", "in": "query", "required": true, "description": "The dataset identifier.", "schema": text}),
    );
    add("v1_q", query("q", "v1 query: words, `\"phrases\"`, `AND`/`OR`/`NOT`, `field:value`, `field>=x`, `field:[a TO b]`, `#null(f)`, `#search()`, `#now()`, `#distance()`, `#polygon()`.", text.clone()));
    add(
        "v1_q_named",
        query(
            "q.<name>",
            "A further v1 query, ANDed with `q` (one per name; widgets keep one per filter).",
            text.clone(),
        ),
    );
    add(
        "v1_refine",
        query("refine.<field>", "Keep records whose `<field>` has this value (one parameter per field).", text.clone()),
    );
    add("v1_exclude", query("exclude.<field>", "Leave out records whose `<field>` has this value.", text.clone()));
    add(
        "v1_disjunctive",
        query("disjunctive.<field>", "`true`: count the `<field>` facet without its own refinements.", flag.clone()),
    );
    add(
        "v1_geofilter_distance",
        query("geofilter.distance", "`lat,lon,meters`: points within that distance.", text.clone()),
    );
    add(
        "v1_geofilter_polygon",
        query("geofilter.polygon", "`(lat,lon),(lat,lon),…`: records in the polygon.", text.clone()),
    );
    add("v1_geofilter_bbox", query("geofilter.bbox", "`lat1,lon1,lat2,lon2`: points in the box.", text.clone()));
    add(
        "v1_timezone",
        query("timezone", "IANA time zone of date values.", json!({"type": "string", "default": "UTC"})),
    );
    add("v1_lang", query("lang", "Language of day and month names.", text.clone()));
    add("v1_callback", query("callback", "JSONP: the function to call with the answer.", text.clone()));
    add("v1_source", query("source", "Sent by ods-widgets; ignored.", text.clone()));
    add(
        "v1_format",
        query("format", "`json` (default) or `jsonp`.", json!({"type": "string", "enum": ["json", "jsonp"]})),
    );
    add(
        "v1_search_format",
        query(
            "format",
            "`json` (default), `jsonp`, `geojson`, `geojsonp`, or a feed of the page's records: `rss`, `atom`.",
            json!({"type": "string", "enum": ["json", "jsonp", "geojson", "geojsonp", "rss", "atom"]}),
        ),
    );
    add(
        "v1_catalog_format",
        query(
            "format",
            "`json` (default), `jsonp`, `csv` (the catalog export's columns) or `rss`.",
            json!({"type": "string", "enum": ["json", "jsonp", "csv", "rss"]}),
        ),
    );
    add(
        "v1_analyze_format",
        query(
            "format",
            "`json` (default), `jsonp` or `csv`.",
            json!({"type": "string", "enum": ["json", "jsonp", "csv"]}),
        ),
    );
    add(
        "v1_rows",
        query(
            "rows",
            "Records per page; `start + rows` ≤ 10,000.",
            json!({"type": "integer", "minimum": 0, "maximum": 10000, "default": 10}),
        ),
    );
    add(
        "v1_start",
        query("start", "Index of the first record.", json!({"type": "integer", "minimum": 0, "default": 0})),
    );
    add("v1_sort", query("sort", "Fields, comma-separated: `field` descending, `-field` ascending.", text.clone()));
    add("v1_fields", query("fields", "Fields to return, comma-separated.", text.clone()));
    add(
        "v1_facet",
        json!({"name": "facet", "in": "query", "description": "A facet to count (repeatable).", "schema": {"type": "array", "items": {"type": "string"}}, "explode": true}),
    );
    add(
        "v1_facetsort",
        query(
            "facetsort.<facet>",
            "Order of a facet's values: `count`, `alphanum`, `num`, a leading `-` for descending.",
            json!({"type": "string", "enum": ["-count", "count", "alphanum", "-alphanum", "num", "-num"]}),
        ),
    );
    add(
        "v1_download_format",
        query(
            "format",
            "File format.",
            json!({"type": "string", "enum": ["csv", "json", "jsonl", "geojson", "kml", "gpx", "shp", "fgb", "ov2", "parquet", "xlsx"], "default": "csv"}),
        ),
    );
    add(
        "v1_csv_separator",
        query(
            "csv_separator",
            "CSV cell separator.",
            json!({"type": "string", "enum": [";", ",", "\t", "|"], "default": ";"}),
        ),
    );
    add("v1_use_labels_for_header", query("use_labels_for_header", "Field labels as CSV headers.", flag.clone()));
    add(
        "v1_x",
        json!({"name": "x", "in": "query", "required": true, "description": "The field of the x axis.", "schema": text}),
    );
    add(
        "v1_serie_func",
        query(
            "y.<serie>.func",
            "Aggregate of serie `<serie>`.",
            json!({"type": "string", "enum": ["COUNT", "AVG", "SUM", "MIN", "MAX", "STDDEV", "SUMSQUARES"]}),
        ),
    );
    add("v1_serie_expr", query("y.<serie>.expr", "The field or expression `<serie>` aggregates.", text.clone()));
    add(
        "v1_serie_cumulative",
        query("y.<serie>.cumulative", "Running totals in the output order (analyze).", flag.clone()),
    );
    add(
        "v1_precision",
        query(
            "precision",
            "Dates kept down to this period.",
            json!({"type": "string", "enum": ["year", "month", "day", "hour", "minute"], "default": "day"}),
        ),
    );
    add(
        "v1_periodic",
        query(
            "periodic",
            "One recurring date part instead of periods.",
            json!({"type": "string", "enum": ["year", "month", "day", "hour", "minute"]}),
        ),
    );
    add("v1_analyze_sort", query("sort", "`x` or a serie name; a leading `-` sorts ascending.", text.clone()));
    add(
        "v1_maxpoints",
        query("maxpoints", "Most points returned.", json!({"type": "integer", "minimum": 1, "maximum": 20000})),
    );
    add(
        "v1_clusterprecision",
        query("clusterprecision", "The map's zoom (0 to 25).", json!({"type": "integer", "minimum": 0, "maximum": 25})),
    );
    add(
        "v1_clusterdistance",
        query(
            "clusterdistance",
            "Pixels between clusters.",
            json!({"type": "number", "exclusiveMinimum": true, "minimum": 0}),
        ),
    );
    add(
        "v1_clustermode",
        query(
            "clustermode",
            "`polygon` gives each cluster its hull; `heatmap` does not.",
            json!({"type": "string", "enum": ["polygon", "heatmap"], "default": "polygon"}),
        ),
    );
    add(
        "v1_return_polygons",
        query(
            "return_polygons",
            "Give each cluster its hull (polygon mode).",
            json!({"type": "boolean", "default": true}),
        ),
    );
    add("v1_shapeprecision", query("shapeprecision", "Accepted; ignored.", number.clone()));
    add(
        "v1_preview_rows",
        query(
            "rows",
            "Geometries returned.",
            json!({"type": "integer", "minimum": 0, "maximum": 10000, "default": 1000}),
        ),
    );
    add(
        "v1_geo_field",
        query("geo_field", "The geo field to use (default: the first shape, else the first point).", text),
    );
    p
}

pub(crate) fn schemas() -> Map<String, Value> {
    let mut s = Map::new();
    let facet_groups = json!({"type": "array", "items": {"type": "object", "required": ["name", "facets"],
        "properties": {"name": {"type": "string"}, "facets": {"type": "array", "items": {"$ref": "#/components/schemas/v1_facet"}}}}});
    let values = [
        ("v1_error", json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}})),
        (
            "v1_facet",
            json!({"type": "object", "required": ["name", "path", "count", "state"],
            "properties": {"name": {"type": "string"}, "path": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
                "state": {"type": "string", "enum": ["displayed", "refined", "excluded"]},
                "facets": {"type": "array", "items": {"$ref": "#/components/schemas/v1_facet"}}}}),
        ),
        (
            "v1_record",
            json!({"type": "object", "required": ["datasetid", "recordid", "fields", "record_timestamp"],
            "properties": {"datasetid": {"type": "string"}, "recordid": {"type": "string"},
                "fields": {"type": "object", "description": "Values by field name; nulls left out, points as [lat, lon]."},
                "geometry": {"type": "object"}, "record_timestamp": {"type": "string", "format": "date-time"}}}),
        ),
        (
            "v1_records",
            json!({"type": "object", "required": ["nhits", "parameters", "records"],
            "properties": {"nhits": {"type": "integer", "minimum": 0}, "parameters": {"type": "object"},
                "records": {"type": "array", "items": {"$ref": "#/components/schemas/v1_record"}},
                "facet_groups": facet_groups.clone()}}),
        ),
        (
            "v1_feature_collection",
            json!({"type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": {"type": "array", "items": {"type": "object"}}}}),
        ),
        (
            "v1_dataset",
            json!({"type": "object", "required": ["datasetid", "metas", "fields", "features", "has_records"],
            "properties": {"datasetid": {"type": "string"}, "dataset_uid": {"type": "string"},
                "has_records": {"type": "boolean"}, "data_visible": {"type": "boolean"},
                "features": {"type": "array", "items": {"type": "string"}},
                "fields": {"type": "array", "items": {"type": "object", "required": ["name", "label", "type"]}},
                "metas": {"type": "object", "required": ["title", "modified", "records_count"],
                    "properties": {"title": {"type": "string"}, "modified": {"type": "string", "format": "date-time"},
                        "records_count": {"type": "integer", "minimum": 0}}},
                "attachments": {"type": "array"}, "alternative_exports": {"type": "array"},
                "interop_metas": {"type": "object"}, "extra_metas": {"type": "object"}}}),
        ),
        (
            "v1_datasets",
            json!({"type": "object", "required": ["nhits", "parameters", "datasets"],
            "properties": {"nhits": {"type": "integer", "minimum": 0}, "parameters": {"type": "object"},
                "datasets": {"type": "array", "items": {"$ref": "#/components/schemas/v1_dataset"}},
                "facet_groups": facet_groups}}),
        ),
        (
            "v1_bbox",
            json!({"type": "object", "required": ["count", "bbox"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                "bbox": {"type": "array", "nullable": true, "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                    "description": "[west, south, east, north]"},
                "geometries": {"type": "object"}}}),
        ),
        (
            "v1_range",
            json!({"type": "object", "required": ["min", "max"],
            "properties": {"min": {"type": "number", "nullable": true}, "max": {"type": "number", "nullable": true}}}),
        ),
        (
            "v1_clusters",
            json!({"type": "object", "required": ["clusters", "count", "series"],
            "properties": {
                "clusters": {"type": "array", "items": {"type": "object", "required": ["count", "series"],
                    "properties": {"cluster_center": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                            "description": "[lat, lon] of the points' centroid (geocluster)."},
                        "count": {"type": "integer", "minimum": 1},
                        "series": {"type": "object", "additionalProperties": {"type": "number", "nullable": true}},
                        "cluster": {"type": "object", "description": "GeoJSON geometry: the hull (geocluster) or the shape (geopolygon)."},
                        "geo_digest": {"type": "string"}}}},
                "count": {"$ref": "#/components/schemas/v1_range"},
                "series": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/v1_range"}},
                "clusterprecision": {"type": "integer"}}}),
        ),
        (
            "v1_shape",
            json!({"type": "object", "required": ["geometry", "geo_digest"],
            "properties": {"geometry": {"type": "object"}, "geo_digest": {"type": "string"}}}),
        ),
    ];
    for (name, schema) in values {
        s.insert(name.into(), schema);
    }
    s
}

pub(crate) fn responses() -> Map<String, Value> {
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": reference("schemas", "v1_error")}}});
    let mut r = Map::new();
    r.insert("v1_bad_request".into(), error("A parameter or the query is invalid."));
    r.insert("v1_unauthorized".into(), error("The API key sent is unknown, revoked or of another portal."));
    r.insert("v1_not_found".into(), error("Unknown or restricted dataset or record."));
    r
}
