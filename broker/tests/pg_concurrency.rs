//! Four broker processes over one PostgreSQL schema race on the same
//! claims of one certificate (with `PAYWORD_TEST_POSTGRES`): everything is
//! credited exactly once, the credit limit holds, and a reservation made
//! before the race is honoured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use payword::{Encode, MessageSigner};
use payword_broker::api::{Hex, Redeemed, ReserveRequest, ReserveTarget};
use payword_broker::client::{Client, ClientError};
use support::{Rng, Service, Spec};

/// Broker processes.
const PROCS: usize = 4;
/// Groups of client threads; each group has one thread per process, all
/// sending the same claims in the same order.
const GROUPS: usize = 3;
/// The certificate's credit limit.
const LIMIT: u64 = 600;
/// Credit reserved for one commitment before the race.
const RESERVED: u64 = 200;
/// How long one claim is retried.
const CLAIM_DEADLINE: Duration = Duration::from_secs(60);

struct Claim {
    commitment: usize,
    bytes: Vec<u8>,
    value: u64,
}

#[derive(Default)]
struct Counters {
    attempts: AtomicU64,
    transport: AtomicU64,
    unavailable: AtomicU64,
    timeouts: AtomicU64,
}

/// Sends `bytes` until acknowledged (retrying transport errors, 503 and
/// 408); an answer no retry helps is an `Err`.
fn submit(
    client: &Client,
    vendor: &payword::VendorId,
    bytes: &[u8],
    c: &Counters,
) -> Result<Redeemed, String> {
    let start = Instant::now();
    loop {
        c.attempts.fetch_add(1, Ordering::Relaxed);
        match client.redeem_bytes(vendor, bytes) {
            Ok(r) => return Ok(r),
            Err(e) if e.is_retryable() && start.elapsed() < CLAIM_DEADLINE => {
                match e {
                    ClientError::Transport(_) => &c.transport,
                    ClientError::Status { status: 408, .. } => &c.timeouts,
                    _ => &c.unavailable,
                }
                .fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(
                    2 + c.attempts.load(Ordering::Relaxed) % 7,
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[test]
fn four_processes_race_on_one_certificate() {
    let Some(spec) = Spec::pg("race") else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL concurrency test not run");
        return;
    };
    let started = Instant::now();
    let seed = std::env::var("PAYWORD_RACE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("seed {seed} (PAYWORD_RACE_SEED)");
    let mut rng = Rng::new(seed);

    // The four processes start at once: their schema setup races too.
    let services: Vec<Service> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PROCS).map(|_| s.spawn(|| spec.start(NOW))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let clients: Vec<Client> = services.iter().map(Service::client).collect();

    // One certificate; six plain commitments worth 1200 in all, each
    // redeemed progressively at ten indexes.
    let w = world(LIMIT);
    let mut claims = Vec::new();
    let mut commitments = Vec::new();
    for j in 0..6u8 {
        let unit = u64::from(j % 3) + 1;
        for k in (10..=100u32).step_by(10) {
            let c = plain(&w, 30 + j, unit, k);
            if k == 100 {
                commitments.push(c.commitment);
            }
            claims.push(Claim {
                commitment: usize::from(j),
                bytes: c.to_bytes(),
                value: Op::Plain(c).value(),
            });
        }
    }
    let mut best = vec![0u64; commitments.len()];
    for c in &claims {
        best[c.commitment] = best[c.commitment].max(c.value);
    }
    let worth: u64 = best.iter().sum();
    assert!(worth > LIMIT);
    let expected = worth.min(LIMIT);

    // Part of the credit held for commitment 2 (worth 300) before the race.
    let held = 2;
    assert!(best[held] >= RESERVED);
    clients[0]
        .reserve(&ReserveRequest {
            certificate: Hex(w.cert.to_bytes()),
            target: ReserveTarget::Commitment {
                commitment: Hex(commitments[held].to_bytes()),
            },
            amount: RESERVED,
            expires: NOW + 5000,
        })
        .unwrap();
    assert_eq!(
        clients[1].balance(&w.cert.digest()).unwrap().reserved,
        RESERVED
    );

    // The race: every group sends every claim twice, in one shuffled order,
    // each of its threads to another process.
    let mut orders = Vec::new();
    for _ in 0..GROUPS {
        let mut order: Vec<usize> = (0..claims.len()).chain(0..claims.len()).collect();
        rng.shuffle(&mut order);
        orders.push(order);
    }
    let counters = Counters::default();
    let barrier = Barrier::new(GROUPS * PROCS);
    let acks: Mutex<Vec<(usize, usize, Redeemed)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for order in &orders {
            for (p, client) in clients.iter().enumerate() {
                let (claims, counters, barrier, acks, errors) =
                    (&claims, &counters, &barrier, &acks, &errors);
                s.spawn(move || {
                    barrier.wait();
                    for &i in order {
                        match submit(client, &w.vendor, &claims[i].bytes, counters) {
                            Ok(r) => acks.lock().unwrap().push((p, i, r)),
                            Err(e) => errors.lock().unwrap().push(format!("process {p}: {e}")),
                        }
                    }
                });
            }
        }
    });
    let race = started.elapsed();
    let acks = acks.into_inner().unwrap();
    let errors = errors.into_inner().unwrap();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(acks.len(), 2 * GROUPS * PROCS * claims.len());

    // Credited exactly once, within the limit.
    let b = clients[3].balance(&w.cert.digest()).unwrap();
    let acked: u64 = acks.iter().map(|(_, _, r)| r.owed).sum();
    let mut per_process = [0usize; PROCS];
    let mut owed_per_process = [0u64; PROCS];
    for (p, _, r) in &acks {
        per_process[*p] += 1;
        owed_per_process[*p] += r.owed;
    }
    eprintln!(
        "{} claims x {} sends over {PROCS} processes: acknowledged {} (per process {per_process:?}, \
         owed per process {owed_per_process:?}), {} HTTP attempts (retried: {} transport, {} x 503, \
         {} x 408); credited {} (expected {expected}, limit {LIMIT}), acknowledged owed {acked}, \
         reserved left {}; {race:.1?}",
        claims.len(),
        2 * GROUPS * PROCS,
        acks.len(),
        counters.attempts.load(Ordering::Relaxed),
        counters.transport.load(Ordering::Relaxed),
        counters.unavailable.load(Ordering::Relaxed),
        counters.timeouts.load(Ordering::Relaxed),
        b.credited,
        b.reserved,
    );
    assert_eq!(b.credited, expected, "credited once, up to the limit");
    assert!(b.credited + b.reserved <= LIMIT, "{b:?}");
    // Every credit was announced by exactly one acknowledgement (no call
    // timed out, so no answer was lost).
    if counters.transport.load(Ordering::Relaxed) + counters.timeouts.load(Ordering::Relaxed) == 0 {
        assert_eq!(acked, b.credited, "acknowledged owed vs credited");
    } else {
        assert!(acked <= b.credited, "acknowledged owed {acked} > credited");
    }
    // Every process answered claims, and sees the same vendor balance.
    assert!(per_process.iter().all(|n| *n > 0), "{per_process:?}");
    for c in &clients {
        assert_eq!(c.owed(&w.vendor).unwrap(), b.credited);
    }
    // The reservation was honoured.
    let d = clients[2].debt(&commitments[held].digest()).unwrap();
    assert!(d.credited >= RESERVED.min(best[held]), "{d:?}");
    // Each debt has its highest paywords and no more credit than they are
    // worth; together they make up the certificate's credit.
    let mut sum = 0;
    for (j, c) in commitments.iter().enumerate() {
        let d = clients[j % PROCS].debt(&c.digest()).unwrap();
        assert_eq!(d.units, 100);
        assert!(d.credited <= best[j], "{d:?}");
        sum += d.credited;
    }
    assert_eq!(sum, b.credited);
    // Past the limit: an overspend proof that verifies.
    let proof = clients[1]
        .fraud_proof(&w.cert)
        .unwrap()
        .expect("a fraud proof");
    let proof = payword::fraud::FraudProof::decode(&proof).unwrap();
    assert!(proof.verify(&w.broker.public_key(), 1 << 20).is_ok());
    assert!(acks.iter().any(|(_, _, r)| r.over_limit));
    support::cleanup(&spec.dir);
}
