//! Times are stored as UTC epoch milliseconds and rendered in the platform display zone.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// The zone responses and notifications render times in (`yyyy-MM-dd HH:mm:ss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayZone(FixedOffset);

impl Default for DisplayZone {
    /// UTC+08:00 (Manila, Kuala Lumpur, Singapore), spec README "Times".
    fn default() -> Self {
        DisplayZone::UTC8
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("display zone must look like +08:00 or -05:30, got {0:?}")]
pub struct BadZone(pub String);

impl DisplayZone {
    /// UTC+08:00, the default.
    pub const UTC8: DisplayZone = match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => DisplayZone(offset),
        None => panic!("valid offset"),
    };

    /// Parses `+08:00`, `+0800`, `+8`, `UTC`/`Z`.
    pub fn parse(s: &str) -> Result<DisplayZone, BadZone> {
        let bad = || BadZone(s.to_string());
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(DisplayZone(FixedOffset::east_opt(0).ok_or_else(bad)?));
        }
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().map_err(|_| bad())?, 0),
            4 => (
                digits[..2].parse::<i32>().map_err(|_| bad())?,
                digits[2..].parse::<i32>().map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        if h > 14 || m > 59 {
            return Err(bad());
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .map(DisplayZone)
            .ok_or_else(bad)
    }

    pub fn offset(&self) -> FixedOffset {
        self.0
    }

    pub fn format(&self, epoch_ms: i64) -> String {
        self.datetime(epoch_ms)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    pub fn datetime(&self, epoch_ms: i64) -> DateTime<FixedOffset> {
        Utc.timestamp_millis_opt(epoch_ms)
            .single()
            .unwrap_or_default()
            .with_timezone(&self.0)
    }

    /// Epoch milliseconds of midnight starting `date` in this zone.
    pub fn start_of_day(&self, date: NaiveDate) -> i64 {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        self.0
            .from_local_datetime(&midnight)
            .single()
            .map(|d| d.timestamp_millis())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for DisplayZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_the_display_zone() {
        let zone = DisplayZone::default();
        // 2023-02-27 07:21:35 UTC
        assert_eq!(zone.format(1_677_482_495_000), "2023-02-27 15:21:35");
        assert_eq!(
            DisplayZone::parse("UTC").unwrap().format(0),
            "1970-01-01 00:00:00"
        );
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(
            DisplayZone::parse("+08:00").unwrap(),
            DisplayZone::default()
        );
        assert_eq!(DisplayZone::parse("+0800").unwrap(), DisplayZone::default());
        assert_eq!(DisplayZone::parse("+8").unwrap(), DisplayZone::default());
        assert_eq!(
            DisplayZone::parse("-05:30")
                .unwrap()
                .offset()
                .local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        for bad in ["", "8", "+25:00", "+08:75", "Asia/Manila"] {
            assert!(DisplayZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn start_of_day_is_local_midnight() {
        let zone = DisplayZone::default();
        let d = NaiveDate::from_ymd_opt(2023, 2, 27).unwrap();
        assert_eq!(zone.format(zone.start_of_day(d)), "2023-02-27 00:00:00");
    }
}
