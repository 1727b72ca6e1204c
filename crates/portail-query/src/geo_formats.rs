//! KML and GPX exports, written record by record like GeoJSON: the record's geometry (its first
//! geo field) and its other fields as text. Coordinates are WGS 84 longitude/latitude, as both
//! formats require.

use crate::encode::{float, Column};
use crate::QueryError;
use geo::{Coord, Geometry, LineString, Polygon};

/// GPX options of the Explore API: which field names a point or track, which go into its
/// description, and whether the fields are written as GDAL-style `<extensions>` (v2.1's
/// default) or as `name: value` lines of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpxOptions {
    pub name_field: Option<String>,
    pub description_fields: Vec<String>,
    pub use_extension: bool,
}

pub(crate) fn escape(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            // Control characters are not allowed in XML 1.0, except tab and line breaks.
            b if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') => out.push(b' '),
            b => out.push(b),
        }
    }
}

/// An XML element name for a field (field names may start with a digit; XML names may not).
fn element_name(field: &str) -> String {
    let mut name: String =
        field.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name.insert(0, '_');
    }
    name
}

/// The geometry of record `row`: its value in the `geometry` column, if there is one.
pub(crate) fn geometry_at(
    columns: &[Column],
    geometry: Option<usize>,
    row: usize,
) -> Result<Option<Geometry>, QueryError> {
    Ok(match geometry {
        Some(g) => columns[g].geo(row)?,
        None => None,
    })
}

pub(crate) const KML_HEAD: &[u8] =
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n";
pub(crate) const KML_TAIL: &[u8] = b"</Document></kml>\n";

fn kml_coordinates(points: impl Iterator<Item = Coord>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<coordinates>");
    for (i, c) in points.enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        float(c.x, out);
        out.push(b',');
        float(c.y, out);
    }
    out.extend_from_slice(b"</coordinates>");
}

fn kml_ring(ring: &LineString, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<LinearRing>");
    kml_coordinates(ring.coords().copied(), out);
    out.extend_from_slice(b"</LinearRing>");
}

fn kml_polygon(p: &Polygon, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<Polygon><outerBoundaryIs>");
    kml_ring(p.exterior(), out);
    out.extend_from_slice(b"</outerBoundaryIs>");
    for hole in p.interiors() {
        out.extend_from_slice(b"<innerBoundaryIs>");
        kml_ring(hole, out);
        out.extend_from_slice(b"</innerBoundaryIs>");
    }
    out.extend_from_slice(b"</Polygon>");
}

fn kml_geometry(g: &Geometry, out: &mut Vec<u8>) {
    match g {
        Geometry::Point(p) => {
            out.extend_from_slice(b"<Point>");
            kml_coordinates(std::iter::once(p.0), out);
            out.extend_from_slice(b"</Point>");
        }
        Geometry::Line(l) => kml_geometry(&Geometry::LineString(LineString::new(vec![l.start, l.end])), out),
        Geometry::LineString(l) => {
            out.extend_from_slice(b"<LineString>");
            kml_coordinates(l.coords().copied(), out);
            out.extend_from_slice(b"</LineString>");
        }
        Geometry::Polygon(p) => kml_polygon(p, out),
        Geometry::Rect(r) => kml_polygon(&r.to_polygon(), out),
        Geometry::Triangle(t) => kml_polygon(&t.to_polygon(), out),
        Geometry::MultiPoint(m) => multi(m.iter().map(|p| Geometry::Point(*p)), out),
        Geometry::MultiLineString(m) => multi(m.iter().cloned().map(Geometry::LineString), out),
        Geometry::MultiPolygon(m) => multi(m.iter().cloned().map(Geometry::Polygon), out),
        Geometry::GeometryCollection(c) => multi(c.iter().cloned(), out),
    }
}

fn multi(parts: impl Iterator<Item = Geometry>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<MultiGeometry>");
    for part in parts {
        kml_geometry(&part, out);
    }
    out.extend_from_slice(b"</MultiGeometry>");
}

