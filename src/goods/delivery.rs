//! One chunk as the vendor sends it.

use alloc::vec::Vec;

use crate::hash::Word;
use crate::message::Encode;
use crate::sign::Digest;
use crate::wire::{DecodeError, Reader, Writer};

use super::{MAX_CHUNK_SIZE, MAX_DEPTH, tag};

/// Writes `u32 len ‖ chunk`.
pub(crate) fn write_chunk(w: &mut Writer<'_>, chunk: &[u8]) {
    w.put_u32(u32::try_from(chunk.len()).unwrap_or(u32::MAX));
    w.put(chunk);
}

/// Reads `u32 len ‖ chunk`, the length checked against
/// [`MAX_CHUNK_SIZE`] before anything is allocated.
pub(crate) fn read_chunk(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let len = r.u32("chunk length")?;
    if len > MAX_CHUNK_SIZE {
        return Err(DecodeError::LengthOverLimit {
            field: "chunk",
            length: len.into(),
            max: MAX_CHUNK_SIZE.into(),
        });
    }
    let len = usize::try_from(len).map_err(|_| DecodeError::NonCanonical { field: "chunk" })?;
    Ok(r.take("chunk", len)?.to_vec())
}

/// Writes `u8 count ‖ 32·count`.
pub(crate) fn write_path(w: &mut Writer<'_>, path: &[Digest]) {
    w.put_u8(u8::try_from(path.len()).unwrap_or(u8::MAX));
    for d in path {
        w.put(d.as_bytes());
    }
}

/// Reads `u8 count ‖ 32·count`, at most [`MAX_DEPTH`] hashes.
pub(crate) fn read_path(r: &mut Reader<'_>) -> Result<Vec<Digest>, DecodeError> {
    let n = r.u8("path length")?;
    if usize::from(n) > MAX_DEPTH {
        return Err(DecodeError::LengthOverLimit {
            field: "path",
            length: n.into(),
            max: MAX_DEPTH as u64,
        });
    }
    let mut path = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        path.push(Digest::from_bytes(r.array("path")?));
    }
    Ok(path)
}

/// Chunk `index` (1-based) of a manifest's content, its Merkle path and the
/// vendor's delivery word `v_index` (see the [module docs](super)).
///
/// Encoded (after tag `0x61` and version) as `manifest digest (32) ‖ u32
/// index (≥ 1) ‖ word (32) ‖ u32 length ‖ chunk (≤ 64 KiB) ‖ u8 depth ‖
/// 32·depth`.
///
/// # Examples
///
/// ```
/// use payword::goods::{Content, ContentId, Delivery};
/// use payword::{ChainSeed, Digest, Encode};
///
/// let content = Content::new(ContentId::from_bytes([1; 32]), 4, vec![7; 10], &ChainSeed::from_bytes([2; 32]))?;
/// let d = content.delivery(&Digest::from_bytes([9; 32]), 2)?;
/// assert_eq!((d.index, d.chunk.len(), d.path.len()), (2, 4, 2));
/// assert_eq!(Delivery::decode(&d.to_bytes())?, d);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Delivery {
    /// The digest of the manifest this chunk belongs to.
    pub manifest: Digest,
    /// The chunk's index, 1 to the manifest's chunk count.
    pub index: u32,
    /// The vendor's delivery word `v_index`.
    pub word: Word,
    /// The chunk's bytes.
    pub chunk: Vec<u8>,
    /// The Merkle path, leaf level first.
    pub path: Vec<Digest>,
}

impl crate::wire::sealed::Sealed for Delivery {}

impl Encode for Delivery {
    const TAG: u8 = tag::DELIVERY;
    const MAX_LEN: usize = 2 + 32 + 4 + 32 + 4 + MAX_CHUNK_SIZE as usize + 1 + 32 * MAX_DEPTH;

    fn write_fields(&self, w: &mut Writer<'_>) {
        w.put(self.manifest.as_bytes());
        w.put_u32(self.index);
        w.put(self.word.as_bytes());
        write_chunk(w, &self.chunk);
        write_path(w, &self.path);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let manifest = Digest::from_bytes(r.array("manifest")?);
        let index = r.u32("index")?;
        if index == 0 {
            return Err(DecodeError::NonCanonical { field: "index" });
        }
        let word = Word::from_bytes(r.array("word")?);
        let chunk = read_chunk(r)?;
        let path = read_path(r)?;
        Ok(Self {
            manifest,
            index,
            word,
            chunk,
            path,
        })
    }
}
