//! PayTree-style Merkle commitment: one customer signature for many vendors.
//!
//! The customer builds a [`MerkleTree`] whose leaves each bind a vendor id, a
//! committed chain (or purse), its unit value and that vendor's cap, signs
//! the root once as a [`MultiCommitment`] (which also states the total cap),
//! and hands each vendor a [`LeafOpening`]: the signed root, the vendor's
//! leaf, its index and authentication path. The vendor's [`LeafSession`]
//! checks the path once (one leaf hash and `depth` node hashes) and then
//! verifies payments exactly as a single-vendor [`Session`](crate::Session).
//!
//! Hashes (SHA-256 through the crate's tweakable hash; `id` is the tree id of
//! the signed root):
//!
//! - leaf `j`: `H(Tweak(MerkleLeaf, id, j) ‖ certificate digest ‖ leaf encoding)`;
//!   it is the leaf's identity (payments name it, the broker keys on it);
//! - node at heap position `p` (root 1, children of `p` at `2p`, `2p + 1`):
//!   `H(Tweak(MerkleNode, id, p) ‖ left ‖ right)`;
//! - slots past the last leaf (up to the next power of two) hold 32 zero
//!   bytes, which no leaf hashes to.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::{
    KeyEntry, MAX_DEPTH, MAX_LEAVES, MultiError, MultiRedemption, check_customer_signed,
    read_validity, tag,
};
use crate::broker::{Broker, Ledger};
use crate::chain::ChainId;
use crate::hash::{Role, Sha256, Tweak, TweakableHash};
use crate::message::{Certificate, CommittedChain, Encode, Payment, VendorId};
use crate::session::{ChainState, SessionError, check_window};
use crate::sign::{Digest, PublicKey, Signed, SignedFields};
use crate::wire::{DecodeError, Reader, Writer};

/// Largest encoding of a [`CommittedChain`] (a purse of 8 denominations).
const CHAIN_MAX_LEN: usize = 1 + 1 + 16 + 4 + 1 + 4 + 32 * crate::MAX_DENOMINATIONS;

/// The depth of a tree of `leaves` leaves: `⌈log₂ leaves⌉`, or `None` for 0
/// leaves or more than [`MAX_LEAVES`].
///
/// # Examples
///
/// ```
/// use payword::multi::merkle::depth_for;
///
/// assert_eq!(depth_for(1), Some(0));
/// assert_eq!(depth_for(3), Some(2));
/// assert_eq!(depth_for(1 << 16), Some(16));
/// assert_eq!(depth_for(0), None);
/// ```
#[must_use]
pub const fn depth_for(leaves: u32) -> Option<usize> {
    if leaves == 0 || leaves > MAX_LEAVES {
        return None;
    }
    let d = u32::BITS - (leaves - 1).leading_zeros();
    Some(d as usize)
}

/// One vendor's leaf: what the customer commits to for that vendor.
///
/// # Examples
///
/// ```
/// use payword::multi::merkle::Leaf;
/// use payword::{Anchor, ChainId, ChainParams, CommittedChain, HashAlg, VendorId};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 100)?;
/// let leaf = Leaf {
///     vendor: VendorId::from_bytes([7; 32]),
///     unit_value: 1,
///     cap: 100,
///     chain: CommittedChain::Single { params, anchor: Anchor::from_bytes([0; 32]) },
/// };
/// assert_eq!(leaf.encoded_len(), 48 + 54);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Leaf {
    /// The vendor this leaf pays.
    pub vendor: VendorId,
    /// Value of one unit; at least 1.
    pub unit_value: u64,
    /// The most this vendor can be paid under the leaf, in value units; at
    /// least 1.
    pub cap: u64,
    /// The committed chain(s).
    pub chain: CommittedChain,
}

impl Leaf {
    /// Largest encoding.
    pub const MAX_LEN: usize = 32 + 8 + 8 + CHAIN_MAX_LEN;

