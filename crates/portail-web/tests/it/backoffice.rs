//! The first back office: portal settings, for the portal's own users only.

use crate::support::*;
use portail_store::MetadataStore;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    let r = app.get(ALPHA, "/backoffice/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/login/?next=/backoffice/"));
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn an_admin_edits_title_and_description_in_both_languages() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let page = b.get("/backoffice/").await;
    assert!(page.text().contains("value=\"Alphaville open data\""));
    let token = page.form_token().unwrap();
    let r = b
        .post(
            "/backoffice/settings/",
            &[
                ("csrfmiddlewaretoken", &token),
                ("title_en", "Alphaville Data Hub"),
                ("title_fr", "Plateforme de données d'Alphaville"),
                ("description_en", "Budgets & <facilities>.\r\n\r\nUpdated daily."),
                ("description_fr", "Budgets et équipements."),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/backoffice/?saved=1"));
    assert!(b.get("/backoffice/?saved=1").await.body.contains("The settings were saved."));

    let en = app.get(ALPHA, "/").await;
    assert!(en.body.contains("<h1>Alphaville Data Hub</h1>"));
    assert!(en.body.contains("Budgets &amp; &lt;facilities&gt;."), "user text is escaped");
    assert!(en.body.contains("<p>Updated daily.</p>"), "blank lines separate paragraphs");
    let fr = app.get(ALPHA, "/?lang=fr").await;
    assert!(fr.text().contains("<h1>Plateforme de données d'Alphaville</h1>"));
    let stored = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    assert_eq!(stored.description.en, "Budgets & <facilities>.\n\nUpdated daily.");
    // The other portal is untouched.
    assert!(app.get(BETA, "/").await.body.contains("Données ouvertes Bétaville"));
}

#[tokio::test]
async fn invalid_settings_are_refused_with_the_field_named_and_nothing_saved() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = b.get("/backoffice/").await.form_token().unwrap();
    let long = "x".repeat(201);
    let r = b
        .post("/backoffice/settings/", &[("csrfmiddlewaretoken", &token), ("title_en", &long), ("title_fr", "ok")])
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("The field “Title (English)” is too long: at most 200 characters."), "{}", r.body);
    let r =
        b.post("/backoffice/settings/", &[("csrfmiddlewaretoken", &token), ("title_en", " "), ("title_fr", "")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("at least one language"));
    assert_eq!(app.store.portal_by_slug("alpha").await.unwrap().unwrap().title.en, "Alphaville open data");
}

#[tokio::test]
async fn an_editor_reads_the_settings_but_cannot_change_them() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let page = b.get("/backoffice/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Only an administrator"));
    assert!(!page.body.contains("action=\"/backoffice/settings/\""));
    let token = page.form_token().unwrap();
    let r = b
        .post("/backoffice/settings/", &[("csrfmiddlewaretoken", &token), ("title_en", "Hijacked"), ("title_fr", "x")])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.store.portal_by_slug("alpha").await.unwrap().unwrap().title.en, "Alphaville open data");
}

#[tokio::test]
async fn settings_cannot_be_changed_without_the_csrf_token() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let r = b.post("/backoffice/settings/", &[("title_en", "Forged"), ("title_fr", "x")]).await;
    assert_eq!(r.status, 403);
    let token = b.get("/backoffice/").await.form_token().unwrap();
    let r = b
        .post_with(
            "/backoffice/settings/",
            &[("csrfmiddlewaretoken", &token), ("title_en", "Forged")],
            &[("origin", "http://beta.localhost")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.store.portal_by_slug("alpha").await.unwrap().unwrap().title.en, "Alphaville open data");
}
