//! The customer's ticket request, the terms a ticket binds, and the two
//! sealed ticket parts.

use core::fmt;

use chacha20poly1305::{AeadInOut as _, KeyInit as _, XChaCha20Poly1305};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::SymmetricError;
use super::keys::{Label, LongTermKey, RequestNonce, SessionKey, TicketId, mac_ok, mac_over};
use crate::chain::{Anchor, ChainId, ChainParams};
use crate::hash::HashAlg;
use crate::message::{BrokerId, CommittedChain, CustomerId, VendorId};
use crate::wire::{DecodeError, Encode, Reader, Writer};

/// The commitment's terms as the customer asks for them: everything a ticket
/// binds except what the broker adds (ticket id, issue time).
///
/// # Examples
///
/// See [`TicketRequest::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestFields {
    /// The broker asked.
    pub broker: BrokerId,
    /// The customer's pseudonym at the broker (it selects the long-term key).
    pub customer: CustomerId,
    /// The serial of the customer's certificate (its credit account) the
    /// payments are charged to.
    pub certificate: u64,
    /// The vendor to be paid.
    pub vendor: VendorId,
    /// The customer's fresh nonce: the broker seals it back to the customer.
    pub nonce: RequestNonce,
    /// The chain's parameters (hash, id, length).
    pub params: ChainParams,
    /// The chain's anchor `w_0`.
    pub anchor: Anchor,
    /// Value of one unit; at least 1.
    pub unit_value: u64,
    /// First second the session may be used.
    pub valid_from: u64,
    /// Last second it may be used (at least `valid_from`).
    pub expires: u64,
}

/// Length of the chain fields: hash tag, chain id, length, anchor.
const CHAIN_LEN: usize = 1 + 16 + 4 + 32;

fn write_chain(params: &ChainParams, anchor: &Anchor, w: &mut Writer<'_>) {
    w.put_u8(params.alg().tag());
    w.put(params.id().as_bytes());
    w.put_u32(params.length());
    w.put(anchor.as_bytes());
}

fn read_chain(r: &mut Reader<'_>) -> Result<(ChainParams, Anchor), DecodeError> {
    let alg =
        HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
    let id = ChainId::from_bytes(r.array("chain id")?);
    let length = r.u32("length")?;
    let params = ChainParams::new(alg, id, length.into())
        .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
    Ok((params, Anchor::from_bytes(r.array("anchor")?)))
}

/// Reads `unit_value ‖ valid_from ‖ expires`, refusing a zero unit value and
/// `valid_from > expires`.
fn read_value_window(r: &mut Reader<'_>) -> Result<(u64, u64, u64), DecodeError> {
    let unit_value = r.u64("unit_value")?;
    if unit_value == 0 {
        return Err(DecodeError::NonCanonical {
            field: "unit_value",
        });
    }
    let (from, until) = crate::message::read_validity(r)?;
    Ok((unit_value, from, until))
}

impl RequestFields {
    /// Encoded length of the fields.
    const LEN: usize = 32 + 16 + 8 + 32 + 16 + CHAIN_LEN + 24;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.broker.as_bytes());
        w.put(self.customer.as_bytes());
        w.put_u64(self.certificate);
        w.put(self.vendor.as_bytes());
        w.put(self.nonce.as_bytes());
        write_chain(&self.params, &self.anchor, w);
        w.put_u64(self.unit_value);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let broker = BrokerId::from_bytes(r.array("broker")?);
        let customer = CustomerId::from_bytes(r.array("customer")?);
        let certificate = r.u64("certificate")?;
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let nonce = RequestNonce::from_bytes(r.array("nonce")?);
        let (params, anchor) = read_chain(r)?;
        let (unit_value, valid_from, expires) = read_value_window(r)?;
        Ok(Self {
            broker,
            customer,
            certificate,
            vendor,
            nonce,
            params,
            anchor,
            unit_value,
            valid_from,
            expires,
        })
    }

    /// Whether the decoder would accept these fields.
    const fn valid(&self) -> bool {
        self.unit_value > 0 && self.valid_from <= self.expires
    }
}

