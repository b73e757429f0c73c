//! SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256) as used by the v1 envelope
//! (00-protocol §4, spec README §2 "Signature").
//!
//! Keys travel as text: merchants paste the base64 of a Java `getEncoded()` key (SPKI for public,
//! PKCS#8 for private) or a PEM file, so parsing is forgiving about layout (whitespace, line
//! breaks, PEM armour, `\n` escapes left by env files) but strict about content (RSA only,
//! 2048..=4096 bits).

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::error::KeyRejected;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKey as RsaPublicKey, RsaParameters};
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Accepted modulus sizes. The docs generate 2048-bit keys and the Malaysian copy asks for 4096;
/// 3072 sits between. Below 2048 is no longer safe, above 4096 only costs CPU per request.
pub const MIN_KEY_BITS: usize = 2048;
pub const MAX_KEY_BITS: usize = 4096;

/// Decoding tolerates missing `=` padding: some merchant libraries strip it, and padding carries
/// no information. Encoding always pads (`STANDARD`).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("key text is empty")]
    Empty,
    #[error("key is not valid base64")]
    BadBase64,
    #[error("malformed PEM: {0}")]
    BadPem(&'static str),
    #[error("PEM block is `{found}`, expected {expected}")]
    WrongPemLabel {
        found: String,
        expected: &'static str,
    },
    #[error("encrypted private keys are not supported; export an unencrypted PKCS#8 key")]
    Encrypted,
    #[error("not an RSA key")]
    NotRsa,
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    #[error("RSA key of {0} bits is not supported (2048 to 4096 bits required)")]
    UnsupportedSize(usize),
    #[error("RSA key generation failed")]
    Generation,
}

#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    #[error("signature is empty")]
    Empty,
    #[error("signature is not valid base64")]
    BadBase64,
    #[error("signature does not match")]
    Mismatch,
}

/// An RSA public key, parsed once so per-request verification does no DER work.
/// Cloning is cheap (shared).
#[derive(Clone)]
pub struct PublicKey(Arc<PublicInner>);

struct PublicInner {
    parsed: ParsedPublicKey,
    /// Canonical SubjectPublicKeyInfo DER, whatever form the key was given in.
    spki: Vec<u8>,
    bits: usize,
}

impl PublicKey {
    /// Accepts base64 (standard, whitespace/newlines ignored) of X.509 SubjectPublicKeyInfo DER,
    /// or PEM `-----BEGIN PUBLIC KEY-----`. PKCS#1 `RSAPublicKey` (bare or as
    /// `-----BEGIN RSA PUBLIC KEY-----`) is accepted too, since `openssl rsa -RSAPublicKey_out`
    /// users send it. Must be RSA with a 2048..=4096-bit modulus.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let der = match decode_text(text)? {
            Decoded::Bare(der) => der,
            Decoded::Pem { label, der } => match label.as_str() {
                "PUBLIC KEY" | "RSA PUBLIC KEY" => der,
                _ => return Err(wrong_label(label, "PUBLIC KEY")),
            },
        };
        Self::from_spki_der(&der)
    }

    /// SubjectPublicKeyInfo DER (PKCS#1 `RSAPublicKey` DER also accepted).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        check_single_der_element(der)?;
        let rsa = RsaPublicKey::from_der(der).map_err(key_rejected)?;
        let bits = RsaParameters::public_modulus_len(rsa.as_ref())
            .map_err(|_| KeyError::Malformed("unreadable RSA modulus"))?
            as usize;
        check_bits(bits)?;
        let spki = rsa
            .as_der()
            .map_err(|_| KeyError::Malformed("cannot encode SubjectPublicKeyInfo"))?
            .as_ref()
            .to_vec();
        let parsed =
            ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki).map_err(key_rejected)?;
        Ok(PublicKey(Arc::new(PublicInner { parsed, spki, bits })))
    }

    pub fn bits(&self) -> usize {
        self.0.bits
    }

    /// Canonical SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.0.spki
    }

    /// Single line, no armour: the form merchants exchange (Java `getEncoded()` + base64).
    pub fn to_spki_base64(&self) -> String {
        STANDARD.encode(&self.0.spki)
    }

    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.0.spki)
    }

    /// Lowercase hex SHA-256 of the SPKI DER: a short, stable name for a key in logs and
    /// admin screens, so the key itself need not be printed.
    pub fn fingerprint(&self) -> String {
        hex(digest::digest(&digest::SHA256, &self.0.spki).as_ref())
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 over `message` exactly. `sign_b64` is standard base64; padding
    /// may be omitted and ASCII whitespace (line-wrapped `openssl base64` output) is ignored.
    pub fn verify(&self, message: &[u8], sign_b64: &str) -> Result<(), SignatureError> {
        let compact: Vec<u8> = sign_b64
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if compact.is_empty() {
            return Err(SignatureError::Empty);
        }
        let sig = LENIENT_B64
            .decode(&compact)
            .map_err(|_| SignatureError::BadBase64)?;
        self.0
            .parsed
            .verify_sig(message, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.spki == other.0.spki
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.0.bits)
            .field("sha256", &self.fingerprint())
            .finish()
    }
}

