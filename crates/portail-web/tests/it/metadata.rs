//! A dataset's information (title, description, themes, keywords, licence, publisher): edited in
//! the back office, then shown by the API, the catalog's search and facets, v1 and harvests.

use crate::api::{json, with_datasets};
use crate::support::*;
use axum::http::StatusCode;
use serde_json::json as j;

const FORM: &str = "/backoffice/datasets/equipements/metadata/";

async fn save(b: &mut Browser<'_>, fields: &[(&str, &str)]) -> TestResponse {
    let token = b.get(FORM).await.form_token().expect("the form has a token");
    let mut all = vec![("csrfmiddlewaretoken", token.as_str())];
    all.extend_from_slice(fields);
    b.post(FORM, &all).await
}

const FULL: &[(&str, &str)] = &[
    ("title", "Équipements municipaux"),
    ("description", "Les équipements de la ville."),
    ("theme", "Culture, Sport"),
    ("keyword", "piscine, médiathèque"),
    ("license", "Licence Ouverte v2.0"),
    ("license_url", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    ("publisher", "Direction des sports"),
];

#[tokio::test]
async fn editors_change_a_datasets_information_and_the_api_shows_it() {
    let app = with_datasets().await;
    let (_, before, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    assert_eq!(before["metas"]["default"]["theme"], serde_json::Value::Null, "unset is null");

    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let list = editor.get("/backoffice/datasets/").await.text();
    assert!(list.contains(&format!("href=\"{FORM}\"")), "the datasets page links the form");
    let r = save(&mut editor, FULL).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/backoffice/datasets/equipements/metadata/?saved=1"));

    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    let m = &v["metas"]["default"];
    assert_eq!(m["title"], "Équipements municipaux");
    assert_eq!(m["description"], "Les équipements de la ville.");
    assert_eq!(m["theme"], j!(["Culture", "Sport"]));
    assert_eq!(m["keyword"], j!(["piscine", "médiathèque"]));
    assert_eq!(m["license"], "Licence Ouverte v2.0");
    assert_eq!(m["license_url"], "https://www.etalab.gouv.fr/licence-ouverte-open-licence/");
    assert_eq!(m["publisher"], "Direction des sports");

    // The catalog's ODSQL, full text, select and facets see them.
    let base = "/api/explore/v2.1/catalog/datasets?select=dataset_id";
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&where=theme%3D%22Sport%22")).await;
    assert_eq!(v["results"], j!([{"dataset_id": "equipements"}]), "{v}");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&where=search(%22piscine%22)")).await;
    assert_eq!(v["total_count"], 1, "{v}");
    let (_, v, _) = json(&app, ALPHA, &format!("{base}&refine=publisher:%22Direction%20des%20sports%22")).await;
    assert_eq!(v["total_count"], 1, "{v}");
    let (_, v, _) =
        json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets?select=title,keyword&where=keyword%3D%22piscine%22")
            .await;
    assert_eq!(v["results"], j!([{"title": "Équipements municipaux", "keyword": ["piscine", "médiathèque"]}]), "{v}");
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/facets?facet=theme&facet=license").await;
    assert_eq!(v["facets"][0]["facets"][0]["name"], "Culture", "{v}");
    assert_eq!(
        v["facets"][1]["facets"][0],
        j!({"name": "Licence Ouverte v2.0", "value": "Licence Ouverte v2.0", "count": 1, "state": "displayed"})
    );
    let (_, v, _) = json(&app, ALPHA, "/api/datasets/1.0/equipements/").await;
    assert_eq!(v["metas"]["theme"], j!(["Culture", "Sport"]), "v1: {v}");
    assert_eq!(v["metas"]["publisher"], "Direction des sports");

    // Harvests: DCAT keywords, licence and publisher; data.json; the catalog CSV.
    let dcat = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/dcat").await.body;
    assert!(dcat.contains("<dcat:keyword xml:lang=\"en\">Sport</dcat:keyword>"), "{dcat}");
    assert!(dcat.contains("<dcat:keyword xml:lang=\"en\">piscine</dcat:keyword>"));
    assert!(dcat.contains("<dct:license rdf:resource=\"https://www.etalab.gouv.fr/licence-ouverte-open-licence/\"/>"));
    assert!(dcat.contains("<foaf:name>Direction des sports</foaf:name>"));
    let ttl = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/ttl").await.body;
    assert!(
        ttl.contains("dcat:keyword \"piscine\"@en") && ttl.contains("dct:license <https://www.etalab.gouv.fr/"),
        "{ttl}"
    );
    let (_, pod, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/exports/data.json").await;
    let entry =
        pod["dataset"].as_array().unwrap().iter().find(|d| d["title"] == "Équipements municipaux").unwrap().clone();
    assert_eq!(entry["keyword"], j!(["piscine", "médiathèque"]));
    assert_eq!(entry["license"], "https://www.etalab.gouv.fr/licence-ouverte-open-licence/");
    let csv = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/csv").await.body;
    assert!(csv.contains("Direction des sports;Culture,Sport;piscine,médiathèque;Licence Ouverte v2.0"), "{csv}");

    // The catalog page filters by theme, counting each theme among the results.
    let catalog = app.get(ALPHA, "/explore/").await.text();
    assert!(catalog.contains("<h3>Themes</h3>") && catalog.contains(">Sport</a> (1)"), "{catalog}");
    let sport = app.get(ALPHA, "/explore/?theme=Sport").await.text();
    let cards = sport.matches("class=\"dataset-card\"").count();
    assert_eq!(cards, 1, "{sport}");
    assert!(sport.contains("data-dataset-id=\"equipements\"") && sport.contains("aria-current=\"true\">Sport</a>"));
    let none = app.get(ALPHA, "/explore/?theme=Sport&feature=timeserie").await.text();
    assert!(none.contains("data-dataset-id=\"equipements\""), "equipements has dates: {none}");
    let budget = app.get(ALPHA, "/explore/?theme=Finances").await;
    assert_eq!(budget.status, StatusCode::OK);
    assert_eq!(budget.text().matches("class=\"dataset-card\"").count(), 0);

    // The front office shows them on the dataset page.
    let page = app.get(ALPHA, "/explore/dataset/equipements/").await.text();
    for shown in ["Équipements municipaux", "Sport", "piscine", "Licence Ouverte v2.0", "Direction des sports"] {
        assert!(page.contains(shown), "{shown} on the dataset page");
    }
}

#[tokio::test]
async fn bad_information_is_refused_in_the_visitors_language_and_nothing_changes() {
    let app = with_datasets().await;
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    save(&mut editor, FULL).await;
    let r = save(&mut editor, &[("title", "Autre"), ("license_url", "licence ouverte")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Address of the licence: give an http(s) address without spaces."), "{}", r.text());
    assert!(r.text().contains("value=\"Autre\""), "the form keeps what was typed");
    let r = save(&mut editor, &[("title", " ")]).await;
    assert!(r.text().contains("Title: a dataset needs a title."));
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    assert_eq!(v["metas"]["default"]["title"], "Équipements municipaux", "unchanged");

    // In French for a French page.
    let r = editor.get(&format!("{FORM}?lang=fr")).await;
    let token = r.form_token().unwrap();
    let many: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    let many = many.join(",");
    let r = editor
        .post(&format!("{FORM}?lang=fr"), &[("csrfmiddlewaretoken", &token), ("title", "x"), ("keyword", &many)])
        .await;
    assert!(r.text().contains("Mots-clés : 50 éléments au plus."), "{}", r.text());
}

#[tokio::test]
async fn only_editors_of_the_portal_change_information() {
    let app = with_datasets().await;
    // Anonymous: sign in first.
    assert_eq!(app.get(ALPHA, FORM).await.status, StatusCode::SEE_OTHER);
    // Without the form's token: refused.
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    assert_eq!(editor.post(FORM, &[("title", "x")]).await.status, StatusCode::FORBIDDEN);
    // Another portal's dataset does not exist here.
    let mut beta = app.browser(BETA);
    beta.sign_in(BETA_ADMIN, PASSWORD).await;
    assert_eq!(beta.get(FORM).await.status, StatusCode::NOT_FOUND);
    let token = beta.get("/backoffice/").await.form_token().unwrap();
    let r = beta.post(FORM, &[("csrfmiddlewaretoken", &token), ("title", "Pris")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    assert_ne!(v["metas"]["default"]["title"], "Pris");
}

#[tokio::test]
async fn publishers_choose_the_facets_the_api_and_widgets_count() {
    let app = with_datasets().await;
    let facets = "/api/explore/v2.1/catalog/datasets/equipements/facets";
    let (_, v, _) = json(&app, ALPHA, facets).await;
    assert_eq!(v["facets"], j!([]), "no facet chosen yet");

    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let form = editor.get(FORM).await.text();
    assert!(
        form.contains(r#"name="facet" value="categorie""#) && !form.contains(r#"value="geo_point_2d""#),
        "geometries are not offered"
    );
    let mut fields = FULL.to_vec();
    fields.extend([("facet", "commune"), ("facet", "categorie")]);
    assert_eq!(save(&mut editor, &fields).await.status, StatusCode::SEE_OTHER);
    assert!(editor.get(FORM).await.text().contains(r#"name="facet" value="categorie" checked"#));

    // Annotated in the dataset object (v2.1 and v1), and counted when no facet is asked.
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    let annotations: Vec<(String, serde_json::Value)> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f["annotations"].clone()))
        .collect();
    assert!(annotations.contains(&("categorie".into(), j!({"facet": []}))), "{annotations:?}");
    assert!(annotations.contains(&("capacite".into(), j!({}))));
    let (_, v, _) = json(&app, ALPHA, "/api/datasets/1.0/equipements/").await;
    let commune = v["fields"].as_array().unwrap().iter().find(|f| f["name"] == "commune").unwrap().clone();
    assert_eq!(commune["annotations"], j!([{"name": "facet"}]));
    let (_, v, _) = json(&app, ALPHA, facets).await;
    let names: Vec<&str> = v["facets"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["commune", "categorie"], "in schema order");
    let (_, v, _) = json(&app, ALPHA, &format!("{facets}?facet=montant")).await;
    assert_eq!(v["facets"][0]["name"], "montant", "an explicit facet still wins");

    // A forged form naming a geometry is refused and changes nothing.
    let token = editor.get(FORM).await.form_token().unwrap();
    let r = editor.post(FORM, &[("csrfmiddlewaretoken", &token), ("title", "x"), ("facet", "geo_point_2d")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/equipements").await;
    assert_eq!(v["metas"]["default"]["title"], "Équipements municipaux");
}

#[tokio::test]
async fn a_translation_shows_in_its_language_in_the_api_and_the_pages() {
    let app = with_datasets().await;
    let mut editor = app.browser(ALPHA);
    editor.sign_in(ALPHA_EDITOR, PASSWORD).await;
    let page = editor.get(FORM).await;
    // Alphaville speaks English first: its datasets are translated into French.
    assert!(
        page.text().contains("Traduction : Français") || page.text().contains("Translation: Français"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"label.commune\""), "one label per field");
    let token = page.form_token().unwrap();
    let translate = "/backoffice/datasets/equipements/translation/";
    let r = editor
        .post(
            translate,
            &[
                ("csrfmiddlewaretoken", token.as_str()),
                ("title", "Équipements de la ville"),
                ("description", "Les équipements publics."),
                ("label.commune", "Commune d'implantation"),
                ("label.id", ""),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, Some("/backoffice/datasets/equipements/metadata/?saved=1"))
    );

    let base = "/api/explore/v2.1/catalog/datasets/equipements";
    let (_, fr, _) = json(&app, ALPHA, &format!("{base}?lang=fr")).await;
    assert_eq!(fr["metas"]["default"]["title"], "Équipements de la ville");
    assert_eq!(fr["metas"]["default"]["description"], "Les équipements publics.");
    assert_eq!(fr["metas"]["default"]["language"], "fr");
    let label = |v: &serde_json::Value, name: &str| {
        v["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["label"].clone()
    };
    assert_eq!(label(&fr, "commune"), "Commune d'implantation");
    assert_eq!(label(&fr, "id"), "id", "an empty label stays the original");
    // Without lang, or in a language without translation, the original.
    let (_, original, _) = json(&app, ALPHA, base).await;
    assert_eq!(original["metas"]["default"]["language"], "en");
    assert_ne!(original["metas"]["default"]["title"], "Équipements de la ville");
    let (_, list, _) = json(
        &app,
        ALPHA,
        "/api/explore/v2.1/catalog/datasets?lang=fr&select=title&where=dataset_id%3D%22equipements%22",
    )
    .await;
    assert_eq!(list["results"][0]["title"], "Équipements de la ville", "{list}");

    // The pages in French show it; in English, the original.
    let page = app.get(ALPHA, "/explore/dataset/equipements/?lang=fr").await;
    assert!(page.body.contains("Équipements de la ville") && page.body.contains("Les équipements publics."));
    let table = app.get(ALPHA, "/explore/dataset/equipements/table/?lang=fr").await;
    assert!(table.body.contains("Commune d&#x27;implantation") || table.body.contains("Commune d'implantation"));
    let catalog = app.get(ALPHA, "/explore/?lang=fr").await;
    assert!(catalog.body.contains("Équipements de la ville"));
    let english = app.get(ALPHA, "/explore/dataset/equipements/?lang=en").await;
    assert!(!english.body.contains("Équipements de la ville"));

    // A label for a field the dataset has not is refused; nothing changes.
    let token = editor.get(FORM).await.form_token().unwrap();
    let r = editor.post(translate, &[("csrfmiddlewaretoken", token.as_str()), ("label.nope", "X")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let (_, still, _) = json(&app, ALPHA, &format!("{base}?lang=fr")).await;
    assert_eq!(still["metas"]["default"]["title"], "Équipements de la ville");
}
