//! A daily API quota per portal (`api_daily_quota`), as Opendatasoft domains have: every API
//! answer says where the day's count stands (`X-RateLimit-Limit`, `-Remaining`, `-Reset`), and a
//! request past the limit gets Opendatasoft's 429 body (errorcode 10002) until midnight UTC.
//! The counts are per portal, not per visitor — nothing about who asked is kept — and live in
//! memory: a restart starts the day again.

use crate::app::AppState;
use crate::tenant::Site;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// Calls counted today, by portal: (day number since 1970, calls).
#[derive(Default)]
pub struct Quota {
    counts: Mutex<HashMap<i64, (i64, u64)>>,
}

impl Quota {
    /// Counts one call of `portal` on `day`; the calls of the day, this one included.
    fn count(&self, portal: i64, day: i64) -> u64 {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = counts.entry(portal).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

/// Midnight UTC after `now` (seconds), as `YYYY-MM-DD 00:00:00+00:00` (the header's live form)
/// and as RFC 3339 (the 429 body's).
fn next_midnight(now: i64) -> (String, String) {
    let midnight = (now.div_euclid(86_400) + 1) * 86_400;
    let day = &portail_core::time::iso_utc(midnight)[..10];
    (format!("{day} 00:00:00+00:00"), format!("{day}T00:00:00Z"))
}

/// The quota's middleware, for paths under `/api/` (CORS preflights are not counted).
pub async fn limit(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let limit = app.config.api_daily_quota;
    let counted = limit > 0 && req.uri().path().starts_with("/api/") && req.method() != axum::http::Method::OPTIONS;
    let Some(portal) = req.extensions().get::<Site>().map(|s| s.portal.id).filter(|_| counted) else {
        return next.run(req).await;
    };
    let now = app.now();
    let calls = app.quota.count(portal, now.div_euclid(86_400));
    let (reset, reset_time) = next_midnight(now);
    let mut r = if calls > limit {
        let body = json!({
            "errorcode": 10002,
            "reset_time": reset_time,
            "limit_time_unit": "day",
            "call_limit": limit,
            "error": "Too many requests on the domain. Please contact the domain administrator.",
        });
        let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        super::api_headers(&mut r);
        if let Ok(v) = HeaderValue::from_str(&(86_400 - now.rem_euclid(86_400)).to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    } else {
        next.run(req).await
    };
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(limit.saturating_sub(calls)));
    if let Ok(v) = HeaderValue::from_str(&reset) {
        h.insert("x-ratelimit-reset", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_restart_the_count_and_portals_count_apart() {
        let q = Quota::default();
        assert_eq!((q.count(1, 100), q.count(1, 100), q.count(2, 100)), (1, 2, 1));
        assert_eq!(q.count(1, 101), 1, "a new day");
    }

    #[test]
    fn the_reset_is_the_next_midnight_utc() {
        // 2026-12-02T19:00:00Z.
        let (header, body) = next_midnight(1_796_238_000);
        assert_eq!(header, "2026-12-03 00:00:00+00:00");
        assert_eq!(body, "2026-12-03T00:00:00Z");
    }
}
