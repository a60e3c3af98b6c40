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

mod redeem;

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

/// Two grants over one shared commitment whose ranges overlap for different
/// vendors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EquivocationProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The shared commitment.
    pub commitment: SharedCommitment,
    /// One grant.
    pub first: RangeGrant,
    /// The other grant.
    pub second: RangeGrant,
}

/// One leaf of a signed root with its index and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenedLeaf {
    /// The leaf's index.
    pub index: u32,
    /// The leaf.
    pub leaf: Leaf,
    /// Its authentication path.
    pub path: AuthPath,
}

/// Leaves of one signed root whose caps sum past its total cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OvercommitProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The signed root.
    pub commitment: MultiCommitment,
    /// Distinct leaves of it, by increasing index.
    pub leaves: Vec<OpenedLeaf>,
}

/// Proof that a domain's devices released paywords worth more than the
/// per-device limit (one device) or the domain limit (all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainOverspendProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The customer-signed domain.
    pub domain: DomainCommitment,
    /// Device commitments with their highest paywords.
    pub spent: Vec<(DeviceCommitment, PaymentBody)>,
}

impl DomainOverspendProof {
    /// Checks the proof; returns the value released (past a limit).
    ///
    /// # Cost
    ///
    /// `2 + m` signature verifications for `m` device commitments (at most
    /// [`MAX_PROOF_ENTRIES`], checked first)
    /// and at most `max_steps` chain steps.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<u64, FraudError> {
        if self.spent.len() > usize::from(MAX_PROOF_ENTRIES) {
            return Err(FraudError::TooLarge);
        }
        self.domain.check(broker_key, &self.certificate)?;
        let id = self.domain.digest();
        let mut budget = max_steps;
        let mut seen: Vec<Digest> = Vec::new();
        let mut per_device = [0u64; MAX_DEVICES];
        let mut total: u64 = 0;
        for (c, body) in &self.spent {
            c.check_in(&self.domain, &id)
                .map_err(|_| FraudError::Invalid(SessionError::BadCommitment))?;
            let d = c.digest();
            if seen.contains(&d) {
                return Err(FraudError::Duplicate);
            }
            seen.push(d);
            let f = c.fields();
            let mut state = ChainState::new(&f.chain, None, budget)?;
            let units = state.accept(body).map_err(|e| match e {
                SessionError::Payment(crate::VerifyError::OverBudget { .. }) => {
                    FraudError::OverBudget
                }
                e => FraudError::Invalid(e),
            })?;
            budget =
                budget.saturating_sub(u32::try_from(device_steps_of(body)).unwrap_or(u32::MAX));
            let value = units.saturating_mul(f.unit_value);
            if let Some(v) = per_device.get_mut(usize::from(f.device)) {
                *v = v.saturating_add(value);
            }
            total = total.saturating_add(value);
        }
        let df = self.domain.fields();
        if total > df.domain_limit || per_device.iter().any(|v| *v > df.device_limit) {
            Ok(total)
        } else {
            Err(FraudError::NotFraud)
        }
    }
}

fn device_steps_of(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(p) => p.parts().map(|(_, q)| u64::from(q.index())).sum(),
    }
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

impl EquivocationProof {
    /// Checks the proof.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey) -> Result<(), FraudError> {
        self.commitment.check(broker_key, &self.certificate)?;
        let id = self.commitment.digest();
        for g in [&self.first, &self.second] {
            g.verify(&self.certificate.fields().customer_key)
                .map_err(|_| SessionError::BadCommitment)?;
            if g.fields().commitment != id {
                return Err(SessionError::WrongCommitment.into());
            }
        }
        if self.first.digest() == self.second.digest() {
            return Err(FraudError::Duplicate);
        }
        if self.first.fields().vendor == self.second.fields().vendor
            || !self.first.overlaps(&self.second)
        {
            return Err(FraudError::NotFraud);
        }
        Ok(())
    }
}

