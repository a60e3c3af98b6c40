//! Stateful LMS signing (RFC 8554, section 5): a many-time hash-based key
//! that can never sign two messages with one leaf through this API.
//!
//! An LMS key of height `h` has `2^h` LM-OTS leaves; leaf `q` may sign one
//! message, ever. [`LmsSigningKey`] keeps the next unused leaf and makes that
//! counter durable **before** it releases a signature (store-before-sign):
//! [`LmsSigningKey::sign`] advances the counter in memory, asks the
//! [`LmsStateStore`] to persist the new state, and only then computes the
//! signature. If the store fails, the leaf is burned, not reused: no
//! signature leaves the key, and the next call takes the next leaf.
//!
//! Persisting on every signature costs one durable write each; with
//! [`LmsSigningKey::with_reserve`] the key persists a bound `k` leaves ahead
//! and signs the next `k` without writing (a crash loses at most the `k`
//! unused leaves of the reservation, never reuses one).
//!
//! Resuming checks the saved state against a floor that comes from
//! somewhere the state file cannot roll back (a hardware monotonic counter,
//! the highest leaf a verifier has seen): a restored backup older than the
//! floor is refused ([`LmsKeyError::Rollback`]).
//!
//! Key generation follows RFC 8554, Appendix A: leaf `q`'s secret words are
//! `H(I ‖ u32str(q) ‖ u16str(i) ‖ u8str(0xff) ‖ SEED)`. The randomizer `C`
//! of leaf `q` is derived the same way with `i = 0xfffd` (as the reference
//! implementation, cisco/hash-sigs, and the `hbs-lms` crate derive it:
//! `tests/lms_sign.rs` checks byte-identical keys and signatures), so
//! signing needs no RNG (a leaf signs once, so determinism reveals nothing).
//!
//! The key keeps every node of its tree (`2^(h+1)` hashes of 32 bytes:
//! 64 KiB at `h = 10`, 2 MiB at `h = 15`), computed once when the key is
//! made or resumed: `2^h` LM-OTS public keys, about `2^h · p · 2^w`
//! compressions. Heights up to [`MAX_SIGNING_HEIGHT`] can sign; taller
//! trees (H20, H25) are verified ([`LmsPublicKey::verify`]) but not made
//! here.
//!
//! # Example
//!
//! ```
//! use payword::lmots::lms::{LmsParams, lms_verify};
//! use payword::lmots::signer::{LmsKeyError, LmsSigningKey, MemoryLmsStore};
//! use payword::lmots::LmotsParams;
//!
//! let mut key = LmsSigningKey::from_seed(
//!     LmsParams::Sha256M32H5,
//!     LmotsParams::Sha256N32W4,
//!     [1; 16],
//!     &[2; 32],
//! )?;
//! let mut store = MemoryLmsStore::new();
//! let public = key.public_key();
//! let sig = key.sign(&mut store, b"a commitment")?;
//! lms_verify(&public.to_bytes(), b"a commitment", &sig)?;
//! assert_eq!((key.next_leaf(), key.remaining()), (1, 31));
//!
//! // The store holds the advanced counter: a key resumed from it goes on
//! // at leaf 1, and an older state is refused.
//! let saved = store.state().unwrap();
//! let resumed = LmsSigningKey::resume(&saved[..], 1)?;
//! assert_eq!(resumed.next_leaf(), 1);
//! assert!(matches!(
//!     LmsSigningKey::resume(&saved[..], 2),
//!     Err(LmsKeyError::Rollback { .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::lms::{LmsParams, LmsPublicKey, interior_hash, leaf_hash};
use super::{ID_LEN, LmotsParams, LmotsPrivateKey, N, SEED_DERIVE_J};
use crate::hash::sha256_one_block;

/// The tallest tree this module signs with (`h = 15`: 32,768 signatures,
/// 2 MiB of cached nodes).
pub const MAX_SIGNING_HEIGHT: u8 = 15;

/// The `i` of the randomizer derivation (beyond every chain index).
const RANDOMIZER_I: u16 = 0xfffd;

/// The first byte of an encoded key state.
const STATE_TAG: u8 = 0x53;
/// The version of the key-state encoding.
const STATE_VERSION: u8 = 1;

/// The length of an encoded key state: tag, version, LMS and LM-OTS
/// typecodes, `I`, `SEED`, next leaf.
pub const STATE_LEN: usize = 2 + 4 + 4 + ID_LEN + N + 4;

