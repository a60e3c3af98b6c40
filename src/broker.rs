//! The broker: redemption of claims against a ledger, and overspending proofs.
//!
//! Redemption is idempotent and order-free: for each commitment the ledger
//! keeps the highest paywords ever presented, and what is owed is what those
//! paywords pay (`units × unit value`), whatever the order of the claims and
//! however often one is repeated. The total owed under one certificate never
//! exceeds its credit limit; a claim past it is paid up to the limit and
//! returns an [`OverspendProof`], built only from customer-signed commitments
//! and the paywords the customer released, that anyone holding the broker's
//! public key can check.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use crate::check::{ChainState, SessionError, check_signed};
use crate::message::{BrokerId, Certificate, Commitment, PaymentBody, RedemptionClaim, VendorId};
use crate::sign::{Digest, PublicKey};

/// The default budget for one claim: at most this many chain steps
/// (2^24, about 0.7 s of SHA-256 on one desktop core).
pub const DEFAULT_CLAIM_STEP_LIMIT: u32 = 1 << 24;

/// What a ledger keeps per commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The certificate the commitment is under.
    pub certificate: Certificate,
    /// The signed commitment.
    pub commitment: Commitment,
    /// The highest paywords presented so far.
    pub paid: PaymentBody,
    /// Units those paywords pay.
    pub units: u64,
    /// Value credited to the vendor so far (at most `units × unit value`;
    /// less only if the certificate's credit ran out).
    pub credited: u64,
}

/// Storage for redemption state, keyed by commitment digest.
pub trait Ledger {
    /// The entry of a commitment, if it was ever redeemed.
    fn entry(&self, commitment: &Digest) -> Option<LedgerEntry>;

    /// The value credited in total under a certificate.
    fn credited(&self, certificate: &Digest) -> u64;

    /// Stores an entry (replacing the previous one for its commitment) and
    /// adds `delta` to the certificate's credited total.
    fn store(&mut self, certificate: &Digest, commitment: &Digest, entry: LedgerEntry, delta: u64);

    /// Every entry under a certificate (for building proofs).
    fn entries(&self, certificate: &Digest) -> Vec<LedgerEntry>;

    /// The renewal link redeemed as the successor of the chain with digest
    /// `previous`, if any (see [`Broker::redeem_cascade`]). The default keeps
    /// none, and then a one-time key that signed two links is only caught by
    /// the vendor's session.
    fn link(&self, previous: &Digest) -> Option<crate::renew::RenewalLink> {
        let _ = previous;
        None
    }

    /// Records a redeemed renewal link under the digest of the chain it
    /// continues (the first one only). The default records nothing.
    fn store_link(&mut self, link: &crate::renew::RenewalLink) {
        let _ = link;
    }
}

/// An in-memory [`Ledger`].
#[derive(Clone, Debug, Default)]
pub struct MemoryLedger {
    entries: BTreeMap<Digest, LedgerEntry>,
    by_certificate: BTreeMap<Digest, (u64, Vec<Digest>)>,
    links: BTreeMap<Digest, crate::renew::RenewalLink>,
}

impl MemoryLedger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of commitments with an entry.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no commitment was redeemed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Ledger for MemoryLedger {
    fn entry(&self, commitment: &Digest) -> Option<LedgerEntry> {
        self.entries.get(commitment).copied()
    }

    fn credited(&self, certificate: &Digest) -> u64 {
        self.by_certificate.get(certificate).map_or(0, |c| c.0)
    }

    fn store(&mut self, certificate: &Digest, commitment: &Digest, entry: LedgerEntry, delta: u64) {
        let slot = self.by_certificate.entry(*certificate).or_default();
        slot.0 = slot.0.saturating_add(delta);
        if self.entries.insert(*commitment, entry).is_none() {
            slot.1.push(*commitment);
        }
    }

    fn entries(&self, certificate: &Digest) -> Vec<LedgerEntry> {
        self.by_certificate
            .get(certificate)
            .map(|(_, ds)| {
                ds.iter()
                    .filter_map(|d| self.entries.get(d).copied())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn link(&self, previous: &Digest) -> Option<crate::renew::RenewalLink> {
        self.links.get(previous).cloned()
    }

    fn store_link(&mut self, link: &crate::renew::RenewalLink) {
        self.links
            .entry(link.fields().previous)
            .or_insert_with(|| link.clone());
    }
}

/// Why a claim was refused. A refused claim changes nothing in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedeemError {
    /// The certificate is from another broker.
    WrongBroker,
    /// A signature, vendor, validity or payword check failed.
    Invalid(SessionError),
    /// The claim's payment names another commitment.
    PaymentMismatch,
}

impl fmt::Display for RedeemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongBroker => f.write_str("certificate is from another broker"),
            Self::Invalid(e) => write!(f, "claim refused: {e}"),
            Self::PaymentMismatch => f.write_str("payment names another commitment"),
        }
    }
}

