//! Refunds: accepting one against the merchant's balance, and settling it.

use crate::error::ApiError;
use crate::state::SharedState;
use sampan_domain::ids::IdKind;
use sampan_domain::refund::{Refund, RefundOriginal, RefundOutcome};
use sampan_domain::time::now_ms;
use sampan_domain::{App, StoreError};
use sampan_protocol::refund::{RefundCreate, RefundCreateData};
use sampan_protocol::Code;

/// Checks `req` against its original and the catalog (21006, 21408, 21403, 21406, 21404,
/// 21405), then accepts it in one store transaction that, under locks on the original and the
/// merchant's balance, checks the unrefunded remainder (21406), freezes the amount (21014 when
/// short) and inserts the refund, whose unique indexes refuse a repeated mchRefundOrderId
/// (21407) and a second PENDING refund of the same original (21409).
pub async fn create(
    state: &SharedState,
    app: &App,
    req: RefundCreate,
) -> Result<RefundCreateData, ApiError> {
    // A dynamic order, or a payment made to a static code: the same rules apply to both.
    let (original, to_static_code) = match state.store.payment(&req.original_transaction_id).await?
    {
        Some(p) => (Some(RefundOriginal::from(&p)), false),
        None => {
            let code_payment = state
                .store
                .code_payment(&req.original_transaction_id)
                .await?;
            (
                code_payment.as_ref().map(RefundOriginal::from),
                code_payment.is_some(),
            )
        }
    };
    let now = now_ms();
    // The sandbox upstream always answers, after the configured delay.
    let settle_at = now + state.config.refund_settle_delay_ms as i64;
    let refund = Refund::admit(
        &state.catalog,
        &app.app_id,
        original.as_ref(),
        req,
        state.ids.next(IdKind::Refund),
        now,
        Some(settle_at),
    )?;
    if to_static_code {
        // No static channel of the catalog refunds, so the rules above have already answered
        // 21404/21405. A custom catalog that lets one refund is not supported yet: the refunds
        // table and its locks are tied to dynamic payments.
        return Err(ApiError::Code(Code::RefundNotAllowed));
    }
    state.store.insert_refund(&refund, now).await?;
    Ok(refund.create_data(&state.zone))
}

/// Settles a refund and wakes the dispatcher for its notification.
pub async fn settle(
    state: &SharedState,
    refund_transaction_id: &str,
    outcome: RefundOutcome,
    memo: Option<&str>,
) -> Result<Refund, StoreError> {
    let refund = state
        .store
        .settle_refund(refund_transaction_id, outcome, now_ms(), &state.zone, memo)
        .await?;
    state.outbox_wake.notify_one();
    Ok(refund)
}
