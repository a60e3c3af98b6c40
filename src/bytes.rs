//! Newtypes over fixed-size public byte strings.
//!
//! Every role of 32 (or 16) bytes gets its own type, with conversions after
//! the Rust API Guidelines (C-CONV): `as_bytes` borrows, `to_bytes` copies,
//! `from_bytes` builds, `TryFrom<&[u8]>` checks the length. Equality is in
//! constant time even for public values: a word may be the *next* payword of a
//! wallet, which is secret until it is spent.

use core::fmt;

/// The error of `TryFrom<&[u8]>` for fixed-size byte newtypes: the slice had
/// the wrong length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthError {
    /// The length the type needs.
    pub expected: usize,
    /// The length that was given.
    pub actual: usize,
}

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} bytes, got {}", self.expected, self.actual)
    }
}

impl core::error::Error for LengthError {}

pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Parses exactly `N` bytes of lower-case hex: the one spelling `Display`
/// writes (upper case is refused, so a value has one text form).
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if s.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Constant-time equality of two byte arrays, eight bytes at a time: every
/// byte is always read and the result is one `Choice`. (Comparing byte by
/// byte through `subtle` costs about as much as the chain step a one-unit
/// payment needs.)
#[inline]
pub(crate) fn ct_eq_bytes<const N: usize>(a: &[u8; N], b: &[u8; N]) -> subtle::Choice {
    let (a8, a_rest) = a.as_chunks::<8>();
    let (b8, b_rest) = b.as_chunks::<8>();
    let mut diff = 0u64;
    for (x, y) in a8.iter().zip(b8) {
        diff |= u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y);
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        diff |= u64::from(x ^ y);
    }
    subtle::ConstantTimeEq::ct_eq(&diff, &0)
}

/// Defines a public fixed-size byte newtype with the crate's conversions.
macro_rules! byte_newtype {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name([u8; $len]);

        impl core::hash::Hash for $name {
            fn hash<S: core::hash::Hasher>(&self, state: &mut S) {
                self.0.hash(state);
            }
        }

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Wraps the bytes.
            #[must_use]
            #[inline]
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Borrows the bytes.
            #[must_use]
            #[inline]
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Copies the bytes out.
            #[must_use]
            #[inline]
            pub const fn to_bytes(&self) -> [u8; $len] {
                self.0
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl From<$name> for [u8; $len] {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl TryFrom<&[u8]> for $name {
            type Error = $crate::bytes::LengthError;

            fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
                <[u8; $len]>::try_from(bytes).map(Self).map_err(|_| {
                    $crate::bytes::LengthError {
                        expected: $len,
                        actual: bytes.len(),
                    }
                })
            }
        }

        impl subtle::ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> subtle::Choice {
                $crate::bytes::ct_eq_bytes(&self.0, &other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                subtle::ConstantTimeEq::ct_eq(self, other).into()
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        /// Byte-wise order (not constant time: for keying maps on public values).
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> core::cmp::Ordering {
                self.0.cmp(&other.0)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                $crate::bytes::write_hex(f, &self.0)?;
                f.write_str(")")
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                $crate::bytes::write_hex(f, &self.0)
            }
        }

        impl core::str::FromStr for $name {
            type Err = $crate::bytes::HexError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::bytes::parse_hex::<$len>(s)
                    .map(Self)
                    .ok_or($crate::bytes::HexError { expected_len: $len })
            }
        }
    };
}

pub(crate) use byte_newtype;

/// The error of `FromStr` for byte newtypes: not exactly `2 × expected_len`
/// lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HexError {
    /// The number of bytes the hex string should encode.
    pub expected_len: usize,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} lower-case hex digits",
            self.expected_len.saturating_mul(2)
        )
    }
}

impl core::error::Error for HexError {}

/// A secret state's encoding in a zeroizing vector of exactly its length:
/// `encode` writes at most `max` bytes into the buffer it is given and
/// returns how many.
#[cfg(feature = "alloc")]
pub(crate) fn secret_bytes(
    max: usize,
    encode: impl FnOnce(&mut [u8]) -> usize,
) -> zeroize::Zeroizing<alloc::vec::Vec<u8>> {
    let mut v = zeroize::Zeroizing::new(alloc::vec![0u8; max]);
    let len = encode(&mut v);
    v.truncate(len);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_bytes_sees_every_bit() {
        let a: [u8; 33] = core::array::from_fn(|i| i as u8);
        assert!(bool::from(ct_eq_bytes(&a, &a)));
        for i in 0..33 {
            for bit in 0..8 {
                let mut b = a;
                b[i] ^= 1 << bit;
                assert!(!bool::from(ct_eq_bytes(&a, &b)), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn hex_parses_both_cases_and_rejects_junk() {
        assert_eq!(parse_hex::<2>("abcd"), Some([0xab, 0xcd]));
        // One value, one spelling: upper-case hex is not the canonical form.
        assert_eq!(parse_hex::<2>("aBcD"), None);
        assert_eq!(parse_hex::<2>("ABCD"), None);
        assert_eq!(parse_hex::<2>("abc"), None);
        assert_eq!(parse_hex::<2>("abcg"), None);
        assert_eq!(parse_hex::<2>("abcdef"), None);
    }
}
