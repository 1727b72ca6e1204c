//! AN-7: the country of a request, from an offline database file on the server — never a network
//! lookup, never finer than the ISO 3166-1 alpha-2 code. Off unless the platform names a file
//! (`geoip_country_db`) and a portal's admin turns `audience_country` on.
//!
//! Two free CSV layouts are read, one range per line:
//! - DB-IP "IP to Country Lite": `1.0.0.0,1.0.0.255,AU` (IPv4 and IPv6 addresses);
//! - IP2Location LITE DB1: `"16777216","16777471","AU","Australia"` (IPv4 as integers).
//!
//! Codes that are not two letters (`-`, `ZZ`) mean "unknown" and are skipped.

use std::net::IpAddr;
use std::path::Path;

/// Sorted, non-overlapping ranges of addresses (IPv4 mapped into IPv6) with their country.
#[derive(Debug, Default)]
pub struct CountryDb {
    ranges: Vec<(u128, u128, [u8; 2])>,
}

fn address(text: &str) -> Option<u128> {
    let text = text.trim().trim_matches('"');
    if let Ok(n) = text.parse::<u32>() {
        return Some(u128::from(std::net::Ipv4Addr::from(n).to_ipv6_mapped()));
    }
    Some(match text.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    })
}

impl CountryDb {
    /// Reads a database file; an unreadable file or a malformed line is an error naming it.
    pub fn load(path: &Path) -> Result<CountryDb, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("geoip_country_db {}: {e}", path.display()))?;
        CountryDb::parse(&text).map_err(|e| format!("geoip_country_db {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<CountryDb, String> {
        let mut ranges = vec![];
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split(',').collect();
            let malformed = || format!("line {}: expected `first address,last address,country`, found `{line}`", n + 1);
            let [first, last, code, ..] = fields.as_slice() else { return Err(malformed()) };
            let (Some(first), Some(last)) = (address(first), address(last)) else { return Err(malformed()) };
            if first > last {
                return Err(format!("line {}: the range ends before it starts", n + 1));
            }
            let code = code.trim().trim_matches('"').as_bytes();
            if let [a, b] = code {
                if a.is_ascii_uppercase() && b.is_ascii_uppercase() && code != b"ZZ" {
                    ranges.push((first, last, [*a, *b]));
                }
            }
        }
        ranges.sort_unstable();
        if let Some(w) = ranges.windows(2).find(|w| w[1].0 <= w[0].1) {
            return Err(format!("ranges overlap around {}", std::net::Ipv6Addr::from(w[1].0)));
        }
        Ok(CountryDb { ranges })
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The country of an address, as two upper-case letters.
    pub fn country(&self, ip: IpAddr) -> Option<&str> {
        let ip = match ip {
            IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
            IpAddr::V6(v6) => u128::from(v6),
        };
        let i = self.ranges.partition_point(|r| r.0 <= ip).checked_sub(1)?;
        let (_, last, code) = &self.ranges[i];
        (ip <= *last).then(|| std::str::from_utf8(code).ok()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_and_both_families_are_read() {
        // spec: AN-7
        let db = CountryDb::parse(
            "1.0.0.0,1.0.0.255,AU\n192.0.2.0,192.0.2.255,FR\n2001:db8::,2001:db8::ffff,RE\n\
             \"3325256704\",\"3325256959\",\"GP\",\"Guadeloupe\"\n10.0.0.0,10.255.255.255,ZZ\n\"0\",\"16777215\",\"-\",\"-\"\n",
        )
        .unwrap();
        assert_eq!(db.len(), 4);
        let at = |ip: &str| db.country(ip.parse().unwrap());
        assert_eq!(at("192.0.2.77"), Some("FR"));
        assert_eq!(at("1.0.0.0"), Some("AU"));
        assert_eq!(at("2001:db8::42"), Some("RE"));
        assert_eq!(at("198.51.100.7"), Some("GP"), "3325256704 is 198.51.100.0");
        assert_eq!(at("10.1.2.3"), None, "unknown codes are skipped");
        assert_eq!(at("192.0.3.1"), None);
        assert_eq!(at("0.0.0.1"), None);
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert!(CountryDb::parse("1.0.0.0,1.0.0.255,AU\nnot an address,1.2.3.4,FR\n")
            .unwrap_err()
            .starts_with("line 2:"));
        assert!(CountryDb::parse("1.0.0.9,1.0.0.1,AU").unwrap_err().contains("ends before"));
        assert!(CountryDb::parse("1.0.0.0,1.0.0.9,AU\n1.0.0.5,1.0.0.20,FR").unwrap_err().contains("overlap"));
    }
}
