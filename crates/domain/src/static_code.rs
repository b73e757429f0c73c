//! Static payment codes: a reusable QR or fixed virtual account bound to a merchant order id.
//! A code is ACTIVE until cancelled (→ CANCEL) or past its expiry (→ EXPIRED); while ACTIVE it
//! accepts any number of payments, each its own `C…` transaction credited to the merchant net
//! of fee and announced with `static.order.payment.success`.

use crate::catalog::ChannelType;
use crate::ledger::{self, JournalEntry};
use crate::money::{Country, Money};
use crate::outbox::NewNotification;
use crate::payment::PaymentStatus;
use crate::time::DisplayZone;
use sampan_protocol::codes::FailedCode;
use sampan_protocol::static_code::{
    StaticCodeData, StaticDetailData, StaticPaymentItem, StaticPaymentNotification, CODE_ACTIVE,
    CODE_CANCEL, CODE_EXPIRED, EVENT_STATIC_PAYMENT_FAILED, EVENT_STATIC_PAYMENT_SUCCESS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    Active,
    Cancel,
    Expired,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Active => CODE_ACTIVE,
            CodeStatus::Cancel => CODE_CANCEL,
            CodeStatus::Expired => CODE_EXPIRED,
        }
    }

    pub fn parse(s: &str) -> Option<CodeStatus> {
        match s {
            CODE_ACTIVE => Some(CodeStatus::Active),
            CODE_CANCEL => Some(CodeStatus::Cancel),
            CODE_EXPIRED => Some(CodeStatus::Expired),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCode {
    /// `S` + 19 digits; the code's own id (cashier page, sandbox API).
    pub code_id: String,
    pub app_id: String,
    pub mch_order_id: String,
    pub country: Country,
    pub channel_code: String,
    pub channel_type: ChannelType,
    /// The amount every payment must equal, when the merchant fixed one.
    pub fixed_amount: Option<Money>,
    pub status: CodeStatus,
    pub customer_name: String,
    pub email: String,
    pub mobile: String,
    pub remark: Option<String>,
    pub notify_url: String,
    pub pay_data: String,
    pub created_at: i64,
    /// None: the code never expires.
    pub expires_at: Option<i64>,
    /// When the code was cancelled or expired.
    pub closed_at: Option<i64>,
}

/// Why a code refuses a payment or a cancel; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("the payment code is {0}")]
    NotActive(&'static str),
    #[error("the payment code has expired")]
    Expired,
    #[error("this payment code only accepts exactly {expected}")]
    AmountMismatch { expected: Money },
    #[error("the amount must be between {min} and {max}")]
    AmountOutOfLimits { min: Money, max: Money },
}

/// A payer's payment as the upstream reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingPayment {
    pub transaction_id: String,
    pub amount: i64,
    /// The fee snapshotted for this payment.
    pub fee: i64,
    pub reference_number: Option<String>,
    /// The channel's limits for one payment.
    pub min: i64,
    pub max: i64,
}

/// One payment made to a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePayment {
    pub transaction_id: String,
    pub code_id: String,
    pub app_id: String,
    pub mch_order_id: String,
    pub country: Country,
    pub channel_code: String,
    pub channel_type: ChannelType,
    pub amount: Money,
    pub fee: i64,
    pub status: PaymentStatus,
    pub reference_number: Option<String>,
    pub remark: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub failure: Option<FailedCode>,
}

/// Everything one accepted payment writes, in one store transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSettlement {
    pub payment: CodePayment,
    pub journal: JournalEntry,
    pub notification: NewNotification,
}

/// Completed payments received by a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CodeTotals {
    pub paid_count: i64,
    pub paid_amount: i64,
}

