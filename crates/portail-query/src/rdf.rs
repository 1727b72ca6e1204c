//! Records as RDF (Turtle, N3, RDF/XML, JSON-LD). Each record is named by its API address and
//! part of its dataset (`dct:isPartOf`), of the class the publisher mapped the dataset to, else
//! `<vocabulary>Record`; each field is stated with the property the publisher mapped it to
//! (`rdf_property`, e.g. `http://schema.org/name`), else a property of the dataset's vocabulary
//! (`<vocabulary>nom`, labelled with the field's label). Values are typed literals
//! (`xsd:integer`, `xsd:double`, `xsd:boolean`, `xsd:date`, `xsd:dateTime`), geometries
//! GeoSPARQL WKT literals, and a multivalued field gives one statement per value.

use crate::bind::Kind;
use crate::encode::{float, json_string, Column};
use crate::QueryError;
use portail_core::{FieldType, Schema};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const DCT: &str = "http://purl.org/dc/terms/";
const GEO: &str = "http://www.opengis.net/ont/geosparql#";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfSyntax {
    Turtle,
    /// Turtle is N3's subset that every N3 reader takes.
    N3,
    RdfXml,
    JsonLd,
}

/// Where the records, their dataset and its vocabulary live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdfOptions {
    pub syntax: RdfSyntax,
    /// The dataset's address (`…/catalog/datasets/arbres`).
    pub dataset: String,
    /// Record addresses are this followed by the record id (`…/records/`).
    pub records: String,
    /// The namespace of the dataset's properties and of its `Record` class (ends in `#` or `/`).
    pub vocabulary: String,
    /// The class the publisher mapped the records to; `None`: `<vocabulary>Record`.
    pub class: Option<String>,
}

/// How a field's values are stated, its terms written once for every record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Property {
    /// The publisher's property; `None`: the dataset vocabulary's own `ds:<local>`.
    iri: Option<String>,
    turtle: String,
    /// The opening (attributes to come) and closing of an RDF/XML property element.
    xml_open: String,
    xml_close: String,
}

impl Property {
    fn own(local: &str) -> Property {
        Property {
            iri: None,
            turtle: format!("ds:{local}"),
            xml_open: format!("<ds:{local}"),
            xml_close: format!("</ds:{local}>"),
        }
    }

    /// The publisher's IRI, split where RDF/XML needs a namespace and a name.
    fn mapped(iri: &str) -> Property {
        let at = iri.rfind(['/', '#', ':']).map_or(0, |i| i + 1);
        let (namespace, name) = iri.split_at(at);
        let mut ns = String::new();
        xml_text(namespace, &mut ns);
        Property {
            iri: Some(iri.to_owned()),
            turtle: format!("<{iri}>"),
            xml_open: format!("<m:{name} xmlns:m=\"{ns}\""),
            xml_close: format!("</m:{name}>"),
        }
    }
}

/// A property's local name: the output's name where it is one already (field names are), else
/// with every other character turned into `_`.
fn local_name(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert_str(0, "f_");
    }
    out
}

/// The XSD datatype of an output's values (`None`: a plain string).
fn datatype(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Field(FieldType::Int) => Some("integer"),
        Kind::Field(FieldType::Double) | Kind::Number => Some("double"),
        Kind::Field(FieldType::Boolean) | Kind::Bool => Some("boolean"),
        Kind::Field(FieldType::Date) => Some("date"),
        Kind::Field(FieldType::Datetime) => Some("dateTime"),
        // A file is its address.
        Kind::Field(FieldType::File) => Some("anyURI"),
        _ => None,
    }
}

fn is_geo(kind: Kind) -> bool {
    matches!(kind, Kind::Field(FieldType::GeoPoint2d | FieldType::GeoShape))
}

/// The lexical forms of a cell's values: none for null, one per value of a multivalued field.
fn literals(column: &Column, kind: Kind, row: usize) -> Result<Vec<String>, QueryError> {
    if column.is_null(row) {
        return Ok(vec![]);
    }
    if is_geo(kind) {
        return Ok(column.geo(row)?.map(|g| wkt(&g)).into_iter().collect());
    }
    if let Column::List { .. } = column {
        return Ok(column.list_values(row));
    }
    if let Column::Float(a) = column {
        if !a.value(row).is_finite() {
            return Ok(vec![]);
        }
    }
    let mut text = vec![];
    column.csv_text(row, &mut text)?;
    Ok(vec![String::from_utf8_lossy(&text).into_owned()])
}

