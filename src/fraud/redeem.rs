//! Redemption of the multi-merchant claims with their fraud evidence: each
//! claim kind authenticates itself into the one pipeline
//! ([`Broker`]'s store, one credit account per certificate); this module
//! turns what the pipeline saw into proofs.

use alloc::vec::Vec;

use super::DomainOverspendProof;
use super::{CreditOverspendProof, EquivocationProof, FraudProof, MAX_PROOF_ENTRIES, OpenedLeaf};
use super::{OvercommitProof, Spend, Valued, capped_total};
use crate::broker::{Broker, DebtRecord, EVIDENCE_PLAIN, GroupRecord, Outcome};
use crate::message::{Certificate, Commitment, Encode, PaymentBody, VendorId};
use crate::multi::MultiError;
use crate::multi::domain::{DeviceClaim, DeviceCommitment, DomainCommitment, EVIDENCE_DEVICE};
use crate::multi::grant::{EVIDENCE_GRANT, GrantClaim, RangeGrant, SharedCommitment};
use crate::multi::merkle::{EVIDENCE_LEAF, LeafClaim, LeafOpening, MultiCommitment, read_member};
use crate::sign::Digest;
use crate::store::Store;

/// The outcome of an accepted leaf, grant or device redemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiRedemption {
    /// The leaf id, grant digest or device commitment digest redeemed (the
    /// debt's key).
    pub key: Digest,
    /// Value newly owed to the vendor by this claim (0 for a duplicate or an
    /// older claim).
    pub owed: u64,
    /// Units paid under the leaf, grant or device commitment in total, after
    /// this claim.
    pub units: u64,
    /// A proof of customer fraud, if this claim revealed one.
    pub fraud: Option<FraudProof>,
}

fn first(outcome: &Outcome) -> (Digest, u64) {
    outcome
        .debts
        .first()
        .map_or((Digest::from_bytes([0; 32]), 0), |d| (d.key, d.units))
}

