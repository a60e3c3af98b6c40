//! Fraud proofs: offline-verifiable evidence that a customer cheated.
//!
//! One [`FraudProof`] type covers every kind the crate detects:
//!
//! - [`FraudProof::Equivocation`]: two range grants over one shared
//!   commitment whose ranges overlap for different vendors;
//! - [`FraudProof::Overcommit`]: leaves of one signed Merkle root whose caps
//!   sum past the root's total cap;
//! - [`FraudProof::OtsReuse`]: two different renewal links signed by one
//!   of the customer's one-time (LM-OTS) keys (see [`crate::renew`]);
//! - [`FraudProof::Overspent`]: paywords released under plain commitments
//!   worth more than the certificate's credit limit;
//! - [`FraudProof::DomainOverspent`]: paywords released by the devices of a
//!   domain account worth more than the per-device or the domain limit;
//! - [`FraudProof::CreditOverspent`]: debts in any mix of variants (plain
//!   commitments, leaves, grants, devices) worth more than the credit limit.
//!
//! Every proof is built only from objects the customer signed (commitments,
//! roots, grants, domains), objects signed by device keys the customer's
//! signed domain lists, objects the broker signed (the certificate), Merkle
//! paths to a signed root and paywords (preimages only the customer could
//! reveal). Paywords alone prove nothing: a proof whose signed objects do not
//! verify under the certified keys is refused.
//! [`FraudProof::verify`] needs only the broker's public key (the customer's
//! key is in the certificate) and does bounded work: at most
//! [`MAX_PROOF_ENTRIES`] entries, checked before anything is hashed. It
//! returns the customer the proof names.
//!
//! Encoding (tag `0x40`, see `docs/WIRE.md`): tag, version, a kind byte, then
//! the kind's fields. Lists carry a `u16` count checked against
//! [`MAX_PROOF_ENTRIES`] before anything is allocated.

use alloc::vec::Vec;
use core::fmt;

mod credit;
mod proofs;
mod redeem;

pub use credit::{CreditOverspendProof, Spend};
pub(crate) use credit::{Valued, capped_total};
pub use proofs::{DomainOverspendProof, EquivocationProof, OpenedLeaf, OvercommitProof};
pub use redeem::MultiRedemption;

use crate::broker::OverspendProof;
use crate::check::ChainState;
use crate::check::SessionError;
use crate::message::{Certificate, Commitment, CustomerId, Encode, read_body, write_body};
use crate::multi::MAX_DEPTH;
use crate::multi::domain::{DeviceCommitment, DomainCommitment, MAX_DEVICES};
use crate::multi::grant::{RangeGrant, SharedCommitment};
use crate::multi::merkle::{AuthPath, Leaf, LeafOpening, MultiCommitment};
use crate::sign::Digest;
use crate::sign::PublicKey;
use crate::wire::{DecodeError, Reader, Writer, read_list};
use crate::{PaymentBody, Payword};

/// Wire type tag of [`FraudProof`].
pub const TAG: u8 = 0x40;

/// The most entries (leaves, commitments) one proof may list.
pub const MAX_PROOF_ENTRIES: u16 = 64;

/// Kind bytes inside a [`FraudProof`] encoding.
pub mod kind {
    /// [`FraudProof::Equivocation`](super::FraudProof::Equivocation).
    pub const EQUIVOCATION: u8 = 1;
    /// [`FraudProof::Overcommit`](super::FraudProof::Overcommit).
    pub const OVERCOMMIT: u8 = 2;
    /// [`FraudProof::Overspent`](super::FraudProof::Overspent).
    pub const OVERSPENT: u8 = 3;
    /// [`FraudProof::OtsReuse`](super::FraudProof::OtsReuse).
    pub const OTS_REUSE: u8 = 5;
    /// [`FraudProof::DomainOverspent`](super::FraudProof::DomainOverspent).
    pub const DOMAIN_OVERSPENT: u8 = 4;
    /// [`FraudProof::CreditOverspent`](super::FraudProof::CreditOverspent).
    pub const CREDIT_OVERSPENT: u8 = 6;
}

