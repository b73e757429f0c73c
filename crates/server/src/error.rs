//! The one place where failures become protocol answers (`{code, message, data}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sampan_domain::payout::PayoutRejection;
use sampan_domain::refund::RefundRejection;
use sampan_domain::{StoreError, UniqueKey};
use sampan_protocol::fields::ParamError;
use sampan_protocol::{Code, ResponseEnvelope, SignatureError, TimestampError};

/// A refused or failed open-api request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A protocol code with its standard message.
    #[error("{0}")]
    Code(Code),
    /// 21002 naming the field.
    #[error("{0}")]
    Param(#[from] ParamError),
    /// Something broke on our side. Logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
    #[error("body larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("no such route")]
    NoRoute,
}

impl ApiError {
    pub fn code(&self) -> Code {
        match self {
            ApiError::Code(code) => *code,
            ApiError::Param(_) | ApiError::BodyTooLarge(_) | ApiError::NoRoute => Code::ParamError,
            ApiError::Internal(_) => Code::GeneralError,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Param(e) => format!("{}: {e}", Code::ParamError.message()),
            ApiError::BodyTooLarge(limit) => {
                format!("{}: body exceeds {limit} bytes", Code::ParamError.message())
            }
            other => other.code().message().to_string(),
        }
    }

    fn http_status(&self) -> StatusCode {
        match self {
            ApiError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            _ => StatusCode::OK,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(UniqueKey::MchOrderId) => {
                ApiError::Code(Code::DuplicateMchOrderId)
            }
            StoreError::Duplicate(UniqueKey::IdempotencyId) => {
                ApiError::Code(Code::DuplicateIdempotencyId)
            }
            StoreError::Duplicate(UniqueKey::MchRefundOrderId) => {
                ApiError::Code(Code::DuplicateMchRefundOrderId)
            }
            StoreError::Duplicate(UniqueKey::PendingRefund) => {
                ApiError::Code(Code::RefundPendingExists)
            }
            StoreError::RefundExceedsRemainder => ApiError::Code(Code::RefundAmountInvalid),
            StoreError::InsufficientBalance => ApiError::Code(Code::BalanceInsufficient),
            // The open API meets a code's refusal only when cancelling it (payments to a code
            // arrive from the upstream, whose refusals the sandbox explains itself).
            StoreError::Code(_) => ApiError::Code(Code::NotAllowedToCancel),
            StoreError::NotFound => ApiError::Code(Code::TxNotFound),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<PayoutRejection> for ApiError {
    fn from(r: PayoutRejection) -> Self {
        match r {
            PayoutRejection::CountryNotOpened => ApiError::Code(Code::CountryNotOpened),
            PayoutRejection::UnknownPayMethod => ApiError::Code(Code::PayMethodCodeError),
            PayoutRejection::UnknownBank => ApiError::Code(Code::BankCodeError),
            PayoutRejection::UnknownWallet => ApiError::Code(Code::WalletCodeError),
            PayoutRejection::TransferCodeMismatch => ApiError::Code(Code::TransferCodeError),
            PayoutRejection::AmountOutOfLimits => ApiError::Code(Code::AmountExceedsLimit),
            PayoutRejection::Field(e) => ApiError::Param(e),
        }
    }
}

impl From<RefundRejection> for ApiError {
    fn from(r: RefundRejection) -> Self {
        ApiError::Code(match r {
            RefundRejection::OriginalNotFound => Code::TxNotFound,
            RefundRejection::OriginalNotCompleted => Code::RefundOriginalNotCompleted,
            RefundRejection::TooOld => Code::RefundTooOld,
            RefundRejection::FullNotSupported => Code::RefundFullNotSupported,
            RefundRejection::PartialNotSupported => Code::RefundPartialNotSupported,
            RefundRejection::AmountInvalid => Code::RefundAmountInvalid,
        })
    }
}

impl From<SignatureError> for ApiError {
    fn from(_: SignatureError) -> Self {
        ApiError::Code(Code::SignError)
    }
}

impl From<TimestampError> for ApiError {
    fn from(e: TimestampError) -> Self {
        ApiError::Code(e.code())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body: ResponseEnvelope<()> = ResponseEnvelope::error(self.code(), self.message());
        let mut response = (self.http_status(), Json(body)).into_response();
        // The access log reads the outcome from here, whatever produced it.
        response.extensions_mut().insert(self.code());
        response
    }
}

/// A successful answer.
pub fn success<T: serde::Serialize>(data: T) -> Response {
    let mut response = Json(ResponseEnvelope::success(data)).into_response();
    response.extensions_mut().insert(Code::Success);
    response
}

pub type ApiResult = Result<Response, ApiError>;

/// Why a report download link (`/reports/{token}`) did not hand out its file. These links are
/// fetched by browsers and scripts, not by the signed API, so they answer in HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum ReportLinkError {
    #[error(transparent)]
    Link(#[from] crate::reports::LinkError),
    /// The file is still being built; ask again after this many seconds.
    #[error("the report is being prepared")]
    NotReady(u64),
}

impl IntoResponse for ReportLinkError {
    fn into_response(self) -> Response {
        match self {
            ReportLinkError::Link(e) => (StatusCode::FORBIDDEN, format!("{e}\n")).into_response(),
            ReportLinkError::NotReady(secs) => (
                StatusCode::NOT_FOUND,
                [(axum::http::header::RETRY_AFTER, secs.to_string())],
                "the report is being prepared; try again shortly\n",
            )
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_hide_internals() {
        let e = ApiError::Param(ParamError::new("mobile", "must be 09 followed by 9 digits"));
        assert_eq!(e.code(), Code::ParamError);
        assert_eq!(
            e.message(),
            "Request param error: mobile must be 09 followed by 9 digits"
        );
        let e = ApiError::Internal("disk on fire at /var/lib".into());
        assert_eq!(e.message(), "Server error, Please try again later.");
        assert_eq!(
            ApiError::from(StoreError::Duplicate(UniqueKey::MchOrderId)).code(),
            Code::DuplicateMchOrderId
        );
        assert_eq!(
            ApiError::from(StoreError::Duplicate(UniqueKey::IdempotencyId)).code(),
            Code::DuplicateIdempotencyId
        );
        assert_eq!(
            ApiError::from(StoreError::InsufficientBalance).code(),
            Code::BalanceInsufficient
        );
        assert_eq!(
            ApiError::from(StoreError::Code(sampan_domain::CodeRefusal::NotActive(
                "CANCEL"
            )))
            .code()
            .as_i32(),
            21025
        );
        for (r, code) in [
            (PayoutRejection::UnknownPayMethod, 21019),
            (PayoutRejection::UnknownBank, 21012),
            (PayoutRejection::UnknownWallet, 21013),
            (PayoutRejection::TransferCodeMismatch, 21018),
            (PayoutRejection::AmountOutOfLimits, 21010),
            (PayoutRejection::CountryNotOpened, 21017),
        ] {
            assert_eq!(ApiError::from(r).code().as_i32(), code);
        }
        for (r, code) in [
            (RefundRejection::OriginalNotFound, 21006),
            (RefundRejection::OriginalNotCompleted, 21408),
            (RefundRejection::TooOld, 21403),
            (RefundRejection::FullNotSupported, 21404),
            (RefundRejection::PartialNotSupported, 21405),
            (RefundRejection::AmountInvalid, 21406),
        ] {
            assert_eq!(ApiError::from(r).code().as_i32(), code);
        }
        for (e, code) in [
            (StoreError::Duplicate(UniqueKey::MchRefundOrderId), 21407),
            (StoreError::Duplicate(UniqueKey::PendingRefund), 21409),
            (StoreError::RefundExceedsRemainder, 21406),
        ] {
            assert_eq!(ApiError::from(e).code().as_i32(), code);
        }
    }
}
