#![cfg(all(feature = "ed25519", feature = "std"))]
//! The one redemption pipeline over one store, tried as a whole:
//!
//! - one certificate funding a plain commitment, a cascade, a tree leaf, a
//!   grant, a device and a reservation for another commitment, redeemed in
//!   every order with duplicates (property test): the total credited never
//!   exceeds the credit limit and equals `min(limit, value released)`, the
//!   reservation is honoured, duplicates owe nothing, and an overspend past
//!   the limit yields a credit-overspend proof that verifies;
//! - fault injection: a store that fails its k-th call, for every k through
//!   a whole scenario, before or after applying a commit: a failure before
//!   leaves the state unchanged, and retrying every claim credits exactly
//!   what a run without faults credits;
//! - two brokers over one shared store, racing from two threads on
//!   duplicated claims: every payword is credited exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use payword::reservation::ReservationTarget;

use std::sync::{Arc, Mutex};

use common::*;
use payword::store::{Batch, Commit, Entry, Key, MemoryStore, Store};
use payword::{Broker, MessageSigner};
use proptest::prelude::*;

/// Every claim kind under one certificate, plus the plain commitment a
/// reservation is for.
fn scenario(w: &World, units: [u32; 6]) -> (Vec<Op>, Op) {
    let ops = vec![
        Op::Plain(plain(w, 20, 1, units[0].max(1))),
        Op::Cascade(cascade(w, 21, 2, units[1].max(1))),
        Op::Leaf(leaf(w, 22, 40, units[2].max(1))),
        Op::Grant(grant(w, 23, units[3].max(1))),
        Op::Device(device(w, 24, 30, 50, units[4].max(1))),
    ];
    let reserved = Op::Plain(plain(w, 25, 1, units[5].max(1)));
    (ops, reserved)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_variant_shares_one_credit_account(
        limit in 1u64..400,
        units in proptest::array::uniform6(1u32..60),
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut v: Vec<usize> = (0..6).collect();
            for i in (1..v.len()).rev() {
                v.swap(i, (rng.next_u32() as usize) % (i + 1));
            }
            v
        }),
        reserve_share in 0u64..=100,
    ) {
        let w = world(limit);
        let mut b = broker(&w);
        let (mut ops, reserved) = scenario(&w, units);
        let reserved_value = reserved.value();
        // Reserve part of the credit for the sixth commitment first (never
        // more than it will claim, so that value is conserved).
        let Op::Plain(r) = &reserved else { unreachable!() };
        let amount = (reserved_value * reserve_share / 100).min(limit).max(1);
        let held = b
            .reserve(&w.cert, ReservationTarget::Commitment(&r.commitment), amount, NOW, NOW + 10_000, &w.broker)
            .is_ok();
        ops.push(reserved.clone());
        let mut owed_total = 0u64;
        let mut owed_reserved = 0u64;
        for &i in &order {
            let op = &ops[i];
            let owed = op.run(&mut b, &w).unwrap();
            if i == 5 {
                owed_reserved = owed;
            }
            owed_total += owed;
            // A duplicate owes nothing.
            prop_assert_eq!(op.run(&mut b, &w).unwrap(), 0);
        }
        let credited = b.credited(&w.cert.digest()).unwrap();
        prop_assert_eq!(credited, owed_total);
        // Every kind's credit is owed to the vendor, counted in the same
        // commit.
        prop_assert_eq!(b.owed(&w.vendor).unwrap(), owed_total);
        prop_assert!(credited <= limit);
        let released: u64 = ops.iter().map(Op::value).sum();
        prop_assert_eq!(credited, limit.min(released), "value not conserved");
        if held {
            prop_assert!(owed_reserved >= amount.min(reserved_value), "reservation not honoured");
        }
        // Past the limit (counting the debts a proof can list: every debt
        // but a cascade's renewed chains), a proof that verifies.
        let Op::Cascade(c) = &ops[1] else { unreachable!() };
        let renewed: u64 = c
            .renewals
            .iter()
            .map(|r| r.last.map_or(0, |p| u64::from(p.index())))
            .sum::<u64>()
            * c.commitment.fields().unit_value;
        let provable = released - renewed;
        match b.credit_overspend_proof(&w.cert).unwrap() {
            Some(p) => {
                prop_assert!(released > limit);
                prop_assert!(p.verify(&w.broker.public_key(), 1 << 20).is_ok());
            }
            None => prop_assert!(provable <= limit, "overspend of {} > {} unproved", provable, limit),
        }
    }
}

