//! Payment terms a vendor publishes: the [`Offer`].
//!
//! An offer says who is paid (vendor id and key), through whom (the
//! brokers whose certificates the vendor accepts, with their keys), how
//! much (units per request and the value of a unit), with what (the chain
//! kinds and hashes accepted and the longest chain), and until when. The
//! vendor signs it; a customer checks it and turns it into the fields of a
//! commitment with one call ([`Offer::commitment_fields`]).

use core::fmt;

use crate::BrokerId;
use crate::HashAlg;
use crate::check::check_window;
use crate::message::{Certificate, CommitmentFields, CommittedChain, VendorId, read_validity};
use crate::sign::{PublicKey, Signed, SignedFields};
use crate::wire::{DecodeError, Reader, Writer};

/// The wire type tag of an [`Offer`].
pub const OFFER: u8 = 0x52;

/// The most brokers one offer accepts.
pub const MAX_BROKERS: usize = 4;

/// A broker an offer accepts: its id and the key its certificates verify
/// under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AcceptedBroker {
    /// The broker's id.
    pub id: BrokerId,
    /// The broker's public key.
    pub key: PublicKey,
}

/// The brokers an offer accepts: one to [`MAX_BROKERS`], no repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Brokers {
    list: [Option<AcceptedBroker>; MAX_BROKERS],
}

impl Brokers {
    /// The brokers in `list`.
    ///
    /// # Errors
    ///
    /// [`OfferError::Brokers`] for none, more than [`MAX_BROKERS`], or the
    /// same id twice.
    pub fn new(list: &[AcceptedBroker]) -> Result<Self, OfferError> {
        if list.is_empty() || list.len() > MAX_BROKERS {
            return Err(OfferError::Brokers);
        }
        let mut out = [None; MAX_BROKERS];
        for (i, b) in list.iter().enumerate() {
            if list.iter().take(i).any(|o| o.id == b.id) {
                return Err(OfferError::Brokers);
            }
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(*b);
            }
        }
        Ok(Self { list: out })
    }

    /// The brokers, in order.
    pub fn iter(&self) -> impl Iterator<Item = &AcceptedBroker> {
        self.list.iter().flatten()
    }

    /// The broker with id `id`, if accepted.
    #[must_use]
    pub fn get(&self, id: &BrokerId) -> Option<&AcceptedBroker> {
        self.iter().find(|b| b.id == *id)
    }
}

/// Chain kinds and hashes an offer accepts (a set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainKinds(u8);

impl ChainKinds {
    /// A single chain over SHA-256.
    pub const SINGLE_SHA256: Self = Self(1);
    /// A single chain over BLAKE3.
    pub const SINGLE_BLAKE3: Self = Self(2);
    /// A denomination purse over SHA-256.
    pub const PURSE_SHA256: Self = Self(4);
    /// A denomination purse over BLAKE3.
    pub const PURSE_BLAKE3: Self = Self(8);
    /// Every kind.
    pub const ALL: Self = Self(15);

    /// The union of two sets.
    #[must_use]
    pub const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether a chain of this kind is accepted.
    #[must_use]
    pub fn accepts(self, chain: &CommittedChain) -> bool {
        let (purse, alg) = match chain {
            CommittedChain::Single { params, .. } => (false, params.alg()),
            CommittedChain::Purse { params, .. } => (true, params.alg()),
        };
        let bit = match (purse, alg) {
            (false, HashAlg::Sha256) => Self::SINGLE_SHA256,
            (false, HashAlg::Blake3) => Self::SINGLE_BLAKE3,
            (true, HashAlg::Sha256) => Self::PURSE_SHA256,
            (true, HashAlg::Blake3) => Self::PURSE_BLAKE3,
        };
        self.0 & bit.0 != 0
    }

    /// The bits (1 to 15).
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// The content of an [`Offer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OfferFields {
    /// Who is paid.
    pub vendor: VendorId,
    /// The vendor's key: the offer's signature verifies under it.
    pub vendor_key: PublicKey,
    /// The brokers whose certificates the vendor accepts.
    pub brokers: Brokers,
    /// Units one request costs (at least 1).
    pub price: u32,
    /// Value of one unit (at least 1).
    pub unit_value: u64,
    /// Chain kinds and hashes accepted.
    pub kinds: ChainKinds,
    /// The longest chain (paywords per chain, or per denomination for a
    /// purse) the vendor accepts (at least 1).
    pub max_chain: u32,
    /// Start of the offer's validity (seconds since the Unix epoch).
    pub valid_from: u64,
    /// End of its validity.
    pub expires: u64,
}

