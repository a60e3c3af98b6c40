//! The LMS targets (RFC 8554 as a protocol signature algorithm, feature
//! `lms`): `lms_key_state` (the stateful signer's saved state),
//! `lms_signature` (the protocol's LMS signature decoder and verification)
//! and `lms_messages` (LMS-signed messages, mutated, decoded and verified).
//!
//! LMS verification is real in every build (only message digests and
//! Ed25519 have `cfg(fuzzing)` stand-ins), so forging an LMS signature is as
//! hard here as anywhere: the targets check that whatever verifies is one of
//! the signatures the fixture keys made, for the digest they made it over.
//! Under `cfg(fuzzing)` a digest is a cheap fold that the fuzzer can collide,
//! so "unchanged" means "same digest and same signature" there; in a normal
//! build (`cargo test`) a verified message is byte for byte a fixture.
//!
//! The fixture keys are `LMS_SHA256_M32_H5` trees (32 leaves): building one
//! costs 32 LM-OTS public keys (about 36,000 compressions with W4, 280,000
//! with W8), done once per process ([`fixture`]).

use std::fmt::Debug;
use std::sync::OnceLock;

use payword::lmots::LmotsParams;
use payword::lmots::lms::{LmsParams, LmsPublicKey, lms_verify};
use payword::lmots::signer::{
    LmsKeyError, LmsSignError, LmsSigningKey, MAX_SIGNING_HEIGHT, MemoryLmsStore, STATE_LEN,
};
use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
use payword::{
    AnyMessage, Broker, BrokerId, Certificate, CertificateFields, Commitment, CommitmentFields,
    Digest, Encode, HashAlg, LmsSigner, MemoryStore, MessageSigner, Payment, PaymentBody, Payword,
    PublicKey, RedemptionClaim, Session, SigAlg, Signature, SignedFields, VendorId,
};

use crate::choices::{Choices, Script};
use crate::fixture::{
    BROKER_ID, COMMIT_FROM, COMMIT_UNTIL, Funds, GRACE, NOW, VENDOR, broker_key,
    certificate_fields, id_and_seed,
};
use crate::multi::decode;

// ---------------------------------------------------------------------------
// Helpers

/// Big-endian `u32` at `at` (zeros past the end).
fn be32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, slot) in b.iter_mut().enumerate() {
        *slot = bytes.get(at + i).copied().unwrap_or(0);
    }
    u32::from_be_bytes(b)
}

/// The protocol encoding of a signature: algorithm tag ‖ bytes.
fn sig_encoding(sig: &Signature) -> Vec<u8> {
    [&[sig.alg().tag()][..], sig.as_bytes()].concat()
}

/// base64url without padding (RFC 4648, section 5): the text form of an
/// encoding, written independently of payword's encoder.
#[must_use]
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// The fixture

/// The digest the fixture keys sign first (leaf 0), the same in every build.
pub const BARE_DIGEST: Digest = Digest::from_bytes([0x5a; 32]);

/// The broker's key: H5 / W4.
const BROKER_KEY: (LmsParams, LmotsParams, [u8; 16], [u8; 32]) = (
    LmsParams::Sha256M32H5,
    LmotsParams::Sha256N32W4,
    [0xb1; 16],
    [0xb2; 32],
);
/// The customer's key: H5 / W8 (the costliest verification, 8,670 chain steps).
const CUSTOMER_KEY: (LmsParams, LmotsParams, [u8; 16], [u8; 32]) = (
    LmsParams::Sha256M32H5,
    LmotsParams::Sha256N32W8,
    [0xc1; 16],
    [0xc2; 32],
);
/// The vendor's key (signs its offer): H5 / W4.
const VENDOR_KEY: (LmsParams, LmotsParams, [u8; 16], [u8; 32]) = (
    LmsParams::Sha256M32H5,
    LmotsParams::Sha256N32W4,
    [0xd1; 16],
    [0xd2; 32],
);

/// A broker id the offer accepts besides [`BROKER_ID`].
const OTHER_BROKER: BrokerId = BrokerId::from_bytes([0xb9; 32]);

/// One LMS-signed message of the fixture.
#[derive(Clone, Debug)]
pub struct LmsMessage {
    /// What it is.
    pub name: &'static str,
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// The key its (first LMS) signature verifies under.
    pub signer: PublicKey,
    /// Offset of that signature's encoding (algorithm tag first).
    pub sig_at: usize,
    /// Length of that signature's encoding.
    pub sig_len: usize,
}

