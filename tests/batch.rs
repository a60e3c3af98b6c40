#![cfg(all(feature = "ed25519", feature = "std"))]
//! Batches give what one-at-a-time gives:
//!
//! - `Receiver::accept_batch` against `Receiver::accept` on each item, for
//!   random batches (more than `BATCH_LANES` items, so several groups) of
//!   genuine, forged, replayed, past-the-end and over-budget paywords on
//!   receivers at random states, both hashes: the same results and the same
//!   receiver states afterwards;
//! - `TweakableHash::chain_walk_many` against `chain_walk` lane by lane;
//! - `Broker::redeem_batch` against `Broker::redeem` on a twin broker, for
//!   batches mixing fresh claims, claims on commitments redeemed before,
//!   duplicates, forged paywords, walks past the budget and claims for
//!   another vendor: the same results, the same amounts owed, and the same
//!   debts in both stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payword::{
    BATCH_LANES, Blake3, ChainId, ChainParams, ChainSeed, HashAlg, Payment, PaymentBody, Payword,
    Receiver, RedemptionClaim, Sha256, StoreAll, Traversal, TweakableHash, VerifyError, WalkLane,
    Word,
};
use proptest::prelude::*;

/// One item of a random batch: which chain, how far the receiver already
/// is, how far the payment goes, and whether its word is forged.
#[derive(Clone, Debug)]
struct Item {
    byte: u8,
    blake3: bool,
    at: u32,
    to: u32,
    forged: bool,
}

fn item() -> impl Strategy<Value = Item> {
    (
        any::<u8>(),
        any::<bool>(),
        0u32..40,
        0u32..60,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(byte, blake3, at, to, forged)| Item {
            byte,
            blake3,
            at,
            to,
            forged,
        })
}

/// What a run of payments gave, one result each.
type Results = Vec<Result<u32, VerifyError>>;

