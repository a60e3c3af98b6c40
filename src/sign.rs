//! The signing boundary: what signs commitments and certificates.
//!
//! Every signed message is first reduced to a [`Digest`]: the SHA-256 of
//! `Tweak(MessageDigest, 0, type tag) ‖ canonical encoding of the unsigned
//! body`. The type tag is part of the tweak, so a signature made over one
//! message type can never verify as another. The signature is over those 32
//! bytes.
//!
//! Two algorithms, each behind its feature, carried by a [`SigAlg`] tag:
//!
//! * **Ed25519** (feature `ed25519`, through `ed25519-dalek`, strict
//!   verification). Any signer that implements the RustCrypto traits
//!   `signature::Signer<ed25519_dalek::Signature>` and `signature::Keypair`
//!   (an HSM, a remote signer) plugs in through [`MessageSigner`].
//! * **LMS** (feature `lms`, RFC 8554): hash-based, stateful, built on this
//!   crate's LM-OTS. Keys are [`LmsSigner`]s (a
//!   [`LmsSigningKey`](crate::lmots::signer::LmsSigningKey) with the store
//!   its counter is saved to before every signature). Signatures use LM-OTS
//!   W4 or W8 (2,180 or 1,124 bytes) and any tree height, at most
//!   [`Signature::MAX_LEN`] bytes; other LM-OTS sets are refused when
//!   decoded, before any hashing.
//!
//! With `lms` and without `ed25519`, the crate holds no elliptic-curve code:
//! Ed25519 tags are then refused like unknown ones.
//!
//! Under `cfg(fuzzing)` (set only by `cargo fuzz`), digests are a cheap fold
//! and an Ed25519 signature verifies iff its first 32 bytes equal the
//! digest, so the fuzzer can reach the code behind verification (LMS
//! signatures are verified for real). Normal builds never see it.

use core::fmt;

use crate::hash::MessageHasher;
#[cfg(feature = "lms")]
use crate::lmots::{LmotsParams, lms::LmsParams, lms::LmsPublicKey};
use crate::wire::{DecodeError, Encode, Reader, TextError, VERSION, Writer, read_text, write_text};

pub use crate::hash::Digest;

/// The domain-tagged digest of a message of type `type_tag`: everything
/// `write` writes (tag, version and the unsigned fields) streams into the
/// hash, so no buffer can truncate a message.
pub(crate) fn digest_with(type_tag: u8, write: impl FnOnce(&mut Writer<'_>)) -> Digest {
    let mut h = MessageHasher::new(type_tag);
    write(&mut Writer::hashing(&mut h));
    Digest::from_bytes(h.finish())
}

/// The domain-tagged digest of the bytes `body` of a message of type
/// `type_tag`.
#[cfg(test)]
pub(crate) fn message_digest(type_tag: u8, body: &[u8]) -> Digest {
    digest_with(type_tag, |w| w.put(body))
}

/// A signature algorithm (wire tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigAlg {
    /// Ed25519 (RFC 8032), strict verification.
    Ed25519,
    /// LMS (RFC 8554) with SHA-256, LM-OTS W4 or W8, any tree height.
    Lms,
}

impl SigAlg {
    /// The one-byte wire tag (1 for Ed25519, 2 for LMS).
    #[must_use]
    pub const fn tag(self) -> u8 {
        match self {
            Self::Ed25519 => 1,
            Self::Lms => 2,
        }
    }

    /// The algorithm for a wire tag, if this build holds it (the `ed25519`
    /// and `lms` features).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::SigAlg;
    ///
    /// // Each tag is known exactly when its feature is in the build.
    /// assert_eq!(SigAlg::from_tag(1), cfg!(feature = "ed25519").then_some(SigAlg::Ed25519));
    /// assert_eq!(SigAlg::from_tag(2), cfg!(feature = "lms").then_some(SigAlg::Lms));
    /// assert_eq!(SigAlg::from_tag(3), None);
    /// ```
    #[must_use]
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            #[cfg(feature = "ed25519")]
            1 => Some(Self::Ed25519),
            #[cfg(feature = "lms")]
            2 => Some(Self::Lms),
            _ => None,
        }
    }

    /// The length of a public key's bytes (after the tag).
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::Ed25519 => 32,
            Self::Lms => LMS_KEY_LEN,
        }
    }
}

/// An LMS public key: `u32str(lms type) ‖ u32str(lmots type) ‖ I ‖ T[1]`.
const LMS_KEY_LEN: usize = 56;

/// The largest key (bytes after the tag) this build holds.
const MAX_KEY_BYTES: usize = if cfg!(feature = "lms") {
    LMS_KEY_LEN
} else {
    32
};

/// The largest LMS signature the protocol accepts: W4 leaves under a
/// height-25 tree (`8 + 2180 + 25·32`).
const LMS_MAX_SIG: usize = 2988;

/// The largest signature (bytes after the tag) this build holds.
const MAX_SIG_BYTES: usize = if cfg!(feature = "lms") {
    LMS_MAX_SIG
} else {
    64
};

/// Whether the protocol accepts LM-OTS `ots` in its LMS keys and signatures
/// (W4 and W8: W1 and W2 signatures are 4 to 8 times as long for no gain
/// here).
#[cfg(feature = "lms")]
const fn lms_ots_accepted(ots: LmotsParams) -> bool {
    matches!(ots, LmotsParams::Sha256N32W4 | LmotsParams::Sha256N32W8)
}

