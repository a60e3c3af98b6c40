//! Both ends of a symmetric session: the vendor's [`SymmetricSession`] and
//! the customer's [`CustomerSession`], the MAC'd [`SymmetricPayment`], the
//! vendor's [`VendorConfirmation`] and the vendor's bounded [`ReplayCache`].

use core::fmt;

use super::SymmetricError;
use super::keys::{Label, LongTermKey, MacKey, RequestId, TicketId, mac_ok};
use super::ticket::{CustomerTicket, TicketRequest, TicketTerms, VendorTicket};
use crate::chain::Payword;
use crate::check::{ChainState, check_window};
use crate::message::{BrokerId, PaymentBody, VendorId};
use crate::wire::{DecodeError, Encode, Reader, Writer};

/// A vendor's memory of the tickets it opened, until they expire: a ticket
/// seen again is [`SymmetricError::ReplayedTicket`]. Fixed capacity `N`, no
/// allocation; an entry is dropped once its ticket would be refused as
/// expired anyway (after `expires + skew`). When all `N` entries are live, a
/// new ticket is refused ([`SymmetricError::ReplayCacheFull`]): the cache
/// fails closed, never forgetting a live ticket.
///
/// # Cost
///
/// One pass over the `N` entries per ticket opened.
///
/// # Examples
///
/// ```
/// use payword::symmetric::ReplayCache;
///
/// let cache = ReplayCache::<64>::new();
/// assert_eq!(cache.len(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ReplayCache<const N: usize> {
    entries: [Option<(TicketId, u64)>; N],
}

impl<const N: usize> Default for ReplayCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ReplayCache<N> {
    /// An empty cache.
    ///
    /// # Examples
    ///
    /// See [`ReplayCache`].
    #[must_use]
    pub const fn new() -> Self {
        Self { entries: [None; N] }
    }

    /// Tickets remembered.
    ///
    /// # Examples
    ///
    /// See [`ReplayCache`].
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether no ticket is remembered.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(payword::symmetric::ReplayCache::<4>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `ticket`, live until `until`, at time `now`; drops entries
    /// live only until before `now`.
    ///
    /// # Errors
    ///
    /// [`SymmetricError::ReplayedTicket`] if it is already recorded,
    /// [`SymmetricError::ReplayCacheFull`] if every entry is live. On error
    /// nothing is recorded.
    pub(crate) fn insert(
        &mut self,
        ticket: &TicketId,
        until: u64,
        now: u64,
    ) -> Result<(), SymmetricError> {
        let mut free = None;
        for (i, e) in self.entries.iter_mut().enumerate() {
            match e {
                Some((_, u)) if *u < now => *e = None,
                Some((t, _)) if t == ticket => return Err(SymmetricError::ReplayedTicket),
                _ => {}
            }
            if e.is_none() && free.is_none() {
                free = Some(i);
            }
        }
        let slot = free
            .and_then(|i| self.entries.get_mut(i))
            .ok_or(SymmetricError::ReplayCacheFull)?;
        *slot = Some((*ticket, until));
        Ok(())
    }
}

/// A payment under a symmetric session (customer → vendor): one payword,
/// the ticket and the request it pays for, the customer's receipt for the
/// broker, and a MAC under the session's payment key.
///
/// * `mac` = HMAC-SHA256(K_pay, every byte before it), where K_pay is
///   derived from the session key and the ticket id: the vendor checks it
///   (one HMAC) before any chain hashing.
/// * `receipt` = HMAC-SHA256(K_receipt, every byte before it), where
///   K_receipt is derived from the *customer's long-term key* and the
///   ticket id: the vendor cannot check or forge it, the broker can, so it
///   proves to the broker that the customer itself bound this payword to
///   this request ([`Ruling`](super::Ruling)).
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SymmetricPayment {
    ticket: TicketId,
    request: RequestId,
    payword: Payword,
    receipt: [u8; 32],
    mac: [u8; 32],
}

impl SymmetricPayment {
    /// Bytes before the receipt.
    const RECEIPT_INPUT: usize = 2 + 16 + 16 + 4 + 32;
    /// Bytes before the MAC.
    const MAC_INPUT: usize = Self::RECEIPT_INPUT + 32;

    /// The ticket it pays under.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn ticket(&self) -> &TicketId {
        &self.ticket
    }

