//! Date literals of ODSQL: full or partial ISO 8601 (`2017`, `2017-04`, `2017-04-03T08:02`,
//! with or without offset) or `YYYY/MM/DD`. A partial date means the start of its period.

use portail_core::time::{civil_from_days, days_from_civil};

/// Microseconds since the epoch (UTC) of a date or datetime literal.
pub fn parse_instant(text: &str) -> Option<i64> {
    parse_clock(text).map(|(micros, _)| micros)
}

/// The instant of a literal read in `zone` when it carries no offset of its own.
pub fn parse_instant_in(text: &str, zone: crate::Zone) -> Option<i64> {
    let (micros, explicit) = parse_clock(text)?;
    Some(if explicit { micros } else { zone.instant(micros) })
}

/// The literal's time as if UTC, and whether it gave an offset (then the time is exact).
fn parse_clock(text: &str) -> Option<(i64, bool)> {
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
        return Some((days * 86_400_000_000, false));
    }
    let explicit = rest.find(['Z', 'z', '+']).or_else(|| rest.rfind('-')).is_some();
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
    Some((days * 86_400_000_000 + (h * 3600 + mi * 60 - offset_s) * 1_000_000 + (s * 1_000_000.0) as i64, explicit))
}

const US_PER_DAY: i64 = 86_400_000_000;

/// The current instant in microseconds since the epoch.
pub fn now_micros() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since.as_micros() as i64
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
    (next - days_from_civil(y, m, 1)) as u32
}

