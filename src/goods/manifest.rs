//! The vendor-signed content manifest.

use crate::bytes::byte_newtype;
use crate::message::VendorId;
use crate::sign::{Digest, PublicKey, Signed, SignedFields};
use crate::wire::{DecodeError, Reader, Writer};

use super::{MAX_CHUNK_SIZE, MAX_CHUNKS, tag};

byte_newtype!(
    /// A content's identifier, chosen by its publisher (for example the hash
    /// of a catalogue entry). It is hashed into every leaf, node and delivery
    /// step of the content.
    ContentId,
    32
);

/// What a vendor signs about one content.
///
/// Encoded (after tag `0x60` and version) as `vendor (32) ‖ vendor key ‖
/// content (32) ‖ u32 chunk_size ‖ u32 chunks ‖ u32 last_chunk ‖ u64
/// unit_value ‖ root (32) ‖ delivery (32)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ManifestFields {
    /// The vendor paid for the content.
    pub vendor: VendorId,
    /// The key that signs the manifest.
    pub vendor_key: PublicKey,
    /// The content.
    pub content: ContentId,
    /// Length of every chunk but the last, 1 to
    /// [`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE) bytes.
    pub chunk_size: u32,
    /// Number of chunks, 1 to [`MAX_CHUNKS`](super::MAX_CHUNKS).
    pub chunks: u32,
    /// Length of the last chunk, 1 to `chunk_size`.
    pub last_chunk: u32,
    /// Price of one chunk (the commitment's unit value), at least 1.
    pub unit_value: u64,
    /// Merkle root of the chunks.
    pub root: Digest,
    /// Anchor `v_0` of the vendor's delivery chain.
    pub delivery: Digest,
}

impl ManifestFields {
    /// The content's length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::goods::{Content, ContentId};
    /// use payword::{ChainSeed, PublicKey, VendorId};
    ///
    /// let content = Content::new(ContentId::from_bytes([1; 32]), 4, vec![7; 10], &ChainSeed::from_bytes([2; 32]))?;
    /// let f = content.manifest_fields(VendorId::from_bytes([3; 32]), PublicKey::ed25519([4; 32]), 5);
    /// assert_eq!((f.chunks, f.last_chunk, f.len()), (3, 2, 10));
    /// # Ok::<(), payword::goods::GoodsError>(())
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> u64 {
        u64::from(self.chunks.saturating_sub(1))
            .saturating_mul(self.chunk_size.into())
            .saturating_add(self.last_chunk.into())
    }

    /// Whether the sizes are in range.
    pub(crate) fn sizes_ok(chunk_size: u32, chunks: u32, last_chunk: u32) -> bool {
        (1..=MAX_CHUNK_SIZE).contains(&chunk_size)
            && (1..=MAX_CHUNKS).contains(&chunks)
            && (1..=chunk_size).contains(&last_chunk)
    }
}

/// A vendor-signed content manifest: [`ManifestFields`] signed with the
/// vendor's key. One signature per content, however many customers buy it.
///
/// # Examples
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use payword::goods::{Content, ContentId, Manifest};
/// use payword::{ChainSeed, Encode, MessageSigner, VendorId};
///
/// let vendor = SigningKey::from_bytes(&[5; 32]);
/// let content = Content::new(ContentId::from_bytes([1; 32]), 1024, vec![0; 5000], &ChainSeed::from_bytes([2; 32]))?;
/// let manifest = Manifest::sign(content.manifest_fields(VendorId::from_bytes([3; 32]), vendor.public_key(), 2), &vendor)?;
/// assert!(manifest.verify(&vendor.public_key()).is_ok());
/// assert_eq!(Manifest::decode(&manifest.to_bytes())?, manifest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Manifest = Signed<ManifestFields>;

impl crate::wire::sealed::Sealed for ManifestFields {}

impl SignedFields for ManifestFields {
    const TAG: u8 = tag::MANIFEST;
    const MAX_LEN: usize = 32 + PublicKey::MAX_ENCODED_LEN + 32 + 12 + 8 + 32 + 32;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.vendor.as_bytes());
        self.vendor_key.write(w);
        w.put(self.content.as_bytes());
        w.put_u32(self.chunk_size);
        w.put_u32(self.chunks);
        w.put_u32(self.last_chunk);
        w.put_u64(self.unit_value);
        w.put(self.root.as_bytes());
        w.put(self.delivery.as_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let vendor_key = PublicKey::read(r, "vendor_key")?;
        let content = ContentId::from_bytes(r.array("content")?);
        let chunk_size = r.u32("chunk_size")?;
        let chunks = r.u32("chunks")?;
        let last_chunk = r.u32("last_chunk")?;
        if !ManifestFields::sizes_ok(chunk_size, chunks, last_chunk) {
            return Err(DecodeError::NonCanonical { field: "chunks" });
        }
        let unit_value = r.u64("unit_value")?;
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        Ok(Self {
            vendor,
            vendor_key,
            content,
            chunk_size,
            chunks,
            last_chunk,
            unit_value,
            root: Digest::from_bytes(r.array("root")?),
            delivery: Digest::from_bytes(r.array("delivery")?),
        })
    }
}
