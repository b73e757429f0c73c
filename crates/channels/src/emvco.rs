//! EMVCo merchant-presented QR payloads (EMV QRCPS-MPM) for the national schemes sampan issues:
//! QR Ph (PH), QRIS (ID), DuitNow QR (MY) and Thai QR / PromptPay (TH).
//!
//! Every value we emit is printable ASCII. EMVCo counts TLV lengths in characters, while many
//! scanners count bytes; keeping to ASCII makes both readings agree, so a merchant name with an
//! accent cannot produce a payload that half the wallets reject.

use std::fmt::Write as _;

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0). Check value over
/// "123456789" = 0x29B1.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

// Identifiers the scanning app routes on. The GUIDs/AIDs are the schemes' published ones; the
// acquirer identifiers are placeholders until sampan is onboarded with a real acquirer in each
// country, and a production deployment has to replace them.

/// QR Ph GUID for tag 27 (the P2P template), as in PayMongo's published sample.
pub const QRPH_GUID: &str = "com.p2pqrpay";
/// Placeholder acquirer BIC for QR Ph sub-tag 01.
pub const QRPH_ACQUIRER_BIC: &str = "SMPNPHM2XXX";
/// QRIS national GUID (used in tag 51, and in tag 26 because sampan has no PJSP domain of its own).
pub const QRIS_GUID: &str = "ID.CO.QRIS.WWW";
/// QRIS merchant criteria (sub-tag 03, mandatory): UMI = micro merchant.
pub const QRIS_MERCHANT_CRITERIA: &str = "UMI";
/// PayNet's DuitNow AID (RID A000000615), as found in real DuitNow QR payloads.
pub const DUITNOW_AID: &str = "A0000006150001";
/// Placeholder DuitNow acquirer id (sub-tag 01, 6 digits).
pub const DUITNOW_ACQUIRER_ID: &str = "000000";
/// Thai QR Payment bill-payment AID (tag 30).
pub const PROMPTPAY_BILL_PAYMENT_AID: &str = "A000000677010112";

const MAX_VALUE_LEN: usize = 99;
const MAX_NAME: usize = 25;
const MAX_CITY: usize = 15;
const MAX_REFERENCE: usize = 25;
const MAX_AMOUNT: usize = 13;
// Bounds every merchant-account template well under 99 characters whatever the scheme.
const MAX_MERCHANT_ID: usize = 32;
// Thai QR bill payment: reference 1 is at most 20 upper-case alphanumerics.
const MAX_THAI_REF: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrScheme {
    QrPh,
    Qris,
    DuitNow,
    PromptPay,
}

impl QrScheme {
    /// ISO 3166-1 alpha-2 country code (tag 58).
    pub fn country(self) -> &'static str {
        match self {
            QrScheme::QrPh => "PH",
            QrScheme::Qris => "ID",
            QrScheme::DuitNow => "MY",
            QrScheme::PromptPay => "TH",
        }
    }

    /// ISO 4217 numeric currency code (tag 53).
    pub fn currency_numeric(self) -> &'static str {
        match self {
            QrScheme::QrPh => "608",
            QrScheme::Qris => "360",
            QrScheme::DuitNow => "458",
            QrScheme::PromptPay => "764",
        }
    }

    /// Digits after the decimal point in tag 54; sampan keeps IDR in whole rupiah.
    pub fn decimals(self) -> u32 {
        match self {
            QrScheme::Qris => 0,
            QrScheme::QrPh | QrScheme::DuitNow | QrScheme::PromptPay => 2,
        }
    }

    /// The scheme for an ISO 3166-1 alpha-2 country code, case-insensitively.
    pub fn from_country(country: &str) -> Option<QrScheme> {
        [
            QrScheme::QrPh,
            QrScheme::Qris,
            QrScheme::DuitNow,
            QrScheme::PromptPay,
        ]
        .into_iter()
        .find(|s| s.country().eq_ignore_ascii_case(country))
    }

    /// Merchant-account templates (tags 26-51) for this scheme. `merchant_id` is already cleaned
    /// and non-empty.
    fn account_templates(
        self,
        merchant_id: &str,
        reference: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        match self {
            // Sub-tag 04 is where PayMongo's published QR Ph sample carries the merchant's
            // credit account, which is what the payer's bank needs to route the transfer.
            QrScheme::QrPh => vec![(
                "27",
                [
                    tlv("00", QRPH_GUID),
                    tlv("01", QRPH_ACQUIRER_BIC),
                    tlv("04", merchant_id),
                ]
                .concat(),
            )],
            // Real QRIS codes carry the issuer-side template in 26 and the national one (with the
            // NMID) in 51; wallets look for 51, so both are present.
            QrScheme::Qris => vec![
                (
                    "26",
                    [
                        tlv("00", QRIS_GUID),
                        tlv("01", merchant_id),
                        tlv("03", QRIS_MERCHANT_CRITERIA),
                    ]
                    .concat(),
                ),
                (
                    "51",
                    [
                        tlv("00", QRIS_GUID),
                        tlv("02", merchant_id),
                        tlv("03", QRIS_MERCHANT_CRITERIA),
                    ]
                    .concat(),
                ),
            ],
            QrScheme::DuitNow => vec![(
                "26",
                [
                    tlv("00", DUITNOW_AID),
                    tlv("01", DUITNOW_ACQUIRER_ID),
                    tlv("02", merchant_id),
                ]
                .concat(),
            )],
            // Thai QR *bill payment* (tag 30), not PromptPay credit transfer (tag 29): tag 29 can
            // only name a mobile number, national id or e-wallet id, while a business collects
            // through a biller id plus a reference 1 that the bank echoes back in its settlement
            // report, which is how an order is reconciled. Reference 1 is mandatory, so a static
            // code with no order reference falls back to the merchant id.
            QrScheme::PromptPay => {
                let ref1 = reference
                    .map(thai_reference)
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| thai_reference(merchant_id));
                let mut value = [
                    tlv("00", PROMPTPAY_BILL_PAYMENT_AID),
                    tlv("01", merchant_id),
                ]
                .concat();
                if !ref1.is_empty() {
                    value.push_str(&tlv("02", &ref1));
                }
                vec![("30", value)]
            }
        }
    }
}

