//! Operator actions shared by the admin API and the `sampan` CLI.

use sampan_domain::app::{new_app_id, valid_wechat_appid, IpRule};
use sampan_domain::time::now_ms;
use sampan_domain::{App, AppSettings, AppStatus, Catalog, Country, Store, StoreError};
use sampan_protocol::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no app {0}")]
    NoApp(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new app, with the merchant's private key when sampan generated the pair.
pub struct CreatedApp {
    pub app: App,
    pub private_key: Option<PrivateKey>,
}

/// Registers an app. With `public_key` the merchant keeps its own key pair; without, sampan
/// generates one and hands the private half back exactly once (it is not stored).
pub async fn create_app(
    store: &dyn Store,
    name: &str,
    public_key: Option<&str>,
) -> Result<CreatedApp, OpsError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(OpsError::Invalid("name must be 1-128 characters".into()));
    }
    let (public, private_key) = match public_key {
        Some(text) => (
            PublicKey::parse(text).map_err(|e| OpsError::Invalid(format!("public key: {e}")))?,
            None,
        ),
        None => {
            let key = PrivateKey::generate(2048)
                .map_err(|e| OpsError::Invalid(format!("key generation: {e}")))?;
            (key.public_key(), Some(key))
        }
    };
    let app = App {
        app_id: new_app_id(),
        name: name.to_string(),
        public_key: public.to_spki_base64(),
        status: AppStatus::Active,
        settings: AppSettings::default(),
        created_at: now_ms(),
    };
    store.insert_app(&app).await?;
    Ok(CreatedApp { app, private_key })
}

/// A partial update of an app; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppChanges {
    pub name: Option<String>,
    pub status: Option<AppStatus>,
    pub public_key: Option<String>,
    /// IPs or CIDR blocks; empty allows any address.
    pub ip_allowlist: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
    /// Channel codes; `["*"]` enables every channel of the enabled countries.
    pub channels: Option<Vec<String>>,
    /// `""` removes it.
    pub payout_callback_url: Option<String>,
    /// Requests per second; 0 removes the limit.
    pub rate_limit: Option<u32>,
    /// WeChat appids (`wpAppid`) the app may use for `WECHAT_JS_URL`; replaces the list, `[]`
    /// unbinds all. Binding an appid creates its WeChat merchant key if it has none.
    pub wechat_appids: Option<Vec<String>>,
}

