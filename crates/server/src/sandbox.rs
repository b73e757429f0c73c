//! The payer's side of the sandbox: the hosted cashier page with Pay/Fail buttons, and the
//! `/sandbox` API that scripts and tests use to do the same.

use crate::state::SharedState;
use crate::{payments, payouts};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sampan_channels::cashier::{self, CashierView};
use sampan_domain::payment::{Payment, PaymentOutcome, TransitionError};
use sampan_domain::time::now_ms;
use sampan_domain::{Money, PayoutOutcome, StoreError};
use sampan_protocol::FailedCode;
use serde::Deserialize;
use serde_json::json;

pub fn cashier_routes() -> Router<SharedState> {
    Router::new().route("/cashier/{transaction_id}", get(page))
}

/// Buttons of the cashier page and the scripted API; served only in sandbox mode.
pub fn sandbox_routes() -> Router<SharedState> {
    Router::new()
        .route("/cashier/{transaction_id}/pay", post(page_pay))
        .route("/cashier/{transaction_id}/fail", post(page_fail))
        .route(
            "/sandbox/payments/{transaction_id}/complete",
            post(api_complete),
        )
        .route("/sandbox/payments/{transaction_id}/fail", post(api_fail))
        .route(
            "/sandbox/payouts/{transaction_id}/complete",
            post(payout_complete),
        )
        .route("/sandbox/payouts/{transaction_id}/fail", post(payout_fail))
}

#[derive(Deserialize)]
struct PageQuery {
    notice: Option<String>,
}

async fn page(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let payment = match state.store.payment(&transaction_id).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                Html(cashier::render_not_found(&transaction_id)),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "cashier page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let merchant = match state.store.app(&payment.app_id).await {
        Ok(Some(app)) => app.name,
        _ => String::from("Merchant"),
    };
    let channel_name = state
        .catalog
        .get(&payment.channel_code)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| payment.channel_code.clone());
    let amount_display = display_amount(payment.amount);
    let expires_display = format!(
        "{} (UTC{})",
        state.zone.format(payment.expires_at),
        state.zone
    );
    let base = format!("/cashier/{}", payment.transaction_id);
    let pay_action = format!("{base}/pay");
    let fail_action = format!("{base}/fail");
    let view = CashierView {
        merchant_name: &merchant,
        transaction_id: &payment.transaction_id,
        mch_order_id: &payment.mch_order_id,
        amount_display: &amount_display,
        channel_name: &channel_name,
        channel_type: payment.channel_type.as_str(),
        channel_code: &payment.channel_code,
        pay_data: &payment.pay_data,
        status: payment.status.as_str(),
        failed_message: payment.failure.map(|f| f.message()),
        expires_display: &expires_display,
        expires_in_secs: (payment.expires_at - now_ms()).div_euclid(1000),
        redirect_url: payment.redirect_url.as_deref(),
        sandbox: state.config.sandbox,
        pay_action: &pay_action,
        fail_action: &fail_action,
        notice: query.notice.as_deref(),
    };
    Html(cashier::render(&view)).into_response()
}

/// `PHP 1,234.50`: grouped major units for people.
pub fn display_amount(amount: Money) -> String {
    let major = amount.to_major_string();
    let (int, frac) = major
        .split_once('.')
        .map_or((major.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{} {sign}{grouped}.{f}", amount.currency),
        None => format!("{} {sign}{grouped}", amount.currency),
    }
}

async fn page_pay(state: State<SharedState>, id: Path<String>) -> Response {
    page_action(state, id, PaymentOutcome::Paid).await
}

async fn page_fail(state: State<SharedState>, id: Path<String>) -> Response {
    page_action(
        state,
        id,
        PaymentOutcome::Failed(FailedCode::ChannelRejected),
    )
    .await
}

/// The buttons post here and are redirected back to the page, which shows the result.
async fn page_action(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    outcome: PaymentOutcome,
) -> Response {
    let notice = match payments::settle(&state, &transaction_id, outcome).await {
        Ok(_) => None,
        Err(e) => Some(explain(&e)),
    };
    let mut target = format!("/cashier/{transaction_id}");
    if let Some(n) = notice {
        target.push_str("?notice=");
        target.push_str(&urlencode(&n));
    }
    Redirect::to(&target).into_response()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FailBody {
    failed_code: Option<i32>,
}

async fn api_complete(state: State<SharedState>, id: Path<String>) -> Response {
    api_settle(state, id, PaymentOutcome::Paid).await
}

async fn api_fail(
    state: State<SharedState>,
    id: Path<String>,
    body: Option<Json<FailBody>>,
) -> Response {
    let code = body.and_then(|Json(b)| b.failed_code);
    let failed = match code {
        None => FailedCode::ChannelRejected,
        Some(c) => match FailedCode::from_i32(c) {
            Some(f) => f,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("unknown failedCode {c}")})),
                )
                    .into_response()
            }
        },
    };
    api_settle(state, id, PaymentOutcome::Failed(failed)).await
}

