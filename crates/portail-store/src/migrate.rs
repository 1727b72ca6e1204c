//! Forward-only migrations, embedded in the binary and applied in order inside one transaction
//! each. A small home-made runner keeps sqlx's macro crate out of the build.

use crate::StoreError;
use sqlx::SqlitePool;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_datasets.sql")),
    (3, include_str!("../migrations/0003_privacy.sql")),
    (4, include_str!("../migrations/0004_api_keys.sql")),
    (5, include_str!("../migrations/0005_attachments.sql")),
    (6, include_str!("../migrations/0006_content_html.sql")),
    (7, include_str!("../migrations/0007_time_zone.sql")),
    (8, include_str!("../migrations/0008_integration_resource.sql")),
    (9, include_str!("../migrations/0009_audience_country.sql")),
    (10, include_str!("../migrations/0010_policy_text.sql")),
    (11, include_str!("../migrations/0011_dataset_metas.sql")),
    (12, include_str!("../migrations/0012_api_key_scope.sql")),
];

pub async fn run(pool: &SqlitePool) -> Result<(), StoreError> {
    run_up_to(pool, i64::MAX).await
}

/// Applies the migrations not applied yet, up to `last` included.
async fn run_up_to(pool: &SqlitePool, last: i64) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= last) {
        let mut tx = pool.begin().await?;
        let done: Option<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations WHERE version = ?")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(|source| StoreError::Migration { version, source })?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))")
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;
    use sqlx::Row;

    #[tokio::test]
    async fn plain_text_pages_and_their_video_become_html() {
        let pool = SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        run_up_to(&pool, 5).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO portals (id, slug, name, default_lang, langs, title_en, title_fr, description_en, \
             description_fr, created_at) VALUES (1, 't', 'T', 'fr', 'en,fr', '', '', '', '', 0); \
             INSERT INTO content_pages VALUES (1, 'a', 'A', 'A', 'One & <two>' || char(10) || char(10) || 'Three', \
             'Un', 'https://v.example/e?a=1&b=\"2\"'); \
             INSERT INTO content_pages VALUES (1, 'b', 'B', 'B', 'Text', 'Texte', NULL);",
        )
        .execute(&pool)
        .await
        .unwrap();
        run(&pool).await.unwrap();
        let rows = sqlx::query("SELECT slug, body_en, body_fr, updated_at FROM content_pages ORDER BY slug")
            .fetch_all(&pool)
            .await
            .unwrap();
        let marker =
            r#"<figure data-integration="video" data-src="https://v.example/e?a=1&amp;b=&quot;2&quot;"></figure>"#;
        assert_eq!(rows[0].get::<String, _>(1), format!("<p>One &amp; &lt;two&gt;</p><p>Three</p>{marker}"));
        assert_eq!(rows[0].get::<String, _>(2), format!("<p>Un</p>{marker}"));
        assert_eq!(rows[1].get::<String, _>(1), "<p>Text</p>");
        assert_eq!(rows[1].get::<i64, _>(3), 0);
    }
}
