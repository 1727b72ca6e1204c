//! Audience measurement (spec section 11): counted on the server from requests it answers
//! anyway, without cookie, client storage or script (AN-1). Each request adds to per-day
//! counters in memory, flushed to the store as aggregates (AN-4); unique visitors are a keyed
//! hash under a per-portal daily salt that never leaves memory (AN-6).

mod classify;
mod clock;
mod country;
pub mod ua;

pub use classify::{count, Hit, SearchOutcome};
pub use clock::{days_before, local_day, local_day_hour, parse_zone, DEFAULT_ZONE};
pub use country::CountryDb;

use chrono_tz::Tz;

use hmac::{Hmac, Mac};
use portail_store::privacy::{Count, Dimension};
use rand::RngCore;
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    portal_id: i64,
    dimension: Dimension,
    day: String,
    hour: u8,
    key: String,
}

/// One portal's visitors of one day: the salt and the set of hashes exist only here.
struct DailyVisitors {
    salt: [u8; 32],
    seen: HashSet<[u8; 16]>,
    flushed: usize,
}

#[derive(Default)]
struct State {
    counters: HashMap<Key, (i64, i64)>,
    visitors: HashMap<(i64, String), DailyVisitors>,
    /// Each portal's time zone as of its last hit: when its day ends.
    zones: HashMap<i64, Tz>,
}

#[derive(Default)]
pub struct Audience {
    state: Mutex<State>,
}

impl Audience {
    /// Adds one request's hits. `visitor` is (client address, User-Agent), used only to update
    /// the day's set of keyed hashes.
    pub fn record(&self, portal_id: i64, zone: Tz, at: (&str, u8), hits: &[Hit], visitor: Option<(&str, &str)>) {
        let (day, hour) = at;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.zones.insert(portal_id, zone);
        for hit in hits {
            let key = Key {
                portal_id,
                dimension: hit.dimension,
                day: day.to_owned(),
                hour: if hit.dimension == Dimension::Pageviews { hour } else { 0 },
                key: hit.key.clone(),
            };
            let entry = state.counters.entry(key).or_default();
            entry.0 += 1;
            entry.1 += i64::from(hit.zero_results);
        }
        if let Some((address, user_agent)) = visitor {
            let daily = state.visitors.entry((portal_id, day.to_owned())).or_insert_with(|| {
                let mut salt = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut salt);
                DailyVisitors { salt, seen: HashSet::new(), flushed: 0 }
            });
            let mut mac = Hmac::<Sha256>::new_from_slice(&daily.salt).expect("HMAC takes any key length");
            mac.update(format!("{portal_id}\n{address}\n{user_agent}").as_bytes());
            let digest = mac.finalize().into_bytes();
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest[..16]);
            daily.seen.insert(short);
        }
    }

    /// Takes every pending increment. Visitor sets of days that ended at `now` (in each
    /// portal's zone) are counted one last time and dropped, salt included.
    pub fn drain(&self, now: i64) -> Vec<Count> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Count> = state
            .counters
            .drain()
            .map(|(k, (count, zero))| Count {
                portal_id: k.portal_id,
                dimension: k.dimension,
                day: k.day,
                hour: k.hour,
                key: k.key,
                count,
                zero_results: zero,
            })
            .collect();
        for ((portal_id, day), daily) in state.visitors.iter_mut() {
            let new = daily.seen.len() - daily.flushed;
            if new > 0 {
                out.push(Count {
                    portal_id: *portal_id,
                    dimension: Dimension::Visitors,
                    day: day.clone(),
                    hour: 0,
                    key: "visitors".into(),
                    count: new as i64,
                    zero_results: 0,
                });
                daily.flushed = daily.seen.len();
            }
        }
        let State { visitors, zones, .. } = &mut *state;
        visitors.retain(|(portal_id, day), _| {
            let zone = zones.get(portal_id).copied().unwrap_or(DEFAULT_ZONE);
            *day >= local_day(now, zone)
        });
        out.sort_by(|a, b| {
            (a.portal_id, a.dimension, &a.day, a.hour, &a.key).cmp(&(b.portal_id, b.dimension, &b.day, b.hour, &b.key))
        });
        out
    }

    /// How many visitor salts are held (tests check that past days are dropped).
    pub fn salts_held(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).visitors.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARIS: Tz = DEFAULT_ZONE;

    /// Noon UTC of a November 2026 day: the same day in Paris.
    fn noon(day: u32) -> i64 {
        i64::from(portail_core::time::days_from_civil(2026, 11, day)) * 86_400 + 12 * 3_600
    }

    fn page(path: &str) -> Hit {
        Hit { dimension: Dimension::Pageviews, key: path.into(), zero_results: false }
    }

    #[test]
    fn counters_add_up_and_drain_once() {
        let a = Audience::default();
        a.record(1, PARIS, ("2026-11-23", 9), &[page("/"), page("/")], None);
        a.record(1, PARIS, ("2026-11-23", 10), &[page("/")], None);
        let counts = a.drain(noon(23));
        assert_eq!(counts.iter().map(|c| (c.hour, c.count)).collect::<Vec<_>>(), [(9, 2), (10, 1)]);
        assert!(a.drain(noon(23)).is_empty());
    }

    #[test]
    fn visitors_are_counted_per_portal_and_per_day_and_salts_are_dropped() {
        // spec: AN-6
        let a = Audience::default();
        a.record(1, PARIS, ("2026-11-23", 9), &[], Some(("192.0.2.1", "Firefox")));
        a.record(1, PARIS, ("2026-11-23", 9), &[], Some(("192.0.2.1", "Firefox")));
        a.record(2, PARIS, ("2026-11-23", 9), &[], Some(("192.0.2.1", "Firefox")));
        a.record(1, PARIS, ("2026-11-23", 9), &[], Some(("192.0.2.2", "Firefox")));
        let counts = a.drain(noon(23));
        let visitors: Vec<_> = counts.iter().map(|c| (c.portal_id, c.count)).collect();
        assert_eq!(visitors, [(1, 2), (2, 1)]);
        // The same visitor again the same day adds nothing; the next day they are new.
        a.record(1, PARIS, ("2026-11-23", 11), &[], Some(("192.0.2.1", "Firefox")));
        assert!(a.drain(noon(23)).is_empty());
        a.record(1, PARIS, ("2026-11-24", 0), &[], Some(("192.0.2.1", "Firefox")));
        assert_eq!(
            a.drain(noon(24)).iter().map(|c| (c.day.as_str(), c.count)).collect::<Vec<_>>(),
            [("2026-11-24", 1)]
        );
        assert_eq!(a.salts_held(), 1, "the salt of the 23rd is gone once the 24th began");
    }

    #[test]
    fn each_portal_day_ends_at_its_own_midnight() {
        // spec: AN-4, AN-6
        let auckland = parse_zone("Pacific/Auckland").unwrap();
        let a = Audience::default();
        a.record(1, PARIS, ("2026-11-23", 9), &[], Some(("192.0.2.1", "Firefox")));
        a.record(2, auckland, ("2026-11-23", 23), &[], Some(("192.0.2.1", "Firefox")));
        // Noon UTC on the 23rd: the 24th has begun in Auckland, not in Paris.
        assert_eq!(a.drain(noon(23)).len(), 2);
        assert_eq!(a.salts_held(), 1, "Auckland's salt of the 23rd is dropped, Paris's is kept");
    }
}
