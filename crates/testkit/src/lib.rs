//! Throwaway databases for tests, one fresh database per test, on both backends.
//!
//! PostgreSQL comes from `SAMPAN_TEST_PG_URL` (a server `.ci/run` started) or, when that is
//! unset, from a private cluster this process starts with the machine's PostgreSQL binaries and
//! that dies with it. Without either, PostgreSQL cases are skipped locally but fail under
//! `CI=true`, so CI can never pass without having run them.

use rand::Rng;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database. Keep it alive for as long as the test uses it.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("sampan.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
        }
    }

    /// A new database on the test PostgreSQL server, or `None` when there is none (never under CI).
    pub async fn postgres() -> Option<TestDb> {
        let server = match postgres_server() {
            Some(url) => url,
            None => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI must run the PostgreSQL tests: set SAMPAN_TEST_PG_URL or install PostgreSQL"
                );
                eprintln!("PostgreSQL not available: skipping the PostgreSQL case");
                return None;
            }
        };
        use sqlx::Connection;
        let name = format!("sampan_test_{:016x}", rand::thread_rng().gen::<u64>());
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .expect("connect to test PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let (base, _) = server.rsplit_once('/').expect("URL has a database");
        Some(TestDb {
            backend: Backend::Postgres,
            url: format!("{base}/{name}"),
            _dir: None,
        })
    }

    /// SQLite always, PostgreSQL when available: run a conformance case against each.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }
}

/// URL of the `postgres` database of the test server.
fn postgres_server() -> Option<String> {
    static SERVER: OnceLock<Option<String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("SAMPAN_TEST_PG_URL") {
                return Some(url);
            }
            start_private_cluster()
        })
        .clone()
}

fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a command as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_pg_user(program: &std::path::Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start_private_cluster() -> Option<String> {
    let bin = pg_bin()?;
    let dir = tempfile::Builder::new()
        .prefix("sampan-pg-")
        .tempdir()
        .ok()?
        .keep();
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
    }
    let data = dir.join("data");
    let initdb = as_pg_user(&bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !initdb.success() {
        return None;
    }
    let port = free_port();
    // The watchdog ends the server when this test process exits, however it exits.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
         >{dir}/log 2>&1 & pg=$!; while [ -d /proc/{parent} ]; do sleep 1; done; \
         kill -INT $pg; sleep 3; rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        parent = std::process::id(),
    );
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]);
        c
    };
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Accepting TCP precedes accepting logins by a moment; let the probe decide.
            if probe(&url) {
                return Some(url);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn probe(url: &str) -> bool {
    let url = url.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| {
                rt.block_on(async {
                    use sqlx::Connection;
                    sqlx::PgConnection::connect(&url).await.is_ok()
                })
            })
            .unwrap_or(false)
    })
    .join()
    .unwrap_or(false)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