/// The customer's request for a ticket (customer → broker): the terms it
/// commits to, authenticated with an HMAC-SHA256 under a key derived from
/// the customer's [`LongTermKey`]. The MAC covers the whole encoding before
/// it (tag and version included).
///
/// # Examples
///
/// ```
/// use payword::symmetric::{LongTermKey, RequestFields, RequestNonce, TicketRequest};
/// use payword::{Anchor, BrokerId, ChainId, ChainParams, CustomerId, Encode, HashAlg, VendorId};
///
/// let key = LongTermKey::from_bytes([1; 32]);
/// let fields = RequestFields {
///     broker: BrokerId::from_bytes([2; 32]),
///     customer: CustomerId::from_bytes([3; 16]),
///     certificate: 7,
///     vendor: VendorId::from_bytes([4; 32]),
///     nonce: RequestNonce::from_bytes([5; 16]),
///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 100)?,
///     anchor: Anchor::from_bytes([8; 32]),
///     unit_value: 1,
///     valid_from: 0,
///     expires: 3600,
/// };
/// let request = TicketRequest::new(fields, &key)?;
/// assert_eq!(request.to_bytes().len(), TicketRequest::MAX_LEN);
/// assert_eq!(TicketRequest::decode(&request.to_bytes())?, request);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TicketRequest {
    fields: RequestFields,
    mac: [u8; 32],
}

impl TicketRequest {
    /// The request for `fields`, authenticated under the customer's key.
    ///
    /// # Errors
    ///
    /// [`SymmetricError::InvalidTerms`] for a zero unit value or
    /// `valid_from > expires` (nothing the decoder refuses is authenticated).
    pub fn new(fields: RequestFields, key: &LongTermKey) -> Result<Self, SymmetricError> {
        if !fields.valid() {
            return Err(SymmetricError::InvalidTerms);
        }
        let mut r = Self {
            fields,
            mac: [0; 32],
        };
        let k = key.derive(Label::Request, None);
        r.mac = mac_over(&k, &r.mac_input());
        Ok(r)
    }

    /// The requested terms.
    ///
    /// # Examples
    ///
    /// See [`TicketRequest::new`].
    #[must_use]
    pub const fn fields(&self) -> &RequestFields {
        &self.fields
    }

    /// The bytes the MAC covers: the encoding before the MAC.
    fn mac_input(&self) -> [u8; 2 + RequestFields::LEN] {
        let mut buf = [0u8; 2 + RequestFields::LEN];
        let mut w = Writer::new(&mut buf);
        w.put_u8(Self::TAG);
        w.put_u8(crate::wire::VERSION);
        self.fields.write(&mut w);
        buf
    }

    /// Whether the MAC verifies under the customer's key (constant time).
    pub(crate) fn verify(&self, key: &LongTermKey) -> bool {
        let k = key.derive(Label::Request, None);
        mac_ok(&k, &self.mac_input(), &self.mac)
    }
}

impl crate::wire::sealed::Sealed for TicketRequest {}

impl Encode for TicketRequest {
    const TAG: u8 = super::tag::TICKET_REQUEST;
    const MAX_LEN: usize = 2 + RequestFields::LEN + 32;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.fields.write(w);
        w.put(&self.mac);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            fields: RequestFields::read(r)?,
            mac: r.array("mac")?,
        })
    }
}

