//! Type inference: one pass over every value of a column decides its ODS type. A type is chosen
//! only if every non-empty value parses as it; otherwise the column is text. So what inference
//! infers, conversion can always read back.

use crate::values::{self, Decimal};
use portail_core::FieldType;

#[derive(Debug, Clone)]
pub struct ColumnInference {
    non_null: u64,
    null_tokens: u64,
    int: bool,
    double: bool,
    decimal: Decimal,
    boolean: bool,
    date: bool,
    datetime: bool,
    geo_point: bool,
    min: f64,
    max: f64,
}

impl Default for ColumnInference {
    fn default() -> Self {
        ColumnInference {
            non_null: 0,
            null_tokens: 0,
            int: true,
            double: true,
            decimal: Decimal::None,
            boolean: true,
            date: true,
            datetime: true,
            geo_point: true,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl ColumnInference {
    pub fn observe(&mut self, raw: &str) {
        let s = raw.trim();
        if s.is_empty() {
            return;
        }
        if values::is_null_token(s) {
            self.null_tokens += 1;
            return;
        }
        self.non_null += 1;
        if self.boolean {
            self.boolean = values::parse_bool(s).is_some();
        }
        if self.int {
            match values::parse_int(s) {
                Some(v) => self.track(v as f64),
                None => self.int = false,
            }
        }
        if self.double && !self.int {
            match values::parse_double(s) {
                Some((v, sep)) => {
                    self.track(v);
                    // One column, one decimal separator: `1.5` and `1,5` together are not numbers.
                    match (self.decimal, sep) {
                        (_, Decimal::None) => {}
                        (Decimal::None, sep) => self.decimal = sep,
                        (a, b) if a != b => self.double = false,
                        _ => {}
                    }
                }
                None => self.double = false,
            }
        }
        if self.date {
            self.date = values::parse_date(s).is_some();
        }
        if self.datetime {
            self.datetime = values::parse_datetime(s).is_some();
        }
        if self.geo_point {
            self.geo_point = values::parse_geo_point(s).is_some();
        }
    }

    fn track(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// The type every value of the column fits, most specific first.
    pub fn field_type(&self) -> FieldType {
        if self.non_null == 0 {
            return FieldType::Text;
        }
        let numeric_like = self.boolean || self.int || self.double || self.date || self.datetime;
        // A column of "NA" and text is text; "NA" only means null among typed values.
        if self.null_tokens > 0 && !numeric_like {
            return FieldType::Text;
        }
        if self.boolean {
            FieldType::Boolean
        } else if self.int {
            FieldType::Int
        } else if self.double {
            FieldType::Double
        } else if self.date {
            FieldType::Date
        } else if self.datetime {
            FieldType::Datetime
        } else if self.geo_point && self.null_tokens == 0 {
            FieldType::GeoPoint2d
        } else {
            FieldType::Text
        }
    }

    /// The decimal separator the column uses, for conversion.
    pub fn decimal(&self) -> Decimal {
        self.decimal
    }

    /// Whether every value lies within `[lo, hi]` (for latitude/longitude pairs).
    pub fn within(&self, lo: f64, hi: f64) -> bool {
        self.non_null > 0 && self.min >= lo && self.max <= hi
    }
}

const LAT_NAMES: &[&str] = &["lat", "latitude", "y_lat", "coord_lat", "wgs84_lat"];
const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x_long", "coord_lon", "wgs84_lon"];

/// A latitude/longitude pair of numeric columns to combine into a `geo_point_2d`.
pub fn lat_lon_pair(names: &[String], columns: &[ColumnInference]) -> Option<(usize, usize)> {
    let numeric = |i: usize| matches!(columns[i].field_type(), FieldType::Double | FieldType::Int);
    let lat = names.iter().position(|n| LAT_NAMES.contains(&n.as_str()))?;
    let lon = names.iter().position(|n| LON_NAMES.contains(&n.as_str()))?;
    (numeric(lat) && numeric(lon) && columns[lat].within(-90.0, 90.0) && columns[lon].within(-180.0, 180.0))
        .then_some((lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> FieldType {
        let mut c = ColumnInference::default();
        for v in values {
            c.observe(v);
        }
        c.field_type()
    }

    #[test]
    fn each_type_is_recognised() {
        assert_eq!(infer(&["1", "-2", "", "30"]), FieldType::Int);
        assert_eq!(infer(&["1,5", "2", "3,25"]), FieldType::Double);
        assert_eq!(infer(&["1.5", "2"]), FieldType::Double);
        assert_eq!(infer(&["true", "FALSE", "vrai"]), FieldType::Boolean);
        assert_eq!(infer(&["2024-01-02", "03/02/2024"]), FieldType::Date);
        assert_eq!(infer(&["2024-01-02T10:00:00+01:00", "2024-01-03"]), FieldType::Datetime);
        assert_eq!(infer(&["48.85,2.35", "45.76, 4.83"]), FieldType::GeoPoint2d);
        assert_eq!(infer(&["01000", "75001"]), FieldType::Text, "postcodes");
        assert_eq!(infer(&[]), FieldType::Text);
    }

    #[test]
    fn disagreeing_values_fall_back_to_text() {
        assert_eq!(infer(&["1", "two"]), FieldType::Text);
        assert_eq!(infer(&["1.5", "1,5"]), FieldType::Text);
        assert_eq!(infer(&["2024-01-02", "soon"]), FieldType::Text);
    }

    #[test]
    fn na_tokens_are_null_among_numbers_only() {
        assert_eq!(infer(&["517", "NA", "533"]), FieldType::Int);
        assert_eq!(infer(&["NA", "Namibia"]), FieldType::Text);
        assert_eq!(infer(&["NA"]), FieldType::Text);
    }

    #[test]
    fn lat_lon_columns_are_paired() {
        let names: Vec<String> = ["name", "latitude", "longitude"].iter().map(|s| s.to_string()).collect();
        let mut cols = vec![ColumnInference::default(), ColumnInference::default(), ColumnInference::default()];
        for (lat, lon) in [("48.85", "2.35"), ("43.3", "5.37")] {
            cols[0].observe("x");
            cols[1].observe(lat);
            cols[2].observe(lon);
        }
        assert_eq!(lat_lon_pair(&names, &cols), Some((1, 2)));
        cols[1].observe("123.0");
        assert_eq!(lat_lon_pair(&names, &cols), None, "out of range");
    }
}
