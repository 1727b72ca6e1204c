//! Older API surfaces real clients still call: the v2.0 shim and `/api/v2/`.

use crate::api::{json, with_datasets};
use crate::support::*;
use serde_json::json as j;

#[tokio::test]
async fn v2_0_and_api_v2_answer_in_v2_0_envelopes_with_the_deprecation_header() {
    let app = with_datasets().await;
    for prefix in ["/api/explore/v2.0", "/api/v2"] {
        let (status, v, r) = json(&app, ALPHA, &format!("{prefix}/catalog/datasets/?rows=1&start=1")).await;
        assert_eq!(status, 200, "{prefix}: {v}");
        assert!(r.header("ods-explore-api-deprecation").unwrap().contains("v2.0"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(v["total_count"], 2);
        assert_eq!(v["datasets"][0]["dataset"]["dataset_id"], "equipements", "{v}");
        assert!(v["datasets"][0]["links"].is_array());

        let (_, v, _) = json(&app, ALPHA, &format!("{prefix}/catalog/datasets/equipements")).await;
        assert_eq!(v["dataset"]["metas"]["default"]["records_count"], 4, "{v}");

        let base = format!("{prefix}/catalog/datasets/equipements/records");
        let (status, v, _) = json(&app, ALPHA, &format!("{base}/?select=id,commune&where=id%3D2")).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["total_count"], 1);
        let record = &v["records"][0]["record"];
        assert_eq!(record["fields"], j!({"id": 2, "commune": "Saint-Étienne"}));
        let id = record["id"].as_str().unwrap();
        assert_eq!(id.len(), 40);
        assert!(record["timestamp"].as_str().unwrap().ends_with("+00:00"));
        assert!(record["size"].as_u64().unwrap() > 0);

        let (status, v, _) = json(&app, ALPHA, &format!("{base}/{id}/")).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["record"]["id"], id);
        assert_eq!(v["record"]["fields"]["commune"], "Saint-Étienne");

        // Groups have no id: they come as records holding only their fields.
        let (_, v, _) = json(
            &app,
            ALPHA,
            &format!("{base}?select=categorie,count(*)%20as%20n&group_by=categorie&order_by=categorie"),
        )
        .await;
        assert_eq!(v["records"][0]["record"]["fields"], j!({"categorie": "Culture", "n": 1}), "{v}");

        // v2.0's aggregates endpoint.
        let (status, v, _) = json(
            &app,
            ALPHA,
            &format!("{prefix}/catalog/datasets/equipements/aggregates?select=count(*)%20as%20n&group_by=categorie&order_by=n%20desc,categorie"),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["aggregations"].as_array().unwrap().len(), 4, "{v}");

        // Errors and facets pass through unchanged, with the header.
        let (status, v, r) = json(&app, ALPHA, &format!("{prefix}/catalog/datasets/nope/records")).await;
        assert_eq!((status, v["error_code"].as_str()), (404, Some("NotFoundResource")));
        assert!(r.header("ods-explore-api-deprecation").is_some());
        let (_, v, _) =
            json(&app, ALPHA, &format!("{prefix}/catalog/datasets/equipements/facets?facet=categorie")).await;
        assert_eq!(v["facets"][0]["name"], "categorie");

        // v2.0 CSV exports have no byte order mark unless asked; limit=-1 means everything.
        let r = app.get(ALPHA, &format!("{prefix}/catalog/datasets/equipements/exports/csv/?limit=-1")).await;
        assert_eq!(r.status, 200);
        assert!(r.body.starts_with("id;"), "{:?}", &r.body[..10]);
        assert!(r.body.contains("L'Haÿ-les-Roses"), "every record");
        let r = app.get(ALPHA, &format!("{prefix}/catalog/datasets/equipements/exports/geojson?limit=-1")).await;
        assert_eq!(r.status, 200);
    }
    // Another portal's dataset stays invisible through the shim.
    let (status, _, _) = json(&app, BETA, "/api/v2/catalog/datasets/equipements/records").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn other_products_api_probes_get_a_plain_404() {
    let app = with_datasets().await;
    for path in ["/api/catalog/v1", "/api/3/action/site_read", "/api/3/action/package_list"] {
        let (status, v, _) = json(&app, ALPHA, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(v["error_code"], "NotFoundResource", "{path}");
    }
}

const V1_SEARCH: &str = "/api/records/1.0/search/";

#[tokio::test]
async fn v1_records_search_has_the_v1_shape() {
    let app = with_datasets().await;
    let (status, v, r) = json(&app, ALPHA, &format!("{V1_SEARCH}?dataset=equipements&rows=2&sort=-id")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(v["nhits"], 4);
    assert_eq!(v["parameters"]["dataset"], "equipements");
    assert_eq!((v["parameters"]["rows"].as_i64(), v["parameters"]["start"].as_i64()), (Some(2), Some(0)));
    let first = &v["records"][0];
    assert_eq!(first["datasetid"], "equipements");
    assert_eq!(first["recordid"].as_str().unwrap().len(), 40);
    assert_eq!(first["fields"]["id"], 1, "sort=-id is ascending in v1");
    assert_eq!(first["fields"]["geo_point_2d"], j!([45.36, 0.65]), "points are [lat, lon]");
    assert_eq!(first["geometry"], j!({"type": "Point", "coordinates": [0.65, 45.36]}));
    assert!(first["record_timestamp"].as_str().unwrap().ends_with("+00:00"));
    // Nulls are left out of fields.
    let (_, v, _) = json(&app, ALPHA, &format!("{V1_SEARCH}?dataset=equipements&q=id%3D%3D4")).await;
    assert_eq!(v["nhits"], 1, "{v}");
    assert!(v["records"][0]["fields"].get("capacite").is_none(), "{v}");
    assert!(v["records"][0].get("geometry").is_none());

    // sort=field is descending; fields restricts the fields.
    let (_, v, _) =
        json(&app, ALPHA, &format!("{V1_SEARCH}?dataset=equipements&sort=capacite&fields=id,capacite")).await;
    assert_eq!(v["records"][0]["fields"], j!({"id": 3, "capacite": 45000}), "{v}");

    // The v1 query syntax: words, field queries, ranges, booleans.
    for (q, ids) in [
        ("mediatheque", vec![3]),
        ("capacite>=100", vec![1, 3]),
        ("capacite>=100 AND NOT commune:brantome", vec![3]),
        ("date_d_ouverture:[2016 TO 2018/12/31]", vec![2, 4]),
        ("#null(capacite) OR id==1", vec![1, 4]),
    ] {
        let path = format!("{V1_SEARCH}?dataset=equipements&sort=-id&q={}", urlencoding(q));
        let (status, v, _) = json(&app, ALPHA, &path).await;
        assert_eq!(status, 200, "{q}: {v}");
        let got: Vec<i64> =
            v["records"].as_array().unwrap().iter().map(|r| r["fields"]["id"].as_i64().unwrap()).collect();
        assert_eq!(got, ids, "{q}");
    }
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn v1_facets_refine_exclude_and_disjunctive() {
    let app = with_datasets().await;
    let base = format!("{V1_SEARCH}?dataset=equipements&facet=categorie&rows=0");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine.categorie=Sport")).await;
    assert_eq!(v["nhits"], 1);
    assert_eq!(
        v["facet_groups"][0]["facets"],
        j!([{"name": "Sport", "path": "Sport", "count": 1, "state": "refined"}])
    );
    // Disjunctive: the other values stay listed, the chosen one is marked refined.
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine.categorie=Sport&disjunctive.categorie=true")).await;
    assert_eq!(v["parameters"]["disjunctive"], j!({"categorie": true}));
    let facets = v["facet_groups"][0]["facets"].as_array().unwrap();
    assert_eq!(facets.len(), 4, "{v}");
    assert!(facets.iter().any(|f| f["name"] == "Sport" && f["state"] == "refined"));
    assert!(facets.iter().any(|f| f["name"] == "Culture" && f["state"] == "displayed"));
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&exclude.categorie=Sport")).await;
    assert_eq!(v["nhits"], 3);
}

#[tokio::test]
async fn v1_lookups_post_jsonp_and_errors() {
    let app = with_datasets().await;
    let (status, v, _) = json(&app, ALPHA, "/api/datasets/1.0/equipements/").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["datasetid"], "equipements");
    assert_eq!(v["metas"]["records_count"], 4);
    assert!(v["fields"].as_array().unwrap().iter().any(|f| f["name"] == "geo_point_2d" && f["type"] == "geo_point_2d"));

    let (_, v, _) = json(&app, ALPHA, &format!("{V1_SEARCH}?dataset=equipements&q=id%3D%3D2")).await;
    let record_id = v["records"][0]["recordid"].as_str().unwrap().to_owned();
    let (status, v, _) = json(&app, ALPHA, &format!("/api/datasets/1.0/equipements/records/{record_id}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["fields"]["commune"], "Saint-Étienne");

    // A form POST from a widget on another site: answered, without the session's rights.
    let req = axum::http::Request::post(V1_SEARCH)
        .header("host", ALPHA)
        .header("origin", "https://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("dataset=equipements&rows=1&q=sport"))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["nhits"], 1);
    // A signed-in user reads the restricted dataset by GET, but a POST (no CSRF token needed)
    // carrying the same session cookie is answered as anonymous.
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    assert_eq!(b.get(&format!("{V1_SEARCH}?dataset=interne")).await.status, 200);
    let req = axum::http::Request::post(V1_SEARCH)
        .header("origin", "https://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("dataset=interne"))
        .unwrap();
    assert_eq!(b.send(req).await.status, 404, "restricted data is not readable by POST");

    let r = app.get(ALPHA, &format!("{V1_SEARCH}?dataset=equipements&rows=1&callback=cb")).await;
    assert!(r.body.starts_with("/**/cb({"), "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("application/javascript"));

    for (path, status) in [
        (format!("{V1_SEARCH}?dataset=nope"), 404),
        (V1_SEARCH.to_owned(), 400),
        (format!("{V1_SEARCH}?dataset=equipements&q=%22open"), 400),
        (format!("{V1_SEARCH}?dataset=equipements&sort=nope"), 400),
        (format!("{V1_SEARCH}?dataset=equipements&rows=10001"), 400),
        (format!("{V1_SEARCH}?dataset=interne"), 404),
        ("/api/datasets/1.0/interne/".to_owned(), 404),
    ] {
        let (got, v, _) = json(&app, ALPHA, &path).await;
        assert_eq!(got, status, "{path}: {v}");
        assert!(v["error"].is_string(), "{path}: {v}");
    }
    // Another portal's dataset does not exist here.
    let (status, _, _) = json(&app, BETA, &format!("{V1_SEARCH}?dataset=equipements")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn v1_dataset_search() {
    let app = with_datasets().await;
    let (status, v, _) = json(&app, ALPHA, "/api/datasets/1.0/search/?rows=10&sort=-datasetid").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["nhits"], 2);
    let ids: Vec<&str> = v["datasets"].as_array().unwrap().iter().map(|d| d["datasetid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["budget", "equipements"]);
    let (_, v, _) = json(&app, ALPHA, "/api/datasets/1.0/search/?q=budget").await;
    assert_eq!(v["nhits"], 1, "{v}");
    let (_, v, _) =
        json(&app, ALPHA, "/api/datasets/1.0/search/?q=records_count%3E%3D4&refine.datasetid=equipements").await;
    assert_eq!(v["nhits"], 1, "{v}");
    assert_eq!(v["datasets"][0]["metas"]["title"], "equipements");
}

#[tokio::test]
async fn v1_download_analyze_and_boundingbox() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/api/records/1.0/download/?dataset=equipements&fields=id,commune&sort=-id&rows=2").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let lines: Vec<&str> = r.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines, ["id;commune", "1;Brantôme", "2;Saint-Étienne"]);
    let r = app
        .get(ALPHA, "/api/records/1.0/download/?dataset=equipements&format=geojson&geofilter.distance=45.36,0.65,1000")
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 1, "{v}");

    let base = "/api/records/1.0/analyze/?dataset=equipements";
    let (status, v, _) =
        json(&app, ALPHA, &format!("{base}&x=categorie&y.n.func=COUNT&y.cap.func=SUM&y.cap.expr=capacite&sort=-x"))
            .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v[0], j!({"x": "Culture", "n": 1, "cap": 45000}), "{v}");
    assert_eq!(v.as_array().unwrap().len(), 4);
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&x=date_d_ouverture&precision=month&y.n.func=COUNT")).await;
    assert_eq!(v[0], j!({"x": {"year": 2015, "month": 3}, "n": 1}), "{v}");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&x=date_d_ouverture&periodic=month&y.n.func=COUNT&sort=n")).await;
    assert_eq!(v.as_array().unwrap().len(), 4, "{v}");
    let (status, v, _) = json(&app, ALPHA, &format!("{base}&x=categorie&y.n.func=MEDIAN&y.n.expr=capacite")).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("MEDIAN"), "{v}");

    let (status, v, _) = json(&app, ALPHA, "/api/records/1.0/boundingbox/?dataset=equipements").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["count"], 4);
    assert_eq!(v["bbox"], j!([0.65, 45.36, 4.39, 48.78]), "[west, south, east, north]");
    let (_, v, _) = json(&app, ALPHA, "/api/records/1.0/boundingbox/?dataset=equipements&q=sport").await;
    assert_eq!(v["bbox"], j!([4.39, 45.43, 4.39, 45.43]));
}

#[tokio::test]
async fn v1_geopolygon_groups_records_by_shape_for_choropleth_maps() {
    let app = with_datasets().await;
    // Two records on one commune's shape, one on another, one without a shape.
    let square = |x: f64| {
        format!(
            r#"{{"type": "Polygon", "coordinates": [[[{x}, 48.0], [{}, 48.0], [{}, 48.1], [{x}, 48.1], [{x}, 48.0]]]}}"#,
            x + 0.1,
            x + 0.1
        )
    };
    let feature = |name: &str, n: &str, g: &str| {
        format!(r#"{{"type": "Feature", "properties": {{"commune": "{name}", "n": {n}}}, "geometry": {g}}}"#)
    };
    let text = format!(
        r#"{{"type": "FeatureCollection", "features": [{}, {}, {}, {}]}}"#,
        feature("A", "3", &square(2.0)),
        feature("A", "5", &square(2.0)),
        feature("B", "10", &square(3.0)),
        feature("C", "null", "null")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("communes.geojson");
    std::fs::write(&file, text).unwrap();
    let req = portail_catalog::ImportRequest {
        portal_id: 1,
        dataset_id: Some("communes".into()),
        title: None,
        file,
        source: portail_ingest::SourceOptions::default(),
        publish: true,
    };
    app.state.catalog.import(req, portail_catalog::no_progress()).await.unwrap();

    let base = "/api/records/1.0/geopolygon/?dataset=communes";
    let (status, v, _) = json(&app, ALPHA, &format!("{base}&y.serie1.func=SUM&y.serie1.expr=n")).await;
    assert_eq!(status, 200, "{v}");
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2, "{v}");
    assert_eq!(clusters[0]["count"], 2);
    assert_eq!(clusters[0]["series"]["serie1"], 8.0);
    assert_eq!(clusters[0]["cluster"]["type"], "Polygon");
    let corner = &clusters[0]["cluster"]["coordinates"][0][0];
    assert_eq!((corner[0].as_f64(), corner[1].as_f64()), (Some(2.0), Some(48.0)), "{corner}");
    assert_eq!(clusters[1]["series"]["serie1"], 10.0);
    assert_ne!(clusters[0]["geo_digest"], clusters[1]["geo_digest"]);
    assert_eq!(v["count"], j!({"min": 1, "max": 2}));
    assert_eq!(v["series"], j!({"serie1": {"min": 8.0, "max": 10.0}}));
    // The context applies; geo_field must name a geo field.
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine.commune=B")).await;
    assert_eq!(v["clusters"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["series"], j!({}));
    let (status, v, _) = json(&app, ALPHA, &format!("{base}&geo_field=commune")).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("geo_field"));
    // geopreview draws the shapes, not their centres.
    let (_, v, _) = json(&app, ALPHA, "/api/records/1.0/geopreview/?dataset=communes").await;
    let kinds: Vec<&str> = v.as_array().unwrap().iter().map(|g| g["geometry"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Polygon", "Polygon", "Polygon"], "{v}");
}

#[tokio::test]
async fn v1_dataset_search_facets_refine_and_disjunctive() {
    let app = with_datasets().await;
    let base = "/api/datasets/1.0/search/?rows=0&facet=features";
    let (status, v, _) = json(&app, ALPHA, base).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["nhits"], 2, "the restricted dataset and the draft are not counted: {v}");
    let counts = |v: &serde_json::Value| -> Vec<(String, i64, String)> {
        v["facet_groups"][0]["facets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (f["path"].as_str().unwrap().into(), f["count"].as_i64().unwrap(), f["state"].as_str().unwrap().into())
            })
            .collect()
    };
    let all = counts(&v);
    assert!(
        all.contains(&("geo".into(), 1, "displayed".into())) && all.iter().any(|(p, n, _)| p == "analyze" && *n == 2),
        "{all:?}"
    );
    // Refined: only the geo dataset, and its values; disjunctive: every value still offered.
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine.features=geo")).await;
    assert_eq!(v["nhits"], 1);
    assert!(counts(&v).iter().all(|(_, n, _)| *n == 1), "{v}");
    assert!(counts(&v).contains(&("geo".into(), 1, "refined".into())));
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine.features=geo&disjunctive.features=true")).await;
    assert_eq!(v["nhits"], 1);
    assert_eq!(
        counts(&v),
        all.iter()
            .map(|(p, n, s)| (p.clone(), *n, if p == "geo" { "refined".into() } else { s.clone() }))
            .collect::<Vec<_>>()
    );
    assert_eq!(v["parameters"]["disjunctive"], j!({"features": true}));
    let (status, v, _) = json(&app, ALPHA, "/api/datasets/1.0/search/?facet=nope").await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("nope"));
}

#[tokio::test]
async fn v2_1_takes_qv1_from_widgets() {
    let app = with_datasets().await;
    let base = "/api/explore/v2.1/catalog/datasets/equipements";
    let (status, v, _) =
        json(&app, ALPHA, &format!("{base}/records?select=id&qv1=capacite%3E%3D100&where=id%3E1")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["results"], j!([{"id": 3}]), "qv1 ANDed with where");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}/facets?facet=categorie&qv1=sport")).await;
    assert_eq!(v["facets"][0]["facets"].as_array().unwrap().len(), 1, "{v}");
    let r = app.get(ALPHA, &format!("{base}/exports/json?qv1=sport")).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/records?qv1=%22open")).await;
    assert_eq!((status, v["error_code"].as_str()), (400, Some("ODSQLError")));
}

/// The text of every `<tag>` element of an XML document, which must be well-formed.
fn xml_texts(body: &str, tag: &str) -> Vec<String> {
    crate::exports::elements(body, tag).into_iter().map(|(_, text)| text).collect()
}

#[tokio::test]
async fn v1_records_search_as_rss_and_atom_feeds() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{V1_SEARCH}?dataset=equipements&format=rss&rows=3&sort=-id")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/rss+xml; charset=utf-8"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // The channel's title, then one item per record of the page, named by its first text value.
    assert_eq!(xml_texts(&r.body, "title"), ["equipements", "Brantôme", "Saint-Étienne", "L'Haÿ-les-Roses"]);
    let links = xml_texts(&r.body, "guid");
    assert_eq!(links.len(), 3);
    let (status, v, _) = json(&app, ALPHA, links[1].trim_start_matches("http://alpha.test")).await;
    assert_eq!((status, &v["fields"]["commune"]), (200, &j!("Saint-Étienne")), "the item links to its record: {v}");
    let descriptions = xml_texts(&r.body, "description");
    assert!(descriptions[2].contains("Catégorie: Sport\n"), "{descriptions:?}");
    assert!(descriptions[2].contains("Piscine; bassin \"olympique\""), "text survives escaping: {descriptions:?}");
    assert_eq!(xml_texts(&r.body, "georss:point"), ["45.36 0.65", "45.43 4.39", "48.78 2.34"]);

    // `fields` and the filters apply; a record without a point has no georss:point.
    let r = app.get(ALPHA, &format!("{V1_SEARCH}?dataset=equipements&format=atom&q=id:4&fields=id,categorie")).await;
    assert_eq!(r.header("content-type"), Some("application/atom+xml; charset=utf-8"));
    assert!(r.body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""), "{}", r.body);
    assert_eq!(xml_texts(&r.body, "title"), ["equipements", "Santé"]);
    assert_eq!(xml_texts(&r.body, "content"), ["id: 4\nCatégorie: Santé"]);
    assert_eq!(xml_texts(&r.body, "updated").len(), 2, "the feed's and the entry's");
    assert!(xml_texts(&r.body, "georss:point").is_empty());

    let (status, v, _) = json(&app, ALPHA, &format!("{V1_SEARCH}?dataset=equipements&format=xml")).await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("rss, atom"), "{v}");
    // A restricted dataset is no more visible as a feed.
    let r = app.get(ALPHA, &format!("{V1_SEARCH}?dataset=interne&format=rss")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn v1_dataset_search_as_csv_and_rss_and_analyze_as_csv() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/api/datasets/1.0/search/?format=csv&sort=-datasetid").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = r.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("dataset_id;title;"), "{lines:?}");
    let ids: Vec<&str> = lines[1..].iter().map(|l| l.split(';').next().unwrap()).collect();
    assert_eq!(ids, ["budget", "equipements"], "visible datasets, in the search's order");
    let r = app.get(ALPHA, "/api/datasets/1.0/search/?format=csv&csv_separator=,&rows=1&q=equipements").await;
    assert!(r.body.trim_start_matches('\u{feff}').starts_with("dataset_id,title,"), "{}", r.body);
    assert_eq!(r.body.lines().count(), 2);
    let r = app.get(ALPHA, "/api/datasets/1.0/search/?format=rss").await;
    assert_eq!(r.header("content-type"), Some("application/rss+xml; charset=utf-8"));
    let links = xml_texts(&r.body, "link");
    assert_eq!(links.len(), 3, "the channel's and one per dataset: {links:?}");
    assert!(links.iter().any(|l| l.ends_with("/explore/dataset/equipements/")), "{links:?}");
    let (status, _, _) = json(&app, ALPHA, "/api/datasets/1.0/search/?format=pdf").await;
    assert_eq!(status, 400);

    let base = "/api/records/1.0/analyze/?dataset=equipements";
    let r = app
        .get(ALPHA, &format!("{base}&x=categorie&y.n.func=COUNT&y.cap.func=SUM&y.cap.expr=capacite&format=csv"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(r.body, "x;n;cap\r\nCulture;1;45000\r\nSanté;1;\r\nSport;1;0\r\nÉducation;1;120\r\n");
    let r = app
        .get(ALPHA, &format!("{base}&x=date_d_ouverture&precision=month&y.n.func=COUNT&format=csv&csv_separator=,"))
        .await;
    assert_eq!(r.body.lines().take(2).collect::<Vec<_>>(), ["year,month,n", "2015,3,1"], "{}", r.body);
    let (status, v, _) = json(&app, ALPHA, &format!("{base}&x=categorie&format=csv&csv_separator=x")).await;
    assert_eq!(status, 400, "{v}");
}
