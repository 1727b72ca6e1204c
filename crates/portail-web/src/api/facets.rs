//! `/catalog/datasets/{id}/facets`: value counts of the requested fields over the matching
//! records. Text, numeric and boolean fields count by value; date fields by year, with the
//! months of a refined year and the days of a refined month nested under it, in calendar order
//! (other facets most frequent first). A facet asked as
//! `facet(name="x", disjunctive=true, sort="-count", limit=20)` takes those options. Without
//! `facet`, the fields the publisher made facets are counted.

use super::catalog::DatasetRequest;
use super::catalog::Served;
use super::params::split_refinement;
use super::records::request_wheres_except;
use super::{api_headers, ApiError};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portail_core::schema::collation_key;
use portail_core::FieldType;
use portail_query::RecordsRequest;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Most values returned per facet.
const MAX_FACET_VALUES: i64 = 1000;

/// How a facet's values are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FacetSort {
    Count { descending: bool },
    Alphanum { descending: bool },
    Num { descending: bool },
}

/// A `facet` parameter: its field and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FacetSpec {
    pub name: String,
    /// Asked for; else the field's `disjunctive` annotation says.
    pub disjunctive: Option<bool>,
    pub sort: Option<FacetSort>,
    pub limit: Option<usize>,
    /// `hierarchical=true` with its `separator` (`/` by default); else the field's annotation says.
    pub hierarchical: Option<char>,
}

/// `key=value` pairs of `facet(…)`, commas inside quotes kept.
fn arguments(inner: &str) -> Vec<(String, String)> {
    let mut parts = vec![];
    let (mut current, mut quote) = (String::new(), None);
    for c in inner.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (',', None) => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts.iter().filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect()
}

impl FacetSort {
    /// `count`, `alphanum` or `num`; a leading minus is descending, as in `-count` (the usual choice).
    pub fn parse(text: &str) -> Option<FacetSort> {
        let (descending, kind) = text.strip_prefix('-').map_or((false, text), |k| (true, k));
        Some(match kind {
            "count" => FacetSort::Count { descending },
            "alphanum" => FacetSort::Alphanum { descending },
            "num" => FacetSort::Num { descending },
            _ => return None,
        })
    }
}

impl FacetSpec {
    /// A facet of `name` with no options.
    pub fn named(name: &str) -> FacetSpec {
        FacetSpec { name: name.to_owned(), disjunctive: None, sort: None, limit: None, hierarchical: None }
    }

    /// Whether the facet counts its values without its own refinements.
    pub fn is_disjunctive(&self, schema: &portail_core::Schema) -> bool {
        self.disjunctive.unwrap_or_else(|| schema.field(&self.name).is_some_and(|f| f.annotations.disjunctive))
    }

    /// `facet=name` or `facet=facet(name="x", disjunctive=true, sort="-count", limit=20)`.
    pub fn parse(spec: &str) -> Result<FacetSpec, ApiError> {
        let s = spec.trim();
        let Some(inner) = s.strip_prefix("facet(").and_then(|r| r.strip_suffix(')')) else {
            return Ok(FacetSpec::named(s.trim_matches('`')));
        };
        let mut out = FacetSpec::named("");
        let (mut hierarchical, mut separator) = (false, '/');
        for (key, value) in arguments(inner) {
            let bad = || ApiError::parameter(format!("Invalid value for facet API parameter: {key}={value} in {s}"));
            match key.as_str() {
                "name" => out.name = value.trim_matches('`').to_owned(),
                "disjunctive" => out.disjunctive = Some(value.eq_ignore_ascii_case("true")),
                "sort" => out.sort = Some(FacetSort::parse(&value).ok_or_else(bad)?),
                "limit" => out.limit = Some(value.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(bad)?),
                "hierarchical" => hierarchical = value.eq_ignore_ascii_case("true"),
                "separator" => {
                    let mut chars = value.chars();
                    separator = match (chars.next(), chars.next()) {
                        (Some(c), None) => c,
                        _ => return Err(bad()),
                    };
                }
                _ => return Err(bad()),
            }
        }
        out.hierarchical = hierarchical.then_some(separator);
        if out.name.is_empty() {
            return Err(ApiError::parameter(format!("Invalid value for facet API parameter: {s} names no field")));
        }
        Ok(out)
    }
}