    /// Length of this leaf's encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let mut w = Writer::new(&mut []);
        self.write(&mut w);
        w.position()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.put(self.vendor.as_bytes());
        w.put_u64(self.unit_value);
        w.put_u64(self.cap);
        self.chain.write(w);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let unit_value = r.u64("unit_value")?;
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        let cap = r.u64("cap")?;
        if cap == 0 {
            return Err(DecodeError::NonCanonical { field: "cap" });
        }
        let chain = CommittedChain::read(r)?;
        Ok(Self {
            vendor,
            unit_value,
            cap,
            chain,
        })
    }

    /// The leaf's hash at `index` of tree `tree` under `certificate`: its
    /// identity.
    ///
    /// # Cost
    ///
    /// One hash of at most 388 bytes (SHA-256: 2 compressions for a single
    /// chain).
    #[must_use]
    pub fn digest<H: TweakableHash>(
        &self,
        certificate: &Digest,
        tree: &ChainId,
        index: u32,
    ) -> Digest {
        let mut buf = [0u8; 32 + Self::MAX_LEN];
        let mut w = Writer::new(&mut buf);
        w.put(certificate.as_bytes());
        self.write(&mut w);
        let len = w.position().min(buf.len());
        let tweak = Tweak::new(Role::MerkleLeaf, *tree, index);
        Digest::from_bytes(H::hash_parts(&tweak, &[buf.get(..len).unwrap_or(&[])]))
    }
}

fn node<H: TweakableHash>(
    tree: &ChainId,
    position: u32,
    left: &[u8; 32],
    right: &[u8; 32],
) -> [u8; 32] {
    H::hash_parts(
        &Tweak::new(Role::MerkleNode, *tree, position),
        &[left, right],
    )
}

/// An authentication path: the sibling hashes from a leaf up to the root,
/// at most [`MAX_DEPTH`]. Fixed size, no allocation.
///
/// # Examples
///
/// ```
/// use payword::multi::merkle::AuthPath;
///
/// let p = AuthPath::from_slice(&[[1; 32], [2; 32]]).expect("short enough");
/// assert_eq!(p.len(), 2);
/// assert!(AuthPath::from_slice(&[[0; 32]; 17]).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthPath {
    len: u8,
    nodes: [[u8; 32]; MAX_DEPTH],
}

impl AuthPath {
    /// A path from sibling hashes, lowest first; `None` if more than
    /// [`MAX_DEPTH`].
    #[must_use]
    pub fn from_slice(nodes: &[[u8; 32]]) -> Option<Self> {
        if nodes.len() > MAX_DEPTH {
            return None;
        }
        let mut out = [[0u8; 32]; MAX_DEPTH];
        out.get_mut(..nodes.len())?.copy_from_slice(nodes);
        Some(Self {
            len: u8::try_from(nodes.len()).ok()?,
            nodes: out,
        })
    }

    /// Number of hashes.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the path is empty (a tree of one leaf).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sibling hashes, lowest first.
    #[must_use]
    pub fn as_slice(&self) -> &[[u8; 32]] {
        self.nodes.get(..self.len()).unwrap_or(&[])
    }

