//! The served OpenAPI description: a valid OpenAPI 3.0 document whose paths, parameters and
//! schemas match what the API really answers. `Described::check` is also used by the
//! conformance suite, so every response it sees is validated against the description.

use crate::api::{json, with_datasets};
use crate::support::*;
use serde_json::{json, Value};

/// The served document, ready to check responses against.
pub struct Described {
    doc: Value,
    /// The server URL's path: the v2.1 prefix, or v2.0's for its description.
    prefix: &'static str,
}

impl Described {
    pub async fn fetch(app: &TestApp, host: &str) -> Described {
        Described::fetch_at(app, host, "/api/explore/v2.1").await
    }

    async fn fetch_at(app: &TestApp, host: &str, prefix: &'static str) -> Described {
        let (status, doc, _) = json(app, host, &format!("{prefix}/swagger.json")).await;
        assert_eq!(status, 200);
        Described { doc, prefix }
    }

    /// The path template of the description matching a concrete path: `/api/explore/v2.1/…`
    /// relative to the server URL, the v1 paths (which carry their own server) as they are.
    fn template(&self, path: &str) -> Option<String> {
        let rest = match path.strip_prefix(self.prefix) {
            Some(rest) => rest,
            None if path.starts_with("/api/records/1.0/") || path.starts_with("/api/datasets/1.0/") => path,
            None => return None,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let rest = if rest.is_empty() { "/" } else { rest };
        let concrete: Vec<&str> = rest.split('/').collect();
        let matches = |template: &&String| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == concrete.len()
                && parts.iter().zip(&concrete).all(|(t, c)| t == c || (t.starts_with('{') && !c.is_empty()))
        };
        self.doc["paths"].as_object().unwrap().keys().find(matches).cloned()
    }

    /// Whether a concrete path (query string allowed) is one the description has.
    pub fn describes(&self, uri: &str) -> bool {
        self.template(uri.split('?').next().unwrap_or(uri)).is_some()
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling {r}")),
            None => v,
        }
    }

    /// Checks one response: the path and each query parameter are described, the status is one
    /// of the operation's, and a JSON body validates against the schema given for that status.
    pub fn check(&self, uri: &str, status: u16, content_type: &str, body: &[u8]) -> Result<(), String> {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let Some(template) = self.template(path) else {
            return Err(format!("{path} is not described"));
        };
        let operation = &self.doc["paths"][&template]["get"];
        let declared: Vec<String> = operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| self.resolve(p)["name"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        // Keys sent as query parameters are described as a security scheme, not a parameter.
        let schemes = self.doc["components"]["securitySchemes"].as_object().cloned().unwrap_or_default();
        let by_scheme = |name: &str| schemes.values().any(|s| s["in"] == "query" && s["name"] == name);
        // A family such as `refine.<field>` stands for every `refine.` + a name.
        let family = |declared: &str, name: &str| match declared.split_once('<') {
            Some((before, rest)) => {
                let after = rest.split_once('>').map_or("", |(_, a)| a);
                name.len() > before.len() + after.len() && name.starts_with(before) && name.ends_with(after)
            }
            None => declared == name,
        };
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !declared.iter().any(|d| family(d, &name)) && !by_scheme(&name) {
                return Err(format!("{template}: parameter {name} is not described"));
            }
        }
        let response = operation["responses"]
            .get(status.to_string())
            .ok_or_else(|| format!("{template}: status {status} is not described"))?;
        let response = self.resolve(response);
        let media = content_type.split(';').next().unwrap_or("").trim();
        let Some(content) = response["content"].get(media) else {
            return Err(format!("{template} {status}: content type {media} is not described"));
        };
        if media != "application/json" {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("{template}: not JSON: {e}"))?;
        let schema = self.json_schema(&content["schema"]);
        let validator = jsonschema::validator_for(&schema).map_err(|e| format!("schema of {template}: {e}"))?;
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{uri} ({status}) does not match its description: {}", errors.join("; ")))
        }
    }

    /// An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a `null` type, and the document's
    /// components travel along so that `$ref`s resolve.
    fn json_schema(&self, schema: &Value) -> Value {
        let mut root = json!({"components": {"schemas": to_json_schema(&self.doc["components"]["schemas"])}});
        if let (Value::Object(root), Value::Object(s)) = (&mut root, to_json_schema(schema)) {
            root.extend(s);
        }
        root
    }
}

fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> =
                map.iter().filter(|(k, _)| *k != "nullable").map(|(k, v)| (k.clone(), to_json_schema(v))).collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(t) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Requests every described operation answers, with the parameters real clients send.
