//! The browser audit of spec section 14, as the spec has it: headless Chromium against the real
//! `portail demo` on loopback. The demo's five portals (FIX-1: a video integration on saintmande
//! and grigny91, its vendor origin pointed at a loopback third party, FIX-2) × both languages ×
//! every page type × scenarios (a)–(g), then the sign-in page and the back office of each portal,
//! signed in with the password the demo printed.
//!
//! The allow-list is each portal's `registry.json` (POL-5). Requests are seen twice: by the
//! browser (every URL the page, its frames and workers ask for) and by the third party itself.
//! Findings go to a JSON report (`$PORTAIL_AUDIT_REPORT`, else a temporary directory) and fail
//! the test. Axe (npm `axe-core`, installed by `.ci/run`; path in `PORTAIL_AXE_JS`) checks the
//! banner, the panel and the policy page.

use crate::cli::{http_get, portail_command, wait_for_port};
use portail_browser::{chromium_or_skip, third_party, Chromium};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The demo portals: slug, whether FIX-1 gives it a video, and a public dataset with a map.
const PORTALS: [(&str, bool, &str); 5] = [
    ("tneacademiegrenoble", false, "ecoles-equipees"),
    ("saintmande", true, "parcs-et-jardins"),
    ("grigny91", true, "ecoles"),
    ("normandie", false, "etablissements"),
    ("paysdelaloire", false, "equipements"),
];

/// The four cookie names of the seed policies (AUD-4).
const SEED_NAMES: [&str; 4] = ["cookies_preferences", "csrftoken", "django_language", "sessionid"];

/// The content page FIX-1 puts on a video portal.
const VIDEO_PAGE: &str = "/pages/presentation/";

/// `portail demo` running in a temporary data directory, with the admins it printed.
struct Demo {
    child: Child,
    port: u16,
    /// (slug, e-mail, password) for each portal.
    admins: Vec<(String, String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(video_origin: &str) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = portail_command()
            .args(["demo", "--rows", "2000", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--video-origin", video_origin, "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // "  http://<slug>.localhost:<port>/   admin: <e-mail>  password: <password>", then a
        // closing line; the server starts after it.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut admins = vec![];
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.starts_with("Sign in at") {
                break;
            }
            if let [url, "admin:", email, "password:", password] = line.split_whitespace().collect::<Vec<_>>()[..] {
                let slug = url.trim_start_matches("http://").split('.').next().unwrap().to_owned();
                admins.push((slug, email.to_owned(), password.to_owned()));
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        wait_for_port(port, 60);
        assert_eq!(admins.len(), PORTALS.len(), "the demo printed {admins:?}");
        Demo { child, port, admins, _dir: dir }
    }

    fn registry(&self, host: &str) -> Value {
        let response = http_get(self.port, host, "/terms/cookies-policy/registry.json");
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{host}: {head}");
        serde_json::from_str(body).unwrap()
    }
}

/// What one page may leave behind in one scenario.
struct Allowed<'a> {
    /// Registry cookies the portal may have set.
    cookies: &'a [&'a str],
    /// Whether the portal's integrations have been granted (their origins and cookies allowed).
    granted: bool,
}

struct Audit {
    chrome: Chromium,
    port: u16,
    tp_hits: Arc<AtomicUsize>,
    report: Vec<Value>,
    findings: Vec<String>,
}

impl Audit {
    fn base(&self, host: &str) -> String {
        format!("http://{host}:{}", self.port)
    }

