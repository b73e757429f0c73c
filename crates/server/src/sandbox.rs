//! The payer's side of the sandbox: the hosted cashier page with Pay/Fail buttons, and the
//! `/sandbox` API that scripts and tests use to do the same.

use crate::state::SharedState;
use crate::static_codes::{self, PayError};
use crate::{payments, payouts};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use sampan_channels::cashier::{self, CashierView};
use sampan_domain::payment::{Payment, PaymentOutcome, TransitionError};
use sampan_domain::static_code::{CodePayment, CodeRefusal, StaticCode};
use sampan_domain::time::now_ms;
use sampan_domain::{ChannelKind, Currency, Money, PayoutOutcome, StoreError};
use sampan_protocol::FailedCode;
use serde::Deserialize;
use serde_json::json;

pub fn cashier_routes() -> Router<SharedState> {
    Router::new()
        .route("/cashier/{transaction_id}", get(page))
        .route("/cashier/codes/{code_id}", get(code_page))
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
        .route("/cashier/codes/{code_id}/pay", post(code_page_pay))
        .route("/sandbox/codes/{code}/pay", post(api_pay_code))
}

// ---------------------------------------------------------------- static payment codes

/// Longest payer reference the sandbox accepts.
const PAYER_REFERENCE_MAX: usize = 64;

/// What a payer sends to pay a code (JSON on the API, a form on the page).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodePayBody {
    amount: Option<serde_json::Value>,
    payer_reference: Option<String>,
}

/// A checked payment request: a positive integer amount in the country's minor unit and an
/// optional reference of letters, digits, `-` and `_`.
fn read_pay_body(body: CodePayBody) -> Result<(i64, Option<String>), String> {
    let amount = match body.amount {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s))
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        None => return Err("amount is required".into()),
        _ => None,
    }
    .filter(|a| *a > 0)
    .ok_or("amount must be a positive integer in the country's minor unit")?;
    let reference = body.payer_reference.filter(|r| !r.is_empty());
    if let Some(r) = &reference {
        if r.chars().count() > PAYER_REFERENCE_MAX
            || !r
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return Err(format!(
                "payerReference must be 1-{PAYER_REFERENCE_MAX} letters, digits, '-' or '_'"
            ));
        }
    }
    Ok((amount, reference))
}

fn code_paid(p: &CodePayment) -> serde_json::Value {
    json!({
        "transactionId": p.transaction_id,
        "transactionStatus": p.status.as_str(),
        "codeId": p.code_id,
        "mchOrderId": p.mch_order_id,
        "channelCode": p.channel_code,
        "amount": p.amount.minor,
        "fee": p.fee,
        "currency": p.amount.currency.code(),
        "referenceNumber": p.reference_number,
    })
}

/// The upstream's refusal: HTTP status and the sentence the payer would read.
fn explain_code(e: &PayError) -> (StatusCode, String) {
    match e {
        PayError::Store(StoreError::Code(refusal)) => {
            let status = match refusal {
                CodeRefusal::NotActive(_) | CodeRefusal::Expired => StatusCode::CONFLICT,
                CodeRefusal::AmountMismatch { .. } | CodeRefusal::AmountOutOfLimits { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            };
            let text = match refusal {
                CodeRefusal::AmountMismatch { expected } => format!(
                    "This payment code only accepts exactly {}.",
                    display_amount(*expected)
                ),
                CodeRefusal::AmountOutOfLimits { min, max } => format!(
                    "The amount must be between {} and {}.",
                    display_amount(*min),
                    display_amount(*max)
                ),
                CodeRefusal::NotActive("CANCEL") => {
                    "This payment code was cancelled; no payment was taken.".into()
                }
                other => format!("{other}; no payment was taken."),
            };
            (status, text)
        }
        PayError::Store(StoreError::NotFound) => {
            (StatusCode::NOT_FOUND, "No such payment code.".into())
        }
        PayError::ChannelGone(_) => (StatusCode::CONFLICT, format!("{e}.")),
        PayError::Store(other) => {
            tracing::error!(error = %other, "sandbox code payment failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The payment could not be processed.".into(),
            )
        }
    }
}

/// `POST /sandbox/codes/{payData or code id}/pay` with `{amount, payerReference?}`.
async fn api_pay_code(
    State(state): State<SharedState>,
    Path(key): Path<String>,
    body: Option<Json<CodePayBody>>,
) -> Response {
    let refuse =
        |status: StatusCode, error: String| (status, Json(json!({"error": error}))).into_response();
    let Some(Json(body)) = body else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the body must be JSON {\"amount\": …, \"payerReference\": …}".into(),
        );
    };
    let (amount, reference) = match read_pay_body(body) {
        Ok(v) => v,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let code = match static_codes::find_for_payer(&state, &key).await {
        Ok(Some(code)) => code,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "No such payment code.".into()),
        Err(e) => return refuse_store(e),
    };
    match static_codes::pay(&state, &code, amount, reference).await {
        Ok(p) => Json(code_paid(&p)).into_response(),
        Err(e) => {
            let (status, text) = explain_code(&e);
            (
                status,
                Json(json!({"error": text, "codeId": code.code_id, "codeStatus": current_status(&state, &code).await})),
            )
                .into_response()
        }
    }
}

