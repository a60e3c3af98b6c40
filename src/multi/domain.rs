//! Domain accounts (domainPay): one account, several devices.
//!
//! The customer signs one [`DomainCommitment`] under their certificate: the
//! public keys of up to [`MAX_DEVICES`] devices, a domain-wide limit and a
//! per-device limit. Each device then signs [`DeviceCommitment`]s to its own
//! chains, one per vendor, with its own key; a vendor's [`DeviceSession`]
//! checks the chain of signatures (broker → customer → device) and then takes
//! payments exactly as single-vendor PayWord.
//!
//! The broker ([`Broker::redeem_device`](crate::Broker::redeem_device)) pays at most the per-device limit
//! per device and the domain limit per domain (and the certificate's credit,
//! shared with the other variants). Paywords released past either limit
//! yield a `DomainOverspent` fraud proof: the
//! certificate, the domain commitment (customer-signed) and device
//! commitments (signed by keys the customer listed) with the highest
//! paywords, which anyone holding the broker's public key can check.

use alloc::vec::Vec;

use super::{MultiError, read_validity, tag};
use crate::chain::ChainId;
use crate::check::{ChainState, SessionError, check_window};
use crate::message::{Certificate, CommittedChain, Encode, Payment, VendorId};
use crate::sign::{Digest, PublicKey, Signed, SignedFields};
use crate::wire::{DecodeError, Reader, Writer};

/// The most devices one domain may list.
pub const MAX_DEVICES: usize = 16;

/// The content of a domain commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DomainCommitmentFields {
    /// The digest of the customer's certificate.
    pub certificate: Digest,
    /// The domain's id (chosen by the customer).
    pub domain: ChainId,
    /// The most all devices together may be paid, in value units.
    pub domain_limit: u64,
    /// The most any one device may be paid, in value units.
    pub device_limit: u64,
    /// First second the domain may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    devices: [PublicKey; MAX_DEVICES],
    count: u8,
}

impl DomainCommitmentFields {
    /// Fields for `devices` (1 to [`MAX_DEVICES`] keys, device `j` is
    /// `devices[j]`).
    ///
    /// # Errors
    ///
    /// [`MultiError::TreeSize`] for no device or too many.
    pub fn new(
        certificate: Digest,
        domain: ChainId,
        domain_limit: u64,
        device_limit: u64,
        valid_from: u64,
        expires: u64,
        devices: &[PublicKey],
    ) -> Result<Self, MultiError> {
        if devices.is_empty() || devices.len() > MAX_DEVICES {
            return Err(MultiError::TreeSize);
        }
        let mut keys = [PublicKey::ed25519([0; 32]); MAX_DEVICES];
        keys.get_mut(..devices.len())
            .ok_or(MultiError::TreeSize)?
            .copy_from_slice(devices);
        Ok(Self {
            certificate,
            domain,
            domain_limit,
            device_limit,
            valid_from,
            expires,
            devices: keys,
            count: u8::try_from(devices.len()).map_err(|_| MultiError::TreeSize)?,
        })
    }

    /// The device keys, device 0 first.
    #[must_use]
    pub fn devices(&self) -> &[PublicKey] {
        self.devices.get(..usize::from(self.count)).unwrap_or(&[])
    }

    /// The key of device `index`.
    #[must_use]
    pub fn device(&self, index: u8) -> Option<&PublicKey> {
        self.devices().get(usize::from(index))
    }
}

/// A customer-signed domain: device keys, a domain limit and a per-device
/// limit.
///
/// # Examples
///
/// ```
/// use payword::domain::{DomainCommitment, DomainCommitmentFields};
/// use payword::{ChainId, Digest, MessageSigner};
/// use ed25519_dalek::SigningKey;
///
/// let customer = SigningKey::from_bytes(&[2; 32]);
/// let phone = SigningKey::from_bytes(&[3; 32]);
/// let watch = SigningKey::from_bytes(&[4; 32]);
/// let fields = DomainCommitmentFields::new(
///     Digest::from_bytes([9; 32]), ChainId::from_bytes([1; 16]),
///     1000, 600, 0, 100, &[phone.public_key(), watch.public_key()])?;
/// let domain = DomainCommitment::sign(fields, &customer)?;
/// assert_eq!(domain.fields().device(1), Some(&watch.public_key()));
/// # Ok::<(), payword::MultiError>(())
/// ```
pub type DomainCommitment = Signed<DomainCommitmentFields>;

