//! The vendor's session: one accepted commitment and the payments under it.

pub use crate::check::SessionError;
use crate::check::{ChainState, check_signed, check_window};
#[cfg(feature = "alloc")]
use crate::message::PaymentBody;
use crate::message::{Certificate, Commitment, CommittedChain, Payment, RedemptionClaim, VendorId};
use crate::sign::{Digest, PublicKey};

/// A vendor's session for one commitment.
///
/// Opening checks the broker's certificate, the customer's signature, that the
/// commitment is for this vendor and valid at `now` (within `skew` seconds);
/// then every payment is verified with bounded work (see
/// [`Receiver`](crate::Receiver)). The session produces the [`RedemptionClaim`] to send to the
/// broker.
///
/// With `alloc`, a session on a commitment that binds a renewal key follows
/// the customer's chain renewals ([`renew`](Self::renew)) and produces a
/// [`CascadeClaim`](crate::renew::CascadeClaim) ([`cascade`](Self::cascade)).
///
/// # Examples
///
/// See `examples/quickstart.rs` for the whole protocol, and
/// `examples/digital_goods.rs` for renewals.
#[derive(Clone, Debug)]
pub struct Session {
    vendor: VendorId,
    certificate: Certificate,
    commitment: Commitment,
    /// The digest payments name: the commitment's, or the last link's.
    digest: Digest,
    skew: u64,
    limit: u32,
    /// The current chain and its validity window.
    chain: CommittedChain,
    window: crate::renew::Window,
    /// The current chain's one-time key, if it can renew.
    #[cfg(feature = "alloc")]
    key: Option<crate::lmots::LmotsPublicKey>,
    state: ChainState,
    /// Accepted links, generation 1 first.
    #[cfg(feature = "alloc")]
    links: alloc::vec::Vec<crate::renew::RenewalLink>,
    /// The highest payword of every chain before the current one.
    #[cfg(feature = "alloc")]
    lasts: alloc::vec::Vec<Option<crate::Payword>>,
}

impl Session {
    /// Opens a session on `commitment` for `vendor`.
    ///
    /// # Errors
    ///
    /// [`SessionError`] naming the check that failed;
    /// [`SessionError::Overflow`] if the commitment's capacity times its unit
    /// value does not fit in a `u64`.
    pub fn open(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        commitment: Commitment,
        now: u64,
        skew: u64,
    ) -> Result<Self, SessionError> {
        Self::open_at(vendor, broker_key, certificate, commitment, Some(now), skew)
    }

    /// [`open`](Self::open); without `now`, the validity windows are not
    /// checked (a session resumed to be claimed after it expired).
    fn open_at(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        commitment: Commitment,
        now: Option<u64>,
        skew: u64,
    ) -> Result<Self, SessionError> {
        check_signed(broker_key, &certificate, &commitment)?;
        let cf = certificate.fields();
        let mf = commitment.fields();
        if mf.vendor != vendor {
            return Err(SessionError::WrongVendor);
        }
        if let Some(now) = now {
            check_window(now, cf.valid_from, cf.expires, skew)?;
            check_window(now, mf.valid_from, mf.expires, skew)?;
        }
        mf.chain
            .capacity()
            .checked_mul(mf.unit_value)
            .ok_or(SessionError::Overflow)?;
        let state = ChainState::new(&mf.chain, None, crate::DEFAULT_STEP_LIMIT)?;
        Ok(Self {
            vendor,
            digest: commitment.digest(),
            certificate,
            commitment,
            skew,
            limit: crate::DEFAULT_STEP_LIMIT,
            chain: mf.chain,
            window: crate::renew::Window {
                valid_from: mf.valid_from,
                expires: mf.expires,
            },
            #[cfg(feature = "alloc")]
            key: crate::renew::commitment_key(&commitment).ok(),
            state,
            #[cfg(feature = "alloc")]
            links: alloc::vec::Vec::new(),
            #[cfg(feature = "alloc")]
            lasts: alloc::vec::Vec::new(),
        })
    }

