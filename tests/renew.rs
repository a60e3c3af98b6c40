#![cfg(all(feature = "ed25519", feature = "std"))]
//! Self-renewing chains: the wallet, vendor renewal, cascade redemption, the
//! one-time-key reuse proof, hostile input, persistence, and the known-answer
//! vectors of `tests/vectors/renewal.json`.
//!
//! `cargo test --test renew` regenerates the vectors in memory and compares
//! them with the committed file; `PAYWORD_REGEN_VECTORS=1 cargo test --test
//! renew` rewrites it. The key derivation is also recomputed here from its
//! definition with plain `sha2` (an independent reference).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use payword::lmots::LmotsPrivateKey;
use payword::renew::{
    CascadeClaim, CascadeError, LinkFields, MAX_CASCADE, OtsReuseProof, RENEWAL_LMOTS, RenewError,
    RenewalLink, RenewingWallet, Window,
};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CustomerId, DecodeError, Encode, HashAlg, MemoryStore, MessageSigner,
    PaymentBody, Session, SessionError, Sha256, VendorId,
};
use std::path::PathBuf;

use proptest::prelude::*;
use sha2::Digest as _;

fn rng() -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_seed([42; 32])
}

const NOW: u64 = 1_000_000;
const SKEW: u64 = 30;

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

fn params(byte: u8, n: u32) -> ChainParams {
    ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([byte; 16]), n.into()).unwrap()
}

/// A bound wallet (chain length `n`, renewing when exhausted) and its
/// commitment.
fn wallet(w: &World, byte: u8, n: u32) -> (RenewingWallet<Sha256>, Commitment) {
    let mut wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([byte; 32]), params(byte, n), 0)
            .unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 3,
            valid_from: NOW - 100,
            expires: NOW + 1000,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &w.customer,
    )
    .unwrap();
    wallet.bind(&c).unwrap();
    (wallet, c)
}

fn open(w: &World, c: Commitment) -> Session {
    Session::open(w.vendor, &w.broker.public_key(), w.cert, c, NOW, SKEW).unwrap()
}

fn broker(w: &World) -> Broker {
    Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500)
}

/// Pays `units` paywords from the wallet into the session; returns the links.
fn run(wallet: &mut RenewingWallet<Sha256>, s: &mut Session, units: u32) -> Vec<RenewalLink> {
    let mut links = Vec::new();
    for _ in 0..units {
        let out = wallet.pay().unwrap();
        if let Some(l) = out.link {
            s.renew(&l, NOW).unwrap();
            links.push(l);
        }
        assert_eq!(s.pay(&out.payment, NOW), Ok(3));
    }
    links
}

/// The LM-OTS private key of a chain, recomputed from the definition in the
/// `renew` module docs (what a dishonest wallet would do to sign twice).
fn derived_ots_key(seed: &[u8; 32], id: &[u8; 16], generation: u32) -> LmotsPrivateKey {
    LmotsPrivateKey::from_seed(RENEWAL_LMOTS, *id, generation, &kdf(seed, id, 0, &[]))
}

/// `SHA-256(0x08 ‖ id ‖ u32 position ‖ seed ‖ extra)`: the renewal KDF, from
/// its definition.
fn kdf(seed: &[u8; 32], id: &[u8; 16], position: u32, extra: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update([0x08]);
    h.update(id);
    h.update(position.to_be_bytes());
    h.update(seed);
    h.update(extra);
    h.finalize().into()
}

#[test]
fn renewing_session_and_cascade_redemption() {
    let w = world(1_000_000);
    let (mut wallet, c) = wallet(&w, 9, 16);
    let mut s = open(&w, c);
    let links = run(&mut wallet, &mut s, 50);
    assert_eq!(links.len(), 3);
    assert_eq!((wallet.generation(), s.generation()), (3, 3));
    assert_eq!(s.units_paid(), 50);
    assert_eq!(*s.commitment_digest(), links[2].digest());
    // The first chain's own claim still works and covers chain 0 only.
    let plain = s.claim().unwrap();
    assert!(matches!(plain.payment.body(), PaymentBody::Single(p) if p.index() == 16));
    assert_eq!(*plain.payment.commitment(), c.digest());
    let claim = s.cascade().unwrap();
    assert_eq!(claim.renewals.len(), 3);
    let bytes = claim.to_bytes();
    assert_eq!(CascadeClaim::decode(&bytes).unwrap(), claim);
    let mut b = broker(&w);
    let r = b.redeem_cascade(&claim, &w.vendor, NOW + 1400).unwrap();
    assert_eq!(
        (r.owed, r.units, r.chains, r.over_limit),
        (150, 50, 4, false)
    );
    // Idempotent, and an older cascade earns nothing more.
    let r = b.redeem_cascade(&claim, &w.vendor, NOW + 1400).unwrap();
    assert_eq!((r.owed, r.units), (0, 50));
    // The plain claim for chain 0 is already covered.
    assert_eq!(b.redeem(&plain, &w.vendor, NOW + 1400).unwrap().owed, 0);
    // More payments later: only the difference is owed.
    run(&mut wallet, &mut s, 10);
    let r = b
        .redeem_cascade(&s.cascade().unwrap(), &w.vendor, NOW + 1400)
        .unwrap();
    assert_eq!((r.owed, r.units, r.chains), (30, 60, 4));
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), 180);
}

