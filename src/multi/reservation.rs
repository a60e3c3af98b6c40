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
use crate::broker::{Broker, Ledger};
use crate::check::{SessionError, check_window};
use crate::message::{BrokerId, Certificate, VendorId};
use crate::sign::{Digest, MessageSigner, Signed, SignedFields};
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
/// use payword::multi::reservation::{Reservation, ReservationFields};
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
/// # Ok::<(), payword::multi::MultiError>(())
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

impl<L: Ledger> Broker<L> {
    /// Reserves `amount` of `certificate`'s credit for `key` (a commitment
    /// digest, leaf id or grant digest) and `vendor`, until `expires`, and
    /// signs the reservation with `signer` (the broker's key).
    ///
    /// The broker never reserves more than the credit limit in total: the
    /// value already credited under the certificate (plain commitments,
    /// leaves, grants) plus the outstanding reservations plus `amount` must
    /// stay within it.
    ///
    /// # Cost
    ///
    /// One signature verification and one signature.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # let broker_key = SigningKey::from_bytes(&[1; 32]);
    /// # let customer = SigningKey::from_bytes(&[2; 32]);
    /// # let broker_id = BrokerId::from_bytes([1; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: broker_id, serial: 1,
    /// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker_key)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
    /// # let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
    /// # let vendor = VendorId::from_bytes([7; 32]);
    /// let mut broker: Broker = Broker::new(broker_id, broker_key.public_key(), MemoryLedger::new(), 60);
    /// let key = Digest::from_bytes([9; 32]); // e.g. a commitment digest
    /// let r = broker.reserve(&cert, key, vendor, 700, 10, 90, &broker_key)?;
    /// assert!(r.verify(&broker_key.public_key()).is_ok() && r.covers(&key, &vendor));
    /// // 700 + 400 is more than the credit limit of 1000.
    /// let other = Digest::from_bytes([8; 32]);
    /// assert_eq!(broker.reserve(&cert, other, vendor, 400, 10, 90, &broker_key), Err(MultiError::OverCredit));
    /// # let _ = (&mut wallet, params, &customer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongBroker`], [`MultiError::Invalid`] (bad or expired
    /// certificate), [`MultiError::AlreadyReserved`],
    /// [`MultiError::OverCredit`], [`MultiError::Sign`]. On error nothing
    /// changes.
    #[allow(clippy::too_many_arguments)]
    pub fn reserve<S: MessageSigner + ?Sized>(
        &mut self,
        certificate: &Certificate,
        key: Digest,
        vendor: VendorId,
        amount: u64,
        now: u64,
        expires: u64,
        signer: &S,
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
        if self
            .multi
            .reservations
            .get(&key)
            .is_some_and(|(_, _, until)| now <= *until)
        {
            return Err(MultiError::AlreadyReserved);
        }
        let cert_id = certificate.digest();
        let used = self
            .ledger
            .credited(&cert_id)
            .checked_add(self.multi.credited(&cert_id))
            .and_then(|u| u.checked_add(self.multi.reserved(&cert_id, now)))
            .and_then(|u| u.checked_add(amount))
            .ok_or(MultiError::OverCredit)?;
        if amount == 0 || used > cf.credit_limit {
            return Err(MultiError::OverCredit);
        }
        let r = Reservation::sign(
            ReservationFields {
                broker: self.id,
                certificate: cert_id,
                key,
                vendor,
                amount,
                expires,
            },
            signer,
        )?;
        let replaced = self
            .multi
            .reservations
            .insert(key, (cert_id, amount, expires));
        if let Some((old_cert, _, _)) = replaced {
            self.multi.unlist(&old_cert, &key);
        }
        self.multi
            .reserved_keys
            .entry(cert_id)
            .or_default()
            .push(key);
        Ok(r)
    }

    /// Releases every reservation that expired before `now` (what is left of
    /// it returns to the free credit). Returns how many were released.
    ///
    /// # Cost
    ///
    /// Linear in the number of reservations held.
    pub fn release_expired(&mut self, now: u64) -> usize {
        let expired: alloc::vec::Vec<(Digest, Digest)> = self
            .multi
            .reservations
            .iter()
            .filter(|(_, (_, _, expires))| *expires < now)
            .map(|(key, (cert, _, _))| (*key, *cert))
            .collect();
        for (key, cert) in &expired {
            self.multi.reservations.remove(key);
            self.multi.unlist(cert, key);
        }
        expired.len()
    }
}
