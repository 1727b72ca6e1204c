//! SQLite implementation of the privacy, page and audience stores.

use crate::privacy::{
    AudienceStore, ConsentRecord, ContentPage, Count, CountRow, Dimension, IntegrationConfig, PageStore, PolicyText,
    PrivacySettings, PrivacyStore, UiVersion, VendorCookie,
};
use crate::{Result, SqliteStore, StoreError};
use async_trait::async_trait;
use portail_core::Localized;
use sqlx::Row;

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Invalid(format!("stored JSON is unreadable: {e}"))
}

#[async_trait]
impl PrivacyStore for SqliteStore {
    async fn privacy_settings(&self, portal_id: i64) -> Result<PrivacySettings> {
        let row = sqlx::query(
            "SELECT consent_revision, consent_changed_at, privacy_contact, audience_retention_months, \
             time_zone, audience_country, policy_before_en, policy_before_fr, policy_after_en, policy_after_fr \
             FROM portal_privacy WHERE portal_id = ?",
        )
        .bind(portal_id)
        .fetch_optional(self.pool())
        .await?;
        let mut settings = match row {
            Some(row) => PrivacySettings {
                consent_revision: row.get(0),
                consent_changed_at: row.get(1),
                privacy_contact: row.get(2),
                audience_retention_months: row.get(3),
                time_zone: row.get(4),
                audience_country: row.get::<i64, _>(5) != 0,
                policy_text: PolicyText {
                    before: Localized::new(row.get::<String, _>(6), row.get::<String, _>(7)),
                    after: Localized::new(row.get::<String, _>(8), row.get::<String, _>(9)),
                },
                integrations: vec![],
            },
            None => PrivacySettings { audience_retention_months: 25, ..PrivacySettings::default() },
        };
        let rows = sqlx::query(
            "SELECT kind, vendor, origin, privacy_url, cookies, enabled_at, resource FROM portal_integrations \
             WHERE portal_id = ? ORDER BY kind",
        )
        .bind(portal_id)
        .fetch_all(self.pool())
        .await?;
        for row in rows {
            let cookies: String = row.get(4);
            let cookies: Vec<VendorCookie> = serde_json::from_str(&cookies).map_err(json_error)?;
            settings.integrations.push(IntegrationConfig {
                kind: row.get(0),
                vendor: row.get(1),
                origin: row.get(2),
                privacy_url: row.get(3),
                cookies,
                enabled_at: row.get(5),
                resource: row.get(6),
            });
        }
        Ok(settings)
    }

