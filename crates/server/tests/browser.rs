//! The cashier page in a real browser: headless Chromium, driven over the Chrome DevTools
//! Protocol, opens a payment's `payUrl`, sees it rendered and presses the sandbox buttons, and
//! the gateway settles, notifies and credits exactly as for an API call.

mod common;

use common::{ph_payment, Harness, Receiver};
use futures_util::{SinkExt, StreamExt};
use sampan_protocol::verify_notification;
use sampan_testkit::TestDb;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium with its own throwaway profile; killed when dropped, panics included.
struct Browser {
    child: Child,
    ws_url: String,
    _profile: TempDir,
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // Chromium announces its DevTools endpoint on stderr; the thread keeps draining the pipe
        // afterwards so the browser never blocks on a full one.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(Ok(url.trim().to_string()));
                } else {
                    log.push(line);
                }
            }
            let _ = tx.send(Err(log.join("\n")));
        });
        let mut browser = Browser {
            child,
            ws_url: String::new(),
            _profile: profile,
        };
        browser.ws_url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(url)) => url,
            Ok(Err(log)) => panic!("chromium exited before DevTools was up:\n{log}"),
            Err(e) => panic!("no DevTools line from chromium: {e}"),
        };
        browser
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal DevTools client: one command at a time, answers matched by id, events skipped.
struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    /// Connects to the browser and attaches to a new blank tab; later calls go to that tab.
    async fn open_tab(browser: &Browser) -> Cdp {
        let (ws, _) = tokio_tungstenite::connect_async(browser.ws_url.as_str())
            .await
            .expect("connect to DevTools");
        let mut cdp = Cdp {
            ws,
            next_id: 0,
            session: None,
        };
        let target = cdp
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = cdp
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        cdp.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        cdp
    }

    async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            request["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::Text(request.to_string().into()))
            .await
            .expect("send to DevTools");
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .expect("DevTools closed the connection")
                .expect("read from DevTools");
            let Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            if answer["id"] != id {
                continue; // an event, or an answer to nobody
            }
            return match answer.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(answer["result"].clone()),
            };
        }
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(error) => panic!("{method} failed: {error}"),
        }
    }

    /// The value of a JavaScript expression in the tab; `None` while it throws or while the
    /// page is between documents.
    async fn eval(&mut self, expression: &str) -> Option<Value> {
        let params = json!({"expression": expression, "returnByValue": true});
        let result = self.try_call("Runtime.evaluate", params).await.ok()?;
        if result.get("exceptionDetails").is_some() {
            return None;
        }
        result["result"].get("value").cloned()
    }

    /// Polls `expression` until it evaluates to `expected`, or panics after `secs`.
    async fn wait_for(&mut self, expression: &str, expected: Value, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let value = self.eval(expression).await;
            if value.as_ref() == Some(&expected) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "`{expression}` is {value:?}, not {expected} after {secs}s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens `url` and waits until its document has fully loaded.
    async fn navigate(&mut self, url: &str) {
        let answer = self.call("Page.navigate", json!({"url": url})).await;
        assert!(answer.get("errorText").is_none(), "navigate: {answer}");
        let loaded = format!(
            "location.href === {} && document.readyState === 'complete'",
            json!(url)
        );
        self.wait_for(&loaded, json!(true), 10).await;
    }

    async fn text_of(&mut self, id: &str) -> String {
        let expression = format!("document.getElementById({}).textContent", json!(id));
        match self.eval(&expression).await {
            Some(Value::String(text)) => text,
            other => panic!("#{id}: {other:?}"),
        }
    }

    /// Clicks the button and waits for the page it leads to to report `status`.
    async fn click_and_wait_for_status(&mut self, button: &str, status: &str) {
        let click = format!("document.getElementById({}).click(), true", json!(button));
        assert_eq!(
            self.eval(&click).await,
            Some(json!(true)),
            "click #{button}"
        );
        self.wait_for(
            "document.getElementById('status').dataset.status",
            json!(status),
            10,
        )
        .await;
        self.wait_for("document.readyState", json!("complete"), 10)
            .await;
    }

    /// Saves a PNG of the rendered tab to `path` and returns its bytes.
    async fn screenshot(&mut self, path: &Path) -> Vec<u8> {
        use base64::Engine;
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .unwrap();
        std::fs::write(path, &png).unwrap();
        std::fs::read(path).unwrap()
    }
}

/// Chromium when there is one; CI always installs it, so there its absence is a failure.
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must run the browser tests: install chromium ({CHROMIUM})"
    );
    eprintln!("chromium not installed: skipping");
    false
}

