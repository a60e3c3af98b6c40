//! The canonical binary encoding: a bounded `Reader`, a `Writer`, the
//! detailed [`DecodeError`], the [`Encode`] trait of every message and the
//! messages' text form (base64url, [`TextError`]). `Reader` and `Writer` are
//! crate-private.
//!
//! Rules every message follows (see `docs/WIRE.md`): a type tag and a version
//! byte first, fixed-width big-endian integers, length prefixes checked against
//! explicit maxima before anything is allocated, no trailing bytes, reserved
//! values rejected, so that each value has exactly one encoding and
//! `encode(decode(b)) == b` for every accepted `b`.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding as _};

use crate::bytes::HexError;
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
#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
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
#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
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

#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
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
#[cfg(all(feature = "alloc", feature = "protocol"))]
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
pub const VERSION: u8 = 1;

pub(crate) mod sealed {
    /// Seals [`Encode`](super::Encode): only this crate's messages have a
    /// canonical encoding.
    pub trait Sealed {}
}

/// A value with one canonical binary encoding, and one text form.
///
/// The text form is the base64url encoding (RFC 4648 §5, URL- and
/// header-safe alphabet `A–Z a–z 0–9 - _`, no padding) of the binary
/// encoding, for HTTP headers, URLs and configuration files. Reading it is
/// exactly as strict as reading bytes: the length is checked against
/// [`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) before anything is decoded, padding,
/// whitespace, the standard alphabet's `+` and `/` and non-canonical trailing
/// bits are refused (so a value has one text), and then the canonical binary
/// decoder runs. Without `alloc`, [`encode_text`](Self::encode_text) and
/// [`decode_text`](Self::decode_text) work in caller buffers; with it,
/// [`to_text`](Self::to_text) and [`from_text`](Self::from_text) allocate
/// (at most the checked length).
///
/// Implemented by every message of the crate (sealed); without the
/// `ed25519` feature, by [`Payment`](crate::Payment).
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

    /// The length of the longest text form, in bytes (ASCII characters):
    /// `⌈4 · MAX_LEN / 3⌉`. A longer text is refused before anything is
    /// decoded; a buffer of this length holds any text of the type.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Encode, Payment};
    ///
    /// assert_eq!(Payment::MAX_LEN, 324);
    /// assert_eq!(Payment::MAX_TEXT_LEN, 432);
    /// ```
    const MAX_TEXT_LEN: usize = text_len(Self::MAX_LEN);

    /// Writes the text form into `out` and returns it. No allocation: the
    /// binary encoding is written at the start of `out` and expanded in
    /// place.
    ///
    /// # Errors
    ///
    /// [`TextError::BufferTooSmall`] if `out` is shorter than the text
    /// (`out` of [`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) bytes always
    /// suffices); `out` then holds nothing useful.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Digest, Encode, Payment, PaymentBody, Payword, TextError, Word};
    ///
    /// let p = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))));
    /// let mut buf = [0u8; Payment::MAX_TEXT_LEN];
    /// let text = p.encode_text(&mut buf)?;
    /// assert_eq!(text.len(), 95); // 71 bytes
    /// assert!(text.starts_with("EgEBAQEB"));
    /// assert_eq!(
    ///     p.encode_text(&mut [0u8; 94]),
    ///     Err(TextError::BufferTooSmall { needed: 95, available: 94 })
    /// );
    /// # Ok::<(), TextError>(())
    /// ```
    fn encode_text<'a>(&self, out: &'a mut [u8]) -> Result<&'a str, TextError> {
        write_text(out, |w| self.write(w))
    }

    /// The text form in a fresh string.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Digest, Encode, Payment, PaymentBody, Payword, Word};
    ///
    /// let p = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))));
    /// let text = p.to_text();
    /// assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    /// assert_eq!(Payment::from_text(&text)?, p);
    /// # Ok::<(), payword::TextError>(())
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    fn to_text(&self) -> alloc::string::String {
        let mut buf = alloc::vec![0u8; text_len(self.encode(&mut []))];
        // Cannot fail: the buffer is exactly the text's length, and the
        // text is ASCII.
        let len = self.encode_text(&mut buf).map_or(0, str::len);
        buf.truncate(len);
        alloc::string::String::from_utf8(buf).unwrap_or_default()
    }

    /// Decodes a text form using `scratch` for the bytes. No allocation.
    ///
    /// The text's length is checked against
    /// [`MAX_TEXT_LEN`](Self::MAX_TEXT_LEN) and `scratch` first; then the
    /// base64url is decoded (constant-time, by `base64ct`) and the canonical
    /// binary decoder runs on the bytes. `scratch` needs `⌊3 · len / 4⌋`
    /// bytes for a text of `len` characters; [`MAX_LEN`](Self::MAX_LEN)
    /// bytes always suffice.
    ///
    /// # Cost
    ///
    /// Linear in the text's length, which is bounded before any work.
    ///
    /// # Errors
    ///
    /// [`TextError::TooLong`], [`TextError::BufferTooSmall`], a character or
    /// length error ([`TextError::Padding`], [`TextError::Whitespace`],
    /// [`TextError::StandardAlphabet`], [`TextError::InvalidCharacter`],
    /// [`TextError::InvalidLength`], [`TextError::NonCanonicalTrailingBits`]),
    /// or [`TextError::Decode`] with the binary decoder's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Digest, Encode, Payment, PaymentBody, Payword, TextError, Word};
    ///
    /// let p = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))));
    /// let mut out = [0u8; Payment::MAX_TEXT_LEN];
    /// let text = p.encode_text(&mut out)?;
    /// let mut scratch = [0u8; Payment::MAX_LEN];
    /// assert_eq!(Payment::decode_text(text, &mut scratch)?, p);
    /// // One value, one text: padding is refused.
    /// let padded = format!("{text}=");
    /// assert_eq!(
    ///     Payment::decode_text(&padded, &mut scratch),
    ///     Err(TextError::Padding { position: 95 })
    /// );
    /// # Ok::<(), TextError>(())
    /// ```
    fn decode_text(text: &str, scratch: &mut [u8]) -> Result<Self, TextError> {
        let bytes = read_text(text, Self::MAX_LEN, scratch)?;
        Self::decode(bytes).map_err(TextError::Decode)
    }

    /// Decodes a text form, allocating the bytes (at most
    /// [`MAX_LEN`](Self::MAX_LEN), after the length check).
    ///
    /// # Cost
    ///
    /// As [`decode_text`](Self::decode_text).
    ///
    /// # Errors
    ///
    /// As [`decode_text`](Self::decode_text) (never
    /// [`TextError::BufferTooSmall`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, Encode, Payment, TextError};
    ///
    /// let too_long = "A".repeat(Payment::MAX_TEXT_LEN + 1);
    /// assert_eq!(
    ///     Payment::from_text(&too_long),
    ///     Err(TextError::TooLong { length: 433, max: 432 })
    /// );
    /// assert_eq!(
    ///     Payment::from_text("EgE"), // tag and version, then nothing
    ///     Err(TextError::Decode(DecodeError::Truncated { field: "commitment", needed: 32, remaining: 0 }))
    /// );
    /// ```
    #[cfg(feature = "alloc")]
    fn from_text(text: &str) -> Result<Self, TextError> {
        check_text_len(text, Self::MAX_LEN)?;
        let mut scratch = alloc::vec![0u8; decoded_len(text.len())];
        Self::decode_text(text, &mut scratch)
    }
}

