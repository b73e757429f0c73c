//! The store conformance suite: every case runs against SQLite and against PostgreSQL.

use sampan_domain::ledger::{Account, EntryKind};
use sampan_domain::outbox::{Attempt, DeliveryStatus};
use sampan_domain::payment::PaymentStatus;
use sampan_domain::{
    App, AppSettings, AppStatus, ChannelType, Country, Currency, DisplayZone, Money, Payment,
    PaymentOutcome, Payout, PayoutOutcome, PayoutStatus, Refund, RefundOutcome, RefundStatus,
    Store, StoreError, UniqueKey,
};
use sampan_protocol::FailedCode;
use sampan_store::{ConnectOptions, Db};
use sampan_testkit::TestDb;
use std::sync::Arc;

const ZONE: DisplayZone = DisplayZone::UTC8;

async fn each_backend<F, Fut>(case: F)
where
    F: Fn(Arc<Db>, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for test_db in TestDb::all().await {
        let db = Db::connect(&test_db.url, &ConnectOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", test_db.backend));
        case(Arc::new(db.clone()), test_db.url.clone()).await;
        db.close().await;
    }
}

fn app(id: &str) -> App {
    App {
        app_id: id.to_string(),
        name: format!("shop {id}"),
        public_key: "MIIB".into(),
        status: AppStatus::Active,
        settings: AppSettings::default(),
        created_at: 1,
    }
}

fn payment(id: &str, app_id: &str, order: &str) -> Payment {
    Payment {
        transaction_id: id.into(),
        app_id: app_id.into(),
        mch_order_id: order.into(),
        country: Country::PH,
        channel_code: "PH_GCASH_URL".into(),
        channel_type: ChannelType::URL,
        amount: Money::new(10_000, Currency::PHP),
        fee: 200,
        status: PaymentStatus::Pending,
        customer_name: "Juan".into(),
        email: "juan@example.ph".into(),
        mobile: "09171234567".into(),
        remark: Some("r".into()),
        notify_url: "http://127.0.0.1:9/n".into(),
        redirect_url: None,
        pay_data: format!("http://gw/cashier/{id}"),
        created_at: 1_000,
        expires_at: i64::MAX / 2,
        finished_at: None,
        failure: None,
    }
}

fn va_payment(id: &str, order: &str, number: &str) -> Payment {
    Payment {
        channel_code: "PH_INSTAPAY_VA".into(),
        channel_type: ChannelType::VA,
        pay_data: number.into(),
        ..payment(id, "a1", order)
    }
}

#[tokio::test]
async fn apps_round_trip_and_ids_are_unique() {
    each_backend(|db, _| async move {
        let mut a = app("a1");
        a.settings.ip_allowlist = vec!["10.0.0.0/8".parse().unwrap()];
        a.settings.countries = vec![Country::PH];
        db.insert_app(&a).await.unwrap();
        assert_eq!(db.app("a1").await.unwrap(), Some(a.clone()));
        assert!(matches!(
            db.insert_app(&a).await,
            Err(StoreError::Duplicate(UniqueKey::AppId))
        ));
        a.status = AppStatus::Disabled;
        db.update_app(&a).await.unwrap();
        assert_eq!(
            db.app("a1").await.unwrap().unwrap().status,
            AppStatus::Disabled
        );
        assert!(matches!(
            db.update_app(&app("nope")).await,
            Err(StoreError::NotFound)
        ));
        db.insert_app(&app("a0")).await.unwrap();
        assert_eq!(db.apps().await.unwrap().len(), 2);
        assert_eq!(db.app("missing").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn payments_are_unique_per_app_and_order_id() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_app(&app("a2")).await.unwrap();
        let p = payment("C1", "a1", "M1");
        db.insert_payment(&p).await.unwrap();
        assert_eq!(db.payment("C1").await.unwrap(), Some(p.clone()));
        assert_eq!(
            db.payment_by_mch_order_id("a1", "M1").await.unwrap(),
            Some(p)
        );
        assert!(matches!(
            db.insert_payment(&payment("C2", "a1", "M1")).await,
            Err(StoreError::Duplicate(UniqueKey::MchOrderId))
        ));
        // another app may use the same merchant order id
        db.insert_payment(&payment("C3", "a2", "M1")).await.unwrap();
        assert!(matches!(
            db.insert_payment(&payment("C1", "a1", "M9")).await,
            Err(StoreError::Duplicate(UniqueKey::TransactionId))
        ));
    })
    .await;
}

#[tokio::test]
async fn concurrent_inserts_of_one_order_id_create_one_payment() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.insert_payment(&payment(&format!("C{i}"), "a1", "SAME"))
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        let mut dup = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Duplicate(UniqueKey::MchOrderId)) => dup += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, dup), (1, 19));
    })
    .await;
}

#[tokio::test]
async fn a_va_number_is_held_by_one_open_order_at_a_time() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_payment(&va_payment("C1", "M1", "7788000011112222"))
            .await
            .unwrap();
        assert!(matches!(
            db.insert_payment(&va_payment("C2", "M2", "7788000011112222"))
                .await,
            Err(StoreError::Duplicate(UniqueKey::PayData))
        ));
        db.settle_payment(
            "C1",
            PaymentOutcome::Failed(FailedCode::Expired),
            2_000,
            &ZONE,
        )
        .await
        .unwrap();
        db.insert_payment(&va_payment("C2", "M2", "7788000011112222"))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn settling_writes_status_journal_and_outbox_together() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_payment(&payment("C1", "a1", "M1")).await.unwrap();
        let paid = db
            .settle_payment("C1", PaymentOutcome::Paid, 5_000, &ZONE)
            .await
            .unwrap();
        assert_eq!(paid.status, PaymentStatus::Completed);
        assert_eq!(paid.finished_at, Some(5_000));
        assert_eq!(db.payment("C1").await.unwrap().unwrap(), paid);
        assert_eq!(
            db.balance(&Account::available("a1", Currency::PHP))
                .await
                .unwrap(),
            9_800
        );
        assert_eq!(
            db.balance(&Account::FeeRevenue {
                currency: Currency::PHP
            })
            .await
            .unwrap(),
            200
        );
        let notes = db.notifications_for("C1").await.unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].event, "order.payment.success");
        assert_eq!(notes[0].status, DeliveryStatus::Pending);
        // a second settlement is refused and writes nothing
        assert!(matches!(
            db.settle_payment("C1", PaymentOutcome::Paid, 6_000, &ZONE)
                .await,
            Err(StoreError::Transition(_))
        ));
        assert!(matches!(
            db.settle_payment(
                "C1",
                PaymentOutcome::Failed(FailedCode::Expired),
                6_000,
                &ZONE
            )
            .await,
            Err(StoreError::Transition(_))
        ));
        assert_eq!(db.notifications_for("C1").await.unwrap().len(), 1);
        assert!(matches!(
            db.settle_payment("nope", PaymentOutcome::Paid, 6_000, &ZONE)
                .await,
            Err(StoreError::NotFound)
        ));
        let report = db.verify_ledger().await.unwrap();
        assert!(report.is_consistent(), "{report:?}");
        assert_eq!(report.entries, 1);
    })
    .await;
}

