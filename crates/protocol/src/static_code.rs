//! Static payment codes (02-philippines §2.3, 03-indonesia §3.3, 05-thailand §5.3): create
//! (`static/payment/generate`), detail, the list of payments made to a code, cancel, and the
//! `static.order.payment.*` notification of each payment.

use crate::fields::{check_email, check_mch_order_id, check_url, Fields, ParamError};
use crate::payment::PaymentRules;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The most calendar days a list may span, both ends included (`2026-01-01`..`2026-01-31`).
pub const LIST_MAX_DAYS: i64 = 31;

pub const EVENT_STATIC_PAYMENT_SUCCESS: &str = "static.order.payment.success";
pub const EVENT_STATIC_PAYMENT_FAILED: &str = "static.order.payment.failed";

/// Code statuses (spec README "Statuses").
pub const CODE_ACTIVE: &str = "ACTIVE";
pub const CODE_CANCEL: &str = "CANCEL";
pub const CODE_EXPIRED: &str = "EXPIRED";

/// When a code stops accepting payments (`expireTime`, extension): epoch milliseconds (a JSON
/// number or a string of 13 digits, as on the PayCools Indonesia site) or a
/// `yyyy-MM-dd HH:mm:ss` wall-clock time in the platform display zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireTime {
    EpochMs(i64),
    Local(NaiveDateTime),
}

impl ExpireTime {
    fn from_fields(f: &Fields) -> Result<Option<ExpireTime>, ParamError> {
        const NAME: &str = "expireTime";
        let bad = || {
            ParamError::new(
                NAME,
                "must be epoch milliseconds or yyyy-MM-dd HH:mm:ss in the display time zone",
            )
        };
        match f.raw(NAME) {
            None => Ok(None),
            Some(serde_json::Value::Number(_)) => {
                let ms = f.req_int(NAME).map_err(|_| bad())?;
                if ms <= 0 {
                    return Err(bad());
                }
                Ok(Some(ExpireTime::EpochMs(ms)))
            }
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => {
                if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) {
                    return s
                        .parse()
                        .map(|ms| Some(ExpireTime::EpochMs(ms)))
                        .map_err(|_| bad());
                }
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                    .map(|t| Some(ExpireTime::Local(t)))
                    .map_err(|_| bad())
            }
            Some(_) => Err(bad()),
        }
    }
}

/// `param` of `/open-api/{country}/static/payment/generate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticGenerate {
    pub mch_order_id: String,
    pub customer_name: String,
    pub channel_code: String,
    pub notify_url: String,
    pub email: String,
    pub mobile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// A fixed amount every payment must equal (extension); any amount when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Epoch milliseconds, or `yyyy-MM-dd HH:mm:ss` in the display zone (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<serde_json::Value>,
    pub timestamp: i64,
}

/// A create request after field validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticGenerateParam {
    pub mch_order_id: String,
    pub customer_name: String,
    pub channel_code: String,
    pub notify_url: String,
    pub email: String,
    pub mobile: String,
    pub remark: Option<String>,
    pub amount: Option<i64>,
    pub expire_time: Option<ExpireTime>,
    pub timestamp: i64,
}

impl StaticGenerateParam {
    /// Field rules of 02-philippines §2.3.1 with the country's mobile rule, plus the optional
    /// fixed `amount` and `expireTime`.
    pub fn from_fields(
        f: &Fields,
        rules: PaymentRules,
        timestamp: i64,
    ) -> Result<Self, ParamError> {
        let mch_order_id = f.req_str("mchOrderId", 32)?;
        check_mch_order_id("mchOrderId", &mch_order_id)?;
        let customer_name = f.req_str("customerName", rules.customer_name_max)?;
        let channel_code = f.req_str("channelCode", 64)?;
        let notify_url = f.req_str("notifyUrl", 256)?;
        check_url("notifyUrl", &notify_url)?;
        let email = f.req_str("email", 128)?;
        check_email("email", &email)?;
        let mobile = f.req_str("mobile", 14)?;
        rules.mobile.check("mobile", &mobile)?;
        let remark = f.opt_str("remark", 256)?;
        let amount = f.opt_int("amount")?;
        if amount.is_some_and(|a| a <= 0) {
            return Err(ParamError::new("amount", "must be a positive integer"));
        }
        let expire_time = ExpireTime::from_fields(f)?;
        Ok(StaticGenerateParam {
            mch_order_id,
            customer_name,
            channel_code,
            notify_url,
            email,
            mobile,
            remark,
            amount,
            expire_time,
            timestamp,
        })
    }
}

