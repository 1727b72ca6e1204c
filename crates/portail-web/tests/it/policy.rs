//! The cookie-policy page and its JSON twin, rendered from the registry (POL-1…POL-5).

use crate::support::*;
use axum::http::StatusCode;
use portail_web::privacy::registry::COOKIES;
use serde_json::Value;

fn table_rows(body: &str) -> Vec<String> {
    body.match_indices("<tr data-cookie=\"")
        .map(|(i, _)| body[i + 17..].split('"').next().unwrap().to_owned())
        .collect()
}

fn positions(body: &str, needles: &[&str]) -> Vec<usize> {
    needles.iter().map(|n| body.find(n).unwrap_or_else(|| panic!("missing {n:?}"))).collect()
}

#[tokio::test]
async fn the_policy_lists_the_four_cookies_in_the_portals_language() {
    // spec: POL-1, POL-2, POL-3, REG-4
    let app = TestApp::new().await;
    for (host, lang, query) in
        [(ALPHA, "en", ""), (BETA, "fr", ""), (ALPHA, "fr", "?lang=fr"), (BETA, "en", "?lang=en")]
    {
        let r = app.get(host, &format!("/terms/cookies-policy/{query}")).await;
        assert_eq!(r.status, 200, "{host}{query}");
        assert_eq!(r.header("content-language"), Some(lang));
        let body = r.text();
        assert_eq!(table_rows(&body), ["sessionid", "django_language", "csrftoken", "cookies_preferences"]);
        let headings: &[&str] = if lang == "en" {
            &[
                "Cookies policy</h1>",
                "What is a cookie?</h2>",
                "Types of cookies</h2>",
                "<h2>Cookies used on http://",
                "Necessary cookies</h3>",
                "Audience measurement</h2>",
                "Your choices</h2>",
                "Versions</h2>",
            ]
        } else {
            &[
                "Charte cookies</h1>",
                "Qu'est-ce qu'un cookie ?</h2>",
                "Les différents types de cookies</h2>",
                "<h2>Cookies utilisés sur http://",
                "Cookies nécessaires</h3>",
                "Mesure d'audience</h2>",
                "Vos choix</h2>",
                "Versions</h2>",
            ]
        };
        let pos = positions(&body, headings);
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{host}{query}: sections out of order {pos:?}");
        assert!(body.contains(&format!("http://{host}")), "the policy names the portal's own URL");
        for c in COOKIES {
            let lang = if lang == "en" { portail_core::Lang::En } else { portail_core::Lang::Fr };
            assert!(body.contains(c.purpose.get(lang)), "{}: purpose in {lang}", c.name);
            assert!(body.contains(c.function.get(lang)), "{}: function in {lang}", c.name);
            assert!(body.contains(&format!("data-max-age=\"{}\"", c.max_age_s)));
        }
        let lifetimes: &[&str] = if lang == "en" {
            &["14 days", "1 year", "52 weeks (364 days)", "180 days"]
        } else {
            &["14 jours", "1 an", "52 semaines (364 jours)", "180 jours"]
        };
        positions(&body, lifetimes);
        assert!(body.contains("<td>portail</td>"), "the provider is the operator's name");
        assert!(r.set_cookies().is_empty(), "the policy page sets no cookie (POL-8)");
    }
}

#[tokio::test]
async fn the_json_twin_equals_the_registry() {
    // spec: POL-5, REG-4
    let app = TestApp::new().await;
    let r = app.get(BETA, "/terms/cookies-policy/registry.json").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let json: Value = serde_json::from_str(&r.body).unwrap();
    let cookies = json["cookies"].as_array().unwrap();
    assert_eq!(cookies.len(), COOKIES.len());
    for (row, spec) in cookies.iter().zip(COOKIES) {
        assert_eq!(row["name"], spec.name);
        assert_eq!(row["max_age_s"], spec.max_age_s);
        assert_eq!(row["http_only"], spec.http_only);
        assert_eq!(row["same_site"], "Lax");
        assert_eq!(row["path"], "/");
        assert_eq!(row["category"], "necessary");
        assert_eq!(row["purpose"]["fr"], spec.purpose.fr);
        assert_eq!(row["function"]["en"], spec.function.en);
    }
    assert_eq!(json["consent_version"].as_str().unwrap().len(), 8);
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn every_page_links_the_policy_from_its_footer() {
    // spec: POL-1, PAN-3 (policy link part)
    let app = TestApp::new().await;
    for path in ["/", "/login/", "/terms/cookies-policy/", "/missing/"] {
        let r = app.get(BETA, path).await;
        let body = r.text();
        let footer = &body[body.find("<footer").expect("footer")..];
        assert!(footer.contains("href=\"/terms/cookies-policy/\""), "{path}");
    }
}

#[tokio::test]
async fn pur_2_the_policy_maps_the_seed_categories_to_what_portail_does() {
    let app = TestApp::new().await;
    for (host, lang, sentences) in [
        (
            ALPHA,
            "en",
            [
                "They do not require the user’s consent.",
                "This portal uses no statistical cookie: its audience measurement works without cookies.",
                "This portal sets none beyond the necessary ones.",
                "They require consent; this portal sets none without it.",
            ],
        ),
        (
            BETA,
            "fr",
            [
                "Ils ne requièrent pas de consentement de la part de l'utilisateur.",
                "Ce portail n'utilise aucun cookie statistique : sa mesure d'audience fonctionne sans cookie.",
                "Ce portail n'en dépose aucun au-delà des cookies nécessaires.",
                "Ils requièrent un consentement ; ce portail n'en dépose aucun sans lui.",
            ],
        ),
    ] {
        let body = app.get(host, "/terms/cookies-policy/").await.text();
        let types = &body[body.find("<h2>").unwrap()..];
        let types = &types[..types.find("<table").unwrap()];
        // Necessary, statistical, internal, third-party: in this order, each with its rule.
        let pos = positions(types, &sentences);
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "PUR-2 in {lang}: {pos:?}");
    }
}