/// Why a signing key could not be made, resumed or used.
///
/// # Examples
///
/// ```
/// use payword::lmots::signer::{LmsKeyError, LmsSigningKey};
///
/// assert_eq!(
///     LmsSigningKey::resume(&[0x53, 9], 0).unwrap_err(),
///     LmsKeyError::WrongLength { expected: 62, actual: 2 }
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LmsKeyError {
    /// A tree taller than [`MAX_SIGNING_HEIGHT`]: verified, not signed with.
    HeightNotSupported {
        /// The tree height asked for.
        height: u8,
    },
    /// An encoded state of the wrong length.
    WrongLength {
        /// [`STATE_LEN`].
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// An encoded state with another tag or version.
    NotAState,
    /// A typecode that names no parameter set.
    UnknownTypecode {
        /// The typecode read.
        typecode: u32,
    },
    /// A state whose next leaf is past the end of its tree.
    LeafOutOfRange {
        /// The next leaf read.
        next: u32,
        /// The number of leaves of the tree.
        leaves: u32,
    },
    /// The state is older than the floor it was resumed against: it would
    /// sign again with leaves already used.
    Rollback {
        /// The next leaf of the state.
        state: u32,
        /// The lowest next leaf allowed.
        floor: u32,
    },
    /// An LM-OTS set the protocol's signatures do not carry (W1, W2): for
    /// [`LmsSigner`](crate::LmsSigner).
    OtsNotSupported {
        /// The LM-OTS typecode of the key.
        typecode: u32,
    },
    /// Every leaf has signed: the key signs nothing more.
    Exhausted {
        /// The number of leaves of the tree.
        leaves: u32,
    },
}

impl fmt::Display for LmsKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeightNotSupported { height } => write!(
                f,
                "tree height {height} is taller than {MAX_SIGNING_HEIGHT}, the tallest this signer keeps"
            ),
            Self::WrongLength { expected, actual } => {
                write!(f, "key state of {actual} bytes, expected {expected}")
            }
            Self::NotAState => f.write_str("not an LMS key state (tag or version)"),
            Self::UnknownTypecode { typecode } => write!(f, "unknown typecode {typecode}"),
            Self::LeafOutOfRange { next, leaves } => {
                write!(
                    f,
                    "next leaf {next} is past the {leaves} leaves of the tree"
                )
            }
            Self::Rollback { state, floor } => write!(
                f,
                "key state at leaf {state} is older than the floor {floor}: refusing to reuse leaves"
            ),
            Self::Exhausted { leaves } => write!(f, "all {leaves} leaves have signed"),
            Self::OtsNotSupported { typecode } => write!(
                f,
                "LM-OTS typecode {typecode}: protocol signatures use W4 (3) or W8 (4)"
            ),
        }
    }
}

impl core::error::Error for LmsKeyError {}

/// Why [`LmsSigningKey::sign`] released no signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LmsSignError<E> {
    /// The key cannot sign (exhausted).
    Key(LmsKeyError),
    /// The store could not make the advanced state durable. The leaf that
    /// was to sign is burned: the next call uses the one after it.
    Store(E),
    /// The signer was asked to sign while it was signing (its store called
    /// back into it): nothing was signed.
    Busy,
    /// A thread panicked while signing with a shared signer
    /// ([`SharedLmsSigner`](crate::SharedLmsSigner)): the key's state is not
    /// trusted any more and the signer refuses to sign, for good. Resume the
    /// key from its store.
    Poisoned,
    /// The output buffer is shorter than the signature.
    BufferTooSmall {
        /// The signature's length.
        needed: usize,
    },
}

impl<E: fmt::Display> fmt::Display for LmsSignError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(e) => write!(f, "{e}"),
            Self::Store(e) => write!(f, "key state not saved, nothing signed: {e}"),
            Self::BufferTooSmall { needed } => {
                write!(f, "signature needs {needed} bytes of output")
            }
            Self::Busy => f.write_str("the signer is already signing"),
            Self::Poisoned => {
                f.write_str("a thread panicked while signing: the signer is poisoned")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for LmsSignError<E> {}

impl<E> From<LmsKeyError> for LmsSignError<E> {
    fn from(e: LmsKeyError) -> Self {
        Self::Key(e)
    }
}

/// Where a signing key's state is made durable.
///
/// [`save`](Self::save) must return only once `state` would survive a crash
/// (written and synced), and must accept a state of the key it holds only if
/// its [`next_leaf`](LmsKeyState::next_leaf) is higher than the one held
/// ([`check_monotonic`]): an equal or lower one comes from a second signer
/// or an old copy. The key calls
/// it before every signature that uses a leaf beyond the last saved bound.
pub trait LmsStateStore {
    /// Why saving failed.
    type Error;

    /// Durably records `state`.
    ///
    /// # Errors
    ///
    /// The store's error: the key then releases no signature.
    fn save(&mut self, state: &LmsKeyState) -> Result<(), Self::Error>;
}

impl<S: LmsStateStore + ?Sized> LmsStateStore for &mut S {
    type Error = S::Error;

    fn save(&mut self, state: &LmsKeyState) -> Result<(), Self::Error> {
        (**self).save(state)
    }
}

/// The secret, durable part of a signing key: parameter sets, `I`, `SEED`
/// and the next leaf that may sign. Zeroized on drop, never printed.
pub struct LmsKeyState {
    bytes: Zeroizing<[u8; STATE_LEN]>,
}

impl fmt::Debug for LmsKeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmsKeyState")
            .field("next_leaf", &self.next_leaf())
            .finish_non_exhaustive()
    }
}

