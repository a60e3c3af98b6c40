//! LMS verification (RFC 8554, section 5) and HSS verification (section 6).
//!
//! An LMS key is a Merkle tree of height `h` over `2^h` LM-OTS public keys
//! (the leaves); its public key is the root `T[1]`. An LMS signature is the
//! leaf number `q`, an LM-OTS signature under leaf `q`, and the `h` sibling
//! nodes on the path from that leaf to the root. HSS chains `L` LMS trees:
//! each tree signs the public key of the next, the last signs the message.
//!
//! This module verifies; it does not keep signing state. It also exposes the
//! two tree hashes ([`leaf_hash`], [`interior_hash`]) so that a caller can
//! build a tree from [`LmotsPrivateKey`](super::LmotsPrivateKey) leaves.
//!
//! Every decoder is total and every verification has a fixed cost bound:
//! the height bounds the path (at most 25 nodes), the LM-OTS typecode bounds
//! the chain steps, and HSS has at most [`MAX_HSS_LEVELS`] levels. Structure
//! is checked in full before any hashing.
//!
//! # Example: a height-5 tree of W1 keys, one signature
//!
//! ```
//! use payword::lmots::lms::{hss_verify, interior_hash, leaf_hash, LmsParams, LmsPublicKey};
//! use payword::lmots::{LmotsParams, LmotsPrivateKey};
//!
//! let (ots, id, seed) = (LmotsParams::Sha256N32W1, [7u8; 16], [1u8; 32]);
//! // Node r of the tree is nodes[r]: root 1, leaves 32..64.
//! let mut nodes = [[0u8; 32]; 64];
//! for q in 0..32u32 {
//!     let k = LmotsPrivateKey::from_seed(ots, id, q, &seed).public_key();
//!     nodes[32 + q as usize] = leaf_hash(&id, 32 + q, k.k());
//! }
//! for r in (1..32usize).rev() {
//!     nodes[r] = interior_hash(&id, r as u32, &nodes[2 * r], &nodes[2 * r + 1]);
//! }
//! let public = LmsPublicKey::new(LmsParams::Sha256M32H5, ots, id, nodes[1]);
//!
//! // Sign with leaf 3: u32str(q) ‖ LM-OTS signature ‖ u32str(type) ‖ path.
//! let q = 3u32;
//! let ots_sig = LmotsPrivateKey::from_seed(ots, id, q, &seed).sign_with_randomizer([9; 32], b"hi");
//! let mut sig = q.to_be_bytes().to_vec();
//! sig.extend(ots_sig.to_vec());
//! sig.extend(LmsParams::Sha256M32H5.typecode().to_be_bytes());
//! let mut r = 32 + q as usize;
//! while r > 1 {
//!     sig.extend(nodes[r ^ 1]);
//!     r /= 2;
//! }
//! assert_eq!(sig.len(), LmsParams::Sha256M32H5.signature_len(ots));
//! public.verify(b"hi", &sig)?;
//! assert!(public.verify(b"ho", &sig).is_err());
//!
//! // The same as a one-level HSS signature: u32str(L) ‖ key, u32str(0) ‖ sig.
//! let hss_public = [&1u32.to_be_bytes()[..], &public.to_bytes()].concat();
//! let hss_sig = [&0u32.to_be_bytes()[..], &sig].concat();
//! hss_verify(&hss_public, b"hi", &hss_sig)?;
//! # Ok::<(), payword::lmots::LmotsError>(())
//! ```

use core::fmt;

use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use super::{ID_LEN, LmotsError, LmotsParams, N, candidate_from_parts, read_array, read_u32};

/// The domain separator of leaf hashes (RFC 8554, section 3.1.4).
const D_LEAF: [u8; 2] = [0x82, 0x82];
/// The domain separator of interior-node hashes (RFC 8554, section 3.1.4).
const D_INTR: [u8; 2] = [0x83, 0x83];

/// The largest number of levels `L` of an HSS key (RFC 8554, section 6).
pub const MAX_HSS_LEVELS: u32 = 8;

