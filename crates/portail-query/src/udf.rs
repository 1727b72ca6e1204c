//! Filters that DataFusion's built-in functions express badly: membership of `_row` in the
//! rows a full-text search found (a planner-side `IN` list of thousands of literals costs more
//! than the scan), and the haversine distance of a geo point (eight generic kernels over every
//! row, where one loop over the rows inside the bounding box is enough).

use datafusion::arrow::array::{Array, AsArray, BooleanArray, PrimitiveArray};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Mean Earth radius, as the benchmark's haversine reference uses.
pub(crate) const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn one_array(args: &ScalarFunctionArgs) -> Result<Arc<dyn Array>> {
    match args.args.first() {
        Some(ColumnarValue::Array(a)) => Ok(a.clone()),
        Some(ColumnarValue::Scalar(s)) => s.to_array_of_size(args.number_rows),
        None => exec_err!("missing argument"),
    }
}

/// `Some(first)` when `values` are `first, first + 1, …` (a batch of rows in file order).
pub(crate) fn consecutive_from(values: &[i64]) -> Option<usize> {
    let first = *values.first()?;
    // No early exit, so that the comparison vectorises: batches are nearly always in order.
    let ok = values.iter().zip(first..).fold(first >= 0, |ok, (v, expected)| ok & (*v == expected));
    ok.then_some(first as usize)
}

/// `_row ∈ rows`, as a bitmap over row numbers.
#[derive(Debug)]
struct RowSet {
    /// Distinguishes sets for the planner's equality, which never needs to compare contents.
    id: u64,
    /// Bit `r` for row `r`, little-endian words as Arrow lays out booleans.
    bits: BooleanBuffer,
    signature: Signature,
}

impl PartialEq for RowSet {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for RowSet {}
impl std::hash::Hash for RowSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl RowSet {
    fn new(rows: &BTreeSet<u64>) -> RowSet {
        let len = rows.last().map_or(0, |&r| r as usize / 64 + 1);
        let mut bits = vec![0u64; len];
        for &r in rows {
            bits[r as usize / 64] |= 1 << (r % 64);
        }
        RowSet::from_bits(bits)
    }

    fn from_bits(words: Vec<u64>) -> RowSet {
        let len = words.len() * 64;
        RowSet {
            id: NEXT_SET.fetch_add(1, Ordering::Relaxed),
            bits: BooleanBuffer::new(Buffer::from_vec(words), 0, len),
            signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
        }
    }

    fn contains(&self, row: i64) -> bool {
        usize::try_from(row).is_ok_and(|row| row < self.bits.len() && self.bits.value(row))
    }
}

static NEXT_SET: AtomicU64 = AtomicU64::new(0);

impl ScalarUDFImpl for RowSet {
    fn name(&self) -> &str {
        "portail_row_in_search_hits"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = one_array(&args)?;
        let rows = rows.as_primitive::<Int64Type>();
        let values = rows.values();
        let n = rows.len();
        // Rows numbered first, first + 1, … (the usual case, batches in file order): the
        // answer is a slice of the bitmap, no lookup at all.
        if let Some(first) = consecutive_from(values).filter(|_| rows.null_count() == 0) {
            if first + n <= self.bits.len() {
                return Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(self.bits.slice(first, n), None))));
            }
        }
        let bits = BooleanBuffer::collect_bool(n, |i| rows.is_valid(i) && self.contains(values[i]));
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(bits, None))))
    }
}

/// `row_column ∈ rows`, evaluated with a bitmap.
pub(crate) fn row_in(row_column: Expr, rows: &BTreeSet<u64>) -> Expr {
    ScalarUDF::from(RowSet::new(rows)).call(vec![row_column])
}

/// `row_column ∈ rows`, the rows given as a bitmap (bit `r` for row `r`).
pub(crate) fn row_in_bits(row_column: Expr, bits: Vec<u64>) -> Expr {
    ScalarUDF::from(RowSet::from_bits(bits)).call(vec![row_column])
}

/// `c1 AND c2 AND …` evaluated as one conjunction. DataFusion's `AND` evaluates its right side
/// only on the rows its left side keeps when those are few, then scatters the result back row
/// by row; with scattered matches that costs more than evaluating every side on every row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AllOf {
    signature: Signature,
}

