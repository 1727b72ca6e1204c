//! Dataset schemas in Opendatasoft's terms: field names, labels and the ODS field types.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The field types of the Explore API (`fields[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Int,
    Double,
    Boolean,
    Date,
    Datetime,
    GeoPoint2d,
    GeoShape,
    /// A file (an image, a document) shipped beside the data: stored as its description (id,
    /// name, type, dimensions), served from the dataset's `files/{id}`.
    File,
}

impl FieldType {
    pub const ALL: [FieldType; 9] = [
        FieldType::Text,
        FieldType::Int,
        FieldType::Double,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::GeoPoint2d,
        FieldType::GeoShape,
        FieldType::File,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::GeoPoint2d => "geo_point_2d",
            FieldType::GeoShape => "geo_shape",
            FieldType::File => "file",
        }
    }
}

impl FromStr for FieldType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown field type `{s}` (expected one of text, int, double, boolean, date, datetime, geo_point_2d, geo_shape, file)"))
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Technical name: lowercase ASCII, digits and `_`, unique in the dataset.
    pub name: String,
    /// Display name: the source's original header, or the publisher's label.
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the publisher says of the field beyond its type; not part of a version's schema
    /// on disk, but merged in from the dataset's metadata when it is served.
    #[serde(default, skip_serializing_if = "Annotations::is_empty")]
    pub annotations: Annotations,
}

impl Field {
    pub fn new(name: &str, label: &str, field_type: FieldType) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            field_type,
            description: None,
            annotations: Annotations::default(),
        }
    }

    /// The separator of a multivalued text field.
    pub fn multivalued(&self) -> Option<char> {
        self.annotations.multivalued.filter(|_| self.field_type == FieldType::Text)
    }

    /// The separator of a hierarchical text field's path (`Europe/Paris`).
    pub fn hierarchical(&self) -> Option<char> {
        self.annotations.hierarchical.filter(|_| self.field_type == FieldType::Text)
    }
}

/// Opendatasoft's field annotations (`fields[].annotations`) that portail stores: how a field is
/// counted as a facet, split into values, and displayed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Annotations {
    /// The field is one of the dataset's facets.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub facet: bool,
    /// Default order of the facet's values: `count`, `alphanum` or `num`, `-` for descending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facetsort: Option<String>,
    /// Refinements of several values of the facet match any of them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disjunctive: bool,
    /// Text holding several values separated by this character (`a, b`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multivalued: Option<char>,
    /// Text holding a path whose levels this character separates (`Europe/Paris`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hierarchical: Option<char>,
    /// Display precision of a date or datetime: year, month, day, hour or minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeserie_precision: Option<String>,
    /// Unit of a number (`km2`, `€`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Decimals a number is displayed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// The field is part of the record id ("Unique ID"): the ids hash only such fields, and a
    /// later row with the same id replaces an earlier one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub id: bool,
    /// The publisher marked the text field sortable. Every field sorts in portail; the
    /// annotation is kept and shown for clients that read it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sortable: bool,
    /// The RDF property the field's values are stated with in the RDF exports (the publisher's
    /// semantic mapping); not an Opendatasoft annotation, so the dataset object leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdf_property: Option<String>,
}

/// Checks an IRI a publisher maps to (an RDF property or class): absolute (`http`, `https` or
/// `urn`), printable ASCII without spaces or the characters IRIs forbid, and ending in a name
/// RDF/XML can write as an element (`…/name`, `…#name`).
pub fn check_rdf_iri(iri: &str) -> Result<(), String> {
    let scheme = ["http://", "https://", "urn:"].iter().any(|s| iri.starts_with(s));
    let clean = iri.chars().all(|c| c.is_ascii_graphic() && !"<>\"{}|\\^`".contains(c));
    let local = iri.rsplit(['/', '#', ':']).next().unwrap_or("");
    let name = local.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    match (scheme && iri.len() <= 500, clean, name) {
        (false, _, _) => Err(format!("`{iri}` is not an absolute IRI (http://, https:// or urn:)")),
        (_, false, _) => Err(format!("`{iri}` holds a space or a character IRIs do not allow")),
        (_, _, false) => Err(format!("`{iri}` must end in a name (…/name or …#name)")),
        _ => Ok(()),
    }
}

/// Facet orders a `facetsort` annotation may name.
pub const FACET_SORTS: [&str; 6] = ["-count", "count", "alphanum", "-alphanum", "num", "-num"];
/// Precisions a `timeserie_precision` annotation may name.
pub const PRECISIONS: [&str; 5] = ["year", "month", "day", "hour", "minute"];

