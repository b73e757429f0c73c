//! Dynamic payments: `/open-api/{country}/payment/generate` and `/query`, the v2 unified aliases
//! `/open-api/payment/generate` and `/query` (`countryCode` + `currency` in `param` pick the
//! country), and the WebPay aliases `/open-api/webpay/generate` and `/detail`.

use super::CountryPath;
use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::payments;
use crate::state::SharedState;
use axum::extract::State;
use sampan_domain::{Country, Payment};
use sampan_protocol::fields::{Fields, ParamError};
use sampan_protocol::payment::{check_v2_enums, CountrySelector, PaymentGenerate, PaymentQuery};
use sampan_protocol::Code;

/// Reads a create `param` with the field rules of `country` for the channel it names.
fn read_generate(
    state: &SharedState,
    country: Country,
    f: &Fields,
    ts: i64,
) -> Result<PaymentGenerate, ParamError> {
    let channel_type = f
        .opt_str("channelCode", 64)?
        .and_then(|code| state.catalog.get(&code).map(|c| c.channel_type));
    PaymentGenerate::from_fields(f, country.payment_rules_for(channel_type), ts)
}

pub async fn generate(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(|f, ts| read_generate(&state, country, f, ts))?;
    let created = payments::create(&state, &req.app.app, country, param).await?;
    Ok(success(created.generate_data(&state)))
}

pub async fn query(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(PaymentQuery::from_fields)?;
    let payment = find(&state, &req, &param, Some(country)).await?;
    query_answer(&state, &payment).await
}

/// `countryCode` (required) and `currency` (required on create) of the v2 unified form.
fn v2_country(f: &Fields, currency_required: bool) -> Result<Country, ParamError> {
    let selector = CountrySelector::from_fields(f)?;
    if selector.country_code.is_none() {
        return Err(ParamError::new("countryCode", "is required"));
    }
    if currency_required && selector.currency.is_none() {
        return Err(ParamError::new("currency", "is required"));
    }
    Country::from_selector(&selector)?.ok_or_else(|| ParamError::new("countryCode", "is required"))
}

/// `/open-api/payment/generate` (v2 unified create).
pub async fn generate_v2(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let (country, param) = req.read(|f, ts| {
        let country = v2_country(f, true)?;
        check_v2_enums(f)?;
        Ok((country, read_generate(&state, country, f, ts)?))
    })?;
    let created = payments::create(&state, &req.app.app, country, param).await?;
    Ok(success(created.generate_data(&state)))
}

/// `/open-api/payment/query` (v2 unified status).
pub async fn query_v2(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let (country, param) = req.read(|f, ts| {
        let country = v2_country(f, false)?;
        Ok((country, PaymentQuery::from_fields(f, ts)?))
    })?;
    let payment = find(&state, &req, &param, Some(country)).await?;
    query_answer(&state, &payment).await
}

/// `/open-api/webpay/generate` (Thailand/Malaysia WebPay create). The country is the one named
/// by `countryCode`/`currency` when sent, else the channel's; the fields are then that
/// country's `payment/generate` fields.
pub async fn webpay_generate(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let read = req.read(|f, ts| {
        let named = Country::from_selector(&CountrySelector::from_fields(f)?)?;
        let channel_country = f
            .opt_str("channelCode", 64)?
            .and_then(|code| state.catalog.get(&code).map(|c| c.country));
        match named.or(channel_country) {
            Some(country) => Ok(Ok((country, read_generate(&state, country, f, ts)?))),
            // No country to read the fields with, and no channel sampan knows.
            None if f.raw("channelCode").is_none() => {
                Err(ParamError::new("channelCode", "is required"))
            }
            None => Ok(Err(ApiError::Code(Code::ChannelUnavailable))),
        }
    })?;
    let (country, param) = read?;
    let created = payments::create(&state, &req.app.app, country, param).await?;
    Ok(success(created.webpay_data(&state)))
}

/// `/open-api/webpay/detail` ("Retrieve WebPay Status"): by `mchOrderId` (or `transactionId`)
/// across the app's countries, narrowed to `countryCode` when sent.
pub async fn webpay_detail(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let (country, param) = req.read(|f, ts| {
        let country = Country::from_selector(&CountrySelector::from_fields(f)?)?;
        Ok((country, PaymentQuery::from_fields(f, ts)?))
    })?;
    let payment = find(&state, &req, &param, country).await?;
    Ok(success(payments::webpay_detail(&state, &payment)))
}

/// The app's payment named by `param`, in `country` when given. Another app's transaction, or
/// another country's, is simply not found (21006).
async fn find(
    state: &SharedState,
    req: &SignedRequest,
    param: &PaymentQuery,
    country: Option<Country>,
) -> Result<Payment, ApiError> {
    let app_id = &req.app.app.app_id;
    let found = match (&param.mch_order_id, &param.transaction_id) {
        (Some(order), _) => state.store.payment_by_mch_order_id(app_id, order).await?,
        (None, Some(txn)) => state.store.payment(txn).await?,
        (None, None) => None,
    };
    found
        .filter(|p| &p.app_id == app_id && country.is_none_or(|c| p.country == c))
        .filter(|p| {
            param
                .transaction_id
                .as_ref()
                .is_none_or(|t| t == &p.transaction_id)
        })
        .ok_or(ApiError::Code(Code::TxNotFound))
}

/// `payment/query` data with what completed refunds have given back so far.
async fn query_answer(state: &SharedState, payment: &Payment) -> ApiResult {
    let mut data = payment.query_data(&state.zone);
    data.refunded_amount = state.store.refunded_amount(&payment.transaction_id).await?;
    Ok(success(data))
}