impl ScalarUDFImpl for AllOf {
    fn name(&self) -> &str {
        "portail_all_of"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut out: Option<BooleanArray> = None;
        for arg in &args.args {
            let side = arg.clone().into_array(args.number_rows)?;
            let side = side.as_boolean();
            out = Some(match out {
                None => side.clone(),
                Some(acc) => datafusion::arrow::compute::kernels::boolean::and_kleene(&acc, side)?,
            });
        }
        match out {
            Some(a) => Ok(ColumnarValue::Array(Arc::new(a))),
            None => exec_err!("portail_all_of needs conditions"),
        }
    }
}

/// The conjunction of `conditions` (at least one) as one function call.
pub(crate) fn all_of(conditions: Vec<Expr>) -> Expr {
    ScalarUDF::from(AllOf { signature: Signature::variadic_any(Volatility::Immutable) }).call(conditions)
}

/// `year(x)`, `month(x)`… of a date or UTC datetime as Int64, computed from the day number
/// (DataFusion's `date_part` goes through a generic calendar per value, several times slower).
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatePart {
    part: Part,
    /// Datetimes are read on this zone's clock; dates are days and never shifted.
    zone: crate::Zone,
    signature: Signature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Part {
    fn name(self) -> &'static str {
        ["year", "month", "day", "hour", "minute", "second"][self as usize]
    }
}

impl DatePart {
    fn of_days(&self, days: i32) -> i64 {
        let (y, m, d) = civil(days);
        match self.part {
            Part::Year => i64::from(y),
            Part::Month => i64::from(m),
            Part::Day => i64::from(d),
            Part::Hour | Part::Minute | Part::Second => 0, // a date has no time
        }
    }

    fn of_micros(&self, micros: i64) -> i64 {
        let secs = self.zone.local(micros).div_euclid(1_000_000);
        let of_day = secs.rem_euclid(86_400);
        match self.part {
            Part::Hour => of_day / 3600,
            Part::Minute => of_day / 60 % 60,
            Part::Second => of_day % 60,
            Part::Year | Part::Month | Part::Day => self.of_days(secs.div_euclid(86_400) as i32),
        }
    }
}

impl ScalarUDFImpl for DatePart {
    fn name(&self) -> &str {
        self.part.name()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = one_array(&args)?;
        let out: PrimitiveArray<Int64Type> = match values.data_type() {
            // One loop per part, the table fetched once: this runs over every row of a group-by.
            DataType::Date32 => {
                let (days, table) = (values.as_primitive::<Date32Type>(), civil_table());
                match self.part {
                    Part::Year => days.unary(|d| i64::from(civil_in(table, d).0)),
                    Part::Month => days.unary(|d| i64::from(civil_in(table, d).1)),
                    Part::Day => days.unary(|d| i64::from(civil_in(table, d).2)),
                    Part::Hour | Part::Minute | Part::Second => days.unary(|_| 0),
                }
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                values.as_primitive::<TimestampMicrosecondType>().unary(|t| self.of_micros(t))
            }
            other => return exec_err!("{}() takes a date or datetime, not {other}", self.part.name()),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Days 1900-01-01..2100-01-01 (the dates open data holds) as packed `(year, month, day)`: a
/// table lookup instead of the calendar's divisions for every value.
const TABLE_FIRST_DAY: i32 = -25_567;
const TABLE_DAYS: usize = 73_049;

/// Packed `(year << 9 | month << 5 | day)` of every day from `TABLE_FIRST_DAY`.
fn civil_table() -> &'static [u32] {
    static TABLE: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..TABLE_DAYS as i32)
            .map(|i| {
                let (y, m, d) = portail_core::time::civil_from_days(TABLE_FIRST_DAY + i);
                (y as u32) << 9 | m << 5 | d
            })
            .collect()
    })
}

/// `(year, month, day)` of a day number, through `table` (from [`civil_table`]) when in range.
#[inline]
fn civil_in(table: &[u32], days: i32) -> (i32, u32, u32) {
    match table.get(days.wrapping_sub(TABLE_FIRST_DAY) as u32 as usize) {
        Some(&packed) => ((packed >> 9) as i32, packed >> 5 & 0xf, packed & 0x1f),
        None => portail_core::time::civil_from_days(days),
    }
}