/// A geometry as WKT (`POINT (2.35 48.85)`), longitude first.
pub(crate) fn wkt(g: &geo::Geometry) -> String {
    use geo::Geometry as G;
    fn coords(points: impl Iterator<Item = geo::Coord>) -> String {
        let mut out = String::from("(");
        for (i, c) in points.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let mut x = vec![];
            float(c.x, &mut x);
            x.push(b' ');
            float(c.y, &mut x);
            out.push_str(&String::from_utf8_lossy(&x));
        }
        out.push(')');
        out
    }
    fn polygon(p: &geo::Polygon) -> String {
        let rings: Vec<String> =
            std::iter::once(p.exterior()).chain(p.interiors()).map(|r| coords(r.coords().copied())).collect();
        format!("({})", rings.join(", "))
    }
    fn join(parts: Vec<String>) -> String {
        format!("({})", parts.join(", "))
    }
    match g {
        G::Point(p) => format!("POINT {}", coords(std::iter::once(p.0))),
        G::Line(l) => format!("LINESTRING {}", coords([l.start, l.end].into_iter())),
        G::LineString(l) => format!("LINESTRING {}", coords(l.coords().copied())),
        G::Polygon(p) => format!("POLYGON {}", polygon(p)),
        G::MultiPoint(m) => format!("MULTIPOINT {}", join(m.iter().map(|p| coords(std::iter::once(p.0))).collect())),
        G::MultiLineString(m) => {
            format!("MULTILINESTRING {}", join(m.iter().map(|l| coords(l.coords().copied())).collect()))
        }
        G::MultiPolygon(m) => format!("MULTIPOLYGON {}", join(m.iter().map(polygon).collect())),
        G::GeometryCollection(c) => {
            format!("GEOMETRYCOLLECTION ({})", c.iter().map(wkt).collect::<Vec<_>>().join(", "))
        }
        G::Rect(r) => format!("POLYGON {}", polygon(&r.to_polygon())),
        G::Triangle(t) => format!("POLYGON {}", polygon(&t.to_polygon())),
    }
}

fn turtle_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn xml_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot hold at all.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
}

/// What the records are written with: the outputs after `_id`, their property names.
pub(crate) struct RdfWriter {
    options: RdfOptions,
    /// Output index, kind, JSON-LD key and property of each value column.
    properties: Vec<(usize, Kind, String, Property)>,
    /// The output index of the record id.
    id: usize,
}

impl RdfWriter {
    pub fn new(options: RdfOptions, schema: &Schema, outputs: &[(String, Kind)]) -> Result<RdfWriter, QueryError> {
        let id = outputs
            .iter()
            .position(|(name, _)| name == "_id")
            .ok_or_else(|| QueryError::invalid("RDF exports describe records, and need their id (`_id`) in select"))?;
        let mut properties: Vec<(usize, Kind, String, Property)> = vec![];
        for (i, (name, kind)) in outputs.iter().enumerate().filter(|(i, _)| *i != id) {
            if *kind == Kind::Aggregate {
                return Err(QueryError::invalid("RDF exports describe records: aggregates are not available"));
            }
            let mut local = local_name(name);
            while properties.iter().any(|(_, _, l, _)| *l == local) {
                local.push('_');
            }
            let mapped = schema.field(name).and_then(|f| f.annotations.rdf_property.as_deref());
            let property = mapped.map_or_else(|| Property::own(&local), Property::mapped);
            properties.push((i, *kind, local, property));
        }
        Ok(RdfWriter { options, properties, id })
    }

