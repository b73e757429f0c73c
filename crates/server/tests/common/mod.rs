//! Test harness: a real gateway on a random port over a fresh database, a merchant client
//! with a real RSA key, and a real HTTP receiver for notifications.
#![allow(dead_code)]

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use sampan_client::Client;
use sampan_domain::Store;
use sampan_protocol::payment::PaymentGenerate;
use sampan_protocol::{PrivateKey, PublicKey};
use sampan_server::config::Config;
use sampan_server::{ops, Gateway};
use sampan_store::{ConnectOptions, Db};
use sampan_testkit::TestDb;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct Harness {
    pub gateway: Gateway,
    pub client: Client,
    pub key: PrivateKey,
    pub app_id: String,
    pub store: Arc<Db>,
    pub platform: PublicKey,
    pub config: Config,
    pub http: reqwest::Client,
    pub dir: Arc<TempDir>,
}

/// Config for tests: random port, fast workers, short retry delays.
pub fn test_config(dir: &TempDir, db: &TestDb) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        database_url: Some(db.url.clone()),
        notify_retry_delays_ms: vec![150; 12],
        notify_timeout_ms: 2_000,
        notify_poll_interval_ms: 50,
        expiry_interval_ms: 100,
        payout_settle_delay_ms: 200,
        payout_poll_interval_ms: 50,
        admin_token: Some(ADMIN_TOKEN.into()),
        ..Config::default()
    }
}

impl Harness {
    pub async fn start(db: &TestDb) -> Harness {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let config = test_config(&dir, db);
        Harness::start_with(config, dir, None).await
    }

    /// Starts a gateway; with `app` reuses an existing merchant (after a restart).
    pub async fn start_with(
        config: Config,
        dir: Arc<TempDir>,
        app: Option<(String, PrivateKey)>,
    ) -> Harness {
        let store = Arc::new(
            Db::connect(
                config.database_url.as_ref().unwrap(),
                &ConnectOptions::default(),
            )
            .await
            .unwrap(),
        );
        let (app_id, key) = match app {
            Some(existing) => existing,
            None => {
                let created = ops::create_app(store.as_ref(), "Sari-Sari Store", None)
                    .await
                    .unwrap();
                (created.app.app_id, created.private_key.unwrap())
            }
        };
        let gateway = Gateway::start_with_store(config.clone(), store.clone())
            .await
            .unwrap();
        let client = Client::new(gateway.base_url(), &app_id, key.clone());
        let platform = gateway.state.platform_key.public_key();
        Harness {
            gateway,
            client,
            key,
            app_id,
            store,
            platform,
            config,
            http: reqwest::Client::new(),
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.gateway.base_url(), path)
    }

    /// PATCH the app through the admin API (which also refreshes the gateway's cache).
    pub async fn admin_patch_app(&self, changes: Value) {
        let response = self
            .http
            .patch(self.url(&format!("/admin/apps/{}", self.app_id)))
            .bearer_auth(ADMIN_TOKEN)
            .json(&changes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// POST an admin action and return the JSON answer, asserting HTTP 200.
    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Funds the merchant through the admin API.
    pub async fn top_up(&self, currency: &str, amount: i64) {
        self.admin_post(
            "/admin/balances/topup",
            serde_json::json!({
                "appId": self.app_id, "currency": currency, "amount": amount,
                "note": "test float"
            }),
        )
        .await;
    }

    pub async fn sandbox(&self, transaction_id: &str, action: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/sandbox/payments/{transaction_id}/{action}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.gateway.shutdown().await;
        self.store.close().await;
    }
}

pub fn ph_payment(order: &str, channel: &str, amount: i64, notify_url: &str) -> PaymentGenerate {
    PaymentGenerate {
        mch_order_id: order.to_string(),
        amount,
        customer_name: "Juan dela Cruz".into(),
        channel_code: channel.to_string(),
        notify_url: notify_url.to_string(),
        redirect_url: Some("https://shop.example.ph/return".into()),
        email: "juan@example.ph".into(),
        mobile: "09171234567".into(),
        remark: Some("order from test".into()),
        expire_seconds: None,
        timestamp: sampan_client::now_ms(),
        ..Default::default()
    }
}

/// How the receiver answers the next notification.
#[derive(Clone, Debug)]
pub enum Reply {
    Ack,
    Status(u16),
    /// HTTP 200 with a body that is not the acknowledgement.
    WrongBody,
}

#[derive(Clone, Default)]
struct ReceiverState {
    script: Arc<Mutex<Vec<Reply>>>,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// A merchant's notification endpoint: records every body, answers per script (then Ack).
pub struct Receiver {
    pub url: String,
    pub addr: SocketAddr,
    state: ReceiverState,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        Receiver::start_on("127.0.0.1:0".parse().unwrap(), script).await
    }

    pub async fn start_on(addr: SocketAddr, script: Vec<Reply>) -> Receiver {
        let state = ReceiverState {
            script: Arc::new(Mutex::new(script.into_iter().rev().collect())),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/notify", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url: format!("http://{addr}/notify"),
            addr,
            state,
            task,
        }
    }

    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until `n` notifications arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let bodies = self.bodies();
            if bodies.len() >= n {
                return bodies;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} notifications, got {}",
                bodies.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

async fn receive(State(state): State<ReceiverState>, body: axum::body::Bytes) -> impl IntoResponse {
    state.received.lock().unwrap().push(body.to_vec());
    let reply = state.script.lock().unwrap().pop().unwrap_or(Reply::Ack);
    match reply {
        Reply::Ack => (StatusCode::OK, r#"{"code":10000,"message":"Success"}"#),
        Reply::Status(s) => (StatusCode::from_u16(s).unwrap(), "busy"),
        Reply::WrongBody => (StatusCode::OK, r#"{"code":0,"message":"nope"}"#),
    }
}

/// Polls `check` until it holds (or panics after `secs`).
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn store_of(h: &Harness) -> &dyn Store {
    h.store.as_ref()
}
