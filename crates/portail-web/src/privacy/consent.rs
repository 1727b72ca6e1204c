//! A visitor's consent: the portal's purposes and consent version, the `cookies_preferences`
//! value (CK-19/CK-20), browser signals (SIG-1) and the resulting state of one request (ASK-1…5).

use super::integrations::{self, Integration, AUDIENCE_KEY};
use super::registry::{self, PREFERENCES};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use portail_store::privacy::PrivacySettings;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Everything consent needs to know about the request's portal, loaded once per request.
#[derive(Debug, Clone)]
pub struct PortalPrivacy {
    pub settings: PrivacySettings,
    /// Enabled integrations of known kinds, sorted by key: the portal's consent purposes.
    pub integrations: Vec<Integration>,
    pub consent_version: String,
    /// Per-portal MAC key of `cookies_preferences`.
    key: [u8; 32],
}

impl PortalPrivacy {
    pub fn new(settings: PrivacySettings, platform_secret: &[u8; 32], portal_id: i64) -> PortalPrivacy {
        let integrations: Vec<Integration> = settings
            .integrations
            .iter()
            .filter_map(|config| {
                integrations::kind(&config.kind).map(|kind| Integration { kind, config: config.clone() })
            })
            .collect();
        let consent_version = consent_version(&integrations, settings.consent_revision);
        let mut mac = Hmac::<Sha256>::new_from_slice(platform_secret).expect("HMAC takes any key length");
        mac.update(format!("cookies_preferences:portal:{portal_id}").as_bytes());
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        PortalPrivacy { settings, integrations, consent_version, key }
    }

    pub fn has_purposes(&self) -> bool {
        !self.integrations.is_empty()
    }

    /// The zone of the portal's audience days (AN-4).
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::audience::parse_zone(&self.settings.time_zone).unwrap_or(crate::audience::DEFAULT_ZONE)
    }

    pub fn integration(&self, key: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.key() == key)
    }

    /// The enabled integrations content pages may embed through (TP-6).
    pub fn embeddable(&self) -> Vec<crate::content::Embeddable> {
        self.integrations
            .iter()
            .filter(|i| i.kind.embeddable)
            .map(|i| crate::content::Embeddable { key: i.key().to_owned(), origin: i.config.origin.clone() })
            .collect()
    }

    fn mac(&self, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())[..16].to_owned()
    }

    /// The cookie value recording `choice` (CK-19).
    pub fn encode(&self, choice: &Choice) -> String {
        let mut items: Vec<String> =
            choice.purposes.iter().map(|(k, granted)| format!("{k}-{}", if *granted { 'g' } else { 'd' })).collect();
        items.push(format!("{AUDIENCE_KEY}-{}", if choice.audience_objected { 'o' } else { 'a' }));
        let payload =
            format!("1.{}.{}.{}.{}", choice.consent_version, choice.decided_at, items.join("_"), choice.record_id);
        let mac = self.mac(&payload);
        format!("{payload}.{mac}")
    }

    /// Reads a cookie value; anything malformed, forged, made for another portal or dated in the
    /// future is no choice at all (CK-20).
    pub fn decode(&self, value: &str, now: i64) -> Option<Choice> {
        if value.len() > 256 || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            return None;
        }
        let (payload, mac) = value.rsplit_once('.')?;
        let expected = self.mac(payload);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(mac.as_bytes(), expected.as_bytes())) {
            return None;
        }
        let parts: Vec<&str> = payload.split('.').collect();
        let [format, version, decided_at, items, record_id] = parts.as_slice() else { return None };
        let decided_at: i64 = decided_at.parse().ok()?;
        let hex8 = version.len() == 8 && version.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if *format != "1" || !hex8 || decided_at > now || record_id.len() != 26 {
            return None;
        }
        let mut purposes = BTreeMap::new();
        let mut audience = None;
        for item in items.split('_') {
            let (key, flag) = item.split_once('-')?;
            match (key, flag) {
                (AUDIENCE_KEY, "a") => audience = Some(false),
                (AUDIENCE_KEY, "o") => audience = Some(true),
                (key, "g") => _ = purposes.insert(key.to_owned(), true),
                (key, "d") => _ = purposes.insert(key.to_owned(), false),
                _ => return None,
            }
        }
        Some(Choice {
            consent_version: (*version).to_owned(),
            decided_at,
            purposes,
            audience_objected: audience?,
            record_id: (*record_id).to_owned(),
        })
    }
}

