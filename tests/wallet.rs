//! The customer `Wallet`: its one encoding, its strict decoder, and the
//! save-ahead guarantee, checked by crashing at every step of long runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::convert::Infallible;

use ed25519_dalek::SigningKey;
use payword::chain::word_at;
use payword::{
    Anchor, Blake3, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    Commitment, CommitmentFields, CommittedChain, CustomerId, DecodeError, Encode, HashAlg,
    MessageSigner, PayError, Payment, PaymentBody, Payword, Pebbler, PebblerStateError, Purse,
    PurseParams, Receiver, Sha256, Traversal, TweakableHash, VendorId, Wallet, WalletError,
    WalletStore,
};
use sha2::Digest as _;
use zeroize::{ZeroizeOnDrop, Zeroizing};

const SEED: [u8; 32] = [6; 32];

struct Fixture {
    certificate: Certificate,
    commitment: Commitment,
    params: ChainParams,
    anchor: Anchor,
    customer: SigningKey,
    broker: SigningKey,
}

fn certificate(broker: &SigningKey, customer: &SigningKey, serial: u64) -> Certificate {
    Certificate::issue(
        CertificateFields {
            broker: BrokerId::from_bytes([3; 32]),
            serial,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit: 1_000_000,
            valid_from: 0,
            expires: 1_000,
        },
        broker,
    )
    .unwrap()
}

fn commit(certificate: &Certificate, chain: CommittedChain, signer: &SigningKey) -> Commitment {
    Commitment::sign(
        CommitmentFields {
            certificate: certificate.digest(),
            vendor: VendorId::from_bytes([7; 32]),
            unit_value: 1,
            valid_from: 0,
            expires: 1_000,
            chain,
            renewal: None,
        },
        signer,
    )
    .unwrap()
}

fn fixture(alg: HashAlg, n: u32) -> Fixture {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let certificate = certificate(&broker, &customer, 1);
    let params = ChainParams::new(alg, ChainId::from_bytes([5; 16]), n.into()).unwrap();
    let anchor = Anchor::from_bytes(
        match alg {
            HashAlg::Sha256 => word_at::<Sha256>(&ChainSeed::from_bytes(SEED), &params, 0),
            _ => word_at::<Blake3>(&ChainSeed::from_bytes(SEED), &params, 0),
        }
        .unwrap()
        .to_bytes(),
    );
    let commitment = commit(
        &certificate,
        CommittedChain::Single { params, anchor },
        &customer,
    );
    Fixture {
        certificate,
        commitment,
        params,
        anchor,
        customer,
        broker,
    }
}

fn wallet(f: &Fixture, save_ahead: u32) -> Wallet {
    Wallet::new(
        f.certificate,
        f.commitment,
        &ChainSeed::from_bytes(SEED),
        save_ahead,
    )
    .unwrap()
}

fn single(p: &Payment) -> Payword {
    match p.body() {
        PaymentBody::Single(p) => *p,
        PaymentBody::Purse(_) => panic!("a wallet pays from one chain"),
    }
}

/// A store that keeps the latest state and its sequence, and counts saves.
#[derive(Default)]
struct Disk {
    state: Vec<u8>,
    counter: u64,
    saves: usize,
}

impl WalletStore for Disk {
    type Error = Infallible;
    fn save(&mut self, state: &[u8], sequence: u64) -> Result<(), Infallible> {
        self.state = state.to_vec();
        self.counter = sequence;
        self.saves += 1;
        Ok(())
    }
}

/// The checksum the format ends with (see `Wallet::encode`).
fn checksum(body: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(b"payword wallet state v1\0");
    h.update(body);
    h.finalize().into()
}

/// `bytes` with its checksum recomputed after an edit.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 32;
    let sum = checksum(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum);
    bytes
}

// ---------------------------------------------------------------------------
// Encoding

