//! The conformance suite: request → expected status and body, read from the case files in
//! `fixtures/conformance/cases/` and run against the datasets beside them. Every JSON answer of
//! the v2.1 and v1 APIs is also validated against the served OpenAPI description, and the suite fails
//! if a function, clause, error code or described path is not exercised by some case.
//!
//! Case format (blank lines and `#` comments between cases are ignored):
//!
//! ```text
//! === name of the case
//! GET /api/explore/v2.1/catalog/datasets/arbres/records?where=hauteur > 20&select=id
//! status: 200
//! header: content-type: text/csv        (optional, repeatable: the header contains the text)
//! contains: some text\n                 (optional, repeatable: the body contains the text;
//!                                        `\r` and `\n` stand for line ends)
//! match: subset                         (optional: objects may have more keys than expected)
//! {"total_count": 2, "results": [{"id": 1}, {"id": 3}]}
//! ```
//!
//! Query values are written unencoded; the runner percent-encodes them (an existing `%XX` is
//! kept, so `%26` writes a literal `&`). The expected JSON is compared exactly (numbers within
//! 1e-9), unless `match: subset`; the string `"<any>"` matches any present value, and `"≈132.7"`
//! a number within 0.1 % of 132.7.

use crate::openapi::Described;
use crate::support::*;
use portail_catalog::{no_progress, ImportRequest};
use portail_ingest::SourceOptions;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conformance")
}

#[derive(Debug)]
struct Case {
    file: String,
    line: usize,
    name: String,
    uri: String,
    status: u16,
    headers: Vec<(String, String)>,
    contains: Vec<String>,
    subset: bool,
    body: Option<Value>,
}

fn parse_cases(file: &str, text: &str) -> Vec<Case> {
    let mut cases = vec![];
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let Some(name) = line.strip_prefix("=== ") else {
            assert!(line.trim().is_empty() || line.starts_with('#'), "{file}:{}: expected `=== name`", n + 1);
            continue;
        };
        let mut block = vec![];
        while let Some((_, l)) = lines.next_if(|(_, l)| !l.starts_with("=== ")) {
            block.push(l);
        }
        let at = |msg: &str| format!("{file}:{}: {name}: {msg}", n + 1);
        let mut rest = block.iter().filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let request = rest.next().unwrap_or_else(|| panic!("{}", at("no request")));
        let uri = request.strip_prefix("GET ").unwrap_or_else(|| panic!("{}", at("the request is `GET path`")));
        let mut case = Case {
            file: file.into(),
            line: n + 1,
            name: name.into(),
            uri: encode(uri.trim()),
            status: 0,
            headers: vec![],
            contains: vec![],
            subset: false,
            body: None,
        };
        let mut json = String::new();
        for l in rest {
            if let Some(s) = l.strip_prefix("status: ") {
                case.status = s.trim().parse().unwrap_or_else(|_| panic!("{}", at("bad status")));
            } else if let Some(h) = l.strip_prefix("header: ") {
                let (k, v) = h.split_once(": ").unwrap_or_else(|| panic!("{}", at("header: name: text")));
                case.headers.push((k.to_owned(), v.to_owned()));
            } else if let Some(c) = l.strip_prefix("contains: ") {
                case.contains.push(c.replace("\\r", "\r").replace("\\n", "\n"));
            } else if l.trim() == "match: subset" {
                case.subset = true;
            } else {
                json.push_str(l);
                json.push('\n');
            }
        }
        assert!(case.status != 0, "{}", at("no status"));
        if !json.trim().is_empty() {
            case.body = Some(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}", at(&format!("JSON: {e}")))));
        }
        cases.push(case);
    }
    cases
}

/// Percent-encodes query keys and values, keeping `%XX` escapes already written.
fn encode(uri: &str) -> String {
    let Some((path, query)) = uri.split_once('?') else { return uri.to_owned() };
    let escape = |s: &str| {
        let b = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'%' && i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
                out.push_str(&s[i..i + 3]);
                i += 3;
                continue;
            }
            if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) {
                out.push(c as char);
            } else {
                out.push_str(&format!("%{c:02X}"));
            }
            i += 1;
        }
        out
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v)) => format!("{}={}", escape(k), escape(v)),
            None => escape(p),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// Compares an answer with its expectation; the error names the JSON path of the first difference.