#[tokio::test]
async fn racing_settlements_credit_exactly_once() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_payment(&payment("C1", "a1", "M1")).await.unwrap();
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let outcome = if i % 2 == 0 {
                        PaymentOutcome::Paid
                    } else {
                        PaymentOutcome::Failed(FailedCode::ChannelRejected)
                    };
                    db.settle_payment("C1", outcome, 5_000, &ZONE).await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            if let Ok(p) = t.await.unwrap() {
                winners.push(p);
            }
        }
        assert_eq!(winners.len(), 1);
        let expected = if winners[0].status == PaymentStatus::Completed {
            9_800
        } else {
            0
        };
        assert_eq!(
            db.balance(&Account::available("a1", Currency::PHP))
                .await
                .unwrap(),
            expected
        );
        assert_eq!(db.notifications_for("C1").await.unwrap().len(), 1);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn operator_entries_move_balances_and_verify_catches_tampering() {
    each_backend(|db, url| async move {
        let entry = sampan_domain::ledger::operator_entry(
            EntryKind::TopUp,
            "T1",
            "a1",
            Currency::THB,
            50_000,
            "opening float",
        );
        db.post_entry(&entry, 1).await.unwrap();
        assert_eq!(
            db.balance(&Account::available("a1", Currency::THB))
                .await
                .unwrap(),
            50_000
        );
        let mut bad = entry.clone();
        bad.postings[0].amount += 1;
        assert!(matches!(
            db.post_entry(&bad, 2).await,
            Err(StoreError::Unbalanced(_))
        ));
        assert!(db.verify_ledger().await.unwrap().is_consistent());

        // Someone edits a balance behind the ledger's back: verify must say so.
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("UPDATE balances SET balance = balance + 1 WHERE account = $1")
            .bind(Account::available("a1", Currency::THB).key())
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        let report = db.verify_ledger().await.unwrap();
        assert!(!report.is_consistent());
        assert_eq!(report.mismatched_balances.len(), 1);
        assert_eq!(report.mismatched_balances[0].1, 50_001);
        assert_eq!(report.mismatched_balances[0].2, 50_000);
    })
    .await;
}