#[test]
fn encoding_layout_and_round_trip() {
    let f = fixture(HashAlg::Sha256, 1024);
    let fresh = wallet(&f, 10);
    let b0 = fresh.to_bytes();
    assert!(b0.len() <= Wallet::MAX_ENCODED_LEN);
    // The documented layout.
    assert_eq!(b0[0], 1);
    assert_eq!(b0[1..5], 10u32.to_be_bytes());
    assert_eq!(b0[5..13], 0u64.to_be_bytes());
    assert_eq!(b0[13..17], 0u32.to_be_bytes());
    let cert = f.certificate.to_bytes();
    let com = f.commitment.to_bytes();
    let mut at = 17;
    assert_eq!(b0[at..at + cert.len()], cert[..]);
    at += cert.len();
    assert_eq!(b0[at..at + com.len()], com[..]);
    at += com.len();
    let peb = Pebbler::<Sha256>::new(&ChainSeed::from_bytes(SEED), f.params)
        .unwrap()
        .to_bytes();
    assert_eq!(
        b0[at..at + 2],
        u16::try_from(peb.len()).unwrap().to_be_bytes()
    );
    at += 2;
    assert_eq!(b0[at..at + peb.len()], peb[..]);
    at += peb.len();
    assert_eq!(b0[at..], checksum(&b0[..at]));
    assert_eq!(at + 32, b0.len());

    // encode = to_bytes; a short buffer still reports the full length.
    let mut buf = Zeroizing::new([0u8; Wallet::MAX_ENCODED_LEN]);
    assert_eq!(fresh.encode(&mut buf[..]), b0.len());
    assert_eq!(buf[..b0.len()], b0[..]);
    assert_eq!(fresh.encode(&mut [0u8; 10]), b0.len());

    // A state with nothing beyond its horizon round-trips byte for byte.
    let back = Wallet::resume(&b0, 0).unwrap();
    assert_eq!(back.to_bytes(), b0);
    assert_eq!(back.certificate(), &f.certificate);
    assert_eq!(back.commitment(), &f.commitment);
    assert_eq!(back.commitment_digest(), f.commitment.digest());
    assert_eq!(back.params(), &f.params);
    assert_eq!(
        (
            back.emitted(),
            back.horizon(),
            back.save_ahead(),
            back.sequence()
        ),
        (0, 0, 10, 0)
    );

    // After payments inside the horizon the state resumes at the horizon,
    // and that resumed state is a fixed point of encode ∘ resume.
    let mut w = back;
    let mut disk = Disk::default();
    for units in [1, 2, 3] {
        w.pay(units, &mut disk).unwrap();
    }
    assert_eq!(
        (w.emitted(), w.horizon(), w.sequence(), disk.saves),
        (6, 10, 1, 1)
    );
    let b1 = w.to_bytes();
    let r1 = Wallet::resume(&b1, disk.counter).unwrap();
    assert_eq!(
        (r1.emitted(), r1.horizon(), r1.save_ahead(), r1.sequence()),
        (10, 10, 10, 1)
    );
    let b2 = r1.to_bytes();
    assert_ne!(b1, b2, "the traversal moved to the horizon");
    assert_eq!(Wallet::resume(&b2, 1).unwrap().to_bytes(), b2);
    // The state the store received (traversal at 0) resumes to the same wallet.
    assert_eq!(Wallet::resume(&disk.state, 1).unwrap().to_bytes(), b2);
    // And pays on from index 11 with the right words.
    let mut r1 = r1;
    let p = single(&r1.pay(2, &mut disk).unwrap());
    assert_eq!(p.index(), 12);
    assert_eq!(
        *p.word(),
        word_at::<Sha256>(&ChainSeed::from_bytes(SEED), &f.params, 12).unwrap()
    );
}

