#![cfg(all(feature = "ed25519", feature = "std"))]
//! One credit account per certificate: every redemption path (plain, cascade,
//! tree leaf, grant, device) and every live reservation draw on the same
//! credit limit.
//!
//! `cascade_respects_reservations_of_other_commitments` and
//! `cascade_counts_credit_used_by_leaves` are the regression tests of the
//! defect where `redeem_cascade` computed its available credit from the plain
//! ledger alone, so a cascade could pay out credit already used by a tree
//! leaf or reserved for another commitment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payword::fraud::{CreditOverspendProof, FraudError, Spend};
use payword::grant::{
    GrantClaim, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::tree::{Leaf, LeafClaim, MerkleTree, MultiCommitment};
use payword::{
    ChainId, ChainSeed, CommittedChain, MessageSigner, MultiError, Payment, PaymentBody, Payword,
    Sha256, StoreAll, Traversal,
};

mod common;

use common::*;
use payword::reservation::ReservationTarget;

#[test]
fn cascade_respects_reservations_of_other_commitments() {
    let w = world(100);
    let mut b = broker(&w);
    // 60 of the 100 are reserved for another commitment's vendor.
    let reserved = plain(&w, 20, 1, 60);
    b.reserve(
        &w.cert,
        ReservationTarget::Commitment(&reserved.commitment),
        60,
        NOW,
        NOW + 5000,
        &w.broker,
    )
    .unwrap();
    // A cascade worth 35 × 2 = 70 may only use the 40 nobody reserved.
    let c = cascade(&w, 10, 2, 35);
    let r = b.redeem_cascade(&c, &w.vendor, NOW).unwrap();
    assert_eq!(r.owed, 40, "the cascade took reserved credit");
    // The reservation is honoured in full.
    let r = b.redeem(&reserved, &w.vendor, NOW).unwrap();
    assert_eq!(r.owed, 60, "a broker-signed reservation was not honoured");
}

#[test]
fn cascade_counts_credit_used_by_leaves() {
    let w = world(100);
    let mut b = broker(&w);
    // A tree leaf takes 60 of the credit first.
    let p = params(30, 100);
    let mut leaf_wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([30; 32]), p).unwrap();
    let leaf = Leaf {
        vendor: w.vendor,
        unit_value: 1,
        cap: 100,
        chain: CommittedChain::Single {
            params: p,
            anchor: leaf_wallet.anchor(),
        },
    };
    let tree =
        MerkleTree::build(w.cert.digest(), ChainId::from_bytes([31; 16]), vec![leaf]).unwrap();
    let root = MultiCommitment::sign(tree.fields(NOW - 10, NOW + 10_000), &w.customer).unwrap();
    let opening = tree.opening(&root, 0).unwrap();
    let top = leaf_wallet.advance(60).unwrap();
    let claim = LeafClaim {
        certificate: w.cert,
        opening,
        payment: Payment::new(opening.leaf_id(), PaymentBody::Single(top)),
    };
    assert_eq!(b.redeem_leaf(&claim, &w.vendor, NOW).unwrap().owed, 60);
    // A cascade worth 70 may only use the 40 left.
    let c = cascade(&w, 10, 2, 35);
    let r = b.redeem_cascade(&c, &w.vendor, NOW).unwrap();
    assert_eq!(r.owed, 40, "the cascade paid credit a leaf had used");
}

/// A reservation past its expiry locks no credit, though nobody called
/// `release_expired`: claims and new reservations after it may use that
/// credit, and before it they may not.
#[test]
fn expired_reservation_locks_nothing_without_release() {
    let w = world(100);
    let mut b = broker(&w);
    let reserved = plain(&w, 20, 1, 80);
    b.reserve(
        &w.cert,
        ReservationTarget::Commitment(&reserved.commitment),
        80,
        NOW,
        NOW + 10,
        &w.broker,
    )
    .unwrap();
    // While it is live, another commitment gets only the 20 left ...
    let other = plain(&w, 21, 1, 60);
    assert_eq!(b.redeem(&other, &w.vendor, NOW + 10).unwrap().owed, 20);
    // ... and nothing can be reserved.
    let third = plain(&w, 22, 1, 10);
    assert!(
        b.reserve(
            &w.cert,
            ReservationTarget::Commitment(&third.commitment),
            10,
            NOW + 10,
            NOW + 20,
            &w.broker
        )
        .is_err()
    );
    // Once expired (no release called), its credit is free again.
    // (units 61..=100: 40 more, all paid; a live reservation would leave 0.)
    let more = plain(&w, 21, 1, 100);
    assert_eq!(b.redeem(&more, &w.vendor, NOW + 11).unwrap().owed, 40);
    b.reserve(
        &w.cert,
        ReservationTarget::Commitment(&third.commitment),
        10,
        NOW + 11,
        NOW + 20,
        &w.broker,
    )
    .unwrap();
    // The expired reservation's key can be reserved afresh.
    assert_eq!(b.reserved(&w.cert.digest(), NOW + 11).unwrap(), 10);
}

