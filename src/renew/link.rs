//! Renewal links: the LM-OTS-signed message that starts the next chain, its validity window and its wire form (tag `0x30`).

use super::*;

/// A validity window `[valid_from, expires]` (seconds, caller's clock).
///
/// # Examples
///
/// ```
/// use payword::renew::Window;
///
/// let w = Window { valid_from: 10, expires: 20 };
/// assert!(w.is_within(&Window { valid_from: 0, expires: 20 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// First valid second.
    pub valid_from: u64,
    /// Last valid second.
    pub expires: u64,
}

impl Window {
    /// Whether the window is non-empty and inside `outer`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::Window;
    ///
    /// let outer = Window { valid_from: 0, expires: 100 };
    /// assert!(!Window { valid_from: 5, expires: 101 }.is_within(&outer));
    /// assert!(!Window { valid_from: 9, expires: 8 }.is_within(&outer));
    /// ```
    #[must_use]
    pub const fn is_within(&self, outer: &Self) -> bool {
        self.valid_from <= self.expires
            && self.valid_from >= outer.valid_from
            && self.expires <= outer.expires
    }
}

/// What a renewal link says: the chain it continues, and the next chain.
///
/// # Examples
///
/// ```
/// use payword::renew::{LinkFields, RENEWAL_LMOTS};
/// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg};
/// use payword::lmots::LmotsPublicKey;
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 1000)?;
/// let fields = LinkFields {
///     previous: Digest::from_bytes([1; 32]),
///     generation: 1,
///     params,
///     anchor: Anchor::from_bytes([3; 32]),
///     key: LmotsPublicKey::new(RENEWAL_LMOTS, [2; 16], 1, [4; 32]),
///     window: None,
/// };
/// assert_eq!(fields.generation, 1);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkFields {
    /// The digest of the chain this link continues: the commitment's digest
    /// for generation 1, the previous link's digest after that.
    pub previous: Digest,
    /// The generation of the next chain (the commitment's chain is 0).
    pub generation: u32,
    /// The next chain's parameters.
    pub params: ChainParams,
    /// The next chain's anchor `w_0`.
    pub anchor: Anchor,
    /// The next chain's one-time key (`I` = its chain id, `q` = `generation`).
    pub key: LmotsPublicKey,
    /// A new validity window inside the certificate's, or `None` to keep the
    /// previous chain's.
    pub window: Option<Window>,
}

/// A renewal link (customer → vendor, wire tag `0x30`): the next chain,
/// signed with the one-time key of the current one.
///
/// The LM-OTS signature covers the link's [`Digest`] (the domain-tagged hash of
/// the encoding up to the signature, as for every signed message); that digest
/// is also the next chain's identity (payments name it, brokers key on it).
///
/// # Examples
///
/// See [`RenewingWallet`], which makes links, and
/// [`Session::renew`](crate::Session::renew), which checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewalLink {
    pub(super) fields: LinkFields,
    pub(super) signature: LmotsSignature,
}

