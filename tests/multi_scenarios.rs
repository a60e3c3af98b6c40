#![cfg(feature = "ed25519")]
//! Scenarios for the multi-merchant variants: Merkle (PayTree) commitments,
//! shared chains with range grants, reservations, and the fraud proofs they
//! produce (or must not produce).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use payword::fraud::{EquivocationProof, OpenedLeaf, OvercommitProof};
use payword::fraud::{FraudError, FraudProof};
use payword::grant::{
    GrantClaim, GrantSession, RangeGrant, RangeGrantFields, SharedCommitment,
    SharedCommitmentFields,
};
use payword::reservation::Reservation;
use payword::reservation::ReservationTarget;
use payword::tree::{Leaf, LeafSession, MerkleTree, MultiCommitment};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Encode, HashAlg, MemoryStore, MessageSigner,
    MultiError, OverspendProof, Payment, PaymentBody, Payword, RedemptionClaim, Session, Sha256,
    StoreAll, Traversal, VendorId, Word,
};
use proptest::prelude::*;

const NOW: u64 = 1_000_000;
const SKEW: u64 = 30;
const GRACE: u64 = 500;
const STEPS: u32 = 1 << 20;

struct World {
    broker: SigningKey,
    broker_id: BrokerId,
    customers: Vec<(SigningKey, Certificate)>,
}

fn vendor(v: u8) -> VendorId {
    VendorId::from_bytes([0x70 + v; 32])
}

fn world(customers: usize, credit_limit: u64) -> World {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let customers = (0..customers)
        .map(|c| {
            let key = SigningKey::from_bytes(&[0x20 + c as u8; 32]);
            let cert = Certificate::issue(
                CertificateFields {
                    broker: broker_id,
                    serial: c as u64,
                    customer: CustomerId::from_bytes([0x40 + c as u8; 16]),
                    customer_key: key.public_key(),
                    credit_limit,
                    valid_from: NOW - 1000,
                    expires: NOW + 100_000,
                },
                &broker,
            )
            .unwrap();
            (key, cert)
        })
        .collect();
    World {
        broker,
        broker_id,
        customers,
    }
}

impl World {
    fn broker(&self) -> Broker<MemoryStore> {
        Broker::new(
            self.broker_id,
            self.broker.public_key(),
            MemoryStore::new(),
            GRACE,
        )
        .with_limit(STEPS)
    }
}

/// A chain of length `n`: its parameters and words `w_0..=w_n`.
fn chain(tag: u8, n: u32) -> (ChainParams, Vec<Payword>) {
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([tag; 16]), n.into()).unwrap();
    let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([tag; 32]), params).unwrap();
    let mut words = vec![Payword::new(0, wallet.anchor().as_word())];
    words.extend(wallet);
    (params, words)
}

/// A plain commitment of customer 0 to a fresh chain, for vendor `v`.
fn plain_commitment(w: &World, v: u8, chain_tag: u8) -> (Commitment, Vec<Payword>) {
    let (key, cert) = &w.customers[0];
    let (params, words) = chain(chain_tag, 1000);
    let c = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor: vendor(v),
            unit_value: 1,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            chain: single(params, &words),
            renewal: None,
        },
        key,
    )
    .unwrap();
    (c, words)
}

fn single(params: ChainParams, words: &[Payword]) -> CommittedChain {
    CommittedChain::Single {
        params,
        anchor: payword::Anchor::from_bytes(words[0].word().to_bytes()),
    }
}

/// A customer's Merkle commitment over one leaf per vendor (chains of `n`,
/// unit value 1, each capped at `cap`); returns the root, the tree and each
/// leaf's words.
fn merkle(
    w: &World,
    c: usize,
    vendors: &[u8],
    n: u32,
    cap: u64,
    total_cap: Option<u64>,
) -> (MultiCommitment, MerkleTree, Vec<Vec<Payword>>) {
    let (key, cert) = &w.customers[c];
    let mut words = Vec::new();
    let leaves = vendors
        .iter()
        .map(|&v| {
            let (params, ws) = chain(0x80 + 16 * c as u8 + v, n);
            let leaf = Leaf {
                vendor: vendor(v),
                unit_value: 1,
                cap,
                chain: single(params, &ws),
            };
            words.push(ws);
            leaf
        })
        .collect();
    let tree =
        MerkleTree::build(cert.digest(), ChainId::from_bytes([c as u8; 16]), leaves).unwrap();
    let mut fields = tree.fields(NOW - 100, NOW + 1000);
    if let Some(t) = total_cap {
        fields.total_cap = t;
    }
    let root = MultiCommitment::sign(fields, key).unwrap();
    (root, tree, words)
}

fn leaf_session(
    w: &World,
    c: usize,
    root: &MultiCommitment,
    tree: &MerkleTree,
    j: u32,
) -> LeafSession {
    let opening = tree.opening(root, j).unwrap();
    LeafSession::open(
        opening.leaf.vendor,
        &w.broker.public_key(),
        w.customers[c].1,
        opening,
        NOW,
        SKEW,
    )
    .unwrap()
}

fn shared(w: &World, c: usize, n: u32, unit: u64) -> (SharedCommitment, Vec<Payword>) {
    let (key, cert) = &w.customers[c];
    let (params, words) = chain(0x10 + c as u8, n);
    let s = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: cert.digest(),
            unit_value: unit,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            params,
            anchor: payword::Anchor::from_bytes(words[0].word().to_bytes()),
        },
        key,
    )
    .unwrap();
    (s, words)
}

fn grant(
    w: &World,
    c: usize,
    s: &SharedCommitment,
    words: &[Payword],
    v: u8,
    a: u32,
    b: u32,
) -> RangeGrant {
    RangeGrant::sign(
        RangeGrantFields {
            commitment: s.digest(),
            vendor: vendor(v),
            from: a,
            to: b,
            start: *words[a as usize].word(),
        },
        &w.customers[c].0,
    )
    .unwrap()
}

fn grant_claim(
    w: &World,
    c: usize,
    s: &SharedCommitment,
    g: &RangeGrant,
    p: Payword,
) -> GrantClaim {
    GrantClaim {
        certificate: w.customers[c].1,
        commitment: *s,
        grant: *g,
        payword: p,
    }
}

fn pay(id: &payword::Digest, p: Payword) -> Payment {
    Payment::new(*id, PaymentBody::Single(p))
}

fn round_trip<T: Encode + PartialEq + core::fmt::Debug>(v: &T) {
    let bytes = v.to_bytes();
    assert!(bytes.len() <= T::MAX_LEN);
    assert_eq!(&T::decode(&bytes).unwrap(), v);
}

