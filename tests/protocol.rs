#![cfg(feature = "ed25519")]
//! The PayWord protocol end to end: sessions, redemption, the wire format's
//! rules (canonicality, bit flips, truncation), validity edges, overflow, and
//! the ledger's order-independence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use payword::{
    AnyMessage, Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    Commitment, CommitmentFields, CommittedChain, CustomerId, DecodeError, Encode, HashAlg,
    MemoryStore, MessageSigner, Payment, PaymentBody, Payword, Pebbler, ProofError, PurseParams,
    RedeemError, RedemptionClaim, Session, SessionError, Sha256, StoreAll, Traversal, VendorId,
    VerifyError, Word,
};
use proptest::prelude::*;

const NOW: u64 = 1_000_000;
const SKEW: u64 = 30;
const N: u32 = 64;

struct World {
    broker: SigningKey,
    customer: SigningKey,
    broker_id: BrokerId,
    vendor: VendorId,
    cert: Certificate,
}

fn world(credit_limit: u64) -> World {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 7,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit,
            valid_from: NOW - 1000,
            expires: NOW + 100_000,
        },
        &broker,
    )
    .unwrap();
    World {
        broker,
        customer,
        broker_id,
        vendor: VendorId::from_bytes([5; 32]),
        cert,
    }
}

/// A commitment over a fresh chain; returns it and the chain's paywords
/// `w_0..=w_n` (index = position).
fn commit(w: &World, chain_byte: u8, unit_value: u64) -> (Commitment, Vec<Payword>) {
    let params = ChainParams::new(
        HashAlg::Sha256,
        ChainId::from_bytes([chain_byte; 16]),
        N.into(),
    )
    .unwrap();
    let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([chain_byte; 32]), params).unwrap();
    let anchor = wallet.anchor();
    let mut words = vec![Payword::new(0, anchor.as_word())];
    words.extend(wallet);
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            chain: CommittedChain::Single { params, anchor },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    (c, words)
}

fn open(w: &World, c: Commitment, now: u64) -> Result<Session, SessionError> {
    Session::open(w.vendor, &w.broker.public_key(), w.cert, c, now, SKEW)
}

fn pay(c: &Commitment, p: Payword) -> Payment {
    Payment::new(c.digest(), PaymentBody::Single(p))
}

#[test]
fn honest_session_and_redemption() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 3);
    let mut s = open(&w, c, NOW).unwrap();
    for p in &words[1..=10] {
        assert_eq!(s.pay(&pay(&c, *p), NOW), Ok(3));
    }
    assert_eq!(s.pay(&pay(&c, words[15]), NOW), Ok(15));
    assert_eq!(s.units_paid(), 15);
    let claim = s.claim().unwrap();
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500);
    let r = b.redeem(&claim, &w.vendor, NOW + 1400).unwrap();
    assert_eq!((r.owed, r.units, r.overspent), (45, 15, None));
    // Idempotent.
    let r = b.redeem(&claim, &w.vendor, NOW + 1400).unwrap();
    assert_eq!((r.owed, r.units), (0, 15));
}

