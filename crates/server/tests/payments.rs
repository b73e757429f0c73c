//! Philippine dynamic payments end to end: every channel, the sandbox, the ledger, the
//! notification, on both stores.

mod common;

use common::{eventually, ph_payment, Harness, Receiver};
use sampan_channels::{emvco, va};
use sampan_domain::ledger::Account;
use sampan_domain::payment::PaymentStatus;
use sampan_domain::{Catalog, ChannelKind, Country, Currency, Money, Payment, Store};
use sampan_protocol::payment::PaymentQuery;
use sampan_protocol::verify_notification;
use sampan_testkit::TestDb;
use serde_json::json;

fn query_by_order(order: &str) -> PaymentQuery {
    PaymentQuery {
        mch_order_id: Some(order.into()),
        transaction_id: None,
        timestamp: sampan_client::now_ms(),
    }
}

#[tokio::test]
async fn every_philippine_channel_answers_with_its_pay_data() {
    let catalog = Catalog::builtin();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let mut va_numbers = Vec::new();
        for channel in catalog.for_country(Country::PH, ChannelKind::Dynamic) {
            let amount = channel.min.max(12_345);
            let order = format!("ORD-{}", channel.code);
            let data = h
                .client
                .generate_payment(
                    "philippines",
                    &ph_payment(&order, &channel.code, amount, "http://127.0.0.1:9/n"),
                )
                .await
                .unwrap()
                .expect_data();
            assert!(data.transaction_id.starts_with('C') && data.transaction_id.len() == 20);
            assert_eq!(data.mch_order_id, order);
            assert_eq!(data.channel_type, channel.channel_type.as_str());
            assert_eq!(
                data.pay_url,
                h.url(&format!("/cashier/{}", data.transaction_id))
            );
            match data.channel_type.as_str() {
                "URL" => assert_eq!(data.pay_data, data.pay_url),
                "QR" => {
                    let fields = emvco::parse(&data.pay_data).expect("valid EMVCo with CRC");
                    assert_eq!(emvco::field(&fields, "53"), Some("608"));
                    assert_eq!(emvco::field(&fields, "58"), Some("PH"));
                    assert_eq!(
                        emvco::field(&fields, "54"),
                        Some(Money::new(amount, Currency::PHP).to_major_string().as_str())
                    );
                }
                "VA" => {
                    assert!(
                        va::is_well_formed(&channel.code, &data.pay_data),
                        "{}",
                        data.pay_data
                    );
                    va_numbers.push(data.pay_data.clone());
                }
                other => panic!("unexpected type {other}"),
            }
            // The query answers the 2.2.2 fields, by mchOrderId and by transactionId.
            let q = h
                .client
                .query_payment("philippines", &query_by_order(&order))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(q.transaction_id, data.transaction_id);
            assert_eq!(q.amount, amount);
            assert_eq!(q.transaction_status, "PENDING");
            assert_eq!(q.channel_code, channel.code);
            assert_eq!(q.customer_name, "Juan dela Cruz");
            assert_eq!(q.email, "juan@example.ph");
            assert_eq!(
                (q.country_code.as_str(), q.currency.as_str()),
                ("PH", "PHP")
            );
            assert_eq!(q.fee, channel.fee.fee_for(amount), "fee snapshot");
            assert!(q.failed_code.is_none() && q.return_time.is_none());
            let by_txn = PaymentQuery {
                mch_order_id: None,
                transaction_id: Some(data.transaction_id.clone()),
                timestamp: sampan_client::now_ms(),
            };
            assert_eq!(
                h.client
                    .query_payment("philippines", &by_txn)
                    .await
                    .unwrap()
                    .expect_data(),
                q
            );
        }
        va_numbers.sort();
        va_numbers.dedup();
        assert_eq!(va_numbers.len(), 2);
        h.stop().await;
    }
}

