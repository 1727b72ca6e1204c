//! The cookie registry: the single table of every cookie portail may set.
//!
//! The policy page, its JSON twin and every `Set-Cookie` header are built from [`COOKIES`]; no
//! other module formats a `Set-Cookie` (a test scans the sources for it). Texts and attributes
//! follow `shared/spec/consent-and-privacy.md`, section 2.

use axum::http::HeaderValue;
use portail_core::Lang;
use serde::Serialize;

/// A text in both interface languages; the registry refuses to hold only one.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Text {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Fr => self.fr,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SameSite {
    Lax,
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Necessary,
}

/// One cookie portail may set.
#[derive(Debug, Serialize)]
pub struct CookieSpec {
    pub name: &'static str,
    pub category: Category,
    pub function: Text,
    pub purpose: Text,
    pub set_when: Text,
    pub http_only: bool,
    pub same_site: SameSite,
    pub path: &'static str,
    /// `Max-Age` in seconds.
    pub max_age_s: u32,
    pub first_party: bool,
}

/// Longest lifetime portail allows itself for its own cookies (SET-6: about 13 months).
pub const MAX_OWN_COOKIE_AGE_S: u32 = 34_128_000;

pub const SESSION: CookieSpec = CookieSpec {
    name: "sessionid",
    category: Category::Necessary,
    function: Text { en: "Authentication — front and back office", fr: "Authentification — front et back office" },
    purpose: Text {
        en: "Keeps a signed-in user recognised from one page to the next",
        fr: "Reconnaître l'utilisateur connecté d'une page à l'autre",
    },
    set_when: Text { en: "When you sign in", fr: "Lorsque vous vous connectez" },
    http_only: true,
    same_site: SameSite::Lax,
    path: "/",
    max_age_s: 1_209_600,
    first_party: true,
};

pub const LANGUAGE: CookieSpec = CookieSpec {
    name: "django_language",
    category: Category::Necessary,
    function: Text {
        en: "Language selection — front and back office",
        fr: "Sélection de la langue — front et back office",
    },
    purpose: Text {
        en: "Remembers the language the visitor chose", fr: "Mémoriser la langue choisie par le visiteur"
    },
    set_when: Text {
        en: "When you choose a language with the language switcher",
        fr: "Lorsque vous choisissez une langue avec le sélecteur de langue",
    },
    http_only: true,
    same_site: SameSite::Lax,
    path: "/",
    max_age_s: 31_536_000,
    first_party: true,
};

pub const CSRF: CookieSpec = CookieSpec {
    name: "csrftoken",
    category: Category::Necessary,
    function: Text {
        en: "Forms and API calls (CSRF) — front and back office",
        fr: "Formulaires et appels API (CSRF) — front et back office",
    },
    purpose: Text {
        en: "Protects forms and API calls made from the portal's own pages against cross-site request forgery",
        fr: "Protéger les formulaires et les appels API faits depuis les pages du portail contre la falsification de requêtes intersites",
    },
    set_when: Text {
        en: "When a page shows a form that needs it (sign-in page, back office, signed-in pages)",
        fr: "Lorsqu'une page affiche un formulaire qui en a besoin (page de connexion, back office, pages en mode connecté)",
    },
    // The portal's own scripts copy it into the X-CSRFToken header.
    http_only: false,
    same_site: SameSite::Lax,
    path: "/",
    max_age_s: 31_449_600,
    first_party: true,
};

pub const PREFERENCES: CookieSpec = CookieSpec {
    name: "cookies_preferences",
    category: Category::Necessary,
    function: Text { en: "Your cookie choices", fr: "Vos choix concernant les cookies" },
    purpose: Text {
        en: "Remembers the visitor's choices about cookies and audience measurement",
        fr: "Mémoriser les choix du visiteur concernant les cookies et la mesure d'audience",
    },
    set_when: Text {
        en: "When you make a choice in the cookie banner or panel",
        fr: "Lorsque vous faites un choix dans le bandeau ou le panneau des cookies",
    },
    http_only: true,
    same_site: SameSite::Lax,
    path: "/",
    max_age_s: 15_552_000,
    first_party: true,
};

/// Every cookie, in the order the policy page lists them.
pub const COOKIES: [&CookieSpec; 4] = [&SESSION, &LANGUAGE, &CSRF, &PREFERENCES];

pub fn is_registered(name: &str) -> bool {
    COOKIES.iter().any(|c| c.name == name)
}

