//! The vendor side: prepared content and the per-customer [`Seller`].

use alloc::vec::Vec;
use core::fmt;

use crate::chain::ChainSeed;
use crate::hash::Word;
use crate::message::{CommittedChain, Payment, VendorId};
use crate::session::Session;
use crate::sign::{Digest, PublicKey};

use super::{
    ContentId, Delivery, GoodsError, Manifest, ManifestFields, delivery_digest, delivery_step,
    delivery_top, depth, leaf_hash, node_hash, purchase_chain_id,
};

/// A content prepared for sale, once: its chunks, their Merkle tree and the
/// vendor's delivery chain (see the [module docs](super)).
///
/// # Cost
///
/// [`new`](Self::new) hashes every chunk once, builds the tree (at most
/// `2·MAX_CHUNKS` nodes) and the delivery chain (two hashes per chunk), and
/// keeps `32·(2^depth·2 + chunks + 1)` bytes besides the content.
///
/// # Examples
///
/// ```
/// use payword::goods::{Content, ContentId};
/// use payword::ChainSeed;
///
/// let content = Content::new(ContentId::from_bytes([1; 32]), 1024, vec![3; 64 * 1024], &ChainSeed::from_bytes([2; 32]))?;
/// assert_eq!(content.chunks(), 64);
/// assert_eq!(content.chunk(64).map(<[u8]>::len), Some(1024));
/// # Ok::<(), payword::goods::GoodsError>(())
/// ```
#[derive(Clone)]
pub struct Content {
    id: ContentId,
    chunk_size: u32,
    /// The chunks as served.
    chunks: Vec<Vec<u8>>,
    /// Tree levels: leaves (padded with zeros to `2^depth`) first, the root
    /// last.
    levels: Vec<Vec<[u8; 32]>>,
    /// The delivery chain `v_0 … v_n`.
    words: Vec<[u8; 32]>,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Content")
            .field("id", &self.id)
            .field("chunk_size", &self.chunk_size)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

impl Content {
    /// Splits `bytes` into chunks of `chunk_size` (the last may be shorter)
    /// and builds the tree and the delivery chain from `seed`.
    ///
    /// # Errors
    ///
    /// [`GoodsError::Params`] for an empty content, a chunk size outside 1 to
    /// [`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE), or more than
    /// [`MAX_CHUNKS`](super::MAX_CHUNKS) chunks.
    pub fn new(
        id: ContentId,
        chunk_size: u32,
        bytes: Vec<u8>,
        seed: &ChainSeed,
    ) -> Result<Self, GoodsError> {
        let size = usize::try_from(chunk_size).map_err(|_| GoodsError::Params)?;
        if bytes.is_empty() || size == 0 {
            return Err(GoodsError::Params);
        }
        let n = bytes.len().div_ceil(size);
        let n32 = u32::try_from(n).map_err(|_| GoodsError::Params)?;
        let last = u32::try_from(bytes.len() - (n - 1) * size).map_err(|_| GoodsError::Params)?;
        if !ManifestFields::sizes_ok(chunk_size, n32, last) {
            return Err(GoodsError::Params);
        }
        let chunks: Vec<Vec<u8>> = bytes.chunks(size).map(<[u8]>::to_vec).collect();
        let d = depth(n32);
        let mut leaves = Vec::with_capacity(1 << d);
        for (p, c) in (0u32..).zip(&chunks) {
            leaves.push(leaf_hash(&id, p, c));
        }
        leaves.resize(1 << d, [0; 32]);
        let mut levels = Vec::with_capacity(d + 1);
        levels.push(leaves);
        for l in 1..=d {
            let below = levels.last().map_or(&[][..], Vec::as_slice);
            let mut up = Vec::with_capacity(below.len() / 2);
            for (j, pair) in (0u32..).zip(below.chunks_exact(2)) {
                if let [a, b] = pair {
                    up.push(node_hash(&id, l, j, a, b));
                }
            }
            levels.push(up);
        }
        let mut content = Self {
            id,
            chunk_size,
            chunks,
            levels,
            words: Vec::new(),
        };
        content.chain(seed);
        Ok(content)
    }

    /// Builds the delivery chain over the chunks as served.
    fn chain(&mut self, seed: &ChainSeed) {
        let n = self.chunks();
        let mut words = alloc::vec![[0u8; 32]; self.chunks.len() + 1];
        let mut v = delivery_top(seed.expose_secret(), &self.id, n);
        if let Some(top) = words.last_mut() {
            *top = v;
        }
        for i in (1..=n).rev() {
            let leaf = self.leaf_of_served(i);
            let e = delivery_digest(&self.id, i, &leaf, &self.path(i));
            v = delivery_step(&self.id, i, &v, &e);
            if let Some(slot) = words.get_mut(i as usize - 1) {
                *slot = v;
            }
        }
        self.words = words;
    }