/// The largest tree height of a supported parameter set.
pub const MAX_HEIGHT: u8 = 25;

/// An LMS parameter set (RFC 8554, section 5.1, Table 2): SHA-256,
/// `m = 32`, tree height `h`.
///
/// # Examples
///
/// ```
/// use payword::lmots::lms::LmsParams;
///
/// let h10 = LmsParams::from_typecode(6).unwrap();
/// assert_eq!((h10, h10.h()), (LmsParams::Sha256M32H10, 10));
/// assert_eq!(h10.leaves(), 1024);
/// assert_eq!(LmsParams::from_typecode(4), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LmsParams {
    /// `LMS_SHA256_M32_H5` (typecode 5): 32 leaves.
    Sha256M32H5,
    /// `LMS_SHA256_M32_H10` (typecode 6): 1024 leaves.
    Sha256M32H10,
    /// `LMS_SHA256_M32_H15` (typecode 7): 32768 leaves.
    Sha256M32H15,
    /// `LMS_SHA256_M32_H20` (typecode 8): 2^20 leaves.
    Sha256M32H20,
    /// `LMS_SHA256_M32_H25` (typecode 9): 2^25 leaves.
    Sha256M32H25,
}

impl LmsParams {
    /// The five parameter sets, in typecode order.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::ALL.map(|p| p.h()), [5, 10, 15, 20, 25]);
    /// ```
    pub const ALL: [Self; 5] = [
        Self::Sha256M32H5,
        Self::Sha256M32H10,
        Self::Sha256M32H15,
        Self::Sha256M32H20,
        Self::Sha256M32H25,
    ];

    /// The parameter set for an RFC 8554 typecode (5 to 9), or `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::from_typecode(5), Some(LmsParams::Sha256M32H5));
    /// assert_eq!(LmsParams::from_typecode(10), None);
    /// ```
    #[must_use]
    pub const fn from_typecode(typecode: u32) -> Option<Self> {
        match typecode {
            5 => Some(Self::Sha256M32H5),
            6 => Some(Self::Sha256M32H10),
            7 => Some(Self::Sha256M32H15),
            8 => Some(Self::Sha256M32H20),
            9 => Some(Self::Sha256M32H25),
            _ => None,
        }
    }

    /// The RFC 8554 typecode.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::Sha256M32H25.typecode(), 9);
    /// ```
    #[must_use]
    pub const fn typecode(self) -> u32 {
        match self {
            Self::Sha256M32H5 => 5,
            Self::Sha256M32H10 => 6,
            Self::Sha256M32H15 => 7,
            Self::Sha256M32H20 => 8,
            Self::Sha256M32H25 => 9,
        }
    }

    /// The RFC 8554 name, for example `"LMS_SHA256_M32_H5"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::Sha256M32H10.to_string(), "LMS_SHA256_M32_H10");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256M32H5 => "LMS_SHA256_M32_H5",
            Self::Sha256M32H10 => "LMS_SHA256_M32_H10",
            Self::Sha256M32H15 => "LMS_SHA256_M32_H15",
            Self::Sha256M32H20 => "LMS_SHA256_M32_H20",
            Self::Sha256M32H25 => "LMS_SHA256_M32_H25",
        }
    }

    /// The tree height `h`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::Sha256M32H15.h(), 15);
    /// ```
    #[must_use]
    pub const fn h(self) -> u8 {
        match self {
            Self::Sha256M32H5 => 5,
            Self::Sha256M32H10 => 10,
            Self::Sha256M32H15 => 15,
            Self::Sha256M32H20 => 20,
            Self::Sha256M32H25 => 25,
        }
    }

    /// The node size `m` in bytes: always 32.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::Sha256M32H5.m(), 32);
    /// ```
    #[must_use]
    pub const fn m(self) -> usize {
        N
    }

    /// The number of leaves (one-time keys) `2^h`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::lms::LmsParams;
    ///
    /// assert_eq!(LmsParams::Sha256M32H5.leaves(), 32);
    /// ```
    #[must_use]
    pub const fn leaves(self) -> u32 {
        1 << self.h()
    }

    /// The length of an LMS signature with LM-OTS set `ots`:
    /// `4 + (4 + n·(p + 1)) + 4 + m·h` bytes (RFC 8554, section 5.4.1).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::LmsParams, LmotsParams};
    ///
    /// assert_eq!(LmsParams::Sha256M32H5.signature_len(LmotsParams::Sha256N32W8), 1292);
    /// ```
    #[must_use]
    pub const fn signature_len(self, ots: LmotsParams) -> usize {
        8 + ots.signature_len() + N * self.h() as usize
    }
}

