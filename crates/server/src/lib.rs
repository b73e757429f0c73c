//! The sampan gateway: the open API, the hosted cashier and sandbox, the admin API, and the
//! background workers of a node.

pub mod admin;
pub mod config;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod open_api;
pub mod ops;
pub mod payments;
pub mod payouts;
pub mod refunds;
pub mod reports;
pub mod sandbox;
pub mod state;
pub mod static_codes;
pub mod wechat;
pub mod workers;

use crate::config::{Config, ConfigError};
use crate::error::ApiError;
use crate::state::{AppCache, AppState, RateLimiter, SharedState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sampan_channels::SandboxConnector;
use sampan_domain::ids::IdGenerator;
use sampan_domain::{Catalog, Store};
use sampan_protocol::Code;
use sampan_store::{ConnectOptions, Db};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Store(#[from] sampan_domain::StoreError),
    #[error(transparent)]
    Keys(#[from] keys::KeyFileError),
    #[error("catalog: {0}")]
    Catalog(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Connects the configured store (creating the data directory for SQLite).
pub async fn open_store(config: &Config) -> Result<Db, StartError> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StartError::Keys(keys::KeyFileError::Io {
                path: config.data_dir.display().to_string(),
                source: e,
            })
        })?;
    }
    let options = ConnectOptions {
        max_connections: config.db_max_connections,
        ..ConnectOptions::default()
    };
    Ok(Db::connect(&url, &options).await?)
}

pub fn load_catalog(config: &Config) -> Result<Catalog, StartError> {
    match &config.catalog_file {
        None => Ok(Catalog::builtin()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| StartError::Catalog(format!("{}: {e}", path.display())))?;
            Catalog::from_toml(&text).map_err(|e| StartError::Catalog(e.to_string()))
        }
    }
}

/// A running node: HTTP server plus workers.
pub struct Gateway {
    pub state: SharedState,
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Gateway {
    pub async fn start(config: Config) -> Result<Gateway, StartError> {
        let store = open_store(&config).await?;
        Gateway::start_with_store(config, Arc::new(store)).await
    }

    pub async fn start_with_store(
        config: Config,
        store: Arc<dyn Store>,
    ) -> Result<Gateway, StartError> {
        config.validate()?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
        let platform_key = keys::load_or_create_platform_key(&config.platform_key_path())?;
        let admin_token = match &config.admin_token {
            Some(token) => token.clone(),
            None => keys::load_or_create_token(&config.data_dir.join("admin_token"))?,
        };
        let report_secret = match &config.report_secret {
            Some(secret) => secret.clone(),
            None => keys::load_or_create_token(&config.data_dir.join("report_secret"))?,
        };
        let state: SharedState = Arc::new(AppState {
            store,
            catalog: Arc::new(load_catalog(&config)?),
            connector: Arc::new(SandboxConnector),
            platform_key,
            ids: IdGenerator::new(config.node_id),
            zone: config.zone()?,
            base_url: config.public_base_url(addr),
            admin_token,
            schedule: config.retry_schedule(),
            apps: AppCache::new(Duration::from_secs(2)),
            rate: RateLimiter::default(),
            outbox_wake: Notify::new(),
            metrics: metrics::Metrics::default(),
            wechat_keys: Default::default(),
            report_key: reports::LinkKey::new(report_secret.as_bytes()),
            reports: Default::default(),
            config,
        });
        let (shutdown, stop) = watch::channel(false);
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let mut http_stop = stop.clone();
        let server = tokio::spawn(async move {
            let graceful = axum::serve(listener, app)
                .with_graceful_shutdown(async move { workers::stopped(&mut http_stop).await });
            if let Err(e) = graceful.await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        });
        let dispatcher = tokio::spawn(workers::dispatcher::run(state.clone(), stop.clone()));
        let expiry = tokio::spawn(workers::expiry::run(state.clone(), stop.clone()));
        let settlement = tokio::spawn(workers::payouts::run(state.clone(), stop.clone()));
        let refunds = tokio::spawn(workers::refunds::run(state.clone(), stop.clone()));
        let report_cleanup = tokio::spawn(reports::cleanup(state.clone(), stop));
        tracing::info!(%addr, base_url = %state.base_url, "sampan is listening");
        Ok(Gateway {
            state,
            addr,
            shutdown,
            tasks: vec![
                server,
                dispatcher,
                expiry,
                settlement,
                refunds,
                report_cleanup,
            ],
        })
    }

    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// Stops accepting requests, lets in-flight work finish, and returns when all is done.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

pub fn router(state: SharedState) -> Router {
    let mut router = Router::new()
        .merge(open_api::routes())
        .merge(sandbox::cashier_routes())
        .merge(admin::routes(state.clone()))
        .route("/reports/{token}", get(reports::serve))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready));
    if state.config.sandbox {
        router = router.merge(sandbox::sandbox_routes());
    }
    router
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::NoRoute })
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(state.clone(), access_log))
        .with_state(state)
}

async fn ready(State(state): State<SharedState>) -> Response {
    match state.store.outbox_backlog().await {
        Ok(backlog) => format!("ready; outbox backlog {backlog}\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<SharedState>) -> Response {
    let backlog = state.store.outbox_backlog().await.ok();
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(backlog),
    )
        .into_response()
}

/// One line per request (method, path, HTTP status, protocol code, latency), and the request
/// metrics by route template (not raw path, so ids do not explode the label set).
async fn access_log(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let mut path = req.uri().path().to_string();
    if path.starts_with("/reports/") {
        // A report link is a bearer credential until it expires: keep it out of the logs.
        path = "/reports/…".to_string();
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(req).await;
    let code = response.extensions().get::<Code>().map(|c| c.as_i32());
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.record_request(&route, status, code, took);
    tracing::info!(
        %method,
        %path,
        status,
        code,
        latency_us = took.as_micros() as u64,
        "request"
    );
    response
}
