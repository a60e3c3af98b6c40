//! Bad-delivery proofs, and what the broker does with them.

use alloc::vec::Vec;

use subtle::ConstantTimeEq;

use crate::broker::{Broker, MAX_ATTEMPTS, Plan, StoreFailure};
use crate::chain::ChainId;
use crate::hash::{Role, Sha256, Tweak, TweakableHash, Word};
use crate::message::{CommittedChain, Encode, VendorId};
use crate::sign::Digest;
use crate::sign::PublicKey;
use crate::store::{Batch, Commit, Entry, Key, Store, Table};
use crate::wire::{DecodeError, Reader, Writer};

use super::delivery::{read_chunk, read_path, write_chunk, write_path};
use super::{
    GoodsError, MAX_CHUNK_SIZE, MAX_CHUNKS, MAX_DEPTH, Manifest, chunk_len, delivery_digest,
    delivery_step, depth, leaf_hash, purchase_chain_id, root_from_path, tag,
};

/// Evidence that a vendor delivered, as chunk `index` of its signed
/// manifest, bytes that do not match the manifest's root (see the
/// [module docs](super) for why it cannot be forged).
///
/// Encoded (after tag `0x62` and version) as `manifest (0x60 …) ‖ nonce (16)
/// ‖ u32 index ‖ word (32) ‖ u32 length ‖ chunk ‖ u8 depth ‖ 32·depth ‖ u16
/// count ‖ 32·count`, with `1 ≤ index ≤ chunks` and `count = index − 1`.
///
/// # Examples
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use payword::goods::{BadDeliveryProof, Buyer, Content, ContentId, GoodsError, Manifest};
/// use payword::{ChainSeed, Encode, MessageSigner, VendorId};
///
/// let vendor = SigningKey::from_bytes(&[1; 32]);
/// let seed = ChainSeed::from_bytes([2; 32]);
/// let honest = Content::new(ContentId::from_bytes([3; 32]), 8, vec![4; 40], &seed)?;
/// // The vendor's copy of chunk 3 diverged from the published root.
/// let served = honest.tampered(3, vec![5; 8], &seed)?;
/// let manifest = Manifest::sign(served.manifest_fields(VendorId::from_bytes([6; 32]), vendor.public_key(), 1), &vendor)?;
/// let mut buyer = Buyer::new(manifest, &vendor.public_key(), [7; 16])?;
/// for i in 1..=3 {
///     buyer.authorize()?;
///     let r = buyer.receive(&served.delivery(&manifest.digest(), i)?);
///     assert_eq!(r.is_err(), i == 3);
/// }
/// let proof = buyer.bad_delivery_proof().unwrap();
/// let bad = proof.verify()?;
/// assert_eq!((bad.index, bad.units()), (3, 2));
/// assert_eq!(BadDeliveryProof::decode(&proof.to_bytes())?, *proof);
/// // A customer's made-up chunk is refused.
/// let mut forged = proof.clone();
/// forged.chunk = vec![9; 8];
/// assert_eq!(forged.verify(), Err(GoodsError::NotSent));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BadDeliveryProof {
    /// The vendor-signed manifest.
    pub manifest: Manifest,
    /// The purchase's nonce: the proof applies to the commitment whose first
    /// chain id is [`purchase_chain_id`]`(manifest digest, nonce)`.
    pub nonce: [u8; 16],
    /// The bad chunk's index (1-based).
    pub index: u32,
    /// The vendor's delivery word `v_index`, as sent with the chunk.
    pub word: Word,
    /// The chunk as sent.
    pub chunk: Vec<u8>,
    /// Its Merkle path as sent.
    pub path: Vec<Digest>,
    /// The delivery digests `e_1 … e_{index−1}` of the chunks before it.
    pub delivered: Vec<Digest>,
}

/// A verified bad delivery: what the broker records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BadDelivery {
    /// The first chain id of the purchase (the commitment it caps).
    pub chain: ChainId,
    /// The manifest's digest.
    pub manifest: Digest,
    /// The bad chunk's index.
    pub index: u32,
}

