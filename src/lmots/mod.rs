//! LM-OTS one-time signatures (RFC 8554, section 4), and LMS / HSS
//! verification (sections 5 and 6) in [`lms`].
//!
//! LM-OTS is the Winternitz one-time signature of Leighton and Micali as
//! standardised in RFC 8554. A private key is `p` secret words `x[i]`; the
//! public key is the hash of the ends of `p` hash chains of length `2^w − 1`
//! started at them. To sign, the signer hashes the message to `Q`, appends
//! the checksum of `Q`, cuts the result into `p` base-`2^w` digits `a[i]`
//! and reveals the word `a[i]` steps down chain `i`. The verifier finishes each
//! chain and compares the hash of the ends with the public key. Every hash
//! is tweaked with the key identifier `I`, the leaf number `q`, the chain
//! index `i` and the step `j` (`I‖q‖i‖j‖tmp`, exactly 55 bytes, one SHA-256
//! compression), which is what gives LM-OTS its multi-target security.
//!
//! | Parameter set | typecode | `w` | `p` | `ls` | signature bytes | max verify hashes |
//! |---|---|---|---|---|---|---|
//! | `LMOTS_SHA256_N32_W1` | 1 | 1 | 265 | 7 | 8516 | 265 |
//! | `LMOTS_SHA256_N32_W2` | 2 | 2 | 133 | 6 | 4292 | 399 |
//! | `LMOTS_SHA256_N32_W4` | 3 | 4 | 67 | 4 | 2180 | 1005 |
//! | `LMOTS_SHA256_N32_W8` | 4 | 8 | 34 | 0 | 1124 | 8670 |
//!
//! (RFC 8554, Table 1; the hash counts are chain steps, plus two
//! variable-length hashes for `Q` and `K`.)
//!
//! # One-time use
//!
//! A private key signs **once**: two signatures under one key let anyone
//! forge. [`LmotsPrivateKey::sign`] takes the key by value (like
//! `x25519_dalek::EphemeralSecret`), so the type system forbids a second
//! signature with the same value, and the key's seed is zeroized when it is
//! consumed. The key is neither `Clone` nor `Copy`. What the type system cannot
//! see is the caller making the same key twice: never call
//! [`LmotsPrivateKey::from_seed`] with one `(seed, I, q)` for two signatures.
//!
//! # Example
//!
//! ```
//! use payword::lmots::{LmotsParams, LmotsPrivateKey};
//! use rand_chacha::ChaCha20Rng;
//! use rand_chacha::rand_core::SeedableRng;
//!
//! let mut rng = ChaCha20Rng::from_seed([0; 32]);
//! let key = LmotsPrivateKey::generate(LmotsParams::Sha256N32W4, [1; 16], 0, &mut rng);
//! let public = key.public_key();
//! let sig = key.sign(&mut rng, b"next chain: 4f2a...");
//! // `key` is gone: it cannot sign again.
//! assert!(public.verify(b"next chain: 4f2a...", &sig).is_ok());
//! assert!(public.verify(b"another message", &sig).is_err());
//! ```

use core::fmt;

use rand_core::CryptoRng;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::hash::sha256_one_block;

pub mod lms;

/// The hash output length `n` in bytes (32 for every SHA-256/256 set).
pub const N: usize = 32;

/// The length of the key identifier `I` in bytes.
pub const ID_LEN: usize = 16;

/// The largest number of chains `p` of any parameter set (265, for W1).
pub const MAX_P: usize = 265;

/// The domain separator of the public-key hash (RFC 8554, section 3.1.4).
const D_PBLC: [u8; 2] = [0x80, 0x80];
/// The domain separator of the message hash (RFC 8554, section 3.1.4).
const D_MESG: [u8; 2] = [0x81, 0x81];
/// The `j` byte of the seed derivation of RFC 8554, Appendix A.
const SEED_DERIVE_J: u8 = 0xff;

/// An LM-OTS parameter set (RFC 8554, section 4.1, Table 1).
///
/// All four use SHA-256 with `n = 32`; they differ in the Winternitz
/// parameter `w`, which trades signature size for hashing work.
///
/// # Examples
///
/// ```
/// use payword::lmots::LmotsParams;
///
/// let w4 = LmotsParams::from_typecode(3).unwrap();
/// assert_eq!(w4, LmotsParams::Sha256N32W4);
/// assert_eq!((w4.w(), w4.p(), w4.ls()), (4, 67, 4));
/// assert_eq!(w4.signature_len(), 2180);
/// assert_eq!(LmotsParams::from_typecode(5), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LmotsParams {
    /// `LMOTS_SHA256_N32_W1` (typecode 1): `w = 1`, `p = 265`.
    Sha256N32W1,
    /// `LMOTS_SHA256_N32_W2` (typecode 2): `w = 2`, `p = 133`.
    Sha256N32W2,
    /// `LMOTS_SHA256_N32_W4` (typecode 3): `w = 4`, `p = 67`.
    Sha256N32W4,
    /// `LMOTS_SHA256_N32_W8` (typecode 4): `w = 8`, `p = 34`.
    Sha256N32W8,
}

impl LmotsParams {
    /// The four parameter sets, in typecode order.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// let codes: Vec<u32> = LmotsParams::ALL.iter().map(|p| p.typecode()).collect();
    /// assert_eq!(codes, [1, 2, 3, 4]);
    /// ```
    pub const ALL: [Self; 4] = [
        Self::Sha256N32W1,
        Self::Sha256N32W2,
        Self::Sha256N32W4,
        Self::Sha256N32W8,
    ];

    /// The parameter set for an RFC 8554 typecode, or `None` for any other
    /// value.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::from_typecode(1), Some(LmotsParams::Sha256N32W1));
    /// assert_eq!(LmotsParams::from_typecode(0), None);
    /// ```
    #[must_use]
    pub const fn from_typecode(typecode: u32) -> Option<Self> {
        match typecode {
            1 => Some(Self::Sha256N32W1),
            2 => Some(Self::Sha256N32W2),
            3 => Some(Self::Sha256N32W4),
            4 => Some(Self::Sha256N32W8),
            _ => None,
        }
    }

