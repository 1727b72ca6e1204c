//! The Set-Cookie audit: every route, anonymous and signed in, sets only registry cookies with the
//! registry's attributes, and anonymous browsing without a form sets none at all.

use crate::support::*;
use portail_web::privacy::registry::{self, COOKIES};
use portail_web::router::PAGE_ROUTES;
use portail_web::WebConfig;

/// Checks one `Set-Cookie` against the registry (SET-3, SET-5, REG-1, section 2).
fn assert_registry_cookie(header: &str, https: bool) {
    let (pair, attrs) = header.split_once(';').unwrap_or((header, ""));
    let name = pair.split_once('=').unwrap().0;
    let spec = COOKIES.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("unregistered cookie {header}"));
    let attrs: Vec<&str> = attrs.split(';').map(str::trim).filter(|a| !a.is_empty()).collect();
    assert!(!attrs.iter().any(|a| a.to_ascii_lowercase().starts_with("domain")), "host-only: {header}");
    assert!(attrs.contains(&"Path=/"), "{header}");
    assert!(attrs.contains(&"SameSite=Lax"), "{header}");
    assert_eq!(attrs.contains(&"HttpOnly"), spec.http_only, "{header}");
    assert_eq!(attrs.contains(&"Secure"), https, "{header}");
    let max_age: u32 = attrs.iter().find_map(|a| a.strip_prefix("Max-Age=")).unwrap().parse().unwrap();
    assert!(max_age == 0 || max_age == spec.max_age_s, "{header}");
}

/// Visits every route in every way a visitor can and returns all `Set-Cookie` headers seen.
async fn crawl(app: &TestApp, host: &str) -> Vec<String> {
    let mut seen = vec![];
    let mut anon = app.browser(host);
    for path in PAGE_ROUTES {
        anon.get(path).await;
    }
    anon.get("/no-such-page/").await;
    anon.get("/static/portail.css").await;
    anon.post("/i18n/setlang/", &[("language", "fr"), ("next", "/")]).await;
    anon.post("/logout/", &[]).await;
    anon.post("/backoffice/settings/", &[("title_en", "x")]).await;
    seen.extend(anon.seen_set_cookies.clone());

    let mut user = app.browser(host);
    let email = if host == BETA { BETA_ADMIN } else { ALPHA_ADMIN };
    assert_eq!(user.sign_in(email, PASSWORD).await.status, 303);
    for path in PAGE_ROUTES {
        user.get(path).await;
    }
    let token = user.get("/backoffice/").await.form_token().unwrap();
    user.post("/backoffice/settings/", &[("csrfmiddlewaretoken", &token), ("title_en", "T"), ("title_fr", "T")]).await;
    user.post("/logout/", &[("csrfmiddlewaretoken", &token)]).await;
    seen.extend(user.seen_set_cookies.clone());
    seen
}

#[tokio::test]
async fn every_route_sets_only_registry_cookies_with_registry_attributes() {
    // spec: REG-1, SET-3, SET-5, SET-6
    let app = TestApp::new().await;
    let mut names = std::collections::BTreeSet::new();
    for host in [ALPHA, BETA] {
        for header in crawl(&app, host).await {
            assert_registry_cookie(&header, false);
            names.insert(header.split_once('=').unwrap().0.to_owned());
        }
    }
    // The crawl did exercise cookie-setting paths (so the audit above had something to check).
    for name in ["sessionid", "csrftoken", "django_language"] {
        assert!(names.contains(name), "the crawl never saw {name}");
    }
}

#[tokio::test]
async fn anonymous_browsing_without_a_form_sets_no_cookie() {
    // spec: SET-1, SET-2, CK-17, POL-8
    let app = TestApp::new().await;
    for host in [ALPHA, BETA, BETA_DOMAIN] {
        let mut b = app.browser(host);
        for path in PAGE_ROUTES.iter().filter(|p| !p.starts_with("/login/")) {
            b.get(path).await;
        }
        for path in
            ["/?lang=fr", "/no-such-page/", "/static/portail.css", "/terms/cookies-policy/?lang=en", "/backoffice"]
        {
            b.get(path).await;
        }
        assert!(b.seen_set_cookies.is_empty(), "{host}: {:?}", b.seen_set_cookies);
    }
}

#[tokio::test]
async fn cookies_are_secure_over_https_only() {
    // spec: section 2 ("Secure on HTTPS")
    let app = TestApp::with_config(WebConfig { public_https: true, ..WebConfig::default() }).await;
    let mut b = app.browser(ALPHA);
    let page = b.get("/login/").await;
    let token = page.form_token().unwrap();
    let r = b
        .post_with(
            "/login/",
            &[("csrfmiddlewaretoken", &token), ("username", ALPHA_ADMIN), ("password", PASSWORD)],
            &[("origin", "https://alpha.localhost")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for header in b.seen_set_cookies.iter() {
        assert_registry_cookie(header, true);
    }

    // Behind a trusted proxy, X-Forwarded-Proto decides; an untrusted one is ignored.
    for (trusted, secure) in [(true, true), (false, false)] {
        let app = TestApp::with_config(WebConfig { trusted_proxy: trusted, ..WebConfig::default() }).await;
        let mut b = app.browser(ALPHA);
        let r = b
            .send(
                axum::http::Request::get("/login/")
                    .header("x-forwarded-proto", "https")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_registry_cookie(&r.set_cookies()[0], secure);
    }
}

#[test]
fn no_source_file_builds_a_cookie_outside_the_registry() {
    // spec: REG-1 — cookie attributes are spelled only in the registry module.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = vec![];
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("privacy/registry.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in
                    ["Max-Age=", "; HttpOnly", "SameSite=", "HeaderValue::from_static(\"sessionid", "cookie::Cookie"]
                {
                    if text.contains(needle) {
                        offenders.push(format!("{}: {needle}", path.display()));
                    }
                }
                // Every Set-Cookie appended takes a value made by a registry entry.
                for line in text.lines().filter(|l| l.contains("SET_COOKIE")) {
                    let ok = line.contains(".set(")
                        || line.contains(".set_with_max_age(")
                        || line.contains(".delete(")
                        || line.contains("SET_COOKIE, cookie)");
                    if !ok {
                        offenders.push(format!("{}: {}", path.display(), line.trim()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
    assert!(registry::is_registered("csrftoken") && !registry::is_registered("csrf"));
}
