//! Streaming exports: CSV, JSON, JSON Lines, GeoJSON, KML and GPX, encoded batch by batch as
//! DataFusion produces them, so memory stays flat whatever the row count; Parquet streamed row
//! group by row group; XLSX, Shapefile and FlatGeobuf built whole, then sent.

use crate::bind::Kind;
use crate::crs::Crs;
use crate::encode::{float, json_string, Column};
use crate::geo_formats::{gpx_record, kml_placemark, ov2_record, GpxOptions, GPX_HEAD, GPX_TAIL, KML_HEAD, KML_TAIL};
use crate::rdf::{RdfOptions, RdfSyntax, RdfWriter};
use crate::records::{plan, Dataset, RecordsRequest, Rows};
use crate::QueryError;
use futures::stream::{self, BoxStream, StreamExt};
use portail_core::FieldType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportFormat {
    Csv {
        delimiter: u8,
        bom: bool,
        labels: bool,
        /// Quote every field, not only those that need it.
        quote_all: bool,
        /// Joins the values of multivalued fields.
        list_separator: String,
    },
    Json,
    Jsonl,
    /// Geometries in `crs` (RFC 7946's WGS 84 unless asked otherwise, then with a `crs` member).
    GeoJson {
        crs: Crs,
    },
    Kml,
    Gpx(GpxOptions),
    /// iCalendar events (see `ical`).
    Ical,
    /// TomTom OV2 points of interest, named by `name_field` (else the first text field).
    Ov2 {
        name_field: Option<String>,
    },
    /// A zipped Shapefile whose files are called `name.*` (see `shapefile`).
    Shapefile {
        name: String,
        crs: Crs,
    },
    /// A FlatGeobuf layer named `name` (see `fgb`).
    FlatGeobuf {
        name: String,
        crs: Crs,
    },
    /// Apache Parquet with the columns' own types (geo points as `{lon, lat}` structs, shapes
    /// as GeoJSON text), snappy- or zstd-compressed.
    Parquet {
        zstd: bool,
    },
    /// An Excel workbook, built whole before it is sent (see `xlsx`).
    Xlsx {
        labels: bool,
    },
    /// Records as RDF through portail's default mapping (see `rdf`); `_id` must be selected.
    Rdf(RdfOptions),
}

impl ExportFormat {
    pub fn content_type(&self) -> &'static str {
        match self {
            ExportFormat::Csv { .. } => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json; charset=utf-8",
            ExportFormat::Jsonl => "application/jsonl; charset=utf-8",
            ExportFormat::GeoJson { .. } => "application/geo+json; charset=utf-8",
            ExportFormat::Kml => "application/vnd.google-earth.kml+xml; charset=utf-8",
            ExportFormat::Gpx(_) => "application/gpx+xml; charset=utf-8",
            ExportFormat::Ov2 { .. } => "application/octet-stream",
            ExportFormat::Ical => "text/calendar; charset=utf-8",
            ExportFormat::Shapefile { .. } => "application/zip",
            ExportFormat::FlatGeobuf { .. } => "application/flatgeobuf",
            ExportFormat::Parquet { .. } => "application/vnd.apache.parquet",
            ExportFormat::Xlsx { .. } => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Rdf(o) => match o.syntax {
                RdfSyntax::Turtle => "text/turtle; charset=utf-8",
                RdfSyntax::N3 => "text/n3; charset=utf-8",
                RdfSyntax::RdfXml => "application/rdf+xml; charset=utf-8",
                RdfSyntax::JsonLd => "application/ld+json; charset=utf-8",
            },
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            ExportFormat::Csv { .. } => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::GeoJson { .. } => "geojson",
            ExportFormat::Kml => "kml",
            ExportFormat::Gpx(_) => "gpx",
            ExportFormat::Ov2 { .. } => "ov2",
            ExportFormat::Ical => "ics",
            ExportFormat::Shapefile { .. } => "zip",
            ExportFormat::FlatGeobuf { .. } => "fgb",
            ExportFormat::Parquet { .. } => "parquet",
            ExportFormat::Xlsx { .. } => "xlsx",
            ExportFormat::Rdf(o) => match o.syntax {
                RdfSyntax::Turtle => "ttl",
                RdfSyntax::N3 => "n3",
                RdfSyntax::RdfXml => "rdf",
                RdfSyntax::JsonLd => "jsonld",
            },
        }
    }
}

pub type ByteStream = BoxStream<'static, Result<Vec<u8>, QueryError>>;

