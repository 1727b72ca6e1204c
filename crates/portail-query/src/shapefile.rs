//! The Shapefile export: a zip holding `<name>.shp` (geometries), `.shx` (their index), `.dbf`
//! (the other fields), `.prj` (its coordinate system) and `.cpg` (UTF-8), as the ESRI specification of 1998
//! and dBase III describe them. Like Opendatasoft's, it holds at most 50,000 records and one
//! geometry type, decided by the first record that has a geometry; records whose geometry is of
//! another kind get a null shape. A shapefile cannot be written before its records are known
//! (headers hold lengths and bounds), so it is built whole, then sent.

use crate::bind::Kind;
use crate::crs::Crs;
use crate::encode::Column;
use crate::geo_formats::{geometry_at, points_of as points};
use crate::{QueryError, Zone};
use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Coord, Geometry, LineString, Polygon, Rect};
use std::io::Write;

/// Records a shapefile export holds at most.
pub const MAX_RECORDS: usize = 50_000;

/// Fields a dBase table holds at most.
const MAX_FIELDS: usize = 255;

/// Bytes a dBase character field holds at most.
const MAX_CHAR_WIDTH: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShapeType {
    Null = 0,
    Point = 1,
    PolyLine = 3,
    Polygon = 5,
    MultiPoint = 8,
}

/// The layer type a geometry asks for.
fn layer_type(g: &Geometry) -> ShapeType {
    match g {
        Geometry::Point(_) => ShapeType::Point,
        Geometry::MultiPoint(_) => ShapeType::MultiPoint,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => ShapeType::PolyLine,
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => {
            ShapeType::Polygon
        }
        Geometry::GeometryCollection(c) => c.iter().map(layer_type).next().unwrap_or(ShapeType::Null),
    }
}

/// The lines of a line layer's record. Unlike GPX's tracks, polygon rings are left out: a
/// polygon is not a line, and a line layer gives it a null shape.
fn lines(g: &Geometry, out: &mut Vec<LineString>) {
    match g {
        Geometry::Line(l) => out.push(LineString::new(vec![l.start, l.end])),
        Geometry::LineString(l) => out.push(l.clone()),
        Geometry::MultiLineString(m) => out.extend(m.iter().cloned()),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| lines(g, out)),
        _ => {}
    }
}

/// A polygon's rings as a shapefile wants them: closed, the outer one clockwise, holes
/// counter-clockwise (GeoJSON has it the other way round).
fn rings(g: &Geometry, out: &mut Vec<LineString>) {
    let mut push = |p: &Polygon| {
        let p = p.orient(Direction::Reversed);
        let (exterior, interiors) = p.into_inner();
        for mut ring in std::iter::once(exterior).chain(interiors) {
            ring.close();
            if ring.0.len() >= 4 {
                out.push(ring);
            }
        }
    };
    match g {
        Geometry::Polygon(p) => push(p),
        Geometry::MultiPolygon(m) => m.iter().for_each(push),
        Geometry::Rect(r) => push(&r.to_polygon()),
        Geometry::Triangle(t) => push(&t.to_polygon()),
        Geometry::GeometryCollection(c) => c.iter().for_each(|g| rings(g, out)),
        _ => {}
    }
}

