//! Payouts: acceptance under a lock on the merchant's available balance, settlement, listings.

use crate::error::FetchDecoded;
use crate::error::{backend, unique_or_backend};
use crate::ledger::post_in;
use crate::outbox::enqueue_in;
use crate::Db;
use sampan_domain::ledger::Account;
use sampan_domain::payout::{Payout, PayoutOutcome, PayoutStatus};
use sampan_domain::{Country, Currency, DisplayZone, Money, StoreError, UniqueKey};
use sampan_protocol::codes::FailedCode;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "transaction_id, app_id, mch_order_id, idempotency_id, country, currency, \
    method_code, pay_method_code, transfer_code, amount, fee, status, account_no, account_name, \
    account_type, promptpay_account_type, account_tax_id, mobile, relationship, remark, \
    notify_url, created_at, settle_at, finished_at, failed_code";

fn decode(row: &AnyRow) -> Result<Payout, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(backend) };
    let opt =
        |name: &str| -> Result<Option<String>, StoreError> { row.try_get(name).map_err(backend) };
    let bad = |what: &str, value: &str| StoreError::Backend(format!("bad {what} {value:?}"));
    let country = text("country")?;
    let currency = text("currency")?;
    let status = text("status")?;
    let failed_code: Option<i64> = row.try_get("failed_code").map_err(backend)?;
    Ok(Payout {
        transaction_id: text("transaction_id")?,
        app_id: text("app_id")?,
        mch_order_id: text("mch_order_id")?,
        idempotency_id: text("idempotency_id")?,
        country: country
            .parse::<Country>()
            .map_err(|_| bad("country", &country))?,
        method_code: text("method_code")?,
        pay_method_code: text("pay_method_code")?,
        transfer_code: opt("transfer_code")?,
        amount: Money::new(
            row.try_get("amount").map_err(backend)?,
            currency
                .parse::<Currency>()
                .map_err(|_| bad("currency", &currency))?,
        ),
        fee: row.try_get("fee").map_err(backend)?,
        status: PayoutStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        account_no: text("account_no")?,
        account_name: opt("account_name")?,
        account_type: opt("account_type")?,
        promptpay_account_type: opt("promptpay_account_type")?,
        account_tax_id: opt("account_tax_id")?,
        mobile: opt("mobile")?,
        relationship: opt("relationship")?,
        remark: opt("remark")?,
        notify_url: opt("notify_url")?,
        created_at: row.try_get("created_at").map_err(backend)?,
        settle_at: row.try_get("settle_at").map_err(backend)?,
        finished_at: row.try_get("finished_at").map_err(backend)?,
        failure: failed_code
            .and_then(|c| i32::try_from(c).ok())
            .and_then(FailedCode::from_i32),
    })
}

pub async fn insert(db: &Db, p: &Payout, now_ms: i64) -> Result<(), StoreError> {
    if p.status != PayoutStatus::Pending {
        return Err(StoreError::Backend(format!(
            "payout {} must be inserted PENDING",
            p.transaction_id
        )));
    }
    let available = Account::available(&p.app_id, p.amount.currency).key();
    let mut tx = db.begin_write().await?;
    // The balance row must exist to be locked: create it at zero if this merchant never had
    // one, then lock it. Every payout of the merchant queues here, so the check below and the
    // debit that follows cannot interleave with another payout's (SQLite: BEGIN IMMEDIATE has
    // already serialized every writer).
    sqlx::query(
        "INSERT INTO balances (account, currency, balance, updated_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (account) DO NOTHING",
    )
    .bind(&available)
    .bind(p.amount.currency.code())
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
    if balance < p.held() {
        return Err(StoreError::InsufficientBalance);
    }
    sqlx::query(&format!(
        "INSERT INTO payouts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(&p.transaction_id)
    .bind(&p.app_id)
    .bind(&p.mch_order_id)
    .bind(&p.idempotency_id)
    .bind(p.country.code())
    .bind(p.amount.currency.code())
    .bind(&p.method_code)
    .bind(&p.pay_method_code)
    .bind(p.transfer_code.as_deref())
    .bind(p.amount.minor)
    .bind(p.fee)
    .bind(p.status.as_str())
    .bind(&p.account_no)
    .bind(p.account_name.as_deref())
    .bind(p.account_type.as_deref())
    .bind(p.promptpay_account_type.as_deref())
    .bind(p.account_tax_id.as_deref())
    .bind(p.mobile.as_deref())
    .bind(p.relationship.as_deref())
    .bind(p.remark.as_deref())
    .bind(p.notify_url.as_deref())
    .bind(p.created_at)
    .bind(p.settle_at)
    .bind(p.finished_at)
    .bind(p.failure.map(|f| f.as_i32() as i64))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[
                ("mch_order_id", UniqueKey::MchOrderId),
                ("idempotency_id", UniqueKey::IdempotencyId),
                ("transaction_id", UniqueKey::TransactionId),
                ("payouts_pkey", UniqueKey::TransactionId),
            ],
        )
    })?;
    post_in(&mut tx, &p.acceptance(), now_ms).await?;
    tx.commit().await.map_err(backend)
}

pub async fn by_transaction_id(db: &Db, id: &str) -> Result<Option<Payout>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payouts WHERE transaction_id = $1"
    ))
    .bind(id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn by_mch_order_id(
    db: &Db,
    app_id: &str,
    mch_order_id: &str,
) -> Result<Option<Payout>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payouts WHERE app_id = $1 AND mch_order_id = $2"
    ))
    .bind(app_id)
    .bind(mch_order_id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn settle(
    db: &Db,
    transaction_id: &str,
    outcome: PayoutOutcome,
    now_ms: i64,
    zone: &DisplayZone,
    memo: Option<&str>,
) -> Result<Payout, StoreError> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payouts WHERE transaction_id = $1{}",
        db.dialect.for_update()
    ))
    .bind(transaction_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?;
    let settlement = decode(&row)?.settle(outcome, now_ms, zone, memo)?;
    let p = &settlement.payout;
    let updated = sqlx::query(
        "UPDATE payouts SET status = $2, finished_at = $3, failed_code = $4, settle_at = NULL \
         WHERE transaction_id = $1 AND status = 'PENDING'",
    )
    .bind(&p.transaction_id)
    .bind(p.status.as_str())
    .bind(p.finished_at)
    .bind(p.failure.map(|f| f.as_i32() as i64))
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if updated.rows_affected() != 1 {
        // The lock above makes this unreachable; if it ever is, write nothing.
        return Err(StoreError::Backend(format!(
            "payout {transaction_id} changed under its lock"
        )));
    }
    post_in(&mut tx, &settlement.journal, now_ms).await?;
    if let Some(notification) = &settlement.notification {
        enqueue_in(&mut tx, notification, now_ms).await?;
    }
    tx.commit().await.map_err(backend)?;
    Ok(settlement.payout)
}

pub async fn due(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT transaction_id FROM payouts WHERE status = 'PENDING' AND settle_at <= $1 \
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
    status: PayoutStatus,
    created_before: i64,
    limit: i64,
) -> Result<Vec<Payout>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payouts WHERE status = $1 AND created_at <= $2 \
         ORDER BY created_at, transaction_id LIMIT $3"
    ))
    .bind(status.as_str())
    .bind(created_before)
    .bind(limit)
    .all_as(&db.reader, decode)
    .await
}
