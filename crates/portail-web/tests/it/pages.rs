//! Content pages written in the back office: third-party embeds converted to placeholders of an
//! enabled integration or removed on save, and the editor told which (TP-6); the page then
//! shows a placeholder until the visitor allows the integration (TP-3, TP-4).

use crate::support::*;
use portail_core::Role;
use portail_store::MetadataStore;

const VIDEO: &str = "https://video.example.org";

const TYPED: &str = r#"<h2>Our data</h2>
<p>Watch the <strong>presentation</strong>.</p>
<iframe src="https://video.example.org/embed/7" width="560" height="315" allowfullscreen></iframe>
<script src="https://tracker.example.com/t.js"></script>
<img src="https://tracker.example.com/pixel.gif" alt="">
<p onclick="alert(1)">Bye</p>"#;

/// The URLs in `src`, `srcset`, `poster`, `data` and `action` attributes, unescaped (TP-1);
/// relative ones (the portal's own) are left out.
fn fetched(body: &str) -> Vec<String> {
    let mut out = vec![];
    for attr in [" src=\"", " srcset=\"", " poster=\"", " data=\"", " action=\""] {
        for piece in body.split(attr).skip(1) {
            let value = piece.split('"').next().unwrap().replace("&#x2f;", "/").replace("&amp;", "&");
            if value.contains("//") {
                out.push(value);
            }
        }
    }
    out
}

async fn editor(app: &TestApp) -> Browser<'_> {
    let mut b = app.browser(ALPHA);
    assert_eq!(b.sign_in(ALPHA_EDITOR, PASSWORD).await.status, 303);
    b
}

#[tokio::test]
async fn an_editor_writes_a_page_and_is_told_what_became_of_third_party_content() {
    // spec: TP-6
    let app = TestApp::new().await;
    app.enable_video("alpha", VIDEO, "video.example.org").await;
    let mut b = editor(&app).await;
    let form = b.get("/backoffice/pages/new/").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("video.example.org"), "the form names the origins that can be embedded");
    let token = form.form_token().unwrap();
    let r = b
        .post(
            "/backoffice/pages/new/",
            &[
                ("csrfmiddlewaretoken", &token),
                ("slug", "about"),
                ("title_en", "About"),
                ("title_fr", "À propos"),
                ("body_en", TYPED),
                ("body_fr", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.body.split("id=\"page-changes\"").nth(1).expect("a report of the changes");
    assert_eq!(report.matches("data-change=\"converted\"").count(), 1, "{report}");
    assert_eq!(report.matches("data-change=\"removed\"").count(), 2, "{report}");
    // Addresses are HTML-escaped (`/` too) in the page.
    assert!(report.contains("tracker.example.com") && report.contains("t.js") && report.contains("pixel.gif"));
    // The form now shows what was stored: the marker, no script, no handler.
    assert!(
        r.body.contains("data-integration=&quot;video&quot;") || r.body.contains("data-integration=&#34;video&#34;")
    );
    assert!(!r.body.contains("onclick") && !r.body.contains("&lt;script"), "{}", r.body);

    // Anonymous visitor, no choice yet: text and a placeholder, no vendor origin in any src.
    let page = app.get(ALPHA, "/pages/about/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h2>Our data</h2>") && page.body.contains("<strong>presentation</strong>"));
    assert!(page.body.contains("class=\"placeholder\""), "{}", page.body);
    assert!(fetched(&page.body).iter().all(|u| !u.contains("example")), "TP-1: {:?}", fetched(&page.body));
    assert!(!page.body.contains("tracker.example.com") && !page.body.contains("onclick"));
    // French falls back to the English text that was written.
    assert!(app.get(ALPHA, "/pages/about/?lang=fr").await.body.contains("<h2>Our data</h2>"));

    // Granted through the placeholder's form: the player, lazy and with the referrer policy.
    let mut visitor = app.browser(ALPHA);
    visitor.get("/pages/about/").await;
    let r = visitor.post("/consent/", &[("choice", "save"), ("purpose_video", "on"), ("next", "/pages/about/")]).await;
    assert_eq!(r.status, 303);
    let shown = visitor.get("/pages/about/").await;
    assert_eq!(fetched(&shown.body), ["https://video.example.org/embed/7"]);
    assert!(shown.body.contains("<iframe class=\"video\""));
    assert!(shown.body.contains("loading=\"lazy\""));

    // Listed in the back office, with its address.
    let list = b.get("/backoffice/pages/").await;
    assert!(list.body.contains("data-page=\"about\"") && list.body.contains("/pages/about/"));
}

#[tokio::test]
async fn without_an_embedding_integration_every_third_party_element_is_removed() {
    // spec: TP-6
    let app = TestApp::new().await;
    let mut b = editor(&app).await;
    let token = b.get("/backoffice/pages/new/").await.form_token().unwrap();
    let fields = [("csrfmiddlewaretoken", token.as_str()), ("slug", "x"), ("title_en", "X"), ("body_en", TYPED)];
    let r = b.post("/backoffice/pages/new/", &fields).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.matches("data-change=\"removed\"").count(), 3, "{}", r.body);
    let page = app.get(ALPHA, "/pages/x/").await;
    assert!(!page.body.contains("video.example.org") && !page.body.contains("placeholder"));
    assert!(page.body.contains("<p>Bye</p>"));

    // Same address again: refused, nothing overwritten.
    let r =
        b.post("/backoffice/pages/new/", &[("csrfmiddlewaretoken", &token), ("slug", "x"), ("title_en", "Y")]).await;
    assert_eq!(r.status, 400);
    assert!(app.get(ALPHA, "/pages/x/").await.body.contains("<p>Bye</p>"));
}

