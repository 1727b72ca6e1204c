//! The embedded backend: one SQLite file in WAL mode with foreign keys on.

use crate::{migrate, MetadataStore, NewPortal, Result, SessionRecord, StoreError, UserRecord};
use async_trait::async_trait;
use portail_core::portal::{normalize_host, validate_slug};
use portail_core::{Lang, Localized, Portal, Role};
use rand::RngCore;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
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

const PORTAL_COLUMNS: &str = "id, slug, name, default_lang, langs, title_en, title_fr, description_en, description_fr";

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
    async fn platform_secret_is_created_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portail.db");
        let first = SqliteStore::open(&path).await.unwrap().platform_secret("cookies").await.unwrap();
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.platform_secret("cookies").await.unwrap(), first);
        assert_ne!(store.platform_secret("other").await.unwrap(), first);
    }
}