/// What a ticket binds: the commitment's terms, the parties and the ticket.
/// Sealed inside both ticket parts; the vendor and the customer read it when
/// they open their part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TicketTerms {
    /// The issuing broker.
    pub broker: BrokerId,
    /// The ticket's id.
    pub ticket: TicketId,
    /// The customer's pseudonym.
    pub customer: CustomerId,
    /// The serial of the customer's certificate (its credit account).
    pub certificate: u64,
    /// The vendor paid.
    pub vendor: VendorId,
    /// The chain's parameters.
    pub params: ChainParams,
    /// The chain's anchor `w_0`.
    pub anchor: Anchor,
    /// Value of one unit; at least 1.
    pub unit_value: u64,
    /// First second the ticket may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    /// When the broker issued it (the Kerberos timestamp).
    pub issued_at: u64,
}

impl TicketTerms {
    /// Encoded length.
    pub(crate) const LEN: usize = 32 + 16 + 16 + 8 + 32 + CHAIN_LEN + 32;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.broker.as_bytes());
        w.put(self.ticket.as_bytes());
        w.put(self.customer.as_bytes());
        w.put_u64(self.certificate);
        w.put(self.vendor.as_bytes());
        write_chain(&self.params, &self.anchor, w);
        w.put_u64(self.unit_value);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        w.put_u64(self.issued_at);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let broker = BrokerId::from_bytes(r.array("broker")?);
        let ticket = TicketId::from_bytes(r.array("ticket")?);
        let customer = CustomerId::from_bytes(r.array("customer")?);
        let certificate = r.u64("certificate")?;
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let (params, anchor) = read_chain(r)?;
        let (unit_value, valid_from, expires) = read_value_window(r)?;
        let issued_at = r.u64("issued_at")?;
        Ok(Self {
            broker,
            ticket,
            customer,
            certificate,
            vendor,
            params,
            anchor,
            unit_value,
            valid_from,
            expires,
            issued_at,
        })
    }

    /// The committed chain, as the crate's receivers take it.
    pub(crate) const fn chain(&self) -> CommittedChain {
        CommittedChain::Single {
            params: self.params,
            anchor: self.anchor,
        }
    }

    /// The most the ticket can pay: capacity × unit value.
    pub(crate) fn max_value(&self) -> Option<u64> {
        u64::from(self.params.length()).checked_mul(self.unit_value)
    }

    /// Whether these terms are the ones `request` asked for.
    pub(crate) fn answers(&self, request: &RequestFields) -> bool {
        self.broker == request.broker
            && self.customer == request.customer
            && self.certificate == request.certificate
            && self.vendor == request.vendor
            && self.params == request.params
            && self.anchor == request.anchor
            && self.unit_value == request.unit_value
            && self.valid_from == request.valid_from
            && self.expires == request.expires
    }
}

/// Length of an XChaCha20-Poly1305 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of a Poly1305 tag.
pub(crate) const AEAD_TAG_LEN: usize = 16;
/// Plaintext of the vendor's part: session key ‖ terms.
const VENDOR_PLAIN: usize = 32 + TicketTerms::LEN;
/// Plaintext of the customer's part: session key ‖ terms ‖ request nonce.
const CUSTOMER_PLAIN: usize = 32 + TicketTerms::LEN + 16;

/// Seals `buf` in place under the party's sealing key; returns the tag.
fn seal(
    key: &LongTermKey,
    ad: &[u8],
    nonce: &[u8; NONCE_LEN],
    buf: &mut [u8],
) -> Result<[u8; AEAD_TAG_LEN], SymmetricError> {
    let k = key.derive(Label::Seal, None);
    crate::cost::on_mac();
    let aead = XChaCha20Poly1305::new(&(*k).into());
    let tag = aead
        .encrypt_inout_detached(&(*nonce).into(), ad, buf.into())
        .map_err(|_| SymmetricError::Sealed)?;
    Ok(tag.into())
}

