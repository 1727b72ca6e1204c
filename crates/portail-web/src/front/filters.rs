//! The filters beside a dataset's table: the facets the publisher chose, counted over the records
//! the page shows, each value a link that adds (or removes) `refine.<field>=<value>` to the page's
//! address, as Opendatasoft's dataset pages do. Refinements follow the facets' annotations: several
//! values of a disjunctive facet match any of them, a multivalued field matches one of its values,
//! a hierarchical one the value or the levels under it.

use crate::api::catalog::Served;
use crate::api::facets::{facet_values, FacetSpec, FacetValue, Selection};
use crate::api::records::{combine_refines, refine_condition};
use crate::front::format;
use portail_core::{Lang, Schema};
use serde_json::{json, Value};

/// Values shown per facet.
const VALUES_SHOWN: usize = 10;
/// Facets shown beside the table.
const FACETS_SHOWN: usize = 8;

/// The page's `refine.<field>=<value>` pairs that name one of `facets`.
pub(crate) fn refinements(pairs: &[(String, String)], facets: &[String]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("refine.")?.to_owned(), v.clone())))
        .filter(|(f, v)| facets.contains(f) && !v.trim().is_empty())
        .collect()
}

/// The conditions the refinements stand for; one that cannot be read (a date path that is no
/// date) is left out rather than failing the page.
pub(crate) fn conditions(schema: &Schema, refinements: &[(String, String)]) -> Vec<String> {
    let refines: Vec<(String, String)> =
        refinements.iter().filter_map(|(f, v)| refine_condition(schema, f, v).ok().map(|c| (f.clone(), c))).collect();
    combine_refines(schema, &refines, |_| false)
}

/// The query with the refinement `(field, value)` added, or removed when present; back to the
/// first page.
fn toggled(pairs: &[(String, String)], field: &str, value: &str) -> Vec<(String, String)> {
    let key = format!("refine.{field}");
    let present = pairs.iter().any(|(k, v)| *k == key && v == value);
    let mut out: Vec<(String, String)> =
        pairs.iter().filter(|(k, v)| k != "page" && !(*k == key && v == value)).cloned().collect();
    if !present {
        out.push((key, value.to_owned()));
    }
    out
}

fn value_json(
    lang: Lang,
    field: &str,
    v: &FacetValue,
    pairs: &[(String, String)],
    link: &(dyn Fn(Vec<(String, String)>) -> String + Sync),
) -> Value {
    let refined = v.state == "refined" && pairs.iter().any(|(k, x)| *k == format!("refine.{field}") && *x == v.value);
    json!({
        "name": v.name,
        "count": v.count.as_i64().map(|n| format::integer(lang, n)),
        "href": link(toggled(pairs, field, &v.value)),
        // Refined itself (a link that removes it), or above a refined value.
        "refined": refined,
        "open": v.state == "refined",
        "children": v.children.iter().map(|c| value_json(lang, field, c, pairs, link)).collect::<Vec<_>>(),
    })
}

/// The panel: for each facet, its label and its values over the records matching `search` and
/// the refinements (a disjunctive facet leaves its own out).
pub(crate) async fn panel(
    lang: Lang,
    served: &Served,
    search: &[String],
    pairs: &[(String, String)],
    link: &(dyn Fn(Vec<(String, String)>) -> String + Sync),
) -> Vec<Value> {
    let schema = &served.version.schema;
    let facets = &served.dataset.metas.facets;
    let refinements = refinements(pairs, facets);
    let mut out = vec![];
    for name in facets.iter().take(FACETS_SHOWN) {
        let Some(field) = schema.field(name) else { continue };
        let spec = FacetSpec { limit: Some(VALUES_SHOWN), ..FacetSpec::named(name) };
        let counted: Vec<(String, String)> = match spec.is_disjunctive(schema) {
            true => refinements.iter().filter(|(f, _)| f != name).cloned().collect(),
            false => refinements.clone(),
        };
        let mut wheres = search.to_vec();
        wheres.extend(conditions(schema, &counted));
        let refined: Vec<String> = refinements.iter().filter(|(f, _)| f == name).map(|(_, v)| v.clone()).collect();
        let selection = Selection { refined: &refined, excluded: &[] };
        match facet_values(served, &wheres, &spec, &selection, portail_query::Zone::UTC).await {
            Ok(values) if !values.is_empty() => out.push(json!({
                "name": name,
                "label": field.label,
                "values": values.iter().map(|v| value_json(lang, name, v, pairs, link)).collect::<Vec<_>>(),
            })),
            Ok(_) => {}
            Err(e) => tracing::warn!(facet = %name, error = ?e, "a facet of the dataset page could not be counted"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn values_toggle_their_refinement_and_go_back_to_the_first_page() {
        let now = pairs(&[("q", "parc"), ("page", "3"), ("refine.commune", "Paris")]);
        assert_eq!(
            toggled(&now, "commune", "Lyon"),
            pairs(&[("q", "parc"), ("refine.commune", "Paris"), ("refine.commune", "Lyon")])
        );
        assert_eq!(toggled(&now, "commune", "Paris"), pairs(&[("q", "parc")]));
        let facets = vec!["commune".to_owned()];
        let all = pairs(&[("refine.commune", "Paris"), ("refine.autre", "x"), ("refine.commune", " "), ("q", "a")]);
        assert_eq!(refinements(&all, &facets), pairs(&[("commune", "Paris")]), "only facets, never empty values");
    }
}
