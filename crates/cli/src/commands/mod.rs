//! One module per command group.

pub mod app;
pub mod balance;
pub mod client;
pub mod demo;
pub mod keys;
pub mod ledger;
pub mod listen;
pub mod notifications;
pub mod payment;
pub mod payout;
pub mod refund;
pub mod report;
pub mod serve;
