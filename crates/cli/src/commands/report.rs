//! `sampan report`: report files for any app, and the platform-wide daily summary.

use crate::context::Context;
use crate::error::{CliError, CliResult};
use chrono::NaiveDate;
use clap::Subcommand;
use sampan_domain::report::{day_bounds, ReportFormat, ReportSpec, ReportType};
use sampan_domain::{Country, Currency, Money, Store};
use sampan_server::reports::{build, PAGE_SIZE};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Write the file a merchant gets from /open-api/report/download, for any app.
    Download {
        #[arg(long, value_name = "APP_ID")]
        app: String,
        /// PH, ID, MY, TH or RU.
        #[arg(long)]
        country: String,
        /// A day in the display zone (yyyy-MM-dd). Any past day: operators are not limited to
        /// the year merchants can ask for.
        #[arg(long)]
        date: String,
        /// 1 payouts, 2 payments.
        #[arg(long = "type", value_name = "1|2")]
        kind: i64,
        /// xlsx or csv.
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Platform-wide totals of one day per kind, country, channel and status (count, amount,
    /// fees) for reconciliation with the channels.
    Summary {
        /// A day in the display zone (yyyy-MM-dd).
        #[arg(long)]
        date: String,
    },
}

fn parse_date(text: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| CliError::usage(format!("--date must be yyyy-MM-dd, got {text:?}")))
}

pub async fn run(ctx: &Context, cmd: ReportCommand) -> CliResult {
    let config = ctx.config()?;
    let zone = config.zone()?;
    match cmd {
        ReportCommand::Download {
            app,
            country,
            date,
            kind,
            format,
            out,
        } => {
            let country: Country = country
                .parse()
                .map_err(|_| CliError::usage("--country must be one of PH, ID, MY, TH, RU"))?;
            let kind = ReportType::from_i64(kind)
                .ok_or_else(|| CliError::usage("--type must be 1 (payouts) or 2 (payments)"))?;
            let format = ReportFormat::parse(&format)
                .ok_or_else(|| CliError::usage("--format must be xlsx or csv"))?;
            let spec = ReportSpec {
                app_id: app,
                country,
                kind,
                date: parse_date(&date)?,
                format,
            };
            let store = ctx.store(&config).await?;
            if store.app(&spec.app_id).await?.is_none() {
                store.close().await;
                return Err(CliError::usage(format!("no app {}", spec.app_id)));
            }
            let shared: Arc<dyn Store> = Arc::new(store.clone());
            let built = build(shared, &spec, zone, &out, PAGE_SIZE).await;
            store.close().await;
            let rows = built.map_err(|e| CliError::usage(e.to_string()))?;
            outln!("{rows} transactions written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Summary { date } => {
            let date = parse_date(&date)?;
            let (from, to) = day_bounds(date, &zone);
            let store = ctx.store(&config).await?;
            let rows = store.daily_summary(from, to).await;
            store.close().await;
            let rows = rows?;
            outln!("daily summary {date} (display zone {zone})");
            outln!(
                "{:<8} {:<3} {:<4} {:<24} {:<10} {:>9} {:>18} {:>14}",
                "kind",
                "cc",
                "cur",
                "channel",
                "status",
                "count",
                "amount",
                "fees"
            );
            for r in &rows {
                let currency: Option<Currency> = r.currency.parse().ok();
                let major = |minor: i64| match currency {
                    Some(c) => Money::new(minor, c).to_major_string(),
                    None => minor.to_string(),
                };
                outln!(
                    "{:<8} {:<3} {:<4} {:<24} {:<10} {:>9} {:>18} {:>14}",
                    r.kind,
                    r.country,
                    r.currency,
                    r.channel,
                    r.status,
                    r.count,
                    major(r.amount),
                    major(r.fee)
                );
            }
            if rows.is_empty() {
                outln!("no transactions");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
