//! The HTML of content pages (`/pages/<slug>/`), written by editors in the back office.
//!
//! On save (TP-6), every `<iframe>`, `<script>`, `<img>`, `<video>`, `<audio>`, `<object>`,
//! `<embed>` or `<source>` pointing at another origin is either converted into an *embed marker*
//! — `<figure data-integration="video" data-src="…">`, when an enabled integration that shows
//! embedded content serves that origin — or removed; the editor is told which. What remains goes
//! through an allow-list sanitizer (ammonia): no script, no style, no event handler, no form.
//! The one frame kept is the portal's own embed (`/explore/embed/…`, the view a publisher puts
//! in a page), stored as a path so that it follows the portal to any of its domains; any other
//! first-party frame is removed like a third-party one.
//!
//! On display, the stored HTML is sanitized again (it may predate a rule or have been written by
//! a seed) and each marker becomes the integration's placeholder, or its player once granted
//! (TP-3, TP-4); a marker whose integration is no longer enabled shows nothing.

use ammonia::Builder;
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

/// An enabled integration whose content pages may embed (the video one).
#[derive(Debug, Clone)]
pub struct Embeddable {
    pub key: String,
    /// `scheme://host[:port]`, lower case, as the admin configured it.
    pub origin: String,
}

/// What saving did to one third-party element (TP-6: "the editor is told which").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub tag: String,
    pub url: String,
    /// The integration it now goes through; `None` when it was removed.
    pub integration: Option<String>,
}

