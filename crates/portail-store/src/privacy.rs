//! What the consent and audience-measurement features keep: per-portal privacy settings, the
//! third-party integrations an admin enabled, immutable choice records, archived banner versions,
//! content pages and audience aggregates. Split in three traits by domain; [`crate::MetadataStore`]
//! includes them so callers keep one handle.

use crate::Result;
use async_trait::async_trait;
use portail_core::Localized;
use serde::{Deserialize, Serialize};

/// A cookie a third-party vendor is known to set (REG-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCookie {
    pub name: String,
    /// The vendor's host the cookie belongs to.
    pub domain: String,
    pub max_age_s: i64,
    pub purpose: Localized,
}

/// One integration enabled on a portal; `kind` names a compiled-in integration definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationConfig {
    pub kind: String,
    pub vendor: String,
    /// `scheme://host[:port]` the integration loads content from (CSP, TP-1).
    pub origin: String,
    pub privacy_url: String,
    pub cookies: Vec<VendorCookie>,
    pub enabled_at: i64,
    /// A path on `origin` the integration loads (the `extanalytics` script); empty when none.
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivacySettings {
    pub consent_revision: i64,
    pub consent_changed_at: i64,
    pub privacy_contact: String,
    pub audience_retention_months: i64,
    /// IANA zone of the portal's audience days; empty for the platform's default.
    pub time_zone: String,
    /// AN-7: count countries (needs the platform's offline database).
    pub audience_country: bool,
    /// POL-7: the admin's plain text before the policy's first section and after its last.
    pub policy_text: PolicyText,
    /// Sorted by kind.
    pub integrations: Vec<IntegrationConfig>,
}

/// POL-7: free text an admin adds around the generated cookie policy, per language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyText {
    pub before: Localized,
    pub after: Localized,
}

/// REC-1, column for column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRecord {
    pub record_id: String,
    pub portal_id: i64,
    pub decided_at: i64,
    pub consent_version: String,
    pub ui_version: String,
    pub language: String,
    pub source: String,
    /// Purpose key → `granted` | `denied`, every purpose of the version written explicitly.
    pub purposes: std::collections::BTreeMap<String, String>,
    pub audience: String,
    pub signal_present: bool,
    pub previous_record_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UiVersion {
    pub ui_version: String,
    pub language: String,
    pub content: String,
    pub first_seen: i64,
}

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Defaults for a portal that never changed anything.
    async fn privacy_settings(&self, portal_id: i64) -> Result<PrivacySettings>;
    /// Enables or reconfigures an integration; the consent version changes, so `now` is recorded.
    async fn put_integration(&self, portal_id: i64, integration: &IntegrationConfig, now: i64) -> Result<()>;
    async fn remove_integration(&self, portal_id: i64, kind: &str, now: i64) -> Result<()>;
    /// "Ask visitors again" (ASK-2).
    async fn bump_consent_revision(&self, portal_id: i64, now: i64) -> Result<()>;
    async fn set_privacy_contact(&self, portal_id: i64, contact: &str) -> Result<()>;
    async fn set_audience_retention(&self, portal_id: i64, months: i64) -> Result<()>;
    /// The name is checked by the caller (the store knows no zone database).
    async fn set_time_zone(&self, portal_id: i64, zone: &str) -> Result<()>;
    async fn set_audience_country(&self, portal_id: i64, on: bool) -> Result<()>;
    /// POL-7: replaces the free text around the policy page (the generated sections stay).
    async fn set_policy_text(&self, portal_id: i64, text: &PolicyText) -> Result<()>;

    async fn add_consent_record(&self, record: &ConsentRecord) -> Result<()>;
    /// Records of a portal decided in `[from, to)`, oldest first.
    async fn consent_records(&self, portal_id: i64, from: i64, to: i64) -> Result<Vec<ConsentRecord>>;
    /// REC-3: deletes records decided before `cutoff`, then archived UI versions no record uses.
    async fn delete_consent_records_before(&self, cutoff: i64) -> Result<u64>;
    /// Archives a UI version the first time it is seen (REC-4); returns its first-seen time.
    async fn archive_ui_version(&self, version: &UiVersion) -> Result<i64>;
    async fn ui_versions(&self, ids: &[String]) -> Result<Vec<UiVersion>>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentPage {
    pub slug: String,
    pub title: Localized,
    /// HTML as the back office stored it (sanitized, third-party embeds as markers: TP-6).
    pub body: Localized,
    /// Unix seconds of the last save.
    pub updated_at: i64,
}

