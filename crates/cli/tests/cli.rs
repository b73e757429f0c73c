//! Runs the built `sampan` binary against temporary data directories.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sampan");

/// A scratch directory: the working directory of every command, with `data/` as data dir.
struct Scratch {
    dir: tempfile::TempDir,
    /// Extra environment of every command.
    env: Vec<(String, String)>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.env.push((name.to_string(), value.into()));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        // Nothing from the developer's shell leaks in.
        for (name, _) in std::env::vars() {
            if name.starts_with("SAMPAN_") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        cmd.args(args)
            .current_dir(self.path())
            .env("SAMPAN_DATA_DIR", self.data_dir())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("sampan runs");
        Run::from(output)
    }

    /// Runs and insists on exit status 0.
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "sampan {}: {run:?}", args.join(" "));
        run.stdout
    }

    fn spawn(&self, args: &[&str]) -> Background {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sampan starts");
        Background::new(child)
    }
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A long-running `sampan` (serve, client listen): its stdout lines, killed when dropped.
struct Background {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn new(mut child: Child) -> Background {
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle`; returns everything printed so far.
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while !self.seen.iter().any(|l| l.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with {needle:?} within {timeout:?}; got:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
        self.seen.join("\n")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `key:  value` lines of `app create`.
fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name:?} in:\n{text}"))
}

fn json(text: &str) -> serde_json::Value {
    // The envelope comes first; `client pay` adds hints after it.
    let end = text.find("\n}").map_or(text.len(), |i| i + 2);
    serde_json::from_str(&text[..end]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn apps_are_created_shown_changed_and_disabled() {
    let s = Scratch::new();
    let created = s.ok(&["app", "create", "--name", "Corner Shop"]);
    let app_id = field(&created, "app id").to_string();
    assert_eq!(app_id.len(), 32, "{created}");
    let key_file = s.path().join(format!("{app_id}.pem"));
    let pem = std::fs::read_to_string(&key_file).expect("private key written");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    assert_eq!(mode(&key_file), 0o600);
    // The platform public key merchants verify notifications with is printed.
    let platform = s.ok(&["keys", "platform-public"]);
    assert!(created.contains(platform.trim()), "{created}");

    let shown = json(&s.ok(&["app", "show", &app_id]));
    assert_eq!(shown["appId"], app_id.as_str());
    assert_eq!(shown["name"], "Corner Shop");
    assert_eq!(shown["status"], "ACTIVE");

    let set = json(&s.ok(&[
        "app",
        "set",
        &app_id,
        "--countries",
        "PH",
        "--ips",
        "10.0.0.0/8",
    ]));
    assert_eq!(set["countries"], serde_json::json!(["PH"]));
    let shown = json(&s.ok(&["app", "show", &app_id]));
    assert_eq!(shown["countries"], serde_json::json!(["PH"]));
    assert_eq!(shown["ipAllowlist"], serde_json::json!(["10.0.0.0/8"]));

    let disabled = json(&s.ok(&["app", "disable", &app_id]));
    assert_eq!(disabled["status"], "DISABLED");
    assert_eq!(json(&s.ok(&["app", "show", &app_id]))["status"], "DISABLED");
    assert_eq!(json(&s.ok(&["app", "enable", &app_id]))["status"], "ACTIVE");

    let list = s.ok(&["app", "list"]);
    assert!(list.starts_with("ID"), "{list}");
    assert!(
        list.contains(&app_id) && list.contains("Corner Shop"),
        "{list}"
    );

    for args in [
        vec!["app", "show", "no-such-app"],
        vec!["app", "disable", "no-such-app"],
        vec!["app", "set", &app_id, "--countries", "XX"],
        vec!["app", "set", &app_id, "--channels", "NO_SUCH_CHANNEL"],
        vec!["app", "set", &app_id],
    ] {
        let run = s.run(&args);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
    }
    assert!(s
        .run(&["app", "show", "no-such-app"])
        .stderr
        .contains("no app no-such-app"));
}

#[test]
fn wechat_appids_are_bound_and_their_keys_printed() {
    let s = Scratch::new();
    let created = s.ok(&["app", "create", "--name", "Bangkok Tea"]);
    let app_id = field(&created, "app id").to_string();
    // No key before the appid is bound.
    let run = s.run(&["app", "wechat-key", "wx5a7b9c0d1e2f3a4b"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--wechat-appids"), "{run:?}");

    let set = json(&s.ok(&[
        "app",
        "set",
        &app_id,
        "--wechat-appids",
        "wx5a7b9c0d1e2f3a4b, wx0123456789abcdef",
    ]));
    assert_eq!(
        set["wechatAppids"],
        serde_json::json!(["wx5a7b9c0d1e2f3a4b", "wx0123456789abcdef"])
    );
    let pem = s.ok(&["app", "wechat-key", "wx5a7b9c0d1e2f3a4b"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    // Rebinding keeps the key: the public key handed to the merchant stays valid.
    s.ok(&["app", "set", &app_id, "--wechat-appids", ""]);
    s.ok(&[
        "app",
        "set",
        &app_id,
        "--wechat-appids",
        "wx5a7b9c0d1e2f3a4b",
    ]);
    assert_eq!(s.ok(&["app", "wechat-key", "wx5a7b9c0d1e2f3a4b"]), pem);

    let run = s.run(&["app", "set", &app_id, "--wechat-appids", "not-an-appid"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not a WeChat appid"), "{run:?}");
}

#[test]
fn apps_take_the_merchants_own_key() {
    let s = Scratch::new();
    let public = s.ok(&["keys", "generate", "--out", "merchant.pem"]);
    #[cfg(unix)]
    assert_eq!(mode(&s.path().join("merchant.pem")), 0o600);
    std::fs::write(s.path().join("merchant.pub"), &public).expect("write");
    let created = s.ok(&[
        "app",
        "create",
        "--name",
        "Own Keys",
        "--public-key",
        "merchant.pub",
    ]);
    let app_id = field(&created, "app id");
    assert_eq!(
        json(&s.ok(&["app", "show", app_id]))["publicKey"],
        public.trim()
    );
    // Key text works as well as a file; a missing file is an error, not a key.
    s.ok(&[
        "app",
        "create",
        "--name",
        "Inline",
        "--public-key",
        public.trim(),
    ]);
    assert_eq!(
        s.run(&[
            "app",
            "create",
            "--name",
            "X",
            "--public-key",
            "missing.pub"
        ])
        .code,
        1
    );
    // An existing file is never overwritten.
    assert_eq!(
        s.run(&["keys", "generate", "--out", "merchant.pem"]).code,
        1
    );
}

#[test]
fn ledger_of_a_fresh_database_is_consistent() {
    let s = Scratch::new();
    assert!(s.ok(&["migrate"]).contains("schema up to date"));
    let out = s.ok(&["ledger", "verify"]);
    assert!(out.contains("0 accounts"), "{out}");
}

#[test]
fn platform_key_is_created_once() {
    let s = Scratch::new();
    let first = s.ok(&["keys", "platform-public"]);
    let second = s.ok(&["keys", "platform-public"]);
    assert_eq!(first, second);
    assert!(first.trim().starts_with("MII"), "{first}");
    let pem = s.ok(&["keys", "platform-public", "--pem"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    #[cfg(unix)]
    assert_eq!(mode(&s.data_dir().join("platform_key.pem")), 0o600);
}

#[test]
fn config_file_sets_the_data_dir() {
    let s = Scratch::new();
    let config = s.path().join("sampan.toml");
    let data = s.path().join("elsewhere");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", data.display().to_string()),
    )
    .expect("write config");
    let mut cmd = s.command(&["--config", "sampan.toml", "keys", "platform-public"]);
    cmd.env_remove("SAMPAN_DATA_DIR");
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(data.join("platform_key.pem").is_file());
    let run = s.run(&["--config", "missing.toml", "migrate"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("does not exist"), "{run:?}");
}

fn post(url: &str, body: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    })
}

#[test]
fn merchant_pays_through_a_running_gateway() {
    let mut s = Scratch::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    s.set("SAMPAN_LISTEN", format!("127.0.0.1:{port}"));
    s.set("SAMPAN_NOTIFY_RETRY_DELAYS_MS", "[200,200,200]");
    let mut gateway = s.spawn(&["serve"]);
    let banner = gateway.wait_for("press Ctrl-C", Duration::from_secs(30));
    assert!(banner.contains(&url), "{banner}");

    // The client's variables must not upset the configuration loader of any command.
    let created = s.ok(&["app", "create", "--name", "Sari-Sari"]);
    let app_id = field(&created, "app id").to_string();
    s.set("SAMPAN_URL", url.as_str());
    s.set("SAMPAN_APP_ID", app_id.as_str());
    s.set("SAMPAN_KEY_FILE", format!("{app_id}.pem"));

    // A merchant endpoint that refuses the first delivery: the gateway retries.
    let listen_port = free_port();
    let listen_addr = format!("127.0.0.1:{listen_port}");
    let mut receiver = s.spawn(&[
        "client",
        "listen",
        "--addr",
        &listen_addr,
        "--fail-first",
        "1",
    ]);
    receiver.wait_for("press Ctrl-C", Duration::from_secs(30));

    let notify_url = format!("http://{listen_addr}/notify");
    let paid = s.ok(&[
        "client",
        "pay",
        "--country",
        "philippines",
        "--amount",
        "10000",
        "--channel",
        "PH_GCASH_URL",
        "--order",
        "ORDER-1",
        "--notify-url",
        &notify_url,
    ]);
    let answer = json(&paid);
    assert_eq!(answer["code"], 10000, "{paid}");
    let txn = answer["data"]["transactionId"]
        .as_str()
        .expect("transactionId")
        .to_string();
    let pay_url = field(&paid, "payUrl");
    assert_eq!(pay_url, format!("{url}/cashier/{txn}"));

    let query = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["client", "query", "--country", "philippines"];
        all.extend_from_slice(args);
        json(&s.ok(&all))
    };
    assert_eq!(
        query(&["--order", "ORDER-1"])["data"]["transactionStatus"],
        "PENDING"
    );

    let (status, body) = post(&format!("{url}/sandbox/payments/{txn}/complete"), "");
    assert_eq!(status, 200, "{body}");
    let done = query(&["--txn", &txn]);
    assert_eq!(done["data"]["transactionStatus"], "COMPLETED");
    assert_eq!(done["data"]["fee"], 200);

    let balance = json(&s.ok(&["client", "balance", "--country", "PH"]));
    assert_eq!(balance["data"]["balance"], "98.00", "{balance}");

    // First delivery answered 500, the retry acknowledged.
    let heard = receiver.wait_for("-> HTTP 200", Duration::from_secs(20));
    assert!(heard.contains("-> HTTP 500"), "{heard}");
    assert!(
        heard.contains("order.payment.success: signature valid"),
        "{heard}"
    );
    assert!(heard.contains(&txn), "{heard}");
    // A forged notification is refused.
    let (status, body) = post(
        &format!("http://{listen_addr}/notify"),
        r#"{"sign":"AAAA","param":"{\"eventName\":\"order.payment.success\"}"}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("21001"), "{body}");
    receiver.wait_for("INVALID SIGNATURE", Duration::from_secs(10));

    // Operator views of the same payment.
    // The receiver prints the acknowledgement before the gateway has recorded it: wait.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let shown = loop {
        let shown = json(&s.ok(&["payment", "show", &txn]));
        if shown["notifications"][0]["status"] == "DELIVERED"
            || std::time::Instant::now() > deadline
        {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(shown["payment"]["transactionStatus"], "COMPLETED");
    assert_eq!(shown["notifications"][0]["status"], "DELIVERED");
    assert!(s.ok(&["ledger", "verify"]).contains("ledger consistent"));
    let id = shown["notifications"][0]["id"].to_string();
    s.ok(&["notifications", "resend", &id]);
    assert_eq!(s.run(&["notifications", "resend", "999999"]).code, 1);

    // Any param, signed; a refused one exits 1.
    let call = s.ok(&[
        "client",
        "call",
        "/open-api/account/balance",
        r#"{"countryCode":"PH"}"#,
    ]);
    assert_eq!(json(&call)["data"]["balance"], "98.00");
    let refused = s.run(&[
        "client",
        "call",
        "/open-api/account/balance",
        r#"{"countryCode":"XX"}"#,
    ]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(json(&refused.stdout)["code"], 21002);

    // A static code: created with `client code`, paid twice through the sandbox, listed
    // with `client call`, and its notifications verified by the listener.
    let made = s.ok(&[
        "client",
        "code",
        "--country",
        "indonesia",
        "--channel",
        "ID_BRI_VA",
        "--order",
        "BILL-1",
        "--notify-url",
        &notify_url,
    ]);
    let code = json(&made);
    assert_eq!(code["data"]["status"], "ACTIVE", "{made}");
    let code_url = field(&made, "payUrl").to_string();
    let code_id = code_url.rsplit('/').next().expect("code id").to_string();
    for amount in [50_000, 75_000] {
        let (status, body) = post(
            &format!("{url}/sandbox/codes/{code_id}/pay"),
            &format!(r#"{{"amount": {amount}}}"#),
        );
        assert_eq!(status, 200, "{body}");
    }
    let listed = s.ok(&[
        "client",
        "call",
        "/open-api/indonesia/static/payment/detail",
        r#"{"mchOrderId":"BILL-1"}"#,
    ]);
    assert_eq!(json(&listed)["data"]["paidAmount"], 125_000, "{listed}");
    let heard = receiver.wait_for(
        "static.order.payment.success: signature valid",
        Duration::from_secs(20),
    );
    assert!(
        heard.contains("BILL-1") || heard.contains("static"),
        "{heard}"
    );
    let none = s.run(&["client", "code", "--country", "malaysia"]);
    assert_eq!(none.code, 1, "{none:?}");
    assert!(none.stderr.contains("no static payment codes"), "{none:?}");

    drop(receiver);
    drop(gateway);
    let down = s.run(&["client", "balance", "--country", "PH"]);
    assert_eq!(down.code, 1);
    assert!(down.stderr.contains("sampan serve"), "{down:?}");
}

#[test]
fn demo_needs_a_running_gateway() {
    let s = Scratch::new();
    let port = free_port();
    let run = s.run(&["demo", "--url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("start it first with `sampan serve`"),
        "{run:?}"
    );
    // Nothing was created.
    assert!(!s.data_dir().join("demo-merchant.pem").exists());
}

#[test]
fn demo_creates_an_app_and_a_payment() {
    let mut s = Scratch::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    s.set("SAMPAN_LISTEN", format!("127.0.0.1:{port}"));
    s.set("SAMPAN_URL", url.as_str());
    let mut gateway = s.spawn(&["serve"]);
    gateway.wait_for("press Ctrl-C", Duration::from_secs(30));

    let out = s.ok(&["demo"]);
    assert!(out.contains(&format!("{url}/cashier/C")), "{out}");
    assert!(out.contains("export SAMPAN_APP_ID="), "{out}");
    assert!(
        out.contains("sampan client query --country philippines --order DEMO"),
        "{out}"
    );
    assert!(out.contains("sampan client balance --country PH"), "{out}");
    let key = s.data_dir().join("demo-merchant.pem");
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    // A second run reuses the app and its key.
    let again = s.ok(&["demo"]);
    assert!(again.contains("(existing)"), "{again}");
    assert_eq!(s.ok(&["app", "list"]).lines().count(), 2);
}

#[test]
fn operators_fund_merchants_and_settle_stuck_payouts() {
    let s = Scratch::new();
    let created = s.ok(&["app", "create", "--name", "Payroll Co"]);
    let app_id = field(&created, "app id").to_string();
    let topped = json(&s.ok(&[
        "balance",
        "topup",
        "--app",
        &app_id,
        "--currency",
        "PHP",
        "--amount",
        "100000",
        "--note",
        "wire 2024-001",
    ]));
    assert_eq!(topped["kind"], "balance.topup");
    assert_eq!(topped["available"], "1000.00");
    assert!(topped["memo"].as_str().unwrap().contains("wire 2024-001"));
    let adjusted = json(&s.ok(&[
        "balance",
        "adjust",
        "--app",
        &app_id,
        "--currency",
        "php",
        "--amount",
        "-2500",
        "--reason",
        "correction",
        "--note",
        "duplicate top-up",
    ]));
    assert_eq!(adjusted["available"], "975.00");
    assert_eq!(adjusted["memo"], "correction: duplicate top-up");
    let shown = json(&s.ok(&["balance", "show", &app_id]));
    assert_eq!(shown[0]["currency"], "PHP");
    assert_eq!(shown[0]["available"], "975.00");
    for args in [
        // overdraw, zero, no reason, unknown currency, unknown app, negative top-up
        vec![
            "balance",
            "adjust",
            "--app",
            &app_id,
            "--currency",
            "PHP",
            "--amount",
            "-97501",
            "--reason",
            "x",
            "--note",
            "n",
        ],
        vec![
            "balance",
            "adjust",
            "--app",
            &app_id,
            "--currency",
            "PHP",
            "--amount",
            "0",
            "--reason",
            "x",
            "--note",
            "n",
        ],
        vec![
            "balance",
            "adjust",
            "--app",
            &app_id,
            "--currency",
            "PHP",
            "--amount",
            "5",
            "--reason",
            " ",
            "--note",
            "n",
        ],
        vec![
            "balance",
            "topup",
            "--app",
            &app_id,
            "--currency",
            "XXX",
            "--amount",
            "5",
            "--note",
            "n",
        ],
        vec![
            "balance",
            "topup",
            "--app",
            "nope",
            "--currency",
            "PHP",
            "--amount",
            "5",
            "--note",
            "n",
        ],
        vec![
            "balance",
            "topup",
            "--app",
            &app_id,
            "--currency",
            "PHP",
            "--amount",
            "-5",
            "--note",
            "n",
        ],
        vec!["payout", "fail", "D0000000000000000001", "--note", "n"],
        vec!["payout", "list", "--older-than", "5w"],
        vec!["payout", "list", "--status", "STUCK"],
    ] {
        let run = s.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
    }
    let none = s.ok(&["payout", "list", "--older-than", "10m"]);
    assert!(none.contains("no PENDING payouts"), "{none}");
    assert!(s.ok(&["ledger", "verify"]).contains("ledger consistent"));
}

#[test]
fn operators_list_and_cancel_refunds() {
    let s = Scratch::new();
    let none = s.ok(&["refund", "list", "--older-than", "10m"]);
    assert!(none.contains("no PENDING refunds"), "{none}");
    let none = s.ok(&["refund", "list", "--status", "cancel"]);
    assert!(none.contains("no CANCEL refunds"), "{none}");
    for args in [
        vec![
            "refund",
            "cancel",
            "R0000000000000000001",
            "--note",
            "asked",
        ],
        vec!["refund", "cancel", "R0000000000000000001", "--note", " "],
        vec!["refund", "show", "R0000000000000000001"],
        vec!["refund", "list", "--status", "COMPLETED"],
        vec!["refund", "list", "--older-than", "5w"],
    ] {
        let run = s.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{run:?}");
    }
}

#[test]
fn operators_write_report_files_and_daily_summaries() {
    let s = Scratch::new();
    let created = s.ok(&["app", "create", "--name", "Corner Shop"]);
    let app_id = field(&created, "app id").to_string();
    let out = s.path().join("report.csv");
    let printed = s.ok(&[
        "report",
        "download",
        "--app",
        &app_id,
        "--country",
        "PH",
        "--date",
        "2026-11-27",
        "--type",
        "2",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(printed.contains("0 transactions"), "{printed}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(
        lines[0].starts_with("transactionId,mchOrderId,channelCode,amount"),
        "{text}"
    );
    assert_eq!(lines[1], "TOTAL,0,,0.00,0.00,PENDING,,,,,0.00");
    let xlsx = s.path().join("report.xlsx");
    s.ok(&[
        "report",
        "download",
        "--app",
        &app_id,
        "--country",
        "ID",
        "--date",
        "2026-11-27",
        "--type",
        "1",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&xlsx).unwrap().starts_with(b"PK"),
        "an XLSX is a zip"
    );
    let bad = s.run(&[
        "report",
        "download",
        "--app",
        &app_id,
        "--country",
        "PH",
        "--date",
        "2026-11-27",
        "--type",
        "3",
        "--out",
        "x.csv",
    ]);
    assert_ne!(bad.code, 0, "{}", bad.stderr);
    let missing = s.run(&[
        "report",
        "download",
        "--app",
        "nope",
        "--country",
        "PH",
        "--date",
        "2026-11-27",
        "--type",
        "2",
        "--out",
        "x.csv",
    ]);
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("no app"), "{}", missing.stderr);
    let summary = s.ok(&["report", "summary", "--date", "2026-11-27"]);
    assert!(summary.contains("no transactions"), "{summary}");
}