fn le_i32(v: i32, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn le_f64(v: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn bbox(r: Rect, out: &mut Vec<u8>) {
    for v in [r.min().x, r.min().y, r.max().x, r.max().y] {
        le_f64(v, out);
    }
}

/// A record's content in a layer of type `layer`, and its bounds (`None` for a null shape).
fn shape(g: Option<&Geometry>, layer: ShapeType) -> (Vec<u8>, Option<Rect>) {
    let null = || {
        let mut out = vec![];
        le_i32(ShapeType::Null as i32, &mut out);
        (out, None)
    };
    let Some(g) =
        g.filter(|g| layer_type(g) == layer || (layer == ShapeType::MultiPoint && layer_type(g) == ShapeType::Point))
    else {
        return null();
    };
    let mut out = vec![];
    le_i32(layer as i32, &mut out);
    match layer {
        ShapeType::Point => {
            let mut p = vec![];
            points(g, &mut p);
            let Some(c) = p.first() else { return null() };
            le_f64(c.x, &mut out);
            le_f64(c.y, &mut out);
            (out, Some(Rect::new(*c, *c)))
        }
        ShapeType::MultiPoint => {
            let mut p = vec![];
            points(g, &mut p);
            let Some(bounds) = LineString::new(p.clone()).bounding_rect() else { return null() };
            bbox(bounds, &mut out);
            le_i32(p.len() as i32, &mut out);
            for c in &p {
                le_f64(c.x, &mut out);
                le_f64(c.y, &mut out);
            }
            (out, Some(bounds))
        }
        ShapeType::PolyLine | ShapeType::Polygon => {
            let mut parts = vec![];
            if layer == ShapeType::PolyLine {
                lines(g, &mut parts);
            } else {
                rings(g, &mut parts);
            }
            parts.retain(|p| !p.0.is_empty());
            let all: Vec<Coord> = parts.iter().flat_map(|p| p.0.iter().copied()).collect();
            let Some(bounds) = LineString::new(all.clone()).bounding_rect() else { return null() };
            bbox(bounds, &mut out);
            le_i32(parts.len() as i32, &mut out);
            le_i32(all.len() as i32, &mut out);
            let mut start = 0;
            for p in &parts {
                le_i32(start, &mut out);
                start += p.0.len() as i32;
            }
            for c in &all {
                le_f64(c.x, &mut out);
                le_f64(c.y, &mut out);
            }
            (out, Some(bounds))
        }
        ShapeType::Null => null(),
    }
}

/// The 100-byte header shared by `.shp` and `.shx`.
fn main_header(file_bytes: usize, layer: ShapeType, bounds: Option<Rect>) -> Vec<u8> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0; 20]);
    h.extend_from_slice(&((file_bytes / 2) as i32).to_be_bytes());
    le_i32(1000, &mut h);
    le_i32(layer as i32, &mut h);
    match bounds {
        Some(b) => bbox(b, &mut h),
        None => h.extend_from_slice(&[0; 32]),
    }
    h.extend_from_slice(&[0; 32]); // z and m ranges
    h
}

/// How a column is stored in the `.dbf`.
#[derive(Debug, Clone, Copy)]
enum DbfType {
    Char(usize),
    Integer,
    Real,
    Logical,
    Date,
}

impl DbfType {
    fn code_width_decimals(self) -> (u8, usize, u8) {
        match self {
            DbfType::Char(w) => (b'C', w, 0),
            DbfType::Integer => (b'N', 20, 0),
            DbfType::Real => (b'N', 24, 15),
            DbfType::Logical => (b'L', 1, 0),
            DbfType::Date => (b'D', 8, 0),
        }
    }
}

/// dBase field names: ASCII, at most 10 bytes, unique.
fn dbf_names(names: &[String]) -> Vec<String> {
    let mut taken: Vec<String> = vec![];
    for name in names {
        let base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .take(10)
            .collect::<String>();
        let mut candidate = if base.is_empty() { "FIELD".to_owned() } else { base.clone() };
        let mut n = 1;
        while taken.contains(&candidate) {
            let suffix = format!("_{n}");
            candidate = format!("{}{suffix}", &base[..base.len().min(10 - suffix.len())]);
            n += 1;
        }
        taken.push(candidate);
    }
    taken
}