#[async_trait]
pub trait PageStore: Send + Sync {
    async fn put_page(&self, portal_id: i64, page: &ContentPage) -> Result<()>;
    async fn page(&self, portal_id: i64, slug: &str) -> Result<Option<ContentPage>>;
    async fn pages(&self, portal_id: i64) -> Result<Vec<ContentPage>>;
    /// Whether a page was there to delete.
    async fn delete_page(&self, portal_id: i64, slug: &str) -> Result<bool>;
}

/// The dimensions of audience measurement (AN-4), each kept in its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Front-office page views per path; the only dimension with an hour (see [`Count::hour`]).
    Pageviews,
    Visitors,
    Referrers,
    Browsers,
    Systems,
    Devices,
    Languages,
    Datasets,
    ApiCalls,
    Exports,
    Embeds,
    Searches,
    /// AN-7, only when the portal turned it on.
    Countries,
}

impl Dimension {
    pub const ALL: [Dimension; 13] = [
        Dimension::Pageviews,
        Dimension::Visitors,
        Dimension::Referrers,
        Dimension::Browsers,
        Dimension::Systems,
        Dimension::Devices,
        Dimension::Languages,
        Dimension::Datasets,
        Dimension::ApiCalls,
        Dimension::Exports,
        Dimension::Embeds,
        Dimension::Searches,
        Dimension::Countries,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Pageviews => "pageviews",
            Dimension::Visitors => "visitors",
            Dimension::Referrers => "referrers",
            Dimension::Browsers => "browsers",
            Dimension::Systems => "systems",
            Dimension::Devices => "devices",
            Dimension::Languages => "languages",
            Dimension::Datasets => "datasets",
            Dimension::ApiCalls => "api_calls",
            Dimension::Exports => "exports",
            Dimension::Embeds => "embeds",
            Dimension::Searches => "searches",
            Dimension::Countries => "countries",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The table holding this dimension: a closed list, never built from user text.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Dimension::Pageviews => "audience_pageviews",
            Dimension::Visitors => "audience_visitors",
            Dimension::Referrers => "audience_referrers",
            Dimension::Browsers => "audience_browsers",
            Dimension::Systems => "audience_systems",
            Dimension::Devices => "audience_devices",
            Dimension::Languages => "audience_languages",
            Dimension::Datasets => "audience_datasets",
            Dimension::ApiCalls => "audience_api_calls",
            Dimension::Exports => "audience_exports",
            Dimension::Embeds => "audience_embeds",
            Dimension::Searches => "audience_searches",
            Dimension::Countries => "audience_countries",
        }
    }
}

/// One counter increment: `count` more for (portal, day, key) in `dimension`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub portal_id: i64,
    pub dimension: Dimension,
    /// `YYYY-MM-DD` in the portal's time zone.
    pub day: String,
    /// Page views only: hour of the day (0–23).
    pub hour: u8,
    pub key: String,
    pub count: i64,
    /// Searches only: how many of them found nothing.
    pub zero_results: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub day: String,
    pub key: String,
    pub count: i64,
    pub zero_results: i64,
}

#[async_trait]
pub trait AudienceStore: Send + Sync {
    /// Adds every increment in one transaction.
    async fn add_counts(&self, counts: &[Count]) -> Result<()>;
    /// Rows of one dimension for days in `[from_day, to_day]`; page views are summed over hours.
    async fn counts(&self, portal_id: i64, dimension: Dimension, from_day: &str, to_day: &str)
        -> Result<Vec<CountRow>>;
    /// AN-8: deletes every aggregate of the portal dated before `day`.
    async fn delete_counts_before(&self, portal_id: i64, day: &str) -> Result<u64>;
    /// AN-9: an admin deletes a search term everywhere.
    async fn delete_search_term(&self, portal_id: i64, term: &str) -> Result<u64>;
}