impl core::error::Error for RedeemError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for RedeemError {
    fn from(e: SessionError) -> Self {
        Self::Invalid(e)
    }
}

/// The outcome of an accepted claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// The commitment redeemed.
    pub commitment: Digest,
    /// Value newly owed to the vendor by this claim (0 for a duplicate or an
    /// older claim).
    pub owed: u64,
    /// Units paid under the commitment in total, after this claim.
    pub units: u64,
    /// Set when the certificate's credit limit was exceeded: the proof that
    /// the customer overspent.
    pub overspent: Option<OverspendProof>,
}

/// Redeems claims for one broker.
///
/// # Examples
///
/// See `examples/quickstart.rs`.
#[derive(Clone, Debug)]
pub struct Broker<L: Ledger = MemoryLedger> {
    pub(crate) id: BrokerId,
    pub(crate) key: PublicKey,
    pub(crate) ledger: L,
    pub(crate) limit: u32,
    pub(crate) grace: u64,
    /// State of the multi-merchant variants (leaves, grants, reservations).
    pub(crate) multi: crate::multi::MultiState,
}

impl<L: Ledger> Broker<L> {
    /// A broker with identity `id` whose certificates verify under `key`.
    /// Claims are accepted until `grace` seconds after a commitment expires.
    #[must_use]
    pub const fn new(id: BrokerId, key: PublicKey, ledger: L, grace: u64) -> Self {
        Self {
            id,
            key,
            ledger,
            limit: DEFAULT_CLAIM_STEP_LIMIT,
            grace,
            multi: crate::multi::MultiState::new(),
        }
    }

    /// Sets the per-claim budget in chain steps.
    #[must_use]
    pub const fn with_limit(mut self, max_steps: u32) -> Self {
        self.limit = max_steps;
        self
    }

    /// The ledger.
    #[must_use]
    pub const fn ledger(&self) -> &L {
        &self.ledger
    }

    /// Redeems a claim presented by `vendor` at time `now`.
    ///
    /// Checks the certificate (this broker's, signature), the commitment
    /// (customer's signature, names the certificate, within its validity,
    /// for `vendor`, not expired more than the grace period before `now`), and
    /// the paywords against the highest ones already recorded.
    ///
    /// # Cost
    ///
    /// Two signature verifications, and the chain steps from the recorded
    /// paywords to the claimed ones: at most the broker's budget, checked before
    /// hashing. A duplicate or older claim costs no hash.
    ///
    /// # Errors
    ///
    /// [`RedeemError`]; the ledger is unchanged.
    pub fn redeem(
        &mut self,
        claim: &RedemptionClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Redemption, RedeemError> {
        let RedemptionClaim {
            certificate,
            commitment,
            payment,
        } = claim;
        if certificate.fields().broker != self.id {
            return Err(RedeemError::WrongBroker);
        }
        check_signed(&self.key, certificate, commitment)?;
        let mf = commitment.fields();
        if mf.vendor != *vendor {
            return Err(SessionError::WrongVendor.into());
        }
        if now < mf.valid_from {
            return Err(SessionError::NotYetValid.into());
        }
        if now > mf.expires.saturating_add(self.grace) {
            return Err(SessionError::Expired.into());
        }
        let digest = commitment.digest();
        if *payment.commitment() != digest {
            return Err(RedeemError::PaymentMismatch);
        }
        mf.chain
            .capacity()
            .checked_mul(mf.unit_value)
            .ok_or(SessionError::Overflow)?;
        let previous = self.ledger.entry(&digest);
        let mut state = ChainState::new(&mf.chain, previous.as_ref().map(|e| &e.paid), self.limit)?;
        let before = state.paid();
        let newer = newer_parts(payment.body(), previous.as_ref().map(|e| &e.paid));
        let Some(body) = newer else {
            // Duplicate or older claim: nothing new, no hashing.
            return Ok(Redemption {
                commitment: digest,
                owed: 0,
                units: before,
                overspent: None,
            });
        };
        state.accept(&body)?;
        let units = state.paid();
        let paid = state.last().unwrap_or(body);
        let value = units.saturating_sub(before).saturating_mul(mf.unit_value);
        let cert_digest = certificate.digest();
        // Credit is shared with leaves and grants, and reservations of other
        // commitments are off limits (see `multi`).
        let available = self.multi.available(
            certificate.fields().credit_limit,
            self.ledger.credited(&cert_digest),
            &cert_digest,
            &digest,
            now,
        );
        let owed = value.min(available);
        let credited = previous.map_or(0, |e| e.credited).saturating_add(owed);
        let entry = LedgerEntry {
            certificate: *certificate,
            commitment: *commitment,
            paid,
            units,
            credited,
        };
        self.ledger.store(&cert_digest, &digest, entry, owed);
        self.multi.use_reservation(&cert_digest, &digest, owed);
        // A proof only when the plain commitments alone exceed the limit (not
        // when credit ran short because of leaves, grants or reservations).
        let overspent = if value > available {
            // An entry that paid nothing (a cascade's placeholder at the
            // anchor) proves nothing and would not verify.
            let entries: Vec<LedgerEntry> = self
                .ledger
                .entries(&cert_digest)
                .into_iter()
                .filter(|e| e.units > 0)
                .collect();
            let released = entries.iter().fold(0u64, |t, e| {
                t.saturating_add(e.units.saturating_mul(e.commitment.fields().unit_value))
            });
            (released > certificate.fields().credit_limit).then(|| OverspendProof {
                certificate: *certificate,
                spent: entries
                    .into_iter()
                    .map(|e| (e.commitment, e.paid))
                    .collect(),
            })
        } else {
            None
        };
        Ok(Redemption {
            commitment: digest,
            owed,
            units,
            overspent,
        })
    }
}

/// The parts of `claimed` that are above what the ledger has, or `None` if
/// nothing is new.
pub(crate) fn newer_parts(
    claimed: &PaymentBody,
    recorded: Option<&PaymentBody>,
) -> Option<PaymentBody> {
    match (claimed, recorded) {
        // Index 0 is the anchor: it pays nothing and is never "new".
        (PaymentBody::Single(c), None) => (c.index() > 0).then_some(*claimed),
        (PaymentBody::Purse(c), None) => {
            let mut out = crate::PursePayment::new();
            for (j, p) in c.parts().filter(|(_, p)| p.index() > 0) {
                out = out.with(j, *p);
            }
            out.parts()
                .next()
                .is_some()
                .then_some(PaymentBody::Purse(out))
        }
        (PaymentBody::Single(c), Some(PaymentBody::Single(r))) => {
            (c.index() > r.index()).then_some(*claimed)
        }
        (PaymentBody::Purse(c), Some(PaymentBody::Purse(r))) => {
            let mut out = crate::PursePayment::new();
            let mut any = false;
            for (j, p) in c.parts() {
                if p.index() > r.part(j).map_or(0, |q| q.index()) {
                    out = out.with(j, *p);
                    any = true;
                }
            }
            any.then_some(PaymentBody::Purse(out))
        }
        // A kind mismatch: let the receiver refuse it.
        (c, Some(_)) => Some(*c),
    }
}

/// Proof that a customer released paywords worth more than the credit limit
/// of their certificate: the certificate and, for each commitment, the
/// customer-signed commitment and the highest paywords redeemed.
///
/// Every object in it is signed by the customer (commitments) or the broker
/// (certificate) or is a preimage only the customer could reveal (paywords), so
/// it never blames a customer who stayed within the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverspendProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// Commitments under it with the highest paywords redeemed.
    pub spent: Vec<(Commitment, PaymentBody)>,
}

