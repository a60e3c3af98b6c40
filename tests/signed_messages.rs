#![cfg(all(feature = "ed25519", feature = "std"))]
//! Sign ⇔ decode for the eight signed message types (`Certificate`,
//! `Commitment`, `MultiCommitment`, `SharedCommitment`, `RangeGrant`,
//! `Reservation`, `DomainCommitment`, `DeviceCommitment`):
//!
//! - **sign ⇒ decode**: over fields drawn from the whole value space of each
//!   field (reversed validity windows, zero unit values and amounts, leaf
//!   counts of 0 and past 2¹⁶, empty or reversed grant ranges, device
//!   indexes and counts out of range, single chains and purses of both hashes,
//!   purses whose anchor count differs from their denominations, …),
//!   `Signed::sign` succeeds exactly when an oracle written here from the
//!   wire rules (`docs/WIRE.md`, the `read` of each `SignedFields`) says the
//!   fields are valid; a signed message decodes to itself, keeps its fields,
//!   verifies, and has the documented length; a refusal is the decoder's
//!   exact error for the first refused field.
//! - **decode ⇒ sign**: a valid encoding with 1–4 bytes of its fields
//!   overwritten either fails to decode or decodes to a message that is
//!   canonical (re-encodes to the same bytes), that the oracle calls valid,
//!   and whose fields sign again to the same bytes up to the signature.
//! - **domain separation**: an encoding with its tag changed to another
//!   type's never decodes to a message that verifies; a byte string that is
//!   both a valid `Commitment` and a valid `DeviceCommitment` body carries no
//!   signature valid for both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use ed25519_dalek::SigningKey;
use payword::domain::{DeviceCommitment, DeviceCommitmentFields, DomainCommitmentFields};
use payword::grant::{RangeGrantFields, SharedCommitmentFields};
use payword::lmots::{LmotsParams, LmotsPublicKey};
use payword::reservation::ReservationFields;
use payword::tree::MultiCommitmentFields;
use payword::{
    Anchor, BrokerId, CertificateFields, ChainId, ChainParams, Commitment, CommitmentFields,
    CommittedChain, CustomerId, DecodeError, Digest, Encode, HashAlg, MessageSigner, PublicKey,
    PurseAnchors, PurseParams, SignError, Signature, Signed, SignedFields, VendorId, Word,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseError, TestRunner};

/// Cases per property.
const CASES: u32 = 64;

/// Tag and version bytes before the fields.
const HEAD: usize = 2;

fn signer() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

fn other_signer() -> SigningKey {
    SigningKey::from_bytes(&[0x43; 32])
}

/// Runs `test` on `CASES` values of `strategy` (no regression file: this
/// suite owns one file only) and counts the cases where it returned `true`
/// and `false`.
fn run_counted<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> (u32, u32) {
    let mut runner = TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(CASES)
    });
    let counts = Cell::new((0u32, 0u32));
    let result = runner.run(&strategy, |v| {
        let yes = test(v)?;
        let (t, f) = counts.get();
        counts.set(if yes { (t + 1, f) } else { (t, f + 1) });
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    counts.get()
}

// ---------------------------------------------------------------------------
// The oracle: the wire rules, written independently of the decoder.
// ---------------------------------------------------------------------------

/// Why the format refuses some fields.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    /// The decoder's exact error (the first refused field in wire order).
    Exactly(DecodeError),
    /// Some refusal: the encoding is not even the value's (a purse whose
    /// anchor count differs from its denominations writes a different
    /// number of anchors than its `m` byte announces).
    Any,
}

fn non_canonical(field: &'static str) -> Option<Refusal> {
    Some(Refusal::Exactly(DecodeError::NonCanonical { field }))
}

/// `valid from ≤ expires`.
fn window_rule(valid_from: u64, expires: u64) -> Option<Refusal> {
    if valid_from > expires {
        non_canonical("expires")
    } else {
        None
    }
}

/// `unit value ≥ 1`.
fn unit_rule(unit_value: u64) -> Option<Refusal> {
    if unit_value == 0 {
        non_canonical("unit_value")
    } else {
        None
    }
}

