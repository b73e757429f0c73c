//! Refunds of completed payments and their state machine: PENDING → COMPLETE | FAILED | CANCEL.
//!
//! A refund is designed against "a COMPLETED payment row", whatever created it (a dynamic order
//! or, later, a payment to a static code), so the same rules apply to every payment.
//!
//! Money: accepting a refund freezes its amount on the merchant's balance
//! ([`Refund::acceptance`]); completion pays it back through the original's channel and gives
//! back the fee share the channel's policy allows (a full refund: the whole fee of the original;
//! a partial one: none); failure or an operator's cancel returns the frozen amount
//! ([`Refund::settle`]).
//!
//! "Full" means one refund of the original's whole amount. A refund of the remainder after an
//! earlier partial refund is partial: the fee is never given back twice or in slices.

use crate::catalog::Catalog;
use crate::ledger::{self, JournalEntry};
use crate::money::{Country, Money};
use crate::outbox::NewNotification;
use crate::payment::{Payment, PaymentStatus, TransitionError};
use crate::time::DisplayZone;
use sampan_protocol::codes::FailedCode;
use sampan_protocol::refund::{
    RefundCreate, RefundCreateData, RefundData, RefundNotification, EVENT_REFUND_CANCEL,
    EVENT_REFUND_FAILED, EVENT_REFUND_SUCCESS,
};

/// Originals older than this cannot be refunded (21403).
pub const REFUND_WINDOW_MS: i64 = 60 * 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    Complete,
    Failed,
    Cancel,
}

impl RefundStatus {
    /// The wire values (spec README "Statuses": `COMPLETE` and `CANCEL`, sic).
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "PENDING",
            RefundStatus::Complete => "COMPLETE",
            RefundStatus::Failed => "FAILED",
            RefundStatus::Cancel => "CANCEL",
        }
    }

    pub fn parse(s: &str) -> Option<RefundStatus> {
        match s {
            "PENDING" => Some(RefundStatus::Pending),
            "COMPLETE" => Some(RefundStatus::Complete),
            "FAILED" => Some(RefundStatus::Failed),
            "CANCEL" => Some(RefundStatus::Cancel),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_transaction_id: String,
    pub app_id: String,
    pub mch_refund_order_id: String,
    pub original_transaction_id: String,
    pub country: Country,
    /// The original payment's channel; the refund goes back through it.
    pub channel_code: String,
    pub amount: Money,
    /// The fee given back when the refund completes (decided at acceptance by the channel's
    /// policy); reported as `feeRefunded` once the refund is `COMPLETE`, 0 before and otherwise.
    pub fee_refund: i64,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub callback_url: String,
    pub created_at: i64,
    /// When the channel is expected to answer (the settlement worker's due time).
    pub settle_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub failure: Option<FailedCode>,
}

/// What the channel (or an operator) reports about a pending refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOutcome {
    Completed,
    Failed(FailedCode),
    /// An operator cancelled it.
    Cancelled,
}

/// Why a refund request is refused before it reaches the store; the HTTP edge maps each to
/// its code. The rules that depend on other refunds (21406 above the remainder, 21409, 21407,
/// 21014) are enforced by the store's insert under locks and unique indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRejection {
    /// 21006: no such payment, or another app's.
    OriginalNotFound,
    /// 21408
    OriginalNotCompleted,
    /// 21403
    TooOld,
    /// 21404
    FullNotSupported,
    /// 21405
    PartialNotSupported,
    /// 21406: not positive, or above the original's amount.
    AmountInvalid,
}

/// Everything one settlement writes, in one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSettlement {
    pub refund: Refund,
    pub journal: JournalEntry,
    pub notification: NewNotification,
}

/// What the refund rules need to know of the payment being refunded: a dynamic order or a
/// payment made to a static code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOriginal {
    pub transaction_id: String,
    pub app_id: String,
    pub country: Country,
    pub channel_code: String,
    pub amount: Money,
    pub fee: i64,
    pub status: PaymentStatus,
    pub created_at: i64,
}

impl From<&Payment> for RefundOriginal {
    fn from(p: &Payment) -> Self {
        RefundOriginal {
            transaction_id: p.transaction_id.clone(),
            app_id: p.app_id.clone(),
            country: p.country,
            channel_code: p.channel_code.clone(),
            amount: p.amount,
            fee: p.fee,
            status: p.status,
            created_at: p.created_at,
        }
    }
}