/// Why a text form was refused: the base64url text of a message, key or
/// signature, or the hex of a `PublicKey` (its `FromStr`). Says what was
/// wrong.
///
/// A base64url text is checked in this order: its length against the
/// type's longest text ([`TooLong`](Self::TooLong), before any decoding),
/// its characters and length, then the bytes by the canonical binary decoder
/// ([`Decode`](Self::Decode)).
///
/// # Examples
///
/// ```
/// use payword::{Encode, Payment, TextError};
///
/// assert_eq!(Payment::from_text("EgE+"), Err(TextError::StandardAlphabet { position: 3 }));
/// assert_eq!(Payment::from_text(" EgE"), Err(TextError::Whitespace { position: 0 }));
/// assert_eq!(Payment::from_text("EgF"), Err(TextError::NonCanonicalTrailingBits));
/// assert_eq!(TextError::Padding { position: 4 }.to_string(), "padding character at byte 4 (the text form has no padding)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextError {
    /// The text is longer than the longest text of the type: refused before
    /// anything was decoded.
    TooLong {
        /// Its length, in bytes.
        length: usize,
        /// The longest text of the type.
        max: usize,
    },
    /// A padding character `=`: the text form has none.
    Padding {
        /// Byte offset in the text.
        position: usize,
    },
    /// `+` or `/`, from the standard base64 alphabet: the text form uses the
    /// URL-safe `-` and `_`.
    StandardAlphabet {
        /// Byte offset in the text.
        position: usize,
    },
    /// Whitespace (space, tab, line break, …), also at either end: the text
    /// form has none.
    Whitespace {
        /// Byte offset in the text.
        position: usize,
    },
    /// Another byte outside `A–Z a–z 0–9 - _`.
    InvalidCharacter {
        /// Byte offset in the text.
        position: usize,
    },
    /// A length no base64url text has (one more than a multiple of 4).
    InvalidLength {
        /// The text's length.
        length: usize,
    },
    /// The last character sets bits that encode no byte: the same bytes
    /// have one text, the one with those bits clear.
    NonCanonicalTrailingBits,
    /// The caller's buffer is shorter than what is needed.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// Hex text: not exactly the lower-case hex digits the type needs.
    Hex(HexError),
    /// The text decoded to bytes that are not a canonical encoding of the
    /// type.
    Decode(DecodeError),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { length, max } => {
                write!(f, "text of {length} bytes is over the limit {max}")
            }
            Self::Padding { position } => write!(
                f,
                "padding character at byte {position} (the text form has no padding)"
            ),
            Self::StandardAlphabet { position } => write!(
                f,
                "standard-alphabet '+' or '/' at byte {position} (the text form is base64url: '-' and '_')"
            ),
            Self::Whitespace { position } => write!(f, "whitespace at byte {position}"),
            Self::InvalidCharacter { position } => {
                write!(f, "invalid character at byte {position}")
            }
            Self::InvalidLength { length } => {
                write!(f, "no base64url text has length {length}")
            }
            Self::NonCanonicalTrailingBits => {
                f.write_str("non-canonical text: the last character has unused bits set")
            }
            Self::BufferTooSmall { needed, available } => {
                write!(f, "buffer of {available} bytes, {needed} needed")
            }
            Self::Hex(e) => write!(f, "bad hex: {e}"),
            Self::Decode(e) => write!(f, "text decodes to a bad encoding: {e}"),
        }
    }
}

