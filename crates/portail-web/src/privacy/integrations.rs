//! The third-party integrations portail knows how to gate (REG-3). An admin enables one per
//! portal and configures its vendor; the definition here gives its consent purpose, texts and the
//! CSP directives its origin is added to once granted.

use super::registry::Text;
use portail_store::privacy::IntegrationConfig;

/// A kind of integration, compiled in.
#[derive(Debug)]
pub struct IntegrationKind {
    /// Also the consent purpose key (`[a-z0-9]+`, never `audience`).
    pub key: &'static str,
    pub title: Text,
    pub description: Text,
    /// CSP fetch directives the vendor origin is added to after grant (TP-2).
    pub directives: &'static [&'static str],
    /// Whether content pages may embed the vendor's content through it, as a placeholder until
    /// granted (TP-3, TP-6).
    pub embeddable: bool,
}

pub const VIDEO: IntegrationKind = IntegrationKind {
    key: "video",
    title: Text { en: "Videos", fr: "Vidéos" },
    description: Text {
        en: "Plays videos hosted by an external video platform inside the portal's pages.",
        fr: "Lire dans les pages du portail des vidéos hébergées par une plateforme vidéo externe.",
    },
    directives: &["frame-src", "img-src"],
    embeddable: true,
};

pub const MAP_TILES: IntegrationKind = IntegrationKind {
    key: "maptiles",
    title: Text { en: "External map backgrounds", fr: "Fonds de carte externes" },
    description: Text {
        en: "Loads map backgrounds from an external tile server.",
        fr: "Charger les fonds de carte depuis un serveur de tuiles externe.",
    },
    directives: &["img-src", "connect-src"],
    embeddable: false,
};

pub const EXTERNAL_ANALYTICS: IntegrationKind = IntegrationKind {
    key: "extanalytics",
    title: Text { en: "External audience analytics", fr: "Mesure d'audience externe" },
    description: Text {
        en: "Sends your visit to an external analytics service chosen by the portal.",
        fr: "Transmettre votre visite à un service de mesure d'audience externe choisi par le portail.",
    },
    directives: &["script-src", "connect-src", "img-src"],
    embeddable: false,
};

pub const KINDS: [&IntegrationKind; 3] = [&VIDEO, &MAP_TILES, &EXTERNAL_ANALYTICS];

/// The key no integration may take: the audience objection lives beside the purposes (CK-19).
pub const AUDIENCE_KEY: &str = "audience";

pub fn kind(key: &str) -> Option<&'static IntegrationKind> {
    KINDS.iter().copied().find(|k| k.key == key)
}

/// An integration enabled on a portal: its definition and its configuration.
#[derive(Debug, Clone)]
pub struct Integration {
    pub kind: &'static IntegrationKind,
    pub config: IntegrationConfig,
}

impl Integration {
    pub fn key(&self) -> &'static str {
        self.kind.key
    }
}

/// Checks an origin an admin typed: `http(s)://host[:port]`, nothing else, no wildcard.
pub fn validate_origin(origin: &str) -> Result<String, &'static str> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or("the origin must start with https:// (or http:// on a development host)")?;
    let host_ok = !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && !rest.starts_with(['.', '-', ':']);
    if host_ok {
        Ok(origin)
    } else {
        Err("the origin must be a scheme and a host name, with an optional port, and nothing else")
    }
}

/// The host part of an origin, for cookie domains.
pub fn origin_host(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    rest.rsplit_once(':').filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit())).map_or(rest, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_complete_and_never_take_the_audience_key() {
        // spec: REG-3, REG-5, CK-19
        for k in KINDS {
            assert!(!k.key.is_empty() && k.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert_ne!(k.key, AUDIENCE_KEY);
            for t in [k.title, k.description] {
                assert!(!t.en.is_empty() && !t.fr.is_empty() && t.en != t.fr, "{}", k.key);
            }
            assert!(!k.directives.is_empty());
        }
    }

    #[test]
    fn origins_are_scheme_and_host_only() {
        assert_eq!(validate_origin("https://Video.Example.org/").unwrap(), "https://video.example.org");
        assert_eq!(
            validate_origin("http://video.thirdparty.localhost:8123").unwrap(),
            "http://video.thirdparty.localhost:8123"
        );
        for bad in ["video.example.org", "https://*.example.org", "https://a.org/path", "javascript:x", "https://"] {
            assert!(validate_origin(bad).is_err(), "{bad}");
        }
        assert_eq!(origin_host("http://video.thirdparty.localhost:8123"), "video.thirdparty.localhost");
        assert_eq!(origin_host("https://v.org"), "v.org");
    }
}
