//! Periodic work of a serving process: write audience counters to the store, and enforce the
//! retention of choice records (REC-3) and audience aggregates (AN-8).

use crate::app::AppState;
use crate::audience::{local_day, parse_zone, DEFAULT_ZONE};
use portail_core::time::{civil_from_days, days_from_civil};

/// Writes pending audience counters. Called every minute and at shutdown.
pub async fn flush_audience(app: &AppState) {
    let counts = app.audience.drain(app.now());
    if counts.is_empty() {
        return;
    }
    if let Err(err) = app.store.add_counts(&counts).await {
        tracing::warn!(error = %err, lost = counts.len(), "audience counters could not be written");
    }
}

/// The first day kept when `months` months are retained, as `YYYY-MM-DD`.
pub fn retention_start(today: &str, months: i64) -> String {
    let mut parts = today.splitn(3, '-').map(|p| p.parse::<i64>().unwrap_or(1));
    let (y, m, d) = (parts.next().unwrap_or(1970), parts.next().unwrap_or(1), parts.next().unwrap_or(1));
    let total = y * 12 + (m - 1) - months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    // Clamp the day to the month's length (31 March − 1 month = 28/29 February).
    let next_month_start =
        if m == 12 { days_from_civil(y as i32 + 1, 1, 1) } else { days_from_civil(y as i32, m as u32 + 1, 1) };
    let month_len = i64::from(next_month_start - days_from_civil(y as i32, m as u32, 1));
    let (y, m, d) = civil_from_days(days_from_civil(y as i32, m as u32, d.min(month_len) as u32));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Deletes what retention rules say must go. Called daily (and by tests with a moved clock).
pub async fn enforce_retention(app: &AppState) {
    let now = app.now();
    let cutoff = now - i64::from(app.config.consent_record_retention_days) * 86_400;
    if let Err(err) = app.store.delete_consent_records_before(cutoff).await {
        tracing::warn!(error = %err, "consent record retention failed");
    }
    let portals = match app.store.portals().await {
        Ok(p) => p,
        Err(err) => {
            tracing::warn!(error = %err, "audience retention: portals unreadable");
            return;
        }
    };
    for portal in portals {
        let (months, zone) = match app.store.privacy_settings(portal.id).await {
            Ok(s) => (s.audience_retention_months, parse_zone(&s.time_zone).unwrap_or(DEFAULT_ZONE)),
            Err(_) => (25, DEFAULT_ZONE),
        };
        let today = local_day(now, zone);
        if let Err(err) = app.store.delete_counts_before(portal.id, &retention_start(&today, months)).await {
            tracing::warn!(error = %err, portal = %portal.slug, "audience retention failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_counts_calendar_months() {
        assert_eq!(retention_start("2026-11-23", 25), "2024-10-23");
        assert_eq!(retention_start("2026-03-31", 1), "2026-02-28");
        assert_eq!(retention_start("2026-01-15", 1), "2025-12-15");
    }
}