impl core::error::Error for TextError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Hex(e) => Some(e),
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for TextError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// The length of the base64url text (no padding) of `len` bytes:
/// `⌈4 · len / 3⌉`.
pub(crate) const fn text_len(len: usize) -> usize {
    let rest = len % 3;
    (len / 3)
        .saturating_mul(4)
        .saturating_add(if rest == 0 { 0 } else { rest + 1 })
}

/// The number of bytes a base64url text of `len` characters holds:
/// `⌊3 · len / 4⌋` (for a valid length).
pub(crate) const fn decoded_len(len: usize) -> usize {
    (len / 4) * 3 + (len % 4) * 3 / 4
}

/// Refuses a text longer than the text of `max_len` bytes.
pub(crate) fn check_text_len(text: &str, max_len: usize) -> Result<(), TextError> {
    let max = text_len(max_len);
    if text.len() > max {
        return Err(TextError::TooLong {
            length: text.len(),
            max,
        });
    }
    Ok(())
}

/// Writes the base64url text of what `write` writes into `out`.
///
/// The bytes are written at the start of `out`, then expanded in place from
/// the last 3-byte group to the first: group `i` (bytes `3i..3i+3`) is copied
/// out, then becomes characters `4i..4i+4`. Those lie above every group not
/// yet expanded (bytes below `3i`) and below every character already written
/// (at `4i + 4` and up), so nothing is overwritten before it is read.
pub(crate) fn write_text(
    out: &mut [u8],
    write: impl FnOnce(&mut Writer<'_>),
) -> Result<&str, TextError> {
    let len = {
        let mut w = Writer::new(out);
        write(&mut w);
        w.position()
    };
    let needed = text_len(len);
    let available = out.len();
    let text = out
        .get_mut(..needed)
        .ok_or(TextError::BufferTooSmall { needed, available })?;
    // `needed ≥ len`: every byte was written, and every range below is in
    // bounds.
    for i in (0..len.div_ceil(3)).rev() {
        let (start, end) = (3 * i, len.min(3 * i + 3));
        let mut group = [0u8; 3];
        for (g, b) in group.iter_mut().zip(text.get(start..end).unwrap_or(&[])) {
            *g = *b;
        }
        let mut chars = [0u8; 4];
        let chars = Base64UrlUnpadded::encode(group.get(..end - start).unwrap_or(&[]), &mut chars)
            .unwrap_or("");
        for (dst, c) in text.iter_mut().skip(4 * i).zip(chars.bytes()) {
            *dst = c;
        }
    }
    core::str::from_utf8(text).map_err(|e| TextError::InvalidCharacter {
        position: e.valid_up_to(),
    })
}

/// Decodes the base64url `text` of at most `max_len` bytes into `scratch`.
///
/// The length is checked first (against `max_len`, then `scratch`); only
/// then is anything decoded, by `base64ct` (constant-time, strict: no
/// padding, no whitespace, URL-safe alphabet only, canonical trailing bits).
/// A refusal is then classified by a scan of the text, for the error.
pub(crate) fn read_text<'a>(
    text: &str,
    max_len: usize,
    scratch: &'a mut [u8],
) -> Result<&'a [u8], TextError> {
    check_text_len(text, max_len)?;
    let needed = decoded_len(text.len());
    let available = scratch.len();
    let out = scratch
        .get_mut(..needed)
        .ok_or(TextError::BufferTooSmall { needed, available })?;
    Base64UrlUnpadded::decode(text.as_bytes(), out).map_err(|_| text_fault(text.as_bytes()))
}

