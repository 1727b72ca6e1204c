//! The catalog as harvesters read it: catalog facets and exports (CSV, JSON, DCAT, data.json).

use crate::api::{json, with_datasets};
use crate::support::*;
use serde_json::json as j;

/// Every element of an XML document, or the parse error.
fn xml_elements(body: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut names = vec![];
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                names.push(e.name().0.to_owned())
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => panic!("not well-formed XML at {}: {e}\n{body}", reader.buffer_position()),
            _ => {}
        }
    }
    names
}

#[tokio::test]
async fn dcat_export_is_what_data_gouv_fr_harvests() {
    let app = with_datasets().await;
    let path = "/api/explore/v2.1/catalog/exports/dcat/?include_exports=json,csv,shp,geojson&lang=fr";
    let head =
        app.send(axum::http::Request::head(path).header("host", ALPHA).body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(head.status, 200);
    assert!(head.header("content-type").unwrap().starts_with("application/rdf+xml"));
    let r = app.get(ALPHA, path).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("application/rdf+xml"));
    let names = xml_elements(&r.body);
    assert_eq!(names.iter().filter(|n| *n == "dcat:Dataset").count(), 2, "public published datasets only");
    for needed in ["dcat:Catalog", "dct:title", "dct:identifier", "dcat:distribution", "dcat:downloadURL"] {
        assert!(names.iter().any(|n| n == needed), "{needed} missing:\n{}", r.body);
    }
    assert!(r.body.contains("<dct:identifier>equipements</dct:identifier>"));
    assert!(r.body.contains("/catalog/datasets/equipements/exports/csv?use_labels=true"));
    assert!(r.body.contains("/catalog/datasets/equipements/exports/geojson"), "equipements has points");
    assert!(!r.body.contains("/catalog/datasets/budget/exports/geojson"), "budget has no geometry");
    assert!(r.body.contains("/catalog/datasets/equipements/exports/shp"), "the shapefile data.gouv.fr asks for");
    assert!(!r.body.contains("/catalog/datasets/budget/exports/shp"), "budget has no geometry");
    assert!(!r.body.contains("exports/parquet"), "include_exports filters the distributions");
    assert!(!r.body.contains("interne"), "restricted datasets are not harvested");
    // Each advertised distribution answers.
    for export in ["csv?use_labels=true", "json", "shp", "geojson"] {
        let r = app.get(ALPHA, &format!("/api/explore/v2.1/catalog/datasets/equipements/exports/{export}")).await;
        assert_eq!(r.status, 200, "{export}");
    }

    // Paged: hydra links a harvester follows.
    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/dcat?limit=1").await;
    let names = xml_elements(&r.body);
    assert_eq!(names.iter().filter(|n| *n == "dcat:Dataset").count(), 1);
    assert!(names.iter().any(|n| n == "hydra:PartialCollectionView"));
    assert!(r.body.contains("<hydra:next rdf:resource=\"http://alpha.localhost/api/explore/v2.1/catalog/exports/dcat?limit=1&amp;offset=1\"/>"), "{}", r.body);
    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/dcat?limit=1&offset=1").await;
    assert!(!r.body.contains("hydra:next"));
    assert!(r.body.contains("hydra:previous"));
}

/// Every triple of a Turtle document, in N-Triples form, or the parse error.
pub(crate) fn turtle_triples(body: &str) -> Vec<String> {
    use rio_api::parser::TriplesParser;
    let mut out = vec![];
    rio_turtle::TurtleParser::new(body.as_bytes(), None)
        .parse_all(&mut |t| -> Result<(), rio_turtle::TurtleError> {
            out.push(t.to_string());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("not valid Turtle: {e}\n{body}"));
    out
}

#[tokio::test]
async fn ttl_export_is_the_dcat_graph_in_turtle() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/ttl?include_exports=csv,geojson").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/turtle"));
    let triples = turtle_triples(&r.body);
    let typed = |class: &str| {
        let object = format!("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{class}>");
        triples.iter().filter(|t| t.ends_with(&object)).count()
    };
    assert_eq!(typed("http://www.w3.org/ns/dcat#Dataset"), 2, "public published datasets only: {triples:#?}");
    assert_eq!(typed("http://www.w3.org/ns/dcat#Catalog"), 1);
    // CSV for both, GeoJSON for the one with points.
    assert_eq!(typed("http://www.w3.org/ns/dcat#Distribution"), 3, "{}", r.body);
    let identifier = "<http://alpha.localhost/api/explore/v2.1/catalog/datasets/equipements> <http://purl.org/dc/terms/identifier> \"equipements\"";
    assert!(triples.iter().any(|t| t == identifier), "{triples:#?}");
    assert!(!r.body.contains("interne"));

    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/ttl?limit=1").await;
    let triples = turtle_triples(&r.body);
    let next = "<http://www.w3.org/ns/hydra/core#next> <http://alpha.localhost/api/explore/v2.1/catalog/exports/ttl?limit=1&offset=1>";
    assert!(triples.iter().any(|t| t.ends_with(next)), "{triples:#?}");
}