/// Why an [`OverspendProof`] does not prove anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// A signature, commitment or payword check failed.
    Invalid(SessionError),
    /// The same commitment is listed twice.
    Duplicate,
    /// Verifying would take more chain steps than the budget.
    OverBudget,
    /// The total is within the credit limit: no overspending.
    WithinLimit,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "invalid proof: {e}"),
            Self::Duplicate => f.write_str("a commitment is listed twice"),
            Self::OverBudget => f.write_str("proof needs more hashing than the budget"),
            Self::WithinLimit => f.write_str("total is within the credit limit"),
        }
    }
}

impl core::error::Error for ProofError {}

impl OverspendProof {
    /// Checks the proof with the broker's public key; returns the total value
    /// the customer released (which is above the credit limit).
    ///
    /// # Cost
    ///
    /// `1 + k` signature verifications for `k` commitments and the chain steps
    /// from each anchor to the paywords, at most `max_steps` in total (checked
    /// per commitment before its hashing).
    ///
    /// # Errors
    ///
    /// [`ProofError`].
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<u64, ProofError> {
        let mut budget = max_steps;
        let mut total: u64 = 0;
        let mut seen: Vec<Digest> = Vec::new();
        for (commitment, paid) in &self.spent {
            check_signed(broker_key, &self.certificate, commitment).map_err(ProofError::Invalid)?;
            let d = commitment.digest();
            if seen.contains(&d) {
                return Err(ProofError::Duplicate);
            }
            seen.push(d);
            let mf = commitment.fields();
            let mut state =
                ChainState::new(&mf.chain, None, budget).map_err(ProofError::Invalid)?;
            let units = state.accept(paid).map_err(|e| match e {
                SessionError::Payment(crate::VerifyError::OverBudget { .. }) => {
                    ProofError::OverBudget
                }
                e => ProofError::Invalid(e),
            })?;
            budget = budget.saturating_sub(u32::try_from(steps_of(paid)).unwrap_or(u32::MAX));
            total = total.saturating_add(units.saturating_mul(mf.unit_value));
        }
        if total > self.certificate.fields().credit_limit {
            Ok(total)
        } else {
            Err(ProofError::WithinLimit)
        }
    }
}

/// Chain steps to verify `body` from the anchors.
fn steps_of(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(p) => p.parts().map(|(_, q)| u64::from(q.index())).sum(),
    }
}
