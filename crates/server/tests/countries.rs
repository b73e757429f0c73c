//! Dynamic payments in Indonesia, Malaysia, Thailand (with WeChat Pay) and Russia, end to end
//! over real HTTP on both stores: every channel, the field rules of each country, the v2 and
//! WebPay aliases, WeChat JSAPI paySign, and the QR payloads.

mod common;

use common::{Harness, Receiver, ADMIN_TOKEN};
use sampan_channels::{emvco, va};
use sampan_domain::{Catalog, ChannelKind, ChannelType, Country, Money, Store};
use sampan_protocol::payment::{PaymentGenerate, PaymentQuery, WechatPayParams};
use sampan_protocol::{verify_notification, PublicKey};
use sampan_testkit::TestDb;
use serde_json::{json, Value};
use std::sync::Arc;

const COUNTRIES: [Country; 4] = [Country::ID, Country::MY, Country::TH, Country::RU];
const APPID: &str = "wx5a7b9c0d1e2f3a4b";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn mobile(country: Country) -> &'static str {
    match country {
        Country::PH => "09171234567",
        Country::ID => "081234567890",
        Country::MY => "0123456789",
        Country::TH => "0812345678",
        Country::RU => "+79161234567",
    }
}

/// A mobile in the right shape for the Philippines and wrong for `country`.
fn wrong_mobile(country: Country) -> &'static str {
    match country {
        Country::ID => "0912345678",
        Country::MY => "0212345678",
        Country::TH => "0712345678",
        Country::RU => "79161234567",
        Country::PH => "123",
    }
}

/// An amount inside the channel's limits, in the country's unit.
fn amount_for(channel: &sampan_domain::Channel) -> i64 {
    let wanted = if channel.country == Country::ID {
        150_000 // IDR 150,000: whole rupiah
    } else {
        12_345
    };
    wanted.clamp(channel.min, channel.max)
}

/// A valid create request for `country`, with the WeChat inputs the channel needs.
fn order(country: Country, id: &str, channel: &str, amount: i64, notify: &str) -> PaymentGenerate {
    let mut p = PaymentGenerate {
        mch_order_id: id.to_string(),
        amount,
        customer_name: "Siti Rahma".into(),
        channel_code: channel.to_string(),
        notify_url: notify.to_string(),
        redirect_url: Some("https://shop.example.com/return".into()),
        email: "siti@example.com".into(),
        mobile: mobile(country).into(),
        remark: Some(format!("{country} order")),
        timestamp: sampan_client::now_ms(),
        ..Default::default()
    };
    match channel {
        "WECHAT_URL" => p.payer_client_ip = Some("203.0.113.7".into()),
        "WECHAT_JS_URL" => {
            p.wp_openid = Some(OPENID.into());
            p.wp_appid = Some(APPID.into());
        }
        _ => {}
    }
    p
}

fn query(order: &str) -> PaymentQuery {
    PaymentQuery {
        mch_order_id: Some(order.into()),
        transaction_id: None,
        timestamp: sampan_client::now_ms(),
    }
}

fn as_json(p: &PaymentGenerate) -> Value {
    serde_json::to_value(p).unwrap()
}

async fn call(h: &Harness, path: &str, param: &Value) -> (i32, String, Value) {
    let answer = h.client.call_raw(path, &param.to_string()).await.unwrap();
    (
        answer.envelope.code,
        answer.envelope.message,
        answer.envelope.data.unwrap_or(Value::Null),
    )
}

async fn bind_wechat(h: &Harness) {
    h.admin_patch_app(json!({"wechatAppids": [APPID]})).await;
}

