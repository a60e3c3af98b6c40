#![cfg(all(feature = "ed25519", feature = "std"))]
//! The vendor's `SessionStore`: many customers from many threads, sessions
//! saved before a payment is acknowledged and resumed after a restart,
//! renewals, limits, and claims exported for the broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use payword::renew::RenewingWallet;
use payword::sessions::{
    FileSessions, InMemory, SessionPersistence, SessionStore, SessionStoreError,
};
use payword::{
    ChainSeed, Commitment, CommitmentFields, Digest, MessageSigner, Payment, PaymentBody, Payword,
    SessionError, Sha256, VerifyError,
};

/// Paywords 1..=100 of `plain(w, byte, …)`'s chain.
fn words(w: &World, byte: u8) -> Vec<Payword> {
    (1..=100)
        .map(|k| match plain(w, byte, 1, k).payment.body() {
            PaymentBody::Single(p) => *p,
            PaymentBody::Purse(_) => unreachable!(),
        })
        .collect()
}

fn pay(c: &Commitment, p: Payword) -> Payment {
    Payment::new(c.digest(), PaymentBody::Single(p))
}

fn temp(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("payword-sessions-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn many_customers_from_many_threads() {
    let w = Arc::new(world(1_000_000));
    let store = Arc::new(SessionStore::new(
        w.vendor,
        w.broker.public_key(),
        0,
        InMemory,
    ));
    let handles: Vec<_> = (0..8u8)
        .map(|t| {
            let (w, store) = (Arc::clone(&w), Arc::clone(&store));
            std::thread::spawn(move || {
                let byte = 50 + t;
                let c = plain(&w, byte, 1, 1).commitment;
                store.open(w.cert, c, NOW).unwrap();
                // Opening again is a no-op.
                store.open(w.cert, c, NOW).unwrap();
                let ws = words(&w, byte);
                // 2 units per request, 20 requests.
                for i in 0..20 {
                    assert_eq!(store.pay_exact(&pay(&c, ws[2 * i + 1]), 2, NOW).unwrap(), 2);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.len(), 8);
    let claims = store.claims();
    assert_eq!(claims.len(), 8);
    let mut b = broker(&w);
    let owed: u64 = claims
        .iter()
        .map(|c| b.redeem(c, &w.vendor, NOW).unwrap().owed)
        .sum();
    assert_eq!(owed, 8 * 40);
}

#[test]
fn a_restarted_vendor_resumes_every_acknowledged_payment() {
    let w = world(1_000);
    let dir = temp("restart");
    let c = plain(&w, 60, 1, 1).commitment;
    let ws = words(&w, 60);
    {
        let store = SessionStore::new(
            w.vendor,
            w.broker.public_key(),
            0,
            FileSessions::new(&dir).unwrap(),
        );
        store.open(w.cert, c, NOW).unwrap();
        for k in [0, 2, 5] {
            store.pay(&pay(&c, ws[k]), NOW).unwrap();
        }
    }
    // A new process: the session is back, as acknowledged.
    let (store, failed) = SessionStore::load(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap().durable(),
    )
    .unwrap();
    assert!(failed.is_empty());
    assert_eq!(store.session(&c.digest()).unwrap().units_paid(), 6);
    // A replay of an acknowledged payword is refused, the next one paid.
    assert!(matches!(
        store.pay(&pay(&c, ws[5]), NOW),
        Err(SessionStoreError::Session(SessionError::Payment(
            VerifyError::Replay { index: 6, last: 6 }
        )))
    ));
    assert_eq!(store.pay_exact(&pay(&c, ws[7]), 2, NOW).unwrap(), 2);
    // Expired long after: it still loads and claims.
    drop(store);
    let (store, _) = SessionStore::load(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap(),
    )
    .unwrap();
    let claims = store.claims();
    assert_eq!(claims.len(), 1);
    assert_eq!(
        broker(&w)
            .redeem(&claims[0], &w.vendor, NOW + 10_000)
            .unwrap()
            .owed,
        8
    );
    // Removed once redeemed: gone from memory and disk.
    store.remove(&c.digest()).unwrap();
    assert!(store.is_empty());
    let (again, _) = SessionStore::load(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap(),
    )
    .unwrap();
    assert!(again.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A persistence that fails when told to.
#[derive(Debug, Default)]
struct Flaky {
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl SessionPersistence for Flaky {
    type Error = std::io::Error;

    fn save(&mut self, _: &Digest, _: &[u8]) -> std::io::Result<()> {
        if self.fail.load(std::sync::atomic::Ordering::Relaxed) {
            Err(std::io::Error::other("disk full"))
        } else {
            Ok(())
        }
    }

    fn remove(&mut self, _: &Digest) -> std::io::Result<()> {
        Ok(())
    }

    fn load_all(&mut self) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }
}

#[test]
fn a_payment_that_cannot_be_saved_is_refused_and_changes_nothing() {
    let w = world(1_000);
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let store = SessionStore::new(
        w.vendor,
        w.broker.public_key(),
        0,
        Flaky {
            fail: Arc::clone(&fail),
        },
    );
    let c = plain(&w, 61, 1, 1).commitment;
    let ws = words(&w, 61);
    store.open(w.cert, c, NOW).unwrap();
    store.pay(&pay(&c, ws[0]), NOW).unwrap();
    fail.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(
        store.pay(&pay(&c, ws[3]), NOW),
        Err(SessionStoreError::Persist(_))
    ));
    assert_eq!(store.session(&c.digest()).unwrap().units_paid(), 1);
    // A new commitment cannot be opened either.
    let other = plain(&w, 62, 1, 1).commitment;
    assert!(matches!(
        store.open(w.cert, other, NOW),
        Err(SessionStoreError::Persist(_))
    ));
    assert_eq!(store.len(), 1);
    fail.store(false, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(store.pay(&pay(&c, ws[3]), NOW).unwrap(), 3);
}

#[test]
fn refusals_say_what_was_wrong() {
    let w = world(1_000);
    let store =
        SessionStore::new(w.vendor, w.broker.public_key(), 0, InMemory).with_max_sessions(1);
    let c = plain(&w, 63, 1, 1).commitment;
    let ws = words(&w, 63);
    assert!(matches!(
        store.pay(&pay(&c, ws[0]), NOW),
        Err(SessionStoreError::UnknownSession)
    ));
    store.open(w.cert, c, NOW).unwrap();
    assert!(matches!(
        store.open(w.cert, plain(&w, 64, 1, 1).commitment, NOW),
        Err(SessionStoreError::Full { max: 1 })
    ));
    // Another vendor's commitment.
    let mut v = world(1_000);
    v.vendor = payword::VendorId::from_bytes([9; 32]);
    let theirs = plain(&v, 65, 1, 1).commitment;
    let fresh = SessionStore::new(w.vendor, w.broker.public_key(), 0, InMemory);
    assert!(matches!(
        fresh.open(w.cert, theirs, NOW),
        Err(SessionStoreError::Session(SessionError::WrongVendor))
    ));
    assert_eq!(
        store
            .check_exact(&pay(&c, ws[4]), 2, NOW)
            .unwrap_err()
            .to_string(),
        "payment advances 5 units, the price is 2"
    );
}

#[test]
fn renewals_move_the_session_to_the_new_chain_and_survive_a_restart() {
    let w = world(1_000);
    let dir = temp("renew");
    let mut wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([66; 32]), params(66, 10), 0).unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &w.customer,
    )
    .unwrap();
    wallet.bind(&c).unwrap();
    let store = SessionStore::new(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap(),
    );
    store.open(w.cert, c, NOW).unwrap();
    for _ in 0..25 {
        let out = wallet.pay().unwrap();
        if let Some(link) = &out.link {
            store.renew(link, NOW).unwrap();
        }
        assert_eq!(store.pay(&out.payment, NOW).unwrap(), 1);
    }
    assert_eq!(store.len(), 1);
    assert!(store.claims().is_empty());
    let cascades = store.cascades();
    assert_eq!(cascades.len(), 1);
    drop(store);
    let (store, failed) = SessionStore::load(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap(),
    )
    .unwrap();
    assert!(failed.is_empty());
    assert_eq!(store.cascades(), cascades);
    // Payments keep naming the last link's digest after the restart.
    let out = wallet.pay().unwrap();
    assert!(out.link.is_none());
    assert_eq!(store.pay(&out.payment, NOW).unwrap(), 1);
    assert_eq!(
        broker(&w)
            .redeem_cascade(&store.cascades()[0], &w.vendor, NOW)
            .unwrap()
            .owed,
        26
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_record_is_reported_and_the_others_load() {
    let w = world(1_000);
    let dir = temp("damaged");
    {
        let store = SessionStore::new(
            w.vendor,
            w.broker.public_key(),
            0,
            FileSessions::new(&dir).unwrap(),
        );
        for byte in [70, 71] {
            let c = plain(&w, byte, 1, 1).commitment;
            store.open(w.cert, c, NOW).unwrap();
        }
    }
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&first).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&first, bytes).unwrap();
    let (store, failed) = SessionStore::load(
        w.vendor,
        w.broker.public_key(),
        0,
        FileSessions::new(&dir).unwrap(),
    )
    .unwrap();
    assert_eq!((store.len(), failed.len()), (1, 1));
    let _ = std::fs::remove_dir_all(&dir);
}