impl From<&crate::static_code::CodePayment> for RefundOriginal {
    fn from(p: &crate::static_code::CodePayment) -> Self {
        RefundOriginal {
            transaction_id: p.transaction_id.clone(),
            app_id: p.app_id.clone(),
            country: p.country,
            channel_code: p.channel_code.clone(),
            amount: p.amount,
            fee: p.fee,
            status: p.status,
            created_at: p.created_at,
        }
    }
}

impl Refund {
    /// Checks `req` against its original and the catalog, in protocol order: 21006, 21408,
    /// 21403, 21406 (amount not positive or above the original), 21404/21405; and builds the
    /// PENDING refund. `original` is the payment the request names, if it exists.
    pub fn admit(
        catalog: &Catalog,
        app_id: &str,
        original: Option<&RefundOriginal>,
        req: RefundCreate,
        refund_transaction_id: String,
        now_ms: i64,
        settle_at: Option<i64>,
    ) -> Result<Refund, RefundRejection> {
        let original = original
            .filter(|p| p.app_id == app_id)
            .ok_or(RefundRejection::OriginalNotFound)?;
        if original.status != PaymentStatus::Completed {
            return Err(RefundRejection::OriginalNotCompleted);
        }
        if now_ms.saturating_sub(original.created_at) > REFUND_WINDOW_MS {
            return Err(RefundRejection::TooOld);
        }
        if req.refund_amount <= 0 || req.refund_amount > original.amount.minor {
            return Err(RefundRejection::AmountInvalid);
        }
        let full = req.refund_amount == original.amount.minor;
        // A channel gone from the catalog refunds nothing.
        let channel = catalog.get(&original.channel_code);
        if full && !channel.is_some_and(|c| c.refund_full) {
            return Err(RefundRejection::FullNotSupported);
        }
        if !full && !channel.is_some_and(|c| c.refund_partial) {
            return Err(RefundRejection::PartialNotSupported);
        }
        Ok(Refund {
            refund_transaction_id,
            app_id: app_id.to_string(),
            mch_refund_order_id: req.mch_refund_order_id,
            original_transaction_id: original.transaction_id.clone(),
            country: original.country,
            channel_code: original.channel_code.clone(),
            amount: Money::new(req.refund_amount, original.amount.currency),
            fee_refund: if full { original.fee } else { 0 },
            status: RefundStatus::Pending,
            reason: req.refund_reason,
            callback_url: req.refund_callback_url,
            created_at: now_ms,
            settle_at,
            finished_at: None,
            failure: None,
        })
    }

    /// The journal entry that freezes the refund's amount when it is accepted.
    pub fn acceptance(&self) -> JournalEntry {
        ledger::refund_accepted(
            &self.refund_transaction_id,
            &self.app_id,
            self.amount.currency,
            self.amount.minor,
        )
    }

    /// `feeRefunded` as the merchant sees it.
    pub fn fee_refunded(&self) -> i64 {
        if self.status == RefundStatus::Complete {
            self.fee_refund
        } else {
            0
        }
    }

    /// The single transition function of a refund. `memo` records who forced it, if anyone.
    pub fn settle(
        &self,
        outcome: RefundOutcome,
        now_ms: i64,
        zone: &DisplayZone,
        memo: Option<&str>,
    ) -> Result<RefundSettlement, TransitionError> {
        if self.status != RefundStatus::Pending {
            return Err(TransitionError::AlreadyFinal(self.status.as_str()));
        }
        let mut next = self.clone();
        next.finished_at = Some(now_ms);
        next.settle_at = None;
        let (id, app, currency, amount) = (
            &self.refund_transaction_id,
            &self.app_id,
            self.amount.currency,
            self.amount.minor,
        );
        let journal = match outcome {
            RefundOutcome::Completed => {
                next.status = RefundStatus::Complete;
                ledger::refund_completed(
                    id,
                    app,
                    &self.channel_code,
                    currency,
                    amount,
                    self.fee_refund,
                    memo,
                )
            }
            RefundOutcome::Failed(code) => {
                next.status = RefundStatus::Failed;
                next.failure = Some(code);
                ledger::refund_returned(id, app, currency, amount, false, memo)
            }
            RefundOutcome::Cancelled => {
                next.status = RefundStatus::Cancel;
                ledger::refund_returned(id, app, currency, amount, true, memo)
            }
        };
        let notification = next.notification(zone);
        Ok(RefundSettlement {
            refund: next,
            journal,
            notification,
        })
    }

