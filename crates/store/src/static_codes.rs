//! Static payment codes and the payments made to them.

use crate::error::FetchDecoded;
use crate::error::{backend, unique_or_backend};
use crate::ledger::post_in;
use crate::outbox::enqueue_in;
use crate::Db;
use sampan_domain::payment::PaymentStatus;
use sampan_domain::static_code::{
    CodePayment, CodeRefusal, CodeStatus, CodeTotals, IncomingPayment, StaticCode,
};
use sampan_domain::{ChannelType, Country, Currency, DisplayZone, Money, StoreError, UniqueKey};
use sampan_protocol::codes::FailedCode;
use sqlx::any::AnyRow;
use sqlx::Row;

const CODE_COLUMNS: &str = "code_id, app_id, mch_order_id, country, currency, channel_code, \
    channel_type, fixed_amount, status, customer_name, email, mobile, remark, notify_url, \
    pay_data, created_at, expires_at, closed_at";

const PAYMENT_COLUMNS: &str = "transaction_id, code_id, app_id, mch_order_id, country, currency, \
    channel_code, channel_type, amount, fee, status, reference_number, remark, created_at, \
    finished_at, failed_code";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("bad {what} {value:?}"))
}

fn text(row: &AnyRow, name: &str) -> Result<String, StoreError> {
    row.try_get(name).map_err(backend)
}

fn country_currency(row: &AnyRow) -> Result<(Country, Currency, ChannelType), StoreError> {
    let country = text(row, "country")?;
    let currency = text(row, "currency")?;
    let channel_type = text(row, "channel_type")?;
    Ok((
        country
            .parse::<Country>()
            .map_err(|_| bad("country", &country))?,
        currency
            .parse::<Currency>()
            .map_err(|_| bad("currency", &currency))?,
        channel_type
            .parse::<ChannelType>()
            .map_err(|_| bad("channel type", &channel_type))?,
    ))
}

fn decode_code(row: &AnyRow) -> Result<StaticCode, StoreError> {
    let (country, currency, channel_type) = country_currency(row)?;
    let status = text(row, "status")?;
    let fixed: Option<i64> = row.try_get("fixed_amount").map_err(backend)?;
    Ok(StaticCode {
        code_id: text(row, "code_id")?,
        app_id: text(row, "app_id")?,
        mch_order_id: text(row, "mch_order_id")?,
        country,
        channel_code: text(row, "channel_code")?,
        channel_type,
        fixed_amount: fixed.map(|a| Money::new(a, currency)),
        status: CodeStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        customer_name: text(row, "customer_name")?,
        email: text(row, "email")?,
        mobile: text(row, "mobile")?,
        remark: row.try_get("remark").map_err(backend)?,
        notify_url: text(row, "notify_url")?,
        pay_data: text(row, "pay_data")?,
        created_at: row.try_get("created_at").map_err(backend)?,
        expires_at: row.try_get("expires_at").map_err(backend)?,
        closed_at: row.try_get("closed_at").map_err(backend)?,
    })
}

fn decode_payment(row: &AnyRow) -> Result<CodePayment, StoreError> {
    let (country, currency, channel_type) = country_currency(row)?;
    let status = text(row, "status")?;
    let failed_code: Option<i64> = row.try_get("failed_code").map_err(backend)?;
    Ok(CodePayment {
        transaction_id: text(row, "transaction_id")?,
        code_id: text(row, "code_id")?,
        app_id: text(row, "app_id")?,
        mch_order_id: text(row, "mch_order_id")?,
        country,
        channel_code: text(row, "channel_code")?,
        channel_type,
        amount: Money::new(row.try_get("amount").map_err(backend)?, currency),
        fee: row.try_get("fee").map_err(backend)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        reference_number: row.try_get("reference_number").map_err(backend)?,
        remark: row.try_get("remark").map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
        finished_at: row.try_get("finished_at").map_err(backend)?,
        failure: failed_code
            .and_then(|c| i32::try_from(c).ok())
            .and_then(FailedCode::from_i32),
    })
}

