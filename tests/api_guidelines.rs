//! Rust API Guidelines checks for the crate foundation (named after the
//! guideline ids, as in rust-bitcoin's `hashes/tests/api.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::fmt::Debug;
use core::marker::PhantomData;

use payword::{
    Anchor, Blake3, ChainError, ChainId, ChainParams, ChainSeed, Checkpoints, Counting,
    DecodeError, HashAlg, HashCount, HexError, LengthError, MAX_CHAIN_LENGTH, Payword, Pebbler,
    PebblerStateError, Purse, PurseAnchors, PurseError, PurseParams, PursePayment, PurseReceiver,
    Receiver, Role, Sha256, StoreAll, Traversal, Tweak, VerifyError, Word,
};

fn send_sync<T: Send + Sync + Unpin + 'static>() {}

/// C-SEND-SYNC: every public type of the foundation is `Send + Sync`.
#[test]
fn c_send_sync() {
    send_sync::<ChainId>();
    send_sync::<Word>();
    send_sync::<Anchor>();
    send_sync::<ChainSeed>();
    send_sync::<ChainParams>();
    send_sync::<Payword>();
    send_sync::<Tweak>();
    send_sync::<Role>();
    send_sync::<HashAlg>();
    send_sync::<Sha256>();
    send_sync::<Blake3>();
    send_sync::<Counting<Sha256>>();
    send_sync::<HashCount>();
    send_sync::<Pebbler<Sha256>>();
    send_sync::<Pebbler<Blake3>>();
    send_sync::<StoreAll<Sha256>>();
    send_sync::<Checkpoints<Blake3>>();
    send_sync::<Receiver<Sha256>>();
    send_sync::<Receiver<Blake3>>();
    send_sync::<PurseParams>();
    send_sync::<PursePayment>();
    send_sync::<PurseAnchors>();
    send_sync::<Purse<Sha256>>();
    send_sync::<PurseReceiver<Sha256>>();
    send_sync::<ChainError>();
    send_sync::<VerifyError>();
    send_sync::<PurseError>();
    send_sync::<PebblerStateError>();
    send_sync::<HexError>();
    send_sync::<LengthError>();
    send_sync::<DecodeError>();
}

fn good_err<E: core::error::Error + Send + Sync + Clone + PartialEq + 'static>(examples: &[E]) {
    for e in examples {
        let s = e.to_string();
        let first = s.chars().next().unwrap();
        assert!(
            first.is_lowercase() || first.is_ascii_digit(),
            "error message should start in lower case: {s:?}"
        );
        assert!(!s.ends_with('.'), "no trailing period: {s:?}");
        assert!(!s.is_empty());
        // Boxes into the usual trait object.
        let boxed: Box<dyn core::error::Error + Send + Sync> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), s);
    }
}

/// C-GOOD-ERR: errors implement `core::error::Error`, are `Send + Sync`, and
/// their messages are lower case without a trailing period.
#[test]
fn c_good_err() {
    good_err(&[
        ChainError::ZeroLength,
        ChainError::TooLong { length: 1 << 32 },
        ChainError::AlgMismatch {
            params: HashAlg::Sha256,
            hash: HashAlg::Blake3,
        },
        ChainError::IndexOutOfRange {
            index: 9,
            length: 8,
        },
        ChainError::BadInterval,
        ChainError::OutOfMemory { words: 1 << 40 },
    ]);
    good_err(&[
        VerifyError::Replay { index: 1, last: 2 },
        VerifyError::PastEnd {
            index: 9,
            length: 8,
        },
        VerifyError::OverBudget { steps: 9, limit: 8 },
        VerifyError::Forged,
        VerifyError::UnknownDenomination { denomination: 9 },
        VerifyError::Empty,
    ]);
    good_err(&[
        PurseError::BadBase,
        PurseError::BadDenominations,
        PurseError::CapacityOverflow,
        PurseError::Chain(ChainError::ZeroLength),
        PurseError::InsufficientFunds { amount: 5 },
        PurseError::ZeroAmount,
    ]);
    good_err(&[
        PebblerStateError::Truncated,
        PebblerStateError::TrailingData,
        PebblerStateError::UnknownVersion,
        PebblerStateError::WrongHash,
        PebblerStateError::BadField("jobs"),
    ]);
    good_err(&["zz".parse::<Word>().unwrap_err()]);
    good_err(&[Word::try_from(&[0u8; 3][..]).unwrap_err()]);
}