#[test]
fn cascade_order_free_and_credit_limited() {
    let w = world(100);
    let (mut wallet, c) = wallet(&w, 10, 8);
    let mut s = open(&w, c);
    run(&mut wallet, &mut s, 20);
    let early = s.cascade().unwrap();
    run(&mut wallet, &mut s, 20);
    let late = s.cascade().unwrap();
    let mut b = broker(&w);
    let r = b.redeem_cascade(&late, &w.vendor, NOW).unwrap();
    // 40 units × 3 = 120, over the credit limit of 100.
    assert_eq!((r.owed, r.units, r.over_limit), (100, 40, true));
    let r = b.redeem_cascade(&early, &w.vendor, NOW).unwrap();
    // The early claim names chains 0..=2, already recorded at 8 each.
    assert_eq!((r.owed, r.units, r.chains), (0, 24, 3));
}

#[test]
fn cascade_of_100_chains_in_one_claim() {
    let w = world(u64::MAX);
    let (mut wallet, c) = wallet(&w, 11, 4);
    let mut s = open(&w, c);
    let links = run(&mut wallet, &mut s, 400);
    assert_eq!(links.len(), 99);
    let claim = s.cascade().unwrap();
    assert_eq!(claim.renewals.len() + 1, 100);
    assert_eq!(CascadeClaim::decode(&claim.to_bytes()).unwrap(), claim);
    let mut b = broker(&w);
    let r = b.redeem_cascade(&claim, &w.vendor, NOW).unwrap();
    assert_eq!((r.chains, r.units, r.owed), (100, 400, 1200));
    // 100 ledger entries: one per chain.
    assert_eq!(b.store().records(payword::store::Table::Debt).count(), 100);
}

#[test]
fn wallet_stops_at_the_cascade_limit() {
    let w = world(u64::MAX);
    let (mut wallet, c) = wallet(&w, 12, 1);
    let mut s = open(&w, c);
    let links = run(&mut wallet, &mut s, MAX_CASCADE as u32 + 1);
    assert_eq!(links.len(), MAX_CASCADE);
    assert_eq!(wallet.pay(), Err(RenewError::Exhausted));
    // A dishonest 129th link, signed by the last chain's key (recomputed from
    // the definition): the session refuses it before hashing.
    let (mut seed, mut id) = ([12u8; 32], [12u8; 16]);
    for _ in 0..MAX_CASCADE {
        let next_id: [u8; 16] = sha(&[&[0x08], &id, &2u32.to_be_bytes()])[..16]
            .try_into()
            .unwrap();
        (seed, id) = (kdf(&seed, &id, 1, &[]), next_id);
    }
    let last = links.last().unwrap();
    assert_eq!(last.fields().params.id().to_bytes(), id);
    let g = MAX_CASCADE as u32;
    let mut f = *last.fields();
    f.previous = last.digest();
    f.generation = g + 1;
    f.key = derived_ots_key(&[7; 32], &[13; 16], g + 1).public_key();
    f.params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([13; 16]), 1).unwrap();
    let extra = RenewalLink::sign(f, derived_ots_key(&seed, &id, g), &mut rng()).unwrap();
    assert_eq!(extra.verify(&last.fields().key), Ok(()));
    assert_eq!(s.renew(&extra, NOW), Err(RenewError::Exhausted));
    assert_eq!(s.generation(), g);
    let claim = s.cascade().unwrap();
    let r = broker(&w).redeem_cascade(&claim, &w.vendor, NOW).unwrap();
    assert_eq!(r.chains, MAX_CASCADE + 1);
    // One link more: refused before any hashing, by the decoder and by the
    // broker.
    let mut over = claim.clone();
    over.renewals.push(over.renewals[0].clone());
    assert_eq!(
        broker(&w).redeem_cascade(&over, &w.vendor, NOW),
        Err(CascadeError::TooLong {
            length: MAX_CASCADE + 1,
            max: MAX_CASCADE
        })
    );
    let mut bytes = claim.to_bytes();
    // The count sits after certificate, commitment and the first payword.
    let at = 2 + claim.certificate.to_bytes().len() + claim.commitment.to_bytes().len() + 37;
    bytes[at..at + 2].copy_from_slice(&(MAX_CASCADE as u16 + 1).to_be_bytes());
    assert_eq!(
        CascadeClaim::decode(&bytes),
        Err(DecodeError::LengthOverLimit {
            field: "renewals",
            length: MAX_CASCADE as u64 + 1,
            max: MAX_CASCADE as u64
        })
    );
}