/// Offline-verifiable evidence that a customer cheated.
///
/// # Examples
///
/// ```
/// use payword::fraud::{FraudError, FraudProof};
/// use payword::{Encode, OverspendProof};
/// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
/// # use ed25519_dalek::SigningKey;
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([1; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([3; 16]),
/// #     customer_key: SigningKey::from_bytes(&[2; 32]).public_key(),
/// #     credit_limit: 10, valid_from: 0, expires: 100 }, &broker)?;
///
/// // A "proof" listing nothing proves nothing, and decodes back to itself.
/// let p = FraudProof::Overspent(OverspendProof { certificate: cert, spent: vec![] });
/// assert_eq!(p.verify(&broker.public_key(), 1 << 20), Err(FraudError::NotFraud));
/// assert_eq!(FraudProof::decode(&p.to_bytes())?, p);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(clippy::large_enum_variant)] // flat on purpose: no allocation but the lists
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FraudProof {
    /// Overlapping grants for different vendors.
    Equivocation(EquivocationProof),
    /// Leaves over the total cap.
    Overcommit(OvercommitProof),
    /// Paywords past the credit limit.
    Overspent(OverspendProof),
    /// A one-time renewal key that signed two different links.
    OtsReuse(alloc::boxed::Box<crate::renew::OtsReuseProof>),
    /// Paywords of a domain's devices past the device or domain limit.
    DomainOverspent(DomainOverspendProof),
    /// Debts in any variants past the credit limit.
    CreditOverspent(CreditOverspendProof),
}

/// Why a [`FraudProof`] proves nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FraudError {
    /// A signature, certificate, path or payword check failed.
    Invalid(SessionError),
    /// The objects are genuine but show no fraud (ranges disjoint, same
    /// vendor, caps within the total, spending within the limit).
    NotFraud,
    /// An entry is listed twice, or the grants are the same grant.
    Duplicate,
    /// More entries than [`MAX_PROOF_ENTRIES`].
    TooLarge,
    /// Checking the paywords would take more chain steps than the budget.
    OverBudget,
}

impl fmt::Display for FraudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "invalid proof: {e}"),
            Self::NotFraud => f.write_str("the objects show no fraud"),
            Self::Duplicate => f.write_str("an entry is listed twice"),
            Self::TooLarge => f.write_str("too many entries"),
            Self::OverBudget => f.write_str("proof needs more hashing than the budget"),
        }
    }
}

impl core::error::Error for FraudError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for FraudError {
    fn from(e: SessionError) -> Self {
        Self::Invalid(e)
    }
}

impl FraudProof {
    /// The certificate the proof is about.
    #[must_use]
    pub const fn certificate(&self) -> &Certificate {
        match self {
            Self::Equivocation(p) => &p.certificate,
            Self::Overcommit(p) => &p.certificate,
            Self::Overspent(p) => &p.certificate,
            Self::OtsReuse(p) => &p.certificate,
            Self::DomainOverspent(p) => &p.certificate,
            Self::CreditOverspent(p) => &p.certificate,
        }
    }

    /// The customer the proof names (unverified: call
    /// [`verify`](Self::verify) first).
    #[must_use]
    pub const fn customer(&self) -> &CustomerId {
        &self.certificate().fields().customer
    }