impl fmt::Display for LmsParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The leaf hash `H(I ‖ u32str(r) ‖ u16str(D_LEAF) ‖ K)` of node `r`
/// (`r = 2^h + q` for leaf `q`) with LM-OTS public-key hash `K` (RFC 8554,
/// section 5.3).
///
/// # Cost
///
/// One SHA-256 of 54 bytes (one compression).
///
/// # Examples
///
/// ```
/// use payword::lmots::lms::leaf_hash;
///
/// assert_ne!(leaf_hash(&[0; 16], 32, &[1; 32]), leaf_hash(&[0; 16], 33, &[1; 32]));
/// ```
#[must_use]
pub fn leaf_hash(id: &[u8; ID_LEN], r: u32, k: &[u8; N]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(r.to_be_bytes());
    h.update(D_LEAF);
    h.update(k);
    h.finalize().into()
}

/// The interior-node hash `H(I ‖ u32str(r) ‖ u16str(D_INTR) ‖ left ‖ right)`
/// of node `r` with children `left = T[2r]` and `right = T[2r+1]` (RFC 8554,
/// section 5.3).
///
/// # Cost
///
/// One SHA-256 of 86 bytes (two compressions).
///
/// # Examples
///
/// ```
/// use payword::lmots::lms::interior_hash;
///
/// let (a, b) = ([1; 32], [2; 32]);
/// assert_ne!(interior_hash(&[0; 16], 1, &a, &b), interior_hash(&[0; 16], 1, &b, &a));
/// ```
#[must_use]
pub fn interior_hash(id: &[u8; ID_LEN], r: u32, left: &[u8; N], right: &[u8; N]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(r.to_be_bytes());
    h.update(D_INTR);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// An LMS public key: parameter sets, identifier `I` and root `T[1]`.
///
/// Encoded as `u32str(lms type) ‖ u32str(lmots type) ‖ I ‖ T[1]` (RFC 8554,
/// section 5.3), 56 bytes.
///
/// # Examples
///
/// ```
/// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
///
/// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
/// let bytes = key.to_bytes();
/// assert_eq!(&bytes[..8], &[0, 0, 0, 5, 0, 0, 0, 4]);
/// assert_eq!(LmsPublicKey::from_bytes(&bytes)?, key);
/// # Ok::<(), payword::lmots::LmotsError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LmsPublicKey {
    params: LmsParams,
    ots: LmotsParams,
    id: [u8; ID_LEN],
    root: [u8; N],
}

impl LmsPublicKey {
    /// Length of the encoding: 56 bytes.
    pub const ENCODED_LEN: usize = 8 + ID_LEN + N;

    /// The public key with these parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(key.root(), &[2; 32]);
    /// ```
    #[must_use]
    pub const fn new(params: LmsParams, ots: LmotsParams, id: [u8; ID_LEN], root: [u8; N]) -> Self {
        Self {
            params,
            ots,
            id,
            root,
        }
    }

    /// The LMS parameter set.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(key.params(), LmsParams::Sha256M32H5);
    /// ```
    #[must_use]
    pub const fn params(&self) -> LmsParams {
        self.params
    }

    /// The LM-OTS parameter set of the leaves.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(key.ots_params(), LmotsParams::Sha256N32W8);
    /// ```
    #[must_use]
    pub const fn ots_params(&self) -> LmotsParams {
        self.ots
    }

