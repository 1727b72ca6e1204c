//! Application state shared by every handler.

use crate::audience::Audience;
use crate::config::WebConfig;
use crate::i18n::I18n;
use crate::privacy::ui_version::UiVersions;
use crate::session::Throttle;
use crate::templates::Templates;
use portail_catalog::Catalog;
use portail_store::MetadataStore;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Current time in Unix seconds; replaceable so tests can move time forward.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0))
}

pub struct App {
    pub config: WebConfig,
    pub store: Arc<dyn MetadataStore>,
    /// Datasets on disk: imports, versions, jobs.
    pub catalog: Catalog,
    pub i18n: Arc<I18n>,
    pub templates: Templates,
    pub throttle: Throttle,
    pub clock: Clock,
    /// Hash of the banner and panel per language (REC-4).
    pub ui_versions: UiVersions,
    /// Audience counters waiting to be written (AN-4).
    pub audience: Audience,
    /// Dataset versions held in memory and open indexes, for queries.
    pub tables: portail_query::Tables,
    /// The offline country database, when the platform has one (AN-7).
    pub countries: Option<crate::audience::CountryDb>,
    /// The day's API calls per portal, against `api_daily_quota`.
    pub quota: crate::api::quota::Quota,
    platform_secret: tokio::sync::OnceCell<[u8; 32]>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    pub fn new(
        config: WebConfig,
        store: Arc<dyn MetadataStore>,
        catalog: Catalog,
        clock: Clock,
    ) -> Result<App, String> {
        let i18n = Arc::new(I18n::load()?);
        let templates = Templates::new(i18n.clone())?;
        let countries = config.geoip_country_db.as_deref().map(crate::audience::CountryDb::load).transpose()?;
        Ok(App {
            countries,
            tables: portail_query::Tables::new(config.query_settings()),
            config,
            store,
            catalog,
            i18n,
            templates,
            throttle: Throttle::default(),
            clock,
            ui_versions: UiVersions::compute(),
            audience: Audience::default(),
            quota: Default::default(),
            platform_secret: tokio::sync::OnceCell::new(),
        })
    }

    /// The platform secret consent cookies are keyed from, read from the store once.
    pub async fn platform_secret(&self) -> Result<&[u8; 32], portail_store::StoreError> {
        self.platform_secret.get_or_try_init(|| self.store.platform_secret("cookies_preferences")).await
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