/// Opens `buf` in place; on failure `buf` is zeroed.
fn open(
    key: &LongTermKey,
    ad: &[u8],
    nonce: &[u8; NONCE_LEN],
    buf: &mut [u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Result<(), SymmetricError> {
    let k = key.derive(Label::Seal, None);
    crate::cost::on_mac();
    let aead = XChaCha20Poly1305::new(&(*k).into());
    aead.decrypt_inout_detached(&(*nonce).into(), ad, (&mut *buf).into(), &(*tag).into())
        .map_err(|_| {
            buf.fill(0);
            SymmetricError::Sealed
        })
}

/// Defines a sealed ticket part: a clear header (tag, version, broker,
/// recipient, ticket id, nonce) that is the AEAD's associated data, then the
/// ciphertext and the Poly1305 tag.
macro_rules! sealed_part {
    (
        $(#[$meta:meta])*
        $name:ident, $recipient:ident : $rtype:ty, $plain:expr, $tag:expr
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            broker: BrokerId,
            $recipient: $rtype,
            ticket: TicketId,
            nonce: [u8; NONCE_LEN],
            ciphertext: [u8; $plain],
            tag: [u8; AEAD_TAG_LEN],
        }

        impl $name {
            /// Length of the clear header (the associated data).
            const HEADER_LEN: usize = 2 + 32 + <$rtype>::LEN + 16 + NONCE_LEN;

            /// The issuing broker (clear, authenticated).
            #[must_use]
            pub const fn broker(&self) -> &BrokerId {
                &self.broker
            }

            /// The party this part is sealed for (clear, authenticated).
            #[must_use]
            pub const fn $recipient(&self) -> &$rtype {
                &self.$recipient
            }

            /// The ticket's id (clear, authenticated).
            #[must_use]
            pub const fn ticket(&self) -> &TicketId {
                &self.ticket
            }

            /// The associated data: the header, tag and version first.
            fn header(&self) -> [u8; Self::HEADER_LEN] {
                let mut buf = [0u8; Self::HEADER_LEN];
                let mut w = Writer::new(&mut buf);
                w.put_u8(<Self as Encode>::TAG);
                w.put_u8(crate::wire::VERSION);
                w.put(self.broker.as_bytes());
                w.put(self.$recipient.as_bytes());
                w.put(self.ticket.as_bytes());
                w.put(&self.nonce);
                buf
            }

            /// Seals `plain` for the recipient.
            fn seal_new(
                broker: BrokerId,
                $recipient: $rtype,
                ticket: TicketId,
                nonce: [u8; NONCE_LEN],
                plain: &[u8; $plain],
                key: &LongTermKey,
            ) -> Result<Self, SymmetricError> {
                let mut part = Self {
                    broker,
                    $recipient,
                    ticket,
                    nonce,
                    ciphertext: *plain,
                    tag: [0; AEAD_TAG_LEN],
                };
                let ad = part.header();
                part.tag = seal(key, &ad, &part.nonce, &mut part.ciphertext)?;
                Ok(part)
            }

            /// The plaintext, if the part opens under `key`.
            fn open_plain(
                &self,
                key: &LongTermKey,
            ) -> Result<Zeroizing<[u8; $plain]>, SymmetricError> {
                let mut plain = Zeroizing::new(self.ciphertext);
                open(key, &self.header(), &self.nonce, &mut *plain, &self.tag)?;
                Ok(plain)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("broker", &self.broker)
                    .field(stringify!($recipient), &self.$recipient)
                    .field("ticket", &self.ticket)
                    .finish_non_exhaustive()
            }
        }

        impl crate::wire::sealed::Sealed for $name {}

        impl Encode for $name {
            const TAG: u8 = $tag;
            const MAX_LEN: usize = Self::HEADER_LEN + $plain + AEAD_TAG_LEN;

            fn write_fields(&self, w: &mut Writer<'_>) {
                w.put(self.broker.as_bytes());
                w.put(self.$recipient.as_bytes());
                w.put(self.ticket.as_bytes());
                w.put(&self.nonce);
                w.put(&self.ciphertext);
                w.put(&self.tag);
            }

            fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Self {
                    broker: BrokerId::from_bytes(r.array("broker")?),
                    $recipient: <$rtype>::from_bytes(r.array(stringify!($recipient))?),
                    ticket: TicketId::from_bytes(r.array("ticket")?),
                    nonce: r.array("nonce")?,
                    ciphertext: r.array("ciphertext")?,
                    tag: r.array("aead tag")?,
                })
            }
        }
    };
}