/// A committed chain: a purse writes `m` and then its anchors, so the two
/// must agree. (Lengths ≥ 1, bases ≥ 2, `1 ≤ m ≤ 8` and capacities that fit
/// are enforced by the parameter constructors: no other value exists.)
fn chain_rule(chain: &CommittedChain) -> Option<Refusal> {
    match chain {
        CommittedChain::Single { .. } => None,
        CommittedChain::Purse { params, anchors } => {
            if anchors.as_slice().len() == usize::from(params.denominations()) {
                None
            } else {
                Some(Refusal::Any)
            }
        }
    }
}

fn certificate_rule(f: &CertificateFields) -> Option<Refusal> {
    window_rule(f.valid_from, f.expires)
}

fn commitment_rule(f: &CommitmentFields) -> Option<Refusal> {
    unit_rule(f.unit_value)
        .or(window_rule(f.valid_from, f.expires))
        .or(chain_rule(&f.chain))
}

/// Leaves `1 ≤ k ≤ 2¹⁶`.
fn multi_rule(f: &MultiCommitmentFields) -> Option<Refusal> {
    if f.leaves == 0 || f.leaves > 1 << 16 {
        return Some(Refusal::Exactly(DecodeError::LengthOverLimit {
            field: "leaves",
            length: f.leaves.into(),
            max: 1 << 16,
        }));
    }
    window_rule(f.valid_from, f.expires)
}

fn shared_rule(f: &SharedCommitmentFields) -> Option<Refusal> {
    unit_rule(f.unit_value).or(window_rule(f.valid_from, f.expires))
}

/// `from < to`.
fn grant_rule(f: &RangeGrantFields) -> Option<Refusal> {
    if f.from >= f.to {
        non_canonical("to")
    } else {
        None
    }
}

/// `amount ≥ 1` (a reservation has no `valid from`: any `expires`).
fn reservation_rule(f: &ReservationFields) -> Option<Refusal> {
    if f.amount == 0 {
        non_canonical("amount")
    } else {
        None
    }
}

/// The device count (1 to 16) is enforced by `DomainCommitmentFields::new`.
fn domain_rule(f: &DomainCommitmentFields) -> Option<Refusal> {
    window_rule(f.valid_from, f.expires)
}

/// Device index `< 16`.
fn device_rule(f: &DeviceCommitmentFields) -> Option<Refusal> {
    if f.device >= 16 {
        return non_canonical("device");
    }
    unit_rule(f.unit_value)
        .or(window_rule(f.valid_from, f.expires))
        .or(chain_rule(&f.chain))
}

/// The documented length of a committed chain (`docs/WIRE.md`).
fn chain_len(chain: &CommittedChain) -> usize {
    match chain {
        CommittedChain::Single { .. } => 54,
        CommittedChain::Purse { anchors, .. } => 27 + 32 * anchors.as_slice().len(),
    }
}

// ---------------------------------------------------------------------------
// Strategies over the whole value space of each field.
// ---------------------------------------------------------------------------

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), Just(0), Just(1), Just(u64::MAX), 0u64..1000]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), Just(0), Just(1), Just(u32::MAX), 0u32..10]
}

/// `(valid_from, expires)`: arbitrary (half reversed), equal, or ordered.
fn window() -> impl Strategy<Value = (u64, u64)> {
    prop_oneof![
        (any_u64(), any_u64()),
        any_u64().prop_map(|t| (t, t)),
        (any_u64(), any_u64()).prop_map(|(a, b)| (a.min(b), a.max(b))),
    ]
}

fn bytes32() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

fn digest() -> impl Strategy<Value = Digest> {
    bytes32().prop_map(Digest::from_bytes)
}

fn vendor() -> impl Strategy<Value = VendorId> {
    bytes32().prop_map(VendorId::from_bytes)
}

fn chain_id() -> impl Strategy<Value = ChainId> {
    any::<[u8; 16]>().prop_map(ChainId::from_bytes)
}