impl Annotations {
    pub fn is_empty(&self) -> bool {
        self == &Annotations::default()
    }

    /// Checks values for `field_type`, naming the annotation that is wrong.
    pub fn check(&self, field_type: FieldType) -> Result<(), String> {
        let text = field_type == FieldType::Text;
        let number = matches!(field_type, FieldType::Int | FieldType::Double);
        let dated = matches!(field_type, FieldType::Date | FieldType::Datetime);
        let separator = |name: &str, c: Option<char>| match c {
            Some(_) if !text => Err(format!("{name}: only text fields hold several values or paths")),
            Some(c) if c.is_alphanumeric() || c.is_control() => Err(format!(
                "{name}: `{}` cannot separate values (a punctuation character or a space)",
                c.escape_default()
            )),
            _ => Ok(()),
        };
        separator("multivalued", self.multivalued)?;
        separator("hierarchical", self.hierarchical)?;
        if let Some(sort) = &self.facetsort {
            if !FACET_SORTS.contains(&sort.as_str()) {
                return Err(format!("facetsort: `{sort}` is not one of {}", FACET_SORTS.join(", ")));
            }
            if sort.ends_with("num") && !sort.ends_with("alphanum") && !number {
                return Err(format!("facetsort: `{sort}` sorts numbers, and this field holds none"));
            }
        }
        match &self.timeserie_precision {
            Some(_) if !dated => return Err("timeserie_precision: only dates and datetimes have one".into()),
            Some(p) if !PRECISIONS.contains(&p.as_str()) => {
                return Err(format!("timeserie_precision: `{p}` is not one of {}", PRECISIONS.join(", ")))
            }
            _ => {}
        }
        if (self.unit.is_some() || self.decimals.is_some()) && !number {
            return Err("unit and decimals: only numbers have them".into());
        }
        if let Some(unit) = &self.unit {
            if unit.trim().is_empty() || unit.chars().count() > 20 || unit.chars().any(char::is_control) {
                return Err(format!("unit: `{unit}` is not a short unit (1 to 20 characters)"));
            }
        }
        if let Some(iri) = &self.rdf_property {
            check_rdf_iri(iri).map_err(|e| format!("rdf_property: {e}"))?;
        }
        if self.sortable && !text {
            return Err("sortable: only text fields take it (every other type sorts)".into());
        }
        if self.id && field_type == FieldType::GeoShape {
            return Err("id: a shape cannot be part of the record id".into());
        }
        if self.decimals.is_some_and(|d| d > 10) {
            return Err("decimals: at most 10".into());
        }
        Ok(())
    }

    /// As the v2.1 dataset object writes them: `{"facet": [], "multivalued": [","]}`.
    pub fn v2_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.pairs().map(|(name, args)| (name.to_owned(), args.into())).collect())
    }

    /// As v1 writes them: `[{"name": "facet"}, {"name": "multivalued", "args": [","]}]`.
    pub fn v1_json(&self) -> serde_json::Value {
        self.pairs()
            .map(|(name, args)| match args.is_empty() {
                true => serde_json::json!({"name": name}),
                false => serde_json::json!({"name": name, "args": args}),
            })
            .collect()
    }

    fn pairs(&self) -> impl Iterator<Item = (&'static str, Vec<serde_json::Value>)> + '_ {
        let text = |s: &String| vec![serde_json::Value::from(s.as_str())];
        let sep = |c: &char| vec![serde_json::Value::from(c.to_string())];
        [
            self.facet.then(Vec::new).map(|a| ("facet", a)),
            self.facetsort.as_ref().map(text).map(|a| ("facetsort", a)),
            self.disjunctive.then(Vec::new).map(|a| ("disjunctive", a)),
            self.multivalued.as_ref().map(sep).map(|a| ("multivalued", a)),
            self.hierarchical.as_ref().map(sep).map(|a| ("hierarchical", a)),
            self.timeserie_precision.as_ref().map(text).map(|a| ("timeserie_precision", a)),
            self.unit.as_ref().map(text).map(|a| ("unit", a)),
            self.decimals.map(|d| ("decimals", vec![serde_json::Value::from(d)])),
            self.id.then(Vec::new).map(|a| ("id", a)),
            self.sortable.then(Vec::new).map(|a| ("sortable", a)),
        ]
        .into_iter()
        .flatten()
    }
}