impl std::str::FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::parse(s)
    }
}

/// An RSA private key for signing. `Debug` shows only the size and the public fingerprint.
#[derive(Clone)]
pub struct PrivateKey {
    pair: KeyPair,
    public: PublicKey,
}

impl PrivateKey {
    /// `bits` must be 2048, 3072 or 4096.
    pub fn generate(bits: usize) -> Result<PrivateKey, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => return Err(KeyError::UnsupportedSize(other)),
        };
        let pair = KeyPair::generate(size).map_err(|_| KeyError::Generation)?;
        Self::from_pair(pair)
    }

    /// Base64 PKCS#8 DER (whitespace ignored) or PEM `-----BEGIN PRIVATE KEY-----`. PKCS#1
    /// (`-----BEGIN RSA PRIVATE KEY-----`, or its bare base64) is accepted too: it is what
    /// older `openssl genrsa` writes.
    pub fn parse(text: &str) -> Result<PrivateKey, KeyError> {
        let pair = match decode_text(text)? {
            Decoded::Pem { label, der } => match label.as_str() {
                "PRIVATE KEY" => {
                    KeyPair::from_pkcs8(&der).map_err(|e| private_rejected(e, &der))?
                }
                "RSA PRIVATE KEY" => {
                    KeyPair::from_der(&der).map_err(|e| private_rejected(e, &der))?
                }
                "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
                _ => return Err(wrong_label(label, "PRIVATE KEY")),
            },
            Decoded::Bare(der) => match KeyPair::from_pkcs8(&der) {
                Ok(pair) => pair,
                Err(pkcs8_err) => KeyPair::from_der(&der)
                    // Report the PKCS#8 failure: that is the documented format.
                    .map_err(|_| private_rejected(pkcs8_err, &der))?,
            },
        };
        Self::from_pair(pair)
    }

    fn from_pair(pair: KeyPair) -> Result<PrivateKey, KeyError> {
        // aws-lc allows up to 8192 bits; the size policy is enforced by the public key parse.
        let public = PublicKey::from_spki_der(pair.public_key().as_ref())?;
        Ok(PrivateKey { pair, public })
    }

    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    pub fn to_pkcs8_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.pkcs8_der())
    }

    /// Single-line base64 PKCS#8, the form Java tooling exchanges.
    pub fn to_pkcs8_base64(&self) -> String {
        STANDARD.encode(self.pkcs8_der())
    }

    fn pkcs8_der(&self) -> Vec<u8> {
        self.pair
            .as_der()
            .expect("a key aws-lc parsed or generated can be serialized as PKCS#8")
            .as_ref()
            .to_vec()
    }

    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// RSASSA-PKCS1-v1_5 SHA-256 over `message`, standard padded base64. Deterministic: the
    /// same key and message always give the same signature.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("PKCS#1 v1.5 signing with a validated RSA key does not fail");
        STANDARD.encode(sig)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("public_sha256", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

enum Decoded {
    Bare(Vec<u8>),
    Pem { label: String, der: Vec<u8> },
}

fn decode_text(text: &str) -> Result<Decoded, KeyError> {
    // Keys pasted into env files or JSON often arrive with literal `\n` escapes; a backslash can
    // never be part of base64 or PEM, so unescaping cannot change a valid key.
    let text = text.replace("\\r", "").replace("\\n", "\n");
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if let Some(begin) = text.find("-----BEGIN ") {
        let after_begin = &text[begin + "-----BEGIN ".len()..];
        let label_end = after_begin
            .find("-----")
            .ok_or(KeyError::BadPem("unterminated BEGIN line"))?;
        let label = &after_begin[..label_end];
        let body_and_rest = &after_begin[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let body = &body_and_rest[..body_and_rest
            .find(&end_marker)
            .ok_or(KeyError::BadPem("missing END line matching BEGIN"))?];
        if body.contains(':') {
            // RFC 1421 headers: only legacy encrypted keys (`Proc-Type: 4,ENCRYPTED`) use them.
            return Err(if body.contains("ENCRYPTED") {
                KeyError::Encrypted
            } else {
                KeyError::BadPem("unexpected PEM headers")
            });
        }
        let der = decode_b64(body)?;
        return Ok(Decoded::Pem {
            label: label.to_owned(),
            der,
        });
    }
    decode_b64(text).map(Decoded::Bare)
}

fn decode_b64(text: &str) -> Result<Vec<u8>, KeyError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(KeyError::Empty);
    }
    LENIENT_B64
        .decode(&compact)
        .map_err(|_| KeyError::BadBase64)
}