/// n = 0 and n > 2^32 − 1 are refused at construction, with a message that
/// says why.
#[test]
fn bad_lengths_are_refused_with_a_clear_error() {
    let id = ChainId::from_bytes([0; 16]);
    let zero = ChainParams::new(HashAlg::Sha256, id, 0).unwrap_err();
    assert_eq!(zero, ChainError::ZeroLength);
    assert_eq!(zero.to_string(), "chain length must be at least 1");
    let over = ChainParams::new(HashAlg::Sha256, id, u64::from(MAX_CHAIN_LENGTH) + 1).unwrap_err();
    assert_eq!(over, ChainError::TooLong { length: 1 << 32 });
    assert!(over.to_string().contains("4294967296"), "{over}");
    assert!(over.to_string().contains("4294967295"), "{over}");
    assert_eq!(
        ChainParams::new(HashAlg::Blake3, id, u64::MAX).unwrap_err(),
        ChainError::TooLong { length: u64::MAX }
    );
    assert_eq!(
        ChainParams::new(HashAlg::Sha256, id, MAX_CHAIN_LENGTH.into())
            .unwrap()
            .length(),
        u32::MAX
    );
    assert_eq!(
        PurseParams::new(HashAlg::Sha256, id, 10, 2, 0).unwrap_err(),
        PurseError::Chain(ChainError::ZeroLength)
    );
    assert_eq!(
        PurseParams::new(HashAlg::Sha256, id, 10, 2, 1 << 32).unwrap_err(),
        PurseError::Chain(ChainError::TooLong { length: 1 << 32 })
    );
    // Parameters for one hash, code for the other.
    let p = ChainParams::new(HashAlg::Blake3, id, 4).unwrap();
    let seed = ChainSeed::from_bytes([1; 32]);
    assert_eq!(
        Pebbler::<Sha256>::new(&seed, p).unwrap_err(),
        ChainError::AlgMismatch {
            params: HashAlg::Blake3,
            hash: HashAlg::Sha256
        }
    );
    assert!(StoreAll::<Sha256>::new(&seed, p).is_err());
    assert!(Checkpoints::<Sha256>::new(&seed, p, 2).is_err());
    assert!(Receiver::<Sha256>::new(p, Anchor::from_bytes([0; 32])).is_err());
    assert_eq!(
        Checkpoints::<Blake3>::new(&seed, p, 0).unwrap_err(),
        ChainError::BadInterval
    );
    // A receiver cannot be resumed past the end.
    assert_eq!(
        Receiver::<Blake3>::resume(p, Payword::new(5, Word::from_bytes([0; 32]))).unwrap_err(),
        ChainError::IndexOutOfRange {
            index: 5,
            length: 4
        }
    );
}

/// Lower-case hex of `bytes`, and the other ways a derived `Debug` could
/// print them.
fn renderings(bytes: &[u8]) -> Vec<String> {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let upper = lower.to_uppercase();
    let decimal = format!("{:?}", &bytes[..4]);
    let decimal = decimal
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    vec![lower[..16].to_owned(), upper[..16].to_owned(), decimal]
}

fn assert_redacted(what: &str, debug: &str, secrets: &[[u8; 32]]) {
    for s in secrets {
        for r in renderings(s) {
            assert!(
                !debug.contains(&r),
                "{what}: Debug shows secret bytes ({r}): {debug}"
            );
        }
    }
}

