//! The signing boundary: what signs commitments and certificates.
//!
//! Every signed message is first reduced to a [`Digest`]: the SHA-256 of
//! `Tweak(MessageDigest, 0, type tag) ‖ canonical encoding of the unsigned
//! body`. The type tag is part of the tweak, so a signature made over one
//! message type can never verify as another. The signature is over those 32
//! bytes.
//!
//! Ed25519 (through `ed25519-dalek`, strict verification) is the one algorithm
//! today; the wire format carries a [`SigAlg`] tag so others can follow. Any
//! signer that implements the RustCrypto traits
//! `signature::Signer<ed25519_dalek::Signature>` and `signature::Keypair`
//! (an HSM, a remote signer) plugs in through [`MessageSigner`].
//!
//! Under `cfg(fuzzing)` (set only by `cargo fuzz`), digests are a cheap fold
//! and a signature verifies iff its first 32 bytes equal the digest, so the
//! fuzzer can reach the code behind verification. Normal builds never see it.

use core::fmt;

use crate::hash::MessageHasher;
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
}

impl SigAlg {
    /// The one-byte wire tag (1 for Ed25519).
    #[must_use]
    pub const fn tag(self) -> u8 {
        match self {
            Self::Ed25519 => 1,
        }
    }

    /// The algorithm for a wire tag.
    #[must_use]
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::Ed25519),
            _ => None,
        }
    }
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
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    alg: SigAlg,
    bytes: [u8; 32],
}

impl PublicKey {
    /// Encoded length: tag and key.
    pub const ENCODED_LEN: usize = 33;

    /// An Ed25519 public key from its 32 bytes. The bytes are checked when a
    /// signature is verified (an invalid point verifies nothing).
    #[must_use]
    pub const fn ed25519(bytes: [u8; 32]) -> Self {
        Self {
            alg: SigAlg::Ed25519,
            bytes,
        }
    }

    /// The algorithm.
    #[must_use]
    pub const fn alg(&self) -> SigAlg {
        self.alg
    }

    /// The key bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Verifies `sig` over `digest`.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] (opaque) if the key, the signature or the algorithm
    /// pairing is wrong.
    pub fn verify(&self, digest: &Digest, sig: &Signature) -> Result<(), SignatureError> {
        if sig.alg != self.alg {
            return Err(SignatureError);
        }
        #[cfg(not(fuzzing))]
        {
            let key =
                ed25519_dalek::VerifyingKey::from_bytes(&self.bytes).map_err(|_| SignatureError)?;
            let s = ed25519_dalek::Signature::from_bytes(&sig.bytes);
            key.verify_strict(digest.as_bytes(), &s)
                .map_err(|_| SignatureError)
        }
        #[cfg(fuzzing)]
        {
            if sig.bytes[..32] == digest.as_bytes()[..] {
                Ok(())
            } else {
                Err(SignatureError)
            }
        }
    }

    pub(crate) fn write(&self, w: &mut crate::wire::Writer<'_>) {
        w.put_u8(self.alg.tag());
        w.put(&self.bytes);
    }

    pub(crate) fn read(
        r: &mut crate::wire::Reader<'_>,
        field: &'static str,
    ) -> Result<Self, crate::DecodeError> {
        let alg =
            SigAlg::from_tag(r.u8(field)?).ok_or(crate::DecodeError::NonCanonical { field })?;
        Ok(Self {
            alg,
            bytes: r.array(field)?,
        })
    }

    /// The canonical encoding: algorithm tag ‖ key bytes.
    pub(crate) fn to_encoded(self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        self.write(&mut Writer::new(&mut out));
        out
    }

    /// Decodes exactly one canonical encoding.
    pub(crate) fn from_encoded(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r, "public key")?;
        r.finish()?;
        Ok(key)
    }

    /// Length of the text form: the base64url (no padding) of the 33-byte
    /// encoding.
    pub const TEXT_LEN: usize = 44;

    /// Writes the text form (base64url of the encoding, as for messages:
    /// see [`Encode`]) into `out` and returns it. No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError::BufferTooSmall`] if `out` is shorter than
    /// [`TEXT_LEN`](Self::TEXT_LEN).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::PublicKey;
    ///
    /// let pk = PublicKey::ed25519([0xfb; 32]);
    /// let mut out = [0u8; PublicKey::TEXT_LEN];
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
        let mut out = [0u8; Self::TEXT_LEN];
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
    /// assert_eq!(
    ///     PublicKey::from_text(&format!("{text}A")),
    ///     Err(TextError::TooLong { length: 45, max: 44 })
    /// );
    /// // Algorithm tag 2 is unknown.
    /// let two = format!("Ag{}", &text[2..]);
    /// assert_eq!(
    ///     PublicKey::from_text(&two),
    ///     Err(TextError::Decode(DecodeError::NonCanonical { field: "public key" }))
    /// );
    /// # Ok::<(), TextError>(())
    /// ```
    pub fn from_text(text: &str) -> Result<Self, TextError> {
        let mut scratch = [0u8; Self::ENCODED_LEN];
        let bytes = read_text(text, Self::ENCODED_LEN, &mut scratch)?;
        Self::from_encoded(bytes).map_err(TextError::Decode)
    }
}