/// A store whose `fail_at`-th call fails: before doing anything, or (for a
/// commit) after applying it, as a lost acknowledgement would.
#[derive(Clone, Debug)]
struct Faulty {
    inner: MemoryStore,
    calls: usize,
    fail_at: usize,
    after: bool,
}

#[derive(Debug)]
struct Injected;

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected store failure")
    }
}

impl std::error::Error for Injected {}

impl Store for Faulty {
    type Error = Injected;

    fn read(&mut self, keys: &[Key]) -> Result<Vec<Entry>, Injected> {
        self.calls += 1;
        if self.calls == self.fail_at {
            return Err(Injected);
        }
        Ok(self.inner.read(keys).unwrap())
    }

    fn commit(&mut self, batch: &Batch) -> Result<Commit, Injected> {
        self.calls += 1;
        if self.calls == self.fail_at {
            if self.after {
                let _ = self.inner.commit(batch);
            }
            return Err(Injected);
        }
        Ok(self.inner.commit(batch).unwrap())
    }
}

/// The scenario of the fault-injection test: every claim kind, twice, and
/// a reservation before them.
fn faulty_run(w: &World, ops: &[Op], store: Faulty) -> (Broker<Faulty>, Vec<u64>, usize) {
    let mut b = broker_on(w, store);
    let mut owed = Vec::new();
    let mut failures = 0;
    let Op::Plain(r) = &ops[5] else {
        unreachable!()
    };
    loop {
        let before = b.store().inner.clone();
        match b.reserve(
            &w.cert,
            ReservationTarget::Commitment(&r.commitment),
            10,
            NOW,
            NOW + 10_000,
            &w.broker,
        ) {
            Ok(_) => break,
            Err(e) => {
                assert!(e.to_string().contains("store"), "{e}");
                if !b.store().after {
                    assert_eq!(b.store().inner, before, "a failed reservation wrote");
                }
                failures += 1;
            }
        }
    }
    for op in ops.iter().chain(ops) {
        loop {
            let before = b.store().inner.clone();
            match op.run(&mut b, w) {
                Ok(o) => {
                    owed.push(o);
                    break;
                }
                Err(e) => {
                    assert!(e.contains("store"), "refused, not a store error: {e}");
                    if !b.store().after || b.store().calls != b.store().fail_at {
                        assert_eq!(b.store().inner, before, "a failed claim wrote");
                    }
                    failures += 1;
                }
            }
        }
    }
    (b, owed, failures)
}

#[test]
fn a_store_failing_at_any_call_loses_nothing_and_credits_once() {
    let w = world(150);
    let (mut ops, reserved) = scenario(&w, [30, 25, 35, 20, 40, 15]);
    ops.push(reserved);
    let clean = Faulty {
        inner: MemoryStore::new(),
        calls: 0,
        fail_at: 0,
        after: false,
    };
    let (clean_broker, clean_owed, failures) = faulty_run(&w, &ops, clean);
    assert_eq!(failures, 0);
    let calls = clean_broker.store().calls;
    let total: u64 = clean_owed.iter().sum();
    assert_eq!(total, 150, "the scenario must reach the limit");
    let mut injected = 0;
    for after in [false, true] {
        for k in 1..=calls {
            let store = Faulty {
                inner: MemoryStore::new(),
                calls: 0,
                fail_at: k,
                after,
            };
            let (mut b, owed, failures) = faulty_run(&w, &ops, store);
            assert!(failures <= 1);
            injected += failures;
            // Credited exactly once: the same total and the same records
            // as the run without faults.
            assert_eq!(
                b.credited(&w.cert.digest()).unwrap(),
                total,
                "k = {k}, after = {after}"
            );
            assert_eq!(
                b.owed(&w.vendor).unwrap(),
                total,
                "k = {k}, after = {after}"
            );
            // The answers add up too, except when the answer of a commit
            // was lost (`after`): then the retry rightly owes nothing new
            // and the store alone says what was credited.
            if after {
                assert!(owed.iter().sum::<u64>() <= total);
            } else {
                assert_eq!(owed.iter().sum::<u64>(), total, "k = {k}");
            }
            assert_eq!(
                b.store()
                    .inner
                    .records(payword::store::Table::Debt)
                    .collect::<Vec<_>>()
                    .len(),
                clean_broker
                    .store()
                    .inner
                    .records(payword::store::Table::Debt)
                    .count()
            );
        }
    }
    // Most injected failures reached the caller; the others hit the reads
    // that gather fraud evidence after a claim committed, which are not
    // fatal (the evidence can be built again from the store).
    assert!(
        injected > calls && injected <= 2 * calls,
        "{injected} of {}",
        2 * calls
    );
}

