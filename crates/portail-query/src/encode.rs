//! Cells written straight from Arrow columns into export bytes, for the types ODS fields have.
//! The text is the same as `format::cell` renders (numbers as serde_json writes them, dates
//! `YYYY-MM-DD`, points `lat, lon`); going through a `serde_json::Value` per cell made exports
//! allocate several times per value. Types without a fast path fall back to `format::cell`.

use crate::bind::Kind;
use crate::format::cell;
use crate::{QueryError, Zone};
use datafusion::arrow::array::{Array, AsArray, BooleanArray, PrimitiveArray, StringArray, StringViewArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::arrow::record_batch::RecordBatch;
use portail_core::time::civil_from_days;
use portail_core::FieldType;
use serde_json::Value;

/// One column of a batch, downcast once.
pub(crate) enum Column<'a> {
    Int(&'a PrimitiveArray<Int64Type>),
    Float(&'a PrimitiveArray<Float64Type>),
    Date(&'a PrimitiveArray<Date32Type>),
    Micros(&'a PrimitiveArray<TimestampMicrosecondType>, Zone),
    Bool(&'a BooleanArray),
    View(&'a StringViewArray),
    Text(&'a StringArray),
    Point {
        array: &'a dyn Array,
        lat: &'a PrimitiveArray<Float64Type>,
        lon: &'a PrimitiveArray<Float64Type>,
    },
    /// A multivalued text field: a JSON array of its values, joined by `join` in text formats.
    List {
        array: &'a dyn Array,
        separator: char,
        join: &'a str,
    },
    /// Rendered through `format::cell` (shapes, computed values).
    Other(&'a dyn Array, Kind, Zone),
}

impl<'a> Column<'a> {
    pub fn new(array: &'a dyn Array, kind: Kind, zone: Zone) -> Column<'a> {
        if matches!(kind, Kind::Field(FieldType::GeoShape | FieldType::File) | Kind::Json) {
            return Column::Other(array, kind, zone);
        }
        if let (Kind::List(separator), DataType::Utf8 | DataType::Utf8View) = (kind, array.data_type()) {
            return Column::List { array, separator, join: "," };
        }
        match array.data_type() {
            DataType::Int64 => Column::Int(array.as_primitive()),
            DataType::Float64 => Column::Float(array.as_primitive()),
            DataType::Date32 => Column::Date(array.as_primitive()),
            DataType::Timestamp(TimeUnit::Microsecond, _) => Column::Micros(array.as_primitive(), zone),
            DataType::Boolean => Column::Bool(array.as_boolean()),
            DataType::Utf8View => Column::View(array.as_string_view()),
            DataType::Utf8 => Column::Text(array.as_string()),
            DataType::Struct(_) => {
                let s = array.as_struct();
                match (s.column_by_name("lat"), s.column_by_name("lon")) {
                    (Some(lat), Some(lon))
                        if lat.data_type() == &DataType::Float64 && lon.data_type() == &DataType::Float64 =>
                    {
                        Column::Point { array, lat: lat.as_primitive(), lon: lon.as_primitive() }
                    }
                    _ => Column::Other(array, kind, zone),
                }
            }
            _ => Column::Other(array, kind, zone),
        }
    }

    /// Every column of `batch`, read as the export's `outputs` say.
    pub fn all(batch: &'a RecordBatch, outputs: &[(String, Kind)], zone: Zone) -> Vec<Column<'a>> {
        outputs.iter().enumerate().map(|(i, (_, kind))| Column::new(batch.column(i).as_ref(), *kind, zone)).collect()
    }

    /// The same, multivalued cells joined by `list_separator` in text.
    pub fn all_joined(
        batch: &'a RecordBatch,
        outputs: &[(String, Kind)],
        zone: Zone,
        list_separator: &'a str,
    ) -> Vec<Column<'a>> {
        let mut columns = Column::all(batch, outputs, zone);
        for c in &mut columns {
            if let Column::List { join, .. } = c {
                *join = list_separator;
            }
        }
        columns
    }

    /// The values of a multivalued cell (none for other columns).
    pub fn list_values(&self, row: usize) -> Vec<String> {
        match self {
            Column::List { array, separator, .. } if !self.is_null(row) => {
                Column::values(*array, *separator, row).map(str::to_owned).collect()
            }
            _ => vec![],
        }
    }

    /// The values of a multivalued cell.
    fn values(array: &'a dyn Array, separator: char, row: usize) -> impl Iterator<Item = &'a str> {
        let text = match array.data_type() {
            DataType::Utf8View => array.as_string_view().value(row),
            _ => array.as_string::<i32>().value(row),
        };
        portail_core::schema::split_values(text, separator)
    }

    fn array(&self) -> &dyn Array {
        match self {
            Column::Int(a) => *a,
            Column::Float(a) => *a,
            Column::Date(a) => *a,
            Column::Micros(a, _) => *a,
            Column::Bool(a) => *a,
            Column::View(a) => *a,
            Column::Text(a) => *a,
            Column::Point { array, .. } | Column::List { array, .. } | Column::Other(array, ..) => *array,
        }
    }

    pub fn is_null(&self, row: usize) -> bool {
        self.array().is_null(row)
    }

    /// The cell as CSV text (empty for null), unquoted.
    pub fn csv_text(&self, row: usize, out: &mut Vec<u8>) -> Result<(), QueryError> {
        if self.is_null(row) {
            return Ok(());
        }
        match self {
            Column::Int(a) => out.extend_from_slice(itoa::Buffer::new().format(a.value(row)).as_bytes()),
            Column::Float(a) => float(a.value(row), out),
            Column::Date(a) => date(a.value(row), out),
            Column::Micros(a, zone) => datetime(a.value(row), *zone, out),
            Column::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Column::View(a) => out.extend_from_slice(a.value(row).as_bytes()),
            Column::Text(a) => out.extend_from_slice(a.value(row).as_bytes()),
            Column::List { array, separator, join } => {
                for (i, value) in Column::values(*array, *separator, row).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(join.as_bytes());
                    }
                    out.extend_from_slice(value.as_bytes());
                }
            }
            Column::Point { lat, lon, .. } => {
                float(lat.value(row), out);
                out.extend_from_slice(b", ");
                float(lon.value(row), out);
            }
            // JSON text is exported as written.
            Column::Other(array, Kind::Json, _) => out.extend_from_slice(
                datafusion::arrow::util::display::array_value_to_string(*array, row)
                    .map_err(|e| QueryError::Internal(e.to_string()))?
                    .as_bytes(),
            ),
            Column::Other(array, kind, zone) => {
                let text = match cell(*array, row, *kind, *zone)? {
                    Value::Null => String::new(),
                    Value::String(s) => s,
                    Value::Object(o) if o.contains_key("lat") => format!("{}, {}", o["lat"], o["lon"]),
                    // A file is its address in text formats (its name when it has none).
                    Value::Object(o) if *kind == Kind::Field(FieldType::File) => o
                        .get("url")
                        .or_else(|| o.get("filename"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Feature") => {
                        o["geometry"].to_string()
                    }
                    other => other.to_string(),
                };
                out.extend_from_slice(text.as_bytes());
            }
        }
        Ok(())
    }

    /// The cell as a JSON value.
    pub fn json(&self, row: usize, out: &mut Vec<u8>) -> Result<(), QueryError> {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        match self {
            Column::Int(_) | Column::Bool(_) => self.csv_text(row, out)?,
            Column::Float(a) => {
                let v = a.value(row);
                if v.is_finite() {
                    float(v, out);
                } else {
                    out.extend_from_slice(b"null");
                }
            }
            Column::Date(a) => {
                out.push(b'"');
                date(a.value(row), out);
                out.push(b'"');
            }
            Column::Micros(a, zone) => {
                out.push(b'"');
                datetime(a.value(row), *zone, out);
                out.push(b'"');
            }
            Column::View(a) => json_string(a.value(row), out)?,
            Column::Text(a) => json_string(a.value(row), out)?,
            Column::List { array, separator, .. } => {
                out.push(b'[');
                for (i, value) in Column::values(*array, *separator, row).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(value, out)?;
                }
                out.push(b']');
            }
            Column::Point { lat, lon, .. } => {
                out.extend_from_slice(b"{\"lon\":");
                float(lon.value(row), out);
                out.extend_from_slice(b",\"lat\":");
                float(lat.value(row), out);
                out.push(b'}');
            }
            Column::Other(array, kind, zone) => {
                serde_json::to_writer(&mut *out, &cell(*array, row, *kind, *zone)?)
                    .map_err(|e| QueryError::Internal(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// The cell as a GeoJSON geometry: a point's `{"type":"Point","coordinates":[lon,lat]}`, a
    /// shape's own geometry, `null` otherwise.
    pub fn geometry(&self, row: usize, out: &mut Vec<u8>) -> Result<(), QueryError> {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        match self {
            Column::Point { lat, lon, .. } => {
                out.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":[");
                float(lon.value(row), out);
                out.push(b',');
                float(lat.value(row), out);
                out.extend_from_slice(b"]}");
            }
            Column::Other(array, kind, zone) => {
                let geometry = match cell(*array, row, *kind, *zone)? {
                    Value::Object(mut o) => o.remove("geometry").unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                serde_json::to_writer(&mut *out, &geometry).map_err(|e| QueryError::Internal(e.to_string()))?;
            }
            _ => out.extend_from_slice(b"null"),
        }
        Ok(())
    }
}

impl Column<'_> {
    /// The cell as a geometry: a point field's point, a shape field's shape, `None` otherwise.
    pub fn geo(&self, row: usize) -> Result<Option<geo::Geometry>, QueryError> {
        if self.is_null(row) {
            return Ok(None);
        }
        Ok(match self {
            Column::Point { lat, lon, .. } => {
                Some(geo::Geometry::Point(geo::Point::new(lon.value(row), lat.value(row))))
            }
            Column::Other(array, kind, zone) => match cell(*array, row, *kind, *zone)? {
                Value::Object(o) => o.get("geometry").and_then(crate::geometry::geojson_geometry),
                _ => None,
            },
            _ => None,
        })
    }
}

/// A float exactly as serde_json writes it (`13.25`, `1e+21`); non-finite values as nothing.
pub(crate) fn float(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        // Writing a finite f64 into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &v);
    }
}

/// `v` in exactly `width` decimal digits (v < 10^width).
fn digits(v: u32, width: usize, out: &mut Vec<u8>) {
    let mut buf = [b'0'; 10];
    let mut v = v;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// `YYYY-MM-DD`.
pub(crate) fn date(days: i32, out: &mut Vec<u8>) {
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        digits(y as u32, 4, out);
        out.push(b'-');
        digits(m, 2, out);
        out.push(b'-');
        digits(d, 2, out);
    } else {
        out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}").as_bytes());
    }
}

/// `YYYY-MM-DDThh:mm:ss[.ffffff]+00:00` (UTC).
/// An instant on `zone`'s clock, with that clock's offset (`+00:00` for UTC, as ODS writes it).
pub(crate) fn datetime(micros: i64, zone: Zone, out: &mut Vec<u8>) {
    let offset = zone.offset_s(micros);
    let micros = micros + offset * 1_000_000;
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000) as u32;
    let sod = secs.rem_euclid(86_400) as u32;
    date(secs.div_euclid(86_400) as i32, out);
    out.push(b'T');
    digits(sod / 3600, 2, out);
    out.push(b':');
    digits(sod / 60 % 60, 2, out);
    out.push(b':');
    digits(sod % 60, 2, out);
    if frac != 0 {
        out.push(b'.');
        digits(frac, 6, out);
    }
    out.push(if offset < 0 { b'-' } else { b'+' });
    let offset = offset.unsigned_abs() / 60;
    digits((offset / 60) as u32, 2, out);
    out.push(b':');
    digits((offset % 60) as u32, 2, out);
}

pub(crate) fn json_string(s: &str, out: &mut Vec<u8>) -> Result<(), QueryError> {
    serde_json::to_writer(&mut *out, s).map_err(|e| QueryError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StructArray};
    use datafusion::arrow::datatypes::Field;
    use std::sync::Arc;

    /// Every fast path writes what `format::cell` gives, as JSON and as CSV text.
    #[test]
    fn fast_paths_agree_with_the_json_rendering() {
        let lat: ArrayRef = Arc::new(Float64Array::from(vec![48.85, 0.1]));
        let lon: ArrayRef = Arc::new(Float64Array::from(vec![2.35, -1e21]));
        let point = StructArray::from(vec![
            (Arc::new(Field::new("lon", DataType::Float64, false)), lon),
            (Arc::new(Field::new("lat", DataType::Float64, false)), lat),
        ]);
        let arrays: Vec<(ArrayRef, Kind)> = vec![
            (Arc::new(Int64Array::from(vec![Some(-42), None])), Kind::Field(FieldType::Int)),
            (Arc::new(Float64Array::from(vec![Some(13.25), Some(1e21)])), Kind::Field(FieldType::Double)),
            (Arc::new(Float64Array::from(vec![Some(f64::NAN), Some(0.1 + 0.2)])), Kind::Number),
            (
                Arc::new(datafusion::arrow::array::Date32Array::from(vec![Some(19_000), Some(-1)])),
                Kind::Field(FieldType::Date),
            ),
            (Arc::new(BooleanArray::from(vec![Some(true), None])), Kind::Field(FieldType::Boolean)),
            (
                Arc::new(
                    datafusion::arrow::array::TimestampMicrosecondArray::from(vec![
                        Some(1_700_000_000_000_000),
                        Some(-1_234_567),
                    ])
                    .with_timezone("UTC"),
                ),
                Kind::Field(FieldType::Datetime),
            ),
            (Arc::new(StringViewArray::from(vec![Some("L'Haÿ \"x\"\n"), Some("")])), Kind::Field(FieldType::Text)),
            (Arc::new(StringArray::from(vec![Some("a;b"), None])), Kind::Text),
            (Arc::new(point), Kind::Field(FieldType::GeoPoint2d)),
            (Arc::new(StringViewArray::from(vec![Some(" Sport ; \"Jeu\";;"), Some("")])), Kind::List(';')),
            (Arc::new(StringArray::from(vec![Some("x"), None])), Kind::List(',')),
        ];
        // `format::cell` writes dates through this module too: check those against the calendar.
        let text = |array: &ArrayRef, kind, row| {
            let mut out = vec![];
            Column::new(array.as_ref(), kind, Zone::UTC).csv_text(row, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let dates = &arrays[3].0;
        assert_eq!([text(dates, arrays[3].1, 0), text(dates, arrays[3].1, 1)], ["2022-01-08", "1969-12-31"]);
        let instants = &arrays[5].0;
        assert_eq!(
            [text(instants, arrays[5].1, 0), text(instants, arrays[5].1, 1)],
            ["2023-11-14T22:13:20+00:00", "1969-12-31T23:59:58.765433+00:00"]
        );
        for (array, kind) in &arrays {
            let column = Column::new(array.as_ref(), *kind, Zone::UTC);
            assert!(!matches!(column, Column::Other(..)), "{:?} should have a fast path", array.data_type());
            for row in 0..array.len() {
                let expected = cell(array.as_ref(), row, *kind, Zone::UTC).unwrap();
                let mut json = vec![];
                column.json(row, &mut json).unwrap();
                let parsed: Value = serde_json::from_slice(&json).unwrap();
                assert_eq!(parsed, expected, "{:?} row {row}", array.data_type());
                assert_eq!(String::from_utf8(json).unwrap(), serde_json::to_string(&expected).unwrap());
                let mut text = vec![];
                column.csv_text(row, &mut text).unwrap();
                let want = match &expected {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    Value::Object(o) => format!("{}, {}", o["lat"], o["lon"]),
                    Value::Array(items) => items.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>().join(","),
                    other => other.to_string(),
                };
                assert_eq!(String::from_utf8(text).unwrap(), want, "{:?} row {row}", array.data_type());
            }
        }
    }
}