fn wrong_label(found: String, expected: &'static str) -> KeyError {
    // The label comes from user input; keep it short and printable so an error message can
    // never carry a pasted key.
    let found = if found.len() <= 40
        && found
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
    {
        found
    } else {
        "(unrecognized)".to_owned()
    };
    KeyError::WrongPemLabel { found, expected }
}

fn check_bits(bits: usize) -> Result<(), KeyError> {
    if (MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::UnsupportedSize(bits))
    }
}

fn key_rejected(e: KeyRejected) -> KeyError {
    match e.description_() {
        "WrongAlgorithm" => KeyError::NotRsa,
        "TooSmall" | "TooLarge" => KeyError::Malformed("RSA key size out of range"),
        "InvalidEncoding" => KeyError::Malformed("not a DER-encoded key"),
        _ => KeyError::Malformed("rejected by the RSA key checks"),
    }
}

/// aws-lc refuses keys outside 2048..=8192 bits without saying how big they were; dig the
/// modulus out of the DER so the error can name the size.
fn private_rejected(e: KeyRejected, der: &[u8]) -> KeyError {
    match e.description_() {
        "TooSmall" | "TooLarge" => match der::private_modulus_bits(der) {
            Some(bits) => KeyError::UnsupportedSize(bits),
            None => key_rejected(e),
        },
        _ => key_rejected(e),
    }
}

/// aws-lc's SPKI parser stops after the first DER element; refuse trailing bytes so a key pasted
/// twice or with junk appended is caught instead of silently truncated.
fn check_single_der_element(input: &[u8]) -> Result<(), KeyError> {
    match der::element(input) {
        Some((_, _, [])) => Ok(()),
        Some(_) => Err(KeyError::Malformed("trailing data after the key")),
        None => Err(KeyError::Malformed("not a DER-encoded key")),
    }
}

/// Just enough DER to find an RSA modulus in a private key; everything else is aws-lc's job.
mod der {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;

