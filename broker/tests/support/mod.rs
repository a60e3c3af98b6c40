//! Shared support of the broker service tests: running the
//! `payword-broker` binary as a child process on loopback (embedded
//! database or PostgreSQL), killing and restarting it, and fresh
//! PostgreSQL schemas.
//!
//! The claim fixtures are the core's (`tests/common/mod.rs`, included by
//! each test file as `common`): the service runs with their broker key and
//! id, their grace period, and a clock offset that puts its "now" at their
//! `NOW`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use payword_broker::client::Client;

/// The operator token every test service uses.
pub const TOKEN: &str = "operator-token-for-tests-0123456789";
/// The fixtures' broker key seed (`common::world`).
pub const BROKER_SEED: [u8; 32] = [1; 32];
/// The fixtures' broker id.
pub const BROKER_ID: [u8; 32] = [3; 32];
/// The fixtures' grace period.
pub const GRACE: u64 = 60;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique name for this process and call.
pub fn unique(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}_{}_{t}_{n}", std::process::id())
}

/// A fresh, empty directory under the system's temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payword-{}", unique(tag)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The PostgreSQL connection string of the test database, from
/// `PAYWORD_TEST_POSTGRES` (which `.ci/run` sets); `None` skips the
/// PostgreSQL tests.
pub fn pg_base() -> Option<String> {
    std::env::var("PAYWORD_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A fresh schema in the test database; returns the connection string
/// whose `search_path` is that schema.
pub fn pg_schema(base: &str, tag: &str) -> String {
    let schema = unique(tag).to_lowercase();
    let mut admin = postgres::Client::connect(base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    format!("{base} options='-c search_path={schema}'")
}

/// Where a service keeps its state.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The embedded database file.
    Redb(PathBuf),
    /// A PostgreSQL connection string.
    Pg(String),
}

/// How to start a service.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Directory for the key, token, ready files and logs.
    pub dir: PathBuf,
    /// The store.
    pub backend: Backend,
    /// Brokers working at once.
    pub workers: usize,
    /// Extra arguments for `serve`.
    pub extra: Vec<String>,
}

/// A running service.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

/// The clock offset that makes the service's "now" the fixtures' `NOW`.
pub fn offset_to(now: u64) -> i64 {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(now).unwrap() - i64::try_from(real).unwrap()
}

impl Spec {
    /// A spec on the embedded database in a fresh directory.
    pub fn redb(tag: &str) -> Self {
        let dir = temp_dir(tag);
        Self {
            backend: Backend::Redb(dir.join("broker.redb")),
            dir,
            workers: 4,
            extra: Vec::new(),
        }
    }

    /// A spec on a fresh PostgreSQL schema, or `None` without
    /// `PAYWORD_TEST_POSTGRES`.
    pub fn pg(tag: &str) -> Option<Self> {
        let base = pg_base()?;
        Some(Self {
            dir: temp_dir(tag),
            backend: Backend::Pg(pg_schema(&base, tag)),
            workers: 4,
            extra: Vec::new(),
        })
    }

    /// Starts the service with the fixtures' key, id and grace, its clock at
    /// `now`, and waits (at most 30 s) until it answers.
    pub fn start(&self, now: u64) -> Service {
        let key = self.dir.join("broker.key");
        if !key.exists() {
            std::fs::write(&key, hex::encode(BROKER_SEED)).unwrap();
        }
        let token = self.dir.join("operator.token");
        if !token.exists() {
            std::fs::write(&token, TOKEN).unwrap();
        }
        let name = unique("svc");
        let ready = self.dir.join(format!("{name}.addr"));
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_payword-broker"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--key-file")
            .arg(&key)
            .arg("--operator-token-file")
            .arg(&token)
            .args(["--broker-id", &hex::encode(BROKER_ID)])
            .args(["--grace", &GRACE.to_string()])
            .args(["--workers", &self.workers.to_string()])
            .arg(format!("--clock-offset={}", offset_to(now)))
            .arg("--ready-file")
            .arg(&ready)
            .args(&self.extra)
            .env_remove("PAYWORD_OPERATOR_TOKEN")
            .env_remove("PAYWORD_BROKER_POSTGRES")
            .stdout(Stdio::null())
            .stderr(log);
        match &self.backend {
            Backend::Redb(path) => cmd.arg("--db").arg(path),
            Backend::Pg(conn) => cmd.args(["--postgres", conn]),
        };
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        let addr = loop {
            if let Ok(s) = std::fs::read_to_string(&ready) {
                break s.trim().to_owned();
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "service exited before it was ready ({status}); log: {}",
                    self.dir.display()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "service not ready in 30 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        Service {
            child,
            url: format!("http://{addr}"),
        }
    }
}

impl Service {
    /// A client of it.
    pub fn client(&self) -> Client {
        Client::with_timeout(&self.url, Duration::from_secs(20))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reap it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (graceful shutdown); waits at most 30 s; returns whether it
    /// exited successfully.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.success();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        false
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// Removes a test directory (best effort).
pub fn cleanup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// A small seeded PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self((seed ^ 0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = usize::try_from(self.below(i as u64 + 1)).unwrap();
            v.swap(i, j);
        }
    }
}