#[tokio::test]
async fn outbox_claims_lease_and_records_attempts() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_payment(&payment("C1", "a1", "M1")).await.unwrap();
        db.settle_payment("C1", PaymentOutcome::Paid, 1_000, &ZONE)
            .await
            .unwrap();
        assert_eq!(db.outbox_backlog().await.unwrap(), 1);

        let claimed = db.claim_due_notifications(1_000, 30_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let id = claimed[0].id;
        // leased: nobody else gets it until the lease runs out
        assert!(db
            .claim_due_notifications(1_001, 30_000, 10)
            .await
            .unwrap()
            .is_empty());

        let failed = Attempt {
            notification_id: id,
            attempt_no: 1,
            at: 1_100,
            http_status: Some(500),
            response_excerpt: "oops".into(),
            latency_ms: 3,
            delivered: false,
        };
        db.record_attempt(&failed, Some(16_100)).await.unwrap();
        assert!(db
            .claim_due_notifications(16_000, 30_000, 10)
            .await
            .unwrap()
            .is_empty());
        let again = db
            .claim_due_notifications(16_100, 30_000, 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);

        let ok = Attempt {
            attempt_no: 2,
            at: 16_200,
            http_status: Some(200),
            response_excerpt: r#"{"code":10000}"#.into(),
            delivered: true,
            ..failed.clone()
        };
        db.record_attempt(&ok, None).await.unwrap();
        let n = db.notification(id).await.unwrap().unwrap();
        assert_eq!(n.status, DeliveryStatus::Delivered);
        assert_eq!(n.delivered_at, Some(16_200));
        assert_eq!(db.attempts(id).await.unwrap(), vec![failed, ok]);
        assert_eq!(db.outbox_backlog().await.unwrap(), 0);

        db.resend_notification(id, 20_000).await.unwrap();
        assert_eq!(
            db.claim_due_notifications(20_000, 30_000, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            db.resend_notification(999, 1).await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn two_nodes_never_claim_the_same_notification() {
    each_backend(|db, url| async move {
        db.insert_app(&app("a1")).await.unwrap();
        for i in 0..40 {
            let id = format!("C{i}");
            db.insert_payment(&payment(&id, "a1", &format!("M{i}")))
                .await
                .unwrap();
            db.settle_payment(&id, PaymentOutcome::Paid, 1_000, &ZONE)
                .await
                .unwrap();
        }
        let other = Arc::new(Db::connect(&url, &ConnectOptions::default()).await.unwrap());
        let claim = |db: Arc<Db>| {
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..10 {
                    for n in db.claim_due_notifications(2_000, 60_000, 3).await.unwrap() {
                        ids.push(n.id);
                    }
                }
                ids
            })
        };
        let (a, b) = (claim(db.clone()), claim(other.clone()));
        let mut all: Vec<i64> = a.await.unwrap();
        all.extend(b.await.unwrap());
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count, "a notification was claimed twice");
        assert_eq!(count, 40);
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn expired_pending_payments_are_listed() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let mut soon = payment("C1", "a1", "M1");
        soon.expires_at = 5_000;
        db.insert_payment(&soon).await.unwrap();
        db.insert_payment(&payment("C2", "a1", "M2")).await.unwrap();
        assert!(db
            .expired_pending_payments(4_999, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            db.expired_pending_payments(5_000, 10).await.unwrap(),
            vec!["C1"]
        );
    })
    .await;
}

#[tokio::test]
async fn wechat_merchant_keys_are_written_once() {
    each_backend(|db, _| async move {
        assert_eq!(db.wechat_merchant_key("wx0001").await.unwrap(), None);
        let first = db
            .insert_wechat_merchant_key("wx0001", "PEM-A", 1)
            .await
            .unwrap();
        assert_eq!(first, "PEM-A");
        // A second writer (another node) loses and reads the winner back.
        let second = db
            .insert_wechat_merchant_key("wx0001", "PEM-B", 2)
            .await
            .unwrap();
        assert_eq!(second, "PEM-A");
        assert_eq!(
            db.wechat_merchant_key("wx0001").await.unwrap().as_deref(),
            Some("PEM-A")
        );
        assert_eq!(db.wechat_merchant_key("wx0002").await.unwrap(), None);
    })
    .await;
}

// ------------------------------------------------------------------------------------ payouts

fn payout(id: &str, app_id: &str, order: &str, idem: &str, amount: i64, fee: i64) -> Payout {
    Payout {
        transaction_id: id.into(),
        app_id: app_id.into(),
        mch_order_id: order.into(),
        idempotency_id: idem.into(),
        country: Country::PH,
        method_code: "PH_PAYOUT_BANK".into(),
        pay_method_code: "BANK".into(),
        transfer_code: Some("BDO".into()),
        amount: Money::new(amount, Currency::PHP),
        fee,
        status: PayoutStatus::Pending,
        account_no: "1234567890".into(),
        account_name: Some("Juan dela Cruz".into()),
        account_type: None,
        promptpay_account_type: None,
        account_tax_id: None,
        mobile: None,
        relationship: None,
        remark: Some("salary".into()),
        notify_url: Some("http://127.0.0.1:9/n".into()),
        created_at: 1_000,
        settle_at: Some(2_000),
        finished_at: None,
        failure: None,
    }
}

async fn top_up(db: &Db, app_id: &str, currency: Currency, amount: i64) {
    let entry = sampan_domain::ledger::operator_entry(
        EntryKind::TopUp,
        &format!("T-{app_id}-{amount}"),
        app_id,
        currency,
        amount,
        "float",
    );
    db.post_entry(&entry, 1).await.unwrap();
}

async fn available(db: &Db, app_id: &str) -> i64 {
    db.balance(&Account::available(app_id, Currency::PHP))
        .await
        .unwrap()
}

async fn frozen(db: &Db, app_id: &str) -> i64 {
    db.balance(&Account::frozen(app_id, Currency::PHP))
        .await
        .unwrap()
}

#[tokio::test]
async fn accepting_a_payout_freezes_amount_and_fee_or_refuses() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        // no balance row at all yet: refused, and nothing is written
        assert!(matches!(
            db.insert_payout(&payout("D1", "a1", "P1", "IDEM0000001", 5_000, 100), 1_000)
                .await,
            Err(StoreError::InsufficientBalance)
        ));
        assert_eq!(db.payout("D1").await.unwrap(), None);
        top_up(&db, "a1", Currency::PHP, 10_000).await;
        let p = payout("D1", "a1", "P1", "IDEM0000001", 5_000, 100);
        db.insert_payout(&p, 1_000).await.unwrap();
        assert_eq!(db.payout("D1").await.unwrap(), Some(p.clone()));
        assert_eq!(
            db.payout_by_mch_order_id("a1", "P1").await.unwrap(),
            Some(p.clone())
        );
        assert_eq!(
            (available(&db, "a1").await, frozen(&db, "a1").await),
            (4_900, 5_100)
        );
        // exactly the rest is fine, one more is not
        assert!(matches!(
            db.insert_payout(&payout("D2", "a1", "P2", "IDEM0000002", 4_801, 100), 1_000)
                .await,
            Err(StoreError::InsufficientBalance)
        ));
        db.insert_payout(&payout("D2", "a1", "P2", "IDEM0000002", 4_800, 100), 1_000)
            .await
            .unwrap();
        assert_eq!(available(&db, "a1").await, 0);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn payout_order_and_idempotency_ids_are_unique_per_app() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_app(&app("a2")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        top_up(&db, "a2", Currency::PHP, 100_000).await;
        db.insert_payout(&payout("D1", "a1", "P1", "IDEM0000001", 1_000, 0), 1)
            .await
            .unwrap();
        assert!(matches!(
            db.insert_payout(&payout("D2", "a1", "P1", "IDEM0000002", 1_000, 0), 1)
                .await,
            Err(StoreError::Duplicate(UniqueKey::MchOrderId))
        ));
        assert!(matches!(
            db.insert_payout(&payout("D3", "a1", "P3", "IDEM0000001", 1_000, 0), 1)
                .await,
            Err(StoreError::Duplicate(UniqueKey::IdempotencyId))
        ));
        // a payment may share the payout's mchOrderId: uniqueness is per kind
        db.insert_payment(&payment("C1", "a1", "P1")).await.unwrap();
        // and another app may reuse both ids
        db.insert_payout(&payout("D4", "a2", "P1", "IDEM0000001", 1_000, 0), 1)
            .await
            .unwrap();
        assert_eq!(available(&db, "a1").await, 99_000);
        assert_eq!(frozen(&db, "a1").await, 1_000);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn settling_a_payout_moves_frozen_funds_once() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        db.insert_payout(
            &payout("D1", "a1", "P1", "IDEM0000001", 50_000, 1_000),
            1_000,
        )
        .await
        .unwrap();
        db.insert_payout(
            &payout("D2", "a1", "P2", "IDEM0000002", 20_000, 1_000),
            1_000,
        )
        .await
        .unwrap();
        assert_eq!(
            db.due_payouts(1_999, 10).await.unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(db.due_payouts(2_000, 10).await.unwrap(), vec!["D1", "D2"]);
        let done = db
            .settle_payout("D1", PayoutOutcome::Completed, 3_000, &ZONE, None)
            .await
            .unwrap();
        assert_eq!(done.status, PayoutStatus::Completed);
        assert_eq!(done.settle_at, None);
        assert_eq!(db.payout("D1").await.unwrap().unwrap(), done);
        let failed = db
            .settle_payout(
                "D2",
                PayoutOutcome::Failed(FailedCode::ChannelRejected),
                3_000,
                &ZONE,
                Some("forced by ops: bank down"),
            )
            .await
            .unwrap();
        assert_eq!(failed.failure, Some(FailedCode::ChannelRejected));
        assert_eq!(available(&db, "a1").await, 100_000 - 51_000);
        assert_eq!(frozen(&db, "a1").await, 0);
        assert_eq!(
            db.balance(&Account::ChannelClearing {
                channel: "PH_PAYOUT_BANK".into(),
                currency: Currency::PHP
            })
            .await
            .unwrap(),
            50_000
        );
        assert_eq!(
            db.balance(&Account::FeeRevenue {
                currency: Currency::PHP
            })
            .await
            .unwrap(),
            1_000
        );
        assert_eq!(
            db.notifications_for("D1").await.unwrap()[0].event,
            "disbursement.success"
        );
        assert_eq!(
            db.notifications_for("D2").await.unwrap()[0].event,
            "disbursement.failed"
        );
        assert!(matches!(
            db.settle_payout("D1", PayoutOutcome::Completed, 4_000, &ZONE, None)
                .await,
            Err(StoreError::Transition(_))
        ));
        assert!(matches!(
            db.settle_payout("D9", PayoutOutcome::Completed, 4_000, &ZONE, None)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(db.due_payouts(i64::MAX, 10).await.unwrap().is_empty());
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn a_payout_without_a_url_settles_silently_and_stuck_ones_are_listed() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        let mut quiet = payout("D1", "a1", "P1", "IDEM0000001", 1_000, 0);
        quiet.notify_url = None;
        quiet.settle_at = None; // never answered by the channel
        db.insert_payout(&quiet, 1_000).await.unwrap();
        let mut young = payout("D2", "a1", "P2", "IDEM0000002", 1_000, 0);
        young.created_at = 9_000;
        db.insert_payout(&young, 9_000).await.unwrap();
        assert!(!db
            .due_payouts(i64::MAX, 10)
            .await
            .unwrap()
            .contains(&"D1".to_string()));
        let stuck = db
            .payouts_by_status(PayoutStatus::Pending, 5_000, 10)
            .await
            .unwrap();
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].transaction_id, "D1");
        assert_eq!(
            db.payouts_by_status(PayoutStatus::Pending, i64::MAX, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        db.settle_payout("D1", PayoutOutcome::Completed, 10_000, &ZONE, Some("ops"))
            .await
            .unwrap();
        assert!(db.notifications_for("D1").await.unwrap().is_empty());
        assert_eq!(
            db.payouts_by_status(PayoutStatus::Completed, i64::MAX, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn operator_debits_cannot_overdraw() {
    each_backend(|db, _| async move {
        top_up(&db, "a1", Currency::PHP, 1_000).await;
        let debit = |amount: i64| {
            sampan_domain::ledger::operator_entry(
                EntryKind::Adjustment,
                "ADJ",
                "a1",
                Currency::PHP,
                amount,
                "correction",
            )
        };
        assert!(matches!(
            db.post_entry(&debit(-1_001), 2).await,
            Err(StoreError::InsufficientBalance)
        ));
        db.post_entry(&debit(-1_000), 2).await.unwrap();
        assert_eq!(available(&db, "a1").await, 0);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn concurrent_payouts_never_overdraw() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let p = payout(
                        &format!("D{i}"),
                        "a1",
                        &format!("P{i}"),
                        &format!("IDEM{i:08}"),
                        1_000,
                        0,
                    );
                    db.insert_payout(&p, 1_000).await
                })
            })
            .collect();
        let (mut ok, mut short) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::InsufficientBalance) => short += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, short), (100, 100));
        assert_eq!(available(&db, "a1").await, 0);
        assert_eq!(frozen(&db, "a1").await, 100_000);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn concurrent_repeats_of_one_idempotency_id_create_one_payout() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let p = payout(
                        &format!("D{i}"),
                        "a1",
                        &format!("P{i}"),
                        "SAMEIDEM01",
                        1_000,
                        0,
                    );
                    db.insert_payout(&p, 1_000).await
                })
            })
            .collect();
        let (mut ok, mut dup) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Duplicate(UniqueKey::IdempotencyId)) => dup += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, dup), (1, 19));
        assert_eq!(available(&db, "a1").await, 99_000);
    })
    .await;
}

