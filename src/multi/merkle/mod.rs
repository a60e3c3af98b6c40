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

use alloc::vec::Vec;

use super::{MAX_DEPTH, MAX_LEAVES, MultiError, read_validity, tag};
use crate::chain::ChainId;
use crate::check::{ChainState, SessionError, check_window};
use crate::hash::{Role, Sha256, Tweak, TweakableHash};
use crate::message::{Certificate, CommittedChain, Encode, Payment, VendorId};
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
/// use payword::tree::depth_for;
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

mod broker;
mod message;
mod session;
mod tree;

pub(crate) use broker::{EVIDENCE_LEAF, read_member};
pub use message::{LeafClaim, LeafOpening, MultiCommitment, MultiCommitmentFields};
pub use session::LeafSession;
pub use tree::{AuthPath, Leaf, MerkleTree};

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
