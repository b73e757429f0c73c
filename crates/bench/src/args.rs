//! Command line.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// Measures sampan's create-payment path (POST /open-api/philippines/payment/generate,
/// channel PH_GCASH_URL) or, with `--kind payout`, its create-payout path
/// (POST /open-api/philippines/disbursement/transfer, BANK/BDO) over real HTTP with pre-signed
/// requests.
///
/// Without `--target` it starts a gateway in this process on 127.0.0.1 with a temporary data
/// directory and a fresh database, creates an app and benchmarks that.
#[derive(Debug, Parser)]
#[command(name = "sampan-bench", version)]
pub struct Args {
    /// Measured requests (each a distinct mchOrderId).
    #[arg(short = 'n', long = "requests", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub requests: u32,

    /// Concurrent workers, each with at most one request in flight.
    #[arg(short = 'c', long, default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,

    /// Requests sent before the measurement (not measured; they also open the connections).
    #[arg(long, default_value_t = 200)]
    pub warmup: u32,

    /// Store of the self-hosted gateway (default sqlite, a temporary file; postgres without
    /// `--database-url` uses SAMPAN_TEST_PG_URL or a private throwaway cluster).
    #[arg(long, value_enum)]
    pub database: Option<Backend>,

    /// Database of the self-hosted gateway (`postgres://…` or `sqlite://…`).
    #[arg(long, conflicts_with = "target")]
    pub database_url: Option<String>,

    /// Base URL of an external running gateway; needs `--app-id` and `--key`.
    #[arg(long, requires_all = ["app_id", "key"], conflicts_with = "database")]
    pub target: Option<String>,

    /// App of the external gateway (the app must exist and allow PH_GCASH_URL).
    #[arg(long, requires = "target")]
    pub app_id: Option<String>,

    /// The app's private key (PKCS#8 PEM or base64 DER) for `--target`.
    #[arg(long, requires = "target")]
    pub key: Option<PathBuf>,

    /// What to create: dynamic payments, or payouts (each freezing funds under the merchant's
    /// balance lock; the self-hosted app is topped up first, an external one must be funded).
    #[arg(long, value_enum, default_value_t = Kind::Payment)]
    pub kind: Kind,

    /// Worker threads of the load generator's own tokio runtime.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub client_threads: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Payment,
    Payout,
}

impl Kind {
    pub fn path(self) -> &'static str {
        match self {
            Kind::Payment => "/open-api/philippines/payment/generate",
            Kind::Payout => "/open-api/philippines/disbursement/transfer",
        }
    }

    /// What is created, for the header.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Payment => "create payment",
            Kind::Payout => "create payout",
        }
    }

    /// Channel or method, for the header.
    pub fn channel(self) -> &'static str {
        match self {
            Kind::Payment => "PH_GCASH_URL",
            Kind::Payout => "PH_PAYOUT_BANK, transferCode BDO",
        }
    }

    /// The `bench` field of the JSON line.
    pub fn bench_name(self) -> &'static str {
        match self {
            Kind::Payment => "create_payment",
            Kind::Payout => "create_payout",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }
}

/// What to benchmark.
#[derive(Debug, Clone)]
pub enum Mode {
    External {
        url: String,
        app_id: String,
        key: PathBuf,
    },
    SelfHosted {
        backend: Backend,
        database_url: Option<String>,
    },
}

impl Args {
    pub fn mode(&self) -> Result<Mode, String> {
        if let Some(url) = &self.target {
            return Ok(Mode::External {
                url: url.trim_end_matches('/').to_string(),
                app_id: self.app_id.clone().unwrap_or_default(),
                key: self.key.clone().unwrap_or_default(),
            });
        }
        let backend = match (&self.database_url, self.database) {
            (None, backend) => backend.unwrap_or(Backend::Sqlite),
            (Some(url), backend) => {
                let of_url = Backend::of_url(url).ok_or_else(|| {
                    "--database-url must start with postgres://, postgresql:// or sqlite:"
                        .to_string()
                })?;
                if backend.is_some_and(|b| b != of_url) {
                    return Err(format!(
                        "--database {} contradicts --database-url (a {} URL)",
                        backend.map(Backend::name).unwrap_or_default(),
                        of_url.name()
                    ));
                }
                of_url
            }
        };
        Ok(Mode::SelfHosted {
            backend,
            database_url: self.database_url.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("sampan-bench").chain(argv.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_are_self_hosted_sqlite() {
        let a = parse(&[]).unwrap();
        assert_eq!((a.requests, a.concurrency, a.warmup), (5000, 32, 200));
        assert_eq!(a.kind, Kind::Payment);
        assert_eq!(parse(&["--kind", "payout"]).unwrap().kind, Kind::Payout);
        assert!(parse(&["--kind", "refund"]).is_err());
        assert!(matches!(
            a.mode().unwrap(),
            Mode::SelfHosted {
                backend: Backend::Sqlite,
                database_url: None
            }
        ));
    }

    #[test]
    fn the_backend_follows_the_url_and_must_agree_with_database() {
        let a = parse(&["--database-url", "postgres://u@h/db"]).unwrap();
        assert!(matches!(
            a.mode().unwrap(),
            Mode::SelfHosted {
                backend: Backend::Postgres,
                ..
            }
        ));
        let a = parse(&[
            "--database",
            "sqlite",
            "--database-url",
            "postgres://u@h/db",
        ])
        .unwrap();
        assert!(a.mode().is_err());
        let a = parse(&["--database-url", "mysql://h/db"]).unwrap();
        assert!(a.mode().is_err());
    }

    #[test]
    fn target_needs_app_and_key_and_excludes_a_database() {
        assert!(parse(&["--target", "http://h"]).is_err());
        assert!(parse(&["--app-id", "a"]).is_err());
        assert!(parse(&[
            "--target",
            "http://h",
            "--app-id",
            "a",
            "--key",
            "k",
            "--database",
            "postgres"
        ])
        .is_err());
        let a = parse(&["--target", "http://h/", "--app-id", "a", "--key", "k"]).unwrap();
        assert!(matches!(a.mode().unwrap(), Mode::External { url, .. } if url == "http://h"));
        assert!(parse(&["-n", "0"]).is_err());
        assert!(parse(&["-c", "0"]).is_err());
    }
}
