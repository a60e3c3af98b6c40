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

use crate::bytes::byte_newtype;
use crate::hash::MessageHasher;
use crate::wire::Writer;

byte_newtype!(
    /// The digest of a canonical message: its identity (ledgers key on it) and
    /// what signatures cover.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Digest;
    ///
    /// let d = Digest::from_bytes([0; 32]);
    /// assert_eq!(d.to_string(), "0".repeat(64));
    /// ```
    Digest,
    32
);

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
