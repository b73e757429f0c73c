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
pub mod store;
pub mod time;

pub use app::{App, AppSettings, AppStatus};
pub use catalog::{Catalog, Channel, ChannelKind, ChannelType};
pub use money::{Country, Currency, Money};
pub use payment::{Payment, PaymentOutcome, PaymentStatus};
pub use payout::{Payout, PayoutOutcome, PayoutStatus};
pub use store::{Store, StoreError, UniqueKey};
pub use time::DisplayZone;

use sampan_protocol::fields::MobileRule;
use sampan_protocol::payment::PaymentRules;

impl Country {
    /// The payment field rules of this country's pages (02–06).
    pub fn payment_rules(self) -> PaymentRules {
        let (mobile, redirect_url_required) = match self {
            Country::PH => (MobileRule::Philippines, true),
            Country::ID => (MobileRule::Indonesia, false),
            Country::MY => (MobileRule::Malaysia, false),
            Country::TH => (MobileRule::Thailand, true),
            Country::RU => (MobileRule::Russia, true),
        };
        PaymentRules {
            mobile,
            redirect_url_required,
        }
    }
}
