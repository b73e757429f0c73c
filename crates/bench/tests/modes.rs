//! Runs the `sampan-bench` binary briefly in each mode and checks its JSON line.

use sampan_server::config::Config;
use sampan_server::Gateway;
use sampan_testkit::TestDb;
use std::process::{Command, Output};
use std::sync::Arc;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sampan-bench"))
        .args(["-n", "40", "-c", "4", "--warmup", "4"])
        .args(args)
        .output()
        .expect("sampan-bench runs")
}

fn json_line(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {stdout}"))
}

fn assert_clean_run(out: &Output, backend: &str) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json_line(out);
    assert_eq!(j["n"], 40);
    assert_eq!(j["c"], 4);
    assert_eq!(j["ok"], 40);
    assert_eq!(j["error_total"], 0);
    assert_eq!(j["backend"], backend);
    assert!(j["throughput_rps"].as_f64().unwrap() > 0.0);
    let l = &j["latency_ms"];
    assert!(l["p50"].as_f64() <= l["p99"].as_f64() && l["p99"].as_f64() <= l["max"].as_f64());
}

#[test]
fn self_hosted_sqlite() {
    assert_clean_run(&bench(&[]), "sqlite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_hosted_postgres_by_url() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || bench(&["--database-url", &url]))
        .await
        .unwrap();
    assert_clean_run(&out, "postgres");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_target_and_a_wrong_key() {
    let db = TestDb::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        data_dir: data.path().to_path_buf(),
        database_url: Some(db.url.clone()),
        notify_retry_delays_ms: vec![3_600_000],
        ..Config::default()
    };
    let store = Arc::new(sampan_server::open_store(&config).await.unwrap());
    let app = sampan_server::ops::create_app(store.as_ref(), "ext", None)
        .await
        .unwrap();
    let gateway = Gateway::start_with_store(config, store).await.unwrap();
    let key = data.path().join("merchant.pem");
    std::fs::write(&key, app.private_key.unwrap().to_pkcs8_pem()).unwrap();
    let wrong = data.path().join("wrong.pem");
    let other = sampan_protocol::PrivateKey::generate(2048).unwrap();
    std::fs::write(&wrong, other.to_pkcs8_pem()).unwrap();

    let base = gateway.base_url().to_string();
    let app_id = app.app.app_id.clone();
    let (good, bad) = tokio::task::spawn_blocking(move || {
        let run = |key: &std::path::Path| {
            bench(&[
                "--target",
                &base,
                "--app-id",
                &app_id,
                "--key",
                key.to_str().unwrap(),
            ])
        };
        (run(&key), run(&wrong))
    })
    .await
    .unwrap();
    assert_clean_run(&good, "external");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("preflight"), "{stderr}");
    gateway.shutdown().await;
}
