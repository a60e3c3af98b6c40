//! Claims redeemed per second, side by side in one run:
//!
//! - in process, one thread, no HTTP: the broker on `MemoryStore`, on
//!   `RedbStore` (a durable commit per claim) and on `PgStore`;
//! - through the service (`payword-broker serve` child processes on
//!   loopback, 8 client threads): the embedded database, PostgreSQL with 1
//!   and with 4 broker processes;
//! - the latency of one redemption through the service, one client at a
//!   time (p50, p99).
//!
//! Every claim is a distinct plain commitment (64 certificates, 16
//! vendors), so claims do not contend on one account more than real traffic
//! would. PostgreSQL rows need `PAYWORD_TEST_POSTGRES` (a connection
//! string; each run uses a fresh schema).
//!
//! Run: `cargo bench -p payword-broker --bench throughput`
//! (`PAYWORD_BENCH_CLAIMS` sets the claims per row, default 2000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use payword::store::{MemoryStore, Store};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner, Payment, PaymentBody,
    RedemptionClaim, Sha256, StoreAll, Traversal, VendorId,
};
use payword_broker::client::Client;
use payword_broker::{PgStore, RedbStore};

const NOW: u64 = 1_000_000;
const CERTIFICATES: usize = 64;
const VENDORS: usize = 16;
const CLIENTS: usize = 8;

fn vendor(i: usize) -> VendorId {
    let mut id = [0x70; 32];
    id[0] = u8::try_from(i % VENDORS).unwrap();
    VendorId::from_bytes(id)
}

/// `count` distinct plain claims, 8 units each, and the vendor of each.
fn claims(count: usize) -> Vec<(VendorId, RedemptionClaim)> {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let certs: Vec<Certificate> = (0..CERTIFICATES)
        .map(|i| {
            Certificate::issue(
                CertificateFields {
                    broker: BrokerId::from_bytes([3; 32]),
                    serial: i as u64,
                    customer: CustomerId::from_bytes([4; 16]),
                    customer_key: customer.public_key(),
                    credit_limit: u64::MAX / 2,
                    valid_from: NOW - 1000,
                    expires: NOW + 1_000_000,
                },
                &broker,
            )
            .unwrap()
        })
        .collect();
    (0..count)
        .map(|i| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(id), 16).unwrap();
            let mut wallet =
                StoreAll::<Sha256>::new(&ChainSeed::from_bytes([9; 32]), params).unwrap();
            let cert = certs[i % CERTIFICATES];
            let v = vendor(i);
            let commitment = Commitment::sign(
                CommitmentFields {
                    certificate: cert.digest(),
                    vendor: v,
                    unit_value: 1,
                    valid_from: NOW - 100,
                    expires: NOW + 100_000,
                    chain: CommittedChain::Single {
                        params,
                        anchor: wallet.anchor(),
                    },
                    renewal: None,
                },
                &customer,
            )
            .unwrap();
            let top = wallet.advance(8).unwrap();
            let claim = RedemptionClaim {
                certificate: cert,
                commitment,
                payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
            };
            (v, claim)
        })
        .collect()
}

fn broker<S: Store>(store: S) -> Broker<S> {
    Broker::new(
        BrokerId::from_bytes([3; 32]),
        SigningKey::from_bytes(&[1; 32]).public_key(),
        store,
        60,
    )
}

/// Claims per second redeeming `claims` in process, one thread.
fn in_process<S: Store>(store: S, claims: &[(VendorId, RedemptionClaim)]) -> f64 {
    let mut b = broker(store);
    let start = Instant::now();
    for (v, c) in claims {
        assert_eq!(b.redeem(c, v, NOW).unwrap().owed, 8);
    }
    claims.len() as f64 / start.elapsed().as_secs_f64()
}

fn unique(tag: &str) -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{tag}_{}_{t}", std::process::id())
}

