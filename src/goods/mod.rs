//! Fair exchange of digital goods: pay chunk by chunk, so that neither side
//! can be cheated of more than one unit.
//!
//! # Messages
//!
//! - [`Manifest`] (`Signed<ManifestFields>`, tag `0x60`): the vendor signs,
//!   once per content, the content id, the chunk size, the number of chunks
//!   (and the length of the last one), the price of one chunk, the
//!   [Merkle root](ManifestFields::root) of the chunks and the
//!   [anchor](ManifestFields::delivery) of a *delivery chain* (below). A
//!   manifest is its own signed type rather than part of the crate's
//!   [`Offer`](crate::offer::Offer): an offer states payment terms shared by
//!   every request of a vendor, a manifest describes one content, is signed
//!   once when the content is published, and must stay verifiable for as
//!   long as a bad-delivery proof about it can be shown (offers expire).
//! - [`Delivery`] (tag `0x61`, vendor → customer): chunk `i`, its Merkle path
//!   (exactly `depth` hashes, at most [`MAX_DEPTH`]) and the vendor's
//!   delivery word `v_i`.
//! - [`BadDeliveryProof`] (tag `0x62`, customer → broker): a delivery that the
//!   vendor authenticated but that does not match the signed root.
//!
//! # Protocol (payword first)
//!
//! The customer's commitment pays for one content: its first chain id is
//! [`purchase_chain_id`]`(manifest digest, nonce)` for a nonce the customer
//! picks, and its unit value is the manifest's price. Unit `i` of the
//! commitment (over every chain of a renewal cascade, each chain used up
//! before the next) pays for chunk `i`. Then, for `i = 1, 2, …`:
//!
//! 1. the customer releases payword `i` ([`Buyer::authorize`]: only when
//!    every chunk paid so far has arrived and verified);
//! 2. the vendor, having verified payword `i` ([`Seller::pay`], exactly one
//!    unit), releases chunk `i` ([`Seller::deliver`]);
//! 3. the customer checks chunk `i` against the signed root and the delivery
//!    chain ([`Buyer::receive`]) before it releases payword `i + 1`.
//!
//! Payword 1 comes first (no chunk is free): a vendor never sends a chunk it
//! was not paid for, so its [exposure](Seller::exposure) is 0 chunks; the
//! customer's is at most 1 unit (the payword of the chunk in flight). With
//! "chunk 1 free" the exposures swap, but every session would hand one free
//! chunk to whoever opens it; paying first keeps the vendor whole and gives
//! the customer the [`BadDeliveryProof`] to recover its unit when the chunk
//! that arrives is wrong. A vendor that withholds chunk `i`, or sends bytes
//! it did not authenticate, keeps that one unit: no protocol without a
//! trusted party can tell silence from a lost message.
//!
//! # The delivery chain, and why a bad-delivery proof is sound
//!
//! A chunk that fails the Merkle check proves nothing by itself: anyone can
//! make up bytes that do not match a root. The proof must show that the
//! *vendor* delivered those bytes, and a signature per chunk would cost
//! a thousand times the payment it is exchanged for. Instead the vendor
//! signs, once in the manifest, the anchor `v_0` of a hash chain whose every
//! step binds what it delivers as chunk `i`:
//!
//! ```text
//! e_i     = H(Tweak(MerkleLeaf, "payword:goods:dc", i) ‖ content ‖ leaf_i ‖ path_i)
//! v_{i-1} = H(Tweak(ChainStep,  "payword:goods:dc", i) ‖ content ‖ v_i ‖ e_i)
//! v_n     = H(Tweak(SeedExpand, "payword:goods:dc", n) ‖ seed ‖ content)
//! ```
//!
//! where `leaf_i` is the Merkle leaf of the bytes delivered as chunk `i` and
//! `path_i` the path sent with it. With chunk `i` the vendor releases `v_i`;
//! the customer checks `H(i, v_i, e_i) = v_{i−1}` (two compressions) besides
//! the Merkle path, and keeps `e_i`. A [`BadDeliveryProof`] for chunk `k` is
//! the manifest, the chunk and path as sent, `v_k` and `e_1 … e_{k−1}`; the
//! broker recomputes `e_k`, walks the chain down to `v_0` and compares it with
//! the signed anchor, then checks that the chunk does **not** verify against
//! the signed root.
//!
//! - *A customer cannot fabricate a proof.* The anchor is signed; walking
//!   from `(v_k, e_1 … e_k)` to it means that, at every step, the proof's
//!   `(v_i, e_i)` equals the vendor's (or a second preimage of SHA-256 was
//!   found). So `e_k`, and through it the leaf of the chunk and its path, are
//!   exactly what the vendor committed to as chunk `k` when it signed. A
//!   customer who invents bytes, reuses bytes that do match, or sends another
//!   path gets another `e_k` and is refused ([`GoodsError::NotSent`],
//!   [`GoodsError::ChunkMatches`]).
//! - *An honest vendor is never blamed.* An honest vendor builds the root and
//!   the chain from the same chunks ([`Content::new`]): every `e_i` it
//!   commits to verifies against its root.
//! - *What it does prove.* The vendor signed a delivery commitment for chunk
//!   `k` that contradicts its signed root: a vendor whose stored copy diverged
//!   from the published root (the root of the catalogue, the delivery chain of
//!   the bytes it actually serves), or one that tries to pass off other
//!   content. A chunk whose `v_k` does not verify is simply not accepted
//!   ([`GoodsError::Unauthenticated`]): for the customer it is withholding.
//!
//! A MAC instead of the chain (a tag `H(v_i ‖ digest)` with `v_i` released
//! with the chunk) would not be sound: once `v_i` is known, anyone can tag
//! any bytes. The chain words need not be secret for soundness; the seed
//! only keeps later words unpredictable.
//!
//! # The broker
//!
//! [`Broker::report_bad_delivery`](crate::Broker::report_bad_delivery)
//! verifies a proof (bounded work, before any store access) and records,
//! keyed by the purchase's first chain id, that at most `k − 1` units are
//! owed. Every later redemption of the commitment (plain
//! [`redeem`](crate::Broker::redeem) or
//! [`redeem_cascade`](crate::Broker::redeem_cascade)) reads that record in
//! the same consistent read as the debts and credits at most `k − 1` units,
//! whatever the customer released: with payword-first the customer paid `k`.
//! What the broker credited before the report stays credited.
//!
//! # Limits and cost
//!
//! At most [`MAX_CHUNKS`] chunks of at most [`MAX_CHUNK_SIZE`] bytes (a tree
//! of depth at most [`MAX_DEPTH`]). Per chunk the customer hashes the chunk
//! once, then `depth` Merkle nodes, `e_i` and one chain step; the vendor
//! prepares everything once per content. Verifying a proof costs one
//! signature verification, the chunk, at most `MAX_CHUNKS` chain steps and
//! `depth` nodes.