/// Copies `src` into the front of a zeroed `[u8; L]` (const).
const fn padded<const L: usize>(src: &[u8]) -> [u8; L] {
    let mut out = [0u8; L];
    let mut i = 0;
    while i < src.len() && i < L {
        out[i] = src[i];
        i += 1;
    }
    out
}

/// A public (verifying) key with its algorithm.
///
/// # Examples
///
/// ```
/// use payword::{PublicKey, SigAlg};
/// use ed25519_dalek::SigningKey;
///
/// let sk = SigningKey::from_bytes(&[7; 32]);
/// let pk = PublicKey::ed25519(sk.verifying_key().to_bytes());
/// assert_eq!(pk.alg(), SigAlg::Ed25519);
/// assert_eq!(pk.as_bytes(), &sk.verifying_key().to_bytes()[..]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey {
    alg: SigAlg,
    /// The key, then zeros.
    bytes: [u8; MAX_KEY_BYTES],
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({:?}, ", self.alg)?;
        crate::bytes::write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

impl PublicKey {
    /// The longest encoding (tag and key) of this build: 33 bytes for
    /// Ed25519, 57 with LMS.
    pub const MAX_ENCODED_LEN: usize = 1 + MAX_KEY_BYTES;

    /// An Ed25519 public key from its 32 bytes. The bytes are checked when a
    /// signature is verified (an invalid point verifies nothing).
    #[must_use]
    pub const fn ed25519(bytes: [u8; 32]) -> Self {
        Self {
            alg: SigAlg::Ed25519,
            bytes: padded(&bytes),
        }
    }

    /// An LMS public key, if the protocol accepts its LM-OTS set (W4 or
    /// W8).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::lmots::{lms::{LmsParams, LmsPublicKey}, LmotsParams};
    /// use payword::{PublicKey, SigAlg};
    ///
    /// let lms = LmsPublicKey::new(LmsParams::Sha256M32H10, LmotsParams::Sha256N32W4, [1; 16], [2; 32]);
    /// let key = PublicKey::lms(&lms).unwrap();
    /// assert_eq!((key.alg(), key.encoded_len()), (SigAlg::Lms, 57));
    /// assert_eq!(key.as_bytes(), &lms.to_bytes()[..]);
    /// let w2 = LmsPublicKey::new(LmsParams::Sha256M32H10, LmotsParams::Sha256N32W2, [1; 16], [2; 32]);
    /// assert!(PublicKey::lms(&w2).is_none());
    /// ```
    #[cfg(feature = "lms")]
    #[must_use]
    pub fn lms(key: &LmsPublicKey) -> Option<Self> {
        lms_ots_accepted(key.ots_params()).then(|| Self {
            alg: SigAlg::Lms,
            bytes: padded(&key.to_bytes()),
        })
    }

    /// The algorithm.
    #[must_use]
    pub const fn alg(&self) -> SigAlg {
        self.alg
    }

    /// The key bytes (32 for Ed25519, the 56-byte RFC 8554 encoding for
    /// LMS).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.alg.key_len()).unwrap_or_default()
    }

    /// The length of the encoding: 1 + the key's length.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        1 + self.alg.key_len()
    }

    /// Verifies `sig` over `digest`.
    ///
    /// # Cost
    ///
    /// Ed25519: one strict verification. LMS: the structure is checked
    /// first, then at most `p·(2^w − 1)` chain steps and `h + 1` tree hashes
    /// (1,005 + 26 for W4, 8,670 + 26 for W8).
    ///
    /// # Errors
    ///
    /// [`SignatureError`] (opaque) if the key, the signature or the algorithm
    /// pairing is wrong, or the algorithm is not in this build.
    pub fn verify(&self, digest: &Digest, sig: &Signature) -> Result<(), SignatureError> {
        crate::cost::on_verified();
        if sig.alg != self.alg {
            return Err(SignatureError);
        }
        match self.alg {
            SigAlg::Ed25519 => verify_ed25519(self, digest, sig),
            SigAlg::Lms => verify_lms(self, digest, sig),
        }
    }

    pub(crate) fn write(&self, w: &mut crate::wire::Writer<'_>) {
        w.put_u8(self.alg.tag());
        w.put(self.as_bytes());
    }

    pub(crate) fn read(
        r: &mut crate::wire::Reader<'_>,
        field: &'static str,
    ) -> Result<Self, crate::DecodeError> {
        let alg =
            SigAlg::from_tag(r.u8(field)?).ok_or(crate::DecodeError::NonCanonical { field })?;
        let bytes = r.take(field, alg.key_len())?;
        #[cfg(feature = "lms")]
        if alg == SigAlg::Lms {
            let key = LmsPublicKey::from_bytes(bytes)
                .map_err(|_| crate::DecodeError::NonCanonical { field })?;
            return Self::lms(&key).ok_or(crate::DecodeError::NonCanonical { field });
        }
        Ok(Self {
            alg,
            bytes: padded(bytes),
        })
    }

    /// The canonical encoding (algorithm tag ‖ key bytes) and its length.
    #[cfg(feature = "serde")]
    pub(crate) fn to_encoded(self) -> ([u8; Self::MAX_ENCODED_LEN], usize) {
        let mut out = [0u8; Self::MAX_ENCODED_LEN];
        let mut w = Writer::new(&mut out);
        self.write(&mut w);
        let len = w.position();
        (out, len)
    }

    /// Decodes exactly one canonical encoding (algorithm tag ‖ key bytes:
    /// 33 bytes for Ed25519, 57 for LMS).
    ///
    /// # Errors
    ///
    /// [`DecodeError`]: an algorithm this build does not hold, an LMS key
    /// with W1 or W2 leaves or an unknown typecode, a wrong length.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, PublicKey};
    ///
    /// let mut bytes = vec![1];
    /// bytes.extend([7; 32]);
    /// assert_eq!(PublicKey::from_encoded(&bytes)?, PublicKey::ed25519([7; 32]));
    /// assert_eq!(
    ///     PublicKey::from_encoded(&bytes[..32]),
    ///     Err(DecodeError::Truncated { field: "public key", needed: 32, remaining: 31 })
    /// );
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub fn from_encoded(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r, "public key")?;
        r.finish()?;
        Ok(key)
    }

    /// The longest text form of this build: the base64url (no padding) of
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN) bytes (44 characters for
    /// Ed25519, 76 with LMS).
    pub const MAX_TEXT_LEN: usize = crate::wire::text_len(Self::MAX_ENCODED_LEN);

    /// Writes the text form (base64url of the encoding, as for messages:
    /// see [`Encode`]) into `out` and returns it. No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError::BufferTooSmall`] if `out` is too short for this key
    /// ([`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) always suffices).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::PublicKey;
    ///
    /// let pk = PublicKey::ed25519([0xfb; 32]);
    /// let mut out = [0u8; PublicKey::MAX_TEXT_LEN];
    /// assert_eq!(pk.encode_text(&mut out)?, format!("Afv7{}", "-_v7".repeat(10)));
    /// # Ok::<(), payword::TextError>(())
    /// ```
    pub fn encode_text<'a>(&self, out: &'a mut [u8]) -> Result<&'a str, TextError> {
        write_text(out, |w| self.write(w))
    }

    /// The text form in a fresh string.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::PublicKey;
    ///
    /// let pk = PublicKey::ed25519([7; 32]);
    /// assert_eq!(PublicKey::from_text(&pk.to_text())?, pk);
    /// # Ok::<(), payword::TextError>(())
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_text(&self) -> alloc::string::String {
        let mut out = [0u8; Self::MAX_TEXT_LEN];
        alloc::string::String::from(self.encode_text(&mut out).unwrap_or(""))
    }

    /// Decodes a text form, as strictly as a message's
    /// ([`Encode::decode_text`]): the length first, then base64url with no
    /// padding, whitespace or standard-alphabet characters and canonical
    /// trailing bits, then the canonical encoding. No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError`] saying what was wrong; an unknown algorithm tag is
    /// [`TextError::Decode`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, PublicKey, TextError};
    ///
    /// let text = PublicKey::ed25519([7; 32]).to_text();
    /// assert_eq!(PublicKey::from_text(&text)?.as_bytes(), &[7; 32]);
    /// assert!(PublicKey::from_text(&format!("{text}A")).is_err());
    /// // Algorithm tag 3 is unknown.
    /// let three = format!("Aw{}", &text[2..]);
    /// assert_eq!(
    ///     PublicKey::from_text(&three),
    ///     Err(TextError::Decode(DecodeError::NonCanonical { field: "public key" }))
    /// );
    /// # Ok::<(), TextError>(())
    /// ```
    pub fn from_text(text: &str) -> Result<Self, TextError> {
        let mut scratch = [0u8; Self::MAX_ENCODED_LEN];
        let bytes = read_text(text, Self::MAX_ENCODED_LEN, &mut scratch)?;
        Self::from_encoded(bytes).map_err(TextError::Decode)
    }
}

