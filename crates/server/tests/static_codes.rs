//! Static payment codes in the Philippines, Indonesia and Thailand, end to end over real HTTP on
//! both stores: create, pay any number of times through the sandbox upstream, list, detail,
//! verified notifications, cancel, expiry, and every rejection with its code.

mod common;

use common::{Harness, Receiver};
use sampan_channels::{emvco, va};
use sampan_domain::ledger::Account;
use sampan_domain::{Catalog, ChannelKind, ChannelType, Country, Store};
use sampan_protocol::static_code::{StaticCancel, StaticDetail, StaticGenerate, StaticList};
use sampan_protocol::verify_notification;
use sampan_testkit::TestDb;
use serde_json::{json, Value};
use std::time::Duration;

fn mobile(country: Country) -> &'static str {
    match country {
        Country::PH => "09171234567",
        Country::ID => "081234567890",
        Country::TH => "0812345678",
        Country::MY => "0123456789",
        Country::RU => "+79161234567",
    }
}

fn new_code(country: Country, order: &str, channel: &str, notify: &str) -> StaticGenerate {
    StaticGenerate {
        mch_order_id: order.to_string(),
        customer_name: "Maria Santos".into(),
        channel_code: channel.to_string(),
        notify_url: notify.to_string(),
        email: "maria@example.com".into(),
        mobile: mobile(country).into(),
        remark: Some("monthly rent".into()),
        amount: None,
        expire_time: None,
        timestamp: sampan_client::now_ms(),
    }
}

/// Today in the gateway's display zone, `yyyy-MM-dd`.
fn today(h: &Harness) -> String {
    h.gateway
        .state
        .zone
        .datetime(sampan_client::now_ms())
        .format("%Y-%m-%d")
        .to_string()
}

fn list(order: &str, start: &str, end: &str) -> StaticList {
    StaticList {
        mch_order_id: order.to_string(),
        start_date: start.to_string(),
        end_date: end.to_string(),
        channel_code: None,
        timestamp: sampan_client::now_ms(),
    }
}

fn detail(order: &str) -> StaticDetail {
    StaticDetail {
        mch_order_id: order.to_string(),
        channel_code: None,
        timestamp: sampan_client::now_ms(),
    }
}

fn cancel(order: &str, channel: &str) -> StaticCancel {
    StaticCancel {
        mch_order_id: order.to_string(),
        channel_code: channel.to_string(),
        timestamp: sampan_client::now_ms(),
    }
}

