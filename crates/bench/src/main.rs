//! `sampan-bench`: throughput and latency of the create-payment (or, `--kind payout`,
//! create-payout) path over real HTTP.
//!
//! Requests are signed before the clock starts; the measurement is HTTP round trips only.
//! Self-hosted mode runs the gateway on a multi-thread tokio runtime and the load generator on
//! a separate OS thread with its own runtime, so both schedulers are independent but share
//! the machine's cores (the header says how many).

mod args;
mod load;
mod report;
mod setup;

use args::{Args, Mode};
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sampan-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let mode = args.mode()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let requests = args.requests as usize;
    let concurrency = args.concurrency as usize;
    let warmup = args.warmup as usize;
    let client_threads = args.client_threads as usize;

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("sampan-server")
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let kind = args.kind;
    // Payouts need funds: every request (preflight, warmup, measured) holds amount + fee.
    let funds = (requests + warmup + 1) as i64 * load::PAYOUT_HELD;
    let mut target = server_rt.block_on(setup::prepare(&mode, kind, funds))?;
    let client = sampan_client::Client::new(&target.base_url, &target.app_id, target.key.clone());

    let (where_, threads) = match mode {
        Mode::External { .. } => (
            format!("external gateway at {}", target.base_url),
            format!(
                "load generator: tokio runtime with {client_threads} worker thread(s) on its own \
                 OS thread; the gateway runs elsewhere"
            ),
        ),
        Mode::SelfHosted { .. } => (
            format!(
                "in-process gateway at {} (app {})",
                target.base_url, target.app_id
            ),
            format!(
                "gateway: multi-thread tokio runtime, {cores} workers; load generator: separate \
                 OS thread, own tokio runtime, {client_threads} worker thread(s); both share the \
                 same {cores} CPU core(s)"
            ),
        ),
    };

    let run_tag = format!("b{:x}", sampan_client::now_ms());
    let signing = Instant::now();
    let notify_url = setup::NOTIFY_URL;
    let preflight = load::presign(kind, &client, &format!("{run_tag}p"), 1, notify_url, 1);
    let warm = load::presign(
        kind,
        &client,
        &format!("{run_tag}w"),
        warmup,
        notify_url,
        cores,
    );
    let measured = load::presign(
        kind,
        &client,
        &format!("{run_tag}m"),
        requests,
        notify_url,
        cores,
    );
    let setup = report::Setup {
        kind,
        requests,
        concurrency,
        warmup,
        backend: target.backend.clone(),
        backend_kind: target.backend_kind,
        target: where_,
        threads,
        cores,
        client_threads,
        signing_secs: signing.elapsed().as_secs_f64(),
    };
    report::header(&setup);

    let base_url = target.base_url.clone();
    let load = std::thread::Builder::new()
        .name("sampan-bench-load".into())
        .spawn(move || -> Result<load::Outcome, String> {
            let rt = if client_threads == 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(client_threads)
                    .enable_all()
                    .build()
            }
            .map_err(|e| format!("load runtime: {e}"))?;
            rt.block_on(async {
                let http = load::http_client(concurrency);
                let check = load::fire(kind, &http, &base_url, preflight, 1).await;
                if let Some((code, (_, message))) = check.errors.iter().next() {
                    return Err(format!(
                        "preflight {} failed with {code}: {message} (does the app exist, with \
                         {} enabled, the matching key and, for payouts, enough PHP balance?)",
                        kind.label(),
                        kind.channel()
                    ));
                }
                let warm = load::fire(kind, &http, &base_url, warm, concurrency).await;
                if warm.error_count() > 0 {
                    eprintln!(
                        "warning: {} of {warmup} warmup requests failed: {:?}",
                        warm.error_count(),
                        warm.errors
                    );
                }
                Ok(load::fire(kind, &http, &base_url, measured, concurrency).await)
            })
        })
        .map_err(|e| format!("load thread: {e}"))?;
    let outcome = load
        .join()
        .map_err(|_| "the load thread panicked".to_string());

    if let Some(hosted) = target.hosted.take() {
        server_rt.block_on(hosted.shutdown());
    }
    let outcome = outcome??;
    report::figures(&setup, &outcome);
    Ok(if outcome.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
