//! A dataset's descriptive metadata (title, description, themes, keywords, licence, publisher):
//! checked in one place for the back office and the CLI, then stored together.

use crate::{now, Catalog, CatalogError};
use portail_core::Annotations;
use portail_store::{DatasetMetas, DatasetRecord};
use std::collections::BTreeMap;

const MAX_TITLE: usize = 300;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_TEXT: usize = 300;
const MAX_ITEMS: usize = 50;
const MAX_ITEM: usize = 100;

/// What a publisher gives: every text as typed; lists as comma- or line-separated text.
#[derive(Debug, Clone, Default)]
pub struct MetadataForm {
    pub title: String,
    pub description: String,
    pub theme: String,
    pub keyword: String,
    pub license: String,
    pub license_url: String,
    pub publisher: String,
    /// Field names to make facets.
    pub facets: Vec<String>,
}

impl MetadataForm {
    /// The current values, as the form shows them.
    pub fn of(d: &DatasetRecord) -> MetadataForm {
        MetadataForm {
            title: d.title.clone(),
            description: d.description.clone(),
            theme: d.metas.theme.join(", "),
            keyword: d.metas.keyword.join(", "),
            license: d.metas.license.clone(),
            license_url: d.metas.license_url.clone(),
            publisher: d.metas.publisher.clone(),
            facets: d.metas.facets.clone(),
        }
    }
}

/// What is wrong with a field, so that each interface can say it in its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong(usize),
    TooMany(usize),
    NotAnAddress,
    ControlCharacters,
    OneLine,
}

/// A field the publisher got wrong, named as the form names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    pub field: &'static str,
    pub problem: Problem,
    /// The English explanation the CLI prints.
    pub message: String,
}

impl MetadataError {
    fn new(field: &'static str, problem: Problem) -> MetadataError {
        let message = match &problem {
            Problem::Empty => "a dataset needs a title".to_owned(),
            Problem::TooLong(max) => format!("longer than {max} characters"),
            Problem::TooMany(max) => format!("more than {max} items"),
            Problem::NotAnAddress => "an http(s) address without spaces".to_owned(),
            Problem::ControlCharacters => "holds control characters".to_owned(),
            Problem::OneLine => "one line only".to_owned(),
        };
        MetadataError { field, problem, message }
    }
}

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Items of a list field, trimmed, without empties or repeats, in the order given.
fn list(field: &'static str, text: &str) -> Result<Vec<String>, MetadataError> {
    let mut out: Vec<String> = vec![];
    for item in text.split([',', '\n']).map(str::trim).filter(|i| !i.is_empty()) {
        if item.chars().count() > MAX_ITEM {
            let mut e = MetadataError::new(field, Problem::TooLong(MAX_ITEM));
            e.message = format!("`{item}` is longer than {MAX_ITEM} characters");
            return Err(e);
        }
        if !out.iter().any(|o| o.to_lowercase() == item.to_lowercase()) {
            out.push(item.to_owned());
        }
    }
    if out.len() > MAX_ITEMS {
        return Err(MetadataError::new(field, Problem::TooMany(MAX_ITEMS)));
    }
    Ok(out)
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, MetadataError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(MetadataError::new(field, Problem::TooLong(max)));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(MetadataError::new(field, Problem::ControlCharacters));
    }
    Ok(value.to_owned())
}

/// Checks a form; `Ok` holds the title, description and metadata to store.
pub fn check(form: &MetadataForm) -> Result<(String, String, DatasetMetas), MetadataError> {
    let title = text("title", &form.title, MAX_TITLE)?;
    if title.is_empty() {
        return Err(MetadataError::new("title", Problem::Empty));
    }
    if title.contains('\n') {
        return Err(MetadataError::new("title", Problem::OneLine));
    }
    let description = text("description", &form.description.replace("\r\n", "\n"), MAX_DESCRIPTION)?;
    let license_url = text("license_url", &form.license_url, MAX_TEXT)?;
    let is_address = license_url.starts_with("https://") || license_url.starts_with("http://");
    if !license_url.is_empty() && (!is_address || license_url.chars().any(char::is_whitespace)) {
        return Err(MetadataError::new("license_url", Problem::NotAnAddress));
    }
    let metas = DatasetMetas {
        theme: list("theme", &form.theme)?,
        keyword: list("keyword", &form.keyword)?,
        license: text("license", &form.license, MAX_TEXT)?,
        license_url,
        publisher: text("publisher", &form.publisher, MAX_TEXT)?,
        facets: form.facets.iter().map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect(),
        fields: BTreeMap::new(),
        rdf_class: None,
        translations: BTreeMap::new(),
    };
    for (field, value) in [("license", &metas.license), ("publisher", &metas.publisher)] {
        if value.contains('\n') {
            return Err(MetadataError::new(field, Problem::OneLine));
        }
    }
    Ok((title, description, metas))
}

