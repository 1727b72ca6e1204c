//! Field annotations: multivalued and hierarchical text fields, facet order and disjunctive
//! facets, units and precisions — set in the back office (or by the catalog), then read by
//! records, facets, refinements, ODSQL, exports, the dataset object and v1.

use crate::api::json;
use crate::support::*;
use axum::http::StatusCode;
use portail_catalog::{no_progress, ImportRequest};
use portail_core::Annotations;
use portail_ingest::SourceOptions;
use serde_json::{json as j, Value};
use std::collections::BTreeMap;
use std::path::Path;

const DS: &str = "/api/explore/v2.1/catalog/datasets/associations";

/// Imports `file` as the published dataset `id` of the first portal.
async fn import(app: &TestApp, id: &str, file: std::path::PathBuf) -> portail_catalog::ImportOutcome {
    let req = ImportRequest {
        portal_id: 1,
        dataset_id: Some(id.into()),
        title: None,
        file,
        source: SourceOptions::default(),
        publish: true,
    };
    app.state.catalog.import(req, no_progress()).await.unwrap()
}

async fn with_associations() -> TestApp {
    let app = TestApp::new().await;
    import(&app, "associations", Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest/associations.csv"))
        .await;
    app
}

async fn annotate(app: &TestApp, field: &str, a: Annotations) {
    let changes: BTreeMap<String, Annotations> = [(field.to_owned(), a)].into();
    app.state.catalog.set_annotations(1, "associations", &changes).await.unwrap();
}

fn multivalued() -> Annotations {
    Annotations { facet: true, multivalued: Some(','), ..Default::default() }
}

fn hierarchical() -> Annotations {
    Annotations { facet: true, hierarchical: Some('/'), ..Default::default() }
}

/// `(name, value, count)` of a facet group's values.
fn values(group: &Value) -> Vec<(String, String, i64)> {
    group["facets"]
        .as_array()
        .unwrap_or_else(|| panic!("no values in {group}"))
        .iter()
        .map(|v| {
            (v["name"].as_str().unwrap().into(), v["value"].as_str().unwrap().into(), v["count"].as_i64().unwrap())
        })
        .collect()
}

fn triples(items: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    items.iter().map(|(n, v, c)| (n.to_string(), v.to_string(), *c)).collect()
}

async fn total(app: &TestApp, query: &str) -> i64 {
    let (status, v, _) = json(app, ALPHA, &format!("{DS}/records?limit=0&{query}")).await;
    assert_eq!(status, 200, "{query}: {v}");
    v["total_count"].as_i64().unwrap()
}

#[tokio::test]
async fn a_multivalued_field_is_a_list_in_records_facets_refinements_and_exports() {
    let app = with_associations().await;
    // Before the annotation, the cell is one text.
    let (_, v, _) =
        json(&app, ALPHA, &format!("{DS}/records?select=activites&where=nom%3D%22Club%20de%20judo%22")).await;
    assert_eq!(v["results"][0]["activites"], "Sport, Jeunesse");
    annotate(&app, "activites", multivalued()).await;

    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/records?select=nom,activites&order_by=nom&limit=3")).await;
    assert_eq!(
        v["results"],
        j!([
            {"nom": "Atelier vélo", "activites": ["Sport", "Environnement", "Jeunesse"]},
            {"nom": "Chorale du lac", "activites": ["Culture"]},
            {"nom": "Club de judo", "activites": ["Sport", "Jeunesse"]},
        ]),
        "{v}"
    );
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/records?where=nom%3D%22Sans%20activit%C3%A9%22")).await;
    assert_eq!(v["results"][0]["activites"], Value::Null, "an empty cell has no values: {v}");

    // Dataset object, v2.1 and v1.
    let (_, v, _) = json(&app, ALPHA, DS).await;
    let field = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "activites").unwrap().clone();
    assert_eq!(field["annotations"], j!({"facet": [], "multivalued": [","]}), "{field}");
    let (_, v, _) = json(&app, ALPHA, "/api/datasets/1.0/associations/").await;
    let field = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "activites").unwrap().clone();
    assert_eq!(field["annotations"], j!([{"name": "facet"}, {"name": "multivalued", "args": [","]}]));

    // Facets count each value once per record holding it.
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets?facet=activites")).await;
    assert_eq!(
        values(&v["facets"][0]),
        triples(&[
            ("Jeunesse", "Jeunesse", 3),
            ("Culture", "Culture", 2),
            ("Environnement", "Environnement", 2),
            ("Sport", "Sport", 2)
        ]),
        "{v}"
    );
    // Without `facet`, the annotated facets are counted.
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets")).await;
    assert_eq!(v["facets"][0]["name"], "activites");

    // Refinements and ODSQL match one of the values.
    assert_eq!(total(&app, "refine=activites:Sport").await, 2);
    assert_eq!(total(&app, "refine=activites:%22Jeunesse%22").await, 3);
    assert_eq!(total(&app, "exclude=activites:Jeunesse").await, 3);
    assert_eq!(total(&app, "refine=activites:Sport&refine=activites:Culture").await, 0, "not disjunctive: all");
    assert_eq!(total(&app, "where=activites%3D%22Culture%22").await, 2);
    assert_eq!(total(&app, "where=%22Environnement%22%20IN%20activites").await, 2);
    assert_eq!(total(&app, "where=activites%21%3D%22Culture%22").await, 4);
    assert_eq!(total(&app, "where=activites%3D%22Sport,%20Jeunesse%22").await, 0, "a value, not the cell");
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets?facet=activites&refine=activites:Sport")).await;
    let jeunesse =
        v["facets"][0]["facets"].as_array().unwrap().iter().find(|f| f["name"] == "Jeunesse").unwrap().clone();
    assert_eq!(jeunesse["count"], 2, "counts follow the refinement: {v}");
    let sport = v["facets"][0]["facets"].as_array().unwrap().iter().find(|f| f["name"] == "Sport").unwrap().clone();
    assert_eq!(sport["state"], "refined");

    // Exports: lists in JSON, joined by `list_separator` in CSV.
    let csv = app
        .get(ALPHA, &format!("{DS}/exports/csv?select=nom,activites&where=nom%3D%22Club%20de%20judo%22&with_bom=false"))
        .await
        .body;
    assert_eq!(csv, "nom;activites\nClub de judo;Sport,Jeunesse\n");
    let csv = app
        .get(ALPHA, &format!("{DS}/exports/csv?select=activites&where=nom%3D%22Atelier%20v%C3%A9lo%22&with_bom=false&list_separator=%7C"))
        .await
        .body;
    assert_eq!(csv, "activites\nSport|Environnement|Jeunesse\n");
    let body =
        app.get(ALPHA, &format!("{DS}/exports/json?select=activites&where=nom%3D%22Club%20de%20judo%22")).await.body;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), j!([{"activites": ["Sport", "Jeunesse"]}]));
    let body =
        app.get(ALPHA, &format!("{DS}/exports/jsonl?select=activites&where=nom%3D%22Chorale%20du%20lac%22")).await.body;
    assert_eq!(body, "{\"activites\":[\"Culture\"]}\n");
    let r = app.get(ALPHA, &format!("{DS}/exports/csv?list_separator=%3B%3B%3B%3B%3B%3B")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn disjunctive_facets_or_their_refinements_and_count_without_them() {
    let app = with_associations().await;
    annotate(&app, "activites", Annotations { disjunctive: true, facetsort: Some("alphanum".into()), ..multivalued() })
        .await;
    assert_eq!(total(&app, "refine=activites:Sport&refine=activites:Culture").await, 4, "any of them");
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets?facet=activites&refine=activites:Sport")).await;
    assert_eq!(
        values(&v["facets"][0]),
        triples(&[
            ("Culture", "Culture", 2),
            ("Environnement", "Environnement", 2),
            ("Jeunesse", "Jeunesse", 3),
            ("Sport", "Sport", 2)
        ]),
        "counted without its own refinement, in the annotated order: {v}"
    );
    // A `sort` asked for wins over the annotation; `disjunctive=false` too.
    let (_, v, _) =
        json(&app, ALPHA, &format!("{DS}/facets?facet=facet(name%3D%22activites%22,sort%3D%22-alphanum%22)")).await;
    assert_eq!(v["facets"][0]["facets"][0]["name"], "Sport", "{v}");
    let (_, v, _) = json(
        &app,
        ALPHA,
        &format!("{DS}/facets?facet=facet(name%3D%22activites%22,disjunctive%3Dfalse)&refine=activites:Sport"),
    )
    .await;
    assert_eq!(values(&v["facets"][0])[0], ("Environnement".into(), "Environnement".into(), 1), "{v}");
    // v1 reads the same annotation.
    let (_, v, _) = json(
        &app,
        ALPHA,
        "/api/records/1.0/search/?dataset=associations&rows=0&facet=activites&refine.activites=Sport&refine.activites=Culture",
    )
    .await;
    assert_eq!(v["nhits"], 4, "{v}");
}

#[tokio::test]
async fn a_hierarchical_field_counts_each_level_and_nests_the_refined_ones() {
    let app = with_associations().await;
    annotate(&app, "territoire", hierarchical()).await;
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets?facet=territoire")).await;
    let group = &v["facets"][0];
    assert_eq!(values(group), triples(&[("Essonne", "Essonne", 5), ("Paris", "Paris", 1)]), "{v}");
    assert!(group["facets"][0].get("facets").is_none(), "levels appear once refined: {v}");

    let (_, v, _) =
        json(&app, ALPHA, &format!("{DS}/facets?facet=territoire&refine=territoire:%22Essonne/Grigny%22")).await;
    let essonne = &v["facets"][0]["facets"][0];
    assert_eq!((essonne["name"].as_str(), essonne["state"].as_str()), (Some("Essonne"), Some("refined")), "{v}");
    assert_eq!(values(essonne), triples(&[("Grigny", "Essonne/Grigny", 3)]), "only the refined branch is left: {v}");
    let grigny = &essonne["facets"][0];
    assert_eq!(grigny["state"], "refined");
    assert_eq!(
        values(grigny),
        triples(&[("Village", "Essonne/Grigny/Village", 2), ("Grande Borne", "Essonne/Grigny/Grande Borne", 1)])
    );
    assert_eq!(total(&app, "refine=territoire:Essonne").await, 5, "a level holds the paths under it");
    assert_eq!(total(&app, "refine=territoire:%22Essonne/Grigny%22").await, 3);
    assert_eq!(total(&app, "refine=territoire:%22Essonne/Gri%22").await, 0, "levels, not prefixes");
    assert_eq!(total(&app, "exclude=territoire:%22Essonne/Grigny%22").await, 3);
    assert_eq!(total(&app, "where=territoire%3D%22Essonne%22").await, 1, "equality stays exact");

    // A facet asked as hierarchical on a field without the annotation.
    annotate(&app, "territoire", Annotations::default()).await;
    let (_, v, _) = json(
        &app,
        ALPHA,
        &format!("{DS}/facets?facet=facet(name%3D%22territoire%22,hierarchical%3Dtrue,separator%3D%22/%22)"),
    )
    .await;
    assert_eq!(values(&v["facets"][0]), triples(&[("Essonne", "Essonne", 5), ("Paris", "Paris", 1)]), "{v}");
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/facets?facet=territoire")).await;
    assert_eq!(v["facets"][0]["facets"].as_array().unwrap().len(), 5, "plain values again: {v}");
    let (status, v, _) =
        json(&app, ALPHA, &format!("{DS}/facets?facet=facet(name%3D%22territoire%22,separator%3D%22ab%22)")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("InvalidRESTParameterError")), "{v}");
}