/// C-DEBUG for secrets: `Debug` of a seed or of a wallet that holds unspent
/// words prints none of their bytes.
#[test]
fn debug_of_secrets_prints_no_secret_bytes() {
    let seed_bytes: [u8; 32] = core::array::from_fn(|i| 0xc3 ^ (i as u8).wrapping_mul(37));
    let seed = ChainSeed::from_bytes(seed_bytes);
    let p = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x11; 16]), 40).unwrap();
    let words: Vec<[u8; 32]> = StoreAll::<Sha256>::new(&seed, p)
        .unwrap()
        .map(|w| w.word().to_bytes())
        .collect();
    let mut secrets = words.clone();
    secrets.push(seed_bytes);

    assert_redacted("ChainSeed", &format!("{seed:?}"), &[seed_bytes]);
    assert_redacted("ChainSeed", &format!("{seed:#?}"), &[seed_bytes]);

    let mut peb = Pebbler::<Sha256>::new(&seed, p).unwrap();
    let mut all = StoreAll::<Sha256>::new(&seed, p).unwrap();
    let mut cp = Checkpoints::<Sha256>::new(&seed, p, 8).unwrap();
    for _ in 0..3 {
        peb.next_payword();
        all.next_payword();
        cp.next_payword();
    }
    // Words w_4..w_40 are still secret.
    let unspent = &words[3..];
    for (name, d) in [
        ("Pebbler", format!("{peb:?} {peb:#?}")),
        ("StoreAll", format!("{all:?} {all:#?}")),
        ("Checkpoints", format!("{cp:?} {cp:#?}")),
    ] {
        assert_redacted(name, &d, unspent);
        assert_redacted(name, &d, &[seed_bytes]);
    }

    let pp = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([0x22; 16]), 4, 2, 16).unwrap();
    let purse = Purse::<Sha256>::new(&seed, pp).unwrap();
    let mut purse_words = vec![seed_bytes];
    for j in 0..2 {
        let all = StoreAll::<Sha256>::new(&seed, pp.chain(j).unwrap()).unwrap();
        purse_words.extend(all.map(|w| w.word().to_bytes()));
    }
    assert_redacted("Purse", &format!("{purse:?} {purse:#?}"), &purse_words);

    // The check itself can fail: a word's Debug does show its bytes.
    let shown = format!("{:?}", Word::from_bytes(words[5]));
    assert!(renderings(&words[5]).iter().any(|r| shown.contains(r)));
}

/// Autoref specialisation: `true` when `T: Copy`.
struct Probe<T>(PhantomData<T>);
trait IsCopy {
    fn is_copy(&self) -> bool {
        true
    }
}
impl<T: Copy> IsCopy for Probe<T> {}
trait NotCopy {
    fn is_copy(&self) -> bool {
        false
    }
}
impl<T> NotCopy for &Probe<T> {}

/// Secret-holding types are `Clone` but never `Copy`, and zeroize on drop.
// The explicit borrows select between the two probe traits.
#[allow(clippy::needless_borrow)]
#[test]
fn secrets_are_not_copy_and_zeroize_on_drop() {
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop + Clone + Debug>() {}
    zeroize_on_drop::<ChainSeed>();
    zeroize_on_drop::<Pebbler<Sha256>>();
    zeroize_on_drop::<StoreAll<Sha256>>();
    zeroize_on_drop::<Checkpoints<Sha256>>();
    assert!(!(&Probe::<ChainSeed>(PhantomData)).is_copy());
    assert!(!(&Probe::<Pebbler<Sha256>>(PhantomData)).is_copy());
    assert!(!(&Probe::<StoreAll<Sha256>>(PhantomData)).is_copy());
    // The probe tells the two apart.
    assert!((&Probe::<Word>(PhantomData)).is_copy());
    assert!((&Probe::<Payword>(PhantomData)).is_copy());
    // Constant-time equality is available on secrets and words.
    fn ct_eq<T: subtle::ConstantTimeEq>() {}
    ct_eq::<ChainSeed>();
    ct_eq::<Word>();
    ct_eq::<Anchor>();
}

/// C-CONV: the byte newtypes convert both ways and through hex.
#[test]
fn c_conv_byte_newtypes() {
    let bytes: [u8; 32] = core::array::from_fn(|i| i as u8 * 3);
    let w = Word::from_bytes(bytes);
    assert_eq!(w.as_bytes(), &bytes);
    assert_eq!(w.to_bytes(), bytes);
    assert_eq!(<[u8; 32]>::from(w), bytes);
    assert_eq!(Word::from(bytes), w);
    assert_eq!(Word::try_from(&bytes[..]).unwrap(), w);
    assert_eq!(
        Word::try_from(&bytes[..31]).unwrap_err(),
        LengthError {
            expected: 32,
            actual: 31
        }
    );
    assert_eq!(w.to_string().parse::<Word>().unwrap(), w);
    // One spelling: the lower-case hex `Display` writes, nothing else.
    assert!(w.to_string().to_uppercase().parse::<Word>().is_err());
    assert_eq!(
        "00".parse::<Word>().unwrap_err(),
        HexError { expected_len: 32 }
    );
    let id = ChainId::from_bytes([0xab; 16]);
    assert_eq!(id.to_string(), "ab".repeat(16));
    assert_eq!(id.to_string().parse::<ChainId>().unwrap(), id);
    let a = Anchor::from_bytes(bytes);
    assert_eq!(a.as_word(), w);
    assert_eq!(HashAlg::default(), HashAlg::Sha256);
    assert_eq!(
        Tweak::new(Role::ChainStep, id, 7).to_bytes().len(),
        Tweak::LEN
    );
}