    async fn put_integration(&self, portal_id: i64, integration: &IntegrationConfig, now: i64) -> Result<()> {
        let cookies = serde_json::to_string(&integration.cookies).map_err(json_error)?;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO portal_integrations (portal_id, kind, vendor, origin, privacy_url, cookies, enabled_at, \
             resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id, kind) DO UPDATE SET \
             vendor = excluded.vendor, origin = excluded.origin, privacy_url = excluded.privacy_url, \
             cookies = excluded.cookies, resource = excluded.resource",
        )
        .bind(portal_id)
        .bind(&integration.kind)
        .bind(&integration.vendor)
        .bind(&integration.origin)
        .bind(&integration.privacy_url)
        .bind(cookies)
        .bind(now)
        .bind(&integration.resource)
        .execute(&mut *tx)
        .await?;
        touch_consent(&mut tx, portal_id, now, 0).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_integration(&self, portal_id: i64, kind: &str, now: i64) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let removed = sqlx::query("DELETE FROM portal_integrations WHERE portal_id = ? AND kind = ?")
            .bind(portal_id)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() > 0 {
            touch_consent(&mut tx, portal_id, now, 0).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn bump_consent_revision(&self, portal_id: i64, now: i64) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        touch_consent(&mut tx, portal_id, now, 1).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_privacy_contact(&self, portal_id: i64, contact: &str) -> Result<()> {
        self.set_privacy_column(portal_id, "privacy_contact", contact.to_owned()).await
    }

    async fn set_audience_retention(&self, portal_id: i64, months: i64) -> Result<()> {
        if !(1..=25).contains(&months) {
            return Err(StoreError::Invalid(format!("audience retention must be 1 to 25 months, not {months}")));
        }
        self.set_privacy_column(portal_id, "audience_retention_months", months).await
    }

    async fn set_audience_country(&self, portal_id: i64, on: bool) -> Result<()> {
        self.set_privacy_column(portal_id, "audience_country", i64::from(on)).await
    }

    async fn set_time_zone(&self, portal_id: i64, zone: &str) -> Result<()> {
        self.set_privacy_column(portal_id, "time_zone", zone.to_owned()).await
    }

    async fn set_policy_text(&self, portal_id: i64, text: &PolicyText) -> Result<()> {
        sqlx::query(
            "INSERT INTO portal_privacy (portal_id, policy_before_en, policy_before_fr, policy_after_en, \
             policy_after_fr) VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE SET \
             policy_before_en = excluded.policy_before_en, policy_before_fr = excluded.policy_before_fr, \
             policy_after_en = excluded.policy_after_en, policy_after_fr = excluded.policy_after_fr",
        )
        .bind(portal_id)
        .bind(&text.before.en)
        .bind(&text.before.fr)
        .bind(&text.after.en)
        .bind(&text.after.fr)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn add_consent_record(&self, r: &ConsentRecord) -> Result<()> {
        let purposes = serde_json::to_string(&r.purposes).map_err(json_error)?;
        sqlx::query(
            "INSERT INTO consent_records (record_id, portal_id, decided_at, consent_version, ui_version, language, \
             source, purposes, audience, signal_present, previous_record_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.record_id)
        .bind(r.portal_id)
        .bind(r.decided_at)
        .bind(&r.consent_version)
        .bind(&r.ui_version)
        .bind(&r.language)
        .bind(&r.source)
        .bind(purposes)
        .bind(&r.audience)
        .bind(r.signal_present)
        .bind(&r.previous_record_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn consent_records(&self, portal_id: i64, from: i64, to: i64) -> Result<Vec<ConsentRecord>> {
        let rows = sqlx::query(
            "SELECT record_id, portal_id, decided_at, consent_version, ui_version, language, source, purposes, \
             audience, signal_present, previous_record_id FROM consent_records \
             WHERE portal_id = ? AND decided_at >= ? AND decided_at < ? ORDER BY decided_at, rowid",
        )
        .bind(portal_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                let purposes: String = row.get(7);
                Ok(ConsentRecord {
                    record_id: row.get(0),
                    portal_id: row.get(1),
                    decided_at: row.get(2),
                    consent_version: row.get(3),
                    ui_version: row.get(4),
                    language: row.get(5),
                    source: row.get(6),
                    purposes: serde_json::from_str(&purposes).map_err(json_error)?,
                    audience: row.get(8),
                    signal_present: row.get(9),
                    previous_record_id: row.get(10),
                })
            })
            .collect()
    }

    async fn delete_consent_records_before(&self, cutoff: i64) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        let deleted =
            sqlx::query("DELETE FROM consent_records WHERE decided_at < ?").bind(cutoff).execute(&mut *tx).await?;
        // REC-4: a UI version is kept while a record refers to it.
        sqlx::query(
            "DELETE FROM consent_ui_versions WHERE first_seen < ? AND NOT EXISTS \
             (SELECT 1 FROM consent_records r WHERE r.ui_version = consent_ui_versions.ui_version)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected())
    }

    async fn archive_ui_version(&self, v: &UiVersion) -> Result<i64> {
        sqlx::query(
            "INSERT OR IGNORE INTO consent_ui_versions (ui_version, language, content, first_seen) VALUES (?, ?, ?, ?)",
        )
        .bind(&v.ui_version)
        .bind(&v.language)
        .bind(&v.content)
        .bind(v.first_seen)
        .execute(self.pool())
        .await?;
        let (first_seen,): (i64,) =
            sqlx::query_as("SELECT first_seen FROM consent_ui_versions WHERE ui_version = ? AND language = ?")
                .bind(&v.ui_version)
                .bind(&v.language)
                .fetch_one(self.pool())
                .await?;
        Ok(first_seen)
    }

    async fn ui_versions(&self, ids: &[String]) -> Result<Vec<UiVersion>> {
        let mut out = vec![];
        for id in ids {
            let rows = sqlx::query(
                "SELECT ui_version, language, content, first_seen FROM consent_ui_versions WHERE ui_version = ? \
                 ORDER BY language",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            out.extend(rows.into_iter().map(|row| UiVersion {
                ui_version: row.get(0),
                language: row.get(1),
                content: row.get(2),
                first_seen: row.get(3),
            }));
        }
        Ok(out)
    }
}

/// Records that the consent version changed (and bumps the revision by `bump`).
async fn touch_consent(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    portal_id: i64,
    now: i64,
    bump: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_privacy (portal_id, consent_revision, consent_changed_at) VALUES (?, ?, ?) \
         ON CONFLICT (portal_id) DO UPDATE SET consent_revision = consent_revision + ?, consent_changed_at = ?",
    )
    .bind(portal_id)
    .bind(bump)
    .bind(now)
    .bind(bump)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl PageStore for SqliteStore {
    async fn put_page(&self, portal_id: i64, page: &ContentPage) -> Result<()> {
        sqlx::query(
            "INSERT INTO content_pages (portal_id, slug, title_en, title_fr, body_en, body_fr, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id, slug) DO UPDATE SET title_en = excluded.title_en, \
             title_fr = excluded.title_fr, body_en = excluded.body_en, body_fr = excluded.body_fr, \
             updated_at = excluded.updated_at",
        )
        .bind(portal_id)
        .bind(&page.slug)
        .bind(&page.title.en)
        .bind(&page.title.fr)
        .bind(&page.body.en)
        .bind(&page.body.fr)
        .bind(page.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn page(&self, portal_id: i64, slug: &str) -> Result<Option<ContentPage>> {
        Ok(self.pages_where(portal_id, Some(slug)).await?.pop())
    }

    async fn pages(&self, portal_id: i64) -> Result<Vec<ContentPage>> {
        self.pages_where(portal_id, None).await
    }

    async fn delete_page(&self, portal_id: i64, slug: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM content_pages WHERE portal_id = ? AND slug = ?")
            .bind(portal_id)
            .bind(slug)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl SqliteStore {
    /// Sets one column of a portal's privacy settings, creating its row if needed. `column` is
    /// one of a closed list written in this file, never text from a request.
    async fn set_privacy_column<T>(&self, portal_id: i64, column: &'static str, value: T) -> Result<()>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + 'static,
    {
        let sql = format!(
            "INSERT INTO portal_privacy (portal_id, {column}) VALUES (?, ?) \
             ON CONFLICT (portal_id) DO UPDATE SET {column} = excluded.{column}"
        );
        sqlx::query(&sql).bind(portal_id).bind(value).execute(self.pool()).await?;
        Ok(())
    }

    async fn pages_where(&self, portal_id: i64, slug: Option<&str>) -> Result<Vec<ContentPage>> {
        let rows = sqlx::query(
            "SELECT slug, title_en, title_fr, body_en, body_fr, updated_at FROM content_pages \
             WHERE portal_id = ? AND (? IS NULL OR slug = ?) ORDER BY slug",
        )
        .bind(portal_id)
        .bind(slug)
        .bind(slug)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ContentPage {
                slug: row.get(0),
                title: Localized::new(row.get::<String, _>(1), row.get::<String, _>(2)),
                body: Localized::new(row.get::<String, _>(3), row.get::<String, _>(4)),
                updated_at: row.get(5),
            })
            .collect())
    }
}

#[async_trait]
impl AudienceStore for SqliteStore {
    async fn add_counts(&self, counts: &[Count]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for c in counts {
            let sql = match c.dimension {
                Dimension::Pageviews => "INSERT INTO audience_pageviews (portal_id, day, hour, path, count) \
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal_id, day, hour, path) \
                     DO UPDATE SET count = count + excluded.count"
                    .to_owned(),
                Dimension::Searches => "INSERT INTO audience_searches (portal_id, day, term, count, zero_results) \
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal_id, day, term) DO UPDATE SET \
                     count = count + excluded.count, zero_results = zero_results + excluded.zero_results"
                    .to_owned(),
                other => format!(
                    "INSERT INTO {} (portal_id, day, key, count) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (portal_id, day, key) DO UPDATE SET count = count + excluded.count",
                    other.table()
                ),
            };
            let query = sqlx::query(&sql).bind(c.portal_id).bind(&c.day);
            let query = match c.dimension {
                Dimension::Pageviews => query.bind(c.hour as i64).bind(&c.key).bind(c.count),
                Dimension::Searches => query.bind(&c.key).bind(c.count).bind(c.zero_results),
                _ => query.bind(&c.key).bind(c.count),
            };
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn counts(
        &self,
        portal_id: i64,
        dimension: Dimension,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<CountRow>> {
        let sql = match dimension {
            Dimension::Pageviews => "SELECT day, path, SUM(count), 0 FROM audience_pageviews \
                 WHERE portal_id = ? AND day >= ? AND day <= ? GROUP BY day, path ORDER BY day, path"
                .to_owned(),
            Dimension::Searches => "SELECT day, term, count, zero_results FROM audience_searches \
                 WHERE portal_id = ? AND day >= ? AND day <= ? ORDER BY day, term"
                .to_owned(),
            other => format!(
                "SELECT day, key, count, 0 FROM {} WHERE portal_id = ? AND day >= ? AND day <= ? ORDER BY day, key",
                other.table()
            ),
        };
        let rows = sqlx::query(&sql).bind(portal_id).bind(from_day).bind(to_day).fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|row| CountRow { day: row.get(0), key: row.get(1), count: row.get(2), zero_results: row.get(3) })
            .collect())
    }

    async fn delete_counts_before(&self, portal_id: i64, day: &str) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        let mut deleted = 0;
        for d in Dimension::ALL {
            let sql = format!("DELETE FROM {} WHERE portal_id = ? AND day < ?", d.table());
            deleted += sqlx::query(&sql).bind(portal_id).bind(day).execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(deleted)
    }

    async fn delete_search_term(&self, portal_id: i64, term: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audience_searches WHERE portal_id = ? AND term = ?")
            .bind(portal_id)
            .bind(term)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MetadataStore, NewPortal};
    use portail_core::Lang;
    use std::collections::BTreeMap;

    async fn store_with_portal() -> (SqliteStore, i64) {
        let store = SqliteStore::in_memory().await.unwrap();
        let portal = NewPortal {
            slug: "town".into(),
            name: "Town".into(),
            default_lang: Lang::Fr,
            langs: vec![Lang::En, Lang::Fr],
            title: Localized::new("T", "T"),
            description: Localized::default(),
            domains: vec![],
        };
        let id = store.create_portal(&portal, 0).await.unwrap().id;
        (store, id)
    }

    fn video(origin: &str) -> IntegrationConfig {
        IntegrationConfig {
            kind: "video".into(),
            vendor: "Tube".into(),
            origin: origin.into(),
            privacy_url: "https://tube.example/privacy".into(),
            cookies: vec![VendorCookie {
                name: "tube_id".into(),
                domain: "tube.example".into(),
                max_age_s: 3600,
                purpose: Localized::new("Counts plays", "Compte les lectures"),
            }],
            enabled_at: 0,
            resource: String::new(),
        }
    }

    #[tokio::test]
    async fn policy_text_is_kept_per_language_and_leaves_the_consent_version_alone() {
        let (store, id) = store_with_portal().await;
        assert_eq!(store.privacy_settings(id).await.unwrap().policy_text, PolicyText::default());
        let text = PolicyText { before: Localized::new("Hello", "Bonjour"), after: Localized::new("", "Fin") };
        // A first write creates the settings row with its defaults.
        store.set_policy_text(id, &text).await.unwrap();
        let s = store.privacy_settings(id).await.unwrap();
        assert_eq!(s.policy_text, text);
        assert_eq!((s.consent_revision, s.consent_changed_at, s.audience_retention_months), (0, 0, 25));
        store.set_privacy_contact(id, "dpo@town.example").await.unwrap();
        assert_eq!(store.privacy_settings(id).await.unwrap().policy_text, text, "other settings keep it");
    }

    #[tokio::test]
    async fn integrations_change_the_consent_date_and_revisions_count() {
        let (store, id) = store_with_portal().await;
        let fresh = store.privacy_settings(id).await.unwrap();
        assert_eq!((fresh.consent_revision, fresh.audience_retention_months), (0, 25));
        assert_eq!(fresh.time_zone, "");
        store.set_time_zone(id, "Indian/Reunion").await.unwrap();
        assert_eq!(store.privacy_settings(id).await.unwrap().time_zone, "Indian/Reunion");
        assert!(!fresh.audience_country);
        store.set_audience_country(id, true).await.unwrap();
        assert!(store.privacy_settings(id).await.unwrap().audience_country);
        store.put_integration(id, &video("https://tube.example"), 100).await.unwrap();
        let s = store.privacy_settings(id).await.unwrap();
        assert_eq!(s.integrations.len(), 1);
        assert_eq!(s.integrations[0].cookies[0].name, "tube_id");
        assert_eq!((s.consent_changed_at, s.consent_revision), (100, 0));
        store.bump_consent_revision(id, 200).await.unwrap();
        store.remove_integration(id, "video", 300).await.unwrap();
        let s = store.privacy_settings(id).await.unwrap();
        assert_eq!((s.consent_changed_at, s.consent_revision, s.integrations.len()), (300, 1, 0));
        assert!(store.set_audience_retention(id, 26).await.is_err());
    }

    #[tokio::test]
    async fn the_record_table_has_exactly_the_columns_of_rec_1() {
        // spec: REC-1, REC-2
        let (store, _) = store_with_portal().await;
        let columns: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info('consent_records')")
            .fetch_all(store.pool())
            .await
            .unwrap();
        let columns: Vec<_> = columns.into_iter().map(|c| c.0).collect();
        assert_eq!(
            columns,
            [
                "record_id",
                "portal_id",
                "decided_at",
                "consent_version",
                "ui_version",
                "language",
                "source",
                "purposes",
                "audience",
                "signal_present",
                "previous_record_id"
            ]
        );
    }

    #[tokio::test]
    async fn records_expire_and_take_unused_ui_versions_with_them() {
        // spec: REC-3, REC-4
        let (store, id) = store_with_portal().await;
        let ui = |v: &str, at| UiVersion {
            ui_version: v.into(),
            language: "en".into(),
            content: "x".into(),
            first_seen: at,
        };
        assert_eq!(store.archive_ui_version(&ui("aaaa", 10)).await.unwrap(), 10);
        assert_eq!(store.archive_ui_version(&ui("aaaa", 99)).await.unwrap(), 10, "first seen is kept");
        store.archive_ui_version(&ui("bbbb", 10)).await.unwrap();
        let record = |rid: &str, at, uiv: &str| ConsentRecord {
            record_id: rid.into(),
            portal_id: id,
            decided_at: at,
            consent_version: "01234567".into(),
            ui_version: uiv.into(),
            language: "en".into(),
            source: "banner".into(),
            purposes: BTreeMap::from([("video".to_owned(), "granted".to_owned())]),
            audience: "allowed".into(),
            signal_present: false,
            previous_record_id: None,
        };
        store.add_consent_record(&record("r1", 20, "aaaa")).await.unwrap();
        store.add_consent_record(&record("r2", 500, "bbbb")).await.unwrap();
        assert_eq!(store.consent_records(id, 0, 1000).await.unwrap().len(), 2);
        assert_eq!(store.delete_consent_records_before(100).await.unwrap(), 1);
        let left = store.consent_records(id, 0, 1000).await.unwrap();
        assert_eq!(left[0].purposes["video"], "granted");
        let versions = store.ui_versions(&["aaaa".into(), "bbbb".into()]).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.ui_version.as_str()).collect::<Vec<_>>(), ["bbbb"]);
    }

    #[tokio::test]
    async fn audience_counts_add_up_per_dimension_and_expire() {
        // spec: AN-4, AN-8, AN-9
        let (store, id) = store_with_portal().await;
        let count = |dimension, day: &str, hour, key: &str, n, zero| Count {
            portal_id: id,
            dimension,
            day: day.into(),
            hour,
            key: key.into(),
            count: n,
            zero_results: zero,
        };
        store
            .add_counts(&[
                count(Dimension::Pageviews, "2026-01-01", 9, "/", 2, 0),
                count(Dimension::Pageviews, "2026-01-01", 10, "/", 3, 0),
                count(Dimension::Browsers, "2026-01-01", 0, "Firefox 140", 1, 0),
                count(Dimension::Searches, "2026-01-02", 0, "vélo", 2, 1),
            ])
            .await
            .unwrap();
        store.add_counts(&[count(Dimension::Browsers, "2026-01-01", 0, "Firefox 140", 4, 0)]).await.unwrap();
        let views = store.counts(id, Dimension::Pageviews, "2026-01-01", "2026-01-31").await.unwrap();
        assert_eq!((views.len(), views[0].count), (1, 5));
        let browsers = store.counts(id, Dimension::Browsers, "2026-01-01", "2026-01-01").await.unwrap();
        assert_eq!(browsers[0].count, 5);
        let searches = store.counts(id, Dimension::Searches, "2026-01-01", "2026-01-31").await.unwrap();
        assert_eq!((searches[0].count, searches[0].zero_results), (2, 1));
        assert_eq!(store.delete_search_term(id, "vélo").await.unwrap(), 1);
        assert_eq!(store.delete_counts_before(id, "2026-01-02").await.unwrap(), 3);
        assert!(store.counts(id, Dimension::Browsers, "2026-01-01", "2026-12-31").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn content_pages_round_trip() {
        let (store, id) = store_with_portal().await;
        let page = ContentPage {
            slug: "about".into(),
            title: Localized::new("About", "À propos"),
            body: Localized::new("<p>Hello</p>", "<p>Bonjour</p>"),
            updated_at: 1_700_000_000,
        };
        store.put_page(id, &page).await.unwrap();
        assert_eq!(store.page(id, "about").await.unwrap(), Some(page));
        assert_eq!(store.page(id, "other").await.unwrap(), None);
        assert_eq!(store.pages(id).await.unwrap().len(), 1);
        assert!(!store.delete_page(id, "other").await.unwrap());
        assert!(store.delete_page(id, "about").await.unwrap());
        assert_eq!(store.page(id, "about").await.unwrap(), None);
    }
}
