//! Online overspending control: broker-signed reservations (NPAY-style
//! pre-debit).
//!
//! Before serving, a vendor asks the broker to lock part of the customer's
//! credit for one commitment (a plain commitment digest, a leaf id or a grant
//! digest). The broker signs a [`Reservation`] only if everything already
//! paid or reserved under the certificate plus the new amount stays within
//! the credit limit. A vendor holding a valid reservation is then paid up to
//! its amount whatever else the customer spends: other claims under the
//! certificate can only use credit nobody has reserved.

use super::{MultiError, tag};
use crate::broker::{Account, Broker, BrokerError, Hold};
use crate::check::{SessionError, check_window};
use crate::message::{BrokerId, Certificate, VendorId};
use crate::sign::{Digest, MessageSigner, Signed, SignedFields};
use crate::store::{Batch, Commit, Entry, Key, Store, Table};
use crate::wire::{DecodeError, Reader, Writer};

/// The content of a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReservationFields {
    /// The broker that reserved.
    pub broker: BrokerId,
    /// The customer's certificate.
    pub certificate: Digest,
    /// What the credit is reserved for: a commitment digest, leaf id or
    /// grant digest.
    pub key: Digest,
    /// The vendor it is reserved for.
    pub vendor: VendorId,
    /// The amount locked, in value units; at least 1.
    pub amount: u64,
    /// Last second the broker keeps the credit locked (claims later than
    /// this are paid from free credit only).
    pub expires: u64,
}

/// A broker-signed reservation of credit.
///
/// # Examples
///
/// ```
/// use payword::reservation::{Reservation, ReservationFields};
/// use payword::{BrokerId, Digest, MessageSigner, VendorId};
/// use ed25519_dalek::SigningKey;
///
/// let broker = SigningKey::from_bytes(&[1; 32]);
/// let r = Reservation::sign(ReservationFields {
///     broker: BrokerId::from_bytes([1; 32]),
///     certificate: Digest::from_bytes([2; 32]),
///     key: Digest::from_bytes([3; 32]),
///     vendor: VendorId::from_bytes([4; 32]),
///     amount: 500,
///     expires: 1000,
/// }, &broker)?;
/// assert!(r.verify(&broker.public_key()).is_ok());
/// assert!(r.covers(&Digest::from_bytes([3; 32]), &VendorId::from_bytes([4; 32])));
/// # Ok::<(), payword::MultiError>(())
/// ```
pub type Reservation = Signed<ReservationFields>;

impl Signed<ReservationFields> {
    /// Whether this reservation is for `key` and `vendor`.
    #[must_use]
    pub fn covers(&self, key: &Digest, vendor: &VendorId) -> bool {
        self.fields.key == *key && self.fields.vendor == *vendor
    }
}

impl crate::wire::sealed::Sealed for ReservationFields {}

impl SignedFields for ReservationFields {
    const TAG: u8 = tag::RESERVATION;
    const MAX_LEN: usize = 32 * 4 + 8 + 8;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.broker.as_bytes());
        w.put(self.certificate.as_bytes());
        w.put(self.key.as_bytes());
        w.put(self.vendor.as_bytes());
        w.put_u64(self.amount);
        w.put_u64(self.expires);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let broker = BrokerId::from_bytes(r.array("broker")?);
        let certificate = Digest::from_bytes(r.array("certificate")?);
        let key = Digest::from_bytes(r.array("key")?);
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let amount = r.u64("amount")?;
        if amount == 0 {
            return Err(DecodeError::NonCanonical { field: "amount" });
        }
        let expires = r.u64("expires")?;
        Ok(Self {
            broker,
            certificate,
            key,
            vendor,
            amount,
            expires,
        })
    }
}