    fn leaf_of_served(&self, index: u32) -> [u8; 32] {
        let p = index.saturating_sub(1);
        leaf_hash(&self.id, p, self.chunk(index).unwrap_or(&[]))
    }

    /// A copy whose chunk `index` is served as `chunk` while the tree (and so
    /// the root a manifest signs) stays that of the original: a vendor whose
    /// stored copy diverged from the published content. Its delivery chain
    /// covers what it serves, so its deliveries of chunk `index` are
    /// authenticated yet fail the root: for tests and demonstrations of
    /// [`BadDeliveryProof`](super::BadDeliveryProof).
    ///
    /// # Errors
    ///
    /// [`GoodsError::Params`] for an index out of range or a chunk over
    /// [`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE).
    #[doc(hidden)]
    pub fn tampered(
        &self,
        index: u32,
        chunk: Vec<u8>,
        seed: &ChainSeed,
    ) -> Result<Self, GoodsError> {
        let mut out = self.clone();
        let slot = index
            .checked_sub(1)
            .and_then(|p| out.chunks.get_mut(p as usize))
            .ok_or(GoodsError::Params)?;
        if chunk.len() > super::MAX_CHUNK_SIZE as usize {
            return Err(GoodsError::Params);
        }
        *slot = chunk;
        out.chain(seed);
        Ok(out)
    }

    /// The content id.
    #[must_use]
    pub const fn id(&self) -> &ContentId {
        &self.id
    }

    /// The number of chunks.
    #[must_use]
    pub fn chunks(&self) -> u32 {
        u32::try_from(self.chunks.len()).unwrap_or(u32::MAX)
    }

    /// Chunk `index` (1-based) as served.
    #[must_use]
    pub fn chunk(&self, index: u32) -> Option<&[u8]> {
        self.chunks
            .get(index.checked_sub(1)? as usize)
            .map(Vec::as_slice)
    }

    /// The Merkle root.
    #[must_use]
    pub fn root(&self) -> Digest {
        Digest::from_bytes(
            self.levels
                .last()
                .and_then(|l| l.first())
                .copied()
                .unwrap_or([0; 32]),
        )
    }

    /// The delivery chain's anchor `v_0`.
    #[must_use]
    pub fn anchor(&self) -> Digest {
        Digest::from_bytes(self.words.first().copied().unwrap_or([0; 32]))
    }

    /// The path of chunk `index` (1-based), leaf level first.
    fn path(&self, index: u32) -> Vec<Digest> {
        let mut pos = index.saturating_sub(1) as usize;
        let mut path = Vec::with_capacity(self.levels.len().saturating_sub(1));
        for level in self.levels.iter().take(self.levels.len().saturating_sub(1)) {
            path.push(Digest::from_bytes(
                level.get(pos ^ 1).copied().unwrap_or([0; 32]),
            ));
            pos >>= 1;
        }
        path
    }

    /// The fields of a manifest for this content, to be signed by the
    /// vendor's key ([`Manifest::sign`](crate::Signed::sign)).
    #[must_use]
    pub fn manifest_fields(
        &self,
        vendor: VendorId,
        vendor_key: PublicKey,
        unit_value: u64,
    ) -> ManifestFields {
        let chunks = self.chunks();
        ManifestFields {
            vendor,
            vendor_key,
            content: self.id,
            chunk_size: self.chunk_size,
            chunks,
            last_chunk: u32::try_from(self.chunk(chunks).map_or(0, <[u8]>::len)).unwrap_or(0),
            unit_value,
            root: self.root(),
            delivery: self.anchor(),
        }
    }

    /// The delivery of chunk `index` (1-based) under the manifest whose
    /// digest is `manifest`.
    ///
    /// # Errors
    ///
    /// [`GoodsError::Params`] for an index out of range.
    pub fn delivery(&self, manifest: &Digest, index: u32) -> Result<Delivery, GoodsError> {
        let chunk = self.chunk(index).ok_or(GoodsError::Params)?.to_vec();
        let word = *self.words.get(index as usize).ok_or(GoodsError::Params)?;
        Ok(Delivery {
            manifest: *manifest,
            index,
            word: Word::from_bytes(word),
            chunk,
            path: self.path(index),
        })
    }
}

/// The vendor's state machine for one customer buying one content: a
/// [`Session`] on the customer's commitment, bound to the manifest.
///
/// It delivers chunk `i` only once unit `i` is paid (exactly one unit per
/// payment), so its [`exposure`](Self::exposure) is always 0 chunks. It
/// follows renewal links only when the current chain is used up, so unit `i`
/// of the cascade is the payword of chunk `i` (what the broker's cap after a
/// bad delivery relies on).
///
/// # Examples
///
/// See [`Buyer`](super::Buyer) for a whole exchange.
#[derive(Debug)]
pub struct Seller<'c> {
    content: &'c Content,
    manifest: Manifest,
    digest: Digest,
    session: Session,
    delivered: u32,
    /// Units paid on the chains before the current one.
    chain_start: u64,
    /// Length of the current chain.
    chain_len: u64,
}