    /// The tree identifier `I`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(key.id(), &[1; 16]);
    /// ```
    #[must_use]
    pub const fn id(&self) -> &[u8; ID_LEN] {
        &self.id
    }

    /// The root `T[1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(key.root(), &[2; 32]);
    /// ```
    #[must_use]
    pub const fn root(&self) -> &[u8; N] {
        &self.root
    }

    /// The canonical encoding (RFC 8554, section 5.3).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H10, LmotsParams::Sha256N32W4, [1; 16], [2; 32]);
    /// assert_eq!(&key.to_bytes()[..8], &[0, 0, 0, 6, 0, 0, 0, 3]);
    /// ```
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        let (t, rest) = out.split_at_mut(4);
        let (o, rest) = rest.split_at_mut(4);
        let (id, root) = rest.split_at_mut(ID_LEN);
        t.copy_from_slice(&self.params.typecode().to_be_bytes());
        o.copy_from_slice(&self.ots.typecode().to_be_bytes());
        id.copy_from_slice(&self.id);
        root.copy_from_slice(&self.root);
        out
    }

    /// Decodes the canonical encoding.
    ///
    /// # Errors
    ///
    /// [`LmotsError::Truncated`] if a typecode is cut off,
    /// [`LmotsError::UnknownTypecode`] for an unsupported LMS or LM-OTS
    /// typecode, [`LmotsError::WrongLength`] unless the input is exactly
    /// [`ENCODED_LEN`](Self::ENCODED_LEN) bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::LmsPublicKey, LmotsError};
    ///
    /// let mut bytes = [0u8; 56];
    /// bytes[3] = 5;
    /// assert_eq!(LmsPublicKey::from_bytes(&bytes), Err(LmotsError::UnknownTypecode { typecode: 0 }));
    /// bytes[7] = 1;
    /// assert!(LmsPublicKey::from_bytes(&bytes).is_ok());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LmotsError> {
        let typecode = read_u32(bytes, 0)?;
        let params =
            LmsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
        let typecode = read_u32(bytes, 4)?;
        let ots =
            LmotsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
        if bytes.len() != Self::ENCODED_LEN {
            return Err(LmotsError::WrongLength {
                expected: Self::ENCODED_LEN,
                actual: bytes.len(),
            });
        }
        Ok(Self {
            params,
            ots,
            id: read_array(bytes, 8)?,
            root: read_array(bytes, 8 + ID_LEN)?,
        })
    }

    /// Checks the structure of an LMS signature for this key: typecodes and
    /// length. Returns the leaf number `q` (not yet range-checked).
    fn check_structure(&self, signature: &[u8]) -> Result<u32, LmotsError> {
        let q = read_u32(signature, 0)?;
        let found = read_u32(signature, 4)?;
        let ots = LmotsParams::from_typecode(found)
            .ok_or(LmotsError::UnknownTypecode { typecode: found })?;
        if ots != self.ots {
            return Err(LmotsError::TypeMismatch {
                expected: self.ots.typecode(),
                found,
            });
        }
        let found = read_u32(signature, 4 + ots.signature_len())?;
        let params = LmsParams::from_typecode(found)
            .ok_or(LmotsError::UnknownTypecode { typecode: found })?;
        if params != self.params {
            return Err(LmotsError::TypeMismatch {
                expected: self.params.typecode(),
                found,
            });
        }
        let expected = params.signature_len(ots);
        if signature.len() != expected {
            return Err(LmotsError::WrongLength {
                expected,
                actual: signature.len(),
            });
        }
        Ok(q)
    }

    /// Verifies the LMS signature `signature` (encoded as in RFC 8554,
    /// section 5.4.1) on `message` (Algorithms 6 and 6a).
    ///
    /// # Cost
    ///
    /// One LM-OTS candidate computation (at most `p·(2^w − 1)` chain steps,
    /// see [`LmotsParams::chain_steps`]) plus `h + 1` tree hashes. The bound
    /// is set by the key, and the signature's structure is checked before
    /// any hashing.
    ///
    /// # Errors
    ///
    /// Decoding errors ([`LmotsError::Truncated`],
    /// [`LmotsError::UnknownTypecode`], [`LmotsError::TypeMismatch`] when
    /// the signature's typecodes are not the key's,
    /// [`LmotsError::WrongLength`]); [`LmotsError::Invalid`] when `q` is
    /// outside the tree or the signature does not verify.
    ///
    /// # Examples
    ///
    /// See the [module documentation](self).
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsError, LmotsParams};
    ///
    /// let key = LmsPublicKey::new(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], [2; 32]);
    /// assert_eq!(
    ///     key.verify(b"m", &[0, 0, 0, 0, 0, 0, 0, 4]),
    ///     Err(LmotsError::Truncated { needed: 4, remaining: 0 })
    /// );
    /// ```
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), LmotsError> {
        let q = self.check_structure(signature)?;
        if q >= self.params.leaves() {
            return Err(LmotsError::Invalid);
        }
        let ots_len = self.ots.signature_len();
        let c: [u8; N] = read_array(signature, 8)?;
        let y = signature.get(8 + N..4 + ots_len).unwrap_or_default();
        let path = signature.get(8 + ots_len..).unwrap_or_default();

        let kc = candidate_from_parts(self.ots, &self.id, q, message, &c, y)?;

        // Algorithm 6a, step 4: climb from leaf node 2^h + q to the root.
        let mut node = self
            .params
            .leaves()
            .checked_add(q)
            .ok_or(LmotsError::Invalid)?;
        let mut tmp = leaf_hash(&self.id, node, &kc);
        for sibling in path.chunks_exact(N) {
            let sibling: &[u8; N] = sibling.try_into().map_err(|_| LmotsError::Invalid)?;
            let parent = node / 2;
            tmp = if node % 2 == 1 {
                interior_hash(&self.id, parent, sibling, &tmp)
            } else {
                interior_hash(&self.id, parent, &tmp, sibling)
            };
            node = parent;
        }
        if node == 1 && bool::from(tmp.ct_eq(&self.root)) {
            Ok(())
        } else {
            Err(LmotsError::Invalid)
        }
    }
}