pub struct MerchantQr {
    pub scheme: QrScheme,
    /// Some(minor units) → dynamic code (tag 01 = "12", tag 54 present); None → static (tag 01 =
    /// "11", no tag 54).
    pub amount_minor: Option<i64>,
    /// Goes into the scheme's merchant-account template (tags 26-51); max 32 characters.
    pub merchant_id: String,
    /// Tag 59, max 25 characters after ASCII folding.
    pub merchant_name: String,
    /// Tag 60, max 15 characters after ASCII folding.
    pub merchant_city: String,
    /// Tag 52, exactly 4 digits.
    pub mcc: String,
    /// Tag 62 sub-tag 05 (reference label), max 25.
    pub reference: Option<String>,
}

/// Input that cannot be turned into a payload without changing what the payer is asked to pay or
/// whom they pay, so it is refused rather than silently repaired.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    #[error(
        "amount must be positive and at most 13 characters in major units, got {0} minor units"
    )]
    InvalidAmount(i64),
    #[error("merchant category code must be exactly 4 digits, got {0:?}")]
    InvalidMcc(String),
    #[error("merchant id has no characters a QR payload can carry")]
    EmptyMerchantId,
}

impl MerchantQr {
    /// Builds the payload; name, city and reference are ASCII-folded and truncated rather than
    /// refused, because a shortened display name does not change the payment.
    pub fn try_encode(&self) -> Result<String, EncodeError> {
        let amount = self
            .amount_minor
            .map(|minor| {
                format_amount(minor, self.scheme.decimals())
                    .ok_or(EncodeError::InvalidAmount(minor))
            })
            .transpose()?;
        if !(self.mcc.len() == 4 && self.mcc.bytes().all(|b| b.is_ascii_digit())) {
            return Err(EncodeError::InvalidMcc(self.mcc.clone()));
        }
        let merchant_id = ascii_clean(&self.merchant_id, MAX_MERCHANT_ID);
        if merchant_id.is_empty() {
            return Err(EncodeError::EmptyMerchantId);
        }
        let reference = self
            .reference
            .as_deref()
            .map(|r| ascii_clean(r, MAX_REFERENCE))
            .filter(|r| !r.is_empty());
        // EMVCo makes 59 and 60 mandatory with a non-empty value; "NA" is what other issuers
        // use when the name has nothing ASCII-representable (e.g. Thai script only).
        let name = non_empty_or_na(ascii_clean(&self.merchant_name, MAX_NAME));
        let city = non_empty_or_na(ascii_clean(&self.merchant_city, MAX_CITY));

        let mut out = String::with_capacity(256);
        out.push_str(&tlv("00", "01"));
        out.push_str(&tlv("01", if amount.is_some() { "12" } else { "11" }));
        for (tag, value) in self
            .scheme
            .account_templates(&merchant_id, reference.as_deref())
        {
            out.push_str(&tlv(tag, &value));
        }
        out.push_str(&tlv("52", &self.mcc));
        out.push_str(&tlv("53", self.scheme.currency_numeric()));
        if let Some(amount) = &amount {
            out.push_str(&tlv("54", amount));
        }
        out.push_str(&tlv("58", self.scheme.country()));
        out.push_str(&tlv("59", &name));
        out.push_str(&tlv("60", &city));
        if let Some(reference) = &reference {
            out.push_str(&tlv("62", &tlv("05", reference)));
        }
        // The CRC covers its own tag and length, so they go in before it is computed.
        out.push_str("6304");
        let crc = crc16_ccitt_false(out.as_bytes());
        write!(out, "{crc:04X}").expect("writing to a String cannot fail");
        Ok(out)
    }

