//! The catalog (`/explore/`): the datasets a visitor may see, searched by words (`q`), narrowed by
//! feature, sorted and paged. Server-rendered, so it works without a script; the search is
//! counted with its outcome (AN-9).

use crate::api::catalog::{self, Entry};
use crate::audience::SearchOutcome;
use crate::context::{query_value, Ctx};
use crate::front::format;
use axum::response::Response;
use portail_core::schema::collation_key;
use portail_core::time::iso_utc;
use serde_json::{json, Value};

pub const PAGE_SIZE: usize = 10;

/// The ways the list can be sorted, the first being the default.
const SORTS: [&str; 3] = ["modified", "title", "records"];

fn sort(entries: &mut [Entry], by: &str) {
    match by {
        "title" => entries.sort_by_key(|e| e.dataset.title.to_lowercase()),
        "records" => entries.sort_by_key(|e| std::cmp::Reverse(e.rows())),
        _ => entries.sort_by_key(|e| std::cmp::Reverse(e.dataset.modified_at)),
    }
}

/// What the list shows of one dataset.
pub(crate) fn summary(ctx: &Ctx, e: &Entry) -> Value {
    let mut d = e.dataset.clone();
    d.localize(ctx.lang);
    let d = &d;
    let first_paragraph = d.description.split("\n\n").next().unwrap_or("").trim();
    let features: Vec<String> = e.features().iter().map(|f| ctx.t(&format!("explore-feature-{f}"))).collect();
    json!({
        "id": d.dataset_id,
        "title": d.title,
        "excerpt": format::excerpt(first_paragraph, 240),
        "records": format::integer(ctx.lang, e.rows()),
        "count": e.rows(),
        "modified": iso_utc(d.modified_at)[..10],
        "restricted": d.restricted,
        "features": features,
        "theme": d.metas.theme,
        "keyword": d.metas.keyword,
        "license": d.metas.license,
        "license_url": d.metas.license_url,
        "publisher": d.metas.publisher,
    })
}

/// The catalog URL with `changes` applied to the current parameters (an empty value removes one).
fn link(current: &[(&str, String)], changes: &[(&str, &str)]) -> String {
    let pairs = current.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
    let changes: Vec<(&str, String)> = changes.iter().map(|(n, v)| (*n, v.to_string())).collect();
    format::url_with("/explore/", pairs, &changes)
}

pub async fn page(ctx: Ctx) -> Response {
    let query = ctx.path_and_query.split_once('?').map(|(_, q)| q);
    let q = query_value(query, "q").unwrap_or_default().trim().to_owned();
    let feature = query_value(query, "feature").unwrap_or_default();
    let theme = query_value(query, "theme").unwrap_or_default();
    let sort_by = query_value(query, "sort").filter(|s| SORTS.contains(&s.as_str())).unwrap_or(SORTS[0].into());
    let page_no = query_value(query, "page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);

    let mut all = match catalog::visible(&ctx.app, &ctx.site, &ctx.identity).await {
        Ok(all) => all,
        Err(err) => {
            tracing::error!(error = %err.message, "catalog listing failed");
            return ctx.error(portail_core::Code::Internal, "error-500-body");
        }
    };
    // Searched and sorted in the visitor's language, where the publisher translated.
    for e in &mut all {
        e.dataset.localize(ctx.lang);
    }
    let mut found: Vec<Entry> = all.into_iter().filter(|e| q.is_empty() || catalog::text_matches(e, &q)).collect();
    let searched = found.len();

    let mut current: Vec<(&str, String)> = vec![];
    if !q.is_empty() {
        current.push(("q", q.clone()));
    }
    if !feature.is_empty() {
        current.push(("feature", feature.clone()));
    }
    if !theme.is_empty() {
        current.push(("theme", theme.clone()));
    }
    if sort_by != SORTS[0] {
        current.push(("sort", sort_by.clone()));
    }
    // Counts of each filter among the search results narrowed by the other filter; each value
    // is a link that sets or removes it.
    let has_feature = |e: &Entry| feature.is_empty() || e.features().contains(&feature.as_str());
    let has_theme = |e: &Entry| theme.is_empty() || e.dataset.metas.theme.contains(&theme);
    let features: Vec<Value> = ["geo", "timeserie", "analyze"]
        .iter()
        .map(|f| {
            let count = found.iter().filter(|e| has_theme(e) && e.features().contains(f)).count();
            let active = feature == *f;
            json!({
                "label": ctx.t(&format!("explore-feature-{f}")),
                "count": count,
                "active": active,
                "href": link(&current, &[("feature", if active { "" } else { f }), ("page", "")]),
            })
        })
        .filter(|f| f["count"] != 0 || f["active"] == true)
        .collect();
    let mut theme_counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for e in found.iter().filter(|e| has_feature(e)) {
        for t in &e.dataset.metas.theme {
            *theme_counts.entry(t.as_str()).or_default() += 1;
        }
    }
    if !theme.is_empty() {
        theme_counts.entry(theme.as_str()).or_default();
    }
    let mut themes: Vec<(&str, usize)> = theme_counts.into_iter().collect();
    themes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| collation_key(a.0).cmp(&collation_key(b.0))));
    let themes: Vec<Value> = themes
        .into_iter()
        .map(|(t, count)| {
            let active = theme == t;
            json!({
                "label": t,
                "count": count,
                "active": active,
                "href": link(&current, &[("theme", if active { "" } else { t }), ("page", "")]),
            })
        })
        .collect();
    let facets: Vec<Value> = [("explore-group-features", features), ("explore-group-themes", themes)]
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(title, items)| json!({"title": ctx.t(title), "items": items}))
        .collect();
    found.retain(|e| has_feature(e) && has_theme(e));
    sort(&mut found, &sort_by);

    let total = found.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page_no = page_no.min(pages);
    let shown: Vec<Value> =
        found.iter().skip((page_no - 1) * PAGE_SIZE).take(PAGE_SIZE).map(|e| summary(&ctx, e)).collect();
    let sorts: Vec<Value> = SORTS
        .iter()
        .map(|s| json!({"value": s, "label": ctx.t(&format!("explore-sort-{s}")), "selected": *s == sort_by}))
        .collect();
    let page_link = |n: usize| link(&current, &[("page", &n.to_string())]);
    let page = ctx
        .page("explore.html")
        .with("q", &q)
        .with("feature", &feature)
        .with("datasets", shown)
        .with("total", total)
        .with("facets", facets)
        .with("sorts", sorts)
        .with("page_no", page_no)
        .with("pages", pages)
        .with("prev", (page_no > 1).then(|| page_link(page_no - 1)))
        .with("next_page", (page_no < pages).then(|| page_link(page_no + 1)));
    let mut response = ctx.render(page);
    if !q.is_empty() {
        response.extensions_mut().insert(SearchOutcome { term: q, results: searched });
    }
    response
}
