//! The day a hit belongs to, in the portals' time zone. Every demo and seed portal is French, so
//! portail uses Europe/Paris: UTC+1, and UTC+2 from the last Sunday of March 01:00 UTC to the
//! last Sunday of October 01:00 UTC (the EU rule). A per-portal zone is left for later.

use portail_core::time::{civil_from_days, days_from_civil};

fn last_sunday_utc(year: i32, month: u32) -> i64 {
    let last_day = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) % 7.
    let weekday = (i64::from(last_day) + 4).rem_euclid(7);
    (i64::from(last_day) - weekday) * 86_400 + 3_600
}

fn paris_offset_s(unix: i64) -> i64 {
    let (year, _, _) = civil_from_days(unix.div_euclid(86_400) as i32);
    if unix >= last_sunday_utc(year, 3) && unix < last_sunday_utc(year, 10) {
        7_200
    } else {
        3_600
    }
}

/// `(YYYY-MM-DD, hour)` in the portals' zone.
pub fn local_day_hour(unix: i64) -> (String, u8) {
    let local = unix + paris_offset_s(unix);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400) as i32);
    (format!("{y:04}-{m:02}-{d:02}"), (local.rem_euclid(86_400) / 3_600) as u8)
}

pub fn local_day(unix: i64) -> String {
    local_day_hour(unix).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_and_winter_time_follow_the_eu_rule() {
        // 2026-03-29 00:59 UTC is still winter time; 01:00 UTC is 03:00 in Paris.
        let switch = i64::from(days_from_civil(2026, 3, 29)) * 86_400 + 3_600;
        assert_eq!(local_day_hour(switch - 60), ("2026-03-29".into(), 1));
        assert_eq!(local_day_hour(switch), ("2026-03-29".into(), 3));
        // 23:30 UTC on 2026-11-23 is already the 24th in Paris.
        let late = i64::from(days_from_civil(2026, 11, 23)) * 86_400 + 23 * 3_600 + 1_800;
        assert_eq!(local_day_hour(late), ("2026-11-24".into(), 0));
        let july = i64::from(days_from_civil(2026, 7, 14)) * 86_400 + 22 * 3_600;
        assert_eq!(local_day_hour(july), ("2026-07-15".into(), 0));
    }
}