impl BadDelivery {
    /// The units the purchase may be credited: those before the bad chunk.
    #[must_use]
    pub const fn units(&self) -> u64 {
        self.index.saturating_sub(1) as u64
    }
}

impl BadDeliveryProof {
    /// Verifies the proof: its shape, the manifest's signature under the key
    /// it names, that the chunk, path and word chain down to the signed
    /// delivery anchor (the vendor sent them), and that they fail the signed
    /// root.
    ///
    /// # Cost
    ///
    /// Shape checks first (no hashing), then one signature verification,
    /// then the chunk's leaf (at most [`MAX_CHUNK_SIZE`] bytes), `index`
    /// chain steps (at most [`MAX_CHUNKS`]) and `depth` nodes (at most
    /// [`MAX_DEPTH`]).
    ///
    /// # Errors
    ///
    /// [`GoodsError::Malformed`] (index, path length or number of earlier
    /// digests does not fit the manifest), [`GoodsError::BadSignature`],
    /// [`GoodsError::NotSent`] (the vendor never authenticated it),
    /// [`GoodsError::ChunkMatches`] (the chunk is good).
    pub fn verify(&self) -> Result<BadDelivery, GoodsError> {
        let f = self.manifest.fields();
        let k = self.index;
        if k == 0
            || k > f.chunks
            || self.path.len() != depth(f.chunks)
            || self.delivered.len() != (k - 1) as usize
            || self.chunk.len() > MAX_CHUNK_SIZE as usize
        {
            return Err(GoodsError::Malformed);
        }
        self.manifest
            .verify(&f.vendor_key)
            .map_err(|_| GoodsError::BadSignature)?;
        let leaf = leaf_hash(&f.content, k - 1, &self.chunk);
        let e = delivery_digest(&f.content, k, &leaf, &self.path);
        let mut v = delivery_step(&f.content, k, self.word.as_bytes(), &e);
        for (i, e) in (1..k).zip(&self.delivered).rev() {
            v = delivery_step(&f.content, i, &v, e.as_bytes());
        }
        if !bool::from(v.ct_eq(f.delivery.as_bytes())) {
            return Err(GoodsError::NotSent);
        }
        let root = root_from_path(&f.content, k - 1, &leaf, &self.path);
        let right_len = u32::try_from(self.chunk.len()).ok() == Some(chunk_len(f, k));
        if right_len && bool::from(root.ct_eq(f.root.as_bytes())) {
            return Err(GoodsError::ChunkMatches);
        }
        let manifest = self.manifest.digest();
        Ok(BadDelivery {
            chain: purchase_chain_id(&manifest, &self.nonce),
            manifest,
            index: k,
        })
    }
}

impl crate::wire::sealed::Sealed for BadDeliveryProof {}

impl Encode for BadDeliveryProof {
    const TAG: u8 = tag::BAD_DELIVERY_PROOF;
    const MAX_LEN: usize = 2
        + Manifest::MAX_LEN
        + 16
        + 4
        + 32
        + 4
        + MAX_CHUNK_SIZE as usize
        + 1
        + 32 * MAX_DEPTH
        + 2
        + 32 * (MAX_CHUNKS as usize - 1);

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.manifest.write(w);
        w.put(&self.nonce);
        w.put_u32(self.index);
        w.put(self.word.as_bytes());
        write_chunk(w, &self.chunk);
        write_path(w, &self.path);
        w.put_u16(u16::try_from(self.delivered.len()).unwrap_or(u16::MAX));
        for d in &self.delivered {
            w.put(d.as_bytes());
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let manifest = Manifest::read(r)?;
        let nonce = r.array("nonce")?;
        let index = r.u32("index")?;
        if index == 0 || index > manifest.fields().chunks {
            return Err(DecodeError::NonCanonical { field: "index" });
        }
        let word = Word::from_bytes(r.array("word")?);
        let chunk = read_chunk(r)?;
        let path = read_path(r)?;
        // `index ≤ MAX_CHUNKS`, so the count is bounded before allocation.
        let n = r.count(
            "delivered",
            u16::try_from(MAX_CHUNKS - 1).unwrap_or(u16::MAX),
        )?;
        if u32::from(n) != index - 1 {
            return Err(DecodeError::NonCanonical { field: "delivered" });
        }
        let mut delivered = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            delivered.push(Digest::from_bytes(r.array("delivered")?));
        }
        Ok(Self {
            manifest,
            nonce,
            index,
            word,
            chunk,
            path,
            delivered,
        })
    }
}