fn civil(days: i32) -> (i32, u32, u32) {
    civil_in(civil_table(), days)
}

/// `part` (year, month, day, hour, minute or second) of a date or datetime column; `None` for
/// another name.
pub(crate) fn date_part(part: &str, value: Expr, zone: crate::Zone) -> Option<Expr> {
    let part = [Part::Year, Part::Month, Part::Day, Part::Hour, Part::Minute, Part::Second]
        .into_iter()
        .find(|p| p.name() == part)?;
    let udf = DatePart { part, zone, signature: Signature::any(1, Volatility::Immutable) };
    Some(ScalarUDF::from(udf).call(vec![value]))
}

/// Half the width, in degrees of longitude, of the box around a circle of `meters` centred at
/// latitude `lat0`: the circle's widest point (exact on the sphere, 180 near the poles).
pub(crate) fn lon_half_width(lat0: f64, meters: f64) -> f64 {
    let ratio = (meters / EARTH_RADIUS_M).sin() / lat0.to_radians().cos();
    if !(0.0..1.0).contains(&ratio) || meters / EARTH_RADIUS_M >= std::f64::consts::FRAC_PI_2 {
        180.0
    } else {
        ratio.asin().to_degrees()
    }
}

/// Whether a `{lon, lat}` point lies within `meters` of a centre (haversine on a sphere).
#[derive(Debug, PartialEq, Eq, Hash)]
struct WithinDistance {
    /// f64 bits, so that the function can be hashed and compared.
    lat0: u64,
    lon0: u64,
    meters: u64,
    signature: Signature,
}

/// A circle on the sphere with what its test needs computed once.
struct Circle {
    lat0: f64,
    lon0: f64,
    meters: f64,
    cos_lat0: f64,
    box_lat: f64,
    box_lon: f64,
}

impl Circle {
    fn contains(&self, lat: f64, lon: f64) -> bool {
        // The box first: it rules out nearly every row at the cost of a few comparisons.
        // Longitudes differ modulo 360 (a circle may cross the antimeridian).
        let mut dlon = lon - self.lon0;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        if (lat - self.lat0).abs() > self.box_lat || dlon.abs() > self.box_lon {
            return false;
        }
        let half = |x: f64| (x / 2.0).sin().powi(2);
        let a = half((lat - self.lat0).to_radians()) + self.cos_lat0 * lat.to_radians().cos() * half(dlon.to_radians());
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin() <= self.meters
    }
}

impl WithinDistance {
    fn circle(&self) -> Circle {
        let (lat0, lon0, meters) = (f64::from_bits(self.lat0), f64::from_bits(self.lon0), f64::from_bits(self.meters));
        Circle {
            lat0,
            lon0,
            meters,
            cos_lat0: lat0.to_radians().cos(),
            box_lat: (meters / EARTH_RADIUS_M).to_degrees(),
            box_lon: lon_half_width(lat0, meters),
        }
    }

    #[cfg(test)]
    fn test(&self, lat: f64, lon: f64) -> bool {
        self.circle().contains(lat, lon)
    }
}

impl ScalarUDFImpl for WithinDistance {
    fn name(&self) -> &str {
        "within_distance"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let points = one_array(&args)?;
        let Some(points) = points.as_struct_opt() else { return exec_err!("within_distance takes a geo point") };
        let (Some(lat), Some(lon)) = (points.column_by_name("lat"), points.column_by_name("lon")) else {
            return exec_err!("within_distance takes a geo point");
        };
        let (lat, lon) = (lat.as_primitive::<Float64Type>(), lon.as_primitive::<Float64Type>());
        let (lat, lon) = (lat.values(), lon.values());
        let circle = self.circle();
        let bits = BooleanBuffer::collect_bool(points.len(), |i| points.is_valid(i) && circle.contains(lat[i], lon[i]));
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(bits, None))))
    }
}

/// `point` (a geo_point_2d column) within `meters` of `(lat0, lon0)`.
pub(crate) fn within_distance(point: Expr, lat0: f64, lon0: f64, meters: f64) -> Expr {
    let udf = WithinDistance {
        lat0: lat0.to_bits(),
        lon0: lon0.to_bits(),
        meters: meters.to_bits(),
        signature: Signature::any(1, Volatility::Immutable),
    };
    ScalarUDF::from(udf).call(vec![point])
}