/// The facet name of `facet=name` or `facet=facet(name="x", …)` (catalog facets take no options).
pub(crate) fn facet_name(spec: &str) -> String {
    FacetSpec::parse(spec).map(|s| s.name).unwrap_or_else(|_| spec.trim().to_owned())
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One value of a facet, with the values nested under it (months of a year, days of a month).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FacetValue {
    pub name: String,
    /// The refine token: the value, or a date path (`2024/03`).
    pub value: String,
    pub count: Value,
    pub state: &'static str,
    pub children: Vec<FacetValue>,
}

impl FacetValue {
    /// As v2.1 writes it (`value`), or v1 (`path`).
    pub fn json(&self, key: &str) -> Value {
        let mut out = json!({"name": self.name, key: self.value, "count": self.count, "state": self.state});
        if !self.children.is_empty() {
            out["facets"] = Value::Array(self.children.iter().map(|c| c.json(key)).collect());
        }
        out
    }
}

/// `(value, count)` of `key` over the records matching `wheres`, most frequent first.
async fn counts(
    current: &Served,
    wheres: &[String],
    key: &str,
    timezone: portail_query::Zone,
    limit: i64,
) -> Result<Vec<(String, Value)>, ApiError> {
    let select = format!("{key} as facet_value, count(*) as facet_count");
    let group_by = format!("{key} as facet_value");
    let req = RecordsRequest {
        select: Some(&select),
        wheres: wheres.iter().map(String::as_str).collect(),
        group_by: Some(&group_by),
        order_by: Some("facet_count desc, facet_value"),
        limit,
        offset: 0,
        timezone,
        lang: None,
    };
    let ds = current.query();
    let page = portail_query::records(&ds, &req).await?;
    Ok(page
        .results
        .iter()
        .filter(|row| !row["facet_value"].is_null())
        .map(|row| (text_of(&row["facet_value"]), row["facet_count"].clone()))
        .collect())
}

/// What a facet request knows of the field's refinements and exclusions.
pub(crate) struct Selection<'a> {
    pub refined: &'a [String],
    pub excluded: &'a [String],
}

impl Selection<'_> {
    /// A value is refined when it, or a date path below it, was refined.
    fn state(&self, value: &str) -> &'static str {
        self.state_in(value, '/')
    }

    /// The same for paths whose levels `separator` splits.
    fn state_in(&self, value: &str, separator: char) -> &'static str {
        let on_path = |r: &String| r == value || r.strip_prefix(value).is_some_and(|rest| rest.starts_with(separator));
        if self.refined.iter().any(on_path) {
            "refined"
        } else if self.excluded.iter().any(|x| x == value) {
            "excluded"
        } else {
            "displayed"
        }
    }
}

fn sort_values(values: &mut [FacetValue], sort: FacetSort) {
    let number = |v: &FacetValue| v.value.parse::<f64>().unwrap_or(f64::NAN);
    let count = |v: &FacetValue| v.count.as_i64().unwrap_or(0);
    let ordered = |o: std::cmp::Ordering, descending: bool| if descending { o.reverse() } else { o };
    values.sort_by(|a, b| match sort {
        FacetSort::Count { descending } => ordered(count(a).cmp(&count(b)), descending).then(a.value.cmp(&b.value)),
        FacetSort::Alphanum { descending } => {
            ordered(collation_key(&a.value).cmp(&collation_key(&b.value)), descending)
        }
        FacetSort::Num { descending } => ordered(number(a).total_cmp(&number(b)), descending),
    });
}

