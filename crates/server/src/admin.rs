//! The admin JSON API (bearer token): apps, payments with their notifications, resends,
//! balances (top-up, adjust), payouts (list stuck ones, force-complete, force-fail), refunds
//! (list, show, cancel), ledger
//! verification, the platform public key.

use crate::ops::{self, AppChanges, AppView, OpsError};
use crate::state::SharedState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sampan_domain::time::now_ms;
use sampan_domain::StoreError;
use serde::Deserialize;
use serde_json::json;

pub fn routes(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/admin/apps", get(list_apps).post(create_app))
        .route("/admin/apps/{app_id}", get(show_app).patch(update_app))
        .route("/admin/payments/{transaction_id}", get(show_payment))
        .route("/admin/codes/{code_id}", get(show_code))
        .route("/admin/balances/{app_id}", get(show_balances))
        .route("/admin/balances/topup", post(topup))
        .route("/admin/balances/adjust", post(adjust))
        .route("/admin/payouts", get(list_payouts))
        .route("/admin/payouts/{transaction_id}", get(show_payout))
        .route(
            "/admin/payouts/{transaction_id}/complete",
            post(force_complete),
        )
        .route("/admin/payouts/{transaction_id}/fail", post(force_fail))
        .route("/admin/refunds", get(list_refunds))
        .route("/admin/refunds/{refund_transaction_id}", get(show_refund))
        .route(
            "/admin/refunds/{refund_transaction_id}/cancel",
            post(cancel_refund),
        )
        .route("/admin/notifications/{id}/resend", post(resend))
        .route("/admin/ledger/verify", get(verify_ledger))
        .route("/admin/keys/platform-public", get(platform_public))
        .route("/admin/wechat/{appid}/public-key", get(wechat_public))
        .layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(presented.as_bytes(), state.admin_token.as_bytes()) {
        next.run(req).await
    } else {
        AdminError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
        )
        .into_response()
    }
}

