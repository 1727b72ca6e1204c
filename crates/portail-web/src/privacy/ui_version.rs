//! REC-4: the version of the consent-collection UI, per language: the first 16 hex of SHA-256
//! over the banner, panel and placeholder templates and the `consent-` strings of that language.
//! Records name it, and the archived content proves what a visitor saw.

use crate::i18n::I18n;
use crate::templates::CONSENT_TEMPLATES;
use portail_core::Lang;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct UiVersion {
    pub id: String,
    /// What the hash covers, archived with it.
    pub content: String,
}

#[derive(Debug, Clone)]
pub struct UiVersions {
    en: UiVersion,
    fr: UiVersion,
}

impl UiVersions {
    pub fn compute() -> UiVersions {
        UiVersions { en: compute(Lang::En), fr: compute(Lang::Fr) }
    }

    pub fn get(&self, lang: Lang) -> &UiVersion {
        match lang {
            Lang::En => &self.en,
            Lang::Fr => &self.fr,
        }
    }
}

fn compute(lang: Lang) -> UiVersion {
    let mut content = String::new();
    for (name, source) in CONSENT_TEMPLATES {
        content.push_str(&format!("=== template {name}\n{source}\n"));
    }
    content.push_str(&format!("=== strings {lang}\n"));
    for line in I18n::source_lines(lang, "consent-") {
        content.push_str(line);
        content.push('\n');
    }
    let id = hex::encode(Sha256::digest(content.as_bytes()))[..16].to_owned();
    UiVersion { id, content }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_own_version_over_templates_and_strings() {
        // spec: REC-4
        let v = UiVersions::compute();
        assert_eq!(v.get(Lang::En).id.len(), 16);
        assert_ne!(v.get(Lang::En).id, v.get(Lang::Fr).id);
        assert!(v.get(Lang::Fr).content.contains("consent-accept-all"));
        assert!(v.get(Lang::En).content.contains("=== template banner.html"));
    }
}
