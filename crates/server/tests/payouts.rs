//! Payouts end to end over HTTP: each country accepted, settled, notified and checked; the
//! sandbox's magic accounts and operator actions; the rejection codes; and the concurrency
//! guarantees, on both stores.

mod common;

use common::{eventually, Harness, Receiver};
use sampan_domain::ledger::Account;
use sampan_domain::{Currency, Store};
use sampan_protocol::payout::{PayoutCheck, PayoutTransfer};
use sampan_protocol::verify_notification;
use sampan_testkit::TestDb;
use serde_json::{json, Value};
use std::sync::Arc;

fn base(
    order: &str,
    amount: i64,
    method: &str,
    code: Option<&str>,
    account: &str,
) -> PayoutTransfer {
    PayoutTransfer {
        mch_order_id: order.to_string(),
        idempotency_id: format!("IDEM{order}").chars().take(32).collect(),
        amount,
        account_no: account.to_string(),
        account_name: Some("Juan dela Cruz".into()),
        pay_method_code: method.to_string(),
        transfer_code: code.map(str::to_string),
        mobile: None,
        account_type: None,
        promptpay_account_type: None,
        account_tax_id: None,
        relationship: None,
        remark: Some("salary".into()),
        notify_url: None,
        timestamp: sampan_client::now_ms(),
    }
}

/// A valid payout of each country: (path slug, country code, currency, request).
fn per_country(suffix: &str) -> Vec<(&'static str, &'static str, Currency, PayoutTransfer)> {
    let ph = base(
        &format!("PH{suffix}"),
        50_000,
        "EWALLET",
        Some("GCASH"),
        "09171230001",
    );
    let id = PayoutTransfer {
        mobile: Some("0822111111".into()),
        ..base(
            &format!("ID{suffix}"),
            150_000,
            "BANK",
            Some("CIMB"),
            "1095944800001",
        )
    };
    let my = PayoutTransfer {
        account_type: Some("MOBILE_NUMBER".into()),
        ..base(
            &format!("MY{suffix}"),
            10_000,
            "BANK",
            Some("RHBB"),
            "0123450001",
        )
    };
    let th = PayoutTransfer {
        account_name: None,
        promptpay_account_type: Some("NATID".into()),
        ..base(
            &format!("TH{suffix}"),
            30_000,
            "PROMPTPAY",
            None,
            "1101700200001",
        )
    };
    vec![
        ("philippines", "PH", Currency::PHP, ph),
        ("indonesia", "ID", Currency::IDR, id),
        ("malaysia", "MY", Currency::MYR, my),
        ("thailand", "TH", Currency::THB, th),
    ]
}

fn check_by_order(order: &str) -> PayoutCheck {
    PayoutCheck {
        mch_order_id: Some(order.into()),
        transaction_id: None,
        country_code: None,
        timestamp: sampan_client::now_ms(),
    }
}

fn check_by_txn(txn: &str) -> PayoutCheck {
    PayoutCheck {
        mch_order_id: None,
        transaction_id: Some(txn.into()),
        country_code: None,
        timestamp: sampan_client::now_ms(),
    }
}

