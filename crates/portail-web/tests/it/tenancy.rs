//! Host → portal: each portal on its own hosts with its own data only.

use crate::support::*;

#[tokio::test]
async fn each_portal_answers_on_its_hosts_with_its_own_content() {
    let app = TestApp::new().await;
    let alpha = app.get(ALPHA, "/").await;
    assert_eq!(alpha.status, 200);
    assert!(alpha.body.contains("Alphaville open data") && !alpha.body.contains("Bétaville"));
    for host in [BETA, BETA_DOMAIN, "BETA.localhost:8080", "data.beta.test.:443"] {
        let beta = app.get(host, "/").await;
        assert_eq!(beta.status, 200, "{host}");
        assert!(beta.body.contains("Données ouvertes Bétaville"), "{host}");
        assert!(!beta.body.contains("Alphaville"), "{host} leaked the other portal");
    }
}

#[tokio::test]
async fn an_unknown_host_gets_a_404_naming_no_portal_and_no_cookie() {
    let app = TestApp::new().await;
    for host in ["gamma.localhost", "alpha.beta.localhost", "evil.test", "localhost.evil.test"] {
        for path in ["/", "/login/", "/backoffice/", "/terms/cookies-policy/"] {
            let r = app.get(host, path).await;
            assert_eq!(r.status, 404, "{host}{path}");
            for name in ["Alphaville", "Bétaville", "alpha", "beta"] {
                assert!(!r.body.to_lowercase().contains(&name.to_lowercase()), "{host}{path} names {name}");
            }
            assert!(r.set_cookies().is_empty());
        }
    }
}

#[tokio::test]
async fn loopback_and_the_bare_base_domain_serve_the_default_portal() {
    let app = TestApp::new().await;
    for host in ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "localhost"] {
        let r = app.get(host, "/").await;
        assert_eq!(r.status, 200, "{host}");
        assert!(r.body.contains("Alphaville open data"), "{host} should serve the first portal created");
    }
    let config = portail_web::WebConfig { default_portal: Some("beta".into()), ..Default::default() };
    let app = TestApp::with_config(config).await;
    assert!(app.get("localhost", "/").await.body.contains("Bétaville"));
}

#[tokio::test]
async fn a_portal_created_after_start_is_served_without_restart() {
    let app = TestApp::new().await;
    assert_eq!(app.get("gamma.localhost", "/").await.status, 404);
    use portail_store::MetadataStore;
    app.store.create_portal(&portal("gamma", "Gammaville", portail_core::Lang::Fr, &[]), START).await.unwrap();
    let r = app.get("gamma.localhost", "/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Gammaville"));
}

#[tokio::test]
async fn unknown_paths_are_translated_404_pages_and_missing_slashes_redirect() {
    let app = TestApp::new().await;
    let r = app.get(BETA, "/nope/").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Page introuvable") && r.body.contains("/terms/cookies-policy/"));
    let r = app.get(ALPHA, "/login?next=/backoffice/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/login/?next=/backoffice/"));
}
