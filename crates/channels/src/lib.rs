//! Channel connectors and the payloads upstreams hand to payers.

pub mod cashier;
pub mod connector;
pub mod emvco;
pub mod sandbox;
pub mod va;
pub mod wechat;

pub use connector::{
    Connector, ConnectorError, OpenPayment, OpenStaticCode, PayInstruction, WechatJsapi,
};
pub use sandbox::SandboxConnector;