/// A CSV field, quoted when it needs it or when `always` is set.
fn csv_quoted(out: &mut Vec<u8>, text: &[u8], delimiter: u8, always: bool) {
    // No early exit: the loop vectorises, and fields are short.
    let needs_quotes =
        text.iter().fold(always, |q, &b| q | (b == delimiter) | (b == b'"') | (b == b'\n') | (b == b'\r'));
    if needs_quotes {
        out.push(b'"');
        for &b in text {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text);
    }
}

/// The whole result of a query as a stream of encoded chunks (one per batch, plus a head and a
/// tail where the format needs them).
pub async fn export(
    ds: &Dataset<'_>,
    req: &RecordsRequest<'_>,
    format: ExportFormat,
) -> Result<ByteStream, QueryError> {
    let plan = plan(ds, req, false).await?;
    let Rows::Frame(df) = plan.rows else {
        return Err(QueryError::Internal("an export is always planned".into()));
    };
    if let ExportFormat::Parquet { zstd } = format {
        return parquet(df, zstd).await;
    }
    let outputs = plan.outputs;
    let zone = req.timezone;
    if let ExportFormat::Shapefile { name, crs } = &format {
        let bytes = crate::shapefile::shapefile(df, outputs, zone, name, *crs).await?;
        return Ok(stream::once(async move { Ok(bytes) }).boxed());
    }
    if let ExportFormat::FlatGeobuf { name, crs } = &format {
        let bytes = crate::fgb::flatgeobuf(df, outputs, zone, name, *crs).await?;
        return Ok(stream::once(async move { Ok(bytes) }).boxed());
    }
    if let ExportFormat::Gpx(options) = &format {
        for field in options.name_field.iter().chain(&options.description_fields) {
            if !outputs.iter().any(|(name, _)| name == field) {
                return Err(QueryError::invalid(format!(
                    "Unknown field in the GPX options: {field} (name_field and description_field_list name exported fields)"
                )));
            }
        }
    }
    if let ExportFormat::Xlsx { labels } = format {
        let header = outputs
            .iter()
            .map(|(name, _)| match labels {
                true => ds.schema.field(name).map_or(name.clone(), |f| f.label.clone()),
                false => name.clone(),
            })
            .collect();
        let bytes = crate::xlsx::workbook(df, header, outputs, zone).await?;
        return Ok(stream::once(async move { Ok(bytes) }).boxed());
    }
    let rdf = match &format {
        ExportFormat::Rdf(options) => Some(RdfWriter::new(options.clone(), ds.schema, &outputs)?),
        _ => None,
    };
    let batches = df.execute_stream().await?;

    let head: Vec<u8> = match &format {
        ExportFormat::Csv { delimiter, bom, labels, quote_all, .. } => {
            let (delimiter, bom, labels, quote_all) = (*delimiter, *bom, *labels, *quote_all);
            let mut h = if bom { "\u{feff}".as_bytes().to_vec() } else { vec![] };
            for (i, (name, _)) in outputs.iter().enumerate() {
                if i > 0 {
                    h.push(delimiter);
                }
                let label =
                    if labels { ds.schema.field(name).map_or(name.as_str(), |f| f.label.as_str()) } else { name };
                csv_quoted(&mut h, label.as_bytes(), delimiter, quote_all);
            }
            h.push(b'\n');
            h
        }
        ExportFormat::Json => b"[".to_vec(),
        ExportFormat::Rdf(_) => rdf.as_ref().map(|w| w.head(ds.schema, &outputs)).unwrap_or_default(),
        ExportFormat::Kml => KML_HEAD.to_vec(),
        ExportFormat::Gpx(_) => GPX_HEAD.to_vec(),
        ExportFormat::Ical => crate::ical::ICAL_HEAD.to_vec(),
        ExportFormat::GeoJson { crs: Crs::Wgs84 } => b"{\"type\": \"FeatureCollection\", \"features\": [".to_vec(),
        // GeoJSON of 2008 named other systems this way; GDAL and QGIS still read it.
        ExportFormat::GeoJson { crs } => format!(
            "{{\"type\": \"FeatureCollection\", \"crs\": {{\"type\": \"name\", \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::{}\"}}}}, \"features\": [",
            crs.epsg()
        )
        .into_bytes(),
        _ => vec![],
    };
    let tail: Vec<u8> = match format {
        ExportFormat::Json => b"]\n".to_vec(),
        ExportFormat::GeoJson { .. } => b"]}\n".to_vec(),
        ExportFormat::Kml => KML_TAIL.to_vec(),
        ExportFormat::Gpx(_) => GPX_TAIL.to_vec(),
        ExportFormat::Ical => crate::ical::ICAL_TAIL.to_vec(),
        ExportFormat::Rdf(_) => rdf.as_ref().map(|w| w.tail().to_vec()).unwrap_or_default(),
        _ => vec![],
    };
    let names: Vec<String> = outputs.iter().map(|(name, _)| name.clone()).collect();
    let geometry_column = geometry_column(&outputs);
    // The field naming OV2 points: the one asked for, else the first text field.
    let ov2_name = match &format {
        ExportFormat::Ov2 { name_field: Some(field) } => {
            Some(names.iter().position(|n| n == field).ok_or_else(|| {
                QueryError::invalid(format!("Unknown field in name_field: {field} (it names an exported field)"))
            })?)
        }
        ExportFormat::Ov2 { name_field: None } => outputs
            .iter()
            .position(|(_, kind)| matches!(kind, crate::bind::Kind::Field(FieldType::Text) | crate::bind::Kind::Text)),
        _ => None,
    };
    let events = match format {
        ExportFormat::Ical => Some(crate::ical::event_fields(&outputs).ok_or_else(|| {
            QueryError::invalid("The ical export needs a date or datetime field, and this query exports none.")
        })?),
        _ => None,
    };
    let stamp = if events.is_some() { crate::ical::stamp() } else { String::new() };
    // Object keys, escaped once: `"name":`.
    let mut keys = vec![];
    for (name, _) in &outputs {
        let mut key = vec![];
        json_string(name, &mut key)?;
        key.push(b':');
        keys.push(key);
    }
    let mut first = true;
    let body = batches.map(move |batch| -> Result<Vec<u8>, QueryError> {
        let batch = batch?;
        let mut out = Vec::with_capacity(batch.num_rows() * 128);
        let columns: Vec<Column> = match &format {
            ExportFormat::Csv { list_separator, .. } => Column::all_joined(&batch, &outputs, zone, list_separator),
            _ => Column::all(&batch, &outputs, zone),
        };
        let mut text = Vec::with_capacity(256);
        for row in 0..batch.num_rows() {
            match &format {
                ExportFormat::Csv { delimiter, quote_all, .. } => {
                    for (i, column) in columns.iter().enumerate() {
                        if i > 0 {
                            out.push(*delimiter);
                        }
                        text.clear();
                        column.csv_text(row, &mut text)?;
                        csv_quoted(&mut out, &text, *delimiter, *quote_all);
                    }
                    out.push(b'\n');
                }
                ExportFormat::Kml => kml_placemark(&names, &columns, geometry_column, row, &mut out)?,
                ExportFormat::Rdf(_) => {
                    if let Some(writer) = &rdf {
                        writer.record(&columns, row, first, &mut out)?;
                    }
                }
                ExportFormat::Gpx(options) => gpx_record(options, &names, &columns, geometry_column, row, &mut out)?,
                ExportFormat::Ov2 { .. } => ov2_record(ov2_name, &columns, geometry_column, row, &mut out)?,
                ExportFormat::Ical => {
                    if let Some(fields) = &events {
                        crate::ical::ical_event(fields, &names, &columns, row, &stamp, &mut out)?;
                    }
                }
                ExportFormat::Json | ExportFormat::Jsonl => {
                    if format == ExportFormat::Json && !first {
                        out.push(b',');
                    }
                    out.push(b'{');
                    for (i, column) in columns.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&keys[i]);
                        column.json(row, &mut out)?;
                    }
                    out.push(b'}');
                    if format == ExportFormat::Jsonl {
                        out.push(b'\n');
                    }
                }
                ExportFormat::GeoJson { crs } => {
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":");
                    match geometry_column {
                        Some(g) if *crs == Crs::Wgs84 => columns[g].geometry(row, &mut out)?,
                        Some(g) => match columns[g].geo(row)? {
                            Some(geometry) => write_geojson(&crs.geometry(&geometry), &mut out),
                            None => out.extend_from_slice(b"null"),
                        },
                        None => out.extend_from_slice(b"null"),
                    }
                    out.extend_from_slice(b",\"properties\":{");
                    let properties = columns.iter().enumerate().filter(|(i, _)| Some(*i) != geometry_column);
                    for (n, (i, column)) in properties.enumerate() {
                        if n > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&keys[i]);
                        column.json(row, &mut out)?;
                    }
                    out.extend_from_slice(b"}}");
                }
                ExportFormat::Parquet { .. }
                | ExportFormat::Xlsx { .. }
                | ExportFormat::Shapefile { .. }
                | ExportFormat::FlatGeobuf { .. } => {
                    unreachable!("encoded whole, not by batch")
                }
            }
            first = false;
        }
        Ok(out)
    });
    Ok(stream::once(async move { Ok(head) }).chain(body).chain(stream::once(async move { Ok(tail) })).boxed())
}

