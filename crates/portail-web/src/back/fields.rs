//! `/backoffice/datasets/{id}/fields/`: how each field of a dataset is read and counted — the
//! Opendatasoft field annotations other than `facet` (set on the information page): several
//! values in one cell, paths of levels, the default order of a facet and whether it is
//! disjunctive, units, decimals, the precision of dates, the fields that make the record id and
//! the text fields marked sortable. Editors and admins change them; viewers read them. Only a
//! change of the id fields rebuilds the data (new ids); the others change how values are read.

use super::datasets::can_edit;
use crate::context::{query_value, see_other, Ctx};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portail_catalog::CatalogError;
use portail_core::schema::{FACET_SORTS, PRECISIONS};
use portail_core::{Annotations, Code, FieldType, Schema};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What the form sent for one field, before it is checked.
#[derive(Default)]
struct Sent {
    facetsort: String,
    disjunctive: bool,
    multivalued: String,
    hierarchical: String,
    unit: String,
    decimals: String,
    precision: String,
    id: bool,
    sortable: bool,
    rdf_property: String,
}

/// A problem with one field's settings: the message key and the field's label.
struct Problem {
    key: &'static str,
    field: String,
}

fn separator(text: &str) -> Result<Option<char>, ()> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) if !c.is_alphanumeric() && !c.is_control() => Ok(Some(c)),
        _ => Err(()),
    }
}

/// The annotations a field's settings stand for, checked for its type.
fn annotations(sent: &Sent, field: &portail_core::Field) -> Result<Annotations, &'static str> {
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let out = Annotations {
        facet: field.annotations.facet,
        facetsort: text(&sent.facetsort),
        disjunctive: sent.disjunctive,
        multivalued: separator(&sent.multivalued).map_err(|_| "fa-error-separator")?,
        hierarchical: separator(&sent.hierarchical).map_err(|_| "fa-error-separator")?,
        timeserie_precision: text(&sent.precision),
        unit: text(&sent.unit),
        decimals: match sent.decimals.trim() {
            "" => None,
            d => Some(d.parse::<u8>().ok().filter(|d| *d <= 10).ok_or("fa-error-decimals")?),
        },
        id: sent.id,
        sortable: sent.sortable,
        rdf_property: text(&sent.rdf_property),
    };
    out.check(field.field_type).map_err(|e| match e {
        e if e.starts_with("unit") => "fa-error-unit",
        e if e.starts_with("rdf_property") => "fa-error-iri",
        _ => "fa-error-choice",
    })?;
    Ok(out)
}

/// One entry per field: what can be set for its type, and the current values.
fn rows(schema: &Schema, sent: Option<&BTreeMap<String, Sent>>) -> Vec<Value> {
    schema
        .fields
        .iter()
        .map(|f| {
            let a = &f.annotations;
            let current = Sent {
                facetsort: a.facetsort.clone().unwrap_or_default(),
                disjunctive: a.disjunctive,
                multivalued: a.multivalued.map(String::from).unwrap_or_default(),
                hierarchical: a.hierarchical.map(String::from).unwrap_or_default(),
                unit: a.unit.clone().unwrap_or_default(),
                decimals: a.decimals.map(|d| d.to_string()).unwrap_or_default(),
                precision: a.timeserie_precision.clone().unwrap_or_default(),
                id: a.id,
                sortable: a.sortable,
                rdf_property: a.rdf_property.clone().unwrap_or_default(),
            };
            let v = sent.and_then(|s| s.get(&f.name)).unwrap_or(&current);
            let number = matches!(f.field_type, FieldType::Int | FieldType::Double);
            let sorts: Vec<&str> = FACET_SORTS
                .iter()
                .copied()
                .filter(|s| number || !s.ends_with("num") || s.ends_with("alphanum"))
                .collect();
            json!({
                "name": f.name, "label": f.label, "type": f.field_type.as_str(), "facet": a.facet,
                "text": f.field_type == FieldType::Text, "number": number,
                "dated": matches!(f.field_type, FieldType::Date | FieldType::Datetime),
                "sorts": sorts, "precisions": PRECISIONS,
                "facetsort": v.facetsort, "disjunctive": v.disjunctive, "multivalued": v.multivalued,
                "hierarchical": v.hierarchical, "unit": v.unit, "decimals": v.decimals, "precision": v.precision,
                "id": v.id, "sortable": v.sortable, "rdf_property": v.rdf_property,
                // Geometries are no facets and have no display settings: only their RDF property.
                "geo": matches!(f.field_type, FieldType::GeoPoint2d | FieldType::GeoShape),
            })
        })
        .collect()
}

