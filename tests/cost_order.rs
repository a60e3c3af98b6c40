#![cfg(all(feature = "count", feature = "ed25519"))]
//! Bounded cost, counted: a claim that fails a field check costs the broker
//! no signature verification and no hash (feature `count`, run by CI's
//! all-features tests); an honest one costs exactly its two verifications
//! and its chain steps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{NOW, broker, plain, world};
use payword::cost::measure;
use payword::{Payment, PaymentBody, RedeemError, RedemptionClaim, SessionError, VendorId};

#[test]
fn field_checks_come_before_the_signatures() {
    let w = world(1 << 40);
    let claim = plain(&w, 9, 1, 40);
    let other = VendorId::from_bytes([0xee; 32]);
    let mut b = broker(&w);
    let (r, cost) = measure(|| b.redeem(&claim, &other, NOW));
    assert_eq!(
        r.unwrap_err(),
        RedeemError::Invalid(SessionError::WrongVendor)
    );
    assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));

    // Expired past the grace period.
    let (r, cost) = measure(|| b.redeem(&claim, &w.vendor, NOW + 1_000_000));
    assert!(r.is_err());
    assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));

    // A payment naming another commitment.
    let other_claim = plain(&w, 10, 1, 1);
    let mixed = RedemptionClaim {
        payment: Payment::new(
            other_claim.commitment.digest(),
            PaymentBody::Single(match claim.payment.body() {
                PaymentBody::Single(p) => *p,
                PaymentBody::Purse(_) => unreachable!(),
            }),
        ),
        ..claim
    };
    let (r, cost) = measure(|| b.redeem(&mixed, &w.vendor, NOW));
    assert_eq!(r.unwrap_err(), RedeemError::PaymentMismatch);
    assert_eq!(cost.signatures_verified, 0);

    // The honest claim: two verifications, 40 chain steps.
    let (r, cost) = measure(|| b.redeem(&claim, &w.vendor, NOW));
    assert_eq!(r.unwrap().units, 40);
    assert_eq!(cost.signatures_verified, 2);
    assert_eq!(cost.hashes.chain_steps, 40);
}

#[test]
fn every_variant_checks_its_fields_before_its_signatures() {
    let w = world(1 << 40);
    let other = VendorId::from_bytes([0xee; 32]);
    let mut b = broker(&w);
    let leaf = common::leaf(&w, 11, 50, 20);
    let grant = common::grant(&w, 12, 20);
    let device = common::device(&w, 13, 1000, 1000, 20);

    let (r, cost) = measure(|| b.redeem_leaf(&leaf, &other, NOW));
    assert!(r.is_err());
    assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));
    let (r, cost) = measure(|| b.redeem_grant(&grant, &other, NOW));
    assert!(r.is_err());
    assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));
    let (r, cost) = measure(|| b.redeem_device(&device, &other, NOW));
    assert!(r.is_err());
    assert_eq!((cost.signatures_verified, cost.hashes.total()), (0, 0));

    // Honest: a leaf costs its path (1 leaf + 0 node hashes for a one-leaf
    // tree) and 2 verifications; a grant and a device claim 3.
    let (r, cost) = measure(|| b.redeem_leaf(&leaf, &w.vendor, NOW));
    assert_eq!(r.unwrap().units, 20);
    assert_eq!((cost.signatures_verified, cost.hashes.chain_steps), (2, 20));
    let (r, cost) = measure(|| b.redeem_grant(&grant, &w.vendor, NOW));
    assert_eq!(r.unwrap().units, 20);
    assert_eq!((cost.signatures_verified, cost.hashes.chain_steps), (3, 20));
    let (r, cost) = measure(|| b.redeem_device(&device, &w.vendor, NOW));
    assert_eq!(r.unwrap().units, 20);
    assert_eq!((cost.signatures_verified, cost.hashes.chain_steps), (3, 20));
}
