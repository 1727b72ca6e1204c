//! A real browser: headless Chromium, driven over the DevTools protocol, browses a portal served
//! on 127.0.0.1 anonymously, signs in, switches language, edits the portal, signs out, and after
//! each step the cookie jar is checked against the registry.
//!
//! Chromium comes from Debian (`apt-get install chromium`); set `PORTAIL_SKIP_BROWSER_TESTS=1` to
//! skip on a machine without it (CI installs it and never skips).

use crate::support::*;
use portail_web::privacy::registry::COOKIES;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub(crate) struct Chromium {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    pub(crate) session: String,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn chromium_binary() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

impl Chromium {
    pub(crate) fn launch(binary: &PathBuf) -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // Chromium writes the port it picked and the browser endpoint's path to this file.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break (port.to_owned(), path.to_owned());
                }
            }
            assert!(Instant::now() < deadline, "chromium did not open its DevTools port");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}{path}")).expect("connect to DevTools");
        let mut browser = Chromium { child, _profile: profile, ws, next_id: 0, session: String::new() };
        let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached =
            browser.call(None, "Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}));
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    /// Sends one command and waits for its answer, skipping events.
    pub(crate) fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        match self.try_call(session, method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    pub(crate) fn try_call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let Message::Text(text) = self.ws.read().expect("DevTools connection") else { continue };
            let reply: Value = serde_json::from_str(&text).unwrap();
            if reply["id"] == json!(id) {
                return match reply.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(reply["result"].clone()),
                };
            }
        }
    }

    /// Evaluates a script in the page; `Null` while a navigation replaces the document.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let r =
            self.try_call(Some(&session), "Runtime.evaluate", json!({"expression": expression, "returnByValue": true}));
        r.map(|r| r["result"]["value"].clone()).unwrap_or(Value::Null)
    }

    /// Waits until a new document (one without the marker `submit` leaves on the old one) shows
    /// `path` fully loaded.
    pub(crate) fn wait_for(&mut self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let state = self
                .eval("(window.__oldPage ? 'old' : document.readyState) + ' ' + location.pathname + location.search");
            if state.as_str() == Some(&format!("complete {path}")) {
                return;
            }
            assert!(Instant::now() < deadline, "never reached {path}; last state {state}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn open(&mut self, url: &str, path: &str) {
        self.eval("window.__oldPage = true");
        let session = self.session.clone();
        self.call(Some(&session), "Page.navigate", json!({"url": url}));
        self.wait_for(path);
    }

    /// Runs a script that submits a form, then waits for the page it leads to.
    pub(crate) fn submit(&mut self, script: &str, then_path: &str) {
        self.eval("window.__oldPage = true");
        self.eval(script);
        self.wait_for(then_path);
    }

    pub(crate) fn cookies(&mut self) -> Vec<Value> {
        self.call(None, "Storage.getCookies", json!({}))["cookies"].as_array().unwrap().clone()
    }

    pub(crate) fn text(&mut self) -> String {
        self.eval("document.body.innerText").as_str().unwrap_or_default().to_owned()
    }
}

/// Every cookie in the jar is a registry cookie with the registry's attributes (AUD-1).
fn check_jar(jar: &[Value], host: &str, expected: &[&str]) {
    let mut names: Vec<&str> = jar.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut want = expected.to_vec();
    want.sort_unstable();
    assert_eq!(names, want, "cookie jar");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    for c in jar {
        let spec = COOKIES.iter().find(|s| s.name == c["name"]).unwrap();
        assert_eq!(c["domain"], json!(host), "{}: host-only", spec.name);
        assert_eq!(c["path"], "/");
        assert_eq!(c["httpOnly"], json!(spec.http_only), "{}", spec.name);
        assert_eq!(c["secure"], json!(false), "{}: plain-HTTP development host", spec.name);
        assert_eq!(c["sameSite"], "Lax", "{}", spec.name);
        let expires = c["expires"].as_f64().unwrap();
        assert!(
            (expires - now - f64::from(spec.max_age_s)).abs() < 60.0,
            "{}: expiry {expires} vs Max-Age {}",
            spec.name,
            spec.max_age_s
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_browses_signs_in_edits_and_signs_out_in_chromium() {
    let Some(binary) = chromium_binary() else {
        assert!(
            std::env::var("PORTAIL_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1"),
            "chromium is not installed (apt-get install chromium)"
        );
        return;
    };
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(portail_web::serve(listener, app.state.clone(), async {
        let _ = stopped.await;
    }));

    let base = format!("http://{ALPHA}:{port}");
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut chrome = Chromium::launch(&binary);

        // Anonymous pages without a form: no cookie at all (SET-1).
        chrome.open(&format!("{base}/"), "/");
        assert!(chrome.text().contains("Alphaville open data"));
        chrome.open(&format!("{base}/terms/cookies-policy/"), "/terms/cookies-policy/");
        assert_eq!(chrome.eval("document.querySelectorAll('#necessary-cookies tbody tr').length"), json!(4));
        chrome.open(&format!("{base}/missing/"), "/missing/");
        check_jar(&chrome.cookies(), ALPHA, &[]);

        // The sign-in page sets csrftoken only.
        chrome.open(&format!("{base}/login/"), "/login/");
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken"]);
        let before: Vec<Value> = chrome.cookies();
        chrome.submit(
            &format!(
                "document.getElementById('id_username').value = '{ALPHA_ADMIN}';
                 document.getElementById('id_password').value = '{PASSWORD}';
                 document.querySelector('form[action=\"/login/\"] button[type=submit]').click();"
            ),
            "/backoffice/",
        );
        assert!(chrome.text().contains(ALPHA_ADMIN));
        let jar = chrome.cookies();
        check_jar(&jar, ALPHA, &["csrftoken", "sessionid"]);
        let csrf = |jar: &[Value]| jar.iter().find(|c| c["name"] == "csrftoken").unwrap()["value"].clone();
        assert_ne!(csrf(&jar), csrf(&before), "the CSRF secret rotates at sign-in");

        // The language switcher, without any script of ours.
        chrome.submit(
            "document.getElementById('lang-select').value = 'fr';
             document.querySelector('form.lang-switch button').click();",
            "/backoffice/",
        );
        assert_eq!(chrome.eval("document.documentElement.lang"), json!("fr"));
        assert!(chrome.text().contains("Paramètres du portail"));
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken", "django_language", "sessionid"]);

        // Edit the portal's title through the real form.
        chrome.submit(
            "document.getElementById('id_title_fr').value = 'Alphaville, la plateforme';
             document.querySelector('form[action=\"/backoffice/settings/\"] button').click();",
            "/backoffice/?saved=1",
        );
        chrome.open(&format!("{base}/"), "/");
        assert!(chrome.text().contains("Alphaville, la plateforme"));

        // Sign out: the session cookie is gone, the others stay.
        chrome.submit("document.querySelector('form[action=\"/logout/\"] button').click();", "/");
        check_jar(&chrome.cookies(), ALPHA, &["csrftoken", "django_language"]);
        assert!(chrome.text().contains("Se connecter"));

        // portail's pages leave nothing in other storage areas (SET-4).
        assert_eq!(chrome.eval("localStorage.length + sessionStorage.length"), json!(0));
    })
    .await
    .unwrap();

    use portail_store::MetadataStore;
    assert_eq!(store.portal_by_slug("alpha").await.unwrap().unwrap().title.fr, "Alphaville, la plateforme");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
