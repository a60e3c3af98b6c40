//! Leaves, nodes, authentication paths and the customer's tree builder.

use super::*;

/// One vendor's leaf: what the customer commits to for that vendor.
///
/// # Examples
///
/// ```
/// use payword::tree::Leaf;
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
/// use payword::tree::AuthPath;
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

    pub(super) fn write(&self, w: &mut Writer<'_>) {
        w.put_u8(self.len);
        for n in self.as_slice() {
            w.put(n);
        }
    }

    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
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

/// The customer's Merkle tree over per-vendor leaves.
///
/// # Examples
///
/// ```
/// use payword::tree::{Leaf, MerkleTree, MultiCommitment};
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
/// # Ok::<(), payword::MultiError>(())
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
