//! Explore API v2.1, catalog part: listing, dataset object, visibility, errors, CORS.

use crate::support::*;
use axum::body::Body;
use axum::http::Request;
use portail_catalog::{no_progress, ImportRequest};
use portail_ingest::SourceOptions;
use portail_store::MetadataStore;
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest").join(name)
}

/// Alpha gets three published datasets (one restricted) and a draft; Beta gets one.
pub(crate) async fn with_datasets() -> TestApp {
    let app = TestApp::new().await;
    let import = |portal: i64, id: &str, file: &str, publish: bool| ImportRequest {
        portal_id: portal,
        dataset_id: Some(id.into()),
        title: None,
        file: fixture(file),
        source: SourceOptions::default(),
        publish,
    };
    let c = &app.state.catalog;
    c.import(import(1, "equipements", "equipements.csv", true), no_progress()).await.unwrap();
    c.import(import(1, "budget", "budget_cp1252.csv", true), no_progress()).await.unwrap();
    c.import(import(1, "interne", "ecoles.csv", true), no_progress()).await.unwrap();
    c.import(import(1, "brouillon", "stations.tsv", false), no_progress()).await.unwrap();
    c.import(import(2, "parcs", "parcs.geojson", true), no_progress()).await.unwrap();
    let d = app.store.dataset(1, "interne").await.unwrap().unwrap();
    app.store.set_restricted(&d.uid, true, START).await.unwrap();
    app
}

pub(crate) async fn json(app: &TestApp, host: &str, path: &str) -> (u16, Value, TestResponse) {
    let r = app.get(host, path).await;
    let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body));
    (r.status.as_u16(), v, r)
}