/// What a reservation is for: an object the customer (or one of its
/// devices) signed under the certificate, naming the vendor. The broker
/// authenticates it before reserving, so nobody can lock a customer's
/// credit under a made-up key.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ReservationTarget<'a> {
    /// A plain commitment (the key is its digest).
    Commitment(&'a crate::Commitment),
    /// A leaf of a signed Merkle root (the key is the leaf id).
    Leaf(&'a super::merkle::LeafOpening),
    /// A range grant of a shared chain (the key is the grant's digest).
    Grant(
        &'a super::grant::SharedCommitment,
        &'a super::grant::RangeGrant,
    ),
    /// A device commitment of a domain (the key is its digest).
    Device(
        &'a super::domain::DomainCommitment,
        &'a super::domain::DeviceCommitment,
    ),
}

impl ReservationTarget<'_> {
    /// Authenticates the target under `certificate` (issued under
    /// `broker_key`); returns the key a reservation names and the vendor.
    fn authenticate(
        &self,
        broker_key: &crate::PublicKey,
        certificate: &Certificate,
    ) -> Result<(Digest, VendorId), MultiError> {
        match *self {
            Self::Commitment(c) => {
                crate::check::check_signed(broker_key, certificate, c)?;
                Ok((c.digest(), c.fields().vendor))
            }
            Self::Leaf(o) => {
                o.commitment.check_under(broker_key, certificate)?;
                Ok((o.check_path()?, o.leaf.vendor))
            }
            Self::Grant(s, g) => {
                s.check_under(broker_key, certificate)?;
                g.check_against(certificate, s, &s.digest())?;
                Ok((g.digest(), g.fields().vendor))
            }
            Self::Device(d, c) => {
                d.check_under(broker_key, certificate)?;
                c.check_in(d, &d.digest())?;
                Ok((c.digest(), c.fields().vendor))
            }
        }
    }
}

impl<S: Store> Broker<S> {
    /// Reserves `amount` of `certificate`'s credit for `target` (a plain
    /// commitment, a leaf, a grant or a device commitment, which the broker
    /// authenticates first) and the vendor it names, until `expires`, and
    /// signs the reservation with `signer` (the broker's key).
    ///
    /// The broker never reserves more than the credit limit in total: the
    /// value already credited under the certificate (every variant) plus the
    /// live reservations plus `amount` must stay within it. A reservation
    /// past its expiry locks nothing.
    ///
    /// # Cost
    ///
    /// Two to four signature verifications (certificate, target), one read
    /// and one commit of the certificate's account, and one signature.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
    /// # use payword::reservation::ReservationTarget;
    /// # let broker_key = SigningKey::from_bytes(&[1; 32]);
    /// # let customer = SigningKey::from_bytes(&[2; 32]);
    /// # let broker_id = BrokerId::from_bytes([1; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: broker_id, serial: 1,
    /// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker_key)?;
    /// # let vendor = VendorId::from_bytes([7; 32]);
    /// let commitment = |chain: u8| -> Result<Commitment, Box<dyn std::error::Error>> {
    ///     let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([chain; 16]), 1000)?;
    ///     let anchor = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([chain; 32]), params)?.anchor();
    ///     Ok(Commitment::sign(CommitmentFields {
    ///         certificate: cert.digest(), vendor, unit_value: 1, valid_from: 0, expires: 100,
    ///         chain: CommittedChain::Single { params, anchor }, renewal: None,
    ///     }, &customer)?)
    /// };
    /// let (a, b) = (commitment(4)?, commitment(5)?);
    /// let mut broker: Broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    /// let r = broker.reserve(&cert, ReservationTarget::Commitment(&a), 700, 10, 90, &broker_key)?;
    /// assert!(r.verify(&broker_key.public_key()).is_ok() && r.covers(&a.digest(), &vendor));
    /// // 700 + 400 is more than the credit limit of 1000.
    /// assert_eq!(
    ///     broker.reserve(&cert, ReservationTarget::Commitment(&b), 400, 10, 90, &broker_key),
    ///     Err(MultiError::OverCredit)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongBroker`], [`MultiError::Invalid`] (bad or expired
    /// certificate, or a target that does not verify under it, or
    /// [`MultiError::NotInTree`], [`MultiError::BadGrant`],
    /// [`MultiError::UnknownDevice`]), [`MultiError::AlreadyReserved`]
    /// (another reservation for the same key; asking again for exactly the
    /// same one returns it again, so a retry after a lost answer is safe),
    /// [`MultiError::OverCredit`], [`MultiError::ZeroAmount`],
    /// [`MultiError::TooManyRecords`], [`MultiError::Sign`],
    /// [`MultiError::Store`]. On error nothing
    /// changes.
    pub fn reserve<K: MessageSigner + ?Sized>(
        &mut self,
        certificate: &Certificate,
        target: ReservationTarget<'_>,
        amount: u64,
        now: u64,
        expires: u64,
        signer: &K,
    ) -> Result<Reservation, MultiError> {
        let cf = certificate.fields();
        if cf.broker != self.id {
            return Err(MultiError::WrongBroker);
        }
        certificate
            .verify(&self.key)
            .map_err(|_| SessionError::BadCertificate)?;
        check_window(now, cf.valid_from, cf.expires, 0)?;
        if expires < now {
            return Err(SessionError::Expired.into());
        }
        if amount == 0 {
            return Err(MultiError::ZeroAmount);
        }
        let (key, vendor) = target.authenticate(&self.key, certificate)?;
        let cert_id = certificate.digest();
        let account_key = Key::new(Table::Account, cert_id);
        for _ in 0..crate::broker::MAX_ATTEMPTS {
            let read = self
                .store
                .read(&[account_key])
                .map_err(|e| MultiError::from(BrokerError::Store(e)))?;
            let entry = read.first().cloned().unwrap_or_else(Entry::absent);
            let mut account = entry
                .value()
                .map(Account::decode)
                .transpose()
                .map_err(|e| MultiError::from(BrokerError::<S::Error>::Corrupt(e)))?
                .unwrap_or_default();
            // Expired holds lock nothing: drop them.
            account.holds.retain(|h| h.expires >= now);
            let fields = ReservationFields {
                broker: self.id,
                certificate: cert_id,
                key,
                vendor,
                amount,
                expires,
            };
            if let Some(h) = account.holds.iter().find(|h| h.key == key) {
                // The same request again (a retry after a lost answer) gets
                // the same reservation; anything else is refused.
                if h.vendor == vendor && h.amount == amount && h.expires == expires {
                    return Ok(Reservation::sign(fields, signer)?);
                }
                return Err(MultiError::AlreadyReserved);
            }
            let used = account
                .credited
                .checked_add(account.locked_by_others(&key, now))
                .and_then(|u| u.checked_add(amount))
                .ok_or(MultiError::OverCredit)?;
            if used > cf.credit_limit {
                return Err(MultiError::OverCredit);
            }
            if account.holds.len() >= crate::broker::MAX_HOLDS {
                return Err(MultiError::TooManyRecords);
            }
            let r = Reservation::sign(fields, signer)?;
            account.holds.push(Hold {
                key,
                vendor,
                amount,
                left: amount,
                expires,
            });
            if account.certificate.is_none() {
                account.certificate = Some(*certificate);
            }
            let batch = Batch::new()
                .expect(account_key, entry.version())
                .write(account_key, account.encode());
            match self
                .store
                .commit(&batch)
                .map_err(|e| MultiError::from(BrokerError::Store(e)))?
            {
                Commit::Done => return Ok(r),
                Commit::Conflict => {}
            }
        }
        Err(MultiError::Store(crate::StoreFailure::Contention))
    }