#[test]
fn spliced_links_are_refused() {
    let w = world(1_000_000);
    let (mut a, ca) = wallet(&w, 20, 4);
    let (mut b, _cb) = wallet(&w, 21, 4);
    let mut s = open(&w, ca);
    run(&mut a, &mut s, 4);
    // B's link names B's commitment: an unknown chain for this session.
    let b_link = (0..5).find_map(|_| b.pay().unwrap().link).unwrap();
    assert_eq!(s.renew(&b_link, NOW), Err(RenewError::WrongPrevious));
    // A's real next link, but the content changed after signing (another
    // anchor, another length, another next key): the signature fails.
    let good = a.pay().unwrap().link.unwrap();
    let mut bytes = good.to_bytes();
    for at in [59usize, 57, 100] {
        let mut b2 = bytes.clone();
        b2[at] ^= 1;
        let forged = RenewalLink::decode(&b2).unwrap();
        let e = s.renew(&forged, NOW).unwrap_err();
        assert!(
            matches!(e, RenewError::BadSignature | RenewError::KeyMismatch),
            "{at}: {e}"
        );
    }
    // The same content signed by another chain's key (right I and q, wrong seed).
    let f = *good.fields();
    let other = derived_ots_key(&[99; 32], &[20; 16], 0);
    let spliced = RenewalLink::sign(f, other, &mut rng()).unwrap();
    assert_eq!(s.renew(&spliced, NOW), Err(RenewError::BadSignature));
    // Nothing changed: the real link is still accepted, and sent twice is a
    // no-op.
    assert_eq!(s.generation(), 0);
    s.renew(&good, NOW).unwrap();
    s.renew(&good, NOW).unwrap();
    assert_eq!(s.generation(), 1);
    bytes[2] ^= 1;
    // A previous digest that is nobody's.
    assert_eq!(
        s.renew(&RenewalLink::decode(&bytes).unwrap(), NOW),
        Err(RenewError::WrongPrevious)
    );
}

/// A second link from the wallet's chain `generation - 1`, different from the
/// honest one (another validity window): only possible by recomputing the
/// one-time key outside the honest API.
fn second_link(honest: &RenewalLink, seed: &[u8; 32], id: &[u8; 16]) -> RenewalLink {
    let mut f = *honest.fields();
    f.window = Some(Window {
        valid_from: NOW,
        expires: NOW + 10,
    });
    RenewalLink::sign(f, derived_ots_key(seed, id, f.generation - 1), &mut rng()).unwrap()
}

#[test]
fn ots_key_reused_gives_a_proof() {
    let w = world(1_000_000);
    let (mut wallet, c) = wallet(&w, 30, 4);
    let mut s = open(&w, c);
    let links = run(&mut wallet, &mut s, 14);
    assert_eq!(links.len(), 3);
    // Chain 1's key signs a second link. Chain 1's seed and id, recomputed
    // from the definition.
    let seed1 = kdf(&[30; 32], &[30; 16], 1, &[]);
    let id1: [u8; 16] = {
        let mut h = sha2::Sha256::new();
        h.update([0x08]);
        h.update([30; 16]);
        h.update(2u32.to_be_bytes());
        h.finalize()[..16].try_into().unwrap()
    };
    assert_eq!(links[0].fields().params.id().to_bytes(), id1);
    let evil = second_link(&links[1], &seed1, &id1);
    assert_ne!(evil, links[1]);
    assert_eq!(s.renew(&evil, NOW), Err(RenewError::OtsReuse));
    let proof = s.ots_reuse_proof(&evil).unwrap();
    assert_eq!(proof.path.len(), 1);
    assert_eq!(proof.verify(&w.broker.public_key()), Ok(1));
    let bytes = proof.to_bytes();
    assert_eq!(OtsReuseProof::decode(&bytes).unwrap(), proof);
    // Only the broker's key makes it verify; equal links prove nothing.
    assert!(proof.verify(&w.customer.public_key()).is_err());
    let same = OtsReuseProof {
        second: proof.first.clone(),
        ..proof.clone()
    };
    assert_eq!(
        same.verify(&w.broker.public_key()),
        Err(RenewError::SameLink)
    );
    // The same content signed again with another randomizer is a reuse too.
    let resigned = RenewalLink::sign(
        *links[1].fields(),
        derived_ots_key(&seed1, &id1, 1),
        &mut rng(),
    )
    .unwrap();
    assert_ne!(resigned, links[1]);
    assert_eq!(s.renew(&resigned, NOW), Err(RenewError::OtsReuse));
    let p2 = s.ots_reuse_proof(&resigned).unwrap();
    assert_eq!(p2.verify(&w.broker.public_key()), Ok(1));
    // The same evidence as a crate-wide fraud proof.
    let fraud = payword::fraud::FraudProof::OtsReuse(Box::new(proof.clone()));
    assert_eq!(fraud.kind(), "one-time key reuse");
    assert_eq!(
        fraud.verify(&w.broker.public_key(), 0),
        Ok(w.cert.fields().customer)
    );
    assert_eq!(
        payword::fraud::FraudProof::decode(&fraud.to_bytes()),
        Ok(fraud)
    );
    let dup = payword::fraud::FraudProof::OtsReuse(Box::new(same.clone()));
    assert_eq!(
        dup.verify(&w.broker.public_key(), 0),
        Err(payword::fraud::FraudError::Duplicate)
    );
    // An honest run produces no proof: the accepted link itself, sent again.
    assert_eq!(s.ots_reuse_proof(&links[1]), None);
    assert_eq!(s.renew(&links[1], NOW), Ok(()));
    // The broker sees it too: after the honest cascade, a claim that forks
    // at chain 1 is refused with the proof, and the ledger is unchanged.
    let honest = s.cascade().unwrap();
    let mut b = broker(&w);
    let r = b.redeem_cascade(&honest, &w.vendor, NOW).unwrap();
    let mut forked = honest.clone();
    forked.renewals.truncate(2);
    forked.renewals[1].link = evil.clone();
    let Err(CascadeError::OtsReuse(p)) = b.redeem_cascade(&forked, &w.vendor, NOW) else {
        panic!("fork not detected");
    };
    assert_eq!(p.verify(&w.broker.public_key()), Ok(1));
    assert_eq!(
        (p.first.clone(), p.second.clone()),
        (links[1].clone(), evil.clone())
    );
    assert_eq!(
        b.redeem_cascade(&honest, &w.vendor, NOW).unwrap().units,
        r.units
    );
    assert_eq!(b.credited(&w.cert.digest()).unwrap(), r.owed);
    // Key 0 (the commitment's) reused: the proof has an empty path.
    let evil0 = second_link(&links[0], &[30; 32], &[30; 16]);
    let proof0 = s.ots_reuse_proof(&evil0).unwrap();
    assert!(proof0.path.is_empty());
    assert_eq!(proof0.verify(&w.broker.public_key()), Ok(0));
}

