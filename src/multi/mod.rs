//! Fraud-resistant multi-merchant variants of PayWord.
//!
//! Plain PayWord needs one signed [`Commitment`](crate::Commitment) per
//! vendor. The variants here let one customer signature serve many vendors,
//! and make cheating either impossible by construction or caught with a
//! [`FraudProof`](crate::fraud::FraudProof) that anyone holding the broker's
//! and the customer's public keys can check offline:
//!
//! - [`merkle`] — **PayTree-style Merkle commitment.** The customer signs
//!   once over the root of a Merkle tree whose leaves each bind a vendor id,
//!   a committed chain (or purse), its unit value and that vendor's cap; the
//!   signed root states the total cap. A vendor receives the signed root, its
//!   leaf and the authentication path (at most [`MAX_DEPTH`] hashes) and from
//!   then on verifies payments exactly as in single-vendor PayWord. A vendor
//!   cannot redeem another vendor's leaf; leaves whose caps sum past the
//!   declared total yield an `Overcommit` proof.
//! - [`grant`] — **shared chain with range grants.** One committed chain is
//!   spent at several vendors in turn; a small customer-signed grant says
//!   "indexes (a, b] of commitment C belong to vendor V". Two grants over one
//!   commitment whose ranges overlap for different vendors are an
//!   `Equivocation` proof naming the customer. Bare paywords prove nothing.
//! - [`domain`] — **domain accounts** (domainPay): one customer-signed
//!   domain commitment lists up to 16 device keys and fixes a domain-wide
//!   and a per-device limit; each device signs commitments to its own
//!   chains. The broker enforces both limits; spending past them yields a
//!   `DomainOverspent` proof built from customer- and device-signed objects.
//! - [`reservation`] — **online overspending control** (NPAY-style
//!   pre-debit): a broker-signed reservation locks part of the credit for one
//!   commitment before the vendor serves; the broker never reserves more than
//!   the credit limit in total, and honours every reservation it signed.
//!
//! Broker-side redemption lives in `impl Broker` blocks of these modules
//! ([`Broker::redeem_leaf`](crate::Broker::redeem_leaf),
//! [`Broker::redeem_grant`](crate::Broker::redeem_grant),
//! [`Broker::reserve`](crate::Broker::reserve)); the credit limit of a
//! certificate is shared by plain commitments, leaves and grants.
//!
//! Costs per party, next to plain PayWord, are in `docs/COSTS.md`; the wire
//! layouts (tags `0x20`–`0x29`, fraud proofs `0x40`) in `docs/WIRE.md`.
//!
//! # Persistence
//!
//! The broker keeps every variant's state in its
//! [`Store`](crate::store::Store): one debt record per leaf, grant and
//! device commitment, one group record per signed root, shared chain and
//! domain, and the certificate's credit account shared with plain
//! commitments and cascades. A redemption is one read and one atomic
//! commit, so a broker on a durable store resumes exactly where it stopped.

use core::fmt;

use crate::check::SessionError;

pub mod domain;
pub mod grant;
pub mod merkle;
pub mod reservation;

/// Wire type tags of the multi-merchant messages (`0x20`–`0x2F`).
pub mod tag {
    /// [`MultiCommitment`](super::merkle::MultiCommitment).
    pub const MULTI_COMMITMENT: u8 = 0x20;
    /// [`LeafOpening`](super::merkle::LeafOpening).
    pub const LEAF_OPENING: u8 = 0x21;
    /// [`LeafClaim`](super::merkle::LeafClaim).
    pub const LEAF_CLAIM: u8 = 0x22;
    /// [`SharedCommitment`](super::grant::SharedCommitment).
    pub const SHARED_COMMITMENT: u8 = 0x23;
    /// [`RangeGrant`](super::grant::RangeGrant).
    pub const RANGE_GRANT: u8 = 0x24;
    /// [`GrantClaim`](super::grant::GrantClaim).
    pub const GRANT_CLAIM: u8 = 0x25;
    /// [`Reservation`](super::reservation::Reservation).
    pub const RESERVATION: u8 = 0x26;
    /// [`DomainCommitment`](super::domain::DomainCommitment).
    pub const DOMAIN_COMMITMENT: u8 = 0x27;
    /// [`DeviceCommitment`](super::domain::DeviceCommitment).
    pub const DEVICE_COMMITMENT: u8 = 0x28;
    /// [`DeviceClaim`](super::domain::DeviceClaim).
    pub const DEVICE_CLAIM: u8 = 0x29;
}

/// The deepest Merkle tree: an authentication path has at most this many
/// hashes.
pub const MAX_DEPTH: usize = 16;