/// Elements that fetch something from their URL attribute, and that attribute.
const FETCHING: &[(&str, &str)] = &[
    ("iframe", "src"),
    ("script", "src"),
    ("img", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("source", "src"),
    ("embed", "src"),
    ("object", "data"),
];
/// Among them, those an embedding integration can show in a placeholder.
const CONVERTIBLE: &[&str] = &["iframe", "video", "embed", "object"];
const MARKER_SELECTOR: &str = "figure[data-integration]";
/// The portal's own embeddable views, the only frames a page keeps.
const EMBED_PREFIX: &str = "/explore/embed/";
/// Longest body accepted, per language.
pub const MAX_BODY_BYTES: usize = 200_000;

/// The origin of an absolute URL (`scheme://host[:port]`, lower case), or `None` when the URL is
/// relative to the portal. A protocol-relative `//host/…` counts as absolute (https).
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("//") {
        ("https", rest)
    } else {
        let (scheme, rest) = url.split_once("://")?;
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return None;
        }
        (scheme, rest)
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials (`user@host`) are not part of the origin.
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// Whether `url` leaves the portal: absolute, and not on `own_host` (the host the editor uses).
fn is_third_party(url: &str, own_host: &str) -> bool {
    match origin_of(url) {
        None => {
            // `javascript:`, `data:`…: not a fetch of another origin, but never wanted either.
            let lower = url.trim_start().to_ascii_lowercase();
            lower.starts_with("javascript:") || lower.starts_with("vbscript:")
        }
        Some(origin) => origin.split_once("://").is_none_or(|(_, host)| !host.eq_ignore_ascii_case(own_host)),
    }
}

/// A frame URL that is one of the portal's embeds, as the path to store; `None` otherwise.
fn own_embed(url: &str, own_host: &str) -> Option<String> {
    let url = url.trim();
    let path = match origin_of(url) {
        None => url,
        Some(origin) => {
            let host = origin.split_once("://").map_or("", |(_, h)| h);
            if !host.eq_ignore_ascii_case(own_host) {
                return None;
            }
            let after_scheme = url.split_once("//").map_or("", |(_, rest)| rest);
            &after_scheme[after_scheme.find('/').unwrap_or(after_scheme.len())..]
        }
    };
    // A clean path only: no way up and out of the embed routes.
    let clean = path.starts_with(EMBED_PREFIX) && !path.contains("..") && !path.contains('\\');
    clean.then(|| path.to_owned())
}

/// TP-6: the HTML to store for what an editor typed, and what was converted or removed.
pub fn prepare(html: &str, embeddable: &[Embeddable], own_host: &str) -> (String, Vec<Change>) {
    let changes = RefCell::new(Vec::new());
    // The portal's own frames: its embeds kept as paths (with a title for screen readers),
    // anything else removed and reported.
    let mut settings = RewriteStrSettings::new().append_element_content_handler(element!("iframe[src]", |el| {
        let url = el.get_attribute("src").unwrap_or_default();
        if is_third_party(&url, own_host) {
            return Ok(());
        }
        match own_embed(&url, own_host) {
            Some(path) => {
                el.set_attribute("src", &path)?;
                if el.get_attribute("title").is_none_or(|t| t.trim().is_empty()) {
                    let view = path.split(['?', '#']).next().unwrap_or_default();
                    el.set_attribute("title", view.trim_start_matches(EMBED_PREFIX).trim_end_matches('/'))?;
                }
            }
            None => {
                el.remove();
                changes.borrow_mut().push(Change { tag: "iframe".into(), url, integration: None });
            }
        }
        Ok(())
    }));
    for (tag, attr) in FETCHING {
        let changes = &changes;
        settings = settings.append_element_content_handler(element!(format!("{tag}[{attr}]"), move |el| {
            let url = el.get_attribute(attr).unwrap_or_default();
            if !is_third_party(&url, own_host) {
                return Ok(());
            }
            let origin = origin_of(&url).unwrap_or_default();
            let integration =
                CONVERTIBLE.contains(tag).then(|| embeddable.iter().find(|e| e.origin == origin)).flatten();
            match integration {
                Some(e) => el.replace(&marker(&e.key, &url), ContentType::Html),
                None => el.remove(),
            }
            changes.borrow_mut().push(Change {
                tag: (*tag).to_owned(),
                url,
                integration: integration.map(|e| e.key.clone()),
            });
            Ok(())
        }));
    }
    // Third-party media given through `srcset`/`poster` only: dropped without a fuss, the
    // sanitizer below keeps neither attribute.
    // The rewriter only fails on memory limits or invalid selectors, neither of which applies to
    // a body under MAX_BODY_BYTES; if it ever did, nothing of the input is kept.
    let rewritten = rewrite_str(html, settings).unwrap_or_default();
    let stored = without_empty_frames(&sanitizer(own_host.to_owned()).clean(&rewritten).to_string());
    (stored, changes.into_inner())
}

/// Frames whose source the sanitizer dropped (not one of the portal's embeds): an empty box.
fn without_empty_frames(html: &str) -> String {
    let settings = RewriteStrSettings::new().append_element_content_handler(element!("iframe:not([src])", |el| {
        el.remove();
        Ok(())
    }));
    rewrite_str(html, settings).unwrap_or_default()
}

fn marker(key: &str, url: &str) -> String {
    format!(r#"<figure data-integration="{}" data-src="{}"></figure>"#, escape_attribute(key), escape_attribute(url))
}

fn escape_attribute(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The allow-list: text structure, links, tables, images of the portal itself, embed markers,
/// frames of the portal's own embeds.
fn sanitizer(own_host: String) -> Builder<'static> {
    let mut b = Builder::default();
    b.rm_tags(["area", "map", "center", "acronym", "strike", "tt"])
        .add_tags(["iframe"])
        .add_tag_attributes("iframe", ["src", "width", "height", "title"])
        .set_tag_attribute_value("iframe", "loading", "lazy")
        .add_tag_attributes("figure", ["data-integration", "data-src"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .attribute_filter(move |tag, attr, value| {
            // The rewriter above already took third-party images out; an image the two parsers
            // read differently must still not reach another origin.
            if tag == "img" && attr == "src" && is_third_party(value, &own_host) {
                return None;
            }
            // A frame shows one of the portal's embeds or nothing.
            if tag == "iframe" && attr == "src" {
                return own_embed(value, &own_host).map(Cow::Owned);
            }
            Some(Cow::Borrowed(value))
        });
    b
}

/// One piece of a page to display: sanitized HTML, or an embed to render as placeholder/player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Html(String),
    Embed { key: String, url: String },
}

/// The stored HTML, sanitized again and cut at its embed markers. Markers whose integration is
/// not enabled (any more), or whose URL is not on that integration's origin, are dropped.
pub fn parts(stored: &str, embeddable: &[Embeddable], own_host: &str) -> Vec<Part> {
    // The sanitizer strips every comment, so this one can only come from the step below.
    const CUT: &str = "<!--portail-embed-->";
    let clean = without_empty_frames(&sanitizer(own_host.to_owned()).clean(stored).to_string());
    let embeds = RefCell::new(Vec::new());
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(MARKER_SELECTOR, |el| {
        let key = el.get_attribute("data-integration").unwrap_or_default();
        let url = el.get_attribute("data-src").unwrap_or_default();
        let served = embeddable.iter().any(|e| e.key == key && origin_of(&url).as_deref() == Some(&e.origin));
        if served {
            embeds.borrow_mut().push(Part::Embed { key, url });
            el.replace(CUT, ContentType::Html);
        } else {
            el.remove();
        }
        Ok(())
    }));
    let cut = rewrite_str(&clean, settings).unwrap_or_default();
    let mut embeds = embeds.into_inner().into_iter();
    let mut out = vec![];
    for (i, html) in cut.split(CUT).enumerate() {
        if i > 0 {
            out.extend(embeds.next());
        }
        if !html.trim().is_empty() {
            out.push(Part::Html(html.to_owned()));
        }
    }
    out
}

/// Plain text (older pages, seeds) as HTML paragraphs: blank lines separate paragraphs.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_attribute(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video() -> Vec<Embeddable> {
        vec![Embeddable { key: "video".into(), origin: "https://video.example.org".into() }]
    }

    #[test]
    fn origins_of_absolute_and_relative_urls() {
        assert_eq!(origin_of("https://Video.Example.org/embed/1?x").as_deref(), Some("https://video.example.org"));
        assert_eq!(origin_of("//cdn.example.net/a.js").as_deref(), Some("https://cdn.example.net"));
        assert_eq!(origin_of("http://u:p@h.test:8080/x").as_deref(), Some("http://h.test:8080"));
        assert_eq!(origin_of("/attachments/1"), None);
        assert_eq!(origin_of("images/a.png"), None);
    }

    #[test]
    fn third_party_video_becomes_a_marker_and_the_rest_is_removed() {
        // spec: TP-6
        let html = r#"<p>Intro</p>
<iframe src="https://video.example.org/embed/42" width="560"></iframe>
<script src="https://tracker.example.com/t.js"></script>
<img src="https://tracker.example.com/pixel.gif" alt="">
<img src="/static/logo.png" alt="logo">
<iframe src="https://maps.example.com/embed"></iframe>
<video src="https://video.example.org/v.mp4"></video>
<audio src="//sounds.example.com/a.mp3"></audio>
<object data="https://flash.example.com/x.swf"></object>"#;
        let (stored, changes) = prepare(html, &video(), "grigny91.localhost");
        let told: Vec<(&str, Option<&str>)> =
            changes.iter().map(|c| (c.tag.as_str(), c.integration.as_deref())).collect();
        assert_eq!(
            told,
            [
                ("iframe", Some("video")),
                ("script", None),
                ("img", None),
                ("iframe", None),
                ("video", Some("video")),
                ("audio", None),
                ("object", None)
            ]
        );
        assert_eq!(stored.matches("data-integration=\"video\"").count(), 2, "{stored}");
        assert!(stored.contains(r#"data-src="https://video.example.org/embed/42""#), "{stored}");
        assert!(stored.contains(r#"<img src="/static/logo.png" alt="logo">"#), "{stored}");
        for gone in ["tracker.example.com", "maps.example.com", "sounds.example.com", "flash.example.com", "<iframe"] {
            assert!(!stored.contains(gone), "{gone} in {stored}");
        }
    }

    #[test]
    fn scripts_handlers_and_dangerous_urls_never_survive() {
        let html = r#"<p onclick="steal()">a<script>alert(1)</script></p><a href="javascript:alert(1)">x</a>
<a href="https://example.org/page">ok</a><form action="https://x.example"><input></form>
<style>body{background:url(https://x.example/b.png)}</style><p style="background:url(https://x.example/c.png)">s</p>
<img srcset="https://x.example/1.png 1x" src="/a.png"><svg><image href="https://x.example/s.png"/></svg><!-- note -->"#;
        let (stored, changes) = prepare(html, &video(), "portal.test");
        for gone in
            ["onclick", "alert", "javascript", "<form", "x.example", "<style", "style=", "srcset", "<svg", "note"]
        {
            assert!(!stored.contains(gone), "{gone} in {stored}");
        }
        assert!(stored.contains(r#"<a href="https://example.org/page" rel="noopener noreferrer">ok</a>"#), "{stored}");
        // Only elements that fetch are reported; the sanitizer drops the rest silently.
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn the_portal_own_absolute_urls_are_not_third_party() {
        let (stored, changes) = prepare(r#"<img src="https://portal.test/a.png" alt="">"#, &[], "portal.test");
        assert!(changes.is_empty());
        assert!(stored.contains("https://portal.test/a.png"));
    }

    #[test]
    fn markers_become_parts_only_when_their_integration_serves_them() {
        // spec: TP-3
        let stored = r#"<p>a</p><figure data-integration="video" data-src="https://video.example.org/embed/1"></figure><p>b</p><figure data-integration="video" data-src="https://evil.example/embed"></figure><figure data-integration="maptiles" data-src="https://video.example.org/x"></figure>"#;
        let parts = parts(stored, &video(), "portal.test");
        assert_eq!(
            parts,
            [
                Part::Html("<p>a</p>".into()),
                Part::Embed { key: "video".into(), url: "https://video.example.org/embed/1".into() },
                Part::Html("<p>b</p>".into()),
            ]
        );
        // Without the integration, the embed disappears and the text stays.
        let bare = super::parts(stored, &[], "portal.test");
        assert_eq!(bare, [Part::Html("<p>a</p><p>b</p>".into())]);
    }

    #[test]
    fn display_sanitizes_again_what_a_seed_wrote_directly() {
        let parts = parts(
            r#"<p>x</p><script>alert(1)</script><iframe src="https://video.example.org/e"></iframe>"#,
            &video(),
            "p.test",
        );
        assert_eq!(parts, [Part::Html("<p>x</p>".into())]);
    }

    #[test]
    fn the_portal_own_embeds_stay_as_paths_and_other_own_frames_go() {
        let html = r#"<iframe src="https://grigny91.localhost/explore/embed/dataset/ecoles/map/?q=x" width="600"></iframe>
<iframe src="/explore/embed/dataset/budget/table/" title="Budget"></iframe>
<iframe src="/backoffice/"></iframe>
<iframe src="/explore/embed/../../backoffice/"></iframe>"#;
        let (stored, changes) = prepare(html, &video(), "grigny91.localhost");
        assert!(
            stored.contains(r#"<iframe src="/explore/embed/dataset/ecoles/map/?q=x" width="600" title="dataset/ecoles/map" loading="lazy"></iframe>"#),
            "{stored}"
        );
        assert!(
            stored.contains(
                r#"<iframe src="/explore/embed/dataset/budget/table/" title="Budget" loading="lazy"></iframe>"#
            ),
            "{stored}"
        );
        assert!(!stored.contains("backoffice"), "{stored}");
        let removed: Vec<&str> = changes.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(removed, ["/backoffice/", "/explore/embed/../../backoffice/"]);
        // Display keeps them too, and still drops any other frame written directly.
        let shown = parts(&format!("{stored}<iframe src=\"/login/\"></iframe>"), &[], "grigny91.localhost");
        let [Part::Html(html)] = shown.as_slice() else { panic!("{shown:?}") };
        assert_eq!(html.matches("<iframe src=\"/explore/embed/").count(), 2, "{html}");
        assert!(!html.contains("/login/"), "{html}");
    }

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(paragraphs("a < b\n\n  c & d  \n\n\n"), "<p>a &lt; b</p><p>c &amp; d</p>");
    }
}