#[cfg(all(feature = "ed25519", not(fuzzing)))]
fn verify_ed25519(key: &PublicKey, digest: &Digest, sig: &Signature) -> Result<(), SignatureError> {
    let bytes: [u8; 32] = key.as_bytes().try_into().map_err(|_| SignatureError)?;
    let sig: [u8; 64] = sig.as_bytes().try_into().map_err(|_| SignatureError)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| SignatureError)?;
    key.verify_strict(
        digest.as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&sig),
    )
    .map_err(|_| SignatureError)
}

#[cfg(all(feature = "ed25519", fuzzing))]
fn verify_ed25519(_: &PublicKey, digest: &Digest, sig: &Signature) -> Result<(), SignatureError> {
    if sig.as_bytes().get(..32) == Some(&digest.as_bytes()[..]) {
        Ok(())
    } else {
        Err(SignatureError)
    }
}

#[cfg(not(feature = "ed25519"))]
fn verify_ed25519(_: &PublicKey, _: &Digest, _: &Signature) -> Result<(), SignatureError> {
    Err(SignatureError)
}

#[cfg(feature = "lms")]
fn verify_lms(key: &PublicKey, digest: &Digest, sig: &Signature) -> Result<(), SignatureError> {
    LmsPublicKey::from_bytes(key.as_bytes())
        .and_then(|k| k.verify(digest.as_bytes(), sig.as_bytes()))
        .map_err(|_| SignatureError)
}

#[cfg(not(feature = "lms"))]
fn verify_lms(_: &PublicKey, _: &Digest, _: &Signature) -> Result<(), SignatureError> {
    Err(SignatureError)
}