const REQUESTS: &[&str] = &[
    "/api/explore/v2.1/",
    "/api/explore/v2.1/catalog",
    "/api/explore/v2.1/catalog/datasets?limit=1&include_links=true",
    "/api/explore/v2.1/catalog/datasets?where=records_count%3E1&order_by=dataset_id%20desc&select=dataset_id",
    "/api/explore/v2.1/catalog/facets?facet=modified",
    "/api/explore/v2.1/catalog/exports",
    "/api/explore/v2.1/catalog/exports/json",
    "/api/explore/v2.1/catalog/exports/csv?delimiter=%2C&quote_all=true&list_separator=%7C",
    "/api/explore/v2.1/catalog/datasets/equipements/attachments",
    "/api/explore/v2.1/catalog/datasets/equipements/attachments/nope",
    "/api/explore/v2.1/catalog/datasets/equipements/files/nope",
    "/api/explore/v2.1/catalog/datasets/equipements?include_links=true&lang=fr&timezone=Europe%2FParis",
    "/api/explore/v2.1/catalog/datasets/equipements/records?limit=2&include_links=true",
    "/api/explore/v2.1/catalog/datasets/equipements/records?select=commune,count(*)%20as%20n&group_by=commune&order_by=n%20desc",
    "/api/explore/v2.1/catalog/datasets/equipements/records?where=capacite%3E10&order_by=capacite&refine=commune:Brant%C3%B4me",
    "/api/explore/v2.1/catalog/datasets/budget/records?select=sum(montant)",
    "/api/explore/v2.1/catalog/datasets/equipements/facets?facet=commune&refine=commune:Brant%C3%B4me",
    "/api/explore/v2.1/catalog/datasets/equipements/exports",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/csv?delimiter=%2C&with_bom=false&use_labels=true",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/json?where=capacite%3E10",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/geojson?limit=1",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/jsonl",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/parquet?parquet_compression=snappy",
    "/api/explore/v2.1/swagger.json",
    // Errors, each with the body the description gives.
    "/api/explore/v2.1/catalog/datasets/nope",
    "/api/explore/v2.1/catalog/datasets/interne/records",
    "/api/explore/v2.1/catalog/datasets/equipements/records?where=capacite%20%3E",
    "/api/explore/v2.1/catalog/datasets/equipements/records?where=capacit%3E1",
    "/api/explore/v2.1/catalog/datasets/equipements/records?limit=101",
    "/api/explore/v2.1/catalog/datasets/equipements/records/unknown-id",
    "/api/explore/v2.1/catalog/datasets/equipements/exports/xml",
    // v1, which ods-widgets call.
    "/api/records/1.0/search/?dataset=equipements&q=sport&facet=categorie&refine.commune=Saint-%C3%89tienne&disjunctive.categorie=true&sort=-id",
    "/api/records/1.0/search/?dataset=equipements&format=geojson&geofilter.distance=45.36,0.65,1000",
    "/api/records/1.0/download/?dataset=equipements&format=json&fields=id,commune",
    "/api/records/1.0/analyze/?dataset=equipements&x=categorie&y.n.func=COUNT&y.c.func=SUM&y.c.expr=capacite&y.c.cumulative=true",
    "/api/records/1.0/boundingbox/?dataset=equipements",
    "/api/records/1.0/geocluster/?dataset=equipements&clusterprecision=5&clusterdistance=50&y.serie1.func=AVG&y.serie1.expr=capacite",
    "/api/records/1.0/geopreview/?dataset=equipements&rows=2",
    "/api/records/1.0/geopolygon/?dataset=equipements&y.serie1.func=MAX&y.serie1.expr=capacite",
    "/api/datasets/1.0/search/?rows=1&facet=features",
    "/api/datasets/1.0/equipements/",
    "/api/datasets/1.0/equipements/records/0000000000000000000000000000000000000000",
    "/api/records/1.0/geocluster/?dataset=equipements",
    "/api/records/1.0/search/?dataset=nope",
];

