//! `/open-api/{country}/payment/generate` and `/query`.

use super::CountryPath;
use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::payments;
use crate::state::SharedState;
use axum::extract::State;
use sampan_protocol::payment::{PaymentGenerate, PaymentQuery};
use sampan_protocol::Code;

pub async fn generate(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(|f, ts| PaymentGenerate::from_fields(f, country.payment_rules(), ts))?;
    let data = payments::create(&state, &req.app.app, country, param).await?;
    Ok(success(data))
}

pub async fn query(
    State(state): State<SharedState>,
    CountryPath(country): CountryPath,
    req: SignedRequest,
) -> ApiResult {
    let param = req.read(PaymentQuery::from_fields)?;
    let app_id = &req.app.app.app_id;
    let found = match (&param.mch_order_id, &param.transaction_id) {
        (Some(order), _) => state.store.payment_by_mch_order_id(app_id, order).await?,
        (None, Some(txn)) => state.store.payment(txn).await?,
        (None, None) => None,
    };
    // Another app's transaction, or another country's, is simply not found.
    let payment = found
        .filter(|p| &p.app_id == app_id && p.country == country)
        .filter(|p| {
            param
                .transaction_id
                .as_ref()
                .is_none_or(|t| t == &p.transaction_id)
        })
        .ok_or(ApiError::Code(Code::TxNotFound))?;
    Ok(success(payment.query_data(&state.zone)))
}
