//! Countries, currencies and amounts in minor units.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A country sampan serves. The two-letter code is the wire form (`countryCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Country {
    PH,
    ID,
    MY,
    TH,
    RU,
}

impl Country {
    pub const ALL: [Country; 5] = [
        Country::PH,
        Country::ID,
        Country::MY,
        Country::TH,
        Country::RU,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Country::PH => "PH",
            Country::ID => "ID",
            Country::MY => "MY",
            Country::TH => "TH",
            Country::RU => "RU",
        }
    }

    pub fn currency(self) -> Currency {
        match self {
            Country::PH => Currency::PHP,
            Country::ID => Currency::IDR,
            Country::MY => Currency::MYR,
            Country::TH => Currency::THB,
            Country::RU => Currency::RUB,
        }
    }

    /// The path segment of the country's routes (`/open-api/{slug}/...`).
    pub fn slug(self) -> &'static str {
        match self {
            Country::PH => "philippines",
            Country::ID => "indonesia",
            Country::MY => "malaysia",
            Country::TH => "thailand",
            Country::RU => "russia",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Country> {
        Country::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown country code {0:?}")]
pub struct UnknownCountry(pub String);

impl FromStr for Country {
    type Err = UnknownCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownCountry(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    PHP,
    IDR,
    MYR,
    THB,
    RUB,
}

impl Currency {
    pub const ALL: [Currency; 5] = [
        Currency::PHP,
        Currency::IDR,
        Currency::MYR,
        Currency::THB,
        Currency::RUB,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Currency::PHP => "PHP",
            Currency::IDR => "IDR",
            Currency::MYR => "MYR",
            Currency::THB => "THB",
            Currency::RUB => "RUB",
        }
    }

    /// Digits after the decimal point of the unit amounts travel in. Indonesia quotes whole
    /// rupiah on the wire (spec README "Amounts"), so its minor unit is the rupiah itself.
    pub fn decimals(self) -> u32 {
        match self {
            Currency::IDR => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UnknownCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownCountry(s.to_string()))
    }
}

/// An amount in a currency's wire unit (centavos, sen, satang, kopecks; whole rupiah).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Major units with exactly two decimals, the form of the balance inquiry (`"10000.00"`),
    /// which uses two decimals for Indonesia too.
    pub fn to_two_decimals(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        match self.currency.decimals() {
            0 => format!("{sign}{abs}.00"),
            _ => format!("{sign}{}.{:02}", abs / 100, abs % 100),
        }
    }

    /// Major units with the currency's own decimals (`"123.45"`, IDR `"150000"`).
    pub fn to_major_string(self) -> String {
        match self.currency.decimals() {
            0 => self.minor.to_string(),
            _ => self.to_two_decimals(),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.to_major_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_rendering() {
        assert_eq!(
            Money::new(1_000_000, Currency::PHP).to_two_decimals(),
            "10000.00"
        );
        assert_eq!(Money::new(5, Currency::THB).to_two_decimals(), "0.05");
        assert_eq!(Money::new(-150, Currency::MYR).to_two_decimals(), "-1.50");
        assert_eq!(
            Money::new(10_000, Currency::IDR).to_two_decimals(),
            "10000.00"
        );
        assert_eq!(Money::new(10_000, Currency::IDR).to_major_string(), "10000");
        assert_eq!(Money::new(0, Currency::RUB).to_two_decimals(), "0.00");
    }

    #[test]
    fn country_codes_and_slugs_round_trip() {
        for c in Country::ALL {
            assert_eq!(c.code().parse::<Country>().unwrap(), c);
            assert_eq!(Country::from_slug(c.slug()), Some(c));
        }
        assert!("XX".parse::<Country>().is_err());
    }
}
