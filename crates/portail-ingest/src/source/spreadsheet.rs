//! XLSX, XLS and ODS through calamine: the first sheet, or a named one. calamine loads a sheet
//! whole, so memory grows with the sheet (spreadsheets are capped at about a million rows).

use super::{label, Position, RowFn, RowSource, SourceOptions};
use crate::values::{days_from_civil, format_date};
use crate::IngestError;
use calamine::{open_workbook_auto, Data, Range, Reader};
use std::path::Path;

pub struct SheetSource {
    headers: Vec<String>,
    range: Range<Data>,
    /// Index of the header row within the range.
    header_row: usize,
    /// Offset of the range in the sheet, to report sheet row numbers.
    first_row: u32,
}

/// Excel serial dates count days from 1899-12-30 (the 1900 leap-year bug included).
fn excel_serial(serial: f64) -> String {
    let days = serial.floor();
    let date = days_from_civil(1899, 12, 30) + days as i32;
    let secs = ((serial - days) * 86_400.0).round() as i64;
    if secs == 0 {
        format_date(date)
    } else {
        format!("{}T{:02}:{:02}:{:02}", format_date(date), secs / 3600, secs / 60 % 60, secs % 60)
    }
}

pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        // Whole floats are written without a fraction so that integer columns stay integers.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => excel_serial(dt.as_f64()),
        Data::DateTime(dt) => dt.as_f64().to_string(),
    }
}

impl SheetSource {
    pub fn open(path: &Path, options: &SourceOptions) -> Result<SheetSource, IngestError> {
        let file = label(path);
        let mut workbook = open_workbook_auto(path)
            .map_err(|e| IngestError::unreadable(&file, format!("not a readable spreadsheet ({e})")))?;
        let names = workbook.sheet_names();
        let sheet = match &options.sheet {
            Some(s) if names.contains(s) => s.clone(),
            Some(s) => {
                return Err(IngestError::unreadable(
                    &file,
                    format!("no sheet named `{s}` (sheets: {})", names.join(", ")),
                ))
            }
            None => {
                names.first().cloned().ok_or_else(|| IngestError::unreadable(&file, "the workbook has no sheet"))?
            }
        };
        let range = workbook
            .worksheet_range(&sheet)
            .map_err(|e| IngestError::unreadable(&file, format!("sheet `{sheet}` cannot be read ({e})")))?;
        let header_row = range
            .rows()
            .position(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
            .ok_or_else(|| IngestError::unreadable(&file, format!("sheet `{sheet}` is empty")))?;
        let headers = range.rows().nth(header_row).map(|r| r.iter().map(cell_text).collect()).unwrap_or_default();
        let first_row = range.start().map_or(0, |(r, _)| r);
        Ok(SheetSource { headers, range, header_row, first_row })
    }
}

impl RowSource for SheetSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn scan(&mut self, f: &mut RowFn<'_>) -> Result<(), IngestError> {
        let width = self.headers.len();
        for (i, row) in self.range.rows().enumerate().skip(self.header_row + 1) {
            let texts: Vec<String> = row.iter().take(width).map(cell_text).collect();
            if texts.iter().all(String::is_empty) {
                continue;
            }
            let mut cells: Vec<&str> = texts.iter().map(String::as_str).collect();
            cells.resize(width, "");
            f(Position::Row(u64::from(self.first_row) + i as u64 + 1), &cells)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(excel_serial(45356.0), "2024-03-05");
        assert_eq!(excel_serial(45356.5), "2024-03-05T12:00:00");
        assert_eq!(cell_text(&Data::Float(12.0)), "12");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
    }
}
