//! Crash safety of the broker service: clients redeem claims (duplicated,
//! shuffled, from several threads) while the service is SIGKILLed at random
//! moments and restarted on the same store. At the end nothing acknowledged
//! is lost and nothing is credited twice.
//!
//! - `crash_safety_on_redb`: one process over the embedded database.
//! - `crash_safety_on_postgres` (with `PAYWORD_TEST_POSTGRES`): two
//!   processes over one schema, killed one or both at a time, and
//!   PostgreSQL itself restarted once mid-run by the shell command in
//!   `PAYWORD_TEST_PG_RESTART` (skipped, and said so, without it).
//!
//! `PAYWORD_CRASH_KILLS` sets how many processes are killed per run (the
//! default keeps a debug run short); `PAYWORD_CRASH_SEED` replays a
//! workload order and kill schedule (timing still varies). The full run:
//!
//! ```text
//! PAYWORD_CRASH_KILLS=50 cargo test -p payword-broker --release --test crash -- --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use ed25519_dalek::SigningKey;
use payword::{
    BrokerId, Certificate, CertificateFields, CustomerId, Digest, Encode, MessageSigner, VendorId,
};
use payword_broker::api::Redeemed;
use payword_broker::client::{Client, ClientError};
use support::{BROKER_ID, BROKER_SEED, Rng, Service, Spec};

/// Processes killed per run unless `PAYWORD_CRASH_KILLS` says otherwise.
const DEFAULT_KILLS: usize = 50;
/// Client threads.
const CLIENTS: usize = 6;
/// How long one claim is retried before the client gives up on it.
const CLAIM_DEADLINE: Duration = Duration::from_secs(60);
/// How long a whole run may take before the test fails.
const RUN_DEADLINE: Duration = Duration::from_secs(900);
/// Length of a cascade's chains (the fixtures' `cascade`).
const CASCADE_CHAIN: u64 = 10;
/// Timeout of one HTTP call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The runs share the machine's cores: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// One distinct claim of the workload.
struct Claim {
    /// Index of its certificate in [`Workload::certs`].
    cert: usize,
    /// Its debt (claims of one debt at different paywords share it).
    debt: usize,
    kind: &'static str,
    bytes: Vec<u8>,
    /// Units its debt records once it is redeemed (for a cascade: of the
    /// first generation, the debt under the commitment's key).
    units: u64,
    /// What its paywords are worth (before the credit limit).
    value: u64,
}

struct Workload {
    certs: Vec<Certificate>,
    claims: Vec<Claim>,
    debts: usize,
    vendor: VendorId,
}

fn op_bytes(op: &Op) -> (&'static str, Vec<u8>) {
    match op {
        Op::Plain(c) => ("plain", c.to_bytes()),
        Op::Cascade(c) => ("cascade", c.to_bytes()),
        Op::Leaf(c) => ("leaf", c.to_bytes()),
        Op::Grant(c) => ("grant", c.to_bytes()),
        Op::Device(c) => ("device", c.to_bytes()),
    }
}

