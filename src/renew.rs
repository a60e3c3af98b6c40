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
use crate::hash::{HashAlg, Role, Sha256, Tweak, TweakableHash};
use crate::lmots::{LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
use crate::message::{Commitment, CommittedChain, Encode, Payment, PaymentBody};
use crate::session::SessionError;
use crate::sign::{Digest, message_digest};
use crate::wire::{DecodeError, Reader, Writer};

#[cfg(feature = "alloc")]
pub use with_alloc::*;

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

/// A validity window `[valid_from, expires]` (seconds, caller's clock).
///
/// # Examples
///
/// ```
/// use payword::renew::Window;
///
/// let w = Window { valid_from: 10, expires: 20 };
/// assert!(w.is_within(&Window { valid_from: 0, expires: 20 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// First valid second.
    pub valid_from: u64,
    /// Last valid second.
    pub expires: u64,
}

impl Window {
    /// Whether the window is non-empty and inside `outer`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::Window;
    ///
    /// let outer = Window { valid_from: 0, expires: 100 };
    /// assert!(!Window { valid_from: 5, expires: 101 }.is_within(&outer));
    /// assert!(!Window { valid_from: 9, expires: 8 }.is_within(&outer));
    /// ```
    #[must_use]
    pub const fn is_within(&self, outer: &Self) -> bool {
        self.valid_from <= self.expires
            && self.valid_from >= outer.valid_from
            && self.expires <= outer.expires
    }
}

/// What a renewal link says: the chain it continues, and the next chain.
///
/// # Examples
///
/// ```
/// use payword::renew::{LinkFields, RENEWAL_LMOTS};
/// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg, LmotsPublicKey};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 1000)?;
/// let fields = LinkFields {
///     previous: Digest::from_bytes([1; 32]),
///     generation: 1,
///     params,
///     anchor: Anchor::from_bytes([3; 32]),
///     key: LmotsPublicKey::new(RENEWAL_LMOTS, [2; 16], 1, [4; 32]),
///     window: None,
/// };
/// assert_eq!(fields.generation, 1);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkFields {
    /// The digest of the chain this link continues: the commitment's digest
    /// for generation 1, the previous link's digest after that.
    pub previous: Digest,
    /// The generation of the next chain (the commitment's chain is 0).
    pub generation: u32,
    /// The next chain's parameters.
    pub params: ChainParams,
    /// The next chain's anchor `w_0`.
    pub anchor: Anchor,
    /// The next chain's one-time key (`I` = its chain id, `q` = `generation`).
    pub key: LmotsPublicKey,
    /// A new validity window inside the certificate's, or `None` to keep the
    /// previous chain's.
    pub window: Option<Window>,
}

/// A renewal link (customer → vendor, wire tag `0x30`): the next chain,
/// signed with the one-time key of the current one.
///
/// The LM-OTS signature covers the link's [`Digest`] (the domain-tagged hash of
/// the encoding up to the signature, as for every signed message); that digest
/// is also the next chain's identity (payments name it, ledgers key on it).
///
/// # Examples
///
/// See [`RenewingWallet`], which makes links, and
/// [`Session::renew`](crate::Session::renew), which checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewalLink {
    fields: LinkFields,
    signature: LmotsSignature,
}

impl RenewalLink {
    /// The digest the one-time key signs for `fields` (also the next chain's
    /// identity).
    ///
    /// # Cost
    ///
    /// One SHA-256 of at most 164 bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::{LinkFields, RenewalLink, RENEWAL_LMOTS};
    /// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg, LmotsPublicKey};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 8)?;
    /// let mut f = LinkFields {
    ///     previous: Digest::from_bytes([1; 32]),
    ///     generation: 1,
    ///     params,
    ///     anchor: Anchor::from_bytes([3; 32]),
    ///     key: LmotsPublicKey::new(RENEWAL_LMOTS, [2; 16], 1, [4; 32]),
    ///     window: None,
    /// };
    /// let d = RenewalLink::digest_of(&f);
    /// f.anchor = Anchor::from_bytes([5; 32]);
    /// assert_ne!(RenewalLink::digest_of(&f), d);
    /// # Ok::<(), payword::ChainError>(())
    /// ```
    #[must_use]
    pub fn digest_of(fields: &LinkFields) -> Digest {
        crate::sign::digest_with(tag::RENEWAL_LINK, |w| {
            w.put_u8(tag::RENEWAL_LINK);
            w.put_u8(crate::message::VERSION);
            write_link_fields(fields, w);
        })
    }

