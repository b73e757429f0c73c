//! `sampan`: run the gateway, operate it (apps, keys, ledger, notifications, payments), and act
//! as a merchant against a running gateway (`sampan client …`, `sampan demo`).

/// `println!` that does not panic when stdout is closed (`sampan app list | head -1`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod commands;
mod context;
mod error;
mod input;

use clap::{Parser, Subcommand};
use commands::{
    app, balance, client, demo, keys, ledger, notifications, payment, payout, refund, report, serve,
};
use context::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sampan",
    version,
    about = "sampan: a self-hostable payment gateway speaking the PayCools v1 open API",
    propagate_version = true
)]
struct Cli {
    /// Configuration file (TOML); SAMPAN_* environment variables override what it sets.
    #[arg(long, global = true, env = "SAMPAN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway until Ctrl-C or SIGTERM.
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Merchant apps: create, show, list, enable/disable, change settings.
    #[command(subcommand)]
    App(app::AppCommand),
    /// The platform key pair and merchant key pairs.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Merchant balances: show, top up, adjust (each a journal entry with reason and note).
    #[command(subcommand)]
    Balance(balance::BalanceCommand),
    /// Payouts: list stuck ones by status and age, show, force-fail, force-complete.
    #[command(subcommand)]
    Payout(payout::PayoutCommand),
    /// Refunds: list pending ones by age, show, cancel (funds return to the merchant).
    #[command(subcommand)]
    Refund(refund::RefundCommand),
    /// Check the ledger: recompute every balance from its postings.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Notification outbox.
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
    /// Payments with their notifications and delivery attempts.
    #[command(subcommand)]
    Payment(payment::PaymentCommand),
    /// Report files for any app, and the platform-wide daily summary per channel.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Act as a merchant: signed calls to a running gateway, and a notification receiver.
    Client(client::ClientCommand),
    /// First steps: create a demo app and a sandbox payment on a running gateway.
    Demo(demo::DemoArgs),
}

fn init_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(match cli.command {
        Command::Serve => "info",
        _ => "warn",
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context::new(cli.config);
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::serve(&ctx).await,
            Command::Migrate => serve::migrate(&ctx).await,
            Command::App(cmd) => app::run(&ctx, cmd).await,
            Command::Keys(cmd) => keys::run(&ctx, cmd),
            Command::Balance(cmd) => balance::run(&ctx, cmd).await,
            Command::Payout(cmd) => payout::run(&ctx, cmd).await,
            Command::Refund(cmd) => refund::run(&ctx, cmd).await,
            Command::Ledger(cmd) => ledger::run(&ctx, cmd).await,
            Command::Notifications(cmd) => notifications::run(&ctx, cmd).await,
            Command::Payment(cmd) => payment::run(&ctx, cmd).await,
            Command::Report(cmd) => report::run(&ctx, cmd).await,
            Command::Client(cmd) => client::run(&ctx, cmd).await,
            Command::Demo(args) => demo::run(&ctx, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
