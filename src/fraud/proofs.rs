//! The per-variant proofs: equivocating grants, overcommitted leaves, a domain past its limits.

use super::*;

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
        self.domain.check_under(broker_key, &self.certificate)?;
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

impl EquivocationProof {
    /// Checks the proof.
    ///
    /// # Errors
    ///
    /// [`FraudError`].
    pub fn verify(&self, broker_key: &PublicKey) -> Result<(), FraudError> {
        self.commitment.check_under(broker_key, &self.certificate)?;
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
        self.commitment.check_under(broker_key, &self.certificate)?;
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