impl<S: Store> Broker<S> {
    /// Redeems a leaf claim presented by `vendor` at `now`.
    ///
    /// Checks the certificate (this broker's), the customer's signature over
    /// the root, the leaf's path, that the leaf is `vendor`'s, the validity
    /// (with the broker's grace period) and the paywords against the highest
    /// ones recorded for the leaf. Pays at most the leaf's cap, the root's
    /// total cap and the certificate's credit (one account with every other
    /// variant; live reservations honoured). If the leaves redeemed under
    /// one root have caps summing past its total, returns an `Overcommit`
    /// proof.
    ///
    /// # Cost
    ///
    /// Two signature verifications, `1 + depth` Merkle hashes, one read and
    /// one commit, and the chain steps from the recorded paywords to the
    /// claimed ones (at most the broker's budget). A duplicate claim costs
    /// no chain step.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
    /// # use payword::store::MemoryStore;
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
    /// let mut broker: Broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    /// let leaf = Leaf {
    ///     vendor,
    ///     unit_value: 1,
    ///     cap: 50,
    ///     chain: CommittedChain::Single { params, anchor: wallet.anchor() },
    /// };
    /// let tree = MerkleTree::build(cert.digest(), ChainId::from_bytes([6; 16]), vec![leaf])?;
    /// let root = MultiCommitment::sign(tree.fields(0, 100), &customer)?;
    /// let opening = tree.opening(&root, 0).ok_or("no leaf")?;
    /// let p = wallet.nth(9).ok_or("empty")?; // w_10
    /// let claim = LeafClaim {
    ///     certificate: cert,
    ///     opening,
    ///     payment: Payment::new(opening.leaf_id(), PaymentBody::Single(p)),
    /// };
    /// let r = broker.redeem_leaf(&claim, &vendor, 50)?;
    /// assert_eq!((r.owed, r.units, r.fraud), (10, 10, None));
    /// assert_eq!(broker.redeem_leaf(&claim, &vendor, 50)?.owed, 0); // idempotent
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MultiError`]; nothing changes.
    pub fn redeem_leaf(
        &mut self,
        claim: &LeafClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<MultiRedemption, MultiError> {
        let plan = claim.plan((&self.id, &self.key), vendor, (now, self.grace))?;
        let outcome = self.run(&plan, vendor, now)?;
        let fraud = outcome
            .group
            .as_ref()
            .and_then(|g| overcommit_proof(g, &plan.certificate));
        Ok(self.finish(&plan, &outcome, fraud))
    }

    /// Redeems a grant claim presented by `vendor` at `now`.
    ///
    /// Checks the certificate (this broker's), the customer's signatures over
    /// the shared commitment and the grant, that the grant is `vendor`'s and
    /// covers the payword, the validity (with grace), and the payword from
    /// the highest one recorded for the grant (or from `w_a`). A grant of
    /// another vendor overlapping this one, redeemed before, yields an
    /// `Equivocation` proof; both vendors are paid (within the credit limit).
    /// A second, overlapping grant of the *same* vendor is refused.
    ///
    /// # Cost
    ///
    /// Three signature verifications, one read and one commit, and the
    /// chain steps from the recorded payword (at most the broker's budget).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
    /// # use payword::store::MemoryStore;
    /// # let broker_key = SigningKey::from_bytes(&[1; 32]);
    /// # let customer = SigningKey::from_bytes(&[2; 32]);
    /// # let broker_id = BrokerId::from_bytes([1; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: broker_id, serial: 1,
    /// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker_key)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
    /// # let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
    /// let mut broker: Broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    /// let shared = SharedCommitment::sign(SharedCommitmentFields {
    ///     certificate: cert.digest(), unit_value: 1, valid_from: 0, expires: 100,
    ///     params, anchor: wallet.anchor(),
    /// }, &customer)?;
    /// let words: Vec<Payword> = wallet.by_ref().take(30).collect(); // w_1..=w_30
    /// let grant = |v: u8, from: u32| RangeGrant::sign(RangeGrantFields {
    ///     commitment: shared.digest(), vendor: VendorId::from_bytes([v; 32]),
    ///     from, to: from + 20, start: *words[from as usize - 1].word(),
    /// }, &customer);
    /// let claim = |v: u8, from: u32, top: usize| -> Result<GrantClaim, MultiError> {
    ///     Ok(GrantClaim { certificate: cert, commitment: shared, grant: grant(v, from)?, payword: words[top - 1] })
    /// };
    /// // (1, 21] to vendor 8, then (5, 25] to vendor 9: the same paywords twice.
    /// let r = broker.redeem_grant(&claim(8, 1, 21)?, &VendorId::from_bytes([8; 32]), 50)?;
    /// assert_eq!((r.owed, r.fraud), (20, None));
    /// let r = broker.redeem_grant(&claim(9, 5, 25)?, &VendorId::from_bytes([9; 32]), 50)?;
    /// let proof = r.fraud.ok_or("double spend unnoticed")?;
    /// assert_eq!(proof.verify(&broker_key.public_key(), 1 << 16)?, CustomerId::from_bytes([3; 16]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MultiError`]; nothing changes.
    pub fn redeem_grant(
        &mut self,
        claim: &GrantClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<MultiRedemption, MultiError> {
        let plan = claim.plan((&self.id, &self.key), vendor, (now, self.grace))?;
        let outcome = self.run(&plan, vendor, now)?;
        let fraud = outcome.conflict.as_ref().and_then(|other| {
            let first = RangeGrant::decode(&other.bytes).ok()?;
            Some(FraudProof::Equivocation(EquivocationProof {
                certificate: claim.certificate,
                commitment: claim.commitment,
                first,
                second: claim.grant,
            }))
        });
        Ok(self.finish(&plan, &outcome, fraud))
    }

    /// Redeems a device claim presented by `vendor` at `now`.
    ///
    /// Checks the certificate (this broker's), the customer's signature over
    /// the domain, the device's signature under the key the domain lists,
    /// vendor, validity (with grace) and paywords as [`Broker::redeem`]
    /// does. Pays at most the per-device limit per device, the domain limit
    /// per domain and the certificate's credit. When the paywords released
    /// by one device pass the device limit, or by all devices the domain
    /// limit, returns a `DomainOverspent` proof.
    ///
    /// # Cost
    ///
    /// Three signature verifications, one read and one commit, and the
    /// chain steps from the recorded paywords (at most the broker's budget);
    /// building a proof reads the domain's debts.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ed25519_dalek::SigningKey;
    /// # use payword::*;
    /// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
    /// # use payword::store::MemoryStore;
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
    /// let mut broker: Broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    /// let phone = SigningKey::from_bytes(&[8; 32]);
    /// let domain = DomainCommitment::sign(DomainCommitmentFields::new(
    ///     cert.digest(), ChainId::from_bytes([9; 16]), 500, 20, 0, 100, &[phone.public_key()])?,
    ///     &customer)?;
    /// let commitment = DeviceCommitment::sign(DeviceCommitmentFields {
    ///     domain: domain.digest(), device: 0, vendor, unit_value: 1, valid_from: 0, expires: 100,
    ///     chain: CommittedChain::Single { params, anchor: wallet.anchor() },
    /// }, &phone)?;
    /// let p = wallet.nth(29).ok_or("empty")?; // w_30: past the device limit of 20
    /// let claim = DeviceClaim {
    ///     certificate: cert, domain, commitment,
    ///     payment: Payment::new(commitment.digest(), PaymentBody::Single(p)),
    /// };
    /// let r = broker.redeem_device(&claim, &vendor, 50)?;
    /// assert_eq!(r.owed, 20);
    /// assert!(r.fraud.ok_or("overspend unnoticed")?.verify(&broker_key.public_key(), 1 << 16).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`MultiError`]; nothing changes.
    pub fn redeem_device(
        &mut self,
        claim: &DeviceClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<MultiRedemption, MultiError> {
        let plan = claim.plan((&self.id, &self.key), vendor, (now, self.grace))?;
        let outcome = self.run(&plan, vendor, now)?;
        let fraud = match &outcome.group {
            Some(g) => self
                .domain_overspend_proof(
                    g,
                    &claim.certificate,
                    &claim.domain,
                    claim.commitment.fields().device,
                )
                .ok()
                .flatten(),
            None => None,
        };
        Ok(self.finish(&plan, &outcome, fraud))
    }

    /// The outcome of a multi-merchant claim: the variant's own evidence, or
    /// a credit-overspend proof when the credit limit cut what it owed.
    fn finish(
        &mut self,
        plan: &crate::broker::Plan,
        outcome: &Outcome,
        fraud: Option<FraudProof>,
    ) -> MultiRedemption {
        let (key, units) = first(outcome);
        let fraud = match fraud {
            Some(f) => Some(f),
            // The claim is committed: a store failure while gathering the
            // evidence loses no money, and `credit_overspend_proof` builds
            // the proof again later.
            None if outcome.over_limit() => self
                .credit_overspend_proof(&plan.certificate)
                .ok()
                .flatten(),
            None => None,
        };
        MultiRedemption {
            key,
            owed: outcome.owed,
            units,
            fraud,
        }
    }

    /// A `DomainOverspent` proof if the device `device` or the whole domain
    /// released more than its limit: the fewest commitments (most value
    /// first) that show it, if at most [`MAX_PROOF_ENTRIES`].
    fn domain_overspend_proof(
        &mut self,
        group: &GroupRecord,
        certificate: &Certificate,
        domain: &DomainCommitment,
        device: u8,
    ) -> Result<Option<FraudProof>, MultiError> {
        let df = domain.fields();
        let mut all: Vec<(u64, DeviceCommitment, PaymentBody)> = Vec::new();
        for m in &group.members {
            let Ok(c) = DeviceCommitment::decode(&m.bytes) else {
                continue;
            };
            let Some(r) = self.debt_record(&m.id)? else {
                continue;
            };
            if let Some(paid) = r.paid {
                all.push((r.units.saturating_mul(c.fields().unit_value), c, paid));
            }
        }
        all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.digest().cmp(&b.1.digest())));
        let pick = |items: Vec<&(u64, DeviceCommitment, PaymentBody)>, limit: u64| {
            let mut sum: u64 = 0;
            let mut out = Vec::new();
            for (v, c, b) in items {
                if out.len() >= usize::from(MAX_PROOF_ENTRIES) {
                    return None;
                }
                sum = sum.saturating_add(*v);
                out.push((*c, *b));
                if sum > limit {
                    return Some(out);
                }
            }
            None
        };
        let spent = pick(
            all.iter()
                .filter(|x| x.1.fields().device == device)
                .collect(),
            df.device_limit,
        )
        .or_else(|| pick(all.iter().collect(), df.domain_limit));
        Ok(spent.map(|spent| {
            FraudProof::DomainOverspent(DomainOverspendProof {
                certificate: *certificate,
                domain: *domain,
                spent,
            })
        }))
    }

    /// A `CreditOverspent` proof for `certificate`, if the debts redeemed
    /// under it (plain commitments, leaves, grants, devices; each within the
    /// caps the customer signed) are worth more than its credit limit: the
    /// fewest debts, most value first, that show it, if at most
    /// [`MAX_PROOF_ENTRIES`]. (Renewed chains of cascades have no entry
    /// kind in the proof format and are not listed.)
    ///
    /// The redemption methods call it when a claim finds the credit
    /// exhausted; a broker can also call it at any time.
    ///
    /// # Cost
    ///
    /// Two reads of the store (the account, then its debts), linear in the
    /// number of debts ([`MAX_DEBTS`](crate::broker::MAX_DEBTS) at most),
    /// quadratic in at most [`MAX_PROOF_ENTRIES`] entries; no signature and
    /// no chain step.
    ///
    /// # Errors
    ///
    /// [`MultiError::Store`].
    pub fn credit_overspend_proof(
        &mut self,
        certificate: &Certificate,
    ) -> Result<Option<FraudProof>, MultiError> {
        let records = self.debt_records(&certificate.digest())?;
        let mut spends: Vec<(Valued, Spend)> = Vec::new();
        for (key, r) in records {
            if r.units == 0 {
                continue;
            }
            if let Some(s) = spend_of(key, &r) {
                spends.push(s);
            }
        }
        let limit = certificate.fields().credit_limit;
        if capped_total(spends.iter().map(|(v, _)| v)) <= limit {
            return Ok(None);
        }
        spends.sort_by(|a, b| b.0.value.cmp(&a.0.value).then(a.0.key.cmp(&b.0.key)));
        let max = spends.len().min(usize::from(MAX_PROOF_ENTRIES));
        let Some(n) =
            (1..=max).find(|&n| capped_total(spends.iter().take(n).map(|(v, _)| v)) > limit)
        else {
            return Ok(None);
        };
        Ok(Some(FraudProof::CreditOverspent(CreditOverspendProof {
            certificate: *certificate,
            spent: spends.into_iter().take(n).map(|(_, s)| s).collect(),
        })))
    }
}

