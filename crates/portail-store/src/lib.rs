//! The metadata store: portals, accounts, sessions, secrets, datasets, jobs, and what consent
//! and audience measurement keep ([`privacy`]).
//!
//! Callers hold an `Arc<dyn MetadataStore>` and never see SQL, so a PostgreSQL backend can be added
//! beside [`SqliteStore`] without touching them. Times are Unix seconds passed in by the caller,
//! which keeps expiry testable with an injected clock.

mod error;
mod migrate;
pub mod privacy;
mod sqlite;
mod sqlite_privacy;

pub use error::StoreError;
pub use privacy::{AudienceStore, PageStore, PrivacyStore};
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use portail_core::{FieldOverride, Lang, Localized, Portal, Role, Schema};
use std::collections::BTreeMap;

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

/// A file attached to a dataset: what it is; its bytes are in the dataset's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// `stations_zip` for `stations.zip`: unique within the dataset.
    pub attachment_id: String,
    /// The file name as uploaded.
    pub title: String,
    pub mimetype: String,
    pub size: i64,
    pub created_at: i64,
}

/// An API key as its owner sees it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub portal_id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The key reads only what anonymous callers read, whatever its owner may see.
    pub public_only: bool,
}

/// What publishers say about a dataset beyond its title and description: the rest of
/// Opendatasoft's `default` metadata template that portals fill in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DatasetMetas {
    pub theme: Vec<String>,
    pub keyword: Vec<String>,
    pub license: String,
    pub license_url: String,
    pub publisher: String,
    /// Fields the publisher made facets (`annotations.facet`), in schema order.
    pub facets: Vec<String>,
    /// The fields' other annotations (separators, facet order, units…), by field name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, portail_core::Annotations>,
    /// The RDF class of the records in the RDF exports (the publisher's semantic mapping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdf_class: Option<String>,
    /// The title, description and field labels in languages other than the portal's (the
    /// metadata's own), by language code: what `lang` and the visitor's language show.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
}

/// A dataset's metadata in another language; what is left empty stays in the original.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Translation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Field labels, by field name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Translation {
    pub fn is_empty(&self) -> bool {
        self.title.is_empty() && self.description.is_empty() && self.labels.is_empty()
    }
}

impl DatasetRecord {
    /// This dataset's title and description in `lang`, where the publisher translated them.
    pub fn localize(&mut self, lang: portail_core::Lang) {
        let Some(t) = self.metas.translations.get(lang.code()) else { return };
        if !t.title.is_empty() {
            self.title = t.title.clone();
        }
        if !t.description.is_empty() {
            self.description = t.description.clone();
        }
    }

    /// `schema`'s labels in `lang`, where the publisher translated them.
    pub fn localize_labels(&self, lang: portail_core::Lang, schema: &mut portail_core::Schema) {
        let Some(t) = self.metas.translations.get(lang.code()) else { return };
        for f in &mut schema.fields {
            if let Some(label) = t.labels.get(&f.name).filter(|l| !l.is_empty()) {
                f.label = label.clone();
            }
        }
    }
}

impl DatasetMetas {
    /// The fields the publisher made part of the record id.
    pub fn id_fields(&self) -> Vec<String> {
        self.fields.iter().filter(|(_, a)| a.id).map(|(name, _)| name.clone()).collect()
    }

    /// `schema` with this metadata's annotations on its fields.
    pub fn annotate(&self, schema: &mut portail_core::Schema) {
        for f in &mut schema.fields {
            f.annotations = self.annotations(&f.name);
        }
    }

    /// Every annotation of the field `name`, whether it is a facet included.
    pub fn annotations(&self, name: &str) -> portail_core::Annotations {
        let mut out = self.fields.get(name).cloned().unwrap_or_default();
        out.facet = self.facets.iter().any(|f| f == name);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRecord {
    /// Internal, immutable id (`da_xxxxxx`), used on disk and by the Automation API.
    pub uid: String,
    pub portal_id: i64,
    /// Public, human-readable id used in URLs (`equipements`).
    pub dataset_id: String,
    pub title: String,
    pub description: String,
    pub published: bool,
    pub restricted: bool,
    pub current_version: Option<i64>,
    pub overrides: BTreeMap<String, FieldOverride>,
    pub metas: DatasetMetas,
    pub created_at: i64,
    pub modified_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub version: i64,
    pub created_at: i64,
    pub rows: i64,
    pub schema: Schema,
    /// SHA-256 of the source file.
    pub checksum: String,
    pub source_name: String,
    pub source_size: i64,
    /// Reader options the version was imported with (JSON), so a reprocess can reuse them.
    pub options: serde_json::Value,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Failed,
    Done,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Failed => "failed",
            JobStatus::Done => "done",
        }
    }

