//! The signature and its encoding (RFC 8554, section 4.5).

use super::*;

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
    pub(super) params: LmotsParams,
    pub(super) c: [u8; N],
    /// `y[..p]` holds the words; the rest is always zero.
    pub(super) y: [[u8; N]; MAX_P],
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