/// Runs the items through `accept_batch` on one set of receivers and
/// through `accept` on a copy; returns both results.
fn run_items<H: TweakableHash>(items: &[Item]) -> (Results, Results) {
    let alg = H::ALG;
    let mut batch_receivers = Vec::new();
    let mut payments = Vec::new();
    for (k, it) in items.iter().enumerate() {
        let id = ChainId::from_bytes([
            it.byte,
            k as u8,
            (k >> 8) as u8,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            13,
        ]);
        let params = ChainParams::new(alg, id, 50).unwrap();
        let wallet = StoreAll::<H>::new(&ChainSeed::from_bytes([it.byte; 32]), params).unwrap();
        let words: Vec<Payword> = std::iter::once(Payword::new(0, wallet.anchor().as_word()))
            .chain(wallet)
            .collect();
        let at = it.at.min(50);
        // Budget 30: payments more than 30 past `at` are over budget.
        let r = Receiver::<H>::resume(params, words[at as usize])
            .unwrap()
            .with_limit(30);
        let p = match words.get(it.to as usize) {
            Some(p) if it.forged => Payword::new(p.index(), Word::from_bytes([it.byte ^ 0x5a; 32])),
            Some(p) => *p,
            // Past the end (n = 50).
            None => Payword::new(it.to, Word::from_bytes([1; 32])),
        };
        batch_receivers.push(r);
        payments.push(p);
    }
    let mut single_receivers = batch_receivers.clone();
    let mut batch: Vec<(&mut Receiver<H>, Payword)> = batch_receivers
        .iter_mut()
        .zip(payments.iter().copied())
        .collect();
    let mut results = vec![Ok(0); items.len()];
    assert_eq!(
        Receiver::accept_batch(&mut batch, &mut results),
        items.len()
    );
    let singles: Vec<_> = single_receivers
        .iter_mut()
        .zip(&payments)
        .map(|(r, p)| r.accept(p))
        .collect();
    for (a, b) in batch_receivers.iter().zip(&single_receivers) {
        assert_eq!(a.last(), b.last());
    }
    (results, singles)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn accept_batch_equals_accept_one_at_a_time(items in prop::collection::vec(item(), 0..150)) {
        let (sha, blake): (Vec<Item>, Vec<Item>) = items.into_iter().partition(|i| !i.blake3);
        let (a, b) = run_items::<Sha256>(&sha);
        prop_assert_eq!(a, b);
        let (a, b) = run_items::<Blake3>(&blake);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn chain_walk_many_equals_chain_walk(
        lanes in prop::collection::vec((any::<[u8; 16]>(), 0u32..200, 0u32..200, any::<[u8; 32]>()), 0..100)
    ) {
        let mut many: Vec<WalkLane> = lanes
            .iter()
            .map(|&(id, from, to, w)| WalkLane::new(ChainId::from_bytes(id), from, Word::from_bytes(w), to))
            .collect();
        let mut many_b = many.clone();
        Sha256::chain_walk_many(&mut many);
        Blake3::chain_walk_many(&mut many_b);
        for ((l, (id, from, to, w)), lb) in many.iter().zip(&lanes).zip(&many_b) {
            let id = ChainId::from_bytes(*id);
            let w = Word::from_bytes(*w);
            prop_assert_eq!(l.word, Sha256::chain_walk(&id, *from, &w, *to));
            prop_assert_eq!(lb.word, Blake3::chain_walk(&id, *from, &w, *to));
            prop_assert_eq!(l.from, (*from).min(*to));
        }
    }
}

#[test]
fn batches_span_several_groups() {
    // More items than lanes: the groups must not mix.
    let items: Vec<Item> = (0..(2 * BATCH_LANES + 7))
        .map(|k| Item {
            byte: k as u8,
            blake3: false,
            at: (k % 5) as u32,
            to: (k % 5) as u32 + 1 + (k % 3) as u32,
            forged: k % 11 == 0,
        })
        .collect();
    let (a, b) = run_items::<Sha256>(&items);
    assert_eq!(a, b);
    assert!(a.iter().filter(|r| r.is_ok()).count() > 100);
    assert!(a.contains(&Err(VerifyError::Forged)));
}

/// A claim of `units` on a fresh chain `byte` (n = 2000) of the world's customer.
fn claim(w: &World, byte: u8, units: u32, alg: HashAlg) -> RedemptionClaim {
    let mut id = [byte; 16];
    id[15] = 0xee;
    let params = ChainParams::new(alg, ChainId::from_bytes(id), 2_000).unwrap();
    let seed = ChainSeed::from_bytes([byte; 32]);
    let (anchor, top) = match alg {
        HashAlg::Sha256 => {
            let mut s = StoreAll::<Sha256>::new(&seed, params).unwrap();
            (s.anchor(), s.advance(units).unwrap())
        }
        HashAlg::Blake3 => {
            let mut s = StoreAll::<Blake3>::new(&seed, params).unwrap();
            (s.anchor(), s.advance(units).unwrap())
        }
        _ => unreachable!(),
    };
    let commitment = payword::Commitment::sign(
        payword::CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: payword::CommittedChain::Single { params, anchor },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    RedemptionClaim {
        certificate: w.cert,
        payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
        commitment,
    }
}

#[test]
fn redeem_batch_equals_redeem_one_at_a_time() {
    let w = world(1_000_000);
    let mut claims = Vec::new();
    for b in 0..40u8 {
        let alg = if b % 4 == 3 {
            HashAlg::Blake3
        } else {
            HashAlg::Sha256
        };
        claims.push(claim(&w, b, 5 + u32::from(b) * 7, alg));
    }
    // Redeemed before the batch (a recorded payword to hash from), then
    // claimed again higher; duplicates; a forged word; past the budget.
    let early = claim(&w, 100, 50, HashAlg::Sha256);
    claims.push(claim(&w, 100, 90, HashAlg::Sha256));
    claims.push(claims[3]);
    let mut forged = claim(&w, 101, 30, HashAlg::Sha256);
    if let PaymentBody::Single(p) = forged.payment.body() {
        forged.payment = Payment::new(
            forged.commitment.digest(),
            PaymentBody::Single(Payword::new(p.index(), Word::from_bytes([9; 32]))),
        );
    }
    claims.push(forged);
    claims.push(claim(&w, 102, 1_500, HashAlg::Sha256)); // over a budget of 1000
    let mut a = broker(&w).with_limit(1_000);
    let mut b = broker(&w).with_limit(1_000);
    a.redeem(&early, &w.vendor, NOW).unwrap();
    b.redeem(&early, &w.vendor, NOW).unwrap();
    let batch = a.redeem_batch(&claims, &w.vendor, NOW);
    let single: Vec<_> = claims.iter().map(|c| b.redeem(c, &w.vendor, NOW)).collect();
    assert_eq!(batch.len(), single.len());
    for (i, (x, y)) in batch.iter().zip(&single).enumerate() {
        assert_eq!(format!("{x:?}"), format!("{y:?}"), "claim {i}");
    }
    assert!(batch.iter().filter(|r| r.is_err()).count() >= 2);
    assert_eq!(a.owed(&w.vendor).unwrap(), b.owed(&w.vendor).unwrap());
    // Another vendor's batch: every claim refused, nothing changes.
    let other = payword::VendorId::from_bytes([0x77; 32]);
    assert!(
        a.redeem_batch(&claims[..5], &other, NOW)
            .iter()
            .all(Result::is_err)
    );
    assert_eq!(a.owed(&w.vendor).unwrap(), b.owed(&w.vendor).unwrap());
    for c in &claims[..41] {
        assert_eq!(
            a.debts(&c.certificate.digest()).unwrap(),
            b.debts(&c.certificate.digest()).unwrap()
        );
    }
}
