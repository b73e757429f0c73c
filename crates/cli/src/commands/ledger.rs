//! `sampan ledger verify`: recompute every balance from the postings.

use crate::context::Context;
use crate::error::CliResult;
use clap::Subcommand;
use sampan_domain::Store;
use std::process::ExitCode;

/// Exit status of `ledger verify` when the ledger is inconsistent.
const INCONSISTENT: u8 = 2;

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Exit 0 when every stored balance equals the sum of its postings and every journal entry
    /// balances; 2 (listing each problem) otherwise.
    Verify,
}

pub async fn run(ctx: &Context, cmd: LedgerCommand) -> CliResult {
    match cmd {
        LedgerCommand::Verify => {
            let config = ctx.config()?;
            let store = ctx.store(&config).await?;
            let report = store.verify_ledger().await;
            store.close().await;
            let report = report?;
            outln!(
                "{} accounts, {} journal entries",
                report.accounts,
                report.entries
            );
            for (account, stored, recomputed) in &report.mismatched_balances {
                outln!(
                    "balance mismatch: {account}: stored {stored}, postings sum to {recomputed}"
                );
            }
            for entry in &report.unbalanced_entries {
                outln!("unbalanced journal entry: {entry}");
            }
            if report.is_consistent() {
                outln!("ledger consistent");
                Ok(ExitCode::SUCCESS)
            } else {
                outln!(
                    "ledger INCONSISTENT: {} mismatched balances, {} unbalanced entries",
                    report.mismatched_balances.len(),
                    report.unbalanced_entries.len()
                );
                Ok(ExitCode::from(INCONSISTENT))
            }
        }
    }
}