/// `POST /sandbox/codes/{key}/pay`; `key` (a payData may hold spaces) is sent as one path
/// segment.
async fn pay(h: &Harness, key: &str, body: Value) -> (u16, Value) {
    let mut url = reqwest::Url::parse(&h.url("/sandbox/codes")).unwrap();
    url.path_segments_mut().unwrap().push(key).push("pay");
    let response = h.http.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn check_pay_data(channel: &sampan_domain::Channel, pay_data: &str) {
    match channel.channel_type {
        ChannelType::QR => {
            let fields = emvco::parse(pay_data).expect("a valid EMVCo payload");
            assert_eq!(
                emvco::field(&fields, "01"),
                Some("11"),
                "{}: static",
                channel.code
            );
            assert_eq!(
                emvco::field(&fields, "54"),
                None,
                "{}: no amount",
                channel.code
            );
            assert_eq!(emvco::field(&fields, "58"), Some(channel.country.code()));
        }
        _ => assert!(
            va::is_well_formed(&channel.code, pay_data),
            "{}: {pay_data}",
            channel.code
        ),
    }
}

#[tokio::test]
async fn every_country_creates_pays_lists_totals_notifies_and_cancels() {
    let catalog = Catalog::builtin();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let mut notified = 0;
        for (country, channel_code, amounts) in [
            (Country::PH, "PH_QRPH_STATIC", [10_000, 25_050, 5_000]),
            (Country::ID, "ID_BCA_VA", [150_000, 20_000, 1_000_000]),
            (Country::TH, "THAI_STATIC_QR", [50_000, 1_234, 99_900]),
        ] {
            let channel = catalog.get_kind(channel_code, ChannelKind::Static).unwrap();
            let order = format!("BILL-{}", country.code());
            let created = h
                .client
                .generate_static_code(
                    country.slug(),
                    &new_code(country, &order, channel_code, &receiver.url),
                )
                .await
                .unwrap()
                .expect_data();
            assert_eq!(created.status, "ACTIVE");
            assert_eq!(created.mch_order_id, order);
            assert_eq!(created.channel_type, channel.channel_type.as_str());
            assert_eq!(created.expires_time, "");
            assert_eq!(created.country_code, country.code());
            check_pay_data(channel, &created.pay_data);

            // three payments, by payData and by the code's id (from its page link)
            let code_id = created.pay_url.rsplit('/').next().unwrap().to_string();
            assert!(code_id.starts_with('S') && code_id.len() == 20, "{code_id}");
            let mut txns = Vec::new();
            for (i, amount) in amounts.iter().enumerate() {
                let key = if i == 1 { &code_id } else { &created.pay_data };
                let (status, body) = pay(&h, key, json!({"amount": amount})).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["transactionStatus"], "COMPLETED");
                txns.push(body["transactionId"].as_str().unwrap().to_string());
            }
            assert!(txns.iter().all(|t| t.starts_with('C') && t.len() == 20));

            let day = today(&h);
            let items = h
                .client
                .static_payments(country.slug(), &list(&order, &day, &day))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(items.len(), 3);
            let listed: Vec<_> = items.iter().map(|i| i.transaction_id.clone()).collect();
            let newest_first: Vec<_> = txns.iter().rev().cloned().collect();
            assert_eq!(listed, newest_first, "newest first");
            for item in &items {
                assert_eq!(item.transaction_status, "COMPLETED");
                assert_eq!(item.mch_order_id, order);
                assert_eq!(item.channel_code, channel_code);
                assert!(!item.transaction_return_time.is_empty());
                assert_eq!(
                    item.reference_number.is_some(),
                    channel.channel_type == ChannelType::VA
                );
            }
            // a range that ends before today holds nothing
            let earlier = h
                .client
                .static_payments(country.slug(), &list(&order, "2020-01-01", "2020-01-31"))
                .await
                .unwrap()
                .expect_data();
            assert!(earlier.is_empty());

            let total: i64 = amounts.iter().sum();
            let d = h
                .client
                .static_code_detail(country.slug(), &detail(&order))
                .await
                .unwrap()
                .expect_data();
            assert_eq!((d.paid_count, d.paid_amount), (3, total));
            assert_eq!(d.code.status, "ACTIVE");
            assert_eq!(d.code.pay_data, created.pay_data);

            // the merchant is credited net of fee
            let fees: i64 = items.iter().map(|i| i.fee).sum();
            let currency = country.currency();
            assert_eq!(
                h.store
                    .balance(&Account::available(&h.app_id, currency))
                    .await
                    .unwrap(),
                total - fees
            );

            notified += 3;
            let bodies = receiver.wait_for(notified, 10).await;
            for (txn, amount) in txns.iter().zip(amounts) {
                let n = bodies
                    .iter()
                    .map(|b| verify_notification(&h.platform, b).expect("signed by the platform"))
                    .find(|n| n["transactionId"] == txn.as_str())
                    .expect("a notification for the payment");
                assert_eq!(n["eventName"], "static.order.payment.success");
                assert_eq!(n["mchOrderId"], order.as_str());
                assert_eq!(n["amount"], amount);
                assert_eq!(n["transactionStatus"], "COMPLETED");
                assert_eq!(n["channelCode"], channel_code);
                assert_eq!(n["countryCode"], country.code());
                assert_eq!(n["currency"], currency.code());
                assert_eq!(
                    n.get("referenceNumber").is_some(),
                    channel.channel_type == ChannelType::VA,
                    "{n}"
                );
            }

            let cancelled = h
                .client
                .cancel_static_code(country.slug(), &cancel(&order, channel_code))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(cancelled.status, "CANCEL");
            assert!(!cancelled.expires_time.is_empty());

            let (status, body) = pay(&h, &created.pay_data, json!({"amount": amounts[0]})).await;
            assert_eq!(status, 409, "{body}");
            assert!(body["error"].as_str().unwrap().contains("cancelled"));
            assert_eq!(body["codeStatus"], "CANCEL");
            let d = h
                .client
                .static_code_detail(country.slug(), &detail(&order))
                .await
                .unwrap()
                .expect_data();
            assert_eq!((d.code.status.as_str(), d.paid_count), ("CANCEL", 3));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            receiver.bodies().len(),
            notified,
            "no notification for refusals"
        );
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn every_static_channel_issues_a_code_of_its_kind() {
    let catalog = Catalog::builtin();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        for country in [Country::PH, Country::ID, Country::TH] {
            let channels: Vec<_> = catalog.for_country(country, ChannelKind::Static).collect();
            assert!(!channels.is_empty());
            for channel in channels {
                let created = h
                    .client
                    .generate_static_code(
                        country.slug(),
                        &new_code(country, "ANY-1", &channel.code, "https://shop.example/n"),
                    )
                    .await
                    .unwrap()
                    .expect_data();
                check_pay_data(channel, &created.pay_data);
                let page = h.http.get(&created.pay_url).send().await.unwrap();
                assert_eq!(page.status(), 200);
                let html = page.text().await.unwrap();
                assert!(html.contains(r#"id="pay-form""#), "{}", channel.code);
            }
        }
        h.stop().await;
    }
}

#[tokio::test]
async fn two_payments_at_the_same_instant_both_land() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let created = h
            .client
            .generate_static_code(
                "indonesia",
                &new_code(Country::ID, "RACE-1", "ID_BNI_VA", &receiver.url),
            )
            .await
            .unwrap()
            .expect_data();
        let (a, b) = tokio::join!(
            pay(&h, &created.pay_data, json!({"amount": 100_000})),
            pay(&h, &created.pay_data, json!({"amount": 200_000})),
        );
        assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
        assert_ne!(a.1["transactionId"], b.1["transactionId"]);
        let d = h
            .client
            .static_code_detail("indonesia", &detail("RACE-1"))
            .await
            .unwrap()
            .expect_data();
        assert_eq!((d.paid_count, d.paid_amount), (2, 300_000));
        // IDR 4,000 fixed fee each
        assert_eq!(
            h.store
                .balance(&Account::available(&h.app_id, Country::ID.currency()))
                .await
                .unwrap(),
            300_000 - 2 * 4_000
        );
        receiver.wait_for(2, 10).await;
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        receiver.stop();
        h.stop().await;
    }
}

