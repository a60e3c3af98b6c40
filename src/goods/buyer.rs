//! The customer side: the [`Buyer`] state machine.

use alloc::boxed::Box;
use alloc::vec::Vec;

use subtle::ConstantTimeEq;

use crate::chain::ChainId;
use crate::sign::{Digest, PublicKey};

use super::{
    BadDeliveryProof, Delivery, GoodsError, Manifest, chunk_len, delivery_digest, delivery_step,
    depth, leaf_hash, purchase_chain_id, root_from_path,
};

/// The customer's state machine for buying one content (see the
/// [module docs](super) for the protocol).
///
/// It authorizes the payword of chunk `i` only when every chunk paid so far
/// has arrived and verified, so at most one unit is ever paid ahead
/// ([`exposure`](Self::exposure) ≤ 1). A delivery whose vendor word does not
/// verify is ignored; one that verifies but fails the signed root stops the
/// buyer and leaves a [`BadDeliveryProof`] to show the broker.
///
/// # Examples
///
/// A whole exchange, with the buyer's and seller's exposures at every step:
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use payword::goods::{purchase_chain_id, Buyer, Content, ContentId, Manifest, Seller};
/// use payword::renew::RenewingWallet;
/// use payword::*;
///
/// let (broker, customer, vendor) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]), SigningKey::from_bytes(&[3; 32]));
/// let vendor_id = VendorId::from_bytes([4; 32]);
/// // Vendor, once per content: chunks, tree, delivery chain; one signature.
/// let content = Content::new(ContentId::from_bytes([5; 32]), 100, vec![6; 1000], &ChainSeed::from_bytes([7; 32]))?;
/// let manifest = Manifest::sign(content.manifest_fields(vendor_id, vendor.public_key(), 3), &vendor)?;
/// // Customer: checks the manifest, commits to a chain bound to it.
/// let nonce = [8; 16];
/// let mut buyer = Buyer::new(manifest, &vendor.public_key(), nonce)?;
/// let cert = Certificate::issue(CertificateFields {
///     broker: BrokerId::from_bytes([9; 32]), serial: 1, customer: CustomerId::from_bytes([1; 16]),
///     customer_key: customer.public_key(), credit_limit: 1000, valid_from: 0, expires: 100,
/// }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, buyer.chain_id(), 4)?;
/// let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([10; 32]), params, 0)?;
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: cert.digest(), vendor: vendor_id, unit_value: 3, valid_from: 0, expires: 100,
///     chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
/// }, &customer)?;
/// wallet.bind(&commitment)?;
/// let session = Session::open(vendor_id, &broker.public_key(), cert, commitment, 1, 0)?;
/// let mut seller = Seller::open(&content, manifest, session, &nonce)?;
///
/// let mut file = Vec::new();
/// while !buyer.is_complete() {
///     buyer.authorize()?;                       // payword i leaves …
///     let out = wallet.pay()?;
///     if let Some(link) = &out.link { seller.renew(link, 1)?; }
///     seller.pay(&out.payment, 1)?;             // … and is verified (one hash)
///     assert!(buyer.exposure() <= 1 && seller.exposure() == 0);
///     let d = seller.deliver()?;                // then chunk i
///     buyer.receive(&d)?;                       // checked before payword i + 1
///     file.extend_from_slice(&d.chunk);
/// }
/// assert_eq!(file, vec![6; 1000]);
/// assert_eq!((buyer.exposure(), seller.exposure(), seller.paid()), (0, 0, 10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Buyer {
    manifest: Manifest,
    digest: Digest,
    nonce: [u8; 16],
    depth: usize,
    paid: u32,
    received: u32,
    /// `v_received` (the anchor before any chunk).
    word: [u8; 32],
    /// `e_1 … e_received`.
    delivered: Vec<Digest>,
    proof: Option<Box<BadDeliveryProof>>,
}

impl Buyer {
    /// Checks the manifest's signature under `vendor_key` (the key the
    /// customer knows the vendor by) and starts a purchase with `nonce`
    /// (fresh per purchase; it fixes [`chain_id`](Self::chain_id)).
    ///
    /// # Errors
    ///
    /// [`GoodsError::BadSignature`] if the manifest is not signed by
    /// `vendor_key`.
    pub fn new(
        manifest: Manifest,
        vendor_key: &PublicKey,
        nonce: [u8; 16],
    ) -> Result<Self, GoodsError> {
        let f = manifest.fields();
        if f.vendor_key != *vendor_key || manifest.verify(vendor_key).is_err() {
            return Err(GoodsError::BadSignature);
        }
        let digest = manifest.digest();
        Ok(Self {
            depth: depth(f.chunks),
            word: *f.delivery.as_bytes(),
            manifest,
            digest,
            nonce,
            paid: 0,
            received: 0,
            delivered: Vec::new(),
            proof: None,
        })
    }

