//! `sampan balance show|topup|adjust`: a merchant's balances, and operator money movements,
//! each one journal entry with a reason and the operator's note.

use crate::context::Context;
use crate::error::CliResult;
use crate::input;
use clap::{Args, Subcommand};
use sampan_domain::{Currency, Money};
use sampan_server::ops::{self, BalanceChange};
use serde_json::json;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BalanceCommand {
    /// Available and frozen balance of an app in every currency.
    Show {
        /// App id.
        app_id: String,
    },
    /// Credit funds the merchant sent in (a positive amount in minor units).
    Topup(ChangeArgs),
    /// Correct a balance either way (negative debits; never below zero), with a reason.
    Adjust(AdjustArgs),
}

#[derive(Args)]
pub struct ChangeArgs {
    /// App id.
    #[arg(long = "app")]
    app_id: String,
    /// Currency code: PHP, IDR, MYR, THB or RUB.
    #[arg(long)]
    currency: String,
    /// Amount in minor units (centavos, sen, satang, kopecks; whole rupiah).
    #[arg(long, allow_hyphen_values = true)]
    amount: i64,
    /// What the operator wants on record (bank reference, ticket …).
    #[arg(long)]
    note: String,
}

#[derive(Args)]
pub struct AdjustArgs {
    #[command(flatten)]
    change: ChangeArgs,
    /// Why: e.g. `correction`, `chargeback`, `fee-refund`.
    #[arg(long)]
    reason: String,
}

pub async fn run(ctx: &Context, cmd: BalanceCommand) -> CliResult {
    let config = ctx.config()?;
    let store = ctx.store(&config).await?;
    let result = match cmd {
        BalanceCommand::Show { app_id } => show(&store, &app_id).await,
        BalanceCommand::Topup(a) => change(&store, BalanceChange::TopUp, &a, "").await,
        BalanceCommand::Adjust(a) => {
            change(&store, BalanceChange::Adjust, &a.change, &a.reason).await
        }
    };
    store.close().await;
    result
}

async fn show(store: &sampan_store::Db, app_id: &str) -> CliResult {
    use sampan_domain::Store;
    if store.app(app_id).await?.is_none() {
        return Err(ops::OpsError::NoApp(app_id.to_string()).into());
    }
    let mut rows = Vec::new();
    for currency in Currency::ALL {
        let (available, frozen) = ops::balances(store, app_id, currency).await?;
        rows.push(json!({
            "currency": currency.code(),
            "available": Money::new(available, currency).to_two_decimals(),
            "frozen": Money::new(frozen, currency).to_two_decimals(),
        }));
    }
    input::print_json(&rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn change(
    store: &sampan_store::Db,
    kind: BalanceChange,
    a: &ChangeArgs,
    reason: &str,
) -> CliResult {
    let entry = ops::change_balance(
        store,
        kind,
        &a.app_id,
        &a.currency.to_ascii_uppercase(),
        a.amount,
        reason,
        &a.note,
    )
    .await?;
    let currency = entry.postings[0].account.currency();
    let (available, frozen) = ops::balances(store, &a.app_id, currency).await?;
    input::print_json(&json!({
        "reference": entry.reference,
        "kind": entry.kind.as_str(),
        "memo": entry.memo,
        "currency": currency.code(),
        "available": Money::new(available, currency).to_two_decimals(),
        "frozen": Money::new(frozen, currency).to_two_decimals(),
    }))?;
    Ok(ExitCode::SUCCESS)
}
