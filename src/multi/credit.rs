//! Credit overspending across variants: the broker's side of
//! [`FraudProof::CreditOverspent`](crate::fraud::FraudProof::CreditOverspent).

use alloc::vec::Vec;

use crate::broker::{Broker, Ledger};
use crate::fraud::{
    CreditOverspendProof, FraudProof, MAX_PROOF_ENTRIES, Spend, Valued, capped_total,
};
use crate::message::{Certificate, PaymentBody};
use crate::multi::merkle::LeafOpening;

impl<L: Ledger> Broker<L> {
    /// A `CreditOverspent` proof for `certificate`, if the debts redeemed
    /// under it (plain commitments, leaves, grants, devices; each within the
    /// caps the customer signed) are worth more than its credit limit: the
    /// fewest debts, most value first, that show it, if at most
    /// [`MAX_PROOF_ENTRIES`].
    ///
    /// The redemption methods of this module call it when a claim finds the
    /// credit exhausted; a broker can also call it at any time.
    ///
    /// # Cost
    ///
    /// Linear in the broker's state (one Merkle leaf hash per redeemed leaf
    /// of the certificate), quadratic in at most [`MAX_PROOF_ENTRIES`]
    /// entries; no signature and no chain step.
    #[must_use]
    pub fn credit_overspend_proof(&self, certificate: &Certificate) -> Option<FraudProof> {
        let cert_id = certificate.digest();
        let mut spends: Vec<(Valued, Spend)> = Vec::new();
        // Entries that paid nothing (a cascade's placeholder at the anchor)
        // prove nothing and would not verify: skip them.
        for e in self
            .ledger
            .entries(&cert_id)
            .into_iter()
            .filter(|e| e.units > 0)
        {
            let value = e.units.saturating_mul(e.commitment.fields().unit_value);
            let key = e.commitment.digest();
            spends.push((
                Valued {
                    key,
                    value,
                    root: None,
                    device: None,
                },
                Spend::Plain {
                    commitment: e.commitment,
                    paid: e.paid,
                },
            ));
        }
        for (root_id, r) in &self.multi.roots {
            if r.certificate != *certificate {
                continue;
            }
            for (index, (leaf, path)) in &r.leaves {
                let opening = LeafOpening {
                    commitment: r.commitment,
                    index: *index,
                    leaf: *leaf,
                    path: *path,
                };
                let key = opening.leaf_id();
                let Some(e) = self.multi.keys.get(&key) else {
                    continue;
                };
                let value = e.units.saturating_mul(leaf.unit_value).min(leaf.cap);
                let total = r.commitment.fields().total_cap;
                spends.push((
                    Valued {
                        key,
                        value,
                        root: Some((*root_id, total)),
                        device: None,
                    },
                    Spend::Leaf {
                        opening,
                        paid: e.paid,
                    },
                ));
            }
        }
        for sh in self.multi.shared.values() {
            if sh.certificate != *certificate {
                continue;
            }
            for g in &sh.grants {
                let key = g.digest();
                let Some(e) = self.multi.keys.get(&key) else {
                    continue;
                };
                let PaymentBody::Single(paid) = e.paid else {
                    continue;
                };
                let value = e.units.saturating_mul(sh.commitment.fields().unit_value);
                spends.push((
                    Valued {
                        key,
                        value,
                        root: None,
                        device: None,
                    },
                    Spend::Grant {
                        commitment: sh.commitment,
                        grant: *g,
                        paid,
                    },
                ));
            }
        }
        for (domain_id, d) in &self.multi.domains {
            if d.certificate != *certificate {
                continue;
            }
            let df = d.domain.fields();
            for (key, c) in &d.commitments {
                let Some(e) = self.multi.keys.get(key) else {
                    continue;
                };
                let f = c.fields();
                spends.push((
                    Valued {
                        key: *key,
                        value: e.units.saturating_mul(f.unit_value),
                        root: None,
                        device: Some((*domain_id, f.device, df.device_limit, df.domain_limit)),
                    },
                    Spend::Device {
                        domain: d.domain,
                        commitment: *c,
                        paid: e.paid,
                    },
                ));
            }
        }
        let limit = certificate.fields().credit_limit;
        if capped_total(spends.iter().map(|(v, _)| v)) <= limit {
            return None;
        }
        spends.sort_by(|a, b| b.0.value.cmp(&a.0.value).then(a.0.key.cmp(&b.0.key)));
        let max = spends.len().min(usize::from(MAX_PROOF_ENTRIES));
        let n = (1..=max).find(|&n| capped_total(spends.iter().take(n).map(|(v, _)| v)) > limit)?;
        Some(FraudProof::CreditOverspent(CreditOverspendProof {
            certificate: *certificate,
            spent: spends.into_iter().take(n).map(|(_, s)| s).collect(),
        }))
    }
}
