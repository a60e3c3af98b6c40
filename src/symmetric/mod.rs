//! Symmetric-key sessions: the broker distributes a fresh session key,
//! Kerberos style, so that neither customer nor vendor does any public-key
//! operation per session (the efficient anti-fraud scheme and the mobile
//! protocol of the source documents).
//!
//! Customer `C` and vendor `V` each share a [`LongTermKey`] with the broker
//! `B` (set up once, at registration). Then, per session:
//!
//! 1. `C → B`: [`TicketRequest`]: the terms (chain anchor and parameters,
//!    unit value, validity window, vendor, certificate serial) and a fresh
//!    [`RequestNonce`], MAC'd under a key derived from `K_C`.
//! 2. `B → C`: [`Ticket`]: a fresh [`TicketId`] and [`SessionKey`] `K_s`,
//!    sealed twice with XChaCha20-Poly1305 (random 24-byte nonces): the
//!    [`VendorTicket`] under `K_V` (key, terms, issue time) and the
//!    [`CustomerTicket`] under `K_C` (key, terms, the request nonce). The
//!    clear header of each part (type tag, version, broker, recipient,
//!    ticket id, nonce) is the associated data.
//! 3. `C → V`: the vendor's part. The vendor opens it
//!    ([`SymmetricSession::open`]: one AEAD decryption), checks window and
//!    replay cache, and answers with a [`VendorConfirmation`] (key
//!    confirmation, MAC'd under a key derived from `K_s`).
//! 4. `C → V`, per request: [`SymmetricPayment`]: payword, index, ticket id
//!    and the vendor's [`RequestId`], MAC'd under the payment key derived
//!    from `K_s`, and carrying the customer's receipt for the broker (MAC'd
//!    under a key derived from `K_C`). The vendor checks the MAC (one HMAC)
//!    and the payword (the usual receiver's hash check).
//! 5. `V → B`: [`SymmetricClaim`] (the vendor's part and the last payment).
//!    The broker re-opens the vendor part with `K_V`, re-derives every key,
//!    and checks MAC and chain ([`SymmetricBroker::redeem`], stateless); it
//!    also rules on a [`Dispute`] over which request a payword paid for
//!    ([`SymmetricBroker::arbitrate`]). [`SymmetricBroker`] keeps no
//!    per-ticket state.
//!
//! Crediting a claim is the [`Broker`](crate::Broker)'s (feature `alloc`):
//! `Broker::redeem_symmetric` runs the same checks, matches the ticket to
//! the customer's certificate, and records the ticket as one debt
//! ([`SymmetricBroker::debt_key`]) through the broker's one redemption
//! pipeline. It is idempotent and order-free (the same claim again owes
//! nothing, a later payword owes the difference), counted against the
//! certificate's one credit account together with every other claim kind,
//! and added to the vendor's owed total in the same commit.
//!
//! The goals (BAN style), the assumptions and the attack each test plays
//! are in `docs/SYMMETRIC.md`; the byte layouts in `docs/WIRE.md` (tags
//! `0x70`–`0x76`).
//!
//! Sessions cover a single chain (no purse); any hash the crate supports.
//!
//! # Examples
//!
//! ```
//! use payword::symmetric::*;
//! use payword::{
//!     BrokerId, ChainId, ChainParams, ChainSeed, CustomerId, HashAlg, Pebbler, Sha256,
//!     Traversal, VendorId,
//! };
//! use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
//!
//! struct Keys { c: (CustomerId, LongTermKey), v: (VendorId, LongTermKey) }
//! impl BrokerKeys for Keys {
//!     fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
//!         (*id == self.c.0).then_some(&self.c.1)
//!     }
//!     fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
//!         (*id == self.v.0).then_some(&self.v.1)
//!     }
//! }
//! let mut rng = ChaCha20Rng::from_seed([7; 32]);
//! let (customer, vendor) = (CustomerId::from_bytes([1; 16]), VendorId::from_bytes([2; 32]));
//! let broker_id = BrokerId::from_bytes([3; 32]);
//! let keys = Keys {
//!     c: (customer, LongTermKey::random(&mut rng)),
//!     v: (vendor, LongTermKey::random(&mut rng)),
//! };
//!
//! // The customer's chain and its request to the broker.
//! let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
//! let mut chain = Pebbler::<Sha256>::new(&ChainSeed::random(&mut rng), params)?;
//! let request = TicketRequest::new(RequestFields {
//!     broker: broker_id, customer, certificate: 1, vendor,
//!     nonce: RequestNonce::random(&mut rng),
//!     params, anchor: chain.anchor(), unit_value: 5, valid_from: 0, expires: 3600,
//! }, &keys.c.1)?;
//!
//! // The broker issues the ticket.
//! let broker = SymmetricBroker::new(broker_id);
//! let ticket = broker.issue(&request, &keys, 10, &mut rng)?;
//!
//! // Both ends open their part; the vendor confirms the key.
//! let mut cache = ReplayCache::<64>::new();
//! let mut v = SymmetricSession::open(vendor, broker_id, &keys.v.1, &ticket.vendor, &mut cache, 20, 5)?;
//! let mut c = CustomerSession::open(&request, &keys.c.1, &ticket.customer, 20, 5)?;
//! c.confirm(&v.confirmation())?;
//! assert!(c.confirmed());
//!
//! // Two requests of one unit each.
//! for r in 1..=2u8 {
//!     let req = RequestId::from_bytes([r; 16]);
//!     let pay = c.pay(req, chain.next_payword().unwrap());
//!     assert_eq!(v.pay_exact(&pay, &req, 1, 30), Ok(5));
//! }
//! assert_eq!(v.units_paid(), 2);
//!
//! // The broker redeems the claim: 2 units of value 5.
//! let claim = v.claim().unwrap();
//! let r = broker.redeem(&claim, &keys, 4000, 86_400, 1 << 16)?;
//! assert_eq!((r.units, r.value, r.receipt), (2, 10, true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Crediting claims once, against the customer's certificate:
//!
//! ```
//! # use payword::symmetric::*;
//! # use payword::{BrokerId, ChainId, ChainParams, ChainSeed, CustomerId, HashAlg, Sha256, StoreAll, Traversal, VendorId};
//! use ed25519_dalek::SigningKey;
//! use payword::{Broker, Certificate, CertificateFields, MemoryStore, MessageSigner};
//! # use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
//! # struct Keys { c: (CustomerId, LongTermKey), v: (VendorId, LongTermKey) }
//! # impl BrokerKeys for Keys {
//! #     fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> { (*id == self.c.0).then_some(&self.c.1) }
//! #     fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> { (*id == self.v.0).then_some(&self.v.1) }
//! # }
//! # let mut rng = ChaCha20Rng::from_seed([7; 32]);
//! # let (customer, vendor) = (CustomerId::from_bytes([1; 16]), VendorId::from_bytes([2; 32]));
//! # let broker_id = BrokerId::from_bytes([3; 32]);
//! # let keys = Keys { c: (customer, LongTermKey::random(&mut rng)), v: (vendor, LongTermKey::random(&mut rng)) };
//! # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
//! # let mut chain = StoreAll::<Sha256>::new(&ChainSeed::random(&mut rng), params)?;
//! // The customer's certificate (serial 1, credit limit 100), by the broker.
//! let broker_key = SigningKey::from_bytes(&[9; 32]);
//! let cert = Certificate::issue(CertificateFields {
//!     broker: broker_id, serial: 1, customer, customer_key: SigningKey::from_bytes(&[8; 32]).public_key(),
//!     credit_limit: 100, valid_from: 0, expires: 10_000,
//! }, &broker_key)?;
//! # let request = TicketRequest::new(RequestFields {
//! #     broker: broker_id, customer, certificate: 1, vendor, nonce: RequestNonce::random(&mut rng),
//! #     params, anchor: chain.anchor(), unit_value: 5, valid_from: 0, expires: 3600,
//! # }, &keys.c.1)?;
//! let sym = SymmetricBroker::new(broker_id);
//! # let ticket = sym.issue(&request, &keys, 10, &mut rng)?;
//! # let mut v = SymmetricSession::open(vendor, broker_id, &keys.v.1, &ticket.vendor, &mut ReplayCache::<4>::new(), 20, 5)?;
//! # let c = CustomerSession::open(&request, &keys.c.1, &ticket.customer, 20, 5)?;
//! # let req = RequestId::from_bytes([1; 16]);
//! # v.pay(&c.pay(req, chain.advance(2).unwrap()), &req, 30)?;
//! // … a session as above: the vendor's claim for 2 units of value 5.
//! let claim = v.claim().unwrap();
//! let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
//! let r = broker.redeem_symmetric(&sym, &claim, &keys, &cert, &vendor, 40)?;
//! assert_eq!((r.owed, r.units), (10, 2));
//! // The same claim again owes nothing.
//! assert_eq!(broker.redeem_symmetric(&sym, &claim, &keys, &cert, &vendor, 50)?.owed, 0);
//! assert_eq!(broker.owed(&vendor)?, 10);
//! assert_eq!(broker.credited(&cert.digest())?, 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use crate::check::SessionError;
use crate::verify::VerifyError;
use crate::wire::DecodeError;

