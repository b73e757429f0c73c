//! The seam between sampan and the upstream banks and wallets.

use async_trait::async_trait;
use sampan_domain::{Channel, Money};
use sampan_protocol::payment::WechatPayParams;
use sampan_protocol::PrivateKey;

/// What a connector needs to open a payment with its upstream.
#[derive(Debug, Clone)]
pub struct OpenPayment<'a> {
    pub transaction_id: &'a str,
    pub channel: &'a Channel,
    pub amount: Money,
    pub merchant_name: &'a str,
    /// The gateway's hosted checkout page of this order.
    pub cashier_url: &'a str,
    pub expires_at: i64,
    /// `WECHAT_JS_URL`: the payer's openid, the bound appid and its WeChat merchant key.
    pub wechat_jsapi: Option<WechatJsapi<'a>>,
}

/// What a connector needs to issue a static payment code (a reusable QR or a fixed VA).
#[derive(Debug, Clone)]
pub struct OpenStaticCode<'a> {
    /// `S…`: the code's id, carried in the QR's reference field.
    pub code_id: &'a str,
    pub channel: &'a Channel,
    pub merchant_name: &'a str,
}

/// The inputs of a WeChat JSAPI / mini-program order.
#[derive(Debug, Clone, Copy)]
pub struct WechatJsapi<'a> {
    pub appid: &'a str,
    pub openid: &'a str,
    pub merchant_key: &'a PrivateKey,
}

/// What the payer uses to pay (`payData`), and for WeChat JSAPI what the page or mini program
/// needs to launch WeChat Pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayInstruction {
    pub pay_data: String,
    pub wechatpay: Option<WechatPayParams>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("channel {0} is not supported by this connector")]
    Unsupported(String),
    #[error("upstream refused the order: {0}")]
    Refused(String),
}

/// An upstream channel provider. Only `channels` knows which one serves an order.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    async fn open_payment(&self, order: &OpenPayment<'_>)
        -> Result<PayInstruction, ConnectorError>;

    /// The `payData` of a new static code: a static EMVCo QR (no amount, tag 01 = "11") for QR
    /// channels, a bank-shaped number for VA channels.
    async fn open_static_code(&self, code: &OpenStaticCode<'_>) -> Result<String, ConnectorError>;
}