    /// Prefixes (or the JSON-LD context), then the vocabulary: each property with its label.
    pub fn head(&self, schema: &Schema, outputs: &[(String, Kind)]) -> Vec<u8> {
        let o = &self.options;
        let vocab = &o.vocabulary;
        let label = |i: usize| schema.field(&outputs[i].0).map_or(outputs[i].0.as_str(), |f| f.label.as_str());
        let mut out = String::new();
        match o.syntax {
            RdfSyntax::Turtle | RdfSyntax::N3 => {
                for (prefix, ns) in
                    [("rdf", RDF), ("rdfs", RDFS), ("xsd", XSD), ("dct", DCT), ("geo", GEO), ("ds", vocab)]
                {
                    out.push_str(&format!("@prefix {prefix}: <{ns}> .\n"));
                }
                out.push('\n');
                if o.class.is_none() {
                    out.push_str("ds:Record a rdfs:Class ;\n    rdfs:isDefinedBy <");
                    out.push_str(&o.dataset);
                    out.push_str("> .\n");
                }
                for (i, kind, local) in self.own_properties() {
                    out.push_str(&format!("ds:{local} a rdf:Property ;\n    rdfs:label "));
                    turtle_string(label(*i), &mut out);
                    match (datatype(*kind), is_geo(*kind)) {
                        (Some(t), _) => out.push_str(&format!(" ;\n    rdfs:range xsd:{t}")),
                        (None, true) => out.push_str(" ;\n    rdfs:range geo:wktLiteral"),
                        _ => {}
                    }
                    out.push_str(" .\n");
                }
                out.push('\n');
            }
            RdfSyntax::RdfXml => {
                out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
                for (prefix, ns) in [("rdf", RDF), ("rdfs", RDFS), ("dct", DCT), ("ds", vocab.as_str())] {
                    out.push_str(&format!(" xmlns:{prefix}=\""));
                    xml_text(ns, &mut out);
                    out.push('"');
                }
                out.push_str(">\n");
                if o.class.is_none() {
                    out.push_str("  <rdfs:Class rdf:about=\"");
                    xml_text(&format!("{vocab}Record"), &mut out);
                    out.push_str("\"><rdfs:isDefinedBy rdf:resource=\"");
                    xml_text(&o.dataset, &mut out);
                    out.push_str("\"/></rdfs:Class>\n");
                }
                for (i, kind, local) in self.own_properties() {
                    out.push_str("  <rdf:Property rdf:about=\"");
                    xml_text(&format!("{vocab}{local}"), &mut out);
                    out.push_str("\"><rdfs:label>");
                    xml_text(label(*i), &mut out);
                    out.push_str("</rdfs:label>");
                    match (datatype(*kind), is_geo(*kind)) {
                        (Some(t), _) => out.push_str(&format!("<rdfs:range rdf:resource=\"{XSD}{t}\"/>")),
                        (None, true) => out.push_str(&format!("<rdfs:range rdf:resource=\"{GEO}wktLiteral\"/>")),
                        _ => {}
                    }
                    out.push_str("</rdf:Property>\n");
                }
            }
            RdfSyntax::JsonLd => {
                // Keys are the vocabulary's terms through `@vocab`, so that no field name can
                // clash with a prefix; typed fields say their datatype.
                let mut context = serde_json::Map::new();
                context.insert("@vocab".into(), vocab.as_str().into());
                for (_, kind, local, property) in &self.properties {
                    let datatype = match (datatype(*kind), is_geo(*kind)) {
                        (Some("boolean"), _) | (None, false) => None,
                        (Some(t), _) => Some(format!("{XSD}{t}")),
                        (None, true) => Some(format!("{GEO}wktLiteral")),
                    };
                    let mut term = serde_json::Map::new();
                    if let Some(iri) = &property.iri {
                        term.insert("@id".into(), iri.as_str().into());
                    }
                    if let Some(t) = datatype {
                        term.insert("@type".into(), t.into());
                    }
                    if !term.is_empty() {
                        context.insert(local.clone(), serde_json::Value::Object(term));
                    }
                }
                out.push_str("{\"@context\": ");
                out.push_str(&serde_json::Value::Object(context).to_string());
                out.push_str(",\n\"@graph\": [\n");
            }
        }
        out.into_bytes()
    }

    /// The properties of the dataset's own vocabulary, which the head describes.
    fn own_properties(&self) -> impl Iterator<Item = (&usize, &Kind, &String)> {
        self.properties.iter().filter(|(.., p)| p.iri.is_none()).map(|(i, kind, local, _)| (i, kind, local))
    }