    /// The RFC 8554 typecode (1 to 4).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.typecode(), 4);
    /// ```
    #[must_use]
    pub const fn typecode(self) -> u32 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 2,
            Self::Sha256N32W4 => 3,
            Self::Sha256N32W8 => 4,
        }
    }

    /// The RFC 8554 name, for example `"LMOTS_SHA256_N32_W4"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W2.name(), "LMOTS_SHA256_N32_W2");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256N32W1 => "LMOTS_SHA256_N32_W1",
            Self::Sha256N32W2 => "LMOTS_SHA256_N32_W2",
            Self::Sha256N32W4 => "LMOTS_SHA256_N32_W4",
            Self::Sha256N32W8 => "LMOTS_SHA256_N32_W8",
        }
    }

    /// The hash output length `n` in bytes: always 32.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W1.n(), 32);
    /// ```
    #[must_use]
    pub const fn n(self) -> usize {
        N
    }

    /// The Winternitz parameter `w`: bits per digit (1, 2, 4 or 8).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.w(), 8);
    /// ```
    #[must_use]
    pub const fn w(self) -> u8 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 2,
            Self::Sha256N32W4 => 4,
            Self::Sha256N32W8 => 8,
        }
    }

    /// The number of chains `p` (digits of the message hash and checksum):
    /// 265, 133, 67 or 34.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W1.p(), 265);
    /// ```
    #[must_use]
    pub const fn p(self) -> usize {
        match self {
            Self::Sha256N32W1 => 265,
            Self::Sha256N32W2 => 133,
            Self::Sha256N32W4 => 67,
            Self::Sha256N32W8 => 34,
        }
    }

    /// The left shift `ls` of the checksum (RFC 8554, Algorithm 2): 7, 6, 4
    /// or 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W2.ls(), 6);
    /// ```
    #[must_use]
    pub const fn ls(self) -> u32 {
        match self {
            Self::Sha256N32W1 => 7,
            Self::Sha256N32W2 => 6,
            Self::Sha256N32W4 => 4,
            Self::Sha256N32W8 => 0,
        }
    }

    /// The largest digit `2^w − 1`, which is also the length of every chain.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W4.max_digit(), 15);
    /// assert_eq!(LmotsParams::Sha256N32W8.max_digit(), 255);
    /// ```
    #[must_use]
    pub const fn max_digit(self) -> u8 {
        match self {
            Self::Sha256N32W1 => 1,
            Self::Sha256N32W2 => 3,
            Self::Sha256N32W4 => 15,
            Self::Sha256N32W8 => 255,
        }
    }

    /// The length of an encoded signature: `4 + n·(p + 1)` bytes (RFC 8554,
    /// section 4.5).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W8.signature_len(), 1124);
    /// ```
    #[must_use]
    pub const fn signature_len(self) -> usize {
        4 + N * (self.p() + 1)
    }

    /// The number of chain steps (one SHA-256 compression each) that
    /// computing a public key takes, and the most that a verification can
    /// take: `p·(2^w − 1)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::LmotsParams;
    ///
    /// assert_eq!(LmotsParams::Sha256N32W4.chain_steps(), 67 * 15);
    /// ```
    #[must_use]
    pub const fn chain_steps(self) -> usize {
        self.p() * self.max_digit() as usize
    }
}

impl fmt::Display for LmotsParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an LM-OTS, LMS or HSS value did not decode or verify.
///
/// Decoding errors say what was wrong with the bytes. A signature that is
/// well formed but does not verify gives only [`LmotsError::Invalid`]: a
/// verifier is no oracle about *why* a forgery failed.
///
/// # Examples
///
/// ```
/// use payword::lmots::{LmotsError, LmotsSignature};
///
/// let err = LmotsSignature::from_bytes(&[0, 0, 0, 9]).unwrap_err();
/// assert_eq!(err, LmotsError::UnknownTypecode { typecode: 9 });
/// assert_eq!(err.to_string(), "unknown typecode 9");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LmotsError {
    /// The signature does not verify.
    Invalid,
    /// The input ended inside a fixed-size field.
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// The input (or an output buffer) does not have the length its
    /// typecodes imply.
    WrongLength {
        /// The length required.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A typecode that names no supported parameter set.
    UnknownTypecode {
        /// The typecode read.
        typecode: u32,
    },
    /// The signature is for another parameter set than the key.
    TypeMismatch {
        /// The typecode of the key.
        expected: u32,
        /// The typecode of the signature.
        found: u32,
    },
    /// An HSS key with 0 or more than [`lms::MAX_HSS_LEVELS`] levels.
    LevelsOutOfRange {
        /// The number of levels read.
        levels: u32,
    },
    /// An HSS signature whose number of signed public keys is not the key's
    /// number of levels minus one.
    LevelMismatch {
        /// Levels of the key.
        expected: u32,
        /// Levels of the signature (`Nspk + 1`).
        found: u64,
    },
}

impl fmt::Display for LmotsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("invalid signature"),
            Self::Truncated { needed, remaining } => {
                write!(f, "truncated: needs {needed} bytes, {remaining} left")
            }
            Self::WrongLength { expected, actual } => {
                write!(f, "wrong length: expected {expected} bytes, got {actual}")
            }
            Self::UnknownTypecode { typecode } => write!(f, "unknown typecode {typecode}"),
            Self::TypeMismatch { expected, found } => {
                write!(f, "typecode {found} where {expected} was expected")
            }
            Self::LevelsOutOfRange { levels } => write!(
                f,
                "hss level count {levels} is outside 1..={}",
                lms::MAX_HSS_LEVELS
            ),
            Self::LevelMismatch { expected, found } => {
                write!(f, "signature has {found} levels, key has {expected}")
            }
        }
    }
}

impl core::error::Error for LmotsError {}

/// Reads a big-endian `u32` at `at`, or says how short the input was.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Result<u32, LmotsError> {
    let field = at
        .checked_add(4)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok());
    match field {
        Some(b) => Ok(u32::from_be_bytes(b)),
        None => Err(LmotsError::Truncated {
            needed: 4,
            remaining: bytes.len().saturating_sub(at),
        }),
    }
}

/// Reads a fixed-size array at `at`, or says how short the input was.
pub(crate) fn read_array<const L: usize>(bytes: &[u8], at: usize) -> Result<[u8; L], LmotsError> {
    at.checked_add(L)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; L]>::try_from(s).ok())
        .ok_or(LmotsError::Truncated {
            needed: L,
            remaining: bytes.len().saturating_sub(at),
        })
}

/// RFC 8554, Algorithm 0 (`coef`, section 3.1.3): the `i`-th `w`-bit digit
/// of `s`, most significant first. Digits past the end of `s` read as 0.
fn coef(s: &[u8], i: usize, w: u8) -> u8 {
    let w = usize::from(w);
    // w is 1, 2, 4 or 8 and i < 8·|s|, so none of this can overflow.
    let digits_per_byte = 8 / w;
    let byte = s.get(i * w / 8).copied().unwrap_or(0);
    let shift = 8 - (w * (i % digits_per_byte) + w);
    let mask = u8::MAX >> (8 - w);
    (byte >> shift) & mask
}

