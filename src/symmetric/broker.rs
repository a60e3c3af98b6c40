//! The broker's side: issuing tickets, redeeming claims, arbitrating
//! disputes. Stateless: every key of a ticket is re-derived from the
//! long-term keys ([`BrokerKeys`]) and the vendor's ticket part, which the
//! claim carries.

use rand_core::CryptoRng;

use super::SymmetricError;
use super::keys::{BrokerKeys, Label, LongTermKey, MacKey, RequestId, TicketId};
use super::session::SymmetricPayment;
use super::ticket::{Fresh, Ticket, TicketRequest, TicketTerms, VendorTicket, seal_ticket};
use crate::check::ChainState;
use crate::hash::Digest;
use crate::message::{BrokerId, CustomerId, PaymentBody, VendorId};
use crate::wire::{DecodeError, Encode, Reader, Writer};

/// A vendor's redemption claim (vendor → broker): the vendor's ticket part
/// and the highest payment the vendor accepted under it.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SymmetricClaim {
    /// The vendor's part of the ticket.
    pub ticket: VendorTicket,
    /// The highest payment accepted.
    pub payment: SymmetricPayment,
}

impl crate::wire::sealed::Sealed for SymmetricClaim {}

impl Encode for SymmetricClaim {
    const TAG: u8 = super::tag::SYMMETRIC_CLAIM;
    const MAX_LEN: usize = 2 + VendorTicket::MAX_LEN + SymmetricPayment::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.ticket.write(w);
        self.payment.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ticket: VendorTicket::read(r)?,
            payment: SymmetricPayment::read(r)?,
        })
    }
}

/// A dispute over what one payword paid for: the vendor's evidence (its
/// claim: "payword `i` paid for request `r` under ticket `t`") and,
/// optionally, the customer's counter-claim (its own payment of the same
/// payword, naming another request).
///
/// # Examples
///
/// See [`SymmetricBroker::arbitrate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dispute {
    /// The vendor's evidence.
    pub claim: SymmetricClaim,
    /// The customer's counter-claim, if any.
    pub counter: Option<SymmetricPayment>,
}

impl crate::wire::sealed::Sealed for Dispute {}

impl Encode for Dispute {
    const TAG: u8 = super::tag::DISPUTE;
    const MAX_LEN: usize = 2 + SymmetricClaim::MAX_LEN + 1 + SymmetricPayment::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.claim.write(w);
        match &self.counter {
            None => w.put_u8(0),
            Some(p) => {
                w.put_u8(1);
                p.write(w);
            }
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let claim = SymmetricClaim::read(r)?;
        let counter = if r.bool("counter flag")? {
            Some(SymmetricPayment::read(r)?)
        } else {
            None
        };
        Ok(Self { claim, counter })
    }
}

/// What a checked claim is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SymmetricRedemption {
    /// The ticket.
    pub ticket: TicketId,
    /// The customer charged.
    pub customer: CustomerId,
    /// The customer's certificate (credit account) charged.
    pub certificate: u64,
    /// The vendor credited.
    pub vendor: VendorId,
    /// Units paid in total under the ticket (the payword's index).
    pub units: u64,
    /// Value owed in total (`units × unit value`).
    pub value: u64,
    /// The request the last payword paid for.
    pub request: RequestId,
    /// Whether the customer's receipt verifies: the customer itself, not
    /// only a holder of the session key, bound the payword to the request.
    pub receipt: bool,
}

/// The broker's ruling on a [`Dispute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ruling {
    /// The customer's receipt on the vendor's evidence verifies: the
    /// customer bound the payword to the vendor's request. The vendor's
    /// claim stands.
    Vendor,
    /// The vendor's evidence carries no valid customer receipt, and the
    /// customer's counter-claim does: the customer bound the payword to
    /// another request, and the vendor's session MAC (which the vendor can
    /// make itself) does not outweigh it.
    Customer,
    /// Valid customer receipts bind the one payword to two requests: the
    /// customer equivocated.
    CustomerEquivocated,
    /// Neither side shows a valid customer receipt: the request binding is
    /// proven only by the session MAC, which customer and vendor can both
    /// make. The payword itself is genuine (it is paid either way).
    Unproven,
}

/// The broker of symmetric sessions: issues tickets, redeems claims and
/// arbitrates disputes, keeping no per-ticket state.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymmetricBroker {
    id: BrokerId,
    max_lifetime: u64,
}

/// The longest ticket a broker issues by default: one day.
pub const DEFAULT_MAX_LIFETIME: u64 = 86_400;

/// What the broker has checked of a vendor's evidence.
struct Checked {
    terms: TicketTerms,
    receipt: bool,
}

