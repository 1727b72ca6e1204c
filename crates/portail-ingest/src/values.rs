//! Parsing of cell text into typed values, shared by type inference (which asks "does every
//! value parse?") and conversion (which keeps the parsed value). Formats accepted are those of
//! French and international open data: decimal commas, `dd/mm/yyyy`, ISO 8601, `"lat,lon"`.

/// Tokens that mean "no value" in exports from R, pandas or spreadsheets. They count as null
/// only in columns that otherwise hold numbers, dates or booleans; in text columns they stay text.
pub fn is_null_token(s: &str) -> bool {
    matches!(s, "NA" | "N/A" | "n/a" | "NaN" | "nan" | "null" | "NULL" | "None" | "-")
}

fn is_group_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// Removes thousands separators written as spaces (`1 234 567`) when the groups are well formed.
fn strip_space_groups(s: &str) -> Option<String> {
    if !s.contains(is_group_sep) {
        return None;
    }
    let digits_part = s.trim_start_matches(['-', '+']);
    let int_part = digits_part.split([',', '.']).next().unwrap_or("");
    let groups: Vec<&str> = int_part.split(is_group_sep).collect();
    let well_formed = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    well_formed.then(|| s.chars().filter(|c| !is_group_sep(*c)).collect())
}

pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(stripped) = strip_space_groups(s) {
        return parse_int(&stripped);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading zeros mark codes (postcodes, INSEE codes), which must stay text.
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// Which decimal separator a number uses, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decimal {
    None,
    Dot,
    Comma,
}