/// One record as a KML Placemark: its fields in `ExtendedData` (null ones left out), then its
/// geometry if it has one.
pub(crate) fn kml_placemark(
    names: &[String],
    columns: &[Column],
    geometry: Option<usize>,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), QueryError> {
    out.extend_from_slice(b"<Placemark><ExtendedData>");
    let mut text = Vec::with_capacity(64);
    for (i, column) in columns.iter().enumerate() {
        if Some(i) == geometry || column.is_null(row) {
            continue;
        }
        out.extend_from_slice(b"<Data name=\"");
        escape(names[i].as_bytes(), out);
        out.extend_from_slice(b"\"><value>");
        text.clear();
        column.csv_text(row, &mut text)?;
        escape(&text, out);
        out.extend_from_slice(b"</value></Data>");
    }
    out.extend_from_slice(b"</ExtendedData>");
    if let Some(g) = geometry_at(columns, geometry, row)? {
        kml_geometry(&g, out);
    }
    out.extend_from_slice(b"</Placemark>\n");
    Ok(())
}

pub(crate) const GPX_HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"portail\" xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:ogr=\"http://osgeo.org/gdal\">\n";
pub(crate) const GPX_TAIL: &[u8] = b"</gpx>\n";

/// The `<name>`, `<desc>` and `<extensions>` of a waypoint or track, in the schema's order.
fn gpx_fields(
    options: &GpxOptions,
    names: &[String],
    columns: &[Column],
    geometry: Option<usize>,
    row: usize,
) -> Result<Vec<u8>, QueryError> {
    let mut out = vec![];
    let mut text = Vec::with_capacity(64);
    let position = |field: &str| names.iter().position(|n| n == field);
    if let Some(i) = options.name_field.as_deref().and_then(position) {
        if !columns[i].is_null(row) {
            columns[i].csv_text(row, &mut text)?;
            out.extend_from_slice(b"<name>");
            escape(&text, &mut out);
            out.extend_from_slice(b"</name>");
        }
    }
    let described: Vec<usize> = if !options.description_fields.is_empty() {
        options.description_fields.iter().filter_map(|f| position(f)).collect()
    } else if !options.use_extension {
        (0..columns.len()).filter(|i| Some(*i) != geometry).collect()
    } else {
        vec![]
    };
    let mut lines = vec![];
    for i in described.into_iter().filter(|i| !columns[*i].is_null(row)) {
        text.clear();
        columns[i].csv_text(row, &mut text)?;
        lines.push([names[i].as_bytes(), b": ", &text].concat());
    }
    if !lines.is_empty() {
        out.extend_from_slice(b"<desc>");
        escape(&lines.join(&b'\n'), &mut out);
        out.extend_from_slice(b"</desc>");
    }
    if options.use_extension {
        out.extend_from_slice(b"<extensions>");
        for (i, column) in columns.iter().enumerate() {
            if Some(i) == geometry || column.is_null(row) {
                continue;
            }
            let element = element_name(&names[i]);
            text.clear();
            column.csv_text(row, &mut text)?;
            out.extend_from_slice(format!("<ogr:{element}>").as_bytes());
            escape(&text, &mut out);
            out.extend_from_slice(format!("</ogr:{element}>").as_bytes());
        }
        out.extend_from_slice(b"</extensions>");
    }
    Ok(out)
}

fn gpx_point(tag: &str, c: Coord, inner: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("<{tag} lat=\"").as_bytes());
    float(c.y, out);
    out.extend_from_slice(b"\" lon=\"");
    float(c.x, out);
    if inner.is_empty() {
        out.extend_from_slice(b"\"/>");
    } else {
        out.extend_from_slice(b"\">");
        out.extend_from_slice(inner);
        out.extend_from_slice(format!("</{tag}>").as_bytes());
    }
}

