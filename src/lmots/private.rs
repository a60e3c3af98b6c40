//! The one-time private key (RFC 8554, Algorithms 0, 1 and 3).

use super::*;

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
    pub(super) params: LmotsParams,
    pub(super) id: [u8; ID_LEN],
    pub(super) q: u32,
    pub(super) seed: [u8; N],
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
    pub(super) fn wipe(&mut self) {
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
