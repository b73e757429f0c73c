//! Settles PENDING payouts whose upstream answer is due. With the sandbox connector the answer
//! comes from the magic `accountNo` endings (docs/sandbox.md); a payout whose account never
//! answers has no due time and waits for an operator.

use super::stopped;
use crate::payouts;
use crate::state::SharedState;
use sampan_domain::time::now_ms;
use sampan_domain::StoreError;
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i64 = 500;

pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.config.payout_poll_interval_ms);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped(&mut shutdown) => return,
        }
        if let Err(e) = settle_due(&state).await {
            tracing::error!(error = %e, "settling payouts failed");
        }
    }
}

/// One sweep; returns how many payouts it settled.
pub async fn settle_due(state: &SharedState) -> Result<usize, StoreError> {
    let mut settled = 0;
    loop {
        let due = state.store.due_payouts(now_ms(), BATCH).await?;
        let full = due.len() as i64 == BATCH;
        let before = settled;
        for id in due {
            let Some(payout) = state.store.payout(&id).await? else {
                continue;
            };
            // Due payouts always have an answer; one without is left to the operator.
            let Some(outcome) = sampan_channels::sandbox::payout_answer(&payout.account_no) else {
                continue;
            };
            match payouts::settle(state, &id, outcome, None).await {
                Ok(_) => settled += 1,
                // Settled by an operator or another node between the listing and the lock.
                Err(StoreError::Transition(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if !full || settled == before {
            return Ok(settled);
        }
    }
}
