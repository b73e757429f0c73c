//! Virtual-account and over-the-counter reference numbers that look like the bank's own.
//!
//! Every number ends in a Luhn check digit so that a payer who mistypes one digit at an ATM or a
//! cashier is refused up front instead of paying into a number nobody reconciles. The random part
//! is not guaranteed unique: with ~10^10 values per channel a collision among open orders is rare
//! but possible, so the caller must enforce "unique while the order is open" in storage and
//! generate again on conflict.

use rand::Rng;

/// How a channel's numbers look: a fixed prefix, then digits up to `len` characters in total, the
/// last one a Luhn check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaFormat {
    pub prefix: &'static str,
    pub len: usize,
}

impl VaFormat {
    /// Where the Luhn-checked digits start: after the last non-digit of the prefix, so a letter
    /// prefix ("7E") is not part of the check while a numeric bank prefix is, which catches typos
    /// in the prefix as well.
    fn check_start(self) -> usize {
        self.prefix
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1)
    }
}

/// The prefixes are project-defined (modelled on each bank's real layout: company or client code
/// followed by a customer number) and kept in this one table so operators have one place to
/// change them.
const FORMATS: &[(&str, VaFormat)] = &[
    // BCA: 5-digit company code + 11-digit customer number.
    ("ID_BCA_VA", fmt("39358", 16)),
    // BNI: "8" + 3-digit client prefix + 12 digits.
    ("ID_BNI_VA", fmt("8988", 16)),
    ("ID_BRI_VA", fmt("26215", 16)),
    ("ID_MANDIRI_VA", fmt("89608", 16)),
    ("ID_PERMATA_VA", fmt("8625", 16)),
    ("ID_CIMB_VA", fmt("5919", 16)),
    ("ID_ALFAMART_VA", fmt("319", 16)),
    ("ID_INDOMARET_VA", fmt("800", 16)),
    ("PH_INSTAPAY_VA", fmt("7788", 16)),
    ("PH_INSTAPAY_STATIC_VA", fmt("7788", 16)),
    ("PH_7ELEVEN_VA", fmt("7E", 13)),
    ("PH_7ELEVEN_STATIC_VA", fmt("7E", 13)),
];

/// Channels not in the table still get a number, in a range no bank prefix above uses.
const FALLBACK: VaFormat = fmt("99", 16);

const fn fmt(prefix: &'static str, len: usize) -> VaFormat {
    VaFormat { prefix, len }
}

/// The number layout for a channel code (case-insensitive); unknown codes get `"99"` + 14 digits.
pub fn format_for(channel_code: &str) -> VaFormat {
    FORMATS
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(channel_code))
        .map_or(FALLBACK, |&(_, f)| f)
}

/// A number that looks like the bank's own for this channel code: bank prefix + random digits +
/// Luhn check digit.
pub fn generate<R: Rng + ?Sized>(channel_code: &str, rng: &mut R) -> String {
    let f = format_for(channel_code);
    let mut number = String::with_capacity(f.len);
    number.push_str(f.prefix);
    while number.len() < f.len - 1 {
        number.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    let check = luhn_check_digit(&number[f.check_start()..])
        .expect("prefix tail and random part are digits");
    number.push(check);
    number
}

/// Checks prefix, length and check digit for this channel code.
pub fn is_well_formed(channel_code: &str, number: &str) -> bool {
    let f = format_for(channel_code);
    number.len() == f.len
        && number.starts_with(f.prefix)
        && number[f.prefix.len()..].bytes().all(|b| b.is_ascii_digit())
        && luhn_valid(&number[f.check_start()..])
}

/// The Luhn digit to append to `digits`, or None if `digits` is empty or not all ASCII digits.
pub fn luhn_check_digit(digits: &str) -> Option<char> {
    let sum = luhn_sum(digits, true)?;
    Some(char::from(b'0' + ((10 - sum % 10) % 10) as u8))
}

/// Whether `digits` (check digit last) passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    digits.len() >= 2 && luhn_sum(digits, false).is_some_and(|s| s % 10 == 0)
}

