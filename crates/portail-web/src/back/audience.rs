//! `/backoffice/audience/`: the portal's own statistics (AN-10) for the last 30, 90 or 365 days,
//! drawn on the server as bars (no script), a CSV export of the same aggregates, and the deletion
//! of a search term (AN-9). Admins and editors only.

use crate::audience::{days_before, local_day};
use crate::context::{form_value, query_value, see_other, Ctx};
use crate::housekeeping::flush_audience;
use axum::body::Bytes;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use portail_core::{Code, Role};
use portail_store::privacy::{CountRow, Dimension};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn allowed(ctx: &Ctx) -> Option<Response> {
    match ctx.identity.as_ref() {
        None => Some(see_other("/login/?next=/backoffice/audience/")),
        Some(u) if u.role == Role::Viewer => Some(ctx.error(Code::Forbidden, "error-403-forbidden")),
        Some(_) => None,
    }
}

fn period(uri: &Uri) -> i64 {
    let asked = query_value(uri.query(), "days").and_then(|d| d.parse::<i64>().ok());
    asked.filter(|d| [90, 365].contains(d)).unwrap_or(30)
}

async fn load(ctx: &Ctx, days: i64) -> Result<(String, String, BTreeMap<Dimension, Vec<CountRow>>), Response> {
    // Counters still in memory are written first so the page shows the latest numbers.
    flush_audience(&ctx.app).await;
    let now = ctx.app.now();
    let zone = ctx.site.privacy.zone();
    let to = local_day(now, zone);
    let from = days_before(&to, days - 1);
    let mut out = BTreeMap::new();
    for d in Dimension::ALL {
        match ctx.app.store.counts(ctx.site.portal.id, d, &from, &to).await {
            Ok(rows) => _ = out.insert(d, rows),
            Err(err) => {
                tracing::error!(error = %err, "reading audience failed");
                return Err(ctx.error(Code::Internal, "error-500-body"));
            }
        }
    }
    Ok((from, to, out))
}

/// Rows summed per key, largest first, with a bar width in percent of the largest.
fn top(rows: &[CountRow], limit: usize) -> Vec<Value> {
    let mut sums: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = sums.entry(&r.key).or_default();
        e.0 += r.count;
        e.1 += r.zero_results;
    }
    let mut sorted: Vec<_> = sums.into_iter().collect();
    sorted.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let max = sorted.first().map_or(1, |s| s.1 .0.max(1));
    sorted
        .into_iter()
        .take(limit)
        .map(|(k, (n, zero))| json!({"key": k, "count": n, "zero": zero, "width": n * 100 / max}))
        .collect()
}

/// One bar per day of the period, zero-filled.
fn per_day(rows: &[CountRow], days: i64, today: &str) -> Vec<Value> {
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for r in rows {
        *sums.entry(&r.day).or_default() += r.count;
    }
    let series: Vec<(String, i64)> = (0..days)
        .rev()
        .map(|back| {
            let day = days_before(today, back);
            let n = sums.get(day.as_str()).copied().unwrap_or(0);
            (day, n)
        })
        .collect();
    let max = series.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    series.into_iter().map(|(day, n)| json!({"key": day, "count": n, "width": n * 100 / max})).collect()
}

pub async fn page(ctx: Ctx, uri: Uri) -> Response {
    if let Some(refusal) = allowed(&ctx) {
        return refusal;
    }
    let days = period(&uri);
    let (from, to, data) = match load(&ctx, days).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let total = |d: Dimension| data[&d].iter().map(|r| r.count).sum::<i64>();
    let page = ctx
        .page("backoffice_audience.html")
        .with_form()
        .with("days", days)
        .with("from", from)
        .with("to", &to)
        .with("total_views", total(Dimension::Pageviews))
        .with("total_visitors", total(Dimension::Visitors))
        .with("views_per_day", per_day(&data[&Dimension::Pageviews], days, &to))
        .with("visitors_per_day", per_day(&data[&Dimension::Visitors], days, &to))
        .with("pages", top(&data[&Dimension::Pageviews], 20))
        .with("referrers", top(&data[&Dimension::Referrers], 20))
        .with("browsers", top(&data[&Dimension::Browsers], 10))
        .with("systems", top(&data[&Dimension::Systems], 10))
        .with("devices", top(&data[&Dimension::Devices], 5))
        .with("languages", top(&data[&Dimension::Languages], 5))
        .with("datasets", top(&data[&Dimension::Datasets], 20))
        .with("api_calls", top(&data[&Dimension::ApiCalls], 20))
        .with("exports", top(&data[&Dimension::Exports], 20))
        .with("embeds", top(&data[&Dimension::Embeds], 20))
        .with("searches", top(&data[&Dimension::Searches], 30))
        .with("countries", top(&data[&Dimension::Countries], 30))
        .with("country_on", ctx.site.privacy.settings.audience_country);
    ctx.render(page)
}

fn csv_field(s: &str) -> String {
    // Formula injection: a leading =, +, - or @ is neutralised for spreadsheet users.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The same aggregates as CSV: `dimension,day,key,count,zero_results`.
pub async fn csv(ctx: Ctx, uri: Uri) -> Response {
    if let Some(refusal) = allowed(&ctx) {
        return refusal;
    }
    let days = period(&uri);
    let (_, _, data) = match load(&ctx, days).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut out = String::from("dimension,day,key,count,zero_results\n");
    for (d, rows) in &data {
        for r in rows {
            out.push_str(&format!("{},{},{},{},{}\n", d.as_str(), r.day, csv_field(&r.key), r.count, r.zero_results));
        }
    }
    let name = format!("attachment; filename=\"audience-{}-{days}d.csv\"", ctx.site.portal.slug);
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

pub async fn delete_term(ctx: Ctx, body: Bytes) -> Response {
    if let Some(refusal) = allowed(&ctx) {
        return refusal;
    }
    let term = form_value(&body, "term").unwrap_or_default();
    flush_audience(&ctx.app).await;
    if let Err(err) = ctx.app.store.delete_search_term(ctx.site.portal.id, &term).await {
        tracing::error!(error = %err, "deleting a search term failed");
        return ctx.error(Code::Internal, "error-500-body");
    }
    see_other("/backoffice/audience/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("plain"), "plain");
    }
}
