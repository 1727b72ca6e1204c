//! Test support shared by the crates whose tests drive a real browser: Debian's headless
//! Chromium over the DevTools protocol (no browser download: CI installs the package), and a
//! "third party" on loopback that counts what it receives.
//!
//! Set `PORTAIL_SKIP_BROWSER_TESTS=1` to skip browser tests on a machine without Chromium; CI
//! installs it and never skips.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The Chromium to drive, or `None` when the machine has none and browser tests may be skipped;
/// panics when Chromium is missing without `PORTAIL_SKIP_BROWSER_TESTS=1`.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium_binary();
    if found.is_none() {
        assert!(
            std::env::var("PORTAIL_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1"),
            "chromium is not installed (apt-get install chromium)"
        );
    }
    found
}

pub struct Chromium {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// The DevTools session of the page under test.
    pub session: String,
    /// URLs requested by the page, its frames and its workers, once `record_requests` was called.
    requests: Option<Vec<String>>,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn chromium_binary() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

impl Chromium {
    pub fn launch(binary: &PathBuf) -> Chromium {
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
        let mut browser = Chromium { child, _profile: profile, ws, next_id: 0, session: String::new(), requests: None };
        let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached =
            browser.call(None, "Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}));
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    /// From now on, records the URL of every request the page makes, and those of the frames
    /// and workers it starts (each is held at its start until the recording covers it too).
    pub fn record_requests(&mut self) {
        self.requests = Some(vec![]);
        let session = self.session.clone();
        self.call(Some(&session), "Network.enable", json!({}));
        self.call(Some(&session), "Target.setAutoAttach", Self::auto_attach());
    }

    /// The URLs requested since the last call (recording must be on).
    pub fn take_requests(&mut self) -> Vec<String> {
        self.eval("0"); // reads the events that arrived since the last command
        std::mem::take(self.requests.as_mut().expect("record_requests was not called"))
    }

    fn auto_attach() -> Value {
        json!({"autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true})
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        self.next_id
    }

    fn on_event(&mut self, event: &Value) {
        let Some(requests) = self.requests.as_mut() else { return };
        match event["method"].as_str() {
            Some("Network.requestWillBeSent") => {
                if let Some(url) = event["params"]["request"]["url"].as_str() {
                    requests.push(url.to_owned());
                }
            }
            // A frame in another process or a worker, paused: record it too, then let it run.
            Some("Target.attachedToTarget") if event["params"]["waitingForDebugger"] == json!(true) => {
                if let Some(child) = event["params"]["sessionId"].as_str().map(str::to_owned) {
                    self.send(Some(&child), "Network.enable", json!({}));
                    self.send(Some(&child), "Target.setAutoAttach", Self::auto_attach());
                    self.send(Some(&child), "Runtime.runIfWaitingForDebugger", json!({}));
                }
            }
            _ => {}
        }
    }

    /// Sends one command and waits for its answer, handling the events that arrive meanwhile.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        match self.try_call(session, method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    pub fn try_call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send(session, method, params);
        loop {
            let Message::Text(text) = self.ws.read().expect("DevTools connection") else { continue };
            let reply: Value = serde_json::from_str(&text).unwrap();
            if reply.get("method").is_some() {
                self.on_event(&reply);
            } else if reply["id"] == json!(id) {
                return match reply.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(reply["result"].clone()),
                };
            }
        }
    }

    /// Evaluates a script in the page; `Null` while a navigation replaces the document.
    pub fn eval(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let r =
            self.try_call(Some(&session), "Runtime.evaluate", json!({"expression": expression, "returnByValue": true}));
        r.map(|r| r["result"]["value"].clone()).unwrap_or(Value::Null)
    }

    /// Waits until a new document (one without the marker `submit` leaves on the old one) shows
    /// `path` fully loaded.
    pub fn wait_for(&mut self, path: &str) {
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

    pub fn open(&mut self, url: &str, path: &str) {
        self.eval("window.__oldPage = true");
        let session = self.session.clone();
        self.call(Some(&session), "Page.navigate", json!({"url": url}));
        self.wait_for(path);
    }

    /// Runs a script that submits a form, then waits for the page it leads to.
    pub fn submit(&mut self, script: &str, then_path: &str) {
        self.eval("window.__oldPage = true");
        self.eval(script);
        self.wait_for(then_path);
    }

    pub fn cookies(&mut self) -> Vec<Value> {
        self.call(None, "Storage.getCookies", json!({}))["cookies"].as_array().unwrap().clone()
    }

    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText").as_str().unwrap_or_default().to_owned()
    }
}

/// A third party on loopback (FIX-2): answers every request with a small page that sets
/// `cookie`, the one cookie its integration declares, and counts what it receives (AUD-2 seen
/// from the other side). Returns its port and the counter.
pub fn third_party(cookie: &str) -> (u16, Arc<AtomicUsize>) {
    let cookie = cookie.to_owned();
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
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: {cookie}=1; Max-Age=86400; Path=/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}