fn ids(v: &Value) -> Vec<String> {
    v["results"].as_array().unwrap().iter().map(|d| d["dataset_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_catalog_lists_the_portals_published_public_datasets() {
    let app = with_datasets().await;
    for path in ["/api/explore/v2.1/catalog/datasets", "/api/explore/v2.1/catalog/datasets/"] {
        let (status, v, r) = json(&app, ALPHA, path).await;
        assert_eq!(status, 200);
        assert_eq!(v["total_count"], 2, "{v}");
        assert_eq!(ids(&v), ["budget", "equipements"], "ordered by dataset_id, no draft, no restricted");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(r.header("content-type").unwrap().starts_with("application/json"));
        assert!(r.set_cookies().is_empty());
    }
    let (_, v, _) = json(&app, BETA, "/api/explore/v2.1/catalog/datasets").await;
    assert_eq!(ids(&v), ["parcs"], "each portal sees its own datasets only");
}

#[tokio::test]
async fn include_app_metas_adds_the_visualization_template() {
    let app = with_datasets().await;
    let path = "/api/explore/v2.1/catalog/datasets/equipements";
    let (_, plain, _) = json(&app, ALPHA, path).await;
    assert!(plain["metas"].get("visualization").is_none(), "only when asked");
    let (status, d, _) = json(&app, ALPHA, &format!("{path}?include_app_metas=true")).await;
    assert_eq!(status, 200);
    let v = &d["metas"]["visualization"];
    let names: Vec<&Value> = d["fields"].as_array().unwrap().iter().map(|f| &f["name"]).collect();
    assert_eq!(v["table_fields"].as_array().unwrap().iter().collect::<Vec<_>>(), names);
    assert_eq!(v["map_disabled"], false, "equipements has a geo field");
    assert!(v["map_tooltip_fields"].as_array().unwrap().contains(&Value::from("commune")));
    // The catalog listing takes it too; a bad boolean is a 400.
    let (_, list, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets?include_app_metas=true").await;
    assert!(list["results"].as_array().unwrap().iter().all(|d| d["metas"]["visualization"].is_object()));
    assert_eq!(json(&app, ALPHA, &format!("{path}?include_app_metas=maybe")).await.0, 400);
}

#[tokio::test]
async fn the_dataset_object_has_the_explore_shape() {
    let app = with_datasets().await;
    let (status, d, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements?include_links=true").await;
    assert_eq!(status, 200);
    assert_eq!(d["dataset_id"], "equipements");
    assert!(d["dataset_uid"].as_str().unwrap().starts_with("da_"));
    assert_eq!(d["has_records"], true);
    assert_eq!(d["data_visible"], true);
    assert_eq!(d["visibility"], "domain");
    assert_eq!(d["metas"]["default"]["records_count"], 4);
    assert_eq!(d["metas"]["default"]["title"], "equipements");
    assert!(d["metas"]["default"]["modified"].as_str().unwrap().ends_with("+00:00"));
    let features: Vec<&str> = d["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(features, ["analyze", "geo", "timeserie"]);
    let fields = d["fields"].as_array().unwrap();
    assert_eq!(fields[1]["name"], "commune");
    assert_eq!(fields[2]["label"], "Catégorie");
    assert_eq!(fields[7]["type"], "geo_point_2d");
    assert!(fields[0]["annotations"].is_object());
    assert!(d["_links"].as_array().unwrap().iter().any(|l| l["rel"] == "records"));
    let (_, plain, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements/").await;
    assert!(plain.get("_links").is_none(), "links only on request");
}

#[tokio::test]
async fn unknown_drafts_restricted_and_foreign_datasets_are_404_alike() {
    let app = with_datasets().await;
    for (host, id) in
        [(ALPHA, "nope"), (ALPHA, "brouillon"), (ALPHA, "interne"), (ALPHA, "parcs"), (BETA, "equipements")]
    {
        let (status, v, _) = json(&app, host, &format!("/api/explore/v2.1/catalog/datasets/{id}")).await;
        assert_eq!(status, 404, "{host} {id}");
        assert_eq!(v["error_code"], "NotFoundResource");
        assert_eq!(v["message"], format!("The requested dataset {id} does not exist."));
    }
    let (status, v, _) = json(&app, "nowhere.localhost", "/api/explore/v2.1/catalog/datasets").await;
    assert_eq!((status, v["error_code"].as_str()), (404, Some("NotFoundResource")));
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/nothing-here").await;
    assert_eq!((status, v["error_code"].as_str()), (404, Some("NotFoundResource")));
}

#[tokio::test]
async fn signed_in_users_see_their_portals_restricted_datasets_through_their_session() {
    let app = with_datasets().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let r = b.get("/api/explore/v2.1/catalog/datasets").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(ids(&v), ["budget", "equipements", "interne"]);
    assert!(r.set_cookies().is_empty(), "API responses never set cookies");
    let r = b.get("/api/explore/v2.1/catalog/datasets/interne").await;
    let d: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(d["visibility"], "restricted");
    // The same cookie on another portal's API is worth nothing.
    let mut beta = app.browser(BETA);
    beta.jar = b.jar.clone();
    assert_eq!(beta.get("/api/explore/v2.1/catalog/datasets/interne").await.status, 404);
}

#[tokio::test]
async fn where_order_by_select_and_paging() {
    let app = with_datasets().await;
    let q = |s: &str| format!("/api/explore/v2.1/catalog/datasets?{s}");
    let cases: &[(&str, &[&str])] = &[
        ("where=dataset_id%3D%27budget%27", &["budget"]),
        ("where=datasetid:%22equipements%22", &["equipements"]),
        ("where=%22budget%22", &["budget"]),
        ("where=search(*,%20%22equip%22)", &["equipements"]),
        ("where=features%3D%27geo%27", &["equipements"]),
        ("where=records_count%20%3E%3D%204%20and%20not%20has_records%20is%20false", &["budget", "equipements"]),
        ("where=records_count%3E3&where=title%20like%20%22budget%22", &["budget"]),
        ("where=records_count%3E4&where=title%20like%20%22budget%22", &[]),
        ("where=dataset_id%20in%20(%22budget%22,%20%22x%22)", &["budget"]),
        ("order_by=dataset_id%20desc", &["equipements", "budget"]),
        ("order_by=-title", &["equipements", "budget"]),
        ("limit=1&offset=1", &["equipements"]),
    ];
    for (query, expected) in cases {
        let (status, v, _) = json(&app, ALPHA, &q(query)).await;
        assert_eq!(status, 200, "{query}: {v}");
        assert_eq!(ids(&v), *expected, "{query}");
    }
    let (_, v, _) = json(&app, ALPHA, &q("limit=1")).await;
    assert_eq!((v["total_count"].as_u64(), v["results"].as_array().unwrap().len()), (Some(2), 1));
    let (_, v, _) =
        json(&app, ALPHA, &q("select=dataset_id,%20title,%20records_count&where=dataset_id%3D%27budget%27")).await;
    assert_eq!(
        v["results"][0],
        serde_json::json!({"dataset_id": "budget", "title": "budget cp1252", "records_count": 4})
    );
}

#[tokio::test]
async fn bad_requests_get_the_explore_error_body() {
    let app = with_datasets().await;
    let q = |s: &str| format!("/api/explore/v2.1/catalog/datasets?{s}");
    let (status, v, _) = json(&app, ALPHA, &q("limit=999")).await;
    assert_eq!(status, 400);
    assert_eq!(v["error_code"], "InvalidRESTParameterError");
    assert_eq!(
        v["message"],
        "Invalid value for limit API parameter: 999 was found but -1 <= limit <= 100 is expected."
    );
    let (status, v, _) = json(&app, ALPHA, &q("where=title%20%3D%3D")).await;
    assert_eq!(status, 400);
    assert_eq!(v["error_code"], "ODSQLSyntaxError");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.starts_with("ODSQL syntax exception: unexpected")
            && msg.ends_with("Clause(s) containing the error(s): where."),
        "{msg}"
    );
    let (status, v, _) = json(&app, ALPHA, &q("where=categorie%3D%22x%22")).await;
    assert_eq!(
        (status, v["error_code"].as_str(), v["message"].as_str()),
        (400, Some("ODSQLError"), Some("Unknown field: categorie"))
    );
    let (status, v, _) = json(&app, ALPHA, &q("order_by=nope")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("ODSQLError")));
    let (status, _, _) = json(&app, ALPHA, &q("include_links=perhaps")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn roots_and_preflight() {
    let app = with_datasets().await;
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/").await;
    assert_eq!(status, 200);
    assert!(v["links"].as_array().unwrap().iter().any(|l| l["rel"] == "catalog"));
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog").await;
    assert_eq!(v["links"][1]["href"], format!("http://{ALPHA}/api/explore/v2.1/catalog/datasets"));
    let r = app
        .send(
            Request::options("/api/explore/v2.1/catalog/datasets/")
                .header("host", ALPHA)
                .header("origin", "https://reuser.example")
                .header("access-control-request-headers", "ods-widgets-version")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-headers").unwrap().contains("ODS-Widgets-Version"));
    // Other products' discovery URLs are plain 404s.
    for path in ["/api/catalog/v1", "/api/3/action/site_read"] {
        assert_eq!(app.get(ALPHA, path).await.status, 404);
    }
}

#[tokio::test]
async fn records_pages_filters_groups_and_lookups() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/records";
    let (status, v, r) = json(&app, ALPHA, &format!("{base}?limit=2")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["total_count"], 4);
    assert_eq!(v["results"][0]["commune"], "Brantôme");
    assert_eq!(v["results"][0]["geo_point_2d"], serde_json::json!({"lon": 0.65, "lat": 45.36}));
    assert_eq!(v["results"][0]["mis_a_jour"], "2019-03-04T12:34:56+00:00");
    assert_eq!(v["results"][1]["montant"], Value::Null);
    assert!(r.set_cookies().is_empty());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    let (_, v, _) =
        json(&app, ALPHA, &format!("{base}/?select=id,commune&where=capacite%3E%3D100&order_by=id%20desc")).await;
    assert_eq!(
        v["results"],
        serde_json::json!([{"id": 3, "commune": "L'Haÿ-les-Roses"}, {"id": 1, "commune": "Brantôme"}])
    );
    let (_, v, _) = json(&app, ALPHA, &format!("{base}?where=%22mediatheque%22&select=id")).await;
    assert_eq!(v["results"], serde_json::json!([{"id": 3}]), "full text, accents folded");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}?refine=categorie:%22Sport%22&select=id")).await;
    assert_eq!(v["results"], serde_json::json!([{"id": 2}]));
    let (_, v, _) =
        json(&app, ALPHA, &format!("{base}?exclude=categorie:Sport&refine=date_d_ouverture:2016&select=id")).await;
    assert_eq!(v["results"], serde_json::json!([{"id": 4}]));
    let (_, v, _) =
        json(&app, ALPHA, &format!("{base}?select=count(*)%20as%20n&group_by=categorie&order_by=categorie&limit=1000"))
            .await;
    assert_eq!(v["total_count"], 4, "one group per category");
    assert_eq!(v["results"][0], serde_json::json!({"categorie": "Culture", "n": 1}), "group keys are always given");

    // A record by its id, as found in the data.
    let (_, v, _) = json(&app, ALPHA, &format!("{base}?select=_id&where=id%3D2")).await;
    let record_id = v["results"][0]["_id"].as_str().unwrap().to_owned();
    let (status, rec, _) = json(&app, ALPHA, &format!("{base}/{record_id}")).await;
    assert_eq!((status, rec["commune"].as_str()), (200, Some("Saint-Étienne")));
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/{}", "0".repeat(40))).await;
    assert_eq!((status, v["error_code"].as_str()), (404, Some("NotFoundResource")));
}

#[tokio::test]
async fn records_refuse_bad_queries_and_hide_restricted_data() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/records";
    for (query, code) in [
        ("where=capacity%20%3E%20(30))", "ODSQLSyntaxError"),
        ("where=categorie_x%3D1", "ODSQLError"),
        ("select=invalid_function()", "ODSQLError"),
        ("limit=101", "InvalidRESTParameterError"),
        ("offset=9950&limit=100", "InvalidRESTParameterError"),
        ("refine=nope:1", "ODSQLError"),
    ] {
        let (status, v, _) = json(&app, ALPHA, &format!("{base}?{query}")).await;
        assert_eq!((status, v["error_code"].as_str()), (400, Some(code)), "{query}: {v}");
    }
    // Grouped queries may ask for up to 20,000 groups.
    let (status, _, _) = json(&app, ALPHA, &format!("{base}?select=count(*)&group_by=commune&limit=20000")).await;
    assert_eq!(status, 200);
    let (status, _, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/interne/records").await;
    assert_eq!(status, 404, "restricted data is absent for anonymous callers");
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let r = b.get("/api/explore/v2.1/catalog/datasets/interne/records?limit=1").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn exports_stream_every_format() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/exports";
    let r = app.get(ALPHA, &format!("{base}/csv")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.csv"));
    assert!(r.body.starts_with('\u{feff}'), "v2.1 CSV has a BOM by default");
    let lines: Vec<&str> = r.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "id;commune;categorie;capacite;montant;date_d_ouverture;mis_a_jour;geo_point_2d;description");
    assert_eq!(
        lines[1],
        "1;Brantôme;Éducation;120;1520.5;2015-03-02;2019-03-04T12:34:56+00:00;45.36, 0.65;École élémentaire du Centre"
    );
    assert!(r.body.contains("\"Piscine; bassin \"\"olympique\"\"\nouverte l'été\""), "quoting as CSV needs it");
    assert_eq!(r.body.matches("+00:00").count(), 4);

    let r = app
        .get(ALPHA, &format!("{base}/csv/?delimiter=,&with_bom=false&use_labels=true&select=id,categorie&where=id%3C3"))
        .await;
    assert_eq!(r.body, "id,Catégorie\n1,Éducation\n2,Sport\n");

    let r = app.get(ALPHA, &format!("{base}/json?select=id,geo_point_2d&limit=2")).await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"id": 1, "geo_point_2d": {"lon": 0.65, "lat": 45.36}}, {"id": 2, "geo_point_2d": {"lon": 4.39, "lat": 45.43}}])
    );

    let r = app.get(ALPHA, &format!("{base}/jsonl?select=id&order_by=id%20desc")).await;
    assert_eq!(r.body, "{\"id\":4}\n{\"id\":3}\n{\"id\":2}\n{\"id\":1}\n");

    let r = app.get(ALPHA, &format!("{base}/geojson?select=id,geo_point_2d")).await;
    assert_eq!(r.header("content-type"), Some("application/geo+json; charset=utf-8"));
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["features"].as_array().unwrap().len(), 4);
    assert_eq!(v["features"][0]["geometry"], serde_json::json!({"type": "Point", "coordinates": [0.65, 45.36]}));
    assert_eq!(v["features"][0]["properties"], serde_json::json!({"id": 1}));
    assert_eq!(v["features"][3]["geometry"], Value::Null);

    let (_, v, _) = json(&app, ALPHA, base).await;
    assert!(v["links"].as_array().unwrap().iter().any(|l| l["rel"] == "geojson"));
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/mvt")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("InvalidRESTParameterError")));
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/csv?where=nope%3D1")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("ODSQLError")));
    let (status, _, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/interne/exports/csv").await;
    assert_eq!(status, 404);
    // GeoJSON datasets export their shapes.
    let r = app.get(BETA, "/api/explore/v2.1/catalog/datasets/parcs/exports/geojson").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["features"][0]["geometry"]["type"], "Polygon", "the shape, not its centre, is the geometry");
    assert!(v["features"][0]["properties"]["geo_point_2d"]["lat"].is_number(), "the centre is a property");
}