/// Lower-case hex of the canonical encoding (algorithm tag ‖ key: 66
/// digits), the form ids have.
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
        crate::bytes::write_hex(f, &self.to_encoded())
    }
}

/// Parses the [`Display`](fmt::Display) form: exactly 66 lower-case hex
/// digits (one spelling per key: upper case is refused) of a canonical
/// encoding.
///
/// # Errors
///
/// [`TextError::Hex`] for anything but 66 lower-case hex digits,
/// [`TextError::Decode`] for an unknown algorithm tag.
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
        let bytes = crate::bytes::parse_hex::<{ Self::ENCODED_LEN }>(s).ok_or(TextError::Hex(
            crate::bytes::HexError {
                expected_len: Self::ENCODED_LEN,
            },
        ))?;
        Self::from_encoded(&bytes).map_err(TextError::Decode)
    }
}

/// A signature with its algorithm.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    alg: SigAlg,
    bytes: [u8; 64],
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({:?}, ", self.alg)?;
        crate::bytes::write_hex(f, &self.bytes)?;
        f.write_str(")")
    }
}

impl Signature {
    /// Encoded length: tag and signature.
    pub const ENCODED_LEN: usize = 65;

    /// An Ed25519 signature from its 64 bytes.
    #[must_use]
    pub const fn ed25519(bytes: [u8; 64]) -> Self {
        Self {
            alg: SigAlg::Ed25519,
            bytes,
        }
    }

    /// The algorithm.
    #[must_use]
    pub const fn alg(&self) -> SigAlg {
        self.alg
    }

    /// The signature bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 64] {
        &self.bytes
    }

    pub(crate) fn write(&self, w: &mut crate::wire::Writer<'_>) {
        w.put_u8(self.alg.tag());
        w.put(&self.bytes);
    }

    pub(crate) fn read(r: &mut crate::wire::Reader<'_>) -> Result<Self, crate::DecodeError> {
        let field = "signature";
        let alg =
            SigAlg::from_tag(r.u8(field)?).ok_or(crate::DecodeError::NonCanonical { field })?;
        Ok(Self {
            alg,
            bytes: r.array(field)?,
        })
    }

    /// Length of the text form: the base64url (no padding) of the 65-byte
    /// encoding (algorithm tag ‖ signature).
    pub const TEXT_LEN: usize = 87;

    /// Writes the text form (base64url of the encoding, as for messages:
    /// see [`Encode`]) into `out` and returns it. No allocation.
    ///
    /// # Errors
    ///
    /// [`TextError::BufferTooSmall`] if `out` is shorter than
    /// [`TEXT_LEN`](Self::TEXT_LEN).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Signature;
    ///
    /// let sig = Signature::ed25519([0; 64]);
    /// let mut out = [0u8; Signature::TEXT_LEN];
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
        let mut out = [0u8; Self::TEXT_LEN];
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
    /// use payword::{Signature, TextError};
    ///
    /// let text = Signature::ed25519([9; 64]).to_text();
    /// assert!(Signature::from_text(&text).is_ok());
    /// assert_eq!(
    ///     Signature::from_text(&format!("{text}=")),
    ///     Err(TextError::TooLong { length: 88, max: 87 })
    /// );
    /// assert_eq!(
    ///     Signature::from_text(&text.replace('J', "+")),
    ///     Err(TextError::StandardAlphabet { position: 3 })
    /// );
    /// ```
    pub fn from_text(text: &str) -> Result<Self, TextError> {
        let mut scratch = [0u8; Self::ENCODED_LEN];
        let bytes = read_text(text, Self::ENCODED_LEN, &mut scratch)?;
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
    const MAX_LEN: usize = 2 + F::MAX_LEN + Signature::ENCODED_LEN;

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
        let mut bad = *sig.as_bytes();
        bad[0] ^= 1;
        assert_eq!(pk.verify(&d, &Signature::ed25519(bad)), Err(SignatureError));
        // The identity point is a small-order key: strict verification refuses it.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(PublicKey::ed25519(id).verify(&d, &sig), Err(SignatureError));
    }
}
