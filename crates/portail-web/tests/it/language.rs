//! Language choice: `?lang=` > `django_language` > `Accept-Language` > portal default (CK-7…CK-11).

use crate::support::*;
use axum::body::Body;
use axum::http::Request;

async fn get_with(app: &TestApp, host: &str, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = Request::get(path).header("host", host);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

fn lang_of(r: &TestResponse) -> String {
    let at = r.body.find("<html lang=\"").expect("html lang");
    let code = r.body[at + 12..at + 14].to_owned();
    assert_eq!(r.header("content-language"), Some(code.as_str()), "Content-Language agrees with <html lang>");
    code
}

#[tokio::test]
async fn each_portal_uses_its_default_language_without_any_hint() {
    // spec: CK-7, CK-11
    let app = TestApp::new().await;
    let en = app.get(ALPHA, "/").await;
    assert_eq!(lang_of(&en), "en");
    assert!(en.body.contains("Cookies policy"));
    let fr = app.get(BETA, "/").await;
    assert_eq!(lang_of(&fr), "fr");
    assert!(fr.body.contains("Charte cookies"));
    let vary = fr.header("vary").unwrap();
    assert!(vary.contains("Accept-Language") && vary.contains("Cookie"), "{vary}");
}

#[tokio::test]
async fn query_beats_cookie_beats_accept_language_beats_default() {
    // spec: CK-7
    let app = TestApp::new().await;
    let all = [("cookie", "django_language=en"), ("accept-language", "fr")];
    assert_eq!(lang_of(&get_with(&app, BETA, "/?lang=fr", &all).await), "fr");
    assert_eq!(lang_of(&get_with(&app, BETA, "/", &all).await), "en");
    assert_eq!(lang_of(&get_with(&app, ALPHA, "/", &[("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")]).await), "fr");
    assert_eq!(lang_of(&get_with(&app, ALPHA, "/", &[("accept-language", "de")]).await), "en");
    // Unknown values are skipped, never echoed (CK-10).
    let r = get_with(&app, BETA, "/?lang=zz", &[("cookie", "django_language=<script>")]).await;
    assert_eq!(lang_of(&r), "fr");
    assert!(!r.body.contains("<script>") && !r.body.contains("zz"));
}

#[tokio::test]
async fn the_lang_parameter_sets_no_cookie() {
    // spec: CK-8
    let app = TestApp::new().await;
    let r = app.get(ALPHA, "/?lang=fr").await;
    assert_eq!(lang_of(&r), "fr");
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn the_switcher_sets_the_cookie_and_returns_to_the_page() {
    // spec: CK-8, CK-9
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let home = b.get("/terms/cookies-policy/?lang=en").await;
    assert!(home.body.contains("action=\"/i18n/setlang/\""), "every page has the switcher");
    assert!(home.text().contains("name=\"next\" value=\"/terms/cookies-policy/\""), "next drops ?lang=");
    let r = b.post("/i18n/setlang/", &[("language", "fr"), ("next", "/terms/cookies-policy/")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/terms/cookies-policy/"));
    assert_eq!(r.set_cookies(), ["django_language=fr; Max-Age=31536000; Path=/; SameSite=Lax; HttpOnly"]);
    let page = b.get("/terms/cookies-policy/").await;
    assert_eq!(lang_of(&page), "fr");
    assert!(page.body.contains("Charte cookies"));
    assert!(page.set_cookies().is_empty());
}

#[tokio::test]
async fn the_switcher_refuses_cross_site_requests_and_foreign_redirects() {
    // spec: CK-9, CK-10
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let r =
        b.post_with("/i18n/setlang/", &[("language", "fr"), ("next", "/")], &[("origin", "http://evil.test")]).await;
    assert_eq!(r.status, 403);
    assert!(r.set_cookies().is_empty());
    let r =
        b.post_with("/i18n/setlang/", &[("language", "fr"), ("next", "/")], &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, 403);
    assert!(r.set_cookies().is_empty());
    // Another portal of the same platform is another origin too.
    let r = b.post_with("/i18n/setlang/", &[("language", "fr")], &[("origin", "http://beta.localhost")]).await;
    assert_eq!(r.status, 403);
    // No Origin at all (older clients, plain HTTP) is allowed; an absolute `next` is not followed.
    let r = b.post_with("/i18n/setlang/", &[("language", "fr"), ("next", "https://evil.test/")], &[]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, Some("/")));
    assert!(r.cookie("django_language").is_some());
    // A language the portal does not offer sets nothing.
    let r = b.post("/i18n/setlang/", &[("language", "de"), ("next", "/")]).await;
    assert_eq!(r.status, 303);
    assert!(r.set_cookies().is_empty());
}