#[test]
fn two_brokers_on_one_store_credit_every_payword_once() {
    let w = world(10_000);
    let mut ops = Vec::new();
    for i in 0..8u8 {
        ops.push(Op::Plain(plain(&w, 60 + i, 1, 10 + u32::from(i) * 7)));
    }
    ops.push(Op::Leaf(leaf(&w, 80, 1000, 33)));
    ops.push(Op::Grant(grant(&w, 81, 44)));
    ops.push(Op::Device(device(&w, 82, 1000, 1000, 55)));
    ops.push(Op::Cascade(cascade(&w, 83, 1, 37)));
    // Lower claims of the same debts too: they must add nothing.
    for i in 0..8u8 {
        ops.push(Op::Plain(plain(&w, 60 + i, 1, 5)));
    }
    let value: u64 = ops.iter().take(12).map(Op::value).sum();
    let shared = Arc::new(Mutex::new(MemoryStore::new()));
    let w = Arc::new(w);
    let ops = Arc::new(ops);
    let handles: Vec<_> = (0..2u64)
        .map(|t| {
            let (w, ops, store) = (Arc::clone(&w), Arc::clone(&ops), Arc::clone(&shared));
            std::thread::spawn(move || {
                let mut b = broker_on(&w, store);
                let mut owed = 0u64;
                // Each broker redeems every claim three times, in its own
                // order.
                for round in 0..3u64 {
                    for i in 0..ops.len() {
                        let j = (i as u64 * (2 * t + 3) + round * 5) as usize % ops.len();
                        owed += ops[j].run(&mut b, &w).unwrap();
                    }
                }
                owed
            })
        })
        .collect();
    let owed: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(owed, value, "a payword was credited twice or not at all");
    let mut b = broker_on(&w, Arc::clone(&shared));
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), value);
}

/// `redeem`'s one interface: every claim kind redeems through
/// `Claim::redeem_with`, and a renewed session's `VendorSession::claim` is
/// `None` (its cascade claims every chain; the first chain's claim alone
/// would under-claim).
#[test]
fn one_interface_redeems_every_claim_kind() {
    use payword::redeem::{Claim, Redeemed, VendorSession};
    fn redeem<C: Claim>(b: &mut Broker, c: C, w: &World) -> (u64, u64, bool) {
        let r = c.redeem_with(b, &w.vendor, NOW).unwrap();
        (r.units(), r.owed(), r.fraud_found())
    }
    let w = world(1 << 40);
    let mut b = broker(&w);
    let session = cascade_session(&w, 31, 1, 25);
    assert!(session.generation() > 0);
    assert!(VendorSession::claim(&session).is_none());
    let cascade = session.cascade().unwrap();
    assert_eq!(redeem(&mut b, cascade, &w), (25, 25, false));
    assert_eq!(redeem(&mut b, plain(&w, 32, 2, 7), &w), (7, 14, false));
    assert_eq!(redeem(&mut b, leaf(&w, 33, 50, 8), &w), (8, 8, false));
    assert_eq!(redeem(&mut b, grant(&w, 34, 9), &w), (9, 9, false));
    let device = device(&w, 35, 1000, 1000, 10);
    assert_eq!(redeem(&mut b, device, &w), (10, 10, false));
    // A duplicate owes nothing.
    assert_eq!(redeem(&mut b, plain(&w, 32, 2, 7), &w), (7, 0, false));
}
