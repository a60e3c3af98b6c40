//! The canonical binary encoding: a bounded `Reader`, a `Writer` and the
//! detailed [`DecodeError`]. Crate-private except for the error.
//!
//! Rules every message follows (see `docs/WIRE.md`): a type tag and a version
//! byte first, fixed-width big-endian integers, length prefixes checked against
//! explicit maxima before anything is allocated, no trailing bytes, reserved
//! values rejected, so that each value has exactly one encoding and
//! `encode(decode(b)) == b` for every accepted `b`.

use core::fmt;

use crate::hash::MessageHasher;

/// Why bytes did not decode. Says which field was wrong and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside `field`.
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// Bytes left over after a complete value.
    TrailingData {
        /// How many.
        extra: usize,
    },
    /// The type tag is not the one expected (or not known at all).
    UnknownTag {
        /// The tag read.
        tag: u8,
    },
    /// The version byte is not one this library reads.
    UnknownVersion {
        /// The version read.
        version: u8,
    },
    /// A length or count is above its maximum.
    LengthOverLimit {
        /// The field.
        field: &'static str,
        /// The length read.
        length: u64,
        /// The maximum allowed.
        max: u64,
    },
    /// A field holds a reserved or out-of-range value, or a value whose
    /// encoding is not the canonical one.
    NonCanonical {
        /// The field.
        field: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                field,
                needed,
                remaining,
            } => write!(
                f,
                "truncated at {field}: needs {needed} bytes, {remaining} left"
            ),
            Self::TrailingData { extra } => write!(f, "{extra} trailing bytes"),
            Self::UnknownTag { tag } => write!(f, "unknown type tag {tag:#04x}"),
            Self::UnknownVersion { version } => write!(f, "unknown version {version}"),
            Self::LengthOverLimit { field, length, max } => {
                write!(f, "{field} length {length} is over the limit {max}")
            }
            Self::NonCanonical { field } => write!(f, "non-canonical or reserved value in {field}"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A cursor over untrusted bytes. Every read is bounds-checked and names its
/// field in the error.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

// Without `ed25519` only the pebbler state and purse codecs read bytes.
#[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Bytes not yet read.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Takes the next `len` bytes.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] if fewer are left.
    pub fn take(&mut self, field: &'static str, len: usize) -> Result<&'a [u8], DecodeError> {
        if len > self.rest.len() {
            return Err(DecodeError::Truncated {
                field,
                needed: len,
                remaining: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    /// Takes `N` bytes as an array.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] if fewer are left.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`].
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(field).map(|[b]| b)
    }

    /// Reads a big-endian `u16`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`].
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        self.array(field).map(u16::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`].
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// Reads a big-endian `u64`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`].
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        self.array(field).map(u64::from_be_bytes)
    }

    /// Reads a one-byte boolean (0 or 1; anything else is non-canonical).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`], [`DecodeError::NonCanonical`].
    pub fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::NonCanonical { field }),
        }
    }

    /// Reads a count (u16 BE) and checks it against `max` before anything is
    /// read or allocated for the items.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`], [`DecodeError::LengthOverLimit`].
    pub fn count(&mut self, field: &'static str, max: u16) -> Result<u16, DecodeError> {
        let n = self.u16(field)?;
        if n > max {
            return Err(DecodeError::LengthOverLimit {
                field,
                length: n.into(),
                max: max.into(),
            });
        }
        Ok(n)
    }

    /// Checks that everything was read.
    ///
    /// # Errors
    ///
    /// [`DecodeError::TrailingData`].
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData {
                extra: self.rest.len(),
            })
        }
    }
}

/// A cursor that writes into a caller's buffer, or streams into a message
/// hash. Writing past the end of a buffer is not an error: the bytes that do
/// not fit are dropped and [`Writer::position`] still counts them, so a caller
/// can size a buffer with a first pass (and detect a short one by comparing).
pub struct Writer<'a> {
    out: Out<'a>,
    at: usize,
}

// Without `ed25519` nothing streams into a message hash.
#[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
enum Out<'a> {
    Buffer(&'a mut [u8]),
    Hash(&'a mut MessageHasher),
}

/// The hashing arm of [`Writer::put`], kept out of line so that writing
/// into a buffer stays a few instructions.
#[inline(never)]
fn hash_put(h: &mut MessageHasher, bytes: &[u8]) {
    h.update(bytes);
}

impl fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
impl<'a> Writer<'a> {
    /// A writer at the start of `out`.
    #[must_use]
    pub fn new(out: &'a mut [u8]) -> Self {
        Self {
            out: Out::Buffer(out),
            at: 0,
        }
    }

    /// A writer that feeds everything into `hasher` (nothing is dropped).
    #[must_use]
    pub(crate) fn hashing(hasher: &'a mut MessageHasher) -> Self {
        Self {
            out: Out::Hash(hasher),
            at: 0,
        }
    }

    /// Bytes written (or that would have been written).
    #[must_use]
    pub const fn position(&self) -> usize {
        self.at
    }

    /// Appends `bytes`.
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) {
        let end = self.at.saturating_add(bytes.len());
        match &mut self.out {
            Out::Buffer(out) => {
                if let Some(dst) = out.get_mut(self.at..end) {
                    dst.copy_from_slice(bytes);
                }
            }
            Out::Hash(h) => hash_put(h, bytes),
        }
        self.at = end;
    }

    /// Appends one byte.
    #[inline]
    pub fn put_u8(&mut self, v: u8) {
        self.put(&[v]);
    }

    /// Appends a big-endian `u16`.
    #[inline]
    pub fn put_u16(&mut self, v: u16) {
        self.put(&v.to_be_bytes());
    }

    /// Appends a big-endian `u32`.
    #[inline]
    pub fn put_u32(&mut self, v: u32) {
        self.put(&v.to_be_bytes());
    }

    /// Appends a big-endian `u64`.
    #[inline]
    pub fn put_u64(&mut self, v: u64) {
        self.put(&v.to_be_bytes());
    }
}

