//! `Store` for SQLite and PostgreSQL.
//!
//! One implementation serves both backends through sqlx's `Any` driver: the SQL is written once
//! in the common dialect (`$n` placeholders work in both), and the few places where the two
//! differ (row locks, auto-increment keys) ask [`Dialect`]. SQLite runs in WAL mode with a
//! single writer connection, so writes serialize inside the process and readers never block;
//! PostgreSQL uses one pool with explicit row locks and `SKIP LOCKED` claims.

mod apps;
mod error;
mod ledger;
mod migrate;
mod outbox;
mod payments;
mod payouts;
mod refunds;
mod reports;
mod static_codes;
mod wechat;

use async_trait::async_trait;
use sampan_domain::ledger::{Account, JournalEntry, LedgerReport};
use sampan_domain::outbox::{Attempt, Notification};
use sampan_domain::report::{ReportPageQuery, ReportRow, SummaryRow};
use sampan_domain::static_code::{CodePayment, CodeTotals, IncomingPayment, StaticCode};
use sampan_domain::{
    App, DisplayZone, Payment, PaymentOutcome, Payout, PayoutOutcome, PayoutStatus, Refund,
    RefundOutcome, RefundStatus, Store, StoreError,
};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::path::Path;
use std::time::Duration;

pub use error::backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row lock for read-then-write inside a transaction. SQLite needs none: its single writer
    /// connection already serializes every write transaction of the process.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// A connected store.