    /// The root this path leads to from `leaf` at `index` of a tree of
    /// `leaves` leaves; `None` if the index or the path length does not fit
    /// the tree.
    ///
    /// # Cost
    ///
    /// `depth` node hashes (SHA-256: 2 compressions each), none if a check
    /// fails.
    #[must_use]
    pub fn root<H: TweakableHash>(
        &self,
        tree: &ChainId,
        leaves: u32,
        index: u32,
        leaf: &Digest,
    ) -> Option<Digest> {
        let depth = depth_for(leaves)?;
        if index >= leaves || self.len() != depth {
            return None;
        }
        let mut h = leaf.to_bytes();
        let mut pos = (1u32 << depth) | index;
        for sib in self.as_slice() {
            let parent = pos >> 1;
            h = if pos & 1 == 0 {
                node::<H>(tree, parent, &h, sib)
            } else {
                node::<H>(tree, parent, sib, &h)
            };
            pos = parent;
        }
        Some(Digest::from_bytes(h))
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.put_u8(self.len);
        for n in self.as_slice() {
            w.put(n);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.u8("path length")?;
        if usize::from(len) > MAX_DEPTH {
            return Err(DecodeError::LengthOverLimit {
                field: "path length",
                length: len.into(),
                max: MAX_DEPTH as u64,
            });
        }
        let mut nodes = [[0u8; 32]; MAX_DEPTH];
        for n in nodes.iter_mut().take(usize::from(len)) {
            *n = r.array("path node")?;
        }
        Ok(Self { len, nodes })
    }
}

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

impl Signed<MultiCommitmentFields> {
    /// Checks the broker's certificate and the customer's signature over
    /// this root, and that the root names the certificate and lies inside
    /// its validity.
    pub(crate) fn check(
        &self,
        broker_key: &PublicKey,
        certificate: &Certificate,
    ) -> Result<(), SessionError> {
        let f = &self.fields;
        check_customer_signed(
            broker_key,
            certificate,
            &f.certificate,
            &self.digest(),
            &self.signature,
            Some((f.valid_from, f.expires)),
        )
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

/// The customer's Merkle tree over per-vendor leaves.
///
/// # Examples
///
/// ```
/// use payword::multi::merkle::{Leaf, MerkleTree, MultiCommitment};
/// use payword::{Anchor, ChainId, ChainParams, CommittedChain, Digest, HashAlg, MessageSigner, VendorId};
/// use ed25519_dalek::SigningKey;
///
/// let customer = SigningKey::from_bytes(&[2; 32]);
/// let leaves: Vec<Leaf> = (0..3u8).map(|v| Leaf {
///     vendor: VendorId::from_bytes([v; 32]),
///     unit_value: 1,
///     cap: 100,
///     chain: CommittedChain::Single {
///         params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([v; 16]), 100).unwrap(),
///         anchor: Anchor::from_bytes([v; 32]),
///     },
/// }).collect();
/// let tree = MerkleTree::build(Digest::from_bytes([9; 32]), ChainId::from_bytes([5; 16]), leaves)?;
/// let root = MultiCommitment::sign(tree.fields(0, 100), &customer)?;
/// let opening = tree.opening(&root, 2).expect("leaf 2 exists");
/// assert!(opening.check_path().is_ok());
/// assert_eq!(root.fields().total_cap, 300);
/// # Ok::<(), payword::multi::MultiError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    certificate: Digest,
    tree: ChainId,
    leaves: Vec<Leaf>,
    total_cap: u64,
    /// `levels[0]` = leaf slots (padded to `2^depth`), last = `[root]`.
    levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    /// Builds the tree (SHA-256).
    ///
    /// # Cost
    ///
    /// `k` leaf hashes and `2^depth − 1` node hashes.
    ///
    /// # Errors
    ///
    /// [`MultiError::TreeSize`] for 0 or more than [`MAX_LEAVES`] leaves;
    /// [`MultiError::Overflow`] if the caps do not sum in a `u64`.
    pub fn build(
        certificate: Digest,
        tree: ChainId,
        leaves: Vec<Leaf>,
    ) -> Result<Self, MultiError> {
        Self::build_with::<Sha256>(certificate, tree, leaves)
    }

    /// [`build`](Self::build) with a chosen SHA-256 implementation (for
    /// counting).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_with<H: TweakableHash>(
        certificate: Digest,
        tree: ChainId,
        leaves: Vec<Leaf>,
    ) -> Result<Self, MultiError> {
        let k = u32::try_from(leaves.len()).map_err(|_| MultiError::TreeSize)?;
        let depth = depth_for(k).ok_or(MultiError::TreeSize)?;
        if H::ALG != crate::HashAlg::Sha256 {
            return Err(MultiError::Invalid(SessionError::Unsupported));
        }
        let total_cap = leaves
            .iter()
            .try_fold(0u64, |t, l| t.checked_add(l.cap))
            .ok_or(MultiError::Overflow)?;
        let mut level: Vec<[u8; 32]> = Vec::with_capacity(1 << depth);
        for (j, leaf) in (0u32..).zip(&leaves) {
            level.push(leaf.digest::<H>(&certificate, &tree, j).to_bytes());
        }
        level.resize(1 << depth, [0u8; 32]);
        let mut levels = Vec::with_capacity(depth + 1);
        for d in (0..depth).rev() {
            let mut up = Vec::with_capacity(1 << d);
            for (j, pair) in (0u32..).zip(level.chunks_exact(2)) {
                let pos = (1u32 << d) | j;
                up.push(node::<H>(&tree, pos, &pair[0], &pair[1]));
            }
            levels.push(core::mem::replace(&mut level, up));
        }
        levels.push(level);
        Ok(Self {
            certificate,
            tree,
            leaves,
            total_cap,
            levels,
        })
    }

    /// The root.
    #[must_use]
    pub fn root(&self) -> Digest {
        let top = self.levels.last().and_then(|l| l.first());
        Digest::from_bytes(top.copied().unwrap_or([0; 32]))
    }