    /// Splits off one definite-length element: (tag, content, rest).
    pub(super) fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, input) = input.split_first()?;
        let (&first, mut input) = input.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || input.len() < n {
                return None;
            }
            let (len_bytes, rest) = input.split_at(n);
            input = rest;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if input.len() < len {
            return None;
        }
        let (content, rest) = input.split_at(len);
        Some((tag, content, rest))
    }

    fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        match element(input)? {
            (t, content, rest) if t == tag => Some((content, rest)),
            _ => None,
        }
    }

    /// PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    pub(super) fn private_modulus_bits(der: &[u8]) -> Option<usize> {
        let (outer, _) = expect(der, SEQUENCE)?;
        let (_version, rest) = expect(outer, INTEGER)?;
        let rsa_private_key = match element(rest)? {
            // PKCS#8: AlgorithmIdentifier, then the RSAPrivateKey inside an OCTET STRING.
            (SEQUENCE, _, rest) => {
                let (inner, _) = expect(rest, OCTET_STRING)?;
                let (seq, _) = expect(inner, SEQUENCE)?;
                let (_version, rest) = expect(seq, INTEGER)?;
                rest
            }
            // PKCS#1: the modulus follows the version directly.
            (INTEGER, _, _) => rest,
            _ => return None,
        };
        let (modulus, _) = expect(rsa_private_key, INTEGER)?;
        let first_nonzero = modulus.iter().position(|&b| b != 0)?;
        let significant = &modulus[first_nonzero..];
        Some(significant.len() * 8 - significant[0].leading_zeros() as usize)
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so any byte boundary is a char boundary.
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAM: &[u8] = include_bytes!("../testdata/param.json");
    const MERCHANT_KEY: &str = include_str!("../testdata/merchant_2048.key.pem");
    const MERCHANT_PUB_B64: &str = include_str!("../testdata/merchant_2048.pub.b64");
    const MERCHANT_PUB_PEM: &str = include_str!("../testdata/merchant_2048.pub.pem");
    const MERCHANT_PKCS1_KEY: &str = include_str!("../testdata/merchant_2048.pkcs1.key.pem");
    const MERCHANT_PKCS1_PUB: &str = include_str!("../testdata/merchant_2048.pkcs1.pub.pem");
    const MERCHANT_SIG: &str = include_str!("../testdata/param.merchant_2048.sig.b64");
    const WRONG_PUB_B64: &str = include_str!("../testdata/wrong_2048.pub.b64");
    const WRONG_KEY: &str = include_str!("../testdata/wrong_2048.key.pem");
    const RSA3072_KEY: &str = include_str!("../testdata/rsa_3072.key.pem");
    const RSA3072_PUB_B64: &str = include_str!("../testdata/rsa_3072.pub.b64");
    const RSA3072_PUB_PEM: &str = include_str!("../testdata/rsa_3072.pub.pem");
    const RSA3072_SIG: &str = include_str!("../testdata/param.rsa_3072.sig.b64");
    const RSA4096_KEY: &str = include_str!("../testdata/rsa_4096.key.pem");
    const RSA4096_PUB_B64: &str = include_str!("../testdata/rsa_4096.pub.b64");
    const RSA4096_PUB_PEM: &str = include_str!("../testdata/rsa_4096.pub.pem");
    const RSA4096_SIG: &str = include_str!("../testdata/param.rsa_4096.sig.b64");
    const RSA1024_KEY: &str = include_str!("../testdata/rsa_1024.key.pem");
    const RSA1024_PUB_B64: &str = include_str!("../testdata/rsa_1024.pub.b64");
    const RSA1024_PUB_PEM: &str = include_str!("../testdata/rsa_1024.pub.pem");
    const EC_PUB_B64: &str = include_str!("../testdata/ec_p256.pub.b64");

    fn merchant_pub() -> PublicKey {
        PublicKey::parse(MERCHANT_PUB_B64).unwrap()
    }

    #[test]
    fn testdata_param_is_the_raw_escaped_json_text() {
        let text = std::str::from_utf8(PARAM).unwrap();
        assert!(text.contains("José Ñiño 张伟"));
        assert!(text.contains(r#"line\nbreak \"quoted\" \\ back \u00e9"#));
        assert!(!text.ends_with('\n'));
        // Re-serializing changes the bytes; that is why verification must use them verbatim.
        let v: serde_json::Value = serde_json::from_slice(PARAM).unwrap();
        assert_ne!(serde_json::to_vec(&v).unwrap(), PARAM);
    }

    #[test]
    fn openssl_signature_verifies_with_spki_base64_and_pem() {
        let b64 = merchant_pub();
        let pem = PublicKey::parse(MERCHANT_PUB_PEM).unwrap();
        assert_eq!(b64, pem);
        assert_eq!(b64.bits(), 2048);
        b64.verify(PARAM, MERCHANT_SIG).unwrap();
        pem.verify(PARAM, MERCHANT_SIG).unwrap();
    }

    #[test]
    fn pkcs1_public_key_forms_are_accepted_and_normalized() {
        let pkcs1 = PublicKey::parse(MERCHANT_PKCS1_PUB).unwrap();
        assert_eq!(pkcs1, merchant_pub());
        assert_eq!(pkcs1.to_spki_base64(), MERCHANT_PUB_B64);
        pkcs1.verify(PARAM, MERCHANT_SIG).unwrap();
    }

    #[test]
    fn any_changed_byte_in_param_fails() {
        let key = merchant_pub();
        for i in [0, 20, PARAM.len() / 2, PARAM.len() - 1] {
            let mut tampered = PARAM.to_vec();
            tampered[i] ^= 0x01;
            assert_eq!(
                key.verify(&tampered, MERCHANT_SIG),
                Err(SignatureError::Mismatch),
                "byte {i}"
            );
        }
        let mut longer = PARAM.to_vec();
        longer.push(b' ');
        assert_eq!(
            key.verify(&longer, MERCHANT_SIG),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn wrong_key_fails() {
        let wrong = PublicKey::parse(WRONG_PUB_B64).unwrap();
        assert_eq!(
            wrong.verify(PARAM, MERCHANT_SIG),
            Err(SignatureError::Mismatch)
        );
        let forged = PrivateKey::parse(WRONG_KEY).unwrap().sign(PARAM);
        assert_eq!(
            merchant_pub().verify(PARAM, &forged),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_signatures_are_classified() {
        let key = merchant_pub();
        assert_eq!(key.verify(PARAM, ""), Err(SignatureError::Empty));
        assert_eq!(key.verify(PARAM, " \n "), Err(SignatureError::Empty));
        assert_eq!(
            key.verify(PARAM, "not base64!"),
            Err(SignatureError::BadBase64)
        );
        let urlsafe = MERCHANT_SIG.replace('+', "-").replace('/', "_");
        assert_ne!(urlsafe, MERCHANT_SIG, "vector should exercise + or /");
        assert_eq!(key.verify(PARAM, &urlsafe), Err(SignatureError::BadBase64));
        // Valid base64, wrong length for a 2048-bit signature.
        assert_eq!(key.verify(PARAM, "AAAA"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn signature_layout_leniency() {
        let key = merchant_pub();
        let wrapped: String = MERCHANT_SIG
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        key.verify(PARAM, &wrapped).unwrap();
        key.verify(PARAM, MERCHANT_SIG.trim_end_matches('='))
            .unwrap();
    }

    #[test]
    fn private_key_reproduces_openssl_signature_exactly() {
        let key = PrivateKey::parse(MERCHANT_KEY).unwrap();
        assert_eq!(key.sign(PARAM), MERCHANT_SIG);
        assert_eq!(key.public_key(), merchant_pub());
        let pkcs1 = PrivateKey::parse(MERCHANT_PKCS1_KEY).unwrap();
        assert_eq!(pkcs1.sign(PARAM), MERCHANT_SIG);
        // Bare base64 PKCS#8, as Java's getEncoded() gives it.
        let bare = PrivateKey::parse(&key.to_pkcs8_base64()).unwrap();
        assert_eq!(bare.sign(PARAM), MERCHANT_SIG);
    }

    #[test]
    fn larger_keys_verify_their_own_signatures() {
        for (key, pub_b64, pub_pem, sig, bits) in [
            (
                RSA3072_KEY,
                RSA3072_PUB_B64,
                RSA3072_PUB_PEM,
                RSA3072_SIG,
                3072,
            ),
            (
                RSA4096_KEY,
                RSA4096_PUB_B64,
                RSA4096_PUB_PEM,
                RSA4096_SIG,
                4096,
            ),
        ] {
            let public = PublicKey::parse(pub_b64).unwrap();
            assert_eq!(public.bits(), bits);
            assert_eq!(PublicKey::parse(pub_pem).unwrap(), public);
            public.verify(PARAM, sig).unwrap();
            let private = PrivateKey::parse(key).unwrap();
            assert_eq!(private.bits(), bits);
            assert_eq!(private.sign(PARAM), sig);
            assert_eq!(
                merchant_pub().verify(PARAM, sig),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn keys_of_1024_bits_are_rejected() {
        assert_eq!(
            PublicKey::parse(RSA1024_PUB_B64).unwrap_err(),
            KeyError::UnsupportedSize(1024)
        );
        assert_eq!(
            PublicKey::parse(RSA1024_PUB_PEM).unwrap_err(),
            KeyError::UnsupportedSize(1024)
        );
        assert_eq!(
            PrivateKey::parse(RSA1024_KEY).unwrap_err(),
            KeyError::UnsupportedSize(1024)
        );
    }

    #[test]
    fn generated_key_round_trips() {
        let key = PrivateKey::generate(2048).unwrap();
        assert_eq!(key.bits(), 2048);
        let reparsed = PrivateKey::parse(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(reparsed.public_key(), key.public_key());
        let spki = key.public_key().to_spki_base64();
        assert!(!spki.contains(['\n', ' ']));
        // Same prefix as the Java-generated sample in 00-protocol §4.2.
        assert!(spki.starts_with("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"));
        let public = PublicKey::parse(&spki).unwrap();
        assert_eq!(public, key.public_key());
        assert_eq!(PublicKey::parse(&public.to_pem()).unwrap(), public);
        let sig = reparsed.sign(PARAM);
        assert_eq!(sig, key.sign(PARAM));
        public.verify(PARAM, &sig).unwrap();
    }

    #[test]
    fn generate_rejects_other_sizes() {
        assert_eq!(
            PrivateKey::generate(1024).unwrap_err(),
            KeyError::UnsupportedSize(1024)
        );
        assert_eq!(
            PrivateKey::generate(8192).unwrap_err(),
            KeyError::UnsupportedSize(8192)
        );
    }

    #[test]
    fn key_text_layout_is_forgiven() {
        let expected = merchant_pub();
        let wrapped: String = MERCHANT_PUB_B64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        assert_eq!(
            PublicKey::parse(&format!("  {wrapped}\n")).unwrap(),
            expected
        );
        let escaped = MERCHANT_PUB_PEM.replace('\n', "\\n");
        assert_eq!(PublicKey::parse(&escaped).unwrap(), expected);
        assert_eq!(
            PublicKey::parse(MERCHANT_PUB_B64.trim_end_matches('=')).unwrap(),
            expected
        );
        assert_eq!(MERCHANT_PUB_B64.parse::<PublicKey>().unwrap(), expected);
    }

    #[test]
    fn key_errors_are_specific() {
        assert_eq!(PublicKey::parse("").unwrap_err(), KeyError::Empty);
        assert_eq!(PublicKey::parse(" \n").unwrap_err(), KeyError::Empty);
        assert_eq!(PublicKey::parse("%%%").unwrap_err(), KeyError::BadBase64);
        assert_eq!(PublicKey::parse(EC_PUB_B64).unwrap_err(), KeyError::NotRsa);
        assert!(matches!(
            PublicKey::parse(MERCHANT_KEY).unwrap_err(),
            KeyError::WrongPemLabel { ref found, .. } if found == "PRIVATE KEY"
        ));
        assert!(matches!(
            PrivateKey::parse(MERCHANT_PUB_PEM).unwrap_err(),
            KeyError::WrongPemLabel { ref found, .. } if found == "PUBLIC KEY"
        ));
        assert!(matches!(
            PrivateKey::parse(MERCHANT_PUB_B64).unwrap_err(),
            KeyError::Malformed(_)
        ));
        assert_eq!(
            PrivateKey::parse("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
                .unwrap_err(),
            KeyError::Encrypted
        );
        assert!(matches!(
            PublicKey::parse("-----BEGIN PUBLIC KEY-----\nAAAA\n").unwrap_err(),
            KeyError::BadPem(_)
        ));
        let truncated = &MERCHANT_PUB_B64[..200];
        assert!(matches!(
            PublicKey::parse(truncated).unwrap_err(),
            KeyError::Malformed(_) | KeyError::BadBase64
        ));
        let mut doubled = merchant_pub().spki_der().to_vec();
        doubled.extend_from_slice(merchant_pub().spki_der());
        assert_eq!(
            PublicKey::from_spki_der(&doubled).unwrap_err(),
            KeyError::Malformed("trailing data after the key")
        );
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let key = PrivateKey::parse(MERCHANT_KEY).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("2048"), "{debug}");
        let pkcs8 = key.to_pkcs8_base64();
        for window in pkcs8.as_bytes().chunks(16) {
            assert!(!debug.contains(std::str::from_utf8(window).unwrap()));
        }
        let spki = merchant_pub().to_spki_base64();
        assert!(!format!("{:?}", merchant_pub()).contains(&spki[40..60]));
        let err = PublicKey::parse(&format!(
            "-----BEGIN {}-----\nAAAA\n-----END {}-----",
            &spki[..30],
            &spki[..30]
        ))
        .unwrap_err();
        assert!(!err.to_string().contains(&spki[..30]), "{err}");
    }

    #[test]
    fn fingerprint_is_sha256_of_spki() {
        let key = merchant_pub();
        assert_eq!(key.fingerprint().len(), 64);
        assert_ne!(
            key.fingerprint(),
            PublicKey::parse(WRONG_PUB_B64).unwrap().fingerprint()
        );
    }

    #[test]
    fn keys_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<PublicKey>();
        assert_send_sync::<PrivateKey>();
    }
}
