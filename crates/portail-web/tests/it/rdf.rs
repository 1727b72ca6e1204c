//! Records as RDF (`turtle`, `n3`, `rdfxml`, `jsonld` exports) through portail's default
//! mapping, read back with real RDF parsers: the serialisations must state the same triples.

use crate::api::json;
use crate::support::*;
use axum::http::StatusCode;
use portail_catalog::{no_progress, ImportRequest};
use portail_core::Annotations;
use portail_ingest::SourceOptions;
use rio_api::parser::TriplesParser;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const DS: &str = "/api/explore/v2.1/catalog/datasets/associations";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

async fn app() -> TestApp {
    let app = TestApp::new().await;
    let fixture = |name: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest").join(name);
    let import = |portal_id, id: &str, file: &str| ImportRequest {
        portal_id,
        dataset_id: Some(id.into()),
        title: None,
        file: fixture(file),
        source: SourceOptions::default(),
        publish: true,
    };
    let c = &app.state.catalog;
    c.import(import(1, "associations", "associations.csv"), no_progress()).await.unwrap();
    c.import(import(2, "parcs", "parcs.geojson"), no_progress()).await.unwrap();
    let multivalued = Annotations { multivalued: Some(','), ..Default::default() };
    c.set_annotations(1, "associations", &BTreeMap::from([("activites".to_owned(), multivalued)])).await.unwrap();
    app
}

/// The triples of a Turtle document, as a set (through the harvest tests' parser).
fn turtle(body: &str) -> BTreeSet<String> {
    crate::harvest::turtle_triples(body).into_iter().collect()
}

