//! The public key and verification (RFC 8554, Algorithms 1 and 4a/4b).

use super::*;

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
    pub(super) params: LmotsParams,
    pub(super) id: [u8; ID_LEN],
    pub(super) q: u32,
    pub(super) k: [u8; N],
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
    /// docs](crate::lmots)), one hash of the message and one of `22 + 32p` bytes.
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