    /// The request it pays for.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn request(&self) -> &RequestId {
        &self.request
    }

    /// The payword revealed.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn payword(&self) -> &Payword {
        &self.payword
    }

    fn prefix(&self) -> [u8; Self::MAC_INPUT] {
        let mut buf = [0u8; Self::MAC_INPUT];
        let mut w = Writer::new(&mut buf);
        w.put_u8(<Self as Encode>::TAG);
        w.put_u8(crate::wire::VERSION);
        w.put(self.ticket.as_bytes());
        w.put(self.request.as_bytes());
        crate::payment::write_payword(&self.payword, &mut w);
        w.put(&self.receipt);
        buf
    }

    /// Whether the MAC verifies under the payment key (constant time).
    pub(crate) fn mac_ok(&self, pay_key: &MacKey) -> bool {
        pay_key.verify(&self.prefix(), &self.mac)
    }

    /// Whether the receipt verifies under the customer's receipt key.
    pub(crate) fn receipt_ok(&self, receipt_key: &[u8; 32]) -> bool {
        let prefix = self.prefix();
        let input = prefix.get(..Self::RECEIPT_INPUT).unwrap_or(&[]);
        mac_ok(receipt_key, input, &self.receipt)
    }
}

impl crate::wire::sealed::Sealed for SymmetricPayment {}

impl Encode for SymmetricPayment {
    const TAG: u8 = super::tag::SYMMETRIC_PAYMENT;
    const MAX_LEN: usize = Self::MAC_INPUT + 32;

    fn write_fields(&self, w: &mut Writer<'_>) {
        w.put(self.ticket.as_bytes());
        w.put(self.request.as_bytes());
        crate::payment::write_payword(&self.payword, w);
        w.put(&self.receipt);
        w.put(&self.mac);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ticket: TicketId::from_bytes(r.array("ticket")?),
            request: RequestId::from_bytes(r.array("request")?),
            payword: crate::payment::read_payword(r)?,
            receipt: r.array("receipt")?,
            mac: r.array("mac")?,
        })
    }
}

/// The vendor's key confirmation (vendor → customer): a MAC under the
/// confirmation key (derived from the session key and the ticket id, and
/// distinct from the payment key) over the tag, the ticket id and the
/// vendor's id. It shows the customer that the vendor named in the ticket
/// opened it: only that vendor's long-term key yields the session key.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VendorConfirmation {
    ticket: TicketId,
    vendor: VendorId,
    mac: [u8; 32],
}

impl VendorConfirmation {
    const MAC_INPUT: usize = 2 + 16 + 32;

    fn prefix(&self) -> [u8; Self::MAC_INPUT] {
        let mut buf = [0u8; Self::MAC_INPUT];
        let mut w = Writer::new(&mut buf);
        w.put_u8(<Self as Encode>::TAG);
        w.put_u8(crate::wire::VERSION);
        w.put(self.ticket.as_bytes());
        w.put(self.vendor.as_bytes());
        buf
    }

    /// The ticket it confirms.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn ticket(&self) -> &TicketId {
        &self.ticket
    }
}

impl crate::wire::sealed::Sealed for VendorConfirmation {}

impl Encode for VendorConfirmation {
    const TAG: u8 = super::tag::VENDOR_CONFIRMATION;
    const MAX_LEN: usize = Self::MAC_INPUT + 32;

    fn write_fields(&self, w: &mut Writer<'_>) {
        w.put(self.ticket.as_bytes());
        w.put(self.vendor.as_bytes());
        w.put(&self.mac);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ticket: TicketId::from_bytes(r.array("ticket")?),
            vendor: VendorId::from_bytes(r.array("vendor")?),
            mac: r.array("mac")?,
        })
    }
}

/// A vendor's session on one ticket: opened from the vendor's ticket part
/// with the vendor's long-term key (one AEAD decryption, no signature), then
/// accepting [`SymmetricPayment`]s (one HMAC and the chain steps, bounded).
///
/// The session key is never kept: only the keys derived from it (payment
/// and confirmation keys), zeroized on drop; `Debug` prints neither.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone)]
pub struct SymmetricSession {
    ticket: VendorTicket,
    terms: TicketTerms,
    pay_key: MacKey,
    confirm_key: MacKey,
    state: ChainState,
    skew: u64,
    limit: u32,
    last: Option<SymmetricPayment>,
}

impl fmt::Debug for SymmetricSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymmetricSession")
            .field("terms", &self.terms)
            .field("paid", &self.state.paid())
            .finish_non_exhaustive()
    }
}

