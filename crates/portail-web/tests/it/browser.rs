//! A real browser: headless Chromium, driven over the DevTools protocol, browses a portal served
//! on 127.0.0.1 anonymously, signs in, switches language, edits the portal, signs out, and after
//! each step the cookie jar is checked against the registry.
//! The driver is `portail-browser`; the privacy audit over `portail demo` is in portail-cli's tests.

use crate::support::*;
use portail_browser::{chromium_or_skip, Chromium};
use portail_web::privacy::registry::COOKIES;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Every cookie in the jar is a registry cookie with the registry's attributes (AUD-1).
fn check_jar(jar: &[Value], host: &str, expected: &[&str]) {
    let mut names: Vec<&str> = jar.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut want = expected.to_vec();
    want.sort_unstable();
    assert_eq!(names, want, "cookie jar");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    for c in jar {
        let spec = COOKIES.iter().find(|s| s.name == c["name"]).unwrap();
        assert_eq!(c["domain"], json!(host), "{}: host-only", spec.name);
        assert_eq!(c["path"], "/");
        assert_eq!(c["httpOnly"], json!(spec.http_only), "{}", spec.name);
        assert_eq!(c["secure"], json!(false), "{}: plain-HTTP development host", spec.name);
        assert_eq!(c["sameSite"], "Lax", "{}", spec.name);
        let expires = c["expires"].as_f64().unwrap();
        assert!(
            (expires - now - f64::from(spec.max_age_s)).abs() < 60.0,
            "{}: expiry {expires} vs Max-Age {}",
            spec.name,
            spec.max_age_s
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_browses_signs_in_edits_and_signs_out_in_chromium() {
    let Some(binary) = chromium_or_skip() else { return };
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(portail_web::serve(listener, app.state.clone(), async {
        let _ = stopped.await;
    }));

    let base = format!("http://{ALPHA}:{port}");
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut chrome = Chromium::launch(&binary);

        // Anonymous pages without a form: no cookie at all (SET-1).
        chrome.open(&format!("{base}/"), "/");
        assert!(chrome.text().contains("Alphaville open data"));
        chrome.open(&format!("{base}/terms/cookies-policy/"), "/terms/cookies-policy/");
        assert_eq!(chrome.eval("document.querySelectorAll('#necessary-cookies tbody tr').length"), json!(4));
        chrome.open(&format!("{base}/missing/"), "/missing/");
        check_jar(&chrome.cookies(), ALPHA, &[]);

        // The sign-in page sets csrftoken only.
        chrome.open(&format!("{base}/login/"), "/login/");
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken"]);
        let before: Vec<Value> = chrome.cookies();
        chrome.submit(
            &format!(
                "document.getElementById('id_username').value = '{ALPHA_ADMIN}';
                 document.getElementById('id_password').value = '{PASSWORD}';
                 document.querySelector('form[action=\"/login/\"] button[type=submit]').click();"
            ),
            "/backoffice/",
        );
        assert!(chrome.text().contains(ALPHA_ADMIN));
        let jar = chrome.cookies();
        check_jar(&jar, ALPHA, &["csrftoken", "sessionid"]);
        let csrf = |jar: &[Value]| jar.iter().find(|c| c["name"] == "csrftoken").unwrap()["value"].clone();
        assert_ne!(csrf(&jar), csrf(&before), "the CSRF secret rotates at sign-in");

        // The language switcher, without any script of ours.
        chrome.submit(
            "document.getElementById('lang-select').value = 'fr';
             document.querySelector('form.lang-switch button').click();",
            "/backoffice/",
        );
        assert_eq!(chrome.eval("document.documentElement.lang"), json!("fr"));
        assert!(chrome.text().contains("Paramètres du portail"));
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken", "django_language", "sessionid"]);

        // Edit the portal's title through the real form.
        chrome.submit(
            "document.getElementById('id_title_fr').value = 'Alphaville, la plateforme';
             document.querySelector('form[action=\"/backoffice/settings/\"] button').click();",
            "/backoffice/?saved=1",
        );
        chrome.open(&format!("{base}/"), "/");
        assert!(chrome.text().contains("Alphaville, la plateforme"));

        // Sign out: the session cookie is gone, the others stay.
        chrome.submit("document.querySelector('form[action=\"/logout/\"] button').click();", "/");
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken", "django_language"]);
        assert!(chrome.text().contains("Se connecter"));

        // portail's pages leave nothing in other storage areas (SET-4).
        assert_eq!(chrome.eval("localStorage.length + sessionStorage.length"), json!(0));
    })
    .await
    .unwrap();

    use portail_store::MetadataStore;
    assert_eq!(store.portal_by_slug("alpha").await.unwrap().unwrap().title.fr, "Alphaville, la plateforme");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