    /// A lower-case name of the kind.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Equivocation(_) => "equivocation",
            Self::Overcommit(_) => "overcommit",
            Self::Overspent(_) => "overspent",
            Self::OtsReuse(_) => "one-time key reuse",
            Self::DomainOverspent(_) => "domain overspent",
            Self::CreditOverspent(_) => "credit overspent",
        }
    }

    /// An `Overspent` proof from a broker's [`OverspendProof`], keeping the
    /// fewest commitments (most value first) that still exceed the credit
    /// limit, so that it fits [`MAX_PROOF_ENTRIES`].
    ///
    /// # Errors
    ///
    /// [`FraudError::NotFraud`] if all of them together stay within the limit
    /// (as far as their paywords' indexes say; nothing is hashed),
    /// [`FraudError::TooLarge`] if more than the maximum are needed.
    pub fn overspent(proof: OverspendProof) -> Result<Self, FraudError> {
        let value = |(c, b): &(Commitment, crate::PaymentBody)| {
            let units: u64 = match b {
                crate::PaymentBody::Single(p) => p.index().into(),
                crate::PaymentBody::Purse(p) => match &c.fields().chain {
                    crate::CommittedChain::Purse { params, .. } => p
                        .parts()
                        .map(|(j, q)| u64::from(q.index()).saturating_mul(params.value(j)))
                        .fold(0u64, u64::saturating_add),
                    crate::CommittedChain::Single { .. } => 0,
                },
            };
            units.saturating_mul(c.fields().unit_value)
        };
        let mut spent = proof.spent;
        spent.sort_by_key(|e| core::cmp::Reverse(value(e)));
        let limit = proof.certificate.fields().credit_limit;
        let mut total: u64 = 0;
        for (n, e) in spent.iter().enumerate() {
            total = total.saturating_add(value(e));
            if total > limit {
                if n >= usize::from(MAX_PROOF_ENTRIES) {
                    return Err(FraudError::TooLarge);
                }
                spent.truncate(n + 1);
                return Ok(Self::Overspent(OverspendProof {
                    certificate: proof.certificate,
                    spent,
                }));
            }
        }
        Err(FraudError::NotFraud)
    }

    /// Checks the proof with the broker's public key alone; returns the
    /// customer it names.
    ///
    /// # Cost
    ///
    /// - equivocation: 4 signature verifications (certificate, commitment,
    ///   two grants) and 4 digests;
    /// - overcommit: 2 signature verifications and, per leaf (at most
    ///   [`MAX_PROOF_ENTRIES`]), one leaf hash and at most 16 node hashes;
    /// - overspent: `1 + k` signature verifications for `k ≤`
    ///   [`MAX_PROOF_ENTRIES`] commitments and at most `max_steps` chain
    ///   steps;
    /// - domain overspent: `2 + m` signature verifications for `m ≤`
    ///   [`MAX_PROOF_ENTRIES`] device commitments and at most `max_steps`
    ///   chain steps;
    /// - credit overspent: per entry (at most [`MAX_PROOF_ENTRIES`]) 2 to 4
    ///   signature verifications and at most 17 Merkle hashes, and at most
    ///   `max_steps` chain steps.
    /// - one-time key reuse: 2 signature verifications and at most
    ///   [`MAX_CASCADE`](crate::renew::MAX_CASCADE) + 1 LM-OTS verifications.
    ///
    /// # Errors
    ///
    /// [`FraudError`]: the proof proves nothing.
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<CustomerId, FraudError> {
        match self {
            Self::Equivocation(p) => p.verify(broker_key)?,
            Self::Overcommit(p) => p.verify(broker_key)?,
            Self::OtsReuse(p) => {
                if p.first == p.second {
                    return Err(FraudError::Duplicate);
                }
                p.verify(broker_key).map_err(|e| match e {
                    crate::renew::RenewError::Session(e) => FraudError::Invalid(e),
                    crate::renew::RenewError::Exhausted => FraudError::TooLarge,
                    _ => FraudError::Invalid(SessionError::BadCommitment),
                })?;
            }
            Self::Overspent(p) => {
                if p.spent.len() > usize::from(MAX_PROOF_ENTRIES) {
                    return Err(FraudError::TooLarge);
                }
                p.verify(broker_key, max_steps).map_err(|e| match e {
                    crate::ProofError::Invalid(e) => FraudError::Invalid(e),
                    crate::ProofError::Duplicate => FraudError::Duplicate,
                    crate::ProofError::OverBudget => FraudError::OverBudget,
                    _ => FraudError::NotFraud,
                })?;
            }
            Self::DomainOverspent(p) => {
                p.verify(broker_key, max_steps)?;
            }
            Self::CreditOverspent(p) => {
                p.verify(broker_key, max_steps)?;
            }
        }
        Ok(*self.customer())
    }
}

fn write_opened(l: &OpenedLeaf, w: &mut Writer<'_>) {
    w.put_u32(l.index);
    l.leaf.write(w);
    w.put_u8(u8::try_from(l.path.len()).unwrap_or(u8::MAX));
    for n in l.path.as_slice() {
        w.put(n);
    }
}

fn read_opened(r: &mut Reader<'_>, leaves: u32) -> Result<OpenedLeaf, DecodeError> {
    let index = r.u32("leaf index")?;
    if index >= leaves {
        return Err(DecodeError::NonCanonical {
            field: "leaf index",
        });
    }
    let leaf = Leaf::read(r)?;
    let len = r.u8("path length")?;
    if usize::from(len) > MAX_DEPTH {
        return Err(DecodeError::LengthOverLimit {
            field: "path length",
            length: len.into(),
            max: MAX_DEPTH as u64,
        });
    }
    if Some(usize::from(len)) != crate::multi::merkle::depth_for(leaves) {
        return Err(DecodeError::NonCanonical {
            field: "path length",
        });
    }
    let mut nodes = [[0u8; 32]; MAX_DEPTH];
    for n in nodes.iter_mut().take(usize::from(len)) {
        *n = r.array("path node")?;
    }
    let path = AuthPath::from_slice(nodes.get(..usize::from(len)).unwrap_or(&[]))
        .ok_or(DecodeError::NonCanonical { field: "path" })?;
    Ok(OpenedLeaf { index, leaf, path })
}