impl LmsKeyState {
    /// The next leaf a key resumed from this state signs with.
    #[must_use]
    pub fn next_leaf(&self) -> u32 {
        u32::from_be_bytes([
            self.bytes[58],
            self.bytes[59],
            self.bytes[60],
            self.bytes[61],
        ])
    }

    /// The identifier `I` of the key.
    #[must_use]
    pub fn id(&self) -> [u8; ID_LEN] {
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&self.bytes[10..10 + ID_LEN]);
        id
    }

    /// The encoding (secret: it holds the seed): `0x53 ‖ 0x01 ‖ u32(lms
    /// type) ‖ u32(lmots type) ‖ I ‖ SEED ‖ u32(next leaf)`.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; STATE_LEN] {
        &self.bytes
    }
}

/// Keeps the newest state in memory: for tests, and as the monotonic
/// check a durable store also makes.
///
/// # Examples
///
/// ```
/// use payword::lmots::signer::{LmsSigningKey, LmsStateStore, MemoryLmsStore, StateRegression};
/// use payword::lmots::{lms::LmsParams, LmotsParams};
///
/// let key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, [1; 16], &[2; 32])?;
/// let mut store = MemoryLmsStore::new();
/// store.save(&key.state_at(5)).unwrap();
/// assert_eq!(store.save(&key.state_at(4)), Err(StateRegression { saved: 5, offered: 4 }));
/// # Ok::<(), payword::lmots::signer::LmsKeyError>(())
/// ```
#[derive(Default)]
pub struct MemoryLmsStore {
    state: Option<Zeroizing<[u8; STATE_LEN]>>,
    saves: u64,
}

impl fmt::Debug for MemoryLmsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryLmsStore")
            .field("saves", &self.saves)
            .finish_non_exhaustive()
    }
}

/// A store refused a state not newer than the one it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateRegression {
    /// The next leaf of the state held.
    pub saved: u32,
    /// The next leaf of the state offered.
    pub offered: u32,
}

impl fmt::Display for StateRegression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "state at leaf {} is not newer than the saved state at leaf {}",
            self.offered, self.saved
        )
    }
}

impl core::error::Error for StateRegression {}

impl MemoryLmsStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The newest state saved (secret bytes), if any.
    #[must_use]
    pub fn state(&self) -> Option<Zeroizing<[u8; STATE_LEN]>> {
        self.state.clone()
    }

    /// How many times a state was saved.
    #[must_use]
    pub const fn saves(&self) -> u64 {
        self.saves
    }
}

impl LmsStateStore for MemoryLmsStore {
    type Error = StateRegression;

    fn save(&mut self, state: &LmsKeyState) -> Result<(), StateRegression> {
        check_monotonic(self.state.as_deref(), state)?;
        self.state = Some(Zeroizing::new(*state.as_bytes()));
        self.saves = self.saves.saturating_add(1);
        Ok(())
    }
}

/// Refuses `new` if `held` is a state of the same key whose next leaf is not
/// lower. (A state of another key replaces it: the store holds one key.)
///
/// # Errors
///
/// [`StateRegression`] if `new` would move the key's counter back.
pub fn check_monotonic(
    held: Option<&[u8; STATE_LEN]>,
    new: &LmsKeyState,
) -> Result<(), StateRegression> {
    let Some(held) = held else { return Ok(()) };
    let same_key = bool::from(held[..58].ct_eq(&new.as_bytes()[..58]));
    let saved = u32::from_be_bytes([held[58], held[59], held[60], held[61]]);
    // Equal is refused too: no signer saves the same bound twice (each save
    // is past the leaf just taken), so an equal state comes from a second
    // key instance sharing this counter, which would sign those leaves again.
    if same_key && saved >= new.next_leaf() {
        return Err(StateRegression {
            saved,
            offered: new.next_leaf(),
        });
    }
    Ok(())
}

