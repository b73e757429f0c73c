//! `sampan notifications resend ID`.

use crate::context::Context;
use crate::error::{CliError, CliResult};
use clap::Subcommand;
use sampan_domain::time::now_ms;
use sampan_domain::{Store, StoreError};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum NotificationsCommand {
    /// Queue a notification for delivery again (also one that was abandoned or delivered).
    /// The notification ids of a payment are in `sampan payment show TXN`.
    Resend { id: i64 },
}

pub async fn run(ctx: &Context, cmd: NotificationsCommand) -> CliResult {
    match cmd {
        NotificationsCommand::Resend { id } => {
            let config = ctx.config()?;
            let store = ctx.store(&config).await?;
            let result = store.resend_notification(id, now_ms()).await;
            store.close().await;
            match result {
                Ok(()) => {
                    outln!("notification {id} queued; a running gateway sends it at its next poll");
                    Ok(ExitCode::SUCCESS)
                }
                Err(StoreError::NotFound) => Err(CliError::usage(format!("no notification {id}"))),
                Err(e) => Err(e.into()),
            }
        }
    }
}