/// ASK-2: first 8 hex of SHA-256 over the purposes (sorted by key) with their vendors and
/// declared cookies, and the consent revision. Texts do not count.
pub fn consent_version(integrations: &[Integration], revision: i64) -> String {
    let mut items: Vec<String> = integrations
        .iter()
        .map(|i| {
            let mut cookies: Vec<String> =
                i.config.cookies.iter().map(|c| format!("{}@{}:{}", c.name, c.domain, c.max_age_s)).collect();
            cookies.sort();
            format!("{}|{}|{}|{}", i.key(), i.config.vendor, i.config.origin, cookies.join(","))
        })
        .collect();
    items.sort();
    let canonical = format!("purposes={};revision={revision}", items.join(";"));
    hex::encode(Sha256::digest(canonical.as_bytes()))[..8].to_owned()
}

/// A decision as the cookie carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub consent_version: String,
    pub decided_at: i64,
    /// Purpose key → granted.
    pub purposes: BTreeMap<String, bool>,
    pub audience_objected: bool,
    pub record_id: String,
}

/// 26 characters of RFC 4648 base32 (lowercase) over 128 random bits (REC-1).
pub fn new_record_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let value = u128::from_be_bytes(bytes);
    // 26 × 5 = 130 bits: the first character carries the top 3 bits.
    (0..26).rev().map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char).collect()
}

/// `Sec-GPC: 1` or `DNT: 1` (SIG-1).
pub fn has_signal(headers: &HeaderMap) -> bool {
    ["sec-gpc", "dnt"].iter().any(|name| headers.get(*name).is_some_and(|v| v.as_bytes().trim_ascii() == b"1"))
}

/// What applies to one request.
#[derive(Debug, Clone, Default)]
pub struct ConsentState {
    /// A stored choice that passes CK-20 and is younger than the configured lifetime.
    pub stored: Option<Choice>,
    /// `stored` was made for the portal's current consent version (ASK-1).
    pub current: bool,
    pub signal: bool,
    /// Purposes in effect for this response.
    pub granted: BTreeSet<&'static str>,
    /// The visitor objected to audience measurement (choice or signal).
    pub audience_objected: bool,
}

impl ConsentState {
    pub fn of(privacy: &PortalPrivacy, headers: &HeaderMap, now: i64, max_age_s: i64) -> ConsentState {
        let signal = has_signal(headers);
        let stored = registry::read(headers, &PREFERENCES)
            .and_then(|v| privacy.decode(v, now))
            .filter(|c| now - c.decided_at < max_age_s);
        let current = stored.as_ref().is_some_and(|c| c.consent_version == privacy.consent_version);
        let granted = match (&stored, current) {
            // ASK-4/ASK-5: a choice made for an older version grants nothing.
            (Some(choice), true) => privacy
                .integrations
                .iter()
                .map(|i| i.key())
                .filter(|k| choice.purposes.get(*k).copied().unwrap_or(false))
                .collect(),
            _ => BTreeSet::new(),
        };
        // An outdated choice's objection keeps applying (ASK-5); a signal objects (SIG-1, SIG-2).
        let audience_objected = signal || stored.as_ref().is_some_and(|c| c.audience_objected);
        ConsentState { stored, current, signal, granted, audience_objected }
    }

    /// BAN-1, without the page condition (the caller knows which page it renders).
    pub fn needs_banner(&self, privacy: &PortalPrivacy) -> bool {
        privacy.has_purposes() && !self.current && !self.signal
    }

