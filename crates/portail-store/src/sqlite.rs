//! The embedded backend: one SQLite file in WAL mode with foreign keys on.

use crate::{
    migrate, ApiKeyRecord, AttachmentRecord, DatasetMetas, DatasetRecord, JobRecord, JobStatus, MetadataStore,
    NewPortal, Result, SessionRecord, StoreError, UserRecord, VersionRecord,
};
use async_trait::async_trait;
use portail_core::portal::{normalize_host, validate_slug};
use portail_core::FieldOverride;
use portail_core::{Lang, Localized, Portal, Role};
use rand::RngCore;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        migrate::run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// A private in-memory database, for tests.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every connection to `:memory:` would be a different database.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        migrate::run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn load_portal(&self, row: SqliteRow) -> Result<Portal> {
        let id: i64 = row.get("id");
        let domains: Vec<(String,)> =
            sqlx::query_as("SELECT domain FROM portal_domains WHERE portal_id = ? ORDER BY domain")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let default_lang: String = row.get("default_lang");
        let langs: String = row.get("langs");
        Ok(Portal {
            id,
            slug: row.get("slug"),
            name: row.get("name"),
            default_lang: default_lang.parse().map_err(StoreError::Invalid)?,
            langs: Lang::parse_list(&langs).map_err(StoreError::Invalid)?,
            title: Localized::new(row.get::<String, _>("title_en"), row.get::<String, _>("title_fr")),
            description: Localized::new(row.get::<String, _>("description_en"), row.get::<String, _>("description_fr")),
            domains: domains.into_iter().map(|(d,)| d).collect(),
        })
    }
}

fn user_from_row(row: &SqliteRow) -> Result<UserRecord> {
    let role: String = row.get("role");
    Ok(UserRecord {
        id: row.get("id"),
        portal_id: row.get("portal_id"),
        email: row.get("email"),
        role: role.parse().map_err(StoreError::Invalid)?,
        password_hash: row.get("password_hash"),
    })
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

const DATASET_COLUMNS: &str =
    "uid, portal_id, dataset_id, title, description, published, restricted, current_version, overrides, metas, created_at, modified_at";
const VERSION_COLUMNS: &str =
    "version, created_at, rows, schema, checksum, source_name, source_size, options, warnings";
const JOB_COLUMNS: &str =
    "id, portal_id, dataset_id, kind, status, params, message, created_at, started_at, finished_at";

fn json_column<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> Result<T> {
    let text: String = row.get(column);
    serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("corrupt {column} column: {e}")))
}

fn dataset_from_row(row: &SqliteRow) -> Result<DatasetRecord> {
    let overrides: BTreeMap<String, FieldOverride> = json_column(row, "overrides")?;
    Ok(DatasetRecord {
        uid: row.get("uid"),
        portal_id: row.get("portal_id"),
        dataset_id: row.get("dataset_id"),
        title: row.get("title"),
        description: row.get("description"),
        published: row.get::<i64, _>("published") != 0,
        restricted: row.get::<i64, _>("restricted") != 0,
        current_version: row.get("current_version"),
        overrides,
        metas: json_column(row, "metas")?,
        created_at: row.get("created_at"),
        modified_at: row.get("modified_at"),
    })
}

fn version_from_row(row: &SqliteRow) -> Result<VersionRecord> {
    Ok(VersionRecord {
        version: row.get("version"),
        created_at: row.get("created_at"),
        rows: row.get("rows"),
        schema: json_column(row, "schema")?,
        checksum: row.get("checksum"),
        source_name: row.get("source_name"),
        source_size: row.get("source_size"),
        options: json_column(row, "options")?,
        warnings: json_column(row, "warnings")?,
    })
}

