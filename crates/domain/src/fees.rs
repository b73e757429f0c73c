//! Fee rules and the fee a transaction snapshots when it is created.

use serde::{Deserialize, Serialize};

/// `percent_bp` basis points of the amount (rounded half up) plus `fixed`, at least `min`,
/// and never more than the amount itself: a merchant is never credited a negative net.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeeRule {
    #[serde(default)]
    pub percent_bp: i64,
    #[serde(default)]
    pub fixed: i64,
    #[serde(default)]
    pub min: i64,
}

impl FeeRule {
    pub const ZERO: FeeRule = FeeRule {
        percent_bp: 0,
        fixed: 0,
        min: 0,
    };

    pub fn fee_for(&self, amount: i64) -> i64 {
        // i128 so that a large amount times basis points cannot overflow.
        let pct = (amount as i128 * self.percent_bp as i128 + 5_000) / 10_000;
        let fee = (pct as i64).saturating_add(self.fixed).max(self.min);
        fee.clamp(0, amount.max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_up() {
        let r = FeeRule {
            percent_bp: 200,
            ..FeeRule::ZERO
        };
        assert_eq!(r.fee_for(10_000), 200);
        assert_eq!(r.fee_for(125), 3); // 2.5 → 3
        assert_eq!(r.fee_for(124), 2); // 2.48 → 2
    }

    #[test]
    fn minimum_and_fixed_apply_and_fee_never_exceeds_amount() {
        let banking = FeeRule {
            percent_bp: 100,
            min: 1_500,
            ..FeeRule::ZERO
        };
        assert_eq!(banking.fee_for(5_000), 1_500);
        assert_eq!(banking.fee_for(1_000_000), 10_000);
        let va = FeeRule {
            fixed: 1_500,
            ..FeeRule::ZERO
        };
        assert_eq!(va.fee_for(100_000), 1_500);
        assert_eq!(va.fee_for(100), 100);
        assert_eq!(
            FeeRule {
                percent_bp: 10_000,
                ..FeeRule::ZERO
            }
            .fee_for(i64::MAX),
            i64::MAX
        );
    }
}
