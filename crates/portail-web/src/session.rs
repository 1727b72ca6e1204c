//! Sign-in sessions: a random `sessionid` in the browser, its SHA-256 digest in the store.
//! A session belongs to the portal it was opened on and expires absolutely (`session_max_age_s`,
//! fixed at sign-in, as the cookie's Max-Age) and after `session_idle_timeout_s` without use.

use crate::app::AppState;
use crate::privacy::registry::{self, SESSION};
use crate::tenant::Site;
use argon2::password_hash::{rand_core::OsRng as HashRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use portail_core::Role;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The signed-in user of the current request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// Digest of the `sessionid` value, to delete the session at sign-out.
    pub session_digest: String,
}

/// `len` characters from `[a-z0-9]`, drawn from the OS CSPRNG.
fn random_key(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// 32 characters from `[a-z0-9]` (CK-2).
pub fn new_session_key() -> String {
    random_key(32)
}

pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// An argon2id hash in PHC string form, with the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut HashRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash nobody's password matches, verified against when the account does not exist so that
/// an unknown address takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_session_key()).unwrap_or_default())
}

/// Looks up the request's session — or, on the API, its API key — and puts `Option<Identity>`
/// in its extensions. A key that matches no key of this portal is refused (401) rather than
/// treated as anonymous, so that a script learns its key is wrong.
pub async fn identify(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let site = req.extensions().get::<Site>().cloned();
    let mut identity = match (&site, registry::read(req.headers(), &SESSION)) {
        (Some(site), Some(key)) if key.len() == 32 => load(&app, site, &digest(key)).await,
        _ => None,
    };
    if let (None, Some(site), Some(key)) = (&identity, &site, api_key_of(&req)) {
        match load_api_key(&app, site, &key).await {
            Some(KeyAccess::Owner(owner)) => identity = Some(owner),
            // A public-data key is valid, and reads as an anonymous caller does.
            Some(KeyAccess::PublicOnly) => {}
            None => {
                let error = crate::api::ApiError::new(portail_core::Code::InvalidApiKey, "Invalid API key.");
                // v1 and the front-office download answer in v1's `{"error": …}`, which their
                // clients (odsclient, ods-widgets) read.
                let path = req.uri().path();
                let v1 = crate::csrf::READ_ONLY_POST_PREFIXES.iter().any(|p| path.starts_with(p))
                    || path.starts_with("/explore/");
                return match v1 {
                    true => crate::api::v1::v1_error(error),
                    false => axum::response::IntoResponse::into_response(error),
                };
            }
        }
    }
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// 48 characters from `[a-z0-9]` (about 248 bits).
pub fn new_api_key() -> String {
    random_key(48)
}

/// The API key of an API request: `Authorization: Apikey <key>` (any case, as clients differ)
/// or `?apikey=<key>`. Pages never take keys; an empty key (widgets send `apikey=` when they
/// have none) is no key.
fn api_key_of(req: &Request) -> Option<String> {
    api_key_given(req).filter(|k| !k.is_empty())
}

fn api_key_given(req: &Request) -> Option<String> {
    let path = req.uri().path();
    let takes_keys = path.starts_with("/api/") || (path.starts_with("/explore/dataset/") && path.contains("/download"));
    if !takes_keys {
        return None;
    }
    let header = req.headers().get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some((scheme, key)) = header.and_then(|h| h.trim().split_once(' ')) {
        if scheme.eq_ignore_ascii_case("apikey") {
            return Some(key.trim().to_owned());
        }
    }
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "apikey")
        .map(|(_, v)| v.trim().to_owned())
}

/// What a valid API key lets its request do.
enum KeyAccess {
    /// Read what its owner reads.
    Owner(Identity),
    /// Read what anonymous callers read.
    PublicOnly,
}