#[tokio::test]
async fn catalog_exports_csv_json_and_data_json() {
    let app = with_datasets().await;
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/").await;
    assert_eq!(status, 200);
    let rels: Vec<&str> = v["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    assert_eq!(rels, ["self", "csv", "json", "xlsx", "rss", "dcat", "rdf", "ttl", "data.json"]);

    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/csv?order_by=dataset_id").await;
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with('\u{feff}'));
    let lines: Vec<&str> = r.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("dataset_id;title;description;modified;records_count;features"), "{}", lines[0]);
    assert!(lines[2].starts_with("equipements;equipements;;"), "{}", lines[2]);
    assert!(lines[2].contains(";analyze,geo,timeserie;"), "lists joined by the list separator: {}", lines[2]);
    assert_eq!(lines.len(), 3);
    let r = app
        .get(ALPHA, "/api/explore/v2.1/catalog/exports/csv?select=dataset_id,records_count&delimiter=,&with_bom=false&list_separator=|&where=records_count%3E3")
        .await;
    assert_eq!(r.body, "dataset_id,records_count\r\nbudget,4\r\nequipements,4\r\n");

    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/json?refine=features:geo").await;
    assert_eq!(status, 200);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["dataset_id"], "equipements");

    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/data.json").await;
    assert_eq!(v["@type"], "dcat:Catalog");
    assert_eq!(v["dataset"].as_array().unwrap().len(), 2);
    assert!(v["dataset"][0]["distribution"][0]["downloadURL"].as_str().unwrap().contains("/exports/"));
    // Geographic files only for the dataset with geometry.
    let formats = |title: &str| -> Vec<String> {
        let d = v["dataset"].as_array().unwrap().iter().find(|d| d["title"].as_str().unwrap().contains(title)).unwrap();
        d["distribution"].as_array().unwrap().iter().map(|x| x["format"].as_str().unwrap().to_owned()).collect()
    };
    assert!(
        formats("equipements").contains(&"Shapefile".to_owned())
            && formats("equipements").contains(&"FlatGeobuf".to_owned())
    );
    assert!(
        !formats("budget").iter().any(|f| ["GeoJSON", "KML", "GPX", "Shapefile", "FlatGeobuf"].contains(&f.as_str())),
        "{:?}",
        formats("budget")
    );

    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/xls").await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("InvalidRESTParameterError")), "{v}");
    let (status, v, _) = json(&app, BETA, "/api/explore/v2.1/catalog/exports/json").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|d| d["dataset_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["parcs"], "each portal exports its own catalog only");
}

#[tokio::test]
async fn catalog_facets_and_refine() {
    let app = with_datasets().await;
    let (status, v, r) = json(&app, ALPHA, "/api/explore/v2.1/catalog/facets").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let names: Vec<&str> = v["facets"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["features", "modified", "language"], "facets without values are left out by default");
    let features = &v["facets"][0]["facets"];
    assert_eq!(features[0], j!({"name": "analyze", "value": "analyze", "count": 2, "state": "displayed"}));
    let modified = &v["facets"][1]["facets"][0];
    assert_eq!(modified["count"], 2);
    assert_eq!(modified["facets"][0]["value"].as_str().unwrap().len(), 7, "months nested in years: {modified}");

    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/facets?facet=features&refine=features:geo").await;
    assert_eq!(
        v["facets"][0]["facets"].as_array().unwrap().iter().find(|f| f["value"] == "geo").unwrap()["state"],
        "refined"
    );
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets?exclude=features:geo").await;
    assert_eq!(v["total_count"], 1);
    assert_eq!(v["results"][0]["dataset_id"], "budget");
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/facets?facet=nope").await;
    assert_eq!(status, 400, "{v}");
}
