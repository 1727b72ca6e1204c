//! Which language a page is rendered in (CK-7): `?lang=`, then the `django_language` cookie,
//! then `Accept-Language`, then the portal's default. Only languages the portal offers count.

use crate::privacy::registry::{self, LANGUAGE};
use axum::http::{header, HeaderMap};
use portail_core::{Lang, Portal};

pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Languages from `Accept-Language`, best first (stable for equal weights).
pub fn accepted_languages(headers: &HeaderMap) -> Vec<Lang> {
    let mut weighted: Vec<(f32, usize, Lang)> = vec![];
    let values = headers.get_all(header::ACCEPT_LANGUAGE).iter().filter_map(|v| v.to_str().ok());
    for (i, item) in values.flat_map(|v| v.split(',')).enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if let Some(lang) = Lang::from_tag(tag) {
            if q > 0.0 {
                weighted.push((q, i, lang));
            }
        }
    }
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, l)| l).collect()
}

pub fn negotiate(portal: &Portal, headers: &HeaderMap, query: Option<&str>) -> Lang {
    let offered = |l: &Lang| portal.offers(*l);
    if let Some(lang) = query_param(query, "lang").and_then(|v| v.parse::<Lang>().ok()).filter(offered) {
        return lang;
    }
    if let Some(lang) = registry::read(headers, &LANGUAGE).and_then(|v| v.parse::<Lang>().ok()).filter(offered) {
        return lang;
    }
    accepted_languages(headers).into_iter().find(offered).unwrap_or(portal.default_lang)
}

/// Language for pages without a portal (unknown host): the browser's choice, else English.
pub fn negotiate_without_portal(headers: &HeaderMap) -> Lang {
    accepted_languages(headers).into_iter().next().unwrap_or(Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portail_core::Localized;

    fn portal(default: Lang, langs: Vec<Lang>) -> Portal {
        Portal {
            id: 1,
            slug: "p".into(),
            name: "P".into(),
            default_lang: default,
            langs,
            title: Localized::default(),
            description: Localized::default(),
            domains: vec![],
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn order_is_query_then_cookie_then_accept_language_then_default() {
        // spec: CK-7
        let p = portal(Lang::Fr, vec![Lang::En, Lang::Fr]);
        let all = headers(&[("cookie", "django_language=fr"), ("accept-language", "en")]);
        assert_eq!(negotiate(&p, &all, Some("lang=en")), Lang::En);
        assert_eq!(negotiate(&p, &all, None), Lang::Fr);
        assert_eq!(negotiate(&p, &headers(&[("accept-language", "en-GB,fr;q=0.5")]), None), Lang::En);
        assert_eq!(negotiate(&p, &HeaderMap::new(), None), Lang::Fr);
    }

    #[test]
    fn unknown_or_unoffered_values_are_skipped() {
        // spec: CK-7, CK-10
        let p = portal(Lang::En, vec![Lang::En]);
        let h = headers(&[("cookie", "django_language=fr"), ("accept-language", "fr-FR, de")]);
        assert_eq!(negotiate(&p, &h, Some("lang=fr")), Lang::En);
        let p = portal(Lang::En, vec![Lang::En, Lang::Fr]);
        let h = headers(&[("cookie", "django_language=xx"), ("accept-language", "de, fr;q=0.8")]);
        assert_eq!(negotiate(&p, &h, Some("lang=klingon")), Lang::Fr);
    }

    #[test]
    fn accept_language_weights_are_respected() {
        let h = headers(&[("accept-language", "fr;q=0.4, en;q=0.9, de;q=1")]);
        assert_eq!(accepted_languages(&h), vec![Lang::En, Lang::Fr]);
        let h = headers(&[("accept-language", "en;q=0, fr")]);
        assert_eq!(accepted_languages(&h), vec![Lang::Fr]);
    }
}