#[test]
fn persisted_wallet_resumes_without_repeats() {
    let w = world(1_000_000);
    let (mut reference, c) = wallet(&w, 40, 8);
    let (mut stored_wallet, _) = wallet(&w, 40, 8);
    let mut s = open(&w, c);
    let mut stored = stored_wallet.to_bytes();
    let mut history = vec![stored.clone()];
    for i in 0..40 {
        // Store before send, then "crash" and resume every few steps.
        let mut live = RenewingWallet::<Sha256>::resume(&stored, stored_wallet.sequence()).unwrap();
        let out = live.pay().unwrap();
        stored = live.to_bytes();
        history.push(stored.clone());
        stored_wallet = live;
        assert_eq!(out, reference.pay().unwrap(), "step {i}");
        if let Some(l) = &out.link {
            s.renew(l, NOW).unwrap();
        }
        assert_eq!(s.pay(&out.payment, NOW), Ok(3), "step {i}");
    }
    // A replayed old state is refused against the monotonic counter…
    assert_eq!(
        RenewingWallet::<Sha256>::resume(&history[8], stored_wallet.sequence()).unwrap_err(),
        RenewError::StaleState {
            sequence: 8,
            counter: 40
        }
    );
    // …and without a counter it re-signs exactly the same link: the one-time
    // key never signs two different messages.
    let mut replayed = RenewingWallet::<Sha256>::resume(&history[8], 0).unwrap();
    let again = replayed.pay().unwrap();
    let first = RenewingWallet::<Sha256>::resume(&history[8], 0)
        .unwrap()
        .pay()
        .unwrap();
    assert!(again.link.is_some());
    assert_eq!(again, first);
    assert_eq!(s.renew(again.link.as_ref().unwrap(), NOW), Ok(()));
    assert_eq!(
        s.pay(&again.payment, NOW),
        Err(SessionError::WrongCommitment)
    );
    assert_eq!(stored_wallet.last_link(), reference.last_link());
}

#[test]
fn wallet_state_decoding_is_total() {
    let w = world(1_000_000);
    let (mut wallet, _) = wallet(&w, 41, 4);
    for _ in 0..6 {
        wallet.pay().unwrap();
    }
    let bytes = wallet.to_bytes();
    assert!(bytes.len() <= RenewingWallet::<Sha256>::MAX_ENCODED_LEN);
    for len in 0..bytes.len() {
        assert!(RenewingWallet::<Sha256>::resume(&bytes[..len], 0).is_err());
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_eq!(
        RenewingWallet::<Sha256>::resume(&longer, 0).unwrap_err(),
        RenewError::Unbound
    );
    assert!(RenewingWallet::<payword::Blake3>::resume(&bytes, 0).is_err());
    // An unbound wallet does not pay.
    let mut fresh =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([1; 32]), params(1, 4), 0).unwrap();
    assert_eq!(fresh.pay(), Err(RenewError::Unbound));
    assert_eq!(
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([1; 32]), params(1, 4), 4).unwrap_err(),
        RenewError::Threshold
    );
}

// ---------------------------------------------------------------------------
// Hostile input: typed errors, no state change.
// ---------------------------------------------------------------------------

/// A session after one renewal, the next honest link (not yet sent) and its
/// encoding.
fn honest_link(w: &World, byte: u8) -> (Session, RenewalLink, Vec<u8>) {
    let (mut wallet, c) = wallet(w, byte, 2);
    let mut s = open(w, c);
    run(&mut wallet, &mut s, 4);
    let link = wallet.pay().unwrap().link.unwrap();
    let bytes = link.to_bytes();
    (s, link, bytes)
}

#[test]
fn malformed_links_are_typed_errors() {
    let w = world(1_000_000);
    let (_, link, bytes) = honest_link(&w, 50);
    assert_eq!(bytes.len(), 2328);
    assert_eq!(RenewalLink::decode(&bytes).unwrap(), link);
    for len in 0..bytes.len() {
        assert!(
            matches!(
                RenewalLink::decode(&bytes[..len]),
                Err(DecodeError::Truncated { .. })
            ),
            "truncated to {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        RenewalLink::decode(&longer),
        Err(DecodeError::TrailingData { extra: 1 })
    );
    let bad = |at: usize, value: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + value.len()].copy_from_slice(value);
        RenewalLink::decode(&b)
    };
    let nc = |field| Err(DecodeError::NonCanonical { field });
    assert_eq!(bad(0, &[0x31]), Err(DecodeError::UnknownTag { tag: 0x31 }));
    assert_eq!(
        bad(1, &[2]),
        Err(DecodeError::UnknownVersion { version: 2 })
    );
    assert_eq!(bad(34, &[0, 0, 0, 0]), nc("generation"));
    assert_eq!(bad(38, &[9]), nc("hash"));
    assert_eq!(bad(55, &[0, 0, 0, 0]), nc("length"));
    // Next key and signature of another LM-OTS parameter set (W1, W8, unknown).
    for t in [1u8, 2, 4, 9] {
        assert_eq!(bad(91, &[0, 0, 0, t]), nc("next key typecode"));
        assert_eq!(bad(148, &[0, 0, 0, t]), nc("signature typecode"));
    }
    assert_eq!(bad(147, &[2]), nc("window flag"));
    // A window flag of 1 shifts the signature: the typecode no longer parses.
    assert!(bad(147, &[1]).is_err());
    let mut windowed = bytes[..148].to_vec();
    windowed[147] = 1;
    windowed.extend_from_slice(&9u64.to_be_bytes());
    windowed.extend_from_slice(&8u64.to_be_bytes());
    windowed.extend_from_slice(&bytes[148..]);
    assert_eq!(RenewalLink::decode(&windowed), nc("expires"));
}