/// RFC 8554, Algorithm 2 (checksum, section 4.4): the sum of `2^w − 1 − d`
/// over the `8n/w` digits `d` of `q`, shifted left by `ls`.
fn checksum(params: LmotsParams, q: &[u8; N]) -> u16 {
    let w = params.w();
    let max = u32::from(params.max_digit());
    let digits = N * 8 / usize::from(w);
    let sum: u32 = (0..digits)
        .map(|i| max - u32::from(coef(q, i, w)))
        .sum::<u32>();
    // The sum is at most 256 (W1), 384 (W2), 960 (W4) or 8160 (W8); shifted
    // by ls it stays below 2^16 for every parameter set.
    let [_, _, hi, lo] = (sum << params.ls()).to_be_bytes();
    u16::from_be_bytes([hi, lo])
}

/// The `p` digits `a[i] = coef(Q ‖ Cksm(Q), i, w)` of RFC 8554, Algorithms 3
/// and 4b.
fn digits(params: LmotsParams, q: &[u8; N]) -> [u8; MAX_P] {
    let mut s = [0u8; N + 2];
    let (head, tail) = s.split_at_mut(N);
    head.copy_from_slice(q);
    tail.copy_from_slice(&checksum(params, q).to_be_bytes());
    let mut a = [0u8; MAX_P];
    for (i, d) in a.iter_mut().take(params.p()).enumerate() {
        *d = coef(&s, i, params.w());
    }
    a
}

/// `Q = H(I ‖ u32str(q) ‖ u16str(D_MESG) ‖ C ‖ message)` (RFC 8554,
/// Algorithms 3 and 4b).
fn message_digest(id: &[u8; ID_LEN], q: u32, c: &[u8; N], message: &[u8]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(q.to_be_bytes());
    h.update(D_MESG);
    h.update(c);
    h.update(message);
    h.finalize().into()
}

/// `K = H(I ‖ u32str(q) ‖ u16str(D_PBLC) ‖ z[0] ‖ … ‖ z[p−1])` (RFC 8554,
/// Algorithms 1 and 4b).
fn public_key_hash(id: &[u8; ID_LEN], q: u32, ends: &[[u8; N]]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(q.to_be_bytes());
    h.update(D_PBLC);
    for z in ends {
        h.update(z);
    }
    h.finalize().into()
}

/// One chain step `H(I ‖ u32str(q) ‖ u16str(i) ‖ u8str(j) ‖ tmp)`: 55 bytes,
/// one SHA-256 compression.
#[inline(always)]
fn chain_step(id: &[u8; ID_LEN], q: &[u8; 4], i: u16, j: u8, tmp: &[u8; N]) -> [u8; N] {
    sha256_one_block::<55>(&[id, q, &i.to_be_bytes(), &[j], tmp])
}

/// Which part of each chain [`advance`] walks.
#[derive(Clone, Copy)]
enum Steps<'a> {
    /// Steps `0 .. 2^w − 1` of every chain (key generation, Algorithm 1).
    Whole,
    /// Steps `0 .. a[i]` of chain `i` (signing, Algorithm 3).
    Below(&'a [u8; MAX_P]),
    /// Steps `a[i] .. 2^w − 1` of chain `i` (verification, Algorithm 4b).
    From(&'a [u8; MAX_P]),
}

/// Walks the chains `words[i]` (one per `i`) through the steps `steps` picks.
///
/// The walk goes step by step across all chains rather than chain by chain:
/// consecutive hashes are then independent of one another, so the processor
/// overlaps them instead of waiting for each result. The hashes computed,
/// and their inputs, are exactly those of the RFC's loops.
///
/// # Cost
///
/// At most `p·(2^w − 1)` compressions (exactly that many for
/// [`Steps::Whole`]).
fn advance(
    params: LmotsParams,
    id: &[u8; ID_LEN],
    q: u32,
    words: &mut [[u8; N]],
    steps: Steps<'_>,
) {
    let qb = q.to_be_bytes();
    for j in 0..params.max_digit() {
        for ((i, word), k) in (0u16..).zip(words.iter_mut()).zip(0usize..) {
            let active = match steps {
                Steps::Whole => true,
                Steps::Below(a) => a.get(k).is_some_and(|&d| j < d),
                Steps::From(a) => a.get(k).is_some_and(|&d| j >= d),
            };
            if active {
                *word = chain_step(id, &qb, i, j, word);
            }
        }
    }
}

/// RFC 8554, Algorithm 4b over raw parts: the candidate public key for the
/// message and the signature `C`, `y` (`y` is `p·n` bytes).
pub(crate) fn candidate_from_parts(
    params: LmotsParams,
    id: &[u8; ID_LEN],
    q: u32,
    message: &[u8],
    c: &[u8; N],
    y: &[u8],
) -> Result<[u8; N], LmotsError> {
    let p = params.p();
    let expected = p * N;
    if y.len() != expected {
        return Err(LmotsError::WrongLength {
            expected,
            actual: y.len(),
        });
    }
    let mut z = [[0u8; N]; MAX_P];
    let words = z.get_mut(..p).ok_or(LmotsError::Invalid)?;
    for (word, chunk) in words.iter_mut().zip(y.chunks_exact(N)) {
        word.copy_from_slice(chunk);
    }
    let a = digits(params, &message_digest(id, q, c, message));
    advance(params, id, q, words, Steps::From(&a));
    Ok(public_key_hash(id, q, words))
}

/// An LM-OTS private key: one-time, consumed by signing.
///
/// Holds the 32-byte `SEED` of RFC 8554 Appendix A together with the
/// parameter set, `I` and `q`; the secret words
/// `x[i] = H(I ‖ u32str(q) ‖ u16str(i) ‖ u8str(0xff) ‖ SEED)` are derived
/// when needed. The seed is zeroized on drop, [`Debug`](fmt::Debug) prints no
/// secret, and the key is neither `Clone` nor `Copy`.
///
/// # Examples
///
/// ```
/// use payword::lmots::{LmotsParams, LmotsPrivateKey};
///
/// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [0; 16], 7, &[0x42; 32]);
/// assert_eq!(
///     format!("{key:?}"),
///     "LmotsPrivateKey { params: Sha256N32W8, q: 7, .. }"
/// );
/// ```
///
/// A key signs once; signing moves it:
///
/// ```compile_fail
/// use payword::lmots::{LmotsParams, LmotsPrivateKey};
///
/// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [0; 16], 0, &[1; 32]);
/// let first = key.sign_with_randomizer([2; 32], b"one");
/// let second = key.sign_with_randomizer([3; 32], b"two"); // error: use of moved value
/// ```
///
/// and it cannot be cloned to sign twice either:
///
/// ```compile_fail
/// use payword::lmots::{LmotsParams, LmotsPrivateKey};
///
/// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [0; 16], 0, &[1; 32]);
/// let copy = key.clone(); // error: no method `clone`
/// ```
pub struct LmotsPrivateKey {
    params: LmotsParams,
    id: [u8; ID_LEN],
    q: u32,
    seed: [u8; N],
}

impl Drop for LmotsPrivateKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl ZeroizeOnDrop for LmotsPrivateKey {}

impl fmt::Debug for LmotsPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LmotsPrivateKey")
            .field("params", &self.params)
            .field("q", &self.q)
            .finish_non_exhaustive()
    }
}