#[tokio::test]
async fn facets_count_values_over_the_matching_records() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/facets";
    let (status, v, r) = json(&app, ALPHA, &format!("{base}?facet=categorie&facet=date_d_ouverture")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(v["facets"][0]["name"], "categorie");
    assert_eq!(v["facets"][0]["facets"].as_array().unwrap().len(), 4);
    assert_eq!(
        v["facets"][0]["facets"][0],
        serde_json::json!({"name": "Culture", "value": "Culture", "count": 1, "state": "displayed"})
    );
    let years: Vec<&str> =
        v["facets"][1]["facets"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap()).collect();
    assert_eq!(years, ["2015", "2016", "2018", "2024"]);
    let (_, v, _) =
        json(&app, ALPHA, &format!("{base}?facet=facet(name%3D%22categorie%22)&refine=categorie:Sport")).await;
    assert_eq!(
        v["facets"][0]["facets"],
        serde_json::json!([{"name": "Sport", "value": "Sport", "count": 1, "state": "refined"}])
    );
    let (_, v, _) = json(&app, ALPHA, &format!("{base}?facet=categorie&where=capacite%3E100")).await;
    assert_eq!(v["facets"][0]["facets"].as_array().unwrap().len(), 2);
    let (status, v, _) = json(&app, ALPHA, &format!("{base}?facet=nope")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("ODSQLError")));
}