#[test]
fn commitment_renewal_field_is_canonical() {
    let w = world(1_000_000);
    let (_, c) = wallet(&w, 51, 4);
    let bytes = c.to_bytes();
    assert_eq!(bytes.len(), 266);
    assert_eq!(Commitment::decode(&bytes).unwrap(), c);
    let mut b = bytes.clone();
    b[144] = 2;
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "renewal flag"
        })
    );
    let mut b = bytes.clone();
    b[145..149].copy_from_slice(&[0, 0, 0, 9]);
    assert_eq!(
        Commitment::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "renewal key"
        })
    );
    // Flag 0 with the key still present: the key bytes are read as the
    // signature and refused.
    let mut b = bytes.clone();
    b[144] = 0;
    assert!(Commitment::decode(&b).is_err());
    for len in 0..bytes.len() {
        assert!(matches!(
            Commitment::decode(&bytes[..len]),
            Err(DecodeError::Truncated { .. })
        ));
    }
}

#[test]
fn session_refuses_bad_links_without_changing() {
    let w = world(1_000_000);
    let (mut s, link, bytes) = honest_link(&w, 52);
    let before = (s.generation(), *s.commitment_digest(), s.units_paid());
    // Generation 3 for a link that should start generation 2.
    let mut b = bytes.clone();
    b[34..38].copy_from_slice(&3u32.to_be_bytes());
    assert_eq!(
        s.renew(&RenewalLink::decode(&b).unwrap(), NOW),
        Err(RenewError::WrongGeneration {
            expected: 2,
            found: 3
        })
    );
    // A next key whose q is not the generation.
    let mut b = bytes.clone();
    b[91 + 20..91 + 24].copy_from_slice(&7u32.to_be_bytes());
    assert_eq!(
        s.renew(&RenewalLink::decode(&b).unwrap(), NOW),
        Err(RenewError::KeyMismatch)
    );
    // A one-time signature that does not verify.
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 0x80;
    assert_eq!(
        s.renew(&RenewalLink::decode(&b).unwrap(), NOW),
        Err(RenewError::BadSignature)
    );
    // Too late (the commitment expired and the link keeps its window).
    assert_eq!(
        s.renew(&link, NOW + 5000),
        Err(RenewError::Session(SessionError::Expired))
    );
    assert_eq!(
        before,
        (s.generation(), *s.commitment_digest(), s.units_paid())
    );
    s.renew(&link, NOW).unwrap();
    assert_eq!(s.generation(), 2);

    // A commitment without a renewal key never renews.
    let (_, c) = wallet(&w, 53, 2);
    let plain = Commitment::sign(
        CommitmentFields {
            renewal: None,
            ..*c.fields()
        },
        &w.customer,
    )
    .unwrap();
    let mut s = open(&w, plain);
    let mut b = link.to_bytes();
    b[2..34].copy_from_slice(plain.digest().as_bytes());
    b[34..38].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(
        s.renew(&RenewalLink::decode(&b).unwrap(), NOW),
        Err(RenewError::NotRenewable)
    );
}

#[test]
fn link_window_must_be_inside_the_certificate() {
    let w = world(1_000_000);
    let (mut wallet, c) = wallet(&w, 54, 2);
    let mut s = open(&w, c);
    run(&mut wallet, &mut s, 2);
    let honest = wallet.pay().unwrap().link.unwrap();
    let mut f = *honest.fields();
    f.window = Some(Window {
        valid_from: NOW,
        expires: NOW + 1_000_000,
    });
    let key = derived_ots_key(&[54; 32], &[54; 16], 0);
    let wide = RenewalLink::sign(f, key, &mut rng()).unwrap();
    assert_eq!(s.renew(&wide, NOW), Err(RenewError::OutsideCertificate));
}