// ------------------------------------------------------------- ledger invariants, randomized

/// xorshift64*: a small deterministic PRNG, so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// After every step: each entry sums to zero and each balance equals its postings (verify),
/// no available balance is negative, and each app's frozen balance equals the amount + fee of
/// its pending payouts.
async fn assert_invariants(db: &Db, apps: &[&str], step: usize, seed: u64) {
    let report = db.verify_ledger().await.unwrap();
    assert!(
        report.is_consistent(),
        "seed {seed} step {step}: {report:?}"
    );
    let pending = db
        .payouts_by_status(PayoutStatus::Pending, i64::MAX, 100_000)
        .await
        .unwrap();
    for app_id in apps {
        let avail = available(db, app_id).await;
        assert!(
            avail >= 0,
            "seed {seed} step {step}: {app_id} available {avail}"
        );
        let held: i64 = pending
            .iter()
            .filter(|p| &p.app_id == app_id)
            .map(|p| p.held())
            .sum();
        assert_eq!(
            frozen(db, app_id).await,
            held,
            "seed {seed} step {step}: {app_id} frozen"
        );
    }
}

#[tokio::test]
async fn random_operation_sequences_keep_the_ledger_invariants() {
    each_backend(|db, _| async move {
        let apps = ["a1", "a2"];
        for a in apps {
            db.insert_app(&app(a)).await.unwrap();
        }
        for seed in [0x5eed_0001_u64, 0xdead_beef, 0x1234_5678_9abc] {
            let mut rng = Rng(seed);
            let mut pending_payments: Vec<String> = Vec::new();
            let mut counter = 0u64;
            for step in 0..60 {
                counter += 1;
                let app_id = apps[rng.below(2) as usize];
                match rng.below(7) {
                    0 => top_up(&db, app_id, Currency::PHP, 1 + rng.below(20_000) as i64).await,
                    1 => {
                        let id = format!("C{seed:x}-{counter}");
                        db.insert_payment(&payment(&id, app_id, &id)).await.unwrap();
                        pending_payments.push(id);
                    }
                    2 if !pending_payments.is_empty() => {
                        let id = pending_payments
                            .remove(rng.below(pending_payments.len() as u64) as usize);
                        let outcome = if rng.below(3) == 0 {
                            PaymentOutcome::Failed(FailedCode::ChannelRejected)
                        } else {
                            PaymentOutcome::Paid
                        };
                        db.settle_payment(&id, outcome, 5_000, &ZONE).await.unwrap();
                    }
                    3 | 4 => {
                        let id = format!("D{seed:x}-{counter}");
                        let amount = 1 + rng.below(8_000) as i64;
                        let fee = rng.below(300) as i64;
                        match db
                            .insert_payout(
                                &payout(
                                    &id,
                                    app_id,
                                    &id,
                                    &format!("I{seed:x}-{counter:06}"),
                                    amount,
                                    fee,
                                ),
                                1_000,
                            )
                            .await
                        {
                            Ok(()) | Err(StoreError::InsufficientBalance) => {}
                            Err(e) => panic!("seed {seed} step {step}: {e}"),
                        }
                    }
                    _ => {
                        let pending = db
                            .payouts_by_status(PayoutStatus::Pending, i64::MAX, 1_000)
                            .await
                            .unwrap();
                        if !pending.is_empty() {
                            let p = &pending[rng.below(pending.len() as u64) as usize];
                            let outcome = if rng.below(2) == 0 {
                                PayoutOutcome::Completed
                            } else {
                                PayoutOutcome::Failed(FailedCode::DestinationAccountError)
                            };
                            db.settle_payout(&p.transaction_id, outcome, 6_000, &ZONE, None)
                                .await
                                .unwrap();
                        }
                    }
                }
                assert_invariants(&db, &apps, step, seed).await;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn accepting_and_failing_payouts_of_one_merchant_at_once_never_deadlocks() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        top_up(&db, "a1", Currency::PHP, 100_000).await;
        for i in 0..40 {
            let p = payout(
                &format!("D{i}"),
                "a1",
                &format!("P{i}"),
                &format!("IDEM{i:08}"),
                1_000,
                100,
            );
            db.insert_payout(&p, 1_000).await.unwrap();
        }
        // Failing touches frozen then available; accepting available then frozen.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let failer = db.clone();
            tasks.push(tokio::spawn(async move {
                failer
                    .settle_payout(
                        &format!("D{i}"),
                        PayoutOutcome::Failed(FailedCode::ChannelRejected),
                        2_000,
                        &ZONE,
                        None,
                    )
                    .await
                    .map(|_| ())
            }));
            let acceptor = db.clone();
            tasks.push(tokio::spawn(async move {
                let n = 100 + i;
                let p = payout(
                    &format!("D{n}"),
                    "a1",
                    &format!("P{n}"),
                    &format!("IDEM{n:08}"),
                    1_000,
                    100,
                );
                acceptor.insert_payout(&p, 2_000).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(available(&db, "a1").await, 100_000 - 40 * 1_100);
        assert_eq!(frozen(&db, "a1").await, 40 * 1_100);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

// ------------------------------------------------------------------ refunds

fn refund(id: &str, original: &str, order: &str, amount: i64, fee_refund: i64) -> Refund {
    Refund {
        refund_transaction_id: id.into(),
        app_id: "a1".into(),
        mch_refund_order_id: order.into(),
        original_transaction_id: original.into(),
        country: Country::PH,
        channel_code: "PH_GCASH_URL".into(),
        amount: Money::new(amount, Currency::PHP),
        fee_refund,
        status: RefundStatus::Pending,
        reason: Some("damaged".into()),
        callback_url: "http://127.0.0.1:9/refund".into(),
        created_at: 5_000,
        settle_at: Some(6_000),
        finished_at: None,
        failure: None,
    }
}

/// A merchant `a1` with a completed 10,000 payment `C1` (fee 200, so 9,800 available) and
/// `extra` more available.
async fn paid_original(db: &Db, extra: i64) {
    db.insert_app(&app("a1")).await.unwrap();
    db.insert_payment(&payment("C1", "a1", "M1")).await.unwrap();
    db.settle_payment("C1", PaymentOutcome::Paid, 2_000, &ZONE)
        .await
        .unwrap();
    if extra > 0 {
        top_up(db, "a1", Currency::PHP, extra).await;
    }
}

#[tokio::test]
async fn accepting_a_refund_freezes_its_amount_and_enforces_the_rules() {
    each_backend(|db, _| async move {
        paid_original(&db, 0).await;
        assert!(matches!(
            db.insert_refund(&refund("R1", "C404", "RF1", 100, 0), 5_000)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.insert_refund(&refund("R1", "C1", "RF1", 10_001, 0), 5_000)
                .await,
            Err(StoreError::RefundExceedsRemainder)
        ));
        assert!(matches!(
            db.insert_refund(&refund("R1", "C1", "RF1", 0, 0), 5_000)
                .await,
            Err(StoreError::RefundExceedsRemainder)
        ));
        // 9,800 available: a full refund of 10,000 is short.
        assert!(matches!(
            db.insert_refund(&refund("R1", "C1", "RF1", 10_000, 200), 5_000)
                .await,
            Err(StoreError::InsufficientBalance)
        ));
        assert_eq!(db.refund("R1").await.unwrap(), None, "nothing written");
        let r = refund("R1", "C1", "RF1", 4_000, 0);
        db.insert_refund(&r, 5_000).await.unwrap();
        assert_eq!(db.refund("R1").await.unwrap(), Some(r.clone()));
        assert_eq!(available(&db, "a1").await, 5_800);
        assert_eq!(frozen(&db, "a1").await, 4_000);
        assert!(matches!(
            db.insert_refund(&refund("R2", "C1", "RF1", 100, 0), 5_000)
                .await,
            Err(StoreError::Duplicate(UniqueKey::MchRefundOrderId))
        ));
        assert!(matches!(
            db.insert_refund(&refund("R2", "C1", "RF2", 100, 0), 5_000)
                .await,
            Err(StoreError::Duplicate(UniqueKey::PendingRefund))
        ));
        assert_eq!(db.refunds_of("C1").await.unwrap(), vec![r]);
        assert_eq!(db.due_refunds(6_000, 10).await.unwrap(), vec!["R1"]);
        assert!(db.due_refunds(5_999, 10).await.unwrap().is_empty());
        assert_eq!(db.refunded_amount("C1").await.unwrap(), 0);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn settling_refunds_pays_out_gives_back_the_fee_or_returns_funds() {
    each_backend(|db, _| async move {
        paid_original(&db, 10_000).await;
        let clearing = Account::ChannelClearing {
            channel: "PH_GCASH_URL".into(),
            currency: Currency::PHP,
        };
        let revenue = Account::FeeRevenue {
            currency: Currency::PHP,
        };
        // A partial refund fails: the frozen amount comes back, nothing else moves.
        db.insert_refund(&refund("R1", "C1", "RF1", 3_000, 0), 5_000)
            .await
            .unwrap();
        let failed = db
            .settle_refund(
                "R1",
                RefundOutcome::Failed(FailedCode::RefundFailed),
                7_000,
                &ZONE,
                None,
            )
            .await
            .unwrap();
        assert_eq!(failed.status, RefundStatus::Failed);
        assert_eq!(failed.failure, Some(FailedCode::RefundFailed));
        assert_eq!(
            (available(&db, "a1").await, frozen(&db, "a1").await),
            (19_800, 0)
        );
        assert!(matches!(
            db.settle_refund("R1", RefundOutcome::Completed, 7_000, &ZONE, None)
                .await,
            Err(StoreError::Transition(_))
        ));
        let n = db.notifications_for("R1").await.unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].event, "payment.refund.failed");
        // Cancelled: funds back too.
        db.insert_refund(&refund("R2", "C1", "RF2", 3_000, 0), 5_000)
            .await
            .unwrap();
        let c = db
            .settle_refund("R2", RefundOutcome::Cancelled, 7_000, &ZONE, Some("op"))
            .await
            .unwrap();
        assert_eq!(c.status, RefundStatus::Cancel);
        assert_eq!(available(&db, "a1").await, 19_800);
        // A full refund completes: 10,000 leaves through the channel, the 200 fee comes back.
        db.insert_refund(&refund("R3", "C1", "RF3", 10_000, 200), 5_000)
            .await
            .unwrap();
        let done = db
            .settle_refund("R3", RefundOutcome::Completed, 8_000, &ZONE, None)
            .await
            .unwrap();
        assert_eq!(done.status, RefundStatus::Complete);
        assert_eq!(done.fee_refunded(), 200);
        assert_eq!(
            (available(&db, "a1").await, frozen(&db, "a1").await),
            (10_000, 0)
        );
        assert_eq!(db.balance(&clearing).await.unwrap(), 0);
        assert_eq!(db.balance(&revenue).await.unwrap(), 0);
        assert_eq!(db.refunded_amount("C1").await.unwrap(), 10_000);
        // Nothing is left to refund.
        assert!(matches!(
            db.insert_refund(&refund("R4", "C1", "RF4", 1, 0), 9_000)
                .await,
            Err(StoreError::RefundExceedsRemainder)
        ));
        assert_eq!(db.refunds_of("C1").await.unwrap().len(), 3);
        assert_eq!(
            db.refunds_by_status(RefundStatus::Complete, 9_000, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            db.settle_refund("R404", RefundOutcome::Completed, 8_000, &ZONE, None)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn ten_concurrent_refunds_of_one_original_accept_exactly_one() {
    each_backend(|db, _| async move {
        paid_original(&db, 100_000).await;
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let r = refund(&format!("R{i}"), "C1", &format!("RF{i}"), 10_000, 200);
                    db.insert_refund(&r, 5_000).await
                })
            })
            .collect();
        let (mut ok, mut pending) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Duplicate(UniqueKey::PendingRefund)) => pending += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!((ok, pending), (1, 9));
        assert_eq!(frozen(&db, "a1").await, 10_000);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn concurrent_partial_refunds_never_sum_above_the_original() {
    each_backend(|db, _| async move {
        paid_original(&db, 100_000).await;
        // Rounds of racing partial refunds, each round settling what it accepted, while other
        // tasks settle concurrently: the completed sum never passes the original's 10,000.
        for round in 0..6 {
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        let id = format!("R{round}x{i}");
                        let r = refund(&id, "C1", &format!("RF{round}x{i}"), 2_500, 0);
                        match db.insert_refund(&r, 5_000).await {
                            Ok(()) => {
                                db.settle_refund(&id, RefundOutcome::Completed, 6_000, &ZONE, None)
                                    .await
                                    .unwrap();
                                true
                            }
                            Err(StoreError::Duplicate(UniqueKey::PendingRefund))
                            | Err(StoreError::RefundExceedsRemainder) => false,
                            Err(e) => panic!("unexpected {e}"),
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let refunded = db.refunded_amount("C1").await.unwrap();
            assert!(refunded <= 10_000, "round {round}: {refunded}");
        }
        // Enough rounds ran to exhaust it: exactly the original, in four refunds of 2,500.
        let done: Vec<_> = db
            .refunds_of("C1")
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.status == RefundStatus::Complete)
            .collect();
        assert!(done.len() <= 4);
        assert_eq!(
            db.refunded_amount("C1").await.unwrap(),
            done.len() as i64 * 2_500
        );
        assert_eq!(frozen(&db, "a1").await, 0);
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

// ---------------------------------------------------------------- static payment codes

fn code(id: &str, app_id: &str, order: &str, pay_data: &str) -> sampan_domain::StaticCode {
    sampan_domain::StaticCode {
        code_id: id.into(),
        app_id: app_id.into(),
        mch_order_id: order.into(),
        country: Country::ID,
        channel_code: "ID_BCA_VA".into(),
        channel_type: ChannelType::VA,
        fixed_amount: None,
        status: sampan_domain::CodeStatus::Active,
        customer_name: "Siti".into(),
        email: "siti@example.id".into(),
        mobile: "081234567890".into(),
        remark: Some("rent".into()),
        notify_url: "http://127.0.0.1:9/n".into(),
        pay_data: pay_data.into(),
        created_at: 1_000,
        expires_at: None,
        closed_at: None,
    }
}

fn incoming(txn: &str, amount: i64) -> sampan_domain::static_code::IncomingPayment {
    sampan_domain::static_code::IncomingPayment {
        transaction_id: txn.into(),
        amount,
        fee: 4_000,
        reference_number: Some("00012819".into()),
        min: 10_000,
        max: 50_000_000,
    }
}

#[tokio::test]
async fn one_active_code_per_order_and_channel_and_per_va_number() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_app(&app("a2")).await.unwrap();
        let c = code("S1", "a1", "BILL", "3935800000000001");
        db.insert_static_code(&c, 2_000).await.unwrap();
        assert_eq!(db.static_code("S1").await.unwrap(), Some(c.clone()));
        assert!(matches!(
            db.insert_static_code(&code("S2", "a1", "BILL", "3935800000000002"), 2_000)
                .await,
            Err(StoreError::Duplicate(UniqueKey::MchOrderId))
        ));
        assert!(matches!(
            db.insert_static_code(&code("S3", "a2", "OTHER", "3935800000000001"), 2_000)
                .await,
            Err(StoreError::Duplicate(UniqueKey::PayData))
        ));
        // another app may use the same order id; another channel too
        db.insert_static_code(&code("S4", "a2", "BILL", "3935800000000004"), 2_000)
            .await
            .unwrap();
        let mut bni = code("S5", "a1", "BILL", "8988000000000005");
        bni.channel_code = "ID_BNI_VA".into();
        db.insert_static_code(&bni, 2_000).await.unwrap();
        // once cancelled, the order id and the number may be reused
        let cancelled = db.cancel_static_code("S1", 3_000).await.unwrap();
        assert_eq!(cancelled.status, sampan_domain::CodeStatus::Cancel);
        assert!(matches!(
            db.cancel_static_code("S1", 3_500).await,
            Err(StoreError::Code(sampan_domain::CodeRefusal::NotActive(
                "CANCEL"
            )))
        ));
        db.insert_static_code(&code("S6", "a1", "BILL", "3935800000000001"), 4_000)
            .await
            .unwrap();
        assert_eq!(
            db.static_code_by_pay_data("3935800000000001")
                .await
                .unwrap()
                .unwrap()
                .code_id,
            "S6"
        );
        let codes = db.static_codes_by_mch_order_id("a1", "BILL").await.unwrap();
        assert_eq!(codes.len(), 3);
        assert_eq!(codes.last().unwrap().code_id, "S1");
    })
    .await;
}

#[tokio::test]
async fn a_static_va_number_held_by_an_open_dynamic_order_is_refused() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let mut open = payment("C1", "a1", "DYN-1");
        open.country = Country::ID;
        open.amount = Money::new(150_000, Currency::IDR);
        open.channel_code = "ID_BCA_VA".into();
        open.channel_type = ChannelType::VA;
        open.pay_data = "3935800000000001".into();
        open.expires_at = i64::MAX;
        db.insert_payment(&open).await.unwrap();
        assert!(matches!(
            db.insert_static_code(&code("S1", "a1", "BILL", "3935800000000001"), 2_000)
                .await,
            Err(StoreError::Duplicate(UniqueKey::PayData))
        ));
        db.insert_static_code(&code("S2", "a1", "BILL", "3935800000000002"), 2_000)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn concurrent_creates_of_one_code_leave_one_active() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let c = code(&format!("S{i}"), "a1", "SAME", &format!("39358{i:011}"));
                    db.insert_static_code(&c, 2_000).await
                })
            })
            .collect();
        let mut results = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => results.0 += 1,
                Err(StoreError::Duplicate(UniqueKey::MchOrderId)) => results.1 += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(results, (1, 9));
    })
    .await;
}

#[tokio::test]
async fn payments_to_a_code_credit_net_of_fee_with_their_notification() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let mut fixed = code("S1", "a1", "BILL", "3935800000000001");
        fixed.fixed_amount = Some(Money::new(100_000, Currency::IDR));
        fixed.expires_at = Some(50_000);
        db.insert_static_code(&fixed, 2_000).await.unwrap();
        let p = db
            .pay_static_code("S1", &incoming("C1", 100_000), 3_000, &ZONE)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Completed);
        assert_eq!(db.code_payment("C1").await.unwrap(), Some(p));
        assert!(matches!(
            db.pay_static_code("S1", &incoming("C2", 90_000), 3_000, &ZONE)
                .await,
            Err(StoreError::Code(
                sampan_domain::CodeRefusal::AmountMismatch { .. }
            ))
        ));
        let totals = db.code_totals("S1").await.unwrap();
        assert_eq!((totals.paid_count, totals.paid_amount), (1, 100_000));
        assert_eq!(
            db.balance(&Account::available("a1", Currency::IDR))
                .await
                .unwrap(),
            96_000
        );
        let notes = db.notifications_for("C1").await.unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].event, "static.order.payment.success");
        assert!(db.notifications_for("C2").await.unwrap().is_empty());
        // past its expiry: refused and marked EXPIRED
        assert!(matches!(
            db.pay_static_code("S1", &incoming("C3", 100_000), 60_000, &ZONE)
                .await,
            Err(StoreError::Code(sampan_domain::CodeRefusal::Expired))
        ));
        assert_eq!(
            db.static_code("S1").await.unwrap().unwrap().status,
            sampan_domain::CodeStatus::Expired
        );
        assert!(db.code_payment("C3").await.unwrap().is_none());
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn concurrent_payments_to_one_code_all_land() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_static_code(&code("S1", "a1", "BILL", "3935800000000001"), 2_000)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.pay_static_code("S1", &incoming(&format!("C{i}"), 10_000 + i), 3_000, &ZONE)
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let totals = db.code_totals("S1").await.unwrap();
        let sum: i64 = (0..10).map(|i| 10_000 + i).sum();
        assert_eq!((totals.paid_count, totals.paid_amount), (10, sum));
        assert_eq!(
            db.balance(&Account::available("a1", Currency::IDR))
                .await
                .unwrap(),
            sum - 10 * 4_000
        );
        let listed = db.code_payments("a1", "BILL", 0, 10_000).await.unwrap();
        assert_eq!(listed.len(), 10);
        assert!(db
            .code_payments("a1", "BILL", 3_001, 10_000)
            .await
            .unwrap()
            .is_empty());
        assert!(db.verify_ledger().await.unwrap().is_consistent());
    })
    .await;
}

