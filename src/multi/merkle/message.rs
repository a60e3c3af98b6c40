//! The signed root (`MultiCommitment`, tag `0x20`), the vendor's opening (`0x21`) and the leaf claim (`0x22`).

use super::*;

/// The content of a multi-vendor commitment: what the customer signs once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MultiCommitmentFields {
    /// The digest of the customer's certificate.
    pub certificate: Digest,
    /// The tree id (part of every leaf and node hash).
    pub tree: ChainId,
    /// Number of leaves, `1 ..= MAX_LEAVES`.
    pub leaves: u32,
    /// The most all leaves together may be paid, in value units.
    pub total_cap: u64,
    /// First second the commitment may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    /// The Merkle root.
    pub root: Digest,
}

/// A customer-signed Merkle root over per-vendor leaves (PayTree).
///
/// # Examples
///
/// See [`MerkleTree`].
pub type MultiCommitment = Signed<MultiCommitmentFields>;

impl crate::check::UnderCertificate for MultiCommitmentFields {
    fn certificate(&self) -> &Digest {
        &self.certificate
    }

    fn window(&self) -> (u64, u64) {
        (self.valid_from, self.expires)
    }
}

impl crate::wire::sealed::Sealed for MultiCommitmentFields {}

impl SignedFields for MultiCommitmentFields {
    const TAG: u8 = tag::MULTI_COMMITMENT;
    const MAX_LEN: usize = 32 + 16 + 4 + 8 + 8 + 8 + 32;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.certificate.as_bytes());
        w.put(self.tree.as_bytes());
        w.put_u32(self.leaves);
        w.put_u64(self.total_cap);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        w.put(self.root.as_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Digest::from_bytes(r.array("certificate")?);
        let tree = ChainId::from_bytes(r.array("tree id")?);
        let leaves = r.u32("leaves")?;
        if depth_for(leaves).is_none() {
            return Err(DecodeError::LengthOverLimit {
                field: "leaves",
                length: leaves.into(),
                max: MAX_LEAVES.into(),
            });
        }
        let total_cap = r.u64("total_cap")?;
        let (valid_from, expires) = read_validity(r)?;
        let root = Digest::from_bytes(r.array("root")?);
        Ok(Self {
            certificate,
            tree,
            leaves,
            total_cap,
            valid_from,
            expires,
            root,
        })
    }
}

/// What a vendor receives: the signed root, its leaf, the leaf's index and
/// the authentication path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LeafOpening {
    /// The signed root.
    pub commitment: MultiCommitment,
    /// The leaf's index, below the root's leaf count.
    pub index: u32,
    /// The leaf.
    pub leaf: Leaf,
    /// Its authentication path (exactly `depth` hashes).
    pub path: AuthPath,
}

impl LeafOpening {
    /// The leaf's identity (what payments name and the broker keys on).
    ///
    /// # Cost
    ///
    /// One leaf hash.
    #[must_use]
    pub fn leaf_id(&self) -> Digest {
        let f = self.commitment.fields();
        self.leaf
            .digest::<Sha256>(&f.certificate, &f.tree, self.index)
    }

    /// Checks that the leaf is under the signed root (not the signature);
    /// returns the leaf id.
    ///
    /// # Cost
    ///
    /// One leaf hash and `depth ≤ 16` node hashes.
    ///
    /// # Errors
    ///
    /// [`MultiError::NotInTree`].
    pub fn check_path(&self) -> Result<Digest, MultiError> {
        self.check_path_with::<Sha256>()
    }

    /// [`check_path`](Self::check_path) with a chosen hash implementation
    /// (for counting: `Counting<Sha256>` computes the same hashes).
    ///
    /// # Errors
    ///
    /// [`MultiError::NotInTree`].
    pub fn check_path_with<H: TweakableHash>(&self) -> Result<Digest, MultiError> {
        let f = self.commitment.fields();
        if H::ALG != crate::HashAlg::Sha256 {
            return Err(MultiError::NotInTree);
        }
        let id = self.leaf.digest::<H>(&f.certificate, &f.tree, self.index);
        match self.path.root::<H>(&f.tree, f.leaves, self.index, &id) {
            Some(root) if root == f.root => Ok(id),
            _ => Err(MultiError::NotInTree),
        }
    }
}

impl crate::wire::sealed::Sealed for LeafOpening {}

impl Encode for LeafOpening {
    const TAG: u8 = tag::LEAF_OPENING;
    const MAX_LEN: usize = 2 + MultiCommitment::MAX_LEN + 4 + Leaf::MAX_LEN + 1 + 32 * MAX_DEPTH;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.commitment.write(w);
        w.put_u32(self.index);
        self.leaf.write(w);
        self.path.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let commitment = MultiCommitment::read(r)?;
        let index = r.u32("leaf index")?;
        let leaves = commitment.fields().leaves;
        if index >= leaves {
            return Err(DecodeError::NonCanonical {
                field: "leaf index",
            });
        }
        let leaf = Leaf::read(r)?;
        let path = AuthPath::read(r)?;
        if Some(path.len()) != depth_for(leaves) {
            return Err(DecodeError::NonCanonical {
                field: "path length",
            });
        }
        Ok(Self {
            commitment,
            index,
            leaf,
            path,
        })
    }
}

/// A leaf redemption claim (vendor → broker): the certificate, the leaf
/// opening and the highest payment received under the leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LeafClaim {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The signed root, the leaf and its path.
    pub opening: LeafOpening,
    /// The highest payment received (naming the leaf id).
    pub payment: Payment,
}

impl crate::wire::sealed::Sealed for LeafClaim {}

impl Encode for LeafClaim {
    const TAG: u8 = tag::LEAF_CLAIM;
    const MAX_LEN: usize = 2 + Certificate::MAX_LEN + LeafOpening::MAX_LEN + Payment::MAX_LEN;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.opening.write(w);
        self.payment.write(w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            certificate: Certificate::read(r)?,
            opening: LeafOpening::read(r)?,
            payment: Payment::read(r)?,
        })
    }
}