    fn parse(s: &str) -> JobStatus {
        match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "failed" => JobStatus::Failed,
            _ => JobStatus::Done,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: i64,
    pub portal_id: i64,
    pub dataset_id: String,
    pub kind: String,
    pub status: JobStatus,
    pub params: serde_json::Value,
    pub message: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[async_trait]
pub trait MetadataStore: PrivacyStore + PageStore + AudienceStore + Send + Sync + 'static {
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

    /// Stores a new key of `user_id` by the digest of its value; returns the key's id.
    async fn create_api_key(&self, key: &ApiKeyRecord, key_digest: &str) -> Result<i64>;
    /// The keys of one user of one portal, newest first.
    async fn api_keys(&self, portal_id: i64, user_id: i64) -> Result<Vec<ApiKeyRecord>>;
    /// The key with this digest, if any.
    async fn api_key(&self, key_digest: &str) -> Result<Option<ApiKeyRecord>>;
    /// Deletes a key of `user_id` on `portal_id`; false when there is no such key of theirs.
    async fn delete_api_key(&self, portal_id: i64, user_id: i64, id: i64) -> Result<bool>;
    async fn touch_api_key(&self, id: i64, now: i64) -> Result<()>;

    /// Adds an attachment to a dataset, replacing one of the same id.
    async fn put_attachment(&self, dataset_uid: &str, attachment: &AttachmentRecord) -> Result<()>;
    /// A dataset's attachments, by id.
    async fn attachments(&self, dataset_uid: &str) -> Result<Vec<AttachmentRecord>>;
    /// Removes one; false when the dataset has no such attachment.
    async fn delete_attachment(&self, dataset_uid: &str, attachment_id: &str) -> Result<bool>;

    async fn create_dataset(
        &self,
        portal_id: i64,
        uid: &str,
        dataset_id: &str,
        title: &str,
        now: i64,
    ) -> Result<DatasetRecord>;
    async fn dataset(&self, portal_id: i64, dataset_id: &str) -> Result<Option<DatasetRecord>>;
    async fn datasets(&self, portal_id: i64) -> Result<Vec<DatasetRecord>>;
    async fn set_published(&self, uid: &str, published: bool, now: i64) -> Result<()>;
    async fn set_restricted(&self, uid: &str, restricted: bool, now: i64) -> Result<()>;
    async fn set_dataset_texts(&self, uid: &str, title: &str, description: &str, now: i64) -> Result<()>;
    /// Title, description and the other descriptive metadata, together.
    async fn set_dataset_metadata(
        &self,
        uid: &str,
        title: &str,
        description: &str,
        metas: &DatasetMetas,
        now: i64,
    ) -> Result<()>;
    async fn set_overrides(&self, uid: &str, overrides: &BTreeMap<String, FieldOverride>, now: i64) -> Result<()>;
    async fn delete_dataset(&self, uid: &str) -> Result<()>;
    /// Records a version and makes it the current one, in one transaction; versions beyond the
    /// newest `keep` are forgotten and returned so their files can be removed.
    async fn add_version(&self, uid: &str, version: &VersionRecord, keep: usize, now: i64) -> Result<Vec<i64>>;
    async fn versions(&self, uid: &str) -> Result<Vec<VersionRecord>>;
    async fn version(&self, uid: &str, version: i64) -> Result<Option<VersionRecord>>;
    /// Makes an existing version current (rollback).
    async fn switch_version(&self, uid: &str, version: i64, now: i64) -> Result<()>;

    async fn create_job(
        &self,
        portal_id: i64,
        dataset_id: &str,
        kind: &str,
        params: &serde_json::Value,
        now: i64,
    ) -> Result<JobRecord>;
    /// Takes the oldest queued job whose dataset has no running job, and marks it running.
    async fn claim_job(&self, now: i64) -> Result<Option<JobRecord>>;
    async fn start_job(&self, id: i64, now: i64) -> Result<()>;
    async fn finish_job(&self, id: i64, status: JobStatus, message: &str, now: i64) -> Result<()>;
    /// Jobs of this dataset left `running` by a process that died (all but `except`) are marked
    /// failed. Callers hold the dataset's lock, so no other job can really be running.
    async fn fail_stale_jobs(&self, portal_id: i64, dataset_id: &str, except: i64, now: i64) -> Result<()>;
    async fn jobs(&self, portal_id: i64, limit: i64) -> Result<Vec<JobRecord>>;

    /// A platform-wide secret of 32 random bytes, created on first use and stable afterwards.
    async fn platform_secret(&self, name: &str) -> Result<[u8; 32]>;
}