#[tokio::test]
async fn codes_past_their_expiry_are_swept_and_can_be_replaced() {
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        let mut c = code("S1", "a1", "BILL", "3935800000000001");
        c.expires_at = Some(10_000);
        db.insert_static_code(&c, 2_000).await.unwrap();
        let mut forever = code("S2", "a1", "OTHER", "3935800000000002");
        forever.expires_at = None;
        db.insert_static_code(&forever, 2_000).await.unwrap();
        assert_eq!(db.expire_static_codes(9_999).await.unwrap(), 0);
        assert_eq!(db.expire_static_codes(10_000).await.unwrap(), 1);
        assert_eq!(
            db.static_code("S1").await.unwrap().unwrap().status,
            sampan_domain::CodeStatus::Expired
        );
        // a successor replaces an expired code the sweep has not reached yet
        let mut late = code("S3", "a1", "OTHER2", "3935800000000003");
        late.expires_at = Some(20_000);
        db.insert_static_code(&late, 2_000).await.unwrap();
        db.insert_static_code(&code("S4", "a1", "OTHER2", "3935800000000004"), 25_000)
            .await
            .unwrap();
        assert_eq!(
            db.static_code("S3").await.unwrap().unwrap().status,
            sampan_domain::CodeStatus::Expired
        );
    })
    .await;
}