impl OvercommitProof {
    /// Checks the proof.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey) -> Result<(), FraudError> {
        if self.leaves.len() > usize::from(MAX_PROOF_ENTRIES) {
            return Err(FraudError::TooLarge);
        }
        // Strictly increasing indexes: no leaf counted twice (and a cheap
        // check before any hashing).
        if self.leaves.windows(2).any(|w| w[0].index >= w[1].index) {
            return Err(FraudError::Duplicate);
        }
        self.commitment.check(broker_key, &self.certificate)?;
        let mut sum: u64 = 0;
        for l in &self.leaves {
            let opening = crate::multi::merkle::LeafOpening {
                commitment: self.commitment,
                index: l.index,
                leaf: l.leaf,
                path: l.path,
            };
            opening
                .check_path()
                .map_err(|_| FraudError::Invalid(SessionError::BadCommitment))?;
            sum = sum.saturating_add(l.leaf.cap);
        }
        if sum > self.commitment.fields().total_cap {
            Ok(())
        } else {
            Err(FraudError::NotFraud)
        }
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

/// One debt under a certificate, in any variant: the customer-signed objects
/// and the highest paywords redeemed.
#[allow(clippy::large_enum_variant)] // flat on purpose, like the messages
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spend {
    /// A plain commitment.
    Plain {
        /// The commitment.
        commitment: Commitment,
        /// The highest paywords.
        paid: PaymentBody,
    },
    /// A leaf of a Merkle commitment.
    Leaf {
        /// The signed root, the leaf and its path.
        opening: LeafOpening,
        /// The highest paywords.
        paid: PaymentBody,
    },
    /// A range grant over a shared chain.
    Grant {
        /// The shared commitment.
        commitment: SharedCommitment,
        /// The grant.
        grant: RangeGrant,
        /// The highest payword.
        paid: Payword,
    },
    /// A device commitment of a domain.
    Device {
        /// The customer-signed domain.
        domain: DomainCommitment,
        /// The device-signed commitment.
        commitment: DeviceCommitment,
        /// The highest paywords.
        paid: PaymentBody,
    },
}

/// What one spend is worth, and where its caps apply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Valued {
    pub(crate) key: crate::Digest,
    pub(crate) value: u64,
    /// `(root digest, total cap)` for a leaf.
    pub(crate) root: Option<(crate::Digest, u64)>,
    /// `(domain digest, device index, device limit, domain limit)`.
    pub(crate) device: Option<(crate::Digest, u8, u64, u64)>,
}

/// The total of `items` with every signed cap applied: the leaves of a root
/// at most its total cap, a device at most its limit, a domain at most its
/// limit.
pub(crate) fn capped_total<'a>(items: impl IntoIterator<Item = &'a Valued>) -> u64 {
    use alloc::collections::BTreeMap;
    let mut free: u64 = 0;
    let mut roots: BTreeMap<crate::Digest, (u64, u64)> = BTreeMap::new();
    let mut devices: BTreeMap<(crate::Digest, u8), (u64, u64)> = BTreeMap::new();
    let mut domains: BTreeMap<crate::Digest, (u64, u64)> = BTreeMap::new();
    for v in items {
        match (v.root, v.device) {
            (Some((root, total)), _) => {
                let e = roots.entry(root).or_insert((0, total));
                e.0 = e.0.saturating_add(v.value);
            }
            (None, Some((domain, device, device_limit, domain_limit))) => {
                let e = devices.entry((domain, device)).or_insert((0, device_limit));
                e.0 = e.0.saturating_add(v.value);
                domains.entry(domain).or_insert((0, domain_limit));
            }
            (None, None) => free = free.saturating_add(v.value),
        }
    }
    for ((domain, _), (sum, limit)) in &devices {
        if let Some(d) = domains.get_mut(domain) {
            d.0 = d.0.saturating_add((*sum).min(*limit));
        }
    }
    roots
        .values()
        .chain(domains.values())
        .fold(free, |t, (sum, cap)| t.saturating_add((*sum).min(*cap)))
}

