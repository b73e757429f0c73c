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
    NotFound(String),
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
    /// Fee overrides by channel or payout method code (`PH_PAYOUT_BANK`); they replace the
    /// app's whole override table, `{}` restores the catalog's defaults.
    pub fees: Option<std::collections::BTreeMap<String, sampan_domain::fees::FeeRule>>,
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
    if let Some(fees) = changes.fees {
        for (code, rule) in &fees {
            if catalog.get(code).is_none() && catalog.payout_method_by_code(code).is_none() {
                return Err(OpsError::Invalid(format!("unknown channel {code}")));
            }
            if rule.percent_bp < 0 || rule.fixed < 0 || rule.min < 0 {
                return Err(OpsError::Invalid(format!(
                    "fee of {code} must not be negative"
                )));
            }
        }
        app.settings.fees = fees;
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
    // A dynamic payment, or a payment made to a static code (shown with its code's id).
    let (app_id, shown) = match store.payment(transaction_id).await? {
        Some(p) => {
            let mut data = p.query_data(zone);
            data.refunded_amount = store.refunded_amount(transaction_id).await?;
            (p.app_id.clone(), json!(data))
        }
        None => match store.code_payment(transaction_id).await? {
            Some(p) => {
                let mut item = json!(p.item(zone));
                item["codeId"] = json!(p.code_id);
                (p.app_id.clone(), item)
            }
            None => return Ok(None),
        },
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
        "appId": app_id,
        "payment": shown,
        "notifications": notifications,
    })))
}

// ------------------------------------------------------------------ balances and payouts

/// Why an operator moves a merchant's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceChange {
    /// Funds the merchant sent in (a credit).
    TopUp,
    /// A correction either way, with a reason.
    Adjust,
}