impl crate::wire::sealed::Sealed for OfferFields {}

impl SignedFields for OfferFields {
    const TAG: u8 = OFFER;
    const MAX_LEN: usize = 32
        + PublicKey::MAX_ENCODED_LEN
        + 1
        + MAX_BROKERS * (32 + PublicKey::MAX_ENCODED_LEN)
        + 4
        + 8
        + 1
        + 4
        + 16;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.vendor.as_bytes());
        self.vendor_key.write(w);
        let n = self.brokers.iter().count();
        w.put_u8(u8::try_from(n).unwrap_or(u8::MAX));
        for b in self.brokers.iter() {
            w.put(b.id.as_bytes());
            b.key.write(w);
        }
        w.put_u32(self.price);
        w.put_u64(self.unit_value);
        w.put_u8(self.kinds.0);
        w.put_u32(self.max_chain);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let vendor_key = PublicKey::read(r, "vendor_key")?;
        let n = usize::from(r.u8("brokers")?);
        if n == 0 || n > MAX_BROKERS {
            return Err(DecodeError::LengthOverLimit {
                field: "brokers",
                length: n as u64,
                max: MAX_BROKERS as u64,
            });
        }
        let mut list = [None; MAX_BROKERS];
        for slot in list.iter_mut().take(n) {
            let id = BrokerId::from_bytes(r.array("broker id")?);
            let key = PublicKey::read(r, "broker key")?;
            *slot = Some(AcceptedBroker { id, key });
        }
        let flat: [AcceptedBroker; MAX_BROKERS] = list.map(|b| {
            b.unwrap_or(AcceptedBroker {
                id: BrokerId::from_bytes([0; 32]),
                key: vendor_key,
            })
        });
        let brokers = Brokers::new(flat.get(..n).unwrap_or(&[]))
            .map_err(|_| DecodeError::NonCanonical { field: "brokers" })?;
        let price = r.u32("price")?;
        let unit_value = r.u64("unit_value")?;
        let kinds = r.u8("kinds")?;
        let max_chain = r.u32("max_chain")?;
        let (valid_from, expires) = read_validity(r)?;
        if price == 0 {
            return Err(DecodeError::NonCanonical { field: "price" });
        }
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        if kinds == 0 || kinds & !ChainKinds::ALL.0 != 0 {
            return Err(DecodeError::NonCanonical { field: "kinds" });
        }
        if max_chain == 0 {
            return Err(DecodeError::NonCanonical { field: "max_chain" });
        }
        Ok(Self {
            vendor,
            vendor_key,
            brokers,
            price,
            unit_value,
            kinds: ChainKinds(kinds),
            max_chain,
            valid_from,
            expires,
        })
    }
}

/// A vendor's signed payment terms (wire tag `0x52`).
///
/// # Examples
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
/// use payword::*;
///
/// let broker = SigningKey::from_bytes(&[1; 32]);
/// let vendor = SigningKey::from_bytes(&[2; 32]);
/// let customer = SigningKey::from_bytes(&[3; 32]);
/// let broker_id = BrokerId::from_bytes([4; 32]);
/// let offer = Offer::sign(
///     OfferFields {
///         vendor: VendorId::from_bytes([5; 32]),
///         vendor_key: vendor.public_key(),
///         brokers: Brokers::new(&[AcceptedBroker { id: broker_id, key: broker.public_key() }])?,
///         price: 2,
///         unit_value: 10,
///         kinds: ChainKinds::SINGLE_SHA256,
///         max_chain: 10_000,
///         valid_from: 0,
///         expires: 1_000,
///     },
///     &vendor,
/// )?;
/// // The customer: a certificate from an accepted broker, a chain, one call.
/// let cert = Certificate::issue(CertificateFields {
///     broker: broker_id, serial: 1, customer: CustomerId::from_bytes([6; 16]),
///     customer_key: customer.public_key(), credit_limit: 100_000, valid_from: 0, expires: 2_000,
/// }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([7; 16]), 1_000)?;
/// let wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([8; 32]), params)?;
/// let chain = CommittedChain::Single { params, anchor: wallet.anchor() };
/// let fields = offer.commitment_fields(&cert, chain, 100, 3_600)?;
/// assert_eq!((fields.unit_value, fields.expires), (10, 1_000)); // capped by the offer
/// let commitment = Commitment::sign(fields, &customer)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Offer = Signed<OfferFields>;

