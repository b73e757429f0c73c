//! Payouts: create (`disbursement/transfer`), check (`disbursement/check`), and the
//! `disbursement.*` notification (02-philippines §2.1, 03-indonesia §3.1, 04-malaysia §4.1,
//! 05-thailand §5.1).
//!
//! This module checks what the wire format alone decides: presence, length, character set and
//! the per-country conditional fields. Whether a `payMethodCode`, `transferCode` or `accountNo`
//! fits the channel catalog, and the amount limits, are the domain's business (21019, 21018,
//! 21012, 21013, 21010).

use crate::fields::{check_mch_order_id, check_url, Fields, MobileRule, ParamError};
use serde::{Deserialize, Serialize};

pub const EVENT_PAYOUT_SUCCESS: &str = "disbursement.success";
pub const EVENT_PAYOUT_FAILED: &str = "disbursement.failed";

/// Which country's field table a create-payout request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutForm {
    /// 2.1.1: `payMethodCode` + `transferCode`.
    Philippines,
    /// 3.1.1: as the Philippines plus a required `mobile` (`08…`).
    Indonesia,
    /// 4.1.1: as the Philippines plus a required `accountType`.
    Malaysia,
    /// 5.1.1: `BANK` / `EWALLET` / `PROMPTPAY` with conditional fields.
    Thailand,
}

/// Malaysian destination kinds (4.1.1 `accountType`).
pub const MY_ACCOUNT_TYPES: &[&str] = &["BANK_ACCOUNT", "MOBILE_NUMBER"];
/// Thai receiver kinds (5.1.1 `accountType`, required for `BANK`).
pub const TH_ACCOUNT_TYPES: &[&str] = &["INDIVIDUAL", "ORGANIZATION"];
/// Thai PromptPay proxy kinds (5.1.1 `promptpayAccountType`).
pub const TH_PROMPTPAY_TYPES: &[&str] = &["NATID", "MSISDN"];

/// `param` of `/open-api/{country}/disbursement/transfer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutTransfer {
    pub mch_order_id: String,
    pub idempotency_id: String,
    pub amount: i64,
    pub account_no: String,
    /// Required everywhere except Thai `PROMPTPAY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub pay_method_code: String,
    /// Required everywhere except Thai `PROMPTPAY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
    /// Indonesia (required), Thailand `BANK` (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Malaysia `BANK_ACCOUNT`/`MOBILE_NUMBER`; Thailand `BANK` `INDIVIDUAL`/`ORGANIZATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Thailand `PROMPTPAY`: `NATID` or `MSISDN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promptpay_account_type: Option<String>,
    /// Thailand `BANK`: national ID card or business registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_tax_id: Option<String>,
    /// Thailand, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Where this payout's notification goes (extension; default: the app's payout callback URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    pub timestamp: i64,
}

/// `idempotencyId`: 10–32 letters, digits, `_` or `-` (the pages say "letters + digits", 10–30
/// or 10–32; sampan takes the wider range and the order-id punctuation).
pub fn check_idempotency_id(name: &str, value: &str) -> Result<(), ParamError> {
    let len = value.chars().count();
    if !(10..=32).contains(&len) {
        return Err(ParamError::new(name, "must be 10-32 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        return Err(ParamError::new(
            name,
            "may contain only letters, digits, '_' and '-'",
        ));
    }
    Ok(())
}

