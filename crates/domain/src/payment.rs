//! Dynamic payments and their state machine: PENDING → COMPLETED | FAILED.

use crate::catalog::ChannelType;
use crate::ledger::{self, JournalEntry};
use crate::money::{Country, Money};
use crate::outbox::NewNotification;
use crate::time::DisplayZone;
use sampan_protocol::codes::FailedCode;
use sampan_protocol::payment::{
    PaymentNotification, PaymentQueryData, EVENT_PAYMENT_FAILED, EVENT_PAYMENT_SUCCESS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Completed,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Completed => "COMPLETED",
            PaymentStatus::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        match s {
            "PENDING" => Some(PaymentStatus::Pending),
            "COMPLETED" => Some(PaymentStatus::Completed),
            "FAILED" => Some(PaymentStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub transaction_id: String,
    pub app_id: String,
    pub mch_order_id: String,
    pub country: Country,
    pub channel_code: String,
    pub channel_type: ChannelType,
    pub amount: Money,
    /// Fee snapshotted when the order was created.
    pub fee: i64,
    pub status: PaymentStatus,
    pub customer_name: String,
    pub email: String,
    pub mobile: String,
    pub remark: Option<String>,
    pub notify_url: String,
    pub redirect_url: Option<String>,
    pub pay_data: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the payment reached COMPLETED or FAILED (`returnTime`).
    pub finished_at: Option<i64>,
    pub failure: Option<FailedCode>,
}

/// What the channel (or the sandbox, or the expiry job) reports about a pending payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid,
    Failed(FailedCode),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("transaction is already {0}")]
    AlreadyFinal(&'static str),
    #[error("transaction expired")]
    Expired,
}

/// Everything one settlement writes, in one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub payment: Payment,
    pub journal: Option<JournalEntry>,
    pub notification: NewNotification,
}

impl Payment {
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }

    /// The single transition function of a payment. Paying an order past its expiry is
    /// refused: the payer sees it as closed and the expiry job fails it.
    pub fn settle(
        &self,
        outcome: PaymentOutcome,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<Settlement, TransitionError> {
        if self.status != PaymentStatus::Pending {
            return Err(TransitionError::AlreadyFinal(self.status.as_str()));
        }
        let mut next = self.clone();
        next.finished_at = Some(now_ms);
        let journal = match outcome {
            PaymentOutcome::Paid => {
                if self.is_expired_at(now_ms) {
                    return Err(TransitionError::Expired);
                }
                next.status = PaymentStatus::Completed;
                Some(ledger::payment_completed(
                    &self.transaction_id,
                    &self.app_id,
                    &self.channel_code,
                    self.amount.currency,
                    self.amount.minor,
                    self.fee,
                ))
            }
            PaymentOutcome::Failed(code) => {
                next.status = PaymentStatus::Failed;
                next.failure = Some(code);
                None
            }
        };
        let notification = next.notification(zone);
        Ok(Settlement {
            payment: next,
            journal,
            notification,
        })
    }

    fn notification(&self, zone: &DisplayZone) -> NewNotification {
        let event = if self.status == PaymentStatus::Completed {
            EVENT_PAYMENT_SUCCESS
        } else {
            EVENT_PAYMENT_FAILED
        };
        let payload = PaymentNotification {
            event_name: event.to_string(),
            mch_order_id: self.mch_order_id.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.amount.minor,
            transaction_status: self.status.as_str().to_string(),
            create_time: zone.format(self.created_at),
            return_time: self.finished_at.map(|t| zone.format(t)).unwrap_or_default(),
            channel_code: self.channel_code.clone(),
            remark: self.remark.clone().unwrap_or_default(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        };
        NewNotification {
            app_id: self.app_id.clone(),
            event: event.to_string(),
            reference: self.transaction_id.clone(),
            url: self.notify_url.clone(),
            payload: serde_json::to_string(&payload).expect("notification serializes"),
        }
    }

    /// The merchant's view of the payment (`payment/query`).
    pub fn query_data(&self, zone: &DisplayZone) -> PaymentQueryData {
        PaymentQueryData {
            mch_order_id: self.mch_order_id.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.amount.minor,
            fee: self.fee,
            transaction_status: self.status.as_str().to_string(),
            create_time: zone.format(self.created_at),
            return_time: self.finished_at.map(|t| zone.format(t)),
            customer_name: self.customer_name.clone(),
            channel_code: self.channel_code.clone(),
            channel_type: self.channel_type.as_str().to_string(),
            email: self.email.clone(),
            pay_data: self.pay_data.clone(),
            expires_time: zone.format(self.expires_at),
            remark: self.remark.clone().unwrap_or_default(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            // Filled by the caller from the store (`Store::refunded_amount`).
            refunded_amount: 0,
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::money::Currency;

    pub fn pending() -> Payment {
        Payment {
            transaction_id: "C0000000000000000001".into(),
            app_id: "app".into(),
            mch_order_id: "M1".into(),
            country: Country::PH,
            channel_code: "PH_GCASH_URL".into(),
            channel_type: ChannelType::URL,
            amount: Money::new(10_000, Currency::PHP),
            fee: 200,
            status: PaymentStatus::Pending,
            customer_name: "Juan".into(),
            email: "j@example.ph".into(),
            mobile: "09171234567".into(),
            remark: None,
            notify_url: "http://127.0.0.1/n".into(),
            redirect_url: None,
            pay_data: "http://x/cashier/C1".into(),
            created_at: 1_000,
            expires_at: 10_000,
            finished_at: None,
            failure: None,
        }
    }

    #[test]
    fn paying_credits_the_merchant_and_announces_success() {
        let s = pending()
            .settle(PaymentOutcome::Paid, 2_000, &DisplayZone::default())
            .unwrap();
        assert_eq!(s.payment.status, PaymentStatus::Completed);
        assert!(s.journal.as_ref().unwrap().is_balanced());
        assert_eq!(s.notification.event, "order.payment.success");
        let n: serde_json::Value = serde_json::from_str(&s.notification.payload).unwrap();
        assert_eq!(n["transactionStatus"], "COMPLETED");
        assert_eq!(n["countryCode"], "PH");
        assert_eq!(n["currency"], "PHP");
        assert!(n.get("failedCode").is_none());
    }

    #[test]
    fn failing_writes_no_journal_and_carries_the_reason() {
        let s = pending()
            .settle(
                PaymentOutcome::Failed(FailedCode::Expired),
                20_000,
                &DisplayZone::default(),
            )
            .unwrap();
        assert!(s.journal.is_none());
        let n: serde_json::Value = serde_json::from_str(&s.notification.payload).unwrap();
        assert_eq!(n["eventName"], "order.payment.failed");
        assert_eq!(n["failedCode"], -10008);
        assert_eq!(n["failedMessage"], "Transaction Expired");
    }

    #[test]
    fn final_states_and_expired_orders_refuse_transitions() {
        let zone = DisplayZone::default();
        let done = pending()
            .settle(PaymentOutcome::Paid, 2_000, &zone)
            .unwrap();
        assert_eq!(
            done.payment.settle(PaymentOutcome::Paid, 3_000, &zone),
            Err(TransitionError::AlreadyFinal("COMPLETED"))
        );
        assert_eq!(
            pending().settle(PaymentOutcome::Paid, 10_000, &zone),
            Err(TransitionError::Expired)
        );
    }
}