fn job_from_row(row: &SqliteRow) -> Result<JobRecord> {
    Ok(JobRecord {
        id: row.get("id"),
        portal_id: row.get("portal_id"),
        dataset_id: row.get("dataset_id"),
        kind: row.get("kind"),
        status: JobStatus::parse(&row.get::<String, _>("status")),
        params: json_column(row, "params")?,
        message: row.get("message"),
        created_at: row.get("created_at"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
    })
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

const PORTAL_COLUMNS: &str = "id, slug, name, default_lang, langs, title_en, title_fr, description_en, description_fr";

const API_KEY_COLUMNS: &str = "id, portal_id, user_id, name, key_prefix, created_at, last_used_at, public_only";

fn api_key_row(r: &SqliteRow) -> ApiKeyRecord {
    ApiKeyRecord {
        id: r.get("id"),
        portal_id: r.get("portal_id"),
        user_id: r.get("user_id"),
        name: r.get("name"),
        key_prefix: r.get("key_prefix"),
        public_only: r.get::<i64, _>("public_only") != 0,
        created_at: r.get("created_at"),
        last_used_at: r.get("last_used_at"),
    }
}

#[async_trait]
impl MetadataStore for SqliteStore {
    async fn create_portal(&self, p: &NewPortal, now: i64) -> Result<Portal> {
        validate_slug(&p.slug).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if !p.langs.contains(&p.default_lang) {
            return Err(StoreError::Invalid(format!(
                "the default language `{}` must be one of the offered languages",
                p.default_lang
            )));
        }
        let langs: Vec<&str> = p.langs.iter().map(|l| l.code()).collect();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO portals (slug, name, default_lang, langs, title_en, title_fr, description_en, description_fr, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.slug)
        .bind(&p.name)
        .bind(p.default_lang.code())
        .bind(langs.join(","))
        .bind(&p.title.en)
        .bind(&p.title.fr)
        .bind(&p.description.en)
        .bind(&p.description.fr)
        .bind(now)
        .execute(&mut *tx)
        .await;
        let id = match inserted {
            Ok(done) => done.last_insert_rowid(),
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!("a portal with slug `{}` already exists", p.slug)))
            }
            Err(e) => return Err(e.into()),
        };
        // The consent version of a new portal dates from its creation (gpc.json `lastUpdate`).
        sqlx::query("INSERT INTO portal_privacy (portal_id, consent_changed_at) VALUES (?, ?)")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for domain in &p.domains {
            let domain = normalize_host(domain);
            let res = sqlx::query("INSERT INTO portal_domains (domain, portal_id) VALUES (?, ?)")
                .bind(&domain)
                .bind(id)
                .execute(&mut *tx)
                .await;
            match res {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!("the domain `{domain}` already belongs to a portal")))
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        self.portal_by_slug(&p.slug).await?.ok_or_else(|| StoreError::Invalid("portal vanished after creation".into()))
    }

    async fn portals(&self) -> Result<Vec<Portal>> {
        let rows =
            sqlx::query(&format!("SELECT {PORTAL_COLUMNS} FROM portals ORDER BY id")).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.load_portal(row).await?);
        }
        Ok(out)
    }

    async fn portal_by_slug(&self, slug: &str) -> Result<Option<Portal>> {
        let row = sqlx::query(&format!("SELECT {PORTAL_COLUMNS} FROM portals WHERE slug = ?"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.load_portal(row).await?)),
            None => Ok(None),
        }
    }

    async fn portal_by_domain(&self, host: &str) -> Result<Option<Portal>> {
        let row = sqlx::query(&format!(
            "SELECT {PORTAL_COLUMNS} FROM portals WHERE id = (SELECT portal_id FROM portal_domains WHERE domain = ?)"
        ))
        .bind(normalize_host(host))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.load_portal(row).await?)),
            None => Ok(None),
        }
    }

    async fn update_portal_texts(&self, portal_id: i64, title: &Localized, description: &Localized) -> Result<()> {
        sqlx::query(
            "UPDATE portals SET title_en = ?, title_fr = ?, description_en = ?, description_fr = ? WHERE id = ?",
        )
        .bind(&title.en)
        .bind(&title.fr)
        .bind(&description.en)
        .bind(&description.fr)
        .bind(portal_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_user(
        &self,
        portal_id: i64,
        email: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<UserRecord> {
        portail_core::user::validate_email(email).map_err(StoreError::Invalid)?;
        let email = email.to_lowercase();
        let res =
            sqlx::query("INSERT INTO users (portal_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)")
                .bind(portal_id)
                .bind(&email)
                .bind(password_hash)
                .bind(role.as_str())
                .bind(now)
                .execute(&self.pool)
                .await;
        match res {
            Ok(done) => Ok(UserRecord {
                id: done.last_insert_rowid(),
                portal_id,
                email,
                role,
                password_hash: password_hash.to_owned(),
            }),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(format!("the user `{email}` already exists on this portal")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_email(&self, portal_id: i64, email: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT id, portal_id, email, password_hash, role FROM users WHERE portal_id = ? AND email = ?",
        )
        .bind(portal_id)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_id(&self, user_id: i64) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT id, portal_id, email, password_hash, role FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_session(&self, key_digest: &str, s: &SessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (key_digest, portal_id, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(key_digest)
        .bind(s.portal_id)
        .bind(s.user_id)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(s.last_seen_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, key_digest: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT portal_id, user_id, created_at, expires_at, last_seen_at FROM sessions WHERE key_digest = ?",
        )
        .bind(key_digest)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SessionRecord {
            portal_id: r.get("portal_id"),
            user_id: r.get("user_id"),
            created_at: r.get("created_at"),
            expires_at: r.get("expires_at"),
            last_seen_at: r.get("last_seen_at"),
        }))
    }

    async fn touch_session(&self, key_digest: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE key_digest = ?")
            .bind(now)
            .bind(key_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, key_digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE key_digest = ?").bind(key_digest).execute(&self.pool).await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn create_api_key(&self, key: &ApiKeyRecord, key_digest: &str) -> Result<i64> {
        let done = sqlx::query(
            "INSERT INTO api_keys (portal_id, user_id, name, key_digest, key_prefix, created_at, public_only) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.portal_id)
        .bind(key.user_id)
        .bind(&key.name)
        .bind(key_digest)
        .bind(&key.key_prefix)
        .bind(key.created_at)
        .bind(key.public_only)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    async fn api_keys(&self, portal_id: i64, user_id: i64) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE portal_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC"
        ))
        .bind(portal_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(api_key_row).collect())
    }

    async fn api_key(&self, key_digest: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(&format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_digest = ?"))
            .bind(key_digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(api_key_row))
    }

    async fn delete_api_key(&self, portal_id: i64, user_id: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = ? AND portal_id = ? AND user_id = ?")
            .bind(id)
            .bind(portal_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_attachment(&self, dataset_uid: &str, a: &AttachmentRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO attachments (dataset_uid, attachment_id, title, mimetype, size, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (dataset_uid, attachment_id) DO UPDATE SET title = excluded.title, mimetype = excluded.mimetype, \
             size = excluded.size, created_at = excluded.created_at",
        )
        .bind(dataset_uid)
        .bind(&a.attachment_id)
        .bind(&a.title)
        .bind(&a.mimetype)
        .bind(a.size)
        .bind(a.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn attachments(&self, dataset_uid: &str) -> Result<Vec<AttachmentRecord>> {
        let rows = sqlx::query(
            "SELECT attachment_id, title, mimetype, size, created_at FROM attachments WHERE dataset_uid = ? ORDER BY attachment_id",
        )
        .bind(dataset_uid)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AttachmentRecord {
                attachment_id: r.get("attachment_id"),
                title: r.get("title"),
                mimetype: r.get("mimetype"),
                size: r.get("size"),
                created_at: r.get("created_at"),
            })
            .collect())
    }

    async fn delete_attachment(&self, dataset_uid: &str, attachment_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM attachments WHERE dataset_uid = ? AND attachment_id = ?")
            .bind(dataset_uid)
            .bind(attachment_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_api_key(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?").bind(now).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn create_dataset(
        &self,
        portal_id: i64,
        uid: &str,
        dataset_id: &str,
        title: &str,
        now: i64,
    ) -> Result<DatasetRecord> {
        let res = sqlx::query(
            "INSERT INTO datasets (uid, portal_id, dataset_id, title, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(uid)
        .bind(portal_id)
        .bind(dataset_id)
        .bind(title)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!("a dataset `{dataset_id}` already exists on this portal")))
            }
            Err(e) => return Err(e.into()),
        }
        self.dataset(portal_id, dataset_id).await?.ok_or_else(|| StoreError::Invalid("dataset vanished".into()))
    }

    async fn dataset(&self, portal_id: i64, dataset_id: &str) -> Result<Option<DatasetRecord>> {
        let row =
            sqlx::query(&format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE portal_id = ? AND dataset_id = ?"))
                .bind(portal_id)
                .bind(dataset_id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    async fn datasets(&self, portal_id: i64) -> Result<Vec<DatasetRecord>> {
        let rows =
            sqlx::query(&format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE portal_id = ? ORDER BY dataset_id"))
                .bind(portal_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(dataset_from_row).collect()
    }

    async fn set_published(&self, uid: &str, published: bool, now: i64) -> Result<()> {
        sqlx::query("UPDATE datasets SET published = ?, modified_at = ? WHERE uid = ?")
            .bind(i64::from(published))
            .bind(now)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_restricted(&self, uid: &str, restricted: bool, now: i64) -> Result<()> {
        sqlx::query("UPDATE datasets SET restricted = ?, modified_at = ? WHERE uid = ?")
            .bind(i64::from(restricted))
            .bind(now)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_dataset_texts(&self, uid: &str, title: &str, description: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE datasets SET title = ?, description = ?, modified_at = ? WHERE uid = ?")
            .bind(title)
            .bind(description)
            .bind(now)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_dataset_metadata(
        &self,
        uid: &str,
        title: &str,
        description: &str,
        metas: &DatasetMetas,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE datasets SET title = ?, description = ?, metas = ?, modified_at = ? WHERE uid = ?")
            .bind(title)
            .bind(description)
            .bind(to_json(metas)?)
            .bind(now)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_overrides(&self, uid: &str, overrides: &BTreeMap<String, FieldOverride>, now: i64) -> Result<()> {
        sqlx::query("UPDATE datasets SET overrides = ?, modified_at = ? WHERE uid = ?")
            .bind(to_json(overrides)?)
            .bind(now)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_dataset(&self, uid: &str) -> Result<()> {
        sqlx::query("DELETE FROM datasets WHERE uid = ?").bind(uid).execute(&self.pool).await?;
        Ok(())
    }

    async fn add_version(&self, uid: &str, v: &VersionRecord, keep: usize, now: i64) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO dataset_versions (dataset_uid, {VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(uid)
        .bind(v.version)
        .bind(v.created_at)
        .bind(v.rows)
        .bind(to_json(&v.schema)?)
        .bind(&v.checksum)
        .bind(&v.source_name)
        .bind(v.source_size)
        .bind(to_json(&v.options)?)
        .bind(to_json(&v.warnings)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE datasets SET current_version = ?, modified_at = ? WHERE uid = ?")
            .bind(v.version)
            .bind(now)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        let old: Vec<(i64,)> = sqlx::query_as(
            "SELECT version FROM dataset_versions WHERE dataset_uid = ? ORDER BY version DESC LIMIT -1 OFFSET ?",
        )
        .bind(uid)
        .bind(keep.max(1) as i64)
        .fetch_all(&mut *tx)
        .await?;
        for (version,) in &old {
            sqlx::query("DELETE FROM dataset_versions WHERE dataset_uid = ? AND version = ?")
                .bind(uid)
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(old.into_iter().map(|(v,)| v).collect())
    }

    async fn versions(&self, uid: &str) -> Result<Vec<VersionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM dataset_versions WHERE dataset_uid = ? ORDER BY version"
        ))
        .bind(uid)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn version(&self, uid: &str, version: i64) -> Result<Option<VersionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM dataset_versions WHERE dataset_uid = ? AND version = ?"
        ))
        .bind(uid)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    async fn switch_version(&self, uid: &str, version: i64, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE datasets SET current_version = ?, modified_at = ? WHERE uid = ?
             AND EXISTS (SELECT 1 FROM dataset_versions WHERE dataset_uid = ? AND version = ?)",
        )
        .bind(version)
        .bind(now)
        .bind(uid)
        .bind(uid)
        .bind(version)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Invalid(format!("version {version} is not kept for this dataset")));
        }
        Ok(())
    }

    async fn create_job(
        &self,
        portal_id: i64,
        dataset_id: &str,
        kind: &str,
        params: &serde_json::Value,
        now: i64,
    ) -> Result<JobRecord> {
        let done = sqlx::query("INSERT INTO jobs (portal_id, dataset_id, kind, status, params, created_at) VALUES (?, ?, ?, 'queued', ?, ?)")
            .bind(portal_id)
            .bind(dataset_id)
            .bind(kind)
            .bind(to_json(params)?)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"))
            .bind(done.last_insert_rowid())
            .fetch_one(&self.pool)
            .await?;
        job_from_row(&row)
    }

    async fn claim_job(&self, now: i64) -> Result<Option<JobRecord>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j WHERE status = 'queued' AND NOT EXISTS (
                 SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.portal_id = j.portal_id AND r.dataset_id = j.dataset_id)
             ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut job = job_from_row(&row)?;
        sqlx::query("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?")
            .bind(now)
            .bind(job.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        job.status = JobStatus::Running;
        job.started_at = Some(now);
        Ok(Some(job))
    }

    async fn start_job(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn finish_job(&self, id: i64, status: JobStatus, message: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET status = ?, message = ?, finished_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(message)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn fail_stale_jobs(&self, portal_id: i64, dataset_id: &str, except: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', message = 'interrupted (the process stopped during the import)', finished_at = ?
             WHERE status = 'running' AND portal_id = ? AND dataset_id = ? AND id != ?",
        )
        .bind(now)
        .bind(portal_id)
        .bind(dataset_id)
        .bind(except)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn jobs(&self, portal_id: i64, limit: i64) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE portal_id = ? ORDER BY id DESC LIMIT ?"))
            .bind(portal_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn platform_secret(&self, name: &str) -> Result<[u8; 32]> {
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        // INSERT OR IGNORE then SELECT: two processes starting together agree on one value.
        sqlx::query("INSERT OR IGNORE INTO platform_secrets (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(&fresh[..])
            .execute(&self.pool)
            .await?;
        let (value,): (Vec<u8>,) = sqlx::query_as("SELECT value FROM platform_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        value.try_into().map_err(|_| StoreError::Invalid(format!("platform secret `{name}` is not 32 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_portal(slug: &str, domains: &[&str]) -> NewPortal {
        NewPortal {
            slug: slug.into(),
            name: format!("Portal {slug}"),
            default_lang: Lang::Fr,
            langs: vec![Lang::En, Lang::Fr],
            title: Localized::new("Title", "Titre"),
            description: Localized::default(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn portals_are_found_by_slug_and_domain_only() {
        let store = SqliteStore::in_memory().await.unwrap();
        let a = store.create_portal(&new_portal("grigny91", &["Data.Grigny91.fr"]), 1).await.unwrap();
        store.create_portal(&new_portal("saintmande", &[]), 2).await.unwrap();
        assert_eq!(a.domains, vec!["data.grigny91.fr"]);
        assert_eq!(store.portal_by_domain("data.grigny91.fr:8080").await.unwrap().unwrap().slug, "grigny91");
        assert!(store.portal_by_domain("grigny91.fr").await.unwrap().is_none());
        let slugs: Vec<_> = store.portals().await.unwrap().into_iter().map(|p| p.slug).collect();
        assert_eq!(slugs, ["grigny91", "saintmande"]);
    }

    #[tokio::test]
    async fn duplicates_and_bad_values_are_refused_with_a_reason() {
        let store = SqliteStore::in_memory().await.unwrap();
        store.create_portal(&new_portal("grigny91", &["data.grigny91.fr"]), 1).await.unwrap();
        let err = store.create_portal(&new_portal("grigny91", &[]), 1).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("grigny91")), "{err}");
        let err = store.create_portal(&new_portal("other", &["DATA.grigny91.fr"]), 1).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("data.grigny91.fr")), "{err}");
        // The failed portal left nothing behind (the domain insert rolled the portal back).
        assert!(store.portal_by_slug("other").await.unwrap().is_none());
        let mut bad = new_portal("x y", &[]);
        assert!(matches!(store.create_portal(&bad, 1).await, Err(StoreError::Invalid(_))));
        bad.slug = "good".into();
        bad.langs = vec![Lang::En];
        assert!(matches!(store.create_portal(&bad, 1).await, Err(StoreError::Invalid(_))));
    }

    #[tokio::test]
    async fn users_belong_to_one_portal_and_emails_ignore_case() {
        let store = SqliteStore::in_memory().await.unwrap();
        let a = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let b = store.create_portal(&new_portal("bbb", &[]), 1).await.unwrap();
        let u = store.create_user(a.id, "Admin@Example.org", "h", Role::Admin, 1).await.unwrap();
        assert_eq!(u.email, "admin@example.org");
        assert_eq!(store.user_by_email(a.id, "ADMIN@example.org").await.unwrap().unwrap().id, u.id);
        assert!(store.user_by_email(b.id, "admin@example.org").await.unwrap().is_none());
        assert!(matches!(
            store.create_user(a.id, "admin@example.org", "h", Role::Viewer, 1).await,
            Err(StoreError::Conflict(_))
        ));
        // The same address may hold an account on another portal.
        store.create_user(b.id, "admin@example.org", "h", Role::Viewer, 1).await.unwrap();
    }

    #[tokio::test]
    async fn sessions_expire_and_can_be_deleted() {
        let store = SqliteStore::in_memory().await.unwrap();
        let p = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let u = store.create_user(p.id, "a@b.c", "h", Role::Admin, 1).await.unwrap();
        let s = SessionRecord { portal_id: p.id, user_id: u.id, created_at: 10, expires_at: 100, last_seen_at: 10 };
        store.create_session("d1", &s).await.unwrap();
        store.create_session("d2", &SessionRecord { expires_at: 1000, ..s.clone() }).await.unwrap();
        store.touch_session("d1", 50).await.unwrap();
        assert_eq!(store.session("d1").await.unwrap().unwrap().last_seen_at, 50);
        assert_eq!(store.delete_expired_sessions(100).await.unwrap(), 1);
        assert!(store.session("d1").await.unwrap().is_none());
        store.delete_session("d2").await.unwrap();
        assert!(store.session("d2").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn api_keys_are_found_by_digest_and_deleted_by_their_owner_only() {
        let store = SqliteStore::in_memory().await.unwrap();
        let p = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let owner = store.create_user(p.id, "a@b.c", "h", Role::Editor, 1).await.unwrap();
        let other = store.create_user(p.id, "o@b.c", "h", Role::Admin, 1).await.unwrap();
        let key = ApiKeyRecord {
            id: 0,
            portal_id: p.id,
            user_id: owner.id,
            name: "script".into(),
            key_prefix: "abcd".into(),
            created_at: 5,
            last_used_at: None,
            public_only: false,
        };
        let id = store.create_api_key(&key, "digest-1").await.unwrap();
        store
            .create_api_key(
                &ApiKeyRecord { name: "later".into(), created_at: 6, public_only: true, ..key.clone() },
                "digest-2",
            )
            .await
            .unwrap();
        assert!(store.api_key("digest-2").await.unwrap().unwrap().public_only, "the scope is kept");
        assert!(!store.api_key("digest-1").await.unwrap().unwrap().public_only);
        let found = store.api_key("digest-1").await.unwrap().unwrap();
        assert_eq!((found.id, found.name.as_str(), found.user_id), (id, "script", owner.id));
        assert!(store.api_key("digest-x").await.unwrap().is_none());
        let names: Vec<String> = store.api_keys(p.id, owner.id).await.unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["later", "script"], "newest first");
        assert!(store.api_keys(p.id, other.id).await.unwrap().is_empty());
        store.touch_api_key(id, 42).await.unwrap();
        assert_eq!(store.api_key("digest-1").await.unwrap().unwrap().last_used_at, Some(42));
        assert!(!store.delete_api_key(p.id, other.id, id).await.unwrap(), "not another user's key");
        assert!(store.delete_api_key(p.id, owner.id, id).await.unwrap());
        assert!(store.api_key("digest-1").await.unwrap().is_none());
        assert!(store.create_api_key(&key, "digest-2").await.is_err(), "digests are unique");
    }

    #[tokio::test]
    async fn platform_secret_is_created_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portail.db");
        let first = SqliteStore::open(&path).await.unwrap().platform_secret("cookies").await.unwrap();
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.platform_secret("cookies").await.unwrap(), first);
        assert_ne!(store.platform_secret("other").await.unwrap(), first);
    }
    #[tokio::test]
    async fn dataset_metadata_is_kept_with_its_texts() {
        let store = SqliteStore::in_memory().await.unwrap();
        let p = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let d = store.create_dataset(p.id, "da_1", "arbres", "Arbres", 1).await.unwrap();
        assert_eq!(d.metas, DatasetMetas::default());
        let metas = DatasetMetas {
            theme: vec!["Environnement".into()],
            keyword: vec!["arbres".into(), "patrimoine".into()],
            license: "Licence Ouverte v2.0".into(),
            license_url: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/".into(),
            publisher: "Direction des espaces verts".into(),
            facets: vec!["espece".into()],
            fields: [("tags".to_owned(), portail_core::Annotations { multivalued: Some(';'), ..Default::default() })]
                .into(),
            rdf_class: Some("https://schema.org/Place".into()),
            translations: [(
                "en".to_owned(),
                crate::Translation {
                    title: "Remarkable trees".into(),
                    labels: [("espece".to_owned(), "Species".to_owned())].into(),
                    ..Default::default()
                },
            )]
            .into(),
        };
        store.set_dataset_metadata("da_1", "Arbres remarquables", "Les arbres.", &metas, 5).await.unwrap();
        let d = store.dataset(p.id, "arbres").await.unwrap().unwrap();
        assert_eq!(
            (d.title.as_str(), d.description.as_str(), d.modified_at),
            ("Arbres remarquables", "Les arbres.", 5)
        );
        assert_eq!(d.metas, metas);
        // The texts alone leave the rest as it was.
        store.set_dataset_texts("da_1", "Arbres", "", 6).await.unwrap();
        assert_eq!(store.datasets(p.id).await.unwrap()[0].metas, metas);
    }

    #[tokio::test]
    async fn versions_switch_atomically_and_old_ones_are_pruned() {
        let store = SqliteStore::in_memory().await.unwrap();
        let p = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let d = store.create_dataset(p.id, "da_1", "arbres", "Arbres", 1).await.unwrap();
        assert_eq!(d.current_version, None);
        assert!(matches!(store.create_dataset(p.id, "da_2", "arbres", "x", 1).await, Err(StoreError::Conflict(_))));
        let v = |n: i64| VersionRecord {
            version: n,
            created_at: n,
            rows: 10 * n,
            schema: portail_core::Schema::default(),
            checksum: format!("c{n}"),
            source_name: "a.csv".into(),
            source_size: 3,
            options: serde_json::json!({}),
            warnings: vec![],
        };
        for n in 1..=4 {
            let pruned = store.add_version("da_1", &v(n), 3, n).await.unwrap();
            assert_eq!(pruned, if n == 4 { vec![1] } else { vec![] });
        }
        assert_eq!(store.dataset(p.id, "arbres").await.unwrap().unwrap().current_version, Some(4));
        store.switch_version("da_1", 2, 9).await.unwrap();
        assert_eq!(store.dataset(p.id, "arbres").await.unwrap().unwrap().current_version, Some(2));
        assert!(store.switch_version("da_1", 1, 9).await.is_err(), "pruned versions cannot be restored");
        assert_eq!(store.versions("da_1").await.unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), [2, 3, 4]);
        store.delete_dataset("da_1").await.unwrap();
        assert!(store.versions("da_1").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn jobs_run_one_at_a_time_per_dataset() {
        let store = SqliteStore::in_memory().await.unwrap();
        let p = store.create_portal(&new_portal("aaa", &[]), 1).await.unwrap();
        let params = serde_json::json!({"file": "x.csv"});
        let a1 = store.create_job(p.id, "a", "import", &params, 1).await.unwrap();
        let a2 = store.create_job(p.id, "a", "import", &params, 2).await.unwrap();
        let b1 = store.create_job(p.id, "b", "import", &params, 3).await.unwrap();
        assert_eq!(store.claim_job(5).await.unwrap().unwrap().id, a1.id);
        assert_eq!(store.claim_job(5).await.unwrap().unwrap().id, b1.id, "a2 waits for a1");
        assert!(store.claim_job(5).await.unwrap().is_none());
        store.finish_job(a1.id, JobStatus::Failed, "bad file", 6).await.unwrap();
        assert_eq!(store.claim_job(7).await.unwrap().unwrap().id, a2.id);
        store.fail_stale_jobs(p.id, "a", b1.id, 8).await.unwrap();
        let jobs = store.jobs(p.id, 10).await.unwrap();
        assert_eq!(
            jobs.iter().map(|j| (j.id, j.status)).collect::<Vec<_>>(),
            [(b1.id, JobStatus::Running), (a2.id, JobStatus::Failed), (a1.id, JobStatus::Failed)]
        );
        assert_eq!(jobs[2].message, "bad file");
    }
}
