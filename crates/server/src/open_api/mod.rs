//! The merchant-facing API under `/open-api`.

mod account;
pub mod payments;
pub mod payouts;
pub mod pipeline;
pub mod refunds;
pub mod static_codes;

use crate::error::ApiError;
use crate::state::SharedState;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::routing::post;
use axum::Router;
use sampan_domain::Country;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/open-api/account/balance", post(account::balance))
        .route("/open-api/report/download", post(crate::reports::download))
        .route(
            "/open-api/{country}/payment/generate",
            post(payments::generate),
        )
        .route("/open-api/{country}/payment/query", post(payments::query))
        // Compatibility aliases (spec README §1), same handlers underneath.
        .route("/open-api/payment/generate", post(payments::generate_v2))
        .route("/open-api/payment/query", post(payments::query_v2))
        .route("/open-api/webpay/generate", post(payments::webpay_generate))
        .route("/open-api/webpay/detail", post(payments::webpay_detail))
        .route(
            "/open-api/{country}/disbursement/transfer",
            post(payouts::transfer),
        )
        .route(
            "/open-api/{country}/disbursement/check",
            post(payouts::check),
        )
        .route("/open-api/disbursement/check", post(payouts::check_any))
        .route("/open-api/payment/refund", post(refunds::refund))
        .route("/open-api/refund/payments", post(refunds::list))
        .route(
            "/open-api/{country}/static/payment/generate",
            post(static_codes::generate),
        )
        .route(
            "/open-api/{country}/static/payment/detail",
            post(static_codes::detail),
        )
        .route(
            "/open-api/{country}/static/payment/list",
            post(static_codes::list),
        )
        .route(
            "/open-api/{country}/static/code/cancel",
            post(static_codes::cancel),
        )
}

/// The `{country}` path segment. An unknown country is an unknown route, answered before the
/// request is authenticated.
pub struct CountryPath(pub Country);

impl FromRequestParts<SharedState> for CountryPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Path(slug) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NoRoute)?;
        Country::from_slug(&slug)
            .map(CountryPath)
            .ok_or(ApiError::NoRoute)
    }
}