#[tokio::test]
async fn the_front_office_download_url_serves_exports_with_v1_parameters() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/explore/dataset/equipements/download/?format=csv&use_labels_for_header=true&csv_separator=,&refine.categorie=Sport").await;
    assert_eq!(r.status, 200);
    let lines: Vec<&str> = r.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("id,Commune,Catégorie,Capacité"), "{}", lines[0]);
    assert!(lines[1].starts_with("2,Saint-Étienne,Sport"), "{}", lines[1]);
    assert!(r.set_cookies().is_empty());
    let r = app.get(ALPHA, "/explore/dataset/equipements/download?format=json&q=mediatheque").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    for (path, status) in [
        ("/explore/dataset/nope/download/?format=csv", 404),
        ("/explore/dataset/equipements/download/?format=n3", 400),
        ("/explore/dataset/equipements/download/?refine.nope=1", 400),
    ] {
        let r = app.get(ALPHA, path).await;
        assert_eq!(r.status, status, "{path}");
        let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{path}: not JSON: {}", r.body));
        assert!(v["error"].is_string(), "{path}: {v}");
    }
}

#[tokio::test]
async fn range_and_date_format_group_keys() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/records";
    let keys = |v: &Value, key: &str| -> Vec<Value> {
        v["results"].as_array().unwrap_or_else(|| panic!("{v}")).iter().map(|r| r[key].clone()).collect()
    };
    let q = |group: &str| {
        format!(
            "{base}?select=k,count(*)%20as%20n&group_by={}%20as%20k&order_by=k",
            form_urlencoded::byte_serialize(group.as_bytes()).collect::<String>()
        )
    };
    let (status, v, _) = json(&app, ALPHA, &q("range(capacite, 100)")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(keys(&v, "k"), ["[0, 99]", "[100, 199]", "[45000, 45099]"], "integer widths are closed; null left out");
    let (_, v, _) = json(&app, ALPHA, &q("range(capacite, *, 100, 1000, *)")).await;
    assert_eq!(keys(&v, "k"), ["[*, 99]", "[100, 999]", "[1000, *]"]);
    let (_, v, _) = json(&app, ALPHA, &q("range(capacite, 100, 1000)")).await;
    assert_eq!(keys(&v, "k"), ["[100, 999]"], "values outside bounds without * are dropped");
    let (_, v, _) = json(&app, ALPHA, &q("range(montant, 0, 100.5, *)")).await;
    assert_eq!(keys(&v, "k"), ["[0, 100.5[", "[100.5, *["]);
    assert_eq!(keys(&v, "n"), [1, 2]);
    let (_, v, _) = json(&app, ALPHA, &q("range(date_d_ouverture, 1 year)")).await;
    assert_eq!(keys(&v, "k")[0], "[2015-01-01T00:00:00.000Z, 2016-01-01T00:00:00.000Z[");
    assert_eq!(keys(&v, "k").len(), 4);
    let (_, v, _) = json(&app, ALPHA, &q("date_format(date_d_ouverture, 'yyyy-MM')")).await;
    assert_eq!(keys(&v, "k"), ["2015-03", "2016-02", "2018-11", "2024-12"]);
    let (_, v, _) =
        json(&app, ALPHA, &format!("{base}?select=id&where=date_format(date_d_ouverture,%20'MM')%20%3D%20'02'")).await;
    assert_eq!(v["results"], serde_json::json!([{"id": 4}]), "{v}");
    for bad in [
        "range(commune, 10)",
        "range(capacite, 10, 5)",
        "date_format(capacite, 'yyyy')",
        "date_format(date_d_ouverture, 'Q')",
    ] {
        let (status, v, _) = json(&app, ALPHA, &q(bad)).await;
        assert_eq!((status, v["error_code"].as_str()), (400, Some("ODSQLError")), "{bad}: {v}");
    }
}

