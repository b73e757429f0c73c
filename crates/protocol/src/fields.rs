//! Reading a merchant's `param` field by field, so that every rejection names the field.
//!
//! serde's derive would tell a merchant "invalid type at line 1 column 57"; a gateway must say
//! which field is wrong and why (`21002`, spec README "Response codes"). Unknown fields are
//! ignored, as the docs' own examples send undocumented ones.

use serde_json::{Map, Value};

/// A `param` field that is missing, mistyped or out of format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct ParamError {
    pub field: String,
    pub reason: String,
}

impl ParamError {
    pub fn new(field: &str, reason: impl Into<String>) -> ParamError {
        ParamError {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// The parsed `param` object.
#[derive(Debug, Clone)]
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    pub fn parse(param: &str) -> Result<Fields, ParamError> {
        match serde_json::from_str::<Value>(param) {
            Ok(Value::Object(map)) => Ok(Fields { map }),
            Ok(_) => Err(ParamError::new("param", "must be a JSON object")),
            Err(_) => Err(ParamError::new("param", "is not valid JSON")),
        }
    }

    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required string of 1..=`max` characters, surrounding whitespace kept as sent.
    pub fn req_str(&self, name: &str, max: usize) -> Result<String, ParamError> {
        self.opt_str(name, max)?
            .ok_or_else(|| ParamError::new(name, "is required"))
    }

    /// An optional string; absent, null and "" all mean "not given".
    pub fn opt_str(&self, name: &str, max: usize) -> Result<Option<String>, ParamError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let len = s.chars().count();
                if len > max {
                    Err(ParamError::new(
                        name,
                        format!("must be at most {max} characters (got {len})"),
                    ))
                } else {
                    Ok(Some(s.clone()))
                }
            }
            Some(_) => Err(ParamError::new(name, "must be a string")),
        }
    }

    /// An optional nested object (e.g. the v2 `wechatpay`), read with the same rules.
    pub fn opt_object(&self, name: &str) -> Result<Option<Fields>, ParamError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map: map.clone() })),
            Some(_) => Err(ParamError::new(name, "must be a JSON object")),
        }
    }

    pub fn req_int(&self, name: &str) -> Result<i64, ParamError> {
        self.opt_int(name)?
            .ok_or_else(|| ParamError::new(name, "is required"))
    }

    /// The lookup key of a status query: `mchOrderId`, `transactionId` (extension), or both;
    /// one of them is required.
    pub fn order_or_transaction_id(&self) -> Result<(Option<String>, Option<String>), ParamError> {
        let mch_order_id = self.opt_str("mchOrderId", 32)?;
        let transaction_id = self.opt_str("transactionId", 32)?;
        if mch_order_id.is_none() && transaction_id.is_none() {
            return Err(ParamError::new("mchOrderId", "is required"));
        }
        Ok((mch_order_id, transaction_id))
    }

    /// An integer sent as a JSON number or a string of digits (both appear in the docs).
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ParamError> {
        let not_int = || ParamError::new(name, "must be an integer");
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(not_int),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(not_int());
                }
                s.parse().map(Some).map_err(|_| not_int())
            }
            Some(_) => Err(not_int()),
        }
    }
}

/// Merchant order ids: 1–32 of letters, digits, `_`, `-`, `.`.
pub fn check_mch_order_id(name: &str, value: &str) -> Result<(), ParamError> {
    if value.is_empty() || value.len() > 32 {
        return Err(ParamError::new(name, "must be 1-32 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(ParamError::new(
            name,
            "may contain only letters, digits, '_', '-' and '.'",
        ));
    }
    Ok(())
}

/// An absolute http(s) URL with a host, no whitespace.
pub fn check_url(name: &str, value: &str) -> Result<(), ParamError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| ParamError::new(name, "must be an http or https URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(ParamError::new(name, "must be an http or https URL"));
    }
    Ok(())
}

/// A plausible e-mail address: one `@`, a local part, a dotted domain, no whitespace.
pub fn check_email(name: &str, value: &str) -> Result<(), ParamError> {
    let bad = || ParamError::new(name, "must be an e-mail address");
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    if local.is_empty() || value.chars().any(char::is_whitespace) || !domain_ok {
        return Err(bad());
    }
    Ok(())
}

/// Payer mobile number formats per country (02–06 field tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MobileRule {
    /// `09` + 9 digits
    Philippines,
    /// `08` + 8–11 digits
    Indonesia,
    /// `01` + 8–9 digits
    Malaysia,
    /// `0[689]` + 8 digits
    Thailand,
    /// `+7` or `8` + 10 digits
    Russia,
}