impl Spend {
    /// Checks the signatures behind this spend against `certificate` and its
    /// paywords within `budget` chain steps; returns what it is worth (a
    /// leaf at most its cap).
    fn value(
        &self,
        broker_key: &PublicKey,
        certificate: &Certificate,
        budget: u32,
    ) -> Result<(Valued, u64), FraudError> {
        let bad = |e: SessionError| match e {
            SessionError::Payment(crate::VerifyError::OverBudget { .. }) => FraudError::OverBudget,
            e => FraudError::Invalid(e),
        };
        let multi_bad = |_| FraudError::Invalid(SessionError::BadCommitment);
        match self {
            Self::Plain { commitment, paid } => {
                crate::check::check_signed(broker_key, certificate, commitment)?;
                let f = commitment.fields();
                let units = ChainState::new(&f.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                Ok((
                    Valued {
                        key: commitment.digest(),
                        value: units.saturating_mul(f.unit_value),
                        root: None,
                        device: None,
                    },
                    steps_of(paid),
                ))
            }
            Self::Leaf { opening, paid } => {
                opening.commitment.check(broker_key, certificate)?;
                let key = opening.check_path().map_err(multi_bad)?;
                let l = &opening.leaf;
                let units = ChainState::new(&l.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                let rf = opening.commitment.fields();
                Ok((
                    Valued {
                        key,
                        value: units.saturating_mul(l.unit_value).min(l.cap),
                        root: Some((opening.commitment.digest(), rf.total_cap)),
                        device: None,
                    },
                    steps_of(paid),
                ))
            }
            Self::Grant {
                commitment,
                grant,
                paid,
            } => {
                commitment.check(broker_key, certificate)?;
                let id = commitment.digest();
                grant
                    .check_against(certificate, commitment, &id)
                    .map_err(multi_bad)?;
                if !grant.covers(paid.index()) {
                    return Err(FraudError::Invalid(SessionError::WrongCommitment));
                }
                let sf = commitment.fields();
                let g = grant.fields();
                let chain = crate::CommittedChain::Single {
                    params: sf.params,
                    anchor: sf.anchor,
                };
                let start = PaymentBody::Single(Payword::new(g.from, g.start));
                let units = ChainState::new(&chain, Some(&start), budget)?
                    .accept(&PaymentBody::Single(*paid))
                    .map_err(bad)?;
                Ok((
                    Valued {
                        key: grant.digest(),
                        value: units.saturating_mul(sf.unit_value),
                        root: None,
                        device: None,
                    },
                    u64::from(paid.index() - g.from),
                ))
            }
            Self::Device {
                domain,
                commitment,
                paid,
            } => {
                domain.check(broker_key, certificate)?;
                let id = domain.digest();
                commitment.check_in(domain, &id).map_err(multi_bad)?;
                let f = commitment.fields();
                let units = ChainState::new(&f.chain, None, budget)?
                    .accept(paid)
                    .map_err(bad)?;
                let df = domain.fields();
                Ok((
                    Valued {
                        key: commitment.digest(),
                        value: units.saturating_mul(f.unit_value),
                        root: None,
                        device: Some((id, f.device, df.device_limit, df.domain_limit)),
                    },
                    steps_of(paid),
                ))
            }
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        match self {
            Self::Plain { commitment, paid } => {
                w.put_u8(1);
                commitment.write(w);
                write_body(paid, w);
            }
            Self::Leaf { opening, paid } => {
                w.put_u8(2);
                opening.write(w);
                write_body(paid, w);
            }
            Self::Grant {
                commitment,
                grant,
                paid,
            } => {
                w.put_u8(3);
                commitment.write(w);
                grant.write(w);
                crate::message::write_payword(paid, w);
            }
            Self::Device {
                domain,
                commitment,
                paid,
            } => {
                w.put_u8(4);
                domain.write(w);
                commitment.write(w);
                write_body(paid, w);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8("spend kind")? {
            1 => Self::Plain {
                commitment: Commitment::read(r)?,
                paid: read_body(r)?,
            },
            2 => Self::Leaf {
                opening: LeafOpening::read(r)?,
                paid: read_body(r)?,
            },
            3 => Self::Grant {
                commitment: SharedCommitment::read(r)?,
                grant: RangeGrant::read(r)?,
                paid: crate::message::read_payword(r)?,
            },
            4 => Self::Device {
                domain: DomainCommitment::read(r)?,
                commitment: DeviceCommitment::read(r)?,
                paid: read_body(r)?,
            },
            _ => {
                return Err(DecodeError::NonCanonical {
                    field: "spend kind",
                });
            }
        })
    }

    /// Largest encoding of one spend.
    const MAX_LEN: usize = 1 + {
        let body = 2 + 36 * crate::MAX_DENOMINATIONS;
        let plain = Commitment::MAX_LEN + body;
        let leaf = LeafOpening::MAX_LEN + body;
        let grant = SharedCommitment::MAX_LEN + RangeGrant::MAX_LEN + 36;
        let device = DomainCommitment::MAX_LEN + DeviceCommitment::MAX_LEN + body;
        let m = if plain > leaf { plain } else { leaf };
        let m = if m > grant { m } else { grant };
        if m > device { m } else { device }
    };
}

fn steps_of(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(p) => p.parts().map(|(_, q)| u64::from(q.index())).sum(),
    }
}

/// Debts under one certificate, in any mix of variants, worth more than its
/// credit limit.
///
/// A leaf counts at most its cap, the leaves of one root at most the root's
/// total cap, a device at most its device limit and a domain at most its
/// domain limit, so the total only counts what the customer's own signed
/// limits allow: spending within every limit never verifies as fraud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditOverspendProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The debts, each at most once.
    pub spent: Vec<Spend>,
}

impl CreditOverspendProof {
    /// Checks the proof; returns the total the debts are worth (above the
    /// credit limit).
    ///
    /// # Cost
    ///
    /// At most [`MAX_PROOF_ENTRIES`] entries (checked first), each 1 to 3
    /// signature verifications (plus the certificate's), at most 17 Merkle
    /// hashes, and at most `max_steps` chain steps in total.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<u64, FraudError> {
        if self.spent.len() > usize::from(MAX_PROOF_ENTRIES) {
            return Err(FraudError::TooLarge);
        }
        // One rule set with the broker: it refuses a second grant that
        // overlaps one it redeemed for the same vendor under the same shared
        // commitment, so such a pair is one debt, never two.
        let grants: Vec<(crate::Digest, &RangeGrant)> = self
            .spent
            .iter()
            .filter_map(|s| match s {
                Spend::Grant {
                    commitment, grant, ..
                } => Some((commitment.digest(), grant)),
                _ => None,
            })
            .collect();
        for (i, (shared, g)) in grants.iter().enumerate() {
            if grants.iter().skip(i + 1).any(|(other_shared, h)| {
                other_shared == shared && h.fields().vendor == g.fields().vendor && h.overlaps(g)
            }) {
                return Err(FraudError::Duplicate);
            }
        }
        let mut budget = max_steps;
        let mut valued: Vec<Valued> = Vec::with_capacity(self.spent.len());
        for s in &self.spent {
            let (v, steps) = s.value(broker_key, &self.certificate, budget)?;
            budget = budget.saturating_sub(u32::try_from(steps).unwrap_or(u32::MAX));
            if valued.iter().any(|w| w.key == v.key) {
                return Err(FraudError::Duplicate);
            }
            valued.push(v);
        }
        let total = capped_total(&valued);
        if total > self.certificate.fields().credit_limit {
            Ok(total)
        } else {
            Err(FraudError::NotFraud)
        }
    }
}