/// A text column through `f` (nulls stay null, `None` gives null), whatever its string type.
fn map_texts(values: &dyn Array, name: &str, f: impl Fn(&str) -> Option<String>) -> Result<ColumnarValue> {
    let out: datafusion::arrow::array::StringArray = match values.data_type() {
        DataType::Utf8 => values.as_string::<i32>().iter().map(|t| t.and_then(&f)).collect(),
        DataType::Utf8View => values.as_string_view().iter().map(|t| t.and_then(&f)).collect(),
        DataType::LargeUtf8 => values.as_string::<i64>().iter().map(|t| t.and_then(&f)).collect(),
        other => return exec_err!("{name} takes text, not {other}"),
    };
    Ok(ColumnarValue::Array(Arc::new(out)))
}

/// `json_format(text[, fallback])`: the text when it is JSON; otherwise the fallback (a text, or
/// null), or the text itself when no fallback is given.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonFormat {
    fallback: Option<Option<String>>,
    signature: Signature,
}

impl JsonFormat {
    fn apply<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        if serde_json::from_str::<serde_json::value::Value>(text).is_ok() {
            return Some(text);
        }
        match &self.fallback {
            None => Some(text),
            Some(f) => f.as_deref(),
        }
    }
}

impl ScalarUDFImpl for JsonFormat {
    fn name(&self) -> &str {
        "json_format"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_texts(&*one_array(&args)?, "json_format", |t| self.apply(t).map(str::to_owned))
    }
}

pub(crate) fn json_format(text: Expr, fallback: Option<Option<String>>) -> Expr {
    ScalarUDF::from(JsonFormat { fallback, signature: Signature::any(1, Volatility::Immutable) }).call(vec![text])
}

/// English day and month names (chrono's) and their French forms (CLDR, as Joda prints them).
const FRENCH_NAMES: [(&str, &str); 37] = [
    ("Monday", "lundi"),
    ("Tuesday", "mardi"),
    ("Wednesday", "mercredi"),
    ("Thursday", "jeudi"),
    ("Friday", "vendredi"),
    ("Saturday", "samedi"),
    ("Sunday", "dimanche"),
    ("Mon", "lun."),
    ("Tue", "mar."),
    ("Wed", "mer."),
    ("Thu", "jeu."),
    ("Fri", "ven."),
    ("Sat", "sam."),
    ("Sun", "dim."),
    ("January", "janvier"),
    ("February", "février"),
    ("March", "mars"),
    ("April", "avril"),
    ("May", "mai"),
    ("June", "juin"),
    ("July", "juillet"),
    ("August", "août"),
    ("September", "septembre"),
    ("October", "octobre"),
    ("November", "novembre"),
    ("December", "décembre"),
    ("Jan", "janv."),
    ("Feb", "févr."),
    ("Mar", "mars"),
    ("Apr", "avr."),
    ("Jun", "juin"),
    ("Jul", "juil."),
    ("Aug", "août"),
    ("Sep", "sept."),
    ("Oct", "oct."),
    ("Nov", "nov."),
    ("Dec", "déc."),
];

