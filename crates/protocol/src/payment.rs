//! Dynamic payments: create (`payment/generate`), query (`payment/query`), and the
//! `order.payment.*` notification (02-philippines §2.2 and its country twins).

use crate::fields::{check_email, check_mch_order_id, check_url, Fields, MobileRule, ParamError};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

pub const EXPIRE_SECONDS_MIN: i64 = 30;
pub const EXPIRE_SECONDS_MAX: i64 = 3600;
pub const EXPIRE_SECONDS_DEFAULT: i64 = 3600;

/// WeChat Pay H5 (outside WeChat): needs `payerClientIp`.
pub const CHANNEL_WECHAT_URL: &str = "WECHAT_URL";
/// WeChat Pay JSAPI / mini program: needs `wpOpenid` and `wpAppid`, answers `metadata.wechatpay`.
pub const CHANNEL_WECHAT_JS_URL: &str = "WECHAT_JS_URL";

/// Longest `wpOpenid` accepted (WeChat openids are 28 characters today).
pub const WP_OPENID_MAX: usize = 128;
/// Longest `wpAppid` accepted (WeChat appids are `wx` + 16 hex digits).
pub const WP_APPID_MAX: usize = 32;

/// How a country's payment fields differ from the Philippine baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentRules {
    pub mobile: MobileRule,
    pub redirect_url_required: bool,
    /// Longest `customerName` (128; Thailand's WebPay page says 100).
    pub customer_name_max: usize,
}

/// `param` of `/open-api/{country}/payment/generate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// The payer device's public IP (IPv4 or IPv6); required for `WECHAT_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_client_ip: Option<String>,
    /// The payer's openid under `wpAppid`; required for `WECHAT_JS_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_openid: Option<String>,
    /// The official-account or mini-program appid; required for `WECHAT_JS_URL`, and it must be
    /// bound to the app by the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_appid: Option<String>,
    pub timestamp: i64,
}

/// A WeChat input: top level (WebPay and v1 form) or inside the v2 `wechatpay` object.
fn wechat_field(
    f: &Fields,
    nested: Option<&Fields>,
    name: &str,
    max: usize,
) -> Result<Option<String>, ParamError> {
    match f.opt_str(name, max)? {
        Some(v) => Ok(Some(v)),
        None => match nested {
            Some(n) => n
                .opt_str(name, max)
                .map_err(|e| ParamError::new(&format!("wechatpay.{name}"), e.reason)),
            None => Ok(None),
        },
    }
}

/// Letters, digits, `_` and `-` only (openids and appids).
fn check_token(name: &str, value: &str) -> Result<(), ParamError> {
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        Ok(())
    } else {
        Err(ParamError::new(
            name,
            "may contain only letters, digits, '_' and '-'",
        ))
    }
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
        let customer_name = f.req_str("customerName", rules.customer_name_max)?;
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
        // WeChat inputs (05-thailand §5.2.1 and its WeChat section): required per channel, and
        // checked for format whenever they are sent.
        let nested = f.opt_object("wechatpay")?;
        let payer_client_ip = wechat_field(f, nested.as_ref(), "payerClientIp", 45)?;
        if let Some(ip) = &payer_client_ip {
            if ip.parse::<IpAddr>().is_err() {
                return Err(ParamError::new(
                    "payerClientIp",
                    "must be an IPv4 or IPv6 address",
                ));
            }
        }
        let wp_openid = wechat_field(f, nested.as_ref(), "wpOpenid", WP_OPENID_MAX)?;
        if let Some(openid) = &wp_openid {
            check_token("wpOpenid", openid)?;
        }
        let wp_appid = wechat_field(f, nested.as_ref(), "wpAppid", WP_APPID_MAX)?;
        if let Some(appid) = &wp_appid {
            check_token("wpAppid", appid)?;
        }
        match channel_code.as_str() {
            CHANNEL_WECHAT_URL if payer_client_ip.is_none() => {
                return Err(ParamError::new(
                    "payerClientIp",
                    "is required for WECHAT_URL",
                ))
            }
            CHANNEL_WECHAT_JS_URL if wp_openid.is_none() => {
                return Err(ParamError::new("wpOpenid", "is required for WECHAT_JS_URL"))
            }
            CHANNEL_WECHAT_JS_URL if wp_appid.is_none() => {
                return Err(ParamError::new("wpAppid", "is required for WECHAT_JS_URL"))
            }
            _ => {}
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
            payer_client_ip,
            wp_openid,
            wp_appid,
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
    /// WeChat channels: the link that launches the payment (official-account JSAPI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_url: Option<String>,
    /// `WECHAT_JS_URL`: what the page or mini program passes to WeChat Pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PaymentMetadata>,
}

/// `metadata` of a create answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMetadata {
    pub wechatpay: WechatPayParams,
}

/// `metadata.wechatpay`: the arguments of `wx.requestPayment` / `WeixinJSBridge` (`pkg` is
/// passed as `package`). `paySign` is base64 SHA256withRSA over
/// `wpAppid\ntimeStamp\nnonceStr\npkg\n` with the WeChat merchant key of `wpAppid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WechatPayParams {
    pub prepay_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub pkg: String,
    pub sign_type: String,
    pub pay_sign: String,
}

