//! Protocol messages: certificate, commitment, payment, redemption claim.
//!
//! Every message has one canonical encoding (see `docs/WIRE.md`): a type tag
//! and version byte, fixed-width big-endian fields, the signature (if any)
//! last. A signature covers the [`Digest`] of everything before it, tagged with
//! the message type. All messages here have a fixed maximum size and decode
//! without allocation.

use core::fmt;

use crate::bytes::byte_newtype;
use crate::chain::{Anchor, ChainId, ChainParams};
use crate::hash::HashAlg;
use crate::lmots::LmotsPublicKey;
use crate::sign::{Digest, MessageSigner, PublicKey, SignError, Signed, SignedFields};
use crate::verify::{MAX_DENOMINATIONS, PurseAnchors, PurseParams};
use crate::wire::{DecodeError, Reader, Writer};

pub use crate::payment::{Payment, PaymentBody};
// For the messages that embed payment bodies (all need `alloc`).
#[cfg(feature = "alloc")]
pub(crate) use crate::payment::{read_body, read_payword, write_body, write_payword};
pub use crate::wire::{Encode, VERSION};

/// Message type tags.
pub mod tag {
    /// [`Certificate`](super::Certificate).
    pub const CERTIFICATE: u8 = 0x10;
    /// [`Commitment`](super::Commitment).
    pub const COMMITMENT: u8 = 0x11;
    /// [`Payment`](super::Payment).
    pub const PAYMENT: u8 = crate::payment::TAG;
    /// [`RedemptionClaim`](super::RedemptionClaim).
    pub const REDEMPTION_CLAIM: u8 = 0x13;
    /// `goods::Manifest` (vendor-signed content manifest).
    pub const GOODS_MANIFEST: u8 = 0x60;
    /// `goods::Delivery` (vendor → customer: one chunk).
    pub const GOODS_DELIVERY: u8 = 0x61;
    /// `goods::BadDeliveryProof` (customer → broker).
    pub const BAD_DELIVERY_PROOF: u8 = 0x62;
    /// `symmetric::TicketRequest` (customer → broker; feature `symmetric`).
    pub const TICKET_REQUEST: u8 = 0x70;
    /// `symmetric::CustomerTicket` (broker → customer).
    pub const CUSTOMER_TICKET: u8 = 0x71;
    /// `symmetric::VendorTicket` (broker → customer → vendor).
    pub const VENDOR_TICKET: u8 = 0x72;
    /// `symmetric::SymmetricPayment` (customer → vendor).
    pub const SYMMETRIC_PAYMENT: u8 = 0x73;
    /// `symmetric::VendorConfirmation` (vendor → customer).
    pub const VENDOR_CONFIRMATION: u8 = 0x74;
    /// `symmetric::SymmetricClaim` (vendor → broker).
    pub const SYMMETRIC_CLAIM: u8 = 0x75;
    /// `symmetric::Dispute` (vendor or customer → broker).
    pub const DISPUTE: u8 = 0x76;
}

byte_newtype!(
    /// A broker's identifier.
    BrokerId,
    32
);

byte_newtype!(
    /// A vendor's identifier, as the broker knows it.
    VendorId,
    32
);

byte_newtype!(
    /// A pseudonymous customer identifier chosen by the broker: vendors see it,
    /// never the account behind it.
    CustomerId,
    16
);

/// Reads `valid_from ‖ expires`, refusing `valid_from > expires`.
pub(crate) fn read_validity(r: &mut Reader<'_>) -> Result<(u64, u64), DecodeError> {
    let from = r.u64("valid_from")?;
    let until = r.u64("expires")?;
    if from > until {
        return Err(DecodeError::NonCanonical { field: "expires" });
    }
    Ok((from, until))
}

/// The content of a certificate: what the broker vouches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertificateFields {
    /// The issuing broker.
    pub broker: BrokerId,
    /// The broker's serial number.
    pub serial: u64,
    /// The customer's pseudonym.
    pub customer: CustomerId,
    /// The key the customer signs commitments with.
    pub customer_key: PublicKey,
    /// The most the broker pays in total under this certificate, in value units.
    pub credit_limit: u64,
    /// First second (caller's clock, e.g. Unix time) the certificate is valid.
    pub valid_from: u64,
    /// Last second it is valid.
    pub expires: u64,
}

/// A broker-signed certificate (broker → customer): [`CertificateFields`]
/// signed by the broker.
///
/// # Examples
///
/// ```
/// use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
/// use ed25519_dalek::SigningKey;
///
/// let broker = SigningKey::from_bytes(&[1; 32]);
/// let customer = SigningKey::from_bytes(&[2; 32]);
/// let cert = Certificate::issue(CertificateFields {
///     broker: BrokerId::from_bytes([9; 32]),
///     serial: 1,
///     customer: CustomerId::from_bytes([3; 16]),
///     customer_key: customer.public_key(),
///     credit_limit: 1_000_000,
///     valid_from: 0,
///     expires: 86_400,
/// }, &broker)?;
/// assert!(cert.verify(&broker.public_key()).is_ok());
/// # Ok::<(), payword::SignError>(())
/// ```
pub type Certificate = Signed<CertificateFields>;