pub async fn insert(db: &Db, c: &StaticCode, now_ms: i64) -> Result<(), StoreError> {
    if c.status != CodeStatus::Active {
        return Err(StoreError::Backend(format!(
            "code {} must be inserted ACTIVE",
            c.code_id
        )));
    }
    let mut tx = db.begin_write().await?;
    // A code past its expiry that the worker has not swept yet must not block its successor.
    sqlx::query(
        "UPDATE static_codes SET status = 'EXPIRED', closed_at = expires_at \
         WHERE app_id = $1 AND mch_order_id = $2 AND channel_code = $3 AND status = 'ACTIVE' \
         AND expires_at IS NOT NULL AND expires_at <= $4",
    )
    .bind(&c.app_id)
    .bind(&c.mch_order_id)
    .bind(&c.channel_code)
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    // A VA number identifies what a payer's transfer is for, so an open dynamic order of the
    // channel must not hold it either. Two tables cannot share one unique index: the check runs
    // inside this write transaction (serialized on SQLite; on PostgreSQL a dynamic order taking
    // the same random number in the same instant remains possible, at odds of ~10^-10).
    if c.channel_type == sampan_domain::ChannelType::VA {
        let held: Option<String> = sqlx::query_scalar(
            "SELECT transaction_id FROM payments WHERE channel_code = $1 AND pay_data = $2 \
             AND status = 'PENDING' AND channel_type = 'VA' LIMIT 1",
        )
        .bind(&c.channel_code)
        .bind(&c.pay_data)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if held.is_some() {
            return Err(StoreError::Duplicate(UniqueKey::PayData));
        }
    }
    sqlx::query(&format!(
        "INSERT INTO static_codes ({CODE_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&c.code_id)
    .bind(&c.app_id)
    .bind(&c.mch_order_id)
    .bind(c.country.code())
    .bind(c.country.currency().code())
    .bind(&c.channel_code)
    .bind(c.channel_type.as_str())
    .bind(c.fixed_amount.map(|m| m.minor))
    .bind(c.status.as_str())
    .bind(&c.customer_name)
    .bind(&c.email)
    .bind(&c.mobile)
    .bind(c.remark.as_deref())
    .bind(&c.notify_url)
    .bind(&c.pay_data)
    .bind(c.created_at)
    .bind(c.expires_at)
    .bind(c.closed_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[
                ("mch_order_id", UniqueKey::MchOrderId),
                ("pay_data", UniqueKey::PayData),
                ("code_id", UniqueKey::TransactionId),
                ("static_codes_pkey", UniqueKey::TransactionId),
            ],
        )
    })?;
    tx.commit().await.map_err(backend)
}

pub async fn by_id(db: &Db, code_id: &str) -> Result<Option<StaticCode>, StoreError> {
    sqlx::query(&format!(
        "SELECT {CODE_COLUMNS} FROM static_codes WHERE code_id = $1"
    ))
    .bind(code_id)
    .optional_as(&db.reader, decode_code)
    .await
}

/// ACTIVE first (0 sorts before 1), then newest.
const ACTIVE_FIRST: &str =
    "ORDER BY CASE WHEN status = 'ACTIVE' THEN 0 ELSE 1 END, created_at DESC, code_id DESC";

pub async fn by_pay_data(db: &Db, pay_data: &str) -> Result<Option<StaticCode>, StoreError> {
    sqlx::query(&format!(
        "SELECT {CODE_COLUMNS} FROM static_codes WHERE pay_data = $1 {ACTIVE_FIRST} LIMIT 1"
    ))
    .bind(pay_data)
    .optional_as(&db.reader, decode_code)
    .await
}

pub async fn by_mch_order_id(
    db: &Db,
    app_id: &str,
    mch_order_id: &str,
) -> Result<Vec<StaticCode>, StoreError> {
    sqlx::query(&format!(
        "SELECT {CODE_COLUMNS} FROM static_codes WHERE app_id = $1 AND mch_order_id = $2 \
         {ACTIVE_FIRST}"
    ))
    .bind(app_id)
    .bind(mch_order_id)
    .all_as(&db.reader, decode_code)
    .await
}

pub async fn totals(db: &Db, code_id: &str) -> Result<CodeTotals, StoreError> {
    // PostgreSQL's SUM(bigint) is numeric; the cast keeps it a BIGINT on both backends.
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total \
         FROM code_payments WHERE code_id = $1 AND status = 'COMPLETED'",
    )
    .bind(code_id)
    .fetch_one(&db.reader)
    .await
    .map_err(backend)?;
    Ok(CodeTotals {
        paid_count: row.try_get("n").map_err(backend)?,
        paid_amount: row.try_get("total").map_err(backend)?,
    })
}