#[test]
fn session_refuses_what_it_must() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let other = world(1_000_000);
    // Wrong vendor.
    assert_eq!(
        Session::open(
            VendorId::from_bytes([0; 32]),
            &w.broker.public_key(),
            w.cert,
            c,
            NOW,
            SKEW
        )
        .unwrap_err(),
        SessionError::WrongVendor
    );
    // Wrong broker key.
    assert_eq!(
        Session::open(w.vendor, &w.customer.public_key(), w.cert, c, NOW, SKEW).unwrap_err(),
        SessionError::BadCertificate
    );
    // A commitment signed by someone else.
    let forged = Commitment::sign(*c.fields(), &SigningKey::from_bytes(&[0x99; 32])).unwrap();
    assert_eq!(
        open(&w, forged, NOW).unwrap_err(),
        SessionError::BadCommitment
    );
    // A commitment naming another certificate.
    let mut f = *c.fields();
    f.certificate = payword::Digest::from_bytes([0; 32]);
    let c2 = Commitment::sign(f, &w.customer).unwrap();
    assert_eq!(
        open(&w, c2, NOW).unwrap_err(),
        SessionError::CertificateMismatch
    );
    // Outside the certificate's validity.
    let mut f = *c.fields();
    f.expires = w.cert.fields().expires + 1;
    let c3 = Commitment::sign(f, &w.customer).unwrap();
    assert_eq!(
        open(&w, c3, NOW).unwrap_err(),
        SessionError::OutsideCertificate
    );
    let _ = other;
    // Payments for another commitment, replays, past the end, forgeries.
    let mut s = open(&w, c, NOW).unwrap();
    let (c4, _) = commit(&w, 10, 1);
    assert_eq!(
        s.pay(&pay(&c4, words[1]), NOW),
        Err(SessionError::WrongCommitment)
    );
    assert_eq!(s.pay(&pay(&c, words[2]), NOW), Ok(2));
    assert_eq!(
        s.pay(&pay(&c, words[2]), NOW),
        Err(SessionError::Payment(VerifyError::Replay {
            index: 2,
            last: 2
        }))
    );
    for index in [N + 1, u32::MAX] {
        assert_eq!(
            s.pay(&pay(&c, Payword::new(index, *words[1].word())), NOW),
            Err(SessionError::Payment(VerifyError::PastEnd {
                index,
                length: N
            }))
        );
    }
    assert_eq!(
        s.pay(&pay(&c, Payword::new(N, Word::from_bytes([0; 32]))), NOW),
        Err(SessionError::Payment(VerifyError::Forged))
    );
    assert_eq!(
        s.pay(&pay(&c, words[N as usize]), NOW),
        Ok(u64::from(N) - 2)
    );
    assert_eq!(s.units_paid(), u64::from(N));
}

#[test]
fn validity_window_exact_edges() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let (from, until) = (c.fields().valid_from, c.fields().expires);
    assert!(open(&w, c, from - SKEW).is_ok());
    assert_eq!(
        open(&w, c, from - SKEW - 1).unwrap_err(),
        SessionError::NotYetValid
    );
    assert!(open(&w, c, until + SKEW).is_ok());
    assert_eq!(
        open(&w, c, until + SKEW + 1).unwrap_err(),
        SessionError::Expired
    );
    let mut s = open(&w, c, from).unwrap();
    assert_eq!(
        s.pay(&pay(&c, words[1]), until + SKEW + 1),
        Err(SessionError::Expired)
    );
    assert_eq!(s.pay(&pay(&c, words[1]), until + SKEW), Ok(1));
    // The broker: claims until `expires + grace`, not one second later.
    let claim = s.claim().unwrap();
    let grace = 500;
    let mut b = Broker::new(
        w.broker_id,
        w.broker.public_key(),
        MemoryStore::new(),
        grace,
    );
    assert_eq!(
        b.redeem(&claim, &w.vendor, until + grace + 1),
        Err(RedeemError::Invalid(SessionError::Expired))
    );
    assert_eq!(b.store().records(payword::store::Table::Debt).count(), 0);
    assert_eq!(b.redeem(&claim, &w.vendor, until + grace).unwrap().owed, 1);
}

#[test]
fn broker_refuses_bad_claims_without_changing_the_ledger() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let claim = RedemptionClaim {
        certificate: w.cert,
        commitment: c,
        payment: pay(&c, words[5]),
    };
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500);
    let bad = [
        (
            RedemptionClaim {
                payment: pay(&c, Payword::new(6, *words[5].word())),
                ..claim
            },
            RedeemError::Invalid(SessionError::Payment(VerifyError::Forged)),
        ),
        (
            RedemptionClaim {
                payment: Payment::new(
                    payword::Digest::from_bytes([1; 32]),
                    PaymentBody::Single(words[5]),
                ),
                ..claim
            },
            RedeemError::PaymentMismatch,
        ),
    ];
    for (claim, err) in bad {
        assert_eq!(b.redeem(&claim, &w.vendor, NOW), Err(err));
        assert!(
            b.store()
                .records(payword::store::Table::Debt)
                .next()
                .is_none()
        );
    }
    assert_eq!(
        b.redeem(&claim, &VendorId::from_bytes([0xee; 32]), NOW),
        Err(RedeemError::Invalid(SessionError::WrongVendor))
    );
    let mut other = Broker::new(
        BrokerId::from_bytes([0; 32]),
        w.broker.public_key(),
        MemoryStore::new(),
        0,
    );
    assert_eq!(
        other.redeem(&claim, &w.vendor, NOW),
        Err(RedeemError::WrongBroker)
    );
    // A budget too small for the claim: refused before hashing.
    let mut small =
        Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500).with_limit(4);
    assert_eq!(
        small.redeem(&claim, &w.vendor, NOW),
        Err(RedeemError::Invalid(SessionError::Payment(
            VerifyError::OverBudget { steps: 5, limit: 4 }
        )))
    );
    assert!(
        small
            .store()
            .records(payword::store::Table::Debt)
            .next()
            .is_none()
    );
}

