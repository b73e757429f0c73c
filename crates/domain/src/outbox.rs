//! The notification outbox: what to send, to whom, and when to try again.

use std::time::Duration;

/// A notification written in the same transaction as the state change it announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub app_id: String,
    pub event: String,
    /// The transaction id the notification is about.
    pub reference: String,
    pub url: String,
    /// The `param` JSON text; signed at send time.
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Every scheduled attempt failed; an operator may resend.
    Abandoned,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Abandoned => "ABANDONED",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "PENDING" => Some(DeliveryStatus::Pending),
            "DELIVERED" => Some(DeliveryStatus::Delivered),
            "ABANDONED" => Some(DeliveryStatus::Abandoned),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub app_id: String,
    pub event: String,
    pub reference: String,
    pub url: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// One delivery attempt, as recorded for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub notification_id: i64,
    pub attempt_no: i32,
    pub at: i64,
    pub http_status: Option<i32>,
    /// The start of the merchant's answer, or the transport error.
    pub response_excerpt: String,
    pub latency_ms: i64,
    pub delivered: bool,
}

/// Delays between attempts. Attempt 1 is immediate; attempt `n + 1` follows attempt `n` by
/// `delays[n - 1]`; after the last delay's attempt fails the notification is abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
}

impl Default for RetrySchedule {
    /// Three days in 13 attempts (spec README "Acknowledgement").
    fn default() -> Self {
        let secs = [
            15, 60, 300, 900, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 86_400,
        ];
        RetrySchedule {
            delays: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
        }
    }
}

impl RetrySchedule {
    pub fn max_attempts(&self) -> i32 {
        self.delays.len() as i32 + 1
    }

    /// When to try again after `attempts_made` failed attempts, or `None` to give up.
    pub fn next_attempt_at(&self, attempts_made: i32, now_ms: i64) -> Option<i64> {
        let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        self.delays
            .get(index)
            .map(|d| now_ms + d.as_millis() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_thirteen_attempts_over_three_days() {
        let s = RetrySchedule::default();
        assert_eq!(s.max_attempts(), 13);
        let total: Duration = s.delays.iter().sum();
        assert!(total > Duration::from_secs(3 * 86_400) && total < Duration::from_secs(4 * 86_400));
        assert_eq!(s.next_attempt_at(1, 0), Some(15_000));
        assert_eq!(s.next_attempt_at(12, 0), Some(86_400_000));
        assert_eq!(s.next_attempt_at(13, 0), None);
        assert_eq!(s.next_attempt_at(0, 0), None);
    }
}
