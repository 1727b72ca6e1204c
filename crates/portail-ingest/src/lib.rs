//! Real-world files into typed, queryable columns.
//!
//! An import reads its source twice: the first pass checks the shape (field count per row) and
//! infers each column's ODS type from every value; the second converts the values and writes
//! Arrow batches to Parquet, handing each batch to a callback (the full-text indexer). Both passes
//! stream, so memory does not grow with the file (spreadsheets excepted: calamine loads a sheet).

pub mod archive;
mod error;
pub mod infer;
pub mod source;
mod unique;
pub mod values;
mod writer;

pub use error::IngestError;
pub use source::{detect_format, Format, SourceOptions};
pub use writer::{arrow_schema, HIDDEN_RECORD_ID, HIDDEN_ROW};

use arrow::record_batch::RecordBatch;
use infer::ColumnInference;
use portail_core::schema::field_names;
use portail_core::{Field, FieldOverride, FieldType, Schema};
use source::Position;
use std::collections::BTreeMap;
use std::path::Path;
use values::Decimal;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub source: SourceOptions,
    /// Publisher's changes, by field name.
    pub overrides: BTreeMap<String, FieldOverride>,
    /// Rows per Arrow batch handed to the callback and the Parquet writer.
    pub batch_rows: usize,
    /// Fields with the `id` annotation, by name: the record ids hash only them, and a later
    /// row with the same id replaces an earlier one. Empty: ids hash every cell.
    pub id_fields: Vec<String>,
    /// The files shipped with the data (an archive's), by the names cells give them: a column
    /// naming only such files is a `file` field.
    pub files: std::sync::Arc<BTreeMap<String, archive::StoredFile>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            source: SourceOptions::default(),
            overrides: BTreeMap::new(),
            batch_rows: 16 * 1024,
            id_fields: vec![],
            files: Default::default(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub schema: Schema,
    pub rows: u64,
    pub encoding: Option<String>,
    pub warnings: Vec<String>,
}

/// Where a column's values come from: one source cell, or a latitude/longitude pair.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    Cell(usize),
    LatLon(usize, usize),
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub origin: Origin,
    pub field_type: FieldType,
    pub decimal: Decimal,
}

const MAX_REPORTED_LINES: usize = 5;

struct ShapeCheck {
    expected: usize,
    count: u64,
    lines: Vec<(u64, usize)>,
}

impl ShapeCheck {
    fn observe(&mut self, pos: Position, found: usize) {
        if found != self.expected {
            self.count += 1;
            if self.lines.len() < MAX_REPORTED_LINES {
                self.lines.push((pos.number(), found));
            }
        }
    }
}