/// The lines a geometry draws: a line's own, a polygon's rings.
fn lines_of(g: &Geometry, out: &mut Vec<LineString>) {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
        Geometry::Line(l) => out.push(LineString::new(vec![l.start, l.end])),
        Geometry::LineString(l) => out.push(l.clone()),
        Geometry::MultiLineString(m) => out.extend(m.iter().cloned()),
        Geometry::Polygon(p) => {
            out.push(p.exterior().clone());
            out.extend(p.interiors().iter().cloned());
        }
        Geometry::Rect(r) => out.push(r.to_polygon().exterior().clone()),
        Geometry::Triangle(t) => out.push(t.to_polygon().exterior().clone()),
        Geometry::MultiPolygon(m) => m.iter().for_each(|p| lines_of(&Geometry::Polygon(p.clone()), out)),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| lines_of(g, out)),
    }
}

/// The points of a point or multi-point (collections searched), in order.
pub(crate) fn points_of(g: &Geometry, out: &mut Vec<Coord>) {
    match g {
        Geometry::Point(p) => out.push(p.0),
        Geometry::MultiPoint(m) => out.extend(m.iter().map(|p| p.0)),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| points_of(g, out)),
        _ => {}
    }
}

/// One record in GPX: each of its points a waypoint, its lines and rings one track (a segment
/// each). A record without geometry has no place in GPX and is left out.
pub(crate) fn gpx_record(
    options: &GpxOptions,
    names: &[String],
    columns: &[Column],
    geometry: Option<usize>,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), QueryError> {
    let Some(g) = geometry_at(columns, geometry, row)? else { return Ok(()) };
    let inner = gpx_fields(options, names, columns, geometry, row)?;
    let mut points = vec![];
    points_of(&g, &mut points);
    for p in points {
        gpx_point("wpt", p, &inner, out);
        out.push(b'\n');
    }
    let mut lines = vec![];
    lines_of(&g, &mut lines);
    if !lines.is_empty() {
        out.extend_from_slice(b"<trk>");
        out.extend_from_slice(&inner);
        for line in lines {
            out.extend_from_slice(b"<trkseg>");
            for c in line.coords() {
                gpx_point("trkpt", *c, b"", out);
            }
            out.extend_from_slice(b"</trkseg>");
        }
        out.extend_from_slice(b"</trk>\n");
    }
    Ok(())
}

/// One TomTom OV2 point of interest (a "simple POI" record): type 2, the record's length,
/// longitude and latitude in hundred-thousandths of a degree, then its name ended by a zero
/// byte, in Windows-1252 as TomTom devices read it. Lines and shapes are placed at their
/// centroid; a record without geometry is left out.
pub(crate) fn ov2_record(
    name: Option<usize>,
    columns: &[Column],
    geometry: Option<usize>,
    row: usize,
    out: &mut Vec<u8>,
) -> Result<(), QueryError> {
    use geo::Centroid;
    let Some(g) = geometry_at(columns, geometry, row)? else { return Ok(()) };
    let Some(at) = g.centroid() else { return Ok(()) };
    let mut text = vec![];
    if let Some(n) = name {
        columns[n].csv_text(row, &mut text)?;
    }
    let text = String::from_utf8_lossy(&text);
    let (encoded, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let name: Vec<u8> = encoded.iter().copied().filter(|b| *b != 0).collect();
    let length = 1 + 4 + 4 + 4 + name.len() + 1;
    out.push(2);
    out.extend_from_slice(&(length as u32).to_le_bytes());
    out.extend_from_slice(&((at.x() * 100_000.0).round() as i32).to_le_bytes());
    out.extend_from_slice(&((at.y() * 100_000.0).round() as i32).to_le_bytes());
    out.extend_from_slice(&name);
    out.push(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_names_are_valid_xml_names() {
        assert_eq!(element_name("2024_total"), "_2024_total");
        assert_eq!(element_name("nom"), "nom");
        assert_eq!(element_name("a b"), "a_b");
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let mut out = vec![];
        escape(b"a<b & \"c\"\x01", &mut out);
        assert_eq!(out, b"a&lt;b &amp; &quot;c&quot; ");
    }
}
