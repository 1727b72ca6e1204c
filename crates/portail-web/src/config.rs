//! The part of the platform configuration the web layer reads. Built and validated by the CLI;
//! tests construct it directly.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct WebConfig {
    /// `<slug>.<base_domain>` reaches a portal; the bare domain reaches the default portal.
    pub base_domain: String,
    /// Slug of the portal served on the bare base domain, `localhost` and loopback addresses;
    /// `None` means the first portal created.
    pub default_portal: Option<String>,
    /// Shown as the provider of portail's own cookies on every policy page.
    pub operator_name: String,
    /// `sessionid` Max-Age and the absolute server-side expiry of a session.
    pub session_max_age_s: u32,
    /// A session unused for this long is refused (server side only; the cookie is not refreshed).
    pub session_idle_timeout_s: u32,
    /// Trust `X-Forwarded-Proto` and `X-Forwarded-For` from a reverse proxy in front of portail.
    pub trusted_proxy: bool,
    /// Portals are published over HTTPS (through a TLS-terminating proxy): cookies get `Secure`
    /// and the origin checks expect `https://`.
    pub public_https: bool,
    /// `cookies_preferences` Max-Age and the validity of a stored choice (ASK-1), in days (1–180).
    pub consent_max_age_days: u32,
    /// How long choice records are kept (REC-3), in days (180–395).
    pub consent_record_retention_days: u32,
    /// Decoded dataset versions kept in memory for queries, all together (MiB; 0: none).
    pub query_memory_budget_mb: u32,
    /// Records, facets and aggregation queries are stopped after this long.
    pub query_timeout_s: u32,
    /// Write an access log line per request, with masked addresses and no query (AN-11).
    pub access_log: bool,
    /// Offline country database (AN-7): a DB-IP or IP2Location LITE CSV; none, no country.
    pub geoip_country_db: Option<std::path::PathBuf>,
    /// API calls a portal answers per day (UTC), after which they get a 429; 0: no limit.
    pub api_daily_quota: u64,
}

impl WebConfig {
    pub fn consent_max_age_s(&self) -> i64 {
        i64::from(self.consent_max_age_days) * 86_400
    }

    pub fn query_settings(&self) -> portail_query::QuerySettings {
        portail_query::QuerySettings {
            memory_budget_bytes: u64::from(self.query_memory_budget_mb) << 20,
            timeout: std::time::Duration::from_secs(u64::from(self.query_timeout_s)),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            base_domain: "localhost".into(),
            default_portal: None,
            operator_name: "portail".into(),
            session_max_age_s: crate::privacy::registry::SESSION.max_age_s,
            session_idle_timeout_s: 2 * 86_400,
            trusted_proxy: false,
            public_https: false,
            consent_max_age_days: 180,
            consent_record_retention_days: 395,
            query_memory_budget_mb: 1024,
            query_timeout_s: 30,
            access_log: false,
            geoip_country_db: None,
            api_daily_quota: 0,
        }
    }
}
