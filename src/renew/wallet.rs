//! The customer side: a wallet that pays continuously and renews its chains, persisted store-before-send.

use super::*;

/// What one [`RenewingWallet::pay`] step sends to the vendor: a renewal link
/// first when the wallet moved to a new chain, then the payment.
///
/// # Examples
///
/// See [`RenewingWallet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The link to the chain the payment is on, when this step renewed.
    pub link: Option<RenewalLink>,
    /// The payment (one payword).
    pub payment: Payment,
}

/// A customer wallet that pays continuously on self-renewing chains.
///
/// It holds the current chain's seed, its pebbling traversal
/// ([`Pebbler`]: `⌈log2 n⌉` words, `⌈k/2⌉` hashes per payword), the
/// generation and the digest payments name. When at most `threshold`
/// paywords are left it derives the next chain, signs the link with the
/// current chain's one-time key (consumed), forgets the current seed, and
/// continues.
///
/// # What to store, and when (store before send)
///
/// After **every** [`pay`](Self::pay), write [`encode`](Self::encode)'s bytes
/// to durable storage — and, if you have a monotonic counter (a hardware or
/// file-system counter that can only grow), set it to
/// [`sequence`](Self::sequence) — **before** sending what `pay` returned.
/// Restart with [`resume`](Self::resume)`(stored, counter)`. Then:
///
/// * **No payword is sent twice.** Every payword sent was emitted by a state
///   that was stored first, so the resumed wallet continues after it. A state
///   older than the counter (storage rolled back or replayed) is refused with
///   [`RenewError::StaleState`]. A payword stored but never sent is skipped:
///   the customer loses at most that one unit (the next payword pays for it).
/// * **No one-time key signs twice**, even with no counter and a replayed
///   state: the link a key signs and its LM-OTS randomizer are functions of
///   the stored seed and digest, so a replayed wallet signs byte-identical
///   links, which reveal nothing new. The state written after a renewal holds
///   only the next seed, from which the used key cannot be derived.
///
/// The state holds future paywords and the seed: keep it secret. It is
/// zeroized on drop and never printed.
///
/// # Examples
///
/// ```
/// use payword::renew::RenewingWallet;
/// use payword::{
///     BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
///     CommitmentFields, CustomerId, HashAlg, MessageSigner, Session, Sha256, VendorId,
/// };
/// use ed25519_dalek::SigningKey;
///
/// let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// let cert = Certificate::issue(CertificateFields {
///     broker: BrokerId::from_bytes([3; 32]), serial: 1,
///     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
///     credit_limit: 1_000, valid_from: 0, expires: 100,
/// }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
/// let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: cert.digest(), vendor: VendorId::from_bytes([7; 32]), unit_value: 1,
///     valid_from: 0, expires: 100,
///     chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
/// }, &customer)?;
/// wallet.bind(&commitment)?;
/// let mut session = Session::open(VendorId::from_bytes([7; 32]), &broker.public_key(),
///     cert, commitment, 10, 0)?;
/// for _ in 0..10 {
///     let out = wallet.pay()?;            // store wallet.encode(..) here, then send
///     if let Some(link) = &out.link {
///         session.renew(link, 10)?;       // no Ed25519 signature involved
///     }
///     assert_eq!(session.pay(&out.payment, 10)?, 1);
/// }
/// assert_eq!((wallet.generation(), session.units_paid()), (2, 10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RenewingWallet<H: TweakableHash = Sha256> {
    seed: ChainSeed,
    pebbler: Pebbler<H>,
    generation: u32,
    threshold: u32,
    sequence: u64,
    digest: Option<Digest>,
    key: LmotsPublicKey,
    last_link: Option<RenewalLink>,
}

