//! The system under test: an external gateway, or one started in this process.

use crate::args::{Backend, Kind, Mode};
use sampan_protocol::PrivateKey;
use sampan_server::config::Config;
use sampan_server::Gateway;
use sampan_testkit::TestDb;
use std::sync::Arc;
use tempfile::TempDir;

/// Where the requests go and who signs them.
pub struct Target {
    pub base_url: String,
    pub app_id: String,
    pub key: PrivateKey,
    /// Human-readable description of the store.
    pub backend: String,
    /// Backend name for the JSON line (`sqlite`, `postgres`, `external`).
    pub backend_kind: &'static str,
    /// The in-process gateway, if we started one.
    pub hosted: Option<Hosted>,
}

pub struct Hosted {
    gateway: Gateway,
    _data_dir: TempDir,
    _db: Option<TestDb>,
}

impl Hosted {
    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
    }
}

/// Notifications are never due during a run (orders stay PENDING), but keep the dispatcher
/// cheap anyway: one attempt an hour, short timeout. The URL points at the discard port.
pub const NOTIFY_URL: &str = "http://127.0.0.1:9/bench";

/// `funds` (PHP minor units) are credited to a self-hosted app when benchmarking payouts.
pub async fn prepare(mode: &Mode, kind: Kind, funds: i64) -> Result<Target, String> {
    match mode {
        Mode::External { url, app_id, key } => {
            let text = std::fs::read_to_string(key)
                .map_err(|e| format!("cannot read --key {}: {e}", key.display()))?;
            let key =
                PrivateKey::parse(&text).map_err(|e| format!("--key {}: {e}", key.display()))?;
            Ok(Target {
                base_url: url.clone(),
                app_id: app_id.clone(),
                key,
                backend: "external gateway (store unknown to the benchmark)".into(),
                backend_kind: "external",
                hosted: None,
            })
        }
        Mode::SelfHosted {
            backend,
            database_url,
        } => self_hosted(*backend, database_url.clone(), kind, funds).await,
    }
}

async fn self_hosted(
    backend: Backend,
    database_url: Option<String>,
    kind: Kind,
    funds: i64,
) -> Result<Target, String> {
    let data_dir = tempfile::Builder::new()
        .prefix("sampan-bench-")
        .tempdir()
        .map_err(|e| format!("temporary data directory: {e}"))?;
    let (database_url, description, db) = match (backend, database_url) {
        (_, Some(url)) => {
            let description = format!("{} ({})", backend.name(), sampan_store::redact(&url));
            (Some(url), description, None)
        }
        (Backend::Sqlite, None) => {
            let file = data_dir.path().join("sampan.db");
            let description = format!("sqlite (temporary file {})", file.display());
            (None, description, None)
        }
        (Backend::Postgres, None) => {
            let source = if std::env::var_os("SAMPAN_TEST_PG_URL").is_some() {
                "fresh database on the SAMPAN_TEST_PG_URL server"
            } else {
                "fresh database on a private throwaway cluster (sampan-testkit; fsync=off, \
                 synchronous_commit=off)"
            };
            let db = TestDb::postgres().await.ok_or(
                "no PostgreSQL: pass --database-url, set SAMPAN_TEST_PG_URL, or install \
                 PostgreSQL binaries under /usr/lib/postgresql",
            )?;
            let description = format!("postgres ({source}: {})", sampan_store::redact(&db.url));
            (Some(db.url.clone()), description, Some(db))
        }
    };
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        data_dir: data_dir.path().to_path_buf(),
        database_url,
        notify_retry_delays_ms: vec![3_600_000],
        notify_timeout_ms: 200,
        // Requests are signed before the run; a long run must not age out of the window.
        timestamp_window_secs: 3600,
        ..Config::default()
    };
    let store = Arc::new(
        sampan_server::open_store(&config)
            .await
            .map_err(|e| format!("opening the store: {e}"))?,
    );
    let created = sampan_server::ops::create_app(store.as_ref(), "bench", None)
        .await
        .map_err(|e| format!("creating the bench app: {e}"))?;
    let key = created
        .private_key
        .ok_or("create_app returned no private key")?;
    if kind == Kind::Payout {
        sampan_server::ops::change_balance(
            store.as_ref(),
            sampan_server::ops::BalanceChange::TopUp,
            &created.app.app_id,
            "PHP",
            funds,
            "",
            "benchmark float",
        )
        .await
        .map_err(|e| format!("funding the bench app: {e}"))?;
    }
    let gateway = Gateway::start_with_store(config, store)
        .await
        .map_err(|e| format!("starting the gateway: {e}"))?;
    Ok(Target {
        base_url: gateway.base_url().to_string(),
        app_id: created.app.app_id,
        key,
        backend: description,
        backend_kind: backend.name(),
        hosted: Some(Hosted {
            gateway,
            _data_dir: data_dir,
            _db: db,
        }),
    })
}