#[derive(Debug, Clone)]
pub struct Db {
    dialect: Dialect,
    /// All writes go through this pool (one connection on SQLite).
    writer: AnyPool,
    /// Reads; the same pool as `writer` on PostgreSQL.
    reader: AnyPool,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Connections of the PostgreSQL pool, or SQLite reader connections.
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

impl Db {
    /// Connects to `postgres://…` or `sqlite://path` (created when missing) and brings the
    /// schema up to date.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect(url)
                .await
                .map_err(backend)?;
            Db {
                dialect: Dialect::Postgres,
                writer: pool.clone(),
                reader: pool,
            }
        } else if url.starts_with("sqlite:") {
            let url = with_create_mode(url);
            let sqlite_pool = |max: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(options.acquire_timeout)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA foreign_keys = ON",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
            };
            let writer = sqlite_pool(1).connect(&url).await.map_err(backend)?;
            let reader = sqlite_pool(options.max_connections.max(1))
                .connect(&url)
                .await
                .map_err(backend)?;
            Db {
                dialect: Dialect::Sqlite,
                writer,
                reader,
            }
        } else {
            return Err(StoreError::Backend(format!(
                "unsupported database URL (want sqlite:// or postgres://): {}",
                redact(url)
            )));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// The SQLite URL of a database file.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}", path.display())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail half-way because another process
    /// (the CLI, say) wrote in between; busy_timeout makes it wait instead.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.dialect {
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.writer.begin().await,
        }
        .map_err(backend)
    }

    /// A read-only transaction that sees one consistent snapshot across its statements.
    pub(crate) async fn begin_snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.dialect {
            // A WAL reader's transaction is a snapshot by itself.
            Dialect::Sqlite => self.reader.begin().await,
            Dialect::Postgres => {
                self.reader
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
        .map_err(backend)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A database URL fit for logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[async_trait]
impl Store for Db {
    async fn insert_app(&self, app: &App) -> Result<(), StoreError> {
        apps::insert(self, app).await
    }
    async fn update_app(&self, app: &App) -> Result<(), StoreError> {
        apps::update(self, app).await
    }
    async fn app(&self, app_id: &str) -> Result<Option<App>, StoreError> {
        apps::get(self, app_id).await
    }
    async fn apps(&self) -> Result<Vec<App>, StoreError> {
        apps::list(self).await
    }

    async fn insert_payment(&self, payment: &Payment) -> Result<(), StoreError> {
        payments::insert(self, payment).await
    }
    async fn payment(&self, transaction_id: &str) -> Result<Option<Payment>, StoreError> {
        payments::by_transaction_id(self, transaction_id).await
    }
    async fn payment_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        payments::by_mch_order_id(self, app_id, mch_order_id).await
    }
    async fn settle_payment(
        &self,
        transaction_id: &str,
        outcome: PaymentOutcome,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<Payment, StoreError> {
        payments::settle(self, transaction_id, outcome, now_ms, zone).await
    }
    async fn expired_pending_payments(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        payments::expired_pending(self, now_ms, limit).await
    }

    async fn wechat_merchant_key(&self, appid: &str) -> Result<Option<String>, StoreError> {
        wechat::get(self, appid).await
    }
    async fn insert_wechat_merchant_key(
        &self,
        appid: &str,
        pem: &str,
        now_ms: i64,
    ) -> Result<String, StoreError> {
        wechat::insert_if_absent(self, appid, pem, now_ms).await
    }
    async fn insert_payout(&self, payout: &Payout, now_ms: i64) -> Result<(), StoreError> {
        payouts::insert(self, payout, now_ms).await
    }
    async fn payout(&self, transaction_id: &str) -> Result<Option<Payout>, StoreError> {
        payouts::by_transaction_id(self, transaction_id).await
    }
    async fn payout_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Option<Payout>, StoreError> {
        payouts::by_mch_order_id(self, app_id, mch_order_id).await
    }
    async fn settle_payout(
        &self,
        transaction_id: &str,
        outcome: PayoutOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<Payout, StoreError> {
        payouts::settle(self, transaction_id, outcome, now_ms, zone, memo).await
    }
    async fn due_payouts(&self, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        payouts::due(self, now_ms, limit).await
    }
    async fn payouts_by_status(
        &self,
        status: PayoutStatus,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<Payout>, StoreError> {
        payouts::by_status(self, status, created_before, limit).await
    }

    async fn insert_refund(&self, refund: &Refund, now_ms: i64) -> Result<(), StoreError> {
        refunds::insert(self, refund, now_ms).await
    }
    async fn refund(&self, refund_transaction_id: &str) -> Result<Option<Refund>, StoreError> {
        refunds::by_id(self, refund_transaction_id).await
    }
    async fn refunds_of(&self, original_transaction_id: &str) -> Result<Vec<Refund>, StoreError> {
        refunds::of_original(self, original_transaction_id).await
    }
    async fn refunded_amount(&self, original_transaction_id: &str) -> Result<i64, StoreError> {
        refunds::refunded_amount(self, original_transaction_id).await
    }
    async fn settle_refund(
        &self,
        refund_transaction_id: &str,
        outcome: RefundOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<Refund, StoreError> {
        refunds::settle(self, refund_transaction_id, outcome, now_ms, zone, memo).await
    }
    async fn due_refunds(&self, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        refunds::due(self, now_ms, limit).await
    }
    async fn refunds_by_status(
        &self,
        status: RefundStatus,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<Refund>, StoreError> {
        refunds::by_status(self, status, created_before, limit).await
    }
    async fn insert_static_code(&self, code: &StaticCode, now_ms: i64) -> Result<(), StoreError> {
        static_codes::insert(self, code, now_ms).await
    }
    async fn static_code(&self, code_id: &str) -> Result<Option<StaticCode>, StoreError> {
        static_codes::by_id(self, code_id).await
    }
    async fn static_code_by_pay_data(
        &self,
        pay_data: &str,
    ) -> Result<Option<StaticCode>, StoreError> {
        static_codes::by_pay_data(self, pay_data).await
    }
    async fn static_codes_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Vec<StaticCode>, StoreError> {
        static_codes::by_mch_order_id(self, app_id, mch_order_id).await
    }
    async fn code_totals(&self, code_id: &str) -> Result<CodeTotals, StoreError> {
        static_codes::totals(self, code_id).await
    }
    async fn pay_static_code(
        &self,
        code_id: &str,
        incoming: &IncomingPayment,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<CodePayment, StoreError> {
        static_codes::pay(self, code_id, incoming, now_ms, zone).await
    }
    async fn cancel_static_code(
        &self,
        code_id: &str,
        now_ms: i64,
    ) -> Result<StaticCode, StoreError> {
        static_codes::cancel(self, code_id, now_ms).await
    }
    async fn expire_static_codes(&self, now_ms: i64) -> Result<u64, StoreError> {
        static_codes::expire_due(self, now_ms).await
    }
    async fn code_payments(
        &self,
        app_id: &str,
        mch_order_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CodePayment>, StoreError> {
        static_codes::payments(self, app_id, mch_order_id, from_ms, to_ms).await
    }
    async fn code_payment(&self, transaction_id: &str) -> Result<Option<CodePayment>, StoreError> {
        static_codes::payment(self, transaction_id).await
    }

    async fn report_page(&self, query: &ReportPageQuery) -> Result<Vec<ReportRow>, StoreError> {
        reports::page(self, query).await
    }
    async fn daily_summary(&self, from_ms: i64, to_ms: i64) -> Result<Vec<SummaryRow>, StoreError> {
        reports::summary(self, from_ms, to_ms).await
    }
    async fn insert_payments(&self, payments: &[Payment]) -> Result<(), StoreError> {
        reports::insert_payments(self, payments).await
    }

    async fn balance(&self, account: &Account) -> Result<i64, StoreError> {
        ledger::balance(self, account).await
    }
    async fn post_entry(&self, entry: &JournalEntry, now_ms: i64) -> Result<(), StoreError> {
        ledger::post_alone(self, entry, now_ms).await
    }
    async fn verify_ledger(&self) -> Result<LedgerReport, StoreError> {
        ledger::verify(self).await
    }

    async fn claim_due_notifications(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        outbox::claim_due(self, now_ms, lease_ms, limit).await
    }
    async fn record_attempt(
        &self,
        attempt: &Attempt,
        next_attempt_at: Option<i64>,
    ) -> Result<(), StoreError> {
        outbox::record_attempt(self, attempt, next_attempt_at).await
    }
    async fn notification(&self, id: i64) -> Result<Option<Notification>, StoreError> {
        outbox::get(self, id).await
    }
    async fn notifications_for(&self, reference: &str) -> Result<Vec<Notification>, StoreError> {
        outbox::for_reference(self, reference).await
    }
    async fn attempts(&self, notification_id: i64) -> Result<Vec<Attempt>, StoreError> {
        outbox::attempts(self, notification_id).await
    }
    async fn resend_notification(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        outbox::resend(self, id, now_ms).await
    }
    async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        outbox::backlog(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact("postgres://sampan:secret@db:5432/sampan"),
            "postgres://sampan:***@db:5432/sampan"
        );
        assert_eq!(redact("sqlite://data/sampan.db"), "sqlite://data/sampan.db");
    }
}
