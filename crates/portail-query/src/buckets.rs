//! Group keys computed from values: `range()` buckets and `date_format()` strings.
//!
//! Range labels follow what live portals show: integer fields get closed intervals
//! (`[0, 14]`, `[*, 14]`, `[40, *]`), decimal and date fields half-open ones (`[10, 15[`,
//! `[20.5, *[`, `[2020-11-13T00:00:00.000Z, 2021-01-01T00:00:00.000Z[`). Values outside
//! static bounds without `*` get no bucket (null), and the records query drops them.

use crate::bind::Kind;
use crate::QueryError;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{cast, Expr as DfExpr};
use datafusion::prelude::{lit, when};
use portail_core::FieldType;
use portail_odsql::{Arg, Expr, Literal};

fn invalid<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError::invalid(message))
}

/// A bound as written (`15`, `20.5`) and its value.
fn bound(arg: &Arg) -> Result<Option<(String, f64)>, QueryError> {
    match arg {
        Arg::Star(_) => Ok(None),
        Arg::Expr(Expr::Literal { value: Literal::Num(text, v), .. }) => Ok(Some((text.clone(), *v))),
        Arg::Expr(Expr::Neg { expr, .. }) => match expr.as_ref() {
            Expr::Literal { value: Literal::Num(text, v), .. } => Ok(Some((format!("-{text}"), -v))),
            _ => invalid("range() bounds are numbers or *"),
        },
        _ => invalid("range() bounds are numbers or *"),
    }
}

fn int_text(v: f64) -> String {
    format!("{}", v as i64)
}

