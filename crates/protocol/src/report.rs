//! Report download (01-account §1.2).

use crate::fields::{Fields, ParamError};
use serde::{Deserialize, Serialize};

/// `transType`: which transactions the file lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportType {
    /// `1`: disbursements.
    Payouts,
    /// `2`: collections.
    Payments,
}

impl ReportType {
    pub fn as_i64(self) -> i64 {
        match self {
            ReportType::Payouts => 1,
            ReportType::Payments => 2,
        }
    }

    pub fn from_i64(v: i64) -> Option<ReportType> {
        match v {
            1 => Some(ReportType::Payouts),
            2 => Some(ReportType::Payments),
            _ => None,
        }
    }

    /// The file name stem (`payment_…`, `payout_…`).
    pub fn stem(self) -> &'static str {
        match self {
            ReportType::Payouts => "payout",
            ReportType::Payments => "payment",
        }
    }
}

/// `format` (a sampan extension; PayCools answered `.xlsx` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReportFormat {
    #[default]
    Xlsx,
    Csv,
}

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Option<ReportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "xlsx" => Some(ReportFormat::Xlsx),
            "csv" => Some(ReportFormat::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub country_code: String,
    /// `yyyy-MM-dd`, checked for shape here; the calendar and the allowed range are the
    /// server's business (it knows the display zone and the clock).
    pub trans_date: String,
    pub trans_type: ReportType,
    pub format: ReportFormat,
    pub timestamp: i64,
}

impl ReportQuery {
    pub fn from_fields(f: &Fields, timestamp: i64) -> Result<Self, ParamError> {
        let country_code = f.req_str("countryCode", 32)?;
        let trans_date = f.req_str("transDate", 10)?;
        let b = trans_date.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(ParamError::new("transDate", "must be a date as yyyy-MM-dd"));
        }
        let trans_type = ReportType::from_i64(f.req_int("transType")?)
            .ok_or_else(|| ParamError::new("transType", "must be 1 (payouts) or 2 (payments)"))?;
        let format = match f.opt_str("format", 8)? {
            None => ReportFormat::default(),
            Some(s) => ReportFormat::parse(&s)
                .ok_or_else(|| ParamError::new("format", "must be xlsx or csv"))?,
        };
        Ok(ReportQuery {
            country_code,
            trans_date,
            trans_type,
            format,
            timestamp,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportData {
    pub download_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(param: &str) -> Result<ReportQuery, ParamError> {
        ReportQuery::from_fields(&Fields::parse(param).unwrap(), 0)
    }

    #[test]
    fn reads_the_documented_fields_and_names_bad_ones() {
        let q = read(r#"{"countryCode":"TH","transDate":"2023-12-25","transType":2}"#).unwrap();
        assert_eq!(q.trans_type, ReportType::Payments);
        assert_eq!(q.format, ReportFormat::Xlsx);
        let q =
            read(r#"{"countryCode":"PH","transDate":"2023-12-25","transType":"1","format":"CSV"}"#)
                .unwrap();
        assert_eq!(
            (q.trans_type, q.format),
            (ReportType::Payouts, ReportFormat::Csv)
        );
        for (param, field) in [
            (r#"{"transDate":"2023-12-25","transType":2}"#, "countryCode"),
            (
                r#"{"countryCode":"PH","transDate":"2023/12/25","transType":2}"#,
                "transDate",
            ),
            (
                r#"{"countryCode":"PH","transDate":"20231225","transType":2}"#,
                "transDate",
            ),
            (
                r#"{"countryCode":"PH","transDate":"2023-12-25","transType":3}"#,
                "transType",
            ),
            (
                r#"{"countryCode":"PH","transDate":"2023-12-25"}"#,
                "transType",
            ),
            (
                r#"{"countryCode":"PH","transDate":"2023-12-25","transType":2,"format":"pdf"}"#,
                "format",
            ),
        ] {
            assert_eq!(read(param).unwrap_err().field, field, "{param}");
        }
    }
}