/// How long a save waits for a rebuild (new id fields) before answering that it goes on; under
/// the server's 60-second request timeout.
const REBUILD_WAIT: std::time::Duration = std::time::Duration::from_secs(45);

/// What the page says of the last save.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Saved {
    No,
    Done,
    /// Saved, the data still being rebuilt with the new id fields.
    Rebuilding,
}

/// What the page shows: the fields, and the dataset's RDF class.
struct Shown {
    rows: Vec<Value>,
    rdf_class: String,
}

fn render(ctx: &Ctx, dataset_id: &str, shown: Shown, saved: Saved, problem: Option<Problem>) -> Response {
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let error = problem.map(|p| ctx.app.i18n.text(ctx.lang, p.key, &[("field", p.field)]));
    let page = ctx
        .page("backoffice_dataset_fields.html")
        .status(status)
        .with_form()
        .with("dataset_id", dataset_id)
        .with("fields", shown.rows)
        .with("rdf_class", shown.rdf_class)
        .with("can_edit", can_edit(ctx))
        .with("saved", saved == Saved::Done)
        .with("rebuilding", saved == Saved::Rebuilding)
        .with("error", error);
    ctx.render(page)
}

/// The dataset's schema as served now (annotations included) and its RDF class.
async fn schema_of(ctx: &Ctx, dataset_id: &str) -> Result<(Schema, Option<String>), Response> {
    let d = super::metadata::dataset(ctx, dataset_id).await?;
    match ctx.app.catalog.current(&d).await {
        Ok(c) => Ok((c.map(|c| c.version.schema).unwrap_or_default(), d.metas.rdf_class.clone())),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a dataset's version");
            Err(ctx.error(Code::Internal, "error-500-body"))
        }
    }
}

fn sign_in_first(dataset_id: &str) -> Response {
    see_other(&format!("/login/?next=/backoffice/datasets/{dataset_id}/fields/"))
}

pub async fn page(ctx: Ctx, Path(dataset_id): Path<String>, uri: Uri) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first(&dataset_id);
    }
    match schema_of(&ctx, &dataset_id).await {
        Ok((schema, class)) => {
            let shown = Shown { rows: rows(&schema, None), rdf_class: class.unwrap_or_default() };
            let saved = match (query_value(uri.query(), "saved"), query_value(uri.query(), "rebuilding")) {
                (Some(_), _) => Saved::Done,
                (_, Some(_)) => Saved::Rebuilding,
                _ => Saved::No,
            };
            render(&ctx, &dataset_id, shown, saved, None)
        }
        Err(answer) => answer,
    }
}

/// Reads `<field>.<setting>` pairs; a checkbox is present only when ticked.
fn sent(body: &[u8]) -> BTreeMap<String, Sent> {
    let mut out: BTreeMap<String, Sent> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        let Some((field, setting)) = key.rsplit_once('.') else { continue };
        let s = out.entry(field.to_owned()).or_default();
        let value = value.into_owned();
        match setting {
            "facetsort" => s.facetsort = value,
            "disjunctive" => s.disjunctive = true,
            "multivalued" => s.multivalued = value,
            "hierarchical" => s.hierarchical = value,
            "unit" => s.unit = value,
            "decimals" => s.decimals = value,
            "precision" => s.precision = value,
            "id" => s.id = true,
            "sortable" => s.sortable = true,
            "rdf_property" => s.rdf_property = value,
            _ => {}
        }
    }
    out
}