    /// Sets the per-payment budget in chain steps (default
    /// [`DEFAULT_STEP_LIMIT`](crate::DEFAULT_STEP_LIMIT)).
    #[must_use]
    pub fn with_limit(mut self, max_steps: u32) -> Self {
        if let Ok(state) = ChainState::new(&self.chain, self.state.last().as_ref(), max_steps) {
            self.state = state;
            self.limit = max_steps;
        }
        self
    }

    /// The digest payments must name: the commitment's, or after a renewal
    /// the last link's.
    #[must_use]
    pub const fn commitment_digest(&self) -> &Digest {
        &self.digest
    }

    /// The vendor this session is for.
    #[must_use]
    pub const fn vendor(&self) -> &VendorId {
        &self.vendor
    }

    /// The customer's commitment the session was opened on.
    #[must_use]
    pub const fn commitment(&self) -> &Commitment {
        &self.commitment
    }

    /// The customer's certificate.
    #[must_use]
    pub const fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Accepts a payment at time `now`; returns the value newly paid
    /// (`units × unit value`).
    ///
    /// # Cost
    ///
    /// The chain steps of the payment, at most the session's budget; none if
    /// any check fails first. On a network, prefer
    /// [`pay_exact`](Self::pay_exact): it bounds the work by the price.
    ///
    /// # Errors
    ///
    /// [`SessionError::WrongCommitment`], [`SessionError::Expired`] /
    /// [`SessionError::NotYetValid`], [`SessionError::Payment`],
    /// [`SessionError::Overflow`]. On error nothing changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, SessionError> {
        let (state, value) = self.advance(payment, now, None)?;
        self.state = state;
        Ok(value)
    }

    /// Accepts a payment only if it pays exactly `price` units (a request
    /// priced at `price`); returns the value paid (`price × unit value`).
    ///
    /// # Cost
    ///
    /// At most `price` chain steps, whatever the payment says: a payword
    /// that advances by more than `price` is refused before any hashing
    /// (`WrongPrice` for a single chain, `Payment(OverBudget)` for a purse),
    /// a forged one costs at most `price` steps. Replays cost nothing.
    ///
    /// # Errors
    ///
    /// As [`pay`](Self::pay), and [`SessionError::WrongPrice`] if it pays
    /// another amount. A replay is `SessionError::Payment(VerifyError::Replay
    /// { index, last })`: `last` tells the customer where to resume. On error
    /// nothing changes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # let broker = SigningKey::from_bytes(&[1; 32]);
    /// # let customer = SigningKey::from_bytes(&[2; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1, customer: CustomerId::from_bytes([4; 16]),
    /// #     customer_key: customer.public_key(), credit_limit: 1000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let vendor = VendorId::from_bytes([7; 32]);
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: cert.digest(), vendor, unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: wallet.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// let mut session = Session::open(vendor, &broker.public_key(), cert, commitment, 10, 0)?;
    /// // A request priced at 3 units: only the payword 3 steps on is accepted.
    /// let p3 = wallet.advance(3).unwrap();
    /// let pay = |p| Payment::new(commitment.digest(), PaymentBody::Single(p));
    /// assert_eq!(session.pay_exact(&pay(p3), 3, 10), Ok(3));
    /// let p7 = wallet.advance(4).unwrap();
    /// assert_eq!(
    ///     session.pay_exact(&pay(p7), 3, 10),
    ///     Err(SessionError::WrongPrice { price: 3, paid: 4 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pay_exact(
        &mut self,
        payment: &Payment,
        price: u32,
        now: u64,
    ) -> Result<u64, SessionError> {
        let (state, value) = self.advance(payment, now, Some(price))?;
        self.state = state;
        Ok(value)
    }

    /// What [`pay`](Self::pay) would accept, without changing the session.
    ///
    /// # Errors
    ///
    /// As [`pay`](Self::pay).
    pub fn check(&self, payment: &Payment, now: u64) -> Result<u64, SessionError> {
        self.advance(payment, now, None).map(|(_, value)| value)
    }

    /// What [`pay_exact`](Self::pay_exact) would accept, without changing
    /// the session.
    ///
    /// # Errors
    ///
    /// As [`pay_exact`](Self::pay_exact).
    pub fn check_exact(
        &self,
        payment: &Payment,
        price: u32,
        now: u64,
    ) -> Result<u64, SessionError> {
        self.advance(payment, now, Some(price))
            .map(|(_, value)| value)
    }

    /// The session's chain state after `payment`, and the value it pays;
    /// with `price`, only if it pays exactly `price` units, at most `price`
    /// chain steps spent.
    fn advance(
        &self,
        payment: &Payment,
        now: u64,
        price: Option<u32>,
    ) -> Result<(ChainState, u64), SessionError> {
        // The digest is public: a plain comparison is enough.
        if payment.commitment().as_bytes() != self.digest.as_bytes() {
            return Err(SessionError::WrongCommitment);
        }
        let w = self.window;
        check_window(now, w.valid_from, w.expires, self.skew)?;
        let mut state = match price {
            None => self.state.clone(),
            Some(p) => {
                // A single chain: the index says the units, before hashing.
                if let crate::message::PaymentBody::Single(q) = payment.body() {
                    let last = self.state.paid();
                    let index = u64::from(q.index());
                    if index > last && index - last != u64::from(p) {
                        return Err(SessionError::WrongPrice {
                            price: p.into(),
                            paid: index - last,
                        });
                    }
                }
                // Steps never exceed units: a budget of `p` steps.
                ChainState::new(&self.chain, self.state.last().as_ref(), p)?
            }
        };
        let units = state.accept(payment.body())?;
        if let Some(p) = price {
            if units != u64::from(p) {
                return Err(SessionError::WrongPrice {
                    price: p.into(),
                    paid: units,
                });
            }
            state = ChainState::new(&self.chain, state.last().as_ref(), self.limit)?;
        }
        // Cannot overflow: `capacity × unit value` was checked at `open`
        // (and at every renewal).
        Ok((
            state,
            units.saturating_mul(self.commitment.fields().unit_value),
        ))
    }

    /// Units paid so far (over every chain of the cascade).
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        #[cfg(feature = "alloc")]
        let before: u64 = self
            .lasts
            .iter()
            .flatten()
            .map(|p| u64::from(p.index()))
            .sum();
        #[cfg(not(feature = "alloc"))]
        let before = 0;
        self.state.paid().saturating_add(before)
    }

    /// Value paid so far (`units × unit value`, saturating).
    #[must_use]
    pub fn value_paid(&self) -> u64 {
        self.units_paid()
            .saturating_mul(self.commitment.fields().unit_value)
    }

    /// The claim for the commitment's own chain, or `None` before any
    /// payment on it. After a renewal this covers the first chain only: use
    /// [`cascade`](Self::cascade).
    #[must_use]
    pub fn claim(&self) -> Option<RedemptionClaim> {
        #[cfg(feature = "alloc")]
        let body = match self.lasts.first() {
            Some(first) => PaymentBody::Single(*first.as_ref()?),
            None => self.state.last()?,
        };
        #[cfg(not(feature = "alloc"))]
        let body = self.state.last()?;
        let digest = self.commitment.digest();
        Some(RedemptionClaim {
            certificate: self.certificate,
            commitment: self.commitment,
            payment: Payment::new(digest, body),
        })
    }

    /// The generation of the current chain (0 until the first renewal).
    #[must_use]
    pub fn generation(&self) -> u32 {
        #[cfg(feature = "alloc")]
        return u32::try_from(self.links.len()).unwrap_or(u32::MAX);
        #[cfg(not(feature = "alloc"))]
        0
    }
}