async fn wechat_public_key(h: &Harness, appid: &str) -> PublicKey {
    let answer: Value = h
        .http
        .get(h.url(&format!("/admin/wechat/{appid}/public-key")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    PublicKey::parse(answer["publicKey"].as_str().unwrap()).unwrap()
}

/// Checks a QR `payData`: EMVCo (TLV walk + CRC) with the country's currency and the amount,
/// or a URL-form code for the wallets that use one.
fn check_qr(channel: &str, country: Country, amount: i64, pay_data: &str) {
    match channel {
        "WECHAT_DYNAMIC_QR" => assert!(pay_data.starts_with("weixin://wxpay/bizpayurl?pr=C")),
        "TRUEMONEY_DYNAMIC_QR" => assert!(pay_data.starts_with("https://")),
        "RU_SBP_QR" => {
            assert!(pay_data.starts_with("https://qr.nspk.ru/"), "{pay_data}");
            assert!(pay_data.contains(&format!("sum={amount}&cur=RUB")));
        }
        _ => {
            let fields = emvco::parse(pay_data).expect("EMVCo payload with a valid CRC");
            let (currency, tag54) = match country {
                // Whole rupiah: no decimal point at all.
                Country::ID => ("360", amount.to_string()),
                Country::MY => (
                    "458",
                    Money::new(amount, country.currency()).to_major_string(),
                ),
                Country::TH => (
                    "764",
                    Money::new(amount, country.currency()).to_major_string(),
                ),
                other => panic!("no EMVCo scheme for {other}"),
            };
            assert_eq!(
                emvco::field(&fields, "01"),
                Some("12"),
                "{channel}: dynamic"
            );
            assert_eq!(emvco::field(&fields, "53"), Some(currency), "{channel}");
            assert_eq!(
                emvco::field(&fields, "54"),
                Some(tag54.as_str()),
                "{channel}"
            );
            assert_eq!(
                emvco::field(&fields, "58"),
                Some(country.code()),
                "{channel}"
            );
            if country == Country::ID {
                assert!(!tag54.contains('.'));
            }
        }
    }
}

#[tokio::test]
async fn every_channel_of_every_country_creates_pays_notifies_and_queries() {
    let catalog = Catalog::builtin();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        bind_wechat(&h).await;
        let receiver = Receiver::start(vec![]).await;
        let mut expected = 0;
        for country in COUNTRIES {
            let channels: Vec<_> = catalog.for_country(country, ChannelKind::Dynamic).collect();
            assert!(!channels.is_empty(), "{country}");
            for channel in &channels {
                let amount = amount_for(channel);
                let id = format!("{}-{}", country.code(), channel.code);
                let data = h
                    .client
                    .generate_payment(
                        country.slug(),
                        &order(country, &id, &channel.code, amount, &receiver.url),
                    )
                    .await
                    .unwrap()
                    .expect_data();
                assert_eq!(data.channel_type, channel.channel_type.as_str());
                assert_eq!(
                    data.pay_url,
                    h.url(&format!("/cashier/{}", data.transaction_id))
                );
                match channel.channel_type {
                    ChannelType::URL => assert_eq!(data.pay_data, data.pay_url),
                    ChannelType::QR => check_qr(&channel.code, country, amount, &data.pay_data),
                    ChannelType::VA => assert!(
                        va::is_well_formed(&channel.code, &data.pay_data),
                        "{}: {}",
                        channel.code,
                        data.pay_data
                    ),
                }
                assert_eq!(
                    data.short_url.is_some(),
                    channel.code.starts_with("WECHAT_"),
                    "{}",
                    channel.code
                );
                assert_eq!(
                    data.metadata.is_some(),
                    channel.code == "WECHAT_JS_URL",
                    "{}",
                    channel.code
                );

                let pending = h
                    .client
                    .query_payment(country.slug(), &query(&id))
                    .await
                    .unwrap()
                    .expect_data();
                assert_eq!(pending.transaction_status, "PENDING");
                assert_eq!(pending.amount, amount);

                assert_eq!(
                    h.sandbox(&data.transaction_id, "complete").await.status(),
                    200
                );
                expected += 1;
                let bodies = receiver.wait_for(expected, 10).await;
                let n = bodies
                    .iter()
                    .map(|b| verify_notification(&h.platform, b).expect("signed by the platform"))
                    .find(|n| n["transactionId"] == data.transaction_id.as_str())
                    .expect("a notification for the order");
                assert_eq!(n["eventName"], "order.payment.success");
                assert_eq!(n["mchOrderId"], id.as_str());
                assert_eq!(n["amount"], amount);
                assert_eq!(n["channelCode"], channel.code.as_str());
                assert_eq!(n["transactionStatus"], "COMPLETED");
                assert_eq!(n["countryCode"], country.code());
                assert_eq!(n["currency"], country.currency().code());

                let done = h
                    .client
                    .query_payment(country.slug(), &query(&id))
                    .await
                    .unwrap()
                    .expect_data();
                assert_eq!(done.transaction_status, "COMPLETED");
                assert_eq!(
                    (done.country_code.as_str(), done.currency.as_str()),
                    (country.code(), country.currency().code())
                );
                assert!(done.return_time.is_some());
                // Another country's path does not see it.
                let other = if country == Country::ID {
                    "malaysia"
                } else {
                    "indonesia"
                };
                assert_eq!(
                    h.client
                        .query_payment(other, &query(&id))
                        .await
                        .unwrap()
                        .code(),
                    21006
                );
            }

            // A failed order is announced with order.payment.failed, country and currency.
            let first = channels[0];
            let id = format!("{}-FAILED", country.code());
            let data = h
                .client
                .generate_payment(
                    country.slug(),
                    &order(country, &id, &first.code, amount_for(first), &receiver.url),
                )
                .await
                .unwrap()
                .expect_data();
            assert_eq!(h.sandbox(&data.transaction_id, "fail").await.status(), 200);
            expected += 1;
            let bodies = receiver.wait_for(expected, 10).await;
            let n = bodies
                .iter()
                .map(|b| verify_notification(&h.platform, b).unwrap())
                .find(|n| n["transactionId"] == data.transaction_id.as_str())
                .unwrap();
            assert_eq!(n["eventName"], "order.payment.failed");
            assert_eq!(n["transactionStatus"], "FAILED");
            assert_eq!(n["failedCode"], -10004);
            assert_eq!(n["countryCode"], country.code());
            assert_eq!(n["currency"], country.currency().code());
        }
        assert!(h.store.verify_ledger().await.unwrap().is_consistent());
        receiver.stop();
        h.stop().await;
    }
}

/// A field rule: set `field` to `value` (None removes it) on a valid request and expect 21002
/// naming the field.
struct Rule {
    channel: &'static str,
    field: &'static str,
    value: Option<Value>,
}

fn rules_of(country: Country) -> Vec<Rule> {
    let url_channel = channels_of(country).0;
    let name_max = if country == Country::TH { 100 } else { 128 };
    let mut rules = vec![
        ("mchOrderId", None),
        ("mchOrderId", Some(json!("x".repeat(33)))),
        ("mchOrderId", Some(json!("has space"))),
        ("amount", None),
        ("amount", Some(json!(0))),
        ("amount", Some(json!(-5))),
        ("amount", Some(json!(1500.5))),
        ("amount", Some(json!("1500.50"))),
        ("customerName", None),
        ("customerName", Some(json!("n".repeat(name_max + 1)))),
        ("channelCode", None),
        ("notifyUrl", None),
        ("notifyUrl", Some(json!("not a url"))),
        (
            "notifyUrl",
            Some(json!(format!("https://x.example/{}", "n".repeat(240)))),
        ),
        ("redirectUrl", Some(json!("javascript:alert(1)"))),
        ("email", None),
        ("email", Some(json!("nobody"))),
        ("mobile", None),
        ("mobile", Some(json!(wrong_mobile(country)))),
        ("mobile", Some(json!("09171234567"))), // a Philippine number
        ("remark", Some(json!("r".repeat(257)))),
        ("expireSeconds", Some(json!(29))),
        ("expireSeconds", Some(json!(3601))),
        ("expireSeconds", Some(json!("soon"))),
    ]
    .into_iter()
    .map(|(field, value)| Rule {
        channel: url_channel,
        field,
        value,
    })
    .collect::<Vec<_>>();
    match country {
        // redirectUrl is required in Thailand, and in Russia for redirect-type channels.
        Country::TH | Country::RU => rules.push(Rule {
            channel: url_channel,
            field: "redirectUrl",
            value: None,
        }),
        _ => {}
    }
    if country == Country::TH {
        rules.push(Rule {
            channel: "THAI_DYNAMIC_QR",
            field: "redirectUrl",
            value: None,
        });
    }
    rules
}

/// A URL channel and a QR channel of `country`.
fn channels_of(country: Country) -> (&'static str, &'static str) {
    match country {
        Country::ID => ("ID_OVO_URL", "ID_QRIS_DYNAMIC"),
        Country::MY => ("MY_TNG_URL", "MY_DUITNOW_QR"),
        Country::TH => ("TRUEMONEY_URL", "THAI_DYNAMIC_QR"),
        Country::RU => ("RU_CARD_URL", "RU_SBP_QR"),
        Country::PH => ("PH_GCASH_URL", "PH_QRPH_DYNAMIC"),
    }
}

#[tokio::test]
async fn each_field_rule_is_refused_with_21002_naming_the_field() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        for country in COUNTRIES {
            let path = format!("/open-api/{}/payment/generate", country.slug());
            for (i, rule) in rules_of(country).into_iter().enumerate() {
                let mut param = as_json(&order(
                    country,
                    &format!("R{i}"),
                    rule.channel,
                    10_000,
                    "https://shop.example.com/n",
                ));
                match &rule.value {
                    Some(v) => param[rule.field] = v.clone(),
                    None => {
                        param.as_object_mut().unwrap().remove(rule.field);
                    }
                }
                let (code, message, _) = call(&h, &path, &param).await;
                assert_eq!(
                    code, 21002,
                    "{country} {} {:?}: {message}",
                    rule.field, rule.value
                );
                assert!(
                    message.contains(rule.field),
                    "{country} {}: {message}",
                    rule.field
                );
            }

            // What is optional in the country really is.
            let (url_channel, qr_channel) = channels_of(country);
            let optional_redirect: &[&str] = match country {
                Country::ID | Country::MY => &[url_channel, qr_channel],
                Country::RU => &[qr_channel],
                _ => &[],
            };
            for (i, channel) in optional_redirect.iter().enumerate() {
                let mut p = order(
                    country,
                    &format!("{}-NOREDIR{i}", country.code()),
                    channel,
                    10_000,
                    "https://shop.example.com/n",
                );
                p.redirect_url = None;
                p.remark = None;
                let answer = h.client.generate_payment(country.slug(), &p).await.unwrap();
                assert_eq!(
                    answer.code(),
                    10000,
                    "{country} {channel} without redirectUrl"
                );
            }
            // Amounts are numbers or digit strings; IDR has no minor unit.
            let mut p = as_json(&order(
                country,
                &format!("{}-AMOUNT-STRING", country.code()),
                url_channel,
                20_000,
                "https://shop.example.com/n",
            ));
            p["amount"] = json!("20000");
            p["expireSeconds"] = json!(30);
            p["customerName"] = json!("n".repeat(if country == Country::TH { 100 } else { 128 }));
            let (code, message, _) = call(&h, &path, &p).await;
            assert_eq!(code, 10000, "{country}: {message}");
        }
        h.stop().await;
    }
}