/// Four certificates (two of them with a limit below what their paywords
/// are worth), four plain commitments each redeemed progressively at 50
/// payword indexes, and on the first certificate a tree leaf, a grant, a
/// device and a renewal cascade, each at several indexes.
fn workload() -> Workload {
    let limits: [u64; 4] = [10_000, 300, 700, 5_000];
    let vendor = VendorId::from_bytes([5; 32]);
    let mut certs = Vec::new();
    let mut claims = Vec::new();
    let mut debts = 0;
    let add = |claims: &mut Vec<Claim>, cert: usize, debt: usize, op: Op, units: u64| {
        let (kind, bytes) = op_bytes(&op);
        claims.push(Claim {
            cert,
            debt,
            kind,
            bytes,
            units,
            value: op.value(),
        });
    };
    for (i, &limit) in limits.iter().enumerate() {
        let n = u8::try_from(i).unwrap();
        let customer = SigningKey::from_bytes(&[20 + n; 32]);
        let broker = SigningKey::from_bytes(&BROKER_SEED);
        let cert = Certificate::issue(
            CertificateFields {
                broker: BrokerId::from_bytes(BROKER_ID),
                serial: 100 + u64::from(n),
                customer: CustomerId::from_bytes([40 + n; 16]),
                customer_key: customer.public_key(),
                credit_limit: limit,
                valid_from: NOW - 1000,
                expires: NOW + 100_000,
            },
            &broker,
        )
        .unwrap();
        let w = World {
            broker,
            customer,
            broker_id: BrokerId::from_bytes(BROKER_ID),
            vendor,
            cert,
        };
        for j in 0..4u8 {
            let byte = 10 + 10 * n + j;
            for k in (2..=100u32).step_by(2) {
                add(
                    &mut claims,
                    i,
                    debts,
                    Op::Plain(plain(&w, byte, u64::from(j) + 1, k)),
                    k.into(),
                );
            }
            debts += 1;
        }
        if i == 0 {
            for k in (10..=100u32).step_by(10) {
                add(
                    &mut claims,
                    i,
                    debts,
                    Op::Leaf(leaf(&w, 90, 60, k)),
                    k.into(),
                );
                add(
                    &mut claims,
                    i,
                    debts + 1,
                    Op::Grant(grant(&w, 91, k)),
                    k.into(),
                );
                add(
                    &mut claims,
                    i,
                    debts + 2,
                    Op::Device(device(&w, 92, 70, 80, k)),
                    k.into(),
                );
            }
            debts += 3;
            for p in [4u32, 9, 16, 23, 31] {
                let first = u64::from(p).min(CASCADE_CHAIN);
                add(
                    &mut claims,
                    i,
                    debts,
                    Op::Cascade(cascade(&w, 93, 2, p)),
                    first,
                );
            }
            debts += 1;
        }
        certs.push(cert);
    }
    Workload {
        certs,
        claims,
        debts,
        vendor,
    }
}

/// What the credit under each certificate must be once every claim was
/// redeemed: its limit, or what the highest paywords of its debts are worth.
fn expected_credit(w: &Workload) -> Vec<u64> {
    let mut best = vec![0u64; w.debts];
    let mut cert_of = vec![0usize; w.debts];
    for c in &w.claims {
        best[c.debt] = best[c.debt].max(c.value);
        cert_of[c.debt] = c.cert;
    }
    let mut sums = vec![0u64; w.certs.len()];
    for (d, v) in best.iter().enumerate() {
        sums[cert_of[d]] += v;
    }
    // The limit binds on two of them.
    assert!(sums[1] > w.certs[1].fields().credit_limit);
    assert!(sums[2] > w.certs[2].fields().credit_limit);
    sums.iter()
        .zip(&w.certs)
        .map(|(s, c)| (*s).min(c.fields().credit_limit))
        .collect()
}

/// One acknowledgement.
#[derive(Clone, Debug)]
struct Ack {
    claim: usize,
    answer: Redeemed,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    attempts: AtomicU64,
    transport: AtomicU64,
    unavailable: AtomicU64,
    timeouts: AtomicU64,
    acked: AtomicU64,
    gave_up: AtomicU64,
}

/// Shared by the client threads and the killer.
struct Shared {
    urls: Vec<RwLock<String>>,
    stop: AtomicBool,
    /// Processes the killer is to kill.
    kills: u64,
    /// The killer's mean time per kill so far, in microseconds: the client
    /// threads spread their first pass over the kills.
    kill_micros: AtomicU64,
    counters: Counters,
    /// Answers that are neither an acknowledgement nor retryable.
    unexpected: Mutex<Vec<String>>,
    started: Instant,
}