#[tokio::test]
async fn a_page_embeds_the_portal_own_dataset_views_and_nothing_else_of_its_own() {
    let app = crate::api::with_datasets().await;
    let mut b = editor(&app).await;
    let token = b.get("/backoffice/pages/new/").await.form_token().unwrap();
    let body = r#"<p>The map:</p><iframe src="http://alpha.localhost/explore/embed/dataset/equipements/map/" width="600" height="400"></iframe><iframe src="/backoffice/"></iframe>"#;
    let fields = [("csrfmiddlewaretoken", token.as_str()), ("slug", "carte"), ("title_en", "Map"), ("body_en", body)];
    let r = b.post("/backoffice/pages/new/", &fields).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.matches("data-change=\"removed\"").count(), 1, "the back-office frame: {}", r.body);

    // Shown by its path, lazily, allowed by the page's CSP and framable by the embed's.
    let page = app.get(ALPHA, "/pages/carte/").await;
    assert!(
        page.body.contains(r#"<iframe src="/explore/embed/dataset/equipements/map/" width="600" height="400" title="dataset/equipements/map" loading="lazy"></iframe>"#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/backoffice/\""));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-src 'self'"), "{csp}");
    let embed = app.get(ALPHA, "/explore/embed/dataset/equipements/map/").await;
    assert_eq!(embed.status, 200);
    assert!(embed.set_cookies().is_empty());
}

#[tokio::test]
async fn pages_are_edited_and_deleted_with_checks() {
    let app = TestApp::new().await;
    let mut b = editor(&app).await;
    let token = b.get("/backoffice/pages/new/").await.form_token().unwrap();
    for (slug, title) in [("Bad Slug", "T"), ("new", "T"), ("ok", "")] {
        let r = b
            .post("/backoffice/pages/new/", &[("csrfmiddlewaretoken", &token), ("slug", slug), ("title_en", title)])
            .await;
        assert_eq!(r.status, 400, "{slug:?} {title:?}");
        assert!(r.body.contains("role=\"alert\""));
    }
    let r = b
        .post("/backoffice/pages/new/", &[("csrfmiddlewaretoken", &token), ("slug", "faq"), ("title_fr", "FAQ")])
        .await;
    assert_eq!(r.status, 200);
    let r = b
        .post(
            "/backoffice/pages/faq/",
            &[("csrfmiddlewaretoken", &token), ("title_fr", "FAQ"), ("body_fr", "<p>Réponse</p>")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(app.get(ALPHA, "/pages/faq/").await.body.contains("<p>Réponse</p>"));

    // Without the CSRF token: refused, nothing changes.
    let r = b.post("/backoffice/pages/faq/", &[("title_fr", "Pirate"), ("body_fr", "<p>x</p>")]).await;
    assert_eq!(r.status, 403);
    assert!(app.get(ALPHA, "/pages/faq/").await.body.contains("<p>Réponse</p>"));

    // Other portals neither see nor reach it.
    assert_eq!(app.get(BETA, "/pages/faq/").await.status, 404);
    let mut beta = app.browser(BETA);
    beta.sign_in(BETA_ADMIN, PASSWORD).await;
    let beta_token = beta.get("/backoffice/pages/").await.form_token().unwrap();
    assert_eq!(beta.post("/backoffice/pages/faq/delete/", &[("csrfmiddlewaretoken", &beta_token)]).await.status, 404);
    assert_eq!(app.get(ALPHA, "/pages/faq/").await.status, 200);

    let r = b.post("/backoffice/pages/faq/delete/", &[("csrfmiddlewaretoken", &token)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.get(ALPHA, "/pages/faq/").await.status, 404);
    assert_eq!(b.get("/backoffice/pages/faq/").await.status, 404);
}

#[tokio::test]
async fn viewers_read_the_list_but_cannot_edit_and_visitors_must_sign_in() {
    let app = TestApp::new().await;
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    let hash = portail_web::session::hash_password(PASSWORD).unwrap();
    app.store.create_user(alpha.id, "viewer@alpha.test", &hash, Role::Viewer, START).await.unwrap();
    app.enable_video("alpha", VIDEO, "video.example.org").await;

    let anonymous = app.get(ALPHA, "/backoffice/pages/new/").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().unwrap().starts_with("/login/"));

    let mut v = app.browser(ALPHA);
    assert_eq!(v.sign_in("viewer@alpha.test", PASSWORD).await.status, 303);
    let list = v.get("/backoffice/pages/").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("data-page=\"video\"") && !list.body.contains("/backoffice/pages/new/"));
    assert_eq!(v.get("/backoffice/pages/video/").await.status, 403);
    let token = list.form_token().unwrap();
    let r = v.post("/backoffice/pages/video/", &[("csrfmiddlewaretoken", &token), ("title_en", "Mine")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(v.post("/backoffice/pages/video/delete/", &[("csrfmiddlewaretoken", &token)]).await.status, 403);
    assert_eq!(app.get(ALPHA, "/pages/video/").await.status, 200);
}