impl LmsMessage {
    fn new<F: SignedFields>(name: &'static str, msg: &payword::Signed<F>, signer: PublicKey) -> Self
    where
        payword::Signed<F>: Encode,
    {
        let bytes = msg.to_bytes();
        let sig_len = msg.signature().encoded_len();
        Self {
            name,
            sig_at: bytes.len() - sig_len,
            bytes,
            signer,
            sig_len,
        }
    }
}

/// Keys and LMS-signed messages, built once ([`fixture`]).
#[derive(Debug)]
pub struct LmsFixture {
    /// The broker's LMS key (H5/W4): signs the certificates.
    pub broker: PublicKey,
    /// The customer's LMS key (H5/W8): named by certificate A, signs the
    /// commitment.
    pub customer: PublicKey,
    /// The vendor's LMS key (H5/W4): signs the offer.
    pub vendor: PublicKey,
    /// Keys for the taller trees (H10 to H25, W4 and W8), with a made-up
    /// root: signatures for them decode and are verified, never accepted.
    pub tall: Vec<PublicKey>,
    /// Every signature the three keys made: `(key, digest, signature)`.
    pub genuine: Vec<(PublicKey, Digest, Signature)>,
    /// Certificate A (customer key: the customer's LMS key).
    pub certificate: Certificate,
    /// The commitment under certificate A.
    pub commitment: Commitment,
    /// A claim for 5 paywords of the commitment.
    pub claim: RedemptionClaim,
    /// The messages `lms_messages` mutates, in selector order.
    pub messages: Vec<LmsMessage>,
}

/// The three keys' `LmsSigner`s (a `MemoryLmsStore` each).
fn signer(key: (LmsParams, LmotsParams, [u8; 16], [u8; 32])) -> LmsSigner<MemoryLmsStore> {
    let (params, ots, id, seed) = key;
    let key = LmsSigningKey::from_seed(params, ots, id, &seed).expect("H5 signs");
    LmsSigner::new(key, MemoryLmsStore::new()).expect("W4 and W8 are protocol sets")
}

/// Builds the fixture: every key signs [`BARE_DIGEST`] with leaf 0, then
/// the broker certificates A and B (leaves 1, 2), the customer the
/// commitment (leaf 1), the vendor its offer (leaf 1). Deterministic.
///
/// # Panics
///
/// If a fixture cannot be made (a bug of the fixture or of payword).
#[must_use]
pub fn build_fixture() -> LmsFixture {
    let broker = signer(BROKER_KEY);
    let customer = signer(CUSTOMER_KEY);
    let vendor = signer(VENDOR_KEY);
    let mut genuine = Vec::new();
    for s in [&broker, &customer, &vendor] {
        let sig = s.sign_digest(&BARE_DIGEST).expect("leaf 0");
        genuine.push((s.public_key(), BARE_DIGEST, sig));
    }

    let cert_a = Certificate::sign(
        CertificateFields {
            customer_key: customer.public_key(),
            ..certificate_fields(0, 0x1a, 1000)
        },
        &broker,
    )
    .expect("certificate A");
    genuine.push((broker.public_key(), cert_a.digest(), *cert_a.signature()));
    let cert_b = Certificate::sign(certificate_fields(1, 0x1b, 500), &broker)
        .expect("certificate B (Ed25519 customer)");
    genuine.push((broker.public_key(), cert_b.digest(), *cert_b.signature()));

    let (id, seed) = id_and_seed(0x1c, b"lms commitment");
    let funds = Funds::single(HashAlg::Sha256, id, &seed, 16);
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: cert_a.digest(),
            vendor: VENDOR,
            unit_value: 3,
            valid_from: COMMIT_FROM,
            expires: COMMIT_UNTIL,
            chain: funds.committed(),
            renewal: None,
        },
        &customer,
    )
    .expect("commitment");
    genuine.push((
        customer.public_key(),
        commitment.digest(),
        *commitment.signature(),
    ));
    let chain = funds.chain(0).expect("one chain");
    let claim = RedemptionClaim {
        certificate: cert_a,
        commitment,
        payment: Payment::new(
            commitment.digest(),
            PaymentBody::Single(Payword::new(5, chain.word(5))),
        ),
    };

    let offer = Offer::sign(
        OfferFields {
            vendor: VENDOR,
            vendor_key: vendor.public_key(),
            brokers: Brokers::new(&[
                AcceptedBroker {
                    id: BROKER_ID,
                    key: broker.public_key(),
                },
                AcceptedBroker {
                    id: OTHER_BROKER,
                    key: broker_key(),
                },
            ])
            .expect("two brokers"),
            price: 1,
            unit_value: 3,
            kinds: ChainKinds::ALL,
            max_chain: 1 << 16,
            valid_from: 0,
            expires: u64::MAX,
        },
        &vendor,
    )
    .expect("offer");
    genuine.push((vendor.public_key(), offer.digest(), *offer.signature()));

    let claim_bytes = claim.to_bytes();
    let commitment_sig = sig_encoding(commitment.signature());
    let claim_message = LmsMessage {
        name: "claim",
        sig_at: find(&claim_bytes, &commitment_sig).expect("the commitment's signature"),
        sig_len: commitment_sig.len(),
        bytes: claim_bytes,
        signer: customer.public_key(),
    };
    let messages = vec![
        LmsMessage::new("certificate", &cert_a, broker.public_key()),
        LmsMessage::new("certificate-ed25519-customer", &cert_b, broker.public_key()),
        LmsMessage::new("commitment", &commitment, customer.public_key()),
        claim_message,
        LmsMessage::new("offer", &offer, vendor.public_key()),
    ];

    let tall = LmsParams::ALL
        .into_iter()
        .filter(|p| p.h() > 5)
        .flat_map(|p| {
            [LmotsParams::Sha256N32W4, LmotsParams::Sha256N32W8].map(move |ots| {
                PublicKey::lms(&LmsPublicKey::new(p, ots, [0x7a; 16], [0x7b; 32]))
                    .expect("W4 and W8 keys")
            })
        })
        .collect();
    LmsFixture {
        broker: broker.public_key(),
        customer: customer.public_key(),
        vendor: vendor.public_key(),
        tall,
        genuine,
        certificate: cert_a,
        commitment,
        claim,
        messages,
    }
}

