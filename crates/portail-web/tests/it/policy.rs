//! The cookie-policy page and its JSON twin, rendered from the registry (POL-1…POL-5).

use crate::support::*;
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