impl<H: TweakableHash> fmt::Debug for RenewingWallet<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingWallet")
            .field("params", self.pebbler.params())
            .field("generation", &self.generation)
            .field("emitted", &self.pebbler.emitted())
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl<H: TweakableHash> RenewingWallet<H> {
    /// Largest encoded state, in bytes.
    pub const MAX_ENCODED_LEN: usize =
        1 + 4 + 4 + 8 + 32 + 33 + 2 + Pebbler::<H>::MAX_ENCODED_LEN + 1 + RenewalLink::MAX_LEN;

    /// A wallet for the chain `params` from `seed`, at generation 0; it
    /// renews when at most `threshold` paywords are left on a chain.
    ///
    /// # Cost
    ///
    /// `n + 1` hashes for the chain and about 1.1k compressions for the
    /// one-time public key.
    ///
    /// # Errors
    ///
    /// [`RenewError::Chain`] if `params` is not for `H`,
    /// [`RenewError::Threshold`] unless `threshold < n`.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn new(seed: ChainSeed, params: ChainParams, threshold: u32) -> Result<Self, RenewError> {
        if threshold >= params.length() {
            return Err(RenewError::Threshold);
        }
        let pebbler = Pebbler::<H>::new(&seed, params)?;
        let key = ots_key(&seed, &params, 0).public_key();
        Ok(Self {
            seed,
            pebbler,
            generation: 0,
            threshold,
            sequence: 0,
            digest: None,
            key,
            last_link: None,
        })
    }

    /// The chain to put in the commitment (generation 0 only).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub fn committed_chain(&self) -> CommittedChain {
        CommittedChain::Single {
            params: *self.pebbler.params(),
            anchor: self.pebbler.anchor(),
        }
    }

    /// The current chain's one-time public key (for the commitment's
    /// `renewal` field at generation 0).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn renewal_key(&self) -> LmotsPublicKey {
        self.key
    }

    /// Binds the wallet to the signed commitment to its first chain.
    ///
    /// # Errors
    ///
    /// [`RenewError::Unbound`] if the wallet is past generation 0 or already
    /// bound to another commitment, or the commitment does not commit to
    /// this wallet's chain and key.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn bind(&mut self, commitment: &Commitment) -> Result<(), RenewError> {
        let f = commitment.fields();
        let digest = commitment.digest();
        if self.generation != 0
            || self.digest.is_some_and(|d| d != digest)
            || f.chain != self.committed_chain()
            || f.renewal != Some(self.key)
        {
            return Err(RenewError::Unbound);
        }
        self.digest = Some(digest);
        Ok(())
    }

    /// The generation of the current chain (0 = the committed one).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn generation(&self) -> u32 {
        self.generation
    }

    /// Number of [`pay`](Self::pay) steps taken: the value to store in a
    /// monotonic counter along with the state.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::RenewingWallet, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// assert_eq!(wallet.sequence(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The current chain's parameters.
    ///
    /// # Examples
    ///
    /// See [`sequence`](Self::sequence).
    #[must_use]
    pub fn params(&self) -> &ChainParams {
        self.pebbler.params()
    }

    /// Paywords left on the current chain.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::RenewingWallet, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// assert_eq!(wallet.remaining(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn remaining(&self) -> u32 {
        self.pebbler
            .params()
            .length()
            .saturating_sub(self.pebbler.emitted())
    }

    /// The last link this wallet signed (to send again if it was lost).
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    #[must_use]
    pub const fn last_link(&self) -> Option<&RenewalLink> {
        self.last_link.as_ref()
    }

    /// The next payword; first a renewal if at most `threshold` paywords are
    /// left on the current chain. Store the state before sending the result
    /// (see the [type docs](Self)).
    ///
    /// # Cost
    ///
    /// At most `⌈k/2⌉` hashes (`k = ⌈log2 n⌉`). A renewal step adds the next
    /// chain's pebbler (`n + 1` hashes), its one-time public key (about 1.1k
    /// compressions) and one LM-OTS signature (at most about 1.1k).
    ///
    /// # Errors
    ///
    /// [`RenewError::Unbound`] before [`bind`](Self::bind);
    /// [`RenewError::Exhausted`] when the renewal would exceed
    /// [`MAX_CASCADE`] links and the chain is used up. On error nothing
    /// changes.
    pub fn pay(&mut self) -> Result<Outgoing, RenewError> {
        let Some(mut digest) = self.digest else {
            return Err(RenewError::Unbound);
        };
        let mut link = None;
        if self.remaining() <= self.threshold
            && usize::try_from(self.generation).is_ok_and(|g| g < MAX_CASCADE)
        {
            let new = self.renew(digest)?;
            digest = new.digest();
            link = Some(new);
        }
        let p = self.pebbler.next_payword().ok_or(RenewError::Exhausted)?;
        self.sequence = self.sequence.saturating_add(1);
        if let Some(l) = &link {
            self.last_link = Some(l.clone());
        }
        Ok(Outgoing {
            link,
            payment: Payment::new(digest, PaymentBody::Single(p)),
        })
    }

    /// Moves to the next chain, signing the link from the chain `previous`.
    fn renew(&mut self, previous: Digest) -> Result<RenewalLink, RenewError> {
        let params = *self.pebbler.params();
        let generation = self
            .generation
            .checked_add(1)
            .ok_or(RenewError::Exhausted)?;
        let (next_seed, next_params) = next_chain(&self.seed, &params)?;
        let next_pebbler = Pebbler::<H>::new(&next_seed, next_params)?;
        let next_key = ots_key(&next_seed, &next_params, generation).public_key();
        let fields = LinkFields {
            previous,
            generation,
            params: next_params,
            anchor: next_pebbler.anchor(),
            key: next_key,
            window: None,
        };
        let c = randomizer(&self.seed, params.id(), &RenewalLink::digest_of(&fields));
        let link = RenewalLink::sign_with_randomizer(
            fields,
            ots_key(&self.seed, &params, self.generation),
            c,
        )?;
        // Commit: from here the old seed (and with it the used key) is gone.
        self.seed = next_seed;
        self.pebbler = next_pebbler;
        self.generation = generation;
        self.key = next_key;
        self.digest = Some(link.digest());
        Ok(link)
    }

    /// Writes the state into `out`; returns its length (at most
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN); a shorter `out` receives
    /// what fits).
    ///
    /// Layout: version `1` ‖ threshold (u32) ‖ generation (u32) ‖ sequence
    /// (u64) ‖ seed (32) ‖ digest flag (0/1) ‖ digest (32, zeros if unbound)
    /// ‖ pebbler length (u16) ‖ pebbler state ‖ link flag (0/1) ‖ last link.
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = Writer::new(out);
        w.put_u8(1);
        w.put_u32(self.threshold);
        w.put_u32(self.generation);
        w.put_u64(self.sequence);
        w.put(self.seed.expose_secret());
        w.put_u8(u8::from(self.digest.is_some()));
        w.put(
            self.digest
                .unwrap_or(Digest::from_bytes([0; 32]))
                .as_bytes(),
        );
        let mut peb = Zeroizing::new([0u8; 1024 * 2]);
        let len = self.pebbler.encode(&mut peb[..]).min(peb.len());
        w.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        w.put(peb.get(..len).unwrap_or(&[]));
        match &self.last_link {
            None => w.put_u8(0),
            Some(l) => {
                w.put_u8(1);
                l.write(&mut w);
            }
        }
        w.position()
    }

    /// The state in a fresh zeroizing vector.
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<alloc::vec::Vec<u8>> {
        crate::bytes::secret_bytes(Self::MAX_ENCODED_LEN, |out| self.encode(out))
    }

    /// Restores a state written by [`encode`](Self::encode), refusing one
    /// whose sequence number is below `counter` (pass 0 without a monotonic
    /// counter).
    ///
    /// # Cost
    ///
    /// About 1.1k compressions (the one-time public key is recomputed, not
    /// stored).
    ///
    /// # Errors
    ///
    /// [`RenewError::StaleState`]; [`RenewError::Unbound`] for bytes that are
    /// not a wallet state of this hash (truncated, trailing, out of range).
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{renew::{RenewError, RenewingWallet}, ChainId, ChainParams, ChainSeed, HashAlg, Sha256};
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 4)?;
    /// let wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// let stored = wallet.to_bytes();
    /// let back = RenewingWallet::<Sha256>::resume(&stored, 0)?;
    /// assert_eq!(back.renewal_key(), wallet.renewal_key());
    /// assert!(matches!(
    ///     RenewingWallet::<Sha256>::resume(&stored, 1),
    ///     Err(RenewError::StaleState { sequence: 0, counter: 1 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(bytes: &[u8], counter: u64) -> Result<Self, RenewError> {
        let bad = |_| RenewError::Unbound;
        let mut r = Reader::new(bytes);
        if r.u8("version").map_err(bad)? != 1 {
            return Err(RenewError::Unbound);
        }
        let threshold = r.u32("threshold").map_err(bad)?;
        let generation = r.u32("generation").map_err(bad)?;
        let sequence = r.u64("sequence").map_err(bad)?;
        if sequence < counter {
            return Err(RenewError::StaleState { sequence, counter });
        }
        let seed = ChainSeed::from_bytes(*Zeroizing::new(r.array("seed").map_err(bad)?));
        let bound = r.bool("digest flag").map_err(bad)?;
        let digest = Digest::from_bytes(r.array("digest").map_err(bad)?);
        if !bound && digest != Digest::from_bytes([0; 32]) {
            return Err(RenewError::Unbound);
        }
        let len = r.u16("pebbler length").map_err(bad)?;
        let peb = r.take("pebbler", usize::from(len)).map_err(bad)?;
        let pebbler = Pebbler::<H>::decode(peb).map_err(|_| RenewError::Unbound)?;
        let last_link = if r.bool("link flag").map_err(bad)? {
            Some(RenewalLink::read(&mut r).map_err(bad)?)
        } else {
            None
        };
        r.finish().map_err(bad)?;
        if threshold >= pebbler.params().length()
            || usize::try_from(generation).map_or(true, |g| g > MAX_CASCADE)
        {
            return Err(RenewError::Unbound);
        }
        let key = ots_key(&seed, pebbler.params(), generation).public_key();
        Ok(Self {
            seed,
            pebbler,
            generation,
            threshold,
            sequence,
            digest: bound.then_some(digest),
            key,
            last_link,
        })
    }
}