/// Payee names (2.1.1): "firstName middleName lastName"; letters and spaces, and of special
/// characters only `'`, `.` and `-`. At least one letter; no leading or trailing space.
pub fn check_account_name(name: &str, value: &str) -> Result<(), ParamError> {
    if value.trim() != value {
        return Err(ParamError::new(name, "must not start or end with a space"));
    }
    if !value.chars().any(char::is_alphabetic) {
        return Err(ParamError::new(name, "must contain a letter"));
    }
    // Thai vowel and tone marks are combining marks, not letters, but belong in Thai names.
    let thai_mark = |c: char| ('\u{0E31}'..='\u{0E4E}').contains(&c);
    if let Some(bad) = value
        .chars()
        .find(|&c| !(c.is_alphabetic() || thai_mark(c) || matches!(c, ' ' | '\'' | '.' | '-')))
    {
        return Err(ParamError::new(
            name,
            format!("may contain only letters, spaces, ''', '.' and '-' (found {bad:?})"),
        ));
    }
    Ok(())
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<(), ParamError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(
            name,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

impl PayoutTransfer {
    /// Field rules of the country's create-payout table. The timestamp is checked by the
    /// request pipeline, which owns the clock.
    pub fn from_fields(f: &Fields, form: PayoutForm, timestamp: i64) -> Result<Self, ParamError> {
        let mch_order_id = f.req_str("mchOrderId", 32)?;
        check_mch_order_id("mchOrderId", &mch_order_id)?;
        let idempotency_id = f.req_str("idempotencyId", 32)?;
        check_idempotency_id("idempotencyId", &idempotency_id)?;
        let amount = f.req_int("amount")?;
        if amount <= 0 {
            return Err(ParamError::new("amount", "must be a positive integer"));
        }
        let pay_method_code = f.req_str("payMethodCode", 32)?;
        let account_no = f.req_str("accountNo", 50)?;
        if account_no.chars().any(char::is_whitespace) {
            return Err(ParamError::new("accountNo", "must not contain spaces"));
        }
        let remark = f.opt_str("remark", 256)?;
        let notify_url = f.opt_str("notifyUrl", 256)?;
        if let Some(url) = &notify_url {
            check_url("notifyUrl", url)?;
        }

        let account_name;
        let mut transfer_code = None;
        let mut mobile = None;
        let mut account_type = None;
        let mut promptpay_account_type = None;
        let mut account_tax_id = None;
        let mut relationship = None;
        let name_max = if form == PayoutForm::Thailand {
            50
        } else {
            128
        };
        let read_name = |required: bool| -> Result<Option<String>, ParamError> {
            let value = if required {
                Some(f.req_str("accountName", name_max)?)
            } else {
                f.opt_str("accountName", name_max)?
            };
            if let Some(v) = &value {
                check_account_name("accountName", v)?;
            }
            Ok(value)
        };
        match form {
            PayoutForm::Philippines | PayoutForm::Indonesia | PayoutForm::Malaysia => {
                account_name = read_name(true)?;
                transfer_code = Some(f.req_str("transferCode", 32)?);
                if form == PayoutForm::Indonesia {
                    let m = f.req_str("mobile", 13)?;
                    MobileRule::Indonesia.check("mobile", &m)?;
                    mobile = Some(m);
                }
                if form == PayoutForm::Malaysia {
                    let t = f.req_str("accountType", 32)?;
                    one_of("accountType", &t, MY_ACCOUNT_TYPES)?;
                    account_type = Some(t);
                }
            }
            PayoutForm::Thailand => {
                relationship = f.opt_str("relationship", 50)?;
                // Conditions follow the method; an unknown method is refused later (21019).
                match pay_method_code.as_str() {
                    "PROMPTPAY" => {
                        let t = f.req_str("promptpayAccountType", 16)?;
                        one_of("promptpayAccountType", &t, TH_PROMPTPAY_TYPES)?;
                        promptpay_account_type = Some(t);
                        account_name = read_name(false)?;
                    }
                    "BANK" => {
                        account_name = read_name(true)?;
                        transfer_code = Some(f.req_str("transferCode", 32)?);
                        let t = f.req_str("accountType", 16)?;
                        one_of("accountType", &t, TH_ACCOUNT_TYPES)?;
                        account_type = Some(t);
                        let tax = f.req_str("accountTaxId", 32)?;
                        if !tax.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                            return Err(ParamError::new(
                                "accountTaxId",
                                "may contain only letters, digits and '-'",
                            ));
                        }
                        account_tax_id = Some(tax);
                        let m = f.req_str("mobile", 10)?;
                        MobileRule::Thailand.check("mobile", &m)?;
                        mobile = Some(m);
                    }
                    _ => {
                        account_name = read_name(true)?;
                        transfer_code = Some(f.req_str("transferCode", 32)?);
                    }
                }
            }
        }
        Ok(PayoutTransfer {
            mch_order_id,
            idempotency_id,
            amount,
            account_no,
            account_name,
            pay_method_code,
            transfer_code,
            mobile,
            account_type,
            promptpay_account_type,
            account_tax_id,
            relationship,
            remark,
            notify_url,
            timestamp,
        })
    }
}

/// `data` of a successful transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutTransferData {
    pub mch_order_id: String,
    pub transaction_id: String,
    pub transaction_status: String,
    pub transaction_time: String,
}

