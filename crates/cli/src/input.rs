//! Parsing of the free-form things users type: keys given as a file or as text, countries given
//! as a code or a path slug, JSON to print.

use crate::error::CliError;
use sampan_domain::Country;
use sampan_protocol::{PrivateKey, PublicKey};
use std::path::Path;

/// Key text is at least this long (a 2048-bit SPKI is ~390 base64 characters); anything shorter
/// that is not an existing file is taken for a mistyped path.
const MIN_KEY_TEXT: usize = 200;

/// The text of a key given either as a path to a file or as the key itself (PEM or base64).
pub fn key_text(arg: &str) -> Result<String, CliError> {
    let path = Path::new(arg);
    if path.is_file() {
        return std::fs::read_to_string(path).map_err(|e| CliError::io(path.display(), e));
    }
    let text = arg.trim();
    if text.contains("-----BEGIN") || text.len() >= MIN_KEY_TEXT {
        Ok(text.to_string())
    } else {
        Err(CliError::usage(format!(
            "{arg}: no such file (give a key file, or the key itself as PEM or base64)"
        )))
    }
}

/// A public key given as a file or text. A private key is accepted too (its public half is
/// used), so the platform key file of a local gateway works as is.
pub fn public_key(arg: &str, what: &str) -> Result<PublicKey, CliError> {
    let text = key_text(arg)?;
    match PublicKey::parse(&text) {
        Ok(key) => Ok(key),
        Err(public_err) => match PrivateKey::parse(&text) {
            Ok(private) => Ok(private.public_key()),
            Err(_) => Err(CliError::key(what, public_err)),
        },
    }
}

/// A merchant private key file (PEM or base64 PKCS#8/PKCS#1).
pub fn private_key_file(path: &Path) -> Result<PrivateKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path.display(), e))?;
    PrivateKey::parse(&text).map_err(|e| CliError::key(path.display().to_string(), e))
}

/// `PH`, `ph` or `philippines`.
pub fn country(arg: &str) -> Result<Country, CliError> {
    let text = arg.trim();
    Country::from_slug(&text.to_ascii_lowercase())
        .or_else(|| text.to_ascii_uppercase().parse().ok())
        .ok_or_else(|| {
            let known: Vec<String> = Country::ALL
                .iter()
                .map(|c| format!("{} ({})", c.code(), c.slug()))
                .collect();
            CliError::usage(format!(
                "unknown country {arg:?}; one of {}",
                known.join(", ")
            ))
        })
}

/// A comma-separated list; blanks dropped, so `""` is the empty list.
pub fn list(arg: &str) -> Vec<String> {
    arg.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::usage(format!("cannot render JSON: {e}")))?;
    outln!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_code_or_slug() {
        assert_eq!(country("PH").unwrap(), Country::PH);
        assert_eq!(country("ph").unwrap(), Country::PH);
        assert_eq!(country("Indonesia").unwrap(), Country::ID);
        assert!(country("XX").is_err());
    }

    #[test]
    fn lists_drop_blanks() {
        assert_eq!(list("a, b,,"), vec!["a", "b"]);
        assert!(list("").is_empty());
    }

    #[test]
    fn short_missing_paths_are_not_keys() {
        assert!(key_text("./missing.pem").is_err());
        assert!(key_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_ok());
    }
}