/// The fixture, built on first use.
pub fn fixture() -> &'static LmsFixture {
    static FIXTURE: OnceLock<LmsFixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

impl LmsFixture {
    /// The three H5 keys.
    fn keys(&self) -> [PublicKey; 3] {
        [self.broker, self.customer, self.vendor]
    }

    /// The fixture key for a tree and leaf set (W4 or W8).
    fn key_for(&self, params: LmsParams, ots: LmotsParams) -> Option<PublicKey> {
        self.keys()
            .into_iter()
            .chain(self.tall.iter().copied())
            .find(|k| {
                LmsPublicKey::from_bytes(k.as_bytes())
                    .is_ok_and(|l| l.params() == params && l.ots_params() == ots)
            })
    }

    /// A signature verified under `key` over `digest`: it must be one the
    /// fixture made (an LMS forgery otherwise). An Ed25519 signature can
    /// verify only through the `cfg(fuzzing)` stand-in (the fixture makes
    /// none), whose check the fuzzer can satisfy.
    fn assert_made(&self, key: &PublicKey, digest: &Digest, sig: &Signature, what: &str) {
        match key.alg() {
            SigAlg::Lms => assert!(
                self.genuine
                    .iter()
                    .any(|(k, d, s)| k == key && d == digest && s == sig),
                "{what}: an LMS signature verified that no fixture key made: {key:?} {digest:?} {sig:?}"
            ),
            _ if cfg!(fuzzing) => {}
            _ => panic!("{what}: an Ed25519 signature verified that nobody made"),
        }
    }

    /// Whether `bytes` is one of the fixture messages.
    fn is_fixture_message(&self, bytes: &[u8]) -> bool {
        self.messages.iter().any(|m| m.bytes == bytes)
    }
}

// ---------------------------------------------------------------------------
// lms_key_state

/// The leaf the checks sign after a resume.
const KEY_STATE_MESSAGE: &[u8] = b"lms_key_state";

/// Whether `LmsSigningKey::resume(state, floor)` would accept: the model
/// (every condition the documentation lists, in no particular order).
fn state_is_valid(state: &[u8], floor: u32) -> bool {
    let Some(params) = LmsParams::from_typecode(be32(state, 2)) else {
        return false;
    };
    let next = be32(state, 58);
    state.len() == STATE_LEN
        && state[..2] == [0x53, 0x01]
        && LmotsParams::from_typecode(be32(state, 6)).is_some()
        && params.h() <= MAX_SIGNING_HEIGHT
        && next <= params.leaves()
        && next >= floor
}

/// Whether resuming would build a tree too costly to fuzz: a valid state of
/// a tree taller than H5 (H10: 1,024 LM-OTS public keys, about a million
/// compressions with W4; H15: 32 times that). Invalid states are refused
/// before the tree is built, so they are resumed whatever their height.
fn too_costly(state: &[u8], floor: u32) -> bool {
    state_is_valid(state, floor) && be32(state, 2) != LmsParams::Sha256M32H5.typecode()
}

/// `lms_key_state`: the input is `floor (u32, big-endian; missing bytes are
/// zeros) ‖ state`, and `LmsSigningKey::resume(state, floor)` must never
/// panic.
///
/// Cost restriction: `resume` builds the key's whole tree (`2^h` LM-OTS
/// public keys), so a state it would *accept* for a tree taller than H5
/// (H10: about a million compressions; H15: 32 times that) is not resumed
/// at all. Every other input is:
/// - H5 states with any LM-OTS set. W8 is kept: its tree is 32 × 8,700
///   chain steps, about 75 ms per input in the fuzz build (W4: 11 ms, W1 and
///   W2: 10 ms), but most mutations make a state invalid, and a 60 s run
///   still made about 540 executions/s;
/// - invalid states of any height (refused before a tree is built), and H20
///   and H25 states (refused as too tall to sign with).
///
/// What must hold:
/// - resume accepts exactly the valid states (a model of the documented
///   checks: length, tag and version, known typecodes, height ≤
///   `MAX_SIGNING_HEIGHT`, `floor ≤ next ≤ 2^h`), and every refusal names a
///   problem the input has;
/// - a resumed key re-encodes to the input (`state_at(next_leaf())`), has
///   the input's typecodes, `I` and leaf, refuses a floor past its leaf
///   (`Rollback`), clamps `state_at` to `2^h`;
/// - it signs the next leaf (saving `next + 1` first) and what it signs
///   verifies under its public key, and not for another message; an
///   exhausted key signs nothing and keeps its leaf;
/// - as an `LmsSigner` it is accepted exactly for W4 and W8, and its
///   protocol signatures decode (`Signature::lms`) and verify.
pub fn lms_key_state(data: &[u8]) {
    let (head, state) = data.split_at(data.len().min(4));
    let floor = be32(head, 0);
    if too_costly(state, floor) {
        return;
    }
    let valid = state_is_valid(state, floor);
    match LmsSigningKey::resume(state, floor) {
        Ok(key) => {
            assert!(valid, "resume accepted an invalid state");
            resumed_key(key, state, floor);
        }
        Err(e) => {
            assert!(!valid, "resume refused a valid state: {e}");
            assert!(!e.to_string().is_empty());
            refusal_is_justified(e, state, floor);
        }
    }
}