/// Ed25519 keys and, with `lms`, LMS keys of every accepted parameter set
/// (W4 or W8 leaves, heights 5 to 25).
fn public_key() -> impl Strategy<Value = PublicKey> {
    #[cfg(feature = "lms")]
    {
        use payword::lmots::lms::{LmsParams, LmsPublicKey};
        let lms = (
            proptest::sample::select(LmsParams::ALL.to_vec()),
            prop_oneof![
                Just(LmotsParams::Sha256N32W4),
                Just(LmotsParams::Sha256N32W8)
            ],
            any::<[u8; 16]>(),
            bytes32(),
        )
            .prop_map(|(h, w, id, root)| {
                PublicKey::lms(&LmsPublicKey::new(h, w, id, root)).expect("W4 and W8 are accepted")
            });
        prop_oneof![bytes32().prop_map(PublicKey::ed25519), lms]
    }
    #[cfg(not(feature = "lms"))]
    bytes32().prop_map(PublicKey::ed25519)
}

fn hash_alg() -> impl Strategy<Value = HashAlg> {
    prop_oneof![Just(HashAlg::Sha256), Just(HashAlg::Blake3)]
}

/// A chain length: `1 ..= 2^32 − 1` (0 is unrepresentable).
fn length() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(u32::MAX), 1u32..=u32::MAX, 1u32..=100]
}

fn chain_params() -> impl Strategy<Value = ChainParams> {
    (hash_alg(), chain_id(), length())
        .prop_map(|(alg, id, n)| ChainParams::new(alg, id, n.into()).unwrap())
}

fn purse_params() -> impl Strategy<Value = PurseParams> {
    (
        hash_alg(),
        chain_id(),
        prop_oneof![2u32..=16, 2u32..=u32::MAX, Just(u32::MAX)],
        1u8..=8,
        prop_oneof![1u32..=100, length()],
    )
        .prop_filter_map("purse capacity overflows u64", |(alg, id, b, m, n)| {
            PurseParams::new(alg, id, b, m, n.into()).ok()
        })
}

/// Single chains and purses, both hashes; a quarter of the purses carry an
/// anchor count (1 to 8) other than their `m`.
fn committed_chain() -> impl Strategy<Value = CommittedChain> {
    let single = (chain_params(), bytes32()).prop_map(|(params, a)| CommittedChain::Single {
        params,
        anchor: Anchor::from_bytes(a),
    });
    let purse = (
        purse_params(),
        proptest::collection::vec(bytes32(), 8),
        prop_oneof![3 => Just(None), 1 => (1usize..=8).prop_map(Some)],
    )
        .prop_map(|(params, raw, count)| {
            let count = count.unwrap_or(usize::from(params.denominations()));
            let anchors: Vec<Anchor> = raw
                .into_iter()
                .take(count)
                .map(Anchor::from_bytes)
                .collect();
            CommittedChain::Purse {
                params,
                anchors: PurseAnchors::from_slice(&anchors).unwrap(),
            }
        });
    prop_oneof![single, purse]
}

fn renewal() -> impl Strategy<Value = Option<LmotsPublicKey>> {
    prop_oneof![
        Just(None),
        (
            proptest::sample::select(LmotsParams::ALL.to_vec()),
            any::<[u8; 16]>(),
            any::<u32>(),
            bytes32(),
        )
            .prop_map(|(p, id, q, k)| Some(LmotsPublicKey::new(p, id, q, k))),
    ]
}

fn certificate_fields() -> impl Strategy<Value = CertificateFields> {
    (
        bytes32(),
        any_u64(),
        any::<[u8; 16]>(),
        public_key(),
        any_u64(),
        window(),
    )
        .prop_map(
            |(broker, serial, customer, customer_key, credit_limit, (valid_from, expires))| {
                CertificateFields {
                    broker: BrokerId::from_bytes(broker),
                    serial,
                    customer: CustomerId::from_bytes(customer),
                    customer_key,
                    credit_limit,
                    valid_from,
                    expires,
                }
            },
        )
}

fn commitment_fields() -> impl Strategy<Value = CommitmentFields> {
    (
        digest(),
        vendor(),
        any_u64(),
        window(),
        committed_chain(),
        renewal(),
    )
        .prop_map(
            |(certificate, vendor, unit_value, (valid_from, expires), chain, renewal)| {
                CommitmentFields {
                    certificate,
                    vendor,
                    unit_value,
                    valid_from,
                    expires,
                    chain,
                    renewal,
                }
            },
        )
}