impl LmotsPrivateKey {
    /// The key number `q` under identifier `id` (`I`), derived from `seed` as
    /// in RFC 8554, Appendix A.
    ///
    /// The same `(seed, id, q)` always gives the same key: it must sign at
    /// most one message, ever.
    ///
    /// # Cost
    ///
    /// No hashing (the secret words are derived when used).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let a = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 0, &[2; 32]);
    /// let b = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 0, &[2; 32]);
    /// assert_eq!(a.public_key(), b.public_key());
    /// ```
    #[must_use]
    pub fn from_seed(params: LmotsParams, id: [u8; ID_LEN], q: u32, seed: &[u8; N]) -> Self {
        Self {
            params,
            id,
            q,
            seed: *seed,
        }
    }

    /// A fresh key with a seed from the caller's cryptographic RNG.
    ///
    /// # Cost
    ///
    /// 32 bytes from `rng`; no hashing.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([9; 32]);
    /// let a = LmotsPrivateKey::generate(LmotsParams::Sha256N32W2, [0; 16], 0, &mut rng);
    /// let b = LmotsPrivateKey::generate(LmotsParams::Sha256N32W2, [0; 16], 0, &mut rng);
    /// assert_ne!(a.public_key(), b.public_key());
    /// ```
    #[must_use]
    pub fn generate<R: CryptoRng + ?Sized>(
        params: LmotsParams,
        id: [u8; ID_LEN],
        q: u32,
        rng: &mut R,
    ) -> Self {
        let mut seed = Zeroizing::new([0u8; N]);
        rng.fill_bytes(&mut *seed);
        Self::from_seed(params, id, q, &seed)
    }

    /// The parameter set.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W1, [0; 16], 0, &[0; 32]);
    /// assert_eq!(key.params(), LmotsParams::Sha256N32W1);
    /// ```
    #[must_use]
    pub const fn params(&self) -> LmotsParams {
        self.params
    }

    /// The key identifier `I`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W1, [5; 16], 0, &[0; 32]);
    /// assert_eq!(key.id(), &[5; 16]);
    /// ```
    #[must_use]
    pub const fn id(&self) -> &[u8; ID_LEN] {
        &self.id
    }

    /// The key number `q` (the LMS leaf it belongs to).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W1, [0; 16], 3, &[0; 32]);
    /// assert_eq!(key.q(), 3);
    /// ```
    #[must_use]
    pub const fn q(&self) -> u32 {
        self.q
    }

    /// Zeroizes the seed (what `drop` does).
    fn wipe(&mut self) {
        self.seed.zeroize();
    }

    /// Writes the secret words `x[0..p]` (RFC 8554, Appendix A) into `words`.
    fn secret_words(&self, words: &mut [[u8; N]]) {
        let qb = self.q.to_be_bytes();
        for (i, x) in (0u16..).zip(words.iter_mut()) {
            *x = sha256_one_block::<55>(&[
                &self.id,
                &qb,
                &i.to_be_bytes(),
                &[SEED_DERIVE_J],
                &self.seed,
            ]);
        }
    }

    /// The public key (RFC 8554, Algorithm 1).
    ///
    /// # Cost
    ///
    /// `p·(2^w − 1)` chain steps plus `p` seed derivations (one compression
    /// each) and one hash of `22 + 32p` bytes: about 1.1k compressions for
    /// W4, 8.7k for W8.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 9, &[2; 32]);
    /// let public = key.public_key();
    /// assert_eq!((public.params(), public.q()), (LmotsParams::Sha256N32W4, 9));
    /// ```
    #[must_use]
    pub fn public_key(&self) -> LmotsPublicKey {
        let p = self.params.p();
        let mut z = Zeroizing::new([[0u8; N]; MAX_P]);
        let words = z.get_mut(..p).unwrap_or_default();
        self.secret_words(words);
        advance(self.params, &self.id, self.q, words, Steps::Whole);
        LmotsPublicKey {
            params: self.params,
            id: self.id,
            q: self.q,
            k: public_key_hash(&self.id, self.q, words),
        }
    }

    /// Signs `message` with a randomizer `C` drawn from `rng` (RFC 8554,
    /// Algorithm 3), consuming the key.
    ///
    /// # Cost
    ///
    /// `p` seed derivations and at most `p·(2^w − 1)` chain steps (half that
    /// on average), one hash of the message, 32 bytes from `rng`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// let key = LmotsPrivateKey::generate(LmotsParams::Sha256N32W8, [0; 16], 0, &mut rng);
    /// let public = key.public_key();
    /// let sig = key.sign(&mut rng, b"hello");
    /// assert!(public.verify(b"hello", &sig).is_ok());
    /// ```
    #[must_use]
    pub fn sign<R: CryptoRng + ?Sized>(self, rng: &mut R, message: &[u8]) -> LmotsSignature {
        let mut c = [0u8; N];
        rng.fill_bytes(&mut c);
        self.sign_with_randomizer(c, message)
    }

    /// Signs `message` with the given randomizer `C` (RFC 8554, Algorithm 3),
    /// consuming the key.
    ///
    /// For known-answer tests and deterministic protocols. `C` must be fresh
    /// and unpredictable to anyone who chooses messages for the signer;
    /// otherwise prefer [`sign`](Self::sign). (LM-OTS stays secure only while
    /// each key signs once, whatever `C` is; `C` protects against attacks on
    /// the collision resistance of the message hash.)
    ///
    /// # Cost
    ///
    /// As [`sign`](Self::sign), without the RNG.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 0, &[2; 32]);
    /// let public = key.public_key();
    /// let sig = key.sign_with_randomizer([3; 32], b"hello");
    /// assert_eq!(sig.randomizer(), &[3; 32]);
    /// assert!(public.verify(b"hello", &sig).is_ok());
    /// ```
    #[must_use]
    pub fn sign_with_randomizer(self, c: [u8; N], message: &[u8]) -> LmotsSignature {
        let params = self.params;
        let p = params.p();
        let a = digits(params, &message_digest(&self.id, self.q, &c, message));
        let mut sig = LmotsSignature {
            params,
            c,
            y: [[0u8; N]; MAX_P],
        };
        let words = sig.y.get_mut(..p).unwrap_or_default();
        self.secret_words(words);
        advance(params, &self.id, self.q, words, Steps::Below(&a));
        sig
        // `self` drops here: the seed is zeroized.
    }
}