/// The values of one facet over the records matching `wheres` (which, for a disjunctive facet,
/// leave out the facet's own refinements): dates as years, with the months of a refined year and
/// the days of a refined month; excluded values listed last with no count.
pub(crate) async fn facet_values(
    current: &Served,
    wheres: &[String],
    spec: &FacetSpec,
    selection: &Selection<'_>,
    timezone: portail_query::Zone,
) -> Result<Vec<FacetValue>, ApiError> {
    let schema = &current.version.schema;
    let field = schema.field(&spec.name).ok_or_else(|| ApiError::odsql(schema.unknown_field(&spec.name)))?;
    let quoted = format!("`{}`", field.name.replace('`', "\\`"));
    let is_date = matches!(field.field_type, FieldType::Date | FieldType::Datetime);
    let hierarchical = spec.hierarchical.filter(|_| field.field_type == FieldType::Text).or(field.hierarchical());
    if matches!(field.field_type, FieldType::GeoPoint2d | FieldType::GeoShape) {
        return Err(ApiError::odsql(format!("{} is a geo field and cannot be a facet", spec.name)));
    }
    if field.field_type == FieldType::File {
        return Err(ApiError::odsql(format!("{} is a file field and cannot be a facet", spec.name)));
    }
    let node = |name: String, value: String, count: Value| {
        let state = selection.state(&value);
        FacetValue { name, value, count, state, children: vec![] }
    };
    let mut values: Vec<FacetValue> = if is_date {
        let mut years = vec![];
        for (year, count) in counts(current, wheres, &format!("year({quoted})"), timezone, MAX_FACET_VALUES).await? {
            let mut y = node(year.clone(), year.clone(), count);
            // Months of a refined year, days of a refined month, in calendar order.
            if y.state == "refined" {
                let mut within = wheres.to_vec();
                within.push(format!("year({quoted}) = {year}"));
                for (month, count) in counts(current, &within, &format!("month({quoted})"), timezone, 12).await? {
                    let path = format!("{year}/{:0>2}", month);
                    let mut m = node(format!("{:0>2}", month), path.clone(), count);
                    if m.state == "refined" {
                        let mut within = within.clone();
                        within.push(format!("month({quoted}) = {month}"));
                        for (day, count) in counts(current, &within, &format!("day({quoted})"), timezone, 31).await? {
                            m.children.push(node(format!("{:0>2}", day), format!("{path}/{:0>2}", day), count));
                        }
                        sort_values(&mut m.children, FacetSort::Alphanum { descending: false });
                    }
                    y.children.push(m);
                }
                sort_values(&mut y.children, FacetSort::Alphanum { descending: false });
            }
            years.push(y);
        }
        years
    } else if field.multivalued().is_some() || hierarchical.is_some() {
        // Every distinct cell, then split: a value's count is that of the cells holding it.
        let cells = counts(current, wheres, &quoted, timezone, -1).await?;
        split_cells(&cells, field.multivalued(), hierarchical, selection)
    } else {
        let cells = counts(current, wheres, &quoted, timezone, MAX_FACET_VALUES).await?;
        cells.into_iter().map(|(v, c)| node(v.clone(), v, c)).collect()
    };
    let default_sort =
        if is_date { FacetSort::Alphanum { descending: false } } else { FacetSort::Count { descending: true } };
    let annotated = field.annotations.facetsort.as_deref().and_then(FacetSort::parse);
    let sort = spec.sort.or(annotated).unwrap_or(default_sort);
    sort_values(&mut values, sort);
    if hierarchical.is_some() {
        sort_levels(&mut values, sort);
    }
    if let Some(limit) = spec.limit {
        values.truncate(limit);
    }
    let missing: Vec<&String> = selection.excluded.iter().filter(|x| !values.iter().any(|v| &v.value == *x)).collect();
    for x in missing {
        values.push(FacetValue {
            name: x.rsplit('/').next().unwrap_or(x).to_owned(),
            value: x.clone(),
            count: Value::from(0),
            state: "excluded",
            children: vec![],
        });
    }
    Ok(values)
}

/// The values of a multivalued or hierarchical field from the counts of its distinct cells:
/// each value counted once per record holding it, a path also counted for each level above it
/// (`Europe/Paris` counts for `Europe`); the levels under a refined value nested under it.
fn split_cells(
    cells: &[(String, Value)],
    multivalued: Option<char>,
    hierarchical: Option<char>,
    selection: &Selection<'_>,
) -> Vec<FacetValue> {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for (cell, count) in cells {
        let values: Vec<&str> = match multivalued {
            Some(sep) => portail_core::schema::split_values(cell, sep).collect(),
            None => vec![cell.trim()],
        };
        let mut held: BTreeSet<&str> = BTreeSet::new();
        for v in values.into_iter().filter(|v| !v.is_empty()) {
            if let Some(sep) = hierarchical {
                held.extend(v.match_indices(sep).map(|(i, _)| &v[..i]).filter(|p| !p.is_empty()));
            }
            held.insert(v);
        }
        for v in held {
            *totals.entry(v).or_default() += count.as_i64().unwrap_or(0);
        }
    }
    level(&totals, None, hierarchical, selection)
}

/// The values right under `parent` (the top level for `None`), each with its own level when
/// it is refined.
fn level(
    totals: &BTreeMap<&str, i64>,
    parent: Option<&str>,
    separator: Option<char>,
    selection: &Selection<'_>,
) -> Vec<FacetValue> {
    let under = |path: &str| -> Option<String> {
        let rest = match parent {
            Some(p) => path.strip_prefix(p)?.strip_prefix(separator?)?,
            None => path,
        };
        let nested = separator.is_some_and(|sep| rest.contains(sep));
        (!rest.is_empty() && !nested).then(|| rest.to_owned())
    };
    let mut out = vec![];
    for (path, count) in totals {
        let Some(name) = under(path) else { continue };
        let state = match separator {
            Some(sep) => selection.state_in(path, sep),
            None => selection.state(path),
        };
        let children = match state {
            "refined" if separator.is_some() => level(totals, Some(path), separator, selection),
            _ => vec![],
        };
        out.push(FacetValue { name, value: (*path).to_owned(), count: Value::from(*count), state, children });
    }
    out
}