#[tokio::test]
async fn parquet_exports_read_back_with_the_filtered_rows() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/exports/parquet";
    let r = app.get(ALPHA, &format!("{base}?select=id,commune,geo_point_2d&where=capacite%3E%3D100&order_by=id")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/vnd.apache.parquet"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.parquet"));
    let (_, bytes) = app
        .get_bytes(ALPHA, &format!("{base}?select=id,commune,geo_point_2d&where=capacite%3E%3D100&order_by=id"))
        .await;
    assert_eq!(&bytes[..4], b"PAR1");
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2);
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "commune", "geo_point_2d"]);
    let (status, _) = app.get_bytes(ALPHA, &format!("{base}?parquet_compression=brotli")).await;
    assert_eq!(status, 400);
    // zstd on request, read back with its codec recorded.
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{base}?parquet_compression=zstd")).await;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let codec = reader.metadata().row_group(0).column(0).compression();
    assert!(matches!(codec, parquet::basic::Compression::ZSTD(_)), "{codec:?}");
    assert_eq!(reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum::<usize>(), 4);
    // The whole dataset by default.
    let (_, bytes) = app.get_bytes(ALPHA, base).await;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap();
    assert_eq!(reader.map(|b| b.unwrap().num_rows()).sum::<usize>(), 4);
}