async fn balances(h: &Harness, currency: Currency) -> (i64, i64) {
    (
        h.store
            .balance(&Account::available(&h.app_id, currency))
            .await
            .unwrap(),
        h.store
            .balance(&Account::frozen(&h.app_id, currency))
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn each_country_pays_out_settles_notifies_and_answers_the_check() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        // PH and ID name their URL in the request; MY and TH use the app's payout callback URL.
        h.admin_patch_app(json!({"payoutCallbackUrl": receiver.url}))
            .await;
        let countries = per_country("0001");
        for (i, (slug, cc, currency, mut req)) in countries.into_iter().enumerate() {
            if i < 2 {
                req.notify_url = Some(receiver.url.clone());
            }
            h.top_up(currency.code(), 1_000_000).await;
            let data = h.client.transfer(slug, &req).await.unwrap().expect_data();
            assert!(data.transaction_id.starts_with('D') && data.transaction_id.len() == 20);
            assert_eq!(data.mch_order_id, req.mch_order_id);
            assert_eq!(data.transaction_status, "PENDING");
            assert_eq!(data.transaction_time.len(), 19);
            let pending = h
                .client
                .check_payout(Some(slug), &check_by_order(&req.mch_order_id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(pending.transaction_status, "PENDING");
            let fee = pending.fee;
            assert!(fee > 0, "{cc}: the catalog's payout fee applies");
            // amount + fee left the available balance; they are frozen until the sandbox
            // settles (which, on a loaded machine, may already have happened)
            let (available, frozen) = balances(&h, currency).await;
            assert_eq!(
                available,
                1_000_000 - req.amount - fee,
                "{cc}: amount + fee held"
            );
            assert!(
                frozen == req.amount + fee || frozen == 0,
                "{cc}: frozen {frozen}"
            );

            let bodies = receiver.wait_for(i + 1, 15).await;
            let n: Value = verify_notification(&h.platform, &bodies[i]).unwrap();
            assert_eq!(n["eventName"], "disbursement.success");
            assert_eq!(n["transactionId"], data.transaction_id.as_str());
            assert_eq!(n["mchOrderId"], req.mch_order_id.as_str());
            assert_eq!(n["amount"], req.amount);
            assert_eq!(n["transactionStatus"], "COMPLETED");
            assert_eq!(n["countryCode"], cc);
            assert_eq!(n["currency"], currency.code());
            assert_eq!(n["remark"], "salary");
            assert!(n["returnTime"].as_str().unwrap().len() == 19);

            let done = h
                .client
                .check_payout(Some(slug), &check_by_order(&req.mch_order_id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(done.transaction_status, "COMPLETED");
            assert_eq!(done.transaction_id, data.transaction_id);
            assert_eq!(done.amount, req.amount);
            assert_eq!(
                (done.country_code.as_str(), done.currency.as_str()),
                (cc, currency.code())
            );
            assert!(done.return_time.is_some() && done.failed_code.is_none());
            // the alias finds it by either id; another country's path does not
            let alias = h
                .client
                .check_payout(None, &check_by_txn(&data.transaction_id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(alias, done);
            let other = if slug == "philippines" {
                "thailand"
            } else {
                "philippines"
            };
            assert_eq!(
                h.client
                    .check_payout(Some(other), &check_by_order(&req.mch_order_id))
                    .await
                    .unwrap()
                    .code(),
                21006
            );
            assert_eq!(
                balances(&h, currency).await,
                (1_000_000 - req.amount - fee, 0),
                "{cc}: frozen funds left through the channel"
            );
        }
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn magic_accounts_fail_or_stay_pending_and_operators_settle_stuck_ones() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        h.top_up("PHP", 1_000_000).await;
        let send = |order: &str, account: &str| {
            let mut req = base(order, 10_000, "BANK", Some("BDO"), account);
            req.notify_url = Some(receiver.url.clone());
            req
        };
        let mut ids = Vec::new();
        for (order, account) in [
            ("MAGIC2", "1234560002"),
            ("MAGIC4", "1234560004"),
            ("MAGIC9", "1234560009"),
            ("MAGIC9B", "1234570009"),
        ] {
            let data = h
                .client
                .transfer("philippines", &send(order, account))
                .await
                .unwrap()
                .expect_data();
            ids.push(data.transaction_id);
        }
        receiver.wait_for(2, 15).await;
        for (order, code, message) in [
            ("MAGIC2", -10005, "Transaction Destination Account Error"),
            ("MAGIC4", -10004, "Transaction Channel Rejected"),
        ] {
            let c = h
                .client
                .check_payout(Some("philippines"), &check_by_order(order))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(c.transaction_status, "FAILED");
            assert_eq!(c.failed_code, Some(code));
            assert_eq!(c.failed_message.as_deref(), Some(message));
        }
        let events: Vec<Value> = receiver
            .bodies()
            .iter()
            .map(|b| verify_notification(&h.platform, b).unwrap())
            .collect();
        assert!(events
            .iter()
            .all(|e| e["eventName"] == "disbursement.failed"));
        // The …0009 payouts stay PENDING, visible to operators by status and age.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let stuck = h
            .admin_get("/admin/payouts?status=PENDING&minAgeSecs=0")
            .await;
        let stuck: Vec<&str> = stuck
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["payout"]["transactionId"].as_str().unwrap())
            .collect();
        assert_eq!(stuck, vec![ids[2].as_str(), ids[3].as_str()]);
        assert!(h
            .admin_get("/admin/payouts?status=PENDING&minAgeSecs=3600")
            .await
            .as_array()
            .unwrap()
            .is_empty());
        // held: the two stuck payouts with their fees
        let (available, frozen) = balances(&h, Currency::PHP).await;
        assert_eq!(frozen, 2 * (10_000 + 1_000));
        assert_eq!(available, 1_000_000 - frozen);

        let failed = h
            .admin_post(
                &format!("/admin/payouts/{}/fail", ids[2]),
                json!({"note": "bank confirmed the account is closed", "failedCode": -10005}),
            )
            .await;
        assert_eq!(failed["payout"]["transactionStatus"], "FAILED");
        let done = h
            .admin_post(
                &format!("/admin/payouts/{}/complete", ids[3]),
                json!({"note": "bank statement shows it paid"}),
            )
            .await;
        assert_eq!(done["payout"]["transactionStatus"], "COMPLETED");
        let again = h
            .http
            .post(h.url(&format!("/admin/payouts/{}/complete", ids[3])))
            .bearer_auth(common::ADMIN_TOKEN)
            .json(&json!({"note": "twice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
        receiver.wait_for(4, 15).await;
        assert_eq!(
            balances(&h, Currency::PHP).await,
            (1_000_000 - 11_000, 0),
            "only the force-completed payout left"
        );
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        receiver.stop();
        h.stop().await;
    }
}

/// 200 payouts of 1,000 at once against an available balance of 100,000, fees zero: exactly
/// 100 accepted, 100 refused 21014; available ends at 0 and frozen back at 0 once settled.
#[tokio::test]
async fn two_hundred_concurrent_payouts_never_overdraw() {
    for db in TestDb::all().await {
        let h = Arc::new(Harness::start(&db).await);
        h.admin_patch_app(json!({"fees": {"PH_PAYOUT_BANK": {}}}))
            .await;
        h.top_up("PHP", 100_000).await;
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move {
                    let req = base(
                        &format!("RACE{i:04}"),
                        1_000,
                        "BANK",
                        Some("BDO"),
                        "1234567891",
                    );
                    h.client.transfer("philippines", &req).await.unwrap().code()
                })
            })
            .collect();
        let mut codes = std::collections::BTreeMap::new();
        for t in tasks {
            *codes.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(
            codes,
            [(10000, 100), (21014, 100)].into_iter().collect(),
            "{:?}",
            db.backend
        );
        // Settlement may already have begun: what is not frozen any more has been paid out.
        let paid_out = |h: Arc<Harness>| async move {
            h.store
                .balance(&Account::ChannelClearing {
                    channel: "PH_PAYOUT_BANK".into(),
                    currency: Currency::PHP,
                })
                .await
                .unwrap()
        };
        // Read frozen between two equal readings of what was paid out, so that no settlement
        // slipped in between the two balances being compared.
        loop {
            let before = paid_out(h.clone()).await;
            let (available, frozen) = balances(&h, Currency::PHP).await;
            if paid_out(h.clone()).await != before {
                continue;
            }
            assert_eq!(available, 0);
            assert_eq!(frozen + before, 100_000);
            break;
        }
        eventually(30, "every payout settled", || {
            let h = h.clone();
            async move { balances(&h, Currency::PHP).await == (0, 0) }
        })
        .await;
        assert_eq!(paid_out(h.clone()).await, 100_000);
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        match Arc::try_unwrap(h) {
            Ok(h) => h.stop().await,
            Err(_) => panic!("harness still shared"),
        }
    }
}

#[tokio::test]
async fn one_idempotency_id_sent_twenty_times_at_once_makes_one_payout() {
    for db in TestDb::all().await {
        let h = Arc::new(Harness::start(&db).await);
        h.top_up("PHP", 1_000_000).await;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move {
                    let mut req = base(
                        &format!("SAME{i:03}"),
                        1_000,
                        "BANK",
                        Some("BDO"),
                        "1234567891",
                    );
                    req.idempotency_id = "ONEIDEMPOTENCYKEY".into();
                    h.client.transfer("philippines", &req).await.unwrap().code()
                })
            })
            .collect();
        let mut codes = std::collections::BTreeMap::new();
        for t in tasks {
            *codes.entry(t.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(codes, [(10000, 1), (21015, 19)].into_iter().collect());
        // One payout's amount + fee left the available balance (frozen, or already paid out
        // if the sandbox settled it meanwhile).
        assert_eq!(
            balances(&h, Currency::PHP).await.0,
            1_000_000 - (1_000 + 1_000)
        );
        match Arc::try_unwrap(h) {
            Ok(h) => h.stop().await,
            Err(_) => panic!("harness still shared"),
        }
    }
}

#[tokio::test]
async fn each_rejection_code_has_a_request_that_triggers_it() {
    let db = TestDb::sqlite().await;
    let h = Harness::start(&db).await;
    h.top_up("PHP", 200_000).await;
    let ok = || base("REJECT01", 10_000, "BANK", Some("BDO"), "1234567891");
    let code = |req: PayoutTransfer, slug: &'static str| {
        let client = h.client.clone();
        async move { client.transfer(slug, &req).await.unwrap() }
    };
    let cases: Vec<(i32, &str, PayoutTransfer, &str)> = vec![
        (
            21002,
            "missing accountName",
            PayoutTransfer {
                account_name: None,
                ..ok()
            },
            "philippines",
        ),
        (
            21002,
            "bank accountNo too short",
            PayoutTransfer {
                account_no: "12345".into(),
                ..ok()
            },
            "philippines",
        ),
        (
            21002,
            "e-wallet accountNo not a mobile",
            base("REJECT01", 10_000, "EWALLET", Some("GCASH"), "1234567891"),
            "philippines",
        ),
        (
            21002,
            "accountName with a digit",
            PayoutTransfer {
                account_name: Some("Juan 2".into()),
                ..ok()
            },
            "philippines",
        ),
        (
            21002,
            "Indonesia without mobile",
            base("REJECT01", 10_000, "BANK", Some("BCA"), "1234567891"),
            "indonesia",
        ),
        (
            21002,
            "Malaysia without accountType",
            base("REJECT01", 10_000, "BANK", Some("RHBB"), "1234567891"),
            "malaysia",
        ),
        (
            21002,
            "Thai BANK without accountTaxId",
            base("REJECT01", 10_000, "BANK", Some("KBANK"), "1234567891"),
            "thailand",
        ),
        (
            21010,
            "below the method's minimum",
            PayoutTransfer { amount: 99, ..ok() },
            "philippines",
        ),
        (
            21010,
            "above the method's maximum",
            PayoutTransfer {
                amount: 5_000_001,
                ..ok()
            },
            "philippines",
        ),
        (
            21012,
            "unknown bank",
            PayoutTransfer {
                transfer_code: Some("NOBANK".into()),
                ..ok()
            },
            "philippines",
        ),
        (
            21013,
            "unknown wallet",
            base(
                "REJECT01",
                10_000,
                "EWALLET",
                Some("NOWALLET"),
                "09171234567",
            ),
            "philippines",
        ),
        (
            21018,
            "a wallet code on the bank method",
            PayoutTransfer {
                transfer_code: Some("GCASH".into()),
                ..ok()
            },
            "philippines",
        ),
        (
            21019,
            "unknown payMethodCode",
            PayoutTransfer {
                pay_method_code: "CASH".into(),
                ..ok()
            },
            "philippines",
        ),
        (
            21014,
            "more than the balance",
            PayoutTransfer {
                amount: 199_500,
                ..ok()
            },
            "philippines",
        ),
    ];
    for (expected, what, req, slug) in cases {
        let answer = code(req, slug).await;
        assert_eq!(
            answer.code(),
            expected,
            "{what}: {}",
            answer.envelope.message
        );
    }
    let answer = code(
        PayoutTransfer {
            account_name: None,
            ..ok()
        },
        "philippines",
    )
    .await;
    assert!(
        answer.envelope.message.contains("accountName"),
        "{}",
        answer.envelope.message
    );
    // nothing above was accepted or held anything
    assert_eq!(balances(&h, Currency::PHP).await, (200_000, 0));

    let first = code(ok(), "philippines").await;
    assert_eq!(first.code(), 10000);
    let repeat_order = PayoutTransfer {
        idempotency_id: "OTHERIDEMPOTENCY".into(),
        ..ok()
    };
    assert_eq!(code(repeat_order, "philippines").await.code(), 21007);
    let repeat_idem = PayoutTransfer {
        mch_order_id: "REJECT02".into(),
        ..ok()
    };
    assert_eq!(code(repeat_idem, "philippines").await.code(), 21015);
    assert_eq!(
        balances(&h, Currency::PHP).await.0,
        200_000 - 11_000,
        "only the first payout took funds"
    );

    // 21017: a country the app has not opened
    h.admin_patch_app(json!({"countries": ["TH"]})).await;
    assert_eq!(
        code(
            PayoutTransfer {
                mch_order_id: "REJECT03".into(),
                idempotency_id: "IDEMREJECT03".into(),
                ..ok()
            },
            "philippines"
        )
        .await
        .code(),
        21017
    );
    // 21006: checks of unknown payouts; Russia has no payout routes (404 + 21002)
    assert_eq!(
        h.client
            .check_payout(Some("thailand"), &check_by_order("NOPE"))
            .await
            .unwrap()
            .code(),
        21006
    );
    let russia = h.client.transfer("russia", &ok()).await.unwrap();
    assert_eq!((russia.http_status, russia.code()), (404, 21002));
    h.stop().await;
}
