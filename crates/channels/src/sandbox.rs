//! The sandbox connector: a simulated upstream for every channel of the catalog, so the whole
//! flow runs on one machine. Payers "pay" on the hosted cashier page or through the sandbox API;
//! here we only hand out what a real upstream would: a checkout link, a QR payload, a VA number.

use crate::connector::{
    Connector, ConnectorError, OpenPayment, OpenStaticCode, PayInstruction, WechatJsapi,
};
use crate::emvco::{MerchantQr, QrScheme};
use crate::{va, wechat};
use async_trait::async_trait;
use sampan_domain::{ChannelType, Country};
use sampan_protocol::payment::{WechatPayParams, CHANNEL_WECHAT_JS_URL};

#[derive(Debug, Clone, Default)]
pub struct SandboxConnector;

/// Merchant category code the sandbox presents for every merchant (5999, misc. retail).
const SANDBOX_MCC: &str = "5999";

impl SandboxConnector {
    fn qr_payload(order: &OpenPayment<'_>) -> Result<String, ConnectorError> {
        let channel = order.channel;
        let txn = order.transaction_id;
        // Wallet-native QR codes are links into the wallet app, not EMVCo payloads.
        let url_form = match channel.code.as_str() {
            c if c.starts_with("WECHAT") => Some(format!("weixin://wxpay/bizpayurl?pr={txn}")),
            c if c.starts_with("TRUEMONEY") => {
                Some(format!("https://pay.truemoney.sandbox/qr/{txn}"))
            }
            "RU_SBP_QR" => Some(format!(
                "https://qr.nspk.ru/{txn}?type=02&bank=100000000000&sum={}&cur=RUB&crc=0000",
                order.amount.minor
            )),
            _ => None,
        };
        if let Some(url) = url_form {
            return Ok(url);
        }
        let scheme = match channel.country {
            Country::PH => QrScheme::QrPh,
            Country::ID => QrScheme::Qris,
            Country::MY => QrScheme::DuitNow,
            Country::TH => QrScheme::PromptPay,
            Country::RU => return Err(ConnectorError::Unsupported(channel.code.clone())),
        };
        MerchantQr {
            scheme,
            amount_minor: Some(order.amount.minor),
            merchant_id: format!("SMP{}", &txn[txn.len().saturating_sub(12)..]),
            merchant_name: order.merchant_name.to_string(),
            merchant_city: sandbox_city(channel.country).to_string(),
            mcc: SANDBOX_MCC.to_string(),
            reference: Some(txn.to_string()),
        }
        .try_encode()
        .map_err(|e| ConnectorError::Refused(e.to_string()))
    }
}

impl SandboxConnector {
    /// What WeChat Pay's JSAPI pre-order would return, signed with the appid's merchant key.
    fn jsapi_params(order: &OpenPayment<'_>, jsapi: &WechatJsapi<'_>) -> WechatPayParams {
        let mut rng = rand::thread_rng();
        let now = chrono::Utc::now();
        let prepay_id = wechat::prepay_id(
            order.transaction_id,
            &now.format("%Y%m%d%H%M%S").to_string(),
            &mut rng,
        );
        let time_stamp = now.timestamp().to_string();
        let nonce = wechat::nonce_str(&mut rng);
        wechat::sign_jsapi(
            jsapi.appid,
            &prepay_id,
            &time_stamp,
            &nonce,
            jsapi.merchant_key,
        )
    }
}

fn emvco_scheme(country: Country) -> Option<QrScheme> {
    match country {
        Country::PH => Some(QrScheme::QrPh),
        Country::ID => Some(QrScheme::Qris),
        Country::MY => Some(QrScheme::DuitNow),
        Country::TH => Some(QrScheme::PromptPay),
        Country::RU => None,
    }
}

fn sandbox_city(country: Country) -> &'static str {
    match country {
        Country::PH => "Manila",
        Country::ID => "Jakarta",
        Country::MY => "Kuala Lumpur",
        Country::TH => "Bangkok",
        Country::RU => "Moscow",
    }
}

#[async_trait]
impl Connector for SandboxConnector {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn open_payment(
        &self,
        order: &OpenPayment<'_>,
    ) -> Result<PayInstruction, ConnectorError> {
        let pay_data = match order.channel.channel_type {
            ChannelType::URL => order.cashier_url.to_string(),
            ChannelType::QR => Self::qr_payload(order)?,
            ChannelType::VA => va::generate(&order.channel.code, &mut rand::thread_rng()),
        };
        let wechatpay = if order.channel.code == CHANNEL_WECHAT_JS_URL {
            let jsapi = order.wechat_jsapi.ok_or_else(|| {
                ConnectorError::Refused("WECHAT_JS_URL needs wpOpenid and wpAppid".into())
            })?;
            Some(Self::jsapi_params(order, &jsapi))
        } else {
            None
        };
        Ok(PayInstruction {
            pay_data,
            wechatpay,
        })
    }