/// The code as create, cancel and detail answer it (02-philippines §2.3.1 / §2.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticCodeData {
    pub mch_order_id: String,
    pub pay_data: String,
    pub channel_code: String,
    pub channel_type: String,
    pub create_time: String,
    pub status: String,
    /// Empty when the code never expires; the cancel moment once cancelled.
    pub expires_time: String,
    /// The fixed amount, when the code has one (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// The code's hosted page: QR image or VA instructions (extension).
    pub pay_url: String,
    pub country_code: String,
    pub currency: String,
}

/// `param` of `static/payment/detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticDetail {
    pub mch_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    pub timestamp: i64,
}

impl StaticDetail {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let mch_order_id = f.req_str("mchOrderId", 32)?;
        let channel_code = f.opt_str("channelCode", 64)?;
        Ok(StaticDetail {
            mch_order_id,
            channel_code,
            timestamp,
        })
    }
}

/// `data` of `static/payment/detail`: the code and what it has received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticDetailData {
    #[serde(flatten)]
    pub code: StaticCodeData,
    pub customer_name: String,
    #[serde(default)]
    pub remark: String,
    /// Completed payments made to the code.
    pub paid_count: i64,
    /// Their sum, in the country's minor unit.
    pub paid_amount: i64,
}

/// `param` of `static/payment/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticList {
    pub mch_order_id: String,
    /// `yyyy-MM-dd` in the display time zone.
    pub start_date: String,
    pub end_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    pub timestamp: i64,
}

/// A list request after validation: the inclusive date range in the display zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticListParam {
    pub mch_order_id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub channel_code: Option<String>,
}

fn date(f: &Fields, name: &str) -> Result<NaiveDate, ParamError> {
    let text = f.req_str(name, 10)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ParamError::new(name, "must be a date yyyy-MM-dd"))
}

impl StaticListParam {
    /// `startDate` ≤ `endDate`, at most [`LIST_MAX_DAYS`] days apart; otherwise 21002 naming
    /// `endDate`.
    pub fn from_fields(f: &Fields, _timestamp: i64) -> Result<Self, ParamError> {
        let mch_order_id = f.req_str("mchOrderId", 32)?;
        let start_date = date(f, "startDate")?;
        let end_date = date(f, "endDate")?;
        if end_date < start_date {
            return Err(ParamError::new("endDate", "must not be before startDate"));
        }
        if (end_date - start_date).num_days() >= LIST_MAX_DAYS {
            return Err(ParamError::new(
                "endDate",
                format!("must be within {LIST_MAX_DAYS} days of startDate (both included)"),
            ));
        }
        let channel_code = f.opt_str("channelCode", 64)?;
        Ok(StaticListParam {
            mch_order_id,
            start_date,
            end_date,
            channel_code,
        })
    }
}

/// One payment made to a code (03-indonesia §3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticPaymentItem {
    pub transaction_id: String,
    pub transaction_create_time: String,
    pub transaction_return_time: String,
    pub transaction_amount: i64,
    pub transaction_status: String,
    #[serde(default)]
    pub remark: Option<String>,
    pub mch_order_id: String,
    pub channel_code: String,
    /// The payer's bank reference (VA channels; QR channels when the payer gave one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    pub fee: i64,
    pub country_code: String,
    pub currency: String,
}

/// `param` of `static/code/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticCancel {
    pub mch_order_id: String,
    pub channel_code: String,
    pub timestamp: i64,
}

