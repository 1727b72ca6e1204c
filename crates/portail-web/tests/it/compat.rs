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
