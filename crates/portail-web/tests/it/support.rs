//! Test harness: an app over a temporary SQLite file with two portals and a few accounts, a
//! movable clock, and a cookie-keeping client that behaves like a browser.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use portail_core::{Lang, Localized, Role};
use portail_store::{MetadataStore, NewPortal, PageStore, PrivacyStore, SqliteStore};
use portail_web::{App, AppState, WebConfig};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

pub const ALPHA: &str = "alpha.localhost";
pub const BETA: &str = "beta.localhost";
pub const BETA_DOMAIN: &str = "data.beta.test";
pub const PASSWORD: &str = "correct horse battery";
pub const ALPHA_ADMIN: &str = "admin@alpha.test";
pub const ALPHA_EDITOR: &str = "editor@alpha.test";
pub const BETA_ADMIN: &str = "admin@beta.test";
pub const START: i64 = 1_800_000_000;

pub struct TestApp {
    pub state: AppState,
    pub store: Arc<SqliteStore>,
    clock: Arc<AtomicI64>,
    pub dir: tempfile::TempDir,
}

pub fn portal(slug: &str, name: &str, default_lang: Lang, domains: &[&str]) -> NewPortal {
    NewPortal {
        slug: slug.into(),
        name: name.into(),
        default_lang,
        langs: vec![Lang::En, Lang::Fr],
        title: Localized::new(format!("{name} open data"), format!("Données ouvertes {name}")),
        description: Localized::new(format!("About {name}."), format!("À propos de {name}.")),
        domains: domains.iter().map(|d| d.to_string()).collect(),
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(WebConfig::default()).await
    }

    pub async fn with_config(config: WebConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("portail.db")).await.unwrap());
        let alpha = store.create_portal(&portal("alpha", "Alphaville", Lang::En, &[]), START).await.unwrap();
        let beta = store.create_portal(&portal("beta", "Bétaville", Lang::Fr, &[BETA_DOMAIN]), START).await.unwrap();
        let hash = portail_web::session::hash_password(PASSWORD).unwrap();
        store.create_user(alpha.id, ALPHA_ADMIN, &hash, Role::Admin, START).await.unwrap();
        store.create_user(alpha.id, ALPHA_EDITOR, &hash, Role::Editor, START).await.unwrap();
        store.create_user(beta.id, BETA_ADMIN, &hash, Role::Admin, START).await.unwrap();
        let clock = Arc::new(AtomicI64::new(START));
        let c = clock.clone();
        let catalog = portail_catalog::Catalog::new(store.clone(), dir.path());
        let app = App::new(config, store.clone(), catalog, Arc::new(move || c.load(Ordering::SeqCst))).unwrap();
        TestApp { state: AppState(Arc::new(app)), store, clock, dir }
    }

    /// FIX-1 in small: a video integration on `slug` loading from `origin`, declaring one vendor
    /// cookie on `cookie_domain`, and a content page `/pages/video/` embedding one video.
    pub async fn enable_video(&self, slug: &str, origin: &str, cookie_domain: &str) {
        use portail_store::privacy::{ContentPage, IntegrationConfig, VendorCookie};
        let portal = self.store.portal_by_slug(slug).await.unwrap().unwrap();
        let integration = IntegrationConfig {
            kind: "video".into(),
            vendor: "TubeCo".into(),
            origin: origin.into(),
            privacy_url: format!("{origin}/privacy"),
            cookies: vec![VendorCookie {
                name: "tube_pref".into(),
                domain: cookie_domain.into(),
                max_age_s: 86_400,
                purpose: Localized::new("Player settings", "Réglages du lecteur"),
            }],
            enabled_at: START,
            resource: String::new(),
        };
        self.store.put_integration(portal.id, &integration, self.now()).await.unwrap();
        let page = ContentPage {
            slug: "video".into(),
            title: Localized::new("Our video", "Notre vidéo"),
            body: Localized::new(
                format!(r#"<p>Watch it.</p><figure data-integration="video" data-src="{origin}/embed/42"></figure>"#),
                format!(
                    r#"<p>Regardez-la.</p><figure data-integration="video" data-src="{origin}/embed/42"></figure>"#
                ),
            ),
            updated_at: START,
        };
        self.store.put_page(portal.id, &page).await.unwrap();
    }

    pub fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }

    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let response = portail_web::router(self.state.clone()).oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    /// The raw bytes of a GET (binary exports).
    pub async fn get_bytes(&self, host: &str, path: &str) -> (StatusCode, axum::body::Bytes) {
        let req = Request::get(path).header(header::HOST, host).body(Body::empty()).unwrap();
        let response = portail_web::router(self.state.clone()).oneshot(req).await.unwrap();
        (response.status(), response.into_body().collect().await.unwrap().to_bytes())
    }

    pub async fn get(&self, host: &str, path: &str) -> TestResponse {
        self.send(Request::get(path).header(header::HOST, host).body(Body::empty()).unwrap()).await
    }

    pub fn browser(&self, host: &str) -> Browser<'_> {
        Browser { app: self, host: host.to_owned(), jar: BTreeMap::new(), seen_set_cookies: vec![] }
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (exports may be binary).
    pub bytes: axum::body::Bytes,
}

impl TestResponse {
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }

    /// The value a `Set-Cookie` of this response gives to `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_owned())
        })
    }

    /// The body with the entities the template engine escapes turned back into characters.
    pub fn text(&self) -> String {
        self.body
            .replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).map(|v| v.to_str().unwrap())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The value of the hidden `csrfmiddlewaretoken` field of the page's first form that has one.
    pub fn form_token(&self) -> Option<String> {
        let at = self.body.find("name=\"csrfmiddlewaretoken\" value=\"")?;
        let rest = &self.body[at + "name=\"csrfmiddlewaretoken\" value=\"".len()..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

/// A client that keeps cookies per host, as a browser does, and sends `Origin` on POST.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub host: String,
    pub jar: BTreeMap<String, String>,
    /// Every `Set-Cookie` header this client received, for audits.
    pub seen_set_cookies: Vec<String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> Option<String> {
        (!self.jar.is_empty()).then(|| self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    fn absorb(&mut self, response: &TestResponse) {
        for c in response.set_cookies() {
            self.seen_set_cookies.push(c.clone());
            let (pair, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> TestResponse {
        req.headers_mut().insert(header::HOST, self.host.parse().unwrap());
        if let Some(cookies) = self.cookie_header() {
            req.headers_mut().insert(header::COOKIE, cookies.parse().unwrap());
        }
        let response = self.app.send(req).await;
        self.absorb(&response);
        response
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A same-origin form post, as a browser submits it.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let origin = format!("http://{}", self.host);
        self.post_with(path, fields, &[("origin", origin.as_str())]).await
    }

    pub async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> TestResponse {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Opens the sign-in page and signs in; returns the final response of the POST.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> TestResponse {
        let page = self.get("/login/").await;
        let token = page.form_token().expect("the sign-in page has a CSRF field");
        self.post(
            "/login/",
            &[("csrfmiddlewaretoken", &token), ("username", email), ("password", password), ("next", "/backoffice/")],
        )
        .await
    }

    pub fn has(&self, name: &str) -> bool {
        self.jar.contains_key(name)
    }
}