fn multi_fields() -> impl Strategy<Value = MultiCommitmentFields> {
    let leaves = prop_oneof![
        Just(0u32),
        Just(1),
        Just(1 << 16),
        Just((1 << 16) + 1),
        Just(u32::MAX),
        1u32..=1 << 16,
        any::<u32>(),
    ];
    (digest(), chain_id(), leaves, any_u64(), window(), digest()).prop_map(
        |(certificate, tree, leaves, total_cap, (valid_from, expires), root)| {
            MultiCommitmentFields {
                certificate,
                tree,
                leaves,
                total_cap,
                valid_from,
                expires,
                root,
            }
        },
    )
}

fn shared_fields() -> impl Strategy<Value = SharedCommitmentFields> {
    (digest(), any_u64(), window(), chain_params(), bytes32()).prop_map(
        |(certificate, unit_value, (valid_from, expires), params, anchor)| SharedCommitmentFields {
            certificate,
            unit_value,
            valid_from,
            expires,
            params,
            anchor: Anchor::from_bytes(anchor),
        },
    )
}

fn grant_fields() -> impl Strategy<Value = RangeGrantFields> {
    let range = prop_oneof![
        (any_u32(), any_u32()),
        any_u32().prop_map(|a| (a, a)),
        (any_u32(), any_u32()).prop_map(|(a, b)| (a.min(b), a.max(b))),
    ];
    (digest(), vendor(), range, bytes32()).prop_map(|(commitment, vendor, (from, to), start)| {
        RangeGrantFields {
            commitment,
            vendor,
            from,
            to,
            start: Word::from_bytes(start),
        }
    })
}

fn reservation_fields() -> impl Strategy<Value = ReservationFields> {
    (
        bytes32(),
        digest(),
        digest(),
        vendor(),
        any_u64(),
        any_u64(),
    )
        .prop_map(
            |(broker, certificate, key, vendor, amount, expires)| ReservationFields {
                broker: BrokerId::from_bytes(broker),
                certificate,
                key,
                vendor,
                amount,
                expires,
            },
        )
}

/// What `DomainCommitmentFields::new` takes, with 0 to 20 device keys.
type DomainInput = (Digest, ChainId, u64, u64, (u64, u64), Vec<PublicKey>);

