//! Balance inquiry (01-account §1.1).

use crate::fields::{Fields, ParamError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceQuery {
    pub country_code: String,
    pub timestamp: i64,
}

impl BalanceQuery {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        Ok(BalanceQuery {
            country_code: f.req_str("countryCode", 8)?,
            timestamp,
        })
    }
}

/// `balance` is what the merchant can spend, in major units with two decimals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceData {
    pub balance: String,
    pub available_balance: String,
    pub frozen_balance: String,
    pub currency: String,
}