/// Luhn sum, doubling every second digit from the right; `double_first` says whether the
/// rightmost digit is doubled, which it is when the check digit is still to be appended.
fn luhn_sum(digits: &str, double_first: bool) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(b - b'0');
        if (i % 2 == 0) == double_first {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    /// Written out independently of FORMATS, from the channel brief.
    const EXPECTED: &[(&str, &str, usize)] = &[
        ("ID_BCA_VA", "39358", 16),
        ("ID_BNI_VA", "8988", 16),
        ("ID_BRI_VA", "26215", 16),
        ("ID_MANDIRI_VA", "89608", 16),
        ("ID_PERMATA_VA", "8625", 16),
        ("ID_CIMB_VA", "5919", 16),
        ("ID_ALFAMART_VA", "319", 16),
        ("ID_INDOMARET_VA", "800", 16),
        ("PH_INSTAPAY_VA", "7788", 16),
        ("PH_INSTAPAY_STATIC_VA", "7788", 16),
        ("PH_7ELEVEN_VA", "7E", 13),
        ("PH_7ELEVEN_STATIC_VA", "7E", 13),
        ("XX_UNKNOWN_VA", "99", 16),
        ("", "99", 16),
    ];

    #[test]
    fn luhn_reference_values() {
        // The classic example: 7992739871 + check digit 3.
        assert_eq!(luhn_check_digit("7992739871"), Some('3'));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("4111111111111111"));
        assert_eq!(luhn_check_digit("0"), Some('0'));
        assert_eq!(luhn_check_digit(""), None);
        assert_eq!(luhn_check_digit("12a"), None);
        assert!(!luhn_valid("0"));
    }

    #[test]
    fn every_channel_has_its_prefix_length_and_check_digit() {
        let mut rng = StdRng::seed_from_u64(1);
        for &(code, prefix, len) in EXPECTED {
            assert_eq!(format_for(code), VaFormat { prefix, len }, "{code}");
            for _ in 0..200 {
                let n = generate(code, &mut rng);
                assert_eq!(n.len(), len, "{code} {n}");
                assert!(n.starts_with(prefix), "{code} {n}");
                assert!(n[prefix.len()..].bytes().all(|b| b.is_ascii_digit()));
                assert!(is_well_formed(code, &n), "{code} {n}");
            }
        }
        // Codes are matched case-insensitively, and a number is tied to its channel.
        let n = generate("id_bca_va", &mut rng);
        assert!(n.starts_with("39358") && is_well_formed("ID_BCA_VA", &n));
        assert!(!is_well_formed("ID_BRI_VA", &n));
    }

    #[test]
    fn seven_eleven_check_digit_covers_the_digits_only() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = generate("PH_7ELEVEN_VA", &mut rng);
        assert!(luhn_valid(&n[2..]));
        let numeric = generate("ID_BCA_VA", &mut rng);
        assert!(luhn_valid(&numeric));
    }

    #[test]
    fn any_single_character_change_is_rejected() {
        let mut rng = StdRng::seed_from_u64(2);
        for &(code, _, _) in EXPECTED {
            for _ in 0..20 {
                let n = generate(code, &mut rng);
                for i in 0..n.len() {
                    for r in ('0'..='9').chain(['E', 'X', ' ']) {
                        if n[i..].starts_with(r) {
                            continue;
                        }
                        let mut bad = n.clone();
                        bad.replace_range(i..=i, r.encode_utf8(&mut [0; 4]));
                        assert!(!is_well_formed(code, &bad), "{code}: {n} -> {bad}");
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_length_or_characters_are_rejected() {
        let mut rng = StdRng::seed_from_u64(3);
        let n = generate("ID_BNI_VA", &mut rng);
        assert!(!is_well_formed("ID_BNI_VA", &n[..15]));
        assert!(!is_well_formed("ID_BNI_VA", &format!("{n}0")));
        assert!(!is_well_formed("ID_BNI_VA", ""));
        assert!(!is_well_formed("ID_BNI_VA", &format!("{}é", &n[..14])));
        assert!(!is_well_formed("PH_7ELEVEN_VA", "7E"));
        assert!(!is_well_formed("PH_7ELEVEN_VA", "7e1234567890"));
    }

    #[test]
    fn ten_thousand_numbers_are_distinct() {
        // The smallest random space in the table (10 digits after BCA's 5-digit prefix).
        let mut rng = StdRng::seed_from_u64(4);
        let set: HashSet<String> = (0..10_000)
            .map(|_| generate("ID_BCA_VA", &mut rng))
            .collect();
        assert_eq!(set.len(), 10_000);
        // Works through a trait object too, as the signature promises.
        let dyn_rng: &mut dyn rand::RngCore = &mut rng;
        assert!(is_well_formed("ID_BCA_VA", &generate("ID_BCA_VA", dyn_rng)));
    }
}