impl RenewalLink {
    /// The digest the one-time key signs for `fields` (also the next chain's
    /// identity).
    ///
    /// # Cost
    ///
    /// One SHA-256 of at most 164 bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::{LinkFields, RenewalLink, RENEWAL_LMOTS};
    /// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg};
    /// use payword::lmots::LmotsPublicKey;
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 8)?;
    /// let mut f = LinkFields {
    ///     previous: Digest::from_bytes([1; 32]),
    ///     generation: 1,
    ///     params,
    ///     anchor: Anchor::from_bytes([3; 32]),
    ///     key: LmotsPublicKey::new(RENEWAL_LMOTS, [2; 16], 1, [4; 32]),
    ///     window: None,
    /// };
    /// let d = RenewalLink::digest_of(&f);
    /// f.anchor = Anchor::from_bytes([5; 32]);
    /// assert_ne!(RenewalLink::digest_of(&f), d);
    /// # Ok::<(), payword::ChainError>(())
    /// ```
    #[must_use]
    pub fn digest_of(fields: &LinkFields) -> Digest {
        crate::sign::digest_with(tag::RENEWAL_LINK, |w| {
            w.put_u8(tag::RENEWAL_LINK);
            w.put_u8(crate::message::VERSION);
            write_link_fields(fields, w);
        })
    }

    /// Signs `fields` with `key`, the one-time key of the chain named by
    /// `fields.previous`, consuming it, with a randomizer from `rng`.
    ///
    /// This is the low-level signer; wallets use [`RenewingWallet`], which
    /// derives the key and signs each key's one link deterministically.
    ///
    /// # Cost
    ///
    /// One LM-OTS signature: 67 seed derivations and at most 1005 chain steps.
    ///
    /// # Errors
    ///
    /// [`RenewError::UnsupportedParams`] if `key` or `fields.key` is not of
    /// [`RENEWAL_LMOTS`]; [`RenewError::KeyMismatch`] or
    /// [`RenewError::WrongGeneration`] if the keys do not fit the generations;
    /// [`RenewError::OutsideCertificate`] for an empty window. The key is
    /// consumed in every case.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::{LinkFields, RenewalLink, RENEWAL_LMOTS};
    /// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg};
    /// use payword::lmots::LmotsPrivateKey;
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// let key = LmotsPrivateKey::generate(RENEWAL_LMOTS, [1; 16], 0, &mut rng);
    /// let public = key.public_key();
    /// let next = LmotsPrivateKey::generate(RENEWAL_LMOTS, [2; 16], 1, &mut rng);
    /// let fields = LinkFields {
    ///     previous: Digest::from_bytes([9; 32]),
    ///     generation: 1,
    ///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([2; 16]), 8)?,
    ///     anchor: Anchor::from_bytes([3; 32]),
    ///     key: next.public_key(),
    ///     window: None,
    /// };
    /// let link = RenewalLink::sign(fields, key, &mut rng)?;
    /// assert!(link.verify(&public).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign<R: CryptoRng + ?Sized>(
        fields: LinkFields,
        key: LmotsPrivateKey,
        rng: &mut R,
    ) -> Result<Self, RenewError> {
        let mut c = [0u8; 32];
        rng.fill_bytes(&mut c);
        Self::sign_with_randomizer(fields, key, c)
    }

    pub(super) fn sign_with_randomizer(
        fields: LinkFields,
        key: LmotsPrivateKey,
        c: [u8; 32],
    ) -> Result<Self, RenewError> {
        if key.params() != RENEWAL_LMOTS {
            return Err(RenewError::UnsupportedParams);
        }
        check_fields(&fields, key.q())?;
        let digest = Self::digest_of(&fields);
        crate::cost::on_signed();
        let signature = key.sign_with_randomizer(c, digest.as_bytes());
        Ok(Self { fields, signature })
    }

    /// The signed content.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub const fn fields(&self) -> &LinkFields {
        &self.fields
    }

    /// The one-time signature.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub const fn signature(&self) -> &LmotsSignature {
        &self.signature
    }

    /// The link's identity: the digest its signature covers.
    ///
    /// # Cost
    ///
    /// One SHA-256 of at most 164 bytes.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`].
    #[must_use]
    pub fn digest(&self) -> Digest {
        Self::digest_of(&self.fields)
    }

    /// Verifies the link against `key`, the one-time key of the chain it
    /// continues (structure first, then the signature).
    ///
    /// Does not check `previous` (the caller knows which chain it expects)
    /// nor time; [`Session::renew`](crate::Session::renew) and
    /// [`Broker::redeem_cascade`](crate::Broker::redeem_cascade) do.
    ///
    /// # Cost
    ///
    /// One digest and one LM-OTS verification (at most 1005 chain steps and
    /// two hashes); nothing if a structural check fails first.
    ///
    /// # Errors
    ///
    /// [`RenewError::UnsupportedParams`], [`RenewError::WrongGeneration`]
    /// (the link's generation is not `key.q() + 1`),
    /// [`RenewError::KeyMismatch`], [`RenewError::OutsideCertificate`] (empty
    /// window), [`RenewError::BadSignature`].
    ///
    /// # Examples
    ///
    /// See [`RenewalLink::sign`].
    pub fn verify(&self, key: &LmotsPublicKey) -> Result<(), RenewError> {
        if key.params() != RENEWAL_LMOTS || self.signature.params() != RENEWAL_LMOTS {
            return Err(RenewError::UnsupportedParams);
        }
        check_fields(&self.fields, key.q())?;
        let digest = self.digest();
        crate::cost::on_verified();
        key.verify(digest.as_bytes(), &self.signature)
            .map_err(|_| RenewError::BadSignature)
    }
}

