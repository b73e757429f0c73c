//! The request pipeline every open-api call passes, in the order the codes are checked:
//! body size → envelope → appId (21003) → app status (21004) → IP allow-list (21016) → rate
//! limit (21020) → signature over the raw `param` bytes (21001) → `param` JSON (21002) → the
//! endpoint's fields (21002) → timestamp (21008/21009). Country, channel, amount and
//! duplicate checks follow in the handlers.

use crate::error::ApiError;
use crate::state::{CachedApp, SharedState};
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::HeaderMap;
use sampan_domain::time::now_ms;
use sampan_domain::AppStatus;
use sampan_protocol::fields::{Fields, ParamError};
use sampan_protocol::{check_window, parse_timestamp, Code, PublicKey, TimestampError};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Request bodies above this are refused before any parsing.
pub const MAX_BODY: usize = 64 * 1024;

/// A request whose app, origin and signature have been verified.
pub struct SignedRequest {
    pub app: Arc<CachedApp>,
    fields: Fields,
    timestamp: Result<i64, TimestampError>,
    window_secs: i64,
}

impl SignedRequest {
    /// Reads the endpoint's fields with `read`, then checks the timestamp: a request with bad
    /// fields is answered 21002 even when its timestamp is also wrong.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Fields, i64) -> Result<T, ParamError>,
    ) -> Result<T, ApiError> {
        let value = read(&self.fields, *self.timestamp.as_ref().unwrap_or(&0))?;
        let ts = self.timestamp?;
        check_window(ts, now_ms(), self.window_secs)?;
        Ok(value)
    }
}

/// The envelope as received. Fields are optional here so that each missing one gets its own
/// code rather than a generic parse error.
#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "appId")]
    app_id: Option<serde_json::Value>,
    sign: Option<serde_json::Value>,
    param: Option<serde_json::Value>,
}

impl FromRequest<SharedState> for SignedRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedState) -> Result<Self, Self::Rejection> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = client_ip(
            req.headers(),
            peer,
            state.config.client_ip_header.as_deref(),
        );
        let body = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::BodyTooLarge(MAX_BODY))?;
        let envelope: RawEnvelope = serde_json::from_slice(&body)
            .map_err(|_| ParamError::new("body", "must be a JSON object {appId, sign, param}"))?;

        let app_id = match envelope.app_id {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s,
            _ => return Err(ApiError::Code(Code::AppIdError)),
        };
        let app = load_app(state, &app_id)
            .await?
            .ok_or(ApiError::Code(Code::AppIdError))?;
        if app.app.status != AppStatus::Active {
            return Err(ApiError::Code(Code::MerchantUnavailable));
        }
        match ip {
            Some(ip) if app.app.ip_allowed(ip) => {}
            None if app.app.settings.ip_allowlist.is_empty() => {}
            _ => return Err(ApiError::Code(Code::IpForbidden)),
        }
        if let Some(limit) = app.app.settings.rate_limit {
            if !state.rate.allow(&app_id, limit, now_ms()) {
                return Err(ApiError::Code(Code::TooManyRequests));
            }
        }
        let sign = match envelope.sign {
            Some(serde_json::Value::String(s)) => s,
            _ => return Err(ApiError::Code(Code::SignError)),
        };
        let param = match envelope.param {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => {
                return Err(ParamError::new("param", "must be a JSON text in a string").into())
            }
            None => return Err(ParamError::new("param", "is required").into()),
        };
        // Verify the exact bytes received; re-serializing would change them.
        app.key.verify(param.as_bytes(), &sign)?;
        let fields = Fields::parse(&param)?;
        let timestamp = parse_timestamp(fields.raw("timestamp"));
        Ok(SignedRequest {
            app,
            fields,
            timestamp,
            window_secs: state.config.timestamp_window_secs,
        })
    }
}

async fn load_app(state: &SharedState, app_id: &str) -> Result<Option<Arc<CachedApp>>, ApiError> {
    if let Some(app) = state.apps.get(app_id) {
        return Ok(Some(app));
    }
    let Some(app) = state.store.app(app_id).await? else {
        return Ok(None);
    };
    let key = PublicKey::parse(&app.public_key)
        .map_err(|e| ApiError::Internal(format!("app {app_id} has an unusable public key: {e}")))?;
    let cached = Arc::new(CachedApp { app, key });
    state.apps.put(cached.clone());
    Ok(Some(cached))
}

/// The caller's address: the socket peer, or behind a proxy the last address the proxy
/// appended to `header` (earlier entries are whatever the client claimed).
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    header: Option<&str>,
) -> Option<IpAddr> {
    match header {
        Some(name) => headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok()),
        None => peer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_comes_from_the_peer_or_the_proxy_header() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.1.1.1, 203.0.113.9".parse().unwrap());
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(client_ip(&h, Some(peer), None), Some(peer));
        assert_eq!(
            client_ip(&h, Some(peer), Some("X-Forwarded-For")),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            client_ip(&HeaderMap::new(), Some(peer), Some("X-Forwarded-For")),
            None
        );
    }
}
