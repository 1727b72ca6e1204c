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
}

impl FieldType {
    pub const ALL: [FieldType; 8] = [
        FieldType::Text,
        FieldType::Int,
        FieldType::Double,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::GeoPoint2d,
        FieldType::GeoShape,
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
        }
    }
}

impl FromStr for FieldType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown field type `{s}` (expected one of text, int, double, boolean, date, datetime, geo_point_2d, geo_shape)"))
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
    fn collation_ignores_accents_and_case() {
        let mut themes = vec!["Équipements", "services", "Culture", "Éducation", "Finances"];
        themes.sort_by_key(|t| collation_key(t));
        assert_eq!(themes, ["Culture", "Éducation", "Équipements", "Finances", "services"]);
    }

    #[test]
    fn an_unknown_field_names_the_nearest_one() {
        use super::*;
        let field = |name: &str| Field {
            name: name.into(),
            label: name.into(),
            field_type: FieldType::Text,
            description: None,
        };
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