/// `param` of `disbursement/check`: by `mchOrderId` or `transactionId`; `countryCode` (v2)
/// optionally narrows the un-prefixed alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutCheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    pub timestamp: i64,
}

impl PayoutCheck {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let (mch_order_id, transaction_id) = f.order_or_transaction_id()?;
        Ok(PayoutCheck {
            mch_order_id,
            transaction_id,
            country_code: f.opt_str("countryCode", 8)?,
            timestamp,
        })
    }
}

/// `data` of `disbursement/check` (02-philippines §2.1.2 plus `countryCode`, `currency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutCheckData {
    pub mch_order_id: String,
    pub transaction_id: String,
    pub amount: i64,
    /// The fee frozen with the amount (extension).
    pub fee: i64,
    pub transaction_status: String,
    pub create_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_time: Option<String>,
    #[serde(default)]
    pub remark: String,
    pub pay_method_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
    pub country_code: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// `param` of the `disbursement.success` / `disbursement.failed` notification (2.1.3 plus
/// `countryCode`, `currency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutNotification {
    pub event_name: String,
    pub mch_order_id: String,
    pub transaction_id: String,
    pub amount: i64,
    pub transaction_status: String,
    pub create_time: String,
    pub return_time: String,
    pub remark: String,
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

    fn parse(v: &Value, form: PayoutForm) -> Result<PayoutTransfer, ParamError> {
        PayoutTransfer::from_fields(&Fields::parse(&v.to_string()).unwrap(), form, 1)
    }

    fn ph() -> Value {
        json!({
            "mchOrderId": "CCP20220428011068111", "idempotencyId": "IDEM2022042801",
            "amount": 50000, "accountNo": "09171234567", "accountName": "Juan P. dela Cruz-Santos",
            "payMethodCode": "EWALLET", "transferCode": "GCASH", "timestamp": 1678356680000i64
        })
    }

    fn th_bank() -> Value {
        json!({
            "mchOrderId": "TH0000000001", "idempotencyId": "THIDEM000001", "amount": 50000,
            "payMethodCode": "BANK", "transferCode": "KBANK", "accountNo": "1234567890",
            "accountName": "Somchai Jaidee", "accountType": "INDIVIDUAL",
            "accountTaxId": "1101700203451", "mobile": "0812345678", "timestamp": 1
        })
    }

    #[test]
    fn accepts_each_countrys_documented_shape() {
        let p = parse(&ph(), PayoutForm::Philippines).unwrap();
        assert_eq!(p.transfer_code.as_deref(), Some("GCASH"));
        let mut id = ph();
        id["mobile"] = json!("0822111111");
        id["payMethodCode"] = json!("BANK");
        id["transferCode"] = json!("CIMB");
        assert!(parse(&id, PayoutForm::Indonesia).is_ok());
        let mut my = ph();
        my["accountType"] = json!("BANK_ACCOUNT");
        assert!(parse(&my, PayoutForm::Malaysia).is_ok());
        assert!(parse(&th_bank(), PayoutForm::Thailand).is_ok());
        let pp = json!({
            "mchOrderId": "TH0000000002", "idempotencyId": "THIDEM000002", "amount": 100,
            "payMethodCode": "PROMPTPAY", "promptpayAccountType": "MSISDN",
            "accountNo": "0812345678", "timestamp": 1
        });
        let p = parse(&pp, PayoutForm::Thailand).unwrap();
        assert_eq!(p.transfer_code, None);
        assert_eq!(p.account_name, None);
        let wire = serde_json::to_value(&p).unwrap();
        assert_eq!(wire["promptpayAccountType"], "MSISDN");
        assert!(wire.get("transferCode").is_none());
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: &[(PayoutForm, &str, Value)] = &[
            (PayoutForm::Philippines, "mchOrderId", json!(null)),
            (PayoutForm::Philippines, "idempotencyId", json!("short")),
            (
                PayoutForm::Philippines,
                "idempotencyId",
                json!("has space 12345"),
            ),
            (PayoutForm::Philippines, "amount", json!(-1)),
            (PayoutForm::Philippines, "accountNo", json!(null)),
            (PayoutForm::Philippines, "accountNo", json!("0917 123 4567")),
            (
                PayoutForm::Philippines,
                "accountName",
                json!("Juan_dela Cruz"),
            ),
            (PayoutForm::Philippines, "accountName", json!("1234")),
            (PayoutForm::Philippines, "accountName", json!(null)),
            (PayoutForm::Philippines, "payMethodCode", json!(null)),
            (PayoutForm::Philippines, "transferCode", json!(null)),
            (PayoutForm::Philippines, "notifyUrl", json!("nope")),
            (PayoutForm::Philippines, "remark", json!("r".repeat(257))),
            (PayoutForm::Indonesia, "mobile", json!(null)),
            (PayoutForm::Indonesia, "mobile", json!("0912345678")),
            (PayoutForm::Malaysia, "accountType", json!(null)),
            (PayoutForm::Malaysia, "accountType", json!("SAVINGS")),
        ];
        for (form, field, value) in cases {
            let mut v = ph();
            if *form == PayoutForm::Indonesia {
                v["mobile"] = json!("0822111111");
            }
            if *form == PayoutForm::Malaysia {
                v["accountType"] = json!("BANK_ACCOUNT");
            }
            v[*field] = value.clone();
            let err = parse(&v, *form).unwrap_err();
            assert_eq!(&err.field, field, "{form:?} {value}");
        }
    }

    #[test]
    fn thai_conditional_fields() {
        for field in [
            "transferCode",
            "accountType",
            "accountTaxId",
            "mobile",
            "accountName",
        ] {
            let mut v = th_bank();
            v.as_object_mut().unwrap().remove(field);
            assert_eq!(parse(&v, PayoutForm::Thailand).unwrap_err().field, field);
        }
        let mut v = th_bank();
        v["accountType"] = json!("PERSON");
        assert_eq!(
            parse(&v, PayoutForm::Thailand).unwrap_err().field,
            "accountType"
        );
        let mut v = th_bank();
        v["mobile"] = json!("0712345678");
        assert_eq!(parse(&v, PayoutForm::Thailand).unwrap_err().field, "mobile");
        let mut v = th_bank();
        v["payMethodCode"] = json!("PROMPTPAY");
        assert_eq!(
            parse(&v, PayoutForm::Thailand).unwrap_err().field,
            "promptpayAccountType"
        );
        v["promptpayAccountType"] = json!("EMAIL");
        assert_eq!(
            parse(&v, PayoutForm::Thailand).unwrap_err().field,
            "promptpayAccountType"
        );
        let mut v = th_bank();
        v["payMethodCode"] = json!("EWALLET");
        v.as_object_mut().unwrap().remove("transferCode");
        assert_eq!(
            parse(&v, PayoutForm::Thailand).unwrap_err().field,
            "transferCode"
        );
        let mut v = th_bank();
        v["accountName"] = json!("n".repeat(51));
        assert_eq!(
            parse(&v, PayoutForm::Thailand).unwrap_err().field,
            "accountName"
        );
    }

    #[test]
    fn account_names_in_local_scripts() {
        assert!(check_account_name("n", "สมชาย ใจดี").is_ok());
        assert!(check_account_name("n", "María O'Brien-Santos Jr.").is_ok());
        assert!(check_account_name("n", " Juan").is_err());
        assert!(check_account_name("n", "Juan@x").is_err());
        assert!(check_account_name("n", "...").is_err());
    }

    #[test]
    fn check_needs_an_id() {
        let f = Fields::parse(r#"{"timestamp":1}"#).unwrap();
        assert_eq!(
            PayoutCheck::from_fields(&f, 1).unwrap_err().field,
            "mchOrderId"
        );
        let f = Fields::parse(r#"{"transactionId":"D1","timestamp":1}"#).unwrap();
        assert!(PayoutCheck::from_fields(&f, 1).is_ok());
    }
}
