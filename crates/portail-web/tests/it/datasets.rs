//! Back-office datasets: uploads become queued jobs run by the worker; publishing; refusals.

use crate::support::*;
use axum::body::Body;
use axum::http::Request;
use portail_store::{JobStatus, MetadataStore};

const BOUNDARY: &str = "----portailtestboundary";

pub(crate) fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = vec![];
    for (name, file_name, content) in parts {
        body.extend(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes()),
            None => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend(*content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(b: &mut Browser<'_>, path: &str, body: Vec<u8>) -> TestResponse {
    let req = Request::post(path)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .header("origin", format!("http://{}", b.host))
        .body(Body::from(body))
        .unwrap();
    b.send(req).await
}

fn uploads_count(app: &TestApp) -> usize {
    std::fs::read_dir(app.state.catalog.uploads_dir()).map(|d| d.count()).unwrap_or(0)
}

const CSV: &[u8] =
    "nom;effectif;ouverture\nÉcole Jules-Ferry;210;1962-09-01\nCollège Pasteur;612;1975-09-02\n".as_bytes();

#[tokio::test]
async fn an_uploaded_file_is_queued_imported_by_the_worker_and_listed() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let page = b.get("/backoffice/datasets/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let token = page.form_token().unwrap();
    let body = multipart(&[
        ("csrfmiddlewaretoken", None, token.as_bytes()),
        ("dataset_id", None, b"ecoles"),
        ("title", None, "Écoles de la ville".as_bytes()),
        ("publish", None, b"true"),
        ("file", Some("ecoles 2024.csv"), CSV),
    ]);
    let r = upload(&mut b, "/backoffice/datasets/upload/", body).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location().unwrap().to_owned();
    assert!(location.starts_with("/backoffice/datasets/?queued="), "{location}");
    let queued = b.get(&location).await;
    assert!(queued.text().contains("its import is queued"), "{}", queued.body);
    assert!(queued.body.contains("data-status=\"queued\""));

    let job = app.store.claim_job(START).await.unwrap().expect("a queued job");
    app.state.catalog.run_job(job).await;
    let jobs = app.store.jobs(1, 5).await.unwrap();
    assert_eq!(jobs[0].status, JobStatus::Done, "{}", jobs[0].message);
    let d = app.store.dataset(1, "ecoles").await.unwrap().unwrap();
    assert_eq!((d.title.as_str(), d.published, d.current_version), ("Écoles de la ville", true, Some(1)));
    assert_eq!(uploads_count(&app), 0, "the uploaded file is removed once imported");
    let page = b.get("/backoffice/datasets/").await;
    assert!(page.body.contains("data-dataset=\"ecoles\"") && page.body.contains("data-status=\"done\""));

    // Unpublish, then publish again.
    let token = page.form_token().unwrap();
    let r = b
        .post("/backoffice/datasets/ecoles/visibility/", &[("csrfmiddlewaretoken", &token), ("published", "false")])
        .await;
    assert_eq!(r.status, 303);
    assert!(!app.store.dataset(1, "ecoles").await.unwrap().unwrap().published);
    b.post("/backoffice/datasets/ecoles/visibility/", &[("csrfmiddlewaretoken", &token), ("published", "true")]).await;
    assert!(app.store.dataset(1, "ecoles").await.unwrap().unwrap().published);
    // Another portal sees nothing of it.
    let mut beta = app.browser(BETA);
    beta.sign_in(BETA_ADMIN, PASSWORD).await;
    assert!(!beta.get("/backoffice/datasets/").await.body.contains("ecoles"));
    let token = beta.get("/backoffice/datasets/").await.form_token().unwrap();
    let r = beta
        .post("/backoffice/datasets/ecoles/visibility/", &[("csrfmiddlewaretoken", &token), ("published", "false")])
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_bad_file_fails_its_job_with_the_reason_shown() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = b.get("/backoffice/datasets/").await.form_token().unwrap();
    let body =
        multipart(&[("csrfmiddlewaretoken", None, token.as_bytes()), ("file", Some("ragged.csv"), b"a;b\n1;2\n3\n")]);
    assert_eq!(upload(&mut b, "/backoffice/datasets/upload/", body).await.status, 303);
    let job = app.store.claim_job(START).await.unwrap().unwrap();
    app.state.catalog.run_job(job).await;
    let page = b.get("/backoffice/datasets/").await;
    assert!(page.body.contains("data-status=\"failed\""));
    assert!(page.text().contains("ragged.csv: 1 row(s)") && page.text().contains("line 3 has 1"), "{}", page.body);
    assert!(app.store.dataset(1, "ragged").await.unwrap().is_none());
}

#[tokio::test]
async fn uploads_need_the_token_first_and_an_editor() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = b.get("/backoffice/datasets/").await.form_token().unwrap();
    let cases = [
        multipart(&[("file", Some("a.csv"), CSV)]),
        multipart(&[("file", Some("a.csv"), CSV), ("csrfmiddlewaretoken", None, token.as_bytes())]),
        multipart(&[("csrfmiddlewaretoken", None, b"x".repeat(64).as_slice()), ("file", Some("a.csv"), CSV)]),
    ];
    for body in cases {
        assert_eq!(upload(&mut b, "/backoffice/datasets/upload/", body).await.status, 403);
    }
    // Multipart bodies anywhere else are refused outright.
    let body = multipart(&[("csrfmiddlewaretoken", None, token.as_bytes()), ("title_en", None, b"x")]);
    assert_eq!(upload(&mut b, "/backoffice/settings/", body).await.status, 403);
    assert_eq!(uploads_count(&app), 0);
    assert!(app.store.jobs(1, 5).await.unwrap().is_empty());
    // An invalid identifier or a missing file is a 400 with the reason.
    let body = multipart(&[
        ("csrfmiddlewaretoken", None, token.as_bytes()),
        ("dataset_id", None, b"Bad Id"),
        ("file", Some("a.csv"), CSV),
    ]);
    let r = upload(&mut b, "/backoffice/datasets/upload/", body).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("lowercase letters"));
    let body = multipart(&[("csrfmiddlewaretoken", None, token.as_bytes())]);
    assert_eq!(upload(&mut b, "/backoffice/datasets/upload/", body).await.status, 400);
    assert!(app.store.jobs(1, 5).await.unwrap().is_empty());
    // Anonymous visitors are sent to sign in.
    assert_eq!(app.get(ALPHA, "/backoffice/datasets/").await.status, 303);
}