#[test]
fn broker_refuses_bad_cascades_without_changing_the_ledger() {
    let w = world(1_000_000);
    let (mut wallet, c) = wallet(&w, 55, 4);
    let mut s = open(&w, c);
    run(&mut wallet, &mut s, 14);
    let claim = s.cascade().unwrap();
    assert_eq!(claim.renewals.len(), 3);
    let mut b = broker(&w);
    // Links out of order.
    let mut swapped = claim.clone();
    swapped.renewals.swap(0, 1);
    assert_eq!(
        b.redeem_cascade(&swapped, &w.vendor, NOW),
        Err(CascadeError::Renewal {
            generation: 1,
            error: RenewError::WrongPrevious
        })
    );
    // A link dropped from the middle.
    let mut gap = claim.clone();
    gap.renewals.remove(1);
    assert_eq!(
        b.redeem_cascade(&gap, &w.vendor, NOW),
        Err(CascadeError::Renewal {
            generation: 2,
            error: RenewError::WrongPrevious
        })
    );
    // A tampered signature on the last link.
    let mut bytes = claim.renewals[2].link.to_bytes();
    let at = bytes.len() - 3;
    bytes[at] ^= 1;
    let mut tampered = claim.clone();
    tampered.renewals[2].link = RenewalLink::decode(&bytes).unwrap();
    assert_eq!(
        b.redeem_cascade(&tampered, &w.vendor, NOW),
        Err(CascadeError::Renewal {
            generation: 3,
            error: RenewError::BadSignature
        })
    );
    // A forged payword on chain 2.
    let mut forged = claim.clone();
    forged.renewals[1].last = Some(payword::Payword::new(
        4,
        payword::Word::from_bytes([0xee; 32]),
    ));
    assert!(matches!(
        b.redeem_cascade(&forged, &w.vendor, NOW),
        Err(CascadeError::Renewal { generation: 2, .. })
    ));
    // Over the claim budget: checked before any payword hashing.
    let mut small =
        Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 500).with_limit(13);
    assert_eq!(
        small.redeem_cascade(&claim, &w.vendor, NOW),
        Err(CascadeError::OverBudget {
            needed: 14,
            limit: 13
        })
    );
    // Another vendor, too late.
    assert!(matches!(
        b.redeem_cascade(&claim, &VendorId::from_bytes([0; 32]), NOW),
        Err(CascadeError::Redeem(_))
    ));
    assert!(matches!(
        b.redeem_cascade(&claim, &w.vendor, NOW + 1000 + 501),
        Err(CascadeError::Redeem(_))
    ));
    assert!(
        b.store()
            .records(payword::store::Table::Debt)
            .next()
            .is_none()
            && small
                .store()
                .records(payword::store::Table::Debt)
                .next()
                .is_none()
    );
    // The honest claim still redeems in full.
    let r = b.redeem_cascade(&claim, &w.vendor, NOW).unwrap();
    assert_eq!((r.owed, r.units), (42, 14));
}

