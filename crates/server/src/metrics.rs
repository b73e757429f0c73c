//! Prometheus metrics at `/metrics`: requests by route and protocol code, request latency,
//! notification attempts by outcome, and the outbox backlog. Plain counters behind a mutex: a
//! request touches them once, far below the cost of its database work.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum_secs: f64,
}

#[derive(Default)]
struct Inner {
    /// (route, HTTP status, protocol code or "") → count
    requests: BTreeMap<(String, u16, String), u64>,
    latency: BTreeMap<String, Histogram>,
    /// delivered? → count
    attempts: [u64; 2],
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn record_request(&self, route: &str, status: u16, code: Option<i32>, took: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let code = code.map(|c| c.to_string()).unwrap_or_default();
        *inner
            .requests
            .entry((route.to_string(), status, code))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_string()).or_default();
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.total += 1;
        h.sum_secs += secs;
    }

    pub fn record_attempt(&self, delivered: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.attempts[delivered as usize] += 1;
    }

    /// The text exposition format.
    pub fn render(&self, outbox_backlog: Option<i64>) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP sampan_requests_total HTTP requests by route, status and protocol code.\n",
        );
        out.push_str("# TYPE sampan_requests_total counter\n");
        for ((route, status, code), n) in &inner.requests {
            let _ = writeln!(
                out,
                "sampan_requests_total{{route=\"{}\",status=\"{status}\",code=\"{code}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP sampan_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE sampan_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "sampan_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "sampan_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.total
            );
            let _ = writeln!(
                out,
                "sampan_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum_secs
            );
            let _ = writeln!(
                out,
                "sampan_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.total
            );
        }
        out.push_str("# HELP sampan_notification_attempts_total Notification delivery attempts by outcome.\n");
        out.push_str("# TYPE sampan_notification_attempts_total counter\n");
        for (label, n) in [
            ("failed", inner.attempts[0]),
            ("delivered", inner.attempts[1]),
        ] {
            let _ = writeln!(
                out,
                "sampan_notification_attempts_total{{outcome=\"{label}\"}} {n}"
            );
        }
        if let Some(backlog) = outbox_backlog {
            out.push_str("# HELP sampan_outbox_backlog Notifications waiting to be delivered.\n");
            out.push_str("# TYPE sampan_outbox_backlog gauge\n");
            let _ = writeln!(out, "sampan_outbox_backlog {backlog}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.record_request(
            "/open-api/{country}/payment/generate",
            200,
            Some(10000),
            Duration::from_millis(3),
        );
        m.record_request(
            "/open-api/{country}/payment/generate",
            200,
            Some(21007),
            Duration::from_millis(30),
        );
        m.record_attempt(true);
        m.record_attempt(false);
        m.record_attempt(false);
        let text = m.render(Some(4));
        assert!(text.contains(
            "sampan_requests_total{route=\"/open-api/{country}/payment/generate\",status=\"200\",code=\"10000\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 1\n"));
        assert!(text.contains("le=\"0.05\"} 2\n"));
        assert!(text.contains("le=\"+Inf\"} 2\n"));
        assert!(text.contains("sampan_notification_attempts_total{outcome=\"failed\"} 2"));
        assert!(text.contains("sampan_outbox_backlog 4"));
    }
}