#[tokio::test]
async fn editors_restrict_and_admins_delete_a_dataset_after_confirming() {
    use axum::http::StatusCode;
    let app = crate::api::with_datasets().await;
    let records = "/api/explore/v2.1/catalog/datasets/budget/records?limit=1";
    assert_eq!(app.get(ALPHA, records).await.status, StatusCode::OK);

    // An editor restricts it: anonymous callers get 404, the editor still sees it.
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let page = editor.get("/backoffice/datasets/").await;
    assert!(page.text().contains("action=\"/backoffice/datasets/budget/restriction/\""));
    assert!(!page.text().contains("href=\"/backoffice/datasets/budget/delete/\""), "deleting is for admins");
    let token = page.form_token().unwrap();
    let restrict = [("csrfmiddlewaretoken", token.as_str()), ("restricted", "true")];
    let r = editor.post("/backoffice/datasets/budget/restriction/", &restrict).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(ALPHA, records).await.status, StatusCode::NOT_FOUND);
    assert_eq!(editor.get(records).await.status, StatusCode::OK);
    assert_eq!(editor.post("/backoffice/datasets/budget/restriction/", &[("restricted", "false")]).await.status, 403);
    let public = [("csrfmiddlewaretoken", token.as_str()), ("restricted", "false")];
    editor.post("/backoffice/datasets/budget/restriction/", &public).await;
    assert_eq!(app.get(ALPHA, records).await.status, StatusCode::OK);

    // Editors may not delete; an admin confirms on a page naming what goes.
    let confirm = [("csrfmiddlewaretoken", token.as_str()), ("confirm", "budget")];
    assert_eq!(editor.post("/backoffice/datasets/budget/delete/", &confirm).await.status, StatusCode::FORBIDDEN);
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    assert!(admin.get("/backoffice/datasets/").await.text().contains("href=\"/backoffice/datasets/budget/delete/\""));
    let form = admin.get("/backoffice/datasets/budget/delete/").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text().contains("This cannot be undone") && form.text().contains("its kept versions (1)"),
        "{}",
        form.text()
    );
    let token = form.form_token().unwrap();
    // Without the repeated identifier nothing is deleted.
    let r = admin.post("/backoffice/datasets/budget/delete/", &[("csrfmiddlewaretoken", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(ALPHA, records).await.status, StatusCode::OK);
    let confirm = [("csrfmiddlewaretoken", token.as_str()), ("confirm", "budget")];
    let r = admin.post("/backoffice/datasets/budget/delete/", &confirm).await;
    assert_eq!(r.location(), Some("/backoffice/datasets/?deleted=1"));
    assert!(admin.get("/backoffice/datasets/?deleted=1").await.text().contains("The dataset was deleted."));
    assert_eq!(app.get(ALPHA, records).await.status, StatusCode::NOT_FOUND);
    assert!(app.store.dataset(1, "budget").await.unwrap().is_none());
    // Another portal's admin cannot reach this portal's datasets.
    let mut beta = app.browser(BETA);
    beta.sign_in(BETA_ADMIN, PASSWORD).await;
    assert_eq!(beta.get("/backoffice/datasets/equipements/delete/").await.status, StatusCode::NOT_FOUND);
}