/// The names chrono wrote between markers, in `lang`.
fn localized(text: &str, lang: portail_core::Lang) -> String {
    use crate::buckets::{NAME_END, NAME_START};
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(NAME_START) {
        out.push_str(&rest[..start]);
        let after = &rest[start + NAME_START.len_utf8()..];
        let end = after.find(NAME_END).unwrap_or(after.len());
        let name = &after[..end];
        match lang {
            portail_core::Lang::Fr => {
                out.push_str(FRENCH_NAMES.iter().find(|(en, _)| *en == name).map_or(name, |(_, fr)| fr))
            }
            portail_core::Lang::En => out.push_str(name),
        }
        rest = after.get(end + NAME_END.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// `date_format` output with its day and month names in `lang`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalizeNames {
    lang: portail_core::Lang,
    signature: Signature,
}

impl ScalarUDFImpl for LocalizeNames {
    fn name(&self) -> &str {
        "localize_names"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_texts(&*one_array(&args)?, "localize_names", |t| Some(localized(t, self.lang)))
    }
}

pub(crate) fn localize_names(text: Expr, lang: portail_core::Lang) -> Expr {
    ScalarUDF::from(LocalizeNames { lang, signature: Signature::any(1, Volatility::Immutable) }).call(vec![text])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_in_the_language_asked() {
        let text = "\u{1}Tuesday\u{2} 3 \u{1}May\u{2} (\u{1}Tue\u{2}, \u{1}Feb\u{2})";
        assert_eq!(localized(text, portail_core::Lang::Fr), "mardi 3 mai (mar., févr.)");
        assert_eq!(localized(text, portail_core::Lang::En), "Tuesday 3 May (Tue, Feb)");
        assert_eq!(localized("2024-05", portail_core::Lang::Fr), "2024-05");
    }

    #[test]
    fn distance_matches_the_reference_formula_at_the_edge() {
        // Paris centre; 0.09° of latitude is about 10.007 km.
        let f = WithinDistance {
            lat0: 48.8566f64.to_bits(),
            lon0: 2.3522f64.to_bits(),
            meters: 10_000f64.to_bits(),
            signature: Signature::any(1, Volatility::Immutable),
        };
        assert!(f.test(48.8566, 2.3522));
        assert!(f.test(48.8566 + 0.0899, 2.3522));
        assert!(!f.test(48.8566 + 0.0900, 2.3522));
        assert!(!f.test(43.3, 5.4), "Marseille is not within 10 km of Paris");
        // East-west, the box is the circle's exact width.
        let east = 2.3522 + lon_half_width(48.8566, 10_000.0);
        assert!(f.test(48.8566, east - 1e-4) || f.test(48.86, east - 1e-3));
        assert!(!f.test(48.8566, east + 1e-4));
    }

    #[test]
    fn date_parts_of_days_and_instants() {
        let part = |p: &str| {
            let part = [Part::Year, Part::Month, Part::Day, Part::Hour, Part::Minute, Part::Second]
                .into_iter()
                .find(|x| x.name() == p)
                .unwrap();
            DatePart { part, zone: crate::Zone::UTC, signature: Signature::any(1, Volatility::Immutable) }
        };
        // 2024-02-29 is day 19782; 1969-12-31T23:59:59.5Z is -500,000 µs.
        assert_eq!(
            [part("year").of_days(19_782), part("month").of_days(19_782), part("day").of_days(19_782)],
            [2024, 2, 29]
        );
        let t = -500_000;
        let got: Vec<i64> =
            ["year", "month", "day", "hour", "minute", "second"].iter().map(|p| part(p).of_micros(t)).collect();
        assert_eq!(got, [1969, 12, 31, 23, 59, 59]);
        assert_eq!(part("hour").of_days(19_782), 0, "a date has no hours");
        // The table agrees with the calendar inside its range and is not used outside it.
        for days in (TABLE_FIRST_DAY - 400..TABLE_FIRST_DAY + TABLE_DAYS as i32 + 400).step_by(7) {
            assert_eq!(civil(days), portail_core::time::civil_from_days(days), "day {days}");
        }
    }

    #[test]
    fn circles_cross_the_antimeridian() {
        let f = WithinDistance {
            lat0: 0f64.to_bits(),
            lon0: 179.99f64.to_bits(),
            meters: 5_000f64.to_bits(),
            signature: Signature::any(1, Volatility::Immutable),
        };
        assert!(f.test(0.0, -179.99), "2.2 km away across the antimeridian");
        assert!(!f.test(0.0, -179.9));
        assert_eq!(lon_half_width(89.99, 10_000.0), 180.0, "near a pole every longitude is close");
    }

    #[test]
    fn row_sets_hold_exactly_their_rows() {
        let rows: BTreeSet<u64> = [0, 63, 64, 1000].into_iter().collect();
        let set = RowSet::new(&rows);
        for r in 0..1100 {
            assert_eq!(set.contains(r), rows.contains(&(r as u64)), "row {r}");
        }
        assert!(!set.contains(-1));
    }
}

/// `value ∈ field` for a multivalued or hierarchical text field: one of the cell's values (split
/// on `multivalued`) is `value`, or, for a path (levels split on `hierarchical`), lies under it
/// (`Europe` holds `Europe/Paris`). The refinements of such facets and ODSQL's `"v" IN field`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct HoldsValue {
    value: String,
    multivalued: Option<char>,
    hierarchical: Option<char>,
    signature: Signature,
}

impl HoldsValue {
    fn holds(&self, cell: &str) -> bool {
        let one = |v: &str| {
            v == self.value
                || self
                    .hierarchical
                    .is_some_and(|sep| v.strip_prefix(self.value.as_str()).is_some_and(|rest| rest.starts_with(sep)))
        };
        match self.multivalued {
            Some(sep) => portail_core::schema::split_values(cell, sep).any(one),
            None => one(cell.trim()),
        }
    }
}

impl ScalarUDFImpl for HoldsValue {
    fn name(&self) -> &str {
        "portail_holds_value"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let cells = one_array(&args)?;
        let out: BooleanArray = match cells.data_type() {
            DataType::Utf8View => {
                cells.as_string_view().iter().map(|c| Some(c.is_some_and(|c| self.holds(c)))).collect()
            }
            DataType::Utf8 => cells.as_string::<i32>().iter().map(|c| Some(c.is_some_and(|c| self.holds(c)))).collect(),
            DataType::Null => BooleanArray::from(vec![false; cells.len()]),
            other => return exec_err!("portail_holds_value reads text, not {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Whether the text `field` holds `value`, as `HoldsValue` reads it.
pub(crate) fn holds_value(field: Expr, value: &str, multivalued: Option<char>, hierarchical: Option<char>) -> Expr {
    let udf = HoldsValue {
        value: value.to_owned(),
        multivalued,
        hierarchical,
        signature: Signature::variadic_any(Volatility::Immutable),
    };
    ScalarUDF::from(udf).call(vec![field])
}

/// The values of a multivalued text cell as a list (null for a cell without any), so that a
/// group-by can unnest them: one group per value.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SplitValues {
    separator: char,
    signature: Signature,
}

impl ScalarUDFImpl for SplitValues {
    fn name(&self) -> &str {
        "portail_split_values"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::new_list(DataType::Utf8, true))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::{ListBuilder, StringBuilder};
        let cells = one_array(&args)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        let mut push = |cell: Option<&str>| {
            let mut any = false;
            for v in cell.into_iter().flat_map(|c| portail_core::schema::split_values(c, self.separator)) {
                out.values().append_value(v);
                any = true;
            }
            out.append(any);
        };
        match cells.data_type() {
            DataType::Utf8View => cells.as_string_view().iter().for_each(&mut push),
            DataType::Utf8 => cells.as_string::<i32>().iter().for_each(&mut push),
            DataType::Null => (0..cells.len()).for_each(|_| push(None)),
            other => return exec_err!("portail_split_values reads text, not {other}"),
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The list of a multivalued field's values (see `SplitValues`).
pub(crate) fn split_values(field: Expr, separator: char) -> Expr {
    ScalarUDF::from(SplitValues { separator, signature: Signature::variadic_any(Volatility::Immutable) })
        .call(vec![field])
}

/// A `file` value as records show it: the stored description of the file (JSON text) with its
/// address, `"url": <base><id>`, added. The base depends on the portal the request came to.
#[derive(Debug, PartialEq, Eq, Hash)]
struct FileUrl {
    base: String,
    signature: Signature,
}

impl ScalarUDFImpl for FileUrl {
    fn name(&self) -> &str {
        "portail_file_url"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = one_array(&args)?;
        let described = |text: &str| -> Option<String> {
            let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
            let url = format!("{}{}", self.base, value.get("id")?.as_str()?);
            value.insert("url".into(), url.into());
            serde_json::to_string(&value).ok()
        };
        let out: datafusion::arrow::array::StringArray = match values.data_type() {
            DataType::Utf8View => values.as_string_view().iter().map(|v| v.and_then(described)).collect(),
            DataType::Utf8 => values.as_string::<i32>().iter().map(|v| v.and_then(described)).collect(),
            other => return exec_err!("portail_file_url takes text, not {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// `file_value` with its `url` under `base` (`…/catalog/datasets/<id>/files/`).
pub(crate) fn file_url(file_value: Expr, base: &str) -> Expr {
    let udf = FileUrl { base: base.to_owned(), signature: Signature::any(1, Volatility::Immutable) };
    ScalarUDF::from(udf).call(vec![file_value])
}