#[test]
fn amounts_that_overflow_are_typed_errors() {
    let w = world(u64::MAX);
    let (c, words) = commit(&w, 9, u64::MAX / 2);
    assert_eq!(open(&w, c, NOW).unwrap_err(), SessionError::Overflow);
    let claim = RedemptionClaim {
        certificate: w.cert,
        commitment: c,
        payment: pay(&c, words[3]),
    };
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500);
    assert_eq!(
        b.redeem(&claim, &w.vendor, NOW),
        Err(RedeemError::Invalid(SessionError::Overflow))
    );
    assert!(
        b.store()
            .records(payword::store::Table::Debt)
            .next()
            .is_none()
    );
}

#[test]
fn overspending_yields_a_proof_anyone_can_check() {
    // Credit for 100 value units; three commitments of unit value 2 spend 40 each.
    let w = world(100);
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500);
    let mut owed = 0;
    let mut proof = None;
    for chain in 20..23u8 {
        let (c, words) = commit(&w, chain, 2);
        let claim = RedemptionClaim {
            certificate: w.cert,
            commitment: c,
            payment: pay(&c, words[20]),
        };
        let r = b.redeem(&claim, &w.vendor, NOW).unwrap();
        owed += r.owed;
        if chain < 22 {
            assert!(r.overspent.is_none());
        } else {
            proof = r.overspent;
        }
    }
    assert_eq!(owed, 100, "the broker pays exactly up to the credit limit");
    let proof = proof.expect("third commitment overspends");
    assert_eq!(proof.verify(&w.broker.public_key(), 1 << 20), Ok(120));
    // Dropping a commitment brings it within the limit: no proof.
    let mut weaker = proof.clone();
    weaker.spent.pop();
    assert_eq!(
        weaker.verify(&w.broker.public_key(), 1 << 20),
        Err(ProofError::WithinLimit)
    );
    // Listing a commitment twice proves nothing.
    let mut dup = weaker.clone();
    dup.spent.push(dup.spent[0]);
    assert_eq!(
        dup.verify(&w.broker.public_key(), 1 << 20),
        Err(ProofError::Duplicate)
    );
    // A made-up payword does not verify.
    let mut fake = proof.clone();
    fake.spent[0].1 = PaymentBody::Single(Payword::new(30, Word::from_bytes([0; 32])));
    assert!(matches!(
        fake.verify(&w.broker.public_key(), 1 << 20),
        Err(ProofError::Invalid(_))
    ));
    // Under the wrong broker key nothing verifies.
    assert!(proof.verify(&w.customer.public_key(), 1 << 20).is_err());
    // Budget: 60 chain steps needed.
    assert_eq!(
        proof.verify(&w.broker.public_key(), 59),
        Err(ProofError::OverBudget)
    );
}