    async fn open_static_code(&self, code: &OpenStaticCode<'_>) -> Result<String, ConnectorError> {
        let channel = code.channel;
        match channel.channel_type {
            ChannelType::VA => Ok(va::generate(&channel.code, &mut rand::thread_rng())),
            ChannelType::QR => {
                let scheme = emvco_scheme(channel.country)
                    .ok_or_else(|| ConnectorError::Unsupported(channel.code.clone()))?;
                let id = code.code_id;
                MerchantQr {
                    scheme,
                    // Static: the payer enters the amount; a fixed amount is enforced by us.
                    amount_minor: None,
                    merchant_id: format!("SMP{}", &id[id.len().saturating_sub(12)..]),
                    merchant_name: code.merchant_name.to_string(),
                    merchant_city: sandbox_city(channel.country).to_string(),
                    mcc: SANDBOX_MCC.to_string(),
                    reference: Some(id.to_string()),
                }
                .try_encode()
                .map_err(|e| ConnectorError::Refused(e.to_string()))
            }
            ChannelType::URL => Err(ConnectorError::Unsupported(channel.code.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emvco;
    use sampan_domain::{Catalog, Money};

    async fn open(code: &str, amount: i64) -> String {
        let catalog = Catalog::builtin();
        let channel = catalog.get(code).unwrap();
        let order = OpenPayment {
            transaction_id: "C1234567890123456789",
            channel,
            amount: Money::new(amount, channel.currency()),
            merchant_name: "Sari-Sari Store",
            cashier_url: "http://127.0.0.1:8080/cashier/C1234567890123456789",
            expires_at: 0,
            wechat_jsapi: None,
        };
        SandboxConnector
            .open_payment(&order)
            .await
            .unwrap()
            .pay_data
    }

    #[tokio::test]
    async fn url_channels_point_at_the_cashier() {
        assert_eq!(
            open("PH_GCASH_URL", 10_000).await,
            "http://127.0.0.1:8080/cashier/C1234567890123456789"
        );
    }

    #[tokio::test]
    async fn qr_channels_carry_a_valid_emvco_payload_with_the_amount() {
        for code in ["PH_GCASH_QR", "PH_QRPH_DYNAMIC"] {
            let payload = open(code, 123_450).await;
            let fields = emvco::parse(&payload).unwrap();
            assert_eq!(emvco::field(&fields, "53"), Some("608"));
            assert_eq!(emvco::field(&fields, "54"), Some("1234.50"));
            assert_eq!(emvco::field(&fields, "58"), Some("PH"));
        }
    }

    #[tokio::test]
    async fn every_emvco_channel_carries_its_country_currency_and_amount() {
        for (code, amount, currency, country, tag54) in [
            ("ID_QRIS_DYNAMIC", 150_000, "360", "ID", "150000"),
            ("MY_DUITNOW_QR", 12_345, "458", "MY", "123.45"),
            ("THAI_DYNAMIC_QR", 50_020, "764", "TH", "500.20"),
        ] {
            let payload = open(code, amount).await;
            let fields = emvco::parse(&payload).unwrap();
            assert_eq!(emvco::field(&fields, "01"), Some("12"), "{code}: dynamic");
            assert_eq!(emvco::field(&fields, "53"), Some(currency), "{code}");
            assert_eq!(emvco::field(&fields, "54"), Some(tag54), "{code}");
            assert_eq!(emvco::field(&fields, "58"), Some(country), "{code}");
        }
    }

    #[tokio::test]
    async fn wallet_qr_codes_are_url_form() {
        assert!(open("WECHAT_DYNAMIC_QR", 10_000)
            .await
            .starts_with("weixin://wxpay/bizpayurl?pr=C"));
        assert!(open("TRUEMONEY_DYNAMIC_QR", 10_000)
            .await
            .starts_with("https://"));
        let sbp = open("RU_SBP_QR", 150_000).await;
        assert!(sbp.starts_with("https://qr.nspk.ru/") && sbp.contains("sum=150000&cur=RUB"));
    }

    #[tokio::test]
    async fn wechat_jsapi_needs_its_inputs() {
        let catalog = Catalog::builtin();
        let channel = catalog.get("WECHAT_JS_URL").unwrap();
        let key = sampan_protocol::PrivateKey::generate(2048).unwrap();
        let mut order = OpenPayment {
            transaction_id: "C1234567890123456789",
            channel,
            amount: Money::new(10_000, channel.currency()),
            merchant_name: "Shop",
            cashier_url: "http://127.0.0.1/cashier/C1234567890123456789",
            expires_at: 0,
            wechat_jsapi: None,
        };
        assert!(SandboxConnector.open_payment(&order).await.is_err());
        order.wechat_jsapi = Some(WechatJsapi {
            appid: "wx1234",
            openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            merchant_key: &key,
        });
        let opened = SandboxConnector.open_payment(&order).await.unwrap();
        let params = opened.wechatpay.unwrap();
        let message =
            WechatPayParams::message("wx1234", &params.time_stamp, &params.nonce_str, &params.pkg);
        key.public_key()
            .verify(message.as_bytes(), &params.pay_sign)
            .unwrap();
        assert_eq!(params.pkg, format!("prepay_id={}", params.prepay_id));
    }

    #[tokio::test]
    async fn static_qr_codes_carry_no_amount_and_static_vas_are_bank_shaped() {
        use sampan_domain::ChannelKind;
        let catalog = Catalog::builtin();
        for country in [Country::PH, Country::ID, Country::TH] {
            for channel in catalog.for_country(country, ChannelKind::Static) {
                let pay_data = SandboxConnector
                    .open_static_code(&OpenStaticCode {
                        code_id: "S1234567890123456789",
                        channel,
                        merchant_name: "Sari-Sari Store",
                    })
                    .await
                    .unwrap();
                match channel.channel_type {
                    ChannelType::QR => {
                        let fields = emvco::parse(&pay_data).unwrap();
                        assert_eq!(emvco::field(&fields, "01"), Some("11"), "{}", channel.code);
                        assert_eq!(emvco::field(&fields, "54"), None, "{}", channel.code);
                        assert_eq!(emvco::field(&fields, "58"), Some(country.code()));
                    }
                    _ => assert!(va::is_well_formed(&channel.code, &pay_data), "{pay_data}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn va_channels_get_bank_shaped_numbers() {
        let number = open("PH_INSTAPAY_VA", 10_000).await;
        assert!(va::is_well_formed("PH_INSTAPAY_VA", &number), "{number}");
    }
}

/// How the sandbox upstream answers a payout, by the documented magic `accountNo` endings
/// (docs/sandbox.md): `…0002` fails with -10005, `…0004` with -10004, `…0009` never answers
/// (`None`: the payout stays PENDING until an operator acts); anything else succeeds.
pub fn payout_answer(account_no: &str) -> Option<sampan_domain::PayoutOutcome> {
    use sampan_domain::PayoutOutcome;
    use sampan_protocol::FailedCode;
    if account_no.ends_with("0009") {
        None
    } else if account_no.ends_with("0002") {
        Some(PayoutOutcome::Failed(FailedCode::DestinationAccountError))
    } else if account_no.ends_with("0004") {
        Some(PayoutOutcome::Failed(FailedCode::ChannelRejected))
    } else {
        Some(PayoutOutcome::Completed)
    }
}

/// How the sandbox upstream answers a refund: a `mchRefundOrderId` ending in `FAIL` fails with
/// -10009 "Channel Refund Failed" (docs/sandbox.md); every other refund succeeds.
pub fn refund_answer(mch_refund_order_id: &str) -> sampan_domain::RefundOutcome {
    use sampan_domain::RefundOutcome;
    use sampan_protocol::FailedCode;
    if mch_refund_order_id.ends_with("FAIL") {
        RefundOutcome::Failed(FailedCode::RefundFailed)
    } else {
        RefundOutcome::Completed
    }
}

#[cfg(test)]
mod refund_tests {
    use super::refund_answer;
    use sampan_domain::RefundOutcome;
    use sampan_protocol::FailedCode;

    #[test]
    fn a_fail_suffix_fails_the_refund() {
        assert_eq!(
            refund_answer("RF20240101FAIL"),
            RefundOutcome::Failed(FailedCode::RefundFailed)
        );
        assert_eq!(refund_answer("RF20240101fail"), RefundOutcome::Completed);
        assert_eq!(refund_answer("RF20240101"), RefundOutcome::Completed);
    }
}

#[cfg(test)]
mod payout_tests {
    use super::payout_answer;
    use sampan_domain::PayoutOutcome;
    use sampan_protocol::FailedCode;

    #[test]
    fn magic_account_endings_force_outcomes() {
        assert_eq!(
            payout_answer("1234560002"),
            Some(PayoutOutcome::Failed(FailedCode::DestinationAccountError))
        );
        assert_eq!(
            payout_answer("09170000004"),
            Some(PayoutOutcome::Failed(FailedCode::ChannelRejected))
        );
        assert_eq!(payout_answer("1234560009"), None);
        assert_eq!(payout_answer("1234560001"), Some(PayoutOutcome::Completed));
    }
}