impl crate::check::UnderCertificate for DomainCommitmentFields {
    fn certificate(&self) -> &Digest {
        &self.certificate
    }

    fn window(&self) -> (u64, u64) {
        (self.valid_from, self.expires)
    }
}

impl crate::wire::sealed::Sealed for DomainCommitmentFields {}

impl SignedFields for DomainCommitmentFields {
    const TAG: u8 = tag::DOMAIN_COMMITMENT;
    const MAX_LEN: usize = 32 + 16 + 32 + 1 + PublicKey::MAX_ENCODED_LEN * MAX_DEVICES;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.certificate.as_bytes());
        w.put(self.domain.as_bytes());
        w.put_u64(self.domain_limit);
        w.put_u64(self.device_limit);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        w.put_u8(self.count);
        for k in self.devices() {
            k.write(w);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Digest::from_bytes(r.array("certificate")?);
        let domain = ChainId::from_bytes(r.array("domain id")?);
        let domain_limit = r.u64("domain_limit")?;
        let device_limit = r.u64("device_limit")?;
        let (valid_from, expires) = read_validity(r)?;
        let count = r.u8("devices")?;
        if count == 0 || usize::from(count) > MAX_DEVICES {
            return Err(DecodeError::LengthOverLimit {
                field: "devices",
                length: count.into(),
                max: MAX_DEVICES as u64,
            });
        }
        let mut devices = [PublicKey::ed25519([0; 32]); MAX_DEVICES];
        for d in devices.iter_mut().take(usize::from(count)) {
            *d = PublicKey::read(r, "device key")?;
        }
        Ok(Self {
            certificate,
            domain,
            domain_limit,
            device_limit,
            valid_from,
            expires,
            devices,
            count,
        })
    }
}

/// The content of a device commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceCommitmentFields {
    /// The domain commitment's digest.
    pub domain: Digest,
    /// The device's index in the domain.
    pub device: u8,
    /// The vendor paid.
    pub vendor: VendorId,
    /// Value of one unit; at least 1.
    pub unit_value: u64,
    /// First second the commitment may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    /// The device's chain(s).
    pub chain: CommittedChain,
}

/// A device-signed commitment to one vendor.
///
/// # Examples
///
/// See [`DeviceSession`].
pub type DeviceCommitment = Signed<DeviceCommitmentFields>;

impl Signed<DeviceCommitmentFields> {
    /// Checks the device's signature under the key the domain lists for it,
    /// that it names the domain and lies inside its validity.
    pub(crate) fn check_in(
        &self,
        domain: &DomainCommitment,
        domain_id: &Digest,
    ) -> Result<(), MultiError> {
        let f = &self.fields;
        if f.domain != *domain_id {
            return Err(SessionError::WrongCommitment.into());
        }
        let key = domain
            .fields
            .device(f.device)
            .ok_or(MultiError::UnknownDevice)?;
        key.verify(&self.digest(), &self.signature)
            .map_err(|_| MultiError::UnknownDevice)?;
        let df = domain.fields();
        if f.valid_from < df.valid_from || f.expires > df.expires {
            return Err(SessionError::OutsideCertificate.into());
        }
        Ok(())
    }
}

impl crate::wire::sealed::Sealed for DeviceCommitmentFields {}

