//! Background work of a node: notification delivery and order expiry.

pub mod dispatcher;
pub mod expiry;

use tokio::sync::watch;

/// Resolves when the node is shutting down.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
