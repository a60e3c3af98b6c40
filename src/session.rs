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
        check_signed(broker_key, &certificate, &commitment)?;
        let cf = certificate.fields();
        let mf = commitment.fields();
        if mf.vendor != vendor {
            return Err(SessionError::WrongVendor);
        }
        check_window(now, cf.valid_from, cf.expires, skew)?;
        check_window(now, mf.valid_from, mf.expires, skew)?;
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

    /// Accepts a payment at time `now`; returns the value newly paid
    /// (`units × unit value`).
    ///
    /// # Cost
    ///
    /// The chain steps of the payment, at most the session's budget; none if
    /// any check fails first.
    ///
    /// # Errors
    ///
    /// [`SessionError::WrongCommitment`], [`SessionError::Expired`] /
    /// [`SessionError::NotYetValid`], [`SessionError::Payment`],
    /// [`SessionError::Overflow`]. On error nothing changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, SessionError> {
        // The digest is public: a plain comparison is enough.
        if payment.commitment().as_bytes() != self.digest.as_bytes() {
            return Err(SessionError::WrongCommitment);
        }
        let w = self.window;
        check_window(now, w.valid_from, w.expires, self.skew)?;
        let units = self.state.accept(payment.body())?;
        // Cannot overflow: `capacity × unit value` was checked at `open`
        // (and at every renewal).
        Ok(units.saturating_mul(self.commitment.fields().unit_value))
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
        check_window(now, window.valid_from, window.expires, self.skew)?;
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
