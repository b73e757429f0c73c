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

/// What a payout method's `transferCode` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferKind {
    /// A bank code; an unknown one is `21012`.
    Bank,
    /// A wallet code; an unknown one is `21013`.
    Wallet,
    /// The method takes no transferCode (Thai PromptPay).
    None,
}

/// The format of a payout `accountNo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRule {
    /// Only digits, `min..=max` of them.
    Digits { min: usize, max: usize },
    /// A mobile number of the country.
    Mobile(Country),
}

impl AccountRule {
    fn parse(text: &str) -> Option<AccountRule> {
        let (kind, arg) = text.split_once(':')?;
        match kind {
            "digits" => {
                let (min, max) = arg.split_once('-')?;
                let (min, max) = (min.trim().parse().ok()?, max.trim().parse().ok()?);
                (min >= 1 && min <= max).then_some(AccountRule::Digits { min, max })
            }
            "mobile" => Country::from_str(arg.trim()).ok().map(AccountRule::Mobile),
            _ => None,
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        match *self {
            AccountRule::Digits { min, max } => {
                (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
            }
            AccountRule::Mobile(country) => country.payment_rules().mobile.matches(value),
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            AccountRule::Digits { min, max } if min == max => format!("must be {min} digits"),
            AccountRule::Digits { min, max } => format!("must be {min}-{max} digits"),
            AccountRule::Mobile(country) => format!(
                "must be a mobile number ({})",
                country.payment_rules().mobile.describe()
            ),
        }
    }
}

/// A payout method of a country (`payMethodCode`), with its destinations and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutMethod {
    /// Catalog code (`PH_PAYOUT_BANK`): the clearing account and fee overrides use it.
    pub code: String,
    pub country: Country,
    /// The wire `payMethodCode`.
    pub method: String,
    pub kind: TransferKind,
    pub name: String,
    pub min: i64,
    pub max: i64,
    pub fee: FeeRule,
    /// Valid `transferCode`s (empty for `TransferKind::None`).
    pub transfer_codes: Vec<String>,
    /// The `accountNo` rule when it does not depend on a type field.
    pub account: Option<AccountRule>,
    /// The `param` field (`accountType`, `promptpayAccountType`) choosing the rule below.
    pub type_field: Option<String>,
    pub account_by_type: BTreeMap<String, AccountRule>,
}

impl PayoutMethod {
    pub fn currency(&self) -> Currency {
        self.country.currency()
    }

    pub fn accepts_amount(&self, amount: i64) -> bool {
        (self.min..=self.max).contains(&amount)
    }

    pub fn has_transfer_code(&self, code: &str) -> bool {
        self.transfer_codes.iter().any(|c| c == code)
    }

    /// The rule for `accountNo` given the value of the type field, if the method has one.
    pub fn account_rule(&self, type_value: Option<&str>) -> Option<AccountRule> {
        match &self.account {
            Some(rule) => Some(*rule),
            None => type_value.and_then(|t| self.account_by_type.get(t).copied()),
        }
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
    /// A code may name one dynamic and one static channel (`ID_BCA_VA` is both).
    by_code: HashMap<(ChannelKind, String), usize>,
    payouts: Vec<PayoutMethod>,
}

#[derive(Deserialize)]
struct CatalogFile {
    #[serde(default)]
    fees: BTreeMap<String, FeeRule>,
    #[serde(default)]
    channel: Vec<ChannelEntry>,
    #[serde(default)]
    payout: Vec<PayoutEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayoutEntry {
    code: String,
    country: String,
    method: String,
    kind: TransferKind,
    name: String,
    min: i64,
    max: i64,
    fee: String,
    #[serde(default)]
    transfer_codes: Vec<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    type_field: Option<String>,
    #[serde(default)]
    account_by_type: BTreeMap<String, String>,
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
                if by_code.insert((entry.kind, code.clone()), index).is_some() {
                    return Err(CatalogError::Invalid(format!(
                        "duplicate channel code {code}"
                    )));
                }
            }
            channels.push(channel);
        }
        let mut payouts: Vec<PayoutMethod> = Vec::with_capacity(file.payout.len());
        for entry in file.payout {
            let invalid = |why: String| CatalogError::Invalid(format!("{}: {why}", entry.code));
            let country = Country::from_str(&entry.country).map_err(|e| invalid(e.to_string()))?;
            let fee = *file
                .fees
                .get(&entry.fee)
                .ok_or_else(|| invalid(format!("unknown fee rule {:?}", entry.fee)))?;
            if entry.min <= 0 || entry.min > entry.max {
                return Err(invalid(format!("bad limits {}..{}", entry.min, entry.max)));
            }
            let rule = |text: &str| {
                AccountRule::parse(text)
                    .ok_or_else(|| invalid(format!("bad account rule {text:?}")))
            };
            let account = entry.account.as_deref().map(rule).transpose()?;
            let mut account_by_type = BTreeMap::new();
            for (k, v) in &entry.account_by_type {
                account_by_type.insert(k.clone(), rule(v)?);
            }
            if account.is_some() != account_by_type.is_empty() {
                return Err(invalid(
                    "needs exactly one of account and account_by_type".into(),
                ));
            }
            if !account_by_type.is_empty() && entry.type_field.is_none() {
                return Err(invalid("account_by_type needs type_field".into()));
            }
            if (entry.kind == TransferKind::None) != entry.transfer_codes.is_empty() {
                return Err(invalid(
                    "transfer_codes must be given exactly when kind is not none".into(),
                ));
            }
            if by_code.contains_key(&(ChannelKind::Dynamic, entry.code.clone()))
                || by_code.contains_key(&(ChannelKind::Static, entry.code.clone()))
                || payouts.iter().any(|p| {
                    p.code == entry.code || (p.country == country && p.method == entry.method)
                })
            {
                return Err(invalid("duplicate payout code or method".into()));
            }
            payouts.push(PayoutMethod {
                code: entry.code.clone(),
                country,
                method: entry.method.clone(),
                kind: entry.kind,
                name: entry.name.clone(),
                min: entry.min,
                max: entry.max,
                fee,
                transfer_codes: entry.transfer_codes.clone(),
                account,
                type_field: entry.type_field.clone(),
                account_by_type,
            });
        }
        Ok(Catalog {
            channels,
            by_code,
            payouts,
        })
    }

