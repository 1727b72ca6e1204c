//! The browser audit of spec section 14, in headless Chromium: two portals (one with a video
//! integration served by a loopback "third party", one without) × both languages × the page
//! types portail has × scenarios (a)–(e) and (g); (f) is in-process only, see below. Findings are collected, written to a JSON report
//! (`$PORTAIL_AUDIT_REPORT`, else the test's temporary directory) and fail the test.
//!
//! Axe (npm `axe-core`, installed by `.ci/run`; path in `PORTAIL_AXE_JS`) checks the banner,
//! the panel and the policy page for serious or critical violations.

use crate::browser::{chromium_binary, Chromium};
use crate::support::*;
use portail_core::Lang;
use portail_store::MetadataStore;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A third party on loopback: answers every request with a small page and one declared cookie,
/// and counts what it receives (AUD-2 seen from the other side).
fn third_party() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if stream.read(&mut buf).unwrap_or(0) == 0 {
                continue;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let body = "<!doctype html><title>video</title><p>third-party video</p>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: tube_pref=1; Max-Age=86400; Path=/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}

struct Audit {
    chrome: Chromium,
    port: u16,
    tp_hits: Arc<AtomicUsize>,
    report: Vec<Value>,
    findings: Vec<String>,
    registry: Vec<&'static str>,
}

impl Audit {
    /// The DevTools session of the page under test.
    fn chrome_page(&self) -> String {
        self.chrome.session.clone()
    }

    fn base(&self, host: &str) -> String {
        format!("http://{host}:{}", self.port)
    }

    /// Names of the cookies in the whole browser (every host).
    fn jar(&mut self) -> Vec<(String, String)> {
        self.chrome
            .cookies()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), c["domain"].as_str().unwrap().to_owned()))
            .collect()
    }

    /// Checks the state after one page and records it in the report (AUD-1, AUD-2, AUD-3).
    fn check(
        &mut self,
        (portal, lang, scenario): (&str, &str, &str),
        page: &str,
        allowed: &[&str],
        tp_allowed: bool,
        tp_before: usize,
    ) {
        let jar = self.jar();
        let tp = self.tp_hits.load(Ordering::SeqCst) - tp_before;
        let storage = self.chrome.eval("localStorage.length + sessionStorage.length").as_i64().unwrap_or(0);
        let mut verdict = vec![];
        for (name, domain) in &jar {
            let portal_cookie = domain.ends_with("localhost") && !domain.starts_with("video.");
            if portal_cookie && !allowed.contains(&name.as_str()) {
                verdict.push(format!("cookie {name} on {domain} not allowed here"));
            }
            if !portal_cookie && name != "tube_pref" {
                verdict.push(format!("undeclared third-party cookie {name} on {domain}"));
            }
            if portal_cookie && !self.registry.contains(&name.as_str()) {
                verdict.push(format!("cookie {name} is not in the registry"));
            }
        }
        if tp > 0 && !tp_allowed {
            verdict.push(format!("{tp} request(s) reached the third party"));
        }
        if storage != 0 {
            verdict.push("web storage is not empty".into());
        }
        for v in &verdict {
            self.findings.push(format!("{portal} {lang} ({scenario}) {page}: {v}"));
        }
        self.report.push(json!({
            "portal": portal, "lang": lang, "scenario": scenario, "page": page,
            "cookies": jar.iter().map(|(n, d)| format!("{n}@{d}")).collect::<Vec<_>>(),
            "third_party_requests": tp, "storage_items": storage,
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

    fn clear(&mut self) {
        self.chrome.call(None, "Storage.clearCookies", json!({}));
    }
}

/// Every page type of section 14 an anonymous visitor reaches, for a portal whose dataset with a
/// map is `dataset`.
fn pages_without_sign_in(dataset: &str) -> Vec<String> {
    let mut pages: Vec<String> =
        ["/", "/explore/", "/explore/?q=parc", "/terms/cookies-policy/", "/consent/", "/pages/video/", "/missing/"]
            .map(String::from)
            .to_vec();
    pages.push(format!("/explore/dataset/{dataset}/"));
    for tab in ["table", "map", "analyze", "export", "api"] {
        pages.push(format!("/explore/dataset/{dataset}/{tab}/"));
    }
    pages.push(format!("/explore/embed/dataset/{dataset}/table/"));
    pages.push(format!("/explore/embed/dataset/{dataset}/map/"));
    pages.push(format!("/api/explore/v2.1/catalog/datasets/{dataset}/records"));
    pages
}

const GAMMA: &str = "gamma.localhost";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aud_1_to_6_the_privacy_audit_in_chromium() {
    let Some(binary) = chromium_binary() else {
        assert!(std::env::var("PORTAIL_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1"), "chromium is not installed");
        return;
    };
    let (tp_port, tp_hits) = third_party();
    let video_origin = format!("http://video.thirdparty.localhost:{tp_port}");
    let app = crate::api::with_datasets().await;
    app.enable_video("alpha", &video_origin, "video.thirdparty.localhost").await;
    // FIX-1's matrix: a video portal in English (alpha) and one in French (gamma, as grigny91),
    // and a French portal without integration (beta).
    let gamma = app.store.create_portal(&portal("gamma", "Gammaville", Lang::Fr, &[]), START).await.unwrap();
    let parcs = portail_catalog::ImportRequest {
        portal_id: gamma.id,
        dataset_id: Some("parcs".into()),
        title: None,
        file: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest/parcs.geojson"),
        source: portail_ingest::SourceOptions::default(),
        publish: true,
    };
    app.state.catalog.import(parcs, portail_catalog::no_progress()).await.unwrap();
    app.enable_video("gamma", &video_origin, "video.thirdparty.localhost").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(portail_web::serve(listener, app.state.clone(), async {
        let _ = stopped.await;
    }));
    let axe = std::env::var("PORTAIL_AXE_JS").ok().and_then(|p| std::fs::read_to_string(p).ok());
    let in_ci = std::env::var("CI").is_ok();

    let (report, findings) = tokio::task::spawn_blocking(move || {
        let chrome = Chromium::launch(&binary);
        let registry = portail_web::privacy::registry::COOKIES.iter().map(|c| c.name).collect();
        let mut a = Audit { chrome, port, tp_hits, report: vec![], findings: vec![], registry };
        if axe.is_none() && in_ci {
            a.findings.push("axe-core is not installed (PORTAIL_AXE_JS)".into());
        }
        for (portal, host, has_video, dataset) in
            [("alpha", ALPHA, true, "equipements"), ("beta", BETA, false, "parcs"), ("gamma", GAMMA, true, "parcs")]
        {
            for lang in ["en", "fr"] {
                let base = a.base(host);
                let url = |path: &str| format!("{base}{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' });
                let path_of = |path: &str| format!("{path}{}lang={lang}", if path.contains('?') { '&' } else { '?' });

                // (a) fresh profile, no action: nothing stored, nothing third-party (AUD-1, AUD-2).
                a.clear();
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                for page in pages_without_sign_in(dataset) {
                    a.chrome.open(&url(&page), &path_of(&page));
                    a.check((portal, lang, "a"), &page, &[], false, t0);
                }
                a.chrome.open(&url("/"), &path_of("/"));
                let banner = a.chrome.eval("!!document.getElementById('consent-banner')");
                if banner != json!(has_video) {
                    a.findings
                        .push(format!("{portal} {lang}: banner shown = {banner}, expected {has_video} (BAN-1/BAN-2)"));
                }
                if has_video {
                    ban_4_and_9(&mut a, portal, lang);
                    if let Some(axe) = &axe {
                        let table = format!("/explore/dataset/{dataset}/table/");
                        let chart = format!("/explore/dataset/{dataset}/analyze/");
                        for page in ["/", "/consent/", "/terms/cookies-policy/", "/explore/", &table, &chart] {
                            a.chrome.open(&url(page), &path_of(page));
                            run_axe(&mut a, axe, &format!("{portal} {lang} {page}"));
                        }
                    }
                }
                // (f) `Sec-GPC: 1` on every request: the same empty jar and no third party, and
                // no banner — the proof that the header reached the server, since without it the
                // banner shows (SIG-1). Extra headers apply once the Network domain is enabled.
                a.clear();
                let session = a.chrome_page();
                a.chrome.call(Some(&session), "Network.enable", json!({}));
                a.chrome.call(Some(&session), "Network.setExtraHTTPHeaders", json!({"headers": {"Sec-GPC": "1"}}));
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                for page in pages_without_sign_in(dataset) {
                    a.chrome.open(&url(&page), &path_of(&page));
                    a.check((portal, lang, "f"), &page, &[], false, t0);
                    if a.chrome.eval("!!document.getElementById('consent-banner')") == json!(true) {
                        a.findings.push(format!("{portal} {lang} (f) {page}: banner shown despite Sec-GPC (SIG-1)"));
                    }
                }
                if has_video {
                    a.chrome.open(&url("/pages/video/"), &path_of("/pages/video/"));
                    if a.chrome.eval("!!document.querySelector('.placeholder')") != json!(true) {
                        a.findings.push(format!("{portal} {lang} (f): the video is not a placeholder under Sec-GPC"));
                    }
                }
                a.chrome.call(Some(&session), "Network.setExtraHTTPHeaders", json!({"headers": {}}));
                a.chrome.call(Some(&session), "Network.disable", json!({}));

                if !has_video {
                    continue;
                }

                // (b) refuse all from the banner, with the script: no reload, banner gone.
                a.clear();
                a.chrome.open(&url("/"), &path_of("/"));
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                a.chrome.eval("document.querySelector('#consent-banner button[value=refuse_all]').click()");
                a.wait_until("the banner to go (b)", "!document.getElementById('consent-banner')");
                for page in ["/", "/pages/video/", "/terms/cookies-policy/"] {
                    a.chrome.open(&url(page), &path_of(page));
                    a.check((portal, lang, "b"), page, &["cookies_preferences"], false, t0);
                }

                // (c) accept all, then (e) withdraw from the footer link in two actions.
                a.clear();
                a.chrome.open(&url("/"), &path_of("/"));
                a.chrome.eval("document.querySelector('#consent-banner button[value=accept_all]').click()");
                a.wait_until("the banner to go (c)", "!document.getElementById('consent-banner')");
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                a.chrome.open(&url("/pages/video/"), &path_of("/pages/video/"));
                a.wait_until("the video frame (c)", "!!document.querySelector('iframe.video')");
                let deadline = Instant::now() + Duration::from_secs(10);
                while a.tp_hits.load(Ordering::SeqCst) == t0 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if a.tp_hits.load(Ordering::SeqCst) == t0 {
                    a.findings.push(format!("{portal} {lang} (c): the granted video never loaded"));
                }
                a.check((portal, lang, "c"), "/pages/video/", &["cookies_preferences"], true, t0);
                a.chrome.submit(
                    "document.querySelector('footer a[href^=\"/consent/\"]').click()",
                    "/consent/?next=/pages/video/",
                );
                a.chrome.submit(
                    "document.querySelector('.consent-panel button[value=refuse_all]').click()",
                    "/pages/video/",
                );
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                if a.chrome.eval("!!document.querySelector('iframe')") != json!(false) {
                    a.findings.push(format!("{portal} {lang} (e): the video is still there after withdrawal"));
                }
                a.check((portal, lang, "e"), "/pages/video/", &["cookies_preferences"], false, t0);

                // (d) grant one purpose from the placeholder.
                a.clear();
                a.chrome.open(&url("/pages/video/"), &path_of("/pages/video/"));
                a.chrome.eval("document.querySelector('.placeholder button').click()");
                a.wait_until("the video after the placeholder (d)", "!!document.querySelector('iframe.video')");
                a.check((portal, lang, "d"), "/pages/video/", &["cookies_preferences"], true, 0);

                // (g) JavaScript disabled: refuse from the banner, accept from the panel.
                a.clear();
                a.chrome.call(Some(&a.chrome_page()), "Emulation.setScriptExecutionDisabled", json!({"value": true}));
                let t0 = a.tp_hits.load(Ordering::SeqCst);
                a.chrome.open(&url("/pages/video/"), &path_of("/pages/video/"));
                a.chrome.submit(
                    "document.querySelector('#consent-banner button[value=refuse_all]').click()",
                    &path_of("/pages/video/"),
                );
                a.check((portal, lang, "g-refuse"), "/pages/video/", &["cookies_preferences"], false, t0);
                a.chrome.open(&url("/consent/"), &path_of("/consent/"));
                a.chrome.submit("document.querySelector('.consent-panel button[value=accept_all]').click()", "/");
                a.chrome.open(&url("/pages/video/"), &path_of("/pages/video/"));
                if a.chrome.eval("!!document.querySelector('iframe.video')") != json!(true) {
                    a.findings
                        .push(format!("{portal} {lang} (g): accepting without JavaScript did not show the video"));
                }
                a.chrome.call(Some(&a.chrome_page()), "Emulation.setScriptExecutionDisabled", json!({"value": false}));
            }
        }
        // The sign-in page and the back office, last (they set csrftoken and sessionid).
        a.clear();
        let base = a.base(ALPHA);
        a.chrome.open(&format!("{base}/login/"), "/login/");
        a.check(("alpha", "en", "sign-in"), "/login/", &["csrftoken"], false, a.tp_hits.load(Ordering::SeqCst));
        a.chrome.submit(
            &format!(
                "document.getElementById('id_username').value = '{ALPHA_ADMIN}';
                 document.getElementById('id_password').value = '{PASSWORD}';
                 document.querySelector('form[action=\"/login/\"] button[type=submit]').click();"
            ),
            "/backoffice/",
        );
        if a.chrome.eval("!!document.getElementById('consent-banner')") != json!(false) {
            a.findings.push("the back office shows the banner (BAN-1)".into());
        }
        for page in ["/backoffice/", "/backoffice/privacy/", "/backoffice/audience/", "/backoffice/apikeys/"] {
            a.chrome.open(&format!("{base}{page}"), page);
            a.check(
                ("alpha", "en", "back-office"),
                page,
                &["csrftoken", "sessionid"],
                false,
                a.tp_hits.load(Ordering::SeqCst),
            );
        }
        (a.report, a.findings)
    })
    .await
    .unwrap();

    let path = std::env::var("PORTAIL_AUDIT_REPORT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| app.dir.path().join("audit-report.json"));
    let body = json!({"pages_checked": report.len(), "findings": findings, "pages": report});
    std::fs::write(&path, serde_json::to_string_pretty(&body).unwrap()).unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    assert!(report.len() >= 30, "the audit visited too few pages: {}", report.len());
    assert!(findings.is_empty(), "audit findings (report in {}):\n{}", path.display(), findings.join("\n"));
}

/// BAN-4 (refuse looks like accept, both visible without scrolling) at two sizes, and BAN-9
/// (the banner is reached by the first or second Tab).
fn ban_4_and_9(a: &mut Audit, portal: &str, lang: &str) {
    for (w, h) in [(360, 640), (1280, 800)] {
        a.chrome.call(
            Some(&a.chrome_page()),
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
            a.findings.push(format!("{portal} {lang} {w}x{h}: BAN-4 {verdict}"));
        }
    }
    a.chrome.call(Some(&a.chrome_page()), "Emulation.clearDeviceMetricsOverride", json!({}));
    a.chrome.eval("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)");
    let mut reached = false;
    for _ in 0..2 {
        for kind in ["keyDown", "keyUp"] {
            a.chrome.call(
                Some(&a.chrome_page()),
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
        a.findings.push(format!("{portal} {lang}: BAN-9 the banner is not reached by the first two Tabs"));
    }
}

fn run_axe(a: &mut Audit, axe: &str, label: &str) {
    a.chrome.eval(axe);
    let result = a.chrome.try_call(
        Some(&a.chrome_page()),
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
