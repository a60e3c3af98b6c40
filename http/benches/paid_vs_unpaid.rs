//! Paid requests per second as a ratio to unpaid ones, in one run, over
//! loopback.
//!
//! One axum server (2 runtime threads) serves `GET /free` (not priced) and
//! `GET /paid` (1 unit) behind the paywall; one [`PayingClient`] sends
//! requests one at a time on one kept-alive connection. The unpaid
//! baseline is the same client on the free route (its price known: no
//! header, no payword). Blocks of 100 free and 100 paid requests
//! alternate, so that load from elsewhere on a shared machine hits both
//! alike; the ratio is the time all unpaid requests took over the time all
//! paid ones took.
//!
//! Rows:
//! - sessions in memory, the wallet in memory (goal ≥ 0.9);
//! - sessions in [`LogSessions`] (a record appended per payment) and the
//!   wallet saved ahead in a file ([`FileWallet`], 64 ahead) (goal ≥ 0.7);
//! - for information: sessions in the core's `FileSessions` (a file
//!   written and renamed per payment; a quarter of the requests), and
//!   `LogSessions` and the wallet durable (`fdatasync` per payment, `fsync`
//!   per wallet save; a tenth of the requests).
//!
//! Files go to the system's temporary directory, or `PAYWORD_BENCH_DIR`.
//! Run: `cargo bench -p payword-http` (`PAYWORD_BENCH_REQUESTS` sets the
//! requests of each kind, default 10,000; `PAYWORD_BENCH_VERBOSE` prints
//! the running ratio).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::serve::ListenerExt as _;
use axum::{Router, routing::get};
use ed25519_dalek::SigningKey;
use payword::offer::AcceptedBroker;
use payword::sessions::{FileSessions, SessionPersistence};
use payword::{
    BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner, VendorId, WalletStore,
};
use payword_http::{
    FileWallet, LogSessions, PayingClient, Paywall, PaywallLayer, PriceTable, Terms,
};

/// Requests of one kind in a row before the other kind's turn.
const BLOCK: usize = 100;

struct Setup {
    broker: SigningKey,
    broker_id: BrokerId,
    customer: SigningKey,
    certificate: Certificate,
}

fn setup() -> Setup {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let broker = SigningKey::from_bytes(&[1; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let certificate = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit: u64::MAX / 2,
            valid_from: now - 60,
            expires: now + 86_400,
        },
        &broker,
    )
    .unwrap();
    Setup {
        broker,
        broker_id,
        customer,
        certificate,
    }
}

fn terms(s: &Setup) -> Terms {
    Terms::new(
        VendorId::from_bytes([6; 32]),
        AcceptedBroker {
            id: s.broker_id,
            key: s.broker.public_key(),
        },
    )
}

