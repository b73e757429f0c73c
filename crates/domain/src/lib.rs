//! sampan's domain: money, apps, the channel catalog, payments and their state machine, ledger
//! rules and the notification outbox. Pure logic; the persistence it needs is the `Store` trait.

pub mod app;
pub mod catalog;
pub mod fees;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod outbox;
pub mod payment;
pub mod payout;
pub mod refund;
pub mod report;
pub mod static_code;
pub mod store;
pub mod time;

pub use app::{App, AppSettings, AppStatus};
pub use catalog::{Catalog, Channel, ChannelKind, ChannelType};
pub use money::{Country, Currency, Money};
pub use payment::{Payment, PaymentOutcome, PaymentStatus};
pub use payout::{Payout, PayoutOutcome, PayoutStatus};
pub use refund::{Refund, RefundOutcome, RefundStatus};
pub use static_code::{CodePayment, CodeRefusal, CodeStatus, CodeTotals, StaticCode};
pub use store::{Store, StoreError, UniqueKey};
pub use time::DisplayZone;

use sampan_protocol::fields::{MobileRule, ParamError};
use sampan_protocol::payment::{CountrySelector, PaymentRules};

impl Country {
    /// The payment field rules of this country's pages (02–06) for a redirect-type channel
    /// (the strictest case); see [`payment_rules_for`](Self::payment_rules_for).
    pub fn payment_rules(self) -> PaymentRules {
        self.payment_rules_for(None)
    }

    /// The payment field rules for an order on a channel of type `channel_type` (`None` when
    /// the channel is unknown: the strictest rules apply, and the channel is refused later).
    ///
    /// - `redirectUrl`: optional in Indonesia and Malaysia (their v1 tables); required in the
    ///   Philippines and Thailand (WebPay); in Russia required except for QR channels (the v2
    ///   table requires it only for redirect-type channels).
    /// - `customerName`: at most 100 characters in Thailand (WebPay), 128 elsewhere.
    pub fn payment_rules_for(self, channel_type: Option<ChannelType>) -> PaymentRules {
        let (mobile, redirect_url_required, customer_name_max) = match self {
            Country::PH => (MobileRule::Philippines, true, 128),
            Country::ID => (MobileRule::Indonesia, false, 128),
            Country::MY => (MobileRule::Malaysia, false, 128),
            Country::TH => (MobileRule::Thailand, true, 100),
            Country::RU => (
                MobileRule::Russia,
                channel_type != Some(ChannelType::QR),
                128,
            ),
        };
        PaymentRules {
            mobile,
            redirect_url_required,
            customer_name_max,
        }
    }

    /// The country a v2 unified request names with `countryCode` and `currency`. Each must be
    /// a known code when given, and they must agree (21002 naming the field otherwise).
    /// `Ok(None)` when neither is given.
    pub fn from_selector(sel: &CountrySelector) -> Result<Option<Country>, ParamError> {
        let country = match &sel.country_code {
            None => None,
            Some(code) => Some(code.parse::<Country>().map_err(|_| {
                ParamError::new("countryCode", "must be one of PH, ID, MY, TH, RU")
            })?),
        };
        let currency = match &sel.currency {
            None => None,
            Some(code) => Some(code.parse::<Currency>().map_err(|_| {
                ParamError::new("currency", "must be one of PHP, IDR, MYR, THB, RUB")
            })?),
        };
        match (country, currency) {
            (Some(country), Some(currency)) if country.currency() != currency => {
                Err(ParamError::new(
                    "currency",
                    format!(
                        "must be {} for countryCode {}",
                        country.currency(),
                        country.code()
                    ),
                ))
            }
            (Some(country), _) => Ok(Some(country)),
            (None, Some(currency)) => {
                Ok(Country::ALL.into_iter().find(|c| c.currency() == currency))
            }
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(country: Option<&str>, currency: Option<&str>) -> CountrySelector {
        CountrySelector {
            country_code: country.map(str::to_string),
            currency: currency.map(str::to_string),
        }
    }

    #[test]
    fn selectors_pick_a_country_and_refuse_mismatches() {
        assert_eq!(
            Country::from_selector(&sel(Some("ID"), Some("IDR"))).unwrap(),
            Some(Country::ID)
        );
        assert_eq!(
            Country::from_selector(&sel(None, Some("RUB"))).unwrap(),
            Some(Country::RU)
        );
        assert_eq!(Country::from_selector(&sel(None, None)).unwrap(), None);
        assert_eq!(
            Country::from_selector(&sel(Some("ID"), Some("MYR")))
                .unwrap_err()
                .field,
            "currency"
        );
        assert_eq!(
            Country::from_selector(&sel(Some("XX"), None))
                .unwrap_err()
                .field,
            "countryCode"
        );
        assert_eq!(
            Country::from_selector(&sel(Some("TH"), Some("USD")))
                .unwrap_err()
                .field,
            "currency"
        );
    }

    #[test]
    fn field_rules_per_country() {
        assert!(!Country::ID.payment_rules().redirect_url_required);
        assert!(!Country::MY.payment_rules().redirect_url_required);
        assert!(Country::TH.payment_rules().redirect_url_required);
        assert_eq!(Country::TH.payment_rules().customer_name_max, 100);
        assert!(
            Country::RU
                .payment_rules_for(Some(ChannelType::URL))
                .redirect_url_required
        );
        assert!(
            !Country::RU
                .payment_rules_for(Some(ChannelType::QR))
                .redirect_url_required
        );
    }
}