#[test]
fn one_signature_pays_three_vendors() {
    let w = world(1, 1_000_000);
    let (root, tree, words) = merkle(&w, 0, &[0, 1, 2], 100, 100, None);
    assert_eq!(root.fields().total_cap, 300);
    round_trip(&root);
    let mut b = w.broker();
    for j in 0..3u32 {
        let mut s = leaf_session(&w, 0, &root, &tree, j);
        round_trip(&tree.opening(&root, j).unwrap());
        for i in 1..=(10 * (j + 1)) {
            assert_eq!(
                s.pay(&pay(s.leaf_id(), words[j as usize][i as usize]), NOW),
                Ok(1)
            );
        }
        let claim = s.claim().unwrap();
        round_trip(&claim);
        let r = b.redeem_leaf(&claim, &vendor(j as u8), NOW + 10).unwrap();
        assert_eq!(
            (r.owed, r.units, r.fraud),
            (10 * u64::from(j + 1), 10 * u64::from(j + 1), None)
        );
        // Idempotent.
        let r = b.redeem_leaf(&claim, &vendor(j as u8), NOW + 10).unwrap();
        assert_eq!(r.owed, 0);
    }
}

#[test]
fn leaf_session_refuses_what_it_must() {
    let w = world(1, 1_000_000);
    let (root, tree, words) = merkle(&w, 0, &[0, 1, 2], 20, 5, None);
    let opening = tree.opening(&root, 1).unwrap();
    let open = |o, v| LeafSession::open(v, &w.broker.public_key(), w.customers[0].1, o, NOW, SKEW);
    assert_eq!(
        open(opening, vendor(0)).unwrap_err(),
        MultiError::WrongVendor
    );
    // The leaf of vendor 1 moved to index 0 does not lead to the root.
    let mut moved = opening;
    moved.index = 0;
    assert_eq!(open(moved, vendor(1)).unwrap_err(), MultiError::NotInTree);
    let mut s = open(opening, vendor(1)).unwrap();
    // Another leaf's paywords: wrong id.
    let other = tree.opening(&root, 0).unwrap().leaf_id();
    assert_eq!(
        s.pay(&pay(&other, words[1][1]), NOW),
        Err(MultiError::WrongCommitment)
    );
    // Past the leaf cap (5 units of value 1).
    assert_eq!(
        s.pay(&pay(s.leaf_id(), words[1][6]), NOW),
        Err(MultiError::OverCap)
    );
    assert_eq!(s.pay(&pay(s.leaf_id(), words[1][5]), NOW), Ok(5));
}

#[test]
fn customer_double_spends_a_shared_chain_and_is_caught() {
    let w = world(2, 1_000_000);
    let (s, words) = shared(&w, 1, 200, 1);
    let g1 = grant(&w, 1, &s, &words, 1, 0, 100);
    let g2 = grant(&w, 1, &s, &words, 2, 50, 150);
    round_trip(&s);
    round_trip(&g1);
    let mut b = w.broker();
    let mut owed = 0;
    let mut fraud = None;
    for (g, v, top) in [(&g1, 1, 100), (&g2, 2, 150)] {
        let mut vs = GrantSession::open(
            vendor(v),
            &w.broker.public_key(),
            w.customers[1].1,
            s,
            *g,
            NOW,
            SKEW,
        )
        .unwrap();
        let start = g.fields().from;
        for i in start + 1..=top {
            assert_eq!(vs.pay(&pay(vs.grant_id(), words[i as usize]), NOW), Ok(1));
        }
        let claim = vs.claim().unwrap();
        round_trip(&claim);
        let r = b.redeem_grant(&claim, &vendor(v), NOW).unwrap();
        owed += r.owed;
        if v == 1 {
            assert!(r.fraud.is_none());
        } else {
            fraud = r.fraud;
        }
    }
    assert_eq!(
        owed, 200,
        "both vendors are paid: both grants are the customer's debts"
    );
    let proof = fraud.expect("overlapping grants for two vendors");
    assert_eq!(proof.kind(), "equivocation");
    // A separate verifier, holding only the broker's public key, checks it.
    let bytes = proof.to_bytes();
    let decoded = FraudProof::decode(&bytes).unwrap();
    assert_eq!(decoded, proof);
    assert_eq!(
        decoded.verify(&w.broker.public_key(), STEPS),
        Ok(CustomerId::from_bytes([0x41; 16]))
    );
    // Another broker's key verifies nothing.
    assert!(
        decoded
            .verify(&w.customers[0].0.public_key(), STEPS)
            .is_err()
    );
}

#[test]
fn plain_payword_one_root_two_vendors_is_two_debts_not_fraud() {
    // The control case: the same chain committed to two vendors under plain
    // PayWord. Each commitment binds its vendor, so both are honest debts.
    let w = world(1, 1_000_000);
    let (params, words) = chain(9, 50);
    let mut b = w.broker();
    for v in [1, 2] {
        let c = Commitment::sign(
            CommitmentFields {
                certificate: w.customers[0].1.digest(),
                vendor: vendor(v),
                unit_value: 2,
                valid_from: NOW - 100,
                expires: NOW + 1000,
                chain: single(params, &words),
                renewal: None,
            },
            &w.customers[0].0,
        )
        .unwrap();
        let mut s = Session::open(
            vendor(v),
            &w.broker.public_key(),
            w.customers[0].1,
            c,
            NOW,
            SKEW,
        )
        .unwrap();
        s.pay(&pay(&c.digest(), words[30]), NOW).unwrap();
        let claim: RedemptionClaim = s.claim().unwrap();
        let r = b.redeem(&claim, &vendor(v), NOW).unwrap();
        assert_eq!((r.owed, r.overspent), (60, None));
    }
}

#[test]
fn overlap_exactly_at_a_range_boundary() {
    let w = world(1, 1_000_000);
    let (s, words) = shared(&w, 0, 300, 1);
    // (0, 100] and (100, 200]: adjacent, not overlapping.
    let a = grant(&w, 0, &s, &words, 1, 0, 100);
    let b2 = grant(&w, 0, &s, &words, 2, 100, 200);
    // (99, 200]: shares index 100 with (0, 100].
    let c = grant(&w, 0, &s, &words, 3, 99, 200);
    assert!(!a.overlaps(&b2) && a.overlaps(&c) && b2.overlaps(&c));
    let mut b = w.broker();
    let r = b
        .redeem_grant(&grant_claim(&w, 0, &s, &a, words[100]), &vendor(1), NOW)
        .unwrap();
    assert!(r.fraud.is_none());
    let r = b
        .redeem_grant(&grant_claim(&w, 0, &s, &b2, words[101]), &vendor(2), NOW)
        .unwrap();
    assert!(r.fraud.is_none(), "adjacent ranges are honest");
    let r = b
        .redeem_grant(&grant_claim(&w, 0, &s, &c, words[100]), &vendor(3), NOW)
        .unwrap();
    let proof = r.fraud.expect("one shared index is enough");
    assert!(proof.verify(&w.broker.public_key(), STEPS).is_ok());
    // The adjacent pair, handed to a verifier as a "proof", is refused.
    let FraudProof::Equivocation(p) = proof else {
        panic!()
    };
    let honest = FraudProof::Equivocation(EquivocationProof {
        first: a,
        second: b2,
        ..p
    });
    assert_eq!(
        honest.verify(&w.broker.public_key(), STEPS),
        Err(FraudError::NotFraud)
    );
    // The same vendor with an overlapping second grant is refused, without a proof.
    let again = grant(&w, 0, &s, &words, 1, 50, 60);
    assert_eq!(
        b.redeem_grant(&grant_claim(&w, 0, &s, &again, words[60]), &vendor(1), NOW),
        Err(MultiError::GrantOverlap)
    );
}