async fn load_api_key(app: &AppState, site: &Site, key: &str) -> Option<KeyAccess> {
    let record = app.store.api_key(&digest(key)).await.ok().flatten()?;
    // A key of another portal is worthless here, like a session.
    if record.portal_id != site.portal.id {
        return None;
    }
    let user = app.store.user_by_id(record.user_id).await.ok().flatten()?;
    if user.portal_id != site.portal.id {
        return None;
    }
    let now = app.now();
    // Last use is shown to the owner; once a minute is precise enough.
    if record.last_used_at.is_none_or(|t| now - t >= 60) {
        let _ = app.store.touch_api_key(record.id, now).await;
    }
    if record.public_only {
        return Some(KeyAccess::PublicOnly);
    }
    Some(KeyAccess::Owner(Identity {
        user_id: user.id,
        email: user.email,
        role: user.role,
        session_digest: String::new(),
    }))
}

async fn load(app: &AppState, site: &Site, digest: &str) -> Option<Identity> {
    let now = app.now();
    let session = app.store.session(digest).await.ok().flatten()?;
    // A session of another portal is worthless here (CK-5).
    if session.portal_id != site.portal.id {
        return None;
    }
    if now >= session.expires_at || now - session.last_seen_at >= i64::from(app.config.session_idle_timeout_s) {
        let _ = app.store.delete_session(digest).await;
        return None;
    }
    let user = app.store.user_by_id(session.user_id).await.ok().flatten()?;
    if user.portal_id != site.portal.id {
        return None;
    }
    // Idle tracking costs a write; once a minute is precise enough.
    if now - session.last_seen_at >= 60 {
        let _ = app.store.touch_session(digest, now).await;
    }
    Some(Identity { user_id: user.id, email: user.email, role: user.role, session_digest: digest.to_owned() })
}

/// Failed sign-in counters, per account and per client address, kept in memory only and for at
/// most an hour (AN-11).
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (i64, u32)>>,
}

pub const THROTTLE_WINDOW_S: i64 = 15 * 60;
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;

impl Throttle {
    fn with_map<T>(&self, now: i64, f: impl FnOnce(&mut HashMap<String, (i64, u32)>) -> T) -> T {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (start, _)| now - *start < THROTTLE_WINDOW_S.min(3600));
        f(&mut map)
    }

    pub fn is_blocked(&self, account: &str, address: &str, now: i64) -> bool {
        self.with_map(now, |map| {
            map.get(account).is_some_and(|(_, n)| *n >= MAX_FAILURES_PER_ACCOUNT)
                || map.get(address).is_some_and(|(_, n)| *n >= MAX_FAILURES_PER_ADDRESS)
        })
    }

    pub fn record_failure(&self, account: &str, address: &str, now: i64) {
        self.with_map(now, |map| {
            for key in [account, address] {
                map.entry(key.to_owned()).or_insert((now, 0)).1 += 1;
            }
        });
    }

    pub fn clear_account(&self, account: &str, now: i64) {
        self.with_map(now, |map| {
            map.remove(account);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_are_32_lowercase_alphanumerics_and_unique() {
        // spec: CK-2
        let a = new_session_key();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, new_session_key());
        assert_eq!(digest(&a).len(), 64);
        assert!(!digest(&a).contains(&a));
    }

    #[test]
    fn passwords_are_hashed_with_argon2id() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn throttle_blocks_after_repeated_failures_and_forgets_after_the_window() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(!t.is_blocked("acct:a", "ip:1", 100));
            t.record_failure("acct:a", "ip:1", 100);
        }
        assert!(t.is_blocked("acct:a", "ip:2", 100), "the account is blocked from any address");
        assert!(!t.is_blocked("acct:b", "ip:2", 100));
        assert!(!t.is_blocked("acct:a", "ip:1", 100 + THROTTLE_WINDOW_S));
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            t.record_failure(&format!("acct:{i}"), "ip:9", 5000);
        }
        assert!(t.is_blocked("acct:new", "ip:9", 5000), "the address is blocked for any account");
    }
}
