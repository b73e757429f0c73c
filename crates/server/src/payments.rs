//! Dynamic payments: opening an order with its channel, and settling it.

use crate::error::ApiError;
use crate::state::SharedState;
use sampan_channels::OpenPayment;
use sampan_domain::ids::IdKind;
use sampan_domain::payment::{Payment, PaymentOutcome, PaymentStatus};
use sampan_domain::time::now_ms;
use sampan_domain::{App, ChannelKind, Country, Money, StoreError, UniqueKey};
use sampan_protocol::payment::{PaymentGenerate, PaymentGenerateData, EXPIRE_SECONDS_DEFAULT};
use sampan_protocol::Code;

/// How many fresh VA numbers to try when the connector hands out one an open order holds.
const PAY_DATA_ATTEMPTS: usize = 5;

pub fn cashier_url(state: &SharedState, transaction_id: &str) -> String {
    format!("{}/cashier/{transaction_id}", state.base_url)
}

/// Validates `req` against the app and the catalog, opens the order with the channel and
/// stores it. Checks run in protocol order: country (21017), channel (21005), amount (21010),
/// then the unique mchOrderId (21007) is enforced by the insert itself.
pub async fn create(
    state: &SharedState,
    app: &App,
    country: Country,
    req: PaymentGenerate,
) -> Result<PaymentGenerateData, ApiError> {
    if !app.country_enabled(country) {
        return Err(ApiError::Code(Code::CountryNotOpened));
    }
    let channel = state
        .catalog
        .get(&req.channel_code)
        .filter(|c| c.country == country && c.kind == ChannelKind::Dynamic)
        .filter(|c| app.channel_enabled(c))
        .ok_or(ApiError::Code(Code::ChannelUnavailable))?;
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
        };
        payment.pay_data = state
            .connector
            .open_payment(&order)
            .await
            .map_err(|e| {
                tracing::warn!(channel = %channel.code, error = %e, "connector refused the order");
                ApiError::Code(Code::CreateFailed)
            })?
            .pay_data;
        match state.store.insert_payment(&payment).await {
            Ok(()) => {
                return Ok(PaymentGenerateData {
                    transaction_id,
                    mch_order_id: payment.mch_order_id,
                    pay_data: payment.pay_data,
                    channel_type: channel.channel_type.as_str().to_string(),
                    pay_url: cashier,
                    expires_time: state.zone.format(payment.expires_at),
                })
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