fn domain_input(devices: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = DomainInput> {
    (
        digest(),
        chain_id(),
        any_u64(),
        any_u64(),
        window(),
        proptest::collection::vec(public_key(), devices),
    )
}

fn domain_new(input: &DomainInput) -> Option<DomainCommitmentFields> {
    let (certificate, domain, domain_limit, device_limit, (valid_from, expires), keys) = input;
    DomainCommitmentFields::new(
        *certificate,
        *domain,
        *domain_limit,
        *device_limit,
        *valid_from,
        *expires,
        keys,
    )
    .ok()
}

fn domain_fields() -> impl Strategy<Value = DomainCommitmentFields> {
    domain_input(1..=16).prop_map(|input| domain_new(&input).unwrap())
}

fn device_fields() -> impl Strategy<Value = DeviceCommitmentFields> {
    let index = prop_oneof![0u8..16, any::<u8>(), Just(15), Just(16)];
    (
        digest(),
        index,
        vendor(),
        any_u64(),
        window(),
        committed_chain(),
    )
        .prop_map(
            |(domain, device, vendor, unit_value, (valid_from, expires), chain)| {
                DeviceCommitmentFields {
                    domain,
                    device,
                    vendor,
                    unit_value,
                    valid_from,
                    expires,
                    chain,
                }
            },
        )
}

/// Only fields the format accepts.
fn valid<F: SignedFields>(
    strategy: impl Strategy<Value = F>,
    rule: fn(&F) -> Option<Refusal>,
) -> impl Strategy<Value = F> {
    strategy.prop_filter("fields the format refuses", move |f| rule(f).is_none())
}

// ---------------------------------------------------------------------------
// sign ⇒ decode
// ---------------------------------------------------------------------------

/// Signs `fields`; checks the outcome against the oracle's `refusal` and, if
/// signed, that the message decodes to itself, keeps the fields, verifies
/// under the signer's key only and is `len` bytes long. Returns whether it
/// signed.
fn sign_iff_valid<F: SignedFields>(
    fields: &F,
    refusal: Option<Refusal>,
    len: usize,
) -> Result<bool, TestCaseError> {
    let key = signer();
    match (Signed::sign(fields.clone(), &key), refusal) {
        (Ok(m), None) => {
            let bytes = m.to_bytes();
            prop_assert_eq!(bytes.len(), len);
            prop_assert!(bytes.len() <= Signed::<F>::MAX_LEN);
            prop_assert_eq!(bytes.first(), Some(&F::TAG));
            prop_assert_eq!(Signed::<F>::decode(&bytes), Ok(m.clone()));
            prop_assert_eq!(m.fields(), fields);
            prop_assert_eq!(m.digest(), Signed::<F>::digest_of(fields));
            prop_assert!(m.verify(&key.public_key()).is_ok());
            prop_assert!(m.verify(&other_signer().public_key()).is_err());
            Ok(true)
        }
        (Err(SignError::Invalid(e)), Some(Refusal::Exactly(want))) => {
            prop_assert_eq!(e, want, "sign refused {:?} for another reason", fields);
            Ok(false)
        }
        (Err(SignError::Invalid(_)), Some(Refusal::Any)) => Ok(false),
        (Ok(_), Some(why)) => Err(TestCaseError::fail(format!(
            "sign accepted {fields:?}, which the format refuses ({why:?})"
        ))),
        (Err(e), None) => Err(TestCaseError::fail(format!(
            "sign refused {fields:?}, which the format accepts: {e:?}"
        ))),
        (Err(e), Some(_)) => Err(TestCaseError::fail(format!(
            "sign failed on {fields:?} with {e:?}"
        ))),
    }
}

/// Runs [`sign_iff_valid`] over `strategy` and checks both outcomes occur.
fn sign_property<F: SignedFields>(
    name: &str,
    strategy: impl Strategy<Value = F>,
    rule: fn(&F) -> Option<Refusal>,
    len: fn(&F) -> usize,
) {
    let (signed, refused) = run_counted(name, strategy, |f| sign_iff_valid(&f, rule(&f), len(&f)));
    eprintln!("{name}: {signed} signed, {refused} refused");
    assert!(
        signed > 0 && refused > 0,
        "{name}: {signed} signed, {refused} refused"
    );
}

#[test]
fn certificate_signs_iff_valid() {
    sign_property("Certificate", certificate_fields(), certificate_rule, |f| {
        147 + f.customer_key.encoded_len()
    });
}

#[test]
fn commitment_signs_iff_valid() {
    sign_property("Commitment", commitment_fields(), commitment_rule, |f| {
        90 + chain_len(&f.chain) + 1 + f.renewal.map_or(0, |_| 56) + 65
    });
}

#[test]
fn multi_commitment_signs_iff_valid() {
    sign_property("MultiCommitment", multi_fields(), multi_rule, |_| 175);
}

#[test]
fn shared_commitment_signs_iff_valid() {
    sign_property("SharedCommitment", shared_fields(), shared_rule, |_| 176);
}

#[test]
fn range_grant_signs_iff_valid() {
    sign_property("RangeGrant", grant_fields(), grant_rule, |_| 171);
}

#[test]
fn reservation_signs_iff_valid() {
    sign_property(
        "Reservation",
        reservation_fields(),
        reservation_rule,
        |_| 211,
    );
}

#[test]
fn domain_commitment_signs_iff_valid() {
    // The device count lives behind the constructor: 0 and more than 16
    // devices are refused there, everything else by the oracle.
    let (signed, refused) = run_counted("DomainCommitment", domain_input(0..=20), |input| {
        let n = input.5.len();
        match domain_new(&input) {
            None => {
                prop_assert!(n == 0 || n > 16, "new refused {} devices", n);
                Ok(false)
            }
            Some(f) => {
                prop_assert!((1..=16).contains(&n), "new accepted {} devices", n);
                prop_assert_eq!(f.devices(), &input.5[..]);
                let keys: usize = f.devices().iter().map(PublicKey::encoded_len).sum();
                sign_iff_valid(&f, domain_rule(&f), 148 + keys)
            }
        }
    });
    eprintln!("DomainCommitment: {signed} signed, {refused} refused");
    assert!(signed > 0 && refused > 0);
}

#[test]
fn device_commitment_signs_iff_valid() {
    sign_property("DeviceCommitment", device_fields(), device_rule, |f| {
        91 + chain_len(&f.chain) + 65
    });
}

// ---------------------------------------------------------------------------
// decode ⇒ sign
// ---------------------------------------------------------------------------

/// 1 to 4 overwrites: a position in the fields and a byte (biased towards
/// the small values tags, flags and counts take).
fn edits() -> impl Strategy<Value = Vec<(Index, u8)>> {
    proptest::collection::vec(
        (
            any::<Index>(),
            prop_oneof![any::<u8>(), 0u8..=3, Just(0xff)],
        ),
        1..=4,
    )
}

/// Signs `fields`, overwrites bytes of the fields region, and if the result
/// decodes checks it is canonical, valid by the oracle, and signs again to
/// the same bytes up to the signature. Returns whether it decoded.
fn mutate_and_resign<F: SignedFields>(
    fields: F,
    edits: &[(Index, u8)],
    rule: fn(&F) -> Option<Refusal>,
) -> Result<bool, TestCaseError> {
    let key = signer();
    let original = Signed::sign(fields, &key)
        .map_err(|e| TestCaseError::fail(format!("valid fields refused: {e:?}")))?;
    let mut bytes = original.to_bytes();
    let end = bytes.len() - Signature::ED25519_ENCODED_LEN;
    for (at, byte) in edits {
        bytes[HEAD + at.index(end - HEAD)] = *byte;
    }
    let Ok(m) = Signed::<F>::decode(&bytes) else {
        return Ok(false);
    };
    prop_assert_eq!(
        &m.to_bytes(),
        &bytes,
        "decode accepted a non-canonical encoding"
    );
    prop_assert!(
        rule(m.fields()).is_none(),
        "decode accepted {:?}, which the oracle refuses ({:?})",
        m.fields(),
        rule(m.fields())
    );
    let again = match Signed::sign(m.fields().clone(), &key) {
        Ok(again) => again,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "decode accepted {:?} but sign refuses it: {e:?}",
                m.fields()
            )));
        }
    };
    let again_bytes = again.to_bytes();
    prop_assert_eq!(again_bytes.len(), bytes.len());
    prop_assert_eq!(&again_bytes[..end], &bytes[..end]);
    prop_assert!(again.verify(&key.public_key()).is_ok());
    // The old signature still verifies exactly when the fields are unchanged.
    prop_assert_eq!(
        m.verify(&key.public_key()).is_ok(),
        m.fields() == original.fields()
    );
    Ok(true)
}