pub async fn save(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first(&dataset_id);
    }
    if !can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let (schema, class) = match schema_of(&ctx, &dataset_id).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let sent = sent(&body);
    let sent_class = form_urlencoded::parse(&body).find(|(k, _)| k == "rdf_class").map(|(_, v)| v.trim().to_owned());
    let shown = |sent| Shown { rows: rows(&schema, sent), rdf_class: sent_class.clone().unwrap_or_default() };
    if sent_class.as_ref().is_some_and(|c| !c.is_empty() && portail_core::schema::check_rdf_iri(c).is_err()) {
        let problem = Problem { key: "fa-error-iri", field: ctx.app.i18n.text(ctx.lang, "fa-rdf-class", &[]) };
        return render(&ctx, &dataset_id, shown(Some(&sent)), Saved::No, Some(problem));
    }
    // Every field the page shows is sent (its text boxes at least); the others are left alone.
    let mut changes = BTreeMap::new();
    for field in schema.fields.iter().filter(|f| sent.contains_key(&f.name)) {
        match annotations(&sent[&field.name], field) {
            Ok(a) => {
                changes.insert(field.name.clone(), a);
            }
            Err(key) => {
                let problem = Problem { key, field: field.label.clone() };
                return render(&ctx, &dataset_id, shown(Some(&sent)), Saved::No, Some(problem));
            }
        }
    }
    if let Some(unknown) = sent.keys().find(|name| schema.field(name).is_none()) {
        tracing::info!(field = %unknown, "a fields form named a field the dataset lacks");
        return ctx.error(Code::InvalidParameter, "fa-error-unknown");
    }
    let (catalog, portal, id) = (ctx.app.catalog.clone(), ctx.site.portal.id, dataset_id.clone());
    // In a task of its own: a rebuild (new id fields) runs to its end, the annotations stored
    // with it, even if the request times out or the browser gives up.
    let task = tokio::spawn(async move {
        let saved = catalog.set_annotations(portal, &id, &changes).await?;
        // Absent from the form (a script's partial post): the class stays as it is.
        match sent_class.filter(|c| *c != class.unwrap_or_default()) {
            Some(new_class) => catalog.set_rdf_class(portal, &id, Some(&new_class)).await,
            None => Ok(saved),
        }
    });
    // A rebuild can outlast the request's timeout: past this, the page says it goes on.
    let mut task = task;
    let saved = match tokio::time::timeout(REBUILD_WAIT, &mut task).await {
        Ok(joined) => joined.unwrap_or_else(|e| Err(CatalogError::Io(format!("saving annotations stopped: {e}")))),
        Err(_) => return see_other(&format!("/backoffice/datasets/{dataset_id}/fields/?rebuilding=1")),
    };
    match saved {
        Ok(_) => see_other(&format!("/backoffice/datasets/{dataset_id}/fields/?saved=1")),
        Err(CatalogError::NotFound(_)) => ctx.not_found(),
        Err(CatalogError::Invalid(_)) => ctx.error(Code::InvalidParameter, "fa-error-unknown"),
        Err(e) => {
            tracing::error!(error = %e, "saving field annotations failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_annotations_checked_for_the_type() {
        let text = portail_core::Field::new("tags", "Tags", FieldType::Text);
        let sent = Sent { multivalued: ";".into(), facetsort: "alphanum".into(), disjunctive: true, ..Sent::default() };
        let a = annotations(&sent, &text).unwrap();
        assert_eq!((a.multivalued, a.facetsort.as_deref(), a.disjunctive), (Some(';'), Some("alphanum"), true));
        for (bad, key) in [
            (Sent { multivalued: "ab".into(), ..Sent::default() }, "fa-error-separator"),
            (Sent { hierarchical: "x".into(), ..Sent::default() }, "fa-error-separator"),
            (Sent { facetsort: "-num".into(), ..Sent::default() }, "fa-error-choice"),
            (Sent { unit: "km".into(), ..Sent::default() }, "fa-error-unit"),
        ] {
            assert_eq!(annotations(&bad, &text).err(), Some(key));
        }
        let number = portail_core::Field::new("surface", "Surface", FieldType::Double);
        let sent = Sent { unit: "m²".into(), decimals: "2".into(), facetsort: "-num".into(), ..Sent::default() };
        let a = annotations(&sent, &number).unwrap();
        assert_eq!((a.unit.as_deref(), a.decimals), (Some("m²"), Some(2)));
        let sent = Sent { decimals: "11".into(), ..Sent::default() };
        assert_eq!(annotations(&sent, &number).err(), Some("fa-error-decimals"));
        let sent = Sent { multivalued: ",".into(), ..Sent::default() };
        assert_eq!(annotations(&sent, &number).err(), Some("fa-error-choice"));
    }

    #[test]
    fn the_form_is_read_by_field_and_setting() {
        let body = b"csrfmiddlewaretoken=x&tags.multivalued=%3B&tags.disjunctive=on&a.b.unit=km&c.facetsort=count";
        let s = sent(body);
        assert_eq!(s["tags"].multivalued, ";");
        assert!(s["tags"].disjunctive);
        assert_eq!(s["a.b"].unit, "km", "field names are split on the last dot");
        assert!(!s["c"].disjunctive);
        assert!(!s.contains_key("csrfmiddlewaretoken"));
    }
}