async fn code_of(h: &Harness, path: &str, param: &Value) -> (i32, String) {
    let answer = h.client.call_raw(path, &param.to_string()).await.unwrap();
    (answer.code(), answer.envelope.message)
}

#[tokio::test]
async fn each_rejection_carries_its_code() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let notify = "https://shop.example/n";
        let ph = "/open-api/philippines/static/payment/generate";
        let base =
            serde_json::to_value(new_code(Country::PH, "DUP-1", "PH_QRPH_STATIC", notify)).unwrap();
        assert_eq!(code_of(&h, ph, &base).await.0, 10000);

        // one active code per app + mchOrderId + channel
        let mut again = base.clone();
        again["timestamp"] = json!(sampan_client::now_ms());
        assert_eq!(code_of(&h, ph, &again).await.0, 21007);
        // another channel may use the same order id
        let mut va_code = again.clone();
        va_code["channelCode"] = json!("PH_INSTAPAY_STATIC_VA");
        assert_eq!(code_of(&h, ph, &va_code).await.0, 10000);

        // field rules, the channel, the fixed amount's limits, expiry in the past
        for (field, value, code) in [
            ("mobile", json!("0812345678"), 21002),
            ("amount", json!(-5), 21002),
            ("amount", json!(1), 21010),
            ("expireTime", json!("2001-01-01 00:00:00"), 21002),
            ("expireTime", json!("31/12/2030"), 21002),
            ("channelCode", json!("PH_GCASH_URL"), 21005),
            ("channelCode", json!("ID_BCA_VA"), 21005),
        ] {
            let mut p = base.clone();
            p["mchOrderId"] = json!("FIELDS-1");
            p[field] = value.clone();
            let (got, message) = code_of(&h, ph, &p).await;
            assert_eq!(got, code, "{field} = {value}: {message}");
            if code == 21002 {
                assert!(message.contains(field), "{message}");
            }
        }

        // date ranges
        let list_path = "/open-api/philippines/static/payment/list";
        for (start, end) in [
            ("2026-02-01", "2026-01-01"),
            ("2026-01-01", "2026-02-01"),
            ("2026/01/01", "2026-01-02"),
            ("2026-01-01", ""),
        ] {
            let p = json!({"mchOrderId": "DUP-1", "startDate": start, "endDate": end,
                           "timestamp": sampan_client::now_ms()});
            assert_eq!(code_of(&h, list_path, &p).await.0, 21002, "{start}..{end}");
        }
        let p = json!({"mchOrderId": "NOPE", "startDate": "2026-01-01", "endDate": "2026-01-02",
                       "timestamp": sampan_client::now_ms()});
        assert_eq!(code_of(&h, list_path, &p).await.0, 21006);

        // cancel twice; cancel what never existed
        let answer = h
            .client
            .cancel_static_code("philippines", &cancel("DUP-1", "PH_QRPH_STATIC"))
            .await
            .unwrap();
        assert_eq!(answer.code(), 10000);
        let answer = h
            .client
            .cancel_static_code("philippines", &cancel("DUP-1", "PH_QRPH_STATIC"))
            .await
            .unwrap();
        assert_eq!(answer.code(), 21025);
        let answer = h
            .client
            .cancel_static_code("philippines", &cancel("NEVER", "PH_QRPH_STATIC"))
            .await
            .unwrap();
        assert_eq!(answer.code(), 21006);
        // detail of another country's code is not found
        let answer = h
            .client
            .static_code_detail("thailand", &detail("DUP-1"))
            .await
            .unwrap();
        assert_eq!(answer.code(), 21006);
        // a cancelled code may be replaced
        let mut fresh = base.clone();
        fresh["timestamp"] = json!(sampan_client::now_ms());
        assert_eq!(code_of(&h, ph, &fresh).await.0, 10000);

        // countries without static codes are unknown routes
        for path in [
            "/open-api/malaysia/static/payment/generate",
            "/open-api/russia/static/payment/list",
            "/open-api/atlantis/static/code/cancel",
        ] {
            let answer = h.client.call_raw(path, &base.to_string()).await.unwrap();
            assert_eq!((answer.http_status, answer.code()), (404, 21002), "{path}");
        }

        // a fixed-amount code refuses any other amount, without a transaction
        let mut fixed = new_code(Country::TH, "FIXED-1", "THAI_STATIC_QR", notify);
        fixed.amount = Some(35_000);
        let created = h
            .client
            .generate_static_code("thailand", &fixed)
            .await
            .unwrap()
            .expect_data();
        assert_eq!(created.amount, Some(35_000));
        check_pay_data(
            Catalog::builtin()
                .get_kind("THAI_STATIC_QR", ChannelKind::Static)
                .unwrap(),
            &created.pay_data,
        );
        let (status, body) = pay(&h, &created.pay_data, json!({"amount": 35_001})).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("THB 350.00"),
            "{body}"
        );
        let (status, body) = pay(&h, &created.pay_data, json!({"amount": "abc"})).await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = pay(&h, "S0000000000000000000", json!({"amount": 1})).await;
        assert_eq!(status, 404);
        let d = h
            .client
            .static_code_detail("thailand", &detail("FIXED-1"))
            .await
            .unwrap()
            .expect_data();
        assert_eq!(d.paid_count, 0);
        let (status, body) = pay(&h, &created.pay_data, json!({"amount": 35_000})).await;
        assert_eq!(status, 200, "{body}");
        h.stop().await;
    }
}