/// A refusal names a problem `state` has.
fn refusal_is_justified(e: LmsKeyError, state: &[u8], floor: u32) {
    let next = be32(state, 58);
    let params = LmsParams::from_typecode(be32(state, 2));
    match e {
        LmsKeyError::WrongLength { expected, actual } => {
            assert_eq!((expected, actual), (STATE_LEN, state.len()));
            assert_ne!(actual, STATE_LEN);
        }
        LmsKeyError::NotAState => assert_ne!(state.get(..2), Some(&[0x53, 0x01][..])),
        LmsKeyError::UnknownTypecode { typecode } => assert!(
            (typecode == be32(state, 2) && params.is_none())
                || (typecode == be32(state, 6) && LmotsParams::from_typecode(typecode).is_none()),
            "{e}"
        ),
        LmsKeyError::LeafOutOfRange { next: n, leaves } => {
            let params = params.expect("a known tree");
            assert_eq!((n, leaves), (next, params.leaves()));
            assert!(n > leaves);
        }
        LmsKeyError::Rollback { state: s, floor: f } => {
            assert_eq!((s, f), (next, floor));
            assert!(s < f);
        }
        LmsKeyError::HeightNotSupported { height } => {
            assert_eq!(Some(height), params.map(LmsParams::h));
            assert!(height > MAX_SIGNING_HEIGHT);
        }
        other => panic!("resume refused with {other:?}"),
    }
}

/// The checks on a key `resume` accepted.
fn resumed_key(mut key: LmsSigningKey, state: &[u8], floor: u32) {
    let next = key.next_leaf();
    let params = key.params();
    let ots = key.ots_params();
    let leaves = params.leaves();
    assert_eq!(
        &key.state_at(next).as_bytes()[..],
        state,
        "a resumed key re-encodes differently"
    );
    assert_eq!(next, be32(state, 58));
    assert!(floor <= next && next <= leaves);
    assert_eq!(
        (params.typecode(), ots.typecode()),
        (be32(state, 2), be32(state, 6))
    );
    assert_eq!(key.remaining(), leaves - next);
    assert_eq!(key.signature_len(), params.signature_len(ots));
    assert_eq!(key.state_at(u32::MAX).next_leaf(), leaves);
    let public = key.public_key();
    assert_eq!(&public.id()[..], &state[10..26]);
    assert_eq!(
        LmsPublicKey::from_bytes(&public.to_bytes()),
        Ok(public),
        "public key round trip"
    );
    // A floor past the state: refused, before any tree is built.
    assert_eq!(
        LmsSigningKey::resume(state, next + 1).err(),
        Some(LmsKeyError::Rollback {
            state: next,
            floor: next + 1
        })
    );

    let mut store = MemoryLmsStore::new();
    match key.sign(&mut store, KEY_STATE_MESSAGE) {
        Ok(sig) => {
            assert!(next < leaves, "an exhausted key signed");
            assert_eq!(sig.len(), key.signature_len());
            assert_eq!(be32(&sig, 0), next, "signed with another leaf");
            assert_eq!(key.next_leaf(), next + 1);
            let saved = store.state().expect("saved before signing");
            assert_eq!(&saved[..], &key.state_at(next + 1).as_bytes()[..]);
            assert_eq!(
                lms_verify(&public.to_bytes(), KEY_STATE_MESSAGE, &sig),
                Ok(())
            );
            assert!(lms_verify(&public.to_bytes(), b"another message", &sig).is_err());
        }
        Err(e) => {
            assert_eq!(
                e,
                LmsSignError::Key(LmsKeyError::Exhausted { leaves }),
                "signing failed"
            );
            assert_eq!(next, leaves);
            assert_eq!(key.next_leaf(), leaves);
        }
    }

    let protocol_set = matches!(ots, LmotsParams::Sha256N32W4 | LmotsParams::Sha256N32W8);
    assert_eq!(PublicKey::lms(&public).is_some(), protocol_set);
    let left = key.remaining();
    match LmsSigner::new(key, store) {
        Ok(signer) => {
            assert!(protocol_set);
            assert_eq!(signer.remaining(), left);
            match signer.sign_digest(&BARE_DIGEST) {
                Ok(sig) => {
                    assert!(left > 0);
                    assert_eq!(sig.alg(), SigAlg::Lms);
                    assert_eq!(Signature::lms(sig.as_bytes()), Ok(sig));
                    assert_eq!(signer.public_key().verify(&BARE_DIGEST, &sig), Ok(()));
                    assert_eq!(signer.remaining(), left - 1);
                }
                Err(_) => assert_eq!(left, 0, "an LmsSigner with leaves left failed"),
            }
        }
        Err(e) => {
            assert!(!protocol_set);
            assert_eq!(
                e,
                LmsKeyError::OtsNotSupported {
                    typecode: ots.typecode()
                }
            );
        }
    }
}

// ---------------------------------------------------------------------------
// lms_signature