impl StaticCancel {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        Ok(StaticCancel {
            mch_order_id: f.req_str("mchOrderId", 32)?,
            channel_code: f.req_str("channelCode", 64)?,
            timestamp,
        })
    }
}

/// `param` of the `static.order.payment.success` / `.failed` notification (02-philippines
/// §2.3.4) plus `referenceNumber` (VA channels) and the country and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticPaymentNotification {
    pub event_name: String,
    pub mch_order_id: String,
    pub transaction_id: String,
    pub amount: i64,
    pub transaction_status: String,
    pub create_time: String,
    pub return_time: String,
    pub channel_code: String,
    pub remark: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
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
    use crate::fields::MobileRule;

    const ID: PaymentRules = PaymentRules {
        mobile: MobileRule::Indonesia,
        redirect_url_required: false,
        customer_name_max: 128,
    };

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "mchOrderId": "Bill-0001", "customerName": "Siti", "channelCode": "ID_BCA_VA",
            "notifyUrl": "https://shop.example/n", "email": "siti@example.id",
            "mobile": "081234567890", "timestamp": 1, "payMode": "WEB"
        })
    }

    fn parse(v: &serde_json::Value) -> Result<StaticGenerateParam, ParamError> {
        StaticGenerateParam::from_fields(&Fields::parse(&v.to_string()).unwrap(), ID, 1)
    }

    #[test]
    fn create_rules_name_their_field() {
        let p = parse(&valid()).unwrap();
        assert_eq!((p.amount, p.expire_time), (None, None));
        let cases: &[(&str, serde_json::Value)] = &[
            ("mchOrderId", serde_json::json!("has space")),
            ("customerName", serde_json::json!(null)),
            ("notifyUrl", serde_json::json!("nope")),
            ("email", serde_json::json!("x")),
            ("mobile", serde_json::json!("09171234567")),
            ("amount", serde_json::json!(0)),
            ("amount", serde_json::json!("1.5")),
            ("expireTime", serde_json::json!("2026-13-01 00:00:00")),
            ("expireTime", serde_json::json!("tomorrow")),
            ("expireTime", serde_json::json!(-5)),
            ("expireTime", serde_json::json!(true)),
        ];
        for (field, value) in cases {
            let mut v = valid();
            v[*field] = value.clone();
            assert_eq!(&parse(&v).unwrap_err().field, field, "{value}");
        }
    }

    #[test]
    fn expire_time_takes_epoch_ms_or_a_display_zone_time() {
        let mut v = valid();
        v["expireTime"] = serde_json::json!(1_900_000_000_000i64);
        assert_eq!(
            parse(&v).unwrap().expire_time,
            Some(ExpireTime::EpochMs(1_900_000_000_000))
        );
        v["expireTime"] = serde_json::json!("1900000000000");
        assert_eq!(
            parse(&v).unwrap().expire_time,
            Some(ExpireTime::EpochMs(1_900_000_000_000))
        );
        v["expireTime"] = serde_json::json!("2030-01-02 03:04:05");
        assert!(matches!(
            parse(&v).unwrap().expire_time,
            Some(ExpireTime::Local(_))
        ));
    }

    #[test]
    fn list_ranges_are_checked() {
        let list = |s: &str, e: &str| {
            let f = Fields::parse(
                &serde_json::json!({"mchOrderId": "B1", "startDate": s, "endDate": e}).to_string(),
            )
            .unwrap();
            StaticListParam::from_fields(&f, 1)
        };
        assert!(list("2026-01-01", "2026-01-31").is_ok());
        assert!(list("2026-01-01", "2026-01-01").is_ok());
        assert_eq!(
            list("2026-01-01", "2026-02-01").unwrap_err().field,
            "endDate"
        );
        assert_eq!(
            list("2026-01-02", "2026-01-01").unwrap_err().field,
            "endDate"
        );
        assert_eq!(
            list("2026-1-2", "2026-01-03").unwrap_err().field,
            "startDate"
        );
        assert_eq!(
            list("2026-01-01", "2026-02-30").unwrap_err().field,
            "endDate"
        );
    }
}
