//! Dynamic payments: opening an order with its channel, and settling it.

use crate::error::ApiError;
use crate::state::SharedState;
use sampan_channels::{OpenPayment, WechatJsapi};
use sampan_domain::ids::IdKind;
use sampan_domain::payment::{Payment, PaymentOutcome, PaymentStatus};
use sampan_domain::time::now_ms;
use sampan_domain::{App, ChannelKind, Country, Money, StoreError, UniqueKey};
use sampan_protocol::fields::ParamError;
use sampan_protocol::payment::{
    PaymentGenerate, PaymentGenerateData, PaymentMetadata, WebPayDetailData, WebPayGenerateData,
    CHANNEL_WECHAT_JS_URL, EXPIRE_SECONDS_DEFAULT,
};
use sampan_protocol::Code;
use sampan_protocol::PrivateKey;

/// How many fresh VA numbers to try when the connector hands out one an open order holds.
const PAY_DATA_ATTEMPTS: usize = 5;

pub fn cashier_url(state: &SharedState, transaction_id: &str) -> String {
    format!("{}/cashier/{transaction_id}", state.base_url)
}

/// A stored new order and what its create answer carries besides the order itself.
#[derive(Debug, Clone)]
pub struct Created {
    pub payment: Payment,
    pub pay_url: String,
    /// WeChat channels: the link that launches the payment.
    pub short_url: Option<String>,
    pub metadata: Option<PaymentMetadata>,
}

impl Created {
    /// The answer of `/open-api/{country}/payment/generate` and of the v2 alias.
    pub fn generate_data(self, state: &SharedState) -> PaymentGenerateData {
        PaymentGenerateData {
            expires_time: state.zone.format(self.payment.expires_at),
            transaction_id: self.payment.transaction_id,
            mch_order_id: self.payment.mch_order_id,
            pay_data: self.payment.pay_data,
            channel_type: self.payment.channel_type.as_str().to_string(),
            pay_url: self.pay_url,
            short_url: self.short_url,
            metadata: self.metadata,
        }
    }

    /// The answer of `/open-api/webpay/generate`.
    pub fn webpay_data(self, state: &SharedState) -> WebPayGenerateData {
        WebPayGenerateData {
            expires_time: state.zone.format(self.payment.expires_at),
            transaction_id: self.payment.transaction_id,
            mch_order_id: self.payment.mch_order_id,
            pay_url: self.pay_url,
            callback_url: self.payment.notify_url,
            redirect_url: self.payment.redirect_url,
            pay_data: self.payment.pay_data,
            channel_type: self.payment.channel_type.as_str().to_string(),
            channel_code: self.payment.channel_code,
            short_url: self.short_url,
            metadata: self.metadata,
        }
    }
}

/// The answer of `/open-api/webpay/detail`.
pub fn webpay_detail(state: &SharedState, payment: &Payment) -> WebPayDetailData {
    let q = payment.query_data(&state.zone);
    WebPayDetailData {
        pay_url: cashier_url(state, &payment.transaction_id),
        transaction_status: q.transaction_status,
        transaction_id: q.transaction_id,
        create_time: q.create_time,
        return_time: q.return_time,
        expires_time: q.expires_time,
        mch_order_id: q.mch_order_id,
        amount: q.amount,
        customer_name: q.customer_name,
        email: q.email,
        mobile: payment.mobile.clone(),
        remark: q.remark,
        callback_url: payment.notify_url.clone(),
        redirect_url: payment.redirect_url.clone(),
        channel_code: q.channel_code,
        channel_type: q.channel_type,
        pay_data: q.pay_data,
        country_code: q.country_code,
        currency: q.currency,
        failed_code: q.failed_code,
        failed_message: q.failed_message,
    }
}

