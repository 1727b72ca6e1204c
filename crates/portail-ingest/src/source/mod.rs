//! Readers that turn a source file into rows of text cells, streaming where the format allows.
//! Every reader yields the same thing — a header and rows of `&str` with a position for error
//! messages — so typing and storage do not care where the data came from.

mod csv;
mod geojson;
mod json;
mod spreadsheet;

use crate::IngestError;
use std::io::Read;
use std::path::Path;

pub use self::csv::CsvSource;

/// What the publisher may say about a file instead of letting portail guess.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub delimiter: Option<u8>,
    /// An encoding label (`utf-8`, `windows-1252`, `iso-8859-1`, …).
    pub encoding: Option<String>,
    /// Spreadsheet sheet name (default: the first sheet).
    pub sheet: Option<String>,
    /// Pad or cut rows whose field count differs from the header instead of refusing the file.
    pub lenient: bool,
}

/// Where a row came from, for messages: a line (text formats), a row (sheets) or a record index.
#[derive(Debug, Clone, Copy)]
pub enum Position {
    Line(u64),
    Row(u64),
    Record(u64),
}

impl Position {
    pub fn number(self) -> u64 {
        match self {
            Position::Line(n) | Position::Row(n) | Position::Record(n) => n,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Row(n) => write!(f, "row {n}"),
            Position::Record(n) => write!(f, "record {n}"),
        }
    }
}

pub type RowFn<'a> = dyn FnMut(Position, &[&str]) -> Result<(), IngestError> + 'a;

pub trait RowSource {
    fn headers(&self) -> &[String];
    /// Calls `f` for every data row, in file order. May be called more than once.
    fn scan(&mut self, f: &mut RowFn<'_>) -> Result<(), IngestError>;
    /// The encoding the text was read in, when that applies.
    fn encoding(&self) -> Option<&'static str> {
        None
    }
    /// After invalid UTF-8 past the sample, switch to Windows-1252 if the encoding was guessed;
    /// `false` if the source cannot (or must not) change its mind.
    fn fall_back_encoding(&mut self) -> Result<bool, IngestError> {
        Ok(false)
    }
    /// Types the format itself decides for some columns (GeoJSON geometries), by column index.
    fn declared_types(&self) -> Vec<(usize, portail_core::FieldType)> {
        vec![]
    }
    /// Whether the source yields exactly the header's number of cells per row (structured
    /// formats); CSV rows may be ragged.
    fn fixed_width(&self) -> bool {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Spreadsheet,
    Json,
    JsonLines,
    GeoJson,
}

pub fn label(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Decides the format from the file's first bytes, then its extension.
pub fn detect_format(path: &Path) -> Result<Format, IngestError> {
    let file = label(path);
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)
        .map_err(|e| IngestError::unreadable(&file, e.to_string()))?
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|e| IngestError::unreadable(&file, e.to_string()))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::unreadable(&file, "the file is empty"));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Ok(Format::Spreadsheet);
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods") {
        return Err(IngestError::unreadable(
            &file,
            format!("not a readable .{ext} file (truncated or damaged spreadsheet)"),
        ));
    }
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if !utf16 && head.contains(&0) {
        return Err(IngestError::unreadable(&file, "binary data (NUL bytes): not a CSV, JSON or GeoJSON file"));
    }
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let geo = text.contains("\"FeatureCollection\"");
    Ok(match ext.as_str() {
        "geojson" => Format::GeoJson,
        "jsonl" | "ndjson" => Format::JsonLines,
        "json" if geo => Format::GeoJson,
        "json" if trimmed.starts_with('{') => Format::JsonLines,
        "json" => Format::Json,
        _ if trimmed.starts_with('[') && ext != "csv" => Format::Json,
        _ if geo && trimmed.starts_with('{') => Format::GeoJson,
        _ => Format::Csv,
    })
}

pub fn open(path: &Path, options: &SourceOptions) -> Result<Box<dyn RowSource>, IngestError> {
    Ok(match detect_format(path)? {
        Format::Csv => Box::new(CsvSource::open(path, options)?),
        Format::Spreadsheet => Box::new(spreadsheet::SheetSource::open(path, options)?),
        Format::Json => Box::new(json::JsonSource::open(path, false)?),
        Format::JsonLines => Box::new(json::JsonSource::open(path, true)?),
        Format::GeoJson => Box::new(geojson::GeoJsonSource::open(path)?),
    })
}