    /// The sum of the leaves' caps.
    #[must_use]
    pub const fn total_cap(&self) -> u64 {
        self.total_cap
    }

    /// The leaves.
    #[must_use]
    pub fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    /// The fields to sign: this tree's root with total cap = the sum of the
    /// caps, valid `[valid_from, expires]`.
    #[must_use]
    pub fn fields(&self, valid_from: u64, expires: u64) -> MultiCommitmentFields {
        MultiCommitmentFields {
            certificate: self.certificate,
            tree: self.tree,
            leaves: u32::try_from(self.leaves.len()).unwrap_or(u32::MAX),
            total_cap: self.total_cap,
            valid_from,
            expires,
            root: self.root(),
        }
    }

    /// The authentication path of leaf `index`.
    #[must_use]
    pub fn path(&self, index: u32) -> Option<AuthPath> {
        if index as usize >= self.leaves.len() {
            return None;
        }
        let mut out = [[0u8; 32]; MAX_DEPTH];
        let mut pos = index as usize;
        let depth = self.levels.len().saturating_sub(1);
        for (d, level) in self.levels.iter().take(depth).enumerate() {
            *out.get_mut(d)? = *level.get(pos ^ 1)?;
            pos >>= 1;
        }
        AuthPath::from_slice(out.get(..depth)?)
    }

