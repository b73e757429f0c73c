//! Wire envelopes (00-protocol §2, §3, §5) and notification signing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::Code;
use crate::sign::{PrivateKey, PublicKey, SignatureError};

/// Merchant → platform request body. `param` is a JSON *text*: it is signed and verified as
/// the exact string received, and only parsed afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    #[serde(rename = "appId")]
    pub app_id: String,
    pub sign: String,
    pub param: String,
}

impl RequestEnvelope {
    /// What a merchant client sends: `param` signed with the merchant's private key.
    pub fn signed(app_id: impl Into<String>, key: &PrivateKey, param: String) -> Self {
        RequestEnvelope {
            app_id: app_id.into(),
            sign: key.sign(param.as_bytes()),
            param,
        }
    }

    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        key.verify(self.param.as_bytes(), &self.sign)
    }
}

/// `{code, message, data}`. `data` is always present on the wire (`null` on errors), as in the
/// v1 examples; on input a missing `data` or `message` is tolerated because some error examples
/// omit them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEnvelope<T> {
    pub code: i32,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Option<T>,
}

impl<T> ResponseEnvelope<T> {
    pub fn success(data: T) -> Self {
        ResponseEnvelope {
            code: Code::Success.as_i32(),
            message: Code::Success.message().to_owned(),
            data: Some(data),
        }
    }

    /// `message` is free text so errors can name the offending field
    /// (spec README §2: "a message naming the field").
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        ResponseEnvelope {
            code: code.as_i32(),
            message: message.into(),
            data: None,
        }
    }

    /// Error with the code's standard v1 message.
    pub fn from_code(code: Code) -> Self {
        Self::error(code, code.message())
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success.as_i32()
    }

    /// `None` for a code outside the v1 table.
    pub fn known_code(&self) -> Option<Code> {
        Code::from_i32(self.code)
    }
}

/// Platform → merchant notification body. No `appId`: the signature alone proves origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationEnvelope {
    pub sign: String,
    pub param: String,
}

/// Merchant acknowledgement `{"code":10000,"message":"Success"}` (00-protocol §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub code: i32,
    pub message: String,
}

impl Ack {
    pub fn success() -> Self {
        Ack {
            code: Code::Success.as_i32(),
            message: Code::Success.message().to_owned(),
        }
    }
}

/// Whether a notification response body acknowledges delivery: a JSON object whose `code` is
/// 10000. Only `code` is checked — merchants get `message` wrong often enough (`"success"`,
/// `"OK"`) that insisting on it would mean endless retries for notifications that did arrive.
/// The string `"10000"` is accepted because loosely typed merchant stacks send it.
pub fn is_ack(body: &[u8]) -> bool {
    // Some PHP/.NET stacks prefix a UTF-8 BOM, which serde_json refuses.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    match obj.get("code") {
        Some(Value::Number(n)) => {
            n.as_i64() == Some(10000) || (n.is_f64() && n.as_f64() == Some(10000.0))
        }
        Some(Value::String(s)) => s == "10000",
        _ => false,
    }
}

#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationError {
    #[error("body is not a JSON object with string `sign` and `param`")]
    BadEnvelope,
    #[error("notification signature invalid: {0}")]
    Signature(#[from] SignatureError),
    #[error("notification `param` is not valid JSON")]
    BadParam,
}

/// Signs `param` (already serialized event JSON) with the platform key.
pub fn sign_notification(key: &PrivateKey, param: String) -> NotificationEnvelope {
    NotificationEnvelope {
        sign: key.sign(param.as_bytes()),
        param,
    }
}

