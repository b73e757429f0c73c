//! The notification outbox and its delivery attempts.

use crate::error::backend;
use crate::error::FetchDecoded;
use crate::Db;
use sampan_domain::outbox::{Attempt, DeliveryStatus, NewNotification, Notification};
use sampan_domain::StoreError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const COLUMNS: &str = "id, app_id, event, reference, url, payload, status, attempts, \
    next_attempt_at, created_at, delivered_at";

fn decode(row: &AnyRow) -> Result<Notification, StoreError> {
    let status: String = row.try_get("status").map_err(backend)?;
    let attempts: i64 = row.try_get("attempts").map_err(backend)?;
    Ok(Notification {
        id: row.try_get("id").map_err(backend)?,
        app_id: row.try_get("app_id").map_err(backend)?,
        event: row.try_get("event").map_err(backend)?,
        reference: row.try_get("reference").map_err(backend)?,
        url: row.try_get("url").map_err(backend)?,
        payload: row.try_get("payload").map_err(backend)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("bad delivery status {status}")))?,
        attempts: attempts as i32,
        next_attempt_at: row.try_get("next_attempt_at").map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
        delivered_at: row.try_get("delivered_at").map_err(backend)?,
    })
}

/// Adds a notification, due now, inside the caller's transaction.
pub(crate) async fn enqueue_in(
    tx: &mut Transaction<'_, Any>,
    n: &NewNotification,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notifications \
         (app_id, event, reference, url, payload, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $6)",
    )
    .bind(&n.app_id)
    .bind(&n.event)
    .bind(&n.reference)
    .bind(&n.url)
    .bind(&n.payload)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

pub async fn claim_due(
    db: &Db,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Notification>, StoreError> {
    let sql = format!(
        "UPDATE notifications SET next_attempt_at = $1 WHERE id IN \
         (SELECT id FROM notifications WHERE status = 'PENDING' AND next_attempt_at <= $2 \
          ORDER BY next_attempt_at LIMIT $3{}) \
         RETURNING {COLUMNS}",
        db.dialect.skip_locked()
    );
    sqlx::query(&sql)
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .bind(limit)
        .all_as(&db.writer, decode)
        .await
}

pub async fn record_attempt(
    db: &Db,
    a: &Attempt,
    next_attempt_at: Option<i64>,
) -> Result<(), StoreError> {
    let (status, next, delivered_at) = if a.delivered {
        (DeliveryStatus::Delivered, a.at, Some(a.at))
    } else {
        match next_attempt_at {
            Some(t) => (DeliveryStatus::Pending, t, None),
            None => (DeliveryStatus::Abandoned, a.at, None),
        }
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO notification_attempts \
         (notification_id, attempt_no, at, http_status, response_excerpt, latency_ms, delivered) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.notification_id)
    .bind(a.attempt_no as i64)
    .bind(a.at)
    .bind(a.http_status.map(i64::from))
    .bind(&a.response_excerpt)
    .bind(a.latency_ms)
    .bind(a.delivered as i64)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let updated = sqlx::query(
        "UPDATE notifications SET status = $2, attempts = $3, next_attempt_at = $4, \
         delivered_at = COALESCE($5, delivered_at) WHERE id = $1",
    )
    .bind(a.notification_id)
    .bind(status.as_str())
    .bind(a.attempt_no as i64)
    .bind(next)
    .bind(delivered_at)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await.map_err(backend)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Notification>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn for_reference(db: &Db, reference: &str) -> Result<Vec<Notification>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE reference = $1 ORDER BY id"
    ))
    .bind(reference)
    .all_as(&db.reader, decode)
    .await
}

pub async fn attempts(db: &Db, notification_id: i64) -> Result<Vec<Attempt>, StoreError> {
    sqlx::query(
        "SELECT notification_id, attempt_no, at, http_status, response_excerpt, latency_ms, \
         delivered FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt_no",
    )
    .bind(notification_id)
    .fetch_all(&db.reader)
    .await
    .map_err(backend)?
    .iter()
    .map(|r| {
        let attempt_no: i64 = r.try_get("attempt_no")?;
        let http_status: Option<i64> = r.try_get("http_status")?;
        let delivered: i64 = r.try_get("delivered")?;
        Ok(Attempt {
            notification_id: r.try_get("notification_id")?,
            attempt_no: attempt_no as i32,
            at: r.try_get("at")?,
            http_status: http_status.map(|s| s as i32),
            response_excerpt: r.try_get("response_excerpt")?,
            latency_ms: r.try_get("latency_ms")?,
            delivered: delivered != 0,
        })
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(backend)
}

pub async fn resend(db: &Db, id: i64, now_ms: i64) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE notifications SET status = 'PENDING', next_attempt_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms)
    .execute(&db.writer)
    .await
    .map_err(backend)?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn backlog(db: &Db) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'PENDING'")
        .fetch_one(&db.reader)
        .await
        .map_err(backend)
}