    /// Signs `fields` with `key`, the one-time key of the chain named by
    /// `fields.previous`, consuming it, with a randomizer from `rng`.
    ///
    /// This is the low-level signer; wallets use [`RenewingWallet`], which
    /// derives the key and signs each key's one link deterministically.
    ///
    /// # Cost
    ///
    /// One LM-OTS signature: 67 seed derivations and at most 1005 chain steps.
    ///
    /// # Errors
    ///
    /// [`RenewError::UnsupportedParams`] if `key` or `fields.key` is not of
    /// [`RENEWAL_LMOTS`]; [`RenewError::KeyMismatch`] or
    /// [`RenewError::WrongGeneration`] if the keys do not fit the generations;
    /// [`RenewError::OutsideCertificate`] for an empty window. The key is
    /// consumed in every case.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::{LinkFields, RenewalLink, RENEWAL_LMOTS};
    /// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg, LmotsPrivateKey};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// let key = LmotsPrivateKey::generate(RENEWAL_LMOTS, [1; 16], 0, &mut rng);
    /// let public = key.public_key();
    /// let next = LmotsPrivateKey::generate(RENEWAL_LMOTS, [2; 16], 1, &mut rng);
    /// let fields = LinkFields {
    ///     previous: Digest::from_bytes([9; 32]),
    ///     generation: 1,
    ///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 8)?,
    ///     anchor: Anchor::from_bytes([3; 32]),
    ///     key: next.public_key(),
    ///     window: None,
    /// };
    /// let link = RenewalLink::sign(fields, key, &mut rng)?;
    /// assert!(link.verify(&public).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign<R: CryptoRng + ?Sized>(
        fields: LinkFields,
        key: LmotsPrivateKey,
        rng: &mut R,
    ) -> Result<Self, RenewError> {
        let mut c = [0u8; 32];
        rng.fill_bytes(&mut c);
        Self::sign_with_randomizer(fields, key, c)
    }

    fn sign_with_randomizer(
        fields: LinkFields,
        key: LmotsPrivateKey,
        c: [u8; 32],
    ) -> Result<Self, RenewError> {
        if key.params() != RENEWAL_LMOTS {
            return Err(RenewError::UnsupportedParams);
        }
        check_fields(&fields, key.q())?;
        let digest = Self::digest_of(&fields);
        let signature = key.sign_with_randomizer(c, digest.as_bytes());
        Ok(Self { fields, signature })
    }

    /// The signed content.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub const fn fields(&self) -> &LinkFields {
        &self.fields
    }

    /// The one-time signature.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub const fn signature(&self) -> &LmotsSignature {
        &self.signature
    }

    /// The link's identity: the digest its signature covers.
    ///
    /// # Cost
    ///
    /// One SHA-256 of at most 164 bytes.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub fn digest(&self) -> Digest {
        Self::digest_of(&self.fields)
    }

    /// Verifies the link against `key`, the one-time key of the chain it
    /// continues (structure first, then the signature).
    ///
    /// Does not check `previous` (the caller knows which chain it expects)
    /// nor time; [`Session::renew`](crate::Session::renew) and
    /// [`Broker::redeem_cascade`](crate::Broker::redeem_cascade) do.
    ///
    /// # Cost
    ///
    /// One digest and one LM-OTS verification (at most 1005 chain steps and
    /// two hashes); nothing if a structural check fails first.
    ///
    /// # Errors
    ///
    /// [`RenewError::UnsupportedParams`], [`RenewError::WrongGeneration`]
    /// (the link's generation is not `key.q() + 1`),
    /// [`RenewError::KeyMismatch`], [`RenewError::OutsideCertificate`] (empty
    /// window), [`RenewError::BadSignature`].
    ///
    /// # Examples
    ///
    /// See [`RenewalLink::sign`].
    pub fn verify(&self, key: &LmotsPublicKey) -> Result<(), RenewError> {
        if key.params() != RENEWAL_LMOTS || self.signature.params() != RENEWAL_LMOTS {
            return Err(RenewError::UnsupportedParams);
        }
        check_fields(&self.fields, key.q())?;
        let digest = self.digest();
        key.verify(digest.as_bytes(), &self.signature)
            .map_err(|_| RenewError::BadSignature)
    }
}

/// Structural checks of a link made by the key number `q`: no hashing.
pub(crate) fn check_fields(f: &LinkFields, q: u32) -> Result<(), RenewError> {
    let expected = q.checked_add(1).ok_or(RenewError::Exhausted)?;
    if f.generation != expected {
        return Err(RenewError::WrongGeneration {
            expected,
            found: f.generation,
        });
    }
    if f.key.params() != RENEWAL_LMOTS {
        return Err(RenewError::UnsupportedParams);
    }
    if f.key.id() != &f.params.id().to_bytes() || f.key.q() != f.generation {
        return Err(RenewError::KeyMismatch);
    }
    if let Some(w) = f.window
        && w.valid_from > w.expires
    {
        return Err(RenewError::OutsideCertificate);
    }
    Ok(())
}

fn write_link_fields(f: &LinkFields, w: &mut Writer<'_>) {
    w.put(f.previous.as_bytes());
    w.put_u32(f.generation);
    w.put_u8(f.params.alg().tag());
    w.put(f.params.id().as_bytes());
    w.put_u32(f.params.length());
    w.put(f.anchor.as_bytes());
    w.put(&f.key.to_bytes());
    match f.window {
        None => w.put_u8(0),
        Some(win) => {
            w.put_u8(1);
            w.put_u64(win.valid_from);
            w.put_u64(win.expires);
        }
    }
}

fn read_link_fields(r: &mut Reader<'_>) -> Result<LinkFields, DecodeError> {
    let previous = Digest::from_bytes(r.array("previous")?);
    let generation = r.u32("generation")?;
    if generation == 0 {
        return Err(DecodeError::NonCanonical {
            field: "generation",
        });
    }
    let alg =
        HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
    let id = ChainId::from_bytes(r.array("chain id")?);
    let length = r.u32("length")?;
    let params = ChainParams::new(alg, id, length.into())
        .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
    let anchor = Anchor::from_bytes(r.array("anchor")?);
    let key_bytes = r.take("next key", LmotsPublicKey::ENCODED_LEN)?;
    let key = LmotsPublicKey::from_bytes(key_bytes)
        .ok()
        .filter(|k| k.params() == RENEWAL_LMOTS)
        .ok_or(DecodeError::NonCanonical {
            field: "next key typecode",
        })?;
    let window = if r.bool("window flag")? {
        let valid_from = r.u64("valid_from")?;
        let expires = r.u64("expires")?;
        if valid_from > expires {
            return Err(DecodeError::NonCanonical { field: "expires" });
        }
        Some(Window {
            valid_from,
            expires,
        })
    } else {
        None
    };
    Ok(LinkFields {
        previous,
        generation,
        params,
        anchor,
        key,
        window,
    })
}

impl crate::wire::sealed::Sealed for RenewalLink {}

impl Encode for RenewalLink {
    const TAG: u8 = tag::RENEWAL_LINK;
    /// 2344 bytes: 164 of content (with a window) and the 2180-byte signature.
    const MAX_LEN: usize =
        2 + 32 + 4 + 1 + 16 + 4 + 32 + LmotsPublicKey::ENCODED_LEN + 1 + 16 + SIG_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        write_link_fields(&self.fields, w);
        w.put_u32(self.signature.params().typecode());
        w.put(self.signature.randomizer());
        for y in self.signature.y() {
            w.put(y);
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let fields = read_link_fields(r)?;
        let typecode = r.u32("signature typecode")?;
        if typecode != RENEWAL_LMOTS.typecode() {
            return Err(DecodeError::NonCanonical {
                field: "signature typecode",
            });
        }
        let body = r.take("signature", SIG_LEN - 4)?;
        let mut buf = [0u8; SIG_LEN];
        let (head, tail) = buf.split_at_mut(4);
        head.copy_from_slice(&typecode.to_be_bytes());
        tail.copy_from_slice(body);
        let signature = LmotsSignature::from_bytes(&buf)
            .map_err(|_| DecodeError::NonCanonical { field: "signature" })?;
        Ok(Self { fields, signature })
    }
}

/// The renewal key a commitment binds, if it can renew at all.
#[cfg(feature = "alloc")]
pub(crate) fn commitment_key(c: &Commitment) -> Result<LmotsPublicKey, RenewError> {
    let f = c.fields();
    match (&f.chain, f.renewal) {
        (CommittedChain::Single { .. }, Some(k)) => Ok(k),
        _ => Err(RenewError::NotRenewable),
    }
}

