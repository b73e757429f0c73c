//! The channel catalog: which channels exist, their type, limits, refund support and default fee.

use crate::fees::FeeRule;
use crate::money::{Country, Currency};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// How the payer uses `payData` (the wire `channelType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum ChannelType {
    URL,
    QR,
    VA,
}

impl ChannelType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::URL => "URL",
            ChannelType::QR => "QR",
            ChannelType::VA => "VA",
        }
    }
}

impl FromStr for ChannelType {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "URL" => Ok(ChannelType::URL),
            "QR" => Ok(ChannelType::QR),
            "VA" => Ok(ChannelType::VA),
            other => Err(CatalogError::Invalid(format!(
                "unknown channel type {other}"
            ))),
        }
    }
}

/// Dynamic channels take one-off orders; static ones issue reusable payment codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    #[default]
    Dynamic,
    Static,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub code: String,
    pub country: Country,
    pub kind: ChannelKind,
    pub channel_type: ChannelType,
    pub name: String,
    pub min: i64,
    pub max: i64,
    pub refund_full: bool,
    pub refund_partial: bool,
    pub fee: FeeRule,
}

impl Channel {
    pub fn currency(&self) -> Currency {
        self.country.currency()
    }

    pub fn accepts_amount(&self, amount: i64) -> bool {
        (self.min..=self.max).contains(&amount)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("catalog is invalid: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct Catalog {
    channels: Vec<Channel>,
    by_code: HashMap<String, usize>,
}

#[derive(Deserialize)]
struct CatalogFile {
    #[serde(default)]
    fees: BTreeMap<String, FeeRule>,
    #[serde(default)]
    channel: Vec<ChannelEntry>,
}

#[derive(Deserialize)]
struct ChannelEntry {
    code: String,
    #[serde(default)]
    aliases: Vec<String>,
    country: String,
    #[serde(default)]
    kind: ChannelKind,
    #[serde(rename = "type")]
    channel_type: String,
    name: String,
    min: i64,
    max: i64,
    #[serde(default)]
    refund: String,
    fee: String,
}

const BUILTIN: &str = include_str!("../catalog.toml");

impl Catalog {
    /// The catalog sampan ships (shared/spec/08-channels.md).
    pub fn builtin() -> Catalog {
        Catalog::from_toml(BUILTIN).expect("the built-in catalog is valid")
    }

    pub fn from_toml(text: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = toml::from_str(text)?;
        let mut channels = Vec::with_capacity(file.channel.len());
        let mut by_code = HashMap::new();
        for entry in file.channel {
            let invalid = |why: String| CatalogError::Invalid(format!("{}: {why}", entry.code));
            let country = Country::from_str(&entry.country).map_err(|e| invalid(e.to_string()))?;
            let fee = *file
                .fees
                .get(&entry.fee)
                .ok_or_else(|| invalid(format!("unknown fee rule {:?}", entry.fee)))?;
            if entry.min <= 0 || entry.min > entry.max {
                return Err(invalid(format!("bad limits {}..{}", entry.min, entry.max)));
            }
            let refunds: Vec<&str> = entry.refund.split(',').map(str::trim).collect();
            let channel = Channel {
                code: entry.code.clone(),
                country,
                kind: entry.kind,
                channel_type: entry.channel_type.parse()?,
                name: entry.name,
                min: entry.min,
                max: entry.max,
                refund_full: refunds.contains(&"full"),
                refund_partial: refunds.contains(&"partial"),
                fee,
            };
            let index = channels.len();
            for code in std::iter::once(&entry.code).chain(entry.aliases.iter()) {
                if by_code.insert(code.clone(), index).is_some() {
                    return Err(CatalogError::Invalid(format!(
                        "duplicate channel code {code}"
                    )));
                }
            }
            channels.push(channel);
        }
        Ok(Catalog { channels, by_code })
    }

    /// Looks a channel up by its code or one of its aliases.
    pub fn get(&self, code: &str) -> Option<&Channel> {
        self.by_code.get(code).map(|&i| &self.channels[i])
    }

    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.iter()
    }

    pub fn for_country(
        &self,
        country: Country,
        kind: ChannelKind,
    ) -> impl Iterator<Item = &Channel> {
        self.channels
            .iter()
            .filter(move |c| c.country == country && c.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_has_every_philippine_dynamic_channel() {
        let catalog = Catalog::builtin();
        let ph: Vec<_> = catalog
            .for_country(Country::PH, ChannelKind::Dynamic)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(ph.len(), 10);
        let qrph = catalog.get("PH_QRPH_DYNAMIC").unwrap();
        assert_eq!(qrph.channel_type, ChannelType::QR);
        assert_eq!((qrph.min, qrph.max), (2_000, 5_000_000));
        assert!(!qrph.refund_full);
        let bpi = catalog.get("PH_BPI_URL").unwrap();
        assert_eq!(bpi.fee.fee_for(5_000), 1_500);
    }

    #[test]
    fn aliases_resolve_to_the_same_channel() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.get("QRIS_DYNAMIC_QR").unwrap().code,
            "ID_QRIS_DYNAMIC"
        );
    }

    #[test]
    fn invalid_catalogs_are_refused() {
        let bad = r#"
            [fees]
            x = { fixed = 1 }
            [[channel]]
            code = "A"
            country = "PH"
            type = "URL"
            name = "a"
            min = 10
            max = 5
            fee = "x"
        "#;
        assert!(Catalog::from_toml(bad).is_err());
        assert!(Catalog::from_toml("[[channel]]\ncode=1").is_err());
    }
}