impl SignedFields for DeviceCommitmentFields {
    const TAG: u8 = tag::DEVICE_COMMITMENT;
    const MAX_LEN: usize =
        32 + 1 + 32 + 24 + (1 + 1 + 16 + 4 + 1 + 4 + 32 * crate::MAX_DENOMINATIONS);

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.domain.as_bytes());
        w.put_u8(self.device);
        w.put(self.vendor.as_bytes());
        w.put_u64(self.unit_value);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        self.chain.write(w);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let domain = Digest::from_bytes(r.array("domain")?);
        let device = r.u8("device")?;
        if usize::from(device) >= MAX_DEVICES {
            return Err(DecodeError::NonCanonical { field: "device" });
        }
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let unit_value = r.u64("unit_value")?;
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        let (valid_from, expires) = read_validity(r)?;
        let chain = CommittedChain::read(r)?;
        Ok(Self {
            domain,
            device,
            vendor,
            unit_value,
            valid_from,
            expires,
            chain,
        })
    }
}

/// A device redemption claim (vendor → broker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceClaim {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The customer-signed domain.
    pub domain: DomainCommitment,
    /// The device-signed commitment.
    pub commitment: DeviceCommitment,
    /// The highest payment received under it.
    pub payment: Payment,
}

impl crate::wire::sealed::Sealed for DeviceClaim {}

impl Encode for DeviceClaim {
    const TAG: u8 = tag::DEVICE_CLAIM;
    const MAX_LEN: usize = 2
        + Certificate::MAX_LEN
        + DomainCommitment::MAX_LEN
        + DeviceCommitment::MAX_LEN
        + Payment::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.domain.write(w);
        self.commitment.write(w);
        self.payment.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            certificate: Certificate::read(r)?,
            domain: DomainCommitment::read(r)?,
            commitment: DeviceCommitment::read(r)?,
            payment: Payment::read(r)?,
        })
    }
}

/// Checks certificate, domain and device commitment against each other and
/// the broker's key.
fn check_chain(
    broker_key: &PublicKey,
    certificate: &Certificate,
    domain: &DomainCommitment,
    commitment: &DeviceCommitment,
) -> Result<Digest, MultiError> {
    domain.check_under(broker_key, certificate)?;
    let id = domain.digest();
    commitment.check_in(domain, &id)?;
    Ok(id)
}

/// A vendor's session for one device commitment.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::*;
/// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let customer = SigningKey::from_bytes(&[2; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([1; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
/// let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
/// let vendor = VendorId::from_bytes([7; 32]);
/// let phone = SigningKey::from_bytes(&[8; 32]);
/// let domain = DomainCommitment::sign(DomainCommitmentFields::new(
///     cert.digest(), ChainId::from_bytes([9; 16]), 500, 200, 0, 100, &[phone.public_key()])?,
///     &customer)?;
/// let commitment = DeviceCommitment::sign(DeviceCommitmentFields {
///     domain: domain.digest(),
///     device: 0,
///     vendor,
///     unit_value: 1,
///     valid_from: 0,
///     expires: 100,
///     chain: CommittedChain::Single { params, anchor: wallet.anchor() },
/// }, &phone)?;
/// let mut s = DeviceSession::open(vendor, &broker.public_key(), cert, domain, commitment, 50, 0)?;
/// let p = wallet.next().ok_or("empty")?;
/// assert_eq!(s.pay(&Payment::new(*s.commitment_digest(), PaymentBody::Single(p)), 50)?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct DeviceSession {
    certificate: Certificate,
    domain: DomainCommitment,
    commitment: DeviceCommitment,
    id: Digest,
    skew: u64,
    state: ChainState,
}

impl DeviceSession {
    /// Opens a session on `commitment` for `vendor`.
    ///
    /// # Cost
    ///
    /// Three signature verifications (broker, customer, device), no hash.
    ///
    /// # Errors
    ///
    /// [`MultiError`] naming the check that failed.
    pub fn open(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        domain: DomainCommitment,
        commitment: DeviceCommitment,
        now: u64,
        skew: u64,
    ) -> Result<Self, MultiError> {
        check_chain(broker_key, &certificate, &domain, &commitment)?;
        let f = commitment.fields();
        if f.vendor != vendor {
            return Err(MultiError::WrongVendor);
        }
        let cf = certificate.fields();
        check_window(now, cf.valid_from, cf.expires, skew)?;
        check_window(now, f.valid_from, f.expires, skew)?;
        f.chain
            .capacity()
            .checked_mul(f.unit_value)
            .ok_or(MultiError::Overflow)?;
        let state = ChainState::new(&f.chain, None, crate::DEFAULT_STEP_LIMIT)?;
        Ok(Self {
            certificate,
            domain,
            id: commitment.digest(),
            commitment,
            skew,
            state,
        })
    }

