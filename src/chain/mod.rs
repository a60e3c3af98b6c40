//! Payment chains: seeds, parameters, words, anchors and paywords.
//!
//! A chain of length `n` is derived from a secret [`ChainSeed`]:
//!
//! ```text
//! w_n     = H(SeedExpand, id, n, seed)
//! w_{i-1} = F(id, i, w_i)            for i = n, n-1, …, 1   (F = H(ChainStep, …))
//! anchor  = w_0
//! ```
//!
//! The customer commits to the [`Anchor`] `w_0` and pays by revealing
//! `w_1, w_2, …` in that order: the [`Payword`] `(i, w_i)` proves that `i`
//! units have been paid in total. Anyone holding `(j, w_j)` with `j < i` checks
//! `(i, w_i)` with `i − j` chain steps.
//!
//! Traversal strategies (how a wallet produces `w_1, w_2, …` without keeping
//! the whole chain) live in [`traversal`].

use core::fmt;

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::bytes::byte_newtype;
pub use crate::hash::{ChainId, Word};
use crate::hash::{HashAlg, Role, Tweak, TweakableHash};

pub mod traversal;

byte_newtype!(
    /// The anchor `w_0` of a chain: what the customer signs in a commitment.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Anchor, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), 10)?;
    /// let seed = ChainSeed::from_bytes([7; 32]);
    /// let anchor: Anchor = payword::chain::anchor::<Sha256>(&seed, &params)?;
    /// assert_eq!(anchor.to_string().len(), 64);
    /// # Ok::<(), payword::ChainError>(())
    /// ```
    Anchor,
    32
);

impl Anchor {
    /// The anchor as the word `w_0`.
    #[must_use]
    pub const fn as_word(&self) -> Word {
        Word::from_bytes(self.to_bytes())
    }
}

/// The secret a chain is derived from.
///
/// Zeroized on drop, `Debug` prints no secret byte, `Clone` but never `Copy`,
/// equality in constant time.
///
/// # Examples
///
/// ```
/// use payword::ChainSeed;
///
/// let seed = ChainSeed::from_bytes([0x42; 32]);
/// assert_eq!(format!("{seed:?}"), "ChainSeed(..)");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ChainSeed([u8; 32]);

impl ChainSeed {
    /// Wraps secret bytes (which the caller should then zeroize).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh seed from the caller's cryptographic RNG.
    #[must_use]
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut s = Self([0u8; 32]);
        rng.fill_bytes(&mut s.0);
        s
    }

    /// Borrows the secret bytes (for persisting the seed).
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ChainSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainSeed(..)")
    }
}

impl subtle::ConstantTimeEq for ChainSeed {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        crate::bytes::ct_eq_bytes(&self.0, &other.0)
    }
}

impl PartialEq for ChainSeed {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(self, other).into()
    }
}

impl Eq for ChainSeed {}

/// The largest chain length: `2^32 − 1` (indexes are 32-bit).
pub const MAX_CHAIN_LENGTH: u32 = u32::MAX;

/// The public parameters of one chain: hash algorithm, chain id and length.
///
/// # Examples
///
/// ```
/// use payword::{ChainError, ChainId, ChainParams, HashAlg};
///
/// let id = ChainId::from_bytes([0; 16]);
/// assert!(ChainParams::new(HashAlg::Sha256, id, 1000).is_ok());
/// assert_eq!(ChainParams::new(HashAlg::Sha256, id, 0), Err(ChainError::ZeroLength));
/// assert_eq!(
///     ChainParams::new(HashAlg::Sha256, id, 1 << 32),
///     Err(ChainError::TooLong { length: 1 << 32 })
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainParams {
    alg: HashAlg,
    id: ChainId,
    length: u32,
}