// ---- reports (issue 7)

#[tokio::test]
async fn report_pages_walk_a_day_in_creation_order_without_gaps_or_repeats() {
    use sampan_domain::report::{ReportPageQuery, ReportType};
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        db.insert_app(&app("a2")).await.unwrap();
        // 25 payments, several sharing a created_at (ties break on transaction_id), some
        // outside the window, another app's and another country's in it.
        let mut batch = Vec::new();
        for i in 0..25i64 {
            batch.push(Payment {
                created_at: 10_000 + (i / 3) * 100,
                ..payment(&format!("C{:019}", 100 - i), "a1", &format!("M{i}"))
            });
        }
        batch.push(Payment {
            created_at: 9_999,
            ..payment("C0000000000000000900", "a1", "early")
        });
        batch.push(Payment {
            created_at: 20_000,
            ..payment("C0000000000000000901", "a1", "late")
        });
        batch.push(Payment {
            created_at: 10_000,
            ..payment("C0000000000000000902", "a2", "other-app")
        });
        batch.push(Payment {
            created_at: 10_000,
            country: Country::ID,
            amount: Money::new(10_000, Currency::IDR),
            ..payment("C0000000000000000903", "a1", "other-country")
        });
        db.insert_payments(&batch).await.unwrap();
        // A COMPLETE refund counts, a FAILED one does not.
        let original = &batch[0];
        db.settle_payment(
            &original.transaction_id,
            PaymentOutcome::Paid,
            11_000,
            &ZONE,
        )
        .await
        .unwrap();
        for (id, outcome) in [
            ("R1", RefundOutcome::Completed),
            ("R2", RefundOutcome::Failed(FailedCode::RefundFailed)),
        ] {
            let r = Refund {
                refund_transaction_id: id.into(),
                app_id: "a1".into(),
                mch_refund_order_id: id.into(),
                original_transaction_id: original.transaction_id.clone(),
                country: Country::PH,
                channel_code: original.channel_code.clone(),
                amount: Money::new(1_500, Currency::PHP),
                fee_refund: 0,
                status: RefundStatus::Pending,
                reason: None,
                callback_url: "http://127.0.0.1:9/r".into(),
                created_at: 12_000,
                settle_at: None,
                finished_at: None,
                failure: None,
            };
            db.insert_refund(&r, 12_000).await.unwrap();
            db.settle_refund(id, outcome, 12_500, &ZONE, None)
                .await
                .unwrap();
        }
        let mut query = ReportPageQuery {
            app_id: "a1".into(),
            country: Country::PH,
            kind: ReportType::Payments,
            from_ms: 10_000,
            to_ms: 20_000,
            after: None,
            limit: 4,
        };
        let mut seen = Vec::new();
        loop {
            let page = db.report_page(&query).await.unwrap();
            assert!(page.len() <= 4);
            let Some(last) = page.last() else { break };
            query.after = Some(last.cursor());
            seen.extend(page);
        }
        let mut want: Vec<(i64, String)> = batch[..25]
            .iter()
            .map(|p| (p.created_at, p.transaction_id.clone()))
            .collect();
        want.sort();
        let got: Vec<(i64, String)> = seen
            .iter()
            .map(|r| (r.created_at, r.transaction_id.clone()))
            .collect();
        assert_eq!(got, want);
        let first = seen
            .iter()
            .find(|r| r.transaction_id == original.transaction_id)
            .unwrap();
        assert_eq!(first.refunded, Some(1_500));
        assert_eq!(first.status, PaymentStatus::Completed);
        assert!(seen
            .iter()
            .filter(|r| r.transaction_id != original.transaction_id)
            .all(|r| r.refunded == Some(0)));

        // The daily summary: per kind, country, channel and status, every app.
        let summary = db.daily_summary(10_000, 20_000).await.unwrap();
        let row = |kind: &str, country: &str, status: &str| {
            summary
                .iter()
                .find(|r| r.kind == kind && r.country == country && r.status == status)
                .cloned()
        };
        let pending = row("PAYMENT", "PH", "PENDING").unwrap();
        assert_eq!(
            (pending.count, pending.amount, pending.fee),
            (25, 250_000, 5_000)
        );
        let done = row("PAYMENT", "PH", "COMPLETED").unwrap();
        assert_eq!((done.count, done.amount), (1, 10_000));
        assert_eq!(row("PAYMENT", "ID", "PENDING").unwrap().count, 1);
        assert_eq!(row("REFUND", "PH", "COMPLETE").unwrap().amount, 1_500);
        assert_eq!(row("REFUND", "PH", "FAILED").unwrap().count, 1);
    })
    .await;
}

