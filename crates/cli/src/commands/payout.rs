//! `sampan payout list|show|fail|complete`: find payouts stuck PENDING and settle them by hand.
//! A running gateway sends the resulting notification at its next outbox poll.

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::Subcommand;
use sampan_server::ops::{self, ForcedOutcome};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PayoutCommand {
    /// Payouts by status, oldest first, at least `--older-than` old.
    List {
        /// PENDING, COMPLETED or FAILED.
        #[arg(long, default_value = "PENDING")]
        status: String,
        /// Minimum age: seconds, or with a unit (`90s`, `15m`, `2h`, `1d`).
        #[arg(long, default_value = "0")]
        older_than: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// A payout with where it goes and its notifications.
    Show {
        /// Transaction id (`D…`).
        transaction_id: String,
    },
    /// Fail a PENDING payout: its frozen funds return to the merchant's available balance.
    Fail {
        transaction_id: String,
        /// Why, for the journal.
        #[arg(long)]
        note: String,
        /// failedCode reported to the merchant (default -10004 Transaction Channel Rejected).
        #[arg(long, allow_hyphen_values = true)]
        code: Option<i32>,
    },
    /// Complete a PENDING payout: its frozen funds leave through the channel.
    Complete {
        transaction_id: String,
        /// Why, for the journal.
        #[arg(long)]
        note: String,
    },
}

/// `90`, `90s`, `15m`, `2h`, `1d` → seconds.
pub fn age_secs(text: &str) -> Result<i64, CliError> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| CliError::usage(format!("bad age {text:?}: want e.g. 90s, 15m, 2h, 1d")))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(CliError::usage(format!(
                "bad age unit in {text:?}: s, m, h or d"
            )))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| CliError::usage(format!("age {text:?} is too large")))
}

pub async fn run(ctx: &Context, cmd: PayoutCommand) -> CliResult {
    let config = ctx.config()?;
    let zone = config.zone()?;
    let store = ctx.store(&config).await?;
    let result = async {
        match cmd {
            PayoutCommand::List {
                status,
                older_than,
                limit,
            } => {
                let payouts =
                    ops::list_payouts(&store, &status, age_secs(&older_than)?, limit).await?;
                if payouts.is_empty() {
                    outln!(
                        "no {} payouts older than {older_than}",
                        status.to_ascii_uppercase()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                outln!(
                    "{:<20}  {:<32}  {:<20}  {:>14}  {:<8}  {:>8}",
                    "TRANSACTION",
                    "APP",
                    "MCH ORDER",
                    "AMOUNT",
                    "STATUS",
                    "AGE"
                );
                let now = sampan_domain::time::now_ms();
                for p in payouts {
                    outln!(
                        "{:<20}  {:<32}  {:<20}  {:>14}  {:<8}  {:>7}s",
                        p.transaction_id,
                        p.app_id,
                        p.mch_order_id,
                        p.amount.to_string(),
                        p.status.as_str(),
                        (now - p.created_at).max(0) / 1000
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            PayoutCommand::Show { transaction_id } => {
                let view = ops::payout_details(&store, &zone, &transaction_id)
                    .await?
                    .ok_or_else(|| CliError::usage(format!("no payout {transaction_id}")))?;
                input::print_json(&view)?;
                Ok(ExitCode::SUCCESS)
            }
            PayoutCommand::Fail {
                transaction_id,
                note,
                code,
            } => {
                let p = ops::force_settle_payout(
                    &store,
                    &zone,
                    &transaction_id,
                    ForcedOutcome::Fail(code),
                    &note,
                )
                .await?;
                input::print_json(&ops::payout_view(&p, &zone))?;
                Ok(ExitCode::SUCCESS)
            }
            PayoutCommand::Complete {
                transaction_id,
                note,
            } => {
                let p = ops::force_settle_payout(
                    &store,
                    &zone,
                    &transaction_id,
                    ForcedOutcome::Complete,
                    &note,
                )
                .await?;
                input::print_json(&ops::payout_view(&p, &zone))?;
                Ok(ExitCode::SUCCESS)
            }
        }
    }
    .await;
    store.close().await;
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_take_units() {
        assert_eq!(super::age_secs("90").unwrap(), 90);
        assert_eq!(super::age_secs("15m").unwrap(), 900);
        assert_eq!(super::age_secs("2h").unwrap(), 7_200);
        assert_eq!(super::age_secs("1d").unwrap(), 86_400);
        assert!(super::age_secs("1w").is_err());
        assert!(super::age_secs("m").is_err());
        assert!(super::age_secs("-5").is_err());
    }
}
