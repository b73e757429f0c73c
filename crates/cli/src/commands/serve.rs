//! `sampan serve` and `sampan migrate`.

use crate::context::Context;
use crate::error::CliResult;
use sampan_server::Gateway;
use std::process::ExitCode;

pub async fn serve(ctx: &Context) -> CliResult {
    let config = ctx.config()?;
    let database = sampan_store::redact(&config.database_url());
    let data_dir = config.data_dir.clone();
    let admin_token = match &config.admin_token {
        Some(_) => "set in the configuration".to_string(),
        None => data_dir.join("admin_token").display().to_string(),
    };
    let sandbox = if config.sandbox { "on" } else { "off" };
    let gateway = Gateway::start(config).await?;
    outln!(
        "sampan {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        gateway.addr
    );
    outln!("  public URL:   {}", gateway.base_url());
    outln!("  database:     {database}");
    outln!("  data dir:     {}", data_dir.display());
    outln!("  admin token:  {admin_token}");
    outln!("  sandbox:      {sandbox}");
    outln!("press Ctrl-C to stop");
    stop_signal().await;
    tracing::info!("shutting down");
    gateway.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM (what service managers and `docker stop` send).
async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub async fn migrate(ctx: &Context) -> CliResult {
    let config = ctx.config()?;
    let store = ctx.store(&config).await?;
    store.close().await;
    outln!(
        "schema up to date ({})",
        sampan_store::redact(&config.database_url())
    );
    Ok(ExitCode::SUCCESS)
}
