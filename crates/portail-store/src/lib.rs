//! The metadata store: portals, accounts, sessions and secrets.
//!
//! Callers hold an `Arc<dyn MetadataStore>` and never see SQL, so a PostgreSQL backend can be added
//! beside [`SqliteStore`] without touching them. Times are Unix seconds passed in by the caller,
//! which keeps expiry testable with an injected clock.

mod error;
mod migrate;
mod sqlite;

pub use error::StoreError;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use portail_core::{Lang, Localized, Portal, Role};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What `portal create` and the demo ask for.
#[derive(Debug, Clone)]
pub struct NewPortal {
    pub slug: String,
    pub name: String,
    pub default_lang: Lang,
    pub langs: Vec<Lang>,
    pub title: Localized,
    pub description: Localized,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub portal_id: i64,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub portal_id: i64,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
    async fn create_portal(&self, portal: &NewPortal, now: i64) -> Result<Portal>;
    async fn portals(&self) -> Result<Vec<Portal>>;
    async fn portal_by_slug(&self, slug: &str) -> Result<Option<Portal>>;
    /// The portal registered for this exact (normalised) host name, if any.
    async fn portal_by_domain(&self, host: &str) -> Result<Option<Portal>>;
    async fn update_portal_texts(&self, portal_id: i64, title: &Localized, description: &Localized) -> Result<()>;

    /// `email` is compared case-insensitively; it is stored lowercased.
    async fn create_user(
        &self,
        portal_id: i64,
        email: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<UserRecord>;
    async fn user_by_email(&self, portal_id: i64, email: &str) -> Result<Option<UserRecord>>;
    async fn user_by_id(&self, user_id: i64) -> Result<Option<UserRecord>>;

    async fn create_session(&self, key_digest: &str, session: &SessionRecord) -> Result<()>;
    async fn session(&self, key_digest: &str) -> Result<Option<SessionRecord>>;
    async fn touch_session(&self, key_digest: &str, now: i64) -> Result<()>;
    async fn delete_session(&self, key_digest: &str) -> Result<()>;
    /// Removes sessions whose absolute expiry has passed; returns how many.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64>;

    /// A platform-wide secret of 32 random bytes, created on first use and stable afterwards.
    async fn platform_secret(&self, name: &str) -> Result<[u8; 32]>;
}