impl SymmetricBroker {
    /// A broker with id `id`, issuing tickets of at most
    /// [`DEFAULT_MAX_LIFETIME`] seconds.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn new(id: BrokerId) -> Self {
        Self {
            id,
            max_lifetime: DEFAULT_MAX_LIFETIME,
        }
    }

    /// Sets the longest validity window (`expires − valid_from`) of a ticket.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::BrokerId;
    /// use payword::symmetric::SymmetricBroker;
    ///
    /// let b = SymmetricBroker::new(BrokerId::from_bytes([1; 32])).with_max_lifetime(600);
    /// assert_eq!(b.id(), &BrokerId::from_bytes([1; 32]));
    /// ```
    #[must_use]
    pub const fn with_max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = seconds;
        self
    }

    /// The broker's id.
    ///
    /// # Examples
    ///
    /// See [`with_max_lifetime`](Self::with_max_lifetime).
    #[must_use]
    pub const fn id(&self) -> &BrokerId {
        &self.id
    }

    /// Issues a ticket answering `request` at time `now`: a fresh ticket id
    /// and session key from `rng`, the vendor's part sealed under the
    /// vendor's long-term key, the customer's under the customer's.
    ///
    /// Reserving `capacity × unit value` against the customer's credit, and
    /// refusing a request nonce seen before, are the caller's ledger's
    /// (this type keeps no state).
    ///
    /// # Cost
    ///
    /// Six HMAC-SHA256, two XChaCha20-Poly1305 encryptions of about 230
    /// bytes, 104 bytes from `rng`.
    ///
    /// # Errors
    ///
    /// [`SymmetricError::WrongBroker`], [`SymmetricError::UnknownParty`],
    /// [`SymmetricError::BadRequest`] (the request's MAC),
    /// [`SymmetricError::Expired`] (the window ends before `now`),
    /// [`SymmetricError::InvalidTerms`] (longer than the broker's maximum
    /// lifetime), [`SymmetricError::Overflow`].
    pub fn issue<K: BrokerKeys + ?Sized, R: CryptoRng + ?Sized>(
        &self,
        request: &TicketRequest,
        keys: &K,
        now: u64,
        rng: &mut R,
    ) -> Result<Ticket, SymmetricError> {
        self.issue_with(request, keys, now, || Fresh::random(rng))
    }

    /// [`issue`](Self::issue) without an RNG: the ticket id, session key
    /// and AEAD nonces are derived from the broker's secret `seed`, the
    /// request's encoding and `now` (HMAC-SHA256, see `docs/SYMMETRIC.md`).
    /// The same request at the same time yields the same ticket, byte for
    /// byte (issuing is idempotent, and known-answer vectors are
    /// reproducible); any other request or time yields independent values,
    /// so an AEAD nonce never repeats under different plaintexts.
    ///
    /// `seed` must be secret and uniformly random (whoever knows it computes
    /// every session key); keep it like a long-term key.
    ///
    /// # Cost
    ///
    /// As [`issue`](Self::issue), and three HMAC-SHA256 over the request
    /// instead of the RNG.
    ///
    /// # Errors
    ///
    /// As [`issue`](Self::issue).
    ///
    /// # Examples
    ///
    /// See `tests/symmetric.rs` (`seeded_issue_is_deterministic`).
    pub fn issue_seeded<K: BrokerKeys + ?Sized>(
        &self,
        request: &TicketRequest,
        keys: &K,
        now: u64,
        seed: &LongTermKey,
    ) -> Result<Ticket, SymmetricError> {
        self.issue_with(request, keys, now, || {
            Fresh::derived(seed.expose_secret(), request, now)
        })
    }

    fn issue_with<K: BrokerKeys + ?Sized>(
        &self,
        request: &TicketRequest,
        keys: &K,
        now: u64,
        fresh: impl FnOnce() -> Fresh,
    ) -> Result<Ticket, SymmetricError> {
        let f = request.fields();
        if f.broker != self.id {
            return Err(SymmetricError::WrongBroker);
        }
        let customer_key = keys
            .customer_key(&f.customer)
            .ok_or(SymmetricError::UnknownParty)?;
        if !request.verify(customer_key) {
            return Err(SymmetricError::BadRequest);
        }
        let vendor_key = keys
            .vendor_key(&f.vendor)
            .ok_or(SymmetricError::UnknownParty)?;
        if f.expires < now {
            return Err(SymmetricError::Expired);
        }
        if f.expires - f.valid_from > self.max_lifetime {
            return Err(SymmetricError::InvalidTerms);
        }
        let fresh = fresh();
        let terms = TicketTerms {
            broker: self.id,
            ticket: fresh.ticket,
            customer: f.customer,
            certificate: f.certificate,
            vendor: f.vendor,
            params: f.params,
            anchor: f.anchor,
            unit_value: f.unit_value,
            valid_from: f.valid_from,
            expires: f.expires,
            issued_at: now,
        };
        terms.max_value().ok_or(SymmetricError::Overflow)?;
        seal_ticket(&terms, &f.nonce, customer_key, vendor_key, &fresh)
    }

    /// Checks a vendor's evidence: the ticket part opens under the vendor's
    /// key, the payment's MAC verifies under the session key and, with
    /// `max_steps`, the payword is on the committed chain (at most
    /// `max_steps` steps; without it the caller checks the payword, as the
    /// [`Broker`](crate::Broker)'s pipeline does from the recorded one).
    fn check<K: BrokerKeys + ?Sized>(
        &self,
        claim: &SymmetricClaim,
        keys: &K,
        max_steps: Option<u32>,
    ) -> Result<Checked, SymmetricError> {
        if *claim.ticket.broker() != self.id {
            return Err(SymmetricError::WrongBroker);
        }
        let vendor_key = keys
            .vendor_key(claim.ticket.vendor())
            .ok_or(SymmetricError::UnknownParty)?;
        let (session, terms) = claim.ticket.open(vendor_key)?;
        let p = &claim.payment;
        if p.ticket().as_bytes() != terms.ticket.as_bytes() {
            return Err(SymmetricError::WrongTicket);
        }
        if !p.mac_ok(&MacKey::new(&session.derive(Label::Pay, &terms.ticket))) {
            return Err(SymmetricError::BadMac);
        }
        if let Some(max_steps) = max_steps {
            let mut state =
                ChainState::new(&terms.chain(), None, max_steps).map_err(super::chain_error)?;
            state
                .accept(&PaymentBody::Single(*p.payword()))
                .map_err(super::chain_error)?;
        }
        let customer_key = keys
            .customer_key(&terms.customer)
            .ok_or(SymmetricError::UnknownParty)?;
        let receipt = p.receipt_ok(&customer_key.derive(Label::Receipt, Some(&terms.ticket)));
        Ok(Checked { terms, receipt })
    }

    /// Checks a vendor's claim at time `now`, accepting claims up to
    /// `grace` seconds after the ticket expires, and returns what the claim
    /// is worth in total. Stateless: it records nothing, so the same claim
    /// checks again. To credit it, once, against the customer's
    /// certificate, use [`Broker::redeem_symmetric`](crate::Broker::redeem_symmetric)
    /// (which runs these checks, then the broker's one redemption pipeline).
    ///
    /// # Cost
    ///
    /// One XChaCha20-Poly1305 decryption, six HMAC-SHA256, and at most
    /// `max_steps` chain steps (an index above it is refused before
    /// hashing).
    ///
    /// # Errors
    ///
    /// [`SymmetricError::WrongBroker`], [`SymmetricError::UnknownParty`],
    /// [`SymmetricError::Sealed`], [`SymmetricError::Malformed`],
    /// [`SymmetricError::WrongTicket`], [`SymmetricError::BadMac`],
    /// [`SymmetricError::Chain`] (a forged payword, or over budget),
    /// [`SymmetricError::NotYetValid`] / [`SymmetricError::Expired`].
    pub fn redeem<K: BrokerKeys + ?Sized>(
        &self,
        claim: &SymmetricClaim,
        keys: &K,
        now: u64,
        grace: u64,
        max_steps: u32,
    ) -> Result<SymmetricRedemption, SymmetricError> {
        let c = self.check(claim, keys, Some(max_steps))?;
        Self::worth(claim, &c, now, grace)
    }

    /// [`redeem`](Self::redeem) without the chain check (the caller checks
    /// the payword against the chain, as the [`Broker`](crate::Broker)'s
    /// pipeline does from the highest payword recorded): the ticket's
    /// terms and what the claim is worth if its payword is genuine.
    #[cfg(feature = "alloc")]
    pub(crate) fn authenticate<K: BrokerKeys + ?Sized>(
        &self,
        claim: &SymmetricClaim,
        keys: &K,
        now: u64,
        grace: u64,
    ) -> Result<(TicketTerms, SymmetricRedemption), SymmetricError> {
        let c = self.check(claim, keys, None)?;
        Ok((c.terms, Self::worth(claim, &c, now, grace)?))
    }

    /// The key of the broker's debt record for ticket `ticket` of this
    /// broker: the tagged message digest (`docs/SYMMETRIC.md`) of
    /// `tag::SYMMETRIC_CLAIM ‖ version ‖ broker id ‖ ticket id`. Every claim
    /// under one ticket is recorded under it; the tag keeps it apart from
    /// every other debt key (commitment digests and the like).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::BrokerId;
    /// use payword::symmetric::{SymmetricBroker, TicketId};
    ///
    /// let b = SymmetricBroker::new(BrokerId::from_bytes([1; 32]));
    /// let t = TicketId::from_bytes([2; 16]);
    /// assert_eq!(b.debt_key(&t), b.debt_key(&t));
    /// assert_ne!(b.debt_key(&t), b.debt_key(&TicketId::from_bytes([3; 16])));
    /// ```
    #[must_use]
    pub fn debt_key(&self, ticket: &TicketId) -> Digest {
        let tag = super::tag::SYMMETRIC_CLAIM;
        crate::sign::digest_with(tag, |w| {
            w.put_u8(tag);
            w.put_u8(crate::wire::VERSION);
            w.put(self.id.as_bytes());
            w.put(ticket.as_bytes());
        })
    }

    /// What a checked claim is worth at `now`, with `grace`.
    fn worth(
        claim: &SymmetricClaim,
        c: &Checked,
        now: u64,
        grace: u64,
    ) -> Result<SymmetricRedemption, SymmetricError> {
        let t = &c.terms;
        if now < t.valid_from {
            return Err(SymmetricError::NotYetValid);
        }
        if now > t.expires.saturating_add(grace) {
            return Err(SymmetricError::Expired);
        }
        let units = u64::from(claim.payment.payword().index());
        Ok(SymmetricRedemption {
            ticket: t.ticket,
            customer: t.customer,
            certificate: t.certificate,
            vendor: t.vendor,
            units,
            // Cannot overflow: checked when the ticket was issued, and the
            // index is at most the chain's length.
            value: units.saturating_mul(t.unit_value),
            request: *claim.payment.request(),
            receipt: c.receipt,
        })
    }

    /// Rules on a dispute over which request a payword paid for. The
    /// broker re-derives every key from the long-term keys: the session key
    /// from the vendor's ticket part, the customer's receipt key from the
    /// customer's key.
    ///
    /// # Cost
    ///
    /// As [`redeem`](Self::redeem), and three HMAC-SHA256 for a
    /// counter-claim.
    ///
    /// # Errors
    ///
    /// The vendor's evidence is refused as in [`redeem`](Self::redeem)
    /// (without the time checks). A counter-claim for another ticket is
    /// [`SymmetricError::WrongTicket`]; for another payword
    /// [`SymmetricError::CounterMismatch`]; with a bad MAC
    /// [`SymmetricError::BadMac`].
    ///
    /// # Examples
    ///
    /// See `tests/symmetric.rs` (`dispute_*`).
    pub fn arbitrate<K: BrokerKeys + ?Sized>(
        &self,
        dispute: &Dispute,
        keys: &K,
        max_steps: u32,
    ) -> Result<Ruling, SymmetricError> {
        let c = self.check(&dispute.claim, keys, Some(max_steps))?;
        let evidence = &dispute.claim.payment;
        let Some(counter) = &dispute.counter else {
            return Ok(if c.receipt {
                Ruling::Vendor
            } else {
                Ruling::Unproven
            });
        };
        let ticket = &c.terms.ticket;
        if counter.ticket().as_bytes() != ticket.as_bytes() {
            return Err(SymmetricError::WrongTicket);
        }
        if counter.payword() != evidence.payword() {
            return Err(SymmetricError::CounterMismatch);
        }
        let vendor_key = keys
            .vendor_key(dispute.claim.ticket.vendor())
            .ok_or(SymmetricError::UnknownParty)?;
        let (session, _) = dispute.claim.ticket.open(vendor_key)?;
        if !counter.mac_ok(&MacKey::new(&session.derive(Label::Pay, ticket))) {
            return Err(SymmetricError::BadMac);
        }
        let customer_key = keys
            .customer_key(&c.terms.customer)
            .ok_or(SymmetricError::UnknownParty)?;
        let counter_receipt =
            counter.receipt_ok(&customer_key.derive(Label::Receipt, Some(ticket)));
        let same_request = counter.request() == evidence.request();
        Ok(match (c.receipt, counter_receipt) {
            (true, true) if !same_request => Ruling::CustomerEquivocated,
            (true, _) => Ruling::Vendor,
            (false, true) => Ruling::Customer,
            (false, false) => Ruling::Unproven,
        })
    }
}