    /// Checks the state after one page and records it in the report (AUD-1, AUD-2, AUD-3).
    fn check(&mut self, (host, lang, scenario): (&str, &str, &str), page: &str, registry: &Value, allowed: Allowed) {
        let portal_origin = self.base(host);
        let integrations = registry["integrations"].as_array().unwrap();
        let declared_origins: Vec<&str> =
            integrations.iter().flat_map(|i| i["origins"].as_array().unwrap()).filter_map(Value::as_str).collect();
        let declared_cookies: Vec<&str> = integrations
            .iter()
            .flat_map(|i| i["cookies"].as_array().unwrap())
            .filter_map(|c| c["name"].as_str())
            .collect();
        let mut verdict = vec![];

        let jar = self.chrome.cookies();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        for c in &jar {
            let (name, domain) = (c["name"].as_str().unwrap(), c["domain"].as_str().unwrap());
            if domain.trim_start_matches('.') != host {
                if !(allowed.granted && declared_cookies.contains(&name)) {
                    verdict.push(format!("cookie {name} on {domain}, not declared by a granted integration"));
                }
                continue;
            }
            let Some(spec) = registry["cookies"].as_array().unwrap().iter().find(|s| s["name"] == name) else {
                verdict.push(format!("cookie {name} is not in registry.json"));
                continue;
            };
            if !allowed.cookies.contains(&name) {
                verdict.push(format!("cookie {name} not allowed in this scenario"));
            }
            if domain.starts_with('.') {
                verdict.push(format!("cookie {name} is not host-only"));
            }
            let expect_secure = spec["secure_on_https"] == json!(true) && portal_origin.starts_with("https:");
            let attributes = [
                ("HttpOnly", c["httpOnly"] == spec["http_only"]),
                ("Path", c["path"] == spec["path"]),
                ("Secure", c["secure"] == json!(expect_secure)),
                (
                    "SameSite",
                    c["sameSite"].as_str().map(str::to_ascii_lowercase)
                        == spec["same_site"].as_str().map(str::to_ascii_lowercase),
                ),
                (
                    "expiry",
                    match spec["max_age_s"].as_f64() {
                        Some(max_age) => (c["expires"].as_f64().unwrap_or(-1.0) - now - max_age).abs() < 60.0,
                        None => c["session"] == json!(true),
                    },
                ),
            ];
            for (attribute, ok) in attributes {
                if !ok {
                    verdict.push(format!("cookie {name}: {attribute} differs from registry.json ({c})"));
                }
            }
        }

        let third_party: Vec<String> = self
            .chrome
            .take_requests()
            .into_iter()
            .filter(|url| url.starts_with("http:") || url.starts_with("https:") || url.starts_with("ws"))
            .filter(|url| origin_of(url) != portal_origin)
            .collect();
        for url in &third_party {
            if !(allowed.granted && declared_origins.contains(&origin_of(url).as_str())) {
                verdict.push(format!("request to a third party: {url}"));
            }
        }

        let storage = self.chrome.eval("localStorage.length + sessionStorage.length").as_i64().unwrap_or(-1);
        if storage != 0 {
            verdict.push(format!("web storage holds {storage} item(s)"));
        }
        let workers = self
            .chrome
            .try_call(
                Some(&self.chrome.session.clone()),
                "Runtime.evaluate",
                json!({
                    "expression": "navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(r => r.length) : 0",
                    "awaitPromise": true, "returnByValue": true,
                }),
            )
            .map(|r| r["result"]["value"].as_i64().unwrap_or(-1))
            .unwrap_or(-1);
        if workers != 0 {
            verdict.push(format!("{workers} service worker registration(s)"));
        }

        for v in &verdict {
            self.findings.push(format!("{host} {lang} ({scenario}) {page}: {v}"));
        }
        self.report.push(json!({
            "portal": host, "lang": lang, "scenario": scenario, "page": page,
            "cookies": jar.iter().map(|c| format!("{}@{}", c["name"].as_str().unwrap(), c["domain"].as_str().unwrap())).collect::<Vec<_>>(),
            "third_party_requests": third_party, "storage_items": storage, "service_workers": workers,
            "verdict": if verdict.is_empty() { json!("pass") } else { json!(verdict) },
        }));
    }

