//! Self-renewing chains: one public-key signature, then chain after chain
//! linked by hash-based one-time signatures.
//!
//! This is the digital-goods scheme of the source documents (seed `S`, chain
//! tail, a one-time-signature key pair and the *next* chain generated and
//! linked) built on LM-OTS (RFC 8554, section 4):
//!
//! 1. The customer's [`Commitment`] binds, besides the first chain's anchor,
//!    the LM-OTS public key of that chain
//!    ([`CommitmentFields::renewal`](crate::CommitmentFields::renewal)).
//! 2. When the chain nears its end, the customer derives the next chain and
//!    signs a [`RenewalLink`] naming it (parameters, anchor, the next chain's
//!    own LM-OTS key, optionally a new validity window) with the one-time key
//!    of the current chain. No Ed25519 signature, no broker.
//! 3. The vendor's [`Session::renew`](crate::Session::renew) checks the link
//!    and continues on the next chain; payments then name the link's digest.
//! 4. The vendor redeems the whole cascade (commitment, links, last payword
//!    of each chain) in one [`CascadeClaim`] with
//!    [`Broker::redeem_cascade`](crate::Broker::redeem_cascade).
//!
//! # Key derivation
//!
//! Everything a wallet needs comes from one 32-byte seed per generation, with
//! the crate's tweakable SHA-256 under role [`Role::RenewKdf`] (`0x08`), the
//! current chain id `id_g` and a position:
//!
//! | value | derivation |
//! |---|---|
//! | LM-OTS seed of chain `g` | `H(0x08 ‖ id_g ‖ 0 ‖ seed_g)` |
//! | LM-OTS key of chain `g` | RFC 8554 Appendix A from that seed, `I = id_g`, `q = g`, `LMOTS_SHA256_N32_W4` |
//! | `seed_{g+1}` | `H(0x08 ‖ id_g ‖ 1 ‖ seed_g)` |
//! | `id_{g+1}` | first 16 bytes of `H(0x08 ‖ id_g ‖ 2)` |
//! | randomizer `C` of the link signed by chain `g` | `H(0x08 ‖ id_g ‖ 3 ‖ seed_g ‖ link digest)` |
//!
//! The next chain has the same hash and length as the current one. The seeds
//! form a one-way KDF chain: a wallet that moved to generation `g + 1` keeps
//! `seed_{g+1}` only and can no longer compute key `g`.
//!
//! # One signature per one-time key
//!
//! Two different links signed by one key are an [`OtsReuseProof`] (with
//! `alloc`), checkable offline by anyone who holds the broker's public key.
//! The honest API cannot produce one: the only signer is
//! [`RenewingWallet`], which signs each key's single link deterministically
//! (the link and its randomizer are functions of the seed), so even a wallet
//! restored from an old copy of its state signs the very same bytes again. See
//! [`RenewingWallet`] for what the caller must store, and when.
//!
//! # Limits and cost
//!
//! * One parameter set: [`RENEWAL_LMOTS`] (`LMOTS_SHA256_N32_W4`, typecode 3):
//!   2180-byte signatures, at most 1005 chain steps (+ 2 hashes) to verify a
//!   link, cheaper than one Ed25519 verification. Keys or signatures of other
//!   sets are refused before any hashing.
//! * A cascade has at most [`MAX_CASCADE`] links (129 chains): redeeming one
//!   costs 2 Ed25519 verifications, at most 128 LM-OTS verifications
//!   (about 130k compressions in all) and the payword steps, which are bounded
//!   by the broker's claim budget and checked before any payword hashing.
//! * Renewal needs single-chain commitments; a purse commitment never renews.

// Without `alloc` the cascade types do not exist; the overview still names them.
#![cfg_attr(not(feature = "alloc"), allow(rustdoc::broken_intra_doc_links))]

