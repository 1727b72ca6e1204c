//! Typed Arrow columns and the Parquet file of a dataset version.
//!
//! Layout choices: Snappy pages, 128 Ki-row row groups with page-level statistics (so range
//! filters and `_row` lookups skip pages), `_row` delta-encoded, and a bloom filter on
//! `_record_id` for record lookups. The ODS schema travels in the file's key-value metadata.

use crate::archive::StoredFile;
use crate::source::Position;
use crate::values::{self, Decimal};
use crate::{ColumnPlan, IngestError, Origin};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, StructArray,
    TimestampMicrosecondBuilder,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field as ArrowField, Fields, Schema as ArrowSchema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use portail_core::{FieldType, Schema};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Rows per Parquet row group: small enough for filters to skip, large enough to compress.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// 1-based position of the row in the source: the natural order of records.
pub const HIDDEN_ROW: &str = "_row";
/// Stable record id: SHA-1 of the row's source values, as 40 hex digits.
pub const HIDDEN_RECORD_ID: &str = "_record_id";

pub fn geo_point_fields() -> Fields {
    Fields::from(vec![
        ArrowField::new("lon", DataType::Float64, false),
        ArrowField::new("lat", DataType::Float64, false),
    ])
}

pub fn arrow_type(t: FieldType) -> DataType {
    match t {
        FieldType::Text | FieldType::GeoShape | FieldType::File => DataType::Utf8,
        FieldType::Int => DataType::Int64,
        FieldType::Double => DataType::Float64,
        FieldType::Boolean => DataType::Boolean,
        FieldType::Date => DataType::Date32,
        FieldType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        FieldType::GeoPoint2d => DataType::Struct(geo_point_fields()),
    }
}

/// The Arrow schema of a dataset: its fields, then `_row` and `_record_id`.
pub fn arrow_schema(schema: &Schema) -> SchemaRef {
    let mut fields: Vec<ArrowField> =
        schema.fields.iter().map(|f| ArrowField::new(&f.name, arrow_type(f.field_type), true)).collect();
    fields.push(ArrowField::new(HIDDEN_ROW, DataType::Int64, false));
    fields.push(ArrowField::new(HIDDEN_RECORD_ID, DataType::Utf8, false));
    Arc::new(ArrowSchema::new(fields))
}