/// Lower-case hex of the canonical encoding (algorithm tag ‖ key: 66 digits
/// for Ed25519, 114 for LMS), the form ids have.
///
/// # Examples
///
/// ```
/// use payword::PublicKey;
///
/// let pk = PublicKey::ed25519([0xab; 32]);
/// assert_eq!(pk.to_string(), format!("01{}", "ab".repeat(32)));
/// assert_eq!(pk.to_string().parse::<PublicKey>()?, pk);
/// # Ok::<(), payword::TextError>(())
/// ```
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::bytes::write_hex(f, &[self.alg.tag()])?;
        crate::bytes::write_hex(f, self.as_bytes())
    }
}

/// Parses the [`Display`](fmt::Display) form: the lower-case hex (one
/// spelling per key: upper case is refused) of a canonical encoding.
///
/// # Errors
///
/// [`TextError::Hex`] for anything but 66 (or, with `lms`, 114) lower-case
/// hex digits, [`TextError::Decode`] for an unknown algorithm tag or a key
/// of the wrong length for its tag.
///
/// # Examples
///
/// ```
/// use payword::{PublicKey, TextError};
///
/// let hex = format!("01{}", "ab".repeat(32));
/// assert!(hex.parse::<PublicKey>().is_ok());
/// assert!(matches!(hex.to_uppercase().parse::<PublicKey>(), Err(TextError::Hex(_))));
/// ```
impl core::str::FromStr for PublicKey {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const ED: usize = 1 + SigAlg::Ed25519.key_len();
        const LMS: usize = 1 + SigAlg::Lms.key_len();
        let hex_error = |expected_len| TextError::Hex(crate::bytes::HexError { expected_len });
        let decoded = match s.len() {
            n if n == 2 * ED => crate::bytes::parse_hex::<ED>(s)
                .ok_or(hex_error(ED))
                .map(|b| Self::from_encoded(&b)),
            n if n == 2 * LMS && cfg!(feature = "lms") => crate::bytes::parse_hex::<LMS>(s)
                .ok_or(hex_error(LMS))
                .map(|b| Self::from_encoded(&b)),
            _ => Err(hex_error(ED)),
        }?;
        decoded.map_err(TextError::Decode)
    }
}

/// A signature with its algorithm.
///
/// Held inline (no allocation): up to 64 bytes for Ed25519, up to
/// [`MAX_LEN`](Self::MAX_LEN) with the `lms` feature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    alg: SigAlg,
    /// The signature's length.
    len: u16,
    /// The signature, then zeros.
    bytes: [u8; MAX_SIG_BYTES],
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({:?}, ", self.alg)?;
        crate::bytes::write_hex(f, self.as_bytes())?;
        f.write_str(")")
    }
}

impl Signature {
    /// The longest signature (bytes after the tag) of this build: 64
    /// (Ed25519), or 2,988 with `lms` (W4 under a height-25 tree).
    pub const MAX_LEN: usize = MAX_SIG_BYTES;

    /// The longest encoding (tag and signature) of this build.
    pub const MAX_ENCODED_LEN: usize = 1 + MAX_SIG_BYTES;

    /// The encoding length of an Ed25519 signature: tag and 64 bytes.
    pub const ED25519_ENCODED_LEN: usize = 65;

    /// An Ed25519 signature from its 64 bytes.
    #[must_use]
    pub const fn ed25519(bytes: [u8; 64]) -> Self {
        Self {
            alg: SigAlg::Ed25519,
            len: 64,
            bytes: padded(&bytes),
        }
    }

    /// An encoded LMS signature (RFC 8554, section 5.4), checked as the
    /// decoder checks it (LM-OTS W4 or W8, leaf inside the tree, exact
    /// length); nothing is hashed.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] naming what was wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, Signature};
    ///
    /// // Leaf 0, LM-OTS typecode 1 (W1): refused before anything else.
    /// assert_eq!(
    ///     Signature::lms(&[0, 0, 0, 0, 0, 0, 0, 1]),
    ///     Err(DecodeError::NonCanonical { field: "lm-ots typecode" })
    /// );
    /// ```
    #[cfg(feature = "lms")]
    pub fn lms(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let sig = Self::read_lms(&mut r)?;
        r.finish()?;
        Ok(sig)
    }

    /// The algorithm.
    #[must_use]
    pub const fn alg(&self) -> SigAlg {
        self.alg
    }

