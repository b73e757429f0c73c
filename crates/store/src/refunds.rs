//! Refunds: acceptance under locks on the original payment and the merchant's available
//! balance, settlement, listings.
//!
//! Lock order, the same in every transaction that touches a refund: the original payment's
//! row, then the refund's row, then balance rows (in account-key order, `post_in`). Holding the
//! original's row while summing its refunds is what keeps concurrent refunds of one payment
//! from ever adding up to more than it: the sum and the insert cannot interleave with another
//! refund's acceptance or settlement.

use crate::error::FetchDecoded;
use crate::error::{backend, unique_or_backend};
use crate::ledger::post_in;
use crate::outbox::enqueue_in;
use crate::Db;
use sampan_domain::ledger::Account;
use sampan_domain::refund::{Refund, RefundOutcome, RefundStatus};
use sampan_domain::{Country, Currency, DisplayZone, Money, StoreError, UniqueKey};
use sampan_protocol::codes::FailedCode;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const COLUMNS: &str = "refund_transaction_id, app_id, mch_refund_order_id, \
    original_transaction_id, country, currency, channel_code, amount, fee_refund, status, reason, \
    callback_url, created_at, settle_at, finished_at, failed_code";

fn decode(row: &AnyRow) -> Result<Refund, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(backend) };
    let bad = |what: &str, value: &str| StoreError::Backend(format!("bad {what} {value:?}"));
    let country = text("country")?;
    let currency = text("currency")?;
    let status = text("status")?;
    let failed_code: Option<i64> = row.try_get("failed_code").map_err(backend)?;
    Ok(Refund {
        refund_transaction_id: text("refund_transaction_id")?,
        app_id: text("app_id")?,
        mch_refund_order_id: text("mch_refund_order_id")?,
        original_transaction_id: text("original_transaction_id")?,
        country: country
            .parse::<Country>()
            .map_err(|_| bad("country", &country))?,
        channel_code: text("channel_code")?,
        amount: Money::new(
            row.try_get("amount").map_err(backend)?,
            currency
                .parse::<Currency>()
                .map_err(|_| bad("currency", &currency))?,
        ),
        fee_refund: row.try_get("fee_refund").map_err(backend)?,
        status: RefundStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        reason: row.try_get("reason").map_err(backend)?,
        callback_url: text("callback_url")?,
        created_at: row.try_get("created_at").map_err(backend)?,
        settle_at: row.try_get("settle_at").map_err(backend)?,
        finished_at: row.try_get("finished_at").map_err(backend)?,
        failure: failed_code
            .and_then(|c| i32::try_from(c).ok())
            .and_then(FailedCode::from_i32),
    })
}

/// Locks the original payment's row; its amount, or `NotFound`.
async fn lock_original(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    original_transaction_id: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(&format!(
        "SELECT amount FROM payments WHERE transaction_id = $1{}",
        db.dialect.for_update()
    ))
    .bind(original_transaction_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?
    .ok_or(StoreError::NotFound)
}

pub async fn insert(db: &Db, r: &Refund, now_ms: i64) -> Result<(), StoreError> {
    if r.status != RefundStatus::Pending {
        return Err(StoreError::Backend(format!(
            "refund {} must be inserted PENDING",
            r.refund_transaction_id
        )));
    }
    let mut tx = db.begin_write().await?;
    let original_amount = lock_original(db, &mut tx, &r.original_transaction_id).await?;
    // Only COMPLETE refunds count: at most one refund is PENDING at a time (the partial unique
    // index), and if one is, the insert below fails on that index whatever the amount.
    let refunded: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
         WHERE original_transaction_id = $1 AND status = 'COMPLETE'",
    )
    .bind(&r.original_transaction_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(backend)?;
    if r.amount.minor <= 0 || refunded.saturating_add(r.amount.minor) > original_amount {
        return Err(StoreError::RefundExceedsRemainder);
    }
    let available = Account::available(&r.app_id, r.amount.currency).key();
    // As for payouts: make sure the balance row exists, then lock it, so the check below and
    // the debit that follows cannot interleave with another debit of the merchant's.
    sqlx::query(
        "INSERT INTO balances (account, currency, balance, updated_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (account) DO NOTHING",
    )
    .bind(&available)
    .bind(r.amount.currency.code())
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let balance: i64 = sqlx::query_scalar(&format!(
        "SELECT balance FROM balances WHERE account = $1{}",
        db.dialect.for_update()
    ))
    .bind(&available)
    .fetch_one(&mut *tx)
    .await
    .map_err(backend)?;
    let inserted = sqlx::query(&format!(
        "INSERT INTO refunds ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16)"
    ))
    .bind(&r.refund_transaction_id)
    .bind(&r.app_id)
    .bind(&r.mch_refund_order_id)
    .bind(&r.original_transaction_id)
    .bind(r.country.code())
    .bind(r.amount.currency.code())
    .bind(&r.channel_code)
    .bind(r.amount.minor)
    .bind(r.fee_refund)
    .bind(r.status.as_str())
    .bind(r.reason.as_deref())
    .bind(&r.callback_url)
    .bind(r.created_at)
    .bind(r.settle_at)
    .bind(r.finished_at)
    .bind(r.failure.map(|f| f.as_i32() as i64))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[
                ("mch_refund_order_id", UniqueKey::MchRefundOrderId),
                ("refunds_pending_original_key", UniqueKey::PendingRefund),
                // SQLite names the columns of the violated index instead.
                ("refunds.original_transaction_id", UniqueKey::PendingRefund),
                ("refund_transaction_id", UniqueKey::TransactionId),
                ("refunds_pkey", UniqueKey::TransactionId),
            ],
        )
    });
    if let Err(e) = inserted {
        drop(tx);
        return Err(match e {
            // A repeat of a pending refund breaks both unique indexes, and which one a backend
            // reports is its choice: the repeat is the more useful answer (21407), so look.
            StoreError::Duplicate(UniqueKey::PendingRefund)
                if mch_refund_order_id_taken(db, &r.app_id, &r.mch_refund_order_id).await? =>
            {
                StoreError::Duplicate(UniqueKey::MchRefundOrderId)
            }
            other => other,
        });
    }
    // Checked after the insert, so that a duplicate or a second pending refund is reported as
    // such (21407/21409) rather than as a short balance; nothing is written either way.
    if balance < r.amount.minor {
        return Err(StoreError::InsufficientBalance);
    }
    post_in(&mut tx, &r.acceptance(), now_ms).await?;
    tx.commit().await.map_err(backend)
}