impl ChainParams {
    /// Parameters for a chain of `length` paywords.
    ///
    /// # Errors
    ///
    /// [`ChainError::ZeroLength`] for 0, [`ChainError::TooLong`] above
    /// [`MAX_CHAIN_LENGTH`].
    pub fn new(alg: HashAlg, id: ChainId, length: u64) -> Result<Self, ChainError> {
        if length == 0 {
            return Err(ChainError::ZeroLength);
        }
        let length = u32::try_from(length).map_err(|_| ChainError::TooLong { length })?;
        Ok(Self { alg, id, length })
    }

    /// The hash algorithm.
    #[must_use]
    pub const fn alg(&self) -> HashAlg {
        self.alg
    }

    /// The chain id.
    #[must_use]
    pub const fn id(&self) -> &ChainId {
        &self.id
    }

    /// The length `n`: the number of paywords, and the largest index.
    #[must_use]
    pub const fn length(&self) -> u32 {
        self.length
    }

    /// Checks that these parameters name `H`'s algorithm.
    pub(crate) fn check_alg<H: TweakableHash>(&self) -> Result<(), ChainError> {
        if self.alg == H::ALG {
            Ok(())
        } else {
            Err(ChainError::AlgMismatch {
                params: self.alg,
                hash: H::ALG,
            })
        }
    }
}

/// A payword: index `i` and word `w_i`, proof that `i` units are paid in
/// total.
///
/// # Examples
///
/// ```
/// use payword::{Payword, Word};
///
/// let p = Payword::new(3, Word::from_bytes([0; 32]));
/// assert_eq!(p.index(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Payword {
    index: u32,
    word: Word,
}

impl Payword {
    /// The payword `(index, word)`.
    #[must_use]
    pub const fn new(index: u32, word: Word) -> Self {
        Self { index, word }
    }

    /// The index `i`: units paid in total.
    #[must_use]
    pub const fn index(&self) -> u32 {
        self.index
    }

    /// The word `w_i`.
    #[must_use]
    pub const fn word(&self) -> &Word {
        &self.word
    }
}

/// Errors of chain construction and traversal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// A chain must have at least one payword.
    ZeroLength,
    /// The length is over [`MAX_CHAIN_LENGTH`].
    TooLong {
        /// The length asked for.
        length: u64,
    },
    /// The parameters name one hash algorithm, the code was instantiated with
    /// another.
    AlgMismatch {
        /// The algorithm in the parameters.
        params: HashAlg,
        /// The algorithm of the hash type.
        hash: HashAlg,
    },
    /// An index outside `0..=n`.
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The chain length `n`.
        length: u32,
    },
    /// A traversal parameter is out of range (for example a checkpoint interval
    /// of 0).
    BadInterval,
    /// Memory for a traversal could not be reserved.
    OutOfMemory {
        /// The number of words that were asked for.
        words: u64,
    },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroLength => f.write_str("chain length must be at least 1"),
            Self::TooLong { length } => {
                write!(
                    f,
                    "chain length {length} is over the maximum {MAX_CHAIN_LENGTH}"
                )
            }
            Self::AlgMismatch { params, hash } => {
                write!(f, "parameters are for {params}, hash is {hash}")
            }
            Self::IndexOutOfRange { index, length } => {
                write!(f, "index {index} is outside 0..={length}")
            }
            Self::BadInterval => f.write_str("checkpoint interval must be at least 1"),
            Self::OutOfMemory { words } => write!(f, "could not reserve {words} words"),
        }
    }
}

impl core::error::Error for ChainError {}

/// The top word `w_n` of the chain, from the seed.
///
/// # Cost
///
/// One hash.
///
/// # Errors
///
/// [`ChainError::AlgMismatch`] if `params` is not for `H`.
pub fn top_word<H: TweakableHash>(
    seed: &ChainSeed,
    params: &ChainParams,
) -> Result<Word, ChainError> {
    params.check_alg::<H>()?;
    Ok(Word::from_bytes(H::hash_word(
        &Tweak::new(Role::SeedExpand, params.id, params.length),
        &seed.0,
    )))
}