/// `lms_signature`: the input read as an LMS signature (the bytes after the
/// algorithm tag).
///
/// What must hold:
/// - `Signature::lms` is total, and agrees with `Signature::from_text` on
///   the text of `tag 2 ‖ input` (same value, or both refuse);
/// - an accepted signature is LMS, re-encodes to exactly the input (bytes and
///   text), has W4 or W8 leaves, a leaf inside its tree and the exact length
///   of its typecodes, at most `Signature::MAX_LEN` bytes;
/// - verified under the fixture key of its tree and leaf set (the real H5/W4
///   and H5/W8 keys; keys with a made-up root for H10 to H25), over the
///   digest that key signed with the signature's leaf (or
///   [`BARE_DIGEST`]): accepted only if the fixture made exactly this
///   signature for that digest, and a fixture signature is accepted; under
///   a key of the other leaf set it is refused. One verification costs at
///   most 8,670 + 26 hashes (W8);
/// - a refused input verifies under no fixture key (the raw RFC 8554
///   verifier accepts nothing the protocol decoder refuses);
/// - as the signature of certificate A and of the commitment
///   (`fields ‖ 2 ‖ input`), `Certificate::decode`, `Commitment::decode` and
///   `AnyMessage::decode` accept exactly when `Signature::lms` does, keep
///   the fields and the signature, re-encode exactly, and verify only with
///   the fixture's signature.
pub fn lms_signature(data: &[u8]) {
    let fx = fixture();
    let decoded = Signature::lms(data);
    let text = base64url(&[&[SigAlg::Lms.tag()][..], data].concat());
    let from_text = Signature::from_text(&text);
    match &decoded {
        Ok(sig) => {
            assert_eq!(
                from_text.as_ref(),
                Ok(sig),
                "text and bytes decoders disagree"
            );
            assert_eq!(sig.to_text(), text, "signature text changed");
            signature_structure(data, sig);
            verify_signature(fx, data, sig);
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                from_text.is_err(),
                "the text decoder accepted a refused signature"
            );
            for key in fx.keys() {
                let raw = LmsPublicKey::from_bytes(key.as_bytes()).expect("fixture key");
                assert!(
                    raw.verify(BARE_DIGEST.as_bytes(), data).is_err(),
                    "RFC 8554 verification accepted a signature the decoder refuses"
                );
            }
        }
    }
    let accepted = decoded.as_ref().ok();
    embedded(fx, data, accepted, &fx.messages[0], &fx.certificate);
    embedded(fx, data, accepted, &fx.messages[2], &fx.commitment);
}

/// The structure of an accepted LMS signature, read independently.
fn signature_structure(data: &[u8], sig: &Signature) {
    assert_eq!(sig.alg(), SigAlg::Lms);
    assert_eq!(sig.as_bytes(), data, "decode → encode changed the bytes");
    assert_eq!(sig.encoded_len(), 1 + data.len());
    assert!(data.len() <= Signature::MAX_LEN);
    let ots = LmotsParams::from_typecode(be32(data, 4)).expect("known LM-OTS typecode");
    assert!(
        matches!(ots, LmotsParams::Sha256N32W4 | LmotsParams::Sha256N32W8),
        "accepted {ots}"
    );
    let params =
        LmsParams::from_typecode(be32(data, 4 + ots.signature_len())).expect("known LMS typecode");
    assert!(be32(data, 0) < params.leaves(), "leaf outside the tree");
    assert_eq!(
        data.len(),
        8 + ots.signature_len() + 32 * usize::from(params.h())
    );
}

/// Verifies an accepted signature under the fixture keys.
fn verify_signature(fx: &LmsFixture, data: &[u8], sig: &Signature) {
    let ots = LmotsParams::from_typecode(be32(data, 4)).expect("checked");
    let params = LmsParams::from_typecode(be32(data, 4 + ots.signature_len())).expect("checked");
    let key = fx
        .key_for(params, ots)
        .expect("a fixture key for every W4/W8 tree");
    let q = be32(data, 0);
    let (digest, made) = fx
        .genuine
        .iter()
        .find(|(k, _, s)| *k == key && be32(s.as_bytes(), 0) == q)
        .map_or((BARE_DIGEST, None), |(_, d, s)| (*d, Some(s)));
    match key.verify(&digest, sig) {
        Ok(()) => fx.assert_made(&key, &digest, sig, "lms_signature"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert_ne!(made, Some(sig), "a fixture signature was refused");
        }
    }
    let other = if ots == LmotsParams::Sha256N32W4 {
        LmotsParams::Sha256N32W8
    } else {
        LmotsParams::Sha256N32W4
    };
    let mismatched = fx.key_for(params, other).expect("both sets");
    assert!(mismatched.verify(&digest, sig).is_err());
}

/// `msg`'s fields with `data` as its LMS signature.
fn embedded<F: SignedFields>(
    fx: &LmsFixture,
    data: &[u8],
    sig: Option<&Signature>,
    fixture: &LmsMessage,
    msg: &payword::Signed<F>,
) where
    payword::Signed<F>: Encode + PartialEq + Debug,
{
    let bytes = [
        &fixture.bytes[..fixture.sig_at],
        &[SigAlg::Lms.tag()][..],
        data,
    ]
    .concat();
    let got = payword::Signed::<F>::decode(&bytes);
    let any = AnyMessage::decode(&bytes);
    let Some(sig) = sig else {
        assert!(
            got.is_err(),
            "{}: accepted a refused signature",
            fixture.name
        );
        assert!(any.is_err(), "{}: AnyMessage accepted it", fixture.name);
        return;
    };
    let m = got.unwrap_or_else(|e| panic!("{}: refused an accepted signature: {e}", fixture.name));
    assert!(bytes.len() <= payword::Signed::<F>::MAX_LEN);
    assert_eq!(m.to_bytes(), bytes, "decode → encode changed the bytes");
    assert_eq!(m.fields(), msg.fields());
    assert_eq!(m.signature(), sig);
    let any = any.expect("AnyMessage agrees");
    let mut out = vec![0u8; bytes.len()];
    assert_eq!(any.encode(&mut out), bytes.len());
    assert_eq!(out, bytes);
    match m.verify(&fixture.signer) {
        Ok(()) => fx.assert_made(&fixture.signer, &m.digest(), sig, fixture.name),
        Err(_) => assert_ne!(
            sig,
            msg.signature(),
            "{}: its own signature refused",
            fixture.name
        ),
    }
}