/// The most leaves (vendors) one [`MultiCommitment`](merkle::MultiCommitment)
/// can hold: `2^MAX_DEPTH`.
pub const MAX_LEAVES: u32 = 1 << MAX_DEPTH;

/// Why a multi-merchant message, payment or redemption was refused. A refused
/// redemption changes nothing at the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultiError {
    /// A certificate, signature, validity or payword check failed.
    Invalid(SessionError),
    /// The certificate is from another broker.
    WrongBroker,
    /// The leaf and its path do not lead to the signed root.
    NotInTree,
    /// The leaf, grant or reservation is for another vendor.
    WrongVendor,
    /// The payment names another leaf or grant.
    WrongCommitment,
    /// A leaf's cap is above the root's total cap.
    CapOverTotal,
    /// The payment would pay past the leaf's cap.
    OverCap,
    /// A payword index is outside the grant's range `(a, b]`.
    OutsideGrant,
    /// The grant names another commitment, or a range past the chain.
    BadGrant,
    /// This vendor already redeemed another grant overlapping this one.
    GrantOverlap,
    /// A device index not in the domain, or a device key that did not sign.
    UnknownDevice,
    /// The reservation would take the reserved and spent total past the
    /// credit limit.
    OverCredit,
    /// The commitment already holds a reservation.
    AlreadyReserved,
    /// A reservation of nothing (amount 0).
    ZeroAmount,
    /// A tree of no leaves, or of more than [`MAX_LEAVES`]; a domain of no
    /// devices or more than [`MAX_DEVICES`](domain::MAX_DEVICES).
    TreeSize,
    /// An amount overflowed.
    Overflow,
    /// A message could not be signed (a field the format refuses, or the
    /// signer failed).
    Sign(crate::SignError),
    /// An account, group or reservation list would pass its maximum.
    TooManyRecords,
    /// The broker's store failed; nothing was written.
    Store(crate::StoreFailure),
}

impl fmt::Display for MultiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "refused: {e}"),
            Self::WrongBroker => f.write_str("certificate is from another broker"),
            Self::NotInTree => f.write_str("leaf is not under the signed root"),
            Self::WrongVendor => f.write_str("for another vendor"),
            Self::WrongCommitment => f.write_str("payment names another leaf or grant"),
            Self::CapOverTotal => f.write_str("leaf cap is above the total cap"),
            Self::OverCap => f.write_str("payment goes past the leaf cap"),
            Self::OutsideGrant => f.write_str("payword is outside the granted range"),
            Self::BadGrant => f.write_str("grant does not fit its commitment"),
            Self::GrantOverlap => f.write_str("an overlapping grant was already redeemed"),
            Self::UnknownDevice => f.write_str("device is not in the domain"),
            Self::OverCredit => f.write_str("reservation exceeds the available credit"),
            Self::ZeroAmount => f.write_str("a reservation's amount must be positive"),
            Self::AlreadyReserved => f.write_str("commitment already holds a reservation"),
            Self::TreeSize => f.write_str("tree size out of range"),
            Self::Overflow => f.write_str("amount overflows"),
            Self::Sign(e) => write!(f, "cannot sign: {e}"),
            Self::TooManyRecords => f.write_str("too many records under one account or group"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for MultiError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            Self::Sign(e) => Some(e),
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::SignError> for MultiError {
    fn from(e: crate::SignError) -> Self {
        Self::Sign(e)
    }
}

impl From<SessionError> for MultiError {
    fn from(e: SessionError) -> Self {
        Self::Invalid(e)
    }
}

impl From<crate::Refusal> for MultiError {
    fn from(r: crate::Refusal) -> Self {
        match r {
            crate::Refusal::GrantOverlap => Self::GrantOverlap,
            crate::Refusal::TooManyRecords => Self::TooManyRecords,
            other => match crate::RedeemError::from(other) {
                crate::RedeemError::Invalid(e) => Self::Invalid(e),
                _ => Self::WrongCommitment,
            },
        }
    }
}

impl<E> From<crate::BrokerError<E>> for MultiError {
    fn from(e: crate::BrokerError<E>) -> Self {
        e.split().map_or_else(Self::Store, Self::from)
    }
}

impl From<crate::VerifyError> for MultiError {
    fn from(e: crate::VerifyError) -> Self {
        Self::Invalid(SessionError::Payment(e))
    }
}

pub(crate) use crate::message::read_validity;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_display_in_lower_case() {
        for e in [
            MultiError::NotInTree,
            MultiError::OverCap,
            MultiError::UnknownDevice,
            MultiError::Invalid(SessionError::Expired),
        ] {
            let s = alloc::string::ToString::to_string(&e);
            assert!(s.chars().next().is_some_and(char::is_lowercase), "{s}");
        }
    }
}