#[tokio::test]
async fn xlsx_exports_hold_typed_cells_on_the_zone_clock() {
    use calamine::{Data, Reader, Xlsx};
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements/exports/xlsx";
    let query = "?order_by=id&use_labels=true&timezone=Europe/Paris";
    let r = app.get(ALPHA, &format!("{base}{query}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.xlsx"));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{base}{query}")).await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("data").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 5, "a header and four records");
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[..4], ["id", "Commune", "Catégorie", "Capacité"], "labels as asked");
    let first = rows[1];
    assert_eq!(first[0], Data::Float(1.0));
    assert_eq!(first[1], Data::String("Brantôme".into()));
    assert_eq!(first[3], Data::Float(120.0), "numbers are numbers");
    assert_eq!(first[4], Data::Float(1520.5));
    // 2015-03-02 is serial 42065; 2019-03-04T12:34:56Z is 13:34:56 in Paris.
    let Data::DateTime(opened) = &first[5] else { panic!("a date cell: {:?}", first[5]) };
    assert_eq!(opened.as_f64(), 42065.0);
    let Data::DateTime(updated) = &first[6] else { panic!("a datetime cell: {:?}", first[6]) };
    let expected = 43528.0 + (13.0 * 3600.0 + 34.0 * 60.0 + 56.0) / 86400.0;
    assert!((updated.as_f64() - expected).abs() < 1e-6, "{} vs {expected}", updated.as_f64());
    assert_eq!(first[7], Data::String("45.36, 0.65".into()));
    assert_eq!(rows[4][3], Data::Empty, "a null is an empty cell");
    // The records API's filters apply, and the format is listed.
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{base}?where=capacite%3E%3D100")).await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.worksheet_range("data").unwrap().rows().count(), 3);
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements/exports").await;
    assert!(v["links"].as_array().unwrap().iter().any(|l| l["rel"] == "xlsx"), "{v}");
}