fn compare(expected: &Value, actual: &Value, subset: bool, at: &str) -> Result<(), String> {
    let differ = || Err(format!("at {at}: expected {expected}, got {actual}"));
    match (expected, actual) {
        (Value::String(s), _) if s == "<any>" => Ok(()),
        (Value::String(s), Value::Number(a)) if s.starts_with('≈') => {
            let e: f64 = s.trim_start_matches('≈').parse().map_err(|_| format!("at {at}: bad expectation {s}"))?;
            let a = a.as_f64().unwrap();
            if (e - a).abs() <= 1e-3 * e.abs().max(1.0) {
                Ok(())
            } else {
                differ()
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let Some(got) = a.get(k) else { return Err(format!("at {at}: missing key {k:?} in {actual}")) };
                compare(v, got, subset, &format!("{at}.{k}"))?;
            }
            if !subset {
                if let Some(extra) = a.keys().find(|k| !e.contains_key(*k)) {
                    return Err(format!("at {at}: unexpected key {extra:?} in {actual}"));
                }
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("at {at}: expected {} items, got {}: {actual}", e.len(), a.len()));
            }
            e.iter().zip(a).enumerate().try_for_each(|(i, (e, a))| compare(e, a, subset, &format!("{at}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            if (e - a).abs() <= 1e-9 * e.abs().max(1.0) {
                Ok(())
            } else {
                differ()
            }
        }
        _ if expected == actual => Ok(()),
        _ => differ(),
    }
}

async fn portal_with_fixtures() -> TestApp {
    let app = TestApp::new().await;
    let import = |id: &str, file: &str| ImportRequest {
        portal_id: 1,
        dataset_id: Some(id.into()),
        title: None,
        file: dir().join(file),
        source: SourceOptions::default(),
        publish: true,
    };
    let c = &app.state.catalog;
    c.import(import("arbres", "arbres.csv"), no_progress()).await.unwrap();
    c.import(import("arbres_prives", "arbres.csv"), no_progress()).await.unwrap();
    let private = portail_store::MetadataStore::dataset(app.store.as_ref(), 1, "arbres_prives").await.unwrap().unwrap();
    portail_store::MetadataStore::set_restricted(app.store.as_ref(), &private.uid, true, START).await.unwrap();
    app
}

fn all_cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| parse_cases(&p.file_name().unwrap().to_string_lossy(), &std::fs::read_to_string(p).unwrap()))
        .collect()
}