impl SymmetricSession {
    /// Opens the vendor's part of a ticket at time `now` (within `skew`
    /// seconds), and records the ticket in `cache`.
    ///
    /// # Cost
    ///
    /// Three HMAC-SHA256 (key derivations), one XChaCha20-Poly1305
    /// decryption of 221 bytes, one pass over the replay cache. No
    /// signature, no chain hashing.
    ///
    /// # Errors
    ///
    /// Checked in this order, and on error nothing is recorded:
    /// [`SymmetricError::WrongVendor`] / [`SymmetricError::WrongBroker`]
    /// (the clear header names someone else), [`SymmetricError::Sealed`]
    /// (the part does not open under `key`: modified, moved, or not a
    /// vendor part), [`SymmetricError::Malformed`],
    /// [`SymmetricError::NotYetValid`] / [`SymmetricError::Expired`],
    /// [`SymmetricError::Overflow`], [`SymmetricError::Unsupported`],
    /// [`SymmetricError::ReplayedTicket`], [`SymmetricError::ReplayCacheFull`].
    pub fn open<const N: usize>(
        vendor: VendorId,
        broker: BrokerId,
        key: &LongTermKey,
        ticket: &VendorTicket,
        cache: &mut ReplayCache<N>,
        now: u64,
        skew: u64,
    ) -> Result<Self, SymmetricError> {
        if *ticket.vendor() != vendor {
            return Err(SymmetricError::WrongVendor);
        }
        if *ticket.broker() != broker {
            return Err(SymmetricError::WrongBroker);
        }
        let (session, terms) = ticket.open(key)?;
        check_window(now, terms.valid_from, terms.expires, skew).map_err(super::chain_error)?;
        if terms.issued_at > now.saturating_add(skew) {
            return Err(SymmetricError::NotYetValid);
        }
        terms.max_value().ok_or(SymmetricError::Overflow)?;
        let limit = crate::DEFAULT_STEP_LIMIT;
        let state = ChainState::new(&terms.chain(), None, limit).map_err(super::chain_error)?;
        cache.insert(&terms.ticket, terms.expires.saturating_add(skew), now)?;
        Ok(Self {
            ticket: *ticket,
            pay_key: MacKey::new(&session.derive(Label::Pay, &terms.ticket)),
            confirm_key: MacKey::new(&session.derive(Label::Confirm, &terms.ticket)),
            terms,
            state,
            skew,
            limit,
            last: None,
        })
    }

    /// Sets the per-payment budget in chain steps (default
    /// [`DEFAULT_STEP_LIMIT`](crate::DEFAULT_STEP_LIMIT)).
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub fn with_limit(mut self, max_steps: u32) -> Self {
        let last = self.state.last();
        if let Ok(state) = ChainState::new(&self.terms.chain(), last.as_ref(), max_steps) {
            self.state = state;
            self.limit = max_steps;
        }
        self
    }