/// Posts an operator top-up or adjustment as one journal entry (memo: reason and note). A
/// debit that would take the available balance below zero is refused by the store.
pub async fn change_balance(
    store: &dyn Store,
    change: BalanceChange,
    app_id: &str,
    currency: &str,
    amount: i64,
    reason: &str,
    note: &str,
) -> Result<sampan_domain::ledger::JournalEntry, OpsError> {
    use sampan_domain::ledger::{operator_entry, EntryKind};
    use sampan_domain::Currency;
    if store.app(app_id).await?.is_none() {
        return Err(OpsError::NoApp(app_id.to_string()));
    }
    let currency: Currency = currency
        .parse()
        .map_err(|_| OpsError::Invalid(format!("unknown currency {currency:?}")))?;
    let (kind, reason) = match change {
        BalanceChange::TopUp if amount <= 0 => {
            return Err(OpsError::Invalid("a top-up amount must be positive".into()))
        }
        BalanceChange::TopUp => (EntryKind::TopUp, "topup"),
        BalanceChange::Adjust if amount == 0 => {
            return Err(OpsError::Invalid("an adjustment must not be zero".into()))
        }
        BalanceChange::Adjust => (EntryKind::Adjustment, reason.trim()),
    };
    if reason.is_empty() || reason.chars().count() > 64 {
        return Err(OpsError::Invalid("reason must be 1-64 characters".into()));
    }
    let note = operator_note(note)?;
    let now = now_ms();
    let reference = format!("{}-{app_id}-{now}", kind.as_str());
    let entry = operator_entry(
        kind,
        &reference,
        app_id,
        currency,
        amount,
        &format!("{reason}: {note}"),
    );
    match store.post_entry(&entry, now).await {
        Ok(()) => Ok(entry),
        Err(StoreError::InsufficientBalance) => Err(OpsError::Invalid(
            "the adjustment would take the available balance below zero".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A merchant's available and frozen balance in `currency`.
pub async fn balances(
    store: &dyn Store,
    app_id: &str,
    currency: sampan_domain::Currency,
) -> Result<(i64, i64), StoreError> {
    use sampan_domain::ledger::Account;
    Ok((
        store.balance(&Account::available(app_id, currency)).await?,
        store.balance(&Account::frozen(app_id, currency)).await?,
    ))
}

/// The operator's view of a payout: the merchant's view plus where it goes and its
/// notifications with their attempts.
pub fn payout_view(
    p: &sampan_domain::Payout,
    zone: &sampan_domain::DisplayZone,
) -> serde_json::Value {
    let now = now_ms();
    serde_json::json!({
        "appId": p.app_id,
        "payout": p.check_data(zone),
        "methodCode": p.method_code,
        "accountNo": p.account_no,
        "accountName": p.account_name,
        "notifyUrl": p.notify_url,
        "ageSecs": (now - p.created_at).max(0) / 1000,
        "settleAt": p.settle_at.map(|t| zone.format(t)),
    })
}

/// PENDING (or other) payouts at least `min_age_secs` old, oldest first.
pub async fn list_payouts(
    store: &dyn Store,
    status: &str,
    min_age_secs: i64,
    limit: i64,
) -> Result<Vec<sampan_domain::Payout>, OpsError> {
    let status =
        sampan_domain::PayoutStatus::parse(&status.to_ascii_uppercase()).ok_or_else(|| {
            OpsError::Invalid(format!(
                "unknown status {status:?} (PENDING, COMPLETED or FAILED)"
            ))
        })?;
    let before = created_before(min_age_secs, limit)?;
    Ok(store.payouts_by_status(status, before, limit).await?)
}

/// A payout with its notifications and their attempts; `None` when there is no such payout.
pub async fn payout_details(
    store: &dyn Store,
    zone: &sampan_domain::DisplayZone,
    transaction_id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some(payout) = store.payout(transaction_id).await? else {
        return Ok(None);
    };
    let mut view = payout_view(&payout, zone);
    view["notifications"] = notification_summaries(store, transaction_id).await?;
    Ok(Some(view))
}

/// What an operator decides about a stuck payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedOutcome {
    Complete,
    /// Fail with this `failedCode` (default -10004 Transaction Channel Rejected).
    Fail(Option<i32>),
}

/// Force-settles a PENDING payout; the note is recorded on the journal entry.
pub async fn force_settle_payout(
    store: &dyn Store,
    zone: &sampan_domain::DisplayZone,
    transaction_id: &str,
    outcome: ForcedOutcome,
    note: &str,
) -> Result<sampan_domain::Payout, OpsError> {
    use sampan_domain::PayoutOutcome;
    use sampan_protocol::FailedCode;
    let note = operator_note(note)?;
    let outcome = match outcome {
        ForcedOutcome::Complete => PayoutOutcome::Completed,
        ForcedOutcome::Fail(None) => PayoutOutcome::Failed(FailedCode::ChannelRejected),
        ForcedOutcome::Fail(Some(code)) => PayoutOutcome::Failed(
            FailedCode::from_i32(code)
                .ok_or_else(|| OpsError::Invalid(format!("unknown failedCode {code}")))?,
        ),
    };
    let memo = format!("forced by operator: {note}");
    store
        .settle_payout(transaction_id, outcome, now_ms(), zone, Some(&memo))
        .await
        .map_err(|e| forced_settlement_error(e, "payout", transaction_id))
}

// ------------------------------------------------------------------ refunds

/// The operator's view of a refund: the merchant's view plus where its notification goes.
pub fn refund_view(
    r: &sampan_domain::Refund,
    zone: &sampan_domain::DisplayZone,
) -> serde_json::Value {
    let now = now_ms();
    serde_json::json!({
        "appId": r.app_id,
        "refund": r.data(zone),
        "channelCode": r.channel_code,
        "refundCallbackUrl": r.callback_url,
        "ageSecs": (now - r.created_at).max(0) / 1000,
        "settleAt": r.settle_at.map(|t| zone.format(t)),
    })
}

/// PENDING (or other) refunds at least `min_age_secs` old, oldest first.
pub async fn list_refunds(
    store: &dyn Store,
    status: &str,
    min_age_secs: i64,
    limit: i64,
) -> Result<Vec<sampan_domain::Refund>, OpsError> {
    let status =
        sampan_domain::RefundStatus::parse(&status.to_ascii_uppercase()).ok_or_else(|| {
            OpsError::Invalid(format!(
                "unknown status {status:?} (PENDING, COMPLETE, FAILED or CANCEL)"
            ))
        })?;
    let before = created_before(min_age_secs, limit)?;
    Ok(store.refunds_by_status(status, before, limit).await?)
}

/// A refund with its notifications; `None` when there is no such refund.
pub async fn refund_details(
    store: &dyn Store,
    zone: &sampan_domain::DisplayZone,
    refund_transaction_id: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some(refund) = store.refund(refund_transaction_id).await? else {
        return Ok(None);
    };
    let mut view = refund_view(&refund, zone);
    view["notifications"] = notification_summaries(store, refund_transaction_id).await?;
    Ok(Some(view))
}

/// Cancels a PENDING refund (→ `CANCEL`): its frozen amount returns to the merchant's available
/// balance and `payment.refund.cancel` is sent. The note is recorded on the journal entry.
pub async fn cancel_refund(
    store: &dyn Store,
    zone: &sampan_domain::DisplayZone,
    refund_transaction_id: &str,
    note: &str,
) -> Result<sampan_domain::Refund, OpsError> {
    use sampan_domain::RefundOutcome;
    let note = operator_note(note)?;
    let memo = format!("cancelled by operator: {note}");
    store
        .settle_refund(
            refund_transaction_id,
            RefundOutcome::Cancelled,
            now_ms(),
            zone,
            Some(&memo),
        )
        .await
        .map_err(|e| forced_settlement_error(e, "refund", refund_transaction_id))
}

// ------------------------------------------------------------------ shared checks and views

/// An operator's note for the journal: 1–512 characters once trimmed.
fn operator_note(note: &str) -> Result<&str, OpsError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 512 {
        return Err(OpsError::Invalid("note must be 1-512 characters".into()));
    }
    Ok(note)
}

/// The creation-time cutoff of a "pending for at least N seconds" listing, with its limits
/// checked.
fn created_before(min_age_secs: i64, limit: i64) -> Result<i64, OpsError> {
    if min_age_secs < 0 {
        return Err(OpsError::Invalid("age must not be negative".into()));
    }
    if !(1..=10_000).contains(&limit) {
        return Err(OpsError::Invalid("limit must be 1-10000".into()));
    }
    Ok(now_ms().saturating_sub(min_age_secs.saturating_mul(1000)))
}

/// The notifications of a transaction with how many attempts each has had.
async fn notification_summaries(
    store: &dyn Store,
    reference: &str,
) -> Result<serde_json::Value, StoreError> {
    let mut notifications = Vec::new();
    for n in store.notifications_for(reference).await? {
        notifications.push(serde_json::json!({
            "id": n.id,
            "event": n.event,
            "url": n.url,
            "status": n.status.as_str(),
            "attempts": store.attempts(n.id).await?.len(),
        }));
    }
    Ok(serde_json::Value::Array(notifications))
}

/// An operator's forced settlement that the store refused, in the operator's words.
fn forced_settlement_error(e: StoreError, kind: &str, id: &str) -> OpsError {
    use sampan_domain::payment::TransitionError;
    match e {
        StoreError::NotFound => OpsError::NotFound(format!("no {kind} {id}")),
        StoreError::Transition(TransitionError::AlreadyFinal(s)) => {
            OpsError::Invalid(format!("{kind} {id} is already {s}"))
        }
        e => e.into(),
    }
}
