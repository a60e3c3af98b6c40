//! The checks every party shares: the error a refused commitment or payment
//! gets, validity windows, the certificate/commitment binding, and the
//! receiver for whatever a commitment binds (one chain or a purse, either
//! hash).

use core::fmt;

use crate::hash::{Blake3, HashAlg, Sha256};
use crate::message::CommitmentFields;
use crate::message::{Certificate, Commitment, CommittedChain, PaymentBody};
use crate::sign::{Digest, PublicKey, Signed, SignedFields};
use crate::verify::{PurseReceiver, Receiver, VerifyError};

/// Why a commitment or a payment was refused by a vendor (or a broker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The certificate was not issued by the expected broker, or its
    /// signature does not verify.
    BadCertificate,
    /// The commitment's signature does not verify under the certified key.
    BadCommitment,
    /// The commitment names another certificate.
    CertificateMismatch,
    /// The commitment is for another vendor.
    WrongVendor,
    /// Not valid yet at `now` (beyond the allowed skew).
    NotYetValid,
    /// Expired at `now` (beyond the allowed skew or grace).
    Expired,
    /// The commitment's validity is not inside the certificate's.
    OutsideCertificate,
    /// The payment names another commitment, or the wrong kind of chain.
    WrongCommitment,
    /// A payword was refused.
    Payment(VerifyError),
    /// An amount overflowed (`units × unit value`).
    Overflow,
    /// The chain parameters could not be used (unsupported hash).
    Unsupported,
    /// The payment does not pay exactly the price asked
    /// ([`Session::pay_exact`](crate::Session::pay_exact)).
    WrongPrice {
        /// Units asked.
        price: u64,
        /// Units the payment advances by.
        paid: u64,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadCertificate => f.write_str("certificate does not verify"),
            Self::BadCommitment => f.write_str("commitment signature does not verify"),
            Self::CertificateMismatch => f.write_str("commitment names another certificate"),
            Self::WrongVendor => f.write_str("commitment is for another vendor"),
            Self::NotYetValid => f.write_str("not valid yet"),
            Self::Expired => f.write_str("expired"),
            Self::OutsideCertificate => {
                f.write_str("commitment validity is outside the certificate's")
            }
            Self::WrongCommitment => f.write_str("payment is for another commitment"),
            Self::Payment(e) => write!(f, "payment refused: {e}"),
            Self::Overflow => f.write_str("amount overflows"),
            Self::Unsupported => f.write_str("unsupported chain parameters"),
            Self::WrongPrice { price, paid } => {
                write!(f, "payment advances {paid} units, the price is {price}")
            }
        }
    }
}

impl core::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Payment(e) => Some(e),
            _ => None,
        }
    }
}

impl From<VerifyError> for SessionError {
    fn from(e: VerifyError) -> Self {
        Self::Payment(e)
    }
}

/// Checks `now` against `[from, until]` with `skew` seconds of slack each side.
pub(crate) fn check_window(now: u64, from: u64, until: u64, skew: u64) -> Result<(), SessionError> {
    if now.saturating_add(skew) < from {
        return Err(SessionError::NotYetValid);
    }
    if now.saturating_sub(skew) > until {
        return Err(SessionError::Expired);
    }
    Ok(())
}

/// Checks a claim presented at `now` against a validity window `[from,
/// until]`: not before `from`, and not more than `grace` seconds after
/// `until` (a broker accepts claims for a while after a commitment expires).
#[cfg(feature = "alloc")]
pub(crate) const fn check_redeemable(
    now: u64,
    from: u64,
    until: u64,
    grace: u64,
) -> Result<(), SessionError> {
    if now < from {
        return Err(SessionError::NotYetValid);
    }
    if now > until.saturating_add(grace) {
        return Err(SessionError::Expired);
    }
    Ok(())
}

/// Verifies the certificate and the commitment against each other and the
/// broker's key (no time or vendor checks).
pub(crate) fn check_signed(
    broker_key: &PublicKey,
    certificate: &Certificate,
    commitment: &Commitment,
) -> Result<(), SessionError> {
    commitment.check_under(broker_key, certificate)
}

/// The fields of a message the customer signs under a certificate: it names
/// the certificate and has a validity window inside the certificate's.
pub trait UnderCertificate: SignedFields {
    /// The digest of the certificate it names.
    fn certificate(&self) -> &Digest;
    /// Its validity window `(valid_from, expires)`.
    fn window(&self) -> (u64, u64);
}

impl UnderCertificate for CommitmentFields {
    fn certificate(&self) -> &Digest {
        &self.certificate
    }

    fn window(&self) -> (u64, u64) {
        (self.valid_from, self.expires)
    }
}

