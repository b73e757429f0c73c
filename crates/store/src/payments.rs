//! Dynamic payments.

use crate::error::FetchDecoded;
use crate::error::{backend, unique_or_backend};
use crate::ledger::post_in;
use crate::outbox::enqueue_in;
use crate::Db;
use sampan_domain::payment::{Payment, PaymentOutcome, PaymentStatus};
use sampan_domain::{ChannelType, Country, Currency, DisplayZone, Money, StoreError, UniqueKey};
use sampan_protocol::codes::FailedCode;
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const COLUMNS: &str =
    "transaction_id, app_id, mch_order_id, country, currency, channel_code, \
    channel_type, amount, fee, status, customer_name, email, mobile, remark, notify_url, \
    redirect_url, pay_data, created_at, expires_at, finished_at, failed_code";

fn decode(row: &AnyRow) -> Result<Payment, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(backend) };
    let bad = |what: &str, value: &str| StoreError::Backend(format!("bad {what} {value:?}"));
    let country = text("country")?;
    let currency = text("currency")?;
    let channel_type = text("channel_type")?;
    let status = text("status")?;
    let failed_code: Option<i64> = row.try_get("failed_code").map_err(backend)?;
    Ok(Payment {
        transaction_id: text("transaction_id")?,
        app_id: text("app_id")?,
        mch_order_id: text("mch_order_id")?,
        country: country
            .parse::<Country>()
            .map_err(|_| bad("country", &country))?,
        channel_code: text("channel_code")?,
        channel_type: channel_type
            .parse::<ChannelType>()
            .map_err(|_| bad("channel type", &channel_type))?,
        amount: Money::new(
            row.try_get("amount").map_err(backend)?,
            currency
                .parse::<Currency>()
                .map_err(|_| bad("currency", &currency))?,
        ),
        fee: row.try_get("fee").map_err(backend)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        customer_name: text("customer_name")?,
        email: text("email")?,
        mobile: text("mobile")?,
        remark: row.try_get("remark").map_err(backend)?,
        notify_url: text("notify_url")?,
        redirect_url: row.try_get("redirect_url").map_err(backend)?,
        pay_data: text("pay_data")?,
        created_at: row.try_get("created_at").map_err(backend)?,
        expires_at: row.try_get("expires_at").map_err(backend)?,
        finished_at: row.try_get("finished_at").map_err(backend)?,
        failure: failed_code
            .and_then(|c| i32::try_from(c).ok())
            .and_then(FailedCode::from_i32),
    })
}

pub async fn insert(db: &Db, p: &Payment) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO payments ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(&p.transaction_id)
    .bind(&p.app_id)
    .bind(&p.mch_order_id)
    .bind(p.country.code())
    .bind(p.amount.currency.code())
    .bind(&p.channel_code)
    .bind(p.channel_type.as_str())
    .bind(p.amount.minor)
    .bind(p.fee)
    .bind(p.status.as_str())
    .bind(&p.customer_name)
    .bind(&p.email)
    .bind(&p.mobile)
    .bind(p.remark.as_deref())
    .bind(&p.notify_url)
    .bind(p.redirect_url.as_deref())
    .bind(&p.pay_data)
    .bind(p.created_at)
    .bind(p.expires_at)
    .bind(p.finished_at)
    .bind(p.failure.map(|f| f.as_i32() as i64))
    .execute(&db.writer)
    .await
    .map_err(|e| {
        unique_or_backend(
            e,
            &[
                ("mch_order_id", UniqueKey::MchOrderId),
                ("pay_data", UniqueKey::PayData),
                ("transaction_id", UniqueKey::TransactionId),
                ("payments_pkey", UniqueKey::TransactionId),
            ],
        )
    })?;
    Ok(())
}

pub async fn by_transaction_id(db: &Db, id: &str) -> Result<Option<Payment>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE transaction_id = $1"
    ))
    .bind(id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn by_mch_order_id(
    db: &Db,
    app_id: &str,
    mch_order_id: &str,
) -> Result<Option<Payment>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE app_id = $1 AND mch_order_id = $2"
    ))
    .bind(app_id)
    .bind(mch_order_id)
    .optional_as(&db.reader, decode)
    .await
}

pub async fn settle(
    db: &Db,
    transaction_id: &str,
    outcome: PaymentOutcome,
    now_ms: i64,
    zone: &DisplayZone,
) -> Result<Payment, StoreError> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE transaction_id = $1{}",
        db.dialect.for_update()
    ))
    .bind(transaction_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?
    .ok_or(StoreError::NotFound)?;
    let settlement = decode(&row)?.settle(outcome, now_ms, zone)?;
    let p = &settlement.payment;
    let updated = sqlx::query(
        "UPDATE payments SET status = $2, finished_at = $3, failed_code = $4 \
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
            "payment {transaction_id} changed under its lock"
        )));
    }
    if let Some(entry) = &settlement.journal {
        post_in(&mut tx, entry, now_ms).await?;
    }
    enqueue_in(&mut tx, &settlement.notification, now_ms).await?;
    tx.commit().await.map_err(backend)?;
    Ok(settlement.payment)
}

pub async fn expired_pending(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT transaction_id FROM payments WHERE status = 'PENDING' AND expires_at <= $1 \
         ORDER BY expires_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.reader)
    .await
    .map_err(backend)
}