use core::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::chain::traversal::{Pebbler, Traversal};
use crate::chain::{Anchor, ChainError, ChainId, ChainParams, ChainSeed};
use crate::check::SessionError;
use crate::hash::{HashAlg, Role, Sha256, Tweak, TweakableHash};
use crate::lmots::{LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
use crate::message::{Commitment, CommittedChain, Encode, Payment, PaymentBody};
use crate::sign::Digest;
use crate::wire::{DecodeError, Reader, Writer};

#[cfg(feature = "alloc")]
mod cascade;
mod link;
#[cfg(feature = "alloc")]
mod proof;
mod wallet;

#[cfg(feature = "alloc")]
pub use cascade::{CascadeClaim, CascadeError, CascadeRedemption, RenewedChain};
pub use link::{LinkFields, RenewalLink, Window};
#[cfg(feature = "alloc")]
pub(crate) use link::{check_fields, commitment_key};
#[cfg(feature = "alloc")]
pub use proof::OtsReuseProof;
pub use wallet::{Outgoing, RenewingWallet};

/// The one LM-OTS parameter set renewal keys and links use:
/// `LMOTS_SHA256_N32_W4` (2180-byte signatures, at most 1005 chain steps to
/// verify).
///
/// # Examples
///
/// ```
/// use payword::renew::RENEWAL_LMOTS;
///
/// assert_eq!((RENEWAL_LMOTS.typecode(), RENEWAL_LMOTS.signature_len()), (3, 2180));
/// ```
pub const RENEWAL_LMOTS: LmotsParams = LmotsParams::Sha256N32W4;

/// The most renewal links in one cascade (so at most 129 chains per
/// commitment). Bounds a cascade claim to about 300 KiB and its LM-OTS work
/// to 128 verifications.
///
/// # Examples
///
/// ```
/// use payword::renew::MAX_CASCADE;
///
/// assert_eq!(MAX_CASCADE, 128);
/// ```
pub const MAX_CASCADE: usize = 128;

/// Wire tags of the renewal messages.
pub mod tag {
    /// [`RenewalLink`](super::RenewalLink).
    pub const RENEWAL_LINK: u8 = 0x30;
    /// `CascadeClaim` (with `alloc`).
    pub const CASCADE_CLAIM: u8 = 0x31;
    /// `OtsReuseProof` (with `alloc`).
    pub const OTS_REUSE_PROOF: u8 = 0x32;
}

/// Length of an encoded [`RENEWAL_LMOTS`] signature.
const SIG_LEN: usize = RENEWAL_LMOTS.signature_len();

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a renewal (a link, a cascade, a wallet step) was refused. A refused
/// renewal changes no state.
///
/// # Examples
///
/// ```
/// use payword::renew::RenewError;
///
/// assert_eq!(RenewError::WrongPrevious.to_string(), "link names another chain");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenewError {
    /// The commitment binds no renewal key, or binds a purse.
    NotRenewable,
    /// The link does not name the chain it is presented for (unknown chain).
    WrongPrevious,
    /// The link's generation is not the next one.
    WrongGeneration {
        /// The generation expected.
        expected: u32,
        /// The generation found.
        found: u32,
    },
    /// A key or signature is not of the parameter set [`RENEWAL_LMOTS`].
    UnsupportedParams,
    /// The next chain's key is not that chain's (`I` must be its chain id,
    /// `q` its generation).
    KeyMismatch,
    /// The one-time signature does not verify.
    BadSignature,
    /// The cascade already has [`MAX_CASCADE`] links: no further renewal.
    Exhausted,
    /// The link's validity window is empty or not inside the certificate's.
    OutsideCertificate,
    /// A different link was already accepted from the same chain and this one
    /// verifies too: the one-time key signed twice (build the
    /// `OtsReuseProof`).
    OtsReuse,
    /// A session, time or payword check failed.
    Session(SessionError),
    /// A chain could not be built (wrong hash, length).
    Chain(ChainError),
    /// The wallet's renewal threshold is not below its chain length.
    Threshold,
    /// The wallet is not bound to a signed commitment yet, or the commitment
    /// does not commit to the wallet's chain and key.
    Unbound,
    /// The two links of a reuse proof are one and the same link.
    SameLink,
    /// The persisted wallet state is older than the caller's monotonic
    /// counter: it was replayed.
    StaleState {
        /// The state's sequence number.
        sequence: u64,
        /// The counter the caller holds.
        counter: u64,
    },
}

impl fmt::Display for RenewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRenewable => f.write_str("commitment binds no renewal key"),
            Self::WrongPrevious => f.write_str("link names another chain"),
            Self::WrongGeneration { expected, found } => {
                write!(f, "link for generation {found}, expected {expected}")
            }
            Self::UnsupportedParams => f.write_str("unsupported one-time signature parameters"),
            Self::KeyMismatch => f.write_str("next key does not belong to the next chain"),
            Self::BadSignature => f.write_str("one-time signature does not verify"),
            Self::Exhausted => f.write_str("cascade is at its length limit"),
            Self::OutsideCertificate => {
                f.write_str("link validity is empty or outside the certificate's")
            }
            Self::OtsReuse => f.write_str("one-time key signed two different links"),
            Self::Session(e) => write!(f, "renewal refused: {e}"),
            Self::Chain(e) => write!(f, "chain error: {e}"),
            Self::Threshold => f.write_str("renewal threshold must be below the chain length"),
            Self::Unbound => f.write_str("wallet is not bound to its commitment"),
            Self::SameLink => f.write_str("the two links are the same link"),
            Self::StaleState { sequence, counter } => write!(
                f,
                "stale wallet state: sequence {sequence} is below the counter {counter}"
            ),
        }
    }
}

