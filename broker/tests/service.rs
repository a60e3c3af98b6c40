//! The broker service over HTTP: every claim kind, reservations, balances,
//! debts, fraud proofs and certificate issuance, on the embedded database
//! (and on PostgreSQL when `PAYWORD_TEST_POSTGRES` is set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use common::*;
use payword::{Encode, MessageSigner};
use payword_broker::api::{Hex, IssueRequest, ReserveRequest, ReserveTarget};
use payword_broker::client::ClientError;
use support::{Spec, TOKEN};

/// Every claim kind through one service: each is credited once, the
/// vendor is owed the sum, the certificate's balance counts them all.
fn every_claim_kind(spec: &Spec) {
    let w = world(10_000);
    let service = spec.start(NOW);
    let c = service.client();
    let claims: Vec<(Vec<u8>, u64, &str)> = vec![
        (plain(&w, 10, 2, 40).to_bytes(), 80, "plain"),
        (cascade(&w, 11, 1, 25).to_bytes(), 25, "cascade"),
        (leaf(&w, 12, 1000, 30).to_bytes(), 30, "leaf"),
        (grant(&w, 13, 20).to_bytes(), 20, "grant"),
        (device(&w, 14, 1000, 1000, 15).to_bytes(), 15, "device"),
    ];
    let mut total = 0;
    for (bytes, value, kind) in &claims {
        let r = c.redeem_bytes(&w.vendor, bytes).unwrap();
        assert_eq!((r.kind.as_str(), r.owed), (*kind, *value));
        total += value;
        // A duplicate owes nothing.
        assert_eq!(c.redeem_bytes(&w.vendor, bytes).unwrap().owed, 0);
    }
    assert_eq!(c.owed(&w.vendor).unwrap(), total);
    let b = c.balance(&w.cert.digest()).unwrap();
    assert_eq!((b.credited, b.reserved), (total, 0));
    assert!(b.debts >= 5, "{b:?}");
    // The plain claim's debt.
    let p = plain(&w, 10, 2, 40);
    let d = c.debt(&p.commitment.digest()).unwrap();
    assert_eq!((d.units, d.credited), (40, 80));
    assert_eq!(d.certificate.0, w.cert.digest().as_bytes().to_vec());
    assert_eq!(
        c.debt(&payword::Digest::from_bytes([9; 32]))
            .unwrap_err()
            .status(),
        Some(404)
    );
}

#[test]
fn every_claim_kind_on_redb() {
    let spec = Spec::redb("svc-kinds");
    every_claim_kind(&spec);
    support::cleanup(&spec.dir);
}

#[test]
fn every_claim_kind_on_postgres() {
    let Some(spec) = Spec::pg("svc_kinds") else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL test not run");
        return;
    };
    every_claim_kind(&spec);
    support::cleanup(&spec.dir);
}

#[test]
fn state_survives_restart_and_reservations_hold() {
    let spec = Spec::redb("svc-restart");
    let w = world(100);
    let mut service = spec.start(NOW);
    let c = service.client();
    // 60 of the 100 reserved for one commitment.
    let reserved = plain(&w, 20, 1, 60);
    let r = c
        .reserve(&ReserveRequest {
            certificate: Hex(w.cert.to_bytes()),
            target: ReserveTarget::Commitment {
                commitment: Hex(reserved.commitment.to_bytes()),
            },
            amount: 60,
            expires: NOW + 5000,
        })
        .unwrap();
    assert!(!r.reservation.0.is_empty());
    assert_eq!(c.balance(&w.cert.digest()).unwrap().reserved, 60);
    // Another commitment gets only the 40 left.
    let other = plain(&w, 21, 1, 70);
    assert_eq!(c.redeem(&w.vendor, &other).unwrap().owed, 40);
    // Graceful stop, restart on the same file: the reservation and the
    // credit are still there.
    assert!(service.terminate());
    let service = spec.start(NOW);
    let c = service.client();
    let b = c.balance(&w.cert.digest()).unwrap();
    assert_eq!((b.credited, b.reserved), (40, 60));
    assert_eq!(c.redeem(&w.vendor, &reserved).unwrap().owed, 60);
    assert_eq!(c.redeem(&w.vendor, &other).unwrap().owed, 0);
    // Past the limit: the broker has an overspend proof that verifies.
    let proof = c.fraud_proof(&w.cert).unwrap().expect("a fraud proof");
    let proof = payword::fraud::FraudProof::decode(&proof).unwrap();
    assert!(proof.verify(&w.broker.public_key(), 1 << 20).is_ok());
    support::cleanup(&spec.dir);
}