/// What is wrong with a text `base64ct` refused.
fn text_fault(text: &[u8]) -> TextError {
    for (position, &c) in text.iter().enumerate() {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {}
            b'=' => return TextError::Padding { position },
            b'+' | b'/' => return TextError::StandardAlphabet { position },
            // ASCII whitespace, vertical tab included.
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                return TextError::Whitespace { position };
            }
            _ => return TextError::InvalidCharacter { position },
        }
    }
    if text.len() % 4 == 1 {
        TextError::InvalidLength { length: text.len() }
    } else {
        // Every character is in the alphabet and the length is possible:
        // what is left is the last character's unused bits.
        TextError::NonCanonicalTrailingBits
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
    fn text_in_place_is_base64url() {
        let data: [u8; 70] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        for len in 0..=data.len() {
            let src = &data[..len];
            let mut direct = [0u8; 100];
            let want = Base64UrlUnpadded::encode(src, &mut direct).unwrap();
            assert_eq!(want.len(), text_len(len));
            assert_eq!(decoded_len(want.len()), len);
            let mut out = [0xffu8; 100];
            let got = write_text(&mut out, |w| w.put(src)).unwrap();
            assert_eq!(got, want, "length {len}");
            let mut exact = vec![0u8; text_len(len)];
            assert_eq!(write_text(&mut exact, |w| w.put(src)).unwrap(), want);
            if len > 0 {
                let short = text_len(len) - 1;
                assert_eq!(
                    write_text(&mut exact[..short], |w| w.put(src)),
                    Err(TextError::BufferTooSmall {
                        needed: short + 1,
                        available: short
                    })
                );
            }
            let mut scratch = [0u8; 70];
            assert_eq!(read_text(want, len, &mut scratch).unwrap(), src);
            if len > 0 {
                // One byte less allowed: refused on length alone.
                assert_eq!(
                    read_text(want, len - 1, &mut scratch),
                    Err(TextError::TooLong {
                        length: want.len(),
                        max: text_len(len - 1)
                    })
                );
                let mut small = [0u8; 70];
                assert_eq!(
                    read_text(want, len, &mut small[..len - 1]),
                    Err(TextError::BufferTooSmall {
                        needed: len,
                        available: len - 1
                    })
                );
            }
        }
    }

    #[test]
    fn text_faults_are_named() {
        let mut scratch = [0u8; 16];
        let mut read = |t: &str| read_text(t, 16, &mut scratch).map(<[u8]>::to_vec);
        assert_eq!(read("AAAA"), Ok(vec![0, 0, 0]));
        assert_eq!(read("AA=="), Err(TextError::Padding { position: 2 }));
        assert_eq!(read("AAA="), Err(TextError::Padding { position: 3 }));
        assert_eq!(
            read("AA+A"),
            Err(TextError::StandardAlphabet { position: 2 })
        );
        assert_eq!(
            read("/AAA"),
            Err(TextError::StandardAlphabet { position: 0 })
        );
        assert_eq!(read("AAAA "), Err(TextError::Whitespace { position: 4 }));
        assert_eq!(read("AA\nAA"), Err(TextError::Whitespace { position: 2 }));
        assert_eq!(
            read("AA.A"),
            Err(TextError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            read("AAé"),
            Err(TextError::InvalidCharacter { position: 2 })
        );
        assert_eq!(read("AAAAA"), Err(TextError::InvalidLength { length: 5 }));
        // "AB" carries 12 bits for one byte: the low 4 must be clear ("AA"
        // is 0x00, "AQ" 0x01, "AB" nothing).
        assert_eq!(read("AQ"), Ok(vec![1]));
        assert_eq!(read("AB"), Err(TextError::NonCanonicalTrailingBits));
        assert_eq!(read("AAB"), Err(TextError::NonCanonicalTrailingBits));
        assert_eq!(read("AAE"), Ok(vec![0, 1]));
        assert_eq!(read(""), Ok(vec![]));
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