    /// The signature bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The length of the encoding: 1 + the signature's length.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        1 + self.len as usize
    }

    pub(crate) fn write(&self, w: &mut crate::wire::Writer<'_>) {
        w.put_u8(self.alg.tag());
        w.put(self.as_bytes());
    }

    pub(crate) fn read(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::DecodeError> {
        let field = "signature";
        let alg =
            SigAlg::from_tag(r.u8(field)?).ok_or(crate::DecodeError::NonCanonical { field })?;
        match alg {
            #[cfg(feature = "lms")]
            SigAlg::Lms => Self::read_lms(r),
            _ => Ok(Self::ed25519(r.array(field)?)),
        }
    }

    /// Reads an LMS signature: its typecodes fix its length, and are checked
    /// before the rest is read.
    #[cfg(feature = "lms")]
    fn read_lms(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::DecodeError> {
        let field = "signature";
        let q = r.u32(field)?;
        let ots = LmotsParams::from_typecode(r.u32(field)?)
            .filter(|&o| lms_ots_accepted(o))
            .ok_or(DecodeError::NonCanonical {
                field: "lm-ots typecode",
            })?;
        let ots_body = r.take(field, ots.signature_len() - 4)?;
        let params = LmsParams::from_typecode(r.u32(field)?).ok_or(DecodeError::NonCanonical {
            field: "lms typecode",
        })?;
        if q >= params.leaves() {
            return Err(DecodeError::NonCanonical { field: "lms leaf" });
        }
        let path = r.take(field, crate::lmots::N * usize::from(params.h()))?;
        let len = params.signature_len(ots);
        let mut bytes = [0u8; MAX_SIG_BYTES];
        let mut w = Writer::new(&mut bytes);
        w.put(&q.to_be_bytes());
        w.put(&ots.typecode().to_be_bytes());
        w.put(ots_body);
        w.put(&params.typecode().to_be_bytes());
        w.put(path);
        if w.position() != len {
            return Err(DecodeError::LengthOverLimit {
                field,
                length: len as u64,
                max: MAX_SIG_BYTES as u64,
            });
        }
        Ok(Self {
            alg: SigAlg::Lms,
            len: u16::try_from(len).map_err(|_| DecodeError::NonCanonical { field })?,
            bytes,
        })
    }

    /// The longest text form of this build (base64url of
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN) bytes).
    pub const MAX_TEXT_LEN: usize = crate::wire::text_len(Self::MAX_ENCODED_LEN);

    /// Writes the text form (base64url of the encoding, as for messages:
    /// see [`Encode`]) into `out` and returns it. No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError::BufferTooSmall`] if `out` is too short for this
    /// signature ([`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) always suffices).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Signature;
    ///
    /// let sig = Signature::ed25519([0; 64]);
    /// let mut out = [0u8; Signature::MAX_TEXT_LEN];
    /// assert_eq!(sig.encode_text(&mut out)?, format!("AQ{}", "A".repeat(85)));
    /// # Ok::<(), payword::TextError>(())
    /// ```
    pub fn encode_text<'a>(&self, out: &'a mut [u8]) -> Result<&'a str, TextError> {
        write_text(out, |w| self.write(w))
    }

    /// The text form in a fresh string.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Signature;
    ///
    /// let sig = Signature::ed25519([9; 64]);
    /// assert_eq!(Signature::from_text(&sig.to_text())?, sig);
    /// # Ok::<(), payword::TextError>(())
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_text(&self) -> alloc::string::String {
        let mut out = [0u8; Self::MAX_TEXT_LEN];
        alloc::string::String::from(self.encode_text(&mut out).unwrap_or(""))
    }

    /// Decodes a text form, as strictly as a message's
    /// ([`Encode::decode_text`]). No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError`] saying what was wrong; an unknown algorithm tag is
    /// [`TextError::Decode`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, Signature, TextError};
    ///
    /// let text = Signature::ed25519([9; 64]).to_text();
    /// assert!(Signature::from_text(&text).is_ok());
    /// assert_eq!(
    ///     Signature::from_text(&format!("{text}=")),
    ///     Err(TextError::Padding { position: 87 })
    /// );
    /// assert_eq!(
    ///     Signature::from_text(&text.replace('J', "+")),
    ///     Err(TextError::StandardAlphabet { position: 3 })
    /// );
    /// ```
    pub fn from_text(text: &str) -> Result<Self, TextError> {
        let mut scratch = [0u8; Self::MAX_ENCODED_LEN];
        let bytes = read_text(text, Self::MAX_ENCODED_LEN, &mut scratch)?;
        let mut r = Reader::new(bytes);
        let sig = Self::read(&mut r)?;
        r.finish()?;
        Ok(sig)
    }
}

/// A signature did not verify. Opaque on purpose: verification is no oracle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignatureError;

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signature error")
    }
}

impl core::error::Error for SignatureError {}

/// Something that signs message digests for the protocol: a broker signing
/// certificates, a customer signing commitments.
///
/// Implemented for every RustCrypto Ed25519 signer
/// (`signature::Signer<ed25519_dalek::Signature> + signature::Keypair` with
/// `ed25519_dalek::VerifyingKey`), `ed25519_dalek::SigningKey` included.
///
/// # Examples
///
/// ```
/// use payword::{Digest, MessageSigner};
/// use ed25519_dalek::SigningKey;
///
/// let sk = SigningKey::from_bytes(&[1; 32]);
/// let d = Digest::from_bytes([2; 32]);
/// let sig = sk.sign_digest(&d)?;
/// assert!(sk.public_key().verify(&d, &sig).is_ok());
/// # Ok::<(), payword::SignatureError>(())
/// ```
pub trait MessageSigner {
    /// The public key signatures verify under.
    fn public_key(&self) -> PublicKey;

    /// Signs a digest.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] if the signer fails (a remote signer may).
    fn sign_digest(&self, digest: &Digest) -> Result<Signature, SignatureError>;
}

#[cfg(feature = "ed25519")]
impl<S> MessageSigner for S
where
    S: signature::Signer<ed25519_dalek::Signature>
        + signature::Keypair<VerifyingKey = ed25519_dalek::VerifyingKey>,
{
    fn public_key(&self) -> PublicKey {
        PublicKey::ed25519(self.verifying_key().to_bytes())
    }

    fn sign_digest(&self, digest: &Digest) -> Result<Signature, SignatureError> {
        #[cfg(fuzzing)]
        {
            let mut bytes = [0u8; 64];
            bytes[..32].copy_from_slice(digest.as_bytes());
            Ok(Signature::ed25519(bytes))
        }
        #[cfg(not(fuzzing))]
        {
            self.try_sign(digest.as_bytes())
                .map(|s| Signature::ed25519(s.to_bytes()))
                .map_err(|_| SignatureError)
        }
    }
}

