//! The `timestamp` every business `param` carries (spec README §2 "timestamp").

use crate::codes::Code;
use serde_json::Value;

#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampError {
    #[error("timestamp is required")]
    Missing,
    #[error("timestamp must be a 10-digit (seconds) or 13-digit (milliseconds) integer")]
    Unparsable,
    #[error("timestamp is too far from server time")]
    OutOfWindow,
}

impl TimestampError {
    /// A missing timestamp is reported like an unparsable one: merchants read 21008 as
    /// "fix your timestamp", which is the fix either way.
    pub fn code(self) -> Code {
        match self {
            TimestampError::Missing | TimestampError::Unparsable => Code::TimestampError,
            TimestampError::OutOfWindow => Code::TimestampExpired,
        }
    }
}

/// JSON number or numeric string; exactly 10 digits (seconds) or 13 digits (milliseconds).
/// Returns epoch milliseconds. `null` counts as missing.
///
/// The digit count, not the magnitude, decides the unit: that is what the examples show
/// (`1682264649`, `"1677133173758"`), and any other length is a client bug worth reporting
/// instead of guessing.
pub fn parse_timestamp(v: Option<&Value>) -> Result<i64, TimestampError> {
    let digits = match v {
        None | Some(Value::Null) => return Err(TimestampError::Missing),
        // `as_u64` is None for negatives and for anything serde_json parsed as a float
        // (`1.5`, `1.7e12`, `1700000000.0`), all of which are rejected.
        Some(Value::Number(n)) => n.as_u64().ok_or(TimestampError::Unparsable)?.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(TimestampError::Unparsable),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimestampError::Unparsable);
    }
    let value: i64 = digits.parse().map_err(|_| TimestampError::Unparsable)?;
    match digits.len() {
        10 => Ok(value * 1000),
        13 => Ok(value),
        _ => Err(TimestampError::Unparsable),
    }
}

/// `|ts - now| > window_secs` → `OutOfWindow`. Symmetric, so a client clock running ahead is
/// treated like one running behind; exactly `window_secs` apart is still accepted.
pub fn check_window(ts_ms: i64, now_ms: i64, window_secs: i64) -> Result<(), TimestampError> {
    let window_ms = u64::try_from(window_secs).unwrap_or(0).saturating_mul(1000);
    if ts_ms.abs_diff(now_ms) > window_ms {
        Err(TimestampError::OutOfWindow)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<i64, TimestampError> {
        parse_timestamp(Some(&v))
    }

    #[test]
    fn accepts_numbers_and_strings_in_seconds_and_millis() {
        assert_eq!(parse(json!(1700000000)), Ok(1_700_000_000_000));
        assert_eq!(parse(json!(1700000000123_i64)), Ok(1_700_000_000_123));
        assert_eq!(parse(json!("1682264649")), Ok(1_682_264_649_000));
        assert_eq!(parse(json!("1677133173758")), Ok(1_677_133_173_758));
        assert_eq!(parse(json!(" 1677133173758 ")), Ok(1_677_133_173_758));
    }

    #[test]
    fn parses_from_raw_json_text() {
        let v: Value = serde_json::from_str(r#"{"timestamp":1679451632737}"#).unwrap();
        assert_eq!(parse_timestamp(v.get("timestamp")), Ok(1_679_451_632_737));
        let v: Value = serde_json::from_str(r#"{"timestamp":1.5}"#).unwrap();
        assert_eq!(
            parse_timestamp(v.get("timestamp")),
            Err(TimestampError::Unparsable)
        );
        let v: Value = serde_json::from_str(r#"{"timestamp":1700000000.0}"#).unwrap();
        assert_eq!(
            parse_timestamp(v.get("timestamp")),
            Err(TimestampError::Unparsable)
        );
    }

    #[test]
    fn rejects_everything_else() {
        use TimestampError::*;
        assert_eq!(parse_timestamp(None), Err(Missing));
        assert_eq!(parse(Value::Null), Err(Missing));
        assert_eq!(parse(json!(170000000000_i64)), Err(Unparsable)); // 12 digits
        assert_eq!(parse(json!("170000000000")), Err(Unparsable));
        assert_eq!(parse(json!(17000000000000_i64)), Err(Unparsable)); // 14 digits
        assert_eq!(parse(json!(170000000)), Err(Unparsable)); // 9 digits
        assert_eq!(parse(json!("abc")), Err(Unparsable));
        assert_eq!(parse(json!("")), Err(Unparsable));
        assert_eq!(parse(json!(1.5)), Err(Unparsable));
        assert_eq!(parse(json!(-1700000000)), Err(Unparsable));
        assert_eq!(parse(json!(-1700000000000_i64)), Err(Unparsable));
        assert_eq!(parse(json!("-1700000000")), Err(Unparsable));
        assert_eq!(parse(json!("+1700000000")), Err(Unparsable));
        assert_eq!(parse(json!("1700000000.5")), Err(Unparsable));
        assert_eq!(parse(json!("１７００００００００")), Err(Unparsable)); // full-width digits
        assert_eq!(parse(json!(true)), Err(Unparsable));
        assert_eq!(parse(json!([1700000000])), Err(Unparsable));
    }

    #[test]
    fn window_is_checked_in_both_directions() {
        let now = 1_700_000_000_000;
        assert_eq!(check_window(now, now, 300), Ok(()));
        assert_eq!(check_window(now - 300_000, now, 300), Ok(()));
        assert_eq!(check_window(now + 300_000, now, 300), Ok(()));
        assert_eq!(
            check_window(now - 300_001, now, 300),
            Err(TimestampError::OutOfWindow)
        );
        assert_eq!(
            check_window(now + 300_001, now, 300),
            Err(TimestampError::OutOfWindow)
        );
        // Extremes must not overflow.
        assert_eq!(
            check_window(i64::MIN, i64::MAX, 300),
            Err(TimestampError::OutOfWindow)
        );
        assert_eq!(check_window(i64::MIN, i64::MAX, i64::MAX), Ok(()));
        assert_eq!(
            check_window(now + 1, now, -5),
            Err(TimestampError::OutOfWindow)
        );
    }

    #[test]
    fn errors_map_to_protocol_codes() {
        assert_eq!(TimestampError::Missing.code(), Code::TimestampError);
        assert_eq!(TimestampError::Unparsable.code(), Code::TimestampError);
        assert_eq!(TimestampError::OutOfWindow.code(), Code::TimestampExpired);
    }
}