enum Column {
    Text(StringBuilder),
    Int(Int64Builder),
    Double(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Datetime(TimestampMicrosecondBuilder),
    Geo {
        lon: Float64Builder,
        lat: Float64Builder,
        valid: Vec<bool>,
    },
    /// A file's description, found by the name in the cell.
    File(StringBuilder, Arc<BTreeMap<String, StoredFile>>),
}

impl Column {
    fn new(t: FieldType, capacity: usize, files: &Arc<BTreeMap<String, StoredFile>>) -> Column {
        match t {
            FieldType::File => Column::File(StringBuilder::with_capacity(capacity, capacity * 128), files.clone()),
            FieldType::Text | FieldType::GeoShape => {
                Column::Text(StringBuilder::with_capacity(capacity, capacity * 16))
            }
            FieldType::Int => Column::Int(Int64Builder::with_capacity(capacity)),
            FieldType::Double => Column::Double(Float64Builder::with_capacity(capacity)),
            FieldType::Boolean => Column::Bool(BooleanBuilder::with_capacity(capacity)),
            FieldType::Date => Column::Date(Date32Builder::with_capacity(capacity)),
            FieldType::Datetime => {
                Column::Datetime(TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"))
            }
            FieldType::GeoPoint2d => Column::Geo {
                lon: Float64Builder::with_capacity(capacity),
                lat: Float64Builder::with_capacity(capacity),
                valid: Vec::with_capacity(capacity),
            },
        }
    }

    /// Appends one value; `false` when a non-empty value could not be read as the column's type
    /// (it is stored as null and reported).
    fn push(&mut self, text: &str, decimal: Decimal) -> bool {
        let s = text.trim();
        let empty = s.is_empty();
        macro_rules! put {
            ($b:expr, $v:expr) => {{
                let v = if empty { None } else { $v };
                $b.append_option(v);
                empty || v.is_some()
            }};
        }
        match self {
            Column::Text(b) => {
                if empty {
                    b.append_null()
                } else {
                    b.append_value(s)
                }
                true
            }
            Column::Int(b) => put!(b, values::parse_int(s)),
            Column::Double(b) => put!(
                b,
                values::parse_double(s)
                    .filter(|(_, sep)| *sep == Decimal::None || *sep == decimal || decimal == Decimal::None)
                    .map(|(v, _)| v)
            ),
            Column::Bool(b) => put!(b, values::parse_bool(s)),
            Column::Date(b) => put!(b, values::parse_date(s)),
            Column::Datetime(b) => put!(b, values::parse_datetime(s)),
            Column::Geo { .. } => self.push_point(if empty { None } else { values::parse_geo_point(s) }) || empty,
            Column::File(b, files) => {
                let found = files.get(s).map(|f| f.description.as_str());
                b.append_option(found.filter(|_| !empty));
                empty || found.is_some()
            }
        }
    }

    fn push_point(&mut self, point: Option<(f64, f64)>) -> bool {
        let Column::Geo { lon, lat, valid } = self else { return false };
        lon.append_value(point.map_or(0.0, |p| p.1));
        lat.append_value(point.map_or(0.0, |p| p.0));
        valid.push(point.is_some());
        point.is_some()
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) | Column::File(b, _) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Double(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Datetime(b) => Arc::new(b.finish()),
            Column::Geo { lon, lat, valid } => {
                let nulls = NullBuffer::from(std::mem::take(valid));
                let children: Vec<ArrayRef> = vec![Arc::new(lon.finish()), Arc::new(lat.finish())];
                Arc::new(StructArray::new(geo_point_fields(), children, Some(nulls)))
            }
        }
    }
}

pub(crate) struct DatasetWriter {
    path: String,
    arrow: SchemaRef,
    plans: Vec<ColumnPlan>,
    columns: Vec<Column>,
    row_ids: Int64Builder,
    record_ids: StringBuilder,
    /// The cells of the fields with the `id` annotation; `None`: every cell makes the id.
    id_cells: Option<Vec<usize>>,
    pending: usize,
    batch_rows: usize,
    next_row: i64,
    /// Per column: values that could not be read, and where the first was.
    unreadable: Vec<(u64, Option<Position>)>,
    writer: Option<ArrowWriter<File>>,
}

fn output_error(path: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::Output { path: path.to_owned(), reason: e.to_string() }
}

impl DatasetWriter {
    pub fn create(
        path: &Path,
        schema: &Schema,
        plans: &[ColumnPlan],
        batch_rows: usize,
        id_cells: Option<Vec<usize>>,
        files: &Arc<BTreeMap<String, StoredFile>>,
    ) -> Result<DatasetWriter, IngestError> {
        let label = path.display().to_string();
        let arrow = arrow_schema(schema);
        let schema_json = serde_json::to_string(schema).map_err(|e| output_error(&label, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_column_dictionary_enabled(HIDDEN_ROW.into(), false)
            .set_column_encoding(HIDDEN_ROW.into(), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled(HIDDEN_RECORD_ID.into(), false)
            .set_column_bloom_filter_enabled(HIDDEN_RECORD_ID.into(), true)
            // Sized for one row group's ids: filters stay in memory until the file is closed.
            .set_column_bloom_filter_max_ndv(HIDDEN_RECORD_ID.into(), ROW_GROUP_ROWS as u64)
            .set_key_value_metadata(Some(vec![KeyValue::new("portail.schema".into(), schema_json)]))
            .build();
        let file = File::create(path).map_err(|e| output_error(&label, e))?;
        let writer = ArrowWriter::try_new(file, arrow.clone(), Some(props)).map_err(|e| output_error(&label, e))?;
        Ok(DatasetWriter {
            path: label,
            columns: plans.iter().map(|p| Column::new(p.field_type, batch_rows, files)).collect(),
            plans: plans.to_vec(),
            arrow,
            row_ids: Int64Builder::with_capacity(batch_rows),
            record_ids: StringBuilder::with_capacity(batch_rows, batch_rows * 40),
            id_cells,
            pending: 0,
            batch_rows,
            next_row: 1,
            unreadable: vec![(0, None); plans.len()],
            writer: Some(writer),
        })
    }

    /// Adds one source row; returns a full batch when one is ready.
    pub fn push(&mut self, pos: Position, cells: &[&str]) -> Result<Option<RecordBatch>, IngestError> {
        for (i, (plan, column)) in self.plans.iter().zip(self.columns.iter_mut()).enumerate() {
            let ok = match plan.origin {
                Origin::Cell(c) => column.push(cells[c], plan.decimal),
                Origin::LatLon(lat, lon) => {
                    let (la, lo) = (cells[lat].trim(), cells[lon].trim());
                    let point = values::parse_double(la).zip(values::parse_double(lo)).map(|((a, _), (b, _))| (a, b));
                    column.push_point(point.filter(|(a, b)| (-90.0..=90.0).contains(a) && (-180.0..=180.0).contains(b)))
                        || (la.is_empty() && lo.is_empty())
                }
            };
            if !ok {
                let entry = &mut self.unreadable[i];
                entry.0 += 1;
                entry.1.get_or_insert(pos);
            }
        }
        let hex = crate::unique::hex(&crate::unique::record_id(cells, self.id_cells.as_deref()));
        self.record_ids.append_value(std::str::from_utf8(&hex).unwrap_or_default());
        self.row_ids.append_value(self.next_row);
        self.next_row += 1;
        self.pending += 1;
        if self.pending >= self.batch_rows {
            return self.flush();
        }
        Ok(None)
    }

    pub fn flush(&mut self) -> Result<Option<RecordBatch>, IngestError> {
        if self.pending == 0 {
            return Ok(None);
        }
        self.pending = 0;
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        arrays.push(Arc::new(self.row_ids.finish()));
        arrays.push(Arc::new(self.record_ids.finish()));
        RecordBatch::try_new(self.arrow.clone(), arrays).map(Some).map_err(|e| output_error(&self.path, e))
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        let writer = self.writer.as_mut().ok_or_else(|| output_error(&self.path, "writer closed"))?;
        writer.write(batch).map_err(|e| output_error(&self.path, e))
    }

    pub fn coercion_warnings(&self, schema: &Schema) -> Vec<String> {
        self.unreadable
            .iter()
            .zip(&schema.fields)
            .filter(|((n, _), _)| *n > 0)
            .map(|((n, first), f)| {
                let at = first.map(|p| format!(", first at {p}")).unwrap_or_default();
                if f.field_type == FieldType::File {
                    return format!(
                        "field `{}`: {n} value(s) named no file of the archive and were left empty{at}",
                        f.name
                    );
                }
                format!(
                    "field `{}`: {n} value(s) could not be read as {} and were left empty{at}",
                    f.name, f.field_type
                )
            })
            .collect()
    }

    /// Finishes the file and flushes it to disk.
    pub fn close(mut self) -> Result<(), IngestError> {
        let writer = self.writer.take().ok_or_else(|| output_error(&self.path, "writer closed"))?;
        let file = writer.into_inner().map_err(|e| output_error(&self.path, e))?;
        file.sync_all().map_err(|e| output_error(&self.path, e))
    }
}
