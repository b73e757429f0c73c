//! Background work of a node: notification delivery, order expiry, payout and refund
//! settlement.

pub mod dispatcher;
pub mod expiry;
pub mod payouts;
pub mod refunds;

use tokio::sync::watch;

/// Resolves when the node is shutting down.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