impl core::error::Error for RenewError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::Chain(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for RenewError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<ChainError> for RenewError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}

// ---------------------------------------------------------------------------
// Derivation
// ---------------------------------------------------------------------------

fn kdf(seed: &ChainSeed, id: &ChainId, position: u32) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(Sha256::hash_word(
        &Tweak::new(Role::RenewKdf, *id, position),
        seed.expose_secret(),
    ))
}

/// The one-time key of the chain `params` at `generation`.
fn ots_key(seed: &ChainSeed, params: &ChainParams, generation: u32) -> LmotsPrivateKey {
    let s = kdf(seed, params.id(), 0);
    LmotsPrivateKey::from_seed(RENEWAL_LMOTS, params.id().to_bytes(), generation, &s)
}

/// The next chain's seed and parameters.
fn next_chain(
    seed: &ChainSeed,
    params: &ChainParams,
) -> Result<(ChainSeed, ChainParams), ChainError> {
    let s = kdf(seed, params.id(), 1);
    let full = Sha256::hash_parts(&Tweak::new(Role::RenewKdf, *params.id(), 2), &[]);
    let mut id = [0u8; 16];
    id.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
    let next = ChainParams::new(
        params.alg(),
        ChainId::from_bytes(id),
        params.length().into(),
    )?;
    Ok((ChainSeed::from_bytes(*s), next))
}

/// The randomizer of the link with digest `digest` signed by chain `id`.
fn randomizer(seed: &ChainSeed, id: &ChainId, digest: &Digest) -> [u8; 32] {
    Sha256::hash_parts(
        &Tweak::new(Role::RenewKdf, *id, 3),
        &[seed.expose_secret(), digest.as_bytes()],
    )
}

// ---------------------------------------------------------------------------
// RenewalLink
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn params(byte: u8, n: u64) -> ChainParams {
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([byte; 16]), n).unwrap()
    }

    #[test]
    fn derivation_is_separated() {
        let seed = ChainSeed::from_bytes([1; 32]);
        let p = params(2, 8);
        let (s1, p1) = next_chain(&seed, &p).unwrap();
        assert_ne!(s1, seed);
        assert_ne!(p1.id(), p.id());
        assert_eq!((p1.alg(), p1.length()), (p.alg(), p.length()));
        assert_ne!(*kdf(&seed, p.id(), 0), *s1.expose_secret());
        let k0 = ots_key(&seed, &p, 0).public_key();
        let k1 = ots_key(&s1, &p1, 1).public_key();
        assert_ne!(k0, k1);
        assert_eq!((k0.id(), k0.q()), (&p.id().to_bytes(), 0));
    }

    #[test]
    fn link_round_trips_and_refuses_other_sets() {
        let seed = ChainSeed::from_bytes([1; 32]);
        let p = params(2, 8);
        let (s1, p1) = next_chain(&seed, &p).unwrap();
        let fields = LinkFields {
            previous: Digest::from_bytes([7; 32]),
            generation: 1,
            params: p1,
            anchor: Anchor::from_bytes([3; 32]),
            key: ots_key(&s1, &p1, 1).public_key(),
            window: Some(Window {
                valid_from: 1,
                expires: 2,
            }),
        };
        let key = ots_key(&seed, &p, 0);
        let public = key.public_key();
        let link = RenewalLink::sign_with_randomizer(fields, key, [5; 32]).unwrap();
        let mut buf = [0u8; RenewalLink::MAX_LEN];
        let len = link.encode(&mut buf);
        assert_eq!(len, RenewalLink::MAX_LEN);
        assert_eq!(RenewalLink::decode(&buf[..len]).unwrap(), link);
        assert_eq!(link.verify(&public), Ok(()));
        let w8 = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [0; 16], 0, &[0; 32]);
        assert_eq!(
            RenewalLink::sign_with_randomizer(fields, w8, [0; 32]),
            Err(RenewError::UnsupportedParams)
        );
    }
}