#[test]
fn from_pebbler_takes_over_the_traversal() {
    let f = fixture(HashAlg::Sha256, 64);
    let mut peb = Pebbler::<Sha256>::new(&ChainSeed::from_bytes(SEED), f.params).unwrap();
    peb.advance(5).unwrap();
    let mut w = Wallet::from_pebbler(f.certificate, f.commitment, peb, 4).unwrap();
    // What the pebbler produced counts as released.
    assert_eq!((w.emitted(), w.horizon()), (5, 5));
    let mut disk = Disk::default();
    assert_eq!(single(&w.pay(1, &mut disk).unwrap()).index(), 6);
    assert_eq!(w.horizon(), 9);

    // Another chain's traversal, or the right chain under another hash.
    let other = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([9; 32]), f.params).unwrap();
    assert_eq!(
        Wallet::from_pebbler(f.certificate, f.commitment, other, 4).unwrap_err(),
        WalletError::ChainMismatch
    );
    let p3 = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([5; 16]), 64).unwrap();
    let blake = Pebbler::<Blake3>::new(&ChainSeed::from_bytes(SEED), p3).unwrap();
    assert_eq!(
        Wallet::from_pebbler(f.certificate, f.commitment, blake, 4).unwrap_err(),
        WalletError::ChainMismatch
    );
}

#[test]
fn construction_checks_the_binding() {
    let f = fixture(HashAlg::Sha256, 64);
    let seed = ChainSeed::from_bytes(SEED);
    assert_eq!(
        Wallet::new(f.certificate, f.commitment, &seed, 0).unwrap_err(),
        WalletError::SaveAhead
    );
    assert_eq!(
        Wallet::new(
            f.certificate,
            f.commitment,
            &ChainSeed::from_bytes([8; 32]),
            3
        )
        .unwrap_err(),
        WalletError::ChainMismatch
    );
    // Another certificate than the one the commitment names.
    let other = certificate(&f.broker, &f.customer, 2);
    assert_eq!(
        Wallet::new(other, f.commitment, &seed, 3).unwrap_err(),
        WalletError::CertificateMismatch
    );
    // Signed by a key the certificate does not certify.
    let forged = commit(
        &f.certificate,
        CommittedChain::Single {
            params: f.params,
            anchor: f.anchor,
        },
        &f.broker,
    );
    assert_eq!(
        Wallet::new(f.certificate, forged, &seed, 3).unwrap_err(),
        WalletError::BadCommitment
    );
    // A purse commitment.
    let pp = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 10, 2, 8).unwrap();
    let purse = Purse::<Sha256>::new(&seed, pp).unwrap();
    let pc = commit(
        &f.certificate,
        CommittedChain::Purse {
            params: pp,
            anchors: purse.anchors(),
        },
        &f.customer,
    );
    assert_eq!(
        Wallet::new(f.certificate, pc, &seed, 3).unwrap_err(),
        WalletError::NotSingleChain
    );
}

// ---------------------------------------------------------------------------
// Strict decoding

/// A state with a traversal mid-chain and a horizon ahead of it.
fn sample_state() -> (Fixture, Zeroizing<Vec<u8>>) {
    let f = fixture(HashAlg::Sha256, 1000);
    let mut w = wallet(&f, 7);
    let mut disk = Disk::default();
    for units in [1, 4, 2, 9, 1] {
        w.pay(units, &mut disk).unwrap();
    }
    assert!(w.emitted() < w.horizon());
    let bytes = w.to_bytes();
    (f, bytes)
}