/// An LMS key as a protocol signer: the stateful key and the store its
/// counter is saved to before each signature (see
/// [`lmots::signer`](crate::lmots::signer)).
///
/// A [`MessageSigner`] for one thread; [`SharedLmsSigner`] shares one
/// between threads. Through that trait every failure is [`SignError::Signer`];
/// [`sign_typed`](Self::sign_typed) gives the typed
/// [`LmsSignError`](crate::lmots::signer::LmsSignError).
///
/// # Examples
///
/// ```
/// use payword::lmots::signer::{LmsSigningKey, MemoryLmsStore};
/// use payword::lmots::{lms::LmsParams, LmotsParams};
/// use payword::{Digest, LmsSigner, MessageSigner, SigAlg};
///
/// let key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, [1; 16], &[2; 32])?;
/// let signer = LmsSigner::new(key, MemoryLmsStore::new())?;
/// let d = Digest::from_bytes([3; 32]);
/// let sig = signer.sign_digest(&d)?;
/// assert_eq!((sig.alg(), sig.as_bytes().len()), (SigAlg::Lms, 2348));
/// assert!(signer.public_key().verify(&d, &sig).is_ok());
/// assert!(signer.public_key().verify(&Digest::from_bytes([4; 32]), &sig).is_err());
/// assert_eq!(signer.remaining(), 31);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(all(feature = "lms", feature = "alloc"))]
#[derive(Debug)]
pub struct LmsSigner<S> {
    public: PublicKey,
    inner: core::cell::RefCell<(crate::lmots::signer::LmsSigningKey, S)>,
}

#[cfg(all(feature = "lms", feature = "alloc"))]
impl<S: crate::lmots::signer::LmsStateStore> LmsSigner<S> {
    /// A signer from a key and its store.
    ///
    /// # Errors
    ///
    /// [`LmsKeyError::OtsNotSupported`](crate::lmots::signer::LmsKeyError::OtsNotSupported)
    /// for LM-OTS W1 or W2 leaves (protocol signatures are W4 or W8).
    pub fn new(
        key: crate::lmots::signer::LmsSigningKey,
        store: S,
    ) -> Result<Self, crate::lmots::signer::LmsKeyError> {
        let public = PublicKey::lms(&key.public_key()).ok_or(
            crate::lmots::signer::LmsKeyError::OtsNotSupported {
                typecode: key.ots_params().typecode(),
            },
        )?;
        Ok(Self {
            public,
            inner: core::cell::RefCell::new((key, store)),
        })
    }

    /// How many more digests the key can sign (0 while it is signing).
    #[must_use]
    pub fn remaining(&self) -> u32 {
        self.inner
            .try_borrow()
            .map_or(0, |inner| inner.0.remaining())
    }

    /// Signs `digest` with the next leaf, after saving the advanced state.
    ///
    /// # Errors
    ///
    /// [`LmsSignError`](crate::lmots::signer::LmsSignError): the key is
    /// exhausted, the store failed (the leaf is burned, nothing signed), or
    /// the store called back into this signer while it was signing
    /// ([`Busy`](crate::lmots::signer::LmsSignError::Busy)).
    pub fn sign_typed(
        &self,
        digest: &Digest,
    ) -> Result<Signature, crate::lmots::signer::LmsSignError<S::Error>> {
        let mut inner = self
            .inner
            .try_borrow_mut()
            .map_err(|_| crate::lmots::signer::LmsSignError::Busy)?;
        let (key, store) = &mut *inner;
        let mut bytes = [0u8; MAX_SIG_BYTES];
        let len = key.sign_into(store, digest.as_bytes(), &mut bytes)?;
        let len =
            u16::try_from(len).map_err(|_| crate::lmots::signer::LmsSignError::BufferTooSmall {
                needed: usize::from(u16::MAX),
            })?;
        Ok(Signature {
            alg: SigAlg::Lms,
            len,
            bytes,
        })
    }

    /// The key and the store back.
    #[must_use]
    pub fn into_parts(self) -> (crate::lmots::signer::LmsSigningKey, S) {
        self.inner.into_inner()
    }
}

#[cfg(all(feature = "lms", feature = "alloc"))]
impl<S: crate::lmots::signer::LmsStateStore> MessageSigner for LmsSigner<S> {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn sign_digest(&self, digest: &Digest) -> Result<Signature, SignatureError> {
        self.sign_typed(digest).map_err(|_| SignatureError)
    }
}

/// An [`LmsSigner`] behind a mutex: a [`MessageSigner`] that threads share
/// (a broker service signing certificates from many workers). Signatures
/// are made one at a time, each after its save.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use payword::lmots::signer::{LmsSigningKey, MemoryLmsStore};
/// use payword::lmots::{lms::LmsParams, LmotsParams};
/// use payword::{Digest, LmsSigner, MessageSigner, SharedLmsSigner};
///
/// let key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, [1; 16], &[2; 32])?;
/// let signer = Arc::new(SharedLmsSigner::new(LmsSigner::new(key, MemoryLmsStore::new())?));
/// let threads: Vec<_> = (0..4u8)
///     .map(|i| {
///         let s = Arc::clone(&signer);
///         std::thread::spawn(move || s.sign_digest(&Digest::from_bytes([i; 32])))
///     })
///     .collect();
/// for t in threads {
///     assert!(t.join().unwrap().is_ok());
/// }
/// assert_eq!(signer.remaining(), Some(28));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(all(feature = "lms", feature = "std"))]
#[derive(Debug)]
pub struct SharedLmsSigner<S> {
    public: PublicKey,
    inner: std::sync::Mutex<LmsSigner<S>>,
    /// The thread holding `inner` while it signs: a store that calls back
    /// into this signer from that thread is told `Busy` instead of
    /// deadlocking.
    holder: std::sync::Mutex<Option<std::thread::ThreadId>>,
}

