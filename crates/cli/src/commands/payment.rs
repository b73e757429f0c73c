//! `sampan payment show TXN`: a payment with its notifications and their delivery attempts
//! (what the admin API's `GET /admin/payments/{id}` answers).

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::Subcommand;
use sampan_domain::{DisplayZone, Store};
use serde_json::Value;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PaymentCommand {
    /// Print the payment (as `payment/query` answers it), its notifications and attempts.
    Show {
        /// Transaction id (`C…`).
        transaction_id: String,
    },
}

pub async fn run(ctx: &Context, cmd: PaymentCommand) -> CliResult {
    match cmd {
        PaymentCommand::Show { transaction_id } => {
            let config = ctx.config()?;
            let zone = config.zone()?;
            let store = ctx.store(&config).await?;
            let view = payment_view(&store, &zone, &transaction_id).await;
            store.close().await;
            input::print_json(&view?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn payment_view(
    store: &dyn Store,
    zone: &DisplayZone,
    transaction_id: &str,
) -> Result<Value, CliError> {
    sampan_server::ops::payment_details(store, zone, transaction_id)
        .await?
        .ok_or_else(|| CliError::usage(format!("no payment {transaction_id}")))
}