/// A stateful LMS private key (RFC 8554, section 5) with its tree.
///
/// Not `Clone`: one value owns the counter. Zeroizes its seed on drop.
pub struct LmsSigningKey {
    params: LmsParams,
    ots: LmotsParams,
    id: [u8; ID_LEN],
    /// On the heap, so that moving the key copies a pointer, never the seed.
    seed: Box<[u8; N]>,
    /// The next leaf to sign with.
    next: u32,
    /// Leaves below this bound are covered by the last saved state.
    saved: u32,
    /// Leaves saved ahead of use.
    reserve: u32,
    /// Node `r` of the tree at index `r` (root 1, leaves `2^h..2^(h+1)`).
    nodes: Vec<[u8; N]>,
}

impl Drop for LmsSigningKey {
    fn drop(&mut self) {
        self.seed.as_mut().zeroize();
    }
}

impl ZeroizeOnDrop for LmsSigningKey {}

impl fmt::Debug for LmsSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmsSigningKey")
            .field("params", &self.params)
            .field("ots", &self.ots)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl LmsSigningKey {
    /// A new key (next leaf 0) for tree `params` with leaves `ots`,
    /// identifier `id` and secret `seed` (RFC 8554, Appendix A).
    ///
    /// The same `(seed, id)` is the same key: make it once, then only
    /// [`resume`](Self::resume) it from its saved state.
    ///
    /// # Cost
    ///
    /// Builds the tree: `2^h` LM-OTS public keys and `2^h − 1` interior
    /// hashes (about 1.1 million compressions for H10 with W4).
    ///
    /// # Errors
    ///
    /// [`LmsKeyError::HeightNotSupported`] above [`MAX_SIGNING_HEIGHT`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::signer::LmsSigningKey;
    /// use payword::lmots::{lms::LmsParams, LmotsParams};
    ///
    /// let key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [3; 16], &[4; 32])?;
    /// assert_eq!(key.public_key().id(), &[3; 16]);
    /// assert_eq!(key.remaining(), 32);
    /// # Ok::<(), payword::lmots::signer::LmsKeyError>(())
    /// ```
    pub fn from_seed(
        params: LmsParams,
        ots: LmotsParams,
        id: [u8; ID_LEN],
        seed: &[u8; N],
    ) -> Result<Self, LmsKeyError> {
        Self::build(params, ots, id, seed, 0)
    }

    /// A new key with `I` and `SEED` from the caller's cryptographic RNG.
    ///
    /// # Cost
    ///
    /// As [`from_seed`](Self::from_seed), plus 48 bytes from `rng`.
    ///
    /// # Errors
    ///
    /// As [`from_seed`](Self::from_seed).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::signer::LmsSigningKey;
    /// use payword::lmots::{lms::LmsParams, LmotsParams};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// let a = LmsSigningKey::generate(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, &mut rng)?;
    /// let b = LmsSigningKey::generate(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, &mut rng)?;
    /// assert_ne!(a.public_key(), b.public_key());
    /// # Ok::<(), payword::lmots::signer::LmsKeyError>(())
    /// ```
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(
        params: LmsParams,
        ots: LmotsParams,
        rng: &mut R,
    ) -> Result<Self, LmsKeyError> {
        let mut id = [0u8; ID_LEN];
        rng.fill_bytes(&mut id);
        let mut seed = Zeroizing::new([0u8; N]);
        rng.fill_bytes(&mut *seed);
        Self::from_seed(params, ots, id, &seed)
    }

    /// Resumes a key from a saved state, refusing a state whose next leaf
    /// is below `floor`.
    ///
    /// `floor` must come from somewhere a restored backup cannot roll back:
    /// a monotonic counter, the highest leaf seen in a published signature
    /// plus one, or the store's own record. Pass 0 only when no such source
    /// exists.
    ///
    /// # Cost
    ///
    /// As [`from_seed`](Self::from_seed) (the tree is rebuilt).
    ///
    /// # Errors
    ///
    /// [`LmsKeyError::WrongLength`], [`NotAState`](LmsKeyError::NotAState),
    /// [`UnknownTypecode`](LmsKeyError::UnknownTypecode) and
    /// [`LeafOutOfRange`](LmsKeyError::LeafOutOfRange) for bytes that are no
    /// state, [`HeightNotSupported`](LmsKeyError::HeightNotSupported),
    /// [`Rollback`](LmsKeyError::Rollback) below `floor`.
    ///
    /// # Examples
    ///
    /// See the [module documentation](self).
    pub fn resume(state: &[u8], floor: u32) -> Result<Self, LmsKeyError> {
        let bytes: &[u8; STATE_LEN] = state.try_into().map_err(|_| LmsKeyError::WrongLength {
            expected: STATE_LEN,
            actual: state.len(),
        })?;
        if bytes[0] != STATE_TAG || bytes[1] != STATE_VERSION {
            return Err(LmsKeyError::NotAState);
        }
        let u32_at = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let typecode = u32_at(2);
        let params =
            LmsParams::from_typecode(typecode).ok_or(LmsKeyError::UnknownTypecode { typecode })?;
        let typecode = u32_at(6);
        let ots = LmotsParams::from_typecode(typecode)
            .ok_or(LmsKeyError::UnknownTypecode { typecode })?;
        let next = u32_at(58);
        if next > params.leaves() {
            return Err(LmsKeyError::LeafOutOfRange {
                next,
                leaves: params.leaves(),
            });
        }
        if next < floor {
            return Err(LmsKeyError::Rollback { state: next, floor });
        }
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&bytes[10..26]);
        let mut seed = Zeroizing::new([0u8; N]);
        seed.copy_from_slice(&bytes[26..58]);
        Self::build(params, ots, id, &seed, next)
    }

    fn build(
        params: LmsParams,
        ots: LmotsParams,
        id: [u8; ID_LEN],
        seed: &[u8; N],
        next: u32,
    ) -> Result<Self, LmsKeyError> {
        if params.h() > MAX_SIGNING_HEIGHT {
            return Err(LmsKeyError::HeightNotSupported { height: params.h() });
        }
        let leaves = params.leaves() as usize;
        let mut nodes = alloc::vec![[0u8; N]; 2 * leaves];
        for q in 0..params.leaves() {
            let r = params.leaves() + q;
            let k = LmotsPrivateKey::from_seed(ots, id, q, seed).public_key();
            if let Some(node) = nodes.get_mut(r as usize) {
                *node = leaf_hash(&id, r, k.k());
            }
        }
        for r in (1..leaves).rev() {
            let (left, right) = (nodes[2 * r], nodes[2 * r + 1]);
            nodes[r] = interior_hash(&id, r as u32, &left, &right);
        }
        Ok(Self {
            params,
            ots,
            id,
            seed: {
                // Allocated zeroed and filled in place: no stack copy.
                let mut b = Box::new([0u8; N]);
                b.copy_from_slice(seed);
                b
            },
            next,
            saved: next,
            reserve: 0,
            nodes,
        })
    }

    /// Saves the state `reserve` leaves ahead of use, so that the next
    /// `reserve` signatures need no write. A crash loses at most those
    /// leaves (they are never reused). 0 (the default) saves before every
    /// signature.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::signer::{LmsSigningKey, MemoryLmsStore};
    /// use payword::lmots::{lms::LmsParams, LmotsParams};
    ///
    /// let mut key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, [1; 16], &[2; 32])?
    ///     .with_reserve(7);
    /// let mut store = MemoryLmsStore::new();
    /// for _ in 0..10 {
    ///     key.sign(&mut store, b"m")?;
    /// }
    /// assert_eq!(store.saves(), 2); // before leaves 0 and 8
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_reserve(mut self, reserve: u32) -> Self {
        self.reserve = reserve;
        self
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> LmsPublicKey {
        let root = self.nodes.get(1).copied().unwrap_or_default();
        LmsPublicKey::new(self.params, self.ots, self.id, root)
    }

    /// The tree's parameter set.
    #[must_use]
    pub const fn params(&self) -> LmsParams {
        self.params
    }

    /// The leaves' parameter set.
    #[must_use]
    pub const fn ots_params(&self) -> LmotsParams {
        self.ots
    }

    /// The next leaf that signs.
    #[must_use]
    pub const fn next_leaf(&self) -> u32 {
        self.next
    }

    /// How many more messages the key can sign.
    #[must_use]
    pub const fn remaining(&self) -> u32 {
        self.params.leaves().saturating_sub(self.next)
    }

    /// The length of every signature the key makes.
    #[must_use]
    pub const fn signature_len(&self) -> usize {
        self.params.signature_len(self.ots)
    }

    /// The state a key resumed at leaf `next` would have (secret: holds the
    /// seed). What [`sign`](Self::sign) hands the store.
    #[must_use]
    pub fn state_at(&self, next: u32) -> LmsKeyState {
        let mut bytes = Zeroizing::new([0u8; STATE_LEN]);
        bytes[0] = STATE_TAG;
        bytes[1] = STATE_VERSION;
        bytes[2..6].copy_from_slice(&self.params.typecode().to_be_bytes());
        bytes[6..10].copy_from_slice(&self.ots.typecode().to_be_bytes());
        bytes[10..26].copy_from_slice(&self.id);
        bytes[26..58].copy_from_slice(self.seed.as_ref());
        bytes[58..62].copy_from_slice(&next.min(self.params.leaves()).to_be_bytes());
        LmsKeyState { bytes }
    }

    /// Signs `message` with the next leaf, writing the signature
    /// (`u32str(q) ‖ LM-OTS signature ‖ u32str(type) ‖ path`, RFC 8554,
    /// section 5.4) into `out`; returns its length.
    ///
    /// The leaf is taken first; if it is beyond the last saved bound, the
    /// advanced state is saved to `store`, and only then is the signature
    /// computed. A failed save burns the leaf.
    ///
    /// # Cost
    ///
    /// One LM-OTS signature (`p` seed derivations, at most `p·(2^w − 1)`
    /// chain steps), a copy of `h` path nodes, and a save when the reserve
    /// runs out.
    ///
    /// # Errors
    ///
    /// [`LmsSignError::Key`] with [`LmsKeyError::Exhausted`] when no leaf is
    /// left; [`LmsSignError::BufferTooSmall`] (before any leaf is taken);
    /// [`LmsSignError::Store`] if the save failed.
    pub fn sign_into<S: LmsStateStore + ?Sized>(
        &mut self,
        store: &mut S,
        message: &[u8],
        out: &mut [u8],
    ) -> Result<usize, LmsSignError<S::Error>> {
        let len = self.signature_len();
        let out = out
            .get_mut(..len)
            .ok_or(LmsSignError::BufferTooSmall { needed: len })?;
        let leaves = self.params.leaves();
        let q = self.next;
        if q >= leaves {
            return Err(LmsKeyError::Exhausted { leaves }.into());
        }
        self.next = q + 1;
        if q >= self.saved {
            let bound = self.next.saturating_add(self.reserve).min(leaves);
            store
                .save(&self.state_at(bound))
                .map_err(LmsSignError::Store)?;
            self.saved = bound;
        }

        let qb = q.to_be_bytes();
        let c = sha256_one_block::<55>(&[
            &self.id,
            &qb,
            &RANDOMIZER_I.to_be_bytes(),
            &[SEED_DERIVE_J],
            self.seed.as_ref(),
        ]);
        let ots_len = self.ots.signature_len();
        let (head, rest) = out.split_at_mut(4);
        head.copy_from_slice(&qb);
        let (ots_out, rest) = rest.split_at_mut(ots_len);
        LmotsPrivateKey::from_seed(self.ots, self.id, q, self.seed.as_ref())
            .sign_with_randomizer(c, message)
            .encode_into(ots_out)
            .map_err(|_| LmsSignError::BufferTooSmall { needed: len })?;
        let (ty, path) = rest.split_at_mut(4);
        ty.copy_from_slice(&self.params.typecode().to_be_bytes());
        let mut r = (leaves + q) as usize;
        for slot in path.chunks_exact_mut(N) {
            if let Some(sibling) = self.nodes.get(r ^ 1) {
                slot.copy_from_slice(sibling);
            }
            r /= 2;
        }
        Ok(len)
    }

    /// [`sign_into`](Self::sign_into) a fresh vector.
    ///
    /// # Errors
    ///
    /// As [`sign_into`](Self::sign_into).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::signer::{LmsKeyError, LmsSignError, LmsSigningKey, MemoryLmsStore};
    /// use payword::lmots::{lms::LmsParams, LmotsParams};
    ///
    /// let mut key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, [1; 16], &[2; 32])?;
    /// let mut store = MemoryLmsStore::new();
    /// for _ in 0..32 {
    ///     key.sign(&mut store, b"m")?;
    /// }
    /// assert!(matches!(
    ///     key.sign(&mut store, b"m"),
    ///     Err(LmsSignError::Key(LmsKeyError::Exhausted { leaves: 32 }))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign<S: LmsStateStore + ?Sized>(
        &mut self,
        store: &mut S,
        message: &[u8],
    ) -> Result<Vec<u8>, LmsSignError<S::Error>> {
        let mut out = alloc::vec![0u8; self.signature_len()];
        let len = self.sign_into(store, message, &mut out)?;
        out.truncate(len);
        Ok(out)
    }
}