/// The values of a multivalued cell: split on `separator`, trimmed, empties dropped.
pub fn split_values(text: &str, separator: char) -> impl Iterator<Item = &str> {
    text.split(separator).map(str::trim).filter(|v| !v.is_empty())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The error for a field name the schema lacks, naming the closest field when one is near
    /// enough to be a typo (edit distance at most a third of the name, and at least 2).
    pub fn unknown_field(&self, name: &str) -> String {
        let distance = |f: &Field| edit_distance(&name.to_lowercase(), &f.name.to_lowercase());
        let nearest = self.fields.iter().map(|f| (distance(f), f)).min_by_key(|(d, _)| *d);
        match nearest {
            Some((d, f)) if d <= (name.chars().count() / 3).max(2) => {
                format!("Unknown field: {name}. Did you mean {}?", f.name)
            }
            _ => format!("Unknown field: {name}"),
        }
    }
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// What a publisher changed on a field: its type, its label, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOverride {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub field_type: Option<FieldType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Technical field names for source headers, as Opendatasoft derives them: accents removed,
/// lowercase, every run of other characters turned into one `_`, no leading digit, unique
/// (`_2`, `_3`… on repeats), `field_<n>` for empty headers.
pub fn field_names(headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let mut name = String::new();
        for c in header.chars().flat_map(fold_char) {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_lowercase());
            } else if !name.ends_with('_') {
                name.push('_');
            }
        }
        let mut name = name.trim_matches('_').to_owned();
        if name.is_empty() {
            name = format!("field_{}", i + 1);
        } else if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert_str(0, "f_");
        }
        let base = name.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// A text as it sorts for readers: accents folded and case ignored, so that "Éducation" comes
/// between "Culture" and "Finances" rather than after "Zoologie".
pub fn collation_key(text: &str) -> String {
    text.chars().flat_map(fold_char).flat_map(char::to_lowercase).collect()
}

/// Latin letters with diacritics to their base letters (the ones French, Spanish, German and
/// Nordic headers use); other characters pass through.
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ß' => "ss",
        _ => "",
    };
    let single = if folded.is_empty() { Some(c) } else { None };
    folded.chars().chain(single)
}

#[cfg(test)]
mod tests {

    #[test]
    fn rdf_iris_are_absolute_and_end_in_a_name() {
        use super::check_rdf_iri as check;
        for ok in ["http://schema.org/name", "https://www.w3.org/ns/dcat#keyword", "urn:example:code_postal"] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["schema:name", "http://schema.org/", "http://a b/c", "http://x/<y>", "http://x/2024", "ftp://x/y"] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collation_ignores_accents_and_case() {
        let mut themes = vec!["Équipements", "services", "Culture", "Éducation", "Finances"];
        themes.sort_by_key(|t| collation_key(t));
        assert_eq!(themes, ["Culture", "Éducation", "Équipements", "Finances", "services"]);
    }

    #[test]
    fn an_unknown_field_names_the_nearest_one() {
        use super::*;
        let field = |name: &str| Field::new(name, name, FieldType::Text);
        let schema = Schema { fields: vec![field("hauteur"), field("commune"), field("date_d_ouverture")] };
        assert_eq!(schema.unknown_field("hauter"), "Unknown field: hauter. Did you mean hauteur?");
        assert_eq!(schema.unknown_field("Commune"), "Unknown field: Commune. Did you mean commune?");
        assert_eq!(
            schema.unknown_field("date_ouverture"),
            "Unknown field: date_ouverture. Did you mean date_d_ouverture?"
        );
        assert_eq!(schema.unknown_field("prix"), "Unknown field: prix");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    use super::*;

    fn names(h: &[&str]) -> Vec<String> {
        field_names(&h.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn names_are_normalised_like_opendatasoft() {
        assert_eq!(
            names(&["Code Postal", "Libellé de l'équipement", "N° SIRET", "Œuvre", "2024 budget", "", "code postal"]),
            [
                "code_postal",
                "libelle_de_l_equipement",
                "n_siret",
                "oeuvre",
                "f_2024_budget",
                "field_6",
                "code_postal_2"
            ]
        );
    }

    #[test]
    fn types_round_trip() {
        for t in FieldType::ALL {
            assert_eq!(t.as_str().parse::<FieldType>().unwrap(), t);
        }
        assert!("float".parse::<FieldType>().is_err());
    }
}