fn pg_schema(base: &str) -> String {
    let schema = unique("bench");
    let mut admin = postgres::Client::connect(base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    format!("{base} options='-c search_path={schema}'")
}

struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, store: &[&str]) -> Service {
    let key = dir.join("broker.key");
    if !key.exists() {
        std::fs::write(&key, hex::encode([1u8; 32])).unwrap();
        std::fs::write(dir.join("token"), "bench-operator-token-0123456789").unwrap();
    }
    let ready = dir.join(format!("{}.addr", unique("svc")));
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut child = Command::new(env!("CARGO_BIN_EXE_payword-broker"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--workers", "4"])
        .arg("--key-file")
        .arg(&key)
        .arg("--operator-token-file")
        .arg(dir.join("token"))
        .args(["--broker-id", &hex::encode([3u8; 32])])
        .arg(format!("--clock-offset={}", NOW as i64 - real as i64))
        .arg("--ready-file")
        .arg(&ready)
        .args(store)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let begin = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(&ready) {
            return Service {
                child,
                url: format!("http://{}", addr.trim()),
            };
        }
        assert!(child.try_wait().unwrap().is_none(), "service exited");
        assert!(begin.elapsed() < Duration::from_secs(30), "not ready");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Claims per second through `services` with `CLIENTS` client threads
/// spread over them.
fn through(services: &[Service], claims: &Arc<Vec<(VendorId, RedemptionClaim)>>) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let urls: Vec<String> = services.iter().map(|s| s.url.clone()).collect();
    let start = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (claims, next) = (Arc::clone(claims), Arc::clone(&next));
            let client = Client::new(&urls[t % urls.len()]);
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((v, c)) = claims.get(i) else { break };
                    // Contention between processes: retry (bounded).
                    let mut tries = 0;
                    loop {
                        match client.redeem(v, c) {
                            Ok(r) => {
                                assert_eq!(r.owed, 8);
                                break;
                            }
                            Err(e) if e.is_retryable() && tries < 20 => tries += 1,
                            Err(e) => panic!("claim {i}: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    claims.len() as f64 / start.elapsed().as_secs_f64()
}

/// p50 and p99 of one redemption, one client at a time, in microseconds.
fn latency(service: &Service, claims: &[(VendorId, RedemptionClaim)]) -> (u128, u128) {
    let client = Client::new(&service.url);
    let mut micros: Vec<u128> = claims
        .iter()
        .map(|(v, c)| {
            let t = Instant::now();
            assert_eq!(client.redeem(v, c).unwrap().owed, 8);
            t.elapsed().as_micros()
        })
        .collect();
    micros.sort_unstable();
    let at = |q: usize| micros[(micros.len() * q / 100).min(micros.len() - 1)];
    (at(50), at(99))
}

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("payword-bench"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // of ours: run a tiny round then, to check the bench works.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("PAYWORD_BENCH_CLAIMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 40 } else { 2000 });
    let pg = std::env::var("PAYWORD_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty());
    eprintln!("generating {} claims ...", 5 * n);
    let all = claims(5 * n);
    let mut rows: Vec<(String, f64)> = Vec::new();

    let mem = in_process(MemoryStore::new(), &all[..n]);
    rows.push(("in process, MemoryStore".into(), mem));
    let dir = fresh_dir();
    let redb = in_process(RedbStore::open(dir.join("inproc.redb")).unwrap(), &all[..n]);
    rows.push(("in process, RedbStore".into(), redb));
    if let Some(base) = &pg {
        let store = PgStore::connect(&pg_schema(base)).unwrap();
        rows.push(("in process, PgStore".into(), in_process(store, &all[..n])));
    }

    let chunk = |k: usize| Arc::new(all[k * n..(k + 1) * n].to_vec());
    let db = dir.join("service.redb");
    let svc = start(&dir, &["--db", db.to_str().unwrap()]);
    rows.push((
        "service, embedded database (redb), 1 process".into(),
        through(std::slice::from_ref(&svc), &chunk(1)),
    ));
    let lat = latency(&svc, &all[2 * n..2 * n + n.min(500)]);
    drop(svc);
    let mut pg_lat = None;
    if let Some(base) = &pg {
        let conn = pg_schema(base);
        let one = start(&dir, &["--postgres", &conn]);
        rows.push((
            "service, PostgreSQL, 1 process".into(),
            through(std::slice::from_ref(&one), &chunk(3)),
        ));
        pg_lat = Some(latency(
            &one,
            &all[2 * n + n.min(500)..2 * n + 2 * n.min(500)],
        ));
        let four: Vec<Service> = (0..3)
            .map(|_| start(&dir, &["--postgres", &conn]))
            .chain(std::iter::once(one))
            .collect();
        rows.push((
            "service, PostgreSQL, 4 processes".into(),
            through(&four, &chunk(4)),
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!("\n| store | claims/s | vs MemoryStore |");
    println!("|---|---:|---:|");
    for (name, rate) in &rows {
        println!("| {name} | {rate:.0} | {:.3}× |", rate / mem);
    }
    println!(
        "\nlatency of one redemption through the service (1 client, {} claims): embedded p50 {} µs, p99 {} µs",
        n.min(500),
        lat.0,
        lat.1
    );
    if let Some((p50, p99)) = pg_lat {
        println!("  PostgreSQL p50 {p50} µs, p99 {p99} µs");
    }
    if pg.is_none() {
        println!("(PostgreSQL rows skipped: PAYWORD_TEST_POSTGRES not set)");
    }
}