#[tokio::test]
async fn geometry_relations_apply_to_shapes_and_bbox_surrounds_them() {
    // parcs: a 0.02° square park at (2, 48), a square as a point at (2.4167, 48.8417), no geometry.
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/parcs/records?select=nom&where=";
    let names = |v: &Value| -> Vec<String> {
        v["results"].as_array().unwrap().iter().map(|r| r["nom"].as_str().unwrap().to_owned()).collect()
    };
    let overlap = "geom'POLYGON((2.01 48.01, 2.05 48.01, 2.05 48.05, 2.01 48.05, 2.01 48.01))'";
    let around = "geom'POLYGON((1.9 47.9, 2.1 47.9, 2.1 48.1, 1.9 48.1, 1.9 47.9))'";
    let cases = [
        (format!("intersects(geo_shape, {overlap})"), vec!["Parc du Château"]),
        (format!("within(geo_shape, {overlap})"), vec![]),
        (format!("within(geo_shape, {around})"), vec!["Parc du Château"]),
        (format!("disjoint(geo_shape, {around})"), vec!["Square Victor-Hugo"]),
    ];
    for (condition, expected) in cases {
        let url = format!("{base}{}", urlencode(&condition));
        let (status, v, _) = json(&app, BETA, &url).await;
        assert_eq!(status, 200, "{condition}: {v}");
        assert_eq!(names(&v), expected, "{condition}");
    }
    let (status, v, _) =
        json(&app, BETA, "/api/explore/v2.1/catalog/datasets/parcs/records?select=bbox(geo_shape)%20as%20b").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["results"][0]["b"]["geometry"],
        serde_json::json!({"type": "Polygon", "coordinates": [[[2, 48], [2.4167, 48], [2.4167, 48.8417], [2, 48.8417], [2, 48]]]})
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_catalog_exports_as_a_workbook_and_a_feed() {
    use calamine::{Data, Reader, Xlsx};
    let app = with_datasets().await;
    let (_, bytes) = app.get_bytes(ALPHA, "/api/explore/v2.1/catalog/exports/xlsx").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("catalog").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows[0][0], Data::String("dataset_id".into()));
    let ids: Vec<String> = rows[1..].iter().map(|r| r[0].to_string()).collect();
    assert_eq!(ids, ["budget", "equipements"], "visible datasets only");
    let count = rows[0].iter().position(|c| *c == Data::String("records_count".into())).unwrap();
    assert_eq!(rows[2][count], Data::Float(4.0), "counts are numbers");

    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/rss").await;
    assert_eq!(r.header("content-type"), Some("application/rss+xml; charset=utf-8"));
    let mut reader = quick_xml::Reader::from_str(&r.body);
    let mut items = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "item" => items += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(items, 2);
    assert!(!r.body.contains("interne"), "restricted datasets stay out of the feed");
}

