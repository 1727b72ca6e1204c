//! Interface languages a portal can offer.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A language the interface is translated into. Adding one means adding its Fluent file; the
/// key-parity test then tells what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Parses a bare language code or a tag such as `fr-FR` (case-insensitive); `None` for
    /// anything portail does not translate into.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// Parses a comma-separated list such as `en,fr`, refusing unknown codes and empty lists.
    pub fn parse_list(list: &str) -> Result<Vec<Lang>, String> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let lang: Lang = part.parse()?;
            if !out.contains(&lang) {
                out.push(lang);
            }
        }
        if out.is_empty() {
            return Err("the language list is empty".into());
        }
        Ok(out)
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            other => Err(format!("unknown language `{other}` (expected en or fr)")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_reduced_to_their_primary_language() {
        assert_eq!(Lang::from_tag("fr-FR"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn lists_refuse_unknown_codes_and_drop_repeats() {
        assert_eq!(Lang::parse_list("en, fr,en").unwrap(), vec![Lang::En, Lang::Fr]);
        assert!(Lang::parse_list("en,de").unwrap_err().contains("`de`"));
        assert!(Lang::parse_list(" , ").is_err());
    }
}