/// Runs [`mutate_and_resign`] from valid fields of `strategy`; checks some
/// mutated encodings did decode (the property is not vacuous).
fn decode_property<F: SignedFields>(
    name: &str,
    strategy: impl Strategy<Value = F>,
    rule: fn(&F) -> Option<Refusal>,
) {
    let (decoded, refused) = run_counted(name, (valid(strategy, rule), edits()), |(f, e)| {
        mutate_and_resign(f, &e, rule)
    });
    eprintln!("{name}: {decoded} mutated encodings decoded, {refused} refused");
    assert!(decoded > 0, "{name}: no mutated encoding decoded");
}

#[test]
fn certificate_decode_implies_sign() {
    decode_property("Certificate", certificate_fields(), certificate_rule);
}

#[test]
fn commitment_decode_implies_sign() {
    decode_property("Commitment", commitment_fields(), commitment_rule);
}

#[test]
fn multi_commitment_decode_implies_sign() {
    decode_property("MultiCommitment", multi_fields(), multi_rule);
}

#[test]
fn shared_commitment_decode_implies_sign() {
    decode_property("SharedCommitment", shared_fields(), shared_rule);
}

#[test]
fn range_grant_decode_implies_sign() {
    decode_property("RangeGrant", grant_fields(), grant_rule);
}

#[test]
fn reservation_decode_implies_sign() {
    decode_property("Reservation", reservation_fields(), reservation_rule);
}

