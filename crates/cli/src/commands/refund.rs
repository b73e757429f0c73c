//! `sampan refund list|show|cancel`: find refunds still PENDING and cancel them by hand. A
//! running gateway sends the `payment.refund.cancel` notification at its next outbox poll.

use crate::commands::payout::age_secs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::Subcommand;
use sampan_server::ops;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RefundCommand {
    /// Refunds by status, oldest first, at least `--older-than` old.
    List {
        /// PENDING, COMPLETE, FAILED or CANCEL.
        #[arg(long, default_value = "PENDING")]
        status: String,
        /// Minimum age: seconds, or with a unit (`90s`, `15m`, `2h`, `1d`).
        #[arg(long, default_value = "0")]
        older_than: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// A refund with where its notification goes and its notifications.
    Show {
        /// Refund transaction id (`R…`).
        refund_transaction_id: String,
    },
    /// Cancel a PENDING refund (→ CANCEL): its frozen amount returns to the merchant's
    /// available balance.
    Cancel {
        refund_transaction_id: String,
        /// Why, for the journal.
        #[arg(long)]
        note: String,
    },
}

pub async fn run(ctx: &Context, cmd: RefundCommand) -> CliResult {
    let config = ctx.config()?;
    let zone = config.zone()?;
    let store = ctx.store(&config).await?;
    let result = async {
        match cmd {
            RefundCommand::List {
                status,
                older_than,
                limit,
            } => {
                let refunds =
                    ops::list_refunds(&store, &status, age_secs(&older_than)?, limit).await?;
                if refunds.is_empty() {
                    outln!(
                        "no {} refunds older than {older_than}",
                        status.to_ascii_uppercase()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                outln!(
                    "{:<20}  {:<32}  {:<20}  {:<20}  {:>14}  {:<8}  {:>8}",
                    "REFUND",
                    "APP",
                    "MCH REFUND ORDER",
                    "ORIGINAL",
                    "AMOUNT",
                    "STATUS",
                    "AGE"
                );
                let now = sampan_domain::time::now_ms();
                for r in refunds {
                    outln!(
                        "{:<20}  {:<32}  {:<20}  {:<20}  {:>14}  {:<8}  {:>7}s",
                        r.refund_transaction_id,
                        r.app_id,
                        r.mch_refund_order_id,
                        r.original_transaction_id,
                        r.amount.to_string(),
                        r.status.as_str(),
                        (now - r.created_at).max(0) / 1000
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            RefundCommand::Show {
                refund_transaction_id,
            } => {
                let view = ops::refund_details(&store, &zone, &refund_transaction_id)
                    .await?
                    .ok_or_else(|| CliError::usage(format!("no refund {refund_transaction_id}")))?;
                input::print_json(&view)?;
                Ok(ExitCode::SUCCESS)
            }
            RefundCommand::Cancel {
                refund_transaction_id,
                note,
            } => {
                let r = ops::cancel_refund(&store, &zone, &refund_transaction_id, &note).await?;
                input::print_json(&ops::refund_view(&r, &zone))?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
    .await;
    store.close().await;
    result
}
