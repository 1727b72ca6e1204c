//! Consent end to end, in process: banner, panel, the one POST that records a choice, the
//! content page's placeholder, the CSP, signals and proof of consent. Test names carry the
//! statement IDs of shared/spec/consent-and-privacy.md.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use portail_store::{MetadataStore, PrivacyStore};

const VIDEO_ORIGIN: &str = "http://video.thirdparty.localhost:9";

async fn app_with_video() -> TestApp {
    let app = TestApp::new().await;
    app.enable_video("alpha", VIDEO_ORIGIN, ALPHA).await;
    app
}

fn csp_directive<'a>(csp: &'a str, name: &str) -> &'a str {
    csp.split("; ").find(|d| d.starts_with(name)).unwrap_or("")
}

#[tokio::test]
async fn ban_1_2_3_the_banner_shows_only_where_there_is_something_to_consent_to() {
    let app = app_with_video().await;
    let page = app.get(ALPHA, "/").await;
    let html = page.text();
    assert!(html.contains(r#"id="consent-banner" role="region""#), "BAN-1: first visit on a portal with a purpose");
    assert!(html.contains(r#"<form method="post" action="/consent/""#));
    assert!(html.contains(r#"name="choice" value="refuse_all" class="consent-button""#));
    assert!(html.contains(r#"name="choice" value="accept_all" class="consent-button""#));
    assert!(html.contains(r#"href="/consent/?next=%2F""#), "BAN-3: Customise link");
    assert!(html.contains("TubeCo") && html.contains("Alphaville") && html.contains("180"), "BAN-5");
    // Refuse comes before accept, both buttons in one container (BAN-4's markup half).
    assert!(html.find("refuse_all").unwrap() < html.find("accept_all").unwrap());
    assert!(!html.contains("aria-modal"), "BAN-6: not modal");
    // BAN-2: the other portal has no purpose, so no banner anywhere.
    for path in ["/", "/terms/cookies-policy/", "/login/", "/nowhere/", "/consent/"] {
        assert!(!app.get(BETA, path).await.text().contains("consent-banner"), "BAN-2 on {path}");
    }
    // BAN-1: never on the panel itself (the back office is checked by the browser audit).
    assert!(!app.get(ALPHA, "/consent/").await.text().contains("consent-banner"));
}

#[tokio::test]
async fn ck_18_19_pan_7_ban_8_choices_are_recorded_and_set_only_by_post_consent() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    visitor.get("/").await;
    visitor.get("/consent/").await;
    assert!(!visitor.has("cookies_preferences"), "CK-18: never because of a page view");

    let r =
        visitor.post("/consent/", &[("choice", "refuse_all"), ("next", "/pages/video/"), ("source", "banner")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/pages/video/"), "BAN-8: back to next");
    let set = r.set_cookies().into_iter().find(|c| c.starts_with("cookies_preferences=")).unwrap();
    assert!(set.contains("Max-Age=15552000") && set.contains("HttpOnly") && set.contains("SameSite=Lax"));
    let value = visitor.jar["cookies_preferences"].clone();
    let parts: Vec<&str> = value.split('.').collect();
    assert_eq!(parts.len(), 6, "CK-19: {value}");
    assert_eq!(parts[3], "video-d_audience-a");
    assert!(!visitor.get("/").await.text().contains("consent-banner"), "ASK-3/PAN-6: a refusal is honoured");

    // A foreign next is not followed; an unknown choice is a 400 that changes nothing.
    let r = visitor.post("/consent/", &[("choice", "accept_all"), ("next", "https://evil.example/")]).await;
    assert_eq!(r.location(), Some("/"));
    let before = visitor.jar["cookies_preferences"].clone();
    let r = visitor.post("/consent/", &[("choice", "accept_some")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.set_cookies().is_empty());
    assert_eq!(visitor.jar["cookies_preferences"], before);

    // With JavaScript: JSON, same effects.
    let r = visitor
        .post_with(
            "/consent/",
            &[("choice", "save"), ("audience", "objected"), ("purpose_nothing", "on")],
            &[("origin", "http://alpha.localhost"), ("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let state: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(state["purposes"], serde_json::json!({"video": false}), "BAN-10: unknown keys ignored");
    assert_eq!(state["audience"], "objected");
    assert!(visitor.jar["cookies_preferences"].contains("video-d_audience-o"));
}

#[tokio::test]
async fn ban_10_ck_17_cross_site_choices_are_refused_without_needing_a_token() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    let r = visitor.post_with("/consent/", &[("choice", "accept_all")], &[("origin", "https://evil.example")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = visitor.post_with("/consent/", &[("choice", "accept_all")], &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!visitor.has("cookies_preferences") && !visitor.has("csrftoken"));
}

#[tokio::test]
async fn tp_1_2_3_4_pan_5_the_video_loads_only_after_consent_and_leaves_on_withdrawal() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    let before = visitor.get("/pages/video/").await;
    let html = before.text();
    assert!(!html.contains(&format!("src=\"{VIDEO_ORIGIN}")), "TP-1: no vendor src before consent");
    assert!(html.contains("class=\"placeholder\"") && html.contains("Allow TubeCo"), "TP-3");
    assert!(html.contains(&format!("href=\"{VIDEO_ORIGIN}/embed/42\"")), "TP-3: plain link to the vendor");
    let csp = before.header("content-security-policy").unwrap().to_owned();
    assert!(!csp.contains("video.thirdparty"), "TP-2 before grant: {csp}");
    assert_eq!(before.header("referrer-policy"), Some("strict-origin-when-cross-origin"), "TP-8");

    // The placeholder's own form grants that one purpose (scenario d).
    let r = visitor
        .post(
            "/consent/",
            &[("choice", "save"), ("purpose_video", "on"), ("source", "placeholder"), ("next", "/pages/video/")],
        )
        .await;
    assert_eq!(r.location(), Some("/pages/video/"));
    let after = visitor.get("/pages/video/").await;
    let html = after.text();
    assert!(html.contains(&format!("<iframe class=\"video\" src=\"{VIDEO_ORIGIN}/embed/42\"")), "TP-4");
    assert!(html.contains("loading=\"lazy\"") && html.contains("referrerpolicy=\"strict-origin-when-cross-origin\""));
    let csp = after.header("content-security-policy").unwrap().to_owned();
    assert_eq!(csp_directive(&csp, "frame-src"), format!("frame-src 'self' {VIDEO_ORIGIN}"), "TP-2 after grant");
    assert_eq!(csp_directive(&csp, "script-src"), "script-src 'self'");

    // PAN-5: withdrawing deletes the vendor's cookie declared on the portal host.
    let r = visitor.post("/consent/", &[("choice", "refuse_all"), ("next", "/pages/video/")]).await;
    assert!(r.set_cookies().iter().any(|c| c.starts_with("tube_pref=; Max-Age=0; Path=/")), "{:?}", r.set_cookies());
    let again = visitor.get("/pages/video/").await;
    assert!(!again.text().contains("<iframe"));
    assert!(!again.header("content-security-policy").unwrap().contains("video.thirdparty"));
}

#[tokio::test]
async fn pan_1_2_3_the_panel_reflects_the_choice_and_the_signal_and_every_footer_links_it() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    let panel = visitor.get("/consent/").await.text();
    assert!(panel.contains(r#"name="purpose_video" value="on">"#), "PAN-1: unchecked by default");
    assert!(panel.contains(r#"name="audience" value="allowed" checked"#), "PAN-1: counted when no choice");
    for name in ["sessionid", "django_language", "csrftoken", "cookies_preferences"] {
        assert!(panel.contains(&format!("<code>{name}</code>")));
    }
    assert!(panel.contains(r#"value="save""#));
    visitor.post("/consent/", &[("choice", "accept_all")]).await;
    let panel = visitor.get("/consent/").await.text();
    assert!(panel.contains(r#"name="purpose_video" value="on" checked"#), "PAN-2: reflects the stored choice");

    let req = Request::get("/consent/").header("host", ALPHA).header("sec-gpc", "1").body(Body::empty()).unwrap();
    let with_signal = app.send(req).await.text();
    assert!(with_signal.contains("id=\"signal-applied\""), "PAN-2: the signal is explained");
    assert!(with_signal.contains(r#"name="audience" value="objected" checked"#));

    for (host, path) in [(ALPHA, "/"), (ALPHA, "/terms/cookies-policy/"), (ALPHA, "/nowhere/"), (BETA, "/login/")] {
        let html = app.get(host, path).await.text();
        assert!(html.contains("href=\"/consent/?next="), "PAN-3 on {host}{path}");
        assert!(html.contains("href=\"/terms/cookies-policy/\""), "PAN-3 on {host}{path}");
    }
    let fr = app.get(BETA, "/").await.text();
    assert!(fr.contains("Gestion des cookies"));
}

#[tokio::test]
async fn sig_1_4_rec_6_signals_refuse_everything_and_record_nothing() {
    let app = app_with_video().await;
    for signal in ["sec-gpc", "dnt"] {
        let req = Request::get("/pages/video/").header("host", ALPHA).header(signal, "1").body(Body::empty()).unwrap();
        let r = app.send(req).await;
        let html = r.text();
        assert!(!html.contains("consent-banner") && !html.contains("<iframe"), "SIG-1 with {signal}");
        assert!(r.set_cookies().is_empty(), "REC-6: no cookie because of a signal");
    }
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    assert!(app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap().is_empty(), "REC-6: no record");
    let gpc = app.get(BETA, "/.well-known/gpc.json").await;
    assert_eq!(gpc.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&gpc.body).unwrap();
    assert_eq!(body["gpc"], true);
    assert_eq!(body["lastUpdate"].as_str().unwrap().len(), 10, "SIG-4: {body}");
    let html = app.get(ALPHA, "/").await;
    let vary = html.header("vary").unwrap();
    assert!(["Cookie", "Sec-GPC", "DNT", "Accept-Language"].iter().all(|h| vary.contains(h)), "SIG-5");
}

#[tokio::test]
async fn rec_1_2_5_ask_2_4_records_prove_choices_and_a_new_version_asks_again() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    visitor.post("/consent/", &[("choice", "accept_all"), ("source", "banner")]).await;
    // Same second: records keep their insertion order.
    visitor.post("/consent/", &[("choice", "refuse_all"), ("source", "panel"), ("audience", "objected")]).await;
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    let records = app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].purposes["video"], "granted");
    assert_eq!(records[1].purposes["video"], "denied");
    assert_eq!(records[1].previous_record_id.as_deref(), Some(records[0].record_id.as_str()), "REC-1 chain");
    assert_eq!((records[1].source.as_str(), records[1].audience.as_str()), ("panel", "objected"));
    assert_eq!(records[0].ui_version.len(), 16);
    assert!(visitor.jar["cookies_preferences"].contains(&records[1].record_id), "the cookie names its record");

    // REC-5: the admin downloads records and the UI versions they name.
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let download = admin.get("/backoffice/privacy/records.json?from=2020-01-01&to=2030-12-31").await;
    assert_eq!(download.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(body["records"].as_array().unwrap().len(), 2);
    assert_eq!(body["ui_versions"][0]["ui_version"], records[0].ui_version.as_str());
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    assert_eq!(editor.get("/backoffice/privacy/records.json").await.status, StatusCode::FORBIDDEN);

    // ASK-2, ASK-4: "Ask visitors again" changes the version; the banner returns, nothing granted.
    let page = admin.get("/backoffice/privacy/").await;
    let token = page.form_token().unwrap();
    let r = admin.post("/backoffice/privacy/ask-again/", &[("csrfmiddlewaretoken", &token)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(visitor.get("/").await.text().contains("consent-banner"), "ASK-4");
    // CK-13: the back-office form needs its token.
    let r = admin.post("/backoffice/privacy/ask-again/", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ask_1_rec_3_fix_3_choices_expire_and_records_are_deleted_after_their_retention() {
    // FIX-3: time moves by the injected clock (`advance`), never by sleeping.
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    visitor.post("/consent/", &[("choice", "accept_all")]).await;
    assert!(!visitor.get("/").await.text().contains("consent-banner"));
    app.advance(180 * 86_400);
    assert!(visitor.get("/").await.text().contains("consent-banner"), "ASK-1: older than the lifetime");
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    portail_web::housekeeping::enforce_retention(&app.state).await;
    assert_eq!(app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap().len(), 1);
    app.advance(216 * 86_400);
    portail_web::housekeeping::enforce_retention(&app.state).await;
    assert!(app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap().is_empty(), "REC-3: 395 days");
}

#[tokio::test]
async fn reg_3_an_admin_enables_and_disables_an_integration_in_the_back_office() {
    let app = TestApp::new().await;
    let mut admin = app.browser(BETA);
    admin.sign_in(BETA_ADMIN, PASSWORD).await;
    let page = admin.get("/backoffice/privacy/").await;
    let token = page.form_token().unwrap();
    let bad = admin
        .post(
            "/backoffice/privacy/integrations/",
            &[
                ("csrfmiddlewaretoken", &token),
                ("kind", "video"),
                ("action", "enable"),
                ("vendor", "V"),
                ("origin", "https://*.v.example"),
                ("privacy_url", "https://v.example/p"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(!admin.get("/").await.text().contains("consent-banner"));
    let fields = [
        ("csrfmiddlewaretoken", token.as_str()),
        ("kind", "video"),
        ("action", "enable"),
        ("vendor", "Vidéos SA"),
        ("origin", "https://videos.example.org/"),
        ("privacy_url", "https://videos.example.org/privacy"),
        ("cookies", "vsid | videos.example.org | 3600 | Player | Lecteur"),
    ];
    assert_eq!(admin.post("/backoffice/privacy/integrations/", &fields).await.status, StatusCode::SEE_OTHER);
    let home = app.get(BETA, "/").await.text();
    assert!(home.contains("consent-banner") && home.contains("Vidéos SA"));
    let policy = app.get(BETA, "/terms/cookies-policy/").await.text();
    assert!(
        policy.contains("Contenus tiers")
            && policy.contains("vsid")
            && policy.contains("uniquement après votre consentement"),
        "POL-4"
    );
    let json: serde_json::Value =
        serde_json::from_str(&app.get(BETA, "/terms/cookies-policy/registry.json").await.body).unwrap();
    assert_eq!(json["integrations"][0]["origins"][0], "https://videos.example.org");
    let disable = [("csrfmiddlewaretoken", token.as_str()), ("kind", "video"), ("action", "disable")];
    assert_eq!(admin.post("/backoffice/privacy/integrations/", &disable).await.status, StatusCode::SEE_OTHER);
    assert!(!app.get(BETA, "/").await.text().contains("consent-banner"));
}

#[tokio::test]
async fn pol_2_the_policy_has_its_sections_in_order_with_versions() {
    let app = app_with_video().await;
    let html = app.get(ALPHA, "/terms/cookies-policy/").await.text();
    let headings = [
        "Cookies policy",
        "What is a cookie?",
        "Types of cookies",
        "Cookies used on http://alpha.localhost",
        "Necessary cookies",
        "Audience measurement",
        "Third-party content",
        "Your choices",
        "Versions",
    ];
    let mut at = 0;
    for h in headings {
        let found =
            html[at..].find(&format!(">{h}</h")).unwrap_or_else(|| panic!("POL-2: {h} missing or out of order"));
        at += found;
    }
    let json: serde_json::Value =
        serde_json::from_str(&app.get(ALPHA, "/terms/cookies-policy/registry.json").await.body).unwrap();
    let ui = json["ui_version"]["en"].as_str().unwrap();
    assert!(html.contains(ui) && html.contains(json["consent_version"].as_str().unwrap()), "POL-2 §8");
    assert!(html.contains("at most 25 months"), "POL-6");
}

#[tokio::test]
async fn tp_4_7_an_external_analytics_script_only_once_granted_and_never_in_embeds() {
    const STATS: &str = "https://stats.example.net";
    let app = crate::api::with_datasets().await;
    let portal = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    let stats = portail_store::privacy::IntegrationConfig {
        kind: "extanalytics".into(),
        vendor: "Statify".into(),
        origin: STATS.into(),
        privacy_url: format!("{STATS}/privacy"),
        cookies: vec![],
        enabled_at: START,
        resource: "/s.js?site=3".into(),
    };
    app.store.put_integration(portal.id, &stats, START).await.unwrap();
    let mut visitor = app.browser(ALPHA);
    let before = visitor.get("/").await;
    assert!(!before.text().contains("stats.example.net/s.js"), "TP-1/TP-4: no script before consent");
    let r = visitor.post("/consent/", &[("choice", "accept_all"), ("next", "/")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = visitor.get("/explore/").await;
    assert!(
        after.text().contains(r#"<script async src="https://stats.example.net/s.js?site=3" referrerpolicy="strict-origin-when-cross-origin">"#),
        "TP-4: {}",
        after.text()
    );
    let csp = after.header("content-security-policy").unwrap().to_owned();
    assert_eq!(csp_directive(&csp, "script-src"), format!("script-src 'self' {STATS}"), "TP-2");
    // TP-7: embeds render no third-party content, whatever the visitor allowed.
    let embed = visitor.get("/explore/embed/dataset/equipements/table/").await;
    assert_eq!(embed.status, StatusCode::OK);
    assert!(!embed.text().contains("stats.example.net"));

    // The back office takes a path on the vendor's origin, nothing that leaves it, and is not
    // measured even for staff who allowed the purpose.
    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    admin.post("/consent/", &[("choice", "accept_all"), ("next", "/")]).await;
    assert!(admin.get("/explore/").await.text().contains("stats.example.net/s.js"));
    let form = admin.get("/backoffice/privacy/").await;
    assert!(!form.text().contains("<script async src=\"https://stats.example.net"), "no analytics in the back office");
    let token = form.form_token().unwrap();
    for (path, status) in
        [("//evil.example/x.js", 400), ("/x.js\" onload=\"alert(1)", 400), ("", 400), ("/matomo.js", 303)]
    {
        let fields = [
            ("csrfmiddlewaretoken", token.as_str()),
            ("kind", "extanalytics"),
            ("action", "enable"),
            ("vendor", "Statify"),
            ("origin", STATS),
            ("privacy_url", "https://stats.example.net/privacy"),
            ("cookies", ""),
            ("resource", path),
        ];
        assert_eq!(admin.post("/backoffice/privacy/integrations/", &fields).await.status.as_u16(), status, "{path}");
    }
    let saved = app.store.privacy_settings(portal.id).await.unwrap();
    assert_eq!(saved.integrations.iter().find(|i| i.kind == "extanalytics").unwrap().resource, "/matomo.js");
}

#[tokio::test]
async fn tp_3_4_7_map_tiles_only_once_granted_and_never_in_embeds() {
    const TILES: &str = "https://tiles.example.org";
    let app = crate::api::with_datasets().await;
    let portal = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    let tiles = portail_store::privacy::IntegrationConfig {
        kind: "maptiles".into(),
        vendor: "TileCo".into(),
        origin: TILES.into(),
        privacy_url: format!("{TILES}/privacy"),
        cookies: vec![],
        enabled_at: START,
        resource: "/{z}/{x}/{y}.png".into(),
    };
    app.store.put_integration(portal.id, &tiles, START).await.unwrap();
    let map = "/explore/dataset/equipements/map/";
    let mut visitor = app.browser(ALPHA);
    let before = visitor.get(map).await;
    assert_eq!(before.status, StatusCode::OK);
    let html = before.text();
    assert!(html.contains("data-purpose=\"maptiles\"") && html.contains("Allow TileCo"), "TP-3: {html}");
    assert!(!html.contains("<image"), "TP-1: no tile before consent");
    let r = visitor.post("/consent/", &[("choice", "save"), ("purpose_maptiles", "on"), ("next", map)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = visitor.get(map).await;
    let html = after.text();
    let drawn = html.matches("<image href=\"https://tiles.example.org/").count();
    assert!(drawn >= 1 && html.contains(".png\""), "TP-4: {drawn} tiles in {html}");
    assert!(html.contains("TileCo") && !html.contains("data-purpose=\"maptiles\""));
    let csp = after.header("content-security-policy").unwrap().to_owned();
    assert_eq!(csp_directive(&csp, "img-src").split(' ').filter(|s| *s == TILES).count(), 1, "TP-2: {csp}");
    // TP-7: the embedded map draws its points alone, with neither tiles nor placeholder.
    let embed = visitor.get("/explore/embed/dataset/equipements/map/").await.text();
    assert!(!embed.contains("tiles.example.org") && !embed.contains("data-purpose"));

    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let token = admin.get("/backoffice/privacy/").await.form_token().unwrap();
    for (path, status) in [("/tiles.png", 400), ("https://x.example/{z}/{x}/{y}.png", 400), ("/{z}/{x}/{y}.png", 303)] {
        let fields = [
            ("csrfmiddlewaretoken", token.as_str()),
            ("kind", "maptiles"),
            ("action", "enable"),
            ("vendor", "TileCo"),
            ("origin", TILES),
            ("privacy_url", "https://tiles.example.org/privacy"),
            ("cookies", ""),
            ("resource", path),
        ];
        assert_eq!(admin.post("/backoffice/privacy/integrations/", &fields).await.status.as_u16(), status, "{path}");
    }
}

/// An external analytics integration, a second consent purpose beside the video.
fn statify() -> portail_store::privacy::IntegrationConfig {
    portail_store::privacy::IntegrationConfig {
        kind: "extanalytics".into(),
        vendor: "Statify".into(),
        origin: "https://stats.example.net".into(),
        privacy_url: "https://stats.example.net/privacy".into(),
        cookies: vec![],
        enabled_at: START,
        resource: "/s.js".into(),
    }
}

/// The `<form>` of the banner, from its opening tag to its end.
fn banner_of(html: &str) -> &str {
    let start = html.find(r#"id="consent-banner""#).expect("a banner");
    let end = html[start..].find("</section>").expect("the banner's end");
    &html[start..start + end]
}

#[tokio::test]
async fn pur_1_3_purposes_are_the_necessary_cookies_the_audience_and_one_per_integration() {
    let app = app_with_video().await;
    // PUR-3: a portal without integrations has no consent purpose: its panel has the necessary
    // cookies and the audience section, and nothing to accept or refuse.
    let mut visitor = app.browser(BETA);
    let panel = visitor.get("/consent/").await.text();
    assert!(panel.contains("<code>sessionid</code>") && panel.contains(r#"name="audience" value="objected""#));
    assert!(!panel.contains("name=\"purpose_"), "PUR-3: no purpose control");
    assert!(!panel.contains("value=\"accept_all\"") && !panel.contains("value=\"refuse_all\""), "PUR-3");
    assert!(panel.contains("value=\"save\""), "the objection can still be saved");
    let r = visitor.post("/consent/", &[("choice", "save"), ("audience", "objected")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(visitor.jar["cookies_preferences"].contains(".audience-o."), "{}", visitor.jar["cookies_preferences"]);
    let json: serde_json::Value =
        serde_json::from_str(&app.get(BETA, "/terms/cookies-policy/registry.json").await.body).unwrap();
    assert_eq!(json["integrations"], serde_json::json!([]));
    assert!(json["cookies"].as_array().unwrap().iter().all(|c| c["category"] == "necessary"), "PUR-1: {json}");

    // PUR-1: one consent purpose per enabled integration kind, off until granted.
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    app.store.put_integration(alpha.id, &statify(), app.now()).await.unwrap();
    let mut visitor = app.browser(ALPHA);
    let panel = visitor.get("/consent/").await.text();
    let controls: Vec<&str> = panel.match_indices("name=\"purpose_").map(|(i, _)| &panel[i + 14..i + 40]).collect();
    assert_eq!(controls.len(), 2, "PUR-1: {controls:?}");
    assert!(panel.contains(r#"name="purpose_video" value="on">"#));
    assert!(panel.contains(r#"name="purpose_extanalytics" value="on">"#), "PUR-1: off until granted");
    let json: serde_json::Value =
        serde_json::from_str(&app.get(ALPHA, "/terms/cookies-policy/registry.json").await.body).unwrap();
    let keys: Vec<&str> = json["integrations"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["extanalytics", "video"]);
    let banner = visitor.get("/").await.text();
    assert!(banner_of(&banner).contains("Statify") && banner_of(&banner).contains("TubeCo"));
}

#[tokio::test]
async fn ban_7_browsing_scrolling_away_or_following_links_is_not_consent() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    let home = visitor.get("/").await.text();
    // No close control is offered: the banner's only submit buttons are refuse and accept.
    let banner = banner_of(&home);
    let buttons: Vec<&str> =
        banner.match_indices("<button").map(|(i, _)| banner[i..].split('>').next().unwrap()).collect();
    assert_eq!(buttons.len(), 2, "{buttons:?}");
    assert!(buttons[0].contains(r#"value="refuse_all""#) && buttons[1].contains(r#"value="accept_all""#));
    // Following links, with a referrer as a browser sends it, and coming back later.
    for path in ["/explore/", "/terms/cookies-policy/", "/pages/video/", "/login/", "/"] {
        let req = Request::get(path).header("referer", "http://alpha.localhost/").body(Body::empty()).unwrap();
        let page = visitor.send(req).await;
        assert!(!visitor.has("cookies_preferences"), "BAN-7: {path} gave a choice cookie");
        assert!(page.text().contains("consent-banner"), "BAN-7: the banner is shown again on {path}");
    }
    app.advance(3_600);
    assert!(visitor.get("/").await.text().contains("consent-banner"), "BAN-7: leaving and returning");
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    assert!(app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap().is_empty(), "no choice recorded");
}

#[tokio::test]
async fn pan_4_ask_6_withdrawing_takes_the_two_steps_granting_takes_and_the_panel_is_always_open() {
    let app = app_with_video().await;
    let mut visitor = app.browser(ALPHA);
    // The footer link of any page, then one button: accept all.
    let footer_link = |html: &str| {
        let at = html.find("href=\"/consent/?next=").expect("footer link");
        html[at + 6..].split('"').next().unwrap().replace("&amp;", "&")
    };
    let page = visitor.get("/pages/video/").await.text();
    let panel = visitor.get(&footer_link(&page)).await.text();
    assert!(panel.contains(r#"name="next" value="/pages/video/""#), "back to the page afterwards");
    let r =
        visitor.post("/consent/", &[("choice", "accept_all"), ("source", "panel"), ("next", "/pages/video/")]).await;
    assert!(visitor.get(r.location().unwrap()).await.text().contains("<iframe"), "granted in two steps");

    // ASK-6: with a valid choice the panel still opens, and opening it is not asking again:
    // no cookie, no record, the choice unchanged, still no banner.
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    let stored = visitor.jar["cookies_preferences"].clone();
    let page = visitor.get("/explore/").await.text();
    let opened = visitor.get(&footer_link(&page)).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.set_cookies().is_empty(), "ASK-6: opening the panel sets nothing");
    assert!(opened.text().contains(r#"name="purpose_video" value="on" checked"#), "ASK-6: the choice stands");
    assert!(!opened.text().contains("consent-banner"));
    assert_eq!(visitor.jar["cookies_preferences"], stored);
    assert_eq!(app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap().len(), 1, "ASK-6: no record");
    assert!(!visitor.get("/").await.text().contains("consent-banner"), "ASK-6: the choice still applies");

    // PAN-4: from that page, footer link then one button withdraws everything.
    let r = visitor.post("/consent/", &[("choice", "refuse_all"), ("source", "panel"), ("next", "/explore/")]).await;
    assert_eq!(r.location(), Some("/explore/"));
    assert!(!visitor.get("/pages/video/").await.text().contains("<iframe"), "PAN-4: withdrawn in two steps");
    let records = app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap();
    assert_eq!(records.iter().map(|r| r.purposes["video"].as_str()).collect::<Vec<_>>(), ["granted", "denied"]);
}

#[tokio::test]
async fn sig_3_an_explicit_grant_under_a_signal_is_kept_for_that_purpose_only() {
    let app = app_with_video().await;
    let alpha = app.store.portal_by_slug("alpha").await.unwrap().unwrap();
    app.store.put_integration(alpha.id, &statify(), app.now()).await.unwrap();
    let mut visitor = app.browser(ALPHA);
    let gpc_get = |path: &str| Request::get(path).header("sec-gpc", "1").body(Body::empty()).unwrap();
    let before = visitor.send(gpc_get("/pages/video/")).await.text();
    assert!(!before.contains("<iframe") && !before.contains("consent-banner"), "SIG-1 first");

    // The visitor, signal on, grants the video alone in the panel.
    let r = visitor
        .post_with(
            "/consent/",
            &[("choice", "save"), ("purpose_video", "on"), ("source", "panel"), ("next", "/pages/video/")],
            &[("origin", "http://alpha.localhost"), ("sec-gpc", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let records = app.store.consent_records(alpha.id, 0, i64::MAX).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0].signal_present, "SIG-3: the record says a signal was present");
    assert_eq!(records[0].purposes["video"], "granted");
    assert_eq!(records[0].purposes["extanalytics"], "denied");

    // Honoured for that purpose, under the same signal; nothing else changes.
    let after = visitor.send(gpc_get("/pages/video/")).await;
    let html = after.text();
    assert!(html.contains(&format!("<iframe class=\"video\" src=\"{VIDEO_ORIGIN}/embed/42\"")), "SIG-3");
    assert!(!html.contains("stats.example.net/s.js"), "SIG-3: the other purpose stays off");
    assert!(!html.contains("consent-banner"));
    let csp = after.header("content-security-policy").unwrap().to_owned();
    assert!(csp.contains(VIDEO_ORIGIN) && !csp.contains("stats.example.net"), "{csp}");
    let panel = visitor.send(gpc_get("/consent/")).await.text();
    assert!(panel.contains(r#"name="audience" value="objected" checked"#), "SIG-2: still not counted");
}

#[tokio::test]
async fn an_12_nothing_beyond_the_exempt_measurement_runs_in_the_browser_without_consent() {
    let app = crate::api::with_datasets().await;
    app.enable_video("alpha", VIDEO_ORIGIN, ALPHA).await;
    // Every script a front-office page loads before any choice is the first-party consent helper.
    for path in ["/", "/explore/", "/explore/dataset/equipements/", "/pages/video/", "/terms/cookies-policy/"] {
        for host in [ALPHA, BETA] {
            let html = app.get(host, path).await.text();
            for (at, _) in html.match_indices("<script") {
                let tag = html[at..].split('>').next().unwrap();
                assert_eq!(tag, r#"<script src="/static/consent.js" defer"#, "AN-12 on {host}{path}");
            }
            assert!(!html.contains("<img src=\"http"), "AN-12: no pixel on {host}{path}");
        }
    }
    // That helper keeps nothing in the browser, reads no device property and calls only the
    // consent form's own address.
    let (status, script) = app.get_bytes(ALPHA, "/static/consent.js").await;
    assert_eq!(status, StatusCode::OK);
    let script = String::from_utf8(script.to_vec()).unwrap();
    for forbidden in [
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "document.cookie",
        "navigator.",
        "screen.",
        "Intl.",
        "sendBeacon",
    ] {
        assert!(!script.contains(forbidden), "AN-12: consent.js uses {forbidden}");
    }
    assert_eq!(script.matches("fetch(").count(), 1);
    assert!(script.contains("fetch(form.action"), "the only request is the form's own POST");
}