#[tokio::test]
async fn paying_credits_the_balance_and_notifies_the_merchant() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        assert_eq!(
            h.client.balance("PH").await.unwrap().expect_data().balance,
            "0.00"
        );

        let created = h
            .client
            .generate_payment(
                "philippines",
                &ph_payment("PAY-1", "PH_GCASH_URL", 10_000, &receiver.url),
            )
            .await
            .unwrap()
            .expect_data();
        let answer = h.sandbox(&created.transaction_id, "complete").await;
        assert_eq!(answer.status(), 200);

        let bodies = receiver.wait_for(1, 10).await;
        let param = verify_notification(&h.platform, &bodies[0]).expect("signed by the platform");
        assert_eq!(param["eventName"], "order.payment.success");
        assert_eq!(param["transactionId"], created.transaction_id.as_str());
        assert_eq!(param["mchOrderId"], "PAY-1");
        assert_eq!(param["amount"], 10_000);
        assert_eq!(param["transactionStatus"], "COMPLETED");
        assert_eq!(param["channelCode"], "PH_GCASH_URL");
        assert_eq!(
            (param["countryCode"].as_str(), param["currency"].as_str()),
            (Some("PH"), Some("PHP"))
        );
        assert_eq!(param["remark"], "order from test");
        assert!(param["createTime"].as_str().unwrap().len() == 19);

        let balance = h.client.balance("PH").await.unwrap().expect_data();
        assert_eq!(balance.balance, "98.00"); // 100.00 less the 2% e-wallet fee
        assert_eq!(
            (balance.frozen_balance.as_str(), balance.currency.as_str()),
            ("0.00", "PHP")
        );
        assert_eq!(
            h.client.balance("ID").await.unwrap().expect_data().balance,
            "0.00"
        );

        let q = h
            .client
            .query_payment("philippines", &query_by_order("PAY-1"))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(q.transaction_status, "COMPLETED");
        assert!(q.return_time.is_some());

        // Paying twice is refused by the sandbox and changes nothing.
        assert_eq!(
            h.sandbox(&created.transaction_id, "complete")
                .await
                .status(),
            409
        );
        assert_eq!(
            h.sandbox(&created.transaction_id, "fail").await.status(),
            409
        );
        assert_eq!(
            h.sandbox("C0000000000000000000", "complete").await.status(),
            404
        );
        assert_eq!(
            h.client.balance("PH").await.unwrap().expect_data().balance,
            "98.00"
        );

        // Operators see the traffic by route template and the delivered notification.
        let metrics = h
            .http
            .get(h.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains(
                "sampan_requests_total{route=\"/open-api/{country}/payment/generate\",status=\"200\",code=\"10000\"} 1"
            ),
            "{metrics}"
        );
        assert!(metrics.contains("sampan_notification_attempts_total{outcome=\"delivered\"} 1"));
        assert!(metrics.contains("sampan_outbox_backlog 0"));
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        assert_eq!(
            h.store
                .balance(&Account::FeeRevenue {
                    currency: Currency::PHP
                })
                .await
                .unwrap(),
            200
        );
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn failed_and_expired_orders_are_notified_with_their_reason() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let mut req = ph_payment("FAIL-1", "PH_MAYA_URL", 10_000, &receiver.url);
        req.expire_seconds = Some(30);
        let created = h
            .client
            .generate_payment("philippines", &req)
            .await
            .unwrap()
            .expect_data();
        let q = h
            .client
            .query_payment("philippines", &query_by_order("FAIL-1"))
            .await
            .unwrap()
            .expect_data();
        let zone = h.gateway.state.zone;
        let created_ms = h
            .store
            .payment(&created.transaction_id)
            .await
            .unwrap()
            .unwrap()
            .created_at;
        assert_eq!(q.expires_time, zone.format(created_ms + 30_000));
        let failed = h
            .http
            .post(h.url(&format!(
                "/sandbox/payments/{}/fail",
                created.transaction_id
            )))
            .json(&json!({"failedCode": -10004}))
            .send()
            .await
            .unwrap();
        assert_eq!(failed.status(), 200);
        let n = verify_notification(&h.platform, &receiver.wait_for(1, 10).await[0]).unwrap();
        assert_eq!(n["eventName"], "order.payment.failed");
        assert_eq!(
            (n["failedCode"].as_i64(), n["failedMessage"].as_str()),
            (Some(-10004), Some("Transaction Channel Rejected"))
        );

        // An order already past its expiry: the expiry job fails it with -10008 and notifies.
        let mut stale = h
            .store
            .payment(&created.transaction_id)
            .await
            .unwrap()
            .unwrap();
        stale = Payment {
            transaction_id: "C0000000000000000042".into(),
            mch_order_id: "EXP-1".into(),
            status: PaymentStatus::Pending,
            finished_at: None,
            failure: None,
            expires_at: sampan_client::now_ms() - 1,
            notify_url: receiver.url.clone(),
            ..stale
        };
        h.store.insert_payment(&stale).await.unwrap();
        let bodies = receiver.wait_for(2, 10).await;
        let n = verify_notification(&h.platform, &bodies[1]).unwrap();
        assert_eq!(n["mchOrderId"], "EXP-1");
        assert_eq!(n["transactionStatus"], "FAILED");
        assert_eq!(
            (n["failedCode"].as_i64(), n["failedMessage"].as_str()),
            (Some(-10008), Some("Transaction Expired"))
        );
        let q = h
            .client
            .query_payment("philippines", &query_by_order("EXP-1"))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(
            (q.transaction_status.as_str(), q.failed_code),
            ("FAILED", Some(-10008))
        );
        // Paying it now is refused.
        assert_eq!(
            h.sandbox("C0000000000000000042", "complete").await.status(),
            409
        );
        assert_eq!(
            h.client.balance("PH").await.unwrap().expect_data().balance,
            "0.00"
        );
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn fifty_identical_requests_create_one_order() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let param = serde_json::to_string(&ph_payment(
            "RACE",
            "PH_GCASH_URL",
            10_000,
            "http://127.0.0.1:9/n",
        ))
        .unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, param) = (h.client.clone(), param.clone());
                tokio::spawn(async move {
                    client
                        .call_raw("/open-api/philippines/payment/generate", &param)
                        .await
                        .unwrap()
                        .envelope
                        .code
                })
            })
            .collect();
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap());
        }
        assert_eq!(
            codes.iter().filter(|c| **c == 10000).count(),
            1,
            "{codes:?}"
        );
        assert_eq!(
            codes.iter().filter(|c| **c == 21007).count(),
            49,
            "{codes:?}"
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn cashier_page_shows_the_order_and_its_buttons_settle_it() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let created = h
            .client
            .generate_payment(
                "philippines",
                &ph_payment("PAGE-1", "PH_QRPH_DYNAMIC", 123_450, "http://127.0.0.1:9/n"),
            )
            .await
            .unwrap()
            .expect_data();
        let page = h.http.get(&created.pay_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("PHP 1,234.50"));
        assert!(html.contains("Sari-Sari Store"));
        assert!(html.contains("<svg"));
        assert!(html.contains("pay-button") && html.contains("fail-button"));

        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let pay = no_redirect
            .post(format!("{}/pay", created.pay_url))
            .send()
            .await
            .unwrap();
        assert_eq!(pay.status(), 303);
        let html = h
            .http
            .get(&created.pay_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Payment received"));
        assert!(!html.contains("pay-button"));
        // A second press explains rather than pays again.
        let again = no_redirect
            .post(format!("{}/pay", created.pay_url))
            .send()
            .await
            .unwrap();
        assert!(again.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice="));
        eventually(5, "balance", || async {
            h.client.balance("PH").await.unwrap().expect_data().balance == "1215.98"
            // 1,234.50 less 1.5% (18.52)
        })
        .await;
        assert_eq!(
            h.http
                .get(h.url("/cashier/C404"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        h.stop().await;
    }
}
