//! Static payment codes: issuing a code with its channel, finding, cancelling and paying it.

use crate::error::ApiError;
use crate::state::SharedState;
use chrono::TimeZone;
use rand::Rng;
use sampan_channels::OpenStaticCode;
use sampan_domain::ids::IdKind;
use sampan_domain::static_code::{CodePayment, IncomingPayment, StaticCode};
use sampan_domain::time::now_ms;
use sampan_domain::{
    App, ChannelKind, ChannelType, CodeStatus, Country, Money, StoreError, UniqueKey,
};
use sampan_protocol::fields::ParamError;
use sampan_protocol::static_code::{ExpireTime, StaticGenerateParam};
use sampan_protocol::Code;

/// How many fresh VA numbers to try when the connector hands out one an active code holds.
const PAY_DATA_ATTEMPTS: usize = 5;

/// Countries with static payment codes (spec README §1).
pub fn offers_codes(country: Country) -> bool {
    matches!(country, Country::PH | Country::ID | Country::TH)
}

/// The hosted page of a code.
pub fn code_url(state: &SharedState, code_id: &str) -> String {
    format!("{}/cashier/codes/{code_id}", state.base_url)
}

/// `expireTime` as epoch milliseconds; it must lie in the future.
fn expires_at(state: &SharedState, t: ExpireTime, now: i64) -> Result<i64, ParamError> {
    let ms = match t {
        ExpireTime::EpochMs(ms) => Some(ms),
        ExpireTime::Local(naive) => state
            .zone
            .offset()
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.timestamp_millis()),
    };
    match ms {
        Some(ms) if ms > now => Ok(ms),
        _ => Err(ParamError::new("expireTime", "must be in the future")),
    }
}

/// Validates `req` against the app and the catalog, issues the code with the channel and
/// stores it. Country (21017), channel (21005), fixed amount (21010), then one active code per
/// app + mchOrderId + channel (21007) is enforced by the insert itself.
pub async fn create(
    state: &SharedState,
    app: &App,
    country: Country,
    req: StaticGenerateParam,
) -> Result<StaticCode, ApiError> {
    if !app.country_enabled(country) {
        return Err(ApiError::Code(Code::CountryNotOpened));
    }
    let channel = state
        .catalog
        .get_kind(&req.channel_code, ChannelKind::Static)
        .filter(|c| c.country == country)
        .filter(|c| app.channel_enabled(c))
        .ok_or(ApiError::Code(Code::ChannelUnavailable))?;
    if req.amount.is_some_and(|a| !channel.accepts_amount(a)) {
        return Err(ApiError::Code(Code::AmountExceedsLimit));
    }
    let now = now_ms();
    let expires_at = req
        .expire_time
        .map(|t| expires_at(state, t, now))
        .transpose()?;
    let code_id = state.ids.next(IdKind::StaticCode);
    let mut code = StaticCode {
        code_id: code_id.clone(),
        app_id: app.app_id.clone(),
        mch_order_id: req.mch_order_id,
        country,
        channel_code: channel.code.clone(),
        channel_type: channel.channel_type,
        fixed_amount: req.amount.map(|a| Money::new(a, channel.currency())),
        status: CodeStatus::Active,
        customer_name: req.customer_name,
        email: req.email,
        mobile: req.mobile,
        remark: req.remark,
        notify_url: req.notify_url,
        pay_data: String::new(),
        created_at: now,
        expires_at,
        closed_at: None,
    };
    for _ in 0..PAY_DATA_ATTEMPTS {
        code.pay_data = state
            .connector
            .open_static_code(&OpenStaticCode {
                code_id: &code_id,
                channel,
                merchant_name: &app.name,
            })
            .await
            .map_err(|e| {
                tracing::warn!(channel = %channel.code, error = %e, "connector refused the code");
                ApiError::Code(Code::CreateFailed)
            })?;
        match state.store.insert_static_code(&code, now).await {
            Ok(()) => return Ok(code),
            Err(StoreError::Duplicate(UniqueKey::PayData)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(format!(
        "no free payData for {} after {PAY_DATA_ATTEMPTS} attempts",
        channel.code
    )))
}

/// The app's codes with `mch_order_id` in `country` (narrowed to `channel_code` when given),
/// ACTIVE first, then newest first.
pub async fn codes_of(
    state: &SharedState,
    app_id: &str,
    country: Country,
    mch_order_id: &str,
    channel_code: Option<&str>,
) -> Result<Vec<StaticCode>, ApiError> {
    Ok(state
        .store
        .static_codes_by_mch_order_id(app_id, mch_order_id)
        .await?
        .into_iter()
        .filter(|c| c.country == country)
        .filter(|c| channel_code.is_none_or(|ch| ch == c.channel_code))
        .collect())
}

/// Cancels the app's ACTIVE code for `mch_order_id` + `channel_code`: 21006 when it never had
/// one, 21025 when none is active.
pub async fn cancel(
    state: &SharedState,
    app_id: &str,
    country: Country,
    mch_order_id: &str,
    channel_code: &str,
) -> Result<StaticCode, ApiError> {
    let codes = codes_of(state, app_id, country, mch_order_id, Some(channel_code)).await?;
    let Some(first) = codes.first() else {
        return Err(ApiError::Code(Code::TxNotFound));
    };
    if first.status != CodeStatus::Active {
        return Err(ApiError::Code(Code::NotAllowedToCancel));
    }
    Ok(state
        .store
        .cancel_static_code(&first.code_id, now_ms())
        .await?)
}

/// The code a sandbox payer names by its id (`S…`) or its `payData`.
pub async fn find_for_payer(
    state: &SharedState,
    key: &str,
) -> Result<Option<StaticCode>, StoreError> {
    if key.starts_with('S') {
        if let Some(code) = state.store.static_code(key).await? {
            return Ok(Some(code));
        }
    }
    state.store.static_code_by_pay_data(key).await
}

/// Why the sandbox refuses to pay a code before it reaches the store.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("the channel {0} is no longer offered")]
    ChannelGone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A payer pays `amount` to `code` (sandbox upstream): one COMPLETED `C…` transaction, credited
/// net of fee, announced to the code's notifyUrl; or a refusal and nothing written.
pub async fn pay(
    state: &SharedState,
    code: &StaticCode,
    amount: i64,
    payer_reference: Option<String>,
) -> Result<CodePayment, PayError> {
    let channel = state
        .catalog
        .get_kind(&code.channel_code, ChannelKind::Static)
        .ok_or_else(|| PayError::ChannelGone(code.channel_code.clone()))?;
    let fee_rule = match state.store.app(&code.app_id).await? {
        Some(app) => app.fee_rule(channel),
        None => channel.fee,
    };
    // Banks give every transfer into a VA their own reference; the sandbox makes one up unless
    // the payer supplied it.
    let reference_number = match (payer_reference, channel.channel_type) {
        (Some(r), _) => Some(r),
        (None, ChannelType::VA) => Some(format!(
            "{:08}",
            rand::thread_rng().gen_range(0..100_000_000u32)
        )),
        (None, _) => None,
    };
    let incoming = IncomingPayment {
        transaction_id: state.ids.next(IdKind::Payment),
        amount,
        fee: fee_rule.fee_for(amount),
        reference_number,
        min: channel.min,
        max: channel.max,
    };
    let paid = state
        .store
        .pay_static_code(&code.code_id, &incoming, now_ms(), &state.zone)
        .await?;
    state.outbox_wake.notify_one();
    Ok(paid)
}