/// A geometry as GeoJSON.
fn write_geojson(g: &geo::Geometry, out: &mut Vec<u8>) {
    use geo::Geometry as G;
    fn position(c: geo::Coord, out: &mut Vec<u8>) {
        out.push(b'[');
        float(c.x, out);
        out.push(b',');
        float(c.y, out);
        out.push(b']');
    }
    fn list<T>(items: impl Iterator<Item = T>, out: &mut Vec<u8>, mut each: impl FnMut(T, &mut Vec<u8>)) {
        out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            each(item, out);
        }
        out.push(b']');
    }
    fn rings(p: &geo::Polygon, out: &mut Vec<u8>) {
        list(std::iter::once(p.exterior()).chain(p.interiors()), out, |r, out| {
            list(r.coords().copied(), out, position)
        });
    }
    let kind = |name: &str, out: &mut Vec<u8>| {
        out.extend_from_slice(format!("{{\"type\":\"{name}\",\"coordinates\":").as_bytes())
    };
    match g {
        G::Point(p) => {
            kind("Point", out);
            position(p.0, out);
        }
        G::Line(l) => {
            kind("LineString", out);
            list([l.start, l.end].into_iter(), out, position);
        }
        G::LineString(l) => {
            kind("LineString", out);
            list(l.coords().copied(), out, position);
        }
        G::Polygon(p) => {
            kind("Polygon", out);
            rings(p, out);
        }
        G::Rect(r) => return write_geojson(&G::Polygon(r.to_polygon()), out),
        G::Triangle(t) => return write_geojson(&G::Polygon(t.to_polygon()), out),
        G::MultiPoint(m) => {
            kind("MultiPoint", out);
            list(m.iter().map(|p| p.0), out, position);
        }
        G::MultiLineString(m) => {
            kind("MultiLineString", out);
            list(m.iter(), out, |l, out| list(l.coords().copied(), out, position));
        }
        G::MultiPolygon(m) => {
            kind("MultiPolygon", out);
            list(m.iter(), out, rings);
        }
        G::GeometryCollection(c) => {
            out.extend_from_slice(b"{\"type\":\"GeometryCollection\",\"geometries\":");
            list(c.iter(), out, write_geojson);
        }
    }
    out.push(b'}');
}