/// The broker refuses a second grant overlapping one it redeemed for the
/// same vendor under the same shared commitment; a credit-overspend proof
/// may not count such a pair as two debts either (one rule set).
#[test]
fn overlapping_grants_of_one_vendor_are_one_debt_in_proofs() {
    let w = world(100);
    let mut b = broker(&w);
    let p = params(40, 200);
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([40; 32]), p).unwrap();
    let shared = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: w.cert.digest(),
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            params: p,
            anchor: wallet.anchor(),
        },
        &w.customer,
    )
    .unwrap();
    let words: Vec<Payword> = wallet.by_ref().take(200).collect();
    let grant = |from: u32, to: u32| {
        RangeGrant::sign(
            RangeGrantFields {
                commitment: shared.digest(),
                vendor: w.vendor,
                from,
                to,
                start: if from == 0 {
                    shared.fields().anchor.as_word()
                } else {
                    *words[from as usize - 1].word()
                },
            },
            &w.customer,
        )
        .unwrap()
    };
    let (first, second) = (grant(0, 60), grant(30, 90));
    let claim = |g: RangeGrant, top: u32| GrantClaim {
        certificate: w.cert,
        commitment: shared,
        grant: g,
        payword: words[top as usize - 1],
    };
    assert_eq!(
        b.redeem_grant(&claim(first, 60), &w.vendor, NOW)
            .unwrap()
            .owed,
        60
    );
    assert_eq!(
        b.redeem_grant(&claim(second, 90), &w.vendor, NOW),
        Err(MultiError::GrantOverlap)
    );
    // 60 + 60 > 100 only if the overlapping pair counts twice: it does not.
    let proof = CreditOverspendProof {
        certificate: w.cert,
        spent: vec![
            Spend::Grant {
                commitment: shared,
                grant: first,
                paid: words[59],
            },
            Spend::Grant {
                commitment: shared,
                grant: second,
                paid: words[89],
            },
        ],
    };
    assert_eq!(
        proof.verify(&w.broker.public_key(), 1 << 16),
        Err(FraudError::Duplicate)
    );
}

/// An overspend proof the broker returns verifies, even when a cascade
/// redeemed before it left an entry that paid nothing on its first chain.
#[test]
fn proofs_skip_entries_that_paid_nothing() {
    let w = world(50);
    let mut b = broker(&w);
    // A cascade whose committed chain claims nothing: 10 units × 2 on the
    // renewed chains.
    let mut c = cascade(&w, 10, 2, 20);
    c.first = None;
    let r = b.redeem_cascade(&c, &w.vendor, NOW).unwrap();
    assert_eq!(r.owed, 20);
    // A plain commitment worth 60 overspends the 30 left.
    let over = plain(&w, 20, 1, 60);
    let r = b.redeem(&over, &w.vendor, NOW).unwrap();
    assert_eq!(r.owed, 30);
    let proof = r.overspent.expect("overspend unnoticed");
    assert!(proof.spent.iter().all(|(_, paid)| match paid {
        PaymentBody::Single(p) => p.index() > 0,
        PaymentBody::Purse(_) => true,
    }));
    assert_eq!(proof.verify(&w.broker.public_key(), 1 << 16), Ok(60));
}

/// A reservation is only for an object the customer signed under the
/// certificate: a commitment signed by another key, or naming another
/// certificate, locks nothing.
#[test]
fn reservations_need_an_authenticated_target() {
    use payword::{Commitment, MultiError, SessionError};
    let w = world(100);
    let mut b = broker(&w);
    let genuine = plain(&w, 20, 1, 10).commitment;
    let mut fields = *genuine.fields();
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[99; 32]);
    let forged = Commitment::sign(fields, &stranger).unwrap();
    assert_eq!(
        b.reserve(
            &w.cert,
            ReservationTarget::Commitment(&forged),
            50,
            NOW,
            NOW + 10,
            &w.broker
        ),
        Err(MultiError::Invalid(SessionError::BadCommitment))
    );
    fields.certificate = payword::Digest::from_bytes([1; 32]);
    let elsewhere = Commitment::sign(fields, &w.customer).unwrap();
    assert_eq!(
        b.reserve(
            &w.cert,
            ReservationTarget::Commitment(&elsewhere),
            50,
            NOW,
            NOW + 10,
            &w.broker
        ),
        Err(MultiError::Invalid(SessionError::CertificateMismatch))
    );
    assert_eq!(b.reserved(&w.cert.digest(), NOW).unwrap(), 0);
    // The genuine commitment can be reserved for, for its own vendor.
    let r = b
        .reserve(
            &w.cert,
            ReservationTarget::Commitment(&genuine),
            50,
            NOW,
            NOW + 10,
            &w.broker,
        )
        .unwrap();
    assert!(r.covers(&genuine.digest(), &w.vendor));
}

#[test]
fn a_reservation_of_nothing_is_refused() {
    let w = world(100);
    let mut b = broker(&w);
    let p = plain(&w, 20, 1, 10);
    assert_eq!(
        b.reserve(
            &w.cert,
            ReservationTarget::Commitment(&p.commitment),
            0,
            NOW,
            NOW + 10,
            &w.broker,
        ),
        Err(MultiError::ZeroAmount)
    );
    assert_eq!(b.reserved(&w.cert.digest(), NOW).unwrap(), 0);
}