    /// What vendor `index` receives, under the signed `commitment` of this
    /// tree.
    #[must_use]
    pub fn opening(&self, commitment: &MultiCommitment, index: u32) -> Option<LeafOpening> {
        Some(LeafOpening {
            commitment: *commitment,
            index,
            leaf: *self.leaves.get(index as usize)?,
            path: self.path(index)?,
        })
    }
}

/// A vendor's session for one leaf of a signed root.
///
/// Opening checks the broker's certificate, the customer's signature over
/// the root, the leaf's path to it, that the leaf is for this vendor, its
/// cap within the total, and the validity at `now`; then every payment is
/// verified exactly as in [`Session`](crate::Session), and refused if it
/// would pay past the leaf's cap.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::*;
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let customer = SigningKey::from_bytes(&[2; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([1; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
/// let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
/// let vendor = VendorId::from_bytes([7; 32]);
/// let leaf = Leaf {
///     vendor,
///     unit_value: 2,
///     cap: 50,
///     chain: CommittedChain::Single { params, anchor: wallet.anchor() },
/// };
/// let tree = MerkleTree::build(cert.digest(), ChainId::from_bytes([6; 16]), vec![leaf])?;
/// let root = MultiCommitment::sign(tree.fields(0, 100), &customer)?;
/// let opening = tree.opening(&root, 0).ok_or("no leaf")?;
/// let mut s = LeafSession::open(vendor, &broker.public_key(), cert, opening, 50, 0)?;
/// let p = wallet.next().ok_or("empty")?;
/// assert_eq!(s.pay(&Payment::new(*s.leaf_id(), PaymentBody::Single(p)), 50)?, 2);
/// assert!(s.claim().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The whole protocol with three vendors is in `examples/multi_merchant.rs`.
#[derive(Clone, Debug)]
pub struct LeafSession {
    certificate: Certificate,
    opening: LeafOpening,
    id: Digest,
    skew: u64,
    state: ChainState,
}

impl LeafSession {
    /// Opens a session on `opening` for `vendor`.
    ///
    /// # Cost
    ///
    /// Two signature verifications, one leaf hash and `depth` node hashes.
    ///
    /// # Errors
    ///
    /// [`MultiError`] naming the check that failed.
    pub fn open(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        opening: LeafOpening,
        now: u64,
        skew: u64,
    ) -> Result<Self, MultiError> {
        opening.commitment.check(broker_key, &certificate)?;
        let rf = opening.commitment.fields();
        let leaf = &opening.leaf;
        if leaf.vendor != vendor {
            return Err(MultiError::WrongVendor);
        }
        let cf = certificate.fields();
        check_window(now, cf.valid_from, cf.expires, skew)?;
        check_window(now, rf.valid_from, rf.expires, skew)?;
        if leaf.cap > rf.total_cap {
            return Err(MultiError::CapOverTotal);
        }
        leaf.chain
            .capacity()
            .checked_mul(leaf.unit_value)
            .ok_or(MultiError::Overflow)?;
        let id = opening.check_path()?;
        let state = ChainState::new(&leaf.chain, None, crate::DEFAULT_STEP_LIMIT)?;
        Ok(Self {
            certificate,
            opening,
            id,
            skew,
            state,
        })
    }

    /// The leaf id payments must name.
    #[must_use]
    pub const fn leaf_id(&self) -> &Digest {
        &self.id
    }

    /// Accepts a payment at `now`; returns the value newly paid.
    ///
    /// # Cost
    ///
    /// The chain steps of the payment (at most the default budget), none if a
    /// check fails first.
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongCommitment`], [`MultiError::OverCap`],
    /// [`MultiError::Invalid`] (expired, refused payword). On error nothing
    /// changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, MultiError> {
        if *payment.commitment() != self.id {
            return Err(MultiError::WrongCommitment);
        }
        let rf = self.opening.commitment.fields();
        check_window(now, rf.valid_from, rf.expires, self.skew)?;
        let unit = self.opening.leaf.unit_value;
        let mut next = self.state.clone();
        let units = next.accept(payment.body())?;
        // Cannot overflow: capacity × unit value was checked at `open`.
        if next.paid().saturating_mul(unit) > self.opening.leaf.cap {
            return Err(MultiError::OverCap);
        }
        self.state = next;
        Ok(units.saturating_mul(unit))
    }

    /// Units paid so far.
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        self.state.paid()
    }

    /// Value paid so far.
    #[must_use]
    pub fn value_paid(&self) -> u64 {
        self.units_paid()
            .saturating_mul(self.opening.leaf.unit_value)
    }

    /// The claim to send to the broker, or `None` before any payment.
    #[must_use]
    pub fn claim(&self) -> Option<LeafClaim> {
        Some(LeafClaim {
            certificate: self.certificate,
            opening: self.opening,
            payment: Payment::new(self.id, self.state.last()?),
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Anchor, ChainParams, HashAlg};

    fn leaf(v: u8, cap: u64) -> Leaf {
        Leaf {
            vendor: VendorId::from_bytes([v; 32]),
            unit_value: 1,
            cap,
            chain: CommittedChain::Single {
                params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([v; 16]), 10)
                    .unwrap_or_else(|_| unreachable!()),
                anchor: Anchor::from_bytes([v; 32]),
            },
        }
    }

    #[test]
    fn every_path_leads_to_the_root_and_only_there() {
        let cert = Digest::from_bytes([1; 32]);
        let id = ChainId::from_bytes([2; 16]);
        for k in [1u32, 2, 3, 4, 5, 7, 8, 9, 17] {
            let leaves: Vec<Leaf> = (0..k).map(|v| leaf(v as u8, 5)).collect();
            let t = MerkleTree::build(cert, id, leaves.clone()).unwrap_or_else(|_| unreachable!());
            for j in 0..k {
                let p = t.path(j).unwrap_or_else(|| unreachable!());
                assert_eq!(Some(p.len()), depth_for(k));
                let d = leaves[j as usize].digest::<Sha256>(&cert, &id, j);
                assert_eq!(p.root::<Sha256>(&id, k, j, &d), Some(t.root()));
                // The same leaf at another index, or under another tree id,
                // does not lead to the root.
                if k > 1 {
                    let other = (j + 1) % k;
                    assert_ne!(
                        p.root::<Sha256>(&id, k, other, &d),
                        Some(t.root()),
                        "k {k} j {j}"
                    );
                }
                // (A one-leaf root is the leaf hash itself, which binds the id.)
                let id2 = ChainId::from_bytes([3; 16]);
                if k > 1 {
                    assert_ne!(p.root::<Sha256>(&id2, k, j, &d), Some(t.root()));
                }
            }
            assert!(t.path(k).is_none());
        }
    }

    #[test]
    fn tree_sizes_are_checked() {
        let cert = Digest::from_bytes([1; 32]);
        let id = ChainId::from_bytes([2; 16]);
        assert_eq!(
            MerkleTree::build(cert, id, Vec::new()),
            Err(MultiError::TreeSize)
        );
        assert_eq!(
            MerkleTree::build(cert, id, alloc::vec![leaf(1, u64::MAX), leaf(2, 1)]),
            Err(MultiError::Overflow)
        );
    }
}