async fn mch_refund_order_id_taken(
    db: &Db,
    app_id: &str,
    mch_refund_order_id: &str,
) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT refund_transaction_id FROM refunds WHERE app_id = $1 AND mch_refund_order_id = $2",
    )
    .bind(app_id)
    .bind(mch_refund_order_id)
    .fetch_optional(&db.reader)
    .await
    .map_err(backend)?;
    Ok(found.is_some())
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Refund>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE refund_transaction_id = $1"
    ))
    .bind(id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn of_original(db: &Db, original: &str) -> Result<Vec<Refund>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE original_transaction_id = $1 \
         ORDER BY created_at, refund_transaction_id"
    ))
    .bind(original)
    .all_as(&db.reader, decode)
    .await
}

pub async fn refunded_amount(db: &Db, original: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
         WHERE original_transaction_id = $1 AND status = 'COMPLETE'",
    )
    .bind(original)
    .fetch_one(&db.reader)
    .await
    .map_err(backend)
}

pub async fn settle(
    db: &Db,
    id: &str,
    outcome: RefundOutcome,
    now_ms: i64,
    zone: &DisplayZone,
    memo: Option<&str>,
) -> Result<Refund, StoreError> {
    // The original never changes for a refund, so it can be read before the locks are taken.
    let original = by_id(db, id)
        .await?
        .ok_or(StoreError::NotFound)?
        .original_transaction_id;
    let mut tx = db.begin_write().await?;
    lock_original(db, &mut tx, &original).await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE refund_transaction_id = $1{}",
        db.dialect.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?;
    let settlement = decode(&row)?.settle(outcome, now_ms, zone, memo)?;
    let r = &settlement.refund;
    let updated = sqlx::query(
        "UPDATE refunds SET status = $2, finished_at = $3, failed_code = $4, settle_at = NULL \
         WHERE refund_transaction_id = $1 AND status = 'PENDING'",
    )
    .bind(&r.refund_transaction_id)
    .bind(r.status.as_str())
    .bind(r.finished_at)
    .bind(r.failure.map(|f| f.as_i32() as i64))
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if updated.rows_affected() != 1 {
        // The locks above make this unreachable; if it ever is, write nothing.
        return Err(StoreError::Backend(format!(
            "refund {id} changed under its lock"
        )));
    }
    post_in(&mut tx, &settlement.journal, now_ms).await?;
    enqueue_in(&mut tx, &settlement.notification, now_ms).await?;
    tx.commit().await.map_err(backend)?;
    Ok(settlement.refund)
}

pub async fn due(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT refund_transaction_id FROM refunds WHERE status = 'PENDING' AND settle_at <= $1 \
         ORDER BY settle_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await
    .map_err(backend)
}

pub async fn by_status(
    db: &Db,
    status: RefundStatus,
    created_before: i64,
    limit: i64,
) -> Result<Vec<Refund>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE status = $1 AND created_at <= $2 \
         ORDER BY created_at, refund_transaction_id LIMIT $3"
    ))
    .bind(status.as_str())
    .bind(created_before)
    .bind(limit)
    .all_as(&db.reader, decode)
    .await
}