/// A key-state file: written to a temporary file, synced, renamed over the
/// old one and the directory synced, so a crash leaves the old state or the
/// new one. Refuses to replace a state with an older state of the same key.
///
/// # Examples
///
/// ```
/// use payword::lmots::signer::{FileLmsStore, LmsSigningKey};
/// use payword::lmots::{lms::LmsParams, LmotsParams};
///
/// let dir = std::env::temp_dir().join(format!("lms-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let mut store = FileLmsStore::new(dir.join("broker.lms"));
/// let mut key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, [1; 16], &[2; 32])?;
/// key.sign(&mut store, b"m")?;
/// let again = LmsSigningKey::resume(&store.load()?[..], 0)?;
/// assert_eq!(again.next_leaf(), 1);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct FileLmsStore {
    path: std::path::PathBuf,
}

#[cfg(feature = "std")]
impl FileLmsStore {
    /// A store at `path` (created on the first save).
    #[must_use]
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The saved state (secret bytes).
    ///
    /// # Errors
    ///
    /// The I/O error of reading the file; `InvalidData` if it is not
    /// [`STATE_LEN`] bytes long.
    pub fn load(&self) -> std::io::Result<Zeroizing<[u8; STATE_LEN]>> {
        use std::io::Read as _;
        let mut file = std::fs::File::open(&self.path)?;
        let mut bytes = Zeroizing::new([0u8; STATE_LEN]);
        file.read_exact(&mut *bytes)?;
        let mut extra = [0u8; 1];
        if file.read(&mut extra)? != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "key state file is longer than a state",
            ));
        }
        Ok(bytes)
    }
}