#[test]
fn domain_commitment_decode_implies_sign() {
    decode_property("DomainCommitment", domain_fields(), domain_rule);
}

#[test]
fn device_commitment_decode_implies_sign() {
    decode_property("DeviceCommitment", device_fields(), device_rule);
}

// ---------------------------------------------------------------------------
// Domain separation across types
// ---------------------------------------------------------------------------

/// One signed type, erased: its tag and "decode, then verify under `key`".
struct Kind {
    name: &'static str,
    tag: u8,
    open: fn(&[u8], &PublicKey) -> Result<bool, DecodeError>,
}

fn open<F: SignedFields>(bytes: &[u8], key: &PublicKey) -> Result<bool, DecodeError> {
    Signed::<F>::decode(bytes).map(|m| m.verify(key).is_ok())
}

const KINDS: [Kind; 8] = [
    Kind {
        name: "Certificate",
        tag: CertificateFields::TAG,
        open: open::<CertificateFields>,
    },
    Kind {
        name: "Commitment",
        tag: CommitmentFields::TAG,
        open: open::<CommitmentFields>,
    },
    Kind {
        name: "MultiCommitment",
        tag: MultiCommitmentFields::TAG,
        open: open::<MultiCommitmentFields>,
    },
    Kind {
        name: "SharedCommitment",
        tag: SharedCommitmentFields::TAG,
        open: open::<SharedCommitmentFields>,
    },
    Kind {
        name: "RangeGrant",
        tag: RangeGrantFields::TAG,
        open: open::<RangeGrantFields>,
    },
    Kind {
        name: "Reservation",
        tag: ReservationFields::TAG,
        open: open::<ReservationFields>,
    },
    Kind {
        name: "DomainCommitment",
        tag: DomainCommitmentFields::TAG,
        open: open::<DomainCommitmentFields>,
    },
    Kind {
        name: "DeviceCommitment",
        tag: DeviceCommitmentFields::TAG,
        open: open::<DeviceCommitmentFields>,
    },
];

#[test]
fn tags_are_the_documented_distinct_ones() {
    let tags: Vec<u8> = KINDS.iter().map(|k| k.tag).collect();
    assert_eq!(tags, [0x10, 0x11, 0x20, 0x23, 0x24, 0x26, 0x27, 0x28]);
}

fn signed_bytes<F: SignedFields>(fields: F) -> Vec<u8> {
    Signed::sign(fields, &signer()).unwrap().to_bytes()
}

/// A valid encoding of one of the eight types, with its index in [`KINDS`].
fn any_signed_message() -> impl Strategy<Value = (usize, Vec<u8>)> {
    prop_oneof![
        valid(certificate_fields(), certificate_rule).prop_map(|f| (0, signed_bytes(f))),
        valid(commitment_fields(), commitment_rule).prop_map(|f| (1, signed_bytes(f))),
        valid(multi_fields(), multi_rule).prop_map(|f| (2, signed_bytes(f))),
        valid(shared_fields(), shared_rule).prop_map(|f| (3, signed_bytes(f))),
        valid(grant_fields(), grant_rule).prop_map(|f| (4, signed_bytes(f))),
        valid(reservation_fields(), reservation_rule).prop_map(|f| (5, signed_bytes(f))),
        valid(domain_fields(), domain_rule).prop_map(|f| (6, signed_bytes(f))),
        valid(device_fields(), device_rule).prop_map(|f| (7, signed_bytes(f))),
    ]
}

#[test]
fn a_retagged_message_never_verifies() {
    let pk = signer().public_key();
    run_counted("retag", any_signed_message(), |(i, bytes)| {
        let kind = &KINDS[i];
        prop_assert_eq!((kind.open)(&bytes, &pk), Ok(true), "{}", kind.name);
        for other in KINDS.iter().filter(|k| k.tag != kind.tag) {
            let mut swapped = bytes.clone();
            swapped[0] = other.tag;
            prop_assert_eq!(
                (kind.open)(&swapped, &pk),
                Err(DecodeError::UnknownTag { tag: other.tag })
            );
            if let Ok(verified) = (other.open)(&swapped, &pk) {
                prop_assert!(
                    !verified,
                    "a {} signature verifies as a {}",
                    kind.name,
                    other.name
                );
            }
        }
        Ok(true)
    });
}