/// Structural checks of a link made by the key number `q`: no hashing.
pub(crate) fn check_fields(f: &LinkFields, q: u32) -> Result<(), RenewError> {
    let expected = q.checked_add(1).ok_or(RenewError::Exhausted)?;
    if f.generation != expected {
        return Err(RenewError::WrongGeneration {
            expected,
            found: f.generation,
        });
    }
    if f.key.params() != RENEWAL_LMOTS {
        return Err(RenewError::UnsupportedParams);
    }
    if f.key.id() != &f.params.id().to_bytes() || f.key.q() != f.generation {
        return Err(RenewError::KeyMismatch);
    }
    if let Some(w) = f.window
        && w.valid_from > w.expires
    {
        return Err(RenewError::OutsideCertificate);
    }
    Ok(())
}

fn write_link_fields(f: &LinkFields, w: &mut Writer<'_>) {
    w.put(f.previous.as_bytes());
    w.put_u32(f.generation);
    w.put_u8(f.params.alg().tag());
    w.put(f.params.id().as_bytes());
    w.put_u32(f.params.length());
    w.put(f.anchor.as_bytes());
    w.put(&f.key.to_bytes());
    match f.window {
        None => w.put_u8(0),
        Some(win) => {
            w.put_u8(1);
            w.put_u64(win.valid_from);
            w.put_u64(win.expires);
        }
    }
}

fn read_link_fields(r: &mut Reader<'_>) -> Result<LinkFields, DecodeError> {
    let previous = Digest::from_bytes(r.array("previous")?);
    let generation = r.u32("generation")?;
    if generation == 0 {
        return Err(DecodeError::NonCanonical {
            field: "generation",
        });
    }
    let alg =
        HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
    let id = ChainId::from_bytes(r.array("chain id")?);
    let length = r.u32("length")?;
    let params = ChainParams::new(alg, id, length.into())
        .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
    let anchor = Anchor::from_bytes(r.array("anchor")?);
    let key_bytes = r.take("next key", LmotsPublicKey::ENCODED_LEN)?;
    let key = LmotsPublicKey::from_bytes(key_bytes)
        .ok()
        .filter(|k| k.params() == RENEWAL_LMOTS)
        .ok_or(DecodeError::NonCanonical {
            field: "next key typecode",
        })?;
    let window = if r.bool("window flag")? {
        let valid_from = r.u64("valid_from")?;
        let expires = r.u64("expires")?;
        if valid_from > expires {
            return Err(DecodeError::NonCanonical { field: "expires" });
        }
        Some(Window {
            valid_from,
            expires,
        })
    } else {
        None
    };
    Ok(LinkFields {
        previous,
        generation,
        params,
        anchor,
        key,
        window,
    })
}

impl crate::wire::sealed::Sealed for RenewalLink {}

impl Encode for RenewalLink {
    const TAG: u8 = tag::RENEWAL_LINK;
    /// 2344 bytes: 164 of content (with a window) and the 2180-byte signature.
    const MAX_LEN: usize =
        2 + 32 + 4 + 1 + 16 + 4 + 32 + LmotsPublicKey::ENCODED_LEN + 1 + 16 + SIG_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        write_link_fields(&self.fields, w);
        w.put_u32(self.signature.params().typecode());
        w.put(self.signature.randomizer());
        for y in self.signature.y() {
            w.put(y);
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let fields = read_link_fields(r)?;
        let typecode = r.u32("signature typecode")?;
        if typecode != RENEWAL_LMOTS.typecode() {
            return Err(DecodeError::NonCanonical {
                field: "signature typecode",
            });
        }
        let body = r.take("signature", SIG_LEN - 4)?;
        let mut buf = [0u8; SIG_LEN];
        let (head, tail) = buf.split_at_mut(4);
        head.copy_from_slice(&typecode.to_be_bytes());
        tail.copy_from_slice(body);
        let signature = LmotsSignature::from_bytes(&buf)
            .map_err(|_| DecodeError::NonCanonical { field: "signature" })?;
        Ok(Self { fields, signature })
    }
}

/// The renewal key a commitment binds, if it can renew at all.
#[cfg(feature = "alloc")]
pub(crate) fn commitment_key(c: &Commitment) -> Result<LmotsPublicKey, RenewError> {
    let f = c.fields();
    match (&f.chain, f.renewal) {
        (CommittedChain::Single { .. }, Some(k)) => Ok(k),
        _ => Err(RenewError::NotRenewable),
    }
}

// ---------------------------------------------------------------------------
// The customer's wallet
// ---------------------------------------------------------------------------
