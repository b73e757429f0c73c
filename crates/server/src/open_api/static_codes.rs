//! Static payment codes: `/open-api/{country}/static/payment/generate`, `/detail`, `/list` and
//! `/open-api/{country}/static/code/cancel`, for the countries that offer codes (PH, ID, TH).

use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::state::SharedState;
use crate::static_codes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use sampan_domain::{ChannelKind, Country};
use sampan_protocol::fields::{Fields, ParamError};
use sampan_protocol::static_code::{
    StaticCancel, StaticDetail, StaticGenerateParam, StaticListParam,
};
use sampan_protocol::Code;

/// The `{country}` segment of a static-code route: a country without codes (Malaysia, Russia)
/// is an unknown route, answered before the request is authenticated.
pub struct CodeCountry(pub Country);

impl FromRequestParts<SharedState> for CodeCountry {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Path(slug) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NoRoute)?;
        Country::from_slug(&slug)
            .filter(|c| static_codes::offers_codes(*c))
            .map(CodeCountry)
            .ok_or(ApiError::NoRoute)
    }
}

fn read_generate(
    state: &SharedState,
    country: Country,
    f: &Fields,
    ts: i64,
) -> Result<StaticGenerateParam, ParamError> {
    let channel_type = f.opt_str("channelCode", 64)?.and_then(|code| {
        state
            .catalog
            .get_kind(&code, ChannelKind::Static)
            .map(|c| c.channel_type)
    });
    StaticGenerateParam::from_fields(f, country.payment_rules_for(channel_type), ts)
}

pub async fn generate(
    State(state): State<SharedState>,
    CodeCountry(country): CodeCountry,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(|f, ts| read_generate(&state, country, f, ts))?;
    let code = static_codes::create(&state, &req.app.app, country, param).await?;
    Ok(success(code.data(
        &state.zone,
        static_codes::code_url(&state, &code.code_id),
    )))
}

pub async fn detail(
    State(state): State<SharedState>,
    CodeCountry(country): CodeCountry,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(StaticDetail::from_fields)?;
    let codes = static_codes::codes_of(
        &state,
        &req.app.app.app_id,
        country,
        &param.mch_order_id,
        param.channel_code.as_deref(),
    )
    .await?;
    let code = codes.first().ok_or(ApiError::Code(Code::TxNotFound))?;
    let totals = state.store.code_totals(&code.code_id).await?;
    Ok(success(code.detail_data(
        &state.zone,
        static_codes::code_url(&state, &code.code_id),
        totals,
    )))
}

pub async fn list(
    State(state): State<SharedState>,
    CodeCountry(country): CodeCountry,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(StaticListParam::from_fields)?;
    let app_id = &req.app.app.app_id;
    let codes = static_codes::codes_of(
        &state,
        app_id,
        country,
        &param.mch_order_id,
        param.channel_code.as_deref(),
    )
    .await?;
    if codes.is_empty() {
        return Err(ApiError::Code(Code::TxNotFound));
    }
    let from = state.zone.start_of_day(param.start_date);
    let to = param
        .end_date
        .succ_opt()
        .map(|next| state.zone.start_of_day(next))
        .unwrap_or(i64::MAX);
    let items: Vec<_> = state
        .store
        .code_payments(app_id, &param.mch_order_id, from, to)
        .await?
        .into_iter()
        .filter(|p| codes.iter().any(|c| c.code_id == p.code_id))
        .map(|p| p.item(&state.zone))
        .collect();
    Ok(success(items))
}

pub async fn cancel(
    State(state): State<SharedState>,
    CodeCountry(country): CodeCountry,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(StaticCancel::from_fields)?;
    let code = static_codes::cancel(
        &state,
        &req.app.app.app_id,
        country,
        &param.mch_order_id,
        &param.channel_code,
    )
    .await?;
    Ok(success(code.data(
        &state.zone,
        static_codes::code_url(&state, &code.code_id),
    )))
}
