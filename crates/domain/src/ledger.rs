//! Double-entry ledger: accounts, postings, and the journal entry each money movement writes.
//!
//! Sign convention: an account's balance is the sum of its postings. Merchant and revenue
//! accounts (what the platform owes or earned) grow with positive postings; a channel's
//! clearing account goes negative by what the channel has collected for us and not yet
//! settled. Every entry sums to zero per currency.

use crate::money::Currency;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// What a merchant can spend (pay out, refund).
    MerchantAvailable { app_id: String, currency: Currency },
    /// Merchant funds held for payouts and refunds in flight.
    MerchantFrozen { app_id: String, currency: Currency },
    /// Funds moving through an upstream channel.
    ChannelClearing { channel: String, currency: Currency },
    /// Fees the platform has earned.
    FeeRevenue { currency: Currency },
    /// Where operator top-ups and adjustments come from or go to.
    OperatorFunding { currency: Currency },
}

impl Account {
    pub fn currency(&self) -> Currency {
        match self {
            Account::MerchantAvailable { currency, .. }
            | Account::MerchantFrozen { currency, .. }
            | Account::ChannelClearing { currency, .. }
            | Account::FeeRevenue { currency }
            | Account::OperatorFunding { currency } => *currency,
        }
    }

    /// The account's stable key in the store.
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn available(app_id: &str, currency: Currency) -> Account {
        Account::MerchantAvailable {
            app_id: app_id.to_string(),
            currency,
        }
    }

