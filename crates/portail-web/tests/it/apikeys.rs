//! API keys: created in the back office, shown once, sent as `Authorization: Apikey …` or
//! `?apikey=`, worth their owner's access on their own portal only, revocable.

use crate::api::with_datasets;
use crate::support::*;
use axum::body::Body;
use axum::http::Request;

const RESTRICTED: &str = "/api/explore/v2.1/catalog/datasets/interne/records";

async fn with_key(app: &TestApp, host: &str, path: &str, authorization: &str) -> TestResponse {
    let req = Request::get(path).header("host", host).header("authorization", authorization);
    app.send(req.body(Body::empty()).unwrap()).await
}

/// Signs in and creates a key named `name`; returns the browser and the key.
async fn create_key<'a>(app: &'a TestApp, email: &str, name: &str) -> (Browser<'a>, String) {
    let mut b = app.browser(ALPHA);
    assert_eq!(b.sign_in(email, PASSWORD).await.status, 303);
    let token = b.get("/backoffice/apikeys/").await.form_token().unwrap();
    let r = b.post("/backoffice/apikeys/", &[("csrfmiddlewaretoken", &token), ("name", name)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let key = r.body.split("<code id=\"new-api-key\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(key.len(), 48);
    (b, key)
}

#[tokio::test]
async fn a_key_reads_what_its_owner_may_read_on_its_portal_only() {
    let app = with_datasets().await;
    assert_eq!(app.get(ALPHA, RESTRICTED).await.status, 404, "restricted to the portal's users");
    let (mut browser, key) = create_key(&app, ALPHA_EDITOR, "nightly export").await;

    for scheme in ["Apikey", "ApiKey", "apikey"] {
        let r = with_key(&app, ALPHA, RESTRICTED, &format!("{scheme} {key}")).await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.body);
        assert!(r.set_cookies().is_empty(), "a key opens no session");
    }
    assert_eq!(app.get(ALPHA, &format!("{RESTRICTED}?apikey={key}")).await.status, 200);
    let r = app.get(ALPHA, &format!("/api/explore/v2.1/catalog/datasets?apikey={key}&select=dataset_id")).await;
    assert!(r.body.contains("\"interne\""), "{}", r.body);
    let r = app.get(ALPHA, &format!("/explore/dataset/interne/download/?format=csv&apikey={key}")).await;
    assert_eq!(r.status, 200, "the front-office download URL takes keys too");
    let r = app.get(ALPHA, &format!("/api/records/1.0/search/?dataset=interne&apikey={key}")).await;
    assert_eq!(r.status, 200, "and the v1 API");

    // Pages do not take keys: the key is ignored there, the page stays hidden.
    assert_eq!(with_key(&app, ALPHA, "/explore/dataset/interne/", &format!("Apikey {key}")).await.status, 404);

    // A wrong key, or this key on another portal, is refused in the API's error format.
    for (host, auth) in [(ALPHA, "Apikey nope".to_owned()), (BETA, format!("Apikey {key}"))] {
        let r = with_key(&app, host, "/api/explore/v2.1/catalog/datasets", &auth).await;
        assert_eq!(r.status, 401, "{host} {auth}");
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error_code"], "InvalidAPIKey");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    // v1 and the front-office download refuse it in v1's format, which their clients read.
    for path in ["/api/records/1.0/search/?dataset=interne", "/explore/dataset/interne/download/?format=csv"] {
        let r = app.get(ALPHA, &format!("{path}&apikey=nope")).await;
        assert_eq!(r.status, 401, "{path}");
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v, serde_json::json!({"error": "Invalid API key."}), "{path}");
    }
    // An empty key is no key (widgets send `apikey=` when they have none).
    assert_eq!(app.get(ALPHA, &format!("{RESTRICTED}?apikey=")).await.status, 404);
    assert_eq!(app.get(ALPHA, "/api/explore/v2.1/catalog/datasets?apikey=").await.status, 200);
    // Other authorization schemes are not keys.
    assert_eq!(with_key(&app, ALPHA, RESTRICTED, "Bearer whatever").await.status, 404);

    // The list shows the key's name, its first characters and its use, never the key.
    let list = browser.get("/backoffice/apikeys/").await.body;
    assert!(list.contains("nightly export") && list.contains(&key[..6]), "{list}");
    assert!(!list.contains(&key), "shown once only");
}

#[tokio::test]
async fn keys_are_revoked_by_their_owner_and_need_a_name_and_a_token() {
    let app = with_datasets().await;
    let (mut owner, key) = create_key(&app, ALPHA_EDITOR, "etl").await;
    let list = owner.get("/backoffice/apikeys/").await;
    let id = list.body.split("data-key-id=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let token = list.form_token().unwrap();

    // Another user of the portal cannot revoke it: as if it did not exist.
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let admin_token = admin.get("/backoffice/apikeys/").await.form_token().unwrap();
    let r = admin.post(&format!("/backoffice/apikeys/{id}/delete/"), &[("csrfmiddlewaretoken", &admin_token)]).await;
    assert_eq!(r.status, 404);
    assert_eq!(with_key(&app, ALPHA, RESTRICTED, &format!("Apikey {key}")).await.status, 200);

    // Without a CSRF token nothing happens.
    assert_eq!(owner.post(&format!("/backoffice/apikeys/{id}/delete/"), &[]).await.status, 403);
    let r = owner.post(&format!("/backoffice/apikeys/{id}/delete/"), &[("csrfmiddlewaretoken", &token)]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, Some("/backoffice/apikeys/")));
    assert_eq!(with_key(&app, ALPHA, RESTRICTED, &format!("Apikey {key}")).await.status, 401, "revoked");

    let r = owner.post("/backoffice/apikeys/", &[("csrfmiddlewaretoken", &token), ("name", "  ")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Give the key a name"), "{}", r.body);
    // Anonymous visitors are sent to sign in.
    let r = app.get(ALPHA, "/backoffice/apikeys/").await;
    assert_eq!(r.location(), Some("/login/?next=/backoffice/apikeys/"));
}

#[tokio::test]
async fn a_public_data_key_reads_what_anonymous_callers_read() {
    let app = with_datasets().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = b.get("/backoffice/apikeys/").await.form_token().unwrap();
    let r = b
        .post(
            "/backoffice/apikeys/",
            &[("csrfmiddlewaretoken", &token), ("name", "open data robot"), ("scope", "public")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let key = r.body.split("<code id=\"new-api-key\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(r.text().contains("Public data only"), "the list says what the key may read");

    // Valid (not a 401), but the admin's restricted dataset stays out of reach, as for anyone.
    let public = "/api/explore/v2.1/catalog/datasets/equipements/records?limit=1";
    assert_eq!(with_key(&app, ALPHA, public, &format!("Apikey {key}")).await.status, 200);
    assert_eq!(with_key(&app, ALPHA, RESTRICTED, &format!("Apikey {key}")).await.status, 404);
    let r = app.get(ALPHA, &format!("/api/explore/v2.1/catalog/datasets?apikey={key}&select=dataset_id")).await;
    assert!(!r.body.contains("\"interne\"") && r.body.contains("\"equipements\""), "{}", r.body);
    // The admin's own session still sees it.
    assert_eq!(b.get(RESTRICTED).await.status, 200);
    // Another portal refuses it like any foreign key.
    assert_eq!(with_key(&app, BETA, "/api/explore/v2.1/catalog/datasets", &format!("Apikey {key}")).await.status, 401);
}