/// `inner` locked by the current thread, recorded in `holder` until dropped.
#[cfg(all(feature = "lms", feature = "std"))]
struct Held<'a, S> {
    signer: std::sync::MutexGuard<'a, LmsSigner<S>>,
    holder: &'a std::sync::Mutex<Option<std::thread::ThreadId>>,
}

#[cfg(all(feature = "lms", feature = "std"))]
impl<S> Drop for Held<'_, S> {
    fn drop(&mut self) {
        *self
            .holder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

#[cfg(all(feature = "lms", feature = "std"))]
impl<S: crate::lmots::signer::LmsStateStore> SharedLmsSigner<S> {
    /// Shares `signer`.
    #[must_use]
    pub fn new(signer: LmsSigner<S>) -> Self {
        Self {
            public: signer.public,
            inner: std::sync::Mutex::new(signer),
            holder: std::sync::Mutex::new(None),
        }
    }

    /// Locks the signer for this thread: `Busy` if this thread already holds
    /// it (a reentrant call from the store), `Poisoned` if a thread panicked
    /// while holding it.
    fn enter<E>(&self) -> Result<Held<'_, S>, crate::lmots::signer::LmsSignError<E>> {
        use crate::lmots::signer::LmsSignError;
        let me = std::thread::current().id();
        let holder = || {
            self.holder
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if *holder() == Some(me) {
            return Err(LmsSignError::Busy);
        }
        let signer = self.inner.lock().map_err(|_| LmsSignError::Poisoned)?;
        *holder() = Some(me);
        Ok(Held {
            signer,
            holder: &self.holder,
        })
    }

    /// How many more digests the key can sign; `None` when called from the
    /// thread that is signing (from inside the store) or after a thread
    /// panicked while signing.
    #[must_use]
    pub fn remaining(&self) -> Option<u32> {
        self.enter::<S::Error>().ok().map(|h| h.signer.remaining())
    }

    /// [`LmsSigner::sign_typed`] under the lock.
    ///
    /// # Errors
    ///
    /// As [`LmsSigner::sign_typed`];
    /// [`Busy`](crate::lmots::signer::LmsSignError::Busy) if the store calls
    /// back into this signer while it signs (instead of a deadlock; a store
    /// that waits for *another* thread that signs with this signer still
    /// deadlocks); [`Poisoned`](crate::lmots::signer::LmsSignError::Poisoned)
    /// if a thread panicked while signing (the key's state is not trusted any
    /// more).
    pub fn sign_typed(
        &self,
        digest: &Digest,
    ) -> Result<Signature, crate::lmots::signer::LmsSignError<S::Error>> {
        self.enter()?.signer.sign_typed(digest)
    }
}

#[cfg(all(feature = "lms", feature = "std"))]
impl<S: crate::lmots::signer::LmsStateStore> MessageSigner for SharedLmsSigner<S> {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn sign_digest(&self, digest: &Digest) -> Result<Signature, SignatureError> {
        self.sign_typed(digest).map_err(|_| SignatureError)
    }
}

/// The content of a signed message: its fields, with one canonical encoding.
///
/// Sealed: implemented by this crate's field types (`CertificateFields`,
/// `CommitmentFields`, …), each an instance of [`Signed`].
pub trait SignedFields:
    crate::wire::sealed::Sealed + Sized + Clone + PartialEq + fmt::Debug
{
    /// The message's type tag, first byte of its encoding and part of the
    /// digest's tweak.
    const TAG: u8;
    /// The largest encoding of the fields (without tag, version and
    /// signature), in bytes.
    const MAX_LEN: usize;

    /// Writes the fields.
    #[doc(hidden)]
    fn write(&self, w: &mut Writer<'_>);

    /// Reads the fields, refusing every value the format does not allow.
    #[doc(hidden)]
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// The largest encoding of any signed message's fields (bytes): the bound of
/// the buffer [`Signed::sign`] checks the fields in.
const MAX_SIGNED_FIELDS: usize = 1024;

/// A signed message: fields `F` and a signature over their
/// [digest](Signed::digest_of).
///
/// Every signed message of the protocol is one of these (`Certificate` is
/// `Signed<CertificateFields>`, `Commitment` is `Signed<CommitmentFields>`,
/// …): one digest, sign, verify and encoding path for all of them. The
/// encoding is `tag ‖ version ‖ fields ‖ signature`; the digest is the
/// SHA-256 of `Tweak(MessageDigest, 0, tag) ‖ tag ‖ version ‖ fields`,
/// streamed, so no signature is valid across message types.
///
/// # Examples
///
/// ```
/// use payword::{BrokerId, Certificate, CertificateFields, CustomerId, Encode, MessageSigner};
/// use ed25519_dalek::SigningKey;
///
/// let broker = SigningKey::from_bytes(&[1; 32]);
/// let fields = CertificateFields {
///     broker: BrokerId::from_bytes([9; 32]),
///     serial: 1,
///     customer: CustomerId::from_bytes([3; 16]),
///     customer_key: SigningKey::from_bytes(&[2; 32]).public_key(),
///     credit_limit: 1_000,
///     valid_from: 0,
///     expires: 86_400,
/// };
/// let cert = Certificate::sign(fields, &broker)?;
/// assert_eq!(cert.digest(), Certificate::digest_of(&fields));
/// assert!(cert.verify(&broker.public_key()).is_ok());
/// assert_eq!(Certificate::decode(&cert.to_bytes())?, cert);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signed<F> {
    pub(crate) fields: F,
    pub(crate) signature: Signature,
}

impl<F: SignedFields> Signed<F> {
    /// The digest a signer signs for `fields`; also the message's identity
    /// (brokers key their records on it).
    ///
    /// # Cost
    ///
    /// One SHA-256 over the encoded fields (streamed, no buffer).
    #[must_use]
    pub fn digest_of(fields: &F) -> Digest {
        digest_with(F::TAG, |w| {
            w.put_u8(F::TAG);
            w.put_u8(VERSION);
            fields.write(w);
        })
    }

    /// Signs `fields` with `signer`.
    ///
    /// The fields are first encoded and decoded again: a value the decoder
    /// would refuse (a reversed validity window, a zero unit value, a count
    /// out of range, …) is never signed, so every signed message decodes.
    ///
    /// # Errors
    ///
    /// [`SignError::Invalid`] naming the field the format refuses;
    /// [`SignError::Signer`] if the signer fails.
    pub fn sign<S: MessageSigner + ?Sized>(fields: F, signer: &S) -> Result<Self, SignError> {
        check_fields(&fields)?;
        let signature = signer
            .sign_digest(&Self::digest_of(&fields))
            .map_err(|_| SignError::Signer)?;
        crate::cost::on_signed();
        Ok(Self { fields, signature })
    }

    /// The signed content.
    #[must_use]
    pub const fn fields(&self) -> &F {
        &self.fields
    }

    /// The signature.
    #[must_use]
    pub const fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The message's identity: [`digest_of`](Self::digest_of) its fields.
    #[must_use]
    pub fn digest(&self) -> Digest {
        Self::digest_of(&self.fields)
    }

    /// Verifies the signature under `key`.
    ///
    /// # Cost
    ///
    /// One digest and one signature verification.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] (opaque).
    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        key.verify(&self.digest(), &self.signature)
    }
}

/// Encodes `fields` and decodes them again: they must decode to themselves.
fn check_fields<F: SignedFields>(fields: &F) -> Result<(), SignError> {
    const { assert!(F::MAX_LEN <= MAX_SIGNED_FIELDS) };
    let mut buf = [0u8; MAX_SIGNED_FIELDS];
    let mut w = Writer::new(&mut buf);
    fields.write(&mut w);
    let len = w.position();
    let bytes = buf
        .get(..len)
        .ok_or(SignError::Invalid(DecodeError::LengthOverLimit {
            field: "fields",
            length: len as u64,
            max: MAX_SIGNED_FIELDS as u64,
        }))?;
    let mut r = Reader::new(bytes);
    let back = F::read(&mut r).map_err(SignError::Invalid)?;
    r.finish().map_err(SignError::Invalid)?;
    if back == *fields {
        Ok(())
    } else {
        Err(SignError::Invalid(DecodeError::NonCanonical {
            field: "fields",
        }))
    }
}

impl<F: SignedFields> crate::wire::sealed::Sealed for Signed<F> {}

impl<F: SignedFields> Encode for Signed<F> {
    const TAG: u8 = F::TAG;
    const MAX_LEN: usize = 2 + F::MAX_LEN + Signature::MAX_ENCODED_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.fields.write(w);
        self.signature.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let fields = F::read(r)?;
        let signature = Signature::read(r)?;
        Ok(Self { fields, signature })
    }
}