/// Reads a bounded list: a count (u16 BE) checked against `max` before any
/// item is read, then the items. Nothing is allocated up front: the vector
/// grows only with items actually decoded, so its size is bounded by the
/// input present, not by a count the input may not back.
///
/// # Errors
///
/// [`DecodeError::Truncated`], [`DecodeError::LengthOverLimit`], or the
/// first item's error.
#[cfg(all(feature = "alloc", feature = "ed25519"))]
pub(crate) fn read_list<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    max: u16,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<alloc::vec::Vec<T>, DecodeError> {
    let n = r.count(field, max)?;
    let mut out = alloc::vec::Vec::new();
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

/// Version byte of every message this library writes.
#[cfg(feature = "ed25519")]
pub const VERSION: u8 = 1;

#[cfg(feature = "ed25519")]
pub(crate) mod sealed {
    /// Seals [`Encode`](super::Encode): only this crate's messages have a
    /// canonical encoding.
    pub trait Sealed {}
}

#[cfg(feature = "ed25519")]
/// A value with one canonical binary encoding.
///
/// # Examples
///
/// ```
/// use payword::{Encode, Payment, PaymentBody, Payword, Digest, Word};
///
/// let p = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))));
/// let mut buf = [0u8; Payment::MAX_LEN];
/// let len = p.encode(&mut buf);
/// assert_eq!(Payment::decode(&buf[..len])?, p);
/// # Ok::<(), payword::DecodeError>(())
/// ```
pub trait Encode: sealed::Sealed + Sized {
    /// The type tag.
    const TAG: u8;
    /// The largest encoding, in bytes.
    const MAX_LEN: usize;

    /// Writes the fields after the tag and version.
    #[doc(hidden)]
    fn write_fields(&self, w: &mut Writer<'_>);

    /// Reads the fields after the tag and version.
    #[doc(hidden)]
    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Writes the whole encoding (tag, version, fields).
    fn write(&self, w: &mut Writer<'_>) {
        w.put_u8(Self::TAG);
        w.put_u8(VERSION);
        self.write_fields(w);
    }

    /// Reads a whole encoding from a reader, leaving the rest.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] naming what was wrong.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = r.u8("tag")?;
        if tag != Self::TAG {
            return Err(DecodeError::UnknownTag { tag });
        }
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(DecodeError::UnknownVersion { version });
        }
        Self::read_fields(r)
    }

    /// Encodes into `out`, returning the length (at most [`Self::MAX_LEN`]; a
    /// shorter `out` receives what fits, and the return value is the full length).
    fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = Writer::new(out);
        self.write(&mut w);
        w.position()
    }

    /// Encodes into a fresh vector.
    #[cfg(feature = "alloc")]
    fn to_bytes(&self) -> alloc::vec::Vec<u8> {
        let mut v = alloc::vec![0u8; Self::MAX_LEN];
        let len = self.encode(&mut v);
        v.truncate(len);
        v
    }

    /// Decodes exactly one value from `bytes` (no trailing data).
    ///
    /// # Errors
    ///
    /// [`DecodeError`] naming what was wrong.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_the_short_field() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u8("a"), Ok(1));
        assert_eq!(
            r.u32("b"),
            Err(DecodeError::Truncated {
                field: "b",
                needed: 4,
                remaining: 2
            })
        );
        assert_eq!(r.u16("c"), Ok(0x0203));
        assert_eq!(r.finish(), Ok(()));
        assert_eq!(
            Reader::new(&[0]).finish(),
            Err(DecodeError::TrailingData { extra: 1 })
        );
        assert_eq!(
            Reader::new(&[2]).bool("f"),
            Err(DecodeError::NonCanonical { field: "f" })
        );
        assert_eq!(
            Reader::new(&[0, 9]).count("n", 8),
            Err(DecodeError::LengthOverLimit {
                field: "n",
                length: 9,
                max: 8
            })
        );
    }

    #[test]
    fn writer_counts_past_the_end() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        w.put_u16(0x0102);
        w.put_u32(7);
        assert_eq!(w.position(), 6);
        assert_eq!(buf, [1, 2, 0]);
    }
}
