//! The PayCools v1 wire protocol: envelopes, SHA256withRSA signatures, result codes, timestamps.

pub mod codes;
pub mod envelope;
pub mod sign;
pub mod timestamp;

pub use codes::{Code, FailedCode};
pub use envelope::{
    is_ack, sign_notification, verify_notification, Ack, NotificationEnvelope, NotificationError,
    RequestEnvelope, ResponseEnvelope,
};
pub use sign::{KeyError, PrivateKey, PublicKey, SignatureError};
pub use timestamp::{check_window, parse_timestamp, TimestampError};

// Endpoint params and data (the lead's modules).
pub mod account;
pub mod fields;
pub mod payment;
pub mod payout;
pub mod refund;
pub mod report;
pub mod static_code;