    /// [`try_encode`](Self::try_encode) for input already validated against the channel catalog.
    ///
    /// # Panics
    /// If `amount_minor` is not positive or too large for tag 54, if `mcc` is not 4 digits, or if
    /// `merchant_id` has no ASCII-representable character.
    pub fn encode(&self) -> String {
        match self.try_encode() {
            Ok(payload) => payload,
            Err(e) => panic!("cannot encode EMVCo QR: {e}"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EmvError {
    #[error("payload ends in the middle of a TLV")]
    Truncated,
    #[error("TLV length is not two decimal digits in 01..=99 (or tag 63 is not 4 long)")]
    BadLength,
    #[error("tag is not two decimal digits, or is out of place (00 not first, 63 not last)")]
    BadTag,
    #[error("payload has no CRC (tag 63)")]
    MissingCrc,
    /// `expected` is the CRC of the payload's contents, `actual` the value tag 63 carries.
    #[error("CRC mismatch: contents hash to {expected}, tag 63 says {actual}")]
    CrcMismatch { expected: String, actual: String },
}

/// Walk the top-level TLVs, verify tag 63 is last and its CRC matches; returns (tag, value) in
/// order, tag 63 included.
///
/// The CRC must be upper-case hex as EMVCo writes it; accepting lower case would let a changed
/// character through unnoticed.
pub fn parse(payload: &str) -> Result<Vec<(String, String)>, EmvError> {
    let entries = walk(payload)?;
    let Some(crc_at) = entries.iter().position(|e| e.tag == "63") else {
        return Err(EmvError::MissingCrc);
    };
    if crc_at != entries.len() - 1 || entries[0].tag != "00" {
        return Err(EmvError::BadTag);
    }
    let crc = &entries[crc_at];
    if crc.value.len() != 4 {
        return Err(EmvError::BadLength);
    }
    let expected = format!(
        "{:04X}",
        crc16_ccitt_false(&payload.as_bytes()[..crc.value_offset])
    );
    if expected != crc.value {
        return Err(EmvError::CrcMismatch {
            expected,
            actual: crc.value.to_string(),
        });
    }
    Ok(entries
        .into_iter()
        .map(|e| (e.tag.to_string(), e.value.to_string()))
        .collect())
}

/// Parse a template value (e.g. tag 26/62 contents) into sub-TLVs.
pub fn parse_template(value: &str) -> Result<Vec<(String, String)>, EmvError> {
    Ok(walk(value)?
        .into_iter()
        .map(|e| (e.tag.to_string(), e.value.to_string()))
        .collect())
}

/// Convenience: find tag value
pub fn field<'a>(fields: &'a [(String, String)], tag: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(t, _)| t == tag)
        .map(|(_, v)| v.as_str())
}

struct Entry<'a> {
    tag: &'a str,
    value: &'a str,
    value_offset: usize,
}

/// Splits `s` into TLVs. Lengths count characters, per EMVCo, so a foreign payload with
/// non-ASCII text (e.g. a tag 64 alternate-language name) is still read correctly.
fn walk(s: &str) -> Result<Vec<Entry<'_>>, EmvError> {
    let mut entries = Vec::new();
    let mut rest = s;
    let mut offset = 0;
    while !rest.is_empty() {
        let (tag, after_tag) = take_two_digits(rest).ok_or(if rest.len() < 2 {
            EmvError::Truncated
        } else {
            EmvError::BadTag
        })?;
        let (len, after_len) = take_two_digits(after_tag).ok_or(if after_tag.len() < 2 {
            EmvError::Truncated
        } else {
            EmvError::BadLength
        })?;
        let len: usize = len.parse().map_err(|_| EmvError::BadLength)?;
        if len == 0 {
            return Err(EmvError::BadLength);
        }
        let value_end = after_len
            .char_indices()
            .nth(len)
            .map(|(i, _)| i)
            .or_else(|| (after_len.chars().count() == len).then_some(after_len.len()))
            .ok_or(EmvError::Truncated)?;
        let value_offset = offset + 4;
        entries.push(Entry {
            tag,
            value: &after_len[..value_end],
            value_offset,
        });
        offset = value_offset + value_end;
        rest = &after_len[value_end..];
    }
    Ok(entries)
}

