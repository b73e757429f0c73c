//! Configuration: built-in defaults, then a TOML file, then `SAMPAN_*` environment variables.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use sampan_domain::outbox::RetrySchedule;
use sampan_domain::DisplayZone;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Where the SQLite database, the platform key and the admin token live.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; default: `sqlite://<data_dir>/sampan.db`.
    pub database_url: Option<String>,
    pub db_max_connections: u32,
    /// Base of the links sampan hands out (payUrl, cashier pages); default `http://<listen>`.
    pub public_base_url: Option<String>,
    /// Zone times are rendered in: `+08:00`.
    pub display_zone: String,
    /// Allowed distance between a request's `timestamp` and the server clock.
    pub timestamp_window_secs: i64,
    /// Delays between notification attempts; default 15 s … 24 h (13 attempts).
    pub notify_retry_delays_ms: Vec<u64>,
    pub notify_timeout_ms: u64,
    pub notify_poll_interval_ms: u64,
    pub notify_concurrency: usize,
    /// How often the expiry job looks for orders past their expiry.
    pub expiry_interval_ms: u64,
    /// How long the sandbox upstream takes to answer a payout (magic `accountNo` endings in
    /// docs/sandbox.md decide how).
    pub payout_settle_delay_ms: u64,
    /// How often the payout settlement worker looks for answers that are due.
    pub payout_poll_interval_ms: u64,
    /// How long the sandbox upstream takes to answer a refund (a `mchRefundOrderId` ending in
    /// `FAIL` fails, docs/sandbox.md).
    pub refund_settle_delay_ms: u64,
    /// How often the refund settlement worker looks for answers that are due.
    pub refund_poll_interval_ms: u64,
    /// Sandbox mode: the cashier page shows Pay/Fail buttons and `/sandbox/*` is served.
    pub sandbox: bool,
    /// Bearer token of the admin API; default: generated into `<data_dir>/admin_token`.
    pub admin_token: Option<String>,
    /// Distinct per node of one deployment (0–1023); feeds transaction ids.
    pub node_id: u16,
    /// A channel catalog replacing the built-in one.
    pub catalog_file: Option<PathBuf>,
    /// PKCS#8 PEM of the platform key; default `<data_dir>/platform_key.pem`, generated.
    pub platform_key_file: Option<PathBuf>,
    /// Header carrying the client address when sampan runs behind a reverse proxy
    /// (e.g. `X-Forwarded-For`; its last entry is used). Unset: the socket peer address.
    pub client_ip_header: Option<String>,
    /// How long a report download link works.
    pub report_link_ttl_secs: u64,
    /// Where report files are built; default `<data_dir>/reports`.
    pub reports_dir: Option<PathBuf>,
    /// Secret that signs report links; default: generated into `<data_dir>/report_secret`.
    /// Every node of a deployment needs the same one.
    pub report_secret: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            db_max_connections: 16,
            public_base_url: None,
            display_zone: "+08:00".into(),
            timestamp_window_secs: 300,
            notify_retry_delays_ms: RetrySchedule::default()
                .delays
                .iter()
                .map(|d| d.as_millis() as u64)
                .collect(),
            notify_timeout_ms: 10_000,
            notify_poll_interval_ms: 1_000,
            notify_concurrency: 16,
            expiry_interval_ms: 1_000,
            payout_settle_delay_ms: 3_000,
            payout_poll_interval_ms: 500,
            refund_settle_delay_ms: 3_000,
            refund_poll_interval_ms: 500,
            sandbox: true,
            admin_token: None,
            node_id: 0,
            catalog_file: None,
            platform_key_file: None,
            client_ip_header: None,
            report_link_ttl_secs: 3600,
            reports_dir: None,
            report_secret: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then `file` (when given), then `SAMPAN_*` variables (`SAMPAN_DATABASE_URL`,
    /// `SAMPAN_LISTEN`, lists as `SAMPAN_NOTIFY_RETRY_DELAYS_MS=[100,200]`).
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            // Variables of `sampan client` and of the test suite share the prefix but are not
            // server settings.
            .merge(Env::prefixed("SAMPAN_").ignore(&[
                "config",
                "url",
                "app_id",
                "key_file",
                "test_pg_url",
            ]))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.zone()?;
        if self.node_id > sampan_domain::ids::MAX_NODE {
            return Err(ConfigError::Invalid(format!(
                "node_id must be at most {}",
                sampan_domain::ids::MAX_NODE
            )));
        }
        if self.timestamp_window_secs <= 0 {
            return Err(ConfigError::Invalid(
                "timestamp_window_secs must be positive".into(),
            ));
        }
        if self.report_link_ttl_secs == 0 {
            return Err(ConfigError::Invalid(
                "report_link_ttl_secs must be positive".into(),
            ));
        }
        if self.notify_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "notify_concurrency must be positive".into(),
            ));
        }
        Ok(())
    }

    pub fn zone(&self) -> Result<DisplayZone, ConfigError> {
        DisplayZone::parse(&self.display_zone).map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| sampan_store::Db::sqlite_url(&self.data_dir.join("sampan.db")))
    }

    /// The public base URL given the address actually bound (which differs with port 0).
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        self.public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule {
            delays: self
                .notify_retry_delays_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
        }
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.reports_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("reports"))
    }

    pub fn platform_key_path(&self) -> PathBuf {
        self.platform_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("platform_key.pem"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_spec_schedule() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(c.retry_schedule(), RetrySchedule::default());
        assert!(c.database_url().starts_with("sqlite://"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sampan.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndisplay_zone = \"+07:00\"\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAMPAN_DISPLAY_ZONE", "+09:00");
            jail.set_env("SAMPAN_NOTIFY_RETRY_DELAYS_MS", "[10,20]");
            // the merchant CLI's own variables live beside the server's
            jail.set_env("SAMPAN_APP_ID", "0123");
            jail.set_env("SAMPAN_URL", "http://127.0.0.1:8080");
            jail.set_env(
                "SAMPAN_TEST_PG_URL",
                "postgres://postgres@127.0.0.1:1/postgres",
            );
            let c = Config::load(Some(&file)).unwrap();
            assert_eq!(c.listen.port(), 9000);
            assert_eq!(c.display_zone, "+09:00");
            assert_eq!(c.notify_retry_delays_ms, vec![10, 20]);
            Ok(())
        });
        std::fs::write(&file, "listne = 1\n").unwrap();
        assert!(Config::load(Some(&file)).is_err());
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