#[cfg(feature = "alloc")]
impl Session {
    /// Accepts a renewal link at time `now` and continues on the chain it
    /// names: later payments name the link's digest. No customer or broker
    /// signature is needed, only the one-time key the current chain binds.
    ///
    /// A link already accepted (sent again) is a no-op. A *different* link
    /// from an earlier chain that verifies under that chain's key is
    /// [`RenewError::OtsReuse`](crate::renew::RenewError::OtsReuse): build the
    /// proof with [`ots_reuse_proof`](Self::ots_reuse_proof).
    ///
    /// # Cost
    ///
    /// Structural checks first (no hashing), then one 164-byte digest and one
    /// LM-OTS verification (at most 1005 chain steps). For a link naming an
    /// earlier chain: one digest per accepted link, and one LM-OTS
    /// verification.
    ///
    /// # Errors
    ///
    /// [`RenewError`](crate::renew::RenewError): `WrongPrevious` (a link
    /// for an unknown chain), `NotRenewable`, `Exhausted` (already
    /// [`MAX_CASCADE`](crate::renew::MAX_CASCADE) links), `WrongGeneration`,
    /// `UnsupportedParams`, `KeyMismatch`, `OutsideCertificate`,
    /// `Session(Expired | NotYetValid | Overflow)`, `BadSignature`,
    /// `OtsReuse`. On error nothing changes.
    ///
    /// # Examples
    ///
    /// See [`RenewingWallet`](crate::renew::RenewingWallet).
    pub fn renew(
        &mut self,
        link: &crate::renew::RenewalLink,
        now: u64,
    ) -> Result<(), crate::renew::RenewError> {
        self.renew_at(link, Some(now))
    }

