//! Fails PENDING payments whose expiry has passed (-10008 "Transaction Expired") and so
//! notifies their merchants; marks static payment codes past their `expireTime` EXPIRED
//! (silently: the protocol has no code-expiry notification).

use super::stopped;
use crate::payments;
use crate::state::SharedState;
use sampan_domain::payment::PaymentOutcome;
use sampan_domain::time::now_ms;
use sampan_domain::StoreError;
use sampan_protocol::FailedCode;
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i64 = 500;

pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.config.expiry_interval_ms);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped(&mut shutdown) => return,
        }
        if let Err(e) = expire_due(&state).await {
            tracing::error!(error = %e, "expiring payments failed");
        }
        if let Err(e) = state.store.expire_static_codes(now_ms()).await {
            tracing::error!(error = %e, "expiring payment codes failed");
        }
    }
}

/// One sweep; returns how many payments it expired.
pub async fn expire_due(state: &SharedState) -> Result<usize, StoreError> {
    let mut expired = 0;
    loop {
        let due = state
            .store
            .expired_pending_payments(now_ms(), BATCH)
            .await?;
        let full = due.len() as i64 == BATCH;
        for id in due {
            match payments::settle(state, &id, PaymentOutcome::Failed(FailedCode::Expired)).await {
                Ok(_) => expired += 1,
                // Paid (or expired by another node) between the listing and the lock.
                Err(StoreError::Transition(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if !full {
            return Ok(expired);
        }
    }
}
