//! `range(datetime, n unit)` under a request `timezone` other than UTC: periods are those of
//! the zone's calendar (a day runs from local midnight to local midnight, across summer time),
//! labelled with their local start and end and the offset in force at each.

use crate::Zone;
use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use portail_core::time::{civil_from_days, days_from_civil};
use std::collections::HashMap;
use std::sync::Arc;

const US: i64 = 1_000_000;

/// A period length: a fixed number of seconds, or of days (from 1970-01-01, weeks from the
/// Monday 1970-01-05), or of calendar months (from year 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Period {
    Seconds(i64),
    Days(i64),
    Weeks(i64),
    Months(i64),
}

impl Period {
    /// The wall-clock start of the period holding wall-clock time `local` (microseconds).
    fn start(self, local: i64) -> i64 {
        let secs = local.div_euclid(US);
        let day = secs.div_euclid(86_400);
        match self {
            Period::Seconds(n) => (secs - secs.rem_euclid(n)) * US,
            Period::Days(n) => (day - day.rem_euclid(n)) * 86_400 * US,
            Period::Weeks(n) => (day - (day - 4).rem_euclid(7 * n)) * 86_400 * US,
            Period::Months(n) => {
                let (y, m, _) = civil_from_days(day as i32);
                let index = i64::from(y) * 12 + i64::from(m) - 1;
                let first = index - index.rem_euclid(n);
                let (y, m) = (first.div_euclid(12) as i32, (first.rem_euclid(12) + 1) as u32);
                i64::from(days_from_civil(y, m, 1)) * 86_400 * US
            }
        }
    }

    /// The wall-clock end of the period starting at `start`.
    fn end(self, start: i64) -> i64 {
        match self {
            Period::Seconds(n) => start + n * US,
            Period::Days(n) => start + n * 86_400 * US,
            Period::Weeks(n) => start + 7 * n * 86_400 * US,
            Period::Months(n) => {
                let (y, m, _) = civil_from_days(start.div_euclid(86_400 * US) as i32);
                let index = i64::from(y) * 12 + i64::from(m) - 1 + n;
                let (y, m) = (index.div_euclid(12) as i32, (index.rem_euclid(12) + 1) as u32);
                i64::from(days_from_civil(y, m, 1)) * 86_400 * US
            }
        }
    }
}

/// A wall-clock time of `zone` as a label bound: `2024-05-02T00:00:00.000+02:00`.
fn bound(zone: Zone, local: i64) -> String {
    let offset = zone.offset_s(zone.instant(local));
    let secs = local.div_euclid(US);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400) as i32);
    let of_day = secs.rem_euclid(86_400);
    let millis = local.rem_euclid(US) / 1000;
    let sign = if offset < 0 { '-' } else { '+' };
    let (oh, om) = (offset.abs() / 3600, offset.abs() / 60 % 60);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}{sign}{oh:02}:{om:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The label of the period holding instant `micros`.
pub(crate) fn label(zone: Zone, period: Period, micros: i64) -> String {
    let start = period.start(zone.local(micros));
    format!("[{}, {}[", bound(zone, start), bound(zone, period.end(start)))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ZonedRange {
    zone: Zone,
    period: Period,
    signature: Signature,
}

impl ScalarUDFImpl for ZonedRange {
    fn name(&self) -> &str {
        "zoned_range"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = match args.args.first() {
            Some(ColumnarValue::Array(a)) => a.clone(),
            Some(ColumnarValue::Scalar(s)) => s.to_array_of_size(args.number_rows)?,
            None => return exec_err!("zoned_range needs a datetime"),
        };
        let DataType::Timestamp(TimeUnit::Microsecond, _) = values.data_type() else {
            return exec_err!("zoned_range takes a datetime, not {}", values.data_type());
        };
        let times = values.as_primitive::<TimestampMicrosecondType>();
        // A group-by runs this over every row: each period's label is built once.
        let mut labels: HashMap<i64, String> = HashMap::new();
        let mut out = StringBuilder::with_capacity(times.len(), times.len() * 60);
        for t in times.iter() {
            match t {
                Some(t) => {
                    let start = self.period.start(self.zone.local(t));
                    let text = labels.entry(start).or_insert_with(|| label(self.zone, self.period, t));
                    out.append_value(text);
                }
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The range label of datetime `x` on `zone`'s calendar.
pub(crate) fn zoned_range(x: Expr, zone: Zone, period: Period) -> Expr {
    ScalarUDF::from(ZonedRange { zone, period, signature: Signature::any(1, Volatility::Immutable) }).call(vec![x])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_micros()
    }

    #[test]
    fn days_run_from_local_midnight_across_summer_time() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        // 23:30 UTC on 30 March 2024 is already the 31st in Paris, the day clocks move forward.
        assert_eq!(
            label(paris, Period::Days(1), at("2024-03-30T23:30:00Z")),
            "[2024-03-31T00:00:00.000+01:00, 2024-04-01T00:00:00.000+02:00["
        );
        assert_eq!(
            label(paris, Period::Months(1), at("2024-10-31T23:30:00Z")),
            "[2024-11-01T00:00:00.000+01:00, 2024-12-01T00:00:00.000+01:00["
        );
        assert_eq!(
            label(paris, Period::Weeks(1), at("2024-05-05T22:30:00Z")),
            "[2024-05-06T00:00:00.000+02:00, 2024-05-13T00:00:00.000+02:00[",
            "weeks start on Monday"
        );
        let sao_paulo = Zone::parse("America/Sao_Paulo").unwrap();
        assert_eq!(
            label(sao_paulo, Period::Seconds(3600), at("2024-01-01T02:59:00Z")),
            "[2023-12-31T23:00:00.000-03:00, 2024-01-01T00:00:00.000-03:00["
        );
        assert_eq!(
            label(sao_paulo, Period::Months(6), at("2024-09-01T12:00:00Z")),
            "[2024-07-01T00:00:00.000-03:00, 2025-01-01T00:00:00.000-03:00["
        );
    }
}