const fn max_len(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

fn count_of(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

impl crate::wire::sealed::Sealed for FraudProof {}

impl Encode for FraudProof {
    const TAG: u8 = TAG;
    const MAX_LEN: usize = 3 + Certificate::MAX_LEN + {
        let eq = SharedCommitment::MAX_LEN + 2 * RangeGrant::MAX_LEN;
        let oc = MultiCommitment::MAX_LEN
            + 2
            + MAX_PROOF_ENTRIES as usize * (4 + Leaf::MAX_LEN + 1 + 32 * MAX_DEPTH);
        let os = 2 + MAX_PROOF_ENTRIES as usize
            * (Commitment::MAX_LEN + 2 + 36 * crate::MAX_DENOMINATIONS);
        // One-time key reuse: the proof's fields after its certificate.
        let os = max_len(
            os,
            crate::renew::OtsReuseProof::MAX_LEN - 2 - Certificate::MAX_LEN,
        );
        let dm = DomainCommitment::MAX_LEN
            + 2
            + MAX_PROOF_ENTRIES as usize
                * (DeviceCommitment::MAX_LEN + 2 + 36 * crate::MAX_DENOMINATIONS);
        let m = if eq > oc { eq } else { oc };
        let m = if m > os { m } else { os };
        let m = if m > dm { m } else { dm };
        let co = 2 + MAX_PROOF_ENTRIES as usize * Spend::MAX_LEN;
        if m > co { m } else { co }
    };

    fn write_fields(&self, w: &mut Writer<'_>) {
        match self {
            Self::Equivocation(p) => {
                w.put_u8(kind::EQUIVOCATION);
                p.certificate.write(w);
                p.commitment.write(w);
                p.first.write(w);
                p.second.write(w);
            }
            Self::Overcommit(p) => {
                w.put_u8(kind::OVERCOMMIT);
                p.certificate.write(w);
                p.commitment.write(w);
                w.put_u16(count_of(p.leaves.len()));
                for l in &p.leaves {
                    write_opened(l, w);
                }
            }
            Self::OtsReuse(p) => {
                w.put_u8(kind::OTS_REUSE);
                p.write_fields(w);
            }
            Self::Overspent(p) => {
                w.put_u8(kind::OVERSPENT);
                p.certificate.write(w);
                w.put_u16(count_of(p.spent.len()));
                for (c, b) in &p.spent {
                    c.write(w);
                    write_body(b, w);
                }
            }
            Self::DomainOverspent(p) => {
                w.put_u8(kind::DOMAIN_OVERSPENT);
                p.certificate.write(w);
                p.domain.write(w);
                w.put_u16(count_of(p.spent.len()));
                for (c, b) in &p.spent {
                    c.write(w);
                    write_body(b, w);
                }
            }
            Self::CreditOverspent(p) => {
                w.put_u8(kind::CREDIT_OVERSPENT);
                p.certificate.write(w);
                w.put_u16(count_of(p.spent.len()));
                for s in &p.spent {
                    s.write(w);
                }
            }
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("proof kind")? {
            kind::EQUIVOCATION => Ok(Self::Equivocation(EquivocationProof {
                certificate: Certificate::read(r)?,
                commitment: SharedCommitment::read(r)?,
                first: RangeGrant::read(r)?,
                second: RangeGrant::read(r)?,
            })),
            kind::OVERCOMMIT => {
                let certificate = Certificate::read(r)?;
                let commitment = MultiCommitment::read(r)?;
                let count = commitment.fields().leaves;
                let leaves = read_list(r, "leaves", MAX_PROOF_ENTRIES, |r| read_opened(r, count))?;
                Ok(Self::Overcommit(OvercommitProof {
                    certificate,
                    commitment,
                    leaves,
                }))
            }
            kind::OTS_REUSE => Ok(Self::OtsReuse(alloc::boxed::Box::new(
                crate::renew::OtsReuseProof::read_fields(r)?,
            ))),
            kind::OVERSPENT => {
                let certificate = Certificate::read(r)?;
                let spent = read_list(r, "commitments", MAX_PROOF_ENTRIES, |r| {
                    Ok((Commitment::read(r)?, read_body(r)?))
                })?;
                Ok(Self::Overspent(OverspendProof { certificate, spent }))
            }
            kind::DOMAIN_OVERSPENT => {
                let certificate = Certificate::read(r)?;
                let domain = DomainCommitment::read(r)?;
                let spent = read_list(r, "device commitments", MAX_PROOF_ENTRIES, |r| {
                    Ok((DeviceCommitment::read(r)?, read_body(r)?))
                })?;
                Ok(Self::DomainOverspent(DomainOverspendProof {
                    certificate,
                    domain,
                    spent,
                }))
            }
            kind::CREDIT_OVERSPENT => {
                let certificate = Certificate::read(r)?;
                let spent = read_list(r, "spends", MAX_PROOF_ENTRIES, Spend::read)?;
                Ok(Self::CreditOverspent(CreditOverspendProof {
                    certificate,
                    spent,
                }))
            }
            _ => Err(DecodeError::NonCanonical {
                field: "proof kind",
            }),
        }
    }
}

impl fmt::Display for FraudProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} proof against customer {}",
            self.kind(),
            self.customer()
        )
    }
}