impl CookieSpec {
    /// The `Set-Cookie` value that stores `value`. `secure` is true when the portal is served
    /// over HTTPS. Values are produced by portail itself and hold only cookie-safe characters.
    pub fn set(&self, value: &str, secure: bool) -> HeaderValue {
        debug_assert!(value.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b','));
        self.header(value, self.max_age_s, secure)
    }

    /// Like [`CookieSpec::set`] with a configured lifetime shorter than the registry's maximum
    /// (`session_max_age_s`); longer values are clamped to the registry's.
    pub fn set_with_max_age(&self, value: &str, max_age_s: u32, secure: bool) -> HeaderValue {
        self.header(value, max_age_s.min(self.max_age_s), secure)
    }

    /// The `Set-Cookie` value that deletes the cookie (Django writes `""` with `Max-Age=0`).
    pub fn delete(&self, secure: bool) -> HeaderValue {
        self.header("\"\"", 0, secure)
    }

    /// Attributes as the policy page shows them, without the lifetime.
    pub fn attributes(&self, secure_on_https: &str) -> String {
        let mut parts = vec![];
        if self.http_only {
            parts.push("HttpOnly".to_string());
        }
        parts.push(format!("SameSite={:?}", self.same_site));
        parts.push(format!("Path={}", self.path));
        parts.push(secure_on_https.to_string());
        parts.join("; ")
    }

    fn header(&self, value: &str, max_age: u32, secure: bool) -> HeaderValue {
        let mut s =
            format!("{}={}; Max-Age={}; Path={}; SameSite={:?}", self.name, value, max_age, self.path, self.same_site);
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if secure {
            s.push_str("; Secure");
        }
        HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    }
}

/// Deletes a cookie a consented vendor set on the portal's own host, when its purpose is
/// withdrawn (PAN-5). Only names declared in the portal's integrations reach this.
pub fn delete_vendor_cookie(name: &str, secure: bool) -> Option<HeaderValue> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) || is_registered(name)
    {
        return None;
    }
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Max-Age=0; Path=/{secure}")).ok()
}

/// Reads one cookie's value from the request's `Cookie` headers (the first occurrence wins).
pub fn read<'a>(headers: &'a axum::http::HeaderMap, spec: &CookieSpec) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == spec.name)
        .map(|(_, value)| value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_holds_exactly_the_four_seed_cookies() {
        let names: Vec<_> = COOKIES.iter().map(|c| c.name).collect();
        assert_eq!(names, ["sessionid", "django_language", "csrftoken", "cookies_preferences"]);
    }

    #[test]
    fn every_entry_is_complete_in_both_languages_and_within_limits() {
        // spec: REG-2, REG-5, SET-3, SET-6
        for c in COOKIES {
            for t in [c.function, c.purpose, c.set_when] {
                assert!(!t.en.trim().is_empty() && !t.fr.trim().is_empty(), "{}: missing text", c.name);
                assert_ne!(t.en, t.fr, "{}: French text is a copy of the English one", c.name);
            }
            assert!(c.max_age_s > 0 && c.max_age_s <= MAX_OWN_COOKIE_AGE_S, "{}", c.name);
            assert_eq!(c.path, "/");
            assert!(c.first_party);
        }
    }

    #[test]
    fn lifetimes_and_attributes_follow_the_spec() {
        // spec: CK-1, CK-7, CK-12, CK-18 (section 2 table)
        assert_eq!((SESSION.max_age_s, SESSION.http_only), (1_209_600, true));
        assert_eq!((LANGUAGE.max_age_s, LANGUAGE.http_only), (31_536_000, true));
        assert_eq!((CSRF.max_age_s, CSRF.http_only), (31_449_600, false));
        assert_eq!((PREFERENCES.max_age_s, PREFERENCES.http_only), (15_552_000, true));
        let h = SESSION.set("abc", false);
        assert_eq!(h.to_str().unwrap(), "sessionid=abc; Max-Age=1209600; Path=/; SameSite=Lax; HttpOnly");
        let h = CSRF.set("tok", true);
        assert_eq!(h.to_str().unwrap(), "csrftoken=tok; Max-Age=31449600; Path=/; SameSite=Lax; Secure");
        assert_eq!(
            SESSION.delete(false).to_str().unwrap(),
            "sessionid=\"\"; Max-Age=0; Path=/; SameSite=Lax; HttpOnly"
        );
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.append("cookie", "xsessionid=bad; sessionid=good".parse().unwrap());
        h.append("cookie", "sessionid=later".parse().unwrap());
        assert_eq!(read(&h, &SESSION), Some("good"));
        assert_eq!(read(&h, &CSRF), None);
    }
}
