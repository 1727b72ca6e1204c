//! Front office: the catalog (`/explore/`), the dataset pages and their tabs, and the embeds.

use crate::api::with_datasets;
use crate::support::*;
use axum::body::Body;
use axum::http::Request;
use portail_store::privacy::Dimension;
use portail_store::{AudienceStore, MetadataStore};

/// A page's HTML with the entities the template engine writes for `/`, `'` and `&` decoded.
fn html(r: TestResponse) -> String {
    r.body.replace("&#x2f;", "/").replace("&#x27;", "'").replace("&amp;", "&")
}

/// The dataset ids listed on a catalog page, in order.
fn listed(body: &str) -> Vec<String> {
    body.split("data-dataset-id=\"").skip(1).map(|s| s.split('"').next().unwrap().to_owned()).collect()
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// A visit by a browser (requests without a User-Agent count as robots, AN-3).
async fn visit(app: &TestApp, path: &str, referer: Option<&str>) -> TestResponse {
    let mut req = Request::get(path).header("host", ALPHA).header("user-agent", FIREFOX);
    if let Some(r) = referer {
        req = req.header("referer", r);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

async fn counts(app: &TestApp, slug: &str, d: Dimension) -> Vec<(String, i64, i64)> {
    portail_web::housekeeping::flush_audience(&app.state).await;
    let portal = app.store.portal_by_slug(slug).await.unwrap().unwrap();
    let rows = app.store.counts(portal.id, d, "2000-01-01", "2100-01-01").await.unwrap();
    rows.into_iter().map(|r| (r.key, r.count, r.zero_results)).collect()
}

#[tokio::test]
async fn the_catalog_lists_only_what_the_visitor_may_see() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/explore/").await;
    assert_eq!(r.status, 200);
    let mut ids = listed(&r.body);
    ids.sort();
    assert_eq!(ids, ["budget", "equipements"], "no draft, no restricted, no other portal's");
    assert!(r.set_cookies().is_empty(), "an anonymous catalog sets no cookie");
    assert!(html(r).contains("href=\"/explore/dataset/equipements/\""));

    let mut user = app.browser(ALPHA);
    user.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let mut ids = listed(&user.get("/explore/").await.body);
    ids.sort();
    assert_eq!(ids, ["budget", "equipements", "interne"], "signed-in users see restricted datasets");

    assert_eq!(listed(&app.get(BETA, "/explore/").await.body), ["parcs"]);
    let home = html(app.get(ALPHA, "/").await);
    assert!(
        home.contains("href=\"/explore/dataset/budget/\"") && !home.contains("/explore/dataset/interne/"),
        "{home}"
    );
    // Without the trailing slash, the catalog redirects to it.
    let r = app.get(ALPHA, "/explore?q=budget").await;
    assert_eq!((r.status.as_u16(), r.location()), (303, Some("/explore/?q=budget")));
}

#[tokio::test]
async fn the_catalog_searches_filters_sorts_and_counts_searches() {
    let app = with_datasets().await;
    assert_eq!(listed(&visit(&app, "/explore/?q=%20Budg", None).await.body), ["budget"], "words match as prefixes");
    assert_eq!(listed(&visit(&app, "/explore/?q=equipemnts", None).await.body), ["equipements"], "a typo is forgiven");
    assert_eq!(listed(&app.get(ALPHA, "/explore/?feature=geo").await.body), ["equipements"]);
    let none = visit(&app, "/explore/?q=%3Cscript%3Ezzz", None).await;
    assert_eq!(none.status, 200);
    assert!(listed(&none.body).is_empty());
    assert!(none.body.contains("No dataset matches"), "{}", none.body);
    assert!(!none.body.contains("<script>zzz"), "the search text is escaped");
    assert!(none.body.contains("&lt;script&gt;zzz"));
    assert_eq!(listed(&app.get(ALPHA, "/explore/?sort=title").await.body), ["budget", "equipements"]);
    let by_rows = listed(&app.get(ALPHA, "/explore/?sort=records").await.body);
    assert_eq!(by_rows.len(), 2);
    // A page past the end shows the last one; a silly page number is not an error.
    assert_eq!(app.get(ALPHA, "/explore/?page=99").await.status, 200);
    assert_eq!(app.get(ALPHA, "/explore/?page=x").await.status, 200);

    // AN-9: searches are counted lower-cased and trimmed, with their empty outcomes.
    let searches = counts(&app, "alpha", Dimension::Searches).await;
    assert!(searches.contains(&("budg".into(), 1, 0)), "{searches:?}");
    assert!(searches.contains(&("<script>zzz".into(), 1, 1)), "{searches:?}");
}

#[tokio::test]
async fn the_catalog_speaks_french() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, "/explore/?lang=fr").await;
    assert!(r.body.contains("Catalogue de données"), "{}", r.body);
    assert!(r.body.contains("2 jeux de données"));
    assert!(r.body.contains("enregistrements"));
    let en = app.get(ALPHA, "/explore/?lang=en").await;
    assert!(en.body.contains("2 datasets"));
}