impl TryFrom<&[u8]> for LmsPublicKey {
    type Error = LmotsError;

    fn try_from(bytes: &[u8]) -> Result<Self, LmotsError> {
        Self::from_bytes(bytes)
    }
}

/// Verifies an encoded LMS signature on `message` under an encoded LMS
/// public key (RFC 8554, Algorithm 6).
///
/// # Cost
///
/// As [`LmsPublicKey::verify`]: at most 8670 chain steps (W8) plus 26 tree
/// hashes (H25).
///
/// # Errors
///
/// As [`LmsPublicKey::from_bytes`] and [`LmsPublicKey::verify`].
///
/// # Examples
///
/// ```
/// use payword::lmots::{lms::lms_verify, LmotsError};
///
/// assert_eq!(
///     lms_verify(&[0, 0, 0, 1], b"m", &[]),
///     Err(LmotsError::UnknownTypecode { typecode: 1 })
/// );
/// ```
pub fn lms_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), LmotsError> {
    LmsPublicKey::from_bytes(public_key)?.verify(message, signature)
}

/// The length of the LMS signature at the start of `bytes`, read from its
/// two typecodes. `bytes` may continue past it.
fn lms_signature_len(bytes: &[u8]) -> Result<usize, LmotsError> {
    let typecode = read_u32(bytes, 4)?;
    let ots =
        LmotsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
    let typecode = read_u32(bytes, 4 + ots.signature_len())?;
    let params =
        LmsParams::from_typecode(typecode).ok_or(LmotsError::UnknownTypecode { typecode })?;
    Ok(params.signature_len(ots))
}

