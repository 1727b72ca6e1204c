//! Arrow values → Explore API v2.1 JSON: dates `YYYY-MM-DD`, datetimes ISO with `+00:00`,
//! geo points `{"lon", "lat"}`, geo shapes as GeoJSON Features, nulls as `null`.

use crate::bind::Kind;
use crate::{QueryError, Zone};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::*;
use datafusion::arrow::record_batch::RecordBatch;

use portail_core::FieldType;
use serde_json::{json, Map, Value};

/// One calendar formatting for JSON pages and exports alike (`encode`).
fn date(days: i32) -> String {
    let mut out = Vec::with_capacity(10);
    crate::encode::date(days, &mut out);
    String::from_utf8(out).expect("digits and dashes")
}

fn datetime(micros: i64, zone: Zone) -> String {
    let mut out = Vec::with_capacity(32);
    crate::encode::datetime(micros, zone, &mut out);
    String::from_utf8(out).expect("digits and separators")
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

pub(crate) fn cell(array: &dyn Array, row: usize, kind: Kind, zone: Zone) -> Result<Value, QueryError> {
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Boolean => json!(array.as_boolean().value(row)),
        DataType::Int8 => json!(array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => json!(array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => json!(array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => json!(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => json!(array.as_primitive::<UInt64Type>().value(row)),
        DataType::UInt32 => json!(array.as_primitive::<UInt32Type>().value(row)),
        DataType::Float32 => number(f64::from(array.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => number(array.as_primitive::<Float64Type>().value(row)),
        DataType::Date32 => json!(date(array.as_primitive::<Date32Type>().value(row))),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            json!(datetime(array.as_primitive::<TimestampMicrosecondType>().value(row), zone))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = match array.data_type() {
                DataType::Utf8 => array.as_string::<i32>().value(row).to_owned(),
                DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_owned(),
                _ => array.as_string_view().value(row).to_owned(),
            };
            if let Kind::List(separator) = kind {
                Value::Array(portail_core::schema::split_values(&text, separator).map(Value::from).collect())
            } else if kind == Kind::Json || kind == Kind::Field(FieldType::File) {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            } else if kind == Kind::Field(FieldType::GeoShape) {
                let geometry: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                json!({"type": "Feature", "geometry": geometry, "properties": {}})
            } else {
                json!(text)
            }
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let get = |name: &str| {
                s.column_by_name(name)
                    .filter(|c| c.data_type() == &DataType::Float64)
                    .map(|c| c.as_primitive::<Float64Type>().value(row))
            };
            match (get("lon"), get("lat")) {
                (Some(lon), Some(lat)) => json!({"lon": lon, "lat": lat}),
                // Other structs (a geo_cluster key) are objects of their members.
                _ => {
                    let mut object = Map::new();
                    for (field, column) in fields.iter().zip(s.columns()) {
                        object.insert(field.name().clone(), cell(column.as_ref(), row, Kind::Other, zone)?);
                    }
                    Value::Object(object)
                }
            }
        }
        // Types no ODS field has (decimals from some aggregates, intervals…): their text form.
        _ => json!(datafusion::arrow::util::display::array_value_to_string(array, row)
            .map_err(|e| QueryError::Internal(format!("cannot render a value: {e}")))?),
    })
}

pub fn rows(
    batches: &[RecordBatch],
    outputs: &[(String, Kind)],
    zone: Zone,
) -> Result<Vec<Map<String, Value>>, QueryError> {
    let mut out = vec![];
    for batch in batches {
        for row in 0..batch.num_rows() {
            let mut map = Map::new();
            for (i, (name, kind)) in outputs.iter().enumerate() {
                map.insert(name.clone(), cell(batch.column(i).as_ref(), row, *kind, zone)?);
            }
            out.push(map);
        }
    }
    Ok(out)
}