    fn notification(&self, zone: &DisplayZone) -> NewNotification {
        let event = match self.status {
            RefundStatus::Complete => EVENT_REFUND_SUCCESS,
            RefundStatus::Cancel => EVENT_REFUND_CANCEL,
            RefundStatus::Failed | RefundStatus::Pending => EVENT_REFUND_FAILED,
        };
        let payload = RefundNotification {
            event_name: event.to_string(),
            mch_refund_order_id: self.mch_refund_order_id.clone(),
            refund_transaction_id: self.refund_transaction_id.clone(),
            original_transaction_id: self.original_transaction_id.clone(),
            refund_amount: self.amount.minor,
            fee_refunded: self.fee_refunded(),
            refund_status: self.status.as_str().to_string(),
            refund_create_time: zone.format(self.created_at),
            refund_return_time: self.finished_at.map(|t| zone.format(t)).unwrap_or_default(),
            refund_reason: self.reason.clone().unwrap_or_default(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        };
        NewNotification {
            app_id: self.app_id.clone(),
            event: event.to_string(),
            reference: self.refund_transaction_id.clone(),
            url: self.callback_url.clone(),
            payload: serde_json::to_string(&payload).expect("notification serializes"),
        }
    }

    /// The answer to an accepted refund request.
    pub fn create_data(&self, zone: &DisplayZone) -> RefundCreateData {
        RefundCreateData {
            mch_refund_order_id: self.mch_refund_order_id.clone(),
            refund_transaction_id: self.refund_transaction_id.clone(),
            refund_create_time: zone.format(self.created_at),
            refund_amount: self.amount.minor,
            refund_status: self.status.as_str().to_string(),
        }
    }

    /// The merchant's view of the refund (`refund/payments`).
    pub fn data(&self, zone: &DisplayZone) -> RefundData {
        RefundData {
            mch_refund_order_id: self.mch_refund_order_id.clone(),
            original_transaction_id: self.original_transaction_id.clone(),
            refund_transaction_id: self.refund_transaction_id.clone(),
            refund_amount: self.amount.minor,
            fee_refunded: self.fee_refunded(),
            refund_status: self.status.as_str().to_string(),
            refund_create_time: zone.format(self.created_at),
            refund_return_time: self.finished_at.map(|t| zone.format(t)),
            refund_reason: self.reason.clone().unwrap_or_default(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Account;
    use crate::money::Currency;

    fn completed(channel: &str, amount: i64, fee: i64) -> Payment {
        let mut p = crate::payment::tests::pending();
        p.channel_code = channel.into();
        p.amount = Money::new(amount, Currency::PHP);
        p.fee = fee;
        p.status = PaymentStatus::Completed;
        p.created_at = 1_000;
        p.finished_at = Some(2_000);
        p
    }

    fn req(id: &str, amount: i64) -> RefundCreate {
        RefundCreate {
            mch_refund_order_id: id.into(),
            original_transaction_id: "C0000000000000000001".into(),
            refund_amount: amount,
            refund_reason: Some("damaged".into()),
            refund_callback_url: "https://shop.example/refund".into(),
            timestamp: 1,
        }
    }

    fn admit(
        p: Option<&Payment>,
        app: &str,
        amount: i64,
        now: i64,
    ) -> Result<Refund, RefundRejection> {
        Refund::admit(
            &Catalog::builtin(),
            app,
            p.map(RefundOriginal::from).as_ref(),
            req("RF1", amount),
            "R1".into(),
            now,
            None,
        )
    }

    #[test]
    fn admission_rules_in_protocol_order() {
        use RefundRejection::*;
        let gcash = completed("PH_GCASH_URL", 10_000, 200);
        assert_eq!(admit(None, "app", 1, 5_000), Err(OriginalNotFound));
        assert_eq!(
            admit(Some(&gcash), "other", 1, 5_000),
            Err(OriginalNotFound)
        );
        let mut pending = gcash.clone();
        pending.status = PaymentStatus::Pending;
        assert_eq!(
            admit(Some(&pending), "app", 1, 5_000),
            Err(OriginalNotCompleted)
        );
        assert_eq!(
            admit(Some(&gcash), "app", 1, 1_000 + REFUND_WINDOW_MS + 1),
            Err(TooOld)
        );
        assert!(admit(Some(&gcash), "app", 1, 1_000 + REFUND_WINDOW_MS).is_ok());
        assert_eq!(admit(Some(&gcash), "app", 0, 5_000), Err(AmountInvalid));
        assert_eq!(admit(Some(&gcash), "app", -5, 5_000), Err(AmountInvalid));
        assert_eq!(
            admit(Some(&gcash), "app", 10_001, 5_000),
            Err(AmountInvalid)
        );
        let qr = completed("PH_GCASH_QR", 10_000, 150);
        assert!(admit(Some(&qr), "app", 10_000, 5_000).is_ok());
        assert_eq!(
            admit(Some(&qr), "app", 5_000, 5_000),
            Err(PartialNotSupported)
        );
        let bank = completed("PH_BPI_URL", 10_000, 1_500);
        assert_eq!(
            admit(Some(&bank), "app", 10_000, 5_000),
            Err(FullNotSupported)
        );
        assert_eq!(
            admit(Some(&bank), "app", 1, 5_000),
            Err(PartialNotSupported)
        );
    }

    #[test]
    fn full_refunds_give_the_fee_back_partial_ones_do_not() {
        let zone = DisplayZone::default();
        let gcash = completed("PH_GCASH_URL", 10_000, 200);
        let full = admit(Some(&gcash), "app", 10_000, 5_000).unwrap();
        assert_eq!(full.fee_refund, 200);
        assert_eq!(full.fee_refunded(), 0, "nothing given back while pending");
        let done = full
            .settle(RefundOutcome::Completed, 6_000, &zone, None)
            .unwrap();
        assert_eq!(done.refund.status, RefundStatus::Complete);
        assert_eq!(done.refund.fee_refunded(), 200);
        assert!(done.journal.is_balanced());
        assert_eq!(done.notification.event, EVENT_REFUND_SUCCESS);
        assert_eq!(done.notification.url, "https://shop.example/refund");
        let partial = admit(Some(&gcash), "app", 4_000, 5_000).unwrap();
        assert_eq!(partial.fee_refund, 0);
        let done = partial
            .settle(RefundOutcome::Completed, 6_000, &zone, None)
            .unwrap();
        assert!(!done
            .journal
            .postings
            .iter()
            .any(|p| matches!(p.account, Account::FeeRevenue { .. })));
    }

    #[test]
    fn failure_and_cancel_return_the_funds_and_are_final() {
        let zone = DisplayZone::default();
        let gcash = completed("PH_GCASH_URL", 10_000, 200);
        let r = admit(Some(&gcash), "app", 10_000, 5_000).unwrap();
        let failed = r
            .settle(
                RefundOutcome::Failed(FailedCode::RefundFailed),
                6_000,
                &zone,
                None,
            )
            .unwrap();
        assert_eq!(failed.refund.status.as_str(), "FAILED");
        assert_eq!(failed.refund.fee_refunded(), 0);
        assert_eq!(failed.notification.event, EVENT_REFUND_FAILED);
        assert!(failed.notification.payload.contains("-10009"));
        let cancelled = r
            .settle(RefundOutcome::Cancelled, 6_000, &zone, Some("op"))
            .unwrap();
        assert_eq!(cancelled.refund.status.as_str(), "CANCEL");
        assert_eq!(cancelled.notification.event, EVENT_REFUND_CANCEL);
        assert_eq!(cancelled.journal.memo.as_deref(), Some("op"));
        assert!(matches!(
            cancelled
                .refund
                .settle(RefundOutcome::Completed, 7_000, &zone, None),
            Err(TransitionError::AlreadyFinal("CANCEL"))
        ));
        for s in ["PENDING", "COMPLETE", "FAILED", "CANCEL"] {
            assert_eq!(RefundStatus::parse(s).unwrap().as_str(), s);
        }
    }
}