fn refuse_store(e: StoreError) -> Response {
    tracing::error!(error = %e, "sandbox code lookup failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "The payment could not be processed."})),
    )
        .into_response()
}

/// The code's status after a refusal (it may have just been marked EXPIRED).
async fn current_status(state: &SharedState, code: &StaticCode) -> String {
    match state.store.static_code(&code.code_id).await {
        Ok(Some(c)) => c.status.as_str().to_string(),
        _ => code.status.as_str().to_string(),
    }
}

/// The cashier page's form posts here and is redirected back to the page.
async fn code_page_pay(
    State(state): State<SharedState>,
    Path(code_id): Path<String>,
    Form(body): Form<CodePayForm>,
) -> Response {
    let notice = match read_pay_body(CodePayBody {
        amount: Some(serde_json::Value::String(body.amount.trim().to_string())),
        payer_reference: body.payer_reference,
    }) {
        Err(e) => e,
        Ok((amount, reference)) => match state.store.static_code(&code_id).await {
            Ok(Some(code)) => match static_codes::pay(&state, &code, amount, reference).await {
                Ok(p) => format!(
                    "Paid {} (transaction {}).",
                    display_amount(p.amount),
                    p.transaction_id
                ),
                Err(e) => explain_code(&e).1,
            },
            Ok(None) => "No such payment code.".into(),
            Err(e) => {
                tracing::error!(error = %e, "sandbox code payment");
                "The payment could not be processed.".into()
            }
        },
    };
    Redirect::to(&format!(
        "/cashier/codes/{}?notice={}",
        urlencode(&code_id),
        urlencode(&notice)
    ))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodePayForm {
    #[serde(default)]
    amount: String,
    payer_reference: Option<String>,
}

/// The unit a payer types amounts in on the sandbox form.
fn amount_unit(currency: Currency) -> String {
    let one = Money::new(10_i64.pow(currency.decimals()), currency);
    match currency.decimals() {
        0 => format!("whole {}", currency.code()),
        _ => format!("minor units ({} = {})", display_amount(one), one.minor),
    }
}

async fn code_page(
    State(state): State<SharedState>,
    Path(code_id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let code = match state.store.static_code(&code_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                Html(cashier::render_not_found(&code_id)),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "code page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let totals = match state.store.code_totals(&code.code_id).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "code page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let merchant = match state.store.app(&code.app_id).await {
        Ok(Some(app)) => app.name,
        _ => String::from("Merchant"),
    };
    let currency = code.country.currency();
    let channel_name = state
        .catalog
        .get_kind(&code.channel_code, ChannelKind::Static)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| code.channel_code.clone());
    let fixed = code.fixed_amount.map(display_amount);
    let expires = match code.expires_at {
        Some(t) => format!("{} (UTC{})", state.zone.format(t), state.zone),
        None => "Never".to_string(),
    };
    // A code whose expiry passed shows as expired even before the sweep marks it.
    let status = if code.is_expired_at(now_ms()) {
        "EXPIRED"
    } else {
        code.status.as_str()
    };
    let paid = display_amount(Money::new(totals.paid_amount, currency));
    let action = format!("/cashier/codes/{}/pay", code.code_id);
    let unit = amount_unit(currency);
    let view = cashier::CodeView {
        merchant_name: &merchant,
        code_id: &code.code_id,
        mch_order_id: &code.mch_order_id,
        fixed_amount_display: fixed.as_deref(),
        channel_name: &channel_name,
        channel_type: code.channel_type.as_str(),
        pay_data: &code.pay_data,
        status,
        expires_display: &expires,
        paid_count: totals.paid_count,
        paid_amount_display: &paid,
        sandbox: state.config.sandbox,
        pay_action: &action,
        amount_unit: &unit,
        default_amount: code.fixed_amount.map(|m| m.minor),
        notice: query.notice.as_deref(),
    };
    Html(cashier::render_code(&view)).into_response()
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