/// `range(field, …)` over a bound field.
/// Datetimes are bucketed on `zone`'s calendar; dates are days and never shift.
pub fn range(x: DfExpr, kind: Kind, args: &[Arg], zone: crate::Zone) -> Result<DfExpr, QueryError> {
    // v2.0's `]10, 50[` brackets carry no meaning beyond the bounds.
    let args: Vec<&Arg> = args.iter().filter(|a| !matches!(a, Arg::Bracket { .. })).collect();
    match (kind, args.as_slice()) {
        (Kind::Field(FieldType::Datetime), [Arg::Quantity { value, unit, .. }]) if !zone.is_utc() => {
            let period = period(*value, unit)?;
            let ts = cast(x, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
            Ok(crate::zoned_range::zoned_range(ts, zone, period))
        }
        (Kind::Field(FieldType::Date | FieldType::Datetime), [Arg::Quantity { value, unit, .. }]) => {
            date_range(x, *value, unit)
        }
        (
            Kind::Field(FieldType::Int | FieldType::Double),
            [Arg::Expr(Expr::Literal { value: Literal::Num(_, w), .. })],
        ) if *w > 0.0 => Ok(equal_width(x, kind == Kind::Field(FieldType::Int), *w)),
        (Kind::Field(FieldType::Int | FieldType::Double), bounds) if bounds.len() >= 2 => {
            static_ranges(x, kind == Kind::Field(FieldType::Int), bounds)
        }
        (Kind::Field(FieldType::Date | FieldType::Datetime), bounds) if bounds.len() >= 2 => {
            static_date_ranges(x, bounds)
        }
        (Kind::Field(FieldType::Date | FieldType::Datetime), _) => invalid(
            "range() over a date takes one interval such as 1 day, 1 month or 1 year, or bounds such as *, date'2020', date'2021', *",
        ),
        _ => invalid("range() takes a numeric field and a width or bounds, or a date field and an interval"),
    }
}

fn equal_width(x: DfExpr, integer: bool, w: f64) -> DfExpr {
    let start = f::floor(cast(x.clone(), DataType::Float64) / lit(w)) * lit(w);
    let text = |e: DfExpr| {
        if integer || w.fract() == 0.0 {
            cast(cast(e, DataType::Int64), DataType::Utf8)
        } else {
            cast(e, DataType::Utf8)
        }
    };
    let label = if integer {
        f::concat(vec![lit("["), text(start.clone()), lit(", "), text(start + lit(w - 1.0)), lit("]")])
    } else {
        f::concat(vec![lit("["), text(start.clone()), lit(", "), text(start + lit(w)), lit("[")])
    };
    when(x.is_not_null(), label).end().unwrap_or(lit(ScalarValue::Utf8(None)))
}

/// The label of the first condition a value meets, or null.
fn buckets(labelled: Vec<(DfExpr, String)>) -> Result<DfExpr, QueryError> {
    let mut items = labelled.into_iter();
    let (cond, label) = items.next().ok_or_else(|| QueryError::invalid("range() needs at least two bounds"))?;
    let mut cases = when(cond, lit(label));
    for (cond, label) in items {
        cases = cases.when(cond, lit(label));
    }
    Ok(cases.otherwise(lit(ScalarValue::Utf8(None)))?)
}

fn static_ranges(x: DfExpr, integer: bool, args: &[&Arg]) -> Result<DfExpr, QueryError> {
    let mut bounds = vec![];
    for (i, a) in args.iter().enumerate() {
        let b = bound(a)?;
        if b.is_none() && i != 0 && i != args.len() - 1 {
            return invalid("range(): * may only open the first or close the last bucket");
        }
        bounds.push(b);
    }
    let x = cast(x, DataType::Float64);
    let upper_text = |text: &str, v: f64| if integer { int_text(v - 1.0) } else { text.to_owned() };
    let close = if integer { "]" } else { "[" };
    let mut labelled = vec![];
    for pair in bounds.windows(2) {
        let (cond, label) = match (&pair[0], &pair[1]) {
            (None, Some((t, v))) => (x.clone().lt(lit(*v)), format!("[*, {}{close}", upper_text(t, *v))),
            (Some((t, v)), None) => (x.clone().gt_eq(lit(*v)), format!("[{t}, *{}", if integer { "]" } else { "[" })),
            (Some((lt, lv)), Some((ut, uv))) => {
                if uv <= lv {
                    return invalid("range() bounds must increase");
                }
                (
                    x.clone().gt_eq(lit(*lv)).and(x.clone().lt(lit(*uv))),
                    format!("[{lt}, {}{close}", upper_text(ut, *uv)),
                )
            }
            (None, None) => return invalid("range() needs at least one bound"),
        };
        labelled.push((cond, label));
    }
    buckets(labelled)
}

/// An instant as range labels write it: `2020-01-01T00:00:00.000Z`.
fn instant_label(micros: i64) -> String {
    let mut out = Vec::with_capacity(32);
    crate::encode::datetime(micros, crate::Zone::UTC, &mut out);
    let text = String::from_utf8(out).unwrap_or_default();
    // `2020-01-01T00:00:00+00:00` (or with microseconds) → milliseconds and `Z`.
    let base = text.trim_end_matches("+00:00");
    let (clock, fraction) = base.split_once('.').unwrap_or((base, ""));
    format!("{clock}.{:0<3}Z", &fraction.get(..3).unwrap_or(fraction))
}

/// `range(date, *, date'2020', date'2021-07-01', *)`: half-open periods between the bounds.
fn static_date_ranges(x: DfExpr, args: &[&Arg]) -> Result<DfExpr, QueryError> {
    let mut bounds: Vec<Option<i64>> = vec![];
    for (i, a) in args.iter().enumerate() {
        let b = match a {
            Arg::Star(_) if i == 0 || i == args.len() - 1 => None,
            Arg::Star(_) => return invalid("range(): * may only open the first or close the last bucket"),
            Arg::Expr(Expr::Literal { value: Literal::Date(d) | Literal::Str(d), .. }) => Some(
                crate::time::parse_instant(d)
                    .ok_or_else(|| QueryError::invalid(format!("range(): {d} is not a date")))?,
            ),
            _ => return invalid("range() bounds on a date are dates (date'2020-01-01') or *"),
        };
        bounds.push(b);
    }
    let x = cast(x, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
    let at = |us: i64| lit(ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into())));
    let mut labelled = vec![];
    for pair in bounds.windows(2) {
        let (cond, label) = match (pair[0], pair[1]) {
            (None, Some(u)) => (x.clone().lt(at(u)), format!("[*, {}[", instant_label(u))),
            (Some(l), None) => (x.clone().gt_eq(at(l)), format!("[{}, *[", instant_label(l))),
            (Some(l), Some(u)) if u > l => (
                x.clone().gt_eq(at(l)).and(x.clone().lt(at(u))),
                format!("[{}, {}[", instant_label(l), instant_label(u)),
            ),
            (Some(_), Some(_)) => return invalid("range() bounds must increase"),
            (None, None) => return invalid("range() needs at least one bound"),
        };
        labelled.push((cond, label));
    }
    buckets(labelled)
}

/// The period of `range(datetime, n unit)` on a zone's calendar.
fn period(n: f64, unit: &str) -> Result<crate::zoned_range::Period, QueryError> {
    use crate::zoned_range::Period;
    if n < 1.0 || n.fract() != 0.0 || n > 10_000.0 {
        return invalid("range() over a date takes a whole number of units, such as 15 days or 3 months");
    }
    let n = n as i64;
    Ok(match unit {
        "s" | "second" | "seconds" => Period::Seconds(n),
        "m" | "minute" | "minutes" => Period::Seconds(60 * n),
        "h" | "hour" | "hours" => Period::Seconds(3600 * n),
        "d" | "day" | "days" => Period::Days(n),
        "w" | "week" | "weeks" => Period::Weeks(n),
        "M" | "month" | "months" => Period::Months(n),
        "q" | "quarter" | "quarters" => Period::Months(3 * n),
        "y" | "year" | "years" => Period::Months(12 * n),
        other => return invalid(format!("range(): unknown interval unit {other}")),
    })
}

