//! The store conformance suite: every case runs against SQLite and against PostgreSQL.

use sampan_domain::ledger::{Account, EntryKind};
use sampan_domain::outbox::{Attempt, DeliveryStatus};
use sampan_domain::payment::PaymentStatus;
use sampan_domain::{
    App, AppSettings, AppStatus, ChannelType, Country, Currency, DisplayZone, Money, Payment,
    PaymentOutcome, Store, StoreError, UniqueKey,
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
