//! Signed, expiring download links: `/reports/{token}`.
//!
//! The token carries everything the file is built from (app, country, type, day, format),
//! its expiry and a nonce, and an HMAC-SHA256 over all of it with the node's report secret. A
//! changed byte or a passed expiry is refused; the app is inside the signed part, so no app
//! can ask for another's data.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use sampan_domain::report::{ReportFormat, ReportSpec, ReportType};
use sampan_domain::Country;

pub struct LinkKey(hmac::Key);

impl LinkKey {
    pub fn new(secret: &[u8]) -> LinkKey {
        LinkKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

/// A verified link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub spec: ReportSpec,
    /// Epoch seconds after which the link answers 403.
    pub expires: i64,
    /// Names the file this link's request builds: unique per link.
    pub file_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed or was altered")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

/// Mints the token of a link for `spec` valid until `expires` (epoch seconds).
pub fn mint(key: &LinkKey, spec: &ReportSpec, expires: i64, nonce: u64) -> String {
    // The app id goes last, so whatever characters it holds cannot shift the other fields.
    let payload = format!(
        "1|{}|{}|{}|{}|{}|{:016x}|{}",
        spec.country.code(),
        spec.kind.as_i64(),
        spec.date.format("%Y-%m-%d"),
        spec.format.as_str(),
        expires,
        nonce,
        spec.app_id
    );
    let encoded = URL_SAFE_NO_PAD.encode(payload.as_bytes());
    let tag = hmac::sign(&key.0, encoded.as_bytes());
    format!("{encoded}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Checks the signature first, then the expiry against `now` (epoch seconds).
pub fn verify(key: &LinkKey, token: &str, now: i64) -> Result<Link, LinkError> {
    let (encoded, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Invalid)?;
    hmac::verify(&key.0, encoded.as_bytes(), &tag).map_err(|_| LinkError::Invalid)?;
    let payload = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| LinkError::Invalid)?;
    let payload = String::from_utf8(payload).map_err(|_| LinkError::Invalid)?;
    let parts: Vec<&str> = payload.splitn(8, '|').collect();
    let [version, country, kind, date, format, expires, _nonce, app_id] = parts[..] else {
        return Err(LinkError::Invalid);
    };
    if version != "1" || app_id.is_empty() {
        return Err(LinkError::Invalid);
    }
    let spec = ReportSpec {
        app_id: app_id.to_string(),
        country: country.parse::<Country>().map_err(|_| LinkError::Invalid)?,
        kind: kind
            .parse::<i64>()
            .ok()
            .and_then(ReportType::from_i64)
            .ok_or(LinkError::Invalid)?,
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| LinkError::Invalid)?,
        format: ReportFormat::parse(format).ok_or(LinkError::Invalid)?,
    };
    let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
    if now >= expires {
        return Err(LinkError::Expired);
    }
    let file_id = tag.iter().take(16).map(|b| format!("{b:02x}")).collect();
    Ok(Link {
        spec,
        expires,
        file_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ReportSpec {
        ReportSpec {
            app_id: "a|b.c".into(),
            country: Country::PH,
            kind: ReportType::Payments,
            date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            format: ReportFormat::Csv,
        }
    }

    #[test]
    fn round_trips_and_refuses_changes_and_age() {
        let key = LinkKey::new(b"secret");
        let token = mint(&key, &spec(), 1_000, 7);
        let link = verify(&key, &token, 999).unwrap();
        assert_eq!(link.spec, spec());
        assert_eq!(link.file_id.len(), 32);
        assert_eq!(verify(&key, &token, 1_000), Err(LinkError::Expired));
        assert_eq!(
            verify(&LinkKey::new(b"other"), &token, 0),
            Err(LinkError::Invalid)
        );
        let mut bytes = token.clone().into_bytes();
        for i in 0..bytes.len() {
            let original = bytes[i];
            bytes[i] = if original == b'A' { b'B' } else { b'A' };
            if bytes[i] != original {
                let altered = String::from_utf8(bytes.clone()).unwrap();
                assert!(verify(&key, &altered, 0).is_err(), "byte {i}");
            }
            bytes[i] = original;
        }
        assert_eq!(verify(&key, "garbage", 0), Err(LinkError::Invalid));
        assert_ne!(mint(&key, &spec(), 1_000, 8), token);
    }
}