#[tokio::test]
async fn the_conformance_cases_pass() {
    let app = portal_with_fixtures().await;
    let described = Described::fetch(&app, ALPHA).await;
    let cases = all_cases();
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut failures = vec![];
    for case in &cases {
        let r = app.get(ALPHA, &case.uri).await;
        let mut problems = vec![];
        if r.status.as_u16() != case.status {
            problems.push(format!("status {} (expected {})", r.status.as_u16(), case.status));
        }
        for (name, text) in &case.headers {
            let got = r.header(name).unwrap_or("");
            if !got.contains(text.as_str()) {
                problems.push(format!("header {name} is {got:?}, expected to contain {text:?}"));
            }
        }
        for text in &case.contains {
            if !r.body.contains(text.as_str()) {
                problems.push(format!("body does not contain {text:?}"));
            }
        }
        if let Some(expected) = &case.body {
            match serde_json::from_str::<Value>(&r.body) {
                Ok(actual) => {
                    if let Err(e) = compare(expected, &actual, case.subset, "$") {
                        problems.push(e);
                    }
                }
                Err(e) => problems.push(format!("not JSON ({e})")),
            }
        }
        // Unknown paths answer 404 without being described.
        let api = ["/api/explore/v2.1/", "/api/records/1.0/", "/api/datasets/1.0/"];
        if api.iter().any(|p| case.uri.starts_with(p)) && (case.status != 404 || described.describes(&case.uri)) {
            let content_type = r.header("content-type").unwrap_or("");
            if let Err(e) = described.check(&case.uri, r.status.as_u16(), content_type, &r.bytes) {
                problems.push(format!("OpenAPI: {e}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}:{} {}\n  GET {}\n  {}\n  body: {}",
                case.file,
                case.line,
                case.name,
                case.uri,
                problems.join("\n  "),
                r.body.chars().take(600).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// What the cases must exercise, so that a new function or error code comes with its case.
#[test]
fn the_cases_cover_every_function_clause_and_error_code() {
    let cases = all_cases();
    let requests: Vec<String> = cases
        .iter()
        .map(|c| {
            form_urlencoded::parse(c.uri.split_once('?').map_or("", |(_, q)| q).as_bytes())
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
                .to_lowercase()
        })
        .collect();
    for function in portail_query::FUNCTIONS {
        let call = format!("{function}(");
        assert!(requests.iter().any(|r| r.contains(&call)), "no case calls {function}()");
    }
    for clause in ["select", "where", "group_by", "order_by", "limit", "offset", "refine", "exclude", "facet", "lang"] {
        let param = format!("{clause}=");
        assert!(
            requests.iter().any(|r| r.starts_with(&param) || r.contains(&format!("&{param}"))),
            "no case uses {clause}"
        );
    }
    // Codes an anonymous GET of the data API cannot produce are the only ones left out.
    let unreachable =
        ["CSRFVerificationFailed", "PermissionDenied", "TooManyAttempts", "QueryTimeout", "InternalError"];
    for code in portail_core::Code::ALL.iter().map(|c| c.wire()).filter(|c| !unreachable.contains(c)) {
        assert!(
            cases.iter().any(|c| c.body.as_ref().is_some_and(|b| b["error_code"] == code)),
            "no case expects the error code {code}"
        );
    }
    let paths = [
        "/api/explore/v2.1/catalog/datasets/arbres/records/",
        "/api/explore/v2.1/catalog/datasets/arbres/exports/",
        "/api/explore/v2.1/catalog/datasets/arbres/facets",
        "/api/explore/v2.1/catalog/exports/",
        "/api/explore/v2.1/catalog/facets",
        "/api/records/1.0/search",
        "/api/records/1.0/analyze",
        "/api/records/1.0/geocluster",
        "/api/records/1.0/geopreview",
        "/api/records/1.0/geopolygon",
        "/api/datasets/1.0/search",
    ];
    for path in paths {
        assert!(cases.iter().any(|c| c.uri.starts_with(path)), "no case requests {path}");
    }
}

#[test]
fn the_runner_compares_what_it_should() {
    let e: Value = serde_json::json!({"a": 1, "b": [1, 2], "c": "<any>"});
    assert!(compare(&e, &serde_json::json!({"a": 1.0, "b": [1, 2], "c": null}), false, "$").is_ok());
    assert!(compare(&e, &serde_json::json!({"a": 1, "b": [1, 2]}), false, "$").unwrap_err().contains("\"c\""));
    assert!(compare(&e, &serde_json::json!({"a": 1, "b": [2, 1], "c": 0}), false, "$").unwrap_err().contains("$.b[0]"));
    assert!(compare(&e, &serde_json::json!({"a": 1, "b": [1, 2], "c": 0, "d": 0}), false, "$").is_err());
    assert!(compare(&e, &serde_json::json!({"a": 1, "b": [1, 2], "c": 0, "d": 0}), true, "$").is_ok());
    assert!(compare(&e, &serde_json::json!({"a": 1, "b": [1, 2, 3], "c": 0}), true, "$").is_err());
    let near = serde_json::json!({"d": "≈132.7"});
    assert!(compare(&near, &serde_json::json!({"d": 132.74}), false, "$").is_ok());
    assert!(compare(&near, &serde_json::json!({"d": 133.0}), false, "$").is_err());
    assert_eq!(encode("/p?where=a = \"x y\" and b%26c&flag"), "/p?where=a%20%3D%20%22x%20y%22%20and%20b%26c&flag");
    let cases = parse_cases(
        "t.txt",
        "# c\n=== one\nGET /p?x=1\nstatus: 400\nheader: content-type: json\ncontains: a\\r\\nb\nmatch: subset\n{\"k\":\n 1}\n\n=== two\nGET /q\nstatus: 200\n",
    );
    assert_eq!(cases.len(), 2);
    assert_eq!((cases[0].status, cases[0].subset, cases[0].line), (400, true, 2));
    assert_eq!(cases[0].contains, ["a\r\nb"]);
    assert_eq!(cases[0].body, Some(serde_json::json!({"k": 1})));
    assert_eq!((cases[1].uri.as_str(), cases[1].body.is_none()), ("/q", true));
}
