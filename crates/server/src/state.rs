//! Shared state of a running gateway.

use crate::config::Config;
use sampan_channels::Connector;
use sampan_domain::ids::IdGenerator;
use sampan_domain::outbox::RetrySchedule;
use sampan_domain::{App, Catalog, DisplayZone, Store};
use sampan_protocol::{PrivateKey, PublicKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub connector: Arc<dyn Connector>,
    pub platform_key: PrivateKey,
    pub ids: IdGenerator,
    pub zone: DisplayZone,
    pub config: Config,
    /// Public base URL (payUrl and cashier links).
    pub base_url: String,
    pub admin_token: String,
    pub schedule: RetrySchedule,
    pub apps: AppCache,
    pub rate: RateLimiter,
    /// Wakes the dispatcher when a transaction commits a notification, so delivery does not
    /// wait for the next poll.
    pub outbox_wake: Notify,
    pub metrics: crate::metrics::Metrics,
    /// WeChat merchant keys of bound appids (for `paySign`).
    pub wechat_keys: crate::wechat::KeyCache,
    /// Signs report download links.
    pub report_key: crate::reports::LinkKey,
    /// Report files being built on this node.
    pub reports: crate::reports::ReportJobs,
}

pub type SharedState = Arc<AppState>;

/// An app with its parsed public key.
#[derive(Debug, Clone)]
pub struct CachedApp {
    pub app: App,
    pub key: PublicKey,
}

/// Apps are read on every request; keep them (and their parsed keys) for a moment. The short
/// lifetime bounds how long a change made by another node or the CLI takes to apply.
pub struct AppCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Instant, Arc<CachedApp>)>>,
}

impl AppCache {
    pub fn new(ttl: Duration) -> AppCache {
        AppCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, app_id: &str) -> Option<Arc<CachedApp>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(app_id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, app)| app.clone())
    }

    pub fn put(&self, app: Arc<CachedApp>) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        entries.insert(app.app.app_id.clone(), (Instant::now(), app));
    }

    pub fn invalidate(&self, app_id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(app_id);
    }
}

/// Requests per app per wall-clock second (`21020` beyond the app's limit). Per node: with N
/// nodes behind a balancer an app gets up to N times its limit.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    pub fn allow(&self, app_id: &str, limit: u32, now_ms: i64) -> bool {
        let second = (now_ms / 1000) as u64;
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry(app_id.to_string()).or_insert((second, 0));
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        window.1 <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_resets_every_second() {
        let r = RateLimiter::default();
        assert!(r.allow("a", 2, 1_000));
        assert!(r.allow("a", 2, 1_500));
        assert!(!r.allow("a", 2, 1_999));
        assert!(r.allow("b", 2, 1_999));
        assert!(r.allow("a", 2, 2_000));
    }
}