#[tokio::test]
async fn the_served_description_is_a_valid_openapi_document() {
    let app = TestApp::new().await;
    let r = app.get(ALPHA, "/api/explore/v2.1/swagger.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let parsed: openapiv3::OpenAPI = serde_json::from_str(&r.body).expect("an OpenAPI 3.0 document");
    assert!(parsed.openapi.starts_with("3.0"));
    assert_eq!(parsed.servers[0].url, format!("http://{ALPHA}/api/explore/v2.1"), "the portal's own address");
    assert_eq!(app.get(ALPHA, "/api/explore/v2.1/openapi.json").await.body, r.body);
    // Every `$ref` points somewhere.
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    let mut refs = vec![];
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20);
    for r in refs {
        assert!(doc.pointer(r.trim_start_matches('#')).is_some(), "dangling {r}");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn real_responses_match_the_description() {
    let app = with_datasets().await;
    let described = Described::fetch(&app, ALPHA).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut statuses = std::collections::BTreeSet::new();
    for uri in REQUESTS {
        let r = app.get(ALPHA, uri).await;
        let content_type = r.header("content-type").unwrap_or("");
        described.check(uri, r.status.as_u16(), content_type, &r.bytes).unwrap_or_else(|e| panic!("{e}\n{}", r.body));
        seen.insert(described.template(uri.split('?').next().unwrap()).unwrap());
        statuses.insert(r.status.as_u16());
    }
    let all: Vec<&String> = described.doc["paths"].as_object().unwrap().keys().collect();
    for path in all {
        assert!(seen.contains(path), "{path} is described but no request above exercises it");
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [200, 400, 404]);
}

#[tokio::test]
async fn the_check_rejects_what_the_description_does_not_say() {
    let app = with_datasets().await;
    let described = Described::fetch(&app, ALPHA).await;
    let records = "/api/explore/v2.1/catalog/datasets/x/records";
    let ok = br#"{"total_count": 1, "results": [{"a": 1}]}"#;
    assert!(described.check(records, 200, "application/json", ok).is_ok());
    let wrong = br#"{"total_count": "1", "results": [{"a": 1}]}"#;
    assert!(described.check(records, 200, "application/json", wrong).unwrap_err().contains("total_count"));
    let bad_code = br#"{"error_code": "Oops", "message": "m"}"#;
    assert!(described.check(records, 400, "application/json", bad_code).is_err());
    assert!(described.check(&format!("{records}?rows_per_page=3"), 200, "application/json", ok).is_err());
    assert!(described.check("/api/explore/v2.1/elsewhere", 200, "application/json", ok).is_err());
    assert!(described.check(records, 418, "application/json", ok).is_err());
    let null_title = br#"{"total_count": 0, "results": [{"dataset_id": "d", "dataset_uid": "u", "has_records": false,
        "data_visible": true, "fields": [], "features": [], "visibility": "domain",
        "metas": {"default": {"title": null, "modified": "2024-01-01T00:00:00+00:00", "records_count": 0}}}]}"#;
    let err = described.check("/api/explore/v2.1/catalog/datasets", 200, "application/json", null_title).unwrap_err();
    assert!(err.contains("title"), "{err}");
}

#[tokio::test]
async fn the_v2_0_shim_has_its_own_description_and_answers_as_it_says() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/api/explore/v2.0/swagger.json").await;
    let parsed: openapiv3::OpenAPI = serde_json::from_str(&r.body).expect("an OpenAPI 3.0 document");
    assert_eq!(parsed.info.version, "2.0");
    assert_eq!(parsed.servers[0].url, format!("http://{ALPHA}/api/explore/v2.0"));
    assert!(r.header("ods-explore-api-deprecation").is_some());
    let (_, alias, _) = json(&app, ALPHA, "/api/v2/swagger.json").await;
    assert_eq!(alias, serde_json::from_str::<Value>(&r.body).unwrap(), "the /api/v2 alias serves the same");
    let described = Described::fetch_at(&app, ALPHA, "/api/explore/v2.0").await;
    let (_, v, _) =
        json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements/records?select=_id&limit=1").await;
    let id = v["results"][0]["_id"].as_str().unwrap().to_owned();
    let record = format!("/api/explore/v2.0/catalog/datasets/equipements/records/{id}");
    let requests = [
        "/api/explore/v2.0/catalog/datasets?rows=2",
        "/api/explore/v2.0/catalog/datasets/equipements",
        "/api/explore/v2.0/catalog/datasets/equipements/records?rows=3&select=id,commune",
        "/api/explore/v2.0/catalog/datasets/equipements/records?group_by=categorie&select=count(*)%20as%20n",
        &record,
        "/api/explore/v2.0/catalog/datasets/equipements/aggregates?select=count(*)%20as%20n&group_by=categorie",
        "/api/explore/v2.0/catalog/datasets/equipements/facets?facet=categorie",
        "/api/explore/v2.0/catalog/datasets/equipements/exports",
        "/api/explore/v2.0/catalog/datasets/nope",
        "/api/explore/v2.0/catalog/datasets/equipements/records?where=nope%3D1",
    ];
    for uri in requests {
        let r = app.get(ALPHA, uri).await;
        let content_type = r.header("content-type").unwrap_or("");
        described
            .check(uri, r.status.as_u16(), content_type, &r.bytes)
            .unwrap_or_else(|e| panic!("{uri}: {e}\n{}", r.body));
    }
    // The check has teeth: a v2.1 page does not pass for a v2.0 one.
    let v21 = app.get(ALPHA, "/api/explore/v2.1/catalog/datasets?rows=2").await;
    assert!(described.check("/api/explore/v2.0/catalog/datasets?rows=2", 200, "application/json", &v21.bytes).is_err());
}