#[test]
fn truncation_at_every_length_is_refused() {
    let (_, bytes) = sample_state();
    assert!(Wallet::resume(&bytes, 0).is_ok());
    for len in 0..bytes.len() {
        let e = Wallet::resume(&bytes[..len], 0).unwrap_err();
        assert!(
            matches!(e, WalletError::Decode(DecodeError::Truncated { .. })),
            "len {len}: {e:?}"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let (_, bytes) = sample_state();
    for extra in [0u8, 1, 0xff] {
        let mut longer = bytes.to_vec();
        longer.push(extra);
        assert_eq!(
            Wallet::resume(&longer, 0).unwrap_err(),
            WalletError::Decode(DecodeError::TrailingData { extra: 1 })
        );
    }
    let mut doubled = bytes.to_vec();
    doubled.extend_from_slice(&bytes);
    assert_eq!(
        Wallet::resume(&doubled, 0).unwrap_err(),
        WalletError::Decode(DecodeError::TrailingData { extra: bytes.len() })
    );
}

#[test]
fn every_bit_flip_is_refused() {
    let (_, bytes) = sample_state();
    let mut flipped = bytes.to_vec();
    let mut checked = 0;
    for i in 0..flipped.len() {
        for bit in 0..8 {
            flipped[i] ^= 1 << bit;
            let e = Wallet::resume(&flipped, 0).unwrap_err();
            assert!(
                !matches!(e, WalletError::StaleState { .. }),
                "byte {i} bit {bit}: {e:?}"
            );
            flipped[i] ^= 1 << bit;
            checked += 1;
        }
    }
    assert_eq!(flipped, bytes.to_vec());
    assert_eq!(checked, bytes.len() * 8);
}

#[test]
fn garbage_never_panics() {
    // Deterministic pseudo-random inputs of every length up to the maximum,
    // and the sample state with random bytes spliced in.
    let (_, bytes) = sample_state();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for len in 0..=Wallet::MAX_ENCODED_LEN + 2 {
        let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(Wallet::resume(&junk, 0).is_err());
    }
    for _ in 0..2000 {
        let mut b = bytes.to_vec();
        let at = (next() as usize) % b.len();
        let len = 1 + (next() as usize) % 8;
        for j in at..(at + len).min(b.len()) {
            b[j] = next() as u8;
        }
        if b != bytes.to_vec() {
            assert!(Wallet::resume(&b, 0).is_err());
        }
    }
}

#[test]
fn fields_out_of_range_are_refused_even_with_a_valid_checksum() {
    let (f, bytes) = sample_state();
    let base = Wallet::resume(&bytes, 0).unwrap().to_bytes().to_vec();
    // Version.
    let mut b = base.clone();
    b[0] = 2;
    assert_eq!(
        Wallet::resume(&reseal(b), 0).unwrap_err(),
        WalletError::Decode(DecodeError::UnknownVersion { version: 2 })
    );
    // Save-ahead 0.
    let mut b = base.clone();
    b[1..5].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(
        Wallet::resume(&reseal(b), 0).unwrap_err(),
        WalletError::Decode(DecodeError::NonCanonical {
            field: "save_ahead"
        })
    );
    // Horizon past the chain, and below what the traversal emitted.
    let emitted = Wallet::resume(&base, 0).unwrap().emitted();
    for h in [1001u32, emitted - 1, u32::MAX] {
        let mut b = base.clone();
        b[13..17].copy_from_slice(&h.to_be_bytes());
        assert_eq!(
            Wallet::resume(&reseal(b), 0).unwrap_err(),
            WalletError::Decode(DecodeError::NonCanonical { field: "horizon" }),
            "horizon {h}"
        );
    }
    // A traversal of another chain of the same shape.
    let cut = 17 + f.certificate.to_bytes().len() + f.commitment.to_bytes().len() + 2;
    let mut other = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([9; 32]), f.params).unwrap();
    other.advance(emitted).unwrap();
    let mut b = base[..cut].to_vec();
    let ob = other.to_bytes();
    assert_eq!(ob.len(), base.len() - 32 - cut, "same shape");
    b.extend_from_slice(&ob);
    b.extend_from_slice(&[0; 32]);
    assert_eq!(
        Wallet::resume(&reseal(b), 0).unwrap_err(),
        WalletError::ChainMismatch
    );
    // A traversal state the pebbler refuses (emitted past n).
    let mut b = base.clone();
    let at = cut + 1 + 1 + 16 + 4;
    b[at..at + 4].copy_from_slice(&2000u32.to_be_bytes());
    assert_eq!(
        Wallet::resume(&reseal(b), 0).unwrap_err(),
        WalletError::State(PebblerStateError::BadField("emitted"))
    );
    // A state whose checksum alone is wrong.
    let mut b = base.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    assert_eq!(Wallet::resume(&b, 0).unwrap_err(), WalletError::Checksum);
}

// ---------------------------------------------------------------------------
// Paying

#[test]
fn pays_the_chain_to_its_end_with_the_horizon_capped() {
    let f = fixture(HashAlg::Sha256, 10);
    let mut w = wallet(&f, 4);
    let mut disk = Disk::default();
    let mut vendor = Receiver::<Sha256>::new(f.params, f.anchor).unwrap();
    let mut horizons = Vec::new();
    for i in 1..=10 {
        let payment = w.pay(1, &mut disk).unwrap();
        assert_eq!(payment.commitment(), &f.commitment.digest());
        let p = single(&payment);
        assert_eq!(p.index(), i);
        assert_eq!(vendor.accept(&p), Ok(1));
        horizons.push(w.horizon());
    }
    assert_eq!(horizons, [4, 4, 4, 4, 8, 8, 8, 8, 10, 10]);
    assert_eq!(disk.saves, 3);
    assert_eq!(w.remaining(), 0);
    assert_eq!(
        w.pay(1, &mut disk).unwrap_err(),
        PayError::Insufficient {
            units: 1,
            remaining: 0
        }
    );
    let back = Wallet::resume(&disk.state, disk.counter).unwrap();
    assert_eq!((back.emitted(), back.remaining()), (10, 0));
}

#[test]
fn refused_payments_change_nothing() {
    let f = fixture(HashAlg::Sha256, 20);
    let mut w = wallet(&f, 5);
    let mut disk = Disk::default();
    w.pay(3, &mut disk).unwrap();
    let before = w.to_bytes();
    assert_eq!(w.pay(0, &mut disk).unwrap_err(), PayError::ZeroUnits);
    assert_eq!(
        w.pay(18, &mut disk).unwrap_err(),
        PayError::Insufficient {
            units: 18,
            remaining: 17
        }
    );
    assert_eq!(w.to_bytes(), before);
    assert_eq!(disk.saves, 1);
    // A big payment moves the horizon as far as it needs.
    assert_eq!(single(&w.pay(17, &mut disk).unwrap()).index(), 20);
    assert_eq!((w.horizon(), disk.saves), (20, 2));
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Broken;

/// A store that fails every save; with `write`, it writes the state first
/// (a write that went through but reported an error, e.g. a failed fsync).
#[derive(Default)]
struct Failing {
    calls: usize,
    write: Option<Vec<u8>>,
}

impl WalletStore for Failing {
    type Error = Broken;
    fn save(&mut self, state: &[u8], _: u64) -> Result<(), Broken> {
        self.calls += 1;
        if let Some(w) = &mut self.write {
            *w = state.to_vec();
        }
        Err(Broken)
    }
}

#[test]
fn a_failing_store_fails_the_payment_and_releases_nothing() {
    let f = fixture(HashAlg::Sha256, 100);
    let mut w = wallet(&f, 5);
    let mut failing = Failing::default();
    // The first payment needs a save.
    assert_eq!(w.pay(1, &mut failing).unwrap_err(), PayError::Store(Broken));
    assert_eq!(
        (w.emitted(), w.horizon(), w.sequence()),
        (0, 0, 0),
        "nothing released, nothing moved"
    );
    let mut disk = Disk::default();
    let mut vendor = Receiver::<Sha256>::new(f.params, f.anchor).unwrap();
    // Retried with a store that works: index 1, nothing lost.
    let p = single(&w.pay(1, &mut disk).unwrap());
    assert_eq!(vendor.accept(&p), Ok(1));
    assert_eq!((w.horizon(), w.sequence()), (5, 1));
    // Within the horizon the store is not called at all.
    for _ in 0..4 {
        let p = single(&w.pay(1, &mut failing).unwrap());
        assert_eq!(vendor.accept(&p), Ok(1));
    }
    // Past it, the failing store stops payment again, repeatedly.
    let state = w.to_bytes();
    for _ in 0..3 {
        assert_eq!(w.pay(2, &mut failing).unwrap_err(), PayError::Store(Broken));
        assert_eq!(w.to_bytes(), state);
    }
    assert_eq!(failing.calls, 4);
    // A save that wrote but reported failure: still nothing released, and
    // the state it wrote (horizon 10) is safe to resume from.
    let mut half = Failing {
        calls: 0,
        write: Some(Vec::new()),
    };
    assert_eq!(w.pay(2, &mut half).unwrap_err(), PayError::Store(Broken));
    assert_eq!(w.to_bytes(), state);
    let written = half.write.unwrap();
    let mut from_written = Wallet::resume(&written, disk.counter).unwrap();
    assert_eq!((from_written.emitted(), from_written.sequence()), (10, 2));
    assert_eq!(
        single(&from_written.pay(1, &mut Disk::default()).unwrap()).index(),
        11
    );
    // Where the last good save left it: resumed after horizon 5.
    let mut back = Wallet::resume(&disk.state, disk.counter).unwrap();
    assert_eq!(back.emitted(), 5);
    let p = single(&back.pay(1, &mut disk).unwrap());
    assert_eq!(vendor.accept(&p), Ok(1));
}

#[test]
fn an_older_state_is_refused_on_resume() {
    let f = fixture(HashAlg::Sha256, 100);
    let mut w = wallet(&f, 2);
    let mut states = vec![(w.to_bytes().to_vec(), 0)];
    let mut disk = Disk::default();
    for _ in 0..6 {
        let before = disk.saves;
        w.pay(1, &mut disk).unwrap();
        if disk.saves > before {
            states.push((disk.state.clone(), disk.counter));
        }
    }
    assert_eq!(states.iter().map(|s| s.1).collect::<Vec<_>>(), [0, 1, 2, 3]);
    let counter = disk.counter;
    for (state, sequence) in &states[..3] {
        assert_eq!(
            Wallet::resume(state, counter).unwrap_err(),
            WalletError::StaleState {
                sequence: *sequence,
                counter
            }
        );
        // Without a counter the decoder cannot tell.
        assert!(Wallet::resume(state, 0).is_ok());
    }
    assert_eq!(Wallet::resume(&states[3].0, counter).unwrap().sequence(), 3);
    // A counter above every state refuses them all.
    assert!(matches!(
        Wallet::resume(&states[3].0, counter + 1),
        Err(WalletError::StaleState { .. })
    ));
}

#[test]
fn blake3_commitments_pay_and_resume() {
    let f = fixture(HashAlg::Blake3, 300);
    let mut w = wallet(&f, 16);
    let mut disk = Disk::default();
    let mut vendor = Receiver::<Blake3>::new(f.params, f.anchor).unwrap();
    for units in [1, 5, 2] {
        assert_eq!(
            vendor.accept(&single(&w.pay(units, &mut disk).unwrap())),
            Ok(units)
        );
    }
    let mut back = Wallet::resume(&disk.state, disk.counter).unwrap();
    assert_eq!(back.emitted(), 16);
    assert_eq!(
        vendor.accept(&single(&back.pay(1, &mut disk).unwrap())),
        Ok(9)
    );
}

// ---------------------------------------------------------------------------
// Secrets and API

#[test]
fn debug_prints_no_secret() {
    let f = fixture(HashAlg::Sha256, 64);
    let mut w = wallet(&f, 4);
    w.pay(3, &mut Disk::default()).unwrap();
    let shown = format!("{w:?}");
    assert!(shown.starts_with("Wallet {"), "{shown}");
    assert!(
        shown.contains("emitted: 3") && shown.contains("horizon: 4"),
        "{shown}"
    );
    let seed = ChainSeed::from_bytes(SEED);
    for i in 0..=64 {
        let word = word_at::<Sha256>(&seed, &f.params, i).unwrap();
        // The anchor is public, but it is not printed either.
        assert!(!shown.contains(&word.to_string()), "w_{i} printed: {shown}");
        assert!(!shown.contains(&format!("{:?}", word.to_bytes())));
    }
    assert!(!shown.contains(&hex(&SEED)));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn send_sync<T: Send + Sync + 'static>() {}
fn zeroize_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn api_guidelines() {
    send_sync::<Wallet>();
    send_sync::<WalletError>();
    send_sync::<PayError<std::io::Error>>();
    zeroize_on_drop::<Wallet>();
    let f = fixture(HashAlg::Sha256, 8);
    let _: Zeroizing<Vec<u8>> = wallet(&f, 1).to_bytes();
    let errors = [
        WalletError::NotSingleChain,
        WalletError::CertificateMismatch,
        WalletError::BadCommitment,
        WalletError::ChainMismatch,
        WalletError::SaveAhead,
        WalletError::Chain(payword::ChainError::ZeroLength),
        WalletError::Decode(DecodeError::TrailingData { extra: 1 }),
        WalletError::State(PebblerStateError::Truncated),
        WalletError::Checksum,
        WalletError::StaleState {
            sequence: 1,
            counter: 2,
        },
    ];
    for e in errors {
        check_message(&e);
    }
    for e in [
        PayError::ZeroUnits,
        PayError::Insufficient {
            units: 2,
            remaining: 1,
        },
        PayError::Store(std::io::Error::other("disk full")),
        PayError::Inconsistent,
    ] {
        check_message(&e);
    }
    let e: PayError<std::io::Error> = PayError::Store(std::io::Error::other("x"));
    assert!(std::error::Error::source(&e).is_some());
    let e = WalletError::Decode(DecodeError::TrailingData { extra: 1 });
    assert!(std::error::Error::source(&e).is_some());
}

fn check_message<E: std::error::Error + Send + Sync + 'static>(e: &E) {
    let s = e.to_string();
    let first = s.chars().next().unwrap();
    assert!(first.is_lowercase() || first.is_ascii_digit(), "{s:?}");
    assert!(!s.ends_with('.'), "{s:?}");
}

// ---------------------------------------------------------------------------
// Crash at every step

/// The storage and the crash schedule of one simulated run.
struct Sim<'a> {
    state: Vec<u8>,
    counter: u64,
    /// Crash points passed so far (numbered from 1).
    step: usize,
    crash: &'a dyn Fn(usize) -> bool,
    /// Set when the process "died" right after a save.
    died_after_save: bool,
}

impl Sim<'_> {
    fn point(&mut self) -> bool {
        self.step += 1;
        (self.crash)(self.step)
    }
}