#[tokio::test]
async fn a_code_past_its_expire_time_expires_and_refuses_payments() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let mut p = new_code(
            Country::ID,
            "SOON-1",
            "ID_QRIS_STATIC",
            "https://shop.example/n",
        );
        p.expire_time = Some(json!(sampan_client::now_ms() + 1_500));
        let created = h
            .client
            .generate_static_code("indonesia", &p)
            .await
            .unwrap()
            .expect_data();
        assert!(!created.expires_time.is_empty());
        let (status, _) = pay(&h, &created.pay_data, json!({"amount": 10_000})).await;
        assert_eq!(status, 200);
        common::eventually(10, "the code to expire", || async {
            h.client
                .static_code_detail("indonesia", &detail("SOON-1"))
                .await
                .unwrap()
                .expect_data()
                .code
                .status
                == "EXPIRED"
        })
        .await;
        let (status, body) = pay(&h, &created.pay_data, json!({"amount": 10_000})).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["codeStatus"], "EXPIRED");
        let answer = h
            .client
            .cancel_static_code("indonesia", &cancel("SOON-1", "ID_QRIS_STATIC"))
            .await
            .unwrap();
        assert_eq!(answer.code(), 21025);
        // the display-zone form is accepted too
        let mut later = new_code(
            Country::ID,
            "LATER-1",
            "ID_QRIS_STATIC",
            "https://shop.example/n",
        );
        later.expire_time = Some(json!("2099-12-31 23:59:59"));
        let created = h
            .client
            .generate_static_code("indonesia", &later)
            .await
            .unwrap()
            .expect_data();
        assert_eq!(created.expires_time, "2099-12-31 23:59:59");
        h.stop().await;
    }
}