/// A debt as a proof entry, with what it is worth and where its caps apply.
fn spend_of(key: Digest, r: &DebtRecord) -> Option<(Valued, Spend)> {
    let paid = r.paid?;
    let (&kind, rest) = r.evidence.split_first()?;
    match kind {
        EVIDENCE_PLAIN => {
            let commitment = Commitment::decode(rest).ok()?;
            let value = r.units.saturating_mul(commitment.fields().unit_value);
            Some((
                Valued {
                    key,
                    value,
                    root: None,
                    device: None,
                },
                Spend::Plain { commitment, paid },
            ))
        }
        EVIDENCE_LEAF => {
            let opening = LeafOpening::decode(rest).ok()?;
            let leaf = &opening.leaf;
            let value = r.units.saturating_mul(leaf.unit_value).min(leaf.cap);
            let total = opening.commitment.fields().total_cap;
            Some((
                Valued {
                    key,
                    value,
                    root: Some((opening.commitment.digest(), total)),
                    device: None,
                },
                Spend::Leaf { opening, paid },
            ))
        }
        EVIDENCE_GRANT => {
            let mut r2 = crate::wire::Reader::new(rest);
            let commitment = SharedCommitment::read(&mut r2).ok()?;
            let grant = RangeGrant::read(&mut r2).ok()?;
            r2.finish().ok()?;
            let PaymentBody::Single(paid) = paid else {
                return None;
            };
            let value = r.units.saturating_mul(commitment.fields().unit_value);
            Some((
                Valued {
                    key,
                    value,
                    root: None,
                    device: None,
                },
                Spend::Grant {
                    commitment,
                    grant,
                    paid,
                },
            ))
        }
        EVIDENCE_DEVICE => {
            let mut r2 = crate::wire::Reader::new(rest);
            let domain = DomainCommitment::read(&mut r2).ok()?;
            let commitment = DeviceCommitment::read(&mut r2).ok()?;
            r2.finish().ok()?;
            let f = commitment.fields();
            let df = domain.fields();
            Some((
                Valued {
                    key,
                    value: r.units.saturating_mul(f.unit_value),
                    root: None,
                    device: Some((domain.digest(), f.device, df.device_limit, df.domain_limit)),
                },
                Spend::Device {
                    domain,
                    commitment,
                    paid,
                },
            ))
        }
        _ => None,
    }
}