#[test]
fn purse_commitments_work_end_to_end() {
    let w = world(1_000_000);
    let params =
        PurseParams::new(HashAlg::Blake3, ChainId::from_bytes([8; 16]), 10, 3, 20).unwrap();
    let mut purse =
        payword::Purse::<payword::Blake3>::new(&ChainSeed::from_bytes([8; 32]), params).unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW,
            expires: NOW + 10,
            chain: CommittedChain::Purse {
                params,
                anchors: purse.anchors(),
            },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    let mut s = open(&w, c, NOW).unwrap();
    let mut total = 0;
    let mut earlier = Vec::new();
    for amount in [1u64, 9, 347, 1000, 12] {
        let p = Payment::new(c.digest(), PaymentBody::Purse(purse.pay(amount).unwrap()));
        assert_eq!(Payment::decode(&p.to_bytes()), Ok(p));
        assert_eq!(s.pay(&p, NOW), Ok(amount));
        total += amount;
        earlier.push(p);
    }
    assert_eq!(s.units_paid(), total);
    let claim = s.claim().unwrap();
    assert_eq!(RedemptionClaim::decode(&claim.to_bytes()), Ok(claim));
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 0);
    let r = b.redeem(&claim, &w.vendor, NOW).unwrap();
    assert_eq!((r.owed, r.units), (total, total));
    // An earlier, genuine payment of the purse is a duplicate: nothing new.
    let old = RedemptionClaim {
        payment: earlier[1],
        ..claim
    };
    assert_eq!(b.redeem(&old, &w.vendor, NOW).unwrap().owed, 0);
    // The same with one part's word forged is refused, at any index.
    let PaymentBody::Purse(parts) = earlier[1].body() else {
        unreachable!()
    };
    let (j, p) = parts.parts().next().unwrap();
    let forged = parts.with(j, Payword::new(p.index(), Word::from_bytes([0xab; 32])));
    let forged = RedemptionClaim {
        payment: Payment::new(c.digest(), PaymentBody::Purse(forged)),
        ..claim
    };
    assert!(matches!(
        b.redeem(&forged, &w.vendor, NOW),
        Err(RedeemError::Invalid(SessionError::Payment(
            VerifyError::Forged
        )))
    ));
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), total);
}

#[test]
fn a_duplicate_claim_must_carry_true_paywords() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 12, 1);
    let claim_at = |p: Payword| RedemptionClaim {
        certificate: w.cert,
        commitment: c,
        payment: pay(&c, p),
    };
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 0);
    assert_eq!(
        b.redeem(&claim_at(words[40]), &w.vendor, NOW).unwrap().owed,
        40
    );
    // Genuine duplicates (the same payword, an earlier one): nothing new.
    assert_eq!(
        b.redeem(&claim_at(words[40]), &w.vendor, NOW).unwrap().owed,
        0
    );
    assert_eq!(
        b.redeem(&claim_at(words[7]), &w.vendor, NOW).unwrap().owed,
        0
    );
    // Forged words at, below and at the anchor's index are refused.
    for index in [40, 7, 1, 0] {
        let forged = claim_at(Payword::new(index, Word::from_bytes([0xab; 32])));
        assert!(
            matches!(
                b.redeem(&forged, &w.vendor, NOW),
                Err(RedeemError::Invalid(SessionError::Payment(
                    VerifyError::Forged
                )))
            ),
            "index {index}"
        );
    }
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 40);
}

/// Every message of a small honest run.
fn sample_messages() -> Vec<AnyMessage> {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let p = pay(&c, words[7]);
    vec![
        AnyMessage::Certificate(w.cert),
        AnyMessage::Commitment(c),
        AnyMessage::Payment(p),
        AnyMessage::RedemptionClaim(RedemptionClaim {
            certificate: w.cert,
            commitment: c,
            payment: p,
        }),
    ]
}

fn encode(m: &AnyMessage) -> Vec<u8> {
    let mut buf = vec![0u8; RedemptionClaim::MAX_LEN];
    let len = m.encode(&mut buf);
    buf.truncate(len);
    buf
}