async fn lock_code(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    code_id: &str,
) -> Result<StaticCode, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CODE_COLUMNS} FROM static_codes WHERE code_id = $1{}",
        db.dialect.for_update()
    ))
    .bind(code_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?;
    decode_code(&row)
}

async fn mark_expired(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    code_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE static_codes SET status = 'EXPIRED', closed_at = expires_at \
         WHERE code_id = $1 AND status = 'ACTIVE'",
    )
    .bind(code_id)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

pub async fn pay(
    db: &Db,
    code_id: &str,
    incoming: &IncomingPayment,
    now_ms: i64,
    zone: &DisplayZone,
) -> Result<CodePayment, StoreError> {
    let mut tx = db.begin_write().await?;
    let code = lock_code(db, &mut tx, code_id).await?;
    let settlement = match code.accept_payment(incoming, now_ms, zone) {
        Ok(s) => s,
        Err(CodeRefusal::Expired) => {
            // The payer met an expired code before the sweep did: record what they saw.
            mark_expired(&mut tx, code_id).await?;
            tx.commit().await.map_err(backend)?;
            return Err(CodeRefusal::Expired.into());
        }
        Err(refusal) => return Err(refusal.into()),
    };
    let p = &settlement.payment;
    sqlx::query(&format!(
        "INSERT INTO code_payments ({PAYMENT_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&p.transaction_id)
    .bind(&p.code_id)
    .bind(&p.app_id)
    .bind(&p.mch_order_id)
    .bind(p.country.code())
    .bind(p.amount.currency.code())
    .bind(&p.channel_code)
    .bind(p.channel_type.as_str())
    .bind(p.amount.minor)
    .bind(p.fee)
    .bind(p.status.as_str())
    .bind(p.reference_number.as_deref())
    .bind(p.remark.as_deref())
    .bind(p.created_at)
    .bind(p.finished_at)
    .bind(p.failure.map(|f| f.as_i32() as i64))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[
                ("transaction_id", UniqueKey::TransactionId),
                ("code_payments_pkey", UniqueKey::TransactionId),
            ],
        )
    })?;
    post_in(&mut tx, &settlement.journal, now_ms).await?;
    enqueue_in(&mut tx, &settlement.notification, now_ms).await?;
    tx.commit().await.map_err(backend)?;
    Ok(settlement.payment)
}

pub async fn cancel(db: &Db, code_id: &str, now_ms: i64) -> Result<StaticCode, StoreError> {
    let mut tx = db.begin_write().await?;
    let code = lock_code(db, &mut tx, code_id).await?;
    let next = match code.cancel(now_ms) {
        Ok(next) => next,
        Err(CodeRefusal::Expired) => {
            mark_expired(&mut tx, code_id).await?;
            tx.commit().await.map_err(backend)?;
            return Err(CodeRefusal::Expired.into());
        }
        Err(refusal) => return Err(refusal.into()),
    };
    let updated = sqlx::query(
        "UPDATE static_codes SET status = $2, closed_at = $3 \
         WHERE code_id = $1 AND status = 'ACTIVE'",
    )
    .bind(&next.code_id)
    .bind(next.status.as_str())
    .bind(next.closed_at)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Backend(format!(
            "code {code_id} changed under its lock"
        )));
    }
    tx.commit().await.map_err(backend)?;
    Ok(next)
}

pub async fn expire_due(db: &Db, now_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE static_codes SET status = 'EXPIRED', closed_at = expires_at \
         WHERE status = 'ACTIVE' AND expires_at IS NOT NULL AND expires_at <= $1",
    )
    .bind(now_ms)
    .execute(&db.writer)
    .await
    .map_err(backend)?;
    Ok(done.rows_affected())
}

pub async fn payments(
    db: &Db,
    app_id: &str,
    mch_order_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<CodePayment>, StoreError> {
    sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM code_payments WHERE app_id = $1 AND mch_order_id = $2 \
         AND created_at >= $3 AND created_at < $4 ORDER BY created_at DESC, transaction_id DESC"
    ))
    .bind(app_id)
    .bind(mch_order_id)
    .bind(from_ms)
    .bind(to_ms)
    .all_as(&db.reader, decode_payment)
    .await
}

pub async fn payment(db: &Db, transaction_id: &str) -> Result<Option<CodePayment>, StoreError> {
    sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM code_payments WHERE transaction_id = $1"
    ))
    .bind(transaction_id)
    .optional_as(&db.reader, decode_payment)
    .await
}