/// Splits `bytes` after `len` bytes, or says how short it was.
fn split(bytes: &[u8], len: usize) -> Result<(&[u8], &[u8]), LmotsError> {
    bytes.split_at_checked(len).ok_or(LmotsError::Truncated {
        needed: len,
        remaining: bytes.len(),
    })
}

/// Walks the signed public keys of an HSS signature body (everything after
/// `u32str(Nspk)`): calls `visit(key, sig, next_key_bytes)` for each of the
/// `nspk` links, then returns the last key and the final signature.
fn walk_hss<'a>(
    first: LmsPublicKey,
    mut rest: &'a [u8],
    nspk: u32,
    mut visit: impl FnMut(&LmsPublicKey, &'a [u8], &'a [u8]) -> Result<(), LmotsError>,
) -> Result<(LmsPublicKey, &'a [u8]), LmotsError> {
    let mut key = first;
    for _ in 0..nspk {
        let (sig, after) = split(rest, lms_signature_len(rest)?)?;
        let (next, after) = split(after, LmsPublicKey::ENCODED_LEN)?;
        visit(&key, sig, next)?;
        key = LmsPublicKey::from_bytes(next)?;
        rest = after;
    }
    Ok((key, rest))
}

/// Verifies an encoded HSS signature on `message` under an encoded HSS public
/// key (RFC 8554, section 6.3, Algorithm 8).
///
/// The public key is `u32str(L) ‖ pub[0]`; the signature is
/// `u32str(Nspk) ‖ sig[0] ‖ pub[1] ‖ … ‖ sig[Nspk−1] ‖ pub[Nspk] ‖ sig[Nspk]`
/// with `Nspk = L − 1`: each LMS key signs the encoding of the next, the
/// last signs the message.
///
/// # Cost
///
/// `L ≤ 8` LMS verifications, each bounded as in [`LmsPublicKey::verify`].
/// The whole structure (levels, typecodes, lengths) is decoded before any
/// hashing.
///
/// # Errors
///
/// [`LmotsError::LevelsOutOfRange`] unless `1 ≤ L ≤ 8`,
/// [`LmotsError::LevelMismatch`] if `Nspk + 1 ≠ L`, decoding errors of any
/// part, [`LmotsError::Invalid`] if any signature in the chain does not
/// verify.
///
/// # Examples
///
/// See the [module documentation](self) for a valid signature.
///
/// ```
/// use payword::lmots::{lms::hss_verify, LmotsError};
///
/// let mut key = [0u8; 60];
/// key[3] = 9;
/// assert_eq!(hss_verify(&key, b"m", &[]), Err(LmotsError::LevelsOutOfRange { levels: 9 }));
/// ```
pub fn hss_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), LmotsError> {
    let levels = read_u32(public_key, 0)?;
    if levels == 0 || levels > MAX_HSS_LEVELS {
        return Err(LmotsError::LevelsOutOfRange { levels });
    }
    let top = LmsPublicKey::from_bytes(public_key.get(4..).unwrap_or_default())?;
    let nspk = read_u32(signature, 0)?;
    if u64::from(nspk) + 1 != u64::from(levels) {
        return Err(LmotsError::LevelMismatch {
            expected: levels,
            found: u64::from(nspk) + 1,
        });
    }
    let body = signature.get(4..).unwrap_or_default();

    // First pass: structure only, no hashing.
    let (last, final_sig) = walk_hss(top, body, nspk, |key, sig, _| {
        key.check_structure(sig).map(drop)
    })?;
    last.check_structure(final_sig)?;

    // Second pass: each key verifies the next key's encoding, the last one
    // the message.
    let (last, final_sig) = walk_hss(top, body, nspk, |key, sig, next| key.verify(next, sig))?;
    last.verify(message, final_sig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lmots::LmotsPrivateKey;

    /// The encoding, without needing the `alloc` feature.
    fn enc(sig: &crate::lmots::LmotsSignature) -> Vec<u8> {
        let mut out = vec![0u8; sig.encoded_len()];
        assert_eq!(sig.encode_into(&mut out), Ok(out.len()));
        out
    }

    const ID: [u8; ID_LEN] = [0x3c; ID_LEN];
    const SEED: [u8; N] = [0x99; N];

    /// A height-5 tree: `(public key, nodes)` with node `r` at `nodes[r]`.
    fn tree(ots: LmotsParams, id: [u8; ID_LEN], seed: &[u8; N]) -> (LmsPublicKey, Vec<[u8; N]>) {
        let params = LmsParams::Sha256M32H5;
        let leaves = params.leaves();
        let mut nodes = vec![[0u8; N]; 2 * leaves as usize];
        for q in 0..leaves {
            let k = LmotsPrivateKey::from_seed(ots, id, q, seed).public_key();
            nodes[(leaves + q) as usize] = leaf_hash(&id, leaves + q, k.k());
        }
        for r in (1..leaves as usize).rev() {
            nodes[r] = interior_hash(&id, r as u32, &nodes[2 * r], &nodes[2 * r + 1]);
        }
        (LmsPublicKey::new(params, ots, id, nodes[1]), nodes)
    }

    fn sign(
        key: &LmsPublicKey,
        nodes: &[[u8; N]],
        seed: &[u8; N],
        q: u32,
        message: &[u8],
    ) -> Vec<u8> {
        let ots = LmotsPrivateKey::from_seed(key.ots, key.id, q, seed)
            .sign_with_randomizer([q as u8; N], message);
        let mut sig = q.to_be_bytes().to_vec();
        sig.extend(enc(&ots));
        sig.extend(key.params.typecode().to_be_bytes());
        let mut r = (key.params.leaves() + q) as usize;
        while r > 1 {
            sig.extend(nodes[r ^ 1]);
            r /= 2;
        }
        sig
    }

    #[test]
    fn lms_round_trip_and_rejections() {
        let (key, nodes) = tree(LmotsParams::Sha256N32W2, ID, &SEED);
        for q in [0, 1, 17, 31] {
            let sig = sign(&key, &nodes, &SEED, q, b"msg");
            assert_eq!(key.verify(b"msg", &sig), Ok(()));
            assert_eq!(lms_verify(&key.to_bytes(), b"msg", &sig), Ok(()));
            assert_eq!(key.verify(b"msh", &sig), Err(LmotsError::Invalid));
            // Any path node or the leaf number flipped.
            let path_start = sig.len() - 5 * N;
            for at in [path_start, path_start + 2 * N + 7, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[at] ^= 1;
                assert_eq!(key.verify(b"msg", &bad), Err(LmotsError::Invalid));
            }
            let mut bad = sig.clone();
            bad[3] ^= 1;
            assert_eq!(key.verify(b"msg", &bad), Err(LmotsError::Invalid));
        }
        // q outside the tree.
        let mut sig = sign(&key, &nodes, &SEED, 0, b"msg");
        sig[..4].copy_from_slice(&32u32.to_be_bytes());
        assert_eq!(key.verify(b"msg", &sig), Err(LmotsError::Invalid));
        sig[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(key.verify(b"msg", &sig), Err(LmotsError::Invalid));
    }

    #[test]
    fn lms_decoding_is_total_and_checks_types() {
        let (key, nodes) = tree(LmotsParams::Sha256N32W1, ID, &SEED);
        let sig = sign(&key, &nodes, &SEED, 5, b"m");
        for len in 0..sig.len() {
            assert!(key.verify(b"m", &sig[..len]).is_err());
        }
        let mut long = sig.clone();
        long.push(0);
        assert_eq!(
            key.verify(b"m", &long),
            Err(LmotsError::WrongLength {
                expected: sig.len(),
                actual: sig.len() + 1
            })
        );
        // LM-OTS typecode of another set / unknown.
        let mut bad = sig.clone();
        bad[7] = 2;
        assert_eq!(
            key.verify(b"m", &bad),
            Err(LmotsError::TypeMismatch {
                expected: 1,
                found: 2
            })
        );
        bad[7] = 77;
        assert_eq!(
            key.verify(b"m", &bad),
            Err(LmotsError::UnknownTypecode { typecode: 77 })
        );
        // LMS typecode.
        let at = 4 + LmotsParams::Sha256N32W1.signature_len();
        let mut bad = sig.clone();
        bad[at + 3] = 6;
        assert_eq!(
            key.verify(b"m", &bad),
            Err(LmotsError::TypeMismatch {
                expected: 5,
                found: 6
            })
        );
        bad[at + 3] = 4;
        assert_eq!(
            key.verify(b"m", &bad),
            Err(LmotsError::UnknownTypecode { typecode: 4 })
        );
        // Public keys.
        let pk = key.to_bytes();
        for len in 0..pk.len() {
            assert!(LmsPublicKey::from_bytes(&pk[..len]).is_err());
        }
        assert_eq!(LmsPublicKey::from_bytes(&pk), Ok(key));
    }

    #[test]
    fn hss_two_levels() {
        let seed2 = [0x42; N];
        let id2 = [0x24; ID_LEN];
        let (top, top_nodes) = tree(LmotsParams::Sha256N32W4, ID, &SEED);
        let (bottom, bottom_nodes) = tree(LmotsParams::Sha256N32W1, id2, &seed2);
        let mut hss_sig = 1u32.to_be_bytes().to_vec();
        hss_sig.extend(sign(&top, &top_nodes, &SEED, 2, &bottom.to_bytes()));
        hss_sig.extend(bottom.to_bytes());
        hss_sig.extend(sign(&bottom, &bottom_nodes, &seed2, 9, b"message"));
        let mut hss_pub = 2u32.to_be_bytes().to_vec();
        hss_pub.extend(top.to_bytes());
        assert_eq!(hss_verify(&hss_pub, b"message", &hss_sig), Ok(()));
        assert_eq!(
            hss_verify(&hss_pub, b"messagf", &hss_sig),
            Err(LmotsError::Invalid)
        );
        // Every truncation fails, none panics.
        for len in 0..hss_sig.len() {
            assert!(hss_verify(&hss_pub, b"message", &hss_sig[..len]).is_err());
        }
        // A flipped byte in the signed bottom key fails.
        let at = 4 + LmsParams::Sha256M32H5.signature_len(LmotsParams::Sha256N32W4) + 30;
        let mut bad = hss_sig.clone();
        bad[at] ^= 1;
        assert_eq!(
            hss_verify(&hss_pub, b"message", &bad),
            Err(LmotsError::Invalid)
        );
        // Level counts.
        let mut p = hss_pub.clone();
        p[3] = 1;
        assert_eq!(
            hss_verify(&p, b"message", &hss_sig),
            Err(LmotsError::LevelMismatch {
                expected: 1,
                found: 2
            })
        );
        for l in [0u32, 9, u32::MAX] {
            p[..4].copy_from_slice(&l.to_be_bytes());
            assert_eq!(
                hss_verify(&p, b"message", &hss_sig),
                Err(LmotsError::LevelsOutOfRange { levels: l })
            );
        }
        let mut s = hss_sig.clone();
        s[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            hss_verify(&hss_pub, b"message", &s),
            Err(LmotsError::LevelMismatch {
                expected: 2,
                found: 1 << 32
            })
        );
    }

    #[test]
    fn lms_params_table() {
        for (params, (t, h)) in
            LmsParams::ALL
                .into_iter()
                .zip([(5, 5), (6, 10), (7, 15), (8, 20), (9, 25)])
        {
            assert_eq!(params.typecode(), t);
            assert_eq!(params.h(), h);
            assert_eq!(LmsParams::from_typecode(t), Some(params));
            assert_eq!(params.leaves(), 1 << h);
            assert!(params.h() <= MAX_HEIGHT);
        }
        assert_eq!(
            LmsParams::Sha256M32H10.signature_len(LmotsParams::Sha256N32W4),
            2508
        );
    }
}
