//! How values read in pages: numbers in the page's language, cells of the data table, excerpts.

use portail_core::Lang;
use serde_json::Value;

/// `12345` as `12,345` in English and `12 345` (narrow no-break space) in French.
pub fn integer(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let separator = match lang {
        Lang::En => ",",
        Lang::Fr => "\u{202f}",
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A decimal number with the page's decimal mark (`3.5` / `3,5`).
pub fn decimal(lang: Lang, x: f64) -> String {
    let text = if x.fract() == 0.0 && x.abs() < 1e15 { format!("{x:.0}") } else { format!("{x}") };
    match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    }
}

/// `path` with the query `pairs` after `changes` (an empty value removes a parameter): the links
/// of pagers, filters and sortable headers.
pub fn url_with(path: &str, mut pairs: Vec<(String, String)>, changes: &[(&str, String)]) -> String {
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name.to_string(), value.clone()));
        }
    }
    if pairs.is_empty() {
        return path.to_owned();
    }
    format!("{path}?{}", form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
}

/// At most `max` characters of `text`, cut at a word boundary, with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(char::is_whitespace).map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end())
}

/// A record value as a table cell shows it.
pub fn cell(lang: Lang, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => decimal(lang, n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => items.iter().map(|v| cell(lang, v)).collect::<Vec<_>>().join(", "),
        Value::Object(o) => match (o.get("lat").and_then(Value::as_f64), o.get("lon").and_then(Value::as_f64)) {
            (Some(lat), Some(lon)) => {
                let between = if lang == Lang::Fr { " ; " } else { ", " };
                format!("{}{between}{}", decimal(lang, lat), decimal(lang, lon))
            }
            _ => o.get("type").and_then(Value::as_str).unwrap_or("").to_owned(),
        },
    }
}

/// A record value of `field` as a table cell shows it: numbers with the field's decimals and
/// unit when the publisher set them.
pub fn field_cell(lang: Lang, field: &portail_core::Field, value: &Value) -> String {
    let a = &field.annotations;
    // A file shows its name (the table holds text).
    if let (portail_core::FieldType::File, Some(name)) = (field.field_type, value["filename"].as_str()) {
        return name.to_owned();
    }
    let Some(x) = value.as_f64().filter(|_| value.is_number()) else { return cell(lang, value) };
    let mut text = match a.decimals {
        Some(d) => {
            let fixed = format!("{x:.*}", usize::from(d));
            if lang == Lang::Fr {
                fixed.replace('.', ",")
            } else {
                fixed
            }
        }
        None => cell(lang, value),
    };
    if let Some(unit) = &a.unit {
        text.push('\u{a0}');
        text.push_str(unit);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_show_their_name() {
        let f = portail_core::Field::new("photo", "Photo", portail_core::FieldType::File);
        let value = json!({"id": "ab", "filename": "platane.png", "url": "http://x/files/ab"});
        assert_eq!(field_cell(Lang::Fr, &f, &value), "platane.png");
        assert_eq!(field_cell(Lang::Fr, &f, &Value::Null), cell(Lang::Fr, &Value::Null));
    }

    #[test]
    fn numbers_take_their_fields_decimals_and_unit() {
        let mut f = portail_core::Field::new("surface", "Surface", portail_core::FieldType::Double);
        assert_eq!(field_cell(Lang::Fr, &f, &json!(12.3456)), "12,3456");
        f.annotations.decimals = Some(2);
        f.annotations.unit = Some("km²".into());
        assert_eq!(field_cell(Lang::Fr, &f, &json!(12.3456)), "12,35\u{a0}km²");
        assert_eq!(field_cell(Lang::En, &f, &json!(2)), "2.00\u{a0}km²");
        assert_eq!(field_cell(Lang::En, &f, &Value::Null), "", "no unit without a value");
    }

    #[test]
    fn numbers_follow_the_page_language() {
        assert_eq!(integer(Lang::En, 1234567), "1,234,567");
        assert_eq!(integer(Lang::Fr, 1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(integer(Lang::En, -1000), "-1,000");
        assert_eq!(integer(Lang::En, 999), "999");
        assert_eq!(decimal(Lang::Fr, 3.25), "3,25");
        assert_eq!(decimal(Lang::En, 3.0), "3");
    }

    #[test]
    fn links_change_one_parameter_and_keep_the_others() {
        let pairs = vec![("q".to_owned(), "vélo".to_owned()), ("page".to_owned(), "2".to_owned())];
        assert_eq!(url_with("/explore/", pairs.clone(), &[("page", "3".into())]), "/explore/?q=v%C3%A9lo&page=3");
        assert_eq!(url_with("/explore/", pairs, &[("q", String::new()), ("page", String::new())]), "/explore/");
    }

    #[test]
    fn excerpts_cut_between_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("les arbres remarquables de la ville", 16), "les arbres…");
    }

    #[test]
    fn cells_show_points_lists_and_shapes() {
        assert_eq!(cell(Lang::Fr, &json!({"lon": 2.5, "lat": 48.75})), "48,75 ; 2,5");
        assert_eq!(cell(Lang::En, &json!(["a", "b"])), "a, b");
        assert_eq!(cell(Lang::En, &json!({"type": "Polygon", "coordinates": []})), "Polygon");
        assert_eq!(cell(Lang::En, &Value::Null), "");
        assert_eq!(cell(Lang::En, &json!(12)), "12");
    }
}
