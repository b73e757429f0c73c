//! Refunds: create (`/open-api/payment/refund`, 07-refund §7.1), list
//! (`/open-api/refund/payments`, §7.2) and the `payment.refund.*` notification (§7.3).
//!
//! This module checks what the wire format alone decides. Whether the original may be refunded
//! and whether the amount fits what is left (21006, 21408, 21403, 21404, 21405, 21406, 21409)
//! is the domain's business; a non-positive `refundAmount` is 21406 there, not 21002 here.

use crate::fields::{check_url, Fields, ParamError};
use serde::{Deserialize, Serialize};

pub const EVENT_REFUND_SUCCESS: &str = "payment.refund.success";
pub const EVENT_REFUND_FAILED: &str = "payment.refund.failed";
pub const EVENT_REFUND_CANCEL: &str = "payment.refund.cancel";

/// `mchRefundOrderId`: 1–32 letters and digits (07-refund §7.1).
pub fn check_mch_refund_order_id(name: &str, value: &str) -> Result<(), ParamError> {
    if value.is_empty() || value.len() > 32 {
        return Err(ParamError::new(name, "must be 1-32 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ParamError::new(name, "may contain only letters and digits"));
    }
    Ok(())
}

/// `param` of `/open-api/payment/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundCreate {
    pub mch_refund_order_id: String,
    pub original_transaction_id: String,
    pub refund_amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    pub refund_callback_url: String,
    pub timestamp: i64,
}

impl RefundCreate {
    /// Field rules of 07-refund §7.1. The timestamp is checked by the request pipeline.
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let mch_refund_order_id = f.req_str("mchRefundOrderId", 32)?;
        check_mch_refund_order_id("mchRefundOrderId", &mch_refund_order_id)?;
        let original_transaction_id = f.req_str("originalTransactionId", 32)?;
        let refund_amount = f.req_int("refundAmount")?;
        let refund_reason = f.opt_str("refundReason", 200)?;
        let refund_callback_url = f.req_str("refundCallbackUrl", 256)?;
        check_url("refundCallbackUrl", &refund_callback_url)?;
        Ok(RefundCreate {
            mch_refund_order_id,
            original_transaction_id,
            refund_amount,
            refund_reason,
            refund_callback_url,
            timestamp,
        })
    }
}

/// `data` of an accepted refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundCreateData {
    pub mch_refund_order_id: String,
    pub refund_transaction_id: String,
    pub refund_create_time: String,
    pub refund_amount: i64,
    pub refund_status: String,
}

/// `param` of `/open-api/refund/payments`: by the original (all its refunds) or one refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
    pub timestamp: i64,
}

impl RefundList {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let original_transaction_id = f.opt_str("originalTransactionId", 32)?;
        let refund_transaction_id = f.opt_str("refundTransactionId", 32)?;
        if original_transaction_id.is_none() && refund_transaction_id.is_none() {
            return Err(ParamError::new(
                "originalTransactionId",
                "or refundTransactionId is required",
            ));
        }
        Ok(RefundList {
            original_transaction_id,
            refund_transaction_id,
            timestamp,
        })
    }
}

/// One element of the `data` array of `/open-api/refund/payments` (07-refund §7.2, plus
/// `refundReason` as in the legacy example, `countryCode` and `currency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundData {
    pub mch_refund_order_id: String,
    pub original_transaction_id: String,
    pub refund_transaction_id: String,
    pub refund_amount: i64,
    pub fee_refunded: i64,
    pub refund_status: String,
    pub refund_create_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_return_time: Option<String>,
    #[serde(default)]
    pub refund_reason: String,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// `param` of the `payment.refund.success` / `.failed` / `.cancel` notification (07-refund §7.3
/// plus `countryCode`, `currency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNotification {
    pub event_name: String,
    pub mch_refund_order_id: String,
    pub refund_transaction_id: String,
    pub original_transaction_id: String,
    pub refund_amount: i64,
    pub fee_refunded: i64,
    pub refund_status: String,
    pub refund_create_time: String,
    pub refund_return_time: String,
    pub refund_reason: String,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(v: &Value) -> Result<RefundCreate, ParamError> {
        RefundCreate::from_fields(&Fields::parse(&v.to_string()).unwrap(), 1)
    }

    fn example() -> Value {
        json!({
            "originalTransactionId": "CU518563189147832780",
            "mchRefundOrderId": "refund488455057142", "refundAmount": 10000,
            "refundReason": "testRefund", "refundCallbackUrl": "http://www.test.com",
            "timestamp": 1722415059
        })
    }

    #[test]
    fn accepts_the_documented_example() {
        let r = parse(&example()).unwrap();
        assert_eq!(r.refund_amount, 10_000);
        assert_eq!(r.refund_reason.as_deref(), Some("testRefund"));
        let mut v = example();
        v["refundAmount"] = json!("0");
        assert_eq!(parse(&v).unwrap().refund_amount, 0, "21406 is the domain's");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: &[(&str, Value)] = &[
            ("mchRefundOrderId", json!(null)),
            ("mchRefundOrderId", json!("has_underscore")),
            ("mchRefundOrderId", json!("x".repeat(33))),
            ("originalTransactionId", json!(null)),
            ("originalTransactionId", json!("C".repeat(33))),
            ("refundAmount", json!(null)),
            ("refundAmount", json!(1.5)),
            ("refundReason", json!("r".repeat(201))),
            ("refundCallbackUrl", json!(null)),
            ("refundCallbackUrl", json!("www.test.com")),
        ];
        for (field, value) in cases {
            let mut v = example();
            v[*field] = value.clone();
            assert_eq!(&parse(&v).unwrap_err().field, field, "{value}");
        }
    }

    #[test]
    fn list_needs_an_id() {
        let f = Fields::parse(r#"{"timestamp":1}"#).unwrap();
        assert_eq!(
            RefundList::from_fields(&f, 1).unwrap_err().field,
            "originalTransactionId"
        );
        let f = Fields::parse(r#"{"refundTransactionId":"R1","timestamp":1}"#).unwrap();
        assert!(RefundList::from_fields(&f, 1).is_ok());
    }
}
