//! Figures: the human-readable block and one JSON line.

use crate::load::Outcome;
use serde_json::json;

/// How the run was set up, for the header and the JSON line.
pub struct Setup {
    pub kind: crate::args::Kind,
    pub requests: usize,
    pub concurrency: usize,
    pub warmup: usize,
    pub backend: String,
    pub backend_kind: &'static str,
    pub target: String,
    pub threads: String,
    pub cores: usize,
    pub client_threads: usize,
    pub signing_secs: f64,
}

pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentiles in milliseconds.
pub fn latency(latencies_us: &[u64]) -> Latency {
    let mut sorted = latencies_us.to_vec();
    sorted.sort_unstable();
    let at = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    };
    Latency {
        p50: at(50.0),
        p90: at(90.0),
        p99: at(99.0),
        max: sorted.last().map_or(0.0, |v| *v as f64 / 1000.0),
    }
}

pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

pub fn header(s: &Setup) {
    println!(
        "sampan-bench: {} (POST {} , {})",
        s.kind.label(),
        s.kind.path(),
        s.kind.channel()
    );
    println!("  target       {}", s.target);
    println!("  backend      {}", s.backend);
    println!("  build        {}", build_profile());
    println!("  cpu cores    {}", s.cores);
    println!("  threads      {}", s.threads);
    println!(
        "  requests     N={} C={} (+{} warmup, not measured)",
        s.requests, s.concurrency, s.warmup
    );
    println!(
        "  signing      {} requests pre-signed in {:.2} s (not measured)",
        s.requests + s.warmup,
        s.signing_secs
    );
}

pub fn figures(s: &Setup, o: &Outcome) {
    let l = latency(&o.latencies_us);
    let secs = o.wall.as_secs_f64();
    let throughput = if secs > 0.0 {
        o.latencies_us.len() as f64 / secs
    } else {
        0.0
    };
    println!("results");
    println!("  N            {}", s.requests);
    println!("  C            {}", s.concurrency);
    println!("  backend      {}", s.backend_kind);
    println!("  wall time    {secs:.3} s");
    println!("  throughput   {throughput:.1} req/s");
    println!(
        "  latency ms   p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        l.p50, l.p90, l.p99, l.max
    );
    println!("  succeeded    {}", o.ok);
    if o.errors.is_empty() {
        println!("  errors       none");
    } else {
        println!("  errors       {}", o.error_count());
        for (code, (n, message)) in &o.errors {
            println!("    code {code}: {n} (first: {message})");
        }
    }
    let errors: serde_json::Map<String, serde_json::Value> = o
        .errors
        .iter()
        .map(|(code, (n, _))| (code.clone(), json!(n)))
        .collect();
    let line = json!({
        "bench": s.kind.bench_name(),
        "n": s.requests,
        "c": s.concurrency,
        "warmup": s.warmup,
        "backend": s.backend_kind,
        "build": build_profile(),
        "cores": s.cores,
        "client_threads": s.client_threads,
        "wall_s": round(secs, 4),
        "throughput_rps": round(throughput, 1),
        "latency_ms": {
            "p50": round(l.p50, 3),
            "p90": round(l.p90, 3),
            "p99": round(l.p99, 3),
            "max": round(l.max, 3),
        },
        "ok": o.ok,
        "errors": errors,
        "error_total": o.error_count(),
    });
    println!("{line}");
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let us: Vec<u64> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let l = latency(&us);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        let l = latency(&[2500]);
        assert_eq!((l.p50, l.max), (2.5, 2.5));
        assert_eq!(latency(&[]).max, 0.0);
    }
}
