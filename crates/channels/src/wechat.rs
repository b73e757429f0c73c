//! WeChat Pay JSAPI / mini-program payment parameters (`metadata.wechatpay`).
//!
//! WeChat Pay's rule (API v3, JSAPI "调起支付"): the page or mini program calls
//! `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` or `wx.requestPayment(…)` with `timeStamp`,
//! `nonceStr`, `package` (= `prepay_id=<prepayId>`), `signType` `RSA` and `paySign`, where
//! `paySign` is base64 SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n` with the
//! merchant's API private key. The merchant's backend checks it with the matching public key.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sampan_protocol::payment::WechatPayParams;
use sampan_protocol::PrivateKey;

/// `signType` of JSAPI payment under WeChat Pay API v3.
pub const SIGN_TYPE: &str = "RSA";

/// `package` for a prepay session.
pub fn package(prepay_id: &str) -> String {
    format!("prepay_id={prepay_id}")
}

/// A 32-character alphanumeric nonce, like WeChat's own examples.
pub fn nonce_str<R: Rng + ?Sized>(rng: &mut R) -> String {
    rng.sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// A prepay id shaped like WeChat's (`wx` + 14-digit time + hex), unique per transaction.
pub fn prepay_id<R: Rng + ?Sized>(transaction_id: &str, created_utc: &str, rng: &mut R) -> String {
    let digits: String = transaction_id
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let salt: u32 = rng.gen();
    format!("wx{created_utc}{digits}{salt:08x}")
}

/// Signs the JSAPI parameters for `appid` with `key` (the WeChat merchant key of that appid).
pub fn sign_jsapi(
    appid: &str,
    prepay_id: &str,
    time_stamp: &str,
    nonce_str: &str,
    key: &PrivateKey,
) -> WechatPayParams {
    let pkg = package(prepay_id);
    let message = WechatPayParams::message(appid, time_stamp, nonce_str, &pkg);
    WechatPayParams {
        prepay_id: prepay_id.to_string(),
        time_stamp: time_stamp.to_string(),
        nonce_str: nonce_str.to_string(),
        pay_sign: key.sign(message.as_bytes()),
        pkg,
        sign_type: SIGN_TYPE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_sign_verifies_over_the_documented_message() {
        let key = PrivateKey::generate(2048).unwrap();
        let params = sign_jsapi(
            "wx8888888888888888",
            "wx201410272009395522657a690389285100",
            "1414561699",
            "5K8264ILTKch16CQ2502SI8ZNMTM67VS",
            &key,
        );
        assert_eq!(params.pkg, "prepay_id=wx201410272009395522657a690389285100");
        assert_eq!(params.sign_type, "RSA");
        let message = "wx8888888888888888\n1414561699\n5K8264ILTKch16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n";
        key.public_key()
            .verify(message.as_bytes(), &params.pay_sign)
            .unwrap();
        // Any other appid (or a missing final newline) does not verify.
        assert!(key
            .public_key()
            .verify(message.trim_end().as_bytes(), &params.pay_sign)
            .is_err());
    }

    #[test]
    fn nonces_and_prepay_ids_look_like_wechat_s() {
        let mut rng = rand::thread_rng();
        let nonce = nonce_str(&mut rng);
        assert_eq!(nonce.len(), 32);
        assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
        let id = prepay_id("C1234567890123456789", "20260101120000", &mut rng);
        assert!(id.starts_with("wx20260101120000123"));
        assert!(id.len() <= 64);
    }
}