// ---------------------------------------------------------------------------
// lms_messages

/// The most edits one input makes.
pub const MAX_EDITS: usize = 16;

/// One edit of a message's bytes (four input bytes: op, position, value).
#[derive(Clone, Copy, Debug)]
pub enum Edit {
    /// `bytes[pos % len] ^= value`.
    Xor(u16, u8),
    /// `bytes[pos % len] = value`.
    Set(u16, u8),
    /// Inserts `value` at `pos % (len + 1)`.
    Insert(u16, u8),
    /// Removes the byte at `pos % len`.
    Remove(u16),
    /// Truncates to `pos % (len + 1)` bytes.
    Truncate(u16),
    /// Replaces the message's LMS signature with genuine signature
    /// `value % count` of the fixture (another key's, another message's).
    Splice(u8),
    /// Sets the signature's leaf `q` to `value`.
    Leaf(u8),
    /// Writes `value` as a big-endian `u32` at `pos % len` (typecodes,
    /// counts).
    Word(u16, u8),
}

impl Edit {
    fn read(c: &mut Choices<'_>) -> Self {
        let op = c.u8();
        let pos = c.u16();
        let v = c.u8();
        match op % 8 {
            0 => Self::Xor(pos, v),
            1 => Self::Set(pos, v),
            2 => Self::Insert(pos, v),
            3 => Self::Remove(pos),
            4 => Self::Truncate(pos),
            5 => Self::Splice(v),
            6 => Self::Leaf(v),
            _ => Self::Word(pos, v),
        }
    }

    fn write(self, s: &mut Script) {
        let (op, pos, v) = match self {
            Self::Xor(p, v) => (0, p, v),
            Self::Set(p, v) => (1, p, v),
            Self::Insert(p, v) => (2, p, v),
            Self::Remove(p) => (3, p, 0),
            Self::Truncate(p) => (4, p, 0),
            Self::Splice(v) => (5, 0, v),
            Self::Leaf(v) => (6, 0, v),
            Self::Word(p, v) => (7, p, v),
        };
        s.u8(op).u16(pos).u8(v);
    }