/// The column geographic formats draw: the first shape field (a shape dataset's real geometry;
/// its point field is only the shape's centre), else the first point field.
pub(crate) fn geometry_column(outputs: &[(String, Kind)]) -> Option<usize> {
    let first = |t: FieldType| outputs.iter().position(|(_, k)| *k == Kind::Field(t));
    first(FieldType::GeoShape).or_else(|| first(FieldType::GeoPoint2d))
}

/// A `Write` whose bytes are taken out as they are produced, so a Parquet file can be streamed
/// row group by row group.
#[derive(Clone, Default)]
struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows buffered before a row group is written out (and its bytes sent).
const PARQUET_ROW_GROUP_ROWS: usize = 64 * 1024;

async fn parquet(df: datafusion::dataframe::DataFrame, zstd: bool) -> Result<ByteStream, QueryError> {
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::basic::Compression;
    use datafusion::parquet::file::properties::WriterProperties;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df.execute_stream().await?;
    let sink = SharedBuffer::default();
    let props = WriterProperties::builder()
        .set_compression(if zstd { Compression::ZSTD(Default::default()) } else { Compression::SNAPPY })
        .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP_ROWS))
        .build();
    let parquet_error = |e: datafusion::parquet::errors::ParquetError| QueryError::Internal(format!("parquet: {e}"));
    let writer = ArrowWriter::try_new(sink.clone(), schema, Some(props)).map_err(parquet_error)?;
    let state = (batches, Some(writer), sink);
    Ok(stream::unfold(state, move |(mut batches, mut writer, sink)| async move {
        let w = writer.as_mut()?;
        let chunk = match batches.next().await {
            Some(Ok(batch)) => w.write(&batch).map_err(parquet_error).map(|_| sink.take()),
            Some(Err(e)) => Err(e.into()),
            None => {
                let w = writer.take()?;
                w.close().map_err(parquet_error).map(|_| sink.take())
            }
        };
        if chunk.is_err() {
            writer = None;
        }
        Some((chunk, (batches, writer, sink)))
    })
    .boxed())
}