/// Compares without an early exit, so response timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<OpsError> for AdminError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::NoApp(_) | OpsError::NotFound(_) => {
                AdminError(StatusCode::NOT_FOUND, e.to_string())
            }
            OpsError::Invalid(_) => AdminError(StatusCode::BAD_REQUEST, e.to_string()),
            OpsError::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AdminError(StatusCode::NOT_FOUND, "not found".into()),
            other => {
                tracing::error!(error = %other, "admin request failed");
                AdminError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

type AdminResult = Result<Response, AdminError>;

async fn list_apps(State(state): State<SharedState>) -> AdminResult {
    let apps: Vec<AppView> = state
        .store
        .apps()
        .await?
        .iter()
        .map(AppView::from)
        .collect();
    Ok(Json(apps).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewApp {
    name: String,
    public_key: Option<String>,
}

async fn create_app(State(state): State<SharedState>, Json(req): Json<NewApp>) -> AdminResult {
    let created =
        ops::create_app(state.store.as_ref(), &req.name, req.public_key.as_deref()).await?;
    let mut body = serde_json::to_value(AppView::from(&created.app)).expect("serializes");
    if let Some(key) = created.private_key {
        // Shown once: sampan keeps only the public half.
        body["privateKey"] = json!(key.to_pkcs8_pem());
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn show_app(State(state): State<SharedState>, Path(app_id): Path<String>) -> AdminResult {
    let app = state
        .store
        .app(&app_id)
        .await?
        .ok_or_else(|| AdminError(StatusCode::NOT_FOUND, format!("no app {app_id}")))?;
    Ok(Json(AppView::from(&app)).into_response())
}

async fn update_app(
    State(state): State<SharedState>,
    Path(app_id): Path<String>,
    Json(changes): Json<AppChanges>,
) -> AdminResult {
    let app = ops::update_app(state.store.as_ref(), &state.catalog, &app_id, changes).await?;
    state.apps.invalidate(&app_id);
    Ok(Json(AppView::from(&app)).into_response())
}

async fn show_payment(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
) -> AdminResult {
    let details = ops::payment_details(state.store.as_ref(), &state.zone, &transaction_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Json(details).into_response())
}

/// A static payment code with its totals and every payment made to it.
async fn show_code(State(state): State<SharedState>, Path(code_id): Path<String>) -> AdminResult {
    let code = state
        .store
        .static_code(&code_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let totals = state.store.code_totals(&code.code_id).await?;
    let payments: Vec<_> = state
        .store
        .code_payments(&code.app_id, &code.mch_order_id, 0, i64::MAX)
        .await?
        .into_iter()
        .filter(|p| p.code_id == code.code_id)
        .map(|p| p.item(&state.zone))
        .collect();
    let pay_url = crate::static_codes::code_url(&state, &code.code_id);
    Ok(Json(serde_json::json!({
        "codeId": code.code_id,
        "appId": code.app_id,
        "code": code.detail_data(&state.zone, pay_url, totals),
        "notifyUrl": code.notify_url,
        "payments": payments,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BalanceBody {
    app_id: String,
    currency: String,
    amount: i64,
    #[serde(default)]
    reason: Option<String>,
    note: String,
}

async fn topup(State(state): State<SharedState>, Json(b): Json<BalanceBody>) -> AdminResult {
    change_balance(state, ops::BalanceChange::TopUp, b).await
}

async fn adjust(State(state): State<SharedState>, Json(b): Json<BalanceBody>) -> AdminResult {
    change_balance(state, ops::BalanceChange::Adjust, b).await
}

async fn change_balance(
    state: SharedState,
    change: ops::BalanceChange,
    b: BalanceBody,
) -> AdminResult {
    let reason = b.reason.unwrap_or_default();
    let entry = ops::change_balance(
        state.store.as_ref(),
        change,
        &b.app_id,
        &b.currency,
        b.amount,
        &reason,
        &b.note,
    )
    .await?;
    let currency = entry.postings[0].account.currency();
    let (available, frozen) = ops::balances(state.store.as_ref(), &b.app_id, currency).await?;
    Ok(Json(json!({
        "reference": entry.reference,
        "kind": entry.kind.as_str(),
        "memo": entry.memo,
        "currency": currency.code(),
        "available": available,
        "frozen": frozen,
    }))
    .into_response())
}

async fn show_balances(
    State(state): State<SharedState>,
    Path(app_id): Path<String>,
) -> AdminResult {
    if state.store.app(&app_id).await?.is_none() {
        return Err(OpsError::NoApp(app_id).into());
    }
    let mut rows = Vec::new();
    for currency in sampan_domain::Currency::ALL {
        let (available, frozen) = ops::balances(state.store.as_ref(), &app_id, currency).await?;
        rows.push(json!({"currency": currency.code(), "available": available, "frozen": frozen}));
    }
    Ok(Json(rows).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayoutFilter {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    min_age_secs: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn list_payouts(
    State(state): State<SharedState>,
    Query(f): Query<PayoutFilter>,
) -> AdminResult {
    let payouts = ops::list_payouts(
        state.store.as_ref(),
        f.status.as_deref().unwrap_or("PENDING"),
        f.min_age_secs.unwrap_or(0),
        f.limit.unwrap_or(100),
    )
    .await?;
    let views: Vec<_> = payouts
        .iter()
        .map(|p| ops::payout_view(p, &state.zone))
        .collect();
    Ok(Json(views).into_response())
}

async fn show_payout(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
) -> AdminResult {
    let details = ops::payout_details(state.store.as_ref(), &state.zone, &transaction_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Json(details).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ForceBody {
    note: String,
    #[serde(default)]
    failed_code: Option<i32>,
}

async fn force_complete(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    Json(b): Json<ForceBody>,
) -> AdminResult {
    if b.failed_code.is_some() {
        return Err(AdminError(
            StatusCode::BAD_REQUEST,
            "failedCode only applies to /fail".into(),
        ));
    }
    force(state, transaction_id, ops::ForcedOutcome::Complete, b.note).await
}

async fn force_fail(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    Json(b): Json<ForceBody>,
) -> AdminResult {
    force(
        state,
        transaction_id,
        ops::ForcedOutcome::Fail(b.failed_code),
        b.note,
    )
    .await
}

async fn force(
    state: SharedState,
    transaction_id: String,
    outcome: ops::ForcedOutcome,
    note: String,
) -> AdminResult {
    let payout = ops::force_settle_payout(
        state.store.as_ref(),
        &state.zone,
        &transaction_id,
        outcome,
        &note,
    )
    .await?;
    state.outbox_wake.notify_one();
    Ok(Json(ops::payout_view(&payout, &state.zone)).into_response())
}

async fn list_refunds(
    State(state): State<SharedState>,
    Query(f): Query<PayoutFilter>,
) -> AdminResult {
    let refunds = ops::list_refunds(
        state.store.as_ref(),
        f.status.as_deref().unwrap_or("PENDING"),
        f.min_age_secs.unwrap_or(0),
        f.limit.unwrap_or(100),
    )
    .await?;
    let views: Vec<_> = refunds
        .iter()
        .map(|r| ops::refund_view(r, &state.zone))
        .collect();
    Ok(Json(views).into_response())
}

async fn show_refund(
    State(state): State<SharedState>,
    Path(refund_transaction_id): Path<String>,
) -> AdminResult {
    let details = ops::refund_details(state.store.as_ref(), &state.zone, &refund_transaction_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Json(details).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CancelBody {
    note: String,
}

async fn cancel_refund(
    State(state): State<SharedState>,
    Path(refund_transaction_id): Path<String>,
    Json(b): Json<CancelBody>,
) -> AdminResult {
    let refund = ops::cancel_refund(
        state.store.as_ref(),
        &state.zone,
        &refund_transaction_id,
        &b.note,
    )
    .await?;
    state.outbox_wake.notify_one();
    Ok(Json(ops::refund_view(&refund, &state.zone)).into_response())
}

async fn resend(State(state): State<SharedState>, Path(id): Path<i64>) -> AdminResult {
    state.store.resend_notification(id, now_ms()).await?;
    state.outbox_wake.notify_one();
    Ok(Json(json!({"id": id, "status": "PENDING"})).into_response())
}

async fn verify_ledger(State(state): State<SharedState>) -> AdminResult {
    let report = state.store.verify_ledger().await?;
    let status = if report.is_consistent() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((
        status,
        Json(json!({
            "consistent": report.is_consistent(),
            "accounts": report.accounts,
            "entries": report.entries,
            "mismatchedBalances": report.mismatched_balances,
            "unbalancedEntries": report.unbalanced_entries,
        })),
    )
        .into_response())
}

async fn platform_public(State(state): State<SharedState>) -> AdminResult {
    let public = state.platform_key.public_key();
    Ok(Json(json!({"publicKey": public.to_spki_base64(), "pem": public.to_pem()})).into_response())
}

/// The public key that verifies `paySign` of a bound WeChat appid.
async fn wechat_public(State(state): State<SharedState>, Path(appid): Path<String>) -> AdminResult {
    let public = ops::wechat_public_key(state.store.as_ref(), &appid)
        .await?
        .ok_or_else(|| {
            AdminError(
                StatusCode::NOT_FOUND,
                format!("no WeChat merchant key for {appid}: bind it to an app first"),
            )
        })?;
    Ok(Json(json!({
        "appid": appid,
        "publicKey": public.to_spki_base64(),
        "pem": public.to_pem(),
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_comparison() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
    }
}