    /// Releases the reservations of the certificate with digest
    /// `certificate` that expired before `now` (an expired reservation
    /// already locks nothing; this only tidies the account). Returns how
    /// many were released.
    ///
    /// # Cost
    ///
    /// One read and one commit of the certificate's account.
    ///
    /// # Errors
    ///
    /// [`MultiError::Store`].
    pub fn release_expired(&mut self, certificate: &Digest, now: u64) -> Result<usize, MultiError> {
        let account_key = Key::new(Table::Account, *certificate);
        for _ in 0..crate::broker::MAX_ATTEMPTS {
            let read = self
                .store
                .read(&[account_key])
                .map_err(|e| MultiError::from(BrokerError::Store(e)))?;
            let entry = read.first().cloned().unwrap_or_else(Entry::absent);
            let Some(mut account) = entry
                .value()
                .map(Account::decode)
                .transpose()
                .map_err(|e| MultiError::from(BrokerError::<S::Error>::Corrupt(e)))?
            else {
                return Ok(0);
            };
            let before = account.holds.len();
            account.holds.retain(|h| h.expires >= now);
            let released = before - account.holds.len();
            if released == 0 {
                return Ok(0);
            }
            let batch = Batch::new()
                .expect(account_key, entry.version())
                .write(account_key, account.encode());
            match self
                .store
                .commit(&batch)
                .map_err(|e| MultiError::from(BrokerError::Store(e)))?
            {
                Commit::Done => return Ok(released),
                Commit::Conflict => {}
            }
        }
        Err(MultiError::Store(crate::StoreFailure::Contention))
    }
}