// ---------------------------------------------------------------------------
// The broker's record
// ---------------------------------------------------------------------------

/// Version byte of a bad-delivery record.
const RECORD_VERSION: u8 = 1;

/// The store key of the bad-delivery record of a purchase whose first chain
/// is `chain`: in the group table, under `H(Tweak(DeriveId, chain, "bad!")
/// ‖ "goods/bad-delivery")`, a digest no signed object has.
pub(crate) fn record_key_of(chain: &ChainId) -> Key {
    Key::new(
        Table::Group,
        Digest::from_bytes(Sha256::hash_parts(
            &Tweak::new(Role::DeriveId, *chain, 0x6261_6421),
            &[b"goods/bad-delivery"],
        )),
    )
}

/// The bad-delivery record a redemption plan must read, if any: plain and
/// cascade claims (no group) on a single chain.
pub(crate) fn record_key(plan: &Plan) -> Option<Key> {
    if plan.group.is_some() {
        return None;
    }
    match &plan.debts.first()?.chain {
        CommittedChain::Single { params, .. } => Some(record_key_of(params.id())),
        CommittedChain::Purse { .. } => None,
    }
}

/// `version ‖ u32 index ‖ u64 reported ‖ manifest digest ‖ vendor`.
fn encode_record(bad: &BadDelivery, vendor: &VendorId, now: u64) -> Vec<u8> {
    let mut out = alloc::vec![0u8; 1 + 4 + 8 + 32 + 32];
    let mut w = Writer::new(&mut out);
    w.put_u8(RECORD_VERSION);
    w.put_u32(bad.index);
    w.put_u64(now);
    w.put(bad.manifest.as_bytes());
    w.put(vendor.as_bytes());
    out
}

/// The bad chunk's index, the manifest and the vendor of a record.
fn decode_record(bytes: &[u8]) -> Result<(u32, Digest, VendorId), DecodeError> {
    let mut r = Reader::new(bytes);
    if r.u8("record version")? != RECORD_VERSION {
        return Err(DecodeError::NonCanonical {
            field: "record version",
        });
    }
    let index = r.u32("index")?;
    let _reported = r.u64("reported")?;
    let manifest = Digest::from_bytes(r.array("manifest")?);
    let vendor = VendorId::from_bytes(r.array("vendor")?);
    r.finish()?;
    Ok((index, manifest, vendor))
}

/// The most each debt of `plan` may be credited in total under the record
/// read (none: no cap). Debts cover consecutive units (a cascade's chains,
/// each used up before the next), so debt `j` may hold the units of chunks
/// `before_j + 1 … min(before_j + len_j, index − 1)`. A record about another
/// vendor's manifest caps nothing: a proof counts only against the vendor
/// whose key (known to the broker) signed the manifest.
pub(crate) fn debt_caps(
    plan: &Plan,
    record: Option<&[u8]>,
    redeeming: &VendorId,
) -> Result<Vec<u64>, DecodeError> {
    let Some(bytes) = record else {
        return Ok(Vec::new());
    };
    let (index, _, vendor) = decode_record(bytes)?;
    if vendor != *redeeming {
        return Ok(Vec::new());
    }
    let allowed = u64::from(index.saturating_sub(1));
    let mut before = 0u64;
    Ok(plan
        .debts
        .iter()
        .map(|d| {
            let len = d.chain.capacity();
            let units = allowed.saturating_sub(before).min(len);
            before = before.saturating_add(len);
            units.saturating_mul(d.unit_value)
        })
        .collect())
}