/// An LM-OTS public key: parameter set, `I`, `q` and the hash `K`.
///
/// Encoded as `u32str(type) ‖ I ‖ u32str(q) ‖ K` (RFC 8554, section 4.3),
/// 56 bytes.
///
/// # Examples
///
/// ```
/// use payword::lmots::{LmotsParams, LmotsPrivateKey, LmotsPublicKey};
///
/// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 2, &[3; 32]);
/// let public = key.public_key();
/// let bytes = public.to_bytes();
/// assert_eq!(&bytes[..4], &[0, 0, 0, 3]);
/// assert_eq!(LmotsPublicKey::from_bytes(&bytes)?, public);
/// # Ok::<(), payword::lmots::LmotsError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LmotsPublicKey {
    params: LmotsParams,
    id: [u8; ID_LEN],
    q: u32,
    k: [u8; N],
}

impl LmotsPublicKey {
    /// Length of the encoding: 56 bytes.
    pub const ENCODED_LEN: usize = 4 + ID_LEN + 4 + N;

    /// The public key with these parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W8, [0; 16], 1, [7; 32]);
    /// assert_eq!(public.k(), &[7; 32]);
    /// ```
    #[must_use]
    pub const fn new(params: LmotsParams, id: [u8; ID_LEN], q: u32, k: [u8; N]) -> Self {
        Self { params, id, q, k }
    }

    /// The parameter set.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W8, [0; 16], 1, [7; 32]);
    /// assert_eq!(public.params(), LmotsParams::Sha256N32W8);
    /// ```
    #[must_use]
    pub const fn params(&self) -> LmotsParams {
        self.params
    }

    /// The key identifier `I`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W8, [4; 16], 1, [7; 32]);
    /// assert_eq!(public.id(), &[4; 16]);
    /// ```
    #[must_use]
    pub const fn id(&self) -> &[u8; ID_LEN] {
        &self.id
    }

    /// The key number `q`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W8, [0; 16], 1, [7; 32]);
    /// assert_eq!(public.q(), 1);
    /// ```
    #[must_use]
    pub const fn q(&self) -> u32 {
        self.q
    }

    /// The public-key hash `K`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W8, [0; 16], 1, [7; 32]);
    /// assert_eq!(public.k(), &[7; 32]);
    /// ```
    #[must_use]
    pub const fn k(&self) -> &[u8; N] {
        &self.k
    }

    /// The canonical encoding `u32str(type) ‖ I ‖ u32str(q) ‖ K` (RFC 8554,
    /// section 4.3).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPublicKey};
    ///
    /// let public = LmotsPublicKey::new(LmotsParams::Sha256N32W1, [0xaa; 16], 258, [7; 32]);
    /// let bytes = public.to_bytes();
    /// assert_eq!(&bytes[..4], &[0, 0, 0, 1]);
    /// assert_eq!(&bytes[20..24], &[0, 0, 1, 2]);
    /// ```
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        let (t, rest) = out.split_at_mut(4);
        let (id, rest) = rest.split_at_mut(ID_LEN);
        let (q, k) = rest.split_at_mut(4);
        t.copy_from_slice(&self.params.typecode().to_be_bytes());
        id.copy_from_slice(&self.id);
        q.copy_from_slice(&self.q.to_be_bytes());
        k.copy_from_slice(&self.k);
        out
    }

    /// Decodes the canonical encoding.
    ///
    /// # Errors
    ///
    /// [`LmotsError::Truncated`] for fewer than 4 bytes,
    /// [`LmotsError::UnknownTypecode`], or [`LmotsError::WrongLength`] unless
    /// the input is exactly [`ENCODED_LEN`](Self::ENCODED_LEN) bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsError, LmotsPublicKey};
    ///
    /// let mut bytes = [0u8; 56];
    /// bytes[3] = 4;
    /// assert!(LmotsPublicKey::from_bytes(&bytes).is_ok());
    /// assert_eq!(
    ///     LmotsPublicKey::from_bytes(&bytes[..55]),
    ///     Err(LmotsError::WrongLength { expected: 56, actual: 55 })
    /// );
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LmotsError> {
        let typecode = read_u32(bytes, 0)?;
        let params =
            LmotsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
        if bytes.len() != Self::ENCODED_LEN {
            return Err(LmotsError::WrongLength {
                expected: Self::ENCODED_LEN,
                actual: bytes.len(),
            });
        }
        Ok(Self {
            params,
            id: read_array(bytes, 4)?,
            q: read_u32(bytes, 4 + ID_LEN)?,
            k: read_array(bytes, 8 + ID_LEN)?,
        })
    }

    /// Verifies `signature` on `message` (RFC 8554, Algorithm 4a).
    ///
    /// # Cost
    ///
    /// At most `p·(2^w − 1)` chain steps (the table in the [module
    /// docs](self)), one hash of the message and one of `22 + 32p` bytes.
    /// The bound depends only on the key's parameter set.
    ///
    /// # Errors
    ///
    /// [`LmotsError::TypeMismatch`] if the signature is for another
    /// parameter set, [`LmotsError::Invalid`] if it does not verify.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsError, LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 0, &[2; 32]);
    /// let public = key.public_key();
    /// let sig = key.sign_with_randomizer([3; 32], b"pay 10");
    /// assert_eq!(public.verify(b"pay 10", &sig), Ok(()));
    /// assert_eq!(public.verify(b"pay 99", &sig), Err(LmotsError::Invalid));
    /// ```
    pub fn verify(&self, message: &[u8], signature: &LmotsSignature) -> Result<(), LmotsError> {
        let kc = candidate_public_key(self.params, &self.id, self.q, message, signature)?;
        if bool::from(kc.ct_eq(&self.k)) {
            Ok(())
        } else {
            Err(LmotsError::Invalid)
        }
    }
}

impl TryFrom<&[u8]> for LmotsPublicKey {
    type Error = LmotsError;

    fn try_from(bytes: &[u8]) -> Result<Self, LmotsError> {
        Self::from_bytes(bytes)
    }
}

