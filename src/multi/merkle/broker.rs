//! The broker side: leaf redemption and overcommit proofs.

use super::*;

/// What the broker keeps per signed root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RootEntry {
    pub(crate) commitment: MultiCommitment,
    pub(crate) certificate: Certificate,
    pub(crate) credited: u64,
    /// Leaves redeemed so far, by index.
    pub(crate) leaves: BTreeMap<u32, (Leaf, AuthPath)>,
}

impl<L: Ledger> Broker<L> {
    /// Redeems a leaf claim presented by `vendor` at `now`.
    ///
    /// Checks the certificate (this broker's), the customer's signature over
    /// the root, the leaf's path, that the leaf is `vendor`'s, the validity
    /// (with the broker's grace period) and the paywords against the highest
    /// ones recorded for the leaf. Pays at most the leaf's cap, the root's
    /// total cap and the certificate's credit (shared with plain commitments
    /// and grants; reservations honoured). If the leaves redeemed under one
    /// root have caps summing past its total, returns an `Overcommit` proof.
    ///
    /// # Cost
    ///
    /// Two signature verifications, `1 + depth` Merkle hashes, and the chain
    /// steps from the recorded paywords to the claimed ones (at most the
    /// broker's budget). A duplicate claim costs no chain step.
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
        let LeafClaim {
            certificate,
            opening,
            payment,
        } = claim;
        if certificate.fields().broker != self.id {
            return Err(MultiError::WrongBroker);
        }
        let root = &opening.commitment;
        root.check(&self.key, certificate)?;
        let rf = root.fields();
        let leaf = &opening.leaf;
        if leaf.vendor != *vendor {
            return Err(MultiError::WrongVendor);
        }
        if now < rf.valid_from {
            return Err(SessionError::NotYetValid.into());
        }
        if now > rf.expires.saturating_add(self.grace) {
            return Err(SessionError::Expired.into());
        }
        if leaf.cap > rf.total_cap {
            return Err(MultiError::CapOverTotal);
        }
        let id = opening.check_path()?;
        if *payment.commitment() != id {
            return Err(MultiError::WrongCommitment);
        }
        leaf.chain
            .capacity()
            .checked_mul(leaf.unit_value)
            .ok_or(MultiError::Overflow)?;
        let previous = self.multi.keys.get(&id).copied();
        let mut state =
            ChainState::new(&leaf.chain, previous.as_ref().map(|e| &e.paid), self.limit)?;
        let before = state.paid();
        let root_id = root.digest();
        let Some(body) =
            crate::broker::newer_parts(payment.body(), previous.as_ref().map(|e| &e.paid))
        else {
            return Ok(MultiRedemption {
                key: id,
                owed: 0,
                units: before,
                fraud: self.overcommit_proof(&root_id),
            });
        };
        state.accept(&body)?;
        let units = state.paid();
        let paid = state.last().unwrap_or(body);
        let value = units.saturating_sub(before).saturating_mul(leaf.unit_value);
        let cert_id = certificate.digest();
        let leaf_credited = previous.map_or(0, |e| e.credited);
        let root_credited = self.multi.roots.get(&root_id).map_or(0, |r| r.credited);
        let available = self.multi.available(
            certificate.fields().credit_limit,
            self.ledger.credited(&cert_id),
            &cert_id,
            &id,
            now,
        );
        let capped = value
            .min(leaf.cap.saturating_sub(leaf_credited))
            .min(rf.total_cap.saturating_sub(root_credited));
        let owed = capped.min(available);
        self.multi.keys.insert(
            id,
            KeyEntry {
                paid,
                units,
                credited: leaf_credited.saturating_add(owed),
            },
        );
        let entry = self
            .multi
            .roots
            .entry(root_id)
            .or_insert_with(|| RootEntry {
                commitment: *root,
                certificate: *certificate,
                credited: 0,
                leaves: BTreeMap::new(),
            });
        entry.credited = entry.credited.saturating_add(owed);
        entry
            .leaves
            .entry(opening.index)
            .or_insert((*leaf, opening.path));
        self.multi.credit(&cert_id, owed);
        self.multi.use_reservation(&cert_id, &id, owed);
        let fraud = self.overcommit_proof(&root_id).or_else(|| {
            (capped > available)
                .then(|| self.credit_overspend_proof(certificate))
                .flatten()
        });
        Ok(MultiRedemption {
            key: id,
            owed,
            units,
            fraud,
        })
    }

    /// An `Overcommit` proof for a root whose redeemed leaves have caps
    /// summing past its total: the fewest leaves that do (largest caps
    /// first), if at most [`MAX_PROOF_ENTRIES`](crate::fraud::MAX_PROOF_ENTRIES).
    fn overcommit_proof(&self, root: &Digest) -> Option<crate::fraud::FraudProof> {
        let entry = self.multi.roots.get(root)?;
        let total = entry.commitment.fields().total_cap;
        let mut leaves: Vec<_> = entry.leaves.iter().collect();
        leaves.sort_by(|a, b| b.1.0.cap.cmp(&a.1.0.cap).then(a.0.cmp(b.0)));
        let mut sum: u64 = 0;
        let mut chosen = Vec::new();
        for (index, (leaf, path)) in leaves {
            if chosen.len() >= usize::from(crate::fraud::MAX_PROOF_ENTRIES) {
                return None;
            }
            sum = sum.saturating_add(leaf.cap);
            chosen.push(crate::fraud::OpenedLeaf {
                index: *index,
                leaf: *leaf,
                path: *path,
            });
            if sum > total {
                chosen.sort_by_key(|l| l.index);
                return Some(crate::fraud::FraudProof::Overcommit(
                    crate::fraud::OvercommitProof {
                        certificate: entry.certificate,
                        commitment: entry.commitment,
                        leaves: chosen,
                    },
                ));
            }
        }
        None
    }
}