#[test]
fn truncation_and_trailing_bytes_are_refused() {
    for m in sample_messages() {
        let bytes = encode(&m);
        assert_eq!(AnyMessage::decode(&bytes), Ok(m));
        for len in 0..bytes.len() {
            assert!(
                matches!(
                    AnyMessage::decode(&bytes[..len]),
                    Err(DecodeError::Truncated { .. })
                ),
                "{m} truncated to {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            AnyMessage::decode(&longer),
            Err(DecodeError::TrailingData { extra: 1 })
        );
    }
}

/// Any single-bit flip of a signed or paid message is refused: by the decoder,
/// by signature verification, or by the chain.
#[test]
fn every_single_bit_flip_is_refused() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let check_session = |cert: Certificate, com: Commitment| {
        Session::open(w.vendor, &w.broker.public_key(), cert, com, NOW, SKEW).is_ok()
    };
    for (i, bytes) in [
        w.cert.to_bytes(),
        c.to_bytes(),
        pay(&c, words[3]).to_bytes(),
    ]
    .iter()
    .enumerate()
    {
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            let accepted = match AnyMessage::decode(&b) {
                Err(_) => false,
                Ok(AnyMessage::Certificate(cert)) => i == 0 && check_session(cert, c),
                Ok(AnyMessage::Commitment(com)) => i == 1 && check_session(w.cert, com),
                Ok(AnyMessage::Payment(p)) => {
                    let mut s = open(&w, c, NOW).unwrap();
                    i == 2 && s.pay(&p, NOW).is_ok()
                }
                Ok(_) => true,
            };
            assert!(!accepted, "message {i}, bit {bit} flipped was accepted");
        }
    }
}

#[test]
fn hostile_inputs_give_typed_errors() {
    let w = world(1_000_000);
    let (c, words) = commit(&w, 9, 1);
    let p = pay(&c, words[3]).to_bytes();
    // Unknown tag, unknown version, empty input.
    let mut b = p.clone();
    b[0] = 0x7f;
    assert_eq!(
        AnyMessage::decode(&b),
        Err(DecodeError::UnknownTag { tag: 0x7f })
    );
    let mut b = p.clone();
    b[1] = 2;
    assert_eq!(
        AnyMessage::decode(&b),
        Err(DecodeError::UnknownVersion { version: 2 })
    );
    assert!(matches!(
        AnyMessage::decode(&[]),
        Err(DecodeError::Truncated { .. })
    ));
    // Index 0 is not a payment.
    let mut b = p.clone();
    b[35..39].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(
        Payment::decode(&b),
        Err(DecodeError::NonCanonical { field: "index" })
    );
    // Unknown payment kind; empty denomination mask.
    let mut b = p.clone();
    b[34] = 3;
    assert_eq!(
        Payment::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "payment kind"
        })
    );
    let mut b = p[..35].to_vec();
    b[34] = 2;
    b.push(0);
    assert_eq!(
        Payment::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "denomination mask"
        })
    );
    // A commitment whose chain length is 0, and a purse with 9 denominations.
    let cb = c.to_bytes();
    let chain_at = 2 + 32 + 32 + 24;
    let mut b = cb.clone();
    b[chain_at + 18..chain_at + 22].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical { field: "length" })
    );
    let mut b = cb[..chain_at].to_vec();
    b.extend_from_slice(&[2, 1]);
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(&10u32.to_be_bytes());
    b.push(9);
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::LengthOverLimit {
            field: "denominations",
            length: 9,
            max: 8
        })
    );
    // Unit value 0, validity reversed, unknown hash and signature tags.
    let mut b = cb.clone();
    b[66..74].copy_from_slice(&0u64.to_be_bytes());
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "unit_value"
        })
    );
    let mut b = cb.clone();
    b[74..82].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical { field: "expires" })
    );
    let mut b = cb.clone();
    b[chain_at + 1] = 9;
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical { field: "hash" })
    );
    let mut b = cb.clone();
    let sig_at = b.len() - 65;
    b[sig_at] = 3;
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical { field: "signature" })
    );
    // Tag 2 is LMS: 64 bytes are no LMS signature (its LM-OTS typecode,
    // bytes 5..9, is read from the Ed25519 bytes and refused first).
    b[sig_at] = 2;
    assert!(matches!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical { .. } | DecodeError::Truncated { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Decoding arbitrary bytes never panics, and whatever decodes re-encodes
    /// to exactly the same bytes.
    #[test]
    fn decode_is_total_and_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = AnyMessage::decode(&bytes) {
            prop_assert_eq!(encode(&m), bytes);
        }
    }

    /// Mutations of valid messages: whatever still decodes re-encodes identically.
    #[test]
    fn mutated_messages_stay_canonical(which in 0usize..4, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let msgs = sample_messages();
        let mut bytes = encode(&msgs[which]);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(m) = AnyMessage::decode(&bytes) {
            prop_assert_eq!(encode(&m), bytes);
        }
    }

    /// Redemption is order-free and idempotent: whatever the order and the
    /// duplicates, each commitment ends at the highest index presented and the
    /// vendor is owed exactly that many units.
    #[test]
    fn ledger_is_order_free(claims in proptest::collection::vec((0usize..2, 1u32..=N), 1..24)) {
        let w = world(u64::MAX);
        let commitments = [commit(&w, 30, 3), commit(&w, 31, 5)];
        let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 0);
        let mut owed = [0u64; 2];
        let mut best = [0u32; 2];
        for (k, index) in claims {
            let (c, words) = &commitments[k];
            let claim = RedemptionClaim { certificate: w.cert, commitment: *c, payment: pay(c, words[index as usize]) };
            let r = b.redeem(&claim, &w.vendor, NOW).unwrap();
            owed[k] += r.owed;
            best[k] = best[k].max(index);
            prop_assert_eq!(r.units, u64::from(best[k]));
            prop_assert!(r.overspent.is_none());
        }
        prop_assert_eq!(owed[0], u64::from(best[0]) * 3);
        prop_assert_eq!(owed[1], u64::from(best[1]) * 5);
    }
}

