//! Background work of a node: notification delivery, order expiry and payout settlement.

pub mod dispatcher;
pub mod expiry;
pub mod payouts;

use tokio::sync::watch;

/// Resolves when the node is shutting down.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