fn rdf_xml(body: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    rio_xml::RdfXmlParser::new(body.as_bytes(), None)
        .parse_all(&mut |t| -> Result<(), rio_xml::RdfXmlError> {
            out.insert(t.to_string());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("not valid RDF/XML: {e}\n{body}"));
    out
}

#[tokio::test]
async fn records_export_as_turtle_n3_rdf_xml_and_json_ld_with_the_same_statements() {
    let app = app().await;
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/records?select=_id&where=nom%3D%22Club%20de%20judo%22")).await;
    let id = v["results"][0]["_id"].as_str().unwrap().to_owned();
    let (_, links, _) = json(&app, ALPHA, &format!("{DS}/exports")).await;
    let offered: Vec<&str> = links["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    for format in ["jsonld", "rdfxml", "turtle", "n3"] {
        assert!(offered.contains(&format), "{format} in {offered:?}");
    }

    let r = app.get(ALPHA, &format!("{DS}/exports/turtle")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/turtle"));
    assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"associations.ttl\""));
    let triples = turtle(&r.body);
    let subject = triples
        .iter()
        .find_map(|t| t.split_once(' ').map(|(s, _)| s).filter(|s| s.ends_with(&format!("/records/{id}>"))))
        .unwrap_or_else(|| panic!("no statement about {id}: {triples:#?}"))
        .to_owned();
    let vocab = subject.replace(
        &format!("api/explore/v2.1/catalog/datasets/associations/records/{id}>"),
        "explore/dataset/associations/vocabulary#",
    );
    let about = |rest: &str| format!("{subject} {rest}");
    for expected in [
        about(&format!("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {vocab}Record>")),
        about(&format!("{vocab}nom> \"Club de judo\"")),
        about(&format!("{vocab}adherents> \"120\"^^<{XSD}integer>")),
        about(&format!("{vocab}creation> \"2001-09-01\"^^<{XSD}date>")),
        about(&format!("{vocab}activites> \"Sport\"")),
        about(&format!("{vocab}activites> \"Jeunesse\"")),
        format!("{vocab}adherents> <http://www.w3.org/2000/01/rdf-schema#label> \"adherents\""),
    ] {
        assert!(triples.contains(&expected), "{expected} missing from {triples:#?}");
    }
    assert!(
        triples.iter().any(|t| t.starts_with(&subject) && t.contains("http://purl.org/dc/terms/isPartOf")),
        "records are part of their dataset"
    );
    let records = triples.iter().filter(|t| t.ends_with(&format!("{vocab}Record>")) && t.contains("/records/")).count();
    assert_eq!(records, 6);

    // N3 and RDF/XML say the same.
    let r = app.get(ALPHA, &format!("{DS}/exports/n3")).await;
    assert!(r.header("content-type").unwrap().starts_with("text/n3"));
    assert_eq!(turtle(&r.body), triples);
    let r = app.get(ALPHA, &format!("{DS}/exports/rdfxml")).await;
    assert!(r.header("content-type").unwrap().starts_with("application/rdf+xml"));
    assert_eq!(rdf_xml(&r.body), triples, "{}", r.body);

    // JSON-LD: the fields are terms of the context; records are plain objects.
    let r = app.get(ALPHA, &format!("{DS}/exports/jsonld?order_by=nom")).await;
    assert!(r.header("content-type").unwrap().starts_with("application/ld+json"));
    let doc: Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    let context = &doc["@context"];
    assert_eq!(context["adherents"], serde_json::json!({"@type": format!("{XSD}integer")}));
    assert_eq!(context["@vocab"].as_str().map(|v| format!("<{v}")), Some(vocab.clone()));
    let graph = doc["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), 6);
    let judo = graph.iter().find(|r| r["nom"] == "Club de judo").unwrap();
    assert_eq!(format!("<{}>", judo["@id"].as_str().unwrap()), subject);
    assert_eq!(judo["activites"], serde_json::json!(["Sport", "Jeunesse"]));
    assert_eq!((judo["adherents"].as_i64(), judo["@type"].as_str()), (Some(120), Some("Record")));
    let empty = graph.iter().find(|r| r["nom"] == "Sans activité").unwrap();
    assert!(empty.get("activites").is_none(), "no value, no key: {empty}");

    // select, where and limit apply; groups do not describe records.
    let r = app.get(ALPHA, &format!("{DS}/exports/turtle?select=nom&where=adherents%3E100")).await;
    let t = turtle(&r.body);
    assert_eq!(t.iter().filter(|t| t.contains(&format!("{vocab}nom> \""))).count(), 1, "{t:#?}");
    assert!(!t.iter().any(|t| t.contains(&format!("{vocab}adherents> \""))));
    let r = app.get(ALPHA, &format!("{DS}/exports/turtle?group_by=territoire")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = app.get(ALPHA, &format!("{DS}/exports/rdfxml?select=count(*)")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn geometries_are_geosparql_wkt_literals() {
    let app = app().await;
    let r = app.get(BETA, "/api/explore/v2.1/catalog/datasets/parcs/exports/turtle").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let triples = turtle(&r.body);
    let wkt: Vec<&String> =
        triples.iter().filter(|t| t.contains("^^<http://www.opengis.net/ont/geosparql#wktLiteral>")).collect();
    assert!(!wkt.is_empty(), "{triples:#?}");
    assert!(wkt.iter().all(|t| t.contains("\"POINT (") || t.contains("\"POLYGON (") || t.contains("\"MULTIPOLYGON (")));
    assert_eq!(rdf_xml(&app.get(BETA, "/api/explore/v2.1/catalog/datasets/parcs/exports/rdfxml").await.body), triples);
}

#[tokio::test]
async fn the_publishers_mapping_names_the_class_and_the_properties() {
    let app = app().await;
    let c = &app.state.catalog;
    let property = |iri: &str| Annotations { rdf_property: Some(iri.into()), ..Default::default() };
    let changes = BTreeMap::from([
        ("nom".to_owned(), property("https://schema.org/name")),
        ("creation".to_owned(), property("https://schema.org/foundingDate")),
    ]);
    c.set_annotations(1, "associations", &changes).await.unwrap();
    c.set_rdf_class(1, "associations", Some("https://schema.org/Organization")).await.unwrap();
    // Refused: an IRI that is not absolute, or that ends in no name.
    for bad in ["schema:name", "https://schema.org/"] {
        let wrong = BTreeMap::from([("nom".to_owned(), property(bad))]);
        assert!(c.set_annotations(1, "associations", &wrong).await.is_err(), "{bad}");
        assert!(c.set_rdf_class(1, "associations", Some(bad)).await.is_err(), "{bad}");
    }

    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/records?select=_id&where=nom%3D%22Club%20de%20judo%22")).await;
    let id = v["results"][0]["_id"].as_str().unwrap().to_owned();
    let r = app.get(ALPHA, &format!("{DS}/exports/turtle")).await;
    let triples = turtle(&r.body);
    let subject = triples
        .iter()
        .find_map(|t| t.split_once(' ').map(|(s, _)| s).filter(|s| s.ends_with(&format!("/records/{id}>"))))
        .unwrap()
        .to_owned();
    for expected in [
        format!("{subject} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Organization>"),
        format!("{subject} <https://schema.org/name> \"Club de judo\""),
        format!("{subject} <https://schema.org/foundingDate> \"2001-09-01\"^^<{XSD}date>"),
    ] {
        assert!(triples.contains(&expected), "{expected} missing from {triples:#?}");
    }
    // Unmapped fields keep the dataset's vocabulary; mapped properties and the class are not
    // described as if portail defined them.
    assert!(triples.iter().any(|t| t.starts_with(&subject) && t.contains("vocabulary#adherents>")));
    assert!(!triples.iter().any(|t| t.starts_with("<https://schema.org/")), "{triples:#?}");
    assert!(!triples.iter().any(|t| t.contains("vocabulary#Record>")), "{triples:#?}");
    assert!(!triples.iter().any(|t| t.contains("vocabulary#nom>")), "{triples:#?}");

    // RDF/XML and JSON-LD say the same.
    let r = app.get(ALPHA, &format!("{DS}/exports/rdfxml")).await;
    assert_eq!(rdf_xml(&r.body), triples, "{}", r.body);
    let r = app.get(ALPHA, &format!("{DS}/exports/jsonld")).await;
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(doc["@context"]["nom"], serde_json::json!({"@id": "https://schema.org/name"}));
    assert_eq!(
        doc["@context"]["creation"],
        serde_json::json!({"@id": "https://schema.org/foundingDate", "@type": format!("{XSD}date")})
    );
    assert_eq!(doc["@graph"][0]["@type"], "https://schema.org/Organization");

    // The mapping is not an Opendatasoft annotation: the dataset object does not show it.
    let (_, v, _) = json(&app, ALPHA, DS).await;
    let nom = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "nom").unwrap();
    assert_eq!(nom["annotations"], serde_json::json!({}), "{nom}");
    // Removing the class brings the default one back.
    c.set_rdf_class(1, "associations", None).await.unwrap();
    let r = app.get(ALPHA, &format!("{DS}/exports/turtle")).await;
    assert!(turtle(&r.body).iter().any(|t| t.contains("vocabulary#Record>")));
}