/// Parses a decimal number written with `.` or `,` as separator; returns the separator seen.
/// Integer parts with a leading zero (`01000`) are codes, not numbers.
pub fn parse_double(s: &str) -> Option<(f64, Decimal)> {
    let s = s.trim();
    if let Some(stripped) = strip_space_groups(s) {
        return parse_double(&stripped);
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_digits, frac_digits, sep) = match (mantissa.find('.'), mantissa.find(',')) {
        (Some(_), Some(_)) => return None,
        (Some(i), None) => (&mantissa[..i], &mantissa[i + 1..], Decimal::Dot),
        (None, Some(i)) => (&mantissa[..i], &mantissa[i + 1..], Decimal::Comma),
        (None, None) => (mantissa, "", Decimal::None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int_digits.is_empty() || !all_digits(int_digits) || !all_digits(frac_digits) {
        return None;
    }
    if (int_digits.len() > 1 && int_digits.starts_with('0')) || (sep != Decimal::None && frac_digits.is_empty()) {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if digits.is_empty() || !all_digits(digits) || digits.len() > 3 {
            return None;
        }
    }
    let sign = if s.starts_with('-') { "-" } else { "" };
    let frac = if frac_digits.is_empty() { "0" } else { frac_digits };
    let exp = exponent.map(|e| format!("e{e}")).unwrap_or_default();
    let value: f64 = format!("{sign}{int_digits}.{frac}{exp}").parse().ok()?;
    value.is_finite().then_some((value, sep))
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "vrai" => Some(true),
        "false" | "faux" => Some(false),
        _ => None,
    }
}

pub use portail_core::time::{civil_from_days, days_from_civil};

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num<T: std::str::FromStr>(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<T> {
    (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn valid_date(y: i32, m: u32, d: u32) -> Option<i32> {
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && (1000..=9999).contains(&y))
        .then(|| days_from_civil(y, m, d))
}

/// `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY`, `DD-MM-YYYY` and `DD.MM.YYYY` → days since epoch.
pub fn parse_date(s: &str) -> Option<i32> {
    let s = s.trim();
    if s.len() < 8 || s.len() > 10 {
        return None;
    }
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3 {
        return None;
    }
    if parts[0].len() == 4 && sep != '.' {
        valid_date(num(parts[0], 4..=4)?, num(parts[1], 1..=2)?, num(parts[2], 1..=2)?)
    } else if parts[2].len() == 4 {
        valid_date(num(parts[2], 4..=4)?, num(parts[1], 1..=2)?, num(parts[0], 1..=2)?)
    } else {
        None
    }
}

/// Parses `HH:MM[:SS[.frac]]` into microseconds since midnight.
fn parse_time(s: &str) -> Option<i64> {
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let h: i64 = num(parts[0], 1..=2)?;
    let m: i64 = num(parts[1], 2..=2)?;
    let sec: i64 = if parts.len() == 3 { num(parts[2], 2..=2)? } else { 0 };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let micros = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<6}")[..6].parse::<i64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some(((h * 60 + m) * 60 + sec) * 1_000_000 + micros)
}

/// Parses a UTC offset (`Z`, `+02:00`, `+0200`, `+02`) into seconds.
fn parse_offset(s: &str) -> Option<i64> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    let (h, m): (i64, i64) = match digits.len() {
        2 => (num(&digits, 2..=2)?, 0),
        4 => (num(&digits[..2], 2..=2)?, num(&digits[2..], 2..=2)?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A date and time in ISO 8601 (`T` or space, optional seconds, fraction and offset) or French
/// `dd/mm/yyyy hh:mm[:ss]` form, as microseconds since the epoch in UTC. Without an offset the
/// time is taken as UTC. A bare date is midnight.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start()),
        None => (s, ""),
    };
    let days = i64::from(parse_date(date)?);
    if rest.is_empty() {
        return Some(days * 86_400_000_000);
    }
    let offset_at = rest.find(['Z', 'z', '+']).or_else(|| rest.rfind('-'));
    let (time, offset) = match offset_at {
        Some(i) => (&rest[..i], parse_offset(rest[i..].trim())?),
        None => (rest, 0),
    };
    let micros = parse_time(time.trim())?;
    Some(days * 86_400_000_000 + micros - offset * 1_000_000)
}

/// `"lat,lon"`, `"lat, lon"` or `"[lat, lon]"` with both in range → (lat, lon).
pub fn parse_geo_point(s: &str) -> Option<(f64, f64)> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    let (a, b) = s.split_once(',')?;
    let lat = parse_plain_decimal(a.trim())?;
    let lon = parse_plain_decimal(b.trim())?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

fn parse_plain_decimal(s: &str) -> Option<f64> {
    match parse_double(s)? {
        (v, Decimal::Dot | Decimal::None) => Some(v),
        (_, Decimal::Comma) => None,
    }
}

/// ISO text of a day count, e.g. `2024-03-05`.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn integers_keep_codes_as_text() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-7"), Some(-7));
        assert_eq!(parse_int("1 234 567"), Some(1_234_567));
        assert_eq!(parse_int("1\u{202f}234"), Some(1234));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("01000"), None, "postcode");
        assert_eq!(parse_int("12 34"), None);
        assert_eq!(parse_int("4.5"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn doubles_take_either_separator() {
        assert_eq!(parse_double("123,45"), Some((123.45, Decimal::Comma)));
        assert_eq!(parse_double("123.45"), Some((123.45, Decimal::Dot)));
        assert_eq!(parse_double("-0,5"), Some((-0.5, Decimal::Comma)));
        assert_eq!(parse_double("1 234,5"), Some((1234.5, Decimal::Comma)));
        assert_eq!(parse_double("1e3"), Some((1000.0, Decimal::None)));
        assert_eq!(parse_double("2.5E-2"), Some((0.025, Decimal::Dot)));
        assert_eq!(parse_double("12"), Some((12.0, Decimal::None)));
        for bad in ["1,234.5", "abc", "", "1.", ",", "1,2,3", "inf", "NaN", "1e", ".5", "01.5", "00"] {
            assert_eq!(parse_double(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_in_french_and_iso_forms() {
        let d = days_from_civil(2024, 3, 5);
        for s in ["2024-03-05", "05/03/2024", "2024/03/05", "5/3/2024", "05-03-2024", "05.03.2024"] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        for bad in ["2024-02-30", "31/04/2024", "2024-13-01", "12/2024", "20240305", "05/03/24"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(d), "2024-03-05");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn datetimes_with_offsets_become_utc() {
        let base = i64::from(days_from_civil(2019, 3, 4)) * 86_400_000_000;
        let at = |h: i64, m: i64, s: i64| base + ((h * 60 + m) * 60 + s) * 1_000_000;
        assert_eq!(parse_datetime("2019-03-04T12:34:56+00:00"), Some(at(12, 34, 56)));
        assert_eq!(parse_datetime("2019-03-04T14:34:56+02:00"), Some(at(12, 34, 56)));
        assert_eq!(parse_datetime("2019-03-04 12:34:56Z"), Some(at(12, 34, 56)));
        assert_eq!(parse_datetime("2019-03-04T12:34"), Some(at(12, 34, 0)));
        assert_eq!(parse_datetime("04/03/2019 12:34:56"), Some(at(12, 34, 56)));
        assert_eq!(parse_datetime("2019-03-04T07:34:56-0500"), Some(at(12, 34, 56)));
        assert_eq!(parse_datetime("2019-03-04T12:34:56.250"), Some(at(12, 34, 56) + 250_000));
        assert_eq!(parse_datetime("2019-03-04"), Some(base));
        assert_eq!(parse_datetime("2019-03-04T25:00"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn geo_points_are_lat_first_and_in_range() {
        assert_eq!(parse_geo_point("48.8566,2.3522"), Some((48.8566, 2.3522)));
        assert_eq!(parse_geo_point("[48.8566, 2.3522]"), Some((48.8566, 2.3522)));
        assert_eq!(parse_geo_point("95.0,2.0"), None);
        assert_eq!(parse_geo_point("48,85"), Some((48.0, 85.0)));
        assert_eq!(parse_geo_point("abc,def"), None);
    }

    proptest! {
        // What inference accepts, conversion reads back to the same value.
        #[test]
        fn ints_round_trip(n in any::<i64>()) {
            prop_assert_eq!(parse_int(&n.to_string()), Some(n));
        }

        #[test]
        fn doubles_round_trip_in_both_notations(x in -1e12f64..1e12) {
            let dot = format!("{x}");
            prop_assert_eq!(parse_double(&dot).map(|v| v.0), Some(x));
            let comma = dot.replace('.', ",");
            prop_assert_eq!(parse_double(&comma).map(|v| v.0), Some(x));
        }

        #[test]
        fn dates_round_trip(days in -300_000i32..2_900_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assume!((1000..=9999).contains(&y));
            prop_assert_eq!(days_from_civil(y, m, d), days);
            prop_assert_eq!(parse_date(&format_date(days)), Some(days));
            prop_assert_eq!(parse_date(&format!("{d:02}/{m:02}/{y:04}")), Some(days));
        }

        #[test]
        fn datetimes_round_trip(secs in 0i64..4_000_000_000, offset_min in -720i64..=840) {
            let days = secs.div_euclid(86_400) as i32;
            let sod = secs.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let text = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00", sod / 3600, sod / 60 % 60, sod % 60);
            prop_assert_eq!(parse_datetime(&text), Some(secs * 1_000_000));
            let local = secs + offset_min * 60;
            let (ly, lm, ld) = civil_from_days(local.div_euclid(86_400) as i32);
            let lsod = local.rem_euclid(86_400);
            let sign = if offset_min < 0 { '-' } else { '+' };
            let text = format!("{ly:04}-{lm:02}-{ld:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}", lsod / 3600, lsod / 60 % 60, lsod % 60, offset_min.abs() / 60, offset_min.abs() % 60);
            prop_assume!((1000..=9999).contains(&ly));
            prop_assert_eq!(parse_datetime(&text), Some(secs * 1_000_000));
        }

        #[test]
        fn parsers_never_panic(s in ".{0,40}") {
            let _ = (parse_int(&s), parse_double(&s), parse_date(&s), parse_datetime(&s), parse_geo_point(&s), parse_bool(&s));
        }
    }
}