/// An `Overcommit` proof for a root whose redeemed leaves have caps summing
/// past its total: the fewest leaves that do (largest caps first), if at
/// most [`MAX_PROOF_ENTRIES`].
fn overcommit_proof(group: &GroupRecord, certificate: &Certificate) -> Option<FraudProof> {
    let commitment = MultiCommitment::decode(&group.header).ok()?;
    let total = commitment.fields().total_cap;
    let mut leaves: Vec<OpenedLeaf> = group
        .members
        .iter()
        .filter_map(|m| read_member(&m.bytes))
        .map(|(index, leaf, path)| OpenedLeaf { index, leaf, path })
        .collect();
    leaves.sort_by(|a, b| b.leaf.cap.cmp(&a.leaf.cap).then(a.index.cmp(&b.index)));
    let mut sum: u64 = 0;
    let mut chosen = Vec::new();
    for l in leaves {
        if chosen.len() >= usize::from(MAX_PROOF_ENTRIES) {
            return None;
        }
        sum = sum.saturating_add(l.leaf.cap);
        chosen.push(l);
        if sum > total {
            chosen.sort_by_key(|l| l.index);
            return Some(FraudProof::Overcommit(OvercommitProof {
                certificate: *certificate,
                commitment,
                leaves: chosen,
            }));
        }
    }
    None
}
