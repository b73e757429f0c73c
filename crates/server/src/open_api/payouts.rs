//! `/open-api/{country}/disbursement/transfer`, `/open-api/{country}/disbursement/check` and
//! the un-prefixed alias `/open-api/disbursement/check`.

use super::CountryPath;
use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::payouts;
use crate::state::SharedState;
use axum::extract::State;
use sampan_domain::Country;
use sampan_protocol::fields::ParamError;
use sampan_protocol::payout::{PayoutCheck, PayoutTransfer};
use sampan_protocol::Code;

pub async fn transfer(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    // Russia has no payouts: its transfer path does not exist.
    let form = country.payout_form().ok_or(ApiError::NoRoute)?;
    let param = req.read(|f, ts| PayoutTransfer::from_fields(f, form, ts))?;
    let data = payouts::create(&state, &req.app.app, country, param).await?;
    Ok(success(data))
}

pub async fn check(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    if country.payout_form().is_none() {
        return Err(ApiError::NoRoute);
    }
    let param = req.read(PayoutCheck::from_fields)?;
    lookup(&state, &req, &param, Some(country)).await
}

/// The alias looks across countries; a `countryCode` in `param` (v2) narrows it.
pub async fn check_any(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let param = req.read(PayoutCheck::from_fields)?;
    let country = match &param.country_code {
        None => None,
        Some(code) => Some(
            code.parse::<Country>()
                .map_err(|_| ParamError::new("countryCode", "must be one of PH, ID, MY, TH"))?,
        ),
    };
    lookup(&state, &req, &param, country).await
}

async fn lookup(
    state: &SharedState,
    req: &SignedRequest,
    param: &PayoutCheck,
    country: Option<Country>,
) -> ApiResult {
    let app_id = &req.app.app.app_id;
    let found = match (&param.mch_order_id, &param.transaction_id) {
        (Some(order), _) => state.store.payout_by_mch_order_id(app_id, order).await?,
        (None, Some(txn)) => state.store.payout(txn).await?,
        (None, None) => None,
    };
    // Another app's payout, or another country's, is simply not found.
    let payout = found
        .filter(|p| &p.app_id == app_id && country.is_none_or(|c| p.country == c))
        .filter(|p| {
            param
                .transaction_id
                .as_ref()
                .is_none_or(|t| t == &p.transaction_id)
        })
        .ok_or(ApiError::Code(Code::TxNotFound))?;
    Ok(success(payout.check_data(&state.zone)))
}