impl<'c> Seller<'c> {
    /// Binds a fresh session to the manifest: checks that the manifest is the
    /// content's and verifies under its key, and that the commitment pays
    /// this vendor the manifest's price through a single chain whose id is
    /// [`purchase_chain_id`]`(manifest digest, nonce)`.
    ///
    /// # Errors
    ///
    /// [`GoodsError::WrongManifest`], [`GoodsError::BadSignature`],
    /// [`GoodsError::WrongCommitment`] (also for a session that already took
    /// payments).
    pub fn open(
        content: &'c Content,
        manifest: Manifest,
        session: Session,
        nonce: &[u8; 16],
    ) -> Result<Self, GoodsError> {
        let mf = manifest.fields();
        if *mf != content.manifest_fields(mf.vendor, mf.vendor_key, mf.unit_value) {
            return Err(GoodsError::WrongManifest);
        }
        manifest
            .verify(&mf.vendor_key)
            .map_err(|_| GoodsError::BadSignature)?;
        let digest = manifest.digest();
        let cf = session.commitment().fields();
        let CommittedChain::Single { params, .. } = cf.chain else {
            return Err(GoodsError::WrongCommitment);
        };
        if cf.vendor != mf.vendor
            || cf.unit_value != mf.unit_value
            || *params.id() != purchase_chain_id(&digest, nonce)
            || session.units_paid() != 0
        {
            return Err(GoodsError::WrongCommitment);
        }
        Ok(Self {
            content,
            manifest,
            digest,
            session,
            delivered: 0,
            chain_start: 0,
            chain_len: params.length().into(),
        })
    }

    /// Accepts the payment of the next chunk: exactly one unit.
    ///
    /// # Cost
    ///
    /// One hash (a payword one step ahead); a payword further ahead is
    /// refused before any hashing beyond one step.
    ///
    /// # Errors
    ///
    /// [`GoodsError::Finished`] once every chunk is paid for;
    /// [`GoodsError::Session`] for a payment the session refuses (replay,
    /// forgery, another commitment, more than one unit, expiry). On error
    /// nothing changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, GoodsError> {
        if self.session.units_paid() >= u64::from(self.content.chunks()) {
            return Err(GoodsError::Finished);
        }
        self.session.pay_exact(payment, 1, now)?;
        Ok(self.session.units_paid())
    }

    /// Follows the customer's renewal link to its next chain, only once the
    /// current chain is used up.
    ///
    /// # Errors
    ///
    /// [`GoodsError::ChainNotUsedUp`], or [`GoodsError::Renew`] from
    /// [`Session::renew`]. On error nothing changes.
    pub fn renew(&mut self, link: &crate::renew::RenewalLink, now: u64) -> Result<(), GoodsError> {
        let paid = self.session.units_paid();
        if paid.saturating_sub(self.chain_start) != self.chain_len {
            return Err(GoodsError::ChainNotUsedUp);
        }
        self.session.renew(link, now)?;
        self.chain_start = paid;
        self.chain_len = link.fields().params.length().into();
        Ok(())
    }

    /// The next paid chunk.
    ///
    /// # Errors
    ///
    /// [`GoodsError::NotPaid`] if every paid chunk was delivered.
    pub fn deliver(&mut self) -> Result<Delivery, GoodsError> {
        if u64::from(self.delivered) >= self.session.units_paid() {
            return Err(GoodsError::NotPaid);
        }
        let index = self.delivered.saturating_add(1);
        let d = self.content.delivery(&self.digest, index)?;
        self.delivered = index;
        Ok(d)
    }

    /// Chunks delivered and not paid for: always 0, since a chunk leaves only
    /// after its payword.
    #[must_use]
    pub fn exposure(&self) -> u64 {
        u64::from(self.delivered).saturating_sub(self.session.units_paid())
    }

    /// Chunks delivered.
    #[must_use]
    pub const fn delivered(&self) -> u32 {
        self.delivered
    }

    /// Units paid.
    #[must_use]
    pub fn paid(&self) -> u64 {
        self.session.units_paid()
    }

    /// The manifest.
    #[must_use]
    pub const fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The session (for [`claim`](Session::claim) or
    /// [`cascade`](Session::cascade)).
    #[must_use]
    pub const fn session(&self) -> &Session {
        &self.session
    }
}