    /// [`renew`](Self::renew); without `now`, the link's window is not
    /// checked (a session resumed after it expired).
    fn renew_at(
        &mut self,
        link: &crate::renew::RenewalLink,
        now: Option<u64>,
    ) -> Result<(), crate::renew::RenewError> {
        use crate::renew::{MAX_CASCADE, RenewError};
        let f = link.fields();
        if f.previous != self.digest {
            return match self.earlier_chain(link) {
                Some((_, Some(accepted))) if accepted == link => Ok(()),
                Some((key, _)) => {
                    link.verify(&key)?;
                    Err(RenewError::OtsReuse)
                }
                None => Err(RenewError::WrongPrevious),
            };
        }
        if self.links.len() >= MAX_CASCADE {
            return Err(RenewError::Exhausted);
        }
        let key = self.key.ok_or(RenewError::NotRenewable)?;
        let expected = self.generation().saturating_add(1);
        if key.q().checked_add(1) != Some(expected) {
            return Err(RenewError::WrongGeneration {
                expected,
                found: f.generation,
            });
        }
        crate::renew::check_fields(f, key.q())?;
        let cf = self.certificate.fields();
        let cert = crate::renew::Window {
            valid_from: cf.valid_from,
            expires: cf.expires,
        };
        let window = match f.window {
            Some(w) if !w.is_within(&cert) => return Err(RenewError::OutsideCertificate),
            Some(w) => w,
            None => self.window,
        };
        if let Some(now) = now {
            check_window(now, window.valid_from, window.expires, self.skew)?;
        }
        u64::from(f.params.length())
            .checked_mul(self.commitment.fields().unit_value)
            .ok_or(SessionError::Overflow)?;
        let chain = CommittedChain::Single {
            params: f.params,
            anchor: f.anchor,
        };
        let state = ChainState::new(&chain, None, self.limit)?;
        link.verify(&key)?;
        // Accepted: switch chains.
        let last = match self.state.last() {
            Some(PaymentBody::Single(p)) => Some(p),
            _ => None,
        };
        self.lasts.push(last);
        self.links.push(link.clone());
        self.digest = link.digest();
        self.chain = chain;
        self.window = window;
        self.key = Some(f.key);
        self.state = state;
        Ok(())
    }

    /// The chain a link names if it is an earlier chain of this session: its
    /// one-time key and the link already accepted from it.
    fn earlier_chain(
        &self,
        link: &crate::renew::RenewalLink,
    ) -> Option<(
        crate::lmots::LmotsPublicKey,
        Option<&crate::renew::RenewalLink>,
    )> {
        let previous = link.fields().previous;
        let mut digest = self.commitment.digest();
        let mut key = crate::renew::commitment_key(&self.commitment).ok()?;
        for accepted in &self.links {
            if digest == previous {
                return Some((key, Some(accepted)));
            }
            digest = accepted.digest();
            key = accepted.fields().key;
        }
        None
    }