/// The candidate public key `Kc` of a signature (RFC 8554, Algorithm 4b).
///
/// The signature is valid for the key `(params, id, q, K)` exactly when
/// `Kc == K`. This is also the LMS leaf input: LMS verification hashes `Kc`
/// up the tree.
///
/// # Cost
///
/// At most `p·(2^w − 1)` chain steps, one hash of the message and one of
/// `22 + 32p` bytes.
///
/// # Errors
///
/// [`LmotsError::TypeMismatch`] if the signature is not for `params`.
///
/// # Examples
///
/// ```
/// use payword::lmots::{candidate_public_key, LmotsParams, LmotsPrivateKey};
///
/// let params = LmotsParams::Sha256N32W2;
/// let key = LmotsPrivateKey::from_seed(params, [1; 16], 4, &[2; 32]);
/// let public = key.public_key();
/// let sig = key.sign_with_randomizer([3; 32], b"m");
/// assert_eq!(candidate_public_key(params, &[1; 16], 4, b"m", &sig)?, *public.k());
/// # Ok::<(), payword::lmots::LmotsError>(())
/// ```
pub fn candidate_public_key(
    params: LmotsParams,
    id: &[u8; ID_LEN],
    q: u32,
    message: &[u8],
    signature: &LmotsSignature,
) -> Result<[u8; N], LmotsError> {
    if signature.params != params {
        return Err(LmotsError::TypeMismatch {
            expected: params.typecode(),
            found: signature.params.typecode(),
        });
    }
    candidate_from_parts(
        params,
        id,
        q,
        message,
        &signature.c,
        signature.y().as_flattened(),
    )
}

/// An LM-OTS signature: parameter set, randomizer `C` and the `p` chain
/// words `y[i]`.
///
/// Stored in a fixed array of [`MAX_P`] words (8.5 KiB), so it needs no
/// allocator. Encoded as `u32str(type) ‖ C ‖ y[0] ‖ … ‖ y[p−1]` (RFC 8554,
/// section 4.5).
///
/// # Examples
///
/// ```
/// use payword::lmots::{LmotsParams, LmotsPrivateKey, LmotsSignature};
///
/// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [1; 16], 0, &[2; 32]);
/// let sig = key.sign_with_randomizer([3; 32], b"m");
/// let bytes = sig.to_vec();
/// assert_eq!(bytes.len(), 1124);
/// assert_eq!(LmotsSignature::from_bytes(&bytes)?, sig);
/// # Ok::<(), payword::lmots::LmotsError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct LmotsSignature {
    params: LmotsParams,
    c: [u8; N],
    /// `y[..p]` holds the words; the rest is always zero.
    y: [[u8; N]; MAX_P],
}

impl fmt::Debug for LmotsSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Hex<'a>(&'a [u8]);
        impl fmt::Debug for Hex<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                crate::bytes::write_hex(f, self.0)
            }
        }
        f.debug_struct("LmotsSignature")
            .field("params", &self.params)
            .field("c", &Hex(&self.c))
            .finish_non_exhaustive()
    }
}

impl LmotsSignature {
    /// The largest encoded length (W1): 8516 bytes.
    pub const MAX_ENCODED_LEN: usize = 4 + N * (MAX_P + 1);

    /// The parameter set.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// assert_eq!(sig.params(), LmotsParams::Sha256N32W8);
    /// ```
    #[must_use]
    pub const fn params(&self) -> LmotsParams {
        self.params
    }

    /// The randomizer `C`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// assert_eq!(sig.randomizer(), &[3; 32]);
    /// ```
    #[must_use]
    pub const fn randomizer(&self) -> &[u8; N] {
        &self.c
    }

    /// The `p` chain words `y[0..p]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W8, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// assert_eq!(sig.y().len(), 34);
    /// ```
    #[must_use]
    pub fn y(&self) -> &[[u8; N]] {
        self.y.get(..self.params.p()).unwrap_or_default()
    }

    /// The length of the encoding, [`LmotsParams::signature_len`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W1, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// assert_eq!(sig.encoded_len(), 8516);
    /// ```
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.params.signature_len()
    }

    /// Writes the canonical encoding into the first
    /// [`encoded_len`](Self::encoded_len) bytes of `out` and returns that
    /// length. Works without an allocator.
    ///
    /// # Errors
    ///
    /// [`LmotsError::WrongLength`] if `out` is shorter than the encoding.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey, LmotsSignature};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// let mut buf = [0u8; LmotsSignature::MAX_ENCODED_LEN];
    /// let len = sig.encode_into(&mut buf)?;
    /// assert_eq!(len, 2180);
    /// assert_eq!(LmotsSignature::from_bytes(&buf[..len])?, sig);
    /// # Ok::<(), payword::lmots::LmotsError>(())
    /// ```
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, LmotsError> {
        let len = self.encoded_len();
        let actual = out.len();
        let dst = out.get_mut(..len).ok_or(LmotsError::WrongLength {
            expected: len,
            actual,
        })?;
        let (t, rest) = dst.split_at_mut(4);
        let (c, y) = rest.split_at_mut(N);
        t.copy_from_slice(&self.params.typecode().to_be_bytes());
        c.copy_from_slice(&self.c);
        y.copy_from_slice(self.y().as_flattened());
        Ok(len)
    }

    /// The canonical encoding as a vector.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsParams, LmotsPrivateKey};
    ///
    /// let key = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W2, [1; 16], 0, &[2; 32]);
    /// let sig = key.sign_with_randomizer([3; 32], b"m");
    /// assert_eq!(&sig.to_vec()[..4], &[0, 0, 0, 2]);
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        // The buffer has exactly the length needed.
        let _ = self.encode_into(&mut out);
        out
    }

    /// Decodes the canonical encoding.
    ///
    /// # Cost
    ///
    /// A copy of at most [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN) bytes;
    /// no hashing.
    ///
    /// # Errors
    ///
    /// [`LmotsError::Truncated`] for fewer than 4 bytes,
    /// [`LmotsError::UnknownTypecode`], or [`LmotsError::WrongLength`] unless
    /// the input has exactly the length of the typecode's signatures.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{LmotsError, LmotsSignature};
    ///
    /// assert_eq!(
    ///     LmotsSignature::from_bytes(&[0, 0, 0, 3, 1, 2]),
    ///     Err(LmotsError::WrongLength { expected: 2180, actual: 6 })
    /// );
    /// assert_eq!(
    ///     LmotsSignature::from_bytes(&[0, 0]),
    ///     Err(LmotsError::Truncated { needed: 4, remaining: 2 })
    /// );
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LmotsError> {
        let typecode = read_u32(bytes, 0)?;
        let params =
            LmotsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
        let expected = params.signature_len();
        if bytes.len() != expected {
            return Err(LmotsError::WrongLength {
                expected,
                actual: bytes.len(),
            });
        }
        let mut sig = Self {
            params,
            c: read_array(bytes, 4)?,
            y: [[0u8; N]; MAX_P],
        };
        let y_bytes = bytes.get(4 + N..).unwrap_or_default();
        for (word, chunk) in sig.y.iter_mut().zip(y_bytes.chunks_exact(N)) {
            word.copy_from_slice(chunk);
        }
        Ok(sig)
    }
}

impl TryFrom<&[u8]> for LmotsSignature {
    type Error = LmotsError;