#[tokio::test]
async fn every_tab_of_a_dataset_answers_with_its_content() {
    let app = with_datasets().await;
    let page = |tab: &str| format!("/explore/dataset/equipements/{tab}");
    let info = app.get(ALPHA, "/explore/dataset/equipements/").await;
    assert_eq!(info.status, 200);
    assert!(info.body.contains("Capacité") && info.body.contains("<code>capacite</code>"), "fields listed");
    assert!(info.body.contains("aria-current=\"page\">Information"));
    for tab in ["information/", "table/", "map/", "analyze/", "export/", "api/"] {
        let r = app.get(ALPHA, &page(tab)).await;
        assert_eq!(r.status, 200, "{tab}: {}", r.body);
        assert!(r.set_cookies().is_empty(), "{tab}");
        assert!(html(r).contains("href=\"/explore/dataset/equipements/map/\""), "{tab}: the tab list");
    }

    let table = html(app.get(ALPHA, &page("table/")).await);
    for town in ["Brantôme", "Saint-Étienne", "L'Haÿ-les-Roses", "Œuilly"] {
        assert!(table.contains(town), "{town} in {table}");
    }
    assert!(table.contains("Records 1 to 4 of 4"), "{table}");
    let searched = app.get(ALPHA, &page("table/?q=m%C3%A9diath%C3%A8que")).await.body;
    assert!(searched.contains("Haÿ") && !searched.contains("Brantôme"), "full-text search in the table");
    let sorted = app.get(ALPHA, &page("table/?sort=-capacite")).await.body;
    let (big, small) = (sorted.find("Haÿ").unwrap(), sorted.find("Brantôme").unwrap());
    assert!(big < small, "descending capacity");
    assert!(sorted.contains("aria-sort=\"descending\""));
    // An unknown sort field is ignored rather than an error.
    assert_eq!(app.get(ALPHA, &page("table/?sort=nope")).await.status, 200);

    let map = html(app.get(ALPHA, &page("map/")).await);
    assert_eq!(map.matches("<circle").count(), 3, "one point per located record (Œuilly has none)");
    assert!(!map.contains("src=\"http") && !map.contains("href=\"http"), "no tiles or links elsewhere");
    assert!(map.contains("<title>Brantôme</title>"), "points carry the first text field");

    let chart = app.get(ALPHA, &page("analyze/")).await.body;
    assert_eq!(chart.matches("class=\"chart-bar\"").count(), 4, "one bar per town: {chart}");
    let sum = app.get(ALPHA, &page("analyze/?y=sum:capacite&x=categorie")).await.body;
    assert!(sum.contains("<td>Culture</td><td>45000</td>"), "{sum}");
    // Bars are proportional: the largest spans the chart, Sport's capacity 0 has no length.
    assert!(sum.contains("width=\"600.0\" height=\"16\" class=\"chart-bar\"><title>Culture"), "{sum}");
    assert!(sum.contains("width=\"0.0\" height=\"16\" class=\"chart-bar\"><title>Sport"), "{sum}");
    // Without a choice, the chart groups by a text field with few values (the town, not the description).
    assert!(chart.contains("<option value=\"commune\" selected>"), "{chart}");
    let bad = app.get(ALPHA, &page("analyze/?x=nope")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Unknown field: nope"), "{}", bad.body);

    let export = html(app.get(ALPHA, &page("export/")).await);
    for f in ["csv", "json", "jsonl", "geojson", "kml", "gpx", "shp", "parquet", "xlsx"] {
        assert!(export.contains(&format!("/api/explore/v2.1/catalog/datasets/equipements/exports/{f}\"")), "{f}");
    }
    assert!(!export.contains("export-format-"), "every format has a translated name");
    let api = html(app.get(ALPHA, &page("api/")).await);
    assert!(api.contains("http://alpha.localhost/api/explore/v2.1/catalog/datasets/equipements/records?limit=10"));
    assert!(api.contains("action=\"/api/explore/v2.1/catalog/datasets/equipements/records\""));
}

#[tokio::test]
async fn dataset_pages_follow_the_api_visibility_rules() {
    let app = with_datasets().await;
    for path in [
        "/explore/dataset/nope/",
        "/explore/dataset/brouillon/",
        "/explore/dataset/interne/",
        "/explore/dataset/parcs/",
        "/explore/dataset/equipements/nope/",
        "/explore/dataset/budget/map/",
    ] {
        assert_eq!(app.get(ALPHA, path).await.status, 404, "{path}");
    }
    let mut user = app.browser(ALPHA);
    user.sign_in(ALPHA_ADMIN, PASSWORD).await;
    assert_eq!(user.get("/explore/dataset/interne/table/").await.status, 200);
    assert_eq!(app.get(BETA, "/explore/dataset/parcs/map/").await.status, 200);
    // The download URL keeps its place beside the tabs.
    assert_eq!(app.get(ALPHA, "/explore/dataset/equipements/download/?format=csv").await.status, 200);
}

#[tokio::test]
async fn embeds_set_no_cookie_show_no_banner_and_may_be_framed() {
    // spec: TP-7, AN-2
    let app = with_datasets().await;
    app.enable_video("alpha", "https://video.example", "video.example").await;
    let path = "/explore/embed/dataset/equipements/table/";
    let page = app.get(ALPHA, "/explore/dataset/equipements/table/").await;
    assert!(page.body.contains("consent-banner"), "the portal asks on its own pages");
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");

    let mut user = app.browser(ALPHA);
    user.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let before = user.seen_set_cookies.len();
    let embed = user.get(path).await;
    assert_eq!(embed.status, 200);
    assert!(embed.body.contains("Brantôme"));
    assert!(!embed.body.contains("consent-banner"), "no banner in an embed");
    assert!(!embed.body.contains("csrfmiddlewaretoken"));
    assert_eq!(user.seen_set_cookies.len(), before, "no cookie, even signed in");
    let csp = embed.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors *") && !csp.contains("video.example"), "{csp}");
    assert_eq!(app.get(ALPHA, "/explore/embed/dataset/equipements/map/").await.status, 200);
    for other in ["information", "export", "api"] {
        assert_eq!(app.get(ALPHA, &format!("/explore/embed/dataset/equipements/{other}/")).await.status, 404);
    }

    assert_eq!(visit(&app, path, Some("https://blog.example.org/post/1?x=y")).await.status, 200);
    visit(&app, "/explore/dataset/equipements/analyze/", None).await;
    visit(&app, "/explore/dataset/equipements/table/", None).await;
    let embeds = counts(&app, "alpha", Dimension::Embeds).await;
    assert!(embeds.contains(&("equipements blog.example.org".into(), 1, 0)), "{embeds:?}");
    let views = counts(&app, "alpha", Dimension::Datasets).await;
    assert!(views.contains(&("equipements analyze".into(), 1, 0)), "per dataset and tab: {views:?}");
    assert!(views.contains(&("equipements table".into(), 1, 0)), "{views:?}");
}
