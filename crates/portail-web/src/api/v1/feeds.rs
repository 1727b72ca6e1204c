//! The feed formats of a v1 records search (`format=rss`, `format=atom`): one item per record of
//! the page asked for, so a feed reader follows a dataset sorted by date (`sort=date_field`).

use crate::api::catalog::Served;
use crate::api::catalog_exports::{rfc2822, xml};
use crate::tenant::Site;
use axum::response::Response;
use portail_core::{FieldType, Schema};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Feed {
    Rss,
    Atom,
}

/// What a feed says of one v1 record.
struct Item {
    title: String,
    url: String,
    /// "Label: value" lines.
    text: String,
    /// `[lat, lon]` of the record's point, for GeoRSS.
    point: Option<(f64, f64)>,
}

/// A cell as a reader shows it: lists joined, points as `lat, lon`, shapes left out.
fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().filter_map(cell_text).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => None,
        other => Some(other.to_string()),
    }
}

fn item(site: &Site, schema: &Schema, dataset_id: &str, record: &Value) -> Item {
    let id = record["recordid"].as_str().unwrap_or_default();
    let fields = &record["fields"];
    // The first text value names the record, as a list's first column usually does.
    let title = schema
        .fields
        .iter()
        .filter(|f| f.field_type == FieldType::Text)
        .find_map(|f| fields.get(&f.name).and_then(cell_text).filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| id.to_owned());
    let text = schema
        .fields
        .iter()
        .filter_map(|f| {
            let value = fields.get(&f.name).and_then(cell_text)?;
            Some(format!("{}: {value}", f.label))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let point = match record.get("geometry") {
        Some(g) if g["type"] == "Point" => g["coordinates"][1].as_f64().zip(g["coordinates"][0].as_f64()),
        _ => None,
    };
    Item { title, url: format!("{}/api/datasets/1.0/{dataset_id}/records/{id}", site.origin), text, point }
}

/// The page of records as a feed; `updated` is when the dataset last changed (every record of a
/// version carries that `record_timestamp`).
pub(super) fn records_feed(feed: Feed, site: &Site, current: &Served, records: &[Value]) -> Response {
    let d = &current.dataset;
    let schema = &current.version.schema;
    let items: Vec<Item> = records.iter().map(|r| item(site, schema, &d.dataset_id, r)).collect();
    let page_url = format!("{}/explore/dataset/{}/", site.origin, d.dataset_id);
    let lang = site.portal.default_lang.code();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let content_type = match feed {
        Feed::Rss => {
            out.push_str("<rss version=\"2.0\" xmlns:georss=\"http://www.georss.org/georss\">\n<channel>\n");
            out.push_str(&format!("<title>{}</title>\n<link>{}</link>\n", xml(&d.title), xml(&page_url)));
            let about = if d.description.is_empty() { &d.title } else { &d.description };
            out.push_str(&format!("<description>{}</description>\n<language>{lang}</language>\n", xml(about)));
            out.push_str(&format!("<lastBuildDate>{}</lastBuildDate>\n", rfc2822(d.modified_at)));
            for i in &items {
                out.push_str(&format!("<item>\n<title>{}</title>\n<link>{}</link>\n", xml(&i.title), xml(&i.url)));
                out.push_str(&format!("<guid isPermaLink=\"true\">{}</guid>\n", xml(&i.url)));
                out.push_str(&format!("<description>{}</description>\n", xml(&i.text)));
                out.push_str(&format!("<pubDate>{}</pubDate>\n", rfc2822(d.modified_at)));
                if let Some((lat, lon)) = i.point {
                    out.push_str(&format!("<georss:point>{lat} {lon}</georss:point>\n"));
                }
                out.push_str("</item>\n");
            }
            out.push_str("</channel>\n</rss>\n");
            "application/rss+xml; charset=utf-8"
        }
        Feed::Atom => {
            let updated = portail_core::time::iso_utc(d.modified_at);
            out.push_str(&format!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:georss=\"http://www.georss.org/georss\" xml:lang=\"{lang}\">\n"
            ));
            out.push_str(&format!("<id>{}</id>\n<title>{}</title>\n", xml(&page_url), xml(&d.title)));
            out.push_str(&format!(
                "<updated>{updated}</updated>\n<link rel=\"alternate\" href=\"{}\"/>\n",
                xml(&page_url)
            ));
            let portal = site.portal.title.get(site.portal.default_lang);
            let author = if d.metas.publisher.is_empty() { portal } else { d.metas.publisher.as_str() };
            out.push_str(&format!("<author><name>{}</name></author>\n", xml(author)));
            for i in &items {
                out.push_str(&format!("<entry>\n<id>{}</id>\n<title>{}</title>\n", xml(&i.url), xml(&i.title)));
                out.push_str(&format!("<updated>{updated}</updated>\n<link href=\"{}\"/>\n", xml(&i.url)));
                out.push_str(&format!("<content type=\"text\">{}</content>\n", xml(&i.text)));
                if let Some((lat, lon)) = i.point {
                    out.push_str(&format!("<georss:point>{lat} {lon}</georss:point>\n"));
                }
                out.push_str("</entry>\n");
            }
            out.push_str("</feed>\n");
            "application/atom+xml; charset=utf-8"
        }
    };
    crate::api::api_text(out, content_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_read_as_text() {
        assert_eq!(cell_text(&json!(["Sport", "Jeunesse"])).as_deref(), Some("Sport, Jeunesse"));
        assert_eq!(cell_text(&json!(48.5)).as_deref(), Some("48.5"));
        assert_eq!(cell_text(&json!({"type": "Polygon"})), None);
        assert_eq!(cell_text(&Value::Null), None);
    }
}