#[tokio::test]
async fn payments_to_static_codes_appear_in_payment_reports_and_the_summary() {
    use sampan_domain::report::{ReportCursor, ReportPageQuery, ReportType};
    each_backend(|db, _| async move {
        db.insert_app(&app("a1")).await.unwrap();
        // A dynamic order on ID_BCA_VA and a payment to a static BCA code, interleaved in time.
        let dynamic = |id: &str, at: i64| Payment {
            created_at: at,
            country: Country::ID,
            channel_code: "ID_BCA_VA".into(),
            amount: Money::new(50_000, Currency::IDR),
            ..payment(id, "a1", &format!("DYN-{id}"))
        };
        db.insert_payments(&[
            dynamic("C0000000000000000001", 10_000),
            dynamic("C0000000000000000003", 11_000),
        ])
        .await
        .unwrap();
        db.insert_static_code(&code("S1", "a1", "BILL", "3935800000000001"), 1_000)
            .await
            .unwrap();
        db.pay_static_code(
            "S1",
            &incoming("C0000000000000000002", 20_000),
            10_500,
            &ZONE,
        )
        .await
        .unwrap();
        let mut query = ReportPageQuery {
            app_id: "a1".into(),
            country: Country::ID,
            kind: ReportType::Payments,
            from_ms: 0,
            to_ms: 20_000,
            after: None,
            limit: 2,
        };
        let first = db.report_page(&query).await.unwrap();
        let last = first.last().unwrap();
        query.after = Some(ReportCursor {
            created_at: last.created_at,
            transaction_id: last.transaction_id.clone(),
        });
        let second = db.report_page(&query).await.unwrap();
        let ids: Vec<_> = first
            .iter()
            .chain(&second)
            .map(|r| (r.transaction_id.as_str(), r.mch_order_id.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("C0000000000000000001", "DYN-C0000000000000000001"),
                ("C0000000000000000002", "BILL"),
                ("C0000000000000000003", "DYN-C0000000000000000003"),
            ]
        );
        let summary = db.daily_summary(0, 20_000).await.unwrap();
        let bca: Vec<_> = summary
            .iter()
            .filter(|r| r.kind == "PAYMENT" && r.channel == "ID_BCA_VA")
            .collect();
        // one row per channel and status, whichever kind of payment
        assert_eq!(
            bca.iter()
                .map(|r| (r.status.as_str(), r.count, r.amount))
                .collect::<Vec<_>>(),
            [("COMPLETED", 1, 20_000), ("PENDING", 2, 100_000)]
        );
    })
    .await;
}