/// Imports `path` into `parquet_out`, calling `on_batch` with every batch written.
pub fn import(
    path: &Path,
    options: &ImportOptions,
    parquet_out: &Path,
    on_batch: &mut dyn FnMut(&Schema, &RecordBatch) -> Result<(), String>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, IngestError> {
    let file = source::label(path);
    let mut source = source::open(path, &options.source)?;

    // Pass 1: shape and types. Invalid UTF-8 past the sample restarts it as Windows-1252.
    let (columns, shape, rows, duplicates, file_hits) = loop {
        match first_pass(source.as_mut(), &options.id_fields, &options.files) {
            Err(IngestError::NotUtf8 { .. }) if source.fall_back_encoding()? => continue,
            other => break other?,
        }
    };
    let headers = source.headers().to_vec();
    let mut warnings = vec![];
    let names = field_names(&headers);
    for missing in options.id_fields.iter().filter(|f| !names.contains(f)) {
        warnings.push(format!("the id field `{missing}` is not in the file"));
    }
    let id_cells = id_cells(&headers, &options.id_fields);
    if let (Some(cells), true) = (&id_cells, duplicates.count > 0) {
        let fields: Vec<&str> = cells.iter().map(|&c| names[c].as_str()).collect();
        warnings.push(format!(
            "{} row(s) replaced by a later row with the same id ({})",
            duplicates.count,
            fields.join(", ")
        ));
    }
    if shape.count > 0 {
        if !options.source.lenient {
            return Err(IngestError::Ragged { file, expected: shape.expected, count: shape.count, lines: shape.lines });
        }
        let lines: Vec<String> = shape.lines.iter().map(|(l, _)| l.to_string()).collect();
        warnings.push(format!(
            "{} row(s) had a field count different from the header's {} and were padded or cut (lines {}{})",
            shape.count,
            shape.expected,
            lines.join(", "),
            if shape.count as usize > lines.len() { ", …" } else { "" }
        ));
    }
    if rows == 0 {
        warnings.push("the file has a header but no data rows".to_owned());
    }

    let (mut schema, mut plans) = plan_schema(&headers, &columns, &file_hits, &options.overrides)?;
    for (i, t) in source.declared_types() {
        if options.overrides.get(&schema.fields[i].name).is_none_or(|o| o.field_type.is_none()) {
            schema.fields[i].field_type = t;
            plans[i].field_type = t;
        }
    }
    // Pass 2: convert and write.
    let mut writer =
        writer::DatasetWriter::create(parquet_out, &schema, &plans, options.batch_rows, id_cells, &options.files)?;
    let width = headers.len();
    let mut done = 0u64;
    let mut row_index = 0u64;
    let written = source.scan(&mut |pos, cells| {
        row_index += 1;
        if duplicates.is_superseded(row_index - 1) {
            return Ok(());
        }
        let padded: Vec<&str>;
        let row: &[&str] = if cells.len() == width {
            cells
        } else {
            padded = cells.iter().copied().chain(std::iter::repeat("")).take(width).collect();
            &padded
        };
        if let Some(batch) = writer.push(pos, row)? {
            on_batch(&schema, &batch).map_err(|e| IngestError::Output { path: "full-text index".into(), reason: e })?;
            writer.write(&batch)?;
        }
        done += 1;
        if done.is_multiple_of(65_536) {
            progress(done);
        }
        Ok(())
    });
    written?;
    if let Some(batch) = writer.flush()? {
        on_batch(&schema, &batch).map_err(|e| IngestError::Output { path: "full-text index".into(), reason: e })?;
        writer.write(&batch)?;
    }
    progress(done);
    warnings.extend(writer.coercion_warnings(&schema));
    writer.close()?;
    Ok(ImportReport { schema, rows: done, encoding: source.encoding().map(str::to_owned), warnings })
}

/// The cells of the `id` fields in the file's order; `None` when none of them is in the file.
fn id_cells(headers: &[String], id_fields: &[String]) -> Option<Vec<usize>> {
    let names = field_names(headers);
    let cells: Vec<usize> = (0..names.len()).filter(|&i| id_fields.contains(&names[i])).collect();
    (!cells.is_empty()).then_some(cells)
}

/// Per column: its non-empty cells, and how many of them name a shipped file.
#[derive(Debug, Clone, Copy, Default)]
struct FileHits {
    filled: u64,
    named: u64,
}

type FirstPass = (Vec<ColumnInference>, ShapeCheck, u64, unique::Duplicates, Vec<FileHits>);

fn first_pass(
    source: &mut dyn source::RowSource,
    id_fields: &[String],
    files: &BTreeMap<String, archive::StoredFile>,
) -> Result<FirstPass, IngestError> {
    let width = source.headers().len();
    let mut columns = vec![ColumnInference::default(); width];
    let mut shape = ShapeCheck { expected: width, count: 0, lines: vec![] };
    let mut rows = 0u64;
    let id_cells = id_cells(source.headers(), id_fields);
    let mut duplicates = unique::Duplicates::default();
    let mut file_hits = vec![FileHits::default(); width];
    source.scan(&mut |pos, cells| {
        if let Some(picked) = &id_cells {
            duplicates.observe(rows, unique::record_id(cells, Some(picked)));
        }
        rows += 1;
        shape.observe(pos, cells.len());
        for (col, cell) in columns.iter_mut().zip(cells) {
            col.observe(cell);
        }
        if !files.is_empty() {
            for (hits, cell) in file_hits.iter_mut().zip(cells) {
                let cell = cell.trim();
                if !cell.is_empty() {
                    hits.filled += 1;
                    hits.named += u64::from(files.contains_key(cell));
                }
            }
        }
        Ok(())
    })?;
    Ok((columns, shape, rows, duplicates, file_hits))
}

/// Field names, labels and types from the header, the inference and the publisher's overrides.
fn plan_schema(
    headers: &[String],
    columns: &[ColumnInference],
    file_hits: &[FileHits],
    overrides: &BTreeMap<String, FieldOverride>,
) -> Result<(Schema, Vec<ColumnPlan>), IngestError> {
    let names = field_names(headers);
    let mut fields = vec![];
    let mut plans = vec![];
    for (i, (name, header)) in names.iter().zip(headers).enumerate() {
        let label = if header.trim().is_empty() { name.clone() } else { header.trim().to_owned() };
        // Every filled cell names a shipped file: a file field.
        let names_files = file_hits.get(i).is_some_and(|h| h.filled > 0 && h.named == h.filled);
        let field_type = if names_files { FieldType::File } else { columns[i].field_type() };
        fields.push(Field::new(name, &label, field_type));
        plans.push(ColumnPlan { origin: Origin::Cell(i), field_type, decimal: columns[i].decimal() });
    }
    let has_point = fields.iter().any(|f| f.field_type == FieldType::GeoPoint2d);
    if let (false, Some((lat, lon))) = (has_point, infer::lat_lon_pair(&names, columns)) {
        let mut name = "geo_point_2d".to_owned();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("geo_point_2d_{n}");
            n += 1;
        }
        fields.push(Field::new(&name, "Geo Point", FieldType::GeoPoint2d));
        plans.push(ColumnPlan {
            origin: Origin::LatLon(lat, lon),
            field_type: FieldType::GeoPoint2d,
            decimal: Decimal::Dot,
        });
    }
    for (name, change) in overrides {
        let Some(i) = fields.iter().position(|f| &f.name == name) else { continue };
        if let Some(label) = &change.label {
            fields[i].label = label.clone();
        }
        if let Some(t) = change.field_type {
            fields[i].field_type = t;
            plans[i].field_type = t;
        }
    }
    Ok((Schema { fields }, plans))
}
