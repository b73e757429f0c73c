//! Notification delivery into a real receiver: acknowledgement rules, retries, resends, and a
//! restart in the middle, on both stores.

mod common;

use common::{eventually, ph_payment, test_config, Harness, Receiver, Reply, ADMIN_TOKEN};
use sampan_domain::outbox::DeliveryStatus;
use sampan_domain::Store;
use sampan_protocol::verify_notification;
use sampan_testkit::TestDb;
use std::collections::HashMap;
use std::sync::Arc;

async fn pay(h: &Harness, order: &str, notify_url: &str) -> String {
    let created = h
        .client
        .generate_payment(
            "philippines",
            &ph_payment(order, "PH_GCASH_URL", 10_000, notify_url),
        )
        .await
        .unwrap()
        .expect_data();
    assert_eq!(
        h.sandbox(&created.transaction_id, "complete")
            .await
            .status(),
        200
    );
    created.transaction_id
}

#[tokio::test]
async fn wrong_answers_are_retried_until_acknowledged() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![Reply::Status(500), Reply::WrongBody]).await;
        let txn = pay(&h, "RETRY-1", &receiver.url).await;
        let bodies = receiver.wait_for(3, 10).await;
        for body in &bodies {
            let param = verify_notification(&h.platform, body).expect("valid platform signature");
            assert_eq!(param["transactionId"], txn.as_str());
        }
        let notes = h.store.notifications_for(&txn).await.unwrap();
        assert_eq!(notes.len(), 1);
        eventually(5, "delivery recorded", || async {
            h.store
                .notification(notes[0].id)
                .await
                .unwrap()
                .unwrap()
                .status
                == DeliveryStatus::Delivered
        })
        .await;
        let attempts = h.store.attempts(notes[0].id).await.unwrap();
        assert_eq!(attempts.len(), 3);
        assert_eq!(
            attempts.iter().map(|a| a.delivered).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(attempts[0].http_status, Some(500));
        assert_eq!(attempts[0].response_excerpt, "busy");
        assert_eq!(attempts[1].http_status, Some(200));
        assert!(attempts[1].response_excerpt.contains("nope"));
        assert!(
            attempts[1].at - attempts[0].at >= 150,
            "retry waits for the schedule"
        );
        // Nothing more is sent once delivered.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(receiver.bodies().len(), 3);

        // The operator resends it: one more delivery, recorded as attempt 4.
        let resend = h
            .http
            .post(h.url(&format!("/admin/notifications/{}/resend", notes[0].id)))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(resend.status(), 200);
        receiver.wait_for(4, 10).await;
        eventually(5, "resend recorded", || async {
            h.store.attempts(notes[0].id).await.unwrap().len() == 4
        })
        .await;
        let unauthorized = h
            .http
            .post(h.url(&format!("/admin/notifications/{}/resend", notes[0].id)))
            .send()
            .await
            .unwrap();
        assert_eq!(unauthorized.status(), 401);
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn a_notification_is_abandoned_after_its_last_scheduled_attempt() {
    for db in TestDb::all().await {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut config = test_config(&dir, &db);
        config.notify_retry_delays_ms = vec![50, 50];
        let h = Harness::start_with(config, dir, None).await;
        let receiver = Receiver::start(vec![Reply::Status(503); 10]).await;
        let txn = pay(&h, "GIVEUP", &receiver.url).await;
        let id = h.store.notifications_for(&txn).await.unwrap()[0].id;
        eventually(10, "abandoned", || async {
            h.store.notification(id).await.unwrap().unwrap().status == DeliveryStatus::Abandoned
        })
        .await;
        assert_eq!(h.store.attempts(id).await.unwrap().len(), 3);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(receiver.bodies().len(), 3);
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn a_restart_loses_nothing_and_delivers_every_pending_notification_once() {
    for db in TestDb::all().await {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let config = test_config(&dir, &db);
        // The merchant's endpoint is down before the restart: connections are refused.
        let port = sampan_testkit::free_port();
        let notify_url = format!("http://127.0.0.1:{port}/notify");
        let h = Harness::start_with(config.clone(), dir.clone(), None).await;
        let mut orders = Vec::new();
        for i in 0..12 {
            let order = format!("RS-{i}");
            let txn = if i % 3 == 0 {
                // left PENDING: must survive as an order
                h.client
                    .generate_payment(
                        "philippines",
                        &ph_payment(&order, "PH_GCASH_URL", 10_000, &notify_url),
                    )
                    .await
                    .unwrap()
                    .expect_data()
                    .transaction_id
            } else {
                pay(&h, &order, &notify_url).await
            };
            orders.push((order, txn));
        }
        // Let at least one failed attempt happen, then stop the node.
        eventually(10, "failed attempts", || async {
            let mut all = true;
            for (_, txn) in orders.iter().skip(1).step_by(3) {
                let notes = h.store.notifications_for(txn).await.unwrap();
                all &= notes.first().is_some_and(|n| n.attempts >= 1);
            }
            all
        })
        .await;
        let app = (h.app_id.clone(), h.key.clone());
        h.stop().await;

        // The merchant's endpoint comes back; a new node starts on the same database.
        let receiver =
            Receiver::start_on(format!("127.0.0.1:{port}").parse().unwrap(), vec![]).await;
        let h = Harness::start_with(config, dir, Some(app)).await;
        let expected = orders
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .count();
        receiver.wait_for(expected, 15).await;
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        let mut per_txn: HashMap<String, usize> = HashMap::new();
        for body in receiver.bodies() {
            let param = verify_notification(&h.platform, &body).unwrap();
            *per_txn
                .entry(param["transactionId"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert_eq!(per_txn.len(), expected);
        assert!(
            per_txn.values().all(|n| *n == 1),
            "delivered exactly once: {per_txn:?}"
        );
        for (i, (order, txn)) in orders.iter().enumerate() {
            let q = h
                .client
                .query_payment(
                    "philippines",
                    &sampan_protocol::payment::PaymentQuery {
                        mch_order_id: Some(order.clone()),
                        transaction_id: None,
                        timestamp: sampan_client::now_ms(),
                    },
                )
                .await
                .unwrap()
                .expect_data();
            assert_eq!(&q.transaction_id, txn);
            let expected_status = if i % 3 == 0 { "PENDING" } else { "COMPLETED" };
            assert_eq!(q.transaction_status, expected_status);
        }
        assert_eq!(h.store.outbox_backlog().await.unwrap(), 0);
        receiver.stop();
        h.stop().await;
    }
}