    pub fn grants(&self, key: &str) -> bool {
        self.granted.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portail_core::Localized;
    use portail_store::privacy::{IntegrationConfig, VendorCookie};

    fn privacy(portal_id: i64, with_video: bool, revision: i64) -> PortalPrivacy {
        let mut settings =
            PrivacySettings { consent_revision: revision, audience_retention_months: 25, ..Default::default() };
        if with_video {
            settings.integrations.push(IntegrationConfig {
                kind: "video".into(),
                vendor: "Tube".into(),
                origin: "https://tube.example".into(),
                privacy_url: "https://tube.example/privacy".into(),
                cookies: vec![VendorCookie {
                    name: "tube".into(),
                    domain: "tube.example".into(),
                    max_age_s: 60,
                    purpose: Localized::new("a", "b"),
                }],
                enabled_at: 0,
                resource: String::new(),
            });
        }
        PortalPrivacy::new(settings, &[7u8; 32], portal_id)
    }

    fn choice(p: &PortalPrivacy, granted: bool, objected: bool, at: i64) -> Choice {
        Choice {
            consent_version: p.consent_version.clone(),
            decided_at: at,
            purposes: p.integrations.iter().map(|i| (i.key().to_owned(), granted)).collect(),
            audience_objected: objected,
            record_id: new_record_id(),
        }
    }

    fn headers(cookie: Option<&str>, signal: Option<(&'static str, &str)>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(c) = cookie {
            h.insert("cookie", format!("cookies_preferences={c}").parse().unwrap());
        }
        if let Some((name, value)) = signal {
            h.insert(name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_value_follows_the_grammar_and_round_trips() {
        // spec: CK-19
        let p = privacy(1, true, 0);
        let c = choice(&p, true, false, 1_700_000_000);
        let value = p.encode(&c);
        assert!(value.len() <= 256 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
        let parts: Vec<&str> = value.split('.').collect();
        assert_eq!(parts[0], "1");
        assert_eq!(parts[1], p.consent_version);
        assert_eq!(parts[3], "video-g_audience-a");
        assert_eq!(parts[4].len(), 26);
        assert_eq!(parts[5].len(), 16);
        assert_eq!(p.decode(&value, 1_700_000_000), Some(c));
    }

    #[test]
    fn forged_foreign_future_or_malformed_values_are_no_choice() {
        // spec: CK-20
        let p = privacy(1, true, 0);
        let value = p.encode(&choice(&p, true, false, 1000));
        let tampered = value.replace("video-g", "video-d");
        assert_eq!(p.decode(&tampered, 2000), None);
        assert_eq!(privacy(2, true, 0).decode(&value, 2000), None, "another portal's key");
        assert_eq!(p.decode(&value, 999), None, "dated in the future");
        for junk in ["", "1", "1.x.y.z.w.v", "garbage;value", &"a".repeat(300)] {
            assert_eq!(p.decode(junk, 2000), None, "{junk}");
        }
    }

    #[test]
    fn record_ids_are_26_base32_characters_and_unique() {
        let a = new_record_id();
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
        assert_ne!(a, new_record_id());
    }

    #[test]
    fn the_version_changes_with_purposes_vendors_cookies_and_revision_only() {
        // spec: ASK-2
        let none = privacy(1, false, 0).consent_version;
        let video = privacy(1, true, 0).consent_version;
        assert_ne!(none, video);
        assert_ne!(video, privacy(1, true, 1).consent_version);
        assert_eq!(video, privacy(9, true, 0).consent_version, "the portal id is not part of it");
        let mut other_cookie = privacy(1, true, 0);
        other_cookie.settings.integrations[0].cookies[0].max_age_s = 61;
        let again = PortalPrivacy::new(other_cookie.settings.clone(), &[7u8; 32], 1);
        assert_ne!(again.consent_version, video);
    }

    #[test]
    fn state_follows_choice_version_lifetime_and_signals() {
        // spec: ASK-1, ASK-3, ASK-4, ASK-5, SIG-1, BAN-1
        let p = privacy(1, true, 0);
        let max = 180 * 86_400;
        let fresh = ConsentState::of(&p, &HeaderMap::new(), 10, max);
        assert!(fresh.needs_banner(&p) && fresh.granted.is_empty() && !fresh.audience_objected);

        let refused = p.encode(&choice(&p, false, true, 10));
        let s = ConsentState::of(&p, &headers(Some(&refused), None), 20, max);
        assert!(!s.needs_banner(&p) && s.granted.is_empty() && s.audience_objected);

        let accepted = p.encode(&choice(&p, true, false, 10));
        let s = ConsentState::of(&p, &headers(Some(&accepted), None), 20, max);
        assert!(s.grants("video") && !s.needs_banner(&p));
        let expired = ConsentState::of(&p, &headers(Some(&accepted), None), 10 + max, max);
        assert!(expired.needs_banner(&p) && expired.granted.is_empty());

        let newer = privacy(1, true, 1);
        let outdated = ConsentState::of(&newer, &headers(Some(&refused), None), 20, max);
        assert!(outdated.needs_banner(&newer) && outdated.audience_objected, "objection survives the version");

        for signal in [("sec-gpc", "1"), ("dnt", "1")] {
            let s = ConsentState::of(&p, &headers(None, Some(signal)), 20, max);
            assert!(!s.needs_banner(&p) && s.granted.is_empty() && s.audience_objected);
        }
        let s = ConsentState::of(&p, &headers(None, Some(("dnt", "0"))), 20, max);
        assert!(s.needs_banner(&p));
        let no_purpose = privacy(1, false, 0);
        assert!(!ConsentState::of(&no_purpose, &HeaderMap::new(), 20, max).needs_banner(&no_purpose));
    }
}