/// Text, numbers, booleans and dates can be counted by value; geometries cannot.
pub fn can_be_facet(schema: &portail_core::Schema, name: &str) -> bool {
    use portail_core::FieldType;
    schema
        .field(name)
        .is_some_and(|f| !matches!(f.field_type, FieldType::GeoPoint2d | FieldType::GeoShape | FieldType::File))
}

impl Catalog {
    /// Replaces a dataset's descriptive metadata; its data and versions are untouched.
    pub async fn set_metadata(
        &self,
        portal_id: i64,
        dataset_id: &str,
        form: &MetadataForm,
    ) -> Result<DatasetRecord, CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let (title, description, mut metas) = check(form).map_err(|e| CatalogError::Invalid(e.to_string()))?;
        // Facets are fields of the data as it is now, kept in schema order.
        let schema = self.current(&dataset).await?.map(|c| c.version.schema).unwrap_or_default();
        if let Some(unknown) = metas.facets.iter().find(|f| !can_be_facet(&schema, f)) {
            return Err(CatalogError::Invalid(format!("facets: `{unknown}` is not a field that can be a facet")));
        }
        metas.facets = schema.fields.iter().map(|f| f.name.clone()).filter(|n| metas.facets.contains(n)).collect();
        // The information form does not carry the fields' other annotations, the RDF mapping,
        // nor the translations.
        metas.fields = dataset.metas.fields.clone();
        metas.rdf_class = dataset.metas.rdf_class.clone();
        metas.translations = dataset.metas.translations.clone();
        self.store.set_dataset_metadata(&dataset.uid, &title, &description, &metas, now()).await?;
        self.dataset(portal_id, dataset_id).await
    }

    /// Sets (or, with `None`, removes) the RDF class of the dataset's records in its RDF exports.
    pub async fn set_rdf_class(
        &self,
        portal_id: i64,
        dataset_id: &str,
        class: Option<&str>,
    ) -> Result<DatasetRecord, CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let class = class.map(str::trim).filter(|c| !c.is_empty());
        if let Some(iri) = class {
            portail_core::schema::check_rdf_iri(iri).map_err(|e| CatalogError::Invalid(format!("rdf_class: {e}")))?;
        }
        let mut metas = dataset.metas.clone();
        metas.rdf_class = class.map(str::to_owned);
        self.store.set_dataset_metadata(&dataset.uid, &dataset.title, &dataset.description, &metas, now()).await?;
        self.dataset(portal_id, dataset_id).await
    }

    /// Sets the dataset's title, description and field labels in `lang` (an empty translation
    /// removes it). Labels must name fields of the current version.
    pub async fn set_translation(
        &self,
        portal_id: i64,
        dataset_id: &str,
        lang: portail_core::Lang,
        translation: portail_store::Translation,
    ) -> Result<DatasetRecord, CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let schema = self.current(&dataset).await?.map(|c| c.version.schema).unwrap_or_default();
        let mut translation = translation;
        translation.title = translation.title.trim().to_owned();
        translation.description = translation.description.trim().to_owned();
        translation.labels.retain(|_, label| !label.trim().is_empty());
        for (name, label) in &mut translation.labels {
            schema.field(name).ok_or_else(|| CatalogError::Invalid(schema.unknown_field(name)))?;
            *label = label.trim().to_owned();
        }
        let mut metas = dataset.metas.clone();
        match translation.is_empty() {
            true => metas.translations.remove(lang.code()),
            false => metas.translations.insert(lang.code().to_owned(), translation),
        };
        self.store.set_dataset_metadata(&dataset.uid, &dataset.title, &dataset.description, &metas, now()).await?;
        self.dataset(portal_id, dataset_id).await
    }

    /// Replaces the annotations of the fields named in `changes` (the others are kept): whether
    /// each is a facet, and the rest. Checked against the data as it is now; nothing is
    /// re-imported, as annotations change how values are read, not what is stored — except
    /// when the `id` fields change, which rebuilds the current version with the new ids.
    pub async fn set_annotations(
        &self,
        portal_id: i64,
        dataset_id: &str,
        changes: &BTreeMap<String, Annotations>,
    ) -> Result<DatasetRecord, CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let schema = self.current(&dataset).await?.map(|c| c.version.schema).unwrap_or_default();
        let mut metas = dataset.metas.clone();
        for (name, annotations) in changes {
            let field = schema.field(name).ok_or_else(|| CatalogError::Invalid(schema.unknown_field(name)))?;
            annotations.check(field.field_type).map_err(|e| CatalogError::Invalid(format!("{name}: {e}")))?;
            if annotations.facet && !can_be_facet(&schema, name) {
                return Err(CatalogError::Invalid(format!("{name}: a geometry cannot be a facet")));
            }
            if annotations.facet && !metas.facets.contains(name) {
                metas.facets.push(name.clone());
            } else if !annotations.facet {
                metas.facets.retain(|f| f != name);
            }
            let rest = Annotations { facet: false, ..annotations.clone() };
            if rest.is_empty() {
                metas.fields.remove(name);
            } else {
                metas.fields.insert(name.clone(), rest);
            }
        }
        metas.facets = schema.fields.iter().map(|f| f.name.clone()).filter(|n| metas.facets.contains(n)).collect();
        // Record ids come from the `id` fields: a new set of them means new ids, so the data is
        // rebuilt with them first, and the annotations are stored only once it is served; if the
        // rebuild fails, the previous annotations stay with the previous data.
        if metas.id_fields() != dataset.metas.id_fields() && !schema.fields.is_empty() {
            self.reprocess_with(portal_id, dataset_id, crate::no_progress(), Some(metas.id_fields())).await?;
        }
        self.store.set_dataset_metadata(&dataset.uid, &dataset.title, &dataset.description, &metas, now()).await?;
        self.dataset(portal_id, dataset_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> MetadataForm {
        MetadataForm { title: "Arbres".into(), ..Default::default() }
    }

    #[test]
    fn lists_are_split_trimmed_and_deduplicated() {
        let f = MetadataForm { theme: " Environnement , ,environnement\nCulture".into(), ..form() };
        let (_, _, m) = check(&f).unwrap();
        assert_eq!(m.theme, ["Environnement", "Culture"]);
        let many = (0..51).map(|i| format!("k{i}")).collect::<Vec<_>>().join(",");
        let e = check(&MetadataForm { keyword: many, ..form() }).unwrap_err();
        assert_eq!(e.field, "keyword");
        let e = check(&MetadataForm { keyword: "x".repeat(101), ..form() }).unwrap_err();
        assert_eq!(e.problem, Problem::TooLong(100), "{e}");
    }

    #[test]
    fn texts_are_checked_with_the_field_named() {
        assert_eq!(check(&MetadataForm { title: "  ".into(), ..form() }).unwrap_err().field, "title");
        assert_eq!(check(&MetadataForm { title: "a\nb".into(), ..form() }).unwrap_err().field, "title");
        for bad in ["ftp://x", "licence ouverte", "https://a b"] {
            let e = check(&MetadataForm { license_url: bad.into(), ..form() }).unwrap_err();
            assert_eq!(e.field, "license_url", "{bad}");
        }
        let e = check(&MetadataForm { publisher: "a\u{7}".into(), ..form() }).unwrap_err();
        assert_eq!(e.field, "publisher");
        let (title, description, m) = check(&MetadataForm {
            title: " Arbres ".into(),
            description: "Line 1\r\nLine 2".into(),
            license: "Licence Ouverte v2.0".into(),
            license_url: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/".into(),
            ..form()
        })
        .unwrap();
        assert_eq!(
            (title.as_str(), description.as_str(), m.license.as_str()),
            ("Arbres", "Line 1\nLine 2", "Licence Ouverte v2.0")
        );
    }
}