/// Hashes `word = w_from` down to `w_to` (`to ≤ from`), with `from − to` chain
/// steps. Positions and ids are taken from `params`; nothing is checked.
#[inline]
pub(crate) fn walk_down<H: TweakableHash>(id: &ChainId, from: u32, word: Word, to: u32) -> Word {
    H::chain_walk(id, from, &word, to)
}

/// The word `w_index` of the chain.
///
/// # Cost
///
/// `n − index + 1` hashes.
///
/// # Errors
///
/// [`ChainError::AlgMismatch`], or [`ChainError::IndexOutOfRange`] past `n`.
///
/// # Examples
///
/// ```
/// use payword::{chain, ChainId, ChainParams, ChainSeed, HashAlg, Sha256, TweakableHash};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 8)?;
/// let seed = ChainSeed::from_bytes([2; 32]);
/// let w5 = chain::word_at::<Sha256>(&seed, &params, 5)?;
/// let w4 = chain::word_at::<Sha256>(&seed, &params, 4)?;
/// assert_eq!(Sha256::chain_step(params.id(), 5, &w5), w4);
/// # Ok::<(), payword::ChainError>(())
/// ```
pub fn word_at<H: TweakableHash>(
    seed: &ChainSeed,
    params: &ChainParams,
    index: u32,
) -> Result<Word, ChainError> {
    if index > params.length {
        return Err(ChainError::IndexOutOfRange {
            index: index.into(),
            length: params.length,
        });
    }
    let top = top_word::<H>(seed, params)?;
    Ok(walk_down::<H>(&params.id, params.length, top, index))
}

/// The anchor `w_0` the customer commits to.
///
/// # Cost
///
/// `n + 1` hashes.
///
/// # Errors
///
/// [`ChainError::AlgMismatch`] if `params` is not for `H`.
pub fn anchor<H: TweakableHash>(
    seed: &ChainSeed,
    params: &ChainParams,
) -> Result<Anchor, ChainError> {
    word_at::<H>(seed, params, 0).map(|w| Anchor::from_bytes(w.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{Blake3, Sha256};

    #[test]
    fn steps_link_words() {
        let params = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([5; 16]), 4).unwrap();
        let seed = ChainSeed::from_bytes([9; 32]);
        let top = top_word::<Blake3>(&seed, &params).unwrap();
        assert_eq!(word_at::<Blake3>(&seed, &params, 4).unwrap(), top);
        for i in 1..=4 {
            let wi = word_at::<Blake3>(&seed, &params, i).unwrap();
            let wprev = word_at::<Blake3>(&seed, &params, i - 1).unwrap();
            assert_eq!(Blake3::chain_step(params.id(), i, &wi), wprev);
        }
        assert_eq!(
            word_at::<Blake3>(&seed, &params, 5),
            Err(ChainError::IndexOutOfRange {
                index: 5,
                length: 4
            })
        );
        assert_eq!(
            anchor::<Sha256>(&seed, &params),
            Err(ChainError::AlgMismatch {
                params: HashAlg::Blake3,
                hash: HashAlg::Sha256
            })
        );
    }

    #[test]
    fn fast_word_equality_agrees_with_eq() {
        let a = Word::from_bytes([0x5a; 32]);
        assert!(bool::from(subtle::ConstantTimeEq::ct_eq(&a, &a)));
        for i in 0..32 {
            for bit in [0x01u8, 0x80] {
                let mut b = a.to_bytes();
                b[i] ^= bit;
                let b = Word::from_bytes(b);
                assert!(
                    !bool::from(subtle::ConstantTimeEq::ct_eq(&a, &b)),
                    "byte {i}"
                );
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn seed_debug_is_redacted() {
        let seed = ChainSeed::from_bytes([0xaa; 32]);
        let s = format!("{seed:?}");
        assert!(!s.contains("aa") && !s.contains("170"));
    }
}
