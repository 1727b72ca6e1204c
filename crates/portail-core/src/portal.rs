//! Portals: one per organisation, each on its own host names.

use crate::Lang;
use serde::{Deserialize, Serialize};

/// A text kept in every interface language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub en: String,
    pub fr: String,
}

impl Localized {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Self {
        Localized { en: en.into(), fr: fr.into() }
    }

    /// The text in `lang`, falling back to the other language when it was left empty.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, other) = match lang {
            Lang::En => (&self.en, &self.fr),
            Lang::Fr => (&self.fr, &self.en),
        };
        if first.trim().is_empty() {
            other
        } else {
            first
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Portal {
    pub id: i64,
    /// Lowercase identifier, also the first label of `<slug>.<base-domain>`.
    pub slug: String,
    /// The organisation's name, as the policy page and the banner name it.
    pub name: String,
    pub default_lang: Lang,
    /// Languages offered to visitors, the default one included.
    pub langs: Vec<Lang>,
    pub title: Localized,
    pub description: Localized,
    /// Extra host names the portal answers on (besides `<slug>.<base-domain>`).
    pub domains: Vec<String>,
}

impl Portal {
    pub fn offers(&self, lang: Lang) -> bool {
        self.langs.contains(&lang)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error("a portal slug must be 2 to 40 characters long")]
    Length,
    #[error("a portal slug may hold only a-z, 0-9 and inner hyphens (found `{0}`)")]
    Character(char),
}

/// Checks that `slug` can serve as a DNS label and a directory name.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    if !(2..=40).contains(&slug.len()) {
        return Err(SlugError::Length);
    }
    if let Some(c) = slug.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(SlugError::Character(c));
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err(SlugError::Character('-'));
    }
    Ok(())
}

/// Normalises a host name as portals are registered: lowercase, no port, no trailing dot.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if let Some(rest) = host.strip_prefix('[') {
        // IPv6 literal: keep the brackets' content only.
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host })
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_dns_labels() {
        assert_eq!(validate_slug("grigny91"), Ok(()));
        assert_eq!(validate_slug("pays-de-la-loire"), Ok(()));
        assert_eq!(validate_slug("a"), Err(SlugError::Length));
        assert_eq!(validate_slug("Saint"), Err(SlugError::Character('S')));
        assert_eq!(validate_slug("-x1"), Err(SlugError::Character('-')));
        assert_eq!(validate_slug("a.b"), Err(SlugError::Character('.')));
    }

    #[test]
    fn hosts_lose_port_case_and_trailing_dot() {
        assert_eq!(normalize_host("SaintMande.localhost:8080"), "saintmande.localhost");
        assert_eq!(normalize_host("data.grigny91.fr."), "data.grigny91.fr");
        assert_eq!(normalize_host("[::1]:8080"), "::1");
        assert_eq!(normalize_host("127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn localized_text_falls_back_to_the_other_language() {
        let t = Localized::new("Open data", "");
        assert_eq!(t.get(Lang::Fr), "Open data");
        assert_eq!(Localized::new("a", "b").get(Lang::Fr), "b");
    }
}