sealed_part!(
    /// The vendor's part of a ticket (broker → customer → vendor): the
    /// session key and the [`TicketTerms`] sealed with XChaCha20-Poly1305
    /// under the vendor's long-term key. The clear header (tag, version,
    /// broker, vendor, ticket id, nonce) is the associated data, so a part
    /// moved to another vendor, another broker or another message type does
    /// not open.
    ///
    /// Opened by [`SymmetricSession::open`](super::SymmetricSession::open)
    /// and by the broker when it redeems a claim.
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    VendorTicket, vendor: VendorId, VENDOR_PLAIN, super::tag::VENDOR_TICKET
);

sealed_part!(
    /// The customer's part of a ticket (broker → customer): the session key,
    /// the [`TicketTerms`] and the customer's request nonce, sealed with
    /// XChaCha20-Poly1305 under the customer's long-term key. The clear
    /// header (tag, version, broker, customer, ticket id, nonce) is the
    /// associated data.
    ///
    /// Opened by [`CustomerSession::open`](super::CustomerSession::open).
    ///
    /// # Examples
    ///
    /// See the [module](super) example.
    CustomerTicket, customer: CustomerId, CUSTOMER_PLAIN, super::tag::CUSTOMER_TICKET
);

/// Reads the session key and the terms from an opened plaintext, and checks
/// the terms against the clear header.
fn read_plain<'a>(
    plain: &'a [u8],
    broker: &BrokerId,
    ticket: &TicketId,
) -> Result<(SessionKey, TicketTerms, Reader<'a>), SymmetricError> {
    let mut r = Reader::new(plain);
    let key = Zeroizing::new(r.array::<32>("session key")?);
    let terms = TicketTerms::read(&mut r)?;
    if terms.broker != *broker || terms.ticket != *ticket {
        return Err(SymmetricError::Malformed);
    }
    Ok((SessionKey::from_bytes(*key), terms, r))
}

impl VendorTicket {
    /// Opens the part with the vendor's long-term key: one AEAD decryption.
    pub(crate) fn open(
        &self,
        key: &LongTermKey,
    ) -> Result<(SessionKey, TicketTerms), SymmetricError> {
        let plain = self.open_plain(key)?;
        let (session, terms, r) = read_plain(&plain[..], &self.broker, &self.ticket)?;
        r.finish()?;
        if terms.vendor != self.vendor {
            return Err(SymmetricError::Malformed);
        }
        Ok((session, terms))
    }
}

impl CustomerTicket {
    /// Opens the part with the customer's long-term key: one AEAD
    /// decryption; returns the session key, the terms and the request nonce.
    pub(crate) fn open(
        &self,
        key: &LongTermKey,
    ) -> Result<(SessionKey, TicketTerms, RequestNonce), SymmetricError> {
        let plain = self.open_plain(key)?;
        let (session, terms, mut r) = read_plain(&plain[..], &self.broker, &self.ticket)?;
        let nonce = RequestNonce::from_bytes(r.array("request nonce")?);
        r.finish()?;
        if terms.customer != self.customer {
            return Err(SymmetricError::Malformed);
        }
        Ok((session, terms, nonce))
    }
}

/// A ticket as the broker issues it (broker → customer): the customer's part
/// and the vendor's part, which the customer forwards to the vendor.
///
/// # Examples
///
/// See the [module](super) example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// The part sealed for the customer.
    pub customer: CustomerTicket,
    /// The part sealed for the vendor.
    pub vendor: VendorTicket,
}

