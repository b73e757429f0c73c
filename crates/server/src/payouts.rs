//! Payouts: accepting a transfer against the merchant's balance, and settling it.

use crate::error::ApiError;
use crate::state::SharedState;
use sampan_domain::ids::IdKind;
use sampan_domain::payout::{resolve_method, Payout, PayoutOutcome};
use sampan_domain::time::now_ms;
use sampan_domain::{App, Country, StoreError};
use sampan_protocol::payout::{PayoutTransfer, PayoutTransferData};

/// Validates `req` against the app and the catalog (21017, 21019, 21012/21013/21018, 21002,
/// 21010), then accepts it in one store transaction that freezes amount + fee (21014 when
/// short); the unique mchOrderId (21007) and idempotencyId (21015) are enforced by that insert.
pub async fn create(
    state: &SharedState,
    app: &App,
    country: Country,
    req: PayoutTransfer,
) -> Result<PayoutTransferData, ApiError> {
    let method = resolve_method(&state.catalog, app, country, &req)?;
    let now = now_ms();
    // The sandbox upstream answers after a delay, except for the account it never answers.
    let settle_at = sampan_channels::sandbox::payout_answer(&req.account_no)
        .map(|_| now + state.config.payout_settle_delay_ms as i64);
    let payout = Payout::new(
        state.ids.next(IdKind::Payout),
        app,
        method,
        req,
        now,
        settle_at,
    );
    state.store.insert_payout(&payout, now).await?;
    Ok(PayoutTransferData {
        mch_order_id: payout.mch_order_id,
        transaction_id: payout.transaction_id,
        transaction_status: payout.status.as_str().to_string(),
        transaction_time: state.zone.format(payout.created_at),
    })
}

/// Settles a payout and wakes the dispatcher for its notification.
pub async fn settle(
    state: &SharedState,
    transaction_id: &str,
    outcome: PayoutOutcome,
    memo: Option<&str>,
) -> Result<Payout, StoreError> {
    let payout = state
        .store
        .settle_payout(transaction_id, outcome, now_ms(), &state.zone, memo)
        .await?;
    state.outbox_wake.notify_one();
    Ok(payout)
}
