//! Merchant apps. Settings travel as one JSON document: they are read together on every
//! request (and cached by the server) and change rarely.

use crate::error::FetchDecoded;
use crate::error::{backend, unique_or_backend};
use crate::Db;
use sampan_domain::{App, AppStatus, StoreError, UniqueKey};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "app_id, name, public_key, status, settings, created_at";

fn decode(row: &AnyRow) -> Result<App, StoreError> {
    let status: String = row.try_get("status").map_err(backend)?;
    let settings: String = row.try_get("settings").map_err(backend)?;
    Ok(App {
        app_id: row.try_get("app_id").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        public_key: row.try_get("public_key").map_err(backend)?,
        status: AppStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("bad app status {status}")))?,
        settings: serde_json::from_str(&settings)
            .map_err(|e| StoreError::Backend(format!("bad app settings: {e}")))?,
        created_at: row.try_get("created_at").map_err(backend)?,
    })
}

fn settings_json(app: &App) -> String {
    serde_json::to_string(&app.settings).expect("settings serialize")
}

pub async fn insert(db: &Db, app: &App) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO apps (app_id, name, public_key, status, settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&app.app_id)
    .bind(&app.name)
    .bind(&app.public_key)
    .bind(app.status.as_str())
    .bind(settings_json(app))
    .bind(app.created_at)
    .execute(&db.writer)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[("app_id", UniqueKey::AppId), ("apps", UniqueKey::AppId)],
        )
    })?;
    Ok(())
}

pub async fn update(db: &Db, app: &App) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE apps SET name = $2, public_key = $3, status = $4, settings = $5, updated_at = $6 \
         WHERE app_id = $1",
    )
    .bind(&app.app_id)
    .bind(&app.name)
    .bind(&app.public_key)
    .bind(app.status.as_str())
    .bind(settings_json(app))
    .bind(sampan_domain::time::now_ms())
    .execute(&db.writer)
    .await
    .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(db: &Db, app_id: &str) -> Result<Option<App>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM apps WHERE app_id = $1"))
        .bind(app_id)
        .optional_as(&db.reader, decode)
        .await
}

pub async fn list(db: &Db) -> Result<Vec<App>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM apps ORDER BY created_at, app_id"
    ))
    .all_as(&db.reader, decode)
    .await
}