#[test]
fn cascade_claim_decoding_is_strict() {
    let w = world(1_000_000);
    let (mut wallet, c) = wallet(&w, 56, 2);
    let mut s = open(&w, c);
    run(&mut wallet, &mut s, 5);
    let bytes = s.cascade().unwrap().to_bytes();
    // Every truncation is refused; so are trailing bytes and bad flags.
    for len in (0..bytes.len()).step_by(7) {
        assert!(CascadeClaim::decode(&bytes[..len]).is_err(), "{len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        CascadeClaim::decode(&longer),
        Err(DecodeError::TrailingData { extra: 1 })
    );
    let at = 2 + w.cert.to_bytes().len() + c.to_bytes().len();
    let mut b = bytes.clone();
    b[at] = 2;
    assert_eq!(
        CascadeClaim::decode(&b),
        Err(DecodeError::NonCanonical {
            field: "payword flag"
        })
    );
    let mut b = bytes.clone();
    b[at + 1..at + 5].copy_from_slice(&[0; 4]);
    assert_eq!(
        CascadeClaim::decode(&b),
        Err(DecodeError::NonCanonical { field: "index" })
    );
    assert!(OtsReuseProof::decode(&bytes).is_err());
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// A link from key `(seed, id, q = 0)` to a next chain, signed with the
/// low-level API.
fn link_from(seed: [u8; 32], id: [u8; 16]) -> (RenewalLink, payword::lmots::LmotsPublicKey) {
    let key = derived_ots_key(&seed, &id, 0);
    let public = key.public_key();
    let next_id = [id[0] ^ 0xff; 16];
    let next = derived_ots_key(&seed, &next_id, 1).public_key();
    let f = LinkFields {
        previous: payword::Digest::from_bytes(seed),
        generation: 1,
        params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(next_id), 8).unwrap(),
        anchor: payword::Anchor::from_bytes([id[1]; 32]),
        key: next,
        window: None,
    };
    (RenewalLink::sign(f, key, &mut rng()).unwrap(), public)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A link verifies under its own chain's key, not under another chain's,
    /// and no change to its bytes keeps it valid.
    #[test]
    fn link_verifies_only_for_its_own_key_and_content(
        seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        other in any::<[u8; 32]>(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (link, public) = link_from(seed, id);
        prop_assert_eq!(link.verify(&public), Ok(()));
        if other != seed {
            let wrong = derived_ots_key(&other, &id, 0).public_key();
            prop_assert_eq!(link.verify(&wrong), Err(RenewError::BadSignature));
        }
        let mut bytes = link.to_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        if let Ok(changed) = RenewalLink::decode(&bytes) {
            prop_assert!(changed.verify(&public).is_err(), "byte {} flipped still verifies", i);
        }
    }

    /// Store before send, crash anywhere: a wallet resumed from its latest
    /// state never sends a payword twice (the vendor accepts every payment),
    /// and any older state is refused against the monotonic counter.
    #[test]
    fn resumed_wallets_never_repeat_a_payword(
        ops in proptest::collection::vec((any::<bool>(), any::<prop::sample::Index>()), 1..40),
    ) {
        let w = world(u64::MAX);
        let (mut wallet, c) = wallet(&w, 60, 3);
        let mut s = open(&w, c);
        let mut stored = vec![wallet.to_bytes()];
        let mut counter = 0;
        for (crash, old) in ops {
            if crash {
                let pick = old.index(stored.len());
                let r = RenewingWallet::<Sha256>::resume(&stored[pick], counter);
                if pick + 1 < stored.len() {
                    prop_assert!(matches!(r, Err(RenewError::StaleState { .. })), "stale state accepted");
                }
                wallet = RenewingWallet::<Sha256>::resume(stored.last().unwrap(), counter).unwrap();
            }
            let out = wallet.pay().unwrap();
            stored.push(wallet.to_bytes());
            counter = wallet.sequence();
            if let Some(l) = &out.link {
                prop_assert_eq!(s.renew(l, NOW), Ok(()));
            }
            prop_assert_eq!(s.pay(&out.payment, NOW), Ok(3));
        }
    }

    /// However a wallet is resumed from any state it stored, each one-time
    /// key signs one link only.
    #[test]
    fn ots_keys_sign_once(seed in any::<[u8; 32]>(), n in 1u32..4, resume_at in any::<prop::sample::Index>()) {
        let w = world(u64::MAX);
        let mut wallet = RenewingWallet::<Sha256>::new(
            ChainSeed::from_bytes(seed), params(seed[0], n), 0).unwrap();
        let c = Commitment::sign(CommitmentFields {
            certificate: w.cert.digest(), vendor: w.vendor, unit_value: 1,
            valid_from: NOW, expires: NOW,
            chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
        }, &w.customer).unwrap();
        wallet.bind(&c).unwrap();
        let mut states = vec![wallet.to_bytes()];
        let mut links = std::collections::BTreeMap::new();
        for _ in 0..3 * n + 1 {
            if let Some(l) = wallet.pay().unwrap().link {
                links.insert(l.fields().generation, l);
            }
            states.push(wallet.to_bytes());
        }
        let state = &states[resume_at.index(states.len())];
        let mut replayed = RenewingWallet::<Sha256>::resume(state, 0).unwrap();
        while replayed.sequence() < wallet.sequence() {
            let out = replayed.pay().unwrap();
            if let Some(l) = out.link {
                prop_assert_eq!(Some(&l), links.get(&l.fields().generation));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Known-answer vectors: tests/vectors/renewal.json
// ---------------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The anchor of a SHA-256 chain, from the definition (naive reference).
fn reference_anchor(seed: &[u8; 32], id: &[u8; 16], n: u32) -> [u8; 32] {
    let mut w = sha(&[&[0x02], id, &n.to_be_bytes(), seed]);
    for i in (1..=n).rev() {
        w = sha(&[&[0x01], id, &i.to_be_bytes(), &w]);
    }
    w
}

const VECTOR_N: u32 = 8;
const VECTOR_RENEWALS: u32 = 3;

/// Generates the renewal vectors, checking every derived value against the
/// reference definitions on the way.
fn generate_renewal_vectors() -> serde_json::Value {
    let w = world(1_000_000);
    let seed0: [u8; 32] = core::array::from_fn(|i| i as u8);
    let id0: [u8; 16] = core::array::from_fn(|i| 0xf0 + i as u8);
    let params0 =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(id0), VECTOR_N.into()).unwrap();
    let mut wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes(seed0), params0, 0).unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW,
            expires: NOW + 1000,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &w.customer,
    )
    .unwrap();
    wallet.bind(&c).unwrap();
    let key0 = derived_ots_key(&seed0, &id0, 0).public_key();
    assert_eq!(wallet.renewal_key(), key0);
    let mut s = open(&w, c);
    let mut generations = Vec::new();
    let (mut seed, mut id) = (seed0, id0);
    let mut previous = c.digest();
    let mut states = Vec::new();
    for g in 1..=VECTOR_RENEWALS {
        let mut link = None;
        while link.is_none() {
            let out = wallet.pay().unwrap();
            link = out.link;
            if let Some(l) = &link {
                s.renew(l, NOW).unwrap();
                states.push(hex(&wallet.to_bytes()));
            }
            s.pay(&out.payment, NOW).unwrap();
        }
        let link = link.unwrap();
        // The reference: next seed, id, anchor, key, randomizer, digest.
        let next_seed = kdf(&seed, &id, 1, &[]);
        let next_id: [u8; 16] = sha(&[&[0x08], &id, &2u32.to_be_bytes()])[..16]
            .try_into()
            .unwrap();
        let f = link.fields();
        assert_eq!(f.previous, previous);
        assert_eq!(f.generation, g);
        assert_eq!(f.params.id().to_bytes(), next_id);
        assert_eq!(f.params.length(), VECTOR_N);
        assert_eq!(
            f.anchor.to_bytes(),
            reference_anchor(&next_seed, &next_id, VECTOR_N)
        );
        assert_eq!(f.key, derived_ots_key(&next_seed, &next_id, g).public_key());
        let bytes = link.to_bytes();
        let unsigned = &bytes[..148];
        let digest = sha(&[&[0x06], &[0; 16], &0x30u32.to_be_bytes(), unsigned]);
        assert_eq!(link.digest().to_bytes(), digest);
        assert_eq!(link.signature().randomizer(), &kdf(&seed, &id, 3, &digest));
        let signer = if g == 1 {
            key0
        } else {
            derived_ots_key(&seed, &id, g - 1).public_key()
        };
        assert_eq!(link.verify(&signer), Ok(()));
        generations.push(serde_json::json!({
            "generation": g,
            "seed": hex(&next_seed),
            "chain_id": hex(&next_id),
            "anchor": hex(&f.anchor.to_bytes()),
            "ots_public_key": hex(&f.key.to_bytes()),
            "link": hex(&bytes),
            "link_digest": hex(&digest),
        }));
        (seed, id, previous) = (next_seed, next_id, link.digest());
    }
    let claim = s.cascade().unwrap();
    serde_json::json!({
        "description": "payword chain renewal (src/renew.rs): a wallet with seed byte i = i, chain id byte i = 0xf0 + i, SHA-256, n = 8, renewing when a chain is used up; the commitment is signed by the fixed keys of tests/renew.rs (Ed25519 is deterministic).",
        "definition": [
            "kdf(seed, id, p, extra) = SHA-256(0x08 || id (16) || u32be(p) || seed (32) || extra)",
            "LM-OTS key of chain g: RFC 8554 Appendix A with SEED = kdf(seed_g, id_g, 0), I = id_g, q = g, LMOTS_SHA256_N32_W4",
            "seed_{g+1} = kdf(seed_g, id_g, 1); id_{g+1} = SHA-256(0x08 || id_g || u32be(2))[..16]; same hash and length",
            "link digest = SHA-256(0x06 || 0x00*16 || u32be(0x30) || link bytes before the signature); the LM-OTS message is the digest",
            "LM-OTS randomizer C of the link signed by chain g = kdf(seed_g, id_g, 3, link digest)",
            "chain words: w_n = SHA-256(0x02 || id || u32be(n) || seed), w_{i-1} = SHA-256(0x01 || id || u32be(i) || w_i), anchor = w_0"
        ],
        "seed": hex(&seed0),
        "chain_id": hex(&id0),
        "length": VECTOR_N,
        "commitment": hex(&c.to_bytes()),
        "commitment_digest": hex(&c.digest().to_bytes()),
        "renewal_key": hex(&key0.to_bytes()),
        "generations": generations,
        "wallet_states_after_each_renewal": states,
        "cascade_claim_digest": hex(&sha(&[&claim.to_bytes()])),
    })
}

#[test]
fn renewal_vectors_are_regenerated_identically() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join("renewal.json");
    let generated = serde_json::to_string_pretty(&generate_renewal_vectors()).unwrap() + "\n";
    if std::env::var_os("PAYWORD_REGEN_VECTORS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).expect(
        "tests/vectors/renewal.json is missing: PAYWORD_REGEN_VECTORS=1 cargo test --test renew",
    );
    assert!(
        committed == generated,
        "tests/vectors/renewal.json differs from what the code generates"
    );
    // And the committed links decode and verify on their own.
    let v: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let unhex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut key =
        payword::lmots::LmotsPublicKey::from_bytes(&unhex(v["renewal_key"].as_str().unwrap()))
            .unwrap();
    for g in v["generations"].as_array().unwrap() {
        let link = RenewalLink::decode(&unhex(g["link"].as_str().unwrap())).unwrap();
        assert_eq!(link.verify(&key), Ok(()));
        key = link.fields().key;
    }
}

// ---------------------------------------------------------------------------
// API guidelines (C-SEND-SYNC, C-GOOD-ERR, secrets never printed)
// ---------------------------------------------------------------------------

#[test]
fn c_send_sync_and_good_errors() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RenewalLink>();
    send_sync::<CascadeClaim>();
    send_sync::<OtsReuseProof>();
    send_sync::<RenewingWallet<Sha256>>();
    send_sync::<RenewError>();
    send_sync::<CascadeError>();
    fn good_err<E: std::error::Error + Send + Sync + 'static>(e: E) {
        let s = e.to_string();
        assert!(!s.is_empty());
        assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
        assert!(!s.ends_with('.'), "{s}");
    }
    for e in [
        RenewError::NotRenewable,
        RenewError::WrongPrevious,
        RenewError::WrongGeneration {
            expected: 1,
            found: 2,
        },
        RenewError::UnsupportedParams,
        RenewError::KeyMismatch,
        RenewError::BadSignature,
        RenewError::Exhausted,
        RenewError::OutsideCertificate,
        RenewError::OtsReuse,
        RenewError::Session(SessionError::Expired),
        RenewError::Threshold,
        RenewError::Unbound,
        RenewError::SameLink,
        RenewError::StaleState {
            sequence: 1,
            counter: 2,
        },
    ] {
        good_err(e);
    }
    good_err(CascadeError::TooLong {
        length: 129,
        max: 128,
    });
    good_err(CascadeError::OverBudget {
        needed: 2,
        limit: 1,
    });
    good_err(CascadeError::Renewal {
        generation: 3,
        error: RenewError::BadSignature,
    });
}

#[test]
fn wallet_debug_prints_no_secret() {
    let wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([0xab; 32]), params(1, 4), 0).unwrap();
    let s = format!("{wallet:?}");
    assert!(s.starts_with("RenewingWallet"));
    assert!(!s.contains("abab") && !s.contains("171"), "{s}");
}