    /// The id the first chain of the purchase's commitment must have
    /// ([`purchase_chain_id`]).
    #[must_use]
    pub fn chain_id(&self) -> ChainId {
        purchase_chain_id(&self.digest, &self.nonce)
    }

    /// The purchase's nonce (the vendor needs it to check the binding).
    #[must_use]
    pub const fn nonce(&self) -> &[u8; 16] {
        &self.nonce
    }

    /// The manifest.
    #[must_use]
    pub const fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Allows the next payword: returns the index of the chunk it pays for.
    /// Call it before releasing each payword, and release nothing if it
    /// fails.
    ///
    /// # Errors
    ///
    /// [`GoodsError::Stopped`] after a bad delivery,
    /// [`GoodsError::Outstanding`] while a paid chunk has not arrived,
    /// [`GoodsError::Finished`] when every chunk is paid for and received.
    pub fn authorize(&mut self) -> Result<u32, GoodsError> {
        if self.proof.is_some() {
            return Err(GoodsError::Stopped);
        }
        if self.paid > self.received {
            return Err(GoodsError::Outstanding);
        }
        if self.paid >= self.manifest.fields().chunks {
            return Err(GoodsError::Finished);
        }
        self.paid += 1;
        Ok(self.paid)
    }

    /// Checks a delivery: the chunk paid for and not yet received, its
    /// vendor word against the delivery chain, then the chunk and its path
    /// against the signed root.
    ///
    /// # Cost
    ///
    /// The chunk's leaf (one pass over at most
    /// [`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE) bytes), `e_i`, one chain
    /// step, then `depth` nodes. Nothing is hashed for a delivery out of
    /// order or of the wrong shape.
    ///
    /// # Errors
    ///
    /// - [`GoodsError::Stopped`] after a bad delivery;
    /// - [`GoodsError::WrongManifest`], [`GoodsError::Unexpected`] (not the
    ///   chunk paid for), [`GoodsError::Unauthenticated`] (the vendor word
    ///   does not verify): nothing changes, the vendor may send it again;
    /// - [`GoodsError::BadChunk`]: the vendor authenticated a chunk that
    ///   fails the root; the buyer stops and
    ///   [`bad_delivery_proof`](Self::bad_delivery_proof) holds the proof.
    pub fn receive(&mut self, delivery: &Delivery) -> Result<u32, GoodsError> {
        if self.proof.is_some() {
            return Err(GoodsError::Stopped);
        }
        if delivery.manifest != self.digest {
            return Err(GoodsError::WrongManifest);
        }
        let expected = self.received.saturating_add(1);
        if delivery.index != expected || delivery.index > self.paid {
            return Err(GoodsError::Unexpected {
                expected,
                found: delivery.index,
            });
        }
        if delivery.path.len() != self.depth {
            return Err(GoodsError::Unauthenticated);
        }
        let f = self.manifest.fields();
        let i = delivery.index;
        let leaf = leaf_hash(&f.content, i - 1, &delivery.chunk);
        let e = delivery_digest(&f.content, i, &leaf, &delivery.path);
        let back = delivery_step(&f.content, i, delivery.word.as_bytes(), &e);
        if !bool::from(back.ct_eq(&self.word)) {
            return Err(GoodsError::Unauthenticated);
        }
        let root = root_from_path(&f.content, i - 1, &leaf, &delivery.path);
        let right_len = u32::try_from(delivery.chunk.len()).ok() == Some(chunk_len(f, i));
        if !right_len || !bool::from(root.ct_eq(f.root.as_bytes())) {
            self.proof = Some(Box::new(BadDeliveryProof {
                manifest: self.manifest,
                nonce: self.nonce,
                index: i,
                word: delivery.word,
                chunk: delivery.chunk.clone(),
                path: delivery.path.clone(),
                delivered: self.delivered.clone(),
            }));
            return Err(GoodsError::BadChunk { index: i });
        }
        self.word = *delivery.word.as_bytes();
        self.delivered.push(Digest::from_bytes(e));
        self.received = i;
        Ok(i)
    }

    /// Units paid for chunks that have not arrived and verified: 0 or 1.
    #[must_use]
    pub const fn exposure(&self) -> u64 {
        // `paid ≤ received + 1` is kept by `authorize`.
        self.paid.saturating_sub(self.received) as u64
    }

    /// Units (paywords) authorized.
    #[must_use]
    pub const fn paid(&self) -> u32 {
        self.paid
    }

    /// Chunks received and verified.
    #[must_use]
    pub const fn received(&self) -> u32 {
        self.received
    }

    /// The delivery digests `e_1 … e_received` kept for a proof (see the
    /// [module docs](super)).
    #[must_use]
    pub fn delivery_digests(&self) -> &[Digest] {
        &self.delivered
    }

    /// Whether every chunk arrived and verified.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.received >= self.manifest.fields().chunks
    }

    /// The proof of the bad delivery that stopped the buyer, if any.
    #[must_use]
    pub fn bad_delivery_proof(&self) -> Option<&BadDeliveryProof> {
        self.proof.as_deref()
    }
}