#[test]
fn certificates_need_the_operator_token() {
    let spec = Spec::redb("svc-issue");
    let service = spec.start(NOW);
    let c = service.client();
    let w = world(1);
    let req = IssueRequest {
        customer: Hex(vec![4; 16]),
        customer_key: Hex(w.customer.public_key().as_bytes().to_vec()),
        credit_limit: 500,
        valid_from: NOW - 10,
        expires: NOW + 1000,
    };
    let e = c.issue("wrong-token-wrong-token", &req).unwrap_err();
    assert!(matches!(e, ClientError::Status { status: 401, .. }), "{e}");
    let (cert, issued) = c.issue(TOKEN, &req).unwrap();
    assert_eq!(cert.fields().credit_limit, 500);
    assert_eq!(cert.fields().customer_key, w.customer.public_key());
    assert!(cert.verify(&w.broker.public_key()).is_ok());
    assert_eq!(issued.digest.0, cert.digest().as_bytes().to_vec());
    support::cleanup(&spec.dir);
}

/// A customer with an LMS key (hash-only): the operator certifies it over
/// the API (its key as an encoding: tag 2 ‖ 56 bytes), and every claim kind
/// whose commitments it signed with LMS is redeemed over HTTP.
#[test]
fn an_lms_customer_is_certified_and_paid() {
    use payword::lmots::{LmotsParams, lms::LmsParams, signer::LmsSigningKey};
    let spec = Spec::redb("svc-lms");
    let service = spec.start(NOW);
    let c = service.client();
    let key = LmsSigningKey::from_seed(
        LmsParams::Sha256M32H5,
        LmotsParams::Sha256N32W4,
        [0x2c; 16],
        &[0x2d; 32],
    )
    .unwrap();
    let customer =
        payword::LmsSigner::new(key, payword::lmots::signer::MemoryLmsStore::new()).unwrap();
    let mut encoded = vec![payword::SigAlg::Lms.tag()];
    encoded.extend_from_slice(customer.public_key().as_bytes());
    let req = IssueRequest {
        customer: Hex(vec![4; 16]),
        customer_key: Hex(encoded),
        credit_limit: 10_000,
        valid_from: NOW - 10,
        expires: NOW + 100_000,
    };
    let (cert, _) = c.issue(TOKEN, &req).unwrap();
    assert_eq!(cert.fields().customer_key, customer.public_key());
    let mut w = world_with(
        ed25519_dalek::SigningKey::from_bytes(&support::BROKER_SEED),
        customer,
        1,
    );
    w.cert = cert;
    let claims: Vec<(Vec<u8>, u64, &str)> = vec![
        (plain(&w, 10, 2, 40).to_bytes(), 80, "plain"),
        (cascade(&w, 11, 1, 25).to_bytes(), 25, "cascade"),
        (leaf(&w, 12, 1000, 30).to_bytes(), 30, "leaf"),
        (grant(&w, 13, 20).to_bytes(), 20, "grant"),
        (device(&w, 14, 1000, 1000, 15).to_bytes(), 15, "device"),
    ];
    for (bytes, value, kind) in &claims {
        let r = c.redeem_bytes(&w.vendor, bytes).unwrap();
        assert_eq!((r.kind.as_str(), r.owed), (*kind, *value));
    }
    assert_eq!(c.owed(&w.vendor).unwrap(), 170);
    // A key of the wrong length for its tag is a 400 that says so.
    let bad = IssueRequest {
        customer_key: Hex(vec![2; 40]),
        ..req
    };
    let e = c.issue(TOKEN, &bad).unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(e.to_string().contains("customer_key"), "{e}");
    support::cleanup(&spec.dir);
}

