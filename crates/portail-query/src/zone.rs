//! The `timezone` of a request: datetimes are shown with its offset, date parts and
//! `date_format` are computed in it, and datetime literals without an offset are read in it.
//! `date` fields (days without a time) are never shifted.

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

/// An IANA time zone, or UTC (the default, computed without any table lookup).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Zone(Option<Tz>);

impl Zone {
    pub const UTC: Zone = Zone(None);

    /// The zone of an IANA name (`Europe/Paris`, `America/Sao_Paulo`, `UTC`); `None` when unknown.
    pub fn parse(name: &str) -> Option<Zone> {
        let name = name.trim();
        if ["utc", "etc/utc", "gmt", "etc/gmt", "z", "zulu", "universal"].contains(&name.to_ascii_lowercase().as_str())
        {
            return Some(Zone::UTC);
        }
        name.parse::<Tz>().ok().map(|tz| Zone(Some(tz)))
    }

    pub fn is_utc(self) -> bool {
        self.0.is_none()
    }

    /// The IANA name, as Arrow's timestamp types take it.
    pub fn name(self) -> &'static str {
        self.0.map_or("UTC", |tz| tz.name())
    }

    /// Seconds east of UTC at the instant `micros` (UTC microseconds since the epoch).
    pub fn offset_s(self, micros: i64) -> i64 {
        let Some(tz) = self.0 else { return 0 };
        let Some(utc) = chrono::DateTime::from_timestamp_micros(micros) else { return 0 };
        i64::from(tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc())
    }

    /// The wall-clock time at `micros`, as microseconds since the epoch of that clock.
    pub fn local(self, micros: i64) -> i64 {
        micros + self.offset_s(micros) * 1_000_000
    }

    /// The instant a wall-clock time of this zone names. In a gap (spring forward) the clock is
    /// read with the offset before the gap; in a fold (fall back) the earlier instant is taken.
    pub fn instant(self, local_micros: i64) -> i64 {
        let Some(tz) = self.0 else { return local_micros };
        let Some(naive) = chrono::DateTime::from_timestamp_micros(local_micros).map(|d| d.naive_utc()) else {
            return local_micros;
        };
        let offset = match tz.offset_from_local_datetime(&naive).earliest() {
            Some(o) => o.fix().local_minus_utc(),
            None => tz.offset_from_utc_datetime(&(naive - chrono::Duration::hours(3))).fix().local_minus_utc(),
        };
        local_micros - i64::from(offset) * 1_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: i64 = 1_000_000;

    #[test]
    fn names_and_offsets() {
        assert!(Zone::parse("UTC").unwrap().is_utc());
        assert!(Zone::parse("Mars/Olympus").is_none());
        let paris = Zone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.name(), "Europe/Paris");
        // 2024-01-15T12:00Z (winter, +1) and 2024-07-15T12:00Z (summer, +2).
        assert_eq!(paris.offset_s(1_705_320_000 * US), 3600);
        assert_eq!(paris.offset_s(1_721_044_800 * US), 7200);
        assert_eq!(Zone::parse("America/Sao_Paulo").unwrap().offset_s(1_705_320_000 * US), -3 * 3600);
    }

    #[test]
    fn wall_clocks_map_back_to_instants() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        let summer = 1_721_044_800 * US;
        assert_eq!(paris.instant(paris.local(summer)), summer);
        // 2024-03-31 02:30 does not exist in Paris: read with the winter offset (01:30Z).
        let gap_local = 1_711_852_200 * US; // 2024-03-31T02:30 as a naive clock
        assert_eq!(paris.instant(gap_local), gap_local - 3600 * US);
        // 2024-10-27 02:30 happens twice: the first (summer, +2) is taken.
        let fold_local = 1_729_996_200 * US; // 2024-10-27T02:30 naive
        assert_eq!(paris.instant(fold_local), fold_local - 7200 * US);
    }
}