    fn wait_until(&mut self, what: &str, expression: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.chrome.eval(expression) == json!(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.findings.push(format!("timed out waiting for {what}"));
        false
    }

    /// A fresh profile as far as the audit can see: no cookie, nothing recorded.
    fn clear(&mut self) {
        self.chrome.call(None, "Storage.clearCookies", json!({}));
        self.chrome.take_requests();
    }

    fn banner_shown(&mut self) -> bool {
        self.chrome.eval("!!document.getElementById('consent-banner')") == json!(true)
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

/// Every page type of section 14 an anonymous visitor reaches on a portal.
fn anonymous_pages(dataset: &str, has_video: bool) -> Vec<String> {
    let mut pages: Vec<String> =
        ["/", "/explore/", "/explore/?q=parc", "/terms/cookies-policy/", "/consent/", "/missing/"]
            .map(String::from)
            .to_vec();
    if has_video {
        pages.push(VIDEO_PAGE.into());
    }
    pages.push(format!("/explore/dataset/{dataset}/"));
    for tab in ["table", "map", "analyze", "export", "api"] {
        pages.push(format!("/explore/dataset/{dataset}/{tab}/"));
    }
    pages.push(format!("/explore/embed/dataset/{dataset}/table/"));
    pages.push(format!("/explore/embed/dataset/{dataset}/map/"));
    pages.push(format!("/api/explore/v2.1/catalog/datasets/{dataset}/records?limit=5"));
    pages
}

/// `path` with `lang=` added to its query.
fn with_lang(path: &str, lang: &str) -> String {
    format!("{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' })
}

#[test]
fn aud_1_to_6_the_privacy_audit_of_portail_demo_in_chromium() {
    let Some(binary) = chromium_or_skip() else { return };
    let video_cookie = "vendor_session"; // the cookie the demo's video integration declares
    let (tp_port, tp_hits) = third_party(video_cookie);
    let demo = Demo::start(&format!("http://video.thirdparty.localhost:{tp_port}"));
    let axe = std::env::var("PORTAIL_AXE_JS").ok().and_then(|p| std::fs::read_to_string(p).ok());

    let mut chrome = Chromium::launch(&binary);
    chrome.record_requests();
    let mut a = Audit { chrome, port: demo.port, tp_hits, report: vec![], findings: vec![] };
    if axe.is_none() && std::env::var("CI").is_ok() {
        a.findings.push("axe-core is not installed (PORTAIL_AXE_JS)".into());
    }

    for (slug, has_video, dataset) in PORTALS {
        let host = format!("{slug}.localhost");
        let registry = demo.registry(&format!("{host}:{}", demo.port));
        let integrations = registry["integrations"].as_array().unwrap().len();
        if integrations != usize::from(has_video) {
            a.findings.push(format!("{slug}: {integrations} integration(s) in registry.json (FIX-1)"));
        }
        let mut names: Vec<&str> =
            registry["cookies"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
        names.sort_unstable();
        if names != SEED_NAMES {
            a.findings.push(format!("{slug}: registry.json names {names:?}, not the seed's four (AUD-4)"));
        }
        for lang in ["en", "fr"] {
            let base = a.base(&host);
            let url = |path: &str| format!("{base}{}", with_lang(path, lang));
            let at = (host.as_str(), lang, "a");
            let nothing = || Allowed { cookies: &[], granted: false };
            let preferences = |granted| Allowed { cookies: &["cookies_preferences"], granted };

            // (a) fresh profile, no action: nothing stored, nothing third-party (AUD-1, AUD-2).
            a.clear();
            let hits_before = a.tp_hits.load(Ordering::SeqCst);
            for page in anonymous_pages(dataset, has_video) {
                a.chrome.open(&url(&page), &with_lang(&page, lang));
                a.check(at, &page, &registry, nothing());
            }
            policy_table_is_the_registry(&mut a, &registry, slug, lang);
            a.chrome.open(&url("/"), &with_lang("/", lang));
            if a.banner_shown() != has_video {
                a.findings
                    .push(format!("{slug} {lang}: banner shown = {}, expected {has_video} (BAN-1/2)", !has_video));
            }
            // AUD-5: BAN-4 and BAN-9 on every portal showing a banner, axe on banner, panel and policy.
            if has_video {
                ban_4_and_9(&mut a, slug, lang);
                if let Some(axe) = &axe {
                    let table = format!("/explore/dataset/{dataset}/table/");
                    let chart = format!("/explore/dataset/{dataset}/analyze/");
                    for page in ["/", "/consent/", "/terms/cookies-policy/", "/explore/", &table, &chart] {
                        a.chrome.open(&url(page), &with_lang(page, lang));
                        run_axe(&mut a, axe, &format!("{slug} {lang} {page}"));
                    }
                }
            }

            // (f) `Sec-GPC: 1` on every request: the same empty jar, no third party and no banner,
            // which proves the header reached the server (SIG-1).
            a.clear();
            let session = a.chrome.session.clone();
            a.chrome.call(Some(&session), "Network.setExtraHTTPHeaders", json!({"headers": {"Sec-GPC": "1"}}));
            for page in anonymous_pages(dataset, has_video) {
                a.chrome.open(&url(&page), &with_lang(&page, lang));
                a.check((host.as_str(), lang, "f"), &page, &registry, nothing());
                if a.banner_shown() {
                    a.findings.push(format!("{slug} {lang} (f) {page}: banner shown despite Sec-GPC (SIG-1)"));
                }
                if page == VIDEO_PAGE && a.chrome.eval("!!document.querySelector('.placeholder')") != json!(true) {
                    a.findings.push(format!("{slug} {lang} (f): the video is not a placeholder under Sec-GPC"));
                }
            }
            a.chrome.call(Some(&session), "Network.setExtraHTTPHeaders", json!({"headers": {}}));
            if a.tp_hits.load(Ordering::SeqCst) != hits_before {
                a.findings.push(format!("{slug} {lang} (a)/(f): the third party received requests"));
            }

            if !has_video {
                continue;
            }
            let video = |lang| format!("{base}{}", with_lang(VIDEO_PAGE, lang));

            // (b) refuse all from the banner, with the script: no reload, banner gone.
            a.clear();
            a.chrome.open(&url("/"), &with_lang("/", lang));
            a.chrome.eval("document.querySelector('#consent-banner button[value=refuse_all]').click()");
            a.wait_until("the banner to go (b)", "!document.getElementById('consent-banner')");
            let hits_before = a.tp_hits.load(Ordering::SeqCst);
            for page in ["/", VIDEO_PAGE, "/terms/cookies-policy/"] {
                a.chrome.open(&url(page), &with_lang(page, lang));
                a.check((host.as_str(), lang, "b"), page, &registry, preferences(false));
            }
            if a.tp_hits.load(Ordering::SeqCst) != hits_before {
                a.findings.push(format!("{slug} {lang} (b): the third party received requests after refusal"));
            }

            // (c) accept all: the video loads from its declared origin only.
            a.clear();
            a.chrome.open(&url("/"), &with_lang("/", lang));
            a.chrome.eval("document.querySelector('#consent-banner button[value=accept_all]').click()");
            a.wait_until("the banner to go (c)", "!document.getElementById('consent-banner')");
            let hits_before = a.tp_hits.load(Ordering::SeqCst);
            a.chrome.open(&video(lang), &with_lang(VIDEO_PAGE, lang));
            a.wait_until("the video frame (c)", "!!document.querySelector('iframe.video')");
            let deadline = Instant::now() + Duration::from_secs(10);
            while a.tp_hits.load(Ordering::SeqCst) == hits_before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if a.tp_hits.load(Ordering::SeqCst) == hits_before {
                a.findings.push(format!("{slug} {lang} (c): the granted video never loaded"));
            }
            a.check((host.as_str(), lang, "c"), VIDEO_PAGE, &registry, preferences(true));

            // (e) withdraw from the footer link in two actions, as many as granting took (PAN-4):
            // the video goes, nothing more loads.
            a.chrome.submit(
                "document.querySelector('footer a[href^=\"/consent/\"]').click()",
                &format!("/consent/?next={VIDEO_PAGE}"),
            );
            a.chrome.submit("document.querySelector('.consent-panel button[value=refuse_all]').click()", VIDEO_PAGE);
            let hits_before = a.tp_hits.load(Ordering::SeqCst);
            if a.chrome.eval("!!document.querySelector('iframe')") != json!(false) {
                a.findings.push(format!("{slug} {lang} (e): the video is still there after withdrawal"));
            }
            a.check(
                (host.as_str(), lang, "e"),
                VIDEO_PAGE,
                &registry,
                Allowed { cookies: &["cookies_preferences"], granted: false },
            );
            if a.tp_hits.load(Ordering::SeqCst) != hits_before {
                a.findings.push(format!("{slug} {lang} (e): the third party received requests after withdrawal"));
            }

            // (d) grant one purpose from the placeholder.
            a.clear();
            a.chrome.open(&video(lang), &with_lang(VIDEO_PAGE, lang));
            a.chrome.eval("document.querySelector('.placeholder button').click()");
            a.wait_until("the video after the placeholder (d)", "!!document.querySelector('iframe.video')");
            a.check((host.as_str(), lang, "d"), VIDEO_PAGE, &registry, preferences(true));

            // (g) JavaScript disabled: refuse from the banner, accept from the panel.
            a.clear();
            let session = a.chrome.session.clone();
            a.chrome.call(Some(&session), "Emulation.setScriptExecutionDisabled", json!({"value": true}));
            let hits_before = a.tp_hits.load(Ordering::SeqCst);
            a.chrome.open(&video(lang), &with_lang(VIDEO_PAGE, lang));
            a.chrome.submit(
                "document.querySelector('#consent-banner button[value=refuse_all]').click()",
                &with_lang(VIDEO_PAGE, lang),
            );
            a.check((host.as_str(), lang, "g-refuse"), VIDEO_PAGE, &registry, preferences(false));
            if a.tp_hits.load(Ordering::SeqCst) != hits_before {
                a.findings.push(format!("{slug} {lang} (g): the third party received requests after refusal"));
            }
            a.chrome.open(&url("/consent/"), &with_lang("/consent/", lang));
            a.chrome.submit("document.querySelector('.consent-panel button[value=accept_all]').click()", "/");
            a.chrome.open(&video(lang), &with_lang(VIDEO_PAGE, lang));
            if a.chrome.eval("!!document.querySelector('iframe.video')") != json!(true) {
                a.findings.push(format!("{slug} {lang} (g): accepting without JavaScript did not show the video"));
            }
            a.check((host.as_str(), lang, "g-accept"), VIDEO_PAGE, &registry, preferences(true));
            a.chrome.call(Some(&session), "Emulation.setScriptExecutionDisabled", json!({"value": false}));
        }

        // The sign-in page and the back office, last (they set csrftoken and sessionid).
        let (_, email, password) = demo.admins.iter().find(|(s, _, _)| s == slug).unwrap().clone();
        back_office(&mut a, &host, &registry, &email, &password, axe.as_deref());
    }

    // AUD-6: the JSON report CI keeps; any finding fails the run.
    let report_path = std::env::var("PORTAIL_AUDIT_REPORT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("portail-audit-report.json"));
    let pages = a.report.len();
    let body = json!({"pages_checked": pages, "findings": a.findings, "pages": a.report});
    std::fs::write(&report_path, serde_json::to_string_pretty(&body).unwrap()).unwrap();
    assert!(pages >= 300, "the audit visited too few pages: {pages}");
    assert!(a.findings.is_empty(), "audit findings (report in {}):\n{}", report_path.display(), a.findings.join("\n"));
}

/// Signs in as the portal's admin from the sign-in page, in each language, and visits the back
/// office: csrftoken from the sign-in page, sessionid after, django_language once chosen.
fn back_office(a: &mut Audit, host: &str, registry: &Value, email: &str, password: &str, axe: Option<&str>) {
    let base = a.base(host);
    for lang in ["en", "fr"] {
        a.clear();
        a.chrome.open(&format!("{base}{}", with_lang("/login/", lang)), &with_lang("/login/", lang));
        let before = Allowed { cookies: &["csrftoken"], granted: false };
        a.check((host, lang, "sign-in"), "/login/", registry, before);
        a.chrome.submit(
            &format!(
                "document.getElementById('id_username').value = '{email}';
                 document.getElementById('id_password').value = '{password}';
                 document.querySelector('form[action=\"/login/\"] button[type=submit]').click();"
            ),
            "/backoffice/",
        );
        if a.banner_shown() {
            a.findings.push(format!("{host} {lang}: the back office shows the banner (BAN-1)"));
        }
        for page in [
            "/backoffice/",
            "/backoffice/datasets/",
            "/backoffice/pages/",
            "/backoffice/privacy/",
            "/backoffice/audience/",
            "/backoffice/apikeys/",
            // A long form of labelled inputs: axe checks it.
            "/backoffice/datasets/demandes-internes/fields/",
        ] {
            a.chrome.open(&format!("{base}{}", with_lang(page, lang)), &with_lang(page, lang));
            if a.chrome.eval(
                "location.pathname.startsWith('/backoffice/') && !!document.querySelector('form[action=\"/logout/\"]')",
            ) != json!(true)
            {
                a.findings.push(format!("{host} {lang} {page}: not signed in to the back office"));
            }
            let signed_in = Allowed { cookies: &["csrftoken", "sessionid", "django_language"], granted: false };
            a.check((host, lang, "back-office"), page, registry, signed_in);
            if let (Some(axe), true) = (axe, page.ends_with("/fields/")) {
                run_axe(a, axe, &format!("{host} {lang} {page}"));
            }
        }
    }
}

/// AUD-4: the policy page's table, read from the rendered page, says what `registry.json` says
/// in the page's language. The page is open in `lang` when this is called.
fn policy_table_is_the_registry(a: &mut Audit, registry: &Value, slug: &str, lang: &str) {
    let page = "/terms/cookies-policy/";
    a.chrome
        .open(&format!("{}{}", a.base(&format!("{slug}.localhost")), with_lang(page, lang)), &with_lang(page, lang));
    let rows = a.chrome.eval(
        "[...document.querySelectorAll('#necessary-cookies tbody tr')].map(tr => {
           const td = tr.querySelectorAll('td');
           return {provider: td[0].innerText.trim(), function: td[1].innerText.trim(), name: td[2].innerText.trim(),
                   purpose: td[3].childNodes[0].textContent.trim(), max_age_s: Number(td[4].dataset.maxAge)};
         })",
    );
    let expected: Vec<Value> = registry["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!({"provider": c["provider"], "function": c["function"][lang], "name": c["name"],
                   "purpose": c["purpose"][lang], "max_age_s": c["max_age_s"]})
        })
        .collect();
    if rows != json!(expected) {
        a.findings.push(format!("{slug} {lang}: the policy table {rows} is not registry.json {expected:?} (AUD-4)"));
    }
}

/// BAN-4 (refuse looks like accept, both visible without scrolling) at two sizes, and BAN-9
/// (the banner is reached by the first or second Tab).
fn ban_4_and_9(a: &mut Audit, slug: &str, lang: &str) {
    let session = a.chrome.session.clone();
    for (w, h) in [(360, 640), (1280, 800)] {
        a.chrome.call(
            Some(&session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 500}),
        );
        let verdict = a.chrome.eval(
            "(() => { const b = [...document.querySelectorAll('#consent-banner button.consent-button')];
               if (b.length !== 2) return 'buttons: ' + b.length;
               const s = b.map(x => getComputedStyle(x)), r = b.map(x => x.getBoundingClientRect());
               const keys = ['fontSize','fontWeight','color','backgroundColor','borderTopWidth','borderTopStyle','borderTopColor','paddingTop','paddingLeft','paddingRight','paddingBottom'];
               const differ = keys.filter(k => s[0][k] !== s[1][k]);
               if (differ.length) return 'styles differ: ' + differ.join(',');
               if (Math.abs(r[0].width - r[1].width) > 2 || Math.abs(r[0].height - r[1].height) > 2) return 'sizes differ';
               if (!r.every(x => x.top >= 0 && x.bottom <= innerHeight && x.left >= 0 && x.right <= innerWidth)) return 'not visible without scrolling';
               return 'ok'; })()",
        );
        if verdict != json!("ok") {
            a.findings.push(format!("{slug} {lang} {w}x{h}: BAN-4 {verdict}"));
        }
    }
    a.chrome.call(Some(&session), "Emulation.clearDeviceMetricsOverride", json!({}));
    a.chrome.eval("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)");
    let mut reached = false;
    for _ in 0..2 {
        for kind in ["keyDown", "keyUp"] {
            a.chrome.call(
                Some(&session),
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}),
            );
        }
        if a.chrome.eval("!!(document.activeElement && document.activeElement.closest('#consent-banner'))")
            == json!(true)
        {
            reached = true;
            break;
        }
    }
    if !reached {
        a.findings.push(format!("{slug} {lang}: BAN-9 the banner is not reached by the first two Tabs"));
    }
}

fn run_axe(a: &mut Audit, axe: &str, label: &str) {
    a.chrome.eval(axe);
    let session = a.chrome.session.clone();
    let result = a.chrome.try_call(
        Some(&session),
        "Runtime.evaluate",
        json!({
            "expression": "axe.run(document).then(r => JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | '))))",
            "awaitPromise": true,
            "returnByValue": true,
        }),
    );
    match result.map(|r| r["result"]["value"].as_str().unwrap_or("[\"no result\"]").to_owned()) {
        Ok(v) if v == "[]" => {}
        Ok(v) => a.findings.push(format!("axe on {label}: {v}")),
        Err(e) => a.findings.push(format!("axe on {label} failed: {e}")),
    }
}