/// Sorts the nested levels of a hierarchical facet as its top level.
fn sort_levels(values: &mut [FacetValue], sort: FacetSort) {
    for v in values {
        sort_values(&mut v.children, sort);
        sort_levels(&mut v.children, sort);
    }
}

/// The refine (or exclude) values the request gives for `field`.
pub(crate) fn values_of(params: &[&str], field: &str) -> Vec<String> {
    params
        .iter()
        .filter_map(|r| split_refinement(r).ok())
        .filter(|(f, _)| f.trim_matches('`') == field)
        .map(|(_, v)| v.to_owned())
        .collect()
}

pub async fn facets(DatasetRequest { current, params, .. }: DatasetRequest) -> Result<Response, ApiError> {
    let schema = &current.version.schema;
    let timezone = params.timezone()?;
    let mut groups = vec![];
    // Without `facet`, the fields the publisher made facets.
    let asked: Vec<String> = params.all("facet").into_iter().map(str::to_owned).collect();
    let specs = if asked.is_empty() { current.dataset.metas.facets.clone() } else { asked };
    for raw in &specs {
        let spec = FacetSpec::parse(raw)?;
        let wheres = request_wheres_except(&params, schema, spec.is_disjunctive(schema).then_some(spec.name.as_str()))?;
        let refined = values_of(&params.all("refine"), &spec.name);
        let excluded = values_of(&params.all("exclude"), &spec.name);
        let selection = Selection { refined: &refined, excluded: &excluded };
        let values = facet_values(&current, &wheres, &spec, &selection, timezone).await?;
        groups.push(json!({"name": spec.name, "facets": values.iter().map(|v| v.json("value")).collect::<Vec<_>>()}));
    }
    let mut r = Json(json!({"links": [], "facets": groups})).into_response();
    api_headers(&mut r);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_specs_take_their_options() {
        let s = FacetSpec::parse(r#"facet(name="city", disjunctive=true, sort="-alphanum", limit=5)"#).unwrap();
        assert_eq!(s.name, "city");
        assert_eq!(s.disjunctive, Some(true));
        assert_eq!(s.sort, Some(FacetSort::Alphanum { descending: true }));
        assert_eq!(s.limit, Some(5));
        assert_eq!(FacetSpec::parse("city").unwrap().name, "city");
        assert_eq!(FacetSpec::parse(r#"facet(name="a,b", separator=",")"#).unwrap().name, "a,b");
        let sort = |text: &str| FacetSpec::parse(&format!(r#"facet(name="n", sort="{text}")"#)).unwrap().sort;
        assert_eq!(sort("-count"), Some(FacetSort::Count { descending: true }));
        assert_eq!(sort("count"), Some(FacetSort::Count { descending: false }));
        for bad in [
            r#"facet(name="x", sort="size")"#,
            r#"facet(name="x", limit=0)"#,
            r#"facet(sort="count")"#,
            r#"facet(name="x", colour=1)"#,
        ] {
            assert!(FacetSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_sort_by_count_name_or_number() {
        let v = |value: &str, count: i64| FacetValue {
            name: value.into(),
            value: value.into(),
            count: Value::from(count),
            state: "displayed",
            children: vec![],
        };
        let mut values = vec![v("b", 1), v("10", 3), v("9", 3), v("A", 2)];
        sort_values(&mut values, FacetSort::Count { descending: true });
        assert_eq!(values.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(), ["10", "9", "A", "b"]);
        sort_values(&mut values, FacetSort::Alphanum { descending: false });
        assert_eq!(values.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(), ["10", "9", "A", "b"]);
        sort_values(&mut values[..2], FacetSort::Num { descending: false });
        assert_eq!(values[0].value, "9");
        let sel = Selection { refined: &["2024/03".to_owned()], excluded: &["2020".to_owned()] };
        assert_eq!(
            (sel.state("2024"), sel.state("2024/03"), sel.state("2024/04"), sel.state("2020")),
            ("refined", "refined", "displayed", "excluded")
        );
    }
}