#[tokio::test]
async fn an_unsafe_api_call_without_token_is_refused_in_the_apis_error_format() {
    let app = TestApp::new().await;
    for (method, path) in [("POST", "/api/explore/v2.1/catalog/datasets"), ("DELETE", "/api/explore/v2.1/nowhere")] {
        let req = Request::builder().method(method).uri(path).header("host", ALPHA).body(Body::empty()).unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, 403, "{method} {path}");
        assert!(r.header("content-type").unwrap().starts_with("application/json"), "{method} {path}");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error_code"], "CSRFVerificationFailed", "{v}");
    }
    // Pages keep their page.
    let req = Request::post("/login/").header("host", ALPHA).body(Body::empty()).unwrap();
    assert!(app.send(req).await.header("content-type").unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn a_daily_quota_answers_429_as_opendatasoft_until_midnight() {
    let app = TestApp::with_config(portail_web::WebConfig { api_daily_quota: 2, ..Default::default() }).await;
    let path = "/api/explore/v2.1/catalog/datasets";
    let first = app.get(ALPHA, path).await;
    assert_eq!(first.status, 200);
    assert_eq!((first.header("x-ratelimit-limit"), first.header("x-ratelimit-remaining")), (Some("2"), Some("1")));
    // START is 2027-01-15T08:00:00Z: the count starts again at the next midnight UTC.
    assert_eq!(first.header("x-ratelimit-reset"), Some("2027-01-16 00:00:00+00:00"));
    // Pages are not API calls; v1 is.
    assert_eq!(app.get(ALPHA, "/explore/").await.status, 200);
    assert_eq!(app.get(ALPHA, "/api/datasets/1.0/search/").await.header("x-ratelimit-remaining"), Some("0"));
    let (status, v, r) = json(&app, ALPHA, path).await;
    assert_eq!(status, 429);
    assert_eq!(
        v,
        serde_json::json!({"errorcode": 10002, "reset_time": "2027-01-16T00:00:00Z", "limit_time_unit": "day",
            "call_limit": 2, "error": "Too many requests on the domain. Please contact the domain administrator."})
    );
    assert_eq!(r.header("retry-after"), Some("57600"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "browsers can read the refusal");
    // Another portal counts its own calls; the next day starts again.
    assert_eq!(app.get(BETA, path).await.status, 200);
    app.advance(16 * 3600);
    assert_eq!(app.get(ALPHA, path).await.status, 200);
}