#[tokio::test]
async fn annotations_are_checked_against_the_fields_type() {
    let app = with_associations().await;
    let c = &app.state.catalog;
    let set = |field: &str, a: Annotations| -> BTreeMap<String, Annotations> { [(field.to_owned(), a)].into() };
    for (field, a) in [
        ("adherents", Annotations { multivalued: Some(','), ..Default::default() }),
        ("nom", Annotations { unit: Some("m".into()), ..Default::default() }),
        ("nom", Annotations { facetsort: Some("-num".into()), ..Default::default() }),
        ("nom", Annotations { multivalued: Some('a'), ..Default::default() }),
        ("creation", Annotations { timeserie_precision: Some("week".into()), ..Default::default() }),
        ("adherents", Annotations { decimals: Some(11), ..Default::default() }),
        ("inconnu", Annotations::default()),
    ] {
        let e = c.set_annotations(1, "associations", &set(field, a.clone())).await.unwrap_err();
        assert!(e.is_user_error(), "{field} {a:?}: {e}");
    }
    let units = Annotations { unit: Some("personnes".into()), decimals: Some(0), ..Default::default() };
    c.set_annotations(1, "associations", &set("adherents", units)).await.unwrap();
    let precision = Annotations { timeserie_precision: Some("month".into()), ..Default::default() };
    c.set_annotations(1, "associations", &set("creation", precision)).await.unwrap();
    let (_, v, _) = json(&app, ALPHA, DS).await;
    let annotations: Vec<&Value> = v["fields"].as_array().unwrap().iter().map(|f| &f["annotations"]).collect();
    assert_eq!(annotations[3], &j!({"unit": ["personnes"], "decimals": [0]}), "{v}");
    assert_eq!(annotations[4], &j!({"timeserie_precision": ["month"]}));
    // Other datasets and portals are untouched.
    let (_, v, _) = json(&app, BETA, DS).await;
    assert_eq!(v["error_code"], "NotFoundResource", "{v}");
}