    /// The digest payments must name.
    #[must_use]
    pub const fn commitment_digest(&self) -> &Digest {
        &self.id
    }

    /// Accepts a payment at `now`; returns the value newly paid.
    ///
    /// # Cost
    ///
    /// The chain steps of the payment (default budget), none if a check fails
    /// first.
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongCommitment`], [`MultiError::Invalid`]. On error
    /// nothing changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, MultiError> {
        if *payment.commitment() != self.id {
            return Err(MultiError::WrongCommitment);
        }
        let f = self.commitment.fields();
        check_window(now, f.valid_from, f.expires, self.skew)?;
        let units = self.state.accept(payment.body())?;
        Ok(units.saturating_mul(f.unit_value))
    }

    /// Units paid so far.
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        self.state.paid()
    }

    /// Value paid so far.
    #[must_use]
    pub fn value_paid(&self) -> u64 {
        self.units_paid()
            .saturating_mul(self.commitment.fields().unit_value)
    }

    /// The claim to send to the broker, or `None` before any payment.
    #[must_use]
    pub fn claim(&self) -> Option<DeviceClaim> {
        Some(DeviceClaim {
            certificate: self.certificate,
            domain: self.domain,
            commitment: self.commitment,
            payment: Payment::new(self.id, self.state.last()?),
        })
    }
}

/// Evidence kind of a device's debt (domain and device commitment follow).
pub(crate) const EVIDENCE_DEVICE: u8 = 4;

impl DeviceClaim {
    /// Authenticates the claim for `vendor` at `now` into a plan: this
    /// broker's certificate, the customer's signature over the domain, the
    /// device's signature under the key the domain lists, vendor, validity
    /// with the broker's `grace`, and that the payment names the device
    /// commitment. No chain hashing, no I/O.
    pub(crate) fn plan(
        &self,
        broker: (&crate::BrokerId, &PublicKey),
        vendor: &VendorId,
        time: (u64, u64),
    ) -> Result<crate::broker::Plan, MultiError> {
        let (now, grace) = time;
        let DeviceClaim {
            certificate,
            domain,
            commitment,
            payment,
        } = self;
        if certificate.fields().broker != *broker.0 {
            return Err(MultiError::WrongBroker);
        }
        // The field checks first, then the three signatures.
        let f = commitment.fields();
        if f.vendor != *vendor {
            return Err(MultiError::WrongVendor);
        }
        crate::check::check_redeemable(now, f.valid_from, f.expires, grace)?;
        let id = commitment.digest();
        if *payment.commitment() != id {
            return Err(MultiError::WrongCommitment);
        }
        f.chain
            .capacity()
            .checked_mul(f.unit_value)
            .ok_or(MultiError::Overflow)?;
        let domain_id = check_chain(broker.1, certificate, domain, commitment)?;
        let df = domain.fields();
        let mut evidence = alloc::vec![EVIDENCE_DEVICE];
        evidence.extend_from_slice(&domain.to_bytes());
        evidence.extend_from_slice(&commitment.to_bytes());
        Ok(crate::broker::Plan {
            certificate: *certificate,
            debts: alloc::vec![crate::broker::PlannedDebt {
                preverified: false,
                key: id,
                chain: f.chain,
                start: None,
                base: 0,
                claimed: Some(*payment.body()),
                unit_value: f.unit_value,
                cap: u64::MAX,
                evidence,
            }],
            group: Some(crate::broker::GroupPlan::Device {
                id: domain_id,
                device_limit: df.device_limit,
                domain_limit: df.domain_limit,
                member: crate::broker::Member {
                    id,
                    slot: u32::from(f.device),
                    vendor: f.vendor,
                    from: 0,
                    to: 0,
                    bytes: commitment.to_bytes(),
                },
                header: domain.to_bytes(),
            }),
            links: Vec::new(),
        })
    }
}