    /// The payout method `method` (`payMethodCode`) of `country`.
    pub fn payout_method(&self, country: Country, method: &str) -> Option<&PayoutMethod> {
        self.payouts
            .iter()
            .find(|p| p.country == country && p.method == method)
    }

    /// A payout method by its catalog code (`PH_PAYOUT_BANK`).
    pub fn payout_method_by_code(&self, code: &str) -> Option<&PayoutMethod> {
        self.payouts.iter().find(|p| p.code == code)
    }

    pub fn payout_methods(&self) -> impl Iterator<Item = &PayoutMethod> {
        self.payouts.iter()
    }

    /// Looks a channel up by its code or one of its aliases: the dynamic channel when the code
    /// names both kinds, else the static one.
    pub fn get(&self, code: &str) -> Option<&Channel> {
        self.get_kind(code, ChannelKind::Dynamic)
            .or_else(|| self.get_kind(code, ChannelKind::Static))
    }

    /// The channel of `kind` named by `code` or one of its aliases.
    pub fn get_kind(&self, code: &str, kind: ChannelKind) -> Option<&Channel> {
        self.by_code
            .get(&(kind, code.to_string()))
            .and_then(|&i| self.channels.get(i))
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
    fn static_channels_of_08_channels_exist_beside_their_dynamic_twins() {
        let catalog = Catalog::builtin();
        let codes = |country| -> Vec<String> {
            catalog
                .for_country(country, ChannelKind::Static)
                .map(|c| c.code.clone())
                .collect()
        };
        assert_eq!(
            codes(Country::PH),
            [
                "PH_QRPH_STATIC",
                "PH_INSTAPAY_STATIC_VA",
                "PH_7ELEVEN_STATIC_VA"
            ]
        );
        assert_eq!(
            codes(Country::ID),
            [
                "ID_BCA_VA",
                "ID_BNI_VA",
                "ID_BRI_VA",
                "ID_MANDIRI_VA",
                "ID_PERMATA_VA",
                "ID_QRIS_STATIC"
            ]
        );
        assert_eq!(codes(Country::TH), ["THAI_STATIC_QR"]);
        assert!(codes(Country::MY).is_empty() && codes(Country::RU).is_empty());
        let bca = catalog.get_kind("ID_BCA_VA", ChannelKind::Static).unwrap();
        assert_eq!(bca.channel_type, ChannelType::VA);
        assert_eq!(catalog.get("ID_BCA_VA").unwrap().kind, ChannelKind::Dynamic);
        assert_eq!(
            catalog.get("THAI_STATIC_QR").unwrap().kind,
            ChannelKind::Static
        );
        assert!(catalog
            .get_kind("PH_GCASH_URL", ChannelKind::Static)
            .is_none());
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
    fn builtin_catalog_has_the_payout_methods_of_08_channels() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.payout_methods().count(), 8);
        let ph = catalog.payout_method(Country::PH, "EWALLET").unwrap();
        assert!(ph.has_transfer_code("GCASH"));
        assert_eq!(ph.fee.fee_for(50_000), 1_000);
        assert!(ph.account_rule(None).unwrap().matches("09171234567"));
        let my = catalog.payout_method(Country::MY, "BANK").unwrap();
        assert!(my.account_rule(None).is_none());
        assert!(my
            .account_rule(Some("BANK_ACCOUNT"))
            .unwrap()
            .matches("123456"));
        assert!(!my
            .account_rule(Some("MOBILE_NUMBER"))
            .unwrap()
            .matches("123456"));
        let pp = catalog.payout_method(Country::TH, "PROMPTPAY").unwrap();
        assert_eq!(pp.kind, TransferKind::None);
        assert!(pp
            .account_rule(Some("NATID"))
            .unwrap()
            .matches("1101700203451"));
        assert_eq!(
            catalog.payout_method(Country::ID, "BANK").unwrap().min,
            10_000
        );
        assert!(catalog.payout_method(Country::RU, "BANK").is_none());
        assert_eq!(
            catalog
                .payout_method_by_code("TH_PAYOUT_BANK")
                .unwrap()
                .method,
            "BANK"
        );
    }

    #[test]
    fn account_rules_parse_and_describe() {
        let d = AccountRule::parse("digits:10-16").unwrap();
        assert!(
            d.matches("1234567890") && !d.matches("123456789") && !d.matches("12345678901234567")
        );
        assert!(!d.matches("12345678a0"));
        assert_eq!(d.describe(), "must be 10-16 digits");
        assert_eq!(
            AccountRule::parse("digits:13-13").unwrap().describe(),
            "must be 13 digits"
        );
        assert!(AccountRule::parse("digits:5-4").is_none());
        assert!(AccountRule::parse("mobile:XX").is_none());
        assert!(AccountRule::parse("iban").is_none());
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
