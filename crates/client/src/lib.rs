//! sampan's merchant SDK: signs open-api requests with the merchant key, parses answers, and
//! verifies the platform's notifications. It depends only on the wire contract, so a test
//! written with it exercises exactly what a merchant's integration would send.

use sampan_protocol::account::{BalanceData, BalanceQuery};
use sampan_protocol::payment::{
    PaymentGenerate, PaymentGenerateData, PaymentQuery, PaymentQueryData, WebPayDetailData,
    WebPayGenerateData,
};
use sampan_protocol::payout::{PayoutCheck, PayoutCheckData, PayoutTransfer, PayoutTransferData};
use sampan_protocol::refund::{RefundCreate, RefundCreateData, RefundData, RefundList};
use sampan_protocol::report::ReportData;
use sampan_protocol::static_code::{
    StaticCancel, StaticCodeData, StaticDetail, StaticDetailData, StaticGenerate, StaticList,
    StaticPaymentItem,
};
use sampan_protocol::{PrivateKey, RequestEnvelope, ResponseEnvelope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

pub use sampan_protocol as protocol;
pub use sampan_protocol::{verify_notification, PublicKey};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP transport error: {0}")]
    Http(#[from] reqwest::Error),
    #[error(
        "the gateway answered HTTP {status} with a body that is not the JSON envelope: {body}"
    )]
    NotEnvelope { status: u16, body: String },
    #[error("could not read `data`: {0}")]
    Data(#[from] serde_json::Error),
}

/// The gateway's answer: HTTP status and the `{code, message, data}` envelope.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub http_status: u16,
    pub envelope: ResponseEnvelope<T>,
}

impl<T> Answer<T> {
    pub fn code(&self) -> i32 {
        self.envelope.code
    }

