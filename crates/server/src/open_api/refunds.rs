//! `/open-api/payment/refund` and `/open-api/refund/payments` (07-refund §7.1, §7.2).

use crate::error::{success, ApiError, ApiResult};
use crate::open_api::pipeline::SignedRequest;
use crate::refunds;
use crate::state::SharedState;
use axum::extract::State;
use sampan_protocol::refund::{RefundCreate, RefundData, RefundList};
use sampan_protocol::Code;

pub async fn refund(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let param = req.read(RefundCreate::from_fields)?;
    let data = refunds::create(&state, &req.app.app, param).await?;
    Ok(success(data))
}

/// By `refundTransactionId`: that one refund (narrowed by `originalTransactionId` when both are
/// given); by `originalTransactionId`: all its refunds, oldest first, possibly none. Another
/// app's refund or payment is not found (21006).
pub async fn list(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let param = req.read(RefundList::from_fields)?;
    let app_id = &req.app.app.app_id;
    let refunds = match (&param.refund_transaction_id, &param.original_transaction_id) {
        (Some(id), original) => {
            let refund = state
                .store
                .refund(id)
                .await?
                .filter(|r| &r.app_id == app_id)
                .filter(|r| {
                    original
                        .as_ref()
                        .is_none_or(|o| o == &r.original_transaction_id)
                })
                .ok_or(ApiError::Code(Code::TxNotFound))?;
            vec![refund]
        }
        (None, Some(original)) => {
            state
                .store
                .payment(original)
                .await?
                .filter(|p| &p.app_id == app_id)
                .ok_or(ApiError::Code(Code::TxNotFound))?;
            state.store.refunds_of(original).await?
        }
        (None, None) => return Err(ApiError::Code(Code::ParamError)),
    };
    let data: Vec<RefundData> = refunds.iter().map(|r| r.data(&state.zone)).collect();
    Ok(success(data))
}