impl<F: UnderCertificate> Signed<F> {
    /// Checks the broker's signature over `certificate`, that this message
    /// names it, the certified customer key's signature over this message,
    /// and that its window lies inside the certificate's.
    pub(crate) fn check_under(
        &self,
        broker_key: &PublicKey,
        certificate: &Certificate,
    ) -> Result<(), SessionError> {
        certificate
            .verify(broker_key)
            .map_err(|_| SessionError::BadCertificate)?;
        let cf = certificate.fields();
        if *self.fields.certificate() != certificate.digest() {
            return Err(SessionError::CertificateMismatch);
        }
        self.verify(&cf.customer_key)
            .map_err(|_| SessionError::BadCommitment)?;
        let (from, until) = self.fields.window();
        if from < cf.valid_from || until > cf.expires {
            return Err(SessionError::OutsideCertificate);
        }
        Ok(())
    }
}

/// The receiver for whatever a commitment binds, dispatched on its hash.
#[derive(Clone, Debug)]
pub(crate) enum ChainState {
    Sha256(Receiver<Sha256>),
    Blake3(Receiver<Blake3>),
    PurseSha256(PurseReceiver<Sha256>),
    PurseBlake3(PurseReceiver<Blake3>),
}

impl ChainState {
    /// A receiver at the anchors of `chain`, resumed at `last` if given.
    pub(crate) fn new(
        chain: &CommittedChain,
        last: Option<&PaymentBody>,
        limit: u32,
    ) -> Result<Self, SessionError> {
        let bad = |_| SessionError::Unsupported;
        Ok(match (chain, last) {
            (CommittedChain::Single { params, anchor }, last) => {
                let last = match last {
                    None => crate::Payword::new(0, anchor.as_word()),
                    Some(PaymentBody::Single(p)) => *p,
                    Some(PaymentBody::Purse(_)) => return Err(SessionError::WrongCommitment),
                };
                match params.alg() {
                    HashAlg::Sha256 => Self::Sha256(
                        Receiver::resume(*params, last)
                            .map_err(bad)?
                            .with_limit(limit),
                    ),
                    HashAlg::Blake3 => Self::Blake3(
                        Receiver::resume(*params, last)
                            .map_err(bad)?
                            .with_limit(limit),
                    ),
                }
            }
            (CommittedChain::Purse { params, anchors }, last) => {
                let last = match last {
                    None => crate::PursePayment::new(),
                    Some(PaymentBody::Purse(p)) => *p,
                    Some(PaymentBody::Single(_)) => return Err(SessionError::WrongCommitment),
                };
                match params.alg() {
                    HashAlg::Sha256 => Self::PurseSha256(
                        PurseReceiver::resume(*params, *anchors, &last)
                            .map_err(|_| SessionError::Unsupported)?
                            .with_limit(limit),
                    ),
                    HashAlg::Blake3 => Self::PurseBlake3(
                        PurseReceiver::resume(*params, *anchors, &last)
                            .map_err(|_| SessionError::Unsupported)?
                            .with_limit(limit),
                    ),
                }
            }
        })
    }

    /// Accepts a payment body; returns the units newly paid.
    pub(crate) fn accept(&mut self, body: &PaymentBody) -> Result<u64, SessionError> {
        Ok(match (self, body) {
            (Self::Sha256(r), PaymentBody::Single(p)) => r.accept(p)?.into(),
            (Self::Blake3(r), PaymentBody::Single(p)) => r.accept(p)?.into(),
            (Self::PurseSha256(r), PaymentBody::Purse(p)) => r.accept(p)?,
            (Self::PurseBlake3(r), PaymentBody::Purse(p)) => r.accept(p)?,
            _ => return Err(SessionError::WrongCommitment),
        })
    }

    /// Units paid so far.
    pub(crate) fn paid(&self) -> u64 {
        match self {
            Self::Sha256(r) => r.paid().into(),
            Self::Blake3(r) => r.paid().into(),
            Self::PurseSha256(r) => r.paid(),
            Self::PurseBlake3(r) => r.paid(),
        }
    }

    /// The highest paywords accepted, or `None` before any payment.
    pub(crate) fn last(&self) -> Option<PaymentBody> {
        let single = |r: crate::Payword| (r.index() > 0).then_some(PaymentBody::Single(r));
        let purse =
            |p: crate::PursePayment| p.parts().next().is_some().then_some(PaymentBody::Purse(p));
        match self {
            Self::Sha256(r) => single(*r.last()),
            Self::Blake3(r) => single(*r.last()),
            Self::PurseSha256(r) => purse(r.last_payment()),
            Self::PurseBlake3(r) => purse(r.last_payment()),
        }
    }
}
