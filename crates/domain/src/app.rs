//! Merchant apps: who may call the API, from where, for which countries and channels.

use crate::catalog::Channel;
use crate::fees::FeeRule;
use crate::money::Country;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AppStatus {
    Active,
    Disabled,
}

impl AppStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Active => "ACTIVE",
            AppStatus::Disabled => "DISABLED",
        }
    }

    pub fn parse(s: &str) -> Option<AppStatus> {
        match s {
            "ACTIVE" => Some(AppStatus::Active),
            "DISABLED" => Some(AppStatus::Disabled),
            _ => None,
        }
    }
}

/// An IP address or a CIDR block on an app's allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRule {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or CIDR block: {0:?}")]
pub struct BadIpRule(pub String);

impl FromStr for IpRule {
    type Err = BadIpRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadIpRule(s.to_string());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let network: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(IpRule { network, prefix })
    }
}

impl std::fmt::Display for IpRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl Serialize for IpRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl IpRule {
    pub fn matches(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen through a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = (prefix / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = prefix % 8;
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// What an operator configures per app. Empty `ip_allowlist` means any address; `channels`
/// `None` means every channel of the enabled countries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSettings {
    #[serde(default)]
    pub ip_allowlist: Vec<IpRule>,
    pub countries: Vec<Country>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Per-channel fee overrides of the catalog's default.
    #[serde(default)]
    pub fees: BTreeMap<String, FeeRule>,
    #[serde(default)]
    pub payout_callback_url: Option<String>,
    /// Requests per second the app may make; `None` means unlimited.
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// WeChat official-account / mini-program appids bound to the app: a `WECHAT_JS_URL`
    /// order must name one of them as `wpAppid` (21005 otherwise).
    #[serde(default)]
    pub wechat_appids: Vec<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            ip_allowlist: Vec::new(),
            countries: Country::ALL.to_vec(),
            channels: None,
            fees: BTreeMap::new(),
            payout_callback_url: None,
            rate_limit: None,
            wechat_appids: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub app_id: String,
    pub name: String,
    /// The merchant's RSA public key as registered (base64 SPKI DER).
    pub public_key: String,
    pub status: AppStatus,
    pub settings: AppSettings,
    pub created_at: i64,
}

impl App {
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.settings.ip_allowlist.is_empty()
            || self.settings.ip_allowlist.iter().any(|r| r.matches(ip))
    }

    pub fn country_enabled(&self, country: Country) -> bool {
        self.settings.countries.contains(&country)
    }

    pub fn channel_enabled(&self, channel: &Channel) -> bool {
        self.country_enabled(channel.country)
            && self
                .settings
                .channels
                .as_ref()
                .is_none_or(|list| list.iter().any(|c| c == &channel.code))
    }

    pub fn wechat_appid_bound(&self, appid: &str) -> bool {
        self.settings.wechat_appids.iter().any(|a| a == appid)
    }

    pub fn fee_rule(&self, channel: &Channel) -> FeeRule {
        self.settings
            .fees
            .get(&channel.code)
            .copied()
            .unwrap_or(channel.fee)
    }
}

/// A WeChat appid as operators bind it: `wx` followed by 1–30 letters or digits.
pub fn valid_wechat_appid(appid: &str) -> bool {
    appid.strip_prefix("wx").is_some_and(|rest| {
        (1..=30).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// A fresh app id: 32 lowercase hex characters, like PayCools' own.
pub fn new_app_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ip_rules_match_addresses_and_blocks() {
        let single: IpRule = "203.0.113.7".parse().unwrap();
        assert!(single.matches(ip("203.0.113.7")));
        assert!(!single.matches(ip("203.0.113.8")));
        assert!(single.matches(ip("::ffff:203.0.113.7")));
        let block: IpRule = "10.1.0.0/20".parse().unwrap();
        assert!(block.matches(ip("10.1.15.255")));
        assert!(!block.matches(ip("10.1.16.0")));
        let v6: IpRule = "2001:db8::/32".parse().unwrap();
        assert!(v6.matches(ip("2001:db8:ffff::1")));
        assert!(!v6.matches(ip("2001:db9::1")));
        assert!("10.0.0.0/33".parse::<IpRule>().is_err());
        assert!("nonsense".parse::<IpRule>().is_err());
        assert_eq!(block.to_string(), "10.1.0.0/20");
    }

    #[test]
    fn app_ids_are_32_hex_chars() {
        let id = new_app_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