/// `now(…)` of ODSQL: `now` (µs, UTC) with named arguments applied the way Python's
/// `relativedelta` applies them (ODSQL's model): singular names set a part, plural names add to it.
/// Year and month come first (sets, then shifts with carry), the day is clamped to the month, the
/// clock parts are set, then the day and clock shifts are added, then weekdays are moved to. The
/// last occurrence of a name wins.
pub fn now_with(now: i64, args: &[(&str, f64)]) -> Result<i64, String> {
    let mut named = std::collections::BTreeMap::new();
    for (name, value) in args {
        if value.fract() != 0.0 {
            return Err(format!("now() takes whole numbers, not {name}={value}"));
        }
        named.insert(*name, *value as i64);
    }
    const SETS: [&str; 8] = ["year", "month", "day", "hour", "minute", "second", "microsecond", "weekday"];
    const SHIFTS: [&str; 8] = ["years", "months", "weeks", "days", "hours", "minutes", "seconds", "microseconds"];
    const WEEKDAYS: [&str; 7] = ["mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays"];
    let known = |n: &str| SETS.contains(&n) || SHIFTS.contains(&n) || WEEKDAYS.contains(&n);
    if let Some(bad) = named.keys().find(|n| !known(n)) {
        return Err(format!("now() has no parameter {bad}; use year, month, day, hour, minute, second, microsecond, weekday, their plurals or mondays…sundays"));
    }
    let in_range = |name: &str, lo: i64, hi: i64| -> Result<Option<i64>, String> {
        match named.get(name) {
            Some(v) if !(lo..=hi).contains(v) => Err(format!("now(): {name} must be between {lo} and {hi}")),
            v => Ok(v.copied()),
        }
    };
    let day_count = now.div_euclid(US_PER_DAY);
    let clock = now.rem_euclid(US_PER_DAY);
    let (y, m, d) = civil_from_days(day_count as i32);
    let year = in_range("year", 1, 9999)?.unwrap_or(i64::from(y));
    let month = in_range("month", 1, 12)?.unwrap_or(i64::from(m));
    let months = year * 12
        + (month - 1)
        + named.get("years").copied().unwrap_or(0) * 12
        + named.get("months").copied().unwrap_or(0);
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    if !(1..=9999).contains(&year) {
        return Err("now(): the year falls outside 1 to 9999".into());
    }
    let (year, month) = (year as i32, month as u32);
    let day = in_range("day", 1, i64::MAX)?.unwrap_or(i64::from(d)).min(i64::from(days_in_month(year, month)));
    let hour = in_range("hour", 0, 23)?.unwrap_or(clock / 3_600_000_000);
    let minute = in_range("minute", 0, 59)?.unwrap_or(clock / 60_000_000 % 60);
    let second = in_range("second", 0, 59)?.unwrap_or(clock / 1_000_000 % 60);
    let micro = in_range("microsecond", 0, 999_999)?.unwrap_or(clock % 1_000_000);
    let clock = ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro;
    let mut t = i64::from(days_from_civil(year, month, day as u32)) * US_PER_DAY + clock;
    let shifts = [
        ("weeks", 7 * US_PER_DAY),
        ("days", US_PER_DAY),
        ("hours", 3_600_000_000),
        ("minutes", 60_000_000),
        ("seconds", 1_000_000),
        ("microseconds", 1),
    ];
    for (name, us) in shifts {
        if let Some(v) = named.get(name) {
            t = v.checked_mul(us).and_then(|d| t.checked_add(d)).ok_or("now(): the shift is too large")?;
        }
    }
    // Moving to a weekday: `weekday=N` is the next such day (today included); `mondays=+2` the
    // second Monday from today (included), `mondays=-1` the last one (today included).
    let weekday = |t: i64| (t.div_euclid(US_PER_DAY) + 3).rem_euclid(7); // 1970-01-01 was a Thursday.
    let mut target = in_range("weekday", 0, 6)?.map(|w| (w, 1));
    for (i, name) in WEEKDAYS.iter().enumerate() {
        if let Some(&n) = named.get(name) {
            target = Some((i as i64, n));
        }
    }
    if let Some((w, n)) = target {
        if n > 0 {
            t += (((w - weekday(t)).rem_euclid(7)) + 7 * (n - 1)) * US_PER_DAY;
        } else if n < 0 {
            t -= (((weekday(t) - w).rem_euclid(7)) + 7 * (-n - 1)) * US_PER_DAY;
        }
    }
    Ok(t)
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

    #[test]
    fn now_follows_the_documented_examples() {
        // Thursday 2021-05-06 12:34:55.450500 UTC, the instant of Opendatasoft's examples.
        let at = |y, m, d| i64::from(days_from_civil(y, m, d)) * US_PER_DAY + 45_295_450_500;
        let now = at(2021, 5, 6);
        let run = |args: &[(&str, f64)]| now_with(now, args).unwrap();
        assert_eq!(run(&[]), now);
        assert_eq!(run(&[("year", 2000.0)]), at(2000, 5, 6));
        assert_eq!(run(&[("years", -1.0)]), at(2020, 5, 6));
        // The documentation prints 2000-04-06 here; setting 2001 then going back one month is
        // 2001-04-06, as in `relativedelta` which the parameters mirror.
        assert_eq!(run(&[("year", 2001.0), ("months", -1.0)]), at(2001, 4, 6));
        assert_eq!(run(&[("day", 31.0), ("month", 2.0)]), at(2021, 2, 28));
        assert_eq!(run(&[("weekday", 0.0)]), at(2021, 5, 10));
        assert_eq!(run(&[("mondays", 1.0)]), at(2021, 5, 10));
        assert_eq!(run(&[("mondays", -1.0)]), at(2021, 5, 3));
        assert_eq!(run(&[("thursdays", 1.0)]), now, "today counts");
        assert_eq!(run(&[("months", 9.0)]), at(2022, 2, 6), "months carry into years");
        assert_eq!(run(&[("days", -6.0), ("hours", 2.0)]), at(2021, 4, 30) + 7_200_000_000);
        let midnight = i64::from(days_from_civil(2021, 5, 6)) * US_PER_DAY;
        let set_clock = [("hour", 0.0), ("minute", 0.0), ("second", 0.0), ("microsecond", 0.0)];
        assert_eq!(run(&set_clock), midnight);
        assert_eq!(run(&[("day", 1.0), ("day", 3.0)]), at(2021, 5, 3), "the last occurrence wins");
        assert!(now_with(now, &[("month", 13.0)]).unwrap_err().contains("month"));
        assert!(now_with(now, &[("decades", 1.0)]).unwrap_err().contains("decades"));
    }
}