/// Why an offer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferError {
    /// No broker, more than [`MAX_BROKERS`], or one twice.
    Brokers,
    /// The signature does not verify under the offer's vendor key.
    BadSignature,
    /// Not valid at the time given.
    Window(crate::SessionError),
    /// The certificate's broker is not one the offer accepts, or the
    /// certificate does not verify under that broker's key.
    BrokerNotAccepted,
    /// The chain's kind or hash is not accepted.
    ChainNotAccepted,
    /// The chain is longer than the offer's `max_chain`.
    ChainTooLong {
        /// The chain's length.
        length: u32,
        /// The offer's maximum.
        max: u32,
    },
    /// The offer and the certificate leave no time to commit.
    NoTimeLeft,
}

impl fmt::Display for OfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Brokers => f.write_str("an offer names 1 to 4 distinct brokers"),
            Self::BadSignature => f.write_str("offer signature does not verify"),
            Self::Window(e) => write!(f, "offer {e}"),
            Self::BrokerNotAccepted => {
                f.write_str("certificate's broker not accepted by the offer")
            }
            Self::ChainNotAccepted => f.write_str("chain kind or hash not accepted by the offer"),
            Self::ChainTooLong { length, max } => {
                write!(f, "chain of {length} is longer than the offer's {max}")
            }
            Self::NoTimeLeft => f.write_str("offer and certificate leave no validity to commit in"),
        }
    }
}

impl core::error::Error for OfferError {}

impl Signed<OfferFields> {
    /// Checks the offer at `now` (within `skew` seconds): its signature
    /// under its own vendor key, and its window. (That the vendor key is the
    /// vendor's is for the customer to know: from where the offer came, a
    /// TLS origin or a printed QR code.)
    ///
    /// # Errors
    ///
    /// [`OfferError::BadSignature`], [`OfferError::Window`].
    pub fn check(&self, now: u64, skew: u64) -> Result<(), OfferError> {
        let f = self.fields();
        self.verify(&f.vendor_key)
            .map_err(|_| OfferError::BadSignature)?;
        check_window(now, f.valid_from, f.expires, skew).map_err(OfferError::Window)
    }

    /// The fields of a commitment answering this offer at `now` with
    /// `certificate` and `chain`, valid from `now` for at most `lifetime`
    /// seconds (and no longer than the offer or the certificate).
    ///
    /// # Cost
    ///
    /// Two signature verifications (the offer, the certificate).
    ///
    /// # Errors
    ///
    /// [`OfferError`]: the offer does not [`check`](Self::check), the
    /// certificate's broker is not accepted (or its certificate does not
    /// verify), the chain's kind, hash or length is not accepted, or no
    /// time is left.
    pub fn commitment_fields(
        &self,
        certificate: &Certificate,
        chain: CommittedChain,
        now: u64,
        lifetime: u64,
    ) -> Result<CommitmentFields, OfferError> {
        self.check(now, 0)?;
        let f = self.fields();
        let cf = certificate.fields();
        let broker = f
            .brokers
            .get(&cf.broker)
            .ok_or(OfferError::BrokerNotAccepted)?;
        certificate
            .verify(&broker.key)
            .map_err(|_| OfferError::BrokerNotAccepted)?;
        if !f.kinds.accepts(&chain) {
            return Err(OfferError::ChainNotAccepted);
        }
        let length = match &chain {
            CommittedChain::Single { params, .. } => params.length(),
            CommittedChain::Purse { params, .. } => params.length(),
        };
        if length > f.max_chain {
            return Err(OfferError::ChainTooLong {
                length,
                max: f.max_chain,
            });
        }
        let valid_from = now.max(cf.valid_from);
        let expires = now.saturating_add(lifetime).min(f.expires).min(cf.expires);
        if expires <= valid_from {
            return Err(OfferError::NoTimeLeft);
        }
        Ok(CommitmentFields {
            certificate: certificate.digest(),
            vendor: f.vendor,
            unit_value: f.unit_value,
            valid_from,
            expires,
            chain,
            renewal: None,
        })
    }
}