#[tokio::test]
async fn the_payer_pays_on_the_cashier_page_in_a_real_browser() {
    if !chromium_available() {
        return;
    }
    let browser = Browser::launch();
    let shots = tempfile::tempdir().unwrap();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let mut tab = Cdp::open_tab(&browser).await;

        // A QR Ph payment, paid with the page's Pay button.
        let created = h
            .client
            .generate_payment(
                "philippines",
                &ph_payment("BROWSER-1", "PH_QRPH_DYNAMIC", 123_450, &receiver.url),
            )
            .await
            .unwrap()
            .expect_data();
        tab.navigate(&created.pay_url).await;
        let amount = tab.text_of("amount").await;
        assert!(amount.contains("PHP 1,234.50"), "{amount}");
        let qr_width = tab
            .eval("document.querySelector('.qr svg').getBoundingClientRect().width")
            .await;
        assert!(
            qr_width.as_ref().and_then(Value::as_f64).unwrap_or(0.0) > 0.0,
            "the QR code is drawn: width {qr_width:?}"
        );
        let countdown = tab.text_of("countdown").await;
        assert!(
            countdown != "Expired"
                && countdown.contains(':')
                && countdown.chars().any(|c| c.is_ascii_digit()),
            "countdown shows a time: {countdown:?}"
        );
        // The page's script is running: the countdown ticks.
        let ticked = format!(
            "document.getElementById('countdown').textContent !== {}",
            json!(countdown)
        );
        tab.wait_for(&ticked, json!(true), 5).await;
        let png = tab
            .screenshot(&shots.path().join(format!("{:?}-pending.png", db.backend)))
            .await;
        assert!(png.len() > 1_000, "{} bytes", png.len());
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");

        tab.click_and_wait_for_status("pay-button", "COMPLETED")
            .await;
        let page = tab.eval("document.body.innerText").await.unwrap();
        assert!(
            page.as_str().unwrap().contains("Payment received"),
            "{page}"
        );
        assert_eq!(
            tab.eval("document.getElementById('pay-button')").await,
            Some(Value::Null),
            "no Pay button on a paid order"
        );

        let bodies = receiver.wait_for(1, 10).await;
        let notified =
            verify_notification(&h.platform, &bodies[0]).expect("signed by the platform");
        assert_eq!(notified["transactionId"], created.transaction_id.as_str());
        assert_eq!(notified["transactionStatus"], "COMPLETED");
        assert_eq!(notified["amount"], 123_450);
        // 1,234.50 less the 1.5% QR fee (18.52).
        assert_eq!(
            h.client.balance("PH").await.unwrap().expect_data().balance,
            "1215.98"
        );

        // An InstaPay virtual account, failed with the page's Fail button.
        let created = h
            .client
            .generate_payment(
                "philippines",
                &ph_payment("BROWSER-2", "PH_INSTAPAY_VA", 50_000, &receiver.url),
            )
            .await
            .unwrap()
            .expect_data();
        tab.navigate(&created.pay_url).await;
        assert!(tab.text_of("amount").await.contains("PHP 500.00"));
        assert!(!tab.text_of("va-number").await.trim().is_empty());
        tab.click_and_wait_for_status("fail-button", "FAILED").await;
        let page = tab.eval("document.body.innerText").await.unwrap();
        assert!(
            page.as_str()
                .unwrap()
                .contains("Payment failed: Transaction Channel Rejected"),
            "{page}"
        );
        let png = tab
            .screenshot(&shots.path().join(format!("{:?}-failed.png", db.backend)))
            .await;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");

        let bodies = receiver.wait_for(2, 10).await;
        let notified =
            verify_notification(&h.platform, &bodies[1]).expect("signed by the platform");
        assert_eq!(notified["transactionId"], created.transaction_id.as_str());
        assert_eq!(notified["transactionStatus"], "FAILED");
        assert_eq!(
            h.client.balance("PH").await.unwrap().expect_data().balance,
            "1215.98",
            "a failed payment credits nothing"
        );

        receiver.stop();
        h.stop().await;
    }
    drop(browser);
}

#[tokio::test]
async fn the_payer_pays_a_static_code_on_its_page_in_a_real_browser() {
    if !chromium_available() {
        return;
    }
    let browser = Browser::launch();
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let receiver = Receiver::start(vec![]).await;
        let mut tab = Cdp::open_tab(&browser).await;
        let param = sampan_protocol::static_code::StaticGenerate {
            mch_order_id: "BROWSER-CODE-1".into(),
            customer_name: "Juan dela Cruz".into(),
            channel_code: "PH_QRPH_STATIC".into(),
            notify_url: receiver.url.clone(),
            email: "juan@example.ph".into(),
            mobile: "09171234567".into(),
            remark: None,
            amount: None,
            expire_time: None,
            timestamp: sampan_client::now_ms(),
        };
        let created = h
            .client
            .generate_static_code("philippines", &param)
            .await
            .unwrap()
            .expect_data();
        tab.navigate(&created.pay_url).await;
        assert!(tab.text_of("amount").await.contains("Any amount"));
        let qr_width = tab
            .eval("document.querySelector('.qr svg').getBoundingClientRect().width")
            .await;
        assert!(
            qr_width.as_ref().and_then(Value::as_f64).unwrap_or(0.0) > 0.0,
            "the QR code is drawn: width {qr_width:?}"
        );
        // Two payments of different amounts through the page's form.
        for (n, amount) in [(1, "25000"), (2, "7550")] {
            let fill = format!(
                "document.getElementById('pay-amount').value = {}, \
                 document.getElementById('pay').click(), true",
                json!(amount)
            );
            assert_eq!(tab.eval(&fill).await, Some(json!(true)));
            let paid = format!(
                "(document.getElementById('paid') || {{}}).textContent === '{n} · {}'",
                if n == 1 { "PHP 250.00" } else { "PHP 325.50" }
            );
            tab.wait_for(&paid, json!(true), 10).await;
            tab.wait_for("document.readyState", json!("complete"), 10)
                .await;
            let notice = tab.text_of("notice").await;
            assert!(notice.starts_with("Paid PHP"), "{notice}");
        }
        let bodies = receiver.wait_for(2, 10).await;
        for body in &bodies {
            let n = verify_notification(&h.platform, body).expect("signed by the platform");
            assert_eq!(n["eventName"], "static.order.payment.success");
            assert_eq!(n["mchOrderId"], "BROWSER-CODE-1");
        }
        receiver.stop();
        h.stop().await;
    }
    drop(browser);
}