use core::fmt;

use crate::chain::ChainId;
use crate::check::SessionError;
use crate::hash::{Role, Sha256, Tweak, TweakableHash};
use crate::sign::Digest;

mod buyer;
mod content;
mod delivery;
mod manifest;
mod proof;

pub use buyer::Buyer;
pub use content::{Content, Seller};
pub use delivery::Delivery;
pub use manifest::{ContentId, Manifest, ManifestFields};
pub use proof::{BadDelivery, BadDeliveryProof};
pub(crate) use proof::{debt_caps, record_key};

/// Wire tags of the fair-exchange messages.
pub mod tag {
    /// [`Manifest`](super::Manifest).
    pub const MANIFEST: u8 = crate::message::tag::GOODS_MANIFEST;
    /// [`Delivery`](super::Delivery).
    pub const DELIVERY: u8 = crate::message::tag::GOODS_DELIVERY;
    /// [`BadDeliveryProof`](super::BadDeliveryProof).
    pub const BAD_DELIVERY_PROOF: u8 = crate::message::tag::BAD_DELIVERY_PROOF;
}

/// Depth of the deepest chunk tree.
pub const MAX_DEPTH: usize = 12;

/// Most chunks in one content (`2^MAX_DEPTH`).
pub const MAX_CHUNKS: u32 = 1 << MAX_DEPTH;

/// Largest chunk, in bytes (64 KiB).
pub const MAX_CHUNK_SIZE: u32 = 1 << 16;

/// Tweak id of the chunk tree.
const TREE_ID: ChainId = ChainId::from_bytes(*b"payword:goods:mt");
/// Tweak id of the delivery chain.
const DELIVERY_ID: ChainId = ChainId::from_bytes(*b"payword:goods:dc");
/// Tweak position of a purchase's chain id.
const PURCHASE_POSITION: u32 = 0x676f_6f64; // "good"

