//! Settles PENDING refunds whose upstream answer is due. With the sandbox connector the answer
//! comes from the `mchRefundOrderId` (docs/sandbox.md: a `FAIL` suffix fails it).

use super::stopped;
use crate::refunds;
use crate::state::SharedState;
use sampan_domain::time::now_ms;
use sampan_domain::StoreError;
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i64 = 500;

pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.config.refund_poll_interval_ms);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped(&mut shutdown) => return,
        }
        if let Err(e) = settle_due(&state).await {
            tracing::error!(error = %e, "settling refunds failed");
        }
    }
}

/// One sweep; returns how many refunds it settled.
pub async fn settle_due(state: &SharedState) -> Result<usize, StoreError> {
    let mut settled = 0;
    loop {
        let due = state.store.due_refunds(now_ms(), BATCH).await?;
        let full = due.len() as i64 == BATCH;
        let before = settled;
        for id in due {
            let Some(refund) = state.store.refund(&id).await? else {
                continue;
            };
            let outcome = sampan_channels::sandbox::refund_answer(&refund.mch_refund_order_id);
            match refunds::settle(state, &id, outcome, None).await {
                Ok(_) => settled += 1,
                // Cancelled by an operator or settled by another node between the listing
                // and the lock.
                Err(StoreError::Transition(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if !full || settled == before {
            return Ok(settled);
        }
    }
}