mod broker;
mod keys;
mod session;
mod ticket;

pub use broker::{
    DEFAULT_MAX_LIFETIME, Dispute, Ruling, SymmetricBroker, SymmetricClaim, SymmetricRedemption,
};
pub use keys::{BrokerKeys, LongTermKey, RequestId, RequestNonce, SessionKey, TicketId};
pub use session::{
    CustomerSession, ReplayCache, SymmetricPayment, SymmetricSession, VendorConfirmation,
};
pub use ticket::{CustomerTicket, RequestFields, Ticket, TicketRequest, TicketTerms, VendorTicket};

/// Wire tags of the symmetric-session messages (also in
/// [`crate::tag`]).
pub mod tag {
    pub use crate::message::tag::{
        CUSTOMER_TICKET, DISPUTE, SYMMETRIC_CLAIM, SYMMETRIC_PAYMENT, TICKET_REQUEST,
        VENDOR_CONFIRMATION, VENDOR_TICKET,
    };
}

/// Why a symmetric-session step was refused. A refused step changes no
/// state.
///
/// # Examples
///
/// ```
/// use payword::symmetric::SymmetricError;
///
/// assert_eq!(SymmetricError::ReplayedTicket.to_string(), "ticket already used");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SymmetricError {
    /// The message names another broker.
    WrongBroker,
    /// The message names another vendor.
    WrongVendor,
    /// The ticket part names another customer.
    WrongCustomer,
    /// The broker has no long-term key for a party named.
    UnknownParty,
    /// The ticket request's MAC does not verify under the customer's key.
    BadRequest,
    /// A ticket part does not open: modified, sealed for someone else, or
    /// not the kind of part expected.
    Sealed,
    /// A ticket part opened but holds inconsistent terms (a broker bug).
    Malformed,
    /// The requested terms are refused (zero unit value, `valid_from >
    /// expires`, or a window longer than the broker issues).
    InvalidTerms,
    /// Not valid yet at `now` (beyond the skew).
    NotYetValid,
    /// Expired at `now` (beyond the skew or grace).
    Expired,
    /// The vendor already opened this ticket.
    ReplayedTicket,
    /// The vendor's replay cache holds only live tickets: no room.
    ReplayCacheFull,
    /// The customer's ticket part answers another request (nonce).
    NonceMismatch,
    /// The customer's ticket part binds other terms than requested.
    TermsMismatch,
    /// The message names another ticket.
    WrongTicket,
    /// The payment is for another request.
    WrongRequest,
    /// The payment's MAC does not verify under the session's payment key.
    BadMac,
    /// The vendor's key confirmation does not verify.
    BadConfirmation,
    /// A dispute's counter-claim is about another payword.
    CounterMismatch,
    /// The payword was refused by the chain check (replay, forgery, budget).
    Chain(VerifyError),
    /// The payment does not pay exactly the price asked.
    WrongPrice {
        /// Units asked.
        price: u64,
        /// Units the payment advances by.
        paid: u64,
    },
    /// An amount overflowed (capacity × unit value).
    Overflow,
    /// The chain parameters cannot be used.
    Unsupported,
    /// Bytes inside an opened ticket part did not decode (a broker bug).
    Decode(DecodeError),
}

