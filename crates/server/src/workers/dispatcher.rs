//! Delivers outbox notifications: claims due rows, signs `param` with the platform key, POSTs
//! `{sign, param}` to the merchant, records the attempt and schedules the next one.
//!
//! A claim pushes the row's next attempt past the delivery timeout (a lease), so another
//! worker or node never sends the same attempt; if this node dies mid-delivery, the lease runs
//! out and the row is picked up again. Delivery is therefore at-least-once, as promised to
//! merchants, who deduplicate on the transaction id.

use super::stopped;
use crate::state::SharedState;
use sampan_domain::outbox::{Attempt, Notification};
use sampan_domain::time::now_ms;
use sampan_protocol::{is_ack, sign_notification};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// How much of the merchant's answer is read (to find the ack) and how much is kept.
const MAX_RESPONSE: usize = 64 * 1024;
const EXCERPT: usize = 512;
/// Extra lease beyond the delivery timeout, for recording the attempt.
const LEASE_MARGIN_MS: i64 = 30_000;

pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let timeout = Duration::from_millis(state.config.notify_timeout_ms);
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client builds");
    let lease_ms = timeout.as_millis() as i64 + LEASE_MARGIN_MS;
    let poll = Duration::from_millis(state.config.notify_poll_interval_ms);
    let concurrency = state.config.notify_concurrency;
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut in_flight = JoinSet::new();

    loop {
        if *shutdown.borrow() {
            break;
        }
        while in_flight.try_join_next().is_some() {}
        let free = slots.available_permits() as i64;
        let claimed = if free == 0 {
            Ok(Vec::new())
        } else {
            state
                .store
                .claim_due_notifications(now_ms(), lease_ms, free)
                .await
        };
        match claimed {
            Ok(batch) if !batch.is_empty() => {
                for notification in batch {
                    let permit = slots.clone().acquire_owned().await.expect("semaphore open");
                    let (state, http) = (state.clone(), http.clone());
                    in_flight.spawn(async move {
                        deliver(&state, &http, notification).await;
                        drop(permit);
                    });
                }
            }
            other => {
                if let Err(e) = other {
                    tracing::error!(error = %e, "claiming notifications failed");
                }
                tokio::select! {
                    _ = state.outbox_wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                    _ = stopped(&mut shutdown) => {}
                    Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                }
            }
        }
    }
    // Let deliveries in flight finish and record their attempts, so a restart neither loses
    // nor repeats them.
    while in_flight.join_next().await.is_some() {}
}

/// One attempt: send, classify, record.
pub async fn deliver(state: &SharedState, http: &reqwest::Client, n: Notification) {
    let envelope = sign_notification(&state.platform_key, n.payload.clone());
    let started = Instant::now();
    let at = now_ms();
    let outcome = http.post(&n.url).json(&envelope).send().await;
    let (http_status, excerpt, delivered) = match outcome {
        Ok(mut response) => {
            let status = response.status();
            let mut body = Vec::new();
            let mut read_error = None;
            while body.len() < MAX_RESPONSE {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
            }
            let delivered = read_error.is_none() && status.is_success() && is_ack(&body);
            let mut excerpt: String = String::from_utf8_lossy(&body)
                .chars()
                .take(EXCERPT)
                .collect();
            if let Some(e) = read_error {
                excerpt = format!("reading the answer failed: {e}");
            }
            (Some(status.as_u16() as i32), excerpt, delivered)
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timeout"
            } else {
                "connection error"
            };
            (None, format!("{kind}: {e}"), false)
        }
    };
    let attempt = Attempt {
        notification_id: n.id,
        attempt_no: n.attempts + 1,
        at,
        http_status,
        response_excerpt: excerpt,
        latency_ms: started.elapsed().as_millis() as i64,
        delivered,
    };
    state.metrics.record_attempt(delivered);
    let next = if delivered {
        None
    } else {
        state.schedule.next_attempt_at(attempt.attempt_no, now_ms())
    };
    tracing::info!(
        notification = n.id,
        event = %n.event,
        reference = %n.reference,
        attempt = attempt.attempt_no,
        status = ?attempt.http_status,
        delivered,
        latency_ms = attempt.latency_ms,
        "notification attempt"
    );
    if let Err(e) = state.store.record_attempt(&attempt, next).await {
        // The lease will expire and the attempt be made again: at-least-once holds.
        tracing::error!(notification = n.id, error = %e, "recording an attempt failed");
    }
}