/// Errors of the fair exchange: buyer, seller, proofs and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoodsError {
    /// Chunk size, chunk count or last-chunk length out of range.
    Params,
    /// The manifest's signature does not verify, or it is not signed by the
    /// expected vendor key.
    BadSignature,
    /// The manifest's vendor key is not the key the broker knows for that
    /// vendor: a proof counts only against the vendor who signed it.
    UnknownVendorKey,
    /// A delivery or proof names another manifest, or the content does not
    /// match the manifest.
    WrongManifest,
    /// The commitment is not bound to this purchase (vendor, price, chain
    /// id or chain kind).
    WrongCommitment,
    /// The customer already paid for a chunk that has not arrived.
    Outstanding,
    /// Every chunk has been paid for.
    Finished,
    /// The buyer stopped after a bad delivery.
    Stopped,
    /// A delivery out of order, or of a chunk not paid for.
    Unexpected {
        /// The chunk index expected.
        expected: u32,
        /// The index received.
        found: u32,
    },
    /// The delivery word does not verify: the vendor did not authenticate
    /// this chunk (treated as withholding, nothing changes).
    Unauthenticated,
    /// The chunk was authenticated by the vendor but does not match the
    /// signed root: a [`BadDeliveryProof`] is available.
    BadChunk {
        /// The chunk's index.
        index: u32,
    },
    /// The seller has no paid chunk left to deliver.
    NotPaid,
    /// A renewal before the current chain was used up (units must map to
    /// chunks one to one).
    ChainNotUsedUp,
    /// A proof's shape does not fit its manifest (index, path length, number
    /// of earlier delivery digests).
    Malformed,
    /// A proof whose chunk and path do match the signed root.
    ChunkMatches,
    /// A proof whose delivery does not chain to the signed anchor: the vendor
    /// never authenticated it.
    NotSent,
    /// The vendor session refused a payment.
    Session(SessionError),
    /// A renewal was refused.
    Renew(crate::renew::RenewError),
    /// The broker's store failed; nothing was recorded.
    Store(crate::StoreFailure),
}

