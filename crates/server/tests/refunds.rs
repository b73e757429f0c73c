//! Refunds end to end over HTTP: full and partial refunds accepted, settled by the sandbox,
//! notified, listed, with the ledger and balances right; the sandbox's `FAIL` suffix and the
//! operator's cancel; every rejection code; and the concurrency guarantees, on both stores.

mod common;

use common::{eventually, ph_payment, test_config, Harness, Receiver};
use sampan_client::Client;
use sampan_domain::ledger::Account;
use sampan_domain::payment::PaymentStatus;
use sampan_domain::{Currency, Store};
use sampan_protocol::payment::PaymentQuery;
use sampan_protocol::refund::{RefundCreate, RefundData, RefundList};
use sampan_protocol::verify_notification;
use sampan_server::ops;
use sampan_testkit::TestDb;
use serde_json::{json, Value};
use std::sync::Arc;

fn refund_req(order: &str, original: &str, amount: i64, url: &str) -> RefundCreate {
    RefundCreate {
        mch_refund_order_id: order.to_string(),
        original_transaction_id: original.to_string(),
        refund_amount: amount,
        refund_reason: Some("damaged".into()),
        refund_callback_url: url.to_string(),
        timestamp: sampan_client::now_ms(),
    }
}

fn by_original(original: &str) -> RefundList {
    RefundList {
        original_transaction_id: Some(original.into()),
        refund_transaction_id: None,
        timestamp: sampan_client::now_ms(),
    }
}

fn by_refund(id: &str) -> RefundList {
    RefundList {
        original_transaction_id: None,
        refund_transaction_id: Some(id.into()),
        timestamp: sampan_client::now_ms(),
    }
}

/// A payment of `amount` on `channel`, paid through the sandbox; its transaction id.
async fn paid(h: &Harness, order: &str, channel: &str, amount: i64) -> String {
    let data = h
        .client
        .generate_payment(
            "philippines",
            &ph_payment(order, channel, amount, "http://127.0.0.1:9/n"),
        )
        .await
        .unwrap()
        .expect_data();
    let response = h.sandbox(&data.transaction_id, "complete").await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    data.transaction_id
}

async fn query(h: &Harness, txn: &str) -> sampan_protocol::payment::PaymentQueryData {
    h.client
        .query_payment(
            "philippines",
            &PaymentQuery {
                mch_order_id: None,
                transaction_id: Some(txn.into()),
                timestamp: sampan_client::now_ms(),
            },
        )
        .await
        .unwrap()
        .expect_data()
}

async fn balances(h: &Harness) -> (i64, i64) {
    (
        h.store
            .balance(&Account::available(&h.app_id, Currency::PHP))
            .await
            .unwrap(),
        h.store
            .balance(&Account::frozen(&h.app_id, Currency::PHP))
            .await
            .unwrap(),
    )
}

async fn listed(h: &Harness, original: &str) -> Vec<RefundData> {
    h.client
        .refund_payments(&by_original(original))
        .await
        .unwrap()
        .expect_data()
}

async fn wait_status(h: &Harness, refund_id: &str, status: &str) {
    eventually(15, &format!("refund {refund_id} {status}"), || async {
        h.client
            .refund_payments(&by_refund(refund_id))
            .await
            .unwrap()
            .expect_data()[0]
            .refund_status
            == status
    })
    .await;
}

/// A harness whose sandbox never gets round to answering refunds (they stay PENDING).
async fn slow_refunds(db: &TestDb) -> Harness {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir, db);
    config.refund_settle_delay_ms = 3_600_000;
    Harness::start_with(config, dir, None).await
}

async fn ledger_ok(h: &Harness) {
    let report = h.store.verify_ledger().await.unwrap();
    assert!(report.is_consistent(), "{report:?}");
}