impl StaticCode {
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|t| now_ms >= t)
    }

    /// Accepts one payment: refused unless the code is ACTIVE and unexpired, the amount is
    /// within the channel limits and, on a fixed-amount code, equal to it.
    pub fn accept_payment(
        &self,
        incoming: &IncomingPayment,
        now_ms: i64,
        zone: &DisplayZone,
    ) -> Result<CodeSettlement, CodeRefusal> {
        if self.status != CodeStatus::Active {
            return Err(CodeRefusal::NotActive(self.status.as_str()));
        }
        if self.is_expired_at(now_ms) {
            return Err(CodeRefusal::Expired);
        }
        let currency = self.country.currency();
        if let Some(expected) = self.fixed_amount {
            if incoming.amount != expected.minor {
                return Err(CodeRefusal::AmountMismatch { expected });
            }
        }
        if !(incoming.min..=incoming.max).contains(&incoming.amount) {
            return Err(CodeRefusal::AmountOutOfLimits {
                min: Money::new(incoming.min, currency),
                max: Money::new(incoming.max, currency),
            });
        }
        let payment = CodePayment {
            transaction_id: incoming.transaction_id.clone(),
            code_id: self.code_id.clone(),
            app_id: self.app_id.clone(),
            mch_order_id: self.mch_order_id.clone(),
            country: self.country,
            channel_code: self.channel_code.clone(),
            channel_type: self.channel_type,
            amount: Money::new(incoming.amount, currency),
            fee: incoming.fee,
            status: PaymentStatus::Completed,
            reference_number: incoming.reference_number.clone(),
            remark: self.remark.clone(),
            created_at: now_ms,
            finished_at: Some(now_ms),
            failure: None,
        };
        let journal = ledger::payment_completed(
            &payment.transaction_id,
            &self.app_id,
            &self.channel_code,
            currency,
            payment.amount.minor,
            payment.fee,
        );
        let notification = payment.notification(&self.notify_url, zone);
        Ok(CodeSettlement {
            payment,
            journal,
            notification,
        })
    }

    /// ACTIVE → CANCEL; anything else is refused (21025).
    pub fn cancel(&self, now_ms: i64) -> Result<StaticCode, CodeRefusal> {
        if self.status != CodeStatus::Active {
            return Err(CodeRefusal::NotActive(self.status.as_str()));
        }
        if self.is_expired_at(now_ms) {
            return Err(CodeRefusal::Expired);
        }
        let mut next = self.clone();
        next.status = CodeStatus::Cancel;
        next.closed_at = Some(now_ms);
        Ok(next)
    }

    /// `expiresTime` as answered: the close moment once cancelled, the expiry if any, else "".
    fn expires_time(&self, zone: &DisplayZone) -> String {
        match (self.status, self.closed_at, self.expires_at) {
            (CodeStatus::Cancel, Some(t), _) => zone.format(t),
            (_, _, Some(t)) => zone.format(t),
            _ => String::new(),
        }
    }

    /// The code as create and cancel answer it.
    pub fn data(&self, zone: &DisplayZone, pay_url: String) -> StaticCodeData {
        StaticCodeData {
            mch_order_id: self.mch_order_id.clone(),
            pay_data: self.pay_data.clone(),
            channel_code: self.channel_code.clone(),
            channel_type: self.channel_type.as_str().to_string(),
            create_time: zone.format(self.created_at),
            status: self.status.as_str().to_string(),
            expires_time: self.expires_time(zone),
            amount: self.fixed_amount.map(|m| m.minor),
            pay_url,
            country_code: self.country.code().to_string(),
            currency: self.country.currency().code().to_string(),
        }
    }

    /// The answer of `static/payment/detail`.
    pub fn detail_data(
        &self,
        zone: &DisplayZone,
        pay_url: String,
        totals: CodeTotals,
    ) -> StaticDetailData {
        StaticDetailData {
            code: self.data(zone, pay_url),
            customer_name: self.customer_name.clone(),
            remark: self.remark.clone().unwrap_or_default(),
            paid_count: totals.paid_count,
            paid_amount: totals.paid_amount,
        }
    }
}

impl CodePayment {
    fn notification(&self, url: &str, zone: &DisplayZone) -> NewNotification {
        let event = if self.status == PaymentStatus::Completed {
            EVENT_STATIC_PAYMENT_SUCCESS
        } else {
            EVENT_STATIC_PAYMENT_FAILED
        };
        let payload = StaticPaymentNotification {
            event_name: event.to_string(),
            mch_order_id: self.mch_order_id.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.amount.minor,
            transaction_status: self.status.as_str().to_string(),
            create_time: zone.format(self.created_at),
            return_time: self.finished_at.map(|t| zone.format(t)).unwrap_or_default(),
            channel_code: self.channel_code.clone(),
            remark: self.remark.clone().unwrap_or_default(),
            reference_number: self.reference_number.clone(),
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
            failed_code: self.failure.map(FailedCode::as_i32),
            failed_message: self.failure.map(|f| f.message().to_string()),
        };
        NewNotification {
            app_id: self.app_id.clone(),
            event: event.to_string(),
            reference: self.transaction_id.clone(),
            url: url.to_string(),
            payload: serde_json::to_string(&payload).unwrap_or_default(),
        }
    }