    fn try_from(bytes: &[u8]) -> Result<Self, LmotsError> {
        Self::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding, without needing the `alloc` feature.
    fn enc(sig: &crate::lmots::LmotsSignature) -> Vec<u8> {
        let mut out = vec![0u8; sig.encoded_len()];
        assert_eq!(sig.encode_into(&mut out), Ok(out.len()));
        out
    }

    const ID: [u8; ID_LEN] = [0x11; ID_LEN];
    const SEED: [u8; N] = [0x5e; N];

    fn key(params: LmotsParams, q: u32) -> LmotsPrivateKey {
        LmotsPrivateKey::from_seed(params, ID, q, &SEED)
    }

    /// The RFC's loops, chain by chain, as an oracle for the interleaved
    /// [`advance`].
    fn naive_candidate(
        params: LmotsParams,
        q: u32,
        message: &[u8],
        sig: &LmotsSignature,
    ) -> [u8; N] {
        let a = digits(params, &message_digest(&ID, q, sig.randomizer(), message));
        let mut h = sha2::Sha256::new();
        h.update(ID);
        h.update(q.to_be_bytes());
        h.update(D_PBLC);
        for (i, y) in sig.y().iter().enumerate() {
            let mut tmp = *y;
            for j in a[i]..params.max_digit() {
                let mut buf = Vec::new();
                buf.extend_from_slice(&ID);
                buf.extend_from_slice(&q.to_be_bytes());
                buf.extend_from_slice(&(i as u16).to_be_bytes());
                buf.push(j);
                buf.extend_from_slice(&tmp);
                tmp = sha2::Sha256::digest(&buf).into();
            }
            h.update(tmp);
        }
        h.finalize().into()
    }

    #[test]
    fn parameter_table_matches_rfc_8554_table_1() {
        // (typecode, w, p, ls, signature length) from RFC 8554, Table 1.
        let table = [
            (1, 1, 265, 7, 8516),
            (2, 2, 133, 6, 4292),
            (3, 4, 67, 4, 2180),
            (4, 8, 34, 0, 1124),
        ];
        for (params, (t, w, p, ls, sig)) in LmotsParams::ALL.into_iter().zip(table) {
            assert_eq!(params.typecode(), t);
            assert_eq!(LmotsParams::from_typecode(t), Some(params));
            assert_eq!((params.w(), params.p(), params.ls()), (w, p, ls));
            assert_eq!(params.signature_len(), sig);
            assert_eq!(u32::from(params.max_digit()), (1u32 << w) - 1);
            // p = u + v with u = ceil(8n/w), v = ceil((floor(lg((2^w-1)u))+1)/w),
            // ls = 16 - v·w (RFC 8554, Appendix B).
            let u = (8 * N).div_ceil(usize::from(w));
            let max_sum = u * usize::from(params.max_digit());
            let v = (max_sum.ilog2() as usize + 1).div_ceil(usize::from(w));
            assert_eq!(u + v, p);
            assert_eq!(16 - v * usize::from(w), ls as usize);
            assert_eq!(params.to_string(), params.name());
        }
        assert!(LmotsParams::ALL.iter().all(|p| p.p() <= MAX_P));
        for t in [0, 5, 0x8000_0001, u32::MAX] {
            assert_eq!(LmotsParams::from_typecode(t), None);
        }
    }

    #[test]
    fn coef_follows_algorithm_0() {
        // The examples of RFC 8554, section 3.1.3: S = 0x1234.
        let s = [0x12, 0x34];
        assert_eq!(coef(&s, 7, 1), 0);
        assert_eq!(coef(&s, 0, 4), 1);
        let nibbles: Vec<u8> = (0..4).map(|i| coef(&s, i, 4)).collect();
        assert_eq!(nibbles, [1, 2, 3, 4]);
        let pairs: Vec<u8> = (0..8).map(|i| coef(&s, i, 2)).collect();
        assert_eq!(pairs, [0, 1, 0, 2, 0, 3, 1, 0]);
        let bits: Vec<u8> = (0..8).map(|i| coef(&s, i, 1)).collect();
        assert_eq!(bits, [0, 0, 0, 1, 0, 0, 1, 0]);
        assert_eq!(coef(&s, 1, 8), 0x34);
        // Past the end reads as 0 instead of panicking.
        assert_eq!(coef(&s, 2, 8), 0);
    }

    #[test]
    fn checksum_follows_algorithm_2() {
        let zeros = [0u8; N];
        let ones = [0xffu8; N];
        // All-zero digits: every digit contributes 2^w - 1.
        assert_eq!(checksum(LmotsParams::Sha256N32W1, &zeros), 256 << 7);
        assert_eq!(checksum(LmotsParams::Sha256N32W2, &zeros), (128 * 3) << 6);
        assert_eq!(checksum(LmotsParams::Sha256N32W4, &zeros), (64 * 15) << 4);
        assert_eq!(checksum(LmotsParams::Sha256N32W8, &zeros), 32 * 255);
        // All-maximal digits: the checksum is 0.
        for params in LmotsParams::ALL {
            assert_eq!(checksum(params, &ones), 0);
        }
        // A hand-worked W4 example: Q = 0x01 0x00…: digits 0,1,0,0,…
        // sum = 15 + 14 + 62·15 = 959, shifted by 4.
        let mut q = [0u8; N];
        q[0] = 0x01;
        assert_eq!(checksum(LmotsParams::Sha256N32W4, &q), 959 << 4);
        // W8 with Q = 0x80 then 0xff…: sum = 127.
        let mut q = [0xffu8; N];
        q[0] = 0x80;
        assert_eq!(checksum(LmotsParams::Sha256N32W8, &q), 127);
        // The digits of Q ‖ Cksm(Q): the checksum digits follow Q's.
        let a = digits(LmotsParams::Sha256N32W4, &[0u8; N]);
        assert!(a[..64].iter().all(|&d| d == 0));
        // Cksm = 960 << 4 = 0x3c00: digits 3, 12, 0 (p = 67 takes three).
        assert_eq!(&a[64..67], &[3, 12, 0]);
        assert!(a[67..].iter().all(|&d| d == 0));
    }

    #[test]
    fn round_trip_for_every_parameter_set() {
        for params in LmotsParams::ALL {
            let sk = key(params, 7);
            let pk = sk.public_key();
            let sig = sk.sign_with_randomizer([0xc0; N], b"message");
            assert_eq!(pk.verify(b"message", &sig), Ok(()), "{params}");
            assert_eq!(sig.y().len(), params.p());
            // Encodings round-trip.
            let bytes = enc(&sig);
            assert_eq!(bytes.len(), params.signature_len());
            assert_eq!(LmotsSignature::from_bytes(&bytes).unwrap(), sig);
            assert_eq!(LmotsPublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
            // The interleaved walk computes what the RFC's loops compute.
            assert_eq!(naive_candidate(params, 7, b"message", &sig), *pk.k());
        }
    }

    #[test]
    fn random_signing_verifies() {
        use rand_chacha::ChaCha20Rng;
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        for params in LmotsParams::ALL {
            let sk = LmotsPrivateKey::generate(params, ID, 0, &mut rng);
            let pk = sk.public_key();
            let sig = sk.sign(&mut rng, b"m");
            assert_eq!(pk.verify(b"m", &sig), Ok(()));
        }
    }

    #[test]
    fn any_flipped_bit_rejects() {
        for params in LmotsParams::ALL {
            let sk = key(params, 1);
            let pk = sk.public_key();
            let msg = b"pay vendor 42 units".to_vec();
            let sig = sk.sign_with_randomizer([0x77; N], &msg);
            assert_eq!(pk.verify(&msg, &sig), Ok(()));

            // Message.
            for bit in [0, 7, 8 * msg.len() - 1] {
                let mut m = msg.clone();
                m[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    pk.verify(&m, &sig),
                    Err(LmotsError::Invalid),
                    "{params} msg bit {bit}"
                );
            }
            // C.
            for bit in [0, 100, 255] {
                let mut s = sig.clone();
                s.c[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    pk.verify(&msg, &s),
                    Err(LmotsError::Invalid),
                    "{params} C bit {bit}"
                );
            }
            // y, first, middle and last word.
            for i in [0, params.p() / 2, params.p() - 1] {
                let mut s = sig.clone();
                s.y[i][31] ^= 0x80;
                assert_eq!(
                    pk.verify(&msg, &s),
                    Err(LmotsError::Invalid),
                    "{params} y[{i}]"
                );
            }
            // Key: I, q and K.
            let mut k = pk;
            k.id[0] ^= 1;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            let mut k = pk;
            k.q ^= 1;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            let mut k = pk;
            k.k[5] ^= 4;
            assert_eq!(k.verify(&msg, &sig), Err(LmotsError::Invalid));
            // The same flips on the wire encoding.
            let bytes = enc(&sig);
            for at in [4, 4 + N, bytes.len() - 1] {
                let mut b = bytes.clone();
                b[at] ^= 2;
                let s = LmotsSignature::from_bytes(&b).unwrap();
                assert_eq!(pk.verify(&msg, &s), Err(LmotsError::Invalid));
            }
        }
    }

    #[test]
    fn wrong_typecode_rejects() {
        let sk = key(LmotsParams::Sha256N32W4, 0);
        let pk = sk.public_key();
        let sig = sk.sign_with_randomizer([1; N], b"m");
        // A signature of another set under this key.
        let other = key(LmotsParams::Sha256N32W8, 0).sign_with_randomizer([1; N], b"m");
        assert_eq!(
            pk.verify(b"m", &other),
            Err(LmotsError::TypeMismatch {
                expected: 3,
                found: 4
            })
        );
        // A key whose typecode is changed.
        let relabelled = LmotsPublicKey::new(LmotsParams::Sha256N32W2, pk.id, pk.q, pk.k);
        assert_eq!(
            relabelled.verify(b"m", &sig),
            Err(LmotsError::TypeMismatch {
                expected: 2,
                found: 3
            })
        );
        // Typecode bytes changed on the wire.
        let mut bytes = enc(&sig);
        bytes[3] = 4;
        assert_eq!(
            LmotsSignature::from_bytes(&bytes),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 2180
            })
        );
        for t in [0u32, 5, 0x0100_0003, u32::MAX] {
            bytes[..4].copy_from_slice(&t.to_be_bytes());
            assert_eq!(
                LmotsSignature::from_bytes(&bytes),
                Err(LmotsError::UnknownTypecode { typecode: t })
            );
            let mut k = pk.to_bytes();
            k[..4].copy_from_slice(&t.to_be_bytes());
            assert_eq!(
                LmotsPublicKey::from_bytes(&k),
                Err(LmotsError::UnknownTypecode { typecode: t })
            );
        }
    }

