//! The XLSX export: one worksheet with typed cells (numbers, booleans, dates and datetimes as
//! spreadsheet dates), written row by row to temporary files (constant memory) and zipped at
//! the end. A workbook cannot be sent before it is complete, so unlike the other formats it is
//! built first and then sent; a sheet holds at most 1,048,576 rows.

use crate::bind::Kind;
use crate::encode::Column;
use crate::{QueryError, Zone};
use futures::StreamExt;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// Rows of an Excel sheet, the header included.
pub const MAX_ROWS: u32 = 1_048_576;
/// Characters an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;
/// Days from Excel's epoch (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH_DAYS: f64 = 25_569.0;
/// Excel counts 1900-02-29, which did not exist: serial dates before 1900-03-01 are wrong, so
/// such dates are written as ISO text instead (-25,508 is 1900-03-01 as days since 1970).
const FIRST_SAFE_DAY: i32 = -25_508;

fn xlsx_error(e: XlsxError) -> QueryError {
    QueryError::Internal(format!("xlsx: {e}"))
}

fn too_many_rows() -> QueryError {
    QueryError::invalid(format!(
        "An XLSX sheet holds at most {} records; narrow the export with where or use CSV or Parquet.",
        MAX_ROWS - 1
    ))
}

struct Formats {
    date: Format,
    datetime: Format,
}

/// Writes one cell of `column` at (`row`, `col`).
fn write_cell(
    sheet: &mut Worksheet,
    formats: &Formats,
    column: &Column,
    index: usize,
    (row, col): (u32, u16),
    text: &mut Vec<u8>,
) -> Result<(), QueryError> {
    if column.is_null(index) {
        return Ok(());
    }
    match column {
        Column::Int(a) => sheet.write_number(row, col, a.value(index) as f64).map(|_| ()),
        Column::Float(a) if a.value(index).is_finite() => sheet.write_number(row, col, a.value(index)).map(|_| ()),
        Column::Float(_) => Ok(()),
        Column::Bool(a) => sheet.write_boolean(row, col, a.value(index)).map(|_| ()),
        Column::Date(a) if a.value(index) >= FIRST_SAFE_DAY => {
            let serial = f64::from(a.value(index)) + EXCEL_EPOCH_DAYS;
            sheet.write_number_with_format(row, col, serial, &formats.date).map(|_| ())
        }
        Column::Micros(a, zone) if a.value(index) >= i64::from(FIRST_SAFE_DAY) * 86_400_000_000 => {
            // A spreadsheet date has no zone: the wall clock of the request's zone is written.
            let local = zone.local(a.value(index));
            let serial = local as f64 / 86_400_000_000.0 + EXCEL_EPOCH_DAYS;
            sheet.write_number_with_format(row, col, serial, &formats.datetime).map(|_| ())
        }
        _ => {
            text.clear();
            column.csv_text(index, text)?;
            let s = String::from_utf8_lossy(text);
            let s: std::borrow::Cow<str> = if s.chars().count() > MAX_CELL_CHARS {
                s.chars().take(MAX_CELL_CHARS).collect::<String>().into()
            } else {
                s
            };
            sheet.write_string(row, col, s.as_ref()).map(|_| ())
        }
    }
    .map_err(xlsx_error)
}

/// The workbook of a planned export: a header of names (or labels) and one row per record.
pub async fn workbook(
    df: datafusion::dataframe::DataFrame,
    header: Vec<String>,
    outputs: Vec<(String, Kind)>,
    zone: Zone,
) -> Result<Vec<u8>, QueryError> {
    let mut workbook = Workbook::new();
    let mut sheet = workbook.new_worksheet_with_constant_memory().map_err(xlsx_error)?;
    sheet.set_name("data").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    for (col, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, name, &bold).map_err(xlsx_error)?;
    }
    let formats = Formats {
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    let mut batches = df.execute_stream().await?;
    let mut row: u32 = 1;
    let mut text = Vec::with_capacity(256);
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        if u64::from(row) + batch.num_rows() as u64 > u64::from(MAX_ROWS) {
            return Err(too_many_rows());
        }
        let columns: Vec<Column> = Column::all(&batch, &outputs, zone);
        for index in 0..batch.num_rows() {
            for (col, column) in columns.iter().enumerate() {
                write_cell(&mut sheet, &formats, column, index, (row, col as u16), &mut text)?;
            }
            row += 1;
        }
    }
    workbook.push_worksheet(sheet);
    // Zipping is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || workbook.save_to_buffer().map_err(xlsx_error))
        .await
        .map_err(|e| QueryError::Internal(format!("xlsx: {e}")))?
}
