//! WeChat merchant keys: one row per appid, written once and never changed, so that the public
//! key a merchant's backend was given keeps verifying.

use crate::error::backend;
use crate::Db;
use sampan_domain::StoreError;

pub async fn get(db: &Db, appid: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT private_key FROM wechat_merchant_keys WHERE appid = $1")
        .bind(appid)
        .fetch_optional(&db.reader)
        .await
        .map_err(backend)
}

pub async fn insert_if_absent(
    db: &Db,
    appid: &str,
    pem: &str,
    now_ms: i64,
) -> Result<String, StoreError> {
    // ON CONFLICT DO NOTHING works the same on SQLite and PostgreSQL: the first writer wins and
    // everyone reads the winner back (from the writer, so the row is visible at once).
    sqlx::query(
        "INSERT INTO wechat_merchant_keys (appid, private_key, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (appid) DO NOTHING",
    )
    .bind(appid)
    .bind(pem)
    .bind(now_ms)
    .execute(&db.writer)
    .await
    .map_err(backend)?;
    let stored: Option<String> =
        sqlx::query_scalar("SELECT private_key FROM wechat_merchant_keys WHERE appid = $1")
            .bind(appid)
            .fetch_optional(&db.writer)
            .await
            .map_err(backend)?;
    stored.ok_or_else(|| StoreError::Backend(format!("WeChat key of {appid} vanished")))
}