fn take_two_digits(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit()).then(|| s.split_at(2))
}

/// One TLV. Callers bound every value, so a violation is a bug in this module, and emitting the
/// payload anyway would hand a payer a code their app cannot read.
fn tlv(tag: &str, value: &str) -> String {
    assert!(
        tag.len() == 2 && (1..=MAX_VALUE_LEN).contains(&value.chars().count()),
        "EMVCo TLV {tag} with invalid length {}",
        value.chars().count()
    );
    format!("{tag}{:02}{value}", value.chars().count())
}

/// Minor units to the decimal string of tag 54, or None if it is not a positive amount that fits.
fn format_amount(minor: i64, decimals: u32) -> Option<String> {
    if minor <= 0 {
        return None;
    }
    let s = if decimals == 0 {
        minor.to_string()
    } else {
        let unit = 10i64.pow(decimals);
        format!(
            "{}.{:0width$}",
            minor / unit,
            minor % unit,
            width = decimals as usize
        )
    };
    (s.len() <= MAX_AMOUNT).then_some(s)
}

/// Printable ASCII only: folds the Latin letters common in SEA names (Parañaque, Café), drops
/// the rest, collapses the gaps that leaves, and truncates to `max` characters.
fn ascii_clean(s: &str, max: usize) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_graphic() || c == ' ' {
            folded.push(c);
        } else if c.is_whitespace() {
            folded.push(' ');
        } else if let Some(f) = fold(c) {
            folded.push_str(f);
        }
    }
    let mut out = String::with_capacity(max.min(folded.len()));
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    out.truncate(out.trim_end().len());
    out
}

fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Č' => "C",
        'ç' | 'ć' | 'č' => "c",
        'Ð' | 'Ď' | 'Đ' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È'..='Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'Ì'..='Ï' | 'Ī' | 'İ' => "I",
        'ì'..='ï' | 'ī' | 'ı' => "i",
        'Ł' => "L",
        'ł' => "l",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ñ' | 'ń' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Š' | 'Ś' => "S",
        'š' | 'ś' => "s",
        'ß' => "ss",
        'Ù'..='Ü' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ù'..='ü' | 'ū' | 'ů' | 'ű' => "u",
        'Ý' | 'Ÿ' => "Y",
        'ý' | 'ÿ' => "y",
        'Ž' | 'Ź' | 'Ż' => "Z",
        'ž' | 'ź' | 'ż' => "z",
        '\u{2018}' | '\u{2019}' => "'",
        '\u{201C}' | '\u{201D}' => "\"",
        '\u{2013}' | '\u{2014}' => "-",
        _ => return None,
    })
}

fn non_empty_or_na(s: String) -> String {
    if s.is_empty() {
        "NA".to_string()
    } else {
        s
    }
}

