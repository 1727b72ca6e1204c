//! Dataset attachments: attached in the back office, listed and served by the API with the
//! dataset's visibility, shown in the dataset object, removable.

use crate::api::{json, with_datasets};
use crate::datasets::{multipart, upload};
use crate::support::*;

const PDF: &[u8] = b"%PDF-1.4 a small document";

async fn attach<'a>(app: &'a TestApp, dataset: &str, name: &str, bytes: &[u8]) -> (Browser<'a>, TestResponse) {
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let token = b.get("/backoffice/datasets/").await.form_token().unwrap();
    let body = multipart(&[
        ("csrfmiddlewaretoken", None, token.as_bytes()),
        ("dataset_id", None, dataset.as_bytes()),
        ("file", Some(name), bytes),
    ]);
    let r = upload(&mut b, "/backoffice/datasets/attachments/", body).await;
    (b, r)
}

#[tokio::test]
async fn attachments_are_listed_served_and_removed() {
    let app = with_datasets().await;
    let (mut editor, r) = attach(&app, "equipements", "Notice technique.pdf", PDF).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, Some("/backoffice/datasets/")), "{}", r.body);

    let base = "/api/explore/v2.1/catalog/datasets/equipements";
    let (status, v, _) = json(&app, ALPHA, &format!("{base}/attachments")).await;
    assert_eq!(status, 200, "{v}");
    let item = &v["attachments"][0];
    assert_eq!(item["metas"]["id"], "notice_technique_pdf");
    assert_eq!(item["metas"]["title"], "Notice technique.pdf");
    assert_eq!(item["metas"]["mime-type"], "application/pdf");
    assert_eq!(item["metas"]["url"], "odsfile://Notice technique.pdf");
    let href = item["href"].as_str().unwrap();
    assert_eq!(href, format!("http://alpha.localhost{base}/attachments/notice_technique_pdf"));

    let (_, dataset, _) = json(&app, ALPHA, base).await;
    assert_eq!(
        dataset["attachments"],
        serde_json::json!([{"id": "notice_technique_pdf", "title": "Notice technique.pdf", "mimetype": "application/pdf", "url": "odsfile://Notice technique.pdf"}])
    );

    // The catalog listing and its JSON export show the same objects.
    let (_, listing, _) =
        json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets?where=dataset_id%3D%22equipements%22").await;
    assert_eq!(listing["results"][0]["attachments"], dataset["attachments"]);
    let (_, export, _) =
        json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/json?where=dataset_id%3D%22equipements%22").await;
    assert_eq!(export[0]["attachments"], dataset["attachments"]);

    let path = href.trim_start_matches("http://alpha.localhost");
    let r = app.get(ALPHA, path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.header("content-disposition").unwrap().contains("Notice technique.pdf"));
    assert_eq!(r.header("content-security-policy"), Some("sandbox; default-src 'none'"));
    let (_, bytes) = app.get_bytes(ALPHA, path).await;
    assert_eq!(&bytes[..], PDF);
    // The dataset page links to it.
    let info = app.get(ALPHA, "/explore/dataset/equipements/").await.body.replace("&#x2f;", "/");
    assert!(info.contains(&format!("href=\"{path}\" download>Notice technique.pdf</a>")), "{info}");
    assert_eq!(app.get(ALPHA, &format!("{base}/attachments/nope")).await.status, 404);

    // v1 lists it too, and serves it where udata's Opendatasoft harvester asks
    // (`/api/datasets/1.0/<id>/attachments/<attachment id>`).
    let (_, v1, _) = json(&app, ALPHA, "/api/datasets/1.0/equipements/").await;
    assert_eq!(v1["attachments"], dataset["attachments"]);
    let (_, v1, _) = json(&app, ALPHA, "/api/datasets/1.0/search/?q=equipements&rows=50").await;
    let listed = v1["datasets"].as_array().unwrap().iter().find(|d| d["datasetid"] == "equipements").unwrap().clone();
    assert_eq!(listed["attachments"], dataset["attachments"]);
    let (status, bytes) = app.get_bytes(ALPHA, "/api/datasets/1.0/equipements/attachments/notice_technique_pdf").await;
    assert_eq!((status.as_u16(), &bytes[..]), (200, PDF));
    assert_eq!(app.get(ALPHA, "/api/datasets/1.0/interne/attachments/notice_technique_pdf").await.status, 404);

    // The back office lists it; removing it removes the file and the entry.
    let page = editor.get("/backoffice/datasets/").await;
    assert!(page.body.contains("data-attachment=\"equipements/notice_technique_pdf\""));
    let token = page.form_token().unwrap();
    let r = editor
        .post(
            "/backoffice/datasets/equipements/attachments/notice_technique_pdf/delete/",
            &[("csrfmiddlewaretoken", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.get(ALPHA, path).await.status, 404);
    let (_, v, _) = json(&app, ALPHA, &format!("{base}/attachments")).await;
    assert_eq!(v["attachments"], serde_json::json!([]));
}

#[tokio::test]
async fn attachments_follow_the_dataset_and_the_rules_of_the_back_office() {
    let app = with_datasets().await;
    let (_, r) = attach(&app, "interne", "schema.json", b"{\"fields\": []}").await;
    assert_eq!(r.status, 303);
    // A restricted dataset's attachments are as hidden as the dataset.
    let path = "/api/explore/v2.1/catalog/datasets/interne/attachments/schema_json";
    assert_eq!(app.get(ALPHA, path).await.status, 404);
    let mut user = app.browser(ALPHA);
    user.sign_in(ALPHA_ADMIN, PASSWORD).await;
    assert_eq!(user.get(path).await.status, 200);

    // HTML is never served as a page of the portal.
    let (_, r) = attach(&app, "equipements", "page.html", b"<script>alert(1)</script>").await;
    assert_eq!(r.status, 303);
    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/datasets/equipements/attachments/page_html").await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));

    // Unknown dataset, no file, or no token: nothing is stored.
    let (_, r) = attach(&app, "nope", "a.pdf", PDF).await;
    assert_eq!(r.status, 404);
    let (_, r) = attach(&app, "equipements", "empty.pdf", b"").await;
    assert_eq!(r.status, 400);
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    b.get("/backoffice/datasets/").await;
    let body = multipart(&[("dataset_id", None, b"equipements"), ("file", Some("x.pdf"), PDF)]);
    assert_eq!(upload(&mut b, "/backoffice/datasets/attachments/", body).await.status, 403);
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements/attachments").await;
    let ids: Vec<&str> =
        v["attachments"].as_array().unwrap().iter().map(|a| a["metas"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["page_html"]);
}