/// C-SEND-SYNC and C-GOOD-ERR for the signed-message type and its error.
#[cfg(feature = "ed25519")]
#[test]
fn c_signed_messages() {
    send_sync::<payword::Signed<payword::CertificateFields>>();
    send_sync::<payword::Certificate>();
    send_sync::<payword::Commitment>();
    send_sync::<payword::SignError>();
    good_err(&[
        payword::SignError::Signer,
        payword::SignError::Invalid(DecodeError::NonCanonical { field: "expires" }),
    ]);
}

/// C-SEND-SYNC and C-GOOD-ERR beyond the foundation: the broker and its
/// store, every variant's messages, sessions and claims, the renewal and
/// fraud types, and every error type of the crate.
#[cfg(all(feature = "ed25519", feature = "std"))]
#[test]
fn c_send_sync_and_good_err_everywhere() {
    use payword::store::{Key, MemoryStore, SharedStoreError, Table};
    use payword::{
        Broker, BrokerError, Debt, MultiError, OverspendProof, ProofError, RedeemError, Redemption,
        Refusal, Session, SessionError, StoreFailure, domain, fraud, grant, lmots, renew,
        reservation, tree,
    };
    send_sync::<Broker<MemoryStore>>();
    send_sync::<Broker<std::sync::Arc<std::sync::Mutex<MemoryStore>>>>();
    send_sync::<MemoryStore>();
    send_sync::<Key>();
    send_sync::<Table>();
    send_sync::<Debt>();
    send_sync::<Redemption>();
    send_sync::<OverspendProof>();
    send_sync::<Session>();
    send_sync::<tree::MultiCommitment>();
    send_sync::<tree::LeafOpening>();
    send_sync::<tree::LeafClaim>();
    send_sync::<tree::LeafSession>();
    send_sync::<tree::MerkleTree>();
    send_sync::<grant::SharedCommitment>();
    send_sync::<grant::RangeGrant>();
    send_sync::<grant::GrantClaim>();
    send_sync::<grant::GrantSession>();
    send_sync::<domain::DomainCommitment>();
    send_sync::<domain::DeviceCommitment>();
    send_sync::<domain::DeviceClaim>();
    send_sync::<domain::DeviceSession>();
    send_sync::<reservation::Reservation>();
    send_sync::<renew::RenewalLink>();
    send_sync::<renew::CascadeClaim>();
    send_sync::<renew::OtsReuseProof>();
    send_sync::<renew::RenewingWallet>();
    send_sync::<fraud::FraudProof>();
    send_sync::<fraud::MultiRedemption>();
    send_sync::<lmots::LmotsPublicKey>();
    send_sync::<lmots::LmotsSignature>();
    send_sync::<lmots::LmotsPrivateKey>();
    good_err(&[
        BrokerError::<std::convert::Infallible>::Refused(Refusal::GrantOverlap),
        BrokerError::Corrupt(DecodeError::TrailingData { extra: 1 }),
        BrokerError::Contention,
    ]);
    good_err(&[
        Refusal::Invalid(SessionError::Expired),
        Refusal::OverBudget {
            needed: 9,
            limit: 8,
        },
        Refusal::TooManyRecords,
    ]);
    good_err(&[
        StoreFailure::Io,
        StoreFailure::Corrupt,
        StoreFailure::Contention,
    ]);
    good_err(&[
        RedeemError::WrongBroker,
        RedeemError::TooManyRecords,
        RedeemError::Store(StoreFailure::Io),
    ]);
    good_err(&[
        MultiError::GrantOverlap,
        MultiError::TooManyRecords,
        MultiError::Store(StoreFailure::Contention),
    ]);
    good_err(&[ProofError::Duplicate, ProofError::WithinLimit]);
    good_err(&[SharedStoreError::<std::convert::Infallible>::Poisoned]);
    good_err(&[renew::RenewError::BadSignature, renew::RenewError::OtsReuse]);
    good_err(&[fraud::FraudError::NotFraud, fraud::FraudError::TooLarge]);
    good_err(&[lmots::LmotsError::Invalid]);
}
