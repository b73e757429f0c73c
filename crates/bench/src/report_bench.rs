//! `sampan-report-bench`: loads N payments of one day straight into a store (multi-row inserts,
//! a transaction per batch), then builds that day's report in each format and prints the time,
//! the file size and the process's peak resident memory (VmHWM, reset before each build).
//!
//! `cargo run --release -p sampan-bench --bin sampan-report-bench -- --rows 1000000`

use chrono::NaiveDate;
use clap::Parser;
use sampan_domain::payment::{Payment, PaymentStatus};
use sampan_domain::report::{ReportFormat, ReportSpec, ReportType};
use sampan_domain::{ChannelType, Country, DisplayZone, Money, Store};
use sampan_protocol::FailedCode;
use sampan_store::{ConnectOptions, Db};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "sampan-report-bench")]
struct Args {
    /// Payments on the day.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Payments per insert transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: u64,
    /// `sqlite://…` or `postgres://…`; default: a SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Rows per page read from the store.
    #[arg(long, default_value_t = sampan_server::reports::PAGE_SIZE)]
    page_size: i64,
}

/// (VmHWM, VmRSS) in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sampan-report-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sampan-report-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| Db::sqlite_url(&dir.path().join("bench.db")));
    let db = Db::connect(&url, &ConnectOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let created = sampan_server::ops::create_app(&db, "report bench", None)
        .await
        .map_err(|e| e.to_string())?;
    let app_id = created.app.app_id.clone();
    let zone = DisplayZone::default();
    let date = NaiveDate::from_ymd_opt(2026, 11, 27).ok_or("bad date")?;
    let (start, end) = sampan_domain::report::day_bounds(date, &zone);
    let span = (end - start) as u64;
    println!(
        "sampan-report-bench: {} payments on {date} (zone {zone}), store {}",
        args.rows,
        sampan_store::redact(&url)
    );

    let began = Instant::now();
    let mut batch = Vec::with_capacity(args.batch as usize);
    for i in 0..args.rows {
        let created_at = start + (i * span / args.rows.max(1)) as i64;
        let (status, failure, finished) = match i % 10 {
            0 => (PaymentStatus::Pending, None, None),
            1 | 2 => (
                PaymentStatus::Failed,
                Some(FailedCode::Expired),
                Some(created_at + 3_600_000),
            ),
            _ => (PaymentStatus::Completed, None, Some(created_at + 60_000)),
        };
        batch.push(Payment {
            transaction_id: format!("C{:019}", 1_000_000_000_000_000 + i),
            app_id: app_id.clone(),
            mch_order_id: format!("BENCH{i:012}"),
            country: Country::PH,
            channel_code: "PH_GCASH_URL".into(),
            channel_type: ChannelType::URL,
            amount: Money::new(10_000 + (i % 997) as i64 * 13, Country::PH.currency()),
            fee: 200,
            status,
            customer_name: "Juan dela Cruz".into(),
            email: "juan@example.ph".into(),
            mobile: "09171234567".into(),
            remark: None,
            notify_url: "http://127.0.0.1:9/n".into(),
            redirect_url: None,
            pay_data: String::new(),
            created_at,
            expires_at: created_at + 3_600_000,
            finished_at: finished,
            failure,
        });
        if batch.len() as u64 == args.batch || i + 1 == args.rows {
            db.insert_payments(&batch)
                .await
                .map_err(|e| e.to_string())?;
            batch.clear();
        }
    }
    drop(batch);
    let load = began.elapsed();
    println!(
        "loaded {} payments in {:.1} s ({:.0} rows/s)",
        args.rows,
        load.as_secs_f64(),
        args.rows as f64 / load.as_secs_f64().max(1e-9)
    );

    let store: Arc<dyn Store> = Arc::new(db.clone());
    for format in [ReportFormat::Csv, ReportFormat::Xlsx] {
        let spec = ReportSpec {
            app_id: app_id.clone(),
            country: Country::PH,
            kind: ReportType::Payments,
            date,
            format,
        };
        let out = dir.path().join(format!("report.{}", format.as_str()));
        reset_peak();
        let (_, rss_before) = memory();
        let began = Instant::now();
        let rows = sampan_server::reports::build(store.clone(), &spec, zone, &out, args.page_size)
            .await
            .map_err(|e| e.to_string())?;
        let took = began.elapsed();
        let (peak, _) = memory();
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        println!(
            "{:<4} {rows} rows in {:.1} s ({:.0} rows/s), file {:.1} MiB, RSS before {:.1} MiB, \
             peak RSS during build {:.1} MiB",
            format.as_str(),
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64().max(1e-9),
            size as f64 / 1_048_576.0,
            rss_before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        if rows != args.rows {
            return Err(format!("report listed {rows} rows, expected {}", args.rows));
        }
    }
    db.close().await;
    Ok(())
}