#[test]
fn overspend_across_three_vendors() {
    // Credit 100; three vendors each paid 40 under plain commitments.
    let w = world(1, 100);
    let mut b = w.broker();
    let mut owed = 0;
    let mut proof = None;
    for v in 0..3u8 {
        let (params, words) = chain(0x30 + v, 64);
        let c = Commitment::sign(
            CommitmentFields {
                certificate: w.customers[0].1.digest(),
                vendor: vendor(v),
                unit_value: 2,
                valid_from: NOW - 100,
                expires: NOW + 1000,
                chain: single(params, &words),
                renewal: None,
            },
            &w.customers[0].0,
        )
        .unwrap();
        let claim = RedemptionClaim {
            certificate: w.customers[0].1,
            commitment: c,
            payment: pay(&c.digest(), words[20]),
        };
        let r = b.redeem(&claim, &vendor(v), NOW).unwrap();
        owed += r.owed;
        proof = proof.or(r.overspent);
    }
    assert_eq!(owed, 100);
    let proof = FraudProof::overspent(proof.expect("third vendor overspends")).unwrap();
    let FraudProof::Overspent(p) = &proof else {
        panic!()
    };
    assert_eq!(p.spent.len(), 3, "two commitments of 40 are within 100");
    let decoded = FraudProof::decode(&proof.to_bytes()).unwrap();
    assert_eq!(
        decoded.verify(&w.broker.public_key(), STEPS),
        Ok(CustomerId::from_bytes([0x40; 16]))
    );
}

#[test]
fn overcommitted_merkle_leaves() {
    // Three leaves capped at 100 each under a root declaring a total of 250.
    let w = world(1, 1_000_000);
    let (root, tree, words) = merkle(&w, 0, &[0, 1, 2], 100, 100, Some(250));
    let mut b = w.broker();
    let mut owed = 0;
    let mut fraud = None;
    for j in 0..3u32 {
        let mut s = leaf_session(&w, 0, &root, &tree, j);
        s.pay(&pay(s.leaf_id(), words[j as usize][100]), NOW)
            .unwrap();
        let r = b
            .redeem_leaf(&s.claim().unwrap(), &vendor(j as u8), NOW)
            .unwrap();
        owed += r.owed;
        if j < 2 {
            assert!(r.fraud.is_none());
        } else {
            fraud = r.fraud;
        }
    }
    assert_eq!(owed, 250, "the broker pays up to the declared total");
    let proof = fraud.expect("caps 300 > total 250");
    let decoded = FraudProof::decode(&proof.to_bytes()).unwrap();
    assert_eq!(decoded, proof);
    assert!(decoded.verify(&w.broker.public_key(), STEPS).is_ok());
    // Two of the three leaves are within the total: no fraud.
    let FraudProof::Overcommit(p) = decoded else {
        panic!()
    };
    let fewer = OvercommitProof {
        leaves: p.leaves[..2].to_vec(),
        ..p.clone()
    };
    assert_eq!(
        FraudProof::Overcommit(fewer).verify(&w.broker.public_key(), STEPS),
        Err(FraudError::NotFraud)
    );
    // The same leaf listed twice is no proof.
    let twice = OvercommitProof {
        leaves: vec![p.leaves[0], p.leaves[0], p.leaves[1]],
        ..p
    };
    assert_eq!(
        FraudProof::Overcommit(twice).verify(&w.broker.public_key(), STEPS),
        Err(FraudError::Duplicate)
    );
}

#[test]
fn vendor_cannot_redeem_another_vendors_leaf_or_leaked_paywords() {
    let w = world(1, 1_000_000);
    let (root, tree, words) = merkle(&w, 0, &[0, 1], 50, 50, None);
    let mut b = w.broker();
    let mut s0 = leaf_session(&w, 0, &root, &tree, 0);
    s0.pay(&pay(s0.leaf_id(), words[0][20]), NOW).unwrap();
    let claim0 = s0.claim().unwrap();
    // Vendor 1 presents vendor 0's claim.
    assert_eq!(
        b.redeem_leaf(&claim0, &vendor(1), NOW),
        Err(MultiError::WrongVendor)
    );
    // Vendor 1 presents vendor 0's paywords under its own leaf.
    let opening1 = tree.opening(&root, 1).unwrap();
    let stolen = payword::tree::LeafClaim {
        opening: opening1,
        ..claim0
    };
    assert_eq!(
        b.redeem_leaf(&stolen, &vendor(1), NOW),
        Err(MultiError::WrongCommitment)
    );
    let renamed = payword::tree::LeafClaim {
        opening: opening1,
        payment: pay(&opening1.leaf_id(), words[0][20]),
        ..claim0
    };
    assert!(matches!(
        b.redeem_leaf(&renamed, &vendor(1), NOW),
        Err(MultiError::Invalid(_))
    ));
    // Shared chain: vendor 2 learns vendor 1's paywords (below its own start word).
    let (s, ws) = shared(&w, 0, 100, 1);
    let g1 = grant(&w, 0, &s, &ws, 1, 0, 40);
    let g2 = grant(&w, 0, &s, &ws, 2, 40, 100);
    assert_eq!(
        b.redeem_grant(&grant_claim(&w, 0, &s, &g1, ws[30]), &vendor(2), NOW),
        Err(MultiError::WrongVendor)
    );
    assert_eq!(
        b.redeem_grant(&grant_claim(&w, 0, &s, &g2, ws[30]), &vendor(2), NOW),
        Err(MultiError::OutsideGrant)
    );
    // A grant vendor 2 signs itself for vendor 1's range does not verify.
    let forged = RangeGrant::sign(*g1.fields(), &SigningKey::from_bytes(&[0x99; 32])).unwrap();
    assert!(
        b.redeem_grant(&grant_claim(&w, 0, &s, &forged, ws[30]), &vendor(1), NOW)
            .is_err()
    );
    // Vendor 1 is paid in full, and nobody was blamed.
    let r = b
        .redeem_grant(&grant_claim(&w, 0, &s, &g1, ws[30]), &vendor(1), NOW)
        .unwrap();
    assert_eq!((r.owed, r.fraud), (30, None));
    let r = b.redeem_leaf(&claim0, &vendor(0), NOW).unwrap();
    assert_eq!((r.owed, r.fraud), (20, None));
}

