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
];

pub async fn run(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    for &(version, sql) in MIGRATIONS {
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