    /// Applies the edit; `tail` is the distance from the signature's tag to
    /// the end in the original message.
    fn apply(self, b: &mut Vec<u8>, m: &LmsMessage, fx: &LmsFixture) {
        let len = b.len();
        let sig_at = len.saturating_sub(m.bytes.len() - m.sig_at);
        match self {
            Self::Xor(p, v) if len > 0 => b[usize::from(p) % len] ^= v,
            Self::Set(p, v) if len > 0 => b[usize::from(p) % len] = v,
            Self::Insert(p, v) => b.insert(usize::from(p) % (len + 1), v),
            Self::Remove(p) if len > 0 => {
                b.remove(usize::from(p) % len);
            }
            Self::Truncate(p) => b.truncate(usize::from(p) % (len + 1)),
            Self::Splice(v) => {
                let (_, _, s) = &fx.genuine[usize::from(v) % fx.genuine.len()];
                let end = (sig_at + m.sig_len).min(len);
                b.splice(sig_at..end, sig_encoding(s));
            }
            Self::Leaf(v) => {
                for (i, x) in u32::from(v).to_be_bytes().into_iter().enumerate() {
                    if let Some(slot) = b.get_mut(sig_at + 1 + i) {
                        *slot = x;
                    }
                }
            }
            Self::Word(p, v) if len > 0 => {
                let at = usize::from(p) % len;
                for (i, x) in u32::from(v).to_be_bytes().into_iter().enumerate() {
                    if let Some(slot) = b.get_mut(at + i) {
                        *slot = x;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A program of `lms_messages`: the message, then the edits.
#[must_use]
pub fn messages_script(message: u8, edits: &[Edit]) -> Vec<u8> {
    let mut s = Script::new();
    s.u8(message);
    for e in edits {
        e.write(&mut s);
    }
    s.finish()
}

/// `lms_messages`: one of the fixture's LMS-signed messages (certificate A
/// naming an LMS customer key, certificate B naming an Ed25519 one, the
/// commitment, the claim, the offer; picked by the first byte), edited by
/// the rest of the input (up to [`MAX_EDITS`] [`Edit`]s: bytes changed,
/// inserted, removed, truncated, the signature swapped for another genuine
/// one or its leaf changed), then decoded and verified.
///
/// What must hold:
/// - every decoder (certificate, commitment, claim, offer, `AnyMessage`) is
///   total and canonical, and `AnyMessage` agrees with the typed decoders;
/// - a decoded certificate, commitment or offer verifies under a fixture
///   key only with a signature the fixture made with that key over that
///   digest; in a normal build it is then exactly a fixture message;
/// - a decoded claim redeems at a fresh broker holding the LMS broker key,
///   and opens a vendor session, only if its certificate and commitment
///   verify with signatures the fixture made (in a normal build: they are
///   the fixture's);
/// - unedited bytes decode, verify under their signer and (the claim)
///   redeem and open a session.
pub fn lms_messages(data: &[u8]) {
    let fx = fixture();
    let mut c = Choices::new(data);
    let m = &fx.messages[usize::from(c.u8()) % fx.messages.len()];
    let mut bytes = m.bytes.clone();
    for _ in 0..MAX_EDITS {
        if c.is_empty() {
            break;
        }
        let edit = Edit::read(&mut c);
        crate::trace!("lms_messages: {} {edit:?}", m.name);
        edit.apply(&mut bytes, m, fx);
    }
    let unchanged = bytes == m.bytes;

    let cert = decode::<Certificate>(&bytes);
    let commitment = decode::<Commitment>(&bytes);
    let claim = decode::<RedemptionClaim>(&bytes);
    let offer = decode::<Offer>(&bytes);
    let payment = decode::<Payment>(&bytes);
    match AnyMessage::decode(&bytes) {
        Ok(AnyMessage::Certificate(x)) => assert_eq!(cert, Some(x)),
        Ok(AnyMessage::Commitment(x)) => assert_eq!(commitment, Some(x)),
        Ok(AnyMessage::RedemptionClaim(x)) => assert_eq!(claim, Some(x)),
        Ok(AnyMessage::Payment(x)) => assert_eq!(payment, Some(x)),
        Ok(_) => {}
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(cert.is_none() && commitment.is_none() && claim.is_none());
            assert!(payment.is_none());
        }
    }

    let mut verified = false;
    if let Some(x) = &cert {
        verified |= verify_under_keys(fx, x, &bytes, "certificate");
    }
    if let Some(x) = &commitment {
        verified |= verify_under_keys(fx, x, &bytes, "commitment");
    }
    if let Some(x) = &offer {
        verified |= verify_under_keys(fx, x, &bytes, "offer");
        if x.check(NOW, 0).is_ok() {
            let f = x.fields();
            fx.assert_made(&f.vendor_key, &x.digest(), x.signature(), "offer check");
            verified = true;
        }
    }
    if let Some(x) = &claim {
        verified |= redeem_claim(fx, x, unchanged);
    }
    if unchanged {
        assert!(verified, "{}: the unedited message did not verify", m.name);
    }
}

/// Verifies `msg` under each fixture key; returns whether one accepted.
fn verify_under_keys<F: SignedFields>(
    fx: &LmsFixture,
    msg: &payword::Signed<F>,
    bytes: &[u8],
    what: &str,
) -> bool {
    let mut any = false;
    for key in fx.keys() {
        if msg.verify(&key).is_ok() {
            fx.assert_made(&key, &msg.digest(), msg.signature(), what);
            if !cfg!(fuzzing) {
                assert!(
                    fx.is_fixture_message(bytes),
                    "{what}: an edited message verified"
                );
            }
            any = true;
        }
    }
    any
}

/// Redeems a decoded claim at a fresh broker (the LMS broker key) and opens
/// a vendor session with it; returns whether either accepted it.
fn redeem_claim(fx: &LmsFixture, claim: &RedemptionClaim, unchanged: bool) -> bool {
    let cert = &claim.certificate;
    let commitment = &claim.commitment;
    let genuine = |what: &str| {
        fx.assert_made(&fx.broker, &cert.digest(), cert.signature(), what);
        let customer_key = cert.fields().customer_key;
        fx.assert_made(
            &customer_key,
            &commitment.digest(),
            commitment.signature(),
            what,
        );
        if !cfg!(fuzzing) {
            assert_eq!(cert, &fx.claim.certificate, "{what}: an edited certificate");
            assert_eq!(
                commitment, &fx.claim.commitment,
                "{what}: an edited commitment"
            );
        }
    };
    let mut broker =
        Broker::new(BROKER_ID, fx.broker, MemoryStore::new(), GRACE).with_limit(1 << 12);
    let vendor: VendorId = commitment.fields().vendor;
    let redeemed = broker.redeem(claim, &vendor, commitment.fields().valid_from);
    crate::trace!("lms_messages: redeem -> {redeemed:?}");
    if redeemed.is_ok() {
        genuine("claim redeemed");
    }
    let opened = Session::open(VENDOR, &fx.broker, *cert, *commitment, NOW, 0);
    if opened.is_ok() {
        genuine("session opened");
    }
    if unchanged {
        assert!(
            redeemed.is_ok(),
            "the fixture claim was refused: {redeemed:?}"
        );
        assert!(opened.is_ok(), "the fixture session did not open");
    }
    redeemed.is_ok() || opened.is_ok()
}

// ---------------------------------------------------------------------------
// Seeds

/// An encoded key state, laid out by hand: `0x53 ‖ 0x01 ‖ u32(lms type) ‖
/// u32(lmots type) ‖ I ‖ SEED ‖ u32(next leaf)`.
fn state(params: u32, ots: u32, fill: u8, next: u32) -> Vec<u8> {
    let mut s = vec![0x53, 0x01];
    s.extend_from_slice(&params.to_be_bytes());
    s.extend_from_slice(&ots.to_be_bytes());
    s.extend_from_slice(&[fill; 16]);
    s.extend_from_slice(&[!fill; 32]);
    s.extend_from_slice(&next.to_be_bytes());
    assert_eq!(s.len(), STATE_LEN);
    s
}

/// `floor ‖ state`.
fn key_state_input(floor: u32, state: &[u8]) -> Vec<u8> {
    [&floor.to_be_bytes()[..], state].concat()
}

/// `sig` with its tree typecode set to `params` and its path grown or cut
/// to match, leaf `q`.
fn reshaped(sig: &Signature, params: LmsParams, q: u32) -> Vec<u8> {
    let bytes = sig.as_bytes();
    let ots = LmotsParams::from_typecode(be32(bytes, 4)).expect("LMS signature");
    let mut out = bytes[..4 + ots.signature_len()].to_vec();
    out[..4].copy_from_slice(&q.to_be_bytes());
    out.extend_from_slice(&params.typecode().to_be_bytes());
    for i in 0..params.h() {
        out.extend_from_slice(&[i; 32]);
    }
    out
}

/// Seed files of the LMS targets: `(target, name, bytes)`.
#[must_use]
pub fn seeds() -> Vec<crate::corpus::Seed> {
    let fx = fixture();
    let mut out: Vec<crate::corpus::Seed> = Vec::new();
    let h5 = LmsParams::Sha256M32H5.typecode();
    for (name, bytes) in [
        ("h5-w4-fresh", key_state_input(0, &state(h5, 3, 0x11, 0))),
        ("h5-w4-at-floor", key_state_input(7, &state(h5, 3, 0x12, 7))),
        ("h5-w8-leaf-3", key_state_input(0, &state(h5, 4, 0x13, 3))),
        (
            "h5-w2-last-leaf",
            key_state_input(0, &state(h5, 2, 0x14, 31)),
        ),
        (
            "h5-w1-exhausted",
            key_state_input(32, &state(h5, 1, 0x15, 32)),
        ),
        (
            "h10-w4-rolled-back",
            key_state_input(9, &state(LmsParams::Sha256M32H10.typecode(), 3, 0x16, 8)),
        ),
        (
            "h20-w4-too-tall",
            key_state_input(0, &state(LmsParams::Sha256M32H20.typecode(), 3, 0x17, 0)),
        ),
    ] {
        out.push(("lms_key_state", name.into(), bytes));
    }

    let made = |key: &PublicKey, digest: &Digest| {
        fx.genuine
            .iter()
            .find(|(k, d, _)| k == key && d == digest)
            .map(|(_, _, s)| *s)
            .expect("a fixture signature")
    };
    let w4 = made(&fx.broker, &BARE_DIGEST);
    let w8 = made(&fx.customer, &BARE_DIGEST);
    for (name, bytes) in [
        ("h5-w4-bare-digest", w4.as_bytes().to_vec()),
        ("h5-w8-bare-digest", w8.as_bytes().to_vec()),
        (
            "h5-w4-certificate",
            fx.certificate.signature().as_bytes().to_vec(),
        ),
        (
            "h5-w8-commitment",
            fx.commitment.signature().as_bytes().to_vec(),
        ),
        (
            "h25-w4-longest",
            reshaped(&w4, LmsParams::Sha256M32H25, 1 << 24),
        ),
        ("h10-w8", reshaped(&w8, LmsParams::Sha256M32H10, 1000)),
    ] {
        out.push(("lms_signature", name.into(), bytes));
    }

    let cert = &fx.messages[0];
    for (name, script) in [
        ("certificate", messages_script(0, &[])),
        ("certificate-ed25519-customer", messages_script(1, &[])),
        ("commitment", messages_script(2, &[])),
        ("claim", messages_script(3, &[])),
        ("offer", messages_script(4, &[])),
        (
            "certificate-randomizer-flipped",
            messages_script(
                0,
                &[Edit::Xor(
                    u16::try_from(cert.sig_at + 1 + 8).expect("short"),
                    0x01,
                )],
            ),
        ),
        (
            "commitment-with-broker-signature",
            messages_script(2, &[Edit::Splice(0)]),
        ),
        ("claim-leaf-changed", messages_script(3, &[Edit::Leaf(7)])),
    ] {
        out.push(("lms_messages", name.into(), script));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_payword() {
        for fill in [0u8, 0x3e, 0xfb, 0xff] {
            let sig = Signature::ed25519([fill; 64]);
            assert_eq!(base64url(&sig_encoding(&sig)), sig.to_text());
            let key = PublicKey::ed25519([fill; 32]);
            assert_eq!(
                base64url(&[&[1][..], key.as_bytes()].concat()),
                key.to_text()
            );
        }
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
    }

    #[test]
    fn key_state_cost_rule() {
        let h5 = state(5, 4, 1, 0);
        assert!(state_is_valid(&h5, 0) && !too_costly(&h5, 0));
        let h10 = state(6, 3, 1, 0);
        assert!(too_costly(&h10, 0));
        // Refused before the tree is built: resumed.
        assert!(!too_costly(&h10, 1));
        assert!(!too_costly(&state(8, 3, 1, 0), 0));
        assert!(!too_costly(&h10[..61], 0));
    }

    /// An edited certificate does not verify; the fixture messages do.
    #[test]
    fn fixture_messages_verify_and_edits_do_not() {
        let fx = fixture();
        for (i, m) in fx.messages.iter().enumerate() {
            lms_messages(&[u8::try_from(i).unwrap()]);
            assert!(m.sig_at + m.sig_len <= m.bytes.len(), "{}", m.name);
        }
        let mut bad = fx.messages[0].bytes.clone();
        bad[40] ^= 1;
        let cert = Certificate::decode(&bad).unwrap();
        assert!(cert.verify(&fx.broker).is_err());
    }
}