#[test]
fn a_proof_built_from_paywords_alone_does_not_verify() {
    let w = world(1, 1_000_000);
    let (s, ws) = shared(&w, 0, 100, 1);
    let g2 = grant(&w, 0, &s, &ws, 2, 40, 100);
    let vendor_key = SigningKey::from_bytes(&[0x99; 32]);
    // Vendor 2 holds vendor 1's leaked paywords w_1..w_40 and makes up a grant
    // to vendor 1 overlapping its own; it can only sign it with its own key.
    let made_up = RangeGrant::sign(
        RangeGrantFields {
            commitment: s.digest(),
            vendor: vendor(1),
            from: 0,
            to: 60,
            start: *ws[0].word(),
        },
        &vendor_key,
    )
    .unwrap();
    let proof = FraudProof::Equivocation(EquivocationProof {
        certificate: w.customers[0].1,
        commitment: s,
        first: made_up,
        second: g2,
    });
    assert!(matches!(
        proof.verify(&w.broker.public_key(), STEPS),
        Err(FraudError::Invalid(_))
    ));
    // An overspend "proof" from a commitment the vendor signed over paywords it saw.
    let (params, words) = chain(0x55, 64);
    let fake = Commitment::sign(
        CommitmentFields {
            certificate: w.customers[0].1.digest(),
            vendor: vendor(2),
            unit_value: 1_000_000,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            chain: single(params, &words),
            renewal: None,
        },
        &vendor_key,
    )
    .unwrap();
    let proof = FraudProof::Overspent(OverspendProof {
        certificate: w.customers[0].1,
        spent: vec![(fake, PaymentBody::Single(words[64]))],
    });
    assert!(matches!(
        proof.verify(&w.broker.public_key(), STEPS),
        Err(FraudError::Invalid(_))
    ));
    // An overcommit "proof" whose leaf is not under the signed root.
    let (root, tree, _) = merkle(&w, 0, &[0, 1], 10, 10, None);
    let mut leaf = tree.opening(&root, 0).unwrap();
    leaf.leaf.cap = 1_000;
    let proof = FraudProof::Overcommit(OvercommitProof {
        certificate: w.customers[0].1,
        commitment: root,
        leaves: vec![OpenedLeaf {
            index: 0,
            leaf: leaf.leaf,
            path: leaf.path,
        }],
    });
    assert!(matches!(
        proof.verify(&w.broker.public_key(), STEPS),
        Err(FraudError::Invalid(_))
    ));
}

#[test]
fn reservations_never_exceed_the_credit_limit() {
    let w = world(1, 1000);
    let (key, cert) = &w.customers[0];
    let mut b = w.broker();
    let mk = |v: u8, chain_tag: u8| {
        let (params, words) = chain(chain_tag, 1000);
        let c = Commitment::sign(
            CommitmentFields {
                certificate: cert.digest(),
                vendor: vendor(v),
                unit_value: 1,
                valid_from: NOW - 100,
                expires: NOW + 1000,
                chain: single(params, &words),
                renewal: None,
            },
            key,
        )
        .unwrap();
        (c, words)
    };
    let (ca, wa) = mk(1, 0x61);
    let (cb, wb) = mk(2, 0x62);
    let ra = b
        .reserve(
            cert,
            ReservationTarget::Commitment(&ca),
            600,
            NOW,
            NOW + 1000,
            &w.broker,
        )
        .unwrap();
    round_trip(&ra);
    assert!(ra.verify(&w.broker.public_key()).is_ok());
    assert!(ra.covers(&ca.digest(), &vendor(1)));
    // 600 + 500 > 1000: refused; so is a second reservation on the same commitment.
    assert_eq!(
        b.reserve(
            cert,
            ReservationTarget::Commitment(&cb),
            500,
            NOW,
            NOW + 1000,
            &w.broker
        ),
        Err(MultiError::OverCredit)
    );
    assert_eq!(
        b.reserve(
            cert,
            ReservationTarget::Commitment(&ca),
            1,
            NOW,
            NOW + 1000,
            &w.broker
        ),
        Err(MultiError::AlreadyReserved)
    );
    let _: Reservation = b
        .reserve(
            cert,
            ReservationTarget::Commitment(&cb),
            400,
            NOW,
            NOW + 1000,
            &w.broker,
        )
        .unwrap();
    assert_eq!(
        b.reserve(
            cert,
            ReservationTarget::Commitment(&plain_commitment(&w, 3, 0x63).0),
            1,
            NOW,
            NOW + 1000,
            &w.broker
        ),
        Err(MultiError::OverCredit)
    );
    // Vendor B overspends its reservation first: paid only 400, so that A's 600 stay.
    let claim = |c: &Commitment, p| RedemptionClaim {
        certificate: *cert,
        commitment: *c,
        payment: pay(&c.digest(), p),
    };
    let r = b.redeem(&claim(&cb, wb[700]), &vendor(2), NOW).unwrap();
    assert_eq!(r.owed, 400);
    let r = b.redeem(&claim(&ca, wa[600]), &vendor(1), NOW).unwrap();
    assert_eq!(
        r.owed, 600,
        "a reservation is honoured whatever else was spent"
    );
    assert_eq!(
        b.reserved(&cert.digest(), NOW).unwrap(),
        0,
        "both reservations used up"
    );
}

#[test]
fn expired_reservations_return_their_credit() {
    let w = world(1, 1000);
    let cert = &w.customers[0].1;
    let mut b = w.broker();
    let (c1, _) = plain_commitment(&w, 1, 0x71);
    let (c2, _) = plain_commitment(&w, 2, 0x72);
    b.reserve(
        cert,
        ReservationTarget::Commitment(&c1),
        800,
        NOW,
        NOW + 10,
        &w.broker,
    )
    .unwrap();
    assert_eq!(
        b.reserve(
            cert,
            ReservationTarget::Commitment(&c2),
            300,
            NOW,
            NOW + 10,
            &w.broker
        ),
        Err(MultiError::OverCredit)
    );
    assert_eq!(
        b.release_expired(&cert.digest(), NOW + 5),
        Ok(0),
        "not expired yet"
    );
    assert_eq!(b.release_expired(&cert.digest(), NOW + 11), Ok(1));
    assert_eq!(b.reserved(&cert.digest(), NOW).unwrap(), 0);
    b.reserve(
        cert,
        ReservationTarget::Commitment(&c2),
        300,
        NOW + 11,
        NOW + 20,
        &w.broker,
    )
    .unwrap();
}