impl WechatPayParams {
    /// The exact text `paySign` signs (WeChat Pay's JSAPI rule, every line `\n`-terminated).
    pub fn message(appid: &str, time_stamp: &str, nonce_str: &str, pkg: &str) -> String {
        format!("{appid}\n{time_stamp}\n{nonce_str}\n{pkg}\n")
    }
}

/// `data` of `/open-api/webpay/generate` (the Thailand/Malaysia WebPay shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebPayGenerateData {
    pub mch_order_id: String,
    pub transaction_id: String,
    pub pay_url: String,
    pub expires_time: String,
    /// The merchant's notification URL (`notifyUrl` of the request).
    pub callback_url: String,
    #[serde(default)]
    pub redirect_url: Option<String>,
    pub pay_data: String,
    pub channel_type: String,
    pub channel_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PaymentMetadata>,
}

/// `data` of `/open-api/webpay/detail` ("Retrieve WebPay Status", 04-malaysia §4.2.2) plus the
/// country and currency every answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebPayDetailData {
    pub pay_url: String,
    pub transaction_status: String,
    pub transaction_id: String,
    pub create_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_time: Option<String>,
    pub expires_time: String,
    pub mch_order_id: String,
    pub amount: i64,
    pub customer_name: String,
    pub email: String,
    pub mobile: String,
    #[serde(default)]
    pub remark: String,
    pub callback_url: String,
    #[serde(default)]
    pub redirect_url: Option<String>,
    pub channel_code: String,
    pub channel_type: String,
    pub pay_data: String,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// The v2 unified form's `countryCode` and `currency` as sent (the domain maps them to a
/// country and checks they agree).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CountrySelector {
    pub country_code: Option<String>,
    pub currency: Option<String>,
}

impl CountrySelector {
    pub fn from_fields(f: &Fields) -> Result<Self, ParamError> {
        Ok(CountrySelector {
            country_code: f.opt_str("countryCode", 2)?,
            currency: f.opt_str("currency", 3)?,
        })
    }
}

/// v2 enums that the unified create accepts; checked when sent, otherwise informational
/// (sampan takes the channel type from its catalog).
pub const V2_CHANNEL_TYPES: &[&str] = &[
    "QR",
    "ONLINE_BANKING",
    "EWALLET",
    "BANK_TRANSFER",
    "CARD",
    "DIRECT_DEBIT",
    "PAYLATER",
    "URL",
    "VA",
];
pub const V2_TERMINAL_TYPES: &[&str] = &["WEB", "WAP", "APP"];
pub const V2_OS_TYPES: &[&str] = &["IOS", "ANDROID", "OTHER"];

/// Checks the optional v2 enum fields of the unified create.
pub fn check_v2_enums(f: &Fields) -> Result<(), ParamError> {
    for (name, allowed) in [
        ("channelType", V2_CHANNEL_TYPES),
        ("terminalType", V2_TERMINAL_TYPES),
        ("osType", V2_OS_TYPES),
    ] {
        if let Some(value) = f.opt_str(name, 32)? {
            if !allowed.contains(&value.as_str()) {
                return Err(ParamError::new(
                    name,
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
        }
    }
    Ok(())
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
        let (mch_order_id, transaction_id) = f.order_or_transaction_id()?;
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
    /// What completed refunds have given back so far (extension, issue 6); the merchant can
    /// still refund `amount - refundedAmount`.
    #[serde(default)]
    pub refunded_amount: i64,
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
        customer_name_max: 128,
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
    fn wechat_inputs_are_required_per_channel_and_checked() {
        let mut v = valid();
        v["channelCode"] = serde_json::json!("WECHAT_URL");
        assert_eq!(parse(&v).unwrap_err().field, "payerClientIp");
        v["payerClientIp"] = serde_json::json!("1.2.3");
        assert_eq!(parse(&v).unwrap_err().field, "payerClientIp");
        v["payerClientIp"] = serde_json::json!("::1");
        assert_eq!(parse(&v).unwrap().payer_client_ip.as_deref(), Some("::1"));

        let mut v = valid();
        v["channelCode"] = serde_json::json!("WECHAT_JS_URL");
        assert_eq!(parse(&v).unwrap_err().field, "wpOpenid");
        v["wpOpenid"] = serde_json::json!("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
        assert_eq!(parse(&v).unwrap_err().field, "wpAppid");
        v["wechatpay"] = serde_json::json!({"wpAppid": "wx8888888888888888"});
        assert_eq!(
            parse(&v).unwrap().wp_appid.as_deref(),
            Some("wx8888888888888888")
        );
        v["wechatpay"] = serde_json::json!({"wpAppid": 5});
        assert_eq!(parse(&v).unwrap_err().field, "wechatpay.wpAppid");
        v["wechatpay"] = serde_json::json!("x");
        assert_eq!(parse(&v).unwrap_err().field, "wechatpay");
    }

    #[test]
    fn pay_sign_message_is_newline_terminated() {
        assert_eq!(
            WechatPayParams::message("wx1", "1414561699", "abc", "prepay_id=wx2"),
            "wx1\n1414561699\nabc\nprepay_id=wx2\n"
        );
    }

    #[test]
    fn v2_enums_are_checked_when_sent() {
        let f = Fields::parse(r#"{"channelType":"EWALLET","terminalType":"WAP"}"#).unwrap();
        assert!(check_v2_enums(&f).is_ok());
        let f = Fields::parse(r#"{"osType":"BEOS"}"#).unwrap();
        assert_eq!(check_v2_enums(&f).unwrap_err().field, "osType");
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