    /// The terms the ticket binds.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn terms(&self) -> &TicketTerms {
        &self.terms
    }

    /// The key confirmation to send to the customer.
    ///
    /// # Cost
    ///
    /// One HMAC-SHA256.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub fn confirmation(&self) -> VendorConfirmation {
        let mut c = VendorConfirmation {
            ticket: self.terms.ticket,
            vendor: self.terms.vendor,
            mac: [0; 32],
        };
        c.mac = self.confirm_key.tag(&c.prefix());
        c
    }

    /// Accepts `payment` for request `request` at time `now`; returns the
    /// value newly paid (`units × unit value`).
    ///
    /// # Cost
    ///
    /// One HMAC-SHA256 over 102 bytes from the cached keyed state (three
    /// SHA-256 compressions), then the chain steps of the payment, at most
    /// the session's budget; nothing after the first failed check.
    ///
    /// # Errors
    ///
    /// In this order: [`SymmetricError::WrongTicket`],
    /// [`SymmetricError::WrongRequest`], [`SymmetricError::NotYetValid`] /
    /// [`SymmetricError::Expired`], [`SymmetricError::BadMac`],
    /// [`SymmetricError::Chain`] (replay, forged payword, over budget). On
    /// error nothing changes.
    pub fn pay(
        &mut self,
        payment: &SymmetricPayment,
        request: &RequestId,
        now: u64,
    ) -> Result<u64, SymmetricError> {
        let (state, value) = self.advance(payment, request, now, None)?;
        self.state = state;
        self.last = Some(*payment);
        Ok(value)
    }

    /// Accepts `payment` only if it pays exactly `price` units for request
    /// `request`; returns the value paid.
    ///
    /// # Cost
    ///
    /// One HMAC-SHA256 and at most `price` chain steps, whatever the payment
    /// says (an index more than `price` ahead is refused before hashing).
    ///
    /// # Errors
    ///
    /// As [`pay`](Self::pay), and [`SymmetricError::WrongPrice`]. On error
    /// nothing changes.
    pub fn pay_exact(
        &mut self,
        payment: &SymmetricPayment,
        request: &RequestId,
        price: u32,
        now: u64,
    ) -> Result<u64, SymmetricError> {
        let (state, value) = self.advance(payment, request, now, Some(price))?;
        self.state = state;
        self.last = Some(*payment);
        Ok(value)
    }

    fn advance(
        &self,
        payment: &SymmetricPayment,
        request: &RequestId,
        now: u64,
        price: Option<u32>,
    ) -> Result<(ChainState, u64), SymmetricError> {
        // Ticket and request ids are public: plain comparisons.
        if payment.ticket.as_bytes() != self.terms.ticket.as_bytes() {
            return Err(SymmetricError::WrongTicket);
        }
        if payment.request.as_bytes() != request.as_bytes() {
            return Err(SymmetricError::WrongRequest);
        }
        check_window(now, self.terms.valid_from, self.terms.expires, self.skew)
            .map_err(super::chain_error)?;
        if !payment.mac_ok(&self.pay_key) {
            return Err(SymmetricError::BadMac);
        }
        let last = self.state.paid();
        let index = u64::from(payment.payword.index());
        let mut state = match price {
            None => self.state.clone(),
            Some(p) => {
                if index > last && index - last != u64::from(p) {
                    return Err(SymmetricError::WrongPrice {
                        price: p.into(),
                        paid: index - last,
                    });
                }
                let prev = self.state.last();
                ChainState::new(&self.terms.chain(), prev.as_ref(), p)
                    .map_err(super::chain_error)?
            }
        };
        let units = state
            .accept(&PaymentBody::Single(payment.payword))
            .map_err(super::chain_error)?;
        if price.is_some() {
            let prev = state.last();
            state = ChainState::new(&self.terms.chain(), prev.as_ref(), self.limit)
                .map_err(super::chain_error)?;
        }
        // Cannot overflow: capacity × unit value was checked at `open`.
        Ok((state, units.saturating_mul(self.terms.unit_value)))
    }

    /// Units paid so far.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        self.state.paid()
    }

    /// The claim for the broker: the vendor's ticket part and the highest
    /// payment accepted, or `None` before any payment.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub fn claim(&self) -> Option<super::SymmetricClaim> {
        Some(super::SymmetricClaim {
            ticket: self.ticket,
            payment: self.last?,
        })
    }

    /// The payment accepted last (evidence of which request its payword
    /// paid for), or `None` before any payment.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn last_payment(&self) -> Option<&SymmetricPayment> {
        self.last.as_ref()
    }
}

/// A customer's session on one ticket: opened from the customer's ticket
/// part with the customer's long-term key (one AEAD decryption), checked
/// against the customer's own request; it MACs the customer's paywords and
/// checks the vendor's key confirmation.
///
/// Keeps the derived payment, confirmation and receipt keys (zeroized on
/// drop; `Debug` prints none). The paywords come from the customer's own
/// traversal ([`Pebbler`](crate::Pebbler) etc.) over the requested chain.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone)]
pub struct CustomerSession {
    terms: TicketTerms,
    pay_key: MacKey,
    confirm_key: MacKey,
    receipt_key: MacKey,
    confirmed: bool,
}

impl fmt::Debug for CustomerSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerSession")
            .field("terms", &self.terms)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

