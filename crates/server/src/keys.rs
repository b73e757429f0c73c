//! The platform key pair and the admin token, created on first start in the data directory.

use sampan_protocol::PrivateKey;
use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Loads the platform key from `path`, generating it (mode 0600) when the file is missing.
pub fn load_or_create_platform_key(path: &Path) -> Result<PrivateKey, KeyFileError> {
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(io_error(path))?;
        return PrivateKey::parse(&text).map_err(|e| KeyFileError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        });
    }
    let key = PrivateKey::generate(2048).map_err(|e| KeyFileError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_secret(path, &key.to_pkcs8_pem())?;
    tracing::info!(path = %path.display(), "generated the platform key pair");
    Ok(key)
}

/// Reads the admin token from `path`, generating a random one when missing.
pub fn load_or_create_token(path: &Path) -> Result<String, KeyFileError> {
    if path.exists() {
        let token = std::fs::read_to_string(path).map_err(io_error(path))?;
        return Ok(token.trim().to_string());
    }
    use rand::Rng;
    let bytes: [u8; 24] = rand::thread_rng().gen();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_secret(path, &token)?;
    Ok(token)
}

/// Writes a file only its owner can read.
pub fn write_secret(path: &Path, contents: &str) -> Result<(), KeyFileError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(contents.as_bytes()).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/platform_key.pem");
        let first = load_or_create_platform_key(&path).unwrap();
        let again = load_or_create_platform_key(&path).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let token = load_or_create_token(&dir.path().join("admin_token")).unwrap();
        assert_eq!(token.len(), 48);
        assert_eq!(
            load_or_create_token(&dir.path().join("admin_token")).unwrap(),
            token
        );
    }
}