impl MobileRule {
    pub fn describe(self) -> &'static str {
        match self {
            MobileRule::Philippines => "must be 09 followed by 9 digits",
            MobileRule::Indonesia => "must be 08 followed by 8-11 digits",
            MobileRule::Malaysia => "must be 01 followed by 8-9 digits",
            MobileRule::Thailand => "must be 06, 08 or 09 followed by 8 digits",
            MobileRule::Russia => "must be +7 or 8 followed by 10 digits",
        }
    }

    pub fn matches(self, value: &str) -> bool {
        let digits_after = |prefix: &str, range: std::ops::RangeInclusive<usize>| {
            value.strip_prefix(prefix).is_some_and(|rest| {
                range.contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
            })
        };
        match self {
            MobileRule::Philippines => digits_after("09", 9..=9),
            MobileRule::Indonesia => digits_after("08", 8..=11),
            MobileRule::Malaysia => digits_after("01", 8..=9),
            MobileRule::Thailand => ["06", "08", "09"].iter().any(|p| digits_after(p, 8..=8)),
            MobileRule::Russia => digits_after("+7", 10..=10) || digits_after("8", 10..=10),
        }
    }

    pub fn check(self, name: &str, value: &str) -> Result<(), ParamError> {
        if self.matches(value) {
            Ok(())
        } else {
            Err(ParamError::new(name, self.describe()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_and_integers_with_named_errors() {
        let f = Fields::parse(
            r#"{"a":"x","n":5,"s":"12","neg":"-3","f":1.5,"e":"","b":true,"long":"abcdef"}"#,
        )
        .unwrap();
        assert_eq!(f.req_str("a", 5).unwrap(), "x");
        assert_eq!(f.req_int("n").unwrap(), 5);
        assert_eq!(f.req_int("s").unwrap(), 12);
        assert_eq!(f.req_int("neg").unwrap(), -3);
        assert_eq!(f.req_int("f").unwrap_err().field, "f");
        assert_eq!(f.opt_str("e", 5).unwrap(), None);
        assert_eq!(f.req_str("e", 5).unwrap_err().reason, "is required");
        assert_eq!(f.req_str("b", 5).unwrap_err().reason, "must be a string");
        assert_eq!(f.req_str("missing", 5).unwrap_err().field, "missing");
        assert!(f
            .req_str("long", 5)
            .unwrap_err()
            .reason
            .contains("at most 5"));
        assert_eq!(f.req_int("a").unwrap_err().reason, "must be an integer");
        assert_eq!(Fields::parse("[1]").unwrap_err().field, "param");
        assert_eq!(Fields::parse("{").unwrap_err().field, "param");
    }

    #[test]
    fn mobile_rules_per_country() {
        assert!(MobileRule::Philippines.matches("09171234567"));
        assert!(!MobileRule::Philippines.matches("0917123456"));
        assert!(!MobileRule::Philippines.matches("123456789"));
        assert!(MobileRule::Indonesia.matches("0812345678"));
        assert!(MobileRule::Indonesia.matches("0812345678901"));
        assert!(!MobileRule::Indonesia.matches("08123456789012"));
        assert!(MobileRule::Malaysia.matches("0123456789"));
        assert!(!MobileRule::Malaysia.matches("0223456789"));
        assert!(MobileRule::Thailand.matches("0612345678"));
        assert!(!MobileRule::Thailand.matches("0712345678"));
        assert!(MobileRule::Russia.matches("+79161234567"));
        assert!(MobileRule::Russia.matches("89161234567"));
        assert!(!MobileRule::Russia.matches("79161234567"));
    }

    #[test]
    fn urls_emails_and_order_ids() {
        assert!(check_url("u", "https://merchant.example/notify?x=1").is_ok());
        assert!(check_url("u", "http://127.0.0.1:8080/n").is_ok());
        assert!(check_url("u", "ftp://x").is_err());
        assert!(check_url("u", "https://").is_err());
        assert!(check_url("u", "https://a b").is_err());
        assert!(check_email("e", "juan@example.ph").is_ok());
        assert!(check_email("e", "juan@localhost").is_err());
        assert!(check_email("e", "@example.ph").is_err());
        assert!(check_mch_order_id("m", "Platform0000001_30").is_ok());
        assert!(check_mch_order_id("m", "has space").is_err());
        assert!(check_mch_order_id("m", &"x".repeat(33)).is_err());
    }
}