impl CustomerSession {
    /// Opens the customer's part of the ticket that answers `request`, at
    /// time `now` (within `skew` seconds).
    ///
    /// # Cost
    ///
    /// Four HMAC-SHA256 (key derivations), one XChaCha20-Poly1305
    /// decryption of 237 bytes.
    ///
    /// # Errors
    ///
    /// [`SymmetricError::WrongCustomer`] / [`SymmetricError::WrongBroker`]
    /// (the clear header), [`SymmetricError::Sealed`],
    /// [`SymmetricError::Malformed`], [`SymmetricError::NonceMismatch`] (not
    /// the answer to this request), [`SymmetricError::TermsMismatch`] (other
    /// terms than asked), [`SymmetricError::Expired`].
    pub fn open(
        request: &TicketRequest,
        key: &LongTermKey,
        ticket: &CustomerTicket,
        now: u64,
        skew: u64,
    ) -> Result<Self, SymmetricError> {
        let asked = request.fields();
        if *ticket.customer() != asked.customer {
            return Err(SymmetricError::WrongCustomer);
        }
        if *ticket.broker() != asked.broker {
            return Err(SymmetricError::WrongBroker);
        }
        let (session, terms, nonce) = ticket.open(key)?;
        if nonce != asked.nonce {
            return Err(SymmetricError::NonceMismatch);
        }
        if !terms.answers(asked) {
            return Err(SymmetricError::TermsMismatch);
        }
        if now.saturating_sub(skew) > terms.expires {
            return Err(SymmetricError::Expired);
        }
        Ok(Self {
            pay_key: MacKey::new(&session.derive(Label::Pay, &terms.ticket)),
            confirm_key: MacKey::new(&session.derive(Label::Confirm, &terms.ticket)),
            receipt_key: MacKey::new(&key.derive(Label::Receipt, Some(&terms.ticket))),
            terms,
            confirmed: false,
        })
    }

    /// The terms the ticket binds.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn terms(&self) -> &TicketTerms {
        &self.terms
    }

    /// The payment of `payword` for request `request`.
    ///
    /// # Cost
    ///
    /// Two HMAC-SHA256 (receipt and MAC).
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub fn pay(&self, request: RequestId, payword: Payword) -> SymmetricPayment {
        let mut p = SymmetricPayment {
            ticket: self.terms.ticket,
            request,
            payword,
            receipt: [0; 32],
            mac: [0; 32],
        };
        let prefix = p.prefix();
        let input = prefix.get(..SymmetricPayment::RECEIPT_INPUT).unwrap_or(&[]);
        p.receipt = self.receipt_key.tag(input);
        p.mac = self.pay_key.tag(&p.prefix());
        p
    }

    /// Checks the vendor's key confirmation: the vendor named in the ticket
    /// holds the session key.
    ///
    /// # Cost
    ///
    /// One HMAC-SHA256.
    ///
    /// # Errors
    ///
    /// [`SymmetricError::WrongTicket`], [`SymmetricError::WrongVendor`],
    /// [`SymmetricError::BadConfirmation`].
    pub fn confirm(&mut self, confirmation: &VendorConfirmation) -> Result<(), SymmetricError> {
        if confirmation.ticket.as_bytes() != self.terms.ticket.as_bytes() {
            return Err(SymmetricError::WrongTicket);
        }
        if confirmation.vendor != self.terms.vendor {
            return Err(SymmetricError::WrongVendor);
        }
        if !self
            .confirm_key
            .verify(&confirmation.prefix(), &confirmation.mac)
        {
            return Err(SymmetricError::BadConfirmation);
        }
        self.confirmed = true;
        Ok(())
    }

    /// Whether the vendor's key confirmation was accepted.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    #[must_use]
    pub const fn confirmed(&self) -> bool {
        self.confirmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_cache_expires_and_fails_closed() {
        let mut c = ReplayCache::<2>::new();
        let (a, b, d) = (
            TicketId::from_bytes([1; 16]),
            TicketId::from_bytes([2; 16]),
            TicketId::from_bytes([3; 16]),
        );
        assert_eq!(c.insert(&a, 10, 0), Ok(()));
        assert_eq!(c.insert(&a, 10, 5), Err(SymmetricError::ReplayedTicket));
        assert_eq!(c.insert(&b, 20, 5), Ok(()));
        assert_eq!(c.insert(&d, 20, 5), Err(SymmetricError::ReplayCacheFull));
        assert_eq!(c.len(), 2);
        // At 10 `a` is still live (until 10 inclusive); at 11 it is dropped.
        assert_eq!(c.insert(&d, 20, 10), Err(SymmetricError::ReplayCacheFull));
        assert_eq!(c.insert(&d, 20, 11), Ok(()));
        assert_eq!(c.insert(&b, 20, 11), Err(SymmetricError::ReplayedTicket));
    }

    #[test]
    fn sizes() {
        assert_eq!(SymmetricPayment::MAX_LEN, 134);
        assert_eq!(VendorConfirmation::MAX_LEN, 82);
    }
}