    pub fn tail(&self) -> &'static [u8] {
        match self.options.syntax {
            RdfSyntax::Turtle | RdfSyntax::N3 => b"",
            RdfSyntax::RdfXml => b"</rdf:RDF>\n",
            RdfSyntax::JsonLd => b"\n]}\n",
        }
    }

    /// One record.
    pub fn record(&self, columns: &[Column], row: usize, first: bool, out: &mut Vec<u8>) -> Result<(), QueryError> {
        let mut id = vec![];
        columns[self.id].csv_text(row, &mut id)?;
        let subject = format!("{}{}", self.options.records, String::from_utf8_lossy(&id));
        let mut s = String::with_capacity(256);
        match self.options.syntax {
            RdfSyntax::Turtle | RdfSyntax::N3 => {
                let class = self.options.class.as_ref().map_or_else(|| "ds:Record".to_owned(), |c| format!("<{c}>"));
                s.push_str(&format!("<{subject}> a {class} ;\n    dct:isPartOf <{}>", self.options.dataset));
                for (i, kind, _, property) in &self.properties {
                    for value in literals(&columns[*i], *kind, row)? {
                        s.push_str(" ;\n    ");
                        s.push_str(&property.turtle);
                        s.push(' ');
                        turtle_string(&value, &mut s);
                        match (datatype(*kind), is_geo(*kind)) {
                            (Some(t), _) => s.push_str(&format!("^^xsd:{t}")),
                            (None, true) => s.push_str("^^geo:wktLiteral"),
                            _ => {}
                        }
                    }
                }
                s.push_str(" .\n");
            }
            RdfSyntax::RdfXml => {
                s.push_str("  <rdf:Description rdf:about=\"");
                xml_text(&subject, &mut s);
                s.push_str("\">\n    <rdf:type rdf:resource=\"");
                let own = format!("{}Record", self.options.vocabulary);
                xml_text(self.options.class.as_deref().unwrap_or(&own), &mut s);
                s.push_str("\"/>\n    <dct:isPartOf rdf:resource=\"");
                xml_text(&self.options.dataset, &mut s);
                s.push_str("\"/>\n");
                for (i, kind, _, property) in &self.properties {
                    let (open, close) = (&property.xml_open, &property.xml_close);
                    for value in literals(&columns[*i], *kind, row)? {
                        s.push_str("    ");
                        s.push_str(open);
                        match (datatype(*kind), is_geo(*kind)) {
                            (Some(t), _) => s.push_str(&format!(" rdf:datatype=\"{XSD}{t}\"")),
                            (None, true) => s.push_str(&format!(" rdf:datatype=\"{GEO}wktLiteral\"")),
                            _ => {}
                        }
                        s.push('>');
                        xml_text(&value, &mut s);
                        s.push_str(close);
                        s.push('\n');
                    }
                }
                s.push_str("  </rdf:Description>\n");
            }
            RdfSyntax::JsonLd => {
                out.extend_from_slice(if first { b"{\"@id\":" } else { b",\n{\"@id\":" });
                json_string(&subject, out)?;
                out.extend_from_slice(b",\"@type\":");
                json_string(self.options.class.as_deref().unwrap_or("Record"), out)?;
                out.extend_from_slice(b",\"http://purl.org/dc/terms/isPartOf\":{\"@id\":");
                json_string(&self.options.dataset, out)?;
                out.push(b'}');
                for (i, kind, local, _) in &self.properties {
                    let column = &columns[*i];
                    if column.is_null(row) {
                        continue;
                    }
                    out.push(b',');
                    json_string(local, out)?;
                    out.push(b':');
                    if is_geo(*kind) {
                        match column.geo(row)? {
                            Some(g) => json_string(&wkt(&g), out)?,
                            None => out.extend_from_slice(b"null"),
                        }
                    } else {
                        column.json(row, out)?;
                    }
                }
                out.push(b'}');
                return Ok(());
            }
        }
        out.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometries_are_written_as_wkt() {
        let point = geo::Geometry::Point(geo::Point::new(2.35, 48.85));
        assert_eq!(wkt(&point), "POINT (2.35 48.85)");
        let ring = geo::LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        let square = geo::Polygon::new(ring, vec![]);
        assert_eq!(wkt(&geo::Geometry::Polygon(square.clone())), "POLYGON ((0.0 0.0, 1.0 0.0, 1.0 1.0, 0.0 0.0))");
        let multi = geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![square.clone(), square]));
        assert_eq!(
            wkt(&multi),
            "MULTIPOLYGON (((0.0 0.0, 1.0 0.0, 1.0 1.0, 0.0 0.0)), ((0.0 0.0, 1.0 0.0, 1.0 1.0, 0.0 0.0)))"
        );
    }

    #[test]
    fn names_and_strings_are_escaped_for_each_syntax() {
        assert_eq!(local_name("code_postal"), "code_postal");
        assert_eq!(local_name("count(*)"), "count___");
        assert_eq!(local_name("2024"), "f_2024");
        let mut s = String::new();
        turtle_string("L'\"arbre\"\n\\", &mut s);
        assert_eq!(s, "\"L'\\\"arbre\\\"\\n\\\\\"");
        let mut x = String::new();
        xml_text("<a & \"b\">\u{1}", &mut x);
        assert_eq!(x, "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