impl Signed<CertificateFields> {
    /// Signs `fields` with the broker's key: [`Signed::sign`] under the name
    /// the protocol gives it.
    ///
    /// # Errors
    ///
    /// [`SignError::Invalid`] (for example `valid_from > expires`),
    /// [`SignError::Signer`].
    pub fn issue<S: MessageSigner + ?Sized>(
        fields: CertificateFields,
        broker: &S,
    ) -> Result<Self, SignError> {
        Self::sign(fields, broker)
    }
}

impl crate::wire::sealed::Sealed for CertificateFields {}

impl SignedFields for CertificateFields {
    const TAG: u8 = tag::CERTIFICATE;
    const MAX_LEN: usize = 32 + 8 + 16 + PublicKey::MAX_ENCODED_LEN + 24;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.broker.as_bytes());
        w.put_u64(self.serial);
        w.put(self.customer.as_bytes());
        self.customer_key.write(w);
        w.put_u64(self.credit_limit);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let broker = BrokerId::from_bytes(r.array("broker")?);
        let serial = r.u64("serial")?;
        let customer = CustomerId::from_bytes(r.array("customer")?);
        let customer_key = PublicKey::read(r, "customer_key")?;
        let credit_limit = r.u64("credit_limit")?;
        let (valid_from, expires) = read_validity(r)?;
        Ok(Self {
            broker,
            serial,
            customer,
            customer_key,
            credit_limit,
            valid_from,
            expires,
        })
    }
}

/// The chain(s) a commitment binds: one chain, or a denomination purse.
#[allow(clippy::large_enum_variant)] // fixed size on purpose: no allocation
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommittedChain {
    /// A single chain and its anchor.
    Single {
        /// Chain parameters.
        params: ChainParams,
        /// Anchor `w_0`.
        anchor: Anchor,
    },
    /// A multi-denomination purse and its anchors.
    Purse {
        /// Purse parameters.
        params: PurseParams,
        /// Anchors, denomination 0 first.
        anchors: PurseAnchors,
    },
}

impl CommittedChain {
    /// The total number of units the chain(s) can pay.
    #[must_use]
    pub fn capacity(&self) -> u64 {
        match self {
            Self::Single { params, .. } => params.length().into(),
            Self::Purse { params, .. } => params.capacity(),
        }
    }

