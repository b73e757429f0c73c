//! Every code of the request pipeline, over real HTTP with real signatures, on both stores.

mod common;

use common::{ph_payment, Harness};
use sampan_client::{now_ms, Client};
use sampan_domain::{App, AppSettings, AppStatus, Store};
use sampan_protocol::{PrivateKey, RequestEnvelope};
use sampan_testkit::TestDb;
use serde_json::{json, Value};

const PH_GENERATE: &str = "/open-api/philippines/payment/generate";
const PH_QUERY: &str = "/open-api/philippines/payment/query";

fn generate_param(order: &str) -> String {
    serde_json::to_string(&ph_payment(
        order,
        "PH_GCASH_URL",
        10_000,
        "http://127.0.0.1:9/n",
    ))
    .unwrap()
}

async fn code_of(client: &Client, path: &str, param: &str) -> (i32, String) {
    let answer = client.call_raw(path, param).await.unwrap();
    assert_eq!(answer.http_status, 200);
    (answer.envelope.code, answer.envelope.message)
}

#[tokio::test]
async fn request_pipeline_codes() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let c = &h.client;

        // 21003 unknown appId, or none at all
        let stranger = Client::new(
            h.gateway.base_url(),
            "00000000000000000000000000000000",
            h.key.clone(),
        );
        assert_eq!(
            code_of(&stranger, PH_GENERATE, &generate_param("A1"))
                .await
                .0,
            21003
        );
        let no_app = c
            .post_body(PH_GENERATE, br#"{"sign":"x","param":"{}"}"#.to_vec())
            .await
            .unwrap();
        assert_eq!(no_app.envelope.code, 21003);

        // 21001 bad signature: another key, an empty sign, bad base64, a changed byte
        let wrong = Client::new(
            h.gateway.base_url(),
            &h.app_id,
            PrivateKey::generate(2048).unwrap(),
        );
        assert_eq!(
            code_of(&wrong, PH_GENERATE, &generate_param("S1")).await.0,
            21001
        );
        let param = generate_param("S2");
        let mut envelope = c.envelope(&param);
        for sign in ["", "%%%not-base64%%%"] {
            envelope.sign = sign.into();
            let a = c
                .post_body(PH_GENERATE, serde_json::to_vec(&envelope).unwrap())
                .await
                .unwrap();
            assert_eq!(a.envelope.code, 21001, "sign {sign:?}");
        }
        let mut tampered = c.envelope(&param);
        tampered.param = tampered.param.replace("10000", "10001");
        let a = c
            .post_body(PH_GENERATE, serde_json::to_vec(&tampered).unwrap())
            .await
            .unwrap();
        assert_eq!(a.envelope.code, 21001);

        // 21002: body not an envelope, param not JSON, a field missing / mistyped / malformed
        let a = c
            .post_body(PH_GENERATE, b"not json".to_vec())
            .await
            .unwrap();
        assert_eq!(a.envelope.code, 21002);
        assert_eq!(code_of(c, PH_GENERATE, "{not json").await.0, 21002);
        let mut p: Value = serde_json::from_str(&generate_param("F1")).unwrap();
        p.as_object_mut().unwrap().remove("mobile");
        let (code, message) = code_of(c, PH_GENERATE, &p.to_string()).await;
        assert_eq!(code, 21002);
        assert!(message.contains("mobile"), "{message}");
        p["mobile"] = json!("123456789");
        let (code, message) = code_of(c, PH_GENERATE, &p.to_string()).await;
        assert_eq!((code, message.contains("mobile")), (21002, true));
        p["mobile"] = json!("09171234567");
        p["amount"] = json!("ten");
        let (code, message) = code_of(c, PH_GENERATE, &p.to_string()).await;
        assert_eq!((code, message.contains("amount")), (21002, true));
        p["amount"] = json!(10_000);
        p["email"] = json!("not-an-email");
        assert_eq!(code_of(c, PH_GENERATE, &p.to_string()).await.0, 21002);
        p["email"] = json!("juan@example.ph");
        p["expireSeconds"] = json!(5);
        let (code, message) = code_of(c, PH_GENERATE, &p.to_string()).await;
        assert_eq!((code, message.contains("expireSeconds")), (21002, true));
        p.as_object_mut().unwrap().remove("expireSeconds");

        // 21008 unparsable timestamp, 21009 outside the window; seconds and strings accepted
        p["timestamp"] = json!("yesterday");
        assert_eq!(code_of(c, PH_GENERATE, &p.to_string()).await.0, 21008);
        p["timestamp"] = json!(now_ms() - 3_600_000);
        assert_eq!(code_of(c, PH_GENERATE, &p.to_string()).await.0, 21009);
        p["timestamp"] = json!((now_ms() / 1000).to_string());
        p["mchOrderId"] = json!("TS-SECONDS");
        assert_eq!(code_of(c, PH_GENERATE, &p.to_string()).await.0, 10000);

        // 21005 channel unknown, of another country, or not enabled for the app
        for channel in ["PH_NOPE_URL", "ID_OVO_URL"] {
            let mut q = ph_payment("CH1", channel, 10_000, "http://127.0.0.1:9/n");
            q.timestamp = now_ms();
            let a = c.generate_payment("philippines", &q).await.unwrap();
            assert_eq!(a.code(), 21005, "{channel}");
        }
        h.admin_patch_app(json!({"channels": ["PH_MAYA_URL"]}))
            .await;
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("CH2")).await.0,
            21005
        );
        h.admin_patch_app(json!({"channels": ["*"]})).await;

        // 21010 amount outside the channel's range
        let below = ph_payment("AM1", "PH_QRPH_DYNAMIC", 1_999, "http://127.0.0.1:9/n");
        assert_eq!(
            c.generate_payment("philippines", &below)
                .await
                .unwrap()
                .code(),
            21010
        );
        let above = ph_payment("AM2", "PH_GCASH_URL", 5_000_001, "http://127.0.0.1:9/n");
        assert_eq!(
            c.generate_payment("philippines", &above)
                .await
                .unwrap()
                .code(),
            21010
        );

        // 21007 duplicate mchOrderId; nothing changes
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("DUP")).await.0,
            10000
        );
        let first = h
            .store
            .payment_by_mch_order_id(&h.app_id, "DUP")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("DUP")).await.0,
            21007
        );
        let after = h
            .store
            .payment_by_mch_order_id(&h.app_id, "DUP")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first, after);

        // 21006 not found: unknown order, and another app's order
        let q = json!({"mchOrderId": "NOPE", "timestamp": now_ms()}).to_string();
        assert_eq!(code_of(c, PH_QUERY, &q).await.0, 21006);
        let other = sampan_server::ops::create_app(h.store.as_ref(), "Other", None)
            .await
            .unwrap();
        let other_client = Client::new(
            h.gateway.base_url(),
            &other.app.app_id,
            other.private_key.unwrap(),
        );
        let q = json!({"mchOrderId": "DUP", "timestamp": now_ms()}).to_string();
        assert_eq!(code_of(&other_client, PH_QUERY, &q).await.0, 21006);
        let q = json!({"transactionId": first.transaction_id, "timestamp": now_ms()}).to_string();
        assert_eq!(code_of(&other_client, PH_QUERY, &q).await.0, 21006);
        assert_eq!(code_of(c, PH_QUERY, &q).await.0, 10000);
        // ... and in another country's path
        assert_eq!(
            code_of(c, "/open-api/indonesia/payment/query", &q).await.0,
            21006
        );

        // 21017 country not enabled (also for the balance)
        h.admin_patch_app(json!({"countries": ["ID"]})).await;
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("CO1")).await.0,
            21017
        );
        assert_eq!(c.balance("PH").await.unwrap().code(), 21017);
        h.admin_patch_app(json!({"countries": ["PH", "ID"]})).await;

        // 21016 IP not on the allow-list
        h.admin_patch_app(json!({"ipAllowlist": ["10.0.0.0/8"]}))
            .await;
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("IP1")).await.0,
            21016
        );
        h.admin_patch_app(json!({"ipAllowlist": ["10.0.0.0/8", "127.0.0.1"]}))
            .await;
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("IP2")).await.0,
            10000
        );

        // 21020 over the app's rate limit
        h.admin_patch_app(json!({"rateLimit": 3})).await;
        let mut codes = Vec::new();
        for i in 0..8 {
            codes.push(
                code_of(
                    c,
                    PH_QUERY,
                    &json!({"mchOrderId": format!("R{i}"), "timestamp": now_ms()}).to_string(),
                )
                .await
                .0,
            );
        }
        assert!(codes.contains(&21020), "{codes:?}");
        h.admin_patch_app(json!({"rateLimit": 0})).await;

        // 21004 disabled app
        h.admin_patch_app(json!({"status": "DISABLED"})).await;
        assert_eq!(
            code_of(c, PH_GENERATE, &generate_param("DIS")).await.0,
            21004
        );
        h.admin_patch_app(json!({"status": "ACTIVE"})).await;

        // 21000 internal: an app whose stored key is unusable; no detail leaks
        let broken = App {
            app_id: "b".repeat(32),
            name: "Broken".into(),
            public_key: "not a key".into(),
            status: AppStatus::Active,
            settings: AppSettings::default(),
            created_at: 0,
        };
        h.store.insert_app(&broken).await.unwrap();
        let broken_client = Client::new(h.gateway.base_url(), &broken.app_id, h.key.clone());
        let (code, message) = code_of(&broken_client, PH_GENERATE, &generate_param("INT")).await;
        assert_eq!(
            (code, message.as_str()),
            (21000, "Server error, Please try again later.")
        );

        // Oversized bodies are refused before parsing; unknown routes answer 404 + envelope
        let huge = RequestEnvelope {
            app_id: h.app_id.clone(),
            sign: String::new(),
            param: "x".repeat(70_000),
        };
        let a = c
            .post_body(PH_GENERATE, serde_json::to_vec(&huge).unwrap())
            .await
            .unwrap();
        assert_eq!((a.http_status, a.envelope.code), (413, 21002));
        for path in [
            "/open-api/nowhere",
            "/open-api/atlantis/payment/generate",
            "/nope",
        ] {
            let a = c.post_body(path, b"{}".to_vec()).await.unwrap();
            assert_eq!((a.http_status, a.envelope.code), (404, 21002), "{path}");
            assert!(a.envelope.data.is_none());
        }
        let get = h.http.get(h.url(PH_GENERATE)).send().await.unwrap();
        assert_eq!(get.status(), 404);
        let body: Value = get.json().await.unwrap();
        assert_eq!(
            body,
            json!({"code": 21002, "message": "Request param error", "data": null})
        );

        h.stop().await;
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_param_bytes_are_verified_verbatim() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        // Field order, spacing, escapes and non-ASCII as a merchant's serializer may produce them.
        let param = format!(
            "{{ \"timestamp\" : {ts}, \"payMode\":\"WEB\", \"mchOrderId\":\"U-1\",\"amount\":10000,\
             \"customerName\":\"Jos\\u00e9 \\\"Pepe\\\" Ni\u{f1}o\",\"channelCode\":\"PH_GCASH_URL\",\
             \"notifyUrl\":\"http://127.0.0.1:9/n\",\"redirectUrl\":\"https://x.ph/r\",\
             \"email\":\"jose@example.ph\",\"mobile\":\"09171234567\"}}",
            ts = now_ms()
        );
        let answer = h.client.call_raw(PH_GENERATE, &param).await.unwrap();
        assert_eq!(answer.envelope.code, 10000, "{}", answer.envelope.message);
        let p = h
            .store
            .payment_by_mch_order_id(&h.app_id, "U-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.customer_name, "José \"Pepe\" Niño");
        h.stop().await;
    }
}