/// What a merchant does on receipt: parse the body as a `NotificationEnvelope`, verify `sign`
/// over the `param` bytes with the platform public key, then parse `param`.
pub fn verify_notification(key: &PublicKey, body: &[u8]) -> Result<Value, NotificationError> {
    let envelope: NotificationEnvelope =
        serde_json::from_slice(body).map_err(|_| NotificationError::BadEnvelope)?;
    key.verify(envelope.param.as_bytes(), &envelope.sign)?;
    serde_json::from_str(&envelope.param).map_err(|_| NotificationError::BadParam)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARAM: &str = include_str!("../testdata/param.json");
    const MERCHANT_KEY: &str = include_str!("../testdata/merchant_2048.key.pem");
    const MERCHANT_PUB_B64: &str = include_str!("../testdata/merchant_2048.pub.b64");
    const MERCHANT_SIG: &str = include_str!("../testdata/param.merchant_2048.sig.b64");
    const WRONG_PUB_B64: &str = include_str!("../testdata/wrong_2048.pub.b64");

    fn platform_key() -> PrivateKey {
        PrivateKey::parse(MERCHANT_KEY).unwrap()
    }

    #[test]
    fn request_envelope_wire_shape() {
        let body = json!({"appId": "b858d8bc", "sign": MERCHANT_SIG, "param": PARAM, "extra": 1});
        let bytes = serde_json::to_vec(&body).unwrap();
        let env: RequestEnvelope = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(env.app_id, "b858d8bc");
        // JSON string escaping on the wire must give back the exact signed bytes.
        assert_eq!(env.param, PARAM);
        env.verify(&PublicKey::parse(MERCHANT_PUB_B64).unwrap())
            .unwrap();
        let out = serde_json::to_value(&env).unwrap();
        assert_eq!(
            out,
            json!({"appId": "b858d8bc", "sign": MERCHANT_SIG, "param": PARAM})
        );
        assert!(serde_json::from_str::<RequestEnvelope>(r#"{"appId":"a","sign":"s"}"#).is_err());
    }

    #[test]
    fn signed_request_verifies_and_detects_tampering() {
        let key = platform_key();
        let mut env = RequestEnvelope::signed("app", &key, PARAM.to_owned());
        assert_eq!(env.sign, MERCHANT_SIG);
        env.verify(&key.public_key()).unwrap();
        env.param = env.param.replace("5000", "5001");
        assert_eq!(env.verify(&key.public_key()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn response_envelope_wire_shape() {
        let ok = ResponseEnvelope::success(json!({"balance": "10000.00"}));
        assert!(ok.is_success());
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"code": 10000, "message": "Success", "data": {"balance": "10000.00"}})
        );
        let err = ResponseEnvelope::<Value>::error(Code::ParamError, "amount is required");
        assert!(!err.is_success());
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"code":21002,"message":"amount is required","data":null}"#
        );
        let std = ResponseEnvelope::<()>::from_code(Code::TxNotFound);
        assert_eq!(std.message, "Merchant transaction not found");
        assert_eq!(std.known_code(), Some(Code::TxNotFound));
    }

    #[test]
    fn response_envelope_parses_sparse_examples() {
        let r: ResponseEnvelope<Value> =
            serde_json::from_str(r#"{"code":21016,"message":"Merchant ip forbidden"}"#).unwrap();
        assert_eq!(r.code, 21016);
        assert_eq!(r.data, None);
        let r: ResponseEnvelope<Value> = serde_json::from_str(r#"{"code":21001}"#).unwrap();
        assert_eq!(r.message, "");
    }

    #[test]
    fn ack_shape_and_detection() {
        assert_eq!(
            serde_json::to_string(&Ack::success()).unwrap(),
            r#"{"code":10000,"message":"Success"}"#
        );
        for good in [
            &br#"{"code":10000,"message":"Success"}"#[..],
            br#"{"code": 10000}"#,
            br#" {"message":"success","code":"10000"} "#,
            br#"{"code":10000.0}"#,
            b"\xEF\xBB\xBF{\"code\":10000,\"message\":\"Success\"}",
        ] {
            assert!(is_ack(good), "{}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b""[..],
            b"OK",
            b"success",
            b"10000",
            b"[]",
            b"{}",
            br#"{"code":1,"msg":"success","data":{}}"#,
            br#"{"code":10001,"message":"Success"}"#,
            br#"{"code":"10000 "}"#,
            br#"{"code":null}"#,
            br#"{"data":{"code":10000}}"#,
            br#"{"code":10000"#,
            b"<html>{\"code\":10000}</html>",
        ] {
            assert!(!is_ack(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn notification_round_trip() {
        let key = platform_key();
        let param = r#"{"eventName":"order.payment.success","transactionId":"C1234567890123456789","amount":5000}"#;
        let env = sign_notification(&key, param.to_owned());
        assert_eq!(env.param, param);
        let body = serde_json::to_vec(&env).unwrap();
        let body_value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body_value.as_object().unwrap().len(), 2);
        let parsed = verify_notification(&key.public_key(), &body).unwrap();
        assert_eq!(parsed["transactionId"], "C1234567890123456789");
        assert_eq!(parsed["amount"], 5000);
    }

    #[test]
    fn notification_tampering_is_detected() {
        let key = platform_key();
        let env = sign_notification(&key, PARAM.to_owned());
        let tampered = NotificationEnvelope {
            param: env.param.replace("5000", "9000"),
            ..env.clone()
        };
        assert_eq!(
            verify_notification(&key.public_key(), &serde_json::to_vec(&tampered).unwrap()),
            Err(NotificationError::Signature(SignatureError::Mismatch))
        );
        let wrong = PublicKey::parse(WRONG_PUB_B64).unwrap();
        assert_eq!(
            verify_notification(&wrong, &serde_json::to_vec(&env).unwrap()),
            Err(NotificationError::Signature(SignatureError::Mismatch))
        );
        let unsigned = NotificationEnvelope {
            sign: String::new(),
            param: env.param.clone(),
        };
        assert_eq!(
            verify_notification(&key.public_key(), &serde_json::to_vec(&unsigned).unwrap()),
            Err(NotificationError::Signature(SignatureError::Empty))
        );
    }

    #[test]
    fn notification_malformed_bodies() {
        let key = platform_key();
        let public = key.public_key();
        assert_eq!(
            verify_notification(&public, b"not json"),
            Err(NotificationError::BadEnvelope)
        );
        assert_eq!(
            verify_notification(&public, br#"{"sign":"x"}"#),
            Err(NotificationError::BadEnvelope)
        );
        assert_eq!(
            verify_notification(&public, br#"{"sign":"x","param":{"a":1}}"#),
            Err(NotificationError::BadEnvelope)
        );
        let env = sign_notification(&key, "not json".to_owned());
        assert_eq!(
            verify_notification(&public, &serde_json::to_vec(&env).unwrap()),
            Err(NotificationError::BadParam)
        );
    }
}