/// The fresh values of one ticket: its id, session key and the two AEAD
/// nonces.
pub(crate) struct Fresh {
    pub(crate) ticket: TicketId,
    pub(crate) key: SessionKey,
    pub(crate) vendor_nonce: [u8; NONCE_LEN],
    pub(crate) customer_nonce: [u8; NONCE_LEN],
}

impl Fresh {
    /// Fresh values from the caller's RNG.
    pub(crate) fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let ticket = TicketId::random(rng);
        let key = SessionKey::random(rng);
        let mut vendor_nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut vendor_nonce);
        let mut customer_nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut customer_nonce);
        Self {
            ticket,
            key,
            vendor_nonce,
            customer_nonce,
        }
    }

    /// Fresh values derived from a broker secret `seed`, the request and
    /// the issue time: 96 bytes, `HMAC-SHA256(seed, "payword/symmetric/v1/
    /// issue" ‖ request encoding ‖ u64 now ‖ u8 i)` for `i = 0, 1, 2`, cut
    /// into ticket id (16), session key (32), vendor nonce (24), customer
    /// nonce (24).
    pub(crate) fn derived(seed: &[u8; 32], request: &TicketRequest, now: u64) -> Self {
        let mut bytes = Zeroizing::new([0u8; 96]);
        let mut req = [0u8; TicketRequest::MAX_LEN];
        request.encode(&mut req);
        for (i, block) in bytes.chunks_exact_mut(32).enumerate() {
            let mut mac = super::keys::hmac(seed);
            hmac::Mac::update(&mut mac, b"payword/symmetric/v1/issue");
            hmac::Mac::update(&mut mac, &req);
            hmac::Mac::update(&mut mac, &now.to_be_bytes());
            hmac::Mac::update(&mut mac, &[u8::try_from(i).unwrap_or(u8::MAX)]);
            block.copy_from_slice(&Zeroizing::new(super::keys::finish(mac))[..]);
        }
        let mut r = Reader::new(&bytes[..]);
        // 96 bytes are there: the reads cannot fail.
        let ticket = TicketId::from_bytes(r.array("ticket").unwrap_or_default());
        let key = SessionKey::from_bytes(*Zeroizing::new(r.array("key").unwrap_or_default()));
        let vendor_nonce = r.array("nonce").unwrap_or_default();
        let customer_nonce = r.array("nonce").unwrap_or_default();
        Self {
            ticket,
            key,
            vendor_nonce,
            customer_nonce,
        }
    }
}

/// Seals the ticket for `terms` (whose ticket id is `fresh.ticket`).
pub(crate) fn seal_ticket(
    terms: &TicketTerms,
    request_nonce: &RequestNonce,
    customer_key: &LongTermKey,
    vendor_key: &LongTermKey,
    fresh: &Fresh,
) -> Result<Ticket, SymmetricError> {
    let session = &fresh.key;
    let mut vendor_plain = Zeroizing::new([0u8; VENDOR_PLAIN]);
    {
        let mut w = Writer::new(&mut vendor_plain[..]);
        w.put(session.expose_secret());
        terms.write(&mut w);
    }
    let mut customer_plain = Zeroizing::new([0u8; CUSTOMER_PLAIN]);
    {
        let mut w = Writer::new(&mut customer_plain[..]);
        w.put(session.expose_secret());
        terms.write(&mut w);
        w.put(request_nonce.as_bytes());
    }
    Ok(Ticket {
        vendor: VendorTicket::seal_new(
            terms.broker,
            terms.vendor,
            terms.ticket,
            fresh.vendor_nonce,
            &vendor_plain,
            vendor_key,
        )?,
        customer: CustomerTicket::seal_new(
            terms.broker,
            terms.customer,
            terms.ticket,
            fresh.customer_nonce,
            &customer_plain,
            customer_key,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(TicketTerms::LEN, 189);
        assert_eq!(VendorTicket::MAX_LEN, 343);
        assert_eq!(CustomerTicket::MAX_LEN, 343);
        assert_eq!(TicketRequest::MAX_LEN, 215);
    }
}
