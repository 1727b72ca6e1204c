//! Every format and quirk on fixtures written for the project (`fixtures/ingest/`), and the
//! malformed files that must be refused with a clear reason.

mod formats;
mod malformed;
mod roundtrip;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use portail_core::FieldType;
use portail_ingest::{import, ImportOptions, ImportReport, IngestError};
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest").join(name)
}

pub struct Imported {
    pub report: ImportReport,
    pub batch: RecordBatch,
    pub callback_rows: usize,
}

pub fn run(path: &Path, options: &ImportOptions) -> Result<Imported, IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data.parquet");
    let mut callback_rows = 0;
    let report = import(
        path,
        options,
        &out,
        &mut |_, b| {
            callback_rows += b.num_rows();
            Ok(())
        },
        &mut |_| {},
    )?;
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let schema = portail_ingest::arrow_schema(&report.schema);
    let batch = arrow::compute::concat_batches(&schema, &batches).unwrap();
    Ok(Imported { report, batch, callback_rows })
}

pub fn run_ok(name: &str) -> Imported {
    run(&fixture(name), &ImportOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

impl Imported {
    pub fn types(&self) -> Vec<(String, FieldType)> {
        self.report.schema.fields.iter().map(|f| (f.name.clone(), f.field_type)).collect()
    }

    fn col(&self, name: &str) -> &dyn Array {
        self.batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}")).as_ref()
    }

    pub fn text(&self, name: &str, row: usize) -> Option<String> {
        let c = self.col(name).as_string::<i32>();
        c.is_valid(row).then(|| c.value(row).to_owned())
    }

    pub fn int(&self, name: &str, row: usize) -> Option<i64> {
        let c = self.col(name).as_primitive::<Int64Type>();
        c.is_valid(row).then(|| c.value(row))
    }

    pub fn double(&self, name: &str, row: usize) -> Option<f64> {
        let c = self.col(name).as_primitive::<Float64Type>();
        c.is_valid(row).then(|| c.value(row))
    }

    pub fn boolean(&self, name: &str, row: usize) -> Option<bool> {
        let c = self.col(name).as_boolean();
        c.is_valid(row).then(|| c.value(row))
    }

    pub fn date(&self, name: &str, row: usize) -> Option<String> {
        let c = self.col(name).as_primitive::<Date32Type>();
        c.is_valid(row).then(|| portail_ingest::values::format_date(c.value(row)))
    }

    pub fn micros(&self, name: &str, row: usize) -> Option<i64> {
        let c = self.col(name).as_primitive::<TimestampMicrosecondType>();
        c.is_valid(row).then(|| c.value(row))
    }

    /// (lat, lon) of a geo_point_2d cell.
    pub fn point(&self, name: &str, row: usize) -> Option<(f64, f64)> {
        let s = self.col(name).as_struct();
        let lon = s.column(0).as_primitive::<Float64Type>().value(row);
        let lat = s.column(1).as_primitive::<Float64Type>().value(row);
        s.is_valid(row).then_some((lat, lon))
    }
}

pub fn utc_micros(y: i32, m: u32, d: u32, h: i64, min: i64, s: i64) -> i64 {
    i64::from(portail_ingest::values::days_from_civil(y, m, d)) * 86_400_000_000 + ((h * 60 + min) * 60 + s) * 1_000_000
}