const FIELDS: &str = "/backoffice/datasets/associations/fields/";

#[tokio::test]
async fn editors_set_annotations_in_the_back_office() {
    let app = with_associations().await;
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let list = editor.get("/backoffice/datasets/").await.text();
    assert!(list.contains(&format!("href=\"{FIELDS}\"")), "the datasets page links the form");
    let page = editor.get(FIELDS).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("name=\"activites.multivalued\""), "text fields offer separators");
    assert!(!html.contains("name=\"adherents.multivalued\""), "numbers do not");
    assert!(html.contains("name=\"adherents.unit\"") && html.contains("name=\"creation.precision\""));
    assert!(html.contains("name=\"nom.sortable\"") && !html.contains("name=\"adherents.sortable\""));
    let token = page.form_token().unwrap();
    let first_id = |v: Value| v["results"][0]["_id"].as_str().unwrap().to_owned();
    let records = format!("{DS}/records?select=_id&order_by=nom&limit=1");
    let id_before = first_id(json(&app, ALPHA, &records).await.1);

    let form = [
        ("csrfmiddlewaretoken", token.as_str()),
        ("nom.id", "on"),
        ("nom.sortable", "on"),
        ("nom.rdf_property", "https://schema.org/name"),
        ("rdf_class", "https://schema.org/Organization"),
        ("activites.multivalued", ","),
        ("activites.disjunctive", "on"),
        ("activites.facetsort", "alphanum"),
        ("territoire.hierarchical", "/"),
        ("adherents.unit", "personnes"),
        ("adherents.decimals", ""),
        ("creation.precision", "year"),
    ];
    let r = editor.post(FIELDS, &form).await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, Some("/backoffice/datasets/associations/fields/?saved=1"))
    );
    let (_, v, _) = json(&app, ALPHA, DS).await;
    let by_name =
        |name: &str| v["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["annotations"].clone();
    assert_eq!(by_name("activites"), j!({"facetsort": ["alphanum"], "disjunctive": [], "multivalued": [","]}));
    assert_eq!(by_name("territoire"), j!({"hierarchical": ["/"]}));
    assert_eq!(by_name("adherents"), j!({"unit": ["personnes"]}));
    assert_eq!(by_name("creation"), j!({"timeserie_precision": ["year"]}));
    assert_eq!(by_name("nom"), j!({"id": [], "sortable": []}), "the RDF mapping is no annotation");
    let record = app.state.catalog.dataset(1, "associations").await.unwrap();
    assert_eq!(record.metas.rdf_class.as_deref(), Some("https://schema.org/Organization"));
    assert_eq!(record.metas.fields["nom"].rdf_property.as_deref(), Some("https://schema.org/name"));
    assert_ne!(first_id(json(&app, ALPHA, &records).await.1), id_before, "the ids now come from `nom` alone");
    let notice = editor.get(&format!("{FIELDS}?rebuilding=1")).await.text();
    assert!(notice.contains("The record ids are being rebuilt"), "a save past the wait says the rebuild goes on");
    let again = editor.get(FIELDS).await.text();
    assert!(again.contains("name=\"activites.multivalued\" value=\",\""), "the form shows what is set");

    // A wrong separator is refused with the field named, and nothing changes.
    let token = editor.get(FIELDS).await.form_token().unwrap();
    let r = editor.post(FIELDS, &[("csrfmiddlewaretoken", token.as_str()), ("nom.multivalued", "ab")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("nom: a separator is one punctuation character or a space."), "{}", r.text());
    let token = editor.get(FIELDS).await.form_token().unwrap();
    let r = editor.post(FIELDS, &[("csrfmiddlewaretoken", token.as_str()), ("rdf_class", "Organization")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("an RDF class or property is a full address"), "{}", r.text());
    // Without the CSRF token, nothing is saved.
    let r = editor.post(FIELDS, &[("activites.multivalued", "")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(by_name("activites")["multivalued"], j!([","]));
    let (_, v, _) = json(&app, ALPHA, &format!("{DS}/records?select=activites&limit=1")).await;
    assert!(v["results"][0]["activites"].is_array(), "{v}");

    // Anonymous visitors are sent to sign in; another portal's admin never sees the dataset.
    let r = app.get(ALPHA, FIELDS).await;
    assert_eq!(r.location(), Some("/login/?next=/backoffice/datasets/associations/fields/"));
    let mut other = app.browser(BETA);
    other.sign_in(BETA_ADMIN, PASSWORD).await;
    assert_eq!(other.get(FIELDS).await.status, StatusCode::NOT_FOUND);
}

/// The total the table's summary gives ("Records 1 to 6 of 6").
fn shown_total(html: &str) -> String {
    let summary = html.split("id=\"table-summary\">").nth(1).unwrap_or_default();
    let summary = summary.split('<').next().unwrap_or_default();
    summary.split_whitespace().last().unwrap_or_default().to_owned()
}

/// The `href`s of a facet's value links on a dataset page, by value name.
fn filter_links(html: &str, facet: &str) -> Vec<(String, String)> {
    let section = html.split(&format!("data-facet=\"{facet}\"")).nth(1).unwrap_or_default();
    let section = section.split("</section>").next().unwrap_or_default();
    section
        .split("<a href=\"")
        .skip(1)
        .map(|part| {
            let href = part.split('"').next().unwrap().replace("&amp;", "&");
            let name = part.split('>').nth(1).unwrap().split('<').next().unwrap().to_owned();
            (name, href)
        })
        .collect()
}

#[tokio::test]
async fn the_dataset_page_filters_its_table_by_the_facets() {
    let app = with_associations().await;
    annotate(&app, "activites", Annotations { disjunctive: true, ..multivalued() }).await;
    annotate(&app, "territoire", hierarchical()).await;
    let page = app.get(ALPHA, "/explore/dataset/associations/table/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(shown_total(&html), "6", "{html}");
    let links = filter_links(&html, "activites");
    let names: Vec<&str> = links.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Jeunesse", "Culture", "Environnement", "Sport"], "{html}");
    let (_, jeunesse) = &links[0];
    assert!(jeunesse.starts_with("/explore/dataset/associations/table/?refine.activites=Jeunesse"), "{jeunesse}");

    // Following a value filters the table; the value is marked and its link removes it.
    let html = app.get(ALPHA, jeunesse).await.text();
    assert_eq!(shown_total(&html), "3", "{html}");
    assert!(html.contains("aria-current=\"true\">Jeunesse"), "{html}");
    assert!(html.contains("name=\"refine.activites\" value=\"Jeunesse\""), "the search keeps the filter");
    let again = filter_links(&html, "activites");
    assert_eq!(again[0].1, "/explore/dataset/associations/table/", "{again:?}");
    // A disjunctive facet keeps its other values selectable: Jeunesse or Culture.
    let culture = again.iter().find(|(n, _)| n == "Culture").unwrap().1.clone();
    let html = app.get(ALPHA, &culture).await.text();
    assert_eq!(shown_total(&html), "4", "{html}");

    // A hierarchical facet opens the levels under the chosen one.
    let essonne = filter_links(&app.get(ALPHA, "/explore/dataset/associations/table/").await.text(), "territoire")
        .into_iter()
        .find(|(n, _)| n == "Essonne")
        .unwrap()
        .1;
    let html = app.get(ALPHA, &essonne).await.text();
    assert_eq!(shown_total(&html), "5", "{html}");
    let levels: Vec<String> = filter_links(&html, "territoire").into_iter().map(|(n, _)| n).collect();
    assert_eq!(levels, ["Essonne", "Grigny", "Viry-Châtillon"], "{html}");
    // Refinements of fields that are not facets, or unreadable, are ignored, not errors.
    let r = app.get(ALPHA, "/explore/dataset/associations/table/?refine.nom=x&refine.creation=abc").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(shown_total(&r.text()), "6");
}

#[tokio::test]
async fn grouping_by_a_multivalued_field_makes_one_group_per_value() {
    let app = with_associations().await;
    let query = format!("{DS}/records?select=activites,count(*)%20as%20n,sum(adherents)%20as%20total&group_by=activites&order_by=activites");
    let (_, before, _) = json(&app, ALPHA, &query).await;
    assert_eq!(before["results"].as_array().unwrap().len(), 6, "whole cells before the annotation: {before}");
    annotate(&app, "activites", multivalued()).await;
    let (status, v, _) = json(&app, ALPHA, &query).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["results"],
        j!([
            {"activites": "Culture", "n": 2, "total": 57},
            {"activites": "Environnement", "n": 2, "total": 108},
            {"activites": "Jeunesse", "n": 3, "total": 202},
            {"activites": "Sport", "n": 2, "total": 180},
            {"activites": null, "n": 1, "total": 5},
        ]),
        "{v}"
    );
    // Filters apply before the values are split; exports group the same way.
    let (_, v, _) = json(
        &app,
        ALPHA,
        &format!("{DS}/records?select=count(*)%20as%20n&group_by=activites%20as%20a&where=adherents%3E50&order_by=a"),
    )
    .await;
    assert_eq!(
        v["results"],
        j!([{"a": "Environnement", "n": 1}, {"a": "Jeunesse", "n": 2}, {"a": "Sport", "n": 2}]),
        "{v}"
    );
    let csv = app
        .get(ALPHA, &format!("{DS}/exports/csv?select=activites,count(*)%20as%20n&group_by=activites&order_by=n%20desc,activites&limit=2&with_bom=false"))
        .await
        .body;
    assert_eq!(csv, "activites;n\nJeunesse;3\nCulture;2\n");
}

async fn import_equipments(app: &TestApp, dir: &Path, text: &str) -> portail_catalog::ImportOutcome {
    let file = dir.join("lieux.csv");
    std::fs::write(&file, text).unwrap();
    import(app, "lieux", file).await
}

/// `(code, nom, _id)` of every record, by code.
async fn lieux(app: &TestApp) -> Vec<(String, String, String)> {
    let (status, v, _) =
        json(app, ALPHA, "/api/explore/v2.1/catalog/datasets/lieux/records?select=code,nom,_id&order_by=code").await;
    assert_eq!(status, 200, "{v}");
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["code"].as_str().unwrap().into(), r["nom"].as_str().unwrap().into(), r["_id"].as_str().unwrap().into())
        })
        .collect()
}

#[tokio::test]
async fn id_fields_make_the_record_ids_and_a_later_row_replaces_an_earlier_one() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let first = "code;nom;places\nA1;École;10\nB2;Gymnase;20\nA1;École Jules-Ferry;12\n";
    import_equipments(&app, dir.path(), first).await;
    let before = lieux(&app).await;
    assert_eq!(before.len(), 3, "without an id field every row is a record");

    // Making `code` the id rebuilds the data: one record per code, the last row kept.
    let changes: BTreeMap<String, Annotations> =
        [("code".to_owned(), Annotations { id: true, ..Default::default() })].into();
    app.state.catalog.set_annotations(1, "lieux", &changes).await.unwrap();
    let after = lieux(&app).await;
    let names: Vec<(&str, &str)> = after.iter().map(|(c, n, _)| (c.as_str(), n.as_str())).collect();
    assert_eq!(names, [("A1", "École Jules-Ferry"), ("B2", "Gymnase")]);
    assert!(after.iter().all(|(_, _, id)| id.len() == 40 && !before.iter().any(|(_, _, b)| b == id)));
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/lieux").await;
    let code = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "code").unwrap();
    assert_eq!(code["annotations"], j!({"id": []}), "{v}");

    // A new file: the ids follow the codes, whatever else changed, and the import says what it replaced.
    let outcome = import_equipments(
        &app,
        dir.path(),
        "code;nom;places\nB2;Gymnase municipal;25\nC3;Stade;500\nC3;Stade Delaune;600\n",
    )
    .await;
    assert!(
        outcome.warnings.iter().any(|w| w.contains("1 row(s) replaced by a later row with the same id (code)")),
        "{:?}",
        outcome.warnings
    );
    let renewed = lieux(&app).await;
    assert_eq!(renewed.len(), 2);
    assert_eq!(renewed[0].2, after[1].2, "B2 keeps its record id");
    let (status, v, _) =
        json(&app, ALPHA, &format!("/api/explore/v2.1/catalog/datasets/lieux/records/{}", after[1].2)).await;
    assert_eq!((status, &v["nom"]), (200, &j!("Gymnase municipal")), "{v}");

    // The id annotation goes again: every row is a record again.
    let changes: BTreeMap<String, Annotations> = [("code".to_owned(), Annotations::default())].into();
    app.state.catalog.set_annotations(1, "lieux", &changes).await.unwrap();
    assert_eq!(lieux(&app).await.len(), 3);

    // A rebuild that cannot be done (the version's source is gone) changes nothing.
    let record = app.state.catalog.dataset(1, "lieux").await.unwrap();
    let current = app.state.catalog.current(&record).await.unwrap().unwrap();
    std::fs::remove_dir_all(current.dir.join("source")).unwrap();
    let changes: BTreeMap<String, Annotations> =
        [("code".to_owned(), Annotations { id: true, ..Default::default() })].into();
    assert!(app.state.catalog.set_annotations(1, "lieux", &changes).await.is_err());
    assert_eq!(lieux(&app).await.len(), 3, "the data as it was");
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/lieux").await;
    let code = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "code").unwrap();
    assert_eq!(code["annotations"], j!({}), "and the annotations as they were: {v}");
}
