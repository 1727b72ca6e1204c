//! Audience measurement, in process: what is counted, what never is, what is stored (nothing but
//! aggregates) and the back-office dashboard and export. Names carry the AN-* statement IDs.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use portail_store::privacy::Dimension;
use portail_store::{AudienceStore, MetadataStore, PrivacyStore};
use portail_web::WebConfig;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

async fn app() -> TestApp {
    TestApp::with_config(WebConfig { trusted_proxy: true, ..WebConfig::default() }).await
}

async fn visit(app: &TestApp, host: &str, path: &str, ip: &str, ua: &str, extra: &[(&str, &str)]) -> TestResponse {
    let mut req = Request::get(path).header("host", host).header("x-forwarded-for", ip).header("user-agent", ua);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

async fn counts(app: &TestApp, slug: &str, d: Dimension) -> Vec<(String, i64)> {
    portail_web::housekeeping::flush_audience(&app.state).await;
    let portal = app.store.portal_by_slug(slug).await.unwrap().unwrap();
    let rows = app.store.counts(portal.id, d, "2000-01-01", "2100-01-01").await.unwrap();
    rows.into_iter().map(|r| (r.key, r.count)).collect()
}

#[tokio::test]
async fn an_2_4_6_pages_visitors_and_dimensions_are_counted_separately() {
    let app = app().await;
    visit(&app, ALPHA, "/", "192.0.2.10", FIREFOX, &[("referer", "https://news.example.org/article?id=7")]).await;
    visit(&app, ALPHA, "/", "192.0.2.10", FIREFOX, &[]).await;
    visit(
        &app,
        ALPHA,
        "/terms/cookies-policy/?lang=fr",
        "192.0.2.11",
        IPHONE,
        &[("referer", "http://alpha.localhost/")],
    )
    .await;
    visit(&app, BETA, "/", "192.0.2.10", FIREFOX, &[]).await;
    assert_eq!(
        counts(&app, "alpha", Dimension::Pageviews).await,
        [("/".into(), 2), ("/terms/cookies-policy/".into(), 1)]
    );
    assert_eq!(counts(&app, "alpha", Dimension::Visitors).await, [("visitors".into(), 2)], "AN-6");
    assert_eq!(counts(&app, "beta", Dimension::Visitors).await, [("visitors".into(), 1)], "AN-6: per portal");
    assert_eq!(
        counts(&app, "alpha", Dimension::Referrers).await,
        [("news.example.org".into(), 1)],
        "own host is no referrer"
    );
    assert_eq!(counts(&app, "alpha", Dimension::Browsers).await, [("Firefox 140".into(), 2), ("Safari 18".into(), 1)]);
    assert_eq!(counts(&app, "alpha", Dimension::Devices).await, [("desktop".into(), 2), ("mobile".into(), 1)]);
    assert_eq!(counts(&app, "alpha", Dimension::Languages).await, [("en".into(), 2), ("fr".into(), 1)]);
    // AN-6: the next day, the same person is a new visitor (FIX-3: the injected clock moves).
    app.advance(86_400);
    visit(&app, ALPHA, "/", "192.0.2.10", FIREFOX, &[]).await;
    assert_eq!(counts(&app, "alpha", Dimension::Visitors).await.len(), 2);
}

#[tokio::test]
async fn an_3_sig_2_signals_objections_robots_and_private_areas_are_not_counted() {
    let app = app().await;
    visit(&app, ALPHA, "/", "192.0.2.1", FIREFOX, &[("sec-gpc", "1")]).await;
    visit(&app, ALPHA, "/", "192.0.2.1", FIREFOX, &[("dnt", "1")]).await;
    visit(&app, ALPHA, "/", "192.0.2.1", "Googlebot/2.1 (+http://www.google.com/bot.html)", &[]).await;
    visit(&app, ALPHA, "/login/", "192.0.2.1", FIREFOX, &[]).await;
    visit(&app, ALPHA, "/consent/", "192.0.2.1", FIREFOX, &[]).await;
    visit(&app, ALPHA, "/nowhere/", "192.0.2.1", FIREFOX, &[]).await;
    visit(&app, ALPHA, "/static/portail.css", "192.0.2.1", FIREFOX, &[]).await;
    let mut objector = app.browser(ALPHA);
    objector.post("/consent/", &[("choice", "save"), ("audience", "objected")]).await;
    let cookie = format!("cookies_preferences={}", objector.jar["cookies_preferences"]);
    visit(&app, ALPHA, "/", "192.0.2.2", FIREFOX, &[("cookie", &cookie)]).await;
    for d in Dimension::ALL {
        assert!(counts(&app, "alpha", d).await.is_empty(), "{d:?} counted something");
    }
    // The objection keeps applying after the consent version changed (ASK-5).
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    portail_store::PrivacyStore::bump_consent_revision(app.store.as_ref(), alpha.id, app.now()).await.unwrap();
    visit(&app, ALPHA, "/", "192.0.2.2", FIREFOX, &[("cookie", &cookie)]).await;
    assert!(counts(&app, "alpha", Dimension::Pageviews).await.is_empty());
}

#[tokio::test]
async fn an_2_api_calls_and_exports_are_counted_per_dataset_and_kind() {
    let app = app().await;
    visit(&app, ALPHA, "/api/explore/v2.1/catalog/datasets", "192.0.2.3", "curl-less client/1.0", &[]).await;
    visit(&app, ALPHA, "/api/explore/v2.1/catalog/datasets?limit=1", "192.0.2.3", FIREFOX, &[]).await;
    assert_eq!(counts(&app, "alpha", Dimension::ApiCalls).await, [("catalog".into(), 2)]);
    assert!(counts(&app, "alpha", Dimension::Visitors).await.is_empty(), "API clients are not visitors");
    assert!(counts(&app, "alpha", Dimension::Pageviews).await.is_empty());
}

#[tokio::test]
async fn an_5_the_store_holds_no_address_user_agent_query_or_session() {
    let app = app().await;
    let secret_ua = "Mozilla/5.0 (X11; Linux x86_64) UniqueAgent/987654 Firefox/139.0";
    visit(
        &app,
        ALPHA,
        "/?secret-query=value",
        "203.0.113.77",
        secret_ua,
        &[("referer", "https://ref.example/private/path?q=1")],
    )
    .await;
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let session = admin.jar["sessionid"].clone();
    portail_web::housekeeping::flush_audience(&app.state).await;
    let db = std::fs::read(app.dir.path().join("portail.db")).unwrap();
    let wal = std::fs::read(app.dir.path().join("portail.db-wal")).unwrap_or_default();
    let dump = String::from_utf8_lossy(&[db, wal].concat()).into_owned();
    assert!(dump.contains("Firefox 139"), "the counters were written");
    for needle in ["203.0.113.77", "UniqueAgent", "secret-query", "/private/path", session.as_str()] {
        assert!(!dump.contains(needle), "AN-5: `{needle}` found in the store");
    }
}

#[tokio::test]
async fn an_8_10_the_dashboard_and_export_are_for_the_portals_staff_and_expire() {
    let app = app().await;
    visit(&app, ALPHA, "/", "192.0.2.5", FIREFOX, &[]).await;
    visit(&app, BETA, "/", "192.0.2.5", FIREFOX, &[]).await;
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let page = editor.get("/backoffice/audience/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"<dd id="total-views">1</dd>"#), "AN-10: only this portal's views");
    let csv = editor.get("/backoffice/audience.csv?days=365").await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.starts_with("dimension,day,key,count,zero_results\n") && csv.body.contains("pageviews,"));
    assert!(!csv.body.contains("192.0.2.5"));
    assert_eq!(app.get(ALPHA, "/backoffice/audience/").await.status, StatusCode::SEE_OTHER);
    // AN-8: 25 months later the aggregates are gone (FIX-3: by the injected clock).
    app.advance(26 * 31 * 86_400);
    portail_web::housekeeping::enforce_retention(&app.state).await;
    assert!(counts(&app, "alpha", Dimension::Pageviews).await.is_empty());
}

#[tokio::test]
async fn an_4_days_are_the_portals_own_time_zone() {
    // START is 2027-01-15 08:00 UTC; at 12:00 UTC it is already the 16th in Auckland (UTC+13).
    let app = app().await;
    app.advance(4 * 3_600);
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let form = admin.get("/backoffice/privacy/").await;
    assert!(form.body.contains("value=\"Europe&#x2f;Paris\""), "the default zone is shown");
    let token = form.form_token().unwrap();
    let fields = |zone: &'static str| {
        vec![
            ("csrfmiddlewaretoken", token.clone()),
            ("audience_retention_months", "25".into()),
            ("time_zone", zone.into()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    };
    let send = |body: String| {
        Request::post("/backoffice/privacy/settings/")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", format!("http://{ALPHA}"))
            .body(Body::from(body))
            .unwrap()
    };
    let refused = admin.send(send(post(fields("Mars/Olympus")))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("Mars/Olympus"), "the error names the zone");
    assert_eq!(admin.send(send(post(fields("Pacific/Auckland")))).await.status, StatusCode::SEE_OTHER);

    visit(&app, ALPHA, "/", "192.0.2.8", FIREFOX, &[]).await;
    visit(&app, BETA, "/", "192.0.2.8", FIREFOX, &[]).await;
    portail_web::housekeeping::flush_audience(&app.state).await;
    let day_of = |slug: &'static str| {
        let app = &app;
        async move {
            let portal = app.store.portal_by_slug(slug).await.unwrap().unwrap();
            let rows = app.store.counts(portal.id, Dimension::Pageviews, "2000-01-01", "2100-01-01").await.unwrap();
            rows.into_iter().map(|r| r.day).collect::<Vec<_>>()
        }
    };
    assert_eq!(day_of("alpha").await, ["2027-01-16"]);
    assert_eq!(day_of("beta").await, ["2027-01-15"], "beta keeps Europe/Paris");
    // The dashboard's period ends on the portal's today.
    let page = admin.get("/backoffice/audience/").await;
    assert!(page.text().contains("2027-01-16"), "{}", page.text());
}

#[tokio::test]
async fn an_7_countries_only_where_turned_on_and_from_the_offline_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dbip-country-lite.csv");
    std::fs::write(&db, "192.0.2.0,192.0.2.255,FR\n198.51.100.0,198.51.100.255,GP\n").unwrap();
    let config = WebConfig { trusted_proxy: true, geoip_country_db: Some(db), ..WebConfig::default() };
    let app = TestApp::with_config(config).await;
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let form = admin.get("/backoffice/privacy/").await;
    assert!(form.body.contains("name=\"audience_country\""));
    let token = form.form_token().unwrap();
    let on = [("csrfmiddlewaretoken", token.as_str()), ("audience_retention_months", "25"), ("audience_country", "on")];
    assert_eq!(admin.post("/backoffice/privacy/settings/", &on).await.status, StatusCode::SEE_OTHER);

    for ip in ["192.0.2.5", "192.0.2.6", "198.51.100.7", "203.0.113.9"] {
        visit(&app, ALPHA, "/", ip, FIREFOX, &[]).await;
        visit(&app, BETA, "/", ip, FIREFOX, &[]).await;
    }
    assert_eq!(counts(&app, "alpha", Dimension::Countries).await, [("FR".into(), 2), ("GP".into(), 1)]);
    assert!(counts(&app, "beta", Dimension::Countries).await.is_empty(), "off by default");
    assert!(admin.get("/backoffice/audience/").await.text().contains("GP"));
    // POL-6: the policy page says so where it is on.
    assert!(app.get(ALPHA, "/terms/cookies-policy/").await.body.contains("id=\"policy-audience-country\""));
    assert!(!app.get(BETA, "/terms/cookies-policy/").await.body.contains("id=\"policy-audience-country\""));

    // Unchecked, counting stops.
    let off = [("csrfmiddlewaretoken", token.as_str()), ("audience_retention_months", "25")];
    admin.post("/backoffice/privacy/settings/", &off).await;
    visit(&app, ALPHA, "/", "192.0.2.5", FIREFOX, &[]).await;
    assert_eq!(counts(&app, "alpha", Dimension::Countries).await, [("FR".into(), 2), ("GP".into(), 1)]);
}

#[tokio::test]
async fn an_7_without_a_database_countries_cannot_be_turned_on() {
    let app = app().await;
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = admin.get("/backoffice/privacy/").await.form_token().unwrap();
    let on = [("csrfmiddlewaretoken", token.as_str()), ("audience_retention_months", "25"), ("audience_country", "on")];
    admin.post("/backoffice/privacy/settings/", &on).await;
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    assert!(!app.store.privacy_settings(alpha.id).await.unwrap().audience_country);
}

#[tokio::test]
async fn an_7_a_broken_database_stops_the_start_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("countries.csv");
    std::fs::write(&db, "192.0.2.0,192.0.2.255,FR\nnonsense\n").unwrap();
    let store = std::sync::Arc::new(portail_store::SqliteStore::open(&dir.path().join("p.db")).await.unwrap());
    let catalog = portail_catalog::Catalog::new(store.clone(), dir.path());
    let config = WebConfig { geoip_country_db: Some(db), ..WebConfig::default() };
    let err = portail_web::App::new(config, store, catalog, std::sync::Arc::new(|| START)).err().expect("refused");
    assert!(err.contains("countries.csv") && err.contains("line 2"), "{err}");
}