// ---------------------------------------------------------------------------
// The customer's wallet
// ---------------------------------------------------------------------------

/// What one [`RenewingWallet::pay`] step sends to the vendor: a renewal link
/// first when the wallet moved to a new chain, then the payment.
///
/// # Examples
///
/// See [`RenewingWallet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The link to the chain the payment is on, when this step renewed.
    pub link: Option<RenewalLink>,
    /// The payment (one payword).
    pub payment: Payment,
}

/// A customer wallet that pays continuously on self-renewing chains.
///
/// It holds the current chain's seed, its pebbling traversal
/// ([`Pebbler`]: `⌈log2 n⌉` words, `⌈k/2⌉` hashes per payword), the
/// generation and the digest payments name. When at most `threshold`
/// paywords are left it derives the next chain, signs the link with the
/// current chain's one-time key (consumed), forgets the current seed, and
/// continues.
///
/// # What to store, and when (store before send)
///
/// After **every** [`pay`](Self::pay), write [`encode`](Self::encode)'s bytes
/// to durable storage — and, if you have a monotonic counter (a hardware or
/// file-system counter that can only grow), set it to
/// [`sequence`](Self::sequence) — **before** sending what `pay` returned.
/// Restart with [`resume`](Self::resume)`(stored, counter)`. Then:
///
/// * **No payword is sent twice.** Every payword sent was emitted by a state
///   that was stored first, so the resumed wallet continues after it. A state
///   older than the counter (storage rolled back or replayed) is refused with
///   [`RenewError::StaleState`]. A payword stored but never sent is skipped:
///   the customer loses at most that one unit (the next payword pays for it).
/// * **No one-time key signs twice**, even with no counter and a replayed
///   state: the link a key signs and its LM-OTS randomizer are functions of
///   the stored seed and digest, so a replayed wallet signs byte-identical
///   links, which reveal nothing new. The state written after a renewal holds
///   only the next seed, from which the used key cannot be derived.
///
/// The state holds future paywords and the seed: keep it secret. It is
/// zeroized on drop and never printed.
///
/// # Examples
///
/// ```
/// use payword::renew::RenewingWallet;
/// use payword::{
///     BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
///     CommitmentFields, CustomerId, HashAlg, MessageSigner, Session, Sha256, VendorId,
/// };
/// use ed25519_dalek::SigningKey;
///
/// let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// let cert = Certificate::issue(CertificateFields {
///     broker: BrokerId::from_bytes([3; 32]), serial: 1,
///     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
///     credit_limit: 1_000, valid_from: 0, expires: 100,
/// }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
/// let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: cert.digest(), vendor: VendorId::from_bytes([7; 32]), unit_value: 1,
///     valid_from: 0, expires: 100,
///     chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
/// }, &customer)?;
/// wallet.bind(&commitment)?;
/// let mut session = Session::open(VendorId::from_bytes([7; 32]), &broker.public_key(),
///     cert, commitment, 10, 0)?;
/// for _ in 0..10 {
///     let out = wallet.pay()?;            // store wallet.encode(..) here, then send
///     if let Some(link) = &out.link {
///         session.renew(link, 10)?;       // no Ed25519 signature involved
///     }
///     assert_eq!(session.pay(&out.payment, 10)?, 1);
/// }
/// assert_eq!((wallet.generation(), session.units_paid()), (2, 10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RenewingWallet<H: TweakableHash = Sha256> {
    seed: ChainSeed,
    pebbler: Pebbler<H>,
    generation: u32,
    threshold: u32,
    sequence: u64,
    digest: Option<Digest>,
    key: LmotsPublicKey,
    last_link: Option<RenewalLink>,
}