/// Validates `req` against the app and the catalog, opens the order with the channel and
/// stores it. Checks run in protocol order: country (21017), channel (21005, including a
/// `wpAppid` the app has not bound), amount (21010), then the unique mchOrderId (21007) is
/// enforced by the insert itself.
pub async fn create(
    state: &SharedState,
    app: &App,
    country: Country,
    req: PaymentGenerate,
) -> Result<Created, ApiError> {
    if !app.country_enabled(country) {
        return Err(ApiError::Code(Code::CountryNotOpened));
    }
    let channel = state
        .catalog
        .get(&req.channel_code)
        .filter(|c| c.country == country && c.kind == ChannelKind::Dynamic)
        .filter(|c| app.channel_enabled(c))
        .ok_or(ApiError::Code(Code::ChannelUnavailable))?;
    // WeChat JSAPI: the appid must be one the operator bound to this app; its merchant key
    // signs paySign.
    let jsapi: Option<(String, String, PrivateKey)> = if channel.code == CHANNEL_WECHAT_JS_URL {
        let (Some(appid), Some(openid)) = (&req.wp_appid, &req.wp_openid) else {
            return Err(ParamError::new("wpAppid", "is required for WECHAT_JS_URL").into());
        };
        if !app.wechat_appid_bound(appid) {
            return Err(ApiError::Code(Code::ChannelUnavailable));
        }
        let key = state.wechat_keys.get(state.store.as_ref(), appid).await?;
        Some((appid.clone(), openid.clone(), key))
    } else {
        None
    };
    if !channel.accepts_amount(req.amount) {
        return Err(ApiError::Code(Code::AmountExceedsLimit));
    }
    let now = now_ms();
    let transaction_id = state.ids.next(IdKind::Payment);
    let expire_seconds = req.expire_seconds.unwrap_or(EXPIRE_SECONDS_DEFAULT);
    let cashier = cashier_url(state, &transaction_id);
    let amount = Money::new(req.amount, channel.currency());
    let mut payment = Payment {
        transaction_id: transaction_id.clone(),
        app_id: app.app_id.clone(),
        mch_order_id: req.mch_order_id,
        country,
        channel_code: channel.code.clone(),
        channel_type: channel.channel_type,
        amount,
        fee: app.fee_rule(channel).fee_for(req.amount),
        status: PaymentStatus::Pending,
        customer_name: req.customer_name,
        email: req.email,
        mobile: req.mobile,
        remark: req.remark,
        notify_url: req.notify_url,
        redirect_url: req.redirect_url,
        pay_data: String::new(),
        created_at: now,
        expires_at: now + expire_seconds * 1000,
        finished_at: None,
        failure: None,
    };
    for _ in 0..PAY_DATA_ATTEMPTS {
        let order = OpenPayment {
            transaction_id: &transaction_id,
            channel,
            amount,
            merchant_name: &app.name,
            cashier_url: &cashier,
            expires_at: payment.expires_at,
            wechat_jsapi: jsapi.as_ref().map(|(appid, openid, key)| WechatJsapi {
                appid,
                openid,
                merchant_key: key,
            }),
        };
        let opened = state.connector.open_payment(&order).await.map_err(|e| {
            tracing::warn!(channel = %channel.code, error = %e, "connector refused the order");
            ApiError::Code(Code::CreateFailed)
        })?;
        payment.pay_data = opened.pay_data;
        match state.store.insert_payment(&payment).await {
            Ok(()) => {
                let is_wechat = channel.code.starts_with("WECHAT_");
                return Ok(Created {
                    payment,
                    short_url: is_wechat.then(|| cashier.clone()),
                    pay_url: cashier,
                    metadata: opened
                        .wechatpay
                        .map(|wechatpay| PaymentMetadata { wechatpay }),
                });
            }
            Err(StoreError::Duplicate(UniqueKey::PayData)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(format!(
        "no free payData for {} after {PAY_DATA_ATTEMPTS} attempts",
        channel.code
    )))
}

/// Settles a payment and wakes the dispatcher for its notification.
pub async fn settle(
    state: &SharedState,
    transaction_id: &str,
    outcome: PaymentOutcome,
) -> Result<Payment, StoreError> {
    let payment = state
        .store
        .settle_payment(transaction_id, outcome, now_ms(), &state.zone)
        .await?;
    state.outbox_wake.notify_one();
    Ok(payment)
}