    pub fn frozen(app_id: &str, currency: Currency) -> Account {
        Account::MerchantFrozen {
            app_id: app_id.to_string(),
            currency,
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::MerchantAvailable { app_id, currency } => {
                write!(f, "merchant:{app_id}:{currency}:available")
            }
            Account::MerchantFrozen { app_id, currency } => {
                write!(f, "merchant:{app_id}:{currency}:frozen")
            }
            Account::ChannelClearing { channel, currency } => {
                write!(f, "channel:{channel}:{currency}:clearing")
            }
            Account::FeeRevenue { currency } => write!(f, "platform:{currency}:fee_revenue"),
            Account::OperatorFunding { currency } => write!(f, "platform:{currency}:funding"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub amount: i64,
}

/// Why an entry was written; stored with it for audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    PaymentCompleted,
    PayoutAccepted,
    PayoutCompleted,
    PayoutFailed,
    RefundAccepted,
    RefundCompleted,
    RefundFailed,
    RefundCancelled,
    TopUp,
    Adjustment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::PaymentCompleted => "payment.completed",
            EntryKind::PayoutAccepted => "payout.accepted",
            EntryKind::PayoutCompleted => "payout.completed",
            EntryKind::PayoutFailed => "payout.failed",
            EntryKind::RefundAccepted => "refund.accepted",
            EntryKind::RefundCompleted => "refund.completed",
            EntryKind::RefundFailed => "refund.failed",
            EntryKind::RefundCancelled => "refund.cancelled",
            EntryKind::TopUp => "balance.topup",
            EntryKind::Adjustment => "balance.adjust",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub kind: EntryKind,
    /// The transaction id (or operator reference) the entry belongs to.
    pub reference: String,
    pub memo: Option<String>,
    pub postings: Vec<Posting>,
}

impl JournalEntry {
    /// True when the postings sum to zero in every currency.
    pub fn is_balanced(&self) -> bool {
        let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
        for p in &self.postings {
            *sums.entry(p.account.currency()).or_default() += p.amount as i128;
        }
        sums.values().all(|s| *s == 0)
    }

    /// Postings of zero carry no information; dropping them keeps the journal readable.
    fn without_zero_postings(mut self) -> Self {
        self.postings.retain(|p| p.amount != 0);
        self
    }
}

/// A payer paid `amount` through `channel`: the channel owes it to us; the merchant gets it
/// net of `fee`, which the platform earns.
pub fn payment_completed(
    transaction_id: &str,
    app_id: &str,
    channel: &str,
    currency: Currency,
    amount: i64,
    fee: i64,
) -> JournalEntry {
    JournalEntry {
        kind: EntryKind::PaymentCompleted,
        reference: transaction_id.to_string(),
        memo: None,
        postings: vec![
            Posting {
                account: Account::ChannelClearing {
                    channel: channel.to_string(),
                    currency,
                },
                amount: -amount,
            },
            Posting {
                account: Account::available(app_id, currency),
                amount: amount - fee,
            },
            Posting {
                account: Account::FeeRevenue { currency },
                amount: fee,
            },
        ],
    }
    .without_zero_postings()
}

/// A payout was accepted: amount + fee move from the merchant's available balance to its
/// frozen balance, where they wait for the channel's answer.
pub fn payout_accepted(
    transaction_id: &str,
    app_id: &str,
    currency: Currency,
    amount: i64,
    fee: i64,
) -> JournalEntry {
    let held = amount + fee;
    JournalEntry {
        kind: EntryKind::PayoutAccepted,
        reference: transaction_id.to_string(),
        memo: None,
        postings: vec![
            Posting {
                account: Account::available(app_id, currency),
                amount: -held,
            },
            Posting {
                account: Account::frozen(app_id, currency),
                amount: held,
            },
        ],
    }
}

/// The channel paid the payout out: the frozen amount leaves through the channel (which now
/// owes the platform nothing for it: its clearing account is credited), the fee is earned.
pub fn payout_completed(
    transaction_id: &str,
    app_id: &str,
    method: &str,
    currency: Currency,
    amount: i64,
    fee: i64,
    memo: Option<&str>,
) -> JournalEntry {
    JournalEntry {
        kind: EntryKind::PayoutCompleted,
        reference: transaction_id.to_string(),
        memo: memo.map(str::to_string),
        postings: vec![
            Posting {
                account: Account::frozen(app_id, currency),
                amount: -(amount + fee),
            },
            Posting {
                account: Account::ChannelClearing {
                    channel: method.to_string(),
                    currency,
                },
                amount,
            },
            Posting {
                account: Account::FeeRevenue { currency },
                amount: fee,
            },
        ],
    }
    .without_zero_postings()
}

/// The payout failed: the frozen amount + fee return to the merchant's available balance.
pub fn payout_failed(
    transaction_id: &str,
    app_id: &str,
    currency: Currency,
    amount: i64,
    fee: i64,
    memo: Option<&str>,
) -> JournalEntry {
    let held = amount + fee;
    JournalEntry {
        kind: EntryKind::PayoutFailed,
        reference: transaction_id.to_string(),
        memo: memo.map(str::to_string),
        postings: vec![
            Posting {
                account: Account::frozen(app_id, currency),
                amount: -held,
            },
            Posting {
                account: Account::available(app_id, currency),
                amount: held,
            },
        ],
    }
}

/// A refund was accepted: its amount moves from the merchant's available balance to frozen,
/// where it waits for the channel's answer.
pub fn refund_accepted(
    refund_id: &str,
    app_id: &str,
    currency: Currency,
    amount: i64,
) -> JournalEntry {
    JournalEntry {
        kind: EntryKind::RefundAccepted,
        reference: refund_id.to_string(),
        memo: None,
        postings: vec![
            Posting {
                account: Account::available(app_id, currency),
                amount: -amount,
            },
            Posting {
                account: Account::frozen(app_id, currency),
                amount,
            },
        ],
    }
}

/// The channel paid the refund back to the payer: the frozen amount leaves through the
/// original payment's channel (its clearing account is credited, as for a payout), and the
/// platform gives back `fee_refunded` of the fee it earned on the original to the merchant.
pub fn refund_completed(
    refund_id: &str,
    app_id: &str,
    channel: &str,
    currency: Currency,
    amount: i64,
    fee_refunded: i64,
    memo: Option<&str>,
) -> JournalEntry {
    JournalEntry {
        kind: EntryKind::RefundCompleted,
        reference: refund_id.to_string(),
        memo: memo.map(str::to_string),
        postings: vec![
            Posting {
                account: Account::frozen(app_id, currency),
                amount: -amount,
            },
            Posting {
                account: Account::ChannelClearing {
                    channel: channel.to_string(),
                    currency,
                },
                amount,
            },
            Posting {
                account: Account::FeeRevenue { currency },
                amount: -fee_refunded,
            },
            Posting {
                account: Account::available(app_id, currency),
                amount: fee_refunded,
            },
        ],
    }
    .without_zero_postings()
}

/// The refund failed (`cancelled`: an operator cancelled it): the frozen amount returns to the
/// merchant's available balance.
pub fn refund_returned(
    refund_id: &str,
    app_id: &str,
    currency: Currency,
    amount: i64,
    cancelled: bool,
    memo: Option<&str>,
) -> JournalEntry {
    JournalEntry {
        kind: if cancelled {
            EntryKind::RefundCancelled
        } else {
            EntryKind::RefundFailed
        },
        reference: refund_id.to_string(),
        memo: memo.map(str::to_string),
        postings: vec![
            Posting {
                account: Account::frozen(app_id, currency),
                amount: -amount,
            },
            Posting {
                account: Account::available(app_id, currency),
                amount,
            },
        ],
    }
}

/// An operator credits (positive) or debits (negative) a merchant's available balance.
pub fn operator_entry(
    kind: EntryKind,
    reference: &str,
    app_id: &str,
    currency: Currency,
    amount: i64,
    memo: &str,
) -> JournalEntry {
    JournalEntry {
        kind,
        reference: reference.to_string(),
        memo: Some(memo.to_string()),
        postings: vec![
            Posting {
                account: Account::OperatorFunding { currency },
                amount: -amount,
            },
            Posting {
                account: Account::available(app_id, currency),
                amount,
            },
        ],
    }
}

/// Result of recomputing balances from postings (`sampan ledger verify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerReport {
    pub accounts: usize,
    pub entries: usize,
    /// (account key, stored balance, balance recomputed from postings)
    pub mismatched_balances: Vec<(String, i64, i64)>,
    /// entry ids whose postings do not sum to zero per currency
    pub unbalanced_entries: Vec<i64>,
}

impl LedgerReport {
    pub fn is_consistent(&self) -> bool {
        self.mismatched_balances.is_empty() && self.unbalanced_entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_entry_balances_and_credits_net_of_fee() {
        let e = payment_completed("C1", "app", "PH_GCASH_URL", Currency::PHP, 10_000, 200);
        assert!(e.is_balanced());
        assert_eq!(e.postings.len(), 3);
        let merchant = e
            .postings
            .iter()
            .find(|p| p.account == Account::available("app", Currency::PHP))
            .unwrap();
        assert_eq!(merchant.amount, 9_800);
    }

    #[test]
    fn zero_fee_drops_the_revenue_posting() {
        let e = payment_completed("C1", "app", "X", Currency::THB, 500, 0);
        assert!(e.is_balanced());
        assert_eq!(e.postings.len(), 2);
    }

    #[test]
    fn payout_entries_freeze_then_release_or_pay_out() {
        let a = payout_accepted("D1", "app", Currency::PHP, 50_000, 1_000);
        assert!(a.is_balanced());
        assert_eq!(a.postings[0].amount, -51_000);
        let c = payout_completed(
            "D1",
            "app",
            "PH_PAYOUT_BANK",
            Currency::PHP,
            50_000,
            1_000,
            None,
        );
        assert!(c.is_balanced());
        assert_eq!(c.postings.len(), 3);
        let f = payout_failed("D1", "app", Currency::PHP, 50_000, 1_000, Some("forced"));
        assert!(f.is_balanced());
        assert_eq!(f.memo.as_deref(), Some("forced"));
        let zero_fee = payout_completed("D1", "app", "X", Currency::PHP, 100, 0, None);
        assert_eq!(zero_fee.postings.len(), 2);
    }

    #[test]
    fn refund_entries_freeze_then_pay_out_with_the_fee_or_return() {
        let a = refund_accepted("R1", "app", Currency::PHP, 10_000);
        assert!(a.is_balanced());
        let full = refund_completed(
            "R1",
            "app",
            "PH_GCASH_URL",
            Currency::PHP,
            10_000,
            200,
            None,
        );
        assert!(full.is_balanced());
        assert_eq!(full.postings.len(), 4);
        let fee_back = full
            .postings
            .iter()
            .find(|p| p.account == Account::available("app", Currency::PHP))
            .unwrap();
        assert_eq!(fee_back.amount, 200);
        let partial = refund_completed("R1", "app", "PH_GCASH_URL", Currency::PHP, 5_000, 0, None);
        assert!(partial.is_balanced());
        assert_eq!(partial.postings.len(), 2);
        let c = refund_returned("R1", "app", Currency::PHP, 10_000, true, Some("op"));
        assert!(c.is_balanced());
        assert_eq!(c.kind, EntryKind::RefundCancelled);
        assert_eq!(
            refund_returned("R1", "app", Currency::PHP, 1, false, None).kind,
            EntryKind::RefundFailed
        );
    }

    #[test]
    fn unbalanced_entries_are_detected() {
        let mut e = operator_entry(EntryKind::TopUp, "t", "app", Currency::PHP, 100, "seed");
        assert!(e.is_balanced());
        e.postings[0].amount = -99;
        assert!(!e.is_balanced());
    }

    #[test]
    fn account_keys_are_distinct_per_kind() {
        assert_eq!(
            Account::available("a", Currency::PHP).key(),
            "merchant:a:PHP:available"
        );
        assert_ne!(
            Account::available("a", Currency::PHP).key(),
            Account::frozen("a", Currency::PHP).key()
        );
    }
}