    #[test]
    fn decoding_is_total() {
        let sig = key(LmotsParams::Sha256N32W8, 0).sign_with_randomizer([1; N], b"m");
        let bytes = enc(&sig);
        for len in 0..bytes.len() {
            assert!(
                LmotsSignature::from_bytes(&bytes[..len]).is_err(),
                "len {len}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            LmotsSignature::from_bytes(&long),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 1125
            })
        );
        let pk = key(LmotsParams::Sha256N32W8, 0).public_key().to_bytes();
        for len in 0..pk.len() {
            assert!(LmotsPublicKey::from_bytes(&pk[..len]).is_err());
        }
        let mut short = [0u8; 100];
        assert_eq!(
            sig.encode_into(&mut short),
            Err(LmotsError::WrongLength {
                expected: 1124,
                actual: 100
            })
        );
    }

    #[test]
    fn debug_of_private_key_leaks_nothing() {
        let seed = [0xa7u8; N];
        let sk = LmotsPrivateKey::from_seed(LmotsParams::Sha256N32W4, ID, 3, &seed);
        for s in [format!("{sk:?}"), format!("{sk:#?}")] {
            assert!(!s.contains("a7"), "{s}");
            assert!(!s.contains("167"), "{s}");
            assert!(!s.to_lowercase().contains("seed"), "{s}");
        }
        assert_eq!(
            format!("{sk:?}"),
            "LmotsPrivateKey { params: Sha256N32W4, q: 3, .. }"
        );
    }

    #[test]
    fn private_key_zeroizes() {
        // Not `Clone` and not `Copy`: see the `compile_fail` doctests of
        // `LmotsPrivateKey`.
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<LmotsPrivateKey>();
        let mut sk = key(LmotsParams::Sha256N32W1, 0);
        assert_eq!(sk.seed, SEED);
        // What `drop` does.
        sk.wipe();
        assert_eq!(sk.seed, [0u8; N]);
    }

    #[test]
    fn errors_display_in_lower_case() {
        let errors = [
            LmotsError::Invalid,
            LmotsError::Truncated {
                needed: 4,
                remaining: 1,
            },
            LmotsError::WrongLength {
                expected: 56,
                actual: 3,
            },
            LmotsError::UnknownTypecode { typecode: 9 },
            LmotsError::TypeMismatch {
                expected: 1,
                found: 2,
            },
            LmotsError::LevelsOutOfRange { levels: 9 },
            LmotsError::LevelMismatch {
                expected: 2,
                found: 3,
            },
        ];
        for e in errors {
            let s = e.to_string();
            assert_eq!(s, s.to_lowercase());
            let _: &dyn core::error::Error = &e;
        }
        fn send_sync<T: Send + Sync>() {}
        send_sync::<LmotsError>();
        send_sync::<LmotsSignature>();
        send_sync::<LmotsPrivateKey>();
    }
}
