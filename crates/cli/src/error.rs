//! The one error type of the CLI: every failure is printed as `error: …` and exits 1.

use sampan_server::config::ConfigError;
use sampan_server::keys::KeyFileError;
use sampan_server::ops::OpsError;
use sampan_server::StartError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Start(#[from] StartError),
    #[error("{0}")]
    Ops(#[from] OpsError),
    #[error("database: {0}")]
    Store(#[from] sampan_domain::StoreError),
    #[error("{0}")]
    KeyFile(#[from] KeyFileError),
    #[error("{what}: {source}")]
    Key {
        what: String,
        source: sampan_protocol::KeyError,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Client(#[from] sampan_client::ClientError),
    #[error("cannot reach the gateway at {url} ({reason}); start it first with `sampan serve`")]
    Unreachable { url: String, reason: String },
    /// Wrong or missing input the parser could not catch.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> CliError {
        CliError::Io {
            path: path.to_string(),
            source,
        }
    }

    pub fn key(what: impl Into<String>, source: sampan_protocol::KeyError) -> CliError {
        CliError::Key {
            what: what.into(),
            source,
        }
    }
}

pub type CliResult<T = std::process::ExitCode> = Result<T, CliError>;