/// A crash before the save (nothing written) shows as an error; a crash
/// after it (written, then the process dies before the payment leaves) as a
/// flag.
#[derive(Debug)]
struct Died;

impl WalletStore for Sim<'_> {
    type Error = Died;
    fn save(&mut self, state: &[u8], sequence: u64) -> Result<(), Died> {
        if self.point() {
            return Err(Died);
        }
        self.state = state.to_vec();
        self.counter = sequence;
        if self.point() {
            self.died_after_save = true;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Outcome {
    /// Crash points passed.
    steps: usize,
    crashes: usize,
    lost: u64,
    delivered: u64,
}

/// Pays `units` in order with a wallet saving `n_ahead` ahead, crashing
/// wherever `crash` says (before a save, after it, after a payment is handed
/// out), resuming from whatever was persisted, and retrying the payment that
/// was in flight. Asserts the guarantee over the whole run.
fn crash_run<H: TweakableHash>(
    f: &Fixture,
    initial: &[u8],
    n_ahead: u32,
    units: &[u32],
    crash: &dyn Fn(usize) -> bool,
) -> Outcome {
    let mut sim = Sim {
        state: initial.to_vec(),
        counter: 0,
        step: 0,
        crash,
        died_after_save: false,
    };
    let mut wallet = Wallet::resume(initial, 0).unwrap();
    let mut vendor = Receiver::<H>::new(f.params, f.anchor).unwrap();
    let mut released = BTreeSet::new();
    let mut out = Outcome::default();
    // Units skipped by crashes since the last delivery.
    let mut pending = 0u32;
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        let before = wallet.emitted();
        let in_flight = match wallet.pay(u, &mut sim) {
            Err(PayError::Store(Died)) => Some(u),
            Err(e) => panic!("payment {i}: {e:?}"),
            Ok(payment) => {
                assert_eq!(payment.commitment(), &f.commitment.digest());
                let p = single(&payment);
                assert_eq!(p.index(), before + u);
                // Never released twice, across every incarnation.
                assert!(released.insert(p.index()), "index {} twice", p.index());
                assert_eq!(released.last(), Some(&p.index()), "indices only grow");
                // Every released payword verifies against the anchor, even
                // one that never reaches the vendor.
                let fresh = Receiver::<H>::new(f.params, f.anchor).unwrap();
                assert_eq!(fresh.check(&p), Ok(p.index()));
                if std::mem::take(&mut sim.died_after_save) {
                    Some(u)
                } else {
                    // Handed out: the vendor is paid the units and whatever
                    // crashes skipped since the last delivery.
                    assert_eq!(vendor.accept(&p), Ok(u + pending));
                    pending = 0;
                    out.delivered += u64::from(u);
                    i += 1;
                    sim.point().then_some(0)
                }
            }
        };
        if let Some(in_flight) = in_flight {
            out.crashes += 1;
            drop(wallet);
            wallet = Wallet::resume(&sim.state, sim.counter).unwrap();
            assert_eq!(wallet.sequence(), sim.counter);
            // Paywords skipped by this crash: past the vendor's last payword
            // and what earlier crashes already skipped.
            let lost = wallet.emitted() - (vendor.paid() + pending);
            assert!(
                lost <= n_ahead.max(in_flight),
                "lost {lost} > max(N = {n_ahead}, in flight {in_flight})"
            );
            if in_flight <= n_ahead {
                assert!(lost <= n_ahead);
            }
            pending += lost;
            out.lost += u64::from(lost);
        }
    }
    // Every payment reached the vendor once; it was paid that and the losses.
    assert_eq!(out.delivered, units.iter().map(|&u| u64::from(u)).sum());
    assert_eq!(
        u64::from(vendor.paid()) + u64::from(pending),
        out.delivered + out.lost
    );
    out.steps = sim.step;
    out
}

/// 150 payments of 1 to 6 units.
fn run_units() -> Vec<u32> {
    (0..150u32).map(|i| 1 + (i * 7 + i / 3) % 6).collect()
}

fn crash_everywhere<H: TweakableHash>(alg: HashAlg, n_ahead: u32) -> usize {
    let f = fixture(alg, 4096);
    let initial = wallet(&f, n_ahead).to_bytes();
    let units = run_units();
    let clean = crash_run::<H>(&f, &initial, n_ahead, &units, &|_| false);
    assert_eq!((clean.crashes, clean.lost), (0, 0));
    let total = clean.steps;
    let mut max_lost = 0;
    for at in 1..=total {
        let o = crash_run::<H>(&f, &initial, n_ahead, &units, &|s| s == at);
        assert_eq!(o.crashes, 1, "crash point {at}");
        max_lost = max_lost.max(o.lost);
    }
    // The bound N is reached, not just respected (the larger payments in
    // flight may lose up to their 6 units).
    assert!(u64::from(n_ahead) <= max_lost && max_lost <= u64::from(n_ahead.max(6)));
    // Many crashes in one run: every third point, and a pseudo-random third.
    let o = crash_run::<H>(&f, &initial, n_ahead, &units, &|s| s % 3 == 0);
    assert!(o.crashes > units.len() / 2, "{o:?}");
    let o = crash_run::<H>(&f, &initial, n_ahead, &units, &|s| {
        (s as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 62 == 0
    });
    assert!(o.crashes > 10, "{o:?}");
    total
}

#[test]
fn crash_at_every_step_n1() {
    let points = crash_everywhere::<Sha256>(HashAlg::Sha256, 1);
    // Every payment saves: before save, after save, after hand-out.
    assert_eq!(points, 3 * 150);
    println!("N = 1: {points} crash points");
}

#[test]
fn crash_at_every_step_n3() {
    let points = crash_everywhere::<Sha256>(HashAlg::Sha256, 3);
    assert!(points > 150);
    println!("N = 3: {points} crash points");
}

#[test]
fn crash_at_every_step_n10() {
    let points = crash_everywhere::<Sha256>(HashAlg::Sha256, 10);
    assert!(points > 150);
    println!("N = 10: {points} crash points");
}

#[test]
fn crash_at_every_step_blake3() {
    let points = crash_everywhere::<Blake3>(HashAlg::Blake3, 3);
    println!("BLAKE3, N = 3: {points} crash points");
}
