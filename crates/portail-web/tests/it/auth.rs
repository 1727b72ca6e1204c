//! Sign-in, sessions and CSRF (CK-1…CK-6, CK-12…CK-16).

use crate::support::*;
use portail_web::session::{MAX_FAILURES_PER_ACCOUNT, THROTTLE_WINDOW_S};

#[tokio::test]
async fn the_sign_in_page_sets_a_readable_csrf_cookie_and_masks_the_token_per_render() {
    // spec: CK-12, CK-17
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let first = b.get("/login/").await;
    let secret = first.cookie("csrftoken").expect("the sign-in page sets csrftoken");
    assert_eq!(secret.len(), 32);
    assert!(!first.set_cookies()[0].contains("HttpOnly"), "scripts must be able to read csrftoken");
    let second = b.get("/login/").await;
    assert!(second.set_cookies().is_empty(), "an existing valid secret is kept");
    let (t1, t2) = (first.form_token().unwrap(), second.form_token().unwrap());
    assert_eq!((t1.len(), t2.len()), (64, 64));
    assert_ne!(t1, t2);
    for token in [t1, t2] {
        assert!(portail_web::csrf::token_matches(&token, &secret));
    }
}

#[tokio::test]
async fn signing_in_issues_a_fresh_session_and_csrf_secret() {
    // spec: CK-1, CK-2, CK-16
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let login = b.get("/login/").await;
    let old_csrf = login.cookie("csrftoken").unwrap();
    let r = b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/backoffice/"));
    let session = r.cookie("sessionid").unwrap();
    assert_eq!(session.len(), 32);
    assert!(session.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let new_csrf = r.cookie("csrftoken").unwrap();
    assert_ne!(new_csrf, old_csrf);
    let page = b.get("/backoffice/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(ALPHA_ADMIN));
    assert!(page.set_cookies().is_empty(), "ordinary requests refresh nothing (CK-6)");
}

#[tokio::test]
async fn the_store_never_holds_the_session_value() {
    // spec: CK-2
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let session = b.sign_in(ALPHA_ADMIN, PASSWORD).await.cookie("sessionid").unwrap();
    let mut bytes = vec![];
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(!bytes.is_empty());
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(!haystack.contains(&session), "the raw session key is in the database files");
    assert!(haystack.contains(&portail_web::session::digest(&session)), "its digest is");
}

#[tokio::test]
async fn failed_sign_ins_say_the_same_thing_and_set_no_session() {
    // spec: CK-1
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let wrong_password = b.sign_in(ALPHA_ADMIN, "not the password").await;
    let unknown_user = b.sign_in("nobody@alpha.test", PASSWORD).await;
    let other_portal_user = b.sign_in(BETA_ADMIN, PASSWORD).await;
    for r in [&wrong_password, &unknown_user, &other_portal_user] {
        assert_eq!(r.status, 200);
        assert!(r.cookie("sessionid").is_none());
        assert!(r.body.contains("The e-mail address or the password is wrong."));
    }
    assert!(!b.has("sessionid"));
}

#[tokio::test]
async fn sign_in_without_a_valid_token_or_from_another_origin_is_refused() {
    // spec: CK-13, CK-14
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let token = b.get("/login/").await.form_token().unwrap();
    let fields = [("username", ALPHA_ADMIN), ("password", PASSWORD)];
    let r = b.post("/login/", &fields).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("could not be verified"));
    let with_token = [("csrfmiddlewaretoken", token.as_str()), fields[0], fields[1]];
    let r = b.post_with("/login/", &with_token, &[("origin", "http://evil.test")]).await;
    assert_eq!(r.status, 403);
    let r = b.post("/login/", &[("csrfmiddlewaretoken", &"a".repeat(64)), fields[0], fields[1]]).await;
    assert_eq!(r.status, 403);
    assert!(!b.has("sessionid"));
    // Without the cookie, even a well-formed token is refused.
    let mut fresh = app.browser(ALPHA);
    let r = fresh.post("/login/", &with_token).await;
    assert_eq!(r.status, 403);
    assert!(r.cookie("sessionid").is_none());
}

#[tokio::test]
async fn signing_in_again_rotates_the_session_and_kills_the_old_one() {
    // spec: CK-3
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let first = b.sign_in(ALPHA_ADMIN, PASSWORD).await.cookie("sessionid").unwrap();
    let second = b.sign_in(ALPHA_ADMIN, PASSWORD).await.cookie("sessionid").unwrap();
    assert_ne!(first, second);
    let mut replay = app.browser(ALPHA);
    replay.jar.insert("sessionid".into(), first);
    let r = replay.get("/backoffice/").await;
    assert_eq!(r.status, 303, "the old key is worthless");
    assert_eq!(r.location(), Some("/login/?next=/backoffice/"));
}

#[tokio::test]
async fn signing_out_deletes_the_session_on_both_sides() {
    // spec: CK-4
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let session = b.sign_in(ALPHA_ADMIN, PASSWORD).await.cookie("sessionid").unwrap();
    let token = b.get("/").await.form_token().expect("signed-in pages carry the sign-out form");
    let r = b.post("/logout/", &[("csrfmiddlewaretoken", &token)]).await;
    assert_eq!(r.status, 303);
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("sessionid=\"\"; Max-Age=0; Path=/")),
        "{:?}",
        r.set_cookies()
    );
    let mut replay = app.browser(ALPHA);
    replay.jar.insert("sessionid".into(), session);
    assert_eq!(replay.get("/backoffice/").await.status, 303);
}