/// Submits `bytes` to process `proc` until acknowledged, retrying on
/// transport errors, 503 and 408 against whatever URL the process has now;
/// `None` after [`CLAIM_DEADLINE`] or an answer that is no retry's business
/// (recorded in `unexpected`).
fn submit(
    shared: &Shared,
    clients: &mut HashMap<String, Client>,
    vendor: &VendorId,
    proc: usize,
    bytes: &[u8],
    rng: &mut Rng,
) -> Option<Redeemed> {
    let c = &shared.counters;
    c.submitted.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    while start.elapsed() < CLAIM_DEADLINE {
        let url = shared.urls[proc].read().unwrap().clone();
        let client = clients
            .entry(url.clone())
            .or_insert_with(|| Client::with_timeout(&url, CALL_TIMEOUT));
        c.attempts.fetch_add(1, Ordering::Relaxed);
        match client.redeem_bytes(vendor, bytes) {
            Ok(r) => {
                c.acked.fetch_add(1, Ordering::Relaxed);
                return Some(r);
            }
            Err(e) if e.is_retryable() => {
                let counter = match e {
                    ClientError::Transport(_) => &c.transport,
                    ClientError::Status { status: 408, .. } => &c.timeouts,
                    _ => &c.unavailable,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(rng.range(5, 30)));
            }
            Err(e) => {
                shared
                    .unexpected
                    .lock()
                    .unwrap()
                    .push(format!("process {proc}: {e}"));
                return None;
            }
        }
    }
    c.gave_up.fetch_add(1, Ordering::Relaxed);
    None
}

/// A client thread: redeems its share of the claims (each one or more
/// times, in a shuffled order) until told to stop, at least one pass.
fn client_thread(
    shared: &Shared,
    w: &Workload,
    mut queue: Vec<usize>,
    thread: usize,
    seed: u64,
) -> Vec<Ack> {
    let mut rng = Rng::new(seed);
    let mut clients = HashMap::new();
    let mut acks = Vec::new();
    let procs = shared.urls.len();
    let mut passes = 0;
    let first_pass = Instant::now();
    while passes == 0 || !shared.stop.load(Ordering::Relaxed) {
        assert!(
            shared.started.elapsed() < RUN_DEADLINE,
            "client thread {thread} still running after {RUN_DEADLINE:?}"
        );
        rng.shuffle(&mut queue);
        for (n, &i) in queue.iter().enumerate() {
            if passes > 0 && shared.stop.load(Ordering::Relaxed) {
                break;
            }
            if passes == 0 && !shared.stop.load(Ordering::Relaxed) {
                // Keep pace with the killer: claim n of the first pass
                // goes at n/len of the kills' expected duration.
                let whole = shared.kill_micros.load(Ordering::Relaxed) * shared.kills;
                let due = Duration::from_micros(whole * n as u64 / queue.len() as u64);
                if let Some(ahead) = due.checked_sub(first_pass.elapsed()) {
                    std::thread::sleep(ahead.min(Duration::from_millis(200)));
                }
            }
            let proc = (thread + n) % procs;
            if let Some(answer) = submit(
                shared,
                &mut clients,
                &w.vendor,
                proc,
                &w.claims[i].bytes,
                &mut rng,
            ) {
                acks.push(Ack { claim: i, answer });
            }
        }
        passes += 1;
    }
    acks
}

/// The processes of one run, restartable.
struct Cluster<'a> {
    spec: &'a Spec,
    services: Vec<Service>,
}

impl Cluster<'_> {
    fn restart(&mut self, shared: &Shared, which: &[usize]) {
        for &p in which {
            self.services[p].kill();
        }
        for &p in which {
            let s = self.spec.start(NOW);
            *shared.urls[p].write().unwrap() = s.url.clone();
            self.services[p] = s;
        }
    }
}