    /// `data` of a successful answer; panics with the code and message otherwise (for tests
    /// and scripts that expect success).
    pub fn expect_data(self) -> T {
        match self.envelope.data {
            Some(data) if self.envelope.code == 10000 => data,
            _ => panic!(
                "expected success, got {} {}",
                self.envelope.code, self.envelope.message
            ),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    app_id: String,
    key: PrivateKey,
}

impl Client {
    pub fn new(base_url: &str, app_id: &str, key: PrivateKey) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client builds");
        Client::with_http(http, base_url, app_id, key)
    }

    pub fn with_http(
        http: reqwest::Client,
        base_url: &str,
        app_id: &str,
        key: PrivateKey,
    ) -> Client {
        Client {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            key,
        }
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The signed envelope for `param` (the exact text that is signed and sent).
    pub fn envelope(&self, param: &str) -> RequestEnvelope {
        RequestEnvelope::signed(self.app_id.clone(), &self.key, param.to_string())
    }

    /// Posts any JSON body to `path` and reads the envelope back.
    pub async fn post_body(&self, path: &str, body: Vec<u8>) -> Result<Answer<Value>, ClientError> {
        let response = self
            .http
            .post(format!("{}{}", self.base_url, path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        match serde_json::from_slice::<ResponseEnvelope<Value>>(&bytes) {
            Ok(envelope) => Ok(Answer {
                http_status: status.as_u16(),
                envelope,
            }),
            Err(_) => Err(ClientError::NotEnvelope {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).chars().take(512).collect(),
            }),
        }
    }

    /// Signs `param` (a JSON text, sent verbatim) and posts it to `path`.
    pub async fn call_raw(&self, path: &str, param: &str) -> Result<Answer<Value>, ClientError> {
        let body = serde_json::to_vec(&self.envelope(param)).expect("envelope serializes");
        self.post_body(path, body).await
    }

    /// Serializes `param`, signs, posts and decodes `data` as `D`.
    pub async fn call<P: Serialize, D: DeserializeOwned>(
        &self,
        path: &str,
        param: &P,
    ) -> Result<Answer<D>, ClientError> {
        let text = serde_json::to_string(param)?;
        let raw = self.call_raw(path, &text).await?;
        let data = match raw.envelope.data {
            Some(v) if !v.is_null() => Some(serde_json::from_value(v)?),
            _ => None,
        };
        Ok(Answer {
            http_status: raw.http_status,
            envelope: ResponseEnvelope {
                code: raw.envelope.code,
                message: raw.envelope.message,
                data,
            },
        })
    }

    /// `/open-api/{country}/payment/generate`; `country` is the path slug (`philippines`).
    pub async fn generate_payment(
        &self,
        country: &str,
        param: &PaymentGenerate,
    ) -> Result<Answer<PaymentGenerateData>, ClientError> {
        self.call(&format!("/open-api/{country}/payment/generate"), param)
            .await
    }

    pub async fn query_payment(
        &self,
        country: &str,
        param: &PaymentQuery,
    ) -> Result<Answer<PaymentQueryData>, ClientError> {
        self.call(&format!("/open-api/{country}/payment/query"), param)
            .await
    }

    /// `/open-api/webpay/generate` (WebPay create; the channel picks the country).
    pub async fn webpay_generate(
        &self,
        param: &PaymentGenerate,
    ) -> Result<Answer<WebPayGenerateData>, ClientError> {
        self.call("/open-api/webpay/generate", param).await
    }

    /// `/open-api/webpay/detail` (WebPay status).
    pub async fn webpay_detail(
        &self,
        param: &PaymentQuery,
    ) -> Result<Answer<WebPayDetailData>, ClientError> {
        self.call("/open-api/webpay/detail", param).await
    }

    /// `/open-api/{country}/disbursement/transfer`; `country` is the path slug.
    pub async fn transfer(
        &self,
        country: &str,
        param: &PayoutTransfer,
    ) -> Result<Answer<PayoutTransferData>, ClientError> {
        self.call(&format!("/open-api/{country}/disbursement/transfer"), param)
            .await
    }

    /// `/open-api/{country}/disbursement/check`, or the un-prefixed alias with `None`.
    pub async fn check_payout(
        &self,
        country: Option<&str>,
        param: &PayoutCheck,
    ) -> Result<Answer<PayoutCheckData>, ClientError> {
        let path = match country {
            Some(c) => format!("/open-api/{c}/disbursement/check"),
            None => "/open-api/disbursement/check".to_string(),
        };
        self.call(&path, param).await
    }

    /// `/open-api/payment/refund` (07-refund §7.1).
    pub async fn refund(
        &self,
        param: &RefundCreate,
    ) -> Result<Answer<RefundCreateData>, ClientError> {
        self.call("/open-api/payment/refund", param).await
    }

    /// `/open-api/refund/payments` (07-refund §7.2): the refunds of an original, or one refund.
    pub async fn refund_payments(
        &self,
        param: &RefundList,
    ) -> Result<Answer<Vec<RefundData>>, ClientError> {
        self.call("/open-api/refund/payments", param).await
    }

    /// `/open-api/{country}/static/payment/generate`: a reusable payment code.
    pub async fn generate_static_code(
        &self,
        country: &str,
        param: &StaticGenerate,
    ) -> Result<Answer<StaticCodeData>, ClientError> {
        self.call(
            &format!("/open-api/{country}/static/payment/generate"),
            param,
        )
        .await
    }

    /// `/open-api/{country}/static/payment/detail`: the code and its totals.
    pub async fn static_code_detail(
        &self,
        country: &str,
        param: &StaticDetail,
    ) -> Result<Answer<StaticDetailData>, ClientError> {
        self.call(&format!("/open-api/{country}/static/payment/detail"), param)
            .await
    }

    /// `/open-api/{country}/static/payment/list`: payments made to a code, newest first.
    pub async fn static_payments(
        &self,
        country: &str,
        param: &StaticList,
    ) -> Result<Answer<Vec<StaticPaymentItem>>, ClientError> {
        self.call(&format!("/open-api/{country}/static/payment/list"), param)
            .await
    }

    /// `/open-api/{country}/static/code/cancel`.
    pub async fn cancel_static_code(
        &self,
        country: &str,
        param: &StaticCancel,
    ) -> Result<Answer<StaticCodeData>, ClientError> {
        self.call(&format!("/open-api/{country}/static/code/cancel"), param)
            .await
    }

    pub async fn balance(&self, country_code: &str) -> Result<Answer<BalanceData>, ClientError> {
        let param = BalanceQuery {
            country_code: country_code.to_string(),
            timestamp: now_ms(),
        };
        self.call("/open-api/account/balance", &param).await
    }
}

impl Client {
    /// `/open-api/report/download`: `trans_type` 1 payouts, 2 payments; `format` `xlsx`
    /// (default) or `csv`.
    pub async fn report_download(
        &self,
        country_code: &str,
        trans_date: &str,
        trans_type: i64,
        format: Option<&str>,
    ) -> Result<Answer<ReportData>, ClientError> {
        let mut param = serde_json::json!({
            "countryCode": country_code,
            "transDate": trans_date,
            "transType": trans_type,
            "timestamp": now_ms(),
        });
        if let Some(format) = format {
            param["format"] = Value::from(format);
        }
        self.call("/open-api/report/download", &param).await
    }
}

/// Milliseconds since the epoch, for `timestamp`.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
