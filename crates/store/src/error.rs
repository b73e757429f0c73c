//! Mapping database errors onto `StoreError`.

use sampan_domain::{StoreError, UniqueKey};

pub fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Turns a unique-constraint violation into the rule it broke; anything else is a backend
/// error. Both backends name the columns (SQLite) or the constraint (PostgreSQL, whose names
/// in the schema contain the column) in the message.
pub fn unique_or_backend(e: sqlx::Error, rules: &[(&str, UniqueKey)]) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let text = format!("{} {}", db.message(), db.constraint().unwrap_or(""));
            if let Some((_, key)) = rules.iter().find(|(needle, _)| text.contains(needle)) {
                return StoreError::Duplicate(*key);
            }
        }
    }
    backend(e)
}

/// Fetching rows and decoding them into domain types, the tail every read shares.
pub(crate) trait FetchDecoded {
    async fn optional_as<T>(
        self,
        pool: &sqlx::AnyPool,
        decode: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError>;

    async fn all_as<T>(
        self,
        pool: &sqlx::AnyPool,
        decode: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError>;
}

impl<'q> FetchDecoded for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    async fn optional_as<T>(
        self,
        pool: &sqlx::AnyPool,
        decode: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.fetch_optional(pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn all_as<T>(
        self,
        pool: &sqlx::AnyPool,
        decode: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.fetch_all(pool)
            .await
            .map_err(backend)?
            .iter()
            .map(decode)
            .collect()
    }
}