#[tokio::test]
async fn wechat_needs_its_fields_a_bound_appid_and_signs_pay_sign() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let path = "/open-api/thailand/payment/generate";
        let notify = "https://shop.example.com/n";

        // H5: payerClientIp is required and must be an IP address.
        let mut p = as_json(&order(Country::TH, "WX-H5-1", "WECHAT_URL", 10_000, notify));
        p.as_object_mut().unwrap().remove("payerClientIp");
        let (code, message, _) = call(&h, path, &p).await;
        assert_eq!(
            (code, message.contains("payerClientIp")),
            (21002, true),
            "{message}"
        );
        p["payerClientIp"] = json!("300.1.2.3");
        let (code, message, _) = call(&h, path, &p).await;
        assert_eq!(
            (code, message.contains("payerClientIp")),
            (21002, true),
            "{message}"
        );
        for (i, ip) in ["198.51.100.23", "2001:db8::8a2e:370:7334"]
            .iter()
            .enumerate()
        {
            p["mchOrderId"] = json!(format!("WX-H5-OK{i}"));
            p["payerClientIp"] = json!(ip);
            let (code, message, data) = call(&h, path, &p).await;
            assert_eq!(code, 10000, "{ip}: {message}");
            assert!(data["shortUrl"].as_str().unwrap().starts_with("http"));
            assert!(data.get("metadata").is_none());
        }

        // JSAPI: wpOpenid and wpAppid are required, and the appid must be bound to the app.
        let base = as_json(&order(
            Country::TH,
            "WX-JS-1",
            "WECHAT_JS_URL",
            10_000,
            notify,
        ));
        for missing in ["wpOpenid", "wpAppid"] {
            let mut p = base.clone();
            p.as_object_mut().unwrap().remove(missing);
            let (code, message, _) = call(&h, path, &p).await;
            assert_eq!(code, 21002, "{missing}: {message}");
            assert!(message.contains(missing), "{message}");
        }
        let mut p = base.clone();
        p["wpAppid"] = json!("wx bad");
        assert_eq!(call(&h, path, &p).await.0, 21002);
        let (code, _, _) = call(&h, path, &base).await;
        assert_eq!(code, 21005, "unbound wpAppid");

        // Binding: a malformed appid is refused, a good one creates its merchant key.
        let bad = h
            .http
            .patch(h.url(&format!("/admin/apps/{}", h.app_id)))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"wechatAppids": ["not-an-appid"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        let missing = h
            .http
            .get(h.url(&format!("/admin/wechat/{APPID}/public-key")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        bind_wechat(&h).await;
        let public = wechat_public_key(&h, APPID).await;

        // Another appid, bound to nobody, is still refused.
        let mut other = base.clone();
        other["wpAppid"] = json!("wx0000000000000000");
        assert_eq!(call(&h, path, &other).await.0, 21005);

        let data = h
            .client
            .generate_payment(
                "thailand",
                &order(Country::TH, "WX-JS-2", "WECHAT_JS_URL", 10_000, notify),
            )
            .await
            .unwrap()
            .expect_data();
        let short_url = data.short_url.clone().unwrap();
        let wx = data.metadata.unwrap().wechatpay;
        // What a mini program's backend does: rebuild the JSAPI message and verify paySign
        // with the merchant public key of the appid.
        assert_eq!(wx.pkg, format!("prepay_id={}", wx.prepay_id));
        assert_eq!(wx.sign_type, "RSA");
        assert_eq!(wx.nonce_str.len(), 32);
        let ts: i64 = wx.time_stamp.parse().unwrap();
        assert!((ts - sampan_client::now_ms() / 1000).abs() < 300);
        let message = format!("{APPID}\n{}\n{}\n{}\n", wx.time_stamp, wx.nonce_str, wx.pkg);
        assert_eq!(
            message,
            WechatPayParams::message(APPID, &wx.time_stamp, &wx.nonce_str, &wx.pkg)
        );
        public
            .verify(message.as_bytes(), &wx.pay_sign)
            .expect("paySign verifies with the appid's public key");
        let tampered = format!(
            "{APPID}\n{}\n{}\nprepay_id=wxOTHER\n",
            wx.time_stamp, wx.nonce_str
        );
        assert!(public.verify(tampered.as_bytes(), &wx.pay_sign).is_err());

        // The cashier page explains how to pay inside WeChat.
        let html = h
            .http
            .get(&short_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("wechat-guide"), "{html}");
        assert!(html.contains("official account or mini program"));

        // The v2 form carries the inputs in a `wechatpay` object.
        let mut v2 = as_json(&order(
            Country::TH,
            "WX-JS-V2",
            "WECHAT_JS_URL",
            10_000,
            notify,
        ));
        let obj = v2.as_object_mut().unwrap();
        obj.remove("wpOpenid");
        obj.remove("wpAppid");
        obj.insert(
            "wechatpay".into(),
            json!({"wpOpenid": OPENID, "wpAppid": APPID}),
        );
        obj.insert("countryCode".into(), json!("TH"));
        obj.insert("currency".into(), json!("THB"));
        let (code, message, data) = call(&h, "/open-api/payment/generate", &v2).await;
        assert_eq!(code, 10000, "{message}");
        let sign = data["metadata"]["wechatpay"].clone();
        let message = WechatPayParams::message(
            APPID,
            sign["timeStamp"].as_str().unwrap(),
            sign["nonceStr"].as_str().unwrap(),
            sign["pkg"].as_str().unwrap(),
        );
        public
            .verify(message.as_bytes(), sign["paySign"].as_str().unwrap())
            .unwrap();

        // The key survives a restart: a new node signs with the same key.
        let (config, dir, app) = (
            h.config.clone(),
            h.dir.clone(),
            (h.app_id.clone(), h.key.clone()),
        );
        h.stop().await;
        let h = Harness::start_with(config, Arc::clone(&dir), Some(app)).await;
        let data = h
            .client
            .generate_payment(
                "thailand",
                &order(Country::TH, "WX-JS-3", "WECHAT_JS_URL", 10_000, notify),
            )
            .await
            .unwrap()
            .expect_data();
        let wx = data.metadata.unwrap().wechatpay;
        let message = WechatPayParams::message(APPID, &wx.time_stamp, &wx.nonce_str, &wx.pkg);
        public.verify(message.as_bytes(), &wx.pay_sign).unwrap();
        assert_eq!(
            wechat_public_key(&h, APPID).await.to_spki_base64(),
            public.to_spki_base64()
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn v2_unified_aliases_pick_the_country_from_param() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let catalog = Catalog::builtin();
        for country in COUNTRIES {
            let channel = catalog
                .for_country(country, ChannelKind::Dynamic)
                .find(|c| !c.code.starts_with("WECHAT"))
                .unwrap();
            let id = format!("V2-{}", country.code());
            let mut p = as_json(&order(
                country,
                &id,
                &channel.code,
                amount_for(channel),
                &receiver.url,
            ));
            p["countryCode"] = json!(country.code());
            p["currency"] = json!(country.currency().code());
            p["channelType"] = json!("EWALLET");
            p["terminalType"] = json!("WAP");
            let (code, message, data) = call(&h, "/open-api/payment/generate", &p).await;
            assert_eq!(code, 10000, "{country}: {message}");
            let txn = data["transactionId"].as_str().unwrap().to_string();
            assert_eq!(data["channelType"], channel.channel_type.as_str());

            let q = json!({"mchOrderId": id, "countryCode": country.code(),
                           "timestamp": sampan_client::now_ms()});
            let (code, _, data) = call(&h, "/open-api/payment/query", &q).await;
            assert_eq!(code, 10000);
            assert_eq!(data["transactionId"], txn.as_str());
            assert_eq!(data["countryCode"], country.code());
            assert_eq!(data["currency"], country.currency().code());
            assert_eq!(data["transactionStatus"], "PENDING");

            h.sandbox(&txn, "complete").await;
            let q = json!({"transactionId": txn, "countryCode": country.code(),
                           "currency": country.currency().code(),
                           "timestamp": sampan_client::now_ms()});
            let (code, _, data) = call(&h, "/open-api/payment/query", &q).await;
            assert_eq!(code, 10000);
            assert_eq!(data["transactionStatus"], "COMPLETED");
            // The same order under another country is not found.
            let other = if country == Country::RU { "TH" } else { "RU" };
            let q = json!({"mchOrderId": id, "countryCode": other,
                           "timestamp": sampan_client::now_ms()});
            assert_eq!(call(&h, "/open-api/payment/query", &q).await.0, 21006);

            // countryCode and currency must agree, and both are required on create.
            let mut bad = p.clone();
            bad["mchOrderId"] = json!(format!("{id}-X"));
            let wrong_currency = if country == Country::MY { "IDR" } else { "MYR" };
            bad["currency"] = json!(wrong_currency);
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("currency")),
                (21002, true),
                "{message}"
            );
            bad["currency"] = json!("USD");
            assert_eq!(call(&h, "/open-api/payment/generate", &bad).await.0, 21002);
            bad["currency"] = json!(country.currency().code());
            bad["countryCode"] = json!("XX");
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("countryCode")),
                (21002, true),
                "{message}"
            );
            bad.as_object_mut().unwrap().remove("countryCode");
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("countryCode")),
                (21002, true),
                "{message}"
            );
            bad["countryCode"] = json!(country.code());
            bad.as_object_mut().unwrap().remove("currency");
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("currency")),
                (21002, true),
                "{message}"
            );
            bad["currency"] = json!(country.currency().code());
            bad["channelType"] = json!("TELEPATHY");
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("channelType")),
                (21002, true),
                "{message}"
            );
            // The country's own field rules apply.
            bad["channelType"] = json!("QR");
            bad["mobile"] = json!(wrong_mobile(country));
            let (code, message, _) = call(&h, "/open-api/payment/generate", &bad).await;
            assert_eq!(
                (code, message.contains("mobile")),
                (21002, true),
                "{message}"
            );
            // A channel of another country is not available in this one.
            bad["mobile"] = json!(mobile(country));
            bad["channelCode"] = json!("PH_GCASH_URL");
            assert_eq!(call(&h, "/open-api/payment/generate", &bad).await.0, 21005);
            // Query needs countryCode, and checks currency when sent.
            let q = json!({"mchOrderId": id, "timestamp": sampan_client::now_ms()});
            let (code, message, _) = call(&h, "/open-api/payment/query", &q).await;
            assert_eq!(
                (code, message.contains("countryCode")),
                (21002, true),
                "{message}"
            );
            let q = json!({"mchOrderId": id, "countryCode": country.code(),
                           "currency": wrong_currency, "timestamp": sampan_client::now_ms()});
            assert_eq!(call(&h, "/open-api/payment/query", &q).await.0, 21002);
        }
        // Every order was notified with its country and currency.
        let bodies = receiver.wait_for(COUNTRIES.len(), 10).await;
        let mut countries: Vec<String> = bodies
            .iter()
            .map(|b| {
                let n = verify_notification(&h.platform, b).unwrap();
                format!(
                    "{}/{}",
                    n["countryCode"].as_str().unwrap(),
                    n["currency"].as_str().unwrap()
                )
            })
            .collect();
        countries.sort();
        assert_eq!(countries, ["ID/IDR", "MY/MYR", "RU/RUB", "TH/THB"]);
        receiver.stop();
        h.stop().await;
    }
}