/// `range(date, 1 month)`: the period's start and end as a half-open interval in UTC.
fn date_range(x: DfExpr, n: f64, unit: &str) -> Result<DfExpr, QueryError> {
    let (part, months, days, nanos): (&str, i32, i32, i64) = match unit {
        "s" | "second" | "seconds" => ("second", 0, 0, 1_000_000_000),
        "m" | "minute" | "minutes" => ("minute", 0, 0, 60_000_000_000),
        "h" | "hour" | "hours" => ("hour", 0, 0, 3_600_000_000_000),
        "d" | "day" | "days" => ("day", 0, 1, 0),
        "w" | "week" | "weeks" => ("week", 0, 7, 0),
        "M" | "month" | "months" => ("month", 1, 0, 0),
        "q" | "quarter" | "quarters" => ("quarter", 3, 0, 0),
        "y" | "year" | "years" => ("year", 12, 0, 0),
        other => return invalid(format!("range(): unknown interval unit {other}")),
    };
    if n < 1.0 || n.fract() != 0.0 || n > 10_000.0 {
        return invalid("range() over a date takes a whole number of units, such as 15 days or 3 months");
    }
    let n = n as i32;
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let ts = cast(x.clone(), utc.clone());
    let start = if n == 1 {
        f::date_trunc(lit(part), ts)
    } else if months == 0 {
        // Fixed-length periods counted from 1970-01-01 (a Monday, 1970-01-05, for weeks).
        let origin_days = if part == "week" { 4 } else { 0 };
        let origin = lit(ScalarValue::TimestampMicrosecond(Some(origin_days * 86_400_000_000), Some("UTC".into())));
        let stride = lit(ScalarValue::new_interval_mdn(0, days * n, nanos * i64::from(n)));
        f::date_bin(stride, ts, origin)
    } else {
        // Periods of months counted from year 0: `range(d, 6 months)` gives January and July.
        let k = i64::from(months * n);
        let year = cast(f::date_part(lit("year"), ts.clone()), DataType::Int64);
        let month = cast(f::date_part(lit("month"), ts), DataType::Int64);
        let index = year * lit(12i64) + month - lit(1i64);
        let first = index.clone() - index % lit(k);
        let y = cast(first.clone() / lit(12i64), DataType::Int32);
        let m = cast(first % lit(12i64) + lit(1i64), DataType::Int32);
        cast(f::make_date(y, m, lit(1i32)), utc)
    };
    let step = lit(ScalarValue::new_interval_mdn(months * n, days * n, nanos * i64::from(n)));
    let end = start.clone() + step;
    let fmt = |e: DfExpr| f::to_char(e, lit("%Y-%m-%dT%H:%M:%S%.3fZ"));
    let label = f::concat(vec![lit("["), fmt(start), lit(", "), fmt(end), lit("[")]);
    Ok(when(x.is_not_null(), label).end()?)
}

/// Day and month names are written by chrono in English between these markers, then put in
/// the request's language by `udf::localize_names` (the markers cannot occur in a pattern's text).
pub const NAME_START: char = '\u{1}';
pub const NAME_END: char = '\u{2}';

/// Joda-style `date_format` patterns as chrono ones; names (`E`, `EEEE`, `MMM`, `MMMM`) come
/// out between [`NAME_START`] and [`NAME_END`].
pub fn date_format_pattern(pattern: &str) -> Result<String, QueryError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal text; '' is a quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\'' {
                if chars[j] == '%' {
                    out.push_str("%%");
                } else {
                    out.push(chars[j]);
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        let mut run = 1;
        while chars.get(i + run) == Some(&c) {
            run += 1;
        }
        let spec = match (c, run) {
            ('y' | 'Y', 2) => "%y",
            ('y' | 'Y', _) => "%Y",
            ('x', 2) => "%g",
            ('x', _) => "%G",
            ('w', 1) => "%-V",
            ('w', _) => "%V",
            ('e', _) => "%u",
            ('D', 1 | 2) => "%-j",
            ('D', _) => "%j",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('E', 1..=3) => "\u{1}%a\u{2}",
            ('E', _) => "\u{1}%A\u{2}",
            ('M', 3) => "\u{1}%b\u{2}",
            ('M', _) => "\u{1}%B\u{2}",
            (c, _) if c.is_ascii_alphabetic() => {
                return invalid(format!("date_format(): unknown pattern letter {c}"));
            }
            ('%', _) => "%%",
            _ => {
                for _ in 0..run {
                    out.push(c);
                }
                i += run;
                continue;
            }
        };
        out.push_str(spec);
        i += run;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joda_patterns_become_chrono_patterns() {
        assert_eq!(date_format_pattern("yyyy-MM-dd").unwrap(), "%Y-%m-%d");
        assert_eq!(date_format_pattern("dd/MM/yy HH:mm").unwrap(), "%d/%m/%y %H:%M");
        assert_eq!(date_format_pattern("'week' ww, xxxx").unwrap(), "week %V, %G");
        assert_eq!(date_format_pattern("M d ''").unwrap(), "%-m %-d '");
        assert_eq!(date_format_pattern("EEEE d MMMM").unwrap(), "\u{1}%A\u{2} %-d \u{1}%B\u{2}");
        assert_eq!(date_format_pattern("E MMM").unwrap(), "\u{1}%a\u{2} \u{1}%b\u{2}");
        assert!(date_format_pattern("q").is_err());
    }
}