impl<S: Store> Broker<S> {
    /// Verifies a bad-delivery proof and records, durably, that the purchase
    /// it names (the commitment whose first chain id is
    /// [`purchase_chain_id`]`(manifest digest, nonce)`) is owed at most the
    /// units before the bad chunk. Every later redemption of that commitment
    /// ([`redeem`](Self::redeem), [`redeem_cascade`](Self::redeem_cascade))
    /// credits at most `(index − 1) × unit value` in all; what was credited
    /// before the report stays credited. Reporting again, or a later chunk,
    /// changes nothing; an earlier chunk lowers the cap. Returns the bad
    /// delivery in force.
    ///
    /// `now` is stored with the record.
    ///
    /// # Cost
    ///
    /// [`BadDeliveryProof::verify`], then one read and one commit (at most
    /// [`MAX_ATTEMPTS`] under contention).
    ///
    /// # Errors
    ///
    /// The errors of [`BadDeliveryProof::verify`], before the store is
    /// touched; [`GoodsError::Store`] if the store fails (nothing recorded).
    ///
    /// # Examples
    ///
    /// See `tests/goods.rs` and `examples/fair_exchange.rs`.
    pub fn report_bad_delivery(
        &mut self,
        proof: &BadDeliveryProof,
        vendor_key: &PublicKey,
        now: u64,
    ) -> Result<BadDelivery, GoodsError> {
        // The manifest's key is the manifest's own claim: only the key the
        // broker knows for that vendor makes the proof count against it.
        if proof.manifest.fields().vendor_key != *vendor_key {
            return Err(GoodsError::UnknownVendorKey);
        }
        let bad = proof.verify()?;
        let vendor = proof.manifest.fields().vendor;
        let key = record_key_of(&bad.chain);
        for _ in 0..MAX_ATTEMPTS {
            let entry = self
                .store
                .read(&[key])
                .map_err(|_| GoodsError::Store(StoreFailure::Io))?
                .pop()
                .unwrap_or(Entry::absent());
            if let Some(bytes) = entry.value() {
                let (index, manifest, _) =
                    decode_record(bytes).map_err(|_| GoodsError::Store(StoreFailure::Corrupt))?;
                if index <= bad.index {
                    return Ok(BadDelivery {
                        chain: bad.chain,
                        manifest,
                        index,
                    });
                }
            }
            let batch = Batch::new()
                .expect(key, entry.version())
                .write(key, encode_record(&bad, &vendor, now));
            match self
                .store
                .commit(&batch)
                .map_err(|_| GoodsError::Store(StoreFailure::Io))?
            {
                Commit::Done => return Ok(bad),
                Commit::Conflict => {}
            }
        }
        Err(GoodsError::Store(StoreFailure::Contention))
    }

    /// The bad delivery recorded for the purchase whose first chain is
    /// `chain`, if any.
    ///
    /// # Errors
    ///
    /// [`GoodsError::Store`] if the store fails or the record is corrupt.
    pub fn bad_delivery(&mut self, chain: &ChainId) -> Result<Option<BadDelivery>, GoodsError> {
        let entry = self
            .store
            .read(&[record_key_of(chain)])
            .map_err(|_| GoodsError::Store(StoreFailure::Io))?
            .pop();
        entry
            .as_ref()
            .and_then(Entry::value)
            .map(|b| {
                decode_record(b)
                    .map(|(index, manifest, _)| BadDelivery {
                        chain: *chain,
                        manifest,
                        index,
                    })
                    .map_err(|_| GoodsError::Store(StoreFailure::Corrupt))
            })
            .transpose()
    }
}
