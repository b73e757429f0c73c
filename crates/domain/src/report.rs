//! Report files (01-account §1.2): which transactions a report lists, one row of it, and the
//! platform-wide daily summary operators reconcile with.

use crate::money::{Country, Money};
use crate::payment::PaymentStatus;
use crate::time::DisplayZone;
use chrono::{Days, NaiveDate};
use sampan_protocol::codes::FailedCode;
pub use sampan_protocol::report::{ReportFormat, ReportType};

/// One report: an app's transactions of one type, in one country, on one display-zone day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportSpec {
    pub app_id: String,
    pub country: Country,
    pub kind: ReportType,
    pub date: NaiveDate,
    pub format: ReportFormat,
}

impl ReportSpec {
    /// `[start, end)` in epoch milliseconds: midnight to midnight in `zone`.
    pub fn bounds(&self, zone: &DisplayZone) -> (i64, i64) {
        day_bounds(self.date, zone)
    }
}

/// `[start, end)` of `date` in `zone`, epoch milliseconds.
pub fn day_bounds(date: NaiveDate, zone: &DisplayZone) -> (i64, i64) {
    let start = zone.start_of_day(date);
    let end = date
        .checked_add_days(Days::new(1))
        .map(|next| zone.start_of_day(next))
        .unwrap_or(start + 86_400_000);
    (start, end)
}

/// Where a page of a report starts: strictly after this `(created_at, transaction_id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCursor {
    pub created_at: i64,
    pub transaction_id: String,
}

/// One page of a report, keyset-paginated on `(created_at, transaction_id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPageQuery {
    pub app_id: String,
    pub country: Country,
    pub kind: ReportType,
    pub from_ms: i64,
    pub to_ms: i64,
    pub after: Option<ReportCursor>,
    pub limit: i64,
}

/// One transaction as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub transaction_id: String,
    pub mch_order_id: String,
    /// Payments: `channelCode`. Payouts: `payMethodCode`.
    pub channel_code: String,
    /// Payouts only.
    pub transfer_code: Option<String>,
    pub amount: Money,
    pub fee: i64,
    pub status: PaymentStatus,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub failed_code: Option<i64>,
    /// Payments only: what COMPLETE refunds gave back.
    pub refunded: Option<i64>,
}

impl ReportRow {
    pub fn failed_message(&self) -> Option<&'static str> {
        self.failed_code
            .and_then(|c| i32::try_from(c).ok())
            .and_then(FailedCode::from_i32)
            .map(FailedCode::message)
    }

    pub fn cursor(&self) -> ReportCursor {
        ReportCursor {
            created_at: self.created_at,
            transaction_id: self.transaction_id.clone(),
        }
    }
}

/// Running totals per status while a report streams past.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusTotals {
    pub count: u64,
    pub amount: i64,
    pub fee: i64,
    pub refunded: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTotals {
    /// PENDING, COMPLETED, FAILED in that order.
    pub by_status: [StatusTotals; 3],
}

impl ReportTotals {
    pub const STATUSES: [PaymentStatus; 3] = [
        PaymentStatus::Pending,
        PaymentStatus::Completed,
        PaymentStatus::Failed,
    ];

    pub fn add(&mut self, row: &ReportRow) {
        let i = Self::STATUSES
            .iter()
            .position(|s| *s == row.status)
            .unwrap_or(0);
        let t = &mut self.by_status[i];
        t.count += 1;
        t.amount = t.amount.saturating_add(row.amount.minor);
        t.fee = t.fee.saturating_add(row.fee);
        t.refunded = t.refunded.saturating_add(row.refunded.unwrap_or(0));
    }

    pub fn iter(&self) -> impl Iterator<Item = (PaymentStatus, &StatusTotals)> {
        Self::STATUSES.into_iter().zip(self.by_status.iter())
    }
}

/// One line of the platform-wide daily summary: transactions of one kind on one channel in one
/// status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// `PAYMENT`, `PAYOUT` or `REFUND`.
    pub kind: String,
    pub country: String,
    pub currency: String,
    /// Catalog channel code (payments, refunds) or payout method code.
    pub channel: String,
    pub status: String,
    pub count: i64,
    /// Minor units.
    pub amount: i64,
    pub fee: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_local_midnight_to_local_midnight() {
        let zone = DisplayZone::default();
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let (start, end) = day_bounds(d, &zone);
        assert_eq!(end - start, 86_400_000);
        assert_eq!(zone.format(start), "2026-11-28 00:00:00");
        assert_eq!(zone.format(end - 1), "2026-11-28 23:59:59");
    }
}