async fn api_settle(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    outcome: PaymentOutcome,
) -> Response {
    match payments::settle(&state, &transaction_id, outcome).await {
        Ok(p) => Json(settled(&p)).into_response(),
        Err(e) => {
            let status = match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::Transition(_) => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Json(json!({"error": explain(&e)}))).into_response()
        }
    }
}

async fn payout_complete(state: State<SharedState>, id: Path<String>) -> Response {
    payout_settle(state, id, PayoutOutcome::Completed).await
}

async fn payout_fail(
    state: State<SharedState>,
    id: Path<String>,
    body: Option<Json<FailBody>>,
) -> Response {
    let failed = match body.and_then(|Json(b)| b.failed_code) {
        None => FailedCode::ChannelRejected,
        Some(c) => match FailedCode::from_i32(c) {
            Some(f) => f,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("unknown failedCode {c}")})),
                )
                    .into_response()
            }
        },
    };
    payout_settle(state, id, PayoutOutcome::Failed(failed)).await
}

/// The sandbox upstream answers a payout now, whatever its account number says.
async fn payout_settle(
    State(state): State<SharedState>,
    Path(transaction_id): Path<String>,
    outcome: PayoutOutcome,
) -> Response {
    match payouts::settle(&state, &transaction_id, outcome, None).await {
        Ok(p) => Json(json!({
            "transactionId": p.transaction_id,
            "transactionStatus": p.status.as_str(),
            "failedCode": p.failure.map(|f| f.as_i32()),
            "failedMessage": p.failure.map(|f| f.message()),
        }))
        .into_response(),
        Err(e) => {
            let status = match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::Transition(_) => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Json(json!({"error": explain(&e)}))).into_response()
        }
    }
}

fn settled(p: &Payment) -> serde_json::Value {
    json!({
        "transactionId": p.transaction_id,
        "transactionStatus": p.status.as_str(),
        "failedCode": p.failure.map(|f| f.as_i32()),
        "failedMessage": p.failure.map(|f| f.message()),
    })
}

fn explain(e: &StoreError) -> String {
    match e {
        StoreError::NotFound => "No such transaction.".into(),
        StoreError::Transition(TransitionError::Expired) => "This order has expired.".into(),
        StoreError::Transition(TransitionError::AlreadyFinal(status)) => {
            format!("This order is already {status}.")
        }
        other => {
            tracing::error!(error = %other, "sandbox settlement failed");
            "The payment could not be processed.".into()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sampan_domain::Currency;

    #[test]
    fn amounts_are_grouped_for_people() {
        assert_eq!(
            display_amount(Money::new(123_450, Currency::PHP)),
            "PHP 1,234.50"
        );
        assert_eq!(display_amount(Money::new(5, Currency::PHP)), "PHP 0.05");
        assert_eq!(
            display_amount(Money::new(15_000_000, Currency::IDR)),
            "IDR 15,000,000"
        );
        assert_eq!(
            display_amount(Money::new(100_000, Currency::THB)),
            "THB 1,000.00"
        );
    }

    #[test]
    fn notices_are_url_encoded() {
        assert_eq!(
            urlencode("This order has expired."),
            "This%20order%20has%20expired."
        );
    }
}