#[tokio::test]
async fn the_code_page_pays_in_sandbox_mode() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let created = h
            .client
            .generate_static_code(
                "philippines",
                &new_code(
                    Country::PH,
                    "PAGE-1",
                    "PH_7ELEVEN_STATIC_VA",
                    "https://shop.example/n",
                ),
            )
            .await
            .unwrap()
            .expect_data();
        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = no_redirect
            .post(format!("{}/pay", created.pay_url))
            .form(&[("amount", "12345"), ("payerReference", "REF-1")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let target = response.headers()["location"].to_str().unwrap().to_string();
        assert!(target.contains("notice=Paid"), "{target}");
        let html = h
            .http
            .get(h.url(&target))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("PHP 123.45"), "the page shows the total");
        let d = h
            .client
            .static_code_detail("philippines", &detail("PAGE-1"))
            .await
            .unwrap()
            .expect_data();
        assert_eq!((d.paid_count, d.paid_amount), (1, 12_345));
        // the operator sees the code, its payment and the payment's notification
        let code_id = created.pay_url.rsplit('/').next().unwrap();
        let shown = h.admin_get(&format!("/admin/codes/{code_id}")).await;
        assert_eq!(shown["code"]["paidCount"], 1);
        let txn = shown["payments"][0]["transactionId"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(shown["payments"][0]["referenceNumber"], "REF-1");
        let payment = h.admin_get(&format!("/admin/payments/{txn}")).await;
        assert_eq!(payment["payment"]["codeId"], code_id);
        assert_eq!(
            payment["notifications"][0]["event"],
            "static.order.payment.success"
        );
        let missing = h
            .http
            .get(h.url("/cashier/codes/S404"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        h.stop().await;
    }
}

#[tokio::test]
async fn payments_to_a_code_follow_the_refund_rules() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let created = h
            .client
            .generate_static_code(
                "philippines",
                &new_code(
                    Country::PH,
                    "REFUND-1",
                    "PH_QRPH_STATIC",
                    "http://127.0.0.1:9/n",
                ),
            )
            .await
            .unwrap()
            .expect_data();
        let (status, paid) = pay(&h, &created.pay_data, json!({"amount": 50_000})).await;
        assert_eq!(status, 200, "{paid}");
        let txn = paid["transactionId"].as_str().unwrap().to_string();
        let refund = |order: &str, amount: i64| sampan_protocol::refund::RefundCreate {
            mch_refund_order_id: order.into(),
            original_transaction_id: txn.clone(),
            refund_amount: amount,
            refund_reason: None,
            refund_callback_url: "http://127.0.0.1:9/r".into(),
            timestamp: sampan_client::now_ms(),
        };
        // QR Ph static codes refund nothing (08-channels): full 21404, partial 21405, and the
        // amount rule first, as for any payment.
        for (order, amount, expected) in [
            ("RF1", 50_000, 21404),
            ("RF2", 10_000, 21405),
            ("RF3", 50_001, 21406),
        ] {
            let answer = h.client.refund(&refund(order, amount)).await.unwrap();
            assert_eq!(answer.code(), expected, "{order}");
        }
        // another app does not see it at all
        let other = sampan_server::ops::create_app(h.store.as_ref(), "Other", None)
            .await
            .unwrap();
        let stranger = sampan_client::Client::new(
            h.gateway.base_url(),
            &other.app.app_id,
            other.private_key.unwrap(),
        );
        assert_eq!(
            stranger
                .refund(&refund("RF4", 50_000))
                .await
                .unwrap()
                .code(),
            21006
        );
        h.stop().await;
    }
}