/// Why a message could not be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The fields hold a value the wire format refuses (the decoder would
    /// refuse the message): the error names the field.
    Invalid(DecodeError),
    /// The signer failed.
    Signer,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "fields cannot be signed: {e}"),
            Self::Signer => f.write_str("signer failed"),
        }
    }
}

impl core::error::Error for SignError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            Self::Signer => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_separate_types() {
        assert_ne!(message_digest(1, b"x"), message_digest(2, b"x"));
        assert_ne!(message_digest(1, b"x"), message_digest(1, b"y"));
    }

    #[cfg(feature = "ed25519")]
    #[test]
    fn ed25519_round_trip_and_strictness() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let d = message_digest(7, b"hello");
        let sig = sk.sign_digest(&d).unwrap();
        let pk = sk.public_key();
        assert_eq!(pk.verify(&d, &sig), Ok(()));
        assert_eq!(
            pk.verify(&message_digest(8, b"hello"), &sig),
            Err(SignatureError)
        );
        let mut bad: [u8; 64] = sig.as_bytes().try_into().unwrap();
        bad[0] ^= 1;
        assert_eq!(pk.verify(&d, &Signature::ed25519(bad)), Err(SignatureError));
        // The identity point is a small-order key: strict verification refuses it.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(PublicKey::ed25519(id).verify(&d, &sig), Err(SignatureError));
    }
}