impl fmt::Display for SymmetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongBroker => f.write_str("message names another broker"),
            Self::WrongVendor => f.write_str("message names another vendor"),
            Self::WrongCustomer => f.write_str("ticket names another customer"),
            Self::UnknownParty => f.write_str("no long-term key for a party"),
            Self::BadRequest => f.write_str("ticket request does not verify"),
            Self::Sealed => f.write_str("ticket part does not open"),
            Self::Malformed => f.write_str("ticket part holds inconsistent terms"),
            Self::InvalidTerms => f.write_str("terms refused"),
            Self::NotYetValid => f.write_str("not valid yet"),
            Self::Expired => f.write_str("expired"),
            Self::ReplayedTicket => f.write_str("ticket already used"),
            Self::ReplayCacheFull => f.write_str("replay cache full"),
            Self::NonceMismatch => f.write_str("ticket answers another request"),
            Self::TermsMismatch => f.write_str("ticket binds other terms than requested"),
            Self::WrongTicket => f.write_str("message names another ticket"),
            Self::WrongRequest => f.write_str("payment is for another request"),
            Self::BadMac => f.write_str("payment MAC does not verify"),
            Self::BadConfirmation => f.write_str("key confirmation does not verify"),
            Self::CounterMismatch => f.write_str("counter-claim is about another payword"),
            Self::Chain(e) => write!(f, "payword refused: {e}"),
            Self::WrongPrice { price, paid } => {
                write!(f, "payment advances {paid} units, the price is {price}")
            }
            Self::Overflow => f.write_str("amount overflows"),
            Self::Unsupported => f.write_str("unsupported chain parameters"),
            Self::Decode(e) => write!(f, "ticket contents do not decode: {e}"),
        }
    }
}

impl core::error::Error for SymmetricError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Chain(e) => Some(e),
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for SymmetricError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// Maps a receiver's refusal to the symmetric error.
pub(crate) fn chain_error(e: SessionError) -> SymmetricError {
    match e {
        SessionError::Payment(v) => SymmetricError::Chain(v),
        SessionError::Unsupported => SymmetricError::Unsupported,
        SessionError::NotYetValid => SymmetricError::NotYetValid,
        SessionError::Expired => SymmetricError::Expired,
        SessionError::Overflow => SymmetricError::Overflow,
        _ => SymmetricError::Malformed,
    }
}
