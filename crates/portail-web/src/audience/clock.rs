//! The day and hour a hit belongs to, in the portal's time zone (AN-4). Each portal has its own
//! (`time_zone`, set by its admins); every seed portal is French, hence the default.

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;

/// The zone of a portal that chose none.
pub const DEFAULT_ZONE: Tz = chrono_tz::Europe::Paris;

/// An IANA zone name an admin typed (`Europe/Paris`, `Indian/Reunion`…).
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// `(YYYY-MM-DD, hour)` in `zone`.
pub fn local_day_hour(unix: i64, zone: Tz) -> (String, u8) {
    let local = zone.timestamp_opt(unix, 0).single().unwrap_or_else(|| zone.timestamp_opt(0, 0).unwrap());
    (local.format("%Y-%m-%d").to_string(), local.hour() as u8)
}

pub fn local_day(unix: i64, zone: Tz) -> String {
    local_day_hour(unix, zone).0
}

/// The calendar day `n` days before `day` (`YYYY-MM-DD`). Subtracting 24 hours instead would
/// skip a day across a change to summer time.
pub fn days_before(day: &str, n: i64) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => (d - chrono::Duration::days(n)).format("%Y-%m-%d").to_string(),
        Err(_) => day.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portail_core::time::days_from_civil;

    #[test]
    fn summer_and_winter_time_follow_the_eu_rule() {
        // 2026-03-29 00:59 UTC is still winter time; 01:00 UTC is 03:00 in Paris.
        let switch = i64::from(days_from_civil(2026, 3, 29)) * 86_400 + 3_600;
        assert_eq!(local_day_hour(switch - 60, DEFAULT_ZONE), ("2026-03-29".into(), 1));
        assert_eq!(local_day_hour(switch, DEFAULT_ZONE), ("2026-03-29".into(), 3));
        // 23:30 UTC on 2026-11-23 is already the 24th in Paris.
        let late = i64::from(days_from_civil(2026, 11, 23)) * 86_400 + 23 * 3_600 + 1_800;
        assert_eq!(local_day_hour(late, DEFAULT_ZONE), ("2026-11-24".into(), 0));
        let july = i64::from(days_from_civil(2026, 7, 14)) * 86_400 + 22 * 3_600;
        assert_eq!(local_day_hour(july, DEFAULT_ZONE), ("2026-07-15".into(), 0));
    }

    #[test]
    fn calendar_days_back_cross_summer_time_and_months() {
        // 2026-03-30 00:30 in Paris is 2026-03-29 22:30 UTC; 24 hours earlier is still the 28th
        // in Paris, but the day before is the 29th.
        let now = i64::from(days_from_civil(2026, 3, 29)) * 86_400 + 22 * 3_600 + 1_800;
        assert_eq!(local_day(now - 86_400, DEFAULT_ZONE), "2026-03-28");
        assert_eq!(days_before(&local_day(now, DEFAULT_ZONE), 1), "2026-03-29");
        assert_eq!(days_before("2026-03-01", 1), "2026-02-28");
        assert_eq!(days_before("2026-03-01", 0), "2026-03-01");
    }

    #[test]
    fn other_zones_have_their_own_days() {
        // 2026-11-23 12:00 UTC: the 24th at 01:00 in Auckland (UTC+13), the 23rd at 16:00 on
        // La Réunion (UTC+4), still the 23rd at 08:00 in Martinique (UTC−4).
        let noon = i64::from(days_from_civil(2026, 11, 23)) * 86_400 + 12 * 3_600;
        let at = |name| local_day_hour(noon, parse_zone(name).unwrap());
        assert_eq!(at("Pacific/Auckland"), ("2026-11-24".into(), 1));
        assert_eq!(at("Indian/Reunion"), ("2026-11-23".into(), 16));
        assert_eq!(at("America/Martinique"), ("2026-11-23".into(), 8));
        assert!(parse_zone("Mars/Olympus").is_none() && parse_zone("").is_none());
    }
}
