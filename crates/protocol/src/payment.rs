//! Dynamic payments: create (`payment/generate`), query (`payment/query`), and the
//! `order.payment.*` notification (02-philippines §2.2 and its country twins).

use crate::fields::{check_email, check_mch_order_id, check_url, Fields, MobileRule, ParamError};
use serde::{Deserialize, Serialize};

pub const EXPIRE_SECONDS_MIN: i64 = 30;
pub const EXPIRE_SECONDS_MAX: i64 = 3600;
pub const EXPIRE_SECONDS_DEFAULT: i64 = 3600;

/// How a country's payment fields differ from the Philippine baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentRules {
    pub mobile: MobileRule,
    pub redirect_url_required: bool,
}

/// `param` of `/open-api/{country}/payment/generate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentGenerate {
    pub mch_order_id: String,
    pub amount: i64,
    pub customer_name: String,
    pub channel_code: String,
    pub notify_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub email: String,
    pub mobile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Seconds until the order expires (30–3600, default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<i64>,
    pub timestamp: i64,
}

impl PaymentGenerate {
    /// Field rules of 02-philippines §2.2.1 (and the country's mobile rule). The timestamp is
    /// checked by the request pipeline, which owns the clock.
    pub fn from_fields(
        f: &Fields,
        rules: PaymentRules,
        timestamp: i64,
    ) -> Result<Self, ParamError> {
        let mch_order_id = f.req_str("mchOrderId", 32)?;
        check_mch_order_id("mchOrderId", &mch_order_id)?;
        let amount = f.req_int("amount")?;
        if amount <= 0 {
            return Err(ParamError::new("amount", "must be a positive integer"));
        }
        let customer_name = f.req_str("customerName", 128)?;
        let channel_code = f.req_str("channelCode", 64)?;
        let notify_url = f.req_str("notifyUrl", 256)?;
        check_url("notifyUrl", &notify_url)?;
        let redirect_url = f.opt_str("redirectUrl", 512)?;
        match &redirect_url {
            Some(url) => check_url("redirectUrl", url)?,
            None if rules.redirect_url_required => {
                return Err(ParamError::new("redirectUrl", "is required"))
            }
            None => {}
        }
        let email = f.req_str("email", 128)?;
        check_email("email", &email)?;
        let mobile = f.req_str("mobile", 14)?;
        rules.mobile.check("mobile", &mobile)?;
        let remark = f.opt_str("remark", 256)?;
        let expire_seconds = f.opt_int("expireSeconds")?;
        if let Some(s) = expire_seconds {
            if !(EXPIRE_SECONDS_MIN..=EXPIRE_SECONDS_MAX).contains(&s) {
                return Err(ParamError::new(
                    "expireSeconds",
                    format!("must be between {EXPIRE_SECONDS_MIN} and {EXPIRE_SECONDS_MAX}"),
                ));
            }
        }
        Ok(PaymentGenerate {
            mch_order_id,
            amount,
            customer_name,
            channel_code,
            notify_url,
            redirect_url,
            email,
            mobile,
            remark,
            expire_seconds,
            timestamp,
        })
    }
}

/// `data` of a successful generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentGenerateData {
    pub transaction_id: String,
    pub mch_order_id: String,
    pub pay_data: String,
    pub channel_type: String,
    /// The hosted checkout page of the order, whatever its channel type (extension).
    pub pay_url: String,
    pub expires_time: String,
}

/// `param` of `payment/query`: by `mchOrderId`, or by `transactionId` (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub timestamp: i64,
}

impl PaymentQuery {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let mch_order_id = f.opt_str("mchOrderId", 32)?;
        let transaction_id = f.opt_str("transactionId", 32)?;
        if mch_order_id.is_none() && transaction_id.is_none() {
            return Err(ParamError::new("mchOrderId", "is required"));
        }
        Ok(PaymentQuery {
            mch_order_id,
            transaction_id,
            timestamp,
        })
    }
}

/// `data` of `payment/query` (02-philippines §2.2.2 plus the v2 additions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentQueryData {
    pub mch_order_id: String,
    pub transaction_id: String,
    pub amount: i64,
    pub fee: i64,
    pub transaction_status: String,
    pub create_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_time: Option<String>,
    pub customer_name: String,
    pub channel_code: String,
    pub channel_type: String,
    pub email: String,
    pub pay_data: String,
    pub expires_time: String,
    #[serde(default)]
    pub remark: String,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// `param` of the `order.payment.success` / `order.payment.failed` notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    pub event_name: String,
    pub mch_order_id: String,
    pub transaction_id: String,
    pub amount: i64,
    pub transaction_status: String,
    pub create_time: String,
    pub return_time: String,
    pub channel_code: String,
    pub remark: String,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

pub const EVENT_PAYMENT_SUCCESS: &str = "order.payment.success";
pub const EVENT_PAYMENT_FAILED: &str = "order.payment.failed";

#[cfg(test)]
mod tests {
    use super::*;

    const PH: PaymentRules = PaymentRules {
        mobile: MobileRule::Philippines,
        redirect_url_required: true,
    };

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "mchOrderId": "Platform0000058", "amount": 5600, "customerName": "user01",
            "channelCode": "PH_GCASH_URL", "email": "Platform@gmail.com",
            "redirectUrl": "https://www.google.com/", "notifyUrl": "https://test.com",
            "mobile": "09171234567", "timestamp": "1679451632737", "payMode": "WEB"
        })
    }

    fn parse(v: &serde_json::Value) -> Result<PaymentGenerate, ParamError> {
        PaymentGenerate::from_fields(&Fields::parse(&v.to_string()).unwrap(), PH, 1)
    }

    #[test]
    fn accepts_the_documented_example_with_a_valid_mobile() {
        let p = parse(&valid()).unwrap();
        assert_eq!(p.amount, 5600);
        assert_eq!(p.expire_seconds, None);
        // serializing back produces the wire names
        let wire = serde_json::to_value(&p).unwrap();
        assert_eq!(wire["mchOrderId"], "Platform0000058");
        assert!(wire.get("remark").is_none());
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("mchOrderId", serde_json::json!(null)),
            ("mchOrderId", serde_json::json!("x".repeat(33))),
            ("amount", serde_json::json!(0)),
            ("amount", serde_json::json!("12.5")),
            ("customerName", serde_json::json!("n".repeat(129))),
            ("notifyUrl", serde_json::json!("not a url")),
            ("redirectUrl", serde_json::json!(null)),
            ("email", serde_json::json!("nobody")),
            ("mobile", serde_json::json!("123456789")),
            ("remark", serde_json::json!("r".repeat(257))),
            ("expireSeconds", serde_json::json!(29)),
            ("expireSeconds", serde_json::json!(3601)),
        ];
        for (field, value) in cases {
            let mut v = valid();
            v[*field] = value.clone();
            let err = parse(&v).unwrap_err();
            assert_eq!(&err.field, field, "{value}");
        }
    }

    #[test]
    fn query_needs_an_id() {
        let f = Fields::parse(r#"{"timestamp":1}"#).unwrap();
        assert_eq!(
            PaymentQuery::from_fields(&f, 1).unwrap_err().field,
            "mchOrderId"
        );
        let f = Fields::parse(r#"{"transactionId":"C1","timestamp":1}"#).unwrap();
        assert!(PaymentQuery::from_fields(&f, 1).is_ok());
    }
}