/// A request cut off while its store call waits (here: a table lock held
/// past the request timeout) must give its broker back: afterwards the
/// service still answers with its one worker.
#[test]
fn a_timed_out_request_gives_its_broker_back() {
    let Some(mut spec) = Spec::pg("svc_lease") else {
        eprintln!("PAYWORD_TEST_POSTGRES not set: PostgreSQL test not run");
        return;
    };
    spec.workers = 1;
    spec.extra = vec!["--request-timeout".into(), "1".into()];
    let w = world(1_000);
    let service = spec.start(NOW);
    let c = service.client();
    assert_eq!(c.owed(&w.vendor).unwrap(), 0);
    let support::Backend::Pg(conn) = &spec.backend else {
        unreachable!()
    };
    let mut admin = postgres::Client::connect(conn, postgres::NoTls).unwrap();
    let mut lock = admin.transaction().unwrap();
    lock.batch_execute("LOCK TABLE payword_records IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    // Two requests wait on the lock and time out (408).
    for _ in 0..2 {
        let e = c.owed(&w.vendor).unwrap_err();
        assert_eq!(e.status(), Some(408), "{e}");
    }
    lock.rollback().unwrap();
    // The worker is back: answered, and a claim is redeemed.
    let start = std::time::Instant::now();
    let owed = loop {
        match c.redeem(&w.vendor, &plain(&w, 30, 1, 5)) {
            Ok(r) => break r.owed,
            Err(e) if start.elapsed() < std::time::Duration::from_secs(10) => {
                assert_eq!(e.status(), Some(503), "{e}");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("the service lost its broker: {e}"),
        }
    };
    assert_eq!(owed, 5);
    assert_eq!(c.owed(&w.vendor).unwrap(), 5);
    support::cleanup(&spec.dir);
}

/// SIGTERM while clients keep redeeming: the service drains and exits
/// cleanly; every claim it acknowledged is credited after a restart, no
/// answer was a 5xx, and nothing is credited twice.
#[test]
fn sigterm_under_load_drains_and_loses_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let spec = Spec::redb("svc-drain");
    let w = Arc::new(world(1_000_000));
    let mut service = spec.start(NOW);
    let url = service.url.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..4u8)
        .map(|t| {
            let (w, stop, acked) = (Arc::clone(&w), Arc::clone(&stop), Arc::clone(&acked));
            let client = payword_broker::client::Client::new(&url);
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                // Chains 100.., a higher claim per round (bounded).
                for units in 1..=90u32 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let byte = 100 + t;
                    match client.redeem(&w.vendor, &plain(&w, byte, 1, units)) {
                        Ok(r) => acked.lock().unwrap().push((byte, units, r.owed)),
                        Err(ClientError::Status { status, body }) => {
                            errors.push(format!("{status} {}", body.message));
                        }
                        // The listener closed: the service is stopping.
                        Err(_) => break,
                    }
                }
                errors
            })
        })
        .collect();
    // Stop it once claims are flowing (bounded wait), mid-stream.
    let start = std::time::Instant::now();
    while acked.lock().unwrap().len() < 4 && start.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(service.terminate(), "the service did not exit cleanly");
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let errors = h.join().unwrap();
        assert!(errors.is_empty(), "error answers: {errors:?}");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty(), "no claim was redeemed before SIGTERM");
    let service = spec.start(NOW);
    let c = service.client();
    let mut highest = std::collections::BTreeMap::new();
    for &(byte, units, _) in &acked {
        let h = highest.entry(byte).or_insert(0u32);
        *h = (*h).max(units);
    }
    for (&byte, &units) in &highest {
        let d = c.debt(&plain(&w, byte, 1, 1).commitment.digest()).unwrap();
        assert!(
            d.units >= u64::from(units),
            "chain {byte}: acked {units}, stored {}",
            d.units
        );
    }
    // Owed answers add up to what is credited: nothing twice.
    let owed: u64 = acked.iter().map(|a| a.2).sum();
    let credited = c.balance(&w.cert.digest()).unwrap().credited;
    assert!(owed <= credited);
    let stored: u64 = (100..104u8)
        .map(|b| match c.debt(&plain(&w, b, 1, 1).commitment.digest()) {
            Ok(d) => d.units,
            Err(e) => {
                assert_eq!(e.status(), Some(404), "{e}");
                0
            }
        })
        .sum();
    assert_eq!(credited, stored, "credited once per payword");
    support::cleanup(&spec.dir);
}