#[tokio::test]
async fn webpay_aliases_answer_the_thailand_and_malaysia_shape() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        for (country, channel) in [(Country::TH, "TRUEMONEY_URL"), (Country::MY, "MY_TNG_URL")] {
            let id = format!("WEBPAY-{}", country.code());
            let mut p = order(country, &id, channel, 50_020, &receiver.url);
            p.expire_seconds = Some(600);
            let data = h.client.webpay_generate(&p).await.unwrap().expect_data();
            assert_eq!(data.mch_order_id, id);
            assert_eq!(
                data.pay_url,
                h.url(&format!("/cashier/{}", data.transaction_id))
            );
            assert_eq!(data.callback_url, receiver.url);
            assert_eq!(
                data.redirect_url.as_deref(),
                Some("https://shop.example.com/return")
            );
            assert_eq!(data.expires_time.len(), 19);
            assert_eq!(data.channel_code, channel);

            let detail = h
                .client
                .webpay_detail(&query(&id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(detail.transaction_status, "PENDING");
            assert_eq!(detail.pay_url, data.pay_url);
            assert_eq!(detail.callback_url, receiver.url);
            assert_eq!(detail.redirect_url, data.redirect_url);
            assert_eq!(detail.expires_time, data.expires_time);
            assert_eq!(detail.amount, 50_020);
            assert_eq!(detail.mobile, mobile(country));
            assert_eq!(detail.email, "siti@example.com");
            assert_eq!(detail.channel_code, channel);
            assert_eq!(
                (detail.country_code.as_str(), detail.currency.as_str()),
                (country.code(), country.currency().code())
            );

            h.sandbox(&data.transaction_id, "complete").await;
            let detail = h
                .client
                .webpay_detail(&query(&id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(detail.transaction_status, "COMPLETED");
            assert!(detail.return_time.is_some());
            // The country path and the v2 query see the same order.
            let q = h
                .client
                .query_payment(country.slug(), &query(&id))
                .await
                .unwrap()
                .expect_data();
            assert_eq!(q.transaction_id, data.transaction_id);
            // Narrowed to another country, it is not found.
            let q = json!({"mchOrderId": id, "countryCode": "ID",
                           "timestamp": sampan_client::now_ms()});
            assert_eq!(call(&h, "/open-api/webpay/detail", &q).await.0, 21006);
        }
        let notices = receiver.wait_for(2, 10).await;
        for body in notices {
            let n = verify_notification(&h.platform, &body).unwrap();
            assert_eq!(n["eventName"], "order.payment.success");
            assert!(n["countryCode"] == "TH" || n["countryCode"] == "MY");
        }

        // Country/currency mismatch, country/channel mismatch, unknown and missing channels.
        let mut p = as_json(&order(
            Country::TH,
            "WEBPAY-BAD",
            "TRUEMONEY_URL",
            10_000,
            &receiver.url,
        ));
        p["countryCode"] = json!("TH");
        p["currency"] = json!("MYR");
        let (code, message, _) = call(&h, "/open-api/webpay/generate", &p).await;
        assert_eq!(
            (code, message.contains("currency")),
            (21002, true),
            "{message}"
        );
        p["countryCode"] = json!("MY");
        p["currency"] = json!("MYR");
        p["mobile"] = json!(mobile(Country::MY));
        assert_eq!(call(&h, "/open-api/webpay/generate", &p).await.0, 21005);
        let obj = p.as_object_mut().unwrap();
        obj.remove("countryCode");
        obj.remove("currency");
        obj.insert("mobile".into(), json!(mobile(Country::TH)));
        obj.insert("channelCode".into(), json!("NO_SUCH_CHANNEL"));
        assert_eq!(call(&h, "/open-api/webpay/generate", &p).await.0, 21005);
        p.as_object_mut().unwrap().remove("channelCode");
        let (code, message, _) = call(&h, "/open-api/webpay/generate", &p).await;
        assert_eq!(
            (code, message.contains("channelCode")),
            (21002, true),
            "{message}"
        );
        // The channel's country rules apply: a Malaysian mobile on a Thai channel.
        p["channelCode"] = json!("TRUEMONEY_URL");
        p["mobile"] = json!(mobile(Country::MY));
        let (code, message, _) = call(&h, "/open-api/webpay/generate", &p).await;
        assert_eq!(
            (code, message.contains("mobile")),
            (21002, true),
            "{message}"
        );
        // Unknown orders are not found.
        assert_eq!(
            h.client.webpay_detail(&query("NOPE")).await.unwrap().code(),
            21006
        );
        receiver.stop();
        h.stop().await;
    }
}
