//! `file` fields: a ZIP holding a CSV and the pictures and documents its rows name is imported
//! as a dataset whose naming columns are `file` fields; records carry each file's description
//! and address, `files/{id}` serves it with the dataset's visibility, text exports give the
//! address.

use crate::api::json;
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use portail_catalog::{no_progress, ImportRequest};
use portail_ingest::SourceOptions;
use portail_store::MetadataStore;
use serde_json::{json, Value};
use std::io::Write;

/// A PNG header saying `width` × `height` (enough for portail, which reads no pixels).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b
}

const PDF: &[u8] = b"%PDF-1.4 fiche du platane";

fn archive(dir: &std::path::Path, name: &str, entries: &[(&str, &[u8])]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (entry, bytes) in entries {
        zip.start_file(*entry, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

const CSV: &[u8] =
    "nom;photo;fiche\nPlatane;photos/platane.png;fiche-platane.pdf\nChêne;chene.png;\nGinkgo;;\n".as_bytes();

async fn import(app: &TestApp, file: std::path::PathBuf) -> Result<portail_catalog::ImportOutcome, String> {
    let request = ImportRequest {
        portal_id: 1,
        dataset_id: Some("arbres-photos".into()),
        title: None,
        file,
        source: SourceOptions::default(),
        publish: true,
    };
    app.state.catalog.import(request, no_progress()).await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn an_archive_makes_file_fields_served_with_the_dataset() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (platane, chene) = (png(3, 2), png(640, 480));
    let zip = archive(
        dir.path(),
        "arbres.zip",
        &[
            ("arbres.csv", CSV),
            ("photos/platane.png", &platane),
            ("photos/chene.png", &chene),
            ("fiche-platane.pdf", PDF),
            ("__MACOSX/._arbres.csv", b"resource fork"),
        ],
    );
    let outcome = import(&app, zip).await.unwrap();
    assert_eq!(outcome.rows, 3);
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);

    let base = "/api/explore/v2.1/catalog/datasets/arbres-photos";
    let (_, dataset, _) = json(&app, ALPHA, base).await;
    let types: Vec<(&str, &str)> = dataset["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(types, [("nom", "text"), ("photo", "file"), ("fiche", "file")]);

    let (status, v, _) = json(&app, ALPHA, &format!("{base}/records")).await;
    assert_eq!(status, 200, "{v}");
    let photo = &v["results"][0]["photo"];
    let id = photo["id"].as_str().unwrap().to_owned();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let url = format!("http://alpha.localhost{base}/files/{id}");
    assert_eq!(
        photo,
        &json!({"id": id, "filename": "platane.png", "format": "PNG", "mimetype": "image/png", "width": 3,
                "height": 2, "thumbnail": true, "url": url})
    );
    // A bare name finds the file in its folder; documents have no dimensions.
    assert_eq!(v["results"][1]["photo"]["width"], 640);
    assert_eq!(v["results"][0]["fiche"]["mimetype"], "application/pdf");
    assert_eq!(v["results"][0]["fiche"]["thumbnail"], false);
    assert_eq!(v["results"][2]["photo"], Value::Null);

    // The file itself, with its type, name and a validator that never goes stale.
    let r = app.get(ALPHA, &format!("{base}/files/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.header("content-disposition"), Some("inline; filename=\"platane.png\""));
    assert_eq!(&r.bytes[..], &platane[..]);
    let etag = r.header("etag").unwrap().to_owned();
    let again = Request::get(format!("{base}/files/{id}"))
        .header(header::HOST, ALPHA)
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(again).await.status, 304);
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/files/0123456789abcdef0123456789abcdef")).await;
    assert_eq!((status, v["error_code"].as_str()), (404, Some("NotFoundResource")), "{v}");
    let (status, _, _) = json(&app, ALPHA, &format!("{base}/files/..%2F..%2Fmeta.json")).await;
    assert_eq!(status, 404);

    // Text exports give the address; JSON ones the whole value.
    let csv = app.get(ALPHA, &format!("{base}/exports/csv?select=nom,photo&with_bom=false")).await;
    assert_eq!(csv.body.lines().nth(1), Some(format!("Platane;{url}").as_str()), "{}", csv.body);
    let (_, exported, _) = json(&app, ALPHA, &format!("{base}/exports/json?select=photo&limit=1")).await;
    assert_eq!(exported[0]["photo"]["url"], url);
    let turtle = app.get(ALPHA, &format!("{base}/exports/turtle?select=photo")).await;
    assert!(turtle.body.contains(&format!("\"{url}\"^^xsd:anyURI")), "{}", turtle.body);
    // Grouped by file, each group's key is the file's value too.
    let (_, groups, _) = json(
        &app,
        ALPHA,
        &format!("{base}/records?select=count(*)%20as%20n&group_by=photo&where=photo%20is%20not%20null"),
    )
    .await;
    let keys: Vec<&Value> = groups["results"].as_array().unwrap().iter().map(|g| &g["photo"]["url"]).collect();
    assert!(keys.contains(&&json!(url)) && keys.len() == 2, "{groups}");

    // Another portal does not see the dataset, nor its files; a restricted dataset hides them.
    assert_eq!(app.get(BETA, &format!("{base}/files/{id}")).await.status, 404);
    let d = app.store.dataset(1, "arbres-photos").await.unwrap().unwrap();
    app.store.set_restricted(&d.uid, true, START).await.unwrap();
    assert_eq!(app.get(ALPHA, &format!("{base}/files/{id}")).await.status, 404);
}

#[tokio::test]
async fn archives_without_one_data_file_are_refused_by_name() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let two = archive(dir.path(), "deux.zip", &[("a.csv", CSV), ("b.csv", CSV), ("p.png", &png(1, 1))]);
    let error = import(&app, two).await.unwrap_err();
    assert!(error.contains("several data files (a.csv, b.csv)"), "{error}");
    let none = archive(dir.path(), "photos.zip", &[("p.png", &png(1, 1))]);
    let error = import(&app, none).await.unwrap_err();
    assert!(error.contains("no data file") && error.contains("p.png"), "{error}");
    assert!(app.store.dataset(1, "arbres-photos").await.unwrap().is_none(), "nothing was created");
}

#[tokio::test]
async fn a_name_that_matches_no_file_is_reported() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    // `photo` names one file that is there and one that is not: a text field, as it is not
    // certain it names files; declared a file field, the missing one is reported.
    let csv = "nom;photo\nPlatane;platane.png\nChêne;absente.png\n";
    let zip = archive(dir.path(), "arbres.zip", &[("arbres.csv", csv.as_bytes()), ("platane.png", &png(3, 2))]);
    let outcome = import(&app, zip.clone()).await.unwrap();
    assert_eq!(outcome.schema.fields[1].field_type, portail_core::FieldType::Text);
    let overrides = std::collections::BTreeMap::from([(
        "photo".to_owned(),
        portail_core::FieldOverride { field_type: Some(portail_core::FieldType::File), ..Default::default() },
    )]);
    let outcome = app.state.catalog.set_overrides(1, "arbres-photos", overrides, no_progress()).await.unwrap();
    assert_eq!(outcome.schema.fields[1].field_type, portail_core::FieldType::File);
    assert_eq!(
        outcome.warnings,
        ["field `photo`: 1 value(s) named no file of the archive and were left empty, first at line 3"]
    );
}