/// `text` cut to at most `width` bytes on a character boundary.
fn cut(text: &[u8], width: usize) -> &[u8] {
    if text.len() <= width {
        return text;
    }
    let mut end = width;
    while end > 0 && (text[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &text[..end]
}

/// A dBase number in exactly `width` bytes, right-aligned; blank when it does not fit.
fn number(text: String, width: usize, out: &mut Vec<u8>) {
    if text.len() > width {
        out.extend(std::iter::repeat_n(b' ', width));
    } else {
        out.extend(std::iter::repeat_n(b' ', width - text.len()));
        out.extend_from_slice(text.as_bytes());
    }
}

fn dbf_value(
    column: &Column,
    kind: DbfType,
    row: usize,
    text: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), QueryError> {
    let (_, width, _) = kind.code_width_decimals();
    if column.is_null(row) {
        out.extend(std::iter::repeat_n(if matches!(kind, DbfType::Logical) { b'?' } else { b' ' }, width));
        return Ok(());
    }
    match (kind, column) {
        (DbfType::Integer, Column::Int(a)) => number(a.value(row).to_string(), width, out),
        (DbfType::Real, Column::Float(a)) if a.value(row).is_finite() => {
            let v = a.value(row);
            let fixed = format!("{v:.15}");
            number(if fixed.len() <= width { fixed } else { format!("{v:e}") }, width, out)
        }
        (DbfType::Logical, Column::Bool(a)) => out.push(if a.value(row) { b'T' } else { b'F' }),
        (DbfType::Date, _) => {
            text.clear();
            column.csv_text(row, text)?;
            let digits: Vec<u8> = text.iter().copied().filter(u8::is_ascii_digit).take(8).collect();
            out.extend_from_slice(&digits);
            out.extend(std::iter::repeat_n(b' ', 8 - digits.len()));
        }
        (DbfType::Char(width), _) => {
            text.clear();
            column.csv_text(row, text)?;
            let kept = cut(text, width);
            out.extend_from_slice(kept);
            out.extend(std::iter::repeat_n(b' ', width - kept.len()));
        }
        _ => out.extend(std::iter::repeat_n(b' ', width)),
    }
    Ok(())
}

/// The zip of a shapefile named `name` holding the rows of `df` (at most `MAX_RECORDS`).
pub(crate) async fn shapefile(
    df: DataFrame,
    outputs: Vec<(String, Kind)>,
    zone: Zone,
    name: &str,
    crs: Crs,
) -> Result<Vec<u8>, QueryError> {
    let types: Vec<DataType> = df.schema().fields().iter().map(|f| f.data_type().clone()).collect();
    let batches = df.limit(0, Some(MAX_RECORDS))?.collect().await?;
    let geometry = crate::export::geometry_column(&outputs);
    let fields: Vec<usize> = (0..outputs.len()).filter(|i| Some(*i) != geometry).collect();

    // First pass: the layer's type and the width of each text field.
    let mut layer = ShapeType::Null;
    let mut widths = vec![1usize; outputs.len()];
    let mut text = Vec::with_capacity(64);
    for batch in &batches {
        let columns: Vec<Column> = Column::all(batch, &outputs, zone);
        for row in 0..batch.num_rows() {
            if layer == ShapeType::Null {
                if let Some(g) = geometry_at(&columns, geometry, row)? {
                    layer = layer_type(&g);
                }
            }
            for &i in &fields {
                text.clear();
                columns[i].csv_text(row, &mut text)?;
                widths[i] = widths[i].max(text.len().min(MAX_CHAR_WIDTH));
            }
        }
    }
    let dbf_types: Vec<DbfType> = fields
        .iter()
        .map(|&i| match &types[i] {
            DataType::Int64 => DbfType::Integer,
            DataType::Float64 => DbfType::Real,
            DataType::Boolean => DbfType::Logical,
            DataType::Date32 => DbfType::Date,
            _ => DbfType::Char(widths[i]),
        })
        .collect();

    // dBase counts fields in a byte and a record's bytes in 16 bits: beyond, the file would lie.
    let record_len: usize = 1 + dbf_types.iter().map(|t| t.code_width_decimals().1).sum::<usize>();
    if fields.len() > MAX_FIELDS || record_len > usize::from(u16::MAX) {
        return Err(QueryError::invalid(format!(
            "A shapefile holds at most {MAX_FIELDS} fields of {} bytes in all ({} fields, {record_len} bytes here); choose fewer with select.",
            u16::MAX,
            fields.len()
        )));
    }

    // Second pass: shapes, index and attribute rows.
    let mut shp = vec![];
    let mut shx = vec![];
    let mut dbf_rows = vec![];
    let mut bounds: Option<Rect> = None;
    let mut record = 0i32;
    for batch in &batches {
        let columns: Vec<Column> = Column::all(batch, &outputs, zone);
        for row in 0..batch.num_rows() {
            record += 1;
            let g = geometry_at(&columns, geometry, row)?.map(|g| crs.geometry(&g));
            let (content, b) = shape(g.as_ref(), layer);
            if let Some(b) = b {
                bounds = Some(match bounds {
                    None => b,
                    Some(a) => Rect::new(
                        Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                        Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                    ),
                });
            }
            shx.extend_from_slice(&(((100 + shp.len()) / 2) as i32).to_be_bytes());
            shx.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
            shp.extend_from_slice(&record.to_be_bytes());
            shp.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
            shp.extend_from_slice(&content);
            dbf_rows.push(b' ');
            for (&i, &kind) in fields.iter().zip(&dbf_types) {
                dbf_value(&columns[i], kind, row, &mut text, &mut dbf_rows)?;
            }
        }
    }
    let shp = [main_header(100 + shp.len(), layer, bounds), shp].concat();
    let shx = [main_header(100 + shx.len(), layer, bounds), shx].concat();

    let names = dbf_names(&fields.iter().map(|&i| outputs[i].0.clone()).collect::<Vec<_>>());
    let header_len = 32 + 32 * fields.len() + 1;
    let mut dbf = Vec::with_capacity(header_len + dbf_rows.len() + 1);
    dbf.push(0x03);
    dbf.extend_from_slice(&[126, 1, 1]); // last update (2026-01-01): fixed, so exports are reproducible
    dbf.extend_from_slice(&(record as u32).to_le_bytes());
    dbf.extend_from_slice(&(header_len as u16).to_le_bytes());
    dbf.extend_from_slice(&(record_len as u16).to_le_bytes());
    dbf.extend_from_slice(&[0; 20]);
    for (name, kind) in names.iter().zip(&dbf_types) {
        let (code, width, decimals) = kind.code_width_decimals();
        let mut descriptor = [0u8; 32];
        descriptor[..name.len()].copy_from_slice(name.as_bytes());
        descriptor[11] = code;
        descriptor[16] = width as u8;
        descriptor[17] = decimals;
        dbf.extend_from_slice(&descriptor);
    }
    dbf.push(0x0D);
    dbf.extend_from_slice(&dbf_rows);
    dbf.push(0x1A);

    let zip_error = |e: zip::result::ZipError| QueryError::Internal(format!("shapefile zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (ext, bytes) in
        [("shp", shp.as_slice()), ("shx", &shx), ("dbf", &dbf), ("prj", crs.prj().as_bytes()), ("cpg", b"UTF-8")]
    {
        zip.start_file(format!("{name}.{ext}"), options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(|e| QueryError::Internal(format!("shapefile zip: {e}")))?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn dbase_names_are_short_ascii_and_unique() {
        let names: Vec<String> =
            ["commune", "population_totale", "population_totale_2020", "é"].map(String::from).into();
        assert_eq!(dbf_names(&names), ["commune", "population", "populati_1", "_"]);
    }

    #[test]
    fn polygons_are_written_clockwise_and_closed() {
        // Counter-clockwise, as GeoJSON writes it, and not closed.
        let square =
            Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]);
        let mut out = vec![];
        rings(&square, &mut out);
        let ring = &out[0].0;
        assert_eq!(ring.len(), 5);
        assert_eq!(ring.first(), ring.last());
        let twice_area: f64 = ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum();
        assert!(twice_area < 0.0, "clockwise: {ring:?}");
    }

    #[tokio::test]
    async fn more_fields_than_dbase_counts_are_refused_not_written_wrong() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::arrow::datatypes::{Field, Schema};
        use datafusion::arrow::record_batch::RecordBatch;
        let columns = MAX_FIELDS + 1;
        let schema =
            Schema::new((0..columns).map(|i| Field::new(format!("f{i}"), DataType::Int64, true)).collect::<Vec<_>>());
        let arrays = (0..columns).map(|_| std::sync::Arc::new(Int64Array::from(vec![1])) as _).collect();
        let batch = RecordBatch::try_new(std::sync::Arc::new(schema), arrays).unwrap();
        let df = datafusion::prelude::SessionContext::new().read_batch(batch).unwrap();
        let outputs = (0..columns).map(|i| (format!("f{i}"), Kind::Field(portail_core::FieldType::Int))).collect();
        let e = shapefile(df, outputs, Zone::default(), "t", Crs::Wgs84).await.unwrap_err();
        assert!(e.to_string().contains("at most 255 fields"), "{e}");
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        assert_eq!(cut("aé".as_bytes(), 2), b"a");
        assert_eq!(cut(b"abc", 5), b"abc");
    }

    #[test]
    fn a_geometry_of_another_kind_gets_a_null_shape() {
        let line = Geometry::LineString(LineString::new(vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }]));
        let (content, bounds) = shape(Some(&line), ShapeType::Point);
        assert_eq!(content, 0i32.to_le_bytes());
        assert!(bounds.is_none());
    }
}