    /// One element of `static/payment/list`.
    pub fn item(&self, zone: &DisplayZone) -> StaticPaymentItem {
        StaticPaymentItem {
            transaction_id: self.transaction_id.clone(),
            transaction_create_time: zone.format(self.created_at),
            transaction_return_time: self.finished_at.map(|t| zone.format(t)).unwrap_or_default(),
            transaction_amount: self.amount.minor,
            transaction_status: self.status.as_str().to_string(),
            remark: self.remark.clone(),
            mch_order_id: self.mch_order_id.clone(),
            channel_code: self.channel_code.clone(),
            reference_number: self.reference_number.clone(),
            fee: self.fee,
            country_code: self.country.code().to_string(),
            currency: self.amount.currency.code().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn code(fixed: Option<i64>) -> StaticCode {
        StaticCode {
            code_id: "S0000000000000000001".into(),
            app_id: "app".into(),
            mch_order_id: "BILL-1".into(),
            country: Country::ID,
            channel_code: "ID_BCA_VA".into(),
            channel_type: ChannelType::VA,
            fixed_amount: fixed.map(|a| Money::new(a, Currency::IDR)),
            status: CodeStatus::Active,
            customer_name: "Siti".into(),
            email: "s@example.id".into(),
            mobile: "081234567890".into(),
            remark: Some("rent".into()),
            notify_url: "http://127.0.0.1/n".into(),
            pay_data: "3935800000000001".into(),
            created_at: 1_000,
            expires_at: Some(100_000),
            closed_at: None,
        }
    }

    fn incoming(amount: i64) -> IncomingPayment {
        IncomingPayment {
            transaction_id: "C0000000000000000009".into(),
            amount,
            fee: 4_000,
            reference_number: Some("00012819".into()),
            min: 10_000,
            max: 50_000_000,
        }
    }

    #[test]
    fn a_payment_credits_net_of_fee_and_announces_itself() {
        let s = code(None)
            .accept_payment(&incoming(150_000), 2_000, &DisplayZone::default())
            .unwrap();
        assert!(s.journal.is_balanced());
        assert_eq!(s.payment.status, PaymentStatus::Completed);
        assert_eq!(s.notification.event, "static.order.payment.success");
        assert_eq!(s.notification.url, "http://127.0.0.1/n");
        let n: serde_json::Value = serde_json::from_str(&s.notification.payload).unwrap();
        assert_eq!(n["referenceNumber"], "00012819");
        assert_eq!(n["amount"], 150_000);
        assert_eq!(n["countryCode"], "ID");
        assert_eq!(n["currency"], "IDR");
        assert_eq!(n["mchOrderId"], "BILL-1");
    }

    #[test]
    fn refusals() {
        let zone = DisplayZone::default();
        assert_eq!(
            code(Some(200_000)).accept_payment(&incoming(150_000), 2_000, &zone),
            Err(CodeRefusal::AmountMismatch {
                expected: Money::new(200_000, Currency::IDR)
            })
        );
        assert!(code(Some(200_000))
            .accept_payment(&incoming(200_000), 2_000, &zone)
            .is_ok());
        assert!(matches!(
            code(None).accept_payment(&incoming(5), 2_000, &zone),
            Err(CodeRefusal::AmountOutOfLimits { .. })
        ));
        assert_eq!(
            code(None).accept_payment(&incoming(150_000), 100_000, &zone),
            Err(CodeRefusal::Expired)
        );
        let cancelled = code(None).cancel(5_000).unwrap();
        assert_eq!(cancelled.status, CodeStatus::Cancel);
        assert_eq!(cancelled.data(&zone, String::new()).status, "CANCEL");
        assert_eq!(
            cancelled.cancel(6_000),
            Err(CodeRefusal::NotActive("CANCEL"))
        );
        assert_eq!(
            cancelled.accept_payment(&incoming(150_000), 6_000, &zone),
            Err(CodeRefusal::NotActive("CANCEL"))
        );
    }

    #[test]
    fn expires_time_is_empty_without_expiry_and_the_cancel_moment_after_cancel() {
        let zone = DisplayZone::UTC8;
        let mut c = code(None);
        c.expires_at = None;
        assert_eq!(c.data(&zone, String::new()).expires_time, "");
        let cancelled = c.cancel(0).unwrap();
        assert_eq!(
            cancelled.data(&zone, String::new()).expires_time,
            "1970-01-01 08:00:00"
        );
    }
}
