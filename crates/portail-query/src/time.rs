//! Date literals of ODSQL: full or partial ISO 8601 (`2017`, `2017-04`, `2017-04-03T08:02`,
//! with or without offset) or `YYYY/MM/DD`. A partial date means the start of its period.

use portail_core::time::days_from_civil;

/// Microseconds since the epoch (UTC) of a date or datetime literal.
pub fn parse_instant(text: &str) -> Option<i64> {
    let t = text.trim().replace('/', "-");
    let (date, rest) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t.as_str(), ""),
    };
    let mut parts = date.split('-');
    let y: i32 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let m: u32 = parts.next().map_or(Some(1), |p| p.parse().ok())?;
    let d: u32 = parts.next().map_or(Some(1), |p| p.parse().ok())?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = i64::from(days_from_civil(y, m, d));
    if rest.is_empty() {
        return Some(days * 86_400_000_000);
    }
    let (clock, offset_s) = match rest.find(['Z', 'z', '+']).or_else(|| rest.rfind('-')) {
        Some(i) => {
            let off = &rest[i..];
            let secs = if off.eq_ignore_ascii_case("z") {
                0
            } else {
                let sign = if off.starts_with('-') { -1 } else { 1 };
                let digits: String = off[1..].chars().filter(|c| c.is_ascii_digit()).collect();
                let h: i64 = digits.get(..2)?.parse().ok()?;
                let mm: i64 = digits.get(2..4).map_or(Some(0), |s| s.parse().ok())?;
                sign * (h * 3600 + mm * 60)
            };
            (&rest[..i], secs)
        }
        None => (rest, 0),
    };
    let mut hms = clock.split(':');
    let h: i64 = hms.next()?.trim().parse().ok()?;
    let mi: i64 = hms.next().map_or(Some(0), |p| p.parse().ok())?;
    let s: f64 = hms.next().map_or(Some(0.0), |p| p.parse().ok())?;
    if h > 23 || mi > 59 || !(0.0..61.0).contains(&s) {
        return None;
    }
    Some(days * 86_400_000_000 + (h * 3600 + mi * 60 - offset_s) * 1_000_000 + (s * 1_000_000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_and_full_literals() {
        let day = |y, m, d| i64::from(days_from_civil(y, m, d)) * 86_400_000_000;
        assert_eq!(parse_instant("2020"), Some(day(2020, 1, 1)));
        assert_eq!(parse_instant("2020-04"), Some(day(2020, 4, 1)));
        assert_eq!(parse_instant("2018/04/01"), Some(day(2018, 4, 1)));
        assert_eq!(parse_instant("2020-01-01T10:30"), Some(day(2020, 1, 1) + 37_800_000_000));
        assert_eq!(parse_instant("2020-01-01T10:30:00+02:00"), Some(day(2020, 1, 1) + 30_600_000_000));
        assert_eq!(parse_instant("soon"), None);
        assert_eq!(parse_instant("2020-13"), None);
    }
}
