//! `/login/` and `/logout/`. Sign-in rotates both the session key and the CSRF secret; failures
//! say the same thing whether the account exists or not, and are throttled per account and per
//! client address.

use crate::context::{form_value, query_value, safe_next, see_other, Ctx, PeerAddr};
use crate::csrf;
use crate::privacy::registry::{self, CSRF, SESSION};
use crate::session::{self, digest, new_session_key, verify_password};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use portail_core::Code;
use portail_store::SessionRecord;
use std::net::SocketAddr;

const DEFAULT_NEXT: &str = "/backoffice/";

fn login_page(ctx: &Ctx, next: &str, username: &str, error_key: Option<&str>, status: StatusCode) -> Response {
    let page = ctx
        .page("login.html")
        .with_form()
        .status(status)
        .with("login_next", next)
        .with("username", username)
        .with("error_key", error_key);
    ctx.render(page)
}

pub async fn form(ctx: Ctx, uri: Uri) -> Response {
    let next = query_value(uri.query(), "next").map_or(DEFAULT_NEXT.to_owned(), |n| safe_next(Some(&n)));
    login_page(&ctx, &next, "", None, StatusCode::OK)
}

/// The client address used for throttling.
fn client_address(ctx: &Ctx, peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
    let address = crate::context::client_address(ctx.app.config.trusted_proxy, headers, peer);
    format!("ip:{}", address.as_deref().unwrap_or("unknown"))
}

pub async fn submit(ctx: Ctx, PeerAddr(peer): PeerAddr, body: Bytes) -> Response {
    let username = form_value(&body, "username").unwrap_or_default().trim().to_owned();
    let password = form_value(&body, "password").unwrap_or_default();
    let next = form_value(&body, "next").map_or(DEFAULT_NEXT.to_owned(), |n| safe_next(Some(&n)));
    let portal = &ctx.site.portal;
    let now = ctx.app.now();
    let account_key = format!("acct:{}:{}", portal.id, username.to_lowercase());
    let address_key = client_address(&ctx, peer, &ctx.headers);

    if ctx.app.throttle.is_blocked(&account_key, &address_key, now) {
        return login_page(&ctx, &next, &username, Some("login-throttled"), StatusCode::TOO_MANY_REQUESTS);
    }
    let user = match ctx.app.store.user_by_email(portal.id, &username).await {
        Ok(user) => user,
        Err(err) => {
            tracing::error!(error = %err, "user lookup failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    };
    // Verify against a decoy hash for unknown accounts so both failures take the same time.
    let hash = user.as_ref().map_or_else(|| session::decoy_hash().to_owned(), |u| u.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    let Some(user) = user.filter(|_| verified) else {
        ctx.app.throttle.record_failure(&account_key, &address_key, now);
        return login_page(&ctx, &next, &username, Some("login-failed"), StatusCode::OK);
    };
    ctx.app.throttle.clear_account(&account_key, now);

    // A session the browser already had is dropped: sign-in always issues a new key (CK-3).
    if let Some(old) = registry::read(&ctx.headers, &SESSION) {
        let _ = ctx.app.store.delete_session(&digest(old)).await;
    }
    let key = new_session_key();
    let record = SessionRecord {
        portal_id: portal.id,
        user_id: user.id,
        created_at: now,
        expires_at: now + i64::from(ctx.app.config.session_max_age_s),
        last_seen_at: now,
    };
    if let Err(err) = ctx.app.store.create_session(&digest(&key), &record).await {
        tracing::error!(error = %err, "session creation failed");
        return ctx.error(Code::Internal, "error-500-body");
    }
    tracing::info!(portal = %portal.slug, user.id = user.id, "signed in");
    let mut response = see_other(&next);
    let headers = response.headers_mut();
    let max_age = ctx.app.config.session_max_age_s;
    headers.append(header::SET_COOKIE, SESSION.set_with_max_age(&key, max_age, ctx.site.https));
    // A new CSRF secret too, as Django's rotate_token does (CK-16).
    headers.append(header::SET_COOKIE, CSRF.set(&csrf::new_secret(), ctx.site.https));
    response
}

pub async fn logout(ctx: Ctx) -> Response {
    if let Some(identity) = &ctx.identity {
        if let Err(err) = ctx.app.store.delete_session(&identity.session_digest).await {
            tracing::error!(error = %err, "session deletion failed");
            return ctx.error(Code::Internal, "error-500-body");
        }
    }
    let mut response = see_other("/");
    response.headers_mut().append(header::SET_COOKIE, SESSION.delete(ctx.site.https));
    response
}
