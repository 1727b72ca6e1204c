//! Interface strings in English and French, from the Fluent files embedded at build time.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use portail_core::Lang;
use std::collections::BTreeSet;

const SOURCES: [(Lang, &str); 2] =
    [(Lang::En, include_str!("../i18n/en.ftl")), (Lang::Fr, include_str!("../i18n/fr.ftl"))];

pub struct I18n {
    en: FluentBundle<FluentResource>,
    fr: FluentBundle<FluentResource>,
}

impl I18n {
    /// Parses the embedded files; a syntax error there is a build defect, reported with the file.
    pub fn load() -> Result<I18n, String> {
        let bundle = |lang: Lang, source: &str| -> Result<FluentBundle<FluentResource>, String> {
            let resource =
                FluentResource::try_new(source.to_owned()).map_err(|(_, errs)| format!("i18n/{lang}.ftl: {errs:?}"))?;
            let langid = lang.code().parse().map_err(|e| format!("{e:?}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Isolation marks would end up inside HTML attributes and e-mail addresses.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).map_err(|errs| format!("i18n/{lang}.ftl: {errs:?}"))?;
            Ok(bundle)
        };
        Ok(I18n { en: bundle(Lang::En, SOURCES[0].1)?, fr: bundle(Lang::Fr, SOURCES[1].1)? })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Fr => &self.fr,
        }
    }

    /// The message `key` in `lang`. A missing key shows as the key itself (and the parity test
    /// makes sure that never ships).
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            // Numbers must reach Fluent as numbers, or plural selection cannot work.
            match value.parse::<i64>() {
                Ok(n) => fluent_args.set(*name, FluentValue::from(n)),
                Err(_) => fluent_args.set(*name, FluentValue::from(value.clone())),
            }
        }
        let mut errors = vec![];
        let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        out.into_owned()
    }

    /// The raw lines (`key = text`) of one language's file whose key starts with `prefix`: what
    /// the consent UI's version hash covers (REC-4).
    pub fn source_lines(lang: Lang, prefix: &str) -> Vec<&'static str> {
        let source = SOURCES.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s).unwrap_or("");
        source.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    /// The message keys of one language's file, for the parity test.
    pub fn keys(lang: Lang) -> BTreeSet<String> {
        let source = SOURCES.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s).unwrap_or("");
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_french_have_the_same_keys() {
        let en = I18n::keys(Lang::En);
        let fr = I18n::keys(Lang::Fr);
        assert!(en.len() > 40, "the key scan found too few keys: {}", en.len());
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty() && only_fr.is_empty(), "only in en: {only_en:?}; only in fr: {only_fr:?}");
    }

    #[test]
    fn every_key_formats_without_error_in_both_languages() {
        let i18n = I18n::load().unwrap();
        for lang in Lang::ALL {
            for key in I18n::keys(lang) {
                let text = i18n.text(
                    lang,
                    &key,
                    &[
                        ("name", "X".into()),
                        ("url", "U".into()),
                        ("email", "E".into()),
                        ("role", "R".into()),
                        ("days", "3".into()),
                        ("n", "2".into()),
                        ("max", "9".into()),
                        ("version", "v".into()),
                    ],
                );
                assert!(!text.trim().is_empty() && text != key, "{lang}: {key} renders as {text:?}");
            }
        }
    }

    #[test]
    fn arguments_are_substituted() {
        let i18n = I18n::load().unwrap();
        assert_eq!(
            i18n.text(Lang::Fr, "policy-used-on", &[("url", "https://x".into())]),
            "Cookies utilisés sur https://x"
        );
    }
}