/// The fields of a single-chain `Commitment` without renewal key and of a
/// single-chain `DeviceCommitment` are both 143 bytes. Fixing the bytes both
/// layouts constrain (wire offsets, tag at 0) gives strings that are valid
/// bodies of both types: the one place where two types share field bytes.
fn polyglot_fields() -> impl Strategy<Value = [u8; 143]> {
    (
        proptest::collection::vec(any::<u8>(), 143),
        0u8..16,
        1u8..=2,
    )
        .prop_map(|(raw, device, hash)| {
            let mut b = [0u8; 145];
            b[HEAD..].copy_from_slice(&raw);
            b[34] = device; // device index (commitment: vendor id byte)
            b[73] = 1; // unit value ≠ 0 in both (66..74 and 67..75)
            b[74..90].fill(0); // validity [0, 0] and [0, 1]
            b[90] = 1; // commitment: chain kind single; device: expires = 1
            b[91] = 1; // commitment: SHA-256; device: chain kind single
            b[92] = hash; // device: hash tag (commitment: chain id byte)
            b[111] = 1; // chain length ≠ 0 in both (108..112 and 109..113)
            b[144] = 0; // commitment: no renewal key (device: anchor byte)
            let mut fields = [0u8; 143];
            fields.copy_from_slice(&b[HEAD..]);
            fields
        })
}

fn with_head_and_sig(tag: u8, fields: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut bytes = vec![tag, 1];
    bytes.extend_from_slice(fields);
    bytes.extend_from_slice(sig);
    bytes
}

#[test]
fn one_body_two_types_no_shared_signature() {
    let key = signer();
    let pk = key.public_key();
    let mut placeholder = [0u8; Signature::ED25519_ENCODED_LEN];
    placeholder[0] = 1;
    run_counted("polyglot", polyglot_fields(), |body| {
        let c = Commitment::decode(&with_head_and_sig(
            CommitmentFields::TAG,
            &body,
            &placeholder,
        ));
        let d = DeviceCommitment::decode(&with_head_and_sig(
            DeviceCommitmentFields::TAG,
            &body,
            &placeholder,
        ));
        let (Ok(c), Ok(d)) = (&c, &d) else {
            return Err(TestCaseError::fail(format!("not a polyglot: {c:?} {d:?}")));
        };
        let c = Commitment::sign(*c.fields(), &key).unwrap();
        let d = DeviceCommitment::sign(*d.fields(), &key).unwrap();
        let c_bytes = c.to_bytes();
        let d_bytes = d.to_bytes();
        // Same fields bytes, different types: different digests.
        prop_assert_eq!(&c_bytes[HEAD..HEAD + 143], &body[..]);
        prop_assert_eq!(&d_bytes[HEAD..HEAD + 143], &body[..]);
        prop_assert_ne!(c.digest(), d.digest());
        // Each signature verifies on its own type only.
        let c_sig = &c_bytes[HEAD + 143..];
        let d_sig = &d_bytes[HEAD + 143..];
        let d_with_c_sig = with_head_and_sig(DeviceCommitmentFields::TAG, &body, c_sig);
        let c_with_d_sig = with_head_and_sig(CommitmentFields::TAG, &body, d_sig);
        prop_assert_eq!(open::<CommitmentFields>(&c_bytes, &pk), Ok(true));
        prop_assert_eq!(open::<DeviceCommitmentFields>(&d_bytes, &pk), Ok(true));
        prop_assert_eq!(
            open::<DeviceCommitmentFields>(&d_with_c_sig, &pk),
            Ok(false)
        );
        prop_assert_eq!(open::<CommitmentFields>(&c_with_d_sig, &pk), Ok(false));
        // And the plain retag: a commitment's bytes with the device tag.
        let mut retagged = c_bytes.clone();
        retagged[0] = DeviceCommitmentFields::TAG;
        prop_assert_eq!(open::<DeviceCommitmentFields>(&retagged, &pk), Ok(false));
        Ok(true)
    });
}