#[tokio::test]
async fn signing_out_needs_the_csrf_token_but_accepts_it_in_the_header() {
    // spec: CK-13 (d)
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let r = b.post("/logout/", &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(b.get("/backoffice/").await.status, 200, "a refused sign-out leaves the session alone");
    let secret = b.jar["csrftoken"].clone();
    let origin = format!("http://{ALPHA}");
    let r = b.post_with("/logout/", &[], &[("x-csrftoken", &secret), ("origin", &origin)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/backoffice/").await.status, 303);
}

#[tokio::test]
async fn a_session_is_worthless_on_another_portal() {
    // spec: CK-5
    let app = TestApp::new().await;
    let mut alpha = app.browser(ALPHA);
    alpha.sign_in(ALPHA_ADMIN, PASSWORD).await;
    let mut beta = app.browser(BETA);
    beta.jar = alpha.jar.clone();
    let r = beta.get("/backoffice/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/login/?next=/backoffice/"));
    assert!(!beta.get("/").await.body.contains(ALPHA_ADMIN));
}

#[tokio::test]
async fn sessions_expire_absolutely_and_when_idle() {
    // spec: CK-6
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    // Used every day, the session still ends 14 days after sign-in (CK-6; FIX-3: injected clock).
    for _ in 0..13 {
        app.advance(86_400);
        assert_eq!(b.get("/backoffice/").await.status, 200);
    }
    app.advance(86_400);
    assert_eq!(b.get("/backoffice/").await.status, 303);

    let mut idle = app.browser(ALPHA);
    idle.sign_in(ALPHA_ADMIN, PASSWORD).await;
    app.advance(i64::from(app.state.config.session_idle_timeout_s) - 1);
    assert_eq!(idle.get("/backoffice/").await.status, 200);
    app.advance(i64::from(app.state.config.session_idle_timeout_s));
    assert_eq!(idle.get("/backoffice/").await.status, 303);
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    for _ in 0..MAX_FAILURES_PER_ACCOUNT {
        assert_eq!(b.sign_in(ALPHA_ADMIN, "guess").await.status, 200);
    }
    let r = b.sign_in(ALPHA_ADMIN, PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("Too many failed attempts"));
    assert!(r.cookie("sessionid").is_none());
    // Other accounts are unaffected; the block lifts after the window.
    assert_eq!(b.sign_in(ALPHA_EDITOR, PASSWORD).await.status, 303);
    app.advance(THROTTLE_WINDOW_S);
    assert_eq!(b.sign_in(ALPHA_ADMIN, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn next_is_followed_only_within_the_portal() {
    let app = TestApp::new().await;
    let mut b = app.browser(ALPHA);
    let token = b.get("/login/?next=https://evil.test/").await.form_token().unwrap();
    let r = b
        .post(
            "/login/",
            &[
                ("csrfmiddlewaretoken", &token),
                ("username", ALPHA_ADMIN),
                ("password", PASSWORD),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/"));
}