fn thai_reference(s: &str) -> String {
    ascii_clean(s, usize::MAX)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(MAX_THAI_REF)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [QrScheme; 4] = [
        QrScheme::QrPh,
        QrScheme::Qris,
        QrScheme::DuitNow,
        QrScheme::PromptPay,
    ];

    fn qr(scheme: QrScheme, amount_minor: Option<i64>) -> MerchantQr {
        MerchantQr {
            scheme,
            amount_minor,
            merchant_id: "ID1022112233445".into(),
            merchant_name: "Sampan Test Store".into(),
            merchant_city: "Jakarta".into(),
            mcc: "5999".into(),
            reference: Some("ORD20240501A1".into()),
        }
    }

    /// (tag, GUID/AID in sub-tag 00) of each scheme's primary merchant-account template.
    fn template_of(scheme: QrScheme) -> (&'static str, &'static str) {
        match scheme {
            QrScheme::QrPh => ("27", "com.p2pqrpay"),
            QrScheme::Qris => ("51", "ID.CO.QRIS.WWW"),
            QrScheme::DuitNow => ("26", "A0000006150001"),
            QrScheme::PromptPay => ("30", "A000000677010112"),
        }
    }

    fn tags(fields: &[(String, String)]) -> Vec<&str> {
        fields.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn scheme_constants() {
        let expect = [
            (QrScheme::QrPh, "PH", "608", 2),
            (QrScheme::Qris, "ID", "360", 0),
            (QrScheme::DuitNow, "MY", "458", 2),
            (QrScheme::PromptPay, "TH", "764", 2),
        ];
        for (s, country, currency, decimals) in expect {
            assert_eq!(s.country(), country);
            assert_eq!(s.currency_numeric(), currency);
            assert_eq!(s.decimals(), decimals);
            assert_eq!(QrScheme::from_country(&country.to_lowercase()), Some(s));
        }
        assert_eq!(QrScheme::from_country("RU"), None);
    }

    #[test]
    fn every_scheme_static_and_dynamic_round_trips() {
        for scheme in ALL {
            for amount in [None, Some(12345)] {
                let payload = qr(scheme, amount).encode();
                assert!(payload.is_ascii(), "{payload}");
                let f = parse(&payload).unwrap_or_else(|e| panic!("{scheme:?} {payload}: {e}"));
                let t = tags(&f);
                assert_eq!(t.first(), Some(&"00"));
                assert_eq!(t.last(), Some(&"63"));
                assert_eq!(field(&f, "00"), Some("01"));
                assert_eq!(field(&f, "58"), Some(scheme.country()));
                assert_eq!(field(&f, "53"), Some(scheme.currency_numeric()));
                assert_eq!(field(&f, "52"), Some("5999"));
                assert_eq!(field(&f, "59"), Some("Sampan Test Store"));
                assert_eq!(field(&f, "60"), Some("Jakarta"));
                match amount {
                    None => {
                        assert_eq!(field(&f, "01"), Some("11"));
                        assert_eq!(field(&f, "54"), None);
                    }
                    Some(_) => {
                        assert_eq!(field(&f, "01"), Some("12"));
                        let want = if scheme == QrScheme::Qris {
                            "12345"
                        } else {
                            "123.45"
                        };
                        assert_eq!(field(&f, "54"), Some(want));
                    }
                }
                let add = parse_template(field(&f, "62").unwrap()).unwrap();
                assert_eq!(field(&add, "05"), Some("ORD20240501A1"));

                let (tag, guid) = template_of(scheme);
                let acct = parse_template(field(&f, tag).unwrap()).unwrap();
                assert_eq!(field(&acct, "00"), Some(guid));
                assert!(acct.iter().any(|(_, v)| v == "ID1022112233445"));

                // EMVCo order: 00, 01, templates, 52, 53, [54], 58, 59, 60, 62, 63.
                let pos = |x: &str| t.iter().position(|y| *y == x).unwrap();
                assert!(pos("01") < pos(tag) && pos(tag) < pos("52"));
                assert!(pos("53") < pos("58") && pos("60") < pos("62") && pos("62") < pos("63"));
            }
        }
    }

    #[test]
    fn template_details() {
        let f = parse(&qr(QrScheme::Qris, None).encode()).unwrap();
        let t26 = parse_template(field(&f, "26").unwrap()).unwrap();
        assert_eq!(field(&t26, "00"), Some("ID.CO.QRIS.WWW"));
        assert_eq!(field(&t26, "01"), Some("ID1022112233445"));
        assert_eq!(field(&t26, "03"), Some("UMI"));
        let t51 = parse_template(field(&f, "51").unwrap()).unwrap();
        assert_eq!(field(&t51, "02"), Some("ID1022112233445"));

        let f = parse(&qr(QrScheme::QrPh, None).encode()).unwrap();
        let t27 = parse_template(field(&f, "27").unwrap()).unwrap();
        assert_eq!(field(&t27, "01"), Some(QRPH_ACQUIRER_BIC));
        assert_eq!(field(&t27, "04"), Some("ID1022112233445"));

        let f = parse(&qr(QrScheme::DuitNow, None).encode()).unwrap();
        let t26 = parse_template(field(&f, "26").unwrap()).unwrap();
        assert_eq!(field(&t26, "01"), Some(DUITNOW_ACQUIRER_ID));
        assert_eq!(field(&t26, "02"), Some("ID1022112233445"));

        // Thai reference 1 is the order reference, upper-cased alphanumerics...
        let mut q = qr(QrScheme::PromptPay, Some(100));
        q.reference = Some("ord-2024/05 x".into());
        let f = parse(&q.encode()).unwrap();
        let t30 = parse_template(field(&f, "30").unwrap()).unwrap();
        assert_eq!(field(&t30, "01"), Some("ID1022112233445"));
        assert_eq!(field(&t30, "02"), Some("ORD202405X"));
        assert_eq!(field(&f, "54"), Some("1.00"));
        // ...and the merchant id when a static code has no order reference.
        q.reference = None;
        let f = parse(&q.encode()).unwrap();
        let t30 = parse_template(field(&f, "30").unwrap()).unwrap();
        assert_eq!(field(&t30, "02"), Some("ID1022112233445"));
        assert_eq!(field(&f, "62"), None);
    }

    #[test]
    fn amounts_in_major_units() {
        assert_eq!(format_amount(12345, 2).as_deref(), Some("123.45"));
        assert_eq!(format_amount(5, 2).as_deref(), Some("0.05"));
        assert_eq!(format_amount(100, 2).as_deref(), Some("1.00"));
        assert_eq!(format_amount(150000, 0).as_deref(), Some("150000"));
        assert_eq!(
            format_amount(999_999_999_999, 2).as_deref(),
            Some("9999999999.99")
        );
        assert_eq!(format_amount(9_999_999_999_999, 2), None);
        assert_eq!(format_amount(0, 2), None);
        assert_eq!(format_amount(-100, 0), None);

        let mut q = qr(QrScheme::Qris, Some(150000));
        let f = parse(&q.encode()).unwrap();
        assert_eq!(field(&f, "54"), Some("150000"));
        q.amount_minor = Some(0);
        assert_eq!(q.try_encode(), Err(EncodeError::InvalidAmount(0)));
        q.amount_minor = Some(i64::MAX);
        assert_eq!(q.try_encode(), Err(EncodeError::InvalidAmount(i64::MAX)));
    }

    #[test]
    fn refuses_bad_mcc_and_empty_merchant_id() {
        let mut q = qr(QrScheme::QrPh, None);
        q.mcc = "59a9".into();
        assert_eq!(q.try_encode(), Err(EncodeError::InvalidMcc("59a9".into())));
        q.mcc = "599".into();
        assert!(matches!(q.try_encode(), Err(EncodeError::InvalidMcc(_))));
        let mut q = qr(QrScheme::QrPh, None);
        q.merchant_id = "ร้าน".into();
        assert_eq!(q.try_encode(), Err(EncodeError::EmptyMerchantId));
    }

    #[test]
    #[should_panic(expected = "cannot encode EMVCo QR")]
    fn encode_panics_on_invalid_amount() {
        qr(QrScheme::QrPh, Some(-1)).encode();
    }

    #[test]
    fn flipping_any_character_breaks_parse() {
        let replacements: Vec<char> = ('0'..='9')
            .chain('A'..='Z')
            .chain('a'..='z')
            .chain(" .-*".chars())
            .collect();
        for scheme in ALL {
            for amount in [None, Some(2_500_000)] {
                let payload = qr(scheme, amount).encode();
                let chars: Vec<char> = payload.chars().collect();
                for i in 0..chars.len() {
                    for &r in replacements.iter().filter(|&&r| r != chars[i]) {
                        let mut c = chars.clone();
                        c[i] = r;
                        let bad: String = c.into_iter().collect();
                        assert!(parse(&bad).is_err(), "accepted {bad} (from {payload})");
                    }
                }
                // Dropping or duplicating a character must fail too.
                for i in 0..chars.len() {
                    let mut c = chars.clone();
                    c.remove(i);
                    assert!(parse(&c.iter().collect::<String>()).is_err());
                }
            }
        }
    }

    #[test]
    fn non_ascii_values_are_folded_so_lengths_are_exact() {
        let mut q = qr(QrScheme::QrPh, Some(100));
        q.merchant_name = "Café Niño — Parañaque Bakeshop".into();
        q.merchant_city = "Parañaque City\tMetro".into();
        q.reference = Some("réf№ 42".into());
        let payload = q.encode();
        assert!(payload.is_ascii());
        let f = parse(&payload).unwrap();
        assert_eq!(field(&f, "59"), Some("Cafe Nino - Paranaque Bak"));
        assert_eq!(field(&f, "60"), Some("Paranaque City"));
        let add = parse_template(field(&f, "62").unwrap()).unwrap();
        assert_eq!(field(&add, "05"), Some("ref 42"));
        // The length digits on the wire are the byte (= character) count of the value.
        let name = field(&f, "59").unwrap();
        assert!(payload.contains(&format!("59{:02}{name}60", name.len())));

        // A name with nothing representable still yields a readable payload.
        q.merchant_name = "ร้านกาแฟ".into();
        q.merchant_city = "กรุงเทพ".into();
        let f = parse(&q.encode()).unwrap();
        assert_eq!(field(&f, "59"), Some("NA"));
        assert_eq!(field(&f, "60"), Some("NA"));
    }

    #[test]
    fn oversized_inputs_are_truncated_never_mis_lengthed() {
        let long = "X".repeat(500);
        for scheme in ALL {
            let q = MerchantQr {
                scheme,
                amount_minor: Some(999_999_999_999),
                merchant_id: long.clone(),
                merchant_name: long.clone(),
                merchant_city: long.clone(),
                mcc: "5999".into(),
                reference: Some(long.clone()),
            };
            let payload = q.try_encode().unwrap();
            let f = parse(&payload).unwrap();
            assert_eq!(field(&f, "59").unwrap().len(), MAX_NAME);
            assert_eq!(field(&f, "60").unwrap().len(), MAX_CITY);
            let add = parse_template(field(&f, "62").unwrap()).unwrap();
            assert_eq!(field(&add, "05").unwrap().len(), MAX_REFERENCE);
            for (tag, value) in &f {
                assert!(value.len() <= 99, "{tag}");
                if ("26"..="51").contains(&tag.as_str()) {
                    let sub = parse_template(value).unwrap();
                    assert!(sub
                        .iter()
                        .any(|(_, v)| v.len() == MAX_MERCHANT_ID || v.len() == MAX_THAI_REF));
                }
            }
        }
    }

    #[test]
    fn parse_errors() {
        assert_eq!(parse(""), Err(EmvError::MissingCrc));
        assert_eq!(parse("000201"), Err(EmvError::MissingCrc));
        assert_eq!(parse("0002010"), Err(EmvError::Truncated));
        assert_eq!(parse("000201010"), Err(EmvError::Truncated));
        assert_eq!(parse("00020101021"), Err(EmvError::Truncated));
        assert_eq!(parse("0002A"), Err(EmvError::Truncated));
        assert_eq!(parse("00AB01"), Err(EmvError::BadLength));
        assert_eq!(parse("000201010011"), Err(EmvError::BadLength));
        assert_eq!(parse("0002010A0211"), Err(EmvError::BadTag));

        let good = qr(QrScheme::Qris, Some(10_000)).encode();
        // Tag 63 not last.
        assert_eq!(parse(&format!("{good}010211")), Err(EmvError::BadTag));
        // First tag not 00.
        let body = &good[6..good.len() - 4];
        let crc = crc16_ccitt_false(body.as_bytes());
        assert_eq!(parse(&format!("{body}{crc:04X}")), Err(EmvError::BadTag));
        // Lower-case CRC is refused, and the error names both values.
        let lower = good.to_ascii_lowercase();
        let lower = format!("{}{}", &good[..good.len() - 4], &lower[lower.len() - 4..]);
        if lower != good {
            assert!(matches!(parse(&lower), Err(EmvError::CrcMismatch { .. })));
        }
        let mut wrong = good.clone();
        wrong.replace_range(good.len() - 4.., "0000");
        let Err(EmvError::CrcMismatch { expected, actual }) = parse(&wrong) else {
            panic!("expected a CRC mismatch")
        };
        assert_eq!(expected, &good[good.len() - 4..]);
        assert_eq!(actual, "0000");
        // Tag 63 with a length other than 4.
        let short = &good[..good.len() - 8];
        assert_eq!(parse(&format!("{short}6303ABC")), Err(EmvError::BadLength));

        assert_eq!(parse_template("0005abc"), Err(EmvError::Truncated));
        assert_eq!(
            parse_template("0003abc0102xy").unwrap(),
            vec![("00".into(), "abc".into()), ("01".into(), "xy".into())]
        );
    }

    #[test]
    fn non_ascii_lengths_count_characters_when_parsing() {
        // Foreign payloads may carry non-ASCII text legitimately, e.g. a tag 64 alternate-language
        // name; "ก้าน" is 4 characters but 12 bytes.
        let t64 = [tlv("00", "TH"), tlv("01", "ก้าน")].concat();
        assert_eq!(t64, "0002TH0104ก้าน");
        let mut payload = [tlv("00", "01"), tlv("01", "11"), tlv("64", &t64)].concat();
        payload.push_str("6304");
        let crc = crc16_ccitt_false(payload.as_bytes());
        write!(payload, "{crc:04X}").unwrap();
        let f = parse(&payload).unwrap();
        let t = parse_template(field(&f, "64").unwrap()).unwrap();
        assert_eq!(field(&t, "01"), Some("ก้าน"));
    }

    /// QR Ph sample published in PayMongo's API reference ("QR Transfer resource",
    /// developers.paymongo.com/reference/qr-transfer-resource).
    const PAYMONGO_QRPH: &str = "00020101021227770012com.p2pqrpay0111PAEYPHM2XXX02089996440304129858893861530514+63-99137298615204601653036085406123.455802PH5913ENG-19818-ged6006Manila62980012com.p2pqrpay0103***0214+63-99137298620303***0408LOYALTY10506test120605cust10708123456780803***6304ED03";

    /// Static QRIS sample from the README of the npm package @terryds/qris-decoder.
    const TERRYDS_QRIS: &str = "00020101021126680016ID.CO.TELKOM.WWW011893600898026635207502150001952663520750303UMI51440014ID.CO.QRIS.WWW0215ID10211254059720303UMI5204549953033605502015802ID5906BIOLBE6011KAB. MALANG610565168622005091147938120703A03630404CB";

    /// Dynamic PromptPay credit-transfer (tag 29) code captured in a public repository
    /// (dictotal/pay, src/platform/PAY/v-go/data.js); its tags are not in EMVCo's usual order.
    const PUBLIC_PROMPTPAY: &str =
        "00020101021153037645802TH29370016A0000006770101110113006681017332754074999.9963040154";

    #[test]
    fn published_samples_parse_and_crc_checks() {
        let f = parse(PAYMONGO_QRPH).unwrap();
        assert_eq!(field(&f, "01"), Some("12"));
        assert_eq!(field(&f, "54"), Some("123.45"));
        assert_eq!(field(&f, "58"), Some("PH"));
        assert_eq!(field(&f, "63"), Some("ED03"));
        let t27 = parse_template(field(&f, "27").unwrap()).unwrap();
        assert_eq!(field(&t27, "00"), Some("com.p2pqrpay"));
        assert_eq!(field(&t27, "04"), Some("985889386153"));
        let t62 = parse_template(field(&f, "62").unwrap()).unwrap();
        assert_eq!(field(&t62, "05"), Some("test12"));

        let f = parse(TERRYDS_QRIS).unwrap();
        assert_eq!(field(&f, "01"), Some("11"));
        assert_eq!(field(&f, "53"), Some("360"));
        assert_eq!(field(&f, "54"), None);
        assert_eq!(field(&f, "60"), Some("KAB. MALANG"));
        let t51 = parse_template(field(&f, "51").unwrap()).unwrap();
        assert_eq!(field(&t51, "00"), Some("ID.CO.QRIS.WWW"));
        assert_eq!(field(&t51, "02"), Some("ID1021125405972"));
        let t62 = parse_template(field(&f, "62").unwrap()).unwrap();
        assert_eq!(field(&t62, "05"), Some("114793812"));

        let f = parse(PUBLIC_PROMPTPAY).unwrap();
        assert_eq!(field(&f, "53"), Some("764"));
        assert_eq!(field(&f, "58"), Some("TH"));
        assert_eq!(field(&f, "54"), Some("4999.99"));
        let t29 = parse_template(field(&f, "29").unwrap()).unwrap();
        assert_eq!(field(&t29, "00"), Some("A000000677010111"));
        assert_eq!(field(&t29, "01"), Some("0066810173327"));

        for sample in [PAYMONGO_QRPH, TERRYDS_QRIS, PUBLIC_PROMPTPAY] {
            let mut bad = sample.to_string();
            bad.replace_range(10..11, if &sample[10..11] == "1" { "2" } else { "1" });
            assert!(parse(&bad).is_err());
        }
    }
}