    /// The proof that the customer's one-time key signed both `link` and the
    /// link this session accepted from the same chain, or `None` if `link`
    /// is not such a second, valid link.
    ///
    /// # Cost
    ///
    /// As [`renew`](Self::renew) for an earlier chain.
    ///
    /// # Examples
    ///
    /// See `tests/renew.rs` (`ots_key_reused_gives_a_proof`), and
    /// [`OtsReuseProof`](crate::renew::OtsReuseProof) for the proof.
    #[must_use]
    pub fn ots_reuse_proof(
        &self,
        link: &crate::renew::RenewalLink,
    ) -> Option<crate::renew::OtsReuseProof> {
        let (key, accepted) = self.earlier_chain(link)?;
        let accepted = accepted?;
        if accepted == link || link.verify(&key).is_err() {
            return None;
        }
        let at = self.links.iter().position(|l| l == accepted)?;
        Some(crate::renew::OtsReuseProof {
            certificate: self.certificate,
            commitment: self.commitment,
            path: self.links.get(..at)?.to_vec(),
            first: accepted.clone(),
            second: link.clone(),
        })
    }

    /// The cascade claim to send to the broker (commitment, links and the
    /// highest payword of every chain), or `None` before any payment.
    ///
    /// # Examples
    ///
    /// See [`Broker::redeem_cascade`](crate::Broker::redeem_cascade) and
    /// `examples/digital_goods.rs`.
    #[must_use]
    pub fn cascade(&self) -> Option<crate::renew::CascadeClaim> {
        let current = match self.state.last() {
            Some(PaymentBody::Single(p)) => Some(p),
            _ => None,
        };
        let mut lasts = self.lasts.iter().copied().chain(core::iter::once(current));
        let first = lasts.next().flatten();
        let renewals: alloc::vec::Vec<_> = self
            .links
            .iter()
            .zip(lasts)
            .map(|(l, last)| crate::renew::RenewedChain {
                link: l.clone(),
                last,
            })
            .collect();
        if first.is_none() && renewals.iter().all(|r| r.last.is_none()) {
            return None;
        }
        Some(crate::renew::CascadeClaim {
            certificate: self.certificate,
            commitment: self.commitment,
            first,
            renewals,
        })
    }
}

/// Version byte of [`Session::to_bytes`].
#[cfg(feature = "alloc")]
const SESSION_VERSION: u8 = 1;

/// Why [`Session::resume`] refused a saved session.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeError {
    /// The bytes are not a session's encoding.
    Decode(crate::DecodeError),
    /// The certificate or commitment does not verify, or names another
    /// vendor; or a saved payword does not fit its chain.
    Session(SessionError),
    /// A saved renewal link does not verify.
    Renew(crate::renew::RenewError),
}

#[cfg(feature = "alloc")]
impl core::fmt::Display for ResumeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "saved session does not decode: {e}"),
            Self::Session(e) => write!(f, "saved session refused: {e}"),
            Self::Renew(e) => write!(f, "saved renewal refused: {e}"),
        }
    }
}

#[cfg(feature = "alloc")]
impl core::error::Error for ResumeError {}

#[cfg(feature = "alloc")]
impl From<crate::DecodeError> for ResumeError {
    fn from(e: crate::DecodeError) -> Self {
        Self::Decode(e)
    }
}

#[cfg(feature = "alloc")]
impl From<SessionError> for ResumeError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

#[cfg(feature = "alloc")]
impl From<crate::renew::RenewError> for ResumeError {
    fn from(e: crate::renew::RenewError) -> Self {
        Self::Renew(e)
    }
}

#[cfg(feature = "alloc")]
fn write_opt_body(body: Option<&PaymentBody>, w: &mut crate::wire::Writer<'_>) {
    match body {
        None => w.put_u8(0),
        Some(b) => {
            w.put_u8(1);
            crate::message::write_body(b, w);
        }
    }
}