impl<H: TweakableHash> fmt::Debug for RenewingWallet<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingWallet")
            .field("params", self.pebbler.params())
            .field("generation", &self.generation)
            .field("emitted", &self.pebbler.emitted())
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl<H: TweakableHash> RenewingWallet<H> {
    /// Largest encoded state, in bytes.
    pub const MAX_ENCODED_LEN: usize =
        1 + 4 + 4 + 8 + 32 + 33 + 2 + Pebbler::<H>::MAX_ENCODED_LEN + 1 + RenewalLink::MAX_LEN;

    /// A wallet for the chain `params` from `seed`, at generation 0; it
    /// renews when at most `threshold` paywords are left on a chain.
    ///
    /// # Cost
    ///
    /// `n + 1` hashes for the chain and about 1.1k compressions for the
    /// one-time public key.
    ///
    /// # Errors
    ///
    /// [`RenewError::Chain`] if `params` is not for `H`,
    /// [`RenewError::Threshold`] unless `threshold < n`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(seed: ChainSeed, params: ChainParams, threshold: u32) -> Result<Self, RenewError> {
        if threshold >= params.length() {
            return Err(RenewError::Threshold);
        }
        let pebbler = Pebbler::<H>::new(&seed, params)?;
        let key = ots_key(&seed, &params, 0).public_key();
        Ok(Self {
            seed,
            pebbler,
            generation: 0,
            threshold,
            sequence: 0,
            digest: None,
            key,
            last_link: None,
        })
    }

    /// The chain to put in the commitment (generation 0 only).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn committed_chain(&self) -> CommittedChain {
        CommittedChain::Single {
            params: *self.pebbler.params(),
            anchor: self.pebbler.anchor(),
        }
    }

    /// The current chain's one-time public key (for the commitment's
    /// `renewal` field at generation 0).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn renewal_key(&self) -> LmotsPublicKey {
        self.key
    }

    /// Binds the wallet to the signed commitment to its first chain.
    ///
    /// # Errors
    ///
    /// [`RenewError::Unbound`] if the wallet is past generation 0 or already
    /// bound to another commitment, or the commitment does not commit to
    /// this wallet's chain and key.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn bind(&mut self, commitment: &Commitment) -> Result<(), RenewError> {
        let f = commitment.fields();
        let digest = commitment.digest();
        if self.generation != 0
            || self.digest.is_some_and(|d| d != digest)
            || f.chain != self.committed_chain()
            || f.renewal != Some(self.key)
        {
            return Err(RenewError::Unbound);
        }
        self.digest = Some(digest);
        Ok(())
    }

    /// The generation of the current chain (0 = the committed one).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn generation(&self) -> u32 {
        self.generation
    }

    /// Number of [`pay`](Self::pay) steps taken: the value to store in a
    /// monotonic counter along with the state.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::RenewingWallet, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// assert_eq!(wallet.sequence(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The current chain's parameters.
    ///
    /// # Examples
    ///
    /// See [`sequence`](Self::sequence).
    #[must_use]
    pub fn params(&self) -> &ChainParams {
        self.pebbler.params()
    }

    /// Paywords left on the current chain.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::RenewingWallet, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// assert_eq!(wallet.remaining(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn remaining(&self) -> u32 {
        self.pebbler
            .params()
            .length()
            .saturating_sub(self.pebbler.emitted())
    }

    /// The last link this wallet signed (to send again if it was lost).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn last_link(&self) -> Option<&RenewalLink> {
        self.last_link.as_ref()
    }

    /// The next payword; first a renewal if at most `threshold` paywords are
    /// left on the current chain. Store the state before sending the result
    /// (see the [type docs](Self)).
    ///
    /// # Cost
    ///
    /// At most `⌈k/2⌉` hashes (`k = ⌈log2 n⌉`). A renewal step adds the next
    /// chain's pebbler (`n + 1` hashes), its one-time public key (about 1.1k
    /// compressions) and one LM-OTS signature (at most about 1.1k).
    ///
    /// # Errors
    ///
    /// [`RenewError::Unbound`] before [`bind`](Self::bind);
    /// [`RenewError::Exhausted`] when the renewal would exceed
    /// [`MAX_CASCADE`] links and the chain is used up. On error nothing
    /// changes.
    pub fn pay(&mut self) -> Result<Outgoing, RenewError> {
        let Some(mut digest) = self.digest else {
            return Err(RenewError::Unbound);
        };
        let mut link = None;
        if self.remaining() <= self.threshold
            && usize::try_from(self.generation).is_ok_and(|g| g < MAX_CASCADE)
        {
            let new = self.renew(digest)?;
            digest = new.digest();
            link = Some(new);
        }
        let p = self.pebbler.next_payword().ok_or(RenewError::Exhausted)?;
        self.sequence = self.sequence.saturating_add(1);
        if let Some(l) = &link {
            self.last_link = Some(l.clone());
        }
        Ok(Outgoing {
            link,
            payment: Payment::new(digest, PaymentBody::Single(p)),
        })
    }

    /// Moves to the next chain, signing the link from the chain `previous`.
    fn renew(&mut self, previous: Digest) -> Result<RenewalLink, RenewError> {
        let params = *self.pebbler.params();
        let generation = self
            .generation
            .checked_add(1)
            .ok_or(RenewError::Exhausted)?;
        let (next_seed, next_params) = next_chain(&self.seed, &params)?;
        let next_pebbler = Pebbler::<H>::new(&next_seed, next_params)?;
        let next_key = ots_key(&next_seed, &next_params, generation).public_key();
        let fields = LinkFields {
            previous,
            generation,
            params: next_params,
            anchor: next_pebbler.anchor(),
            key: next_key,
            window: None,
        };
        let c = randomizer(&self.seed, params.id(), &RenewalLink::digest_of(&fields));
        let link = RenewalLink::sign_with_randomizer(
            fields,
            ots_key(&self.seed, &params, self.generation),
            c,
        )?;
        // Commit: from here the old seed (and with it the used key) is gone.
        self.seed = next_seed;
        self.pebbler = next_pebbler;
        self.generation = generation;
        self.key = next_key;
        self.digest = Some(link.digest());
        Ok(link)
    }

    /// Writes the state into `out`; returns its length (at most
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN); a shorter `out` receives
    /// what fits).
    ///
    /// Layout: version `1` ‖ threshold (u32) ‖ generation (u32) ‖ sequence
    /// (u64) ‖ seed (32) ‖ digest flag (0/1) ‖ digest (32, zeros if unbound)
    /// ‖ pebbler length (u16) ‖ pebbler state ‖ link flag (0/1) ‖ last link.
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = Writer::new(out);
        w.put_u8(1);
        w.put_u32(self.threshold);
        w.put_u32(self.generation);
        w.put_u64(self.sequence);
        w.put(self.seed.expose_secret());
        w.put_u8(u8::from(self.digest.is_some()));
        w.put(
            self.digest
                .unwrap_or(Digest::from_bytes([0; 32]))
                .as_bytes(),
        );
        let mut peb = Zeroizing::new([0u8; 1024 * 2]);
        let len = self.pebbler.encode(&mut peb[..]).min(peb.len());
        w.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        w.put(peb.get(..len).unwrap_or(&[]));
        match &self.last_link {
            None => w.put_u8(0),
            Some(l) => {
                w.put_u8(1);
                l.write(&mut w);
            }
        }
        w.position()
    }

    /// The state in a fresh zeroizing vector.
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<alloc::vec::Vec<u8>> {
        let mut v = Zeroizing::new(alloc::vec![0u8; Self::MAX_ENCODED_LEN]);
        let len = self.encode(&mut v);
        v.truncate(len);
        v
    }

    /// Restores a state written by [`encode`](Self::encode), refusing one
    /// whose sequence number is below `counter` (pass 0 without a monotonic
    /// counter).
    ///
    /// # Cost
    ///
    /// About 1.1k compressions (the one-time public key is recomputed, not
    /// stored).
    ///
    /// # Errors
    ///
    /// [`RenewError::StaleState`]; [`RenewError::Unbound`] for bytes that are
    /// not a wallet state of this hash (truncated, trailing, out of range).
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::{RenewError, RenewingWallet}, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// let stored = wallet.to_bytes();
    /// let back = RenewingWallet::<Sha256>::resume(&stored, 0)?;
    /// assert_eq!(back.renewal_key(), wallet.renewal_key());
    /// assert!(matches!(
    ///     RenewingWallet::<Sha256>::resume(&stored, 1),
    ///     Err(RenewError::StaleState { sequence: 0, counter: 1 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(bytes: &[u8], counter: u64) -> Result<Self, RenewError> {
        let bad = |_| RenewError::Unbound;
        let mut r = Reader::new(bytes);
        if r.u8("version").map_err(bad)? != 1 {
            return Err(RenewError::Unbound);
        }
        let threshold = r.u32("threshold").map_err(bad)?;
        let generation = r.u32("generation").map_err(bad)?;
        let sequence = r.u64("sequence").map_err(bad)?;
        if sequence < counter {
            return Err(RenewError::StaleState { sequence, counter });
        }
        let seed = ChainSeed::from_bytes(*Zeroizing::new(r.array("seed").map_err(bad)?));
        let bound = r.bool("digest flag").map_err(bad)?;
        let digest = Digest::from_bytes(r.array("digest").map_err(bad)?);
        if !bound && digest != Digest::from_bytes([0; 32]) {
            return Err(RenewError::Unbound);
        }
        let len = r.u16("pebbler length").map_err(bad)?;
        let peb = r.take("pebbler", usize::from(len)).map_err(bad)?;
        let pebbler = Pebbler::<H>::decode(peb).map_err(|_| RenewError::Unbound)?;
        let last_link = if r.bool("link flag").map_err(bad)? {
            Some(RenewalLink::read(&mut r).map_err(bad)?)
        } else {
            None
        };
        r.finish().map_err(bad)?;
        if threshold >= pebbler.params().length()
            || usize::try_from(generation).map_or(true, |g| g > MAX_CASCADE)
        {
            return Err(RenewError::Unbound);
        }
        let key = ots_key(&seed, pebbler.params(), generation).public_key();
        Ok(Self {
            seed,
            pebbler,
            generation,
            threshold,
            sequence,
            digest: bound.then_some(digest),
            key,
            last_link,
        })
    }
}