/// Waits (at most 60 s) until the database accepts connections again.
fn wait_for_postgres() {
    let base = support::pg_base().unwrap();
    let start = Instant::now();
    loop {
        if postgres::Client::connect(&base, postgres::NoTls).is_ok() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "PostgreSQL not back 60 s after its restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Restarts PostgreSQL with `cmd`, then checks that every broker process
/// survived and answers from the store again (its first calls after the
/// outage may fail with 503). Returns how many 503s that took.
fn restart_postgres(cmd: &str, shared: &Shared, vendor: &VendorId) -> u64 {
    let t = Instant::now();
    let status = std::process::Command::new("sh")
        .args(["-c", cmd])
        .status()
        .unwrap();
    assert!(status.success(), "`{cmd}` failed: {status}");
    wait_for_postgres();
    eprintln!("  PostgreSQL restarted in {:?}", t.elapsed());
    let mut unavailable = 0;
    for (p, url) in shared.urls.iter().enumerate() {
        let client = Client::with_timeout(&url.read().unwrap(), CALL_TIMEOUT);
        let start = Instant::now();
        loop {
            match client.owed(vendor) {
                Ok(_) => break,
                Err(e) if e.status() == Some(503) => unavailable += 1,
                Err(e) => panic!("broker process {p} after the PostgreSQL restart: {e}"),
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "broker process {p} still unavailable 30 s after the PostgreSQL restart"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    unavailable
}

/// Check (a): every acknowledged claim is still recorded, its debt's units
/// at least the claim's and at least what the acknowledgement said. Returns
/// the losses.
fn lost_acks(client: &Client, w: &Workload, acks: &[Ack]) -> usize {
    let mut losses = 0;
    let mut acked_units: HashMap<Vec<u8>, (u64, usize)> = HashMap::new();
    for a in acks {
        let c = &w.claims[a.claim];
        assert_eq!(a.answer.kind, c.kind, "{a:?}");
        // A cascade's units count every generation; the debt under its key
        // is the first generation's.
        let said = if c.kind == "cascade" {
            a.answer.units.min(CASCADE_CHAIN)
        } else {
            a.answer.units
        };
        let e = acked_units
            .entry(a.answer.key.0.clone())
            .or_insert((0, a.claim));
        if said.max(c.units) > e.0 {
            *e = (said.max(c.units), a.claim);
        }
    }
    for (key, (units, claim)) in &acked_units {
        let key = Digest::from_bytes(key.as_slice().try_into().unwrap());
        match client.debt(&key) {
            Ok(d) if d.units >= *units => {}
            Ok(d) => {
                losses += 1;
                eprintln!(
                    "  LOSS: claim {claim} acknowledged {units} units, the debt has {}",
                    d.units
                );
            }
            Err(e) => {
                losses += 1;
                eprintln!("  LOSS: claim {claim} acknowledged, its debt: {e}");
            }
        }
    }
    losses
}

/// What a run found.
#[derive(Debug, Default)]
struct Outcome {
    kills: usize,
    losses: usize,
    double_credits: usize,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

/// The harness: `procs` broker processes over `spec`'s store, [`CLIENTS`]
/// client threads spread over them, `kills` processes SIGKILLed at random
/// moments (one or several at a time) and restarted; PostgreSQL restarted
/// once halfway by `pg_restart`. Then a clean run re-submits every claim
/// until acknowledged, and the final state is checked.
fn crash_run(label: &str, spec: &Spec, procs: usize, kills: usize, pg_restart: Option<&str>) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seed = env_number("PAYWORD_CRASH_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("[{label}] seed {seed} (PAYWORD_CRASH_SEED), {kills} kills, {procs} processes");
    let started = Instant::now();
    let w = Arc::new(workload());
    let expected = expected_credit(&w);
    let mut rng = Rng::new(seed);

    let mut cluster = Cluster {
        spec,
        services: (0..procs).map(|_| spec.start(NOW)).collect(),
    };
    let shared = Arc::new(Shared {
        urls: cluster
            .services
            .iter()
            .map(|s| RwLock::new(s.url.clone()))
            .collect(),
        stop: AtomicBool::new(false),
        kills: kills as u64,
        kill_micros: AtomicU64::new(100_000),
        counters: Counters::default(),
        unexpected: Mutex::new(Vec::new()),
        started,
    });

    // Every claim twice, a third of them three times, shuffled, dealt out.
    let mut all: Vec<usize> = (0..w.claims.len()).chain(0..w.claims.len()).collect();
    all.extend((0..w.claims.len()).filter(|_| rng.below(3) == 0));
    rng.shuffle(&mut all);
    let mut queues = vec![Vec::new(); CLIENTS];
    for (n, i) in all.into_iter().enumerate() {
        queues[n % CLIENTS].push(i);
    }
    let handles: Vec<_> = queues
        .into_iter()
        .enumerate()
        .map(|(t, q)| {
            let (shared, w) = (Arc::clone(&shared), Arc::clone(&w));
            let s = rng.next();
            std::thread::spawn(move || client_thread(&shared, &w, q, t, s))
        })
        .collect();

    // The killer.
    let mut killed = 0;
    let mut kill_events = 0;
    let mut pg_restarts = 0;
    let mut pg_unavailable = 0;
    while killed < kills {
        assert!(
            started.elapsed() < RUN_DEADLINE,
            "[{label}] killer still running after {RUN_DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(rng.range(10, 150)));
        if let Some(cmd) = pg_restart
            && pg_restarts == 0
            && killed >= kills / 2
        {
            pg_unavailable = restart_postgres(cmd, &shared, &w.vendor);
            pg_restarts += 1;
            continue;
        }
        let which: Vec<usize> = if procs == 1 || rng.below(3) == 0 {
            (0..procs).collect()
        } else {
            vec![usize::try_from(rng.below(procs as u64)).unwrap()]
        };
        cluster.restart(&shared, &which);
        killed += which.len();
        kill_events += 1;
        let per_kill = started.elapsed().as_micros() / killed as u128;
        shared
            .kill_micros
            .store(u64::try_from(per_kill).unwrap(), Ordering::Relaxed);
    }
    let chaos = started.elapsed();
    shared.stop.store(true, Ordering::Relaxed);
    let mut acks: Vec<Ack> = Vec::new();
    for h in handles {
        acks.extend(h.join().unwrap());
    }
    let chaos_acks = acks.len();
    // Before anything is re-submitted: no acknowledged claim was lost.
    let mut chaos_losses = 0;
    for s in &cluster.services {
        chaos_losses += lost_acks(&s.client(), &w, &acks);
    }

    // The clean run: a vendor re-submitting every claim until acknowledged.
    let mut clients = HashMap::new();
    let mut order: Vec<usize> = (0..w.claims.len()).collect();
    rng.shuffle(&mut order);
    let mut unacked = 0;
    for (n, &i) in order.iter().enumerate() {
        match submit(
            &shared,
            &mut clients,
            &w.vendor,
            n % procs,
            &w.claims[i].bytes,
            &mut rng,
        ) {
            Some(answer) => acks.push(Ack { claim: i, answer }),
            None => unacked += 1,
        }
    }

    // The checks, against the final service.
    let client = cluster.services[0].client();
    let mut out = Outcome {
        kills: killed,
        losses: chaos_losses,
        ..Outcome::default()
    };
    // (a) Every acknowledged claim is still recorded, after the kills
    // (above) and after the clean run.
    out.losses += lost_acks(&client, &w, &acks);
    // (b) Credited exactly once per certificate.
    let mut acked_owed = vec![0u64; w.certs.len()];
    for a in &acks {
        acked_owed[w.claims[a.claim].cert] += a.answer.owed;
    }
    let mut total = 0;
    for (i, cert) in w.certs.iter().enumerate() {
        let b = client.balance(&cert.digest()).unwrap();
        let limit = cert.fields().credit_limit;
        eprintln!(
            "  certificate {i}: limit {limit}, credited {} (expected {}), acknowledged owed {}",
            b.credited, expected[i], acked_owed[i]
        );
        if b.credited > expected[i] {
            out.double_credits += 1;
            eprintln!("  DOUBLE CREDIT under certificate {i}");
        }
        if b.credited < expected[i] {
            out.losses += 1;
            eprintln!("  LOST CREDIT under certificate {i}");
        }
        // An acknowledgement lost in a kill makes the sum smaller; credit
        // acknowledged twice (or acknowledged, lost, and credited again)
        // makes it larger.
        if acked_owed[i] > b.credited {
            out.double_credits += 1;
            eprintln!("  DOUBLE CREDIT: more acknowledged than credited under certificate {i}");
        }
        assert!(b.credited <= limit);
        total += b.credited;
    }
    // (c) The vendor is owed what was credited, as every process sees it.
    for (p, s) in cluster.services.iter().enumerate() {
        let owed = s.client().owed(&w.vendor).unwrap();
        if owed > total {
            out.double_credits += 1;
            eprintln!(
                "  DOUBLE CREDIT: process {p} says the vendor is owed {owed}, credited {total}"
            );
        } else if owed < total {
            out.losses += 1;
            eprintln!("  LOSS: process {p} says the vendor is owed {owed}, credited {total}");
        }
    }

    let c = &shared.counters;
    let unexpected = shared.unexpected.lock().unwrap().clone();
    eprintln!(
        "[{label}] kills {killed} ({kill_events} kill events), PostgreSQL restarts {}, \
         claims submitted {} ({} HTTP attempts; retried: {} transport, {} x 503, {} x 408), \
         acknowledged {} ({chaos_acks} during the kills), gave up {}, unacknowledged in the \
         clean run {unacked}, unexpected answers {}, losses {}, double credits {}, \
         chaos {chaos:.1?}, total {:.1?}",
        pg_restarts,
        c.submitted.load(Ordering::Relaxed),
        c.attempts.load(Ordering::Relaxed),
        c.transport.load(Ordering::Relaxed),
        c.unavailable.load(Ordering::Relaxed) + pg_unavailable,
        c.timeouts.load(Ordering::Relaxed),
        c.acked.load(Ordering::Relaxed),
        c.gave_up.load(Ordering::Relaxed),
        unexpected.len(),
        out.losses,
        out.double_credits,
        started.elapsed(),
    );
    assert!(
        unexpected.is_empty(),
        "[{label}] unexpected answers: {unexpected:#?}"
    );
    assert_eq!(
        unacked, 0,
        "[{label}] claims never acknowledged in the clean run"
    );
    assert_eq!(
        c.gave_up.load(Ordering::Relaxed),
        0,
        "[{label}] claims given up"
    );
    assert_eq!(out.losses, 0, "[{label}] losses");
    assert_eq!(out.double_credits, 0, "[{label}] double credits");
    assert!(out.kills >= kills);
    assert!(pg_restart.is_none() || kills == 0 || pg_restarts == 1);
    // Every distinct claim was acknowledged at least once.
    let mut seen = vec![false; w.claims.len()];
    for a in &acks {
        seen[a.claim] = true;
    }
    assert!(seen.iter().all(|s| *s));
}

fn kills() -> usize {
    env_number("PAYWORD_CRASH_KILLS").map_or(DEFAULT_KILLS, |k| usize::try_from(k).unwrap())
}

#[test]
fn crash_safety_on_redb() {
    let spec = Spec::redb("crash");
    crash_run("redb", &spec, 1, kills(), None);
    support::cleanup(&spec.dir);
}

#[test]
fn crash_safety_on_postgres() {
    let Some(spec) = Spec::pg("crash") else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL crash test not run");
        return;
    };
    let restart = std::env::var("PAYWORD_TEST_PG_RESTART")
        .ok()
        .filter(|s| !s.trim().is_empty());
    if restart.is_none() {
        eprintln!("PAYWORD_TEST_PG_RESTART not set: PostgreSQL itself is not restarted");
    }
    crash_run("postgres", &spec, 2, kills(), restart.as_deref());
    support::cleanup(&spec.dir);
}
