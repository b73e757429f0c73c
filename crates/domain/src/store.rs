//! The persistence the domain needs. `sampan-store` implements it for SQLite and PostgreSQL;
//! every method that changes money does so in one database transaction.

use crate::app::App;
use crate::ledger::{Account, JournalEntry, LedgerReport};
use crate::outbox::{Attempt, Notification};
use crate::payment::{Payment, PaymentOutcome, TransitionError};
use crate::payout::{Payout, PayoutOutcome, PayoutStatus};
use crate::refund::{Refund, RefundOutcome, RefundStatus};
use crate::report::{ReportPageQuery, ReportRow, SummaryRow};
use crate::static_code::{CodePayment, CodeRefusal, CodeTotals, IncomingPayment, StaticCode};
use crate::time::DisplayZone;
use async_trait::async_trait;

/// Which uniqueness rule a write broke; the HTTP edge maps each to its protocol code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    AppId,
    MchOrderId,
    /// A VA or reference number already held by another open order.
    PayData,
    TransactionId,
    /// A payout's `idempotencyId` already used by the app.
    IdempotencyId,
    /// A refund's `mchRefundOrderId` already used by the app.
    MchRefundOrderId,
    /// Another refund of the same original is still PENDING.
    PendingRefund,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("duplicate {0:?}")]
    Duplicate(UniqueKey),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A static code refused a payment or a cancel; nothing was written.
    #[error(transparent)]
    Code(#[from] CodeRefusal),
    /// The merchant's available balance cannot cover the debit.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// The refund would take the original's refunds above its amount.
    #[error("refund above the unrefunded remainder")]
    RefundExceedsRemainder,
    #[error("unbalanced journal entry for {0}")]
    Unbalanced(String),
    #[error("storage error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- apps
    async fn insert_app(&self, app: &App) -> Result<(), StoreError>;
    async fn update_app(&self, app: &App) -> Result<(), StoreError>;
    async fn app(&self, app_id: &str) -> Result<Option<App>, StoreError>;
    async fn apps(&self) -> Result<Vec<App>, StoreError>;

    // ---- payments
    /// Inserts a new PENDING payment; `Duplicate(MchOrderId)` when the app already used the id.
    async fn insert_payment(&self, payment: &Payment) -> Result<(), StoreError>;
    async fn payment(&self, transaction_id: &str) -> Result<Option<Payment>, StoreError>;
    async fn payment_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Option<Payment>, StoreError>;
    /// Applies `outcome` under a row lock: status change, journal entry and outbox row commit
    /// together or not at all.
    async fn settle_payment(
        &self,
        transaction_id: &str,
        outcome: PaymentOutcome,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<Payment, StoreError>;
    /// Ids of PENDING payments whose expiry has passed.
    async fn expired_pending_payments(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError>;

    // ---- WeChat merchant keys (sandbox stand-ins for the key WeChat Pay issues per appid)
    /// The PKCS#8 PEM private key that signs `paySign` for `appid`.
    async fn wechat_merchant_key(&self, appid: &str) -> Result<Option<String>, StoreError>;
    /// Stores `pem` for `appid` unless a key is already stored, and returns the stored key, so
    /// nodes racing to create one all end up signing with the same key.
    async fn insert_wechat_merchant_key(
        &self,
        appid: &str,
        pem: &str,
        now_ms: i64,
    ) -> Result<String, StoreError>;

    // ---- payouts
    /// Accepts a new PENDING payout in one transaction: under a row lock on the merchant's
    /// available balance, checks it covers amount + fee (`InsufficientBalance` otherwise),
    /// inserts the payout (`Duplicate(MchOrderId)` / `Duplicate(IdempotencyId)`) and posts its
    /// acceptance entry.
    async fn insert_payout(&self, payout: &Payout, now_ms: i64) -> Result<(), StoreError>;
    async fn payout(&self, transaction_id: &str) -> Result<Option<Payout>, StoreError>;
    async fn payout_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Option<Payout>, StoreError>;
    /// Applies `outcome` under a row lock: status, journal entry and outbox row (if any) commit
    /// together or not at all. `memo` lands on the journal entry (operator actions).
    async fn settle_payout(
        &self,
        transaction_id: &str,
        outcome: PayoutOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<Payout, StoreError>;
    /// Ids of PENDING payouts whose `settle_at` has come.
    async fn due_payouts(&self, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Payouts in `status` created at or before `created_before`, oldest first.
    async fn payouts_by_status(
        &self,
        status: PayoutStatus,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<Payout>, StoreError>;

    // ---- refunds
    /// Accepts a new PENDING refund in one transaction: under a row lock on the original
    /// payment, checks the refunds already COMPLETE plus this one stay within the original's
    /// amount (`RefundExceedsRemainder`); under a row lock on the merchant's available balance,
    /// checks it covers the amount (`InsufficientBalance`); inserts the refund
    /// (`Duplicate(MchRefundOrderId)`, `Duplicate(PendingRefund)` from the unique indexes) and
    /// posts its acceptance entry.
    async fn insert_refund(&self, refund: &Refund, now_ms: i64) -> Result<(), StoreError>;
    async fn refund(&self, refund_transaction_id: &str) -> Result<Option<Refund>, StoreError>;
    /// Every refund of a payment, oldest first.
    async fn refunds_of(&self, original_transaction_id: &str) -> Result<Vec<Refund>, StoreError>;
    /// What the COMPLETE refunds of a payment have given back.
    async fn refunded_amount(&self, original_transaction_id: &str) -> Result<i64, StoreError>;
    /// Applies `outcome` under row locks on the original payment and the refund: status,
    /// journal entry and outbox row commit together or not at all.
    async fn settle_refund(
        &self,
        refund_transaction_id: &str,
        outcome: RefundOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<Refund, StoreError>;
    /// Ids of PENDING refunds whose `settle_at` has come.
    async fn due_refunds(&self, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Refunds in `status` created at or before `created_before`, oldest first.
    async fn refunds_by_status(
        &self,
        status: RefundStatus,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<Refund>, StoreError>;

    // ---- static payment codes
    /// Inserts a new ACTIVE code. First, in the same transaction, marks EXPIRED the app's ACTIVE
    /// code for the same mchOrderId and channel if its expiry has passed; then the insert itself
    /// enforces one ACTIVE code per app + mchOrderId + channel (`Duplicate(MchOrderId)`) and one
    /// ACTIVE holder of a VA number per channel (`Duplicate(PayData)`).
    async fn insert_static_code(&self, code: &StaticCode, now_ms: i64) -> Result<(), StoreError>;
    async fn static_code(&self, code_id: &str) -> Result<Option<StaticCode>, StoreError>;
    /// The code whose `payData` this is: the ACTIVE one if any, else the newest.
    async fn static_code_by_pay_data(
        &self,
        pay_data: &str,
    ) -> Result<Option<StaticCode>, StoreError>;
    /// The app's codes with this mchOrderId, ACTIVE first, then newest first.
    async fn static_codes_by_mch_order_id(
        &self,
        app_id: &str,
        mch_order_id: &str,
    ) -> Result<Vec<StaticCode>, StoreError>;
    /// Completed payments received by a code.
    async fn code_totals(&self, code_id: &str) -> Result<CodeTotals, StoreError>;
    /// Takes one payment to a code under a row lock on the code: the payment row, its journal
    /// entry (credit net of fee) and its outbox row commit together, or `Code(refusal)` and
    /// nothing is written.
    async fn pay_static_code(
        &self,
        code_id: &str,
        incoming: &IncomingPayment,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<CodePayment, StoreError>;
    /// ACTIVE → CANCEL under a row lock on the code (`Code(refusal)` otherwise; a code found
    /// past its expiry is marked EXPIRED and refused).
    async fn cancel_static_code(
        &self,
        code_id: &str,
        now_ms: i64,
    ) -> Result<StaticCode, StoreError>;
    /// Marks EXPIRED every ACTIVE code whose expiry has passed; returns how many.
    async fn expire_static_codes(&self, now_ms: i64) -> Result<u64, StoreError>;
    /// Payments to the app's codes with this mchOrderId created in `[from_ms, to_ms)`, newest
    /// first.
    async fn code_payments(
        &self,
        app_id: &str,
        mch_order_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CodePayment>, StoreError>;
    async fn code_payment(&self, transaction_id: &str) -> Result<Option<CodePayment>, StoreError>;

    // ---- reports
    /// One page of a report, in `(created_at, transaction_id)` order, strictly after
    /// `query.after`.
    async fn report_page(&self, query: &ReportPageQuery) -> Result<Vec<ReportRow>, StoreError>;
    /// Payments, payouts and refunds created in `[from_ms, to_ms)`, per kind, country,
    /// channel and status.
    async fn daily_summary(&self, from_ms: i64, to_ms: i64) -> Result<Vec<SummaryRow>, StoreError>;
    /// Inserts many payments in one transaction, as they are (bulk loads and benchmarks; no
    /// ledger entries, no notifications).
    async fn insert_payments(&self, payments: &[Payment]) -> Result<(), StoreError>;

    // ---- ledger
    async fn balance(&self, account: &Account) -> Result<i64, StoreError>;
    /// Posts an operator entry (top-up, adjustment) on its own. Like every entry, it fails with
    /// `InsufficientBalance` if it would take a merchant's available balance below zero.
    async fn post_entry(&self, entry: &JournalEntry, now_ms: i64) -> Result<(), StoreError>;
    /// Recomputes every balance from the postings and checks every entry sums to zero.
    async fn verify_ledger(&self) -> Result<LedgerReport, StoreError>;

    // ---- notification outbox
    /// Claims up to `limit` due PENDING notifications by pushing their next attempt `lease_ms`
    /// into the future, so no other worker or node picks them up meanwhile.
    async fn claim_due_notifications(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError>;
    /// Records an attempt. Delivered → DELIVERED; otherwise PENDING again at
    /// `next_attempt_at`, or ABANDONED when there is none.
    async fn record_attempt(
        &self,
        attempt: &Attempt,
        next_attempt_at: Option<i64>,
    ) -> Result<(), StoreError>;
    async fn notification(&self, id: i64) -> Result<Option<Notification>, StoreError>;
    async fn notifications_for(&self, reference: &str) -> Result<Vec<Notification>, StoreError>;
    async fn attempts(&self, notification_id: i64) -> Result<Vec<Attempt>, StoreError>;
    /// Makes a notification due now again, whatever its status (operator resend).
    async fn resend_notification(&self, id: i64, now_ms: i64) -> Result<(), StoreError>;
    /// Pending notifications, for the backlog gauge.
    async fn outbox_backlog(&self) -> Result<i64, StoreError>;
}