    /// The hash algorithm.
    #[must_use]
    pub fn alg(&self) -> HashAlg {
        match self {
            Self::Single { params, .. } => params.alg(),
            Self::Purse { params, .. } => params.alg(),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match self {
            Self::Single { params, anchor } => {
                w.put_u8(1);
                w.put_u8(params.alg().tag());
                w.put(params.id().as_bytes());
                w.put_u32(params.length());
                w.put(anchor.as_bytes());
            }
            Self::Purse { params, anchors } => {
                w.put_u8(2);
                w.put_u8(params.alg().tag());
                w.put(params.id().as_bytes());
                w.put_u32(params.base());
                w.put_u8(params.denominations());
                w.put_u32(params.length());
                for a in anchors.as_slice() {
                    w.put(a.as_bytes());
                }
            }
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let kind = r.u8("chain kind")?;
        let alg =
            HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
        let id = ChainId::from_bytes(r.array("chain id")?);
        match kind {
            1 => {
                let length = r.u32("length")?;
                let params = ChainParams::new(alg, id, length.into())
                    .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
                let anchor = Anchor::from_bytes(r.array("anchor")?);
                Ok(Self::Single { params, anchor })
            }
            2 => {
                let base = r.u32("base")?;
                let m = r.u8("denominations")?;
                if usize::from(m) > MAX_DENOMINATIONS {
                    return Err(DecodeError::LengthOverLimit {
                        field: "denominations",
                        length: m.into(),
                        max: MAX_DENOMINATIONS as u64,
                    });
                }
                let length = r.u32("length")?;
                let params = PurseParams::new(alg, id, base, m, length.into())
                    .map_err(|_| DecodeError::NonCanonical { field: "purse" })?;
                let mut anchors = [Anchor::from_bytes([0; 32]); MAX_DENOMINATIONS];
                for a in anchors.iter_mut().take(usize::from(m)) {
                    *a = Anchor::from_bytes(r.array("anchor")?);
                }
                let anchors =
                    PurseAnchors::from_slice(anchors.get(..usize::from(m)).unwrap_or(&[]))
                        .map_err(|_| DecodeError::NonCanonical {
                            field: "denominations",
                        })?;
                Ok(Self::Purse { params, anchors })
            }
            _ => Err(DecodeError::NonCanonical {
                field: "chain kind",
            }),
        }
    }
}

/// The content of a commitment: what the customer signs for one vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CommitmentFields {
    /// The digest of the customer's certificate.
    pub certificate: Digest,
    /// The vendor paid through this commitment.
    pub vendor: VendorId,
    /// Value of one unit (in the certificate's value units); at least 1.
    pub unit_value: u64,
    /// First second the commitment may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    /// The committed chain(s).
    pub chain: CommittedChain,
    /// The LM-OTS public key that may sign one renewal link to a next chain
    /// (see the `renew` module), or `None` for a chain that never renews.
    ///
    /// Encoded after the chain as a flag byte (`0` none, `1` present) and,
    /// when present, the 56-byte RFC 8554 public key.
    pub renewal: Option<LmotsPublicKey>,
}

/// A customer-signed commitment (customer → vendor): [`CommitmentFields`]
/// signed with the certified customer key.
pub type Commitment = Signed<CommitmentFields>;

impl crate::wire::sealed::Sealed for CommitmentFields {}

impl SignedFields for CommitmentFields {
    const TAG: u8 = tag::COMMITMENT;
    const MAX_LEN: usize = 32
        + 32
        + 24
        + (1 + 1 + 16 + 4 + 1 + 4 + 32 * MAX_DENOMINATIONS)
        + 1
        + LmotsPublicKey::ENCODED_LEN;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.certificate.as_bytes());
        w.put(self.vendor.as_bytes());
        w.put_u64(self.unit_value);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        self.chain.write(w);
        match &self.renewal {
            None => w.put_u8(0),
            Some(key) => {
                w.put_u8(1);
                w.put(&key.to_bytes());
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Digest::from_bytes(r.array("certificate")?);
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let unit_value = r.u64("unit_value")?;
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        let (valid_from, expires) = read_validity(r)?;
        let chain = CommittedChain::read(r)?;
        let renewal = if r.bool("renewal flag")? {
            let bytes = r.take("renewal key", LmotsPublicKey::ENCODED_LEN)?;
            Some(
                LmotsPublicKey::from_bytes(bytes).map_err(|_| DecodeError::NonCanonical {
                    field: "renewal key",
                })?,
            )
        } else {
            None
        };
        Ok(Self {
            certificate,
            vendor,
            unit_value,
            valid_from,
            expires,
            chain,
            renewal,
        })
    }
}

/// A redemption claim (vendor → broker): the certificate, the signed
/// commitment and the highest payment received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RedemptionClaim {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The customer's signed commitment.
    pub commitment: Commitment,
    /// The highest payment received under it.
    pub payment: Payment,
}

impl crate::wire::sealed::Sealed for RedemptionClaim {}

impl Encode for RedemptionClaim {
    const TAG: u8 = tag::REDEMPTION_CLAIM;
    const MAX_LEN: usize = 2 + Certificate::MAX_LEN + Commitment::MAX_LEN + Payment::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.commitment.write(w);
        self.payment.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            certificate: Certificate::read(r)?,
            commitment: Commitment::read(r)?,
            payment: Payment::read(r)?,
        })
    }
}

/// Any message, by its tag.
#[allow(clippy::large_enum_variant)] // fixed size on purpose: no allocation
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnyMessage {
    /// A certificate.
    Certificate(Certificate),
    /// A commitment.
    Commitment(Commitment),
    /// A payment.
    Payment(Payment),
    /// A redemption claim.
    RedemptionClaim(RedemptionClaim),
}

impl AnyMessage {
    /// Decodes any message, dispatching on its first byte.
    ///
    /// # Errors
    ///
    /// [`DecodeError`]; [`DecodeError::UnknownTag`] for an unknown tag.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.first() {
            Some(&tag::CERTIFICATE) => Certificate::decode(bytes).map(Self::Certificate),
            Some(&tag::COMMITMENT) => Commitment::decode(bytes).map(Self::Commitment),
            Some(&tag::PAYMENT) => Payment::decode(bytes).map(Self::Payment),
            Some(&tag::REDEMPTION_CLAIM) => {
                RedemptionClaim::decode(bytes).map(Self::RedemptionClaim)
            }
            Some(&t) => Err(DecodeError::UnknownTag { tag: t }),
            None => Err(DecodeError::Truncated {
                field: "tag",
                needed: 1,
                remaining: 0,
            }),
        }
    }

    /// Encodes the message into `out`; returns the full length.
    pub fn encode(&self, out: &mut [u8]) -> usize {
        match self {
            Self::Certificate(m) => m.encode(out),
            Self::Commitment(m) => m.encode(out),
            Self::Payment(m) => m.encode(out),
            Self::RedemptionClaim(m) => m.encode(out),
        }
    }
}

impl fmt::Display for AnyMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Certificate(_) => "certificate",
            Self::Commitment(_) => "commitment",
            Self::Payment(_) => "payment",
            Self::RedemptionClaim(_) => "redemption claim",
        })
    }
}
