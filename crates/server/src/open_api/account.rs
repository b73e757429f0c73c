//! `/open-api/account/balance`.

use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::state::SharedState;
use axum::extract::State;
use sampan_domain::ledger::Account;
use sampan_domain::{Country, Money};
use sampan_protocol::account::{BalanceData, BalanceQuery};
use sampan_protocol::fields::ParamError;
use sampan_protocol::Code;

pub async fn balance(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let param = req.read(BalanceQuery::from_fields)?;
    let country: Country = param
        .country_code
        .parse()
        .map_err(|_| ParamError::new("countryCode", "must be one of PH, ID, MY, TH, RU"))?;
    let app = &req.app.app;
    if !app.country_enabled(country) {
        return Err(ApiError::Code(Code::CountryNotOpened));
    }
    let currency = country.currency();
    let available = state
        .store
        .balance(&Account::available(&app.app_id, currency))
        .await?;
    let frozen = state
        .store
        .balance(&Account::frozen(&app.app_id, currency))
        .await?;
    let available = Money::new(available, currency).to_two_decimals();
    Ok(success(BalanceData {
        balance: available.clone(),
        available_balance: available,
        frozen_balance: Money::new(frozen, currency).to_two_decimals(),
        currency: currency.code().to_string(),
    }))
}