/// The honest run: 3 customers × 3 vendors × 10,000 payments under Merkle
/// commitments and another 10,000 under range grants of one shared chain
/// per customer; batch claims shuffled and duplicated at the broker.
#[test]
fn honest_three_by_three_by_ten_thousand() {
    const PAYMENTS: u32 = 10_000;
    const BATCH: u32 = 1_000;
    enum Claim {
        Leaf(Box<payword::tree::LeafClaim>),
        Grant(Box<GrantClaim>),
    }
    let w = world(3, 1_000_000);
    let mut claims = Vec::new();
    let mut expected = [[0u64; 3]; 3];
    for (c, row) in expected.iter_mut().enumerate() {
        let (root, tree, words) =
            merkle(&w, c, &[0, 1, 2], PAYMENTS, u64::from(PAYMENTS) * 2, None);
        let (sc, ws) = shared(&w, c, 3 * PAYMENTS, 1);
        for v in 0..3u32 {
            let mut s = leaf_session(&w, c, &root, &tree, v);
            let from = v * PAYMENTS;
            let g = grant(&w, c, &sc, &ws, v as u8, from, from + PAYMENTS);
            let mut gs = GrantSession::open(
                vendor(v as u8),
                &w.broker.public_key(),
                w.customers[c].1,
                sc,
                g,
                NOW,
                SKEW,
            )
            .unwrap();
            for i in 1..=PAYMENTS {
                assert_eq!(
                    s.pay(&pay(s.leaf_id(), words[v as usize][i as usize]), NOW),
                    Ok(1)
                );
                assert_eq!(
                    gs.pay(&pay(gs.grant_id(), ws[(from + i) as usize]), NOW),
                    Ok(1)
                );
                if i % BATCH == 0 {
                    claims.push((c, v as u8, Claim::Leaf(Box::new(s.claim().unwrap()))));
                    claims.push((c, v as u8, Claim::Grant(Box::new(gs.claim().unwrap()))));
                }
            }
            row[v as usize] = s.value_paid() + gs.units_paid();
        }
    }
    // Shuffle (a fixed permutation) and duplicate.
    let mut all: Vec<_> = claims.iter().chain(claims.iter()).collect();
    let len = all.len();
    for i in 0..len {
        all.swap(i, (i * 7919 + 13) % len);
    }
    let mut b = w.broker();
    let mut owed = [[0u64; 3]; 3];
    for (c, v, claim) in all {
        let r = match claim {
            Claim::Leaf(cl) => b.redeem_leaf(cl, &vendor(*v), NOW + 1100),
            Claim::Grant(cl) => b.redeem_grant(cl, &vendor(*v), NOW + 1100),
        }
        .unwrap();
        assert!(r.fraud.is_none(), "an honest run produced a proof");
        owed[*c][usize::from(*v)] += r.owed;
    }
    assert_eq!(owed, expected);
    assert_eq!(owed, [[2 * u64::from(PAYMENTS); 3]; 3]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Honest grant traces: consecutive ranges to vendors, payments inside
    /// them, claims in any order and repeated. No proof while the customer
    /// stays within the credit limit (past it, only a credit-overspend proof,
    /// which verifies); value conserved against the credit limit.
    #[test]
    fn honest_grants_never_produce_a_proof(
        cuts in proptest::collection::vec(1u32..20, 1..5),
        spend in proptest::collection::vec(0u32..20, 5),
        limit in 1u64..200,
        order in proptest::collection::vec(0usize..100, 12),
    ) {
        let w = world(1, limit);
        let n: u32 = cuts.iter().sum();
        let (s, ws) = shared(&w, 0, n, 1);
        let mut a = 0;
        let mut claims = Vec::new();
        let mut released = 0u64;
        for (v, len) in cuts.iter().enumerate() {
            let g = grant(&w, 0, &s, &ws, v as u8, a, a + len);
            let used = spend[v] % (len + 1);
            if used > 0 {
                claims.push((v as u8, grant_claim(&w, 0, &s, &g, ws[(a + used) as usize])));
                // A smaller, earlier claim too.
                claims.push((v as u8, grant_claim(&w, 0, &s, &g, ws[(a + 1) as usize])));
                released += u64::from(used);
            }
            a += len;
        }
        let mut b = w.broker();
        let mut total = 0;
        for k in order.iter().chain(order.iter()) {
            if claims.is_empty() { break; }
            let (v, c) = &claims[k % claims.len()];
            let r = b.redeem_grant(c, &vendor(*v), NOW).unwrap();
            check_honest(&w, &r.fraud, released, limit)?;
            total += r.owed;
        }
        for (v, c) in &claims {
            let r = b.redeem_grant(c, &vendor(*v), NOW).unwrap();
            check_honest(&w, &r.fraud, released, limit)?;
            total += r.owed;
        }
        prop_assert_eq!(total, released.min(limit));
    }

    /// Any two grants of different vendors over one commitment: a proof
    /// naming exactly that customer iff the ranges overlap.
    #[test]
    fn overlapping_grants_always_name_the_customer(
        c in 0usize..3,
        a1 in 0u32..30, l1 in 1u32..30,
        a2 in 0u32..30, l2 in 1u32..30,
    ) {
        let w = world(3, 1_000_000);
        let (s, ws) = shared(&w, c, 60, 1);
        let g1 = grant(&w, c, &s, &ws, 1, a1, a1 + l1);
        let g2 = grant(&w, c, &s, &ws, 2, a2, a2 + l2);
        let mut b = w.broker();
        b.redeem_grant(&grant_claim(&w, c, &s, &g1, ws[(a1 + 1) as usize]), &vendor(1), NOW).unwrap();
        let r = b.redeem_grant(&grant_claim(&w, c, &s, &g2, ws[(a2 + l2) as usize]), &vendor(2), NOW).unwrap();
        let overlap = a1 < a2 + l2 && a2 < a1 + l1;
        prop_assert_eq!(r.fraud.is_some(), overlap);
        if let Some(p) = r.fraud {
            let named = FraudProof::decode(&p.to_bytes()).unwrap().verify(&w.broker.public_key(), STEPS).unwrap();
            prop_assert_eq!(named, *w.customers[c].1.fields().customer.as_ref_id());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Merkle leaves with random caps under a random declared total: the
    /// broker never pays past the total, and returns an overcommit proof
    /// (which verifies) exactly when the caps redeemed sum past it.
    #[test]
    fn overcommit_proof_iff_caps_exceed_the_total(
        caps in proptest::collection::vec(1u64..40, 1..6),
        total in 1u64..120,
        spend in proptest::collection::vec(1u32..40, 6),
    ) {
        let w = world(1, 1_000_000);
        let (key, cert) = &w.customers[0];
        let mut words = Vec::new();
        let leaves: Vec<Leaf> = caps.iter().enumerate().map(|(v, &cap)| {
            let (params, ws) = chain(0xa0 + v as u8, 40);
            words.push(ws.clone());
            Leaf { vendor: vendor(v as u8), unit_value: 1, cap, chain: single(params, &ws) }
        }).collect();
        let tree = MerkleTree::build(cert.digest(), ChainId::from_bytes([7; 16]), leaves).unwrap();
        let mut f = tree.fields(NOW - 100, NOW + 1000);
        f.total_cap = total;
        let root = MultiCommitment::sign(f, key).unwrap();
        let mut b = w.broker();
        let mut owed = 0;
        let mut caps_seen = 0;
        for (j, &cap) in caps.iter().enumerate() {
            let i = spend[j].min(cap as u32);
            let claim = payword::tree::LeafClaim {
                certificate: *cert,
                opening: tree.opening(&root, j as u32).unwrap(),
                payment: pay(&tree.opening(&root, j as u32).unwrap().leaf_id(), words[j][i as usize]),
            };
            let r = match b.redeem_leaf(&claim, &vendor(j as u8), NOW) {
                Ok(r) => r,
                Err(e) => {
                    // A leaf whose cap is above the total is refused outright.
                    prop_assert_eq!(e, MultiError::CapOverTotal);
                    prop_assert!(cap > total);
                    continue;
                }
            };
            caps_seen += cap;
            owed += r.owed;
            prop_assert_eq!(r.fraud.is_some(), caps_seen > total);
            if let Some(p) = r.fraud {
                prop_assert!(p.verify(&w.broker.public_key(), STEPS).is_ok());
            }
        }
        prop_assert!(owed <= total);
    }
}

/// A customer within the credit limit is never blamed; past it, only a
/// verifying credit-overspend proof.
fn check_honest(
    w: &World,
    fraud: &Option<FraudProof>,
    released: u64,
    limit: u64,
) -> Result<(), TestCaseError> {
    if let Some(p) = fraud {
        prop_assert!(
            released > limit,
            "a proof against a customer within the limit"
        );
        prop_assert_eq!(p.kind(), "credit overspent");
        prop_assert!(p.verify(&w.broker.public_key(), STEPS).is_ok());
    }
    Ok(())
}

/// Helper so the property reads naturally.
trait AsRefId {
    fn as_ref_id(&self) -> &CustomerId;
}
impl AsRefId for CustomerId {
    fn as_ref_id(&self) -> &CustomerId {
        self
    }
}

#[test]
fn wire_decoders_refuse_what_they_must() {
    let w = world(1, 1000);
    let (s, ws) = shared(&w, 0, 10, 1);
    let g = grant(&w, 0, &s, &ws, 1, 0, 5);
    let mut bytes = g.to_bytes();
    // to ≤ from is non-canonical.
    bytes[70..74].copy_from_slice(&0u32.to_be_bytes());
    assert!(RangeGrant::decode(&bytes).is_err());
    // Trailing data.
    let mut bytes = s.to_bytes();
    bytes.push(0);
    assert!(SharedCommitment::decode(&bytes).is_err());
    // A fraud proof announcing more entries than the maximum is refused
    // before anything is read.
    let (root, _, _) = merkle(&w, 0, &[0, 1], 10, 10, None);
    let p = FraudProof::Overcommit(OvercommitProof {
        certificate: w.customers[0].1,
        commitment: root,
        leaves: vec![],
    });
    let mut bytes = p.to_bytes();
    let at = bytes.len() - 2;
    bytes[at..].copy_from_slice(&65u16.to_be_bytes());
    assert!(matches!(
        FraudProof::decode(&bytes),
        Err(payword::DecodeError::LengthOverLimit { .. })
    ));
    let _ = Word::from_bytes([0; 32]);
}

mod domain {
    use super::*;
    use payword::domain::{
        DeviceClaim, DeviceCommitment, DeviceCommitmentFields, DeviceSession, DomainCommitment,
        DomainCommitmentFields,
    };
    use payword::fraud::DomainOverspendProof;

    fn device_key(d: u8) -> SigningKey {
        SigningKey::from_bytes(&[0xd0 + d; 32])
    }

    /// A domain of 3 devices: domain limit 1000, device limit 400.
    fn domain(w: &World) -> DomainCommitment {
        let (key, cert) = &w.customers[0];
        let devices: Vec<_> = (0..3).map(|d| device_key(d).public_key()).collect();
        let f = DomainCommitmentFields::new(
            cert.digest(),
            ChainId::from_bytes([0xdd; 16]),
            1000,
            400,
            NOW - 100,
            NOW + 1000,
            &devices,
        )
        .unwrap();
        DomainCommitment::sign(f, key).unwrap()
    }

    /// Device `d` commits to vendor `v` over a fresh chain of 500 and pays
    /// `units`; returns the vendor's claim.
    fn spend(
        w: &World,
        dom: &DomainCommitment,
        signer: &SigningKey,
        d: u8,
        v: u8,
        units: u32,
    ) -> DeviceClaim {
        let (params, words) = chain(0xe0 + 8 * d + v, 500);
        let c = DeviceCommitment::sign(
            DeviceCommitmentFields {
                domain: dom.digest(),
                device: d,
                vendor: vendor(v),
                unit_value: 1,
                valid_from: NOW - 100,
                expires: NOW + 1000,
                chain: single(params, &words),
            },
            signer,
        )
        .unwrap();
        let mut s = DeviceSession::open(
            vendor(v),
            &w.broker.public_key(),
            w.customers[0].1,
            *dom,
            c,
            NOW,
            SKEW,
        )
        .unwrap();
        assert_eq!(
            s.pay(&pay(s.commitment_digest(), words[units as usize]), NOW),
            Ok(u64::from(units))
        );
        let claim = s.claim().unwrap();
        round_trip(&claim);
        claim
    }

    #[test]
    fn devices_past_their_limits_are_caught() {
        let w = world(1, 1_000_000);
        let dom = domain(&w);
        round_trip(&dom);
        let mut b = w.broker();
        let redeem = |b: &mut Broker<MemoryStore>, claim: &DeviceClaim| {
            b.redeem_device(claim, &claim.commitment.fields().vendor, NOW)
                .unwrap()
        };
        // Device 0: 300 at vendor 0, then 200 at vendor 1: 500 > 400.
        let r = redeem(&mut b, &spend(&w, &dom, &device_key(0), 0, 0, 300));
        assert_eq!((r.owed, r.fraud), (300, None));
        let r = redeem(&mut b, &spend(&w, &dom, &device_key(0), 0, 1, 200));
        assert_eq!(r.owed, 100, "paid up to the device limit");
        let proof = r.fraud.expect("device 0 overspent");
        assert_eq!(proof.kind(), "domain overspent");
        let decoded = FraudProof::decode(&proof.to_bytes()).unwrap();
        assert_eq!(decoded, proof);
        assert_eq!(
            decoded.verify(&w.broker.public_key(), STEPS),
            Ok(CustomerId::from_bytes([0x40; 16]))
        );
        // Devices 1 and 2 each stay within 400, but the domain passes 1000.
        let r = redeem(&mut b, &spend(&w, &dom, &device_key(1), 1, 2, 400));
        assert_eq!(r.owed, 400);
        assert!(r.fraud.is_none());
        let r = redeem(&mut b, &spend(&w, &dom, &device_key(2), 2, 2, 400));
        assert_eq!(r.owed, 200, "paid up to the domain limit");
        let FraudProof::DomainOverspent(p) = r.fraud.expect("domain overspent") else {
            panic!()
        };
        assert!(p.verify(&w.broker.public_key(), STEPS).unwrap() > 1000);
        // Dropping commitments until within both limits: no fraud.
        let within = DomainOverspendProof {
            spent: p.spent[..1].to_vec(),
            ..p.clone()
        };
        assert_eq!(
            within.verify(&w.broker.public_key(), STEPS),
            Err(FraudError::NotFraud)
        );
    }

    #[test]
    fn a_device_outside_the_domain_cannot_spend_or_blame() {
        let w = world(1, 1_000_000);
        let dom = domain(&w);
        let stranger = SigningKey::from_bytes(&[0x66; 32]);
        let (params, words) = chain(0x77, 500);
        let c = DeviceCommitment::sign(
            DeviceCommitmentFields {
                domain: dom.digest(),
                device: 0,
                vendor: vendor(0),
                unit_value: 1,
                valid_from: NOW - 100,
                expires: NOW + 1000,
                chain: single(params, &words),
            },
            &stranger,
        )
        .unwrap();
        assert_eq!(
            DeviceSession::open(
                vendor(0),
                &w.broker.public_key(),
                w.customers[0].1,
                dom,
                c,
                NOW,
                SKEW
            )
            .unwrap_err(),
            MultiError::UnknownDevice
        );
        let claim = DeviceClaim {
            certificate: w.customers[0].1,
            domain: dom,
            commitment: c,
            payment: pay(&c.digest(), words[500]),
        };
        let mut b = w.broker();
        assert_eq!(
            b.redeem_device(&claim, &vendor(0), NOW),
            Err(MultiError::UnknownDevice)
        );
        let proof = FraudProof::DomainOverspent(DomainOverspendProof {
            certificate: w.customers[0].1,
            domain: dom,
            spent: vec![(c, PaymentBody::Single(words[500]))],
        });
        assert!(matches!(
            proof.verify(&w.broker.public_key(), STEPS),
            Err(FraudError::Invalid(_))
        ));
        // Honest devices within their limits: paid in full, no proof.
        for d in 0..3 {
            let cl = spend(&w, &dom, &device_key(d), d, d, 300);
            let r = b.redeem_device(&cl, &vendor(d), NOW).unwrap();
            assert_eq!(r.owed, 300);
            assert!(r.fraud.is_none());
        }
    }
}

#[test]
fn overspend_across_variants_is_caught() {
    // Credit 100: a leaf pays 60, a grant 50 — 110 released.
    let w = world(1, 100);
    let (root, tree, words) = merkle(&w, 0, &[0], 100, 100, None);
    let (s, ws) = shared(&w, 0, 100, 1);
    let g = grant(&w, 0, &s, &ws, 1, 0, 100);
    let mut b = w.broker();
    let mut ls = leaf_session(&w, 0, &root, &tree, 0);
    ls.pay(&pay(ls.leaf_id(), words[0][60]), NOW).unwrap();
    let r = b
        .redeem_leaf(&ls.claim().unwrap(), &vendor(0), NOW)
        .unwrap();
    assert_eq!((r.owed, r.fraud), (60, None));
    let r = b
        .redeem_grant(&grant_claim(&w, 0, &s, &g, ws[50]), &vendor(1), NOW)
        .unwrap();
    assert_eq!(r.owed, 40, "paid up to the credit limit");
    let proof = r.fraud.expect("110 > 100");
    assert_eq!(proof.kind(), "credit overspent");
    let decoded = FraudProof::decode(&proof.to_bytes()).unwrap();
    assert_eq!(decoded, proof);
    assert_eq!(
        decoded.verify(&w.broker.public_key(), STEPS),
        Ok(CustomerId::from_bytes([0x40; 16]))
    );
    assert_eq!(
        b.credit_overspend_proof(&w.customers[0].1),
        Ok(Some(proof.clone()))
    );
    // Without the grant the leaf alone is within the limit.
    let FraudProof::CreditOverspent(mut p) = proof else {
        panic!()
    };
    p.spent
        .retain(|s| matches!(s, payword::fraud::Spend::Leaf { .. }));
    assert_eq!(
        FraudProof::CreditOverspent(p.clone()).verify(&w.broker.public_key(), STEPS),
        Err(FraudError::NotFraud)
    );
    // A plain commitment the vendor signed itself over paywords it holds
    // adds nothing: the proof no longer verifies.
    let (params, cw) = chain(0x5a, 64);
    let fake = Commitment::sign(
        CommitmentFields {
            certificate: w.customers[0].1.digest(),
            vendor: vendor(1),
            unit_value: 1000,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            chain: single(params, &cw),
            renewal: None,
        },
        &SigningKey::from_bytes(&[0x99; 32]),
    )
    .unwrap();
    p.spent.push(payword::fraud::Spend::Plain {
        commitment: fake,
        paid: PaymentBody::Single(cw[64]),
    });
    assert!(matches!(
        FraudProof::CreditOverspent(p).verify(&w.broker.public_key(), STEPS),
        Err(FraudError::Invalid(_))
    ));
}

/// The byte offsets documented in docs/WIRE.md.
#[test]
fn wire_offsets_match_the_docs() {
    let w = world(1, 1000);
    let (root, tree, _) = merkle(&w, 0, &[0, 1, 2], 10, 10, None);
    let b = root.to_bytes();
    assert_eq!(b.len(), 175);
    assert_eq!(b[0], 0x20);
    assert_eq!(&b[2..34], w.customers[0].1.digest().as_bytes());
    assert_eq!(&b[50..54], &3u32.to_be_bytes());
    assert_eq!(&b[54..62], &30u64.to_be_bytes());
    assert_eq!(&b[78..110], root.fields().root.as_bytes());
    let o = tree.opening(&root, 2).unwrap().to_bytes();
    assert_eq!((o[0], &o[2..177]), (0x21, &b[..]));
    assert_eq!(&o[177..181], &2u32.to_be_bytes());
    assert_eq!(&o[181..213], vendor(2).as_bytes());
    assert_eq!(o[181 + 102], 2, "path length = depth");
    assert_eq!(o.len(), 284 + 64);
    let (s, ws) = shared(&w, 0, 100, 3);
    let sb = s.to_bytes();
    assert_eq!((sb[0], sb.len()), (0x23, 176));
    assert_eq!(&sb[34..42], &3u64.to_be_bytes());
    assert_eq!(&sb[75..79], &100u32.to_be_bytes());
    assert_eq!(&sb[79..111], ws[0].word().as_bytes());
    let g = grant(&w, 0, &s, &ws, 1, 40, 60).to_bytes();
    assert_eq!((g[0], g.len()), (0x24, 171));
    assert_eq!(&g[2..34], s.digest().as_bytes());
    assert_eq!(&g[66..70], &40u32.to_be_bytes());
    assert_eq!(&g[70..74], &60u32.to_be_bytes());
    assert_eq!(&g[74..106], ws[40].word().as_bytes());
    let cert = &w.customers[0].1;
    let (reserved, _) = plain_commitment(&w, 1, 0x65);
    let r = w
        .broker()
        .reserve(
            cert,
            ReservationTarget::Commitment(&reserved),
            77,
            NOW,
            NOW + 9,
            &w.broker,
        )
        .unwrap()
        .to_bytes();
    assert_eq!((r[0], r.len()), (0x26, 211));
    assert_eq!(&r[66..98], reserved.digest().as_bytes());
    assert_eq!(&r[130..138], &77u64.to_be_bytes());
    assert_eq!(&r[138..146], &(NOW + 9).to_be_bytes());
    let eq = FraudProof::Equivocation(EquivocationProof {
        certificate: *cert,
        commitment: s,
        first: grant(&w, 0, &s, &ws, 1, 0, 10),
        second: grant(&w, 0, &s, &ws, 2, 5, 10),
    })
    .to_bytes();
    assert_eq!((eq[0], eq[2], eq.len()), (0x40, 1, 701));
    assert_eq!(&eq[183..359], &sb[..]);
}

/// C-SEND-SYNC and C-GOOD-ERR for the multi-merchant types.
#[test]
fn c_send_sync_and_good_errors() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<MultiError>();
    send_sync::<FraudError>();
    send_sync::<FraudProof>();
    send_sync::<LeafSession>();
    send_sync::<GrantSession>();
    send_sync::<payword::domain::DeviceSession>();
    send_sync::<MultiCommitment>();
    send_sync::<payword::tree::LeafOpening>();
    send_sync::<RangeGrant>();
    send_sync::<Reservation>();
    send_sync::<Broker<MemoryStore>>();
    fn good_err<E: std::error::Error + Send + Sync + 'static>(e: E) {
        let s = e.to_string();
        assert!(s.chars().next().is_some_and(char::is_lowercase), "{s}");
        assert!(!s.ends_with('.'), "{s}");
    }
    for e in [
        MultiError::NotInTree,
        MultiError::WrongVendor,
        MultiError::OutsideGrant,
        MultiError::GrantOverlap,
        MultiError::OverCredit,
        MultiError::ZeroAmount,
        MultiError::UnknownDevice,
        MultiError::Invalid(payword::SessionError::Expired),
    ] {
        good_err(e);
    }
    for e in [
        FraudError::NotFraud,
        FraudError::Duplicate,
        FraudError::TooLarge,
        FraudError::OverBudget,
        FraudError::Invalid(payword::SessionError::BadCommitment),
    ] {
        good_err(e);
    }
}

/// A broker rebuilt by replaying the stored claim bytes (and reservations)
/// in order reaches the same state and owes the same amounts.
#[test]
fn replaying_stored_claims_rebuilds_the_broker() {
    enum Op {
        Leaf(Vec<u8>, u8),
        Grant(Vec<u8>, u8),
        Reserve(u64),
    }
    let w = world(1, 150);
    let cert = w.customers[0].1;
    let (root, tree, words) = merkle(&w, 0, &[0, 1], 100, 100, None);
    let (s, ws) = shared(&w, 0, 100, 1);
    let g = grant(&w, 0, &s, &ws, 2, 0, 100);
    let leaf_claim = |j: u32, i: usize| {
        let o = tree.opening(&root, j).unwrap();
        payword::tree::LeafClaim {
            certificate: cert,
            opening: o,
            payment: pay(&o.leaf_id(), words[j as usize][i]),
        }
        .to_bytes()
    };
    let ops = [
        Op::Leaf(leaf_claim(0, 30), 0),
        Op::Reserve(50),
        Op::Leaf(leaf_claim(1, 60), 1),
        Op::Grant(grant_claim(&w, 0, &s, &g, ws[40]).to_bytes(), 2),
        Op::Leaf(leaf_claim(0, 50), 0),
        Op::Leaf(leaf_claim(1, 60), 1),
    ];
    // What each step yields: the value owed, or the amount reserved.
    let run = |b: &mut Broker<MemoryStore>| -> Vec<u64> {
        ops.iter()
            .map(|op| match op {
                Op::Leaf(bytes, v) => {
                    let c = payword::tree::LeafClaim::decode(bytes).unwrap();
                    b.redeem_leaf(&c, &vendor(*v), NOW).unwrap().owed
                }
                Op::Grant(bytes, v) => {
                    let c = GrantClaim::decode(bytes).unwrap();
                    b.redeem_grant(&c, &vendor(*v), NOW).unwrap().owed
                }
                Op::Reserve(amount) => {
                    b.reserve(
                        &cert,
                        ReservationTarget::Grant(&s, &g),
                        *amount,
                        NOW,
                        NOW + 10,
                        &w.broker,
                    )
                    .unwrap()
                    .fields()
                    .amount
                }
            })
            .collect()
    };
    let mut first = w.broker();
    let owed = run(&mut first);
    // 30 + 60, then the grant's 40 from its reservation (10 of it stays
    // locked), so leaf 0's next 20 get only the 10 left of the credit 150.
    assert_eq!(owed, vec![30, 50, 60, 40, 10, 0]);
    let mut again = w.broker();
    assert_eq!(run(&mut again), owed);
    let id = cert.digest();
    assert_eq!(again.credited(&id).unwrap(), first.credited(&id).unwrap());
    assert_eq!(
        again.reserved(&id, NOW).unwrap(),
        first.reserved(&id, NOW).unwrap()
    );
    // Presenting the stored claims once more owes nothing new.
    for op in &ops {
        let owed = match op {
            Op::Leaf(bytes, v) => {
                let c = payword::tree::LeafClaim::decode(bytes).unwrap();
                again.redeem_leaf(&c, &vendor(*v), NOW).unwrap().owed
            }
            Op::Grant(bytes, v) => {
                let c = GrantClaim::decode(bytes).unwrap();
                again.redeem_grant(&c, &vendor(*v), NOW).unwrap().owed
            }
            Op::Reserve(..) => 0,
        };
        assert_eq!(owed, 0);
    }
}