#[cfg(feature = "std")]
impl LmsStateStore for FileLmsStore {
    type Error = std::io::Error;

    fn save(&mut self, state: &LmsKeyState) -> std::io::Result<()> {
        use std::io::Write as _;
        let held = match self.load() {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        check_monotonic(held.as_deref(), state)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        {
            // `create_new`: a second saver racing this one fails here instead
            // of both passing the check above (a `.tmp` left by a crash must
            // be removed by hand once no signer runs). Owner-only: the state
            // holds the seed.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            let written = file
                .write_all(state.as_bytes())
                .and_then(|()| file.sync_all());
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        }
        std::fs::rename(&tmp, &self.path)?;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lmots::lms::lms_verify;

    fn key(params: LmsParams, ots: LmotsParams) -> LmsSigningKey {
        LmsSigningKey::from_seed(params, ots, [0x11; 16], &[0x22; 32]).unwrap()
    }

    /// A store that fails on demand.
    struct Failing(bool);

    impl LmsStateStore for Failing {
        type Error = &'static str;

        fn save(&mut self, _: &LmsKeyState) -> Result<(), &'static str> {
            if self.0 { Err("disk full") } else { Ok(()) }
        }
    }

    #[test]
    fn every_leaf_signs_once_and_verifies() {
        let mut k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4);
        let public = k.public_key().to_bytes();
        let mut store = MemoryLmsStore::new();
        let mut leaves = Vec::new();
        for i in 0..32u32 {
            let msg = i.to_be_bytes();
            let sig = k.sign(&mut store, &msg).unwrap();
            assert_eq!(sig.len(), k.signature_len());
            lms_verify(&public, &msg, &sig).unwrap();
            assert!(lms_verify(&public, b"other", &sig).is_err());
            leaves.push(u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]));
        }
        assert_eq!(leaves, (0..32).collect::<Vec<_>>());
        assert_eq!(store.saves(), 32);
        assert_eq!(
            k.sign(&mut store, b"x"),
            Err(LmsSignError::Key(LmsKeyError::Exhausted { leaves: 32 }))
        );
    }

    #[test]
    fn a_failed_save_burns_the_leaf_and_releases_nothing() {
        let mut k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8);
        assert_eq!(
            k.sign(&mut Failing(true), b"m"),
            Err(LmsSignError::Store("disk full"))
        );
        assert_eq!(k.next_leaf(), 1);
        let sig = k.sign(&mut Failing(false), b"m").unwrap();
        assert_eq!(&sig[..4], &1u32.to_be_bytes());
    }

    #[test]
    fn a_small_buffer_takes_no_leaf() {
        let mut k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4);
        let mut out = [0u8; 100];
        assert_eq!(
            k.sign_into(&mut MemoryLmsStore::new(), b"m", &mut out),
            Err(LmsSignError::BufferTooSmall {
                needed: k.signature_len()
            })
        );
        assert_eq!(k.next_leaf(), 0);
    }

    #[test]
    fn resume_continues_after_the_saved_bound_and_refuses_rollback() {
        let mut k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4).with_reserve(3);
        let mut store = MemoryLmsStore::new();
        k.sign(&mut store, b"a").unwrap(); // saves bound 4
        let early = store.state().unwrap();
        for _ in 0..4 {
            k.sign(&mut store, b"b").unwrap(); // leaves 1..5, saves bound 8 at leaf 4
        }
        let late = store.state().unwrap();
        // A crash now: the resumed key starts at the saved bound, past every
        // released leaf.
        let mut resumed = LmsSigningKey::resume(&*late, 0).unwrap();
        assert_eq!(resumed.next_leaf(), 8);
        assert_eq!(resumed.public_key(), k.public_key());
        let sig = resumed.sign(&mut store, b"c").unwrap();
        assert_eq!(&sig[..4], &8u32.to_be_bytes());
        // The older state is refused against a floor past it, and the store
        // refuses to go back to it.
        assert_eq!(
            LmsSigningKey::resume(&*early, 8).unwrap_err(),
            LmsKeyError::Rollback { state: 4, floor: 8 }
        );
        let old = LmsSigningKey::resume(&*early, 0).unwrap();
        assert_eq!(
            store.save(&old.state_at(4)),
            Err(StateRegression {
                saved: 9,
                offered: 4
            })
        );
    }

    #[test]
    fn two_signers_resumed_from_one_state_cannot_both_sign_a_leaf() {
        let mut store = MemoryLmsStore::new();
        let mut k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4);
        k.sign(&mut store, b"a").unwrap();
        let saved = store.state().unwrap();
        let mut first = LmsSigningKey::resume(&saved[..], 1).unwrap();
        let mut second = LmsSigningKey::resume(&saved[..], 1).unwrap();
        let sig = first.sign(&mut store, b"b").unwrap();
        assert_eq!(&sig[..4], &1u32.to_be_bytes());
        // The second instance would sign leaf 1 again: its save (bound 2, as
        // held) is refused, and nothing is released.
        assert_eq!(
            second.sign(&mut store, b"c"),
            Err(LmsSignError::Store(StateRegression {
                saved: 2,
                offered: 2
            }))
        );
        // A file store refuses it the same way.
        #[cfg(feature = "std")]
        file_store_refuses_a_second_signer(&saved[..]);
    }

    #[cfg(feature = "std")]
    fn file_store_refuses_a_second_signer(saved: &[u8]) {
        let dir = std::env::temp_dir().join(format!("lms-two-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut file = FileLmsStore::new(dir.join("k.lms"));
        let mut a = LmsSigningKey::resume(saved, 1).unwrap();
        let mut b = LmsSigningKey::resume(saved, 1).unwrap();
        a.sign(&mut file, b"b").unwrap();
        assert!(b.sign(&mut file, b"c").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join("k.lms"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the key state is readable by others: {mode:o}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn state_decoding_is_strict() {
        let k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4);
        let good = *k.state_at(3).as_bytes();
        assert_eq!(LmsSigningKey::resume(&good, 3).unwrap().next_leaf(), 3);
        let mut bad = good;
        bad[0] = 0x54;
        assert_eq!(
            LmsSigningKey::resume(&bad, 0).unwrap_err(),
            LmsKeyError::NotAState
        );
        let mut bad = good;
        bad[5] = 99;
        assert_eq!(
            LmsSigningKey::resume(&bad, 0).unwrap_err(),
            LmsKeyError::UnknownTypecode { typecode: 99 }
        );
        let mut bad = good;
        bad[58..62].copy_from_slice(&33u32.to_be_bytes());
        assert_eq!(
            LmsSigningKey::resume(&bad, 0).unwrap_err(),
            LmsKeyError::LeafOutOfRange {
                next: 33,
                leaves: 32
            }
        );
        let mut bad = good;
        bad[2..6].copy_from_slice(&LmsParams::Sha256M32H20.typecode().to_be_bytes());
        assert_eq!(
            LmsSigningKey::resume(&bad, 0).unwrap_err(),
            LmsKeyError::HeightNotSupported { height: 20 }
        );
        assert_eq!(
            LmsSigningKey::resume(&good[..61], 0).unwrap_err(),
            LmsKeyError::WrongLength {
                expected: STATE_LEN,
                actual: 61
            }
        );
        // An exhausted state resumes, and signs nothing.
        let mut done = LmsSigningKey::resume(k.state_at(32).as_bytes(), 0).unwrap();
        assert!(matches!(
            done.sign(&mut MemoryLmsStore::new(), b"m"),
            Err(LmsSignError::Key(LmsKeyError::Exhausted { .. }))
        ));
    }

    #[test]
    fn secrets_are_not_printed() {
        let k = key(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4);
        let text = format!("{k:?} {:?}", k.state_at(0));
        assert!(!text.contains("34, 34"), "{text}");
    }
}