#[tokio::test]
async fn pol_7_admins_add_their_own_text_around_the_policy_and_nothing_else() {
    let app = TestApp::new().await;
    let before = app.get(ALPHA, "/terms/cookies-policy/").await.text();
    assert!(!before.contains("policy-own-text"));
    let version = |body: &str| body.split("id=\"versions\"").nth(1).unwrap().split("</ul>").next().unwrap().to_owned();

    let mut admin = app.browser(ALPHA);
    admin.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let form = admin.get("/backoffice/privacy/").await;
    let html = form.text();
    let token = form.form_token().unwrap();
    // The back office offers these four texts and no field over the generated sections.
    let start = html.find("action=\"/backoffice/privacy/policy-text/\"").expect("POL-7 form");
    let policy_form = &html[start..start + html[start..].find("</form>").unwrap()];
    let names: Vec<&str> =
        policy_form.match_indices(" name=\"").map(|(i, _)| policy_form[i + 7..].split('"').next().unwrap()).collect();
    assert_eq!(
        names,
        ["csrfmiddlewaretoken", "policy_before_en", "policy_before_fr", "policy_after_en", "policy_after_fr"]
    );

    let fields = [
        ("csrfmiddlewaretoken", token.as_str()),
        ("policy_before_en", "Alphaville's data team.\r\nWrite to us.\r\n\r\n<b>Second</b> paragraph"),
        ("policy_before_fr", "Équipe données d'Alphaville."),
        ("policy_after_en", "Last updated by the town."),
        ("policy_after_fr", ""),
        // Not an editable part: ignored.
        ("policy-necessary-heading", "Nothing necessary"),
    ];
    let r = admin.post("/backoffice/privacy/policy-text/", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let raw = app.get(ALPHA, "/terms/cookies-policy/").await.body;
    assert!(
        raw.contains(
            "<p>Alphaville&#x27;s data team.<br>Write to us.</p><p>&lt;b&gt;Second&lt;&#x2f;b&gt; paragraph</p>"
        ),
        "paragraphs of lines, the admin's markup escaped: {raw}"
    );
    let page = app.get(ALPHA, "/terms/cookies-policy/").await.text();
    let own = page.find("id=\"policy-text-before\"").expect("text before section 1");
    assert!(own < page.find("Cookies policy</h1>").unwrap(), "POL-7: before section 1");
    let after = page.find("id=\"policy-text-after\"").expect("text after section 8");
    assert!(after > page.find("Versions</h2>").unwrap(), "POL-7: after section 8");
    assert!(!page.contains("Équipe"), "the French text stays on the French page");
    assert_eq!(table_rows(&page), ["sessionid", "django_language", "csrftoken", "cookies_preferences"]);
    assert!(page.contains("Necessary cookies</h3>"));
    assert_eq!(version(&page), version(&before), "free text is not a new consent version (ASK-2)");
    let fr = app.get(ALPHA, "/terms/cookies-policy/?lang=fr").await.text();
    assert!(fr.contains("Équipe données d'Alphaville.") && !fr.contains("policy-text-after"));

    // Only admins, with the form's token, and within the length limit.
    let long = "x".repeat(4001);
    let too_long = [("csrfmiddlewaretoken", token.as_str()), ("policy_after_fr", long.as_str())];
    let r = admin.post("/backoffice/privacy/policy-text/", &too_long).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("After the policy, in French") && r.text().contains("4000"), "{}", r.text());
    assert!(app.get(ALPHA, "/terms/cookies-policy/").await.text().contains("Last updated by the town."), "unchanged");
    assert_eq!(admin.post("/backoffice/privacy/policy-text/", &[("policy_before_en", "x")]).await.status, 403);
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let token = editor.get("/backoffice/").await.form_token().unwrap();
    let r = editor
        .post("/backoffice/privacy/policy-text/", &[("csrfmiddlewaretoken", &token), ("policy_before_en", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