#[tokio::test]
async fn full_and_partial_refunds_settle_notify_list_and_move_the_right_money() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let c1 = paid(&h, "ORDER1", "PH_GCASH_URL", 10_000).await;
        let fee = query(&h, &c1).await.fee;
        assert!(fee > 0);
        assert_eq!(balances(&h).await, (10_000 - fee, 0));

        // A partial refund: frozen at once, paid out after the sandbox delay, fee kept.
        let data = h
            .client
            .refund(&refund_req("RF1", &c1, 3_000, &receiver.url))
            .await
            .unwrap()
            .expect_data();
        assert!(
            data.refund_transaction_id.starts_with('R') && data.refund_transaction_id.len() == 20
        );
        assert_eq!(data.mch_refund_order_id, "RF1");
        assert_eq!(
            (data.refund_amount, data.refund_status.as_str()),
            (3_000, "PENDING")
        );
        assert_eq!(data.refund_create_time.len(), 19);
        let partial_id = data.refund_transaction_id;
        let bodies = receiver.wait_for(1, 15).await;
        let n: Value = verify_notification(&h.platform, &bodies[0]).unwrap();
        assert_eq!(n["eventName"], "payment.refund.success");
        assert_eq!(n["refundTransactionId"], partial_id.as_str());
        assert_eq!(n["mchRefundOrderId"], "RF1");
        assert_eq!(n["originalTransactionId"], c1.as_str());
        assert_eq!(n["refundAmount"], 3_000);
        assert_eq!(n["feeRefunded"], 0);
        assert_eq!(n["refundStatus"], "COMPLETE");
        assert_eq!(n["refundReason"], "damaged");
        assert_eq!(
            (n["countryCode"].as_str(), n["currency"].as_str()),
            (Some("PH"), Some("PHP"))
        );
        assert_eq!(n["refundCreateTime"].as_str().unwrap().len(), 19);
        assert_eq!(n["refundReturnTime"].as_str().unwrap().len(), 19);
        assert!(n.get("failedCode").is_none());
        wait_status(&h, &partial_id, "COMPLETE").await;
        assert_eq!(balances(&h).await, (10_000 - fee - 3_000, 0));
        assert_eq!(query(&h, &c1).await.refunded_amount, 3_000);

        // The sandbox fails a refund whose mchRefundOrderId ends in FAIL: funds come back.
        let failing = h
            .client
            .refund(&refund_req("RF2FAIL", &c1, 1_000, &receiver.url))
            .await
            .unwrap()
            .expect_data();
        let bodies = receiver.wait_for(2, 15).await;
        let n: Value = verify_notification(&h.platform, &bodies[1]).unwrap();
        assert_eq!(n["eventName"], "payment.refund.failed");
        assert_eq!(n["refundStatus"], "FAILED");
        assert_eq!(n["failedCode"], -10009);
        assert_eq!(n["failedMessage"], "Channel Refund Failed");
        wait_status(&h, &failing.refund_transaction_id, "FAILED").await;
        assert_eq!(balances(&h).await, (10_000 - fee - 3_000, 0));
        assert_eq!(query(&h, &c1).await.refunded_amount, 3_000);

        // A full refund of another payment gives the whole fee back.
        let c2 = paid(&h, "ORDER2", "PH_GCASH_URL", 10_000).await;
        let before = balances(&h).await.0;
        let full = h
            .client
            .refund(&refund_req("RF3", &c2, 10_000, &receiver.url))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(balances(&h).await, (before - 10_000, 10_000));
        let bodies = receiver.wait_for(3, 15).await;
        let n: Value = verify_notification(&h.platform, &bodies[2]).unwrap();
        assert_eq!(n["eventName"], "payment.refund.success");
        assert_eq!(n["feeRefunded"], fee);
        wait_status(&h, &full.refund_transaction_id, "COMPLETE").await;
        assert_eq!(balances(&h).await, (before - 10_000 + fee, 0));
        assert_eq!(query(&h, &c2).await.refunded_amount, 10_000);
        let clearing = Account::ChannelClearing {
            channel: "PH_GCASH_URL".into(),
            currency: Currency::PHP,
        };
        // Collected 20,000 through the channel, paid 13,000 back through it.
        assert_eq!(h.store.balance(&clearing).await.unwrap(), -7_000);
        assert_eq!(
            h.store
                .balance(&Account::FeeRevenue {
                    currency: Currency::PHP
                })
                .await
                .unwrap(),
            fee
        );

        // Listings: all refunds of an original, oldest first, or one by its id.
        let list = listed(&h, &c1).await;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].refund_transaction_id, partial_id);
        assert_eq!(list[0].refund_status, "COMPLETE");
        assert_eq!(list[0].fee_refunded, 0);
        assert!(list[0].refund_return_time.is_some());
        assert_eq!(list[1].refund_status, "FAILED");
        assert_eq!(list[1].failed_code, Some(-10009));
        let one = h
            .client
            .refund_payments(&by_refund(&full.refund_transaction_id))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(one.len(), 1);
        assert_eq!(
            (one[0].fee_refunded, one[0].original_transaction_id.as_str()),
            (fee, c2.as_str())
        );
        assert_eq!(
            listed(&h, &paid(&h, "ORDER3", "PH_GCASH_URL", 500).await).await,
            vec![]
        );
        ledger_ok(&h).await;
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn an_operator_cancels_a_pending_refund_and_the_funds_return() {
    for db in TestDb::all().await {
        let h = slow_refunds(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let c1 = paid(&h, "ORDER1", "PH_GCASH_URL", 10_000).await;
        let (available, _) = balances(&h).await;
        let r = h
            .client
            .refund(&refund_req("RF1", &c1, 4_000, &receiver.url))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(balances(&h).await, (available - 4_000, 4_000));
        let pending = h.admin_get("/admin/refunds?status=pending").await;
        assert_eq!(pending.as_array().unwrap().len(), 1);
        let view = h
            .admin_post(
                &format!("/admin/refunds/{}/cancel", r.refund_transaction_id),
                json!({"note": "merchant asked"}),
            )
            .await;
        assert_eq!(view["refund"]["refundStatus"], "CANCEL");
        assert_eq!(balances(&h).await, (available, 0));
        let bodies = receiver.wait_for(1, 15).await;
        let n: Value = verify_notification(&h.platform, &bodies[0]).unwrap();
        assert_eq!(n["eventName"], "payment.refund.cancel");
        assert_eq!(n["refundStatus"], "CANCEL");
        assert_eq!(n["feeRefunded"], 0);
        // Final: a second cancel is refused, through the same operations the CLI uses.
        let again = ops::cancel_refund(
            h.store.as_ref(),
            &h.gateway.state.zone,
            &r.refund_transaction_id,
            "again",
        )
        .await;
        assert!(matches!(again, Err(ops::OpsError::Invalid(_))), "{again:?}");
        assert_eq!(query(&h, &c1).await.refunded_amount, 0);
        // With the pending one gone, a new refund of the same original is accepted.
        h.client
            .refund(&refund_req("RF2", &c1, 4_000, &receiver.url))
            .await
            .unwrap()
            .expect_data();
        ledger_ok(&h).await;
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn each_rejection_code_has_a_request_that_triggers_it() {
    for db in TestDb::all().await {
        let h = slow_refunds(&db).await;
        let url = "http://127.0.0.1:9/refund";
        let code = |r: RefundCreate| {
            let client = h.client.clone();
            async move { client.refund(&r).await.unwrap().code() }
        };
        let gcash = paid(&h, "GCASH1", "PH_GCASH_URL", 10_000).await;

        // 21002: a malformed field, named.
        let mut bad = refund_req("RF_1", &gcash, 100, url);
        assert_eq!(code(bad.clone()).await, 21002);
        bad.mch_refund_order_id = "RF1".into();
        bad.refund_callback_url = "not a url".into();
        assert_eq!(code(bad).await, 21002);
        // 21006: no such payment, or another app's.
        assert_eq!(
            code(refund_req("RF1", "C0000000000000000000", 100, url)).await,
            21006
        );
        let other = ops::create_app(h.store.as_ref(), "Other Shop", None)
            .await
            .unwrap();
        let other_client = Client::new(
            h.gateway.base_url(),
            &other.app.app_id,
            other.private_key.unwrap(),
        );
        let answer = other_client
            .refund(&refund_req("RF1", &gcash, 100, url))
            .await
            .unwrap();
        assert_eq!(answer.code(), 21006);
        assert_eq!(
            other_client
                .refund_payments(&by_original(&gcash))
                .await
                .unwrap()
                .code(),
            21006
        );
        // 21408: the original is still PENDING.
        let pending = h
            .client
            .generate_payment(
                "philippines",
                &ph_payment("PEND1", "PH_GCASH_URL", 10_000, url),
            )
            .await
            .unwrap()
            .expect_data();
        assert_eq!(
            code(refund_req("RF1", &pending.transaction_id, 100, url)).await,
            21408
        );
        // 21403: completed more than 60 days ago (written straight into the store).
        let mut old = h.store.payment(&gcash).await.unwrap().unwrap();
        old.transaction_id = "C0000000000000000077".into();
        old.mch_order_id = "OLD1".into();
        old.created_at -= 61 * 86_400_000;
        old.expires_at = old.created_at + 3_600_000;
        old.finished_at = Some(old.created_at + 60_000);
        assert_eq!(old.status, PaymentStatus::Completed);
        h.store.insert_payment(&old).await.unwrap();
        assert_eq!(
            code(refund_req("RF1", &old.transaction_id, 100, url)).await,
            21403
        );
        // 21404 / 21405: the channel forbids full (BPI: no refunds) or partial (GCash QR).
        let bpi = paid(&h, "BPI1", "PH_BPI_URL", 10_000).await;
        assert_eq!(code(refund_req("RF1", &bpi, 10_000, url)).await, 21404);
        let qr = paid(&h, "QR1", "PH_GCASH_QR", 10_000).await;
        assert_eq!(code(refund_req("RF1", &qr, 5_000, url)).await, 21405);
        // 21406: not positive, or above the original.
        for amount in [0, -100, 10_001] {
            assert_eq!(
                code(refund_req("RF1", &gcash, amount, url)).await,
                21406,
                "{amount}"
            );
        }
        // 21014: a full refund needs the whole amount, and the merchant holds less after fees.
        let (available, _) = balances(&h).await;
        let c_small = paid(&h, "SMALL1", "PH_GCASH_URL", 100_000).await;
        h.admin_post(
            "/admin/balances/adjust",
            json!({"appId": h.app_id, "currency": "PHP", "amount": -(balances(&h).await.0 - available),
                   "reason": "test", "note": "take the new payment's credit away"}),
        )
        .await;
        assert_eq!(code(refund_req("RF1", &c_small, 100_000, url)).await, 21014);
        assert_eq!(balances(&h).await, (available, 0), "nothing frozen");
        // Accepted, then 21409 (another refund of it pending) and 21407 (a repeated id).
        h.top_up("PHP", 100_000).await;
        let ok = h
            .client
            .refund(&refund_req("RF1", &gcash, 1_000, url))
            .await
            .unwrap();
        assert_eq!(ok.code(), 10000);
        assert_eq!(code(refund_req("RF2", &gcash, 1_000, url)).await, 21409);
        assert_eq!(code(refund_req("RF1", &gcash, 1_000, url)).await, 21407);
        assert_eq!(code(refund_req("RF1", &c_small, 1_000, url)).await, 21407);
        // The list needs an id (21002) and finds only what exists (21006).
        let none = RefundList {
            original_transaction_id: None,
            refund_transaction_id: None,
            timestamp: sampan_client::now_ms(),
        };
        assert_eq!(h.client.refund_payments(&none).await.unwrap().code(), 21002);
        assert_eq!(
            h.client
                .refund_payments(&by_refund("R0000000000000000000"))
                .await
                .unwrap()
                .code(),
            21006
        );
        ledger_ok(&h).await;
        h.stop().await;
    }
}

#[tokio::test]
async fn ten_concurrent_refunds_accept_one_and_partials_never_exceed_the_original() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        h.top_up("PHP", 1_000_000).await;
        let c1 = paid(&h, "ORDER1", "PH_GCASH_URL", 10_000).await;
        let url = "http://127.0.0.1:9/refund";
        let race = |round: usize| {
            let tasks: Vec<_> = (0..10)
                .map(|i| {
                    let client = h.client.clone();
                    let req = refund_req(&format!("RF{round}X{i}"), &c1, 4_000, url);
                    tokio::spawn(async move { client.refund(&req).await.unwrap().code() })
                })
                .collect();
            async move {
                let mut codes = Vec::new();
                for t in tasks {
                    codes.push(t.await.unwrap());
                }
                codes.sort();
                codes
            }
        };
        let first = race(0).await;
        assert_eq!(
            first.iter().filter(|c| **c == 10000).count(),
            1,
            "{first:?}"
        );
        assert_eq!(
            first.iter().filter(|c| **c == 21409).count(),
            9,
            "{first:?}"
        );
        eventually(15, "the first refund settles", || async {
            query(&h, &c1).await.refunded_amount == 4_000
        })
        .await;
        // 6,000 left: racing refunds of 4,000 can add at most one more, never a third.
        for round in 1..4 {
            let codes = race(round).await;
            assert!(
                codes.iter().all(|c| [10000, 21406, 21409].contains(c)),
                "{codes:?}"
            );
            eventually(15, "no refund pending", || async {
                listed(&h, &c1)
                    .await
                    .iter()
                    .all(|r| r.refund_status != "PENDING")
            })
            .await;
            let refunded = query(&h, &c1).await.refunded_amount;
            assert!(refunded <= 10_000, "round {round}: {refunded}");
        }
        let list = listed(&h, &c1).await;
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(query(&h, &c1).await.refunded_amount, 8_000);
        assert_eq!(balances(&h).await.1, 0);
        ledger_ok(&h).await;
        h.stop().await;
    }
}