#[cfg(feature = "alloc")]
mod with_alloc {
    use alloc::vec::Vec;

    use super::*;
    use crate::broker::{Broker, Ledger, LedgerEntry, RedeemError};
    use crate::chain::{Payword, Word};
    use crate::message::{Certificate, VendorId};
    use crate::session::{ChainState, check_signed};
    use crate::sign::PublicKey;
    use crate::wire::read_list;

    /// Writes an optional payword: `0`, or `1 ‖ index (≥ 1) ‖ word`.
    fn write_last(p: Option<&Payword>, w: &mut Writer<'_>) {
        match p {
            None => w.put_u8(0),
            Some(p) => {
                w.put_u8(1);
                w.put_u32(p.index());
                w.put(p.word().as_bytes());
            }
        }
    }

    fn read_last(r: &mut Reader<'_>) -> Result<Option<Payword>, DecodeError> {
        if !r.bool("payword flag")? {
            return Ok(None);
        }
        let index = r.u32("index")?;
        if index == 0 {
            return Err(DecodeError::NonCanonical { field: "index" });
        }
        Ok(Some(Payword::new(
            index,
            Word::from_bytes(r.array("word")?),
        )))
    }

    /// One renewed chain of a cascade: the link that started it and the
    /// highest payword received on it.
    ///
    /// # Examples
    ///
    /// See [`CascadeClaim`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct RenewedChain {
        /// The link to this chain.
        pub link: RenewalLink,
        /// The highest payword received on it, if any.
        pub last: Option<Payword>,
    }

    /// A cascade claim (vendor → broker, wire tag `0x31`): the certificate,
    /// the commitment, the highest payword of the committed chain and, for
    /// each renewal (at most [`MAX_CASCADE`]), the link and the highest
    /// payword of the chain it started.
    ///
    /// # Examples
    ///
    /// Made by [`Session::cascade`](crate::Session::cascade) and redeemed by
    /// [`Broker::redeem_cascade`](crate::Broker::redeem_cascade) (whose docs
    /// have an example); see also `examples/digital_goods.rs`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CascadeClaim {
        /// The customer's certificate.
        pub certificate: Certificate,
        /// The customer's signed commitment (generation 0).
        pub commitment: Commitment,
        /// The highest payword of the committed chain, if any.
        pub first: Option<Payword>,
        /// The renewed chains, generation 1 first.
        pub renewals: Vec<RenewedChain>,
    }

    impl crate::wire::sealed::Sealed for CascadeClaim {}

    impl Encode for CascadeClaim {
        const TAG: u8 = tag::CASCADE_CLAIM;
        /// About 300 KiB (129 chains).
        const MAX_LEN: usize = 2
            + Certificate::MAX_LEN
            + Commitment::MAX_LEN
            + 37
            + 2
            + MAX_CASCADE * (RenewalLink::MAX_LEN + 37);

        fn write_fields(&self, w: &mut Writer<'_>) {
            self.certificate.write(w);
            self.commitment.write(w);
            write_last(self.first.as_ref(), w);
            w.put_u16(u16::try_from(self.renewals.len()).unwrap_or(u16::MAX));
            for r in &self.renewals {
                r.link.write(w);
                write_last(r.last.as_ref(), w);
            }
        }

        fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
            let certificate = Certificate::read(r)?;
            let commitment = Commitment::read(r)?;
            let first = read_last(r)?;
            let renewals = read_list(r, "renewals", MAX_CASCADE as u16, |r| {
                Ok(RenewedChain {
                    link: RenewalLink::read(r)?,
                    last: read_last(r)?,
                })
            })?;
            Ok(Self {
                certificate,
                commitment,
                first,
                renewals,
            })
        }
    }

    /// Proof that a customer's one-time key signed two different renewal
    /// links (wire tag `0x32`): the certificate, the commitment, the links
    /// from the commitment to the chain whose key signed twice (`path`), and
    /// the two links.
    ///
    /// Everything in it is signed by the broker (certificate) or the customer
    /// (commitment, links), so it never blames a customer whose wallet
    /// followed the rules: the honest [`RenewingWallet`] signs one link per
    /// key. Verified offline with the broker's public key.
    ///
    /// # Examples
    ///
    /// Vendors build it with
    /// [`Session::ots_reuse_proof`](crate::Session::ots_reuse_proof), brokers
    /// get it from [`Broker::redeem_cascade`](crate::Broker::redeem_cascade).
    /// Here a dishonest customer, who made its renewal key by hand, signs two
    /// links with it:
    ///
    /// ```
    /// use payword::renew::{LinkFields, OtsReuseProof, RenewalLink, RENEWAL_LMOTS};
    /// use payword::{chain, Anchor, ChainId, ChainParams, ChainSeed, Commitment,
    ///     CommitmentFields, CommittedChain, HashAlg, LmotsPrivateKey, Sha256, VendorId};
    /// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
    /// # use ed25519_dalek::SigningKey;
    /// # use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let anchor = chain::anchor::<Sha256>(&ChainSeed::from_bytes([6; 32]), &params)?;
    /// let key = || LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [5; 16], 0, &[7; 32]);
    /// let commitment = Commitment::sign(CommitmentFields {
    ///     certificate: cert.digest(), vendor: VendorId::from_bytes([8; 32]), unit_value: 1,
    ///     valid_from: 0, expires: 100,
    ///     chain: CommittedChain::Single { params, anchor },
    ///     renewal: Some(key().public_key()),
    /// }, &customer)?;
    /// let fields = LinkFields {
    ///     previous: commitment.digest(),
    ///     generation: 1,
    ///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([9; 16]), 4)?,
    ///     anchor: Anchor::from_bytes([10; 32]),
    ///     key: LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [9; 16], 1, &[11; 32]).public_key(),
    ///     window: None,
    /// };
    /// let first = RenewalLink::sign(fields, key(), &mut rng)?;
    /// let other = LinkFields { anchor: Anchor::from_bytes([12; 32]), ..fields };
    /// let second = RenewalLink::sign(other, key(), &mut rng)?; // the same key, again
    /// let proof = OtsReuseProof { certificate: cert, commitment, path: vec![], first, second };
    /// assert_eq!(proof.verify(&broker.public_key()), Ok(0)); // key 0 signed twice
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct OtsReuseProof {
        /// The customer's certificate.
        pub certificate: Certificate,
        /// The customer's signed commitment.
        pub commitment: Commitment,
        /// Links from the commitment to the chain whose key signed twice
        /// (empty if it is the commitment's chain).
        pub path: Vec<RenewalLink>,
        /// One link signed by that key.
        pub first: RenewalLink,
        /// Another, different link signed by the same key.
        pub second: RenewalLink,
    }

    impl OtsReuseProof {
        /// Checks the proof: the certificate and commitment verify, the
        /// `path` links verify one after the other from the commitment, and
        /// `first` and `second` are different links (in content, or only in
        /// their signature: the same link signed again with another
        /// randomizer also reveals more of the key) that both continue the
        /// last chain of the path and both verify under its one-time key.
        /// Returns the generation of the key that signed twice.
        ///
        /// # Cost
        ///
        /// Two Ed25519 verifications and `path.len() + 2` LM-OTS
        /// verifications (the path is at most [`MAX_CASCADE`] links, checked
        /// first).
        ///
        /// # Errors
        ///
        /// [`RenewError`] naming the first check that failed;
        /// [`RenewError::SameLink`] if the two links are the same.
        ///
        /// # Examples
        ///
        /// See [`OtsReuseProof`].
        pub fn verify(&self, broker_key: &PublicKey) -> Result<u32, RenewError> {
            if self.path.len() >= MAX_CASCADE {
                return Err(RenewError::Exhausted);
            }
            check_signed(broker_key, &self.certificate, &self.commitment)?;
            let mut key = commitment_key(&self.commitment)?;
            let mut previous = self.commitment.digest();
            for link in &self.path {
                if link.fields.previous != previous {
                    return Err(RenewError::WrongPrevious);
                }
                link.verify(&key)?;
                previous = link.digest();
                key = link.fields.key;
            }
            if self.first == self.second {
                return Err(RenewError::SameLink);
            }
            if self.first.fields.previous != previous || self.second.fields.previous != previous {
                return Err(RenewError::WrongPrevious);
            }
            self.first.verify(&key)?;
            self.second.verify(&key)?;
            Ok(key.q())
        }
    }

    impl crate::wire::sealed::Sealed for OtsReuseProof {}

    impl Encode for OtsReuseProof {
        const TAG: u8 = tag::OTS_REUSE_PROOF;
        /// About 300 KiB.
        const MAX_LEN: usize = 2
            + Certificate::MAX_LEN
            + Commitment::MAX_LEN
            + 2
            + (MAX_CASCADE + 1) * RenewalLink::MAX_LEN;

        fn write_fields(&self, w: &mut Writer<'_>) {
            self.certificate.write(w);
            self.commitment.write(w);
            w.put_u16(u16::try_from(self.path.len()).unwrap_or(u16::MAX));
            for l in &self.path {
                l.write(w);
            }
            self.first.write(w);
            self.second.write(w);
        }

        fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
            let certificate = Certificate::read(r)?;
            let commitment = Commitment::read(r)?;
            let path = read_list(r, "path", (MAX_CASCADE - 1) as u16, RenewalLink::read)?;
            Ok(Self {
                certificate,
                commitment,
                path,
                first: RenewalLink::read(r)?,
                second: RenewalLink::read(r)?,
            })
        }
    }

    /// Why a cascade claim was refused. A refused claim changes nothing in
    /// the ledger.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::CascadeError;
    ///
    /// let e = CascadeError::TooLong { length: 200, max: 128 };
    /// assert_eq!(e.to_string(), "cascade of 200 links is over the limit 128");
    /// ```
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum CascadeError {
        /// The commitment's part failed (broker, signatures, vendor, time).
        Redeem(RedeemError),
        /// The link to chain `generation` (or that chain's payword) was
        /// refused.
        Renewal {
            /// The generation of the chain.
            generation: u32,
            /// Why.
            error: RenewError,
        },
        /// More links than [`MAX_CASCADE`].
        TooLong {
            /// Links in the claim.
            length: usize,
            /// The limit.
            max: usize,
        },
        /// The paywords need more chain steps than the broker's claim budget.
        OverBudget {
            /// Steps needed.
            needed: u64,
            /// The budget.
            limit: u32,
        },
        /// A link of the claim and a link the ledger already redeemed are
        /// different but continue the same chain: its one-time key signed
        /// twice. The proof is built from the claim and the ledger.
        OtsReuse(alloc::boxed::Box<OtsReuseProof>),
    }

    impl fmt::Display for CascadeError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Self::Redeem(e) => write!(f, "{e}"),
                Self::Renewal { generation, error } => {
                    write!(f, "chain {generation} refused: {error}")
                }
                Self::TooLong { length, max } => {
                    write!(f, "cascade of {length} links is over the limit {max}")
                }
                Self::OverBudget { needed, limit } => {
                    write!(f, "claim needs {needed} chain steps, budget is {limit}")
                }
                Self::OtsReuse(p) => write!(
                    f,
                    "one-time key of chain {} signed two different links",
                    p.path.len()
                ),
            }
        }
    }

    impl core::error::Error for CascadeError {
        fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
            match self {
                Self::Redeem(e) => Some(e),
                Self::Renewal { error, .. } => Some(error),
                _ => None,
            }
        }
    }

    impl From<RedeemError> for CascadeError {
        fn from(e: RedeemError) -> Self {
            Self::Redeem(e)
        }
    }

    /// The outcome of an accepted cascade claim.
    ///
    /// # Examples
    ///
    /// See [`Broker::redeem_cascade`](crate::Broker::redeem_cascade).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct CascadeRedemption {
        /// The commitment (generation 0) redeemed.
        pub commitment: Digest,
        /// Chains in the cascade (links + 1).
        pub chains: usize,
        /// Value newly owed to the vendor by this claim.
        pub owed: u64,
        /// Units recorded in total for the chains this claim names, after
        /// it (a claim that stops at an earlier generation does not count the
        /// later chains).
        pub units: u64,
        /// Whether the certificate's credit limit cut the amount owed.
        pub over_limit: bool,
    }

    /// The ledger key under which the renewed chains of the commitment with
    /// digest `commitment` are filed (never a certificate digest: it is a
    /// message digest with the cascade-claim tag).
    fn cascade_key(commitment: &Digest) -> Digest {
        message_digest(tag::CASCADE_CLAIM, commitment.as_bytes())
    }

    /// One chain of a cascade, as checked before any payword hashing.
    struct Planned {
        key: Digest,
        params: ChainParams,
        anchor: Anchor,
        recorded: Option<LedgerEntry>,
        claimed: Option<Payword>,
    }

    impl<L: Ledger> Broker<L> {
        /// Redeems a cascade claim presented by `vendor` at time `now`.
        ///
        /// Checks the commitment as [`redeem`](Self::redeem) does, then each
        /// link (continues the previous chain, right generation, key and
        /// window, one-time signature under the previous chain's key), then
        /// that no link continues a chain differently from a link the ledger
        /// already redeemed ([`Ledger::link`]), then each chain's highest
        /// payword against the ledger.
        ///
        /// **Ledger.** Each chain is keyed by its own digest: the
        /// commitment's for generation 0 (filed under the certificate, as a
        /// plain claim is), each link's after that (filed under a per-cascade
        /// key, so [`OverspendProof`](crate::OverspendProof)s built from the
        /// certificate's entries stay valid). Redemption is idempotent and
        /// order-free per chain. The commitment's entry's `credited` counts
        /// the value credited over the whole cascade; each link entry's counts
        /// its chain's share.
        ///
        /// **Credit.** The certificate's credit limit bounds what is owed over
        /// all of its commitments and cascades. A cascade past the limit is
        /// paid up to it and reports
        /// [`over_limit`](CascadeRedemption::over_limit); no
        /// [`OverspendProof`](crate::OverspendProof) is built for renewed
        /// chains (that proof names plain commitments only).
        ///
        /// # Cost
        ///
        /// Checked in this order, each bound before the work: the cascade
        /// length (at most [`MAX_CASCADE`]); two Ed25519 verifications; a
        /// 164-byte digest per link; the payword steps against the broker's
        /// claim budget (from the ledger's records, before any hashing); one
        /// LM-OTS verification per link (at most 1005 chain steps each); the
        /// payword steps. A duplicate claim costs no payword hash. The fork
        /// check is one ledger look-up per link.
        ///
        /// # Errors
        ///
        /// [`CascadeError`]; the ledger is unchanged.
        /// [`CascadeError::OtsReuse`] carries the proof that the customer's
        /// one-time key signed both the redeemed link and the claim's.
        ///
        /// # Examples
        ///
        /// ```
        /// use payword::renew::RenewingWallet;
        /// use payword::{Broker, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields,
        ///     HashAlg, MemoryLedger, Session, Sha256, VendorId};
        /// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
        /// # use ed25519_dalek::SigningKey;
        /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
        /// # let broker_id = BrokerId::from_bytes([3; 32]);
        /// # let cert = Certificate::issue(CertificateFields {
        /// #     broker: broker_id, serial: 1,
        /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
        /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
        /// # }, &broker)?;
        /// let vendor = VendorId::from_bytes([7; 32]);
        /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 10)?;
        /// let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
        /// let commitment = Commitment::sign(CommitmentFields {
        ///     certificate: cert.digest(), vendor, unit_value: 2, valid_from: 0, expires: 100,
        ///     chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
        /// }, &customer)?;
        /// wallet.bind(&commitment)?;
        /// let mut session = Session::open(vendor, &broker.public_key(), cert, commitment, 10, 0)?;
        /// for _ in 0..35 {
        ///     let out = wallet.pay()?;
        ///     if let Some(link) = &out.link {
        ///         session.renew(link, 10)?;
        ///     }
        ///     session.pay(&out.payment, 10)?;
        /// }
        /// let claim = session.cascade().expect("paid");
        /// let mut b = Broker::new(broker_id, broker.public_key(), MemoryLedger::new(), 60);
        /// let r = b.redeem_cascade(&claim, &vendor, 50)?;
        /// assert_eq!((r.chains, r.units, r.owed), (4, 35, 70));
        /// assert_eq!(b.redeem_cascade(&claim, &vendor, 50)?.owed, 0); // idempotent
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn redeem_cascade(
            &mut self,
            claim: &CascadeClaim,
            vendor: &VendorId,
            now: u64,
        ) -> Result<CascadeRedemption, CascadeError> {
            let links = claim.renewals.len();
            if links > MAX_CASCADE {
                return Err(CascadeError::TooLong {
                    length: links,
                    max: MAX_CASCADE,
                });
            }
            let (certificate, commitment) = (&claim.certificate, &claim.commitment);
            if certificate.fields().broker != self.id {
                return Err(RedeemError::WrongBroker.into());
            }
            check_signed(&self.key, certificate, commitment).map_err(RedeemError::from)?;
            let mf = commitment.fields();
            if mf.vendor != *vendor {
                return Err(RedeemError::from(SessionError::WrongVendor).into());
            }
            let grace = self.grace;
            let check_time = |w: Window| {
                if now < w.valid_from {
                    Err(SessionError::NotYetValid)
                } else if now > w.expires.saturating_add(grace) {
                    Err(SessionError::Expired)
                } else {
                    Ok(())
                }
            };
            let mut window = Window {
                valid_from: mf.valid_from,
                expires: mf.expires,
            };
            check_time(window).map_err(RedeemError::from)?;
            let cdigest = commitment.digest();
            let CommittedChain::Single { params, anchor } = mf.chain else {
                if links == 0 {
                    // A purse commitment has no cascade; use `redeem`.
                    return Err(RedeemError::from(SessionError::WrongCommitment).into());
                }
                return Err(CascadeError::Renewal {
                    generation: 1,
                    error: RenewError::NotRenewable,
                });
            };
            let cf = certificate.fields();
            let cert_window = Window {
                valid_from: cf.valid_from,
                expires: cf.expires,
            };
            let overflow = |params: &ChainParams| {
                u64::from(params.length())
                    .checked_mul(mf.unit_value)
                    .map(|_| ())
                    .ok_or(SessionError::Overflow)
            };
            overflow(&params).map_err(RedeemError::from)?;

            // Structure of every link, and the plan of every chain.
            let mut plan = Vec::with_capacity(links.saturating_add(1));
            plan.push(Planned {
                key: cdigest,
                params,
                anchor,
                recorded: self.ledger.entry(&cdigest),
                claimed: claim.first,
            });
            let mut previous = cdigest;
            let mut key = if links > 0 {
                Some(
                    commitment_key(commitment).map_err(|error| CascadeError::Renewal {
                        generation: 1,
                        error,
                    })?,
                )
            } else {
                None
            };
            let mut keys = Vec::with_capacity(links);
            for (i, r) in claim.renewals.iter().enumerate() {
                let generation = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
                let err = |error| CascadeError::Renewal { generation, error };
                let f = &r.link.fields;
                let k = key.ok_or(err(RenewError::NotRenewable))?;
                if f.previous != previous {
                    return Err(err(RenewError::WrongPrevious));
                }
                if k.params() != RENEWAL_LMOTS || r.link.signature.params() != RENEWAL_LMOTS {
                    return Err(err(RenewError::UnsupportedParams));
                }
                check_fields(f, k.q()).map_err(err)?;
                if k.q().checked_add(1) != Some(generation) {
                    return Err(err(RenewError::WrongGeneration {
                        expected: generation,
                        found: f.generation,
                    }));
                }
                if let Some(w) = f.window {
                    if !w.is_within(&cert_window) {
                        return Err(err(RenewError::OutsideCertificate));
                    }
                    window = w;
                }
                check_time(window).map_err(|e| err(e.into()))?;
                overflow(&f.params).map_err(|e| err(e.into()))?;
                let digest = r.link.digest();
                plan.push(Planned {
                    key: digest,
                    params: f.params,
                    anchor: f.anchor,
                    recorded: self.ledger.entry(&digest),
                    claimed: r.last,
                });
                keys.push(k);
                previous = digest;
                key = Some(f.key);
            }

            // Payword budget, before any payword hashing.
            let mut needed: u64 = 0;
            for p in &plan {
                let recorded = recorded_index(p.recorded.as_ref());
                if let Some(c) = p.claimed
                    && c.index() > recorded
                {
                    needed = needed.saturating_add(u64::from(c.index() - recorded));
                }
            }
            if needed > u64::from(self.limit) {
                return Err(CascadeError::OverBudget {
                    needed,
                    limit: self.limit,
                });
            }

            // One-time signatures.
            for (i, (r, k)) in claim.renewals.iter().zip(&keys).enumerate() {
                let generation = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
                let digest = plan.get(i + 1).map(|p| p.key).unwrap_or(previous);
                k.verify(digest.as_bytes(), &r.link.signature)
                    .map_err(|_| CascadeError::Renewal {
                        generation,
                        error: RenewError::BadSignature,
                    })?;
            }

            // A link the ledger knows that continues the same chain
            // differently: the one-time key signed twice.
            for (i, r) in claim.renewals.iter().enumerate() {
                if let Some(known) = self.ledger.link(&r.link.fields.previous)
                    && known != r.link
                {
                    return Err(CascadeError::OtsReuse(alloc::boxed::Box::new(
                        OtsReuseProof {
                            certificate: *certificate,
                            commitment: *commitment,
                            path: claim
                                .renewals
                                .iter()
                                .take(i)
                                .map(|r| r.link.clone())
                                .collect(),
                            first: known,
                            second: r.link.clone(),
                        },
                    )));
                }
            }

            // Paywords.
            let mut updates = Vec::with_capacity(plan.len());
            let mut value: u64 = 0;
            let mut units_total: u64 = 0;
            for (g, p) in plan.iter().enumerate() {
                let generation = u32::try_from(g).unwrap_or(u32::MAX);
                let err = |e: SessionError| {
                    if g == 0 {
                        CascadeError::Redeem(e.into())
                    } else {
                        CascadeError::Renewal {
                            generation,
                            error: e.into(),
                        }
                    }
                };
                let chain = CommittedChain::Single {
                    params: p.params,
                    anchor: p.anchor,
                };
                let recorded = p.recorded.as_ref().map(|e| e.paid);
                let before = recorded_index(p.recorded.as_ref());
                let mut units = u64::from(before);
                match p.claimed {
                    Some(c) if c.index() > before => {
                        let mut state =
                            ChainState::new(&chain, recorded.as_ref(), self.limit).map_err(err)?;
                        state.accept(&PaymentBody::Single(c)).map_err(err)?;
                        units = state.paid();
                        let v = units
                            .saturating_sub(u64::from(before))
                            .saturating_mul(mf.unit_value);
                        value = value.saturating_add(v);
                        updates.push((g, c, units, v));
                    }
                    _ => {}
                }
                units_total = units_total.saturating_add(units);
            }

            // Credit, then the ledger (nothing was written before this point).
            let cert_digest = certificate.digest();
            let available = self.multi.available(
                cf.credit_limit,
                self.ledger.credited(&cert_digest),
                &cert_digest,
                &cdigest,
                now,
            );
            let owed = value.min(available);
            if !updates.is_empty() {
                let mut left = owed;
                let mut first_entry = None;
                for &(g, c, units, v) in &updates {
                    let share = v.min(left);
                    left -= share;
                    let Some(p) = plan.get(g) else { continue };
                    let entry = LedgerEntry {
                        certificate: *certificate,
                        commitment: *commitment,
                        paid: PaymentBody::Single(c),
                        units,
                        credited: p.recorded.map_or(0, |e| e.credited).saturating_add(share),
                    };
                    if g == 0 {
                        first_entry = Some(entry);
                    } else {
                        self.ledger.store(&cascade_key(&cdigest), &p.key, entry, 0);
                    }
                }
                // The commitment's entry carries the whole cascade's credit.
                let recorded = plan.first().and_then(|p| p.recorded);
                let mut entry = first_entry.unwrap_or_else(|| {
                    recorded.unwrap_or(LedgerEntry {
                        certificate: *certificate,
                        commitment: *commitment,
                        paid: PaymentBody::Single(Payword::new(0, anchor.as_word())),
                        units: 0,
                        credited: 0,
                    })
                });
                entry.credited = recorded.map_or(0, |e| e.credited).saturating_add(owed);
                self.ledger.store(&cert_digest, &cdigest, entry, owed);
            }
            self.multi.use_reservation(&cert_digest, &cdigest, owed);
            for r in &claim.renewals {
                self.ledger.store_link(&r.link);
            }
            Ok(CascadeRedemption {
                commitment: cdigest,
                chains: plan.len(),
                owed,
                units: units_total,
                over_limit: value > available,
            })
        }
    }

    fn recorded_index(e: Option<&LedgerEntry>) -> u32 {
        match e.map(|e| &e.paid) {
            Some(PaymentBody::Single(p)) => p.index(),
            _ => 0,
        }
    }
}

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
