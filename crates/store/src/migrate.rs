//! Schema migrations, embedded in the binary and applied in order at connect time.

use crate::error::backend;
use crate::{Db, Dialect};
use sampan_domain::StoreError;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_payouts.sql")),
    (3, include_str!("../migrations/0003_wechat.sql")),
    (4, include_str!("../migrations/0004_static_codes.sql")),
    (5, include_str!("../migrations/0005_refunds.sql")),
    (6, include_str!("../migrations/0006_reports.sql")),
];

impl Db {
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if self.dialect == Dialect::Postgres {
            // Nodes starting together must not race each other through the same migration.
            sqlx::query("SELECT pg_advisory_xact_lock(7261706)")
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        for (version, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            for statement in statements(&self.dialect_sql(sql)) {
                sqlx::query(&statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Backend(format!("migration {version} failed: {e}")))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(sampan_domain::time::now_ms())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    fn dialect_sql(&self, sql: &str) -> String {
        let id = match self.dialect {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        };
        sql.replace("{ID}", id)
    }
}

/// Splits a migration into statements, dropping `--` comments.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_statements_and_drops_comments() {
        let s =
            super::statements("-- a;b\nCREATE TABLE x (a INT); -- c\n\nCREATE INDEX i ON x (a);\n");
        assert_eq!(s, vec!["CREATE TABLE x (a INT)", "CREATE INDEX i ON x (a)"]);
    }
}