/// Serves the two routes; returns the base URL and what keeps it running.
fn serve<P: SessionPersistence + 'static>(
    paywall: Paywall<P>,
) -> (String, tokio::runtime::Runtime) {
    let app = Router::new()
        .route("/free", get(|| async { "hello" }))
        .route("/paid", get(|| async { "hello" }))
        .layer(PaywallLayer::new(
            Arc::new(paywall),
            PriceTable::new().route("/paid", 1),
        ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, runtime)
}

/// Seconds `n` GETs of `url` take.
fn time<S: WalletStore>(client: &mut PayingClient<S>, url: &str, n: usize) -> f64
where
    S::Error: std::fmt::Debug + std::fmt::Display,
{
    let start = Instant::now();
    for _ in 0..n {
        let mut r = client.get(url).unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.body_mut().read_to_vec().unwrap();
    }
    start.elapsed().as_secs_f64()
}

/// One row: (unpaid/s, paid/s, ratio), over `n` requests of each kind in
/// alternating blocks of [`BLOCK`].
fn row<P, S>(s: &Setup, paywall: Paywall<P>, store: S, n: usize) -> (f64, f64, f64)
where
    P: SessionPersistence + 'static,
    S: WalletStore,
    S::Error: std::fmt::Debug + std::fmt::Display,
{
    let (url, runtime) = serve(paywall);
    let chain = u32::try_from(n + 2 * BLOCK).unwrap();
    let mut client = PayingClient::new(s.certificate, s.customer.clone(), store, 10)
        .with_chain_length(chain)
        .with_save_ahead(64);
    let (free, paid) = (format!("{url}/free"), format!("{url}/paid"));
    // Warm up: the connection, the offer, the commitment, the caches.
    time(&mut client, &free, BLOCK);
    time(&mut client, &paid, BLOCK);
    let (mut unpaid_s, mut paid_s) = (0.0, 0.0);
    let rounds = n.div_ceil(BLOCK);
    for round in 0..rounds {
        let f = time(&mut client, &free, BLOCK);
        let p = time(&mut client, &paid, BLOCK);
        unpaid_s += f;
        paid_s += p;
        if std::env::var_os("PAYWORD_BENCH_VERBOSE").is_some() && round % 10 == 9 {
            println!(
                "  rounds to {}: ratio so far {:.3}",
                round + 1,
                unpaid_s / paid_s
            );
        }
    }
    assert_eq!(client.stats().commitments, 1);
    drop(client);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let count = (rounds * BLOCK) as f64;
    (count / unpaid_s, count / paid_s, unpaid_s / paid_s)
}

fn temp(tag: &str) -> PathBuf {
    let base = std::env::var_os("PAYWORD_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!("payword-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Microseconds one save of a 700-byte session record takes.
fn save_cost<P: SessionPersistence>(mut p: P, n: usize) -> f64 {
    let key = payword::Digest::from_bytes([9; 32]);
    let record = [7u8; 700];
    let start = Instant::now();
    for _ in 0..n {
        p.save(&key, &record).unwrap();
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let n: usize = std::env::var("PAYWORD_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let s = setup();
    let dir = temp("saves");
    println!(
        "one session save alone (700 bytes): FileSessions {:.1} µs, LogSessions {:.1} µs; durable: FileSessions {:.1} µs, LogSessions {:.1} µs",
        save_cost(FileSessions::new(dir.join("f")).unwrap(), 2_000),
        save_cost(LogSessions::new(dir.join("l")).unwrap(), 20_000),
        save_cost(FileSessions::new(dir.join("fd")).unwrap().durable(), 200),
        save_cost(LogSessions::new(dir.join("ld")).unwrap().durable(), 200),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let vendor = || SigningKey::from_bytes(&[5; 32]);
    println!(
        "paid vs unpaid requests over loopback, one client: {n} of each, alternating blocks of {BLOCK}"
    );
    println!(
        "{:<58} {:>10} {:>10} {:>7} {:>6}",
        "setup", "unpaid/s", "paid/s", "ratio", "goal"
    );
    let print = |name: &str, (f, p, r): (f64, f64, f64), goal: Option<f64>| {
        let goal = goal.map_or("-".to_owned(), |g| {
            format!("{}{g}", if r >= g { "≥" } else { "<" })
        });
        println!("{name:<58} {f:>10.0} {p:>10.0} {r:>7.3} {goal:>6}");
    };

    let memory = Paywall::new(vendor(), terms(&s));
    let in_memory = row(
        &s,
        memory,
        |_: &[u8], _: u64| Ok::<(), std::io::Error>(()),
        n,
    );
    print("sessions in memory, wallet in memory", in_memory, Some(0.9));

    let dir = temp("log");
    let (logs, _) = Paywall::with_persistence(
        vendor(),
        terms(&s),
        LogSessions::new(dir.join("s")).unwrap(),
    )
    .unwrap();
    let persisted = row(&s, logs, FileWallet::new(dir.join("wallet")), n);
    print(
        "sessions in LogSessions, wallet saved 64 ahead in a file",
        persisted,
        Some(0.7),
    );
    let _ = std::fs::remove_dir_all(&dir);

    let dir = temp("files");
    let (files, _) = Paywall::with_persistence(
        vendor(),
        terms(&s),
        FileSessions::new(dir.join("s")).unwrap(),
    )
    .unwrap();
    let replaced = row(
        &s,
        files,
        FileWallet::new(dir.join("wallet")),
        (n / 4).max(20),
    );
    print(
        "sessions in FileSessions, wallet saved 64 ahead in a file",
        replaced,
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);

    let dir = temp("durable");
    let durable_logs = LogSessions::new(dir.join("s")).unwrap().durable();
    let (durable, _) = Paywall::with_persistence(vendor(), terms(&s), durable_logs).unwrap();
    let synced = row(
        &s,
        durable,
        FileWallet::new(dir.join("wallet")).durable(),
        (n / 10).max(20),
    );
    print(
        "durable: LogSessions and wallet, fdatasync/fsync",
        synced,
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