impl fmt::Display for GoodsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Params => f.write_str("chunk size or count out of range"),
            Self::BadSignature => f.write_str("manifest signature does not verify"),
            Self::UnknownVendorKey => f.write_str(
                "the manifest's vendor key is not the key the broker knows for that vendor",
            ),
            Self::WrongManifest => f.write_str("names another manifest or content"),
            Self::WrongCommitment => f.write_str("commitment is not bound to this purchase"),
            Self::Outstanding => f.write_str("a paid chunk has not arrived yet"),
            Self::Finished => f.write_str("every chunk is paid for"),
            Self::Stopped => f.write_str("stopped after a bad delivery"),
            Self::Unexpected { expected, found } => {
                write!(f, "chunk {found} delivered, {expected} expected")
            }
            Self::Unauthenticated => f.write_str("delivery word does not verify"),
            Self::BadChunk { index } => write!(f, "chunk {index} does not match the signed root"),
            Self::NotPaid => f.write_str("no paid chunk left to deliver"),
            Self::ChainNotUsedUp => f.write_str("renewal before the chain is used up"),
            Self::Malformed => f.write_str("proof does not fit its manifest"),
            Self::ChunkMatches => f.write_str("chunk matches the signed root"),
            Self::NotSent => f.write_str("delivery does not chain to the signed anchor"),
            Self::Session(e) => write!(f, "payment refused: {e}"),
            Self::Renew(e) => write!(f, "renewal refused: {e}"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for GoodsError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::Renew(e) => Some(e),
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for GoodsError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<crate::renew::RenewError> for GoodsError {
    fn from(e: crate::renew::RenewError) -> Self {
        Self::Renew(e)
    }
}

/// The chain id the first chain of a purchase's commitment must have: the
/// first 16 bytes of `H(Tweak(DeriveId, nonce, "good") ‖ manifest digest)`.
///
/// A commitment can be bound to one manifest only (finding a second would
/// take a preimage), so a bad-delivery proof can only cap the commitments
/// whose customer chose to buy that content, and the vendor checks the
/// binding before it serves ([`Seller::open`]).
///
/// # Examples
///
/// ```
/// use payword::goods::purchase_chain_id;
/// use payword::Digest;
///
/// let m = Digest::from_bytes([1; 32]);
/// assert_ne!(purchase_chain_id(&m, &[0; 16]), purchase_chain_id(&m, &[1; 16]));
/// ```
#[must_use]
pub fn purchase_chain_id(manifest: &Digest, nonce: &[u8; 16]) -> ChainId {
    let full = Sha256::hash_parts(
        &Tweak::new(
            Role::DeriveId,
            ChainId::from_bytes(*nonce),
            PURCHASE_POSITION,
        ),
        &[manifest.as_bytes()],
    );
    let mut id = [0u8; 16];
    id.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
    ChainId::from_bytes(id)
}

/// Depth of the tree of `chunks` leaves (`ceil(log2(chunks))`).
pub(crate) fn depth(chunks: u32) -> usize {
    let mut d = 0usize;
    while d < 32 && (1u64 << d) < u64::from(chunks) {
        d += 1;
    }
    d
}

/// Leaf of the chunk at tree position `position` (chunk index − 1).
pub(crate) fn leaf_hash(content: &ContentId, position: u32, chunk: &[u8]) -> [u8; 32] {
    Sha256::hash_parts(
        &Tweak::new(Role::MerkleLeaf, TREE_ID, position),
        &[content.as_bytes(), chunk],
    )
}

/// Interior node at `level` (1 = just above the leaves), index `index`.
pub(crate) fn node_hash(
    content: &ContentId,
    level: usize,
    index: u32,
    left: &[u8; 32],
    right: &[u8; 32],
) -> [u8; 32] {
    let level = u32::try_from(level).unwrap_or(u32::MAX);
    Sha256::hash_parts(
        &Tweak::new(
            Role::MerkleNode,
            TREE_ID,
            level.wrapping_shl(16) | (index & 0xffff),
        ),
        &[content.as_bytes(), left, right],
    )
}

/// The root a leaf and its path lead to (`path.len()` levels).
pub(crate) fn root_from_path(
    content: &ContentId,
    position: u32,
    leaf: &[u8; 32],
    path: &[Digest],
) -> [u8; 32] {
    let mut node = *leaf;
    let mut index = position;
    for (l, sibling) in path.iter().enumerate() {
        let parent = index >> 1;
        node = if index & 1 == 0 {
            node_hash(content, l + 1, parent, &node, sibling.as_bytes())
        } else {
            node_hash(content, l + 1, parent, sibling.as_bytes(), &node)
        };
        index = parent;
    }
    node
}

/// `e_i`: what the vendor commits to as its delivery of chunk `index`.
pub(crate) fn delivery_digest(
    content: &ContentId,
    index: u32,
    leaf: &[u8; 32],
    path: &[Digest],
) -> [u8; 32] {
    let mut parts: [&[u8]; 2 + MAX_DEPTH] = [&[]; 2 + MAX_DEPTH];
    parts[0] = content.as_bytes();
    parts[1] = leaf;
    for (slot, p) in parts.iter_mut().skip(2).zip(path) {
        *slot = p.as_bytes();
    }
    Sha256::hash_parts(&Tweak::new(Role::MerkleLeaf, DELIVERY_ID, index), &parts)
}

/// One delivery-chain step: `v_{index−1}` from `v_index` and `e_index`.
pub(crate) fn delivery_step(
    content: &ContentId,
    index: u32,
    word: &[u8; 32],
    e: &[u8; 32],
) -> [u8; 32] {
    Sha256::hash_parts(
        &Tweak::new(Role::ChainStep, DELIVERY_ID, index),
        &[content.as_bytes(), word, e],
    )
}

/// The top word `v_n` of a delivery chain.
pub(crate) fn delivery_top(seed: &[u8; 32], content: &ContentId, n: u32) -> [u8; 32] {
    Sha256::hash_parts(
        &Tweak::new(Role::SeedExpand, DELIVERY_ID, n),
        &[seed, content.as_bytes()],
    )
}

/// The expected length of chunk `index` (1-based) of a manifest.
pub(crate) fn chunk_len(f: &ManifestFields, index: u32) -> u32 {
    if index == f.chunks {
        f.last_chunk
    } else {
        f.chunk_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_ceil_log2() {
        assert_eq!([1, 2, 3, 4, 5, 4096].map(depth), [0, 1, 2, 2, 3, MAX_DEPTH]);
    }

    #[test]
    fn hashes_are_separated() {
        let c = ContentId::from_bytes([1; 32]);
        let w = [2u8; 32];
        assert_ne!(leaf_hash(&c, 0, &w), leaf_hash(&c, 1, &w));
        assert_ne!(delivery_step(&c, 1, &w, &w), delivery_step(&c, 2, &w, &w));
        assert_ne!(
            delivery_digest(&c, 1, &w, &[]),
            leaf_hash(&c, 0, &[w, w].concat())
        );
        let other = ContentId::from_bytes([3; 32]);
        assert_ne!(leaf_hash(&c, 0, &w), leaf_hash(&other, 0, &w));
    }

    #[test]
    fn errors_display_in_lower_case() {
        for e in [
            GoodsError::Params,
            GoodsError::NotSent,
            GoodsError::BadChunk { index: 3 },
            GoodsError::Session(SessionError::Expired),
        ] {
            let s = alloc::string::ToString::to_string(&e);
            assert!(s.chars().next().is_some_and(char::is_lowercase), "{s}");
        }
    }
}