#[cfg(feature = "alloc")]
fn read_opt_body(
    r: &mut crate::wire::Reader<'_>,
) -> Result<Option<PaymentBody>, crate::DecodeError> {
    if r.bool("has payment")? {
        crate::message::read_body(r).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(feature = "alloc")]
impl Session {
    /// The session in one canonical encoding, to persist it and
    /// [`resume`](Self::resume) it later: the vendor, skew and budget, the
    /// certificate and commitment, every accepted renewal link with the
    /// highest payword of the chain before it, and the highest paywords of
    /// the current chain.
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    #[must_use]
    pub fn to_bytes(&self) -> alloc::vec::Vec<u8> {
        use crate::wire::Encode;
        crate::broker::record::to_vec(|w| {
            w.put_u8(SESSION_VERSION);
            w.put(self.vendor.as_bytes());
            w.put_u64(self.skew);
            w.put_u32(self.limit);
            self.certificate.write(w);
            self.commitment.write(w);
            w.put_u16(u16::try_from(self.links.len()).unwrap_or(u16::MAX));
            for (link, last) in self.links.iter().zip(&self.lasts) {
                link.write(w);
                write_opt_body(last.map(PaymentBody::Single).as_ref(), w);
            }
            write_opt_body(self.state.last().as_ref(), w);
        })
    }

    /// Resumes a session saved by [`to_bytes`](Self::to_bytes), checking
    /// again everything [`open`](Self::open) and [`renew`](Self::renew)
    /// check except the time: a session resumes after its commitment
    /// expired, so that it can still be claimed (the broker applies its
    /// own grace period).
    ///
    /// The saved paywords are not hashed again (that could cost a whole
    /// chain): the saved state is the vendor's own, and a tampered one can
    /// only produce a claim the broker refuses. Keep it where a customer
    /// cannot roll it back: a rolled-back session accepts paywords again.
    ///
    /// # Cost
    ///
    /// Two signature verifications and one LM-OTS verification per saved
    /// renewal link (at most [`MAX_CASCADE`](crate::renew::MAX_CASCADE)).
    ///
    /// # Errors
    ///
    /// [`ResumeError`] saying what was wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # let broker = SigningKey::from_bytes(&[1; 32]);
    /// # let customer = SigningKey::from_bytes(&[2; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1, customer: CustomerId::from_bytes([4; 16]),
    /// #     customer_key: customer.public_key(), credit_limit: 1000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let vendor = VendorId::from_bytes([7; 32]);
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: cert.digest(), vendor, unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: wallet.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// let mut session = Session::open(vendor, &broker.public_key(), cert, commitment, 10, 0)?;
    /// let p = Payment::new(commitment.digest(), PaymentBody::Single(wallet.advance(5).unwrap()));
    /// session.pay(&p, 10)?;
    /// let saved = session.to_bytes();
    /// // Long after the commitment expired, the vendor still claims.
    /// let resumed = Session::resume(&saved, &broker.public_key())?;
    /// assert_eq!(resumed.units_paid(), 5);
    /// assert_eq!(resumed.claim(), session.claim());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(bytes: &[u8], broker_key: &PublicKey) -> Result<Self, ResumeError> {
        use crate::wire::Encode;
        let mut r = crate::wire::Reader::new(bytes);
        let version = r.u8("version")?;
        if version != SESSION_VERSION {
            return Err(crate::DecodeError::UnknownVersion { version }.into());
        }
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let skew = r.u64("skew")?;
        let limit = r.u32("limit")?;
        let certificate = Certificate::read(&mut r)?;
        let commitment = Commitment::read(&mut r)?;
        let max = u16::try_from(crate::renew::MAX_CASCADE).unwrap_or(u16::MAX);
        let links = crate::wire::read_list(&mut r, "links", max, |r| {
            let link = crate::renew::RenewalLink::read(r)?;
            let last = match read_opt_body(r)? {
                None => None,
                Some(PaymentBody::Single(p)) => Some(p),
                Some(PaymentBody::Purse(_)) => {
                    return Err(crate::DecodeError::NonCanonical {
                        field: "renewed chain payword",
                    });
                }
            };
            Ok((link, last))
        })?;
        let current = read_opt_body(&mut r)?;
        r.finish()?;
        let mut s = Self::open_at(vendor, broker_key, certificate, commitment, None, skew)?;
        s.limit = limit;
        for (link, last) in &links {
            let last = last.map(PaymentBody::Single);
            s.state = ChainState::new(&s.chain, last.as_ref(), s.limit)?;
            s.renew_at(link, None)?;
        }
        s.state = ChainState::new(&s.chain, current.as_ref(), s.limit)?;
        Ok(s)
    }
}