pub async fn update_app(
    store: &dyn Store,
    catalog: &Catalog,
    app_id: &str,
    changes: AppChanges,
) -> Result<App, OpsError> {
    let mut app = store
        .app(app_id)
        .await?
        .ok_or_else(|| OpsError::NoApp(app_id.to_string()))?;
    if let Some(name) = changes.name {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 128 {
            return Err(OpsError::Invalid("name must be 1-128 characters".into()));
        }
        app.name = name;
    }
    if let Some(status) = changes.status {
        app.status = status;
    }
    if let Some(key) = changes.public_key {
        app.public_key = PublicKey::parse(&key)
            .map_err(|e| OpsError::Invalid(format!("public key: {e}")))?
            .to_spki_base64();
    }
    if let Some(list) = changes.ip_allowlist {
        app.settings.ip_allowlist = list
            .iter()
            .map(|s| {
                s.parse::<IpRule>()
                    .map_err(|e| OpsError::Invalid(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(list) = changes.countries {
        let mut countries: Vec<Country> = list
            .iter()
            .map(|s| {
                s.parse::<Country>()
                    .map_err(|e| OpsError::Invalid(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        countries.sort();
        countries.dedup();
        app.settings.countries = countries;
    }
    if let Some(list) = changes.channels {
        app.settings.channels = if list.iter().any(|c| c == "*") {
            None
        } else {
            for code in &list {
                if catalog.get(code).is_none() {
                    return Err(OpsError::Invalid(format!("unknown channel {code}")));
                }
            }
            Some(list)
        };
    }
    if let Some(url) = changes.payout_callback_url {
        app.settings.payout_callback_url = if url.is_empty() {
            None
        } else {
            sampan_protocol::fields::check_url("payoutCallbackUrl", &url)
                .map_err(|e| OpsError::Invalid(e.to_string()))?;
            Some(url)
        };
    }
    if let Some(limit) = changes.rate_limit {
        app.settings.rate_limit = (limit > 0).then_some(limit);
    }
    if let Some(list) = changes.wechat_appids {
        let mut appids = Vec::with_capacity(list.len());
        for appid in list.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
            if !valid_wechat_appid(appid) {
                return Err(OpsError::Invalid(format!(
                    "not a WeChat appid: {appid:?} (expected wx followed by letters and digits)"
                )));
            }
            if !appids.iter().any(|a| a == appid) {
                appids.push(appid.to_string());
            }
        }
        // The key exists before the binding does, so the operator can hand out the public key
        // as soon as the command returns.
        for appid in &appids {
            crate::wechat::ensure_merchant_key(store, appid).await?;
        }
        app.settings.wechat_appids = appids;
    }
    store.update_app(&app).await?;
    Ok(app)
}

/// The public half of a bound appid's WeChat merchant key, which a merchant's backend uses to
/// verify `paySign`. `None` when the appid has no key (it was never bound).
pub async fn wechat_public_key(
    store: &dyn Store,
    appid: &str,
) -> Result<Option<PublicKey>, OpsError> {
    match store.wechat_merchant_key(appid).await? {
        None => Ok(None),
        Some(pem) => PrivateKey::parse(&pem)
            .map(|k| Some(k.public_key()))
            .map_err(|e| OpsError::Store(StoreError::Backend(format!("stored WeChat key: {e}")))),
    }
}

/// The operator's view of an app.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub app_id: String,
    pub name: String,
    pub status: AppStatus,
    pub public_key: String,
    pub ip_allowlist: Vec<String>,
    pub countries: Vec<Country>,
    pub channels: Option<Vec<String>>,
    pub payout_callback_url: Option<String>,
    pub rate_limit: Option<u32>,
    pub wechat_appids: Vec<String>,
    pub created_at: i64,
}

impl From<&App> for AppView {
    fn from(app: &App) -> Self {
        AppView {
            app_id: app.app_id.clone(),
            name: app.name.clone(),
            status: app.status,
            public_key: app.public_key.clone(),
            ip_allowlist: app
                .settings
                .ip_allowlist
                .iter()
                .map(|r| r.to_string())
                .collect(),
            countries: app.settings.countries.clone(),
            channels: app.settings.channels.clone(),
            payout_callback_url: app.settings.payout_callback_url.clone(),
            rate_limit: app.settings.rate_limit,
            wechat_appids: app.settings.wechat_appids.clone(),
            created_at: app.created_at,
        }
    }
}

/// A payment as operators inspect it: the merchant's view plus every notification and each
/// delivery attempt. `None` when there is no such payment.
pub async fn payment_details(
    store: &dyn Store,
    zone: &sampan_domain::DisplayZone,
    transaction_id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    use serde_json::{json, Value};
    let Some(payment) = store.payment(transaction_id).await? else {
        return Ok(None);
    };
    let mut notifications = Vec::new();
    for n in store.notifications_for(transaction_id).await? {
        let attempts: Vec<Value> = store
            .attempts(n.id)
            .await?
            .into_iter()
            .map(|a| {
                json!({
                    "attempt": a.attempt_no,
                    "at": zone.format(a.at),
                    "httpStatus": a.http_status,
                    "response": a.response_excerpt,
                    "latencyMs": a.latency_ms,
                    "delivered": a.delivered,
                })
            })
            .collect();
        notifications.push(json!({
            "id": n.id,
            "event": n.event,
            "url": n.url,
            "status": n.status.as_str(),
            "attempts": attempts,
            "nextAttemptAt": zone.format(n.next_attempt_at),
            "payload": serde_json::from_str::<Value>(&n.payload)
                .unwrap_or(Value::String(n.payload.clone())),
        }));
    }
    Ok(Some(json!({
        "appId": payment.app_id,
        "payment": payment.query_data(zone),
        "notifications": notifications,
    })))
}
