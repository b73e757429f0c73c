//! Pre-signing the requests and firing them with concurrent workers.

use crate::args::Kind;
use bytes::Bytes;
use sampan_client::Client;
use sampan_protocol::payment::PaymentGenerate;
use sampan_protocol::payout::PayoutTransfer;
use sampan_protocol::ResponseEnvelope;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CHANNEL: &str = "PH_GCASH_URL";
const SUCCESS: i32 = 10000;
/// Amount of each payout (PHP 100.00); the PH payout fee is PHP 10.00.
pub const PAYOUT_AMOUNT: i64 = 10_000;
pub const PAYOUT_HELD: i64 = PAYOUT_AMOUNT + 1_000;

/// The `param` of request `index`; `tag` keeps mchOrderIds (and idempotencyIds) distinct
/// across runs and phases.
fn param(kind: Kind, tag: &str, index: usize, timestamp: i64, notify_url: &str) -> String {
    if kind == Kind::Payout {
        let p = PayoutTransfer {
            mch_order_id: format!("{tag}{index}"),
            idempotency_id: format!("{tag}i{index:08}"),
            amount: PAYOUT_AMOUNT,
            account_no: "1234567891".into(),
            account_name: Some("Bench Payee".into()),
            pay_method_code: "BANK".into(),
            transfer_code: Some("BDO".into()),
            mobile: None,
            account_type: None,
            promptpay_account_type: None,
            account_tax_id: None,
            relationship: None,
            remark: None,
            notify_url: Some(notify_url.into()),
            timestamp,
        };
        return serde_json::to_string(&p).expect("param serializes");
    }
    let p = PaymentGenerate {
        mch_order_id: format!("{tag}{index}"),
        amount: 10_000,
        customer_name: "Bench Payer".into(),
        channel_code: CHANNEL.into(),
        notify_url: notify_url.into(),
        redirect_url: Some("https://merchant.example/return".into()),
        email: "payer@example.com".into(),
        mobile: "09171234567".into(),
        remark: None,
        expire_seconds: None,
        timestamp,
        ..Default::default()
    };
    serde_json::to_string(&p).expect("param serializes")
}

/// `count` signed envelopes, serialized, signed on `threads` threads. `timestamp` is now.
pub fn presign(
    kind: Kind,
    client: &Client,
    tag: &str,
    count: usize,
    notify_url: &str,
    threads: usize,
) -> Vec<Bytes> {
    let timestamp = sampan_client::now_ms();
    let threads = threads.clamp(1, count.max(1));
    let chunk = count.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                scope.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(|i| {
                            let envelope =
                                client.envelope(&param(kind, tag, i, timestamp, notify_url));
                            Bytes::from(serde_json::to_vec(&envelope).expect("envelope serializes"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    })
}

/// What one phase measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Per-request latency in microseconds, every request (failed ones too).
    pub latencies_us: Vec<u64>,
    pub ok: u64,
    /// Failures by protocol code (or `transport` / `http-<status>` when there was no
    /// envelope): count and the first message seen.
    pub errors: BTreeMap<String, (u64, String)>,
    pub wall: Duration,
}

impl Outcome {
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies_us.extend(other.latencies_us);
        self.ok += other.ok;
        for (code, (n, message)) in other.errors {
            self.errors.entry(code).or_insert((0, message)).0 += n;
        }
    }
}

/// One keep-alive HTTP/1.1 client whose pool every worker shares.
pub fn http_client(concurrency: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client builds")
}

/// Sends every body once with `concurrency` workers pulling from a shared index.
pub async fn fire(
    kind: Kind,
    http: &reqwest::Client,
    base_url: &str,
    bodies: Vec<Bytes>,
    concurrency: usize,
) -> Outcome {
    let url: Arc<str> = format!("{base_url}{}", kind.path()).into();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.min(bodies.len()))
        .map(|_| {
            tokio::spawn(worker(
                http.clone(),
                url.clone(),
                bodies.clone(),
                next.clone(),
            ))
        })
        .collect();
    let mut total = Outcome::default();
    for w in workers {
        total.merge(w.await.expect("worker task"));
    }
    total.wall = started.elapsed();
    total
}

async fn worker(
    http: reqwest::Client,
    url: Arc<str>,
    bodies: Arc<Vec<Bytes>>,
    next: Arc<AtomicUsize>,
) -> Outcome {
    let mut out = Outcome::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else { break };
        let started = Instant::now();
        let answer = send(&http, &url, body.clone()).await;
        out.latencies_us.push(started.elapsed().as_micros() as u64);
        match answer {
            Ok((SUCCESS, _)) => out.ok += 1,
            Ok((code, message)) => {
                out.errors.entry(code.to_string()).or_insert((0, message)).0 += 1
            }
            Err((kind, message)) => out.errors.entry(kind).or_insert((0, message)).0 += 1,
        }
    }
    out
}

/// The answer's `code` and `message`, or an error class and its description.
async fn send(
    http: &reqwest::Client,
    url: &str,
    body: Bytes,
) -> Result<(i32, String), (String, String)> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| ("transport".to_string(), e.to_string()))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ("transport".to_string(), e.to_string()))?;
    match serde_json::from_slice::<ResponseEnvelope<serde_json::Value>>(&bytes) {
        Ok(envelope) => Ok((envelope.code, envelope.message)),
        Err(_) => Err((
            format!("http-{}", status.as_u16()),
            String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sampan_protocol::PrivateKey;

    #[test]
    fn presigned_bodies_are_distinct_valid_envelopes() {
        let key = PrivateKey::generate(2048).unwrap();
        let public = key.public_key();
        let client = Client::new("http://127.0.0.1:1", "app1", key);
        let bodies = presign(
            Kind::Payment,
            &client,
            "t",
            7,
            "http://127.0.0.1:9/bench",
            3,
        );
        assert_eq!(bodies.len(), 7);
        let mut ids = std::collections::BTreeSet::new();
        for body in &bodies {
            let envelope: sampan_protocol::RequestEnvelope = serde_json::from_slice(body).unwrap();
            envelope.verify(&public).unwrap();
            let param: serde_json::Value = serde_json::from_str(&envelope.param).unwrap();
            assert_eq!(param["channelCode"], CHANNEL);
            ids.insert(param["mchOrderId"].as_str().unwrap().to_string());
        }
        assert_eq!(ids.len(), 7);
        let payouts = presign(Kind::Payout, &client, "t", 3, "http://127.0.0.1:9/bench", 1);
        for body in &payouts {
            let envelope: sampan_protocol::RequestEnvelope = serde_json::from_slice(body).unwrap();
            let f = sampan_protocol::fields::Fields::parse(&envelope.param).unwrap();
            PayoutTransfer::from_fields(&f, sampan_protocol::payout::PayoutForm::Philippines, 1)
                .unwrap();
        }
    }
}
