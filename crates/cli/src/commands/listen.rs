//! `sampan client listen`: a merchant's notification endpoint for trying things out. Every
//! POST is verified with the platform public key, printed, and acknowledged.

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use clap::Args;
use sampan_protocol::PublicKey;
use serde_json::json;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Args)]
pub struct ListenArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    addr: SocketAddr,
    /// The platform public key (file or text; a platform private key file works too).
    /// Default: the platform key in the configured data directory.
    #[arg(long, value_name = "FILE_OR_TEXT")]
    platform_key: Option<String>,
    /// Answer the first N notifications with HTTP 500, to watch the gateway retry.
    #[arg(long, value_name = "N", default_value_t = 0)]
    fail_first: u64,
}

struct Listener {
    key: PublicKey,
    fail_first: u64,
    received: AtomicU64,
}

pub async fn run(ctx: &Context, args: ListenArgs) -> CliResult {
    let key = platform_key(ctx, args.platform_key.as_deref())?;
    let socket = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| CliError::io(format!("cannot listen on {}", args.addr), e))?;
    let addr = socket
        .local_addr()
        .map_err(|e| CliError::io(format!("cannot listen on {}", args.addr), e))?;
    let state = Arc::new(Listener {
        key,
        fail_first: args.fail_first,
        received: AtomicU64::new(0),
    });
    outln!(
        "listening on http://{addr}/ (any path); verifying with platform key sha256 {}",
        state.key.fingerprint()
    );
    if args.fail_first > 0 {
        outln!(
            "answering the first {} notification(s) with HTTP 500",
            args.fail_first
        );
    }
    outln!("press Ctrl-C to stop");
    let app = Router::new().fallback(receive).with_state(state);
    axum::serve(socket, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::io(format!("http://{addr}"), e))?;
    Ok(ExitCode::SUCCESS)
}

/// `--platform-key`, else the key file of the configured data directory (never created here:
/// a new key would not be the gateway's).
fn platform_key(ctx: &Context, arg: Option<&str>) -> Result<PublicKey, CliError> {
    if let Some(arg) = arg {
        return input::public_key(arg, "--platform-key");
    }
    let config = ctx.config()?;
    let path = config.platform_key_path();
    if !path.is_file() {
        return Err(CliError::usage(format!(
            "no platform key at {}; pass --platform-key with the gateway's public key \
             (`sampan keys platform-public` where the gateway runs)",
            path.display()
        )));
    }
    Ok(sampan_server::keys::load_or_create_platform_key(&path)?.public_key())
}

async fn receive(
    State(listener): State<Arc<Listener>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
    if method != Method::POST {
        outln!("[{stamp}] {method} {uri}: not a notification (POST expected)");
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let n = listener.received.fetch_add(1, Ordering::Relaxed) + 1;
    let (status, answer) = match sampan_protocol::verify_notification(&listener.key, &body) {
        Ok(param) => {
            let event = param
                .get("eventName")
                .and_then(|v| v.as_str())
                .unwrap_or("(no eventName)");
            outln!("[{stamp}] #{n} POST {uri} {event}: signature valid");
            let pretty = serde_json::to_string_pretty(&param).unwrap_or_else(|_| param.to_string());
            outln!("{pretty}");
            (StatusCode::OK, json!({"code": 10000, "message": "Success"}))
        }
        Err(e) => {
            outln!("[{stamp}] #{n} POST {uri}: INVALID SIGNATURE ({e})");
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(512).collect();
            outln!("{excerpt}");
            (
                StatusCode::BAD_REQUEST,
                json!({"code": 21001, "message": "Request sign error"}),
            )
        }
    };
    if n <= listener.fail_first {
        outln!("  -> HTTP 500 (--fail-first {})", listener.fail_first);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"code": 21000, "message": "failing on purpose (--fail-first)"})),
        )
            .into_response();
    }
    outln!("  -> HTTP {} {answer}", status.as_u16());
    (status, Json(answer)).into_response()
}