#[test]
fn pebbling_wallet_pays_a_session() {
    let w = world(1_000_000);
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 1000).unwrap();
    let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params).unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW,
            expires: NOW,
            chain: CommittedChain::Single {
                params,
                anchor: wallet.anchor(),
            },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    let mut s = open(&w, c, NOW).unwrap();
    while let Some(p) = wallet.next_payword() {
        assert_eq!(s.pay(&pay(&c, p), NOW), Ok(1));
    }
    assert_eq!(s.units_paid(), 1000);
}

#[cfg(feature = "serde")]
#[test]
fn serde_json_is_pinned() {
    let p = Payment::new(
        payword::Digest::from_bytes([1; 32]),
        PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))),
    );
    let expect = format!("\"1201{}0100000005{}\"", "01".repeat(32), "02".repeat(32));
    assert_eq!(serde_json::to_string(&p).unwrap(), expect);
    assert_eq!(serde_json::from_str::<Payment>(&expect).unwrap(), p);
    // Signed messages: their JSON is their canonical bytes in hex.
    for m in sample_messages() {
        let hex: String = encode(&m).iter().map(|b| format!("{b:02x}")).collect();
        let json = match &m {
            AnyMessage::Certificate(x) => serde_json::to_string(x).unwrap(),
            AnyMessage::Commitment(x) => serde_json::to_string(x).unwrap(),
            AnyMessage::Payment(x) => serde_json::to_string(x).unwrap(),
            AnyMessage::RedemptionClaim(x) => serde_json::to_string(x).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(json, format!("\"{hex}\""));
    }
    // The exact certificate of the fixed test world.
    let cert = serde_json::to_string(&world(1_000_000).cert).unwrap();
    assert_eq!(cert, CERT_JSON);
    assert!(serde_json::from_str::<Payment>("\"12\"").is_err());
    // One value, one spelling: upper-case hex is refused.
    assert!(serde_json::from_str::<Certificate>(CERT_JSON).is_ok());
    assert_ne!(CERT_JSON.to_uppercase(), CERT_JSON);
    assert!(serde_json::from_str::<Certificate>(&CERT_JSON.to_uppercase()).is_err());
    assert!(serde_json::from_str::<Payment>("\"zz\"").is_err());
}

#[cfg(feature = "serde")]
const CERT_JSON: &str = "\"10010303030303030303030303030303030303030303030303030303030303030303000000000000000704040404040404040404040404040404018139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39400000000000f424000000000000f3e58000000000010c8e001fd6b65366b18c91de47fb336841447c2b9f01e1a672b1f3d7387140dea0a0ad40d3868a78e26a5f5967403ab622769276b95b8cc835c2e7eb94d1c3738674303\"";
