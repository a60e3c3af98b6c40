//! `serde` support (feature `serde`): every message serializes as its
//! canonical encoding, as a lower-case hex string for human-readable formats
//! (JSON) and as bytes otherwise. Deserializing runs the canonical decoder, so
//! a serde value obeys every rule of the wire format. A [`PublicKey`] does the
//! same with its 33-byte encoding (its hex is its `Display` form).
//!
//! Types: every type with a canonical encoding ([`Encode`]): without
//! `ed25519` that is [`Payment`]; with it the other plain messages, the
//! renewal link and [`PublicKey`]; with `ed25519` and `alloc` the multi-party
//! messages, the cascade claim and the fraud proofs.
//!
//! Buffers: a message of at most [`STACK_LIMIT`] bytes is encoded into, and
//! its hex decoded into, a stack buffer of exactly its `MAX_LEN`. The larger
//! ones (cascade claim, one-time-key reuse proof, fraud proof: up to a few
//! hundred KiB) exist only with `alloc`, and use a heap buffer of the actual
//! length; a hex string longer than `2 · MAX_LEN` is refused before anything
//! is decoded or allocated.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, Serializer};

use crate::payment::Payment;
use crate::wire::Encode;

/// The largest message serde encodes on the stack, in bytes.
const STACK_LIMIT: usize = 16 * 1024;

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::bytes::write_hex(f, self.0)
    }
}

/// Hex for human-readable formats, bytes otherwise.
fn serialize_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.collect_str(&Hex(bytes))
    } else {
        s.serialize_bytes(bytes)
    }
}

/// Serializes `v` encoded into `buf` (at least `T::MAX_LEN` bytes).
fn serialize_in<T: Encode, S: Serializer>(v: &T, s: S, buf: &mut [u8]) -> Result<S::Ok, S::Error> {
    let len = v.encode(buf);
    let bytes = buf
        .get(..len)
        .ok_or_else(|| <S::Error as ser::Error>::custom("message over its maximum length"))?;
    serialize_bytes(bytes, s)
}

/// Serializes `v` encoded into a heap buffer of its exact length.
#[cfg(all(feature = "alloc", feature = "protocol"))]
fn serialize_heap<T: Encode, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = alloc::vec![0u8; v.encode(&mut [])];
    serialize_in(v, s, &mut buf)
}

/// Where hex is decoded.
enum Scratch<'b> {
    /// A caller's buffer of `MAX_LEN` bytes.
    Stack(&'b mut [u8]),
    /// A heap buffer of the decoded length (checked against `MAX_LEN` first).
    #[cfg(all(feature = "alloc", feature = "protocol"))]
    Heap,
}

struct MessageVisitor<'b, T> {
    scratch: Scratch<'b>,
    _type: PhantomData<T>,
}

/// Decodes lower-case hex into `out` (of half its length), then `T`.
fn decode_hex<T: Encode, E: de::Error>(hex: &[u8], out: &mut [u8]) -> Result<T, E> {
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let pair = core::str::from_utf8(pair).map_err(|_| E::custom("not lower-case hex"))?;
        let [b] =
            crate::bytes::parse_hex::<1>(pair).ok_or_else(|| E::custom("not lower-case hex"))?;
        *o = b;
    }
    T::decode(out).map_err(E::custom)
}

impl<T: Encode> Visitor<'_> for MessageVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a canonical payword message (hex string or bytes)")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        let hex = s.as_bytes();
        let max = T::MAX_LEN.saturating_mul(2);
        if hex.len() > max {
            return Err(E::custom(format_args!(
                "hex of {} digits is over the limit {max}",
                hex.len()
            )));
        }
        if !hex.len().is_multiple_of(2) {
            return Err(E::custom("odd number of hex digits"));
        }
        let len = hex.len() / 2;
        match self.scratch {
            Scratch::Stack(buf) => {
                let out = buf
                    .get_mut(..len)
                    .ok_or_else(|| E::custom("message over its maximum length"))?;
                decode_hex(hex, out)
            }
            #[cfg(all(feature = "alloc", feature = "protocol"))]
            Scratch::Heap => decode_hex(hex, &mut alloc::vec![0u8; len]),
        }
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<T, E> {
        T::decode(b).map_err(E::custom)
    }
}

/// Deserializes a message: from a string in human-readable formats, from
/// bytes otherwise (for the large messages, asking for an owned buffer:
/// formats that read from a stream give long byte strings only that way).
fn deserialize_with<'de, T: Encode, D: Deserializer<'de>>(
    d: D,
    scratch: Scratch<'_>,
) -> Result<T, D::Error> {
    let human = d.is_human_readable();
    let v = MessageVisitor {
        scratch,
        _type: PhantomData,
    };
    match v.scratch {
        _ if human => d.deserialize_str(v),
        Scratch::Stack(_) => d.deserialize_bytes(v),
        #[cfg(all(feature = "alloc", feature = "protocol"))]
        Scratch::Heap => d.deserialize_byte_buf(v),
    }
}

/// serde through a stack buffer of the type's `MAX_LEN` (at most
/// [`STACK_LIMIT`]).
macro_rules! serde_on_stack {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                const { assert!(<$t as Encode>::MAX_LEN <= STACK_LIMIT) };
                serialize_in(self, s, &mut [0u8; <$t as Encode>::MAX_LEN])
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let mut buf = [0u8; <$t as Encode>::MAX_LEN];
                deserialize_with(d, Scratch::Stack(&mut buf))
            }
        }
    )*};
}

/// serde through a heap buffer of the actual length (types over
/// [`STACK_LIMIT`]).
#[cfg(all(feature = "alloc", feature = "protocol"))]
macro_rules! serde_on_heap {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                const { assert!(<$t as Encode>::MAX_LEN > STACK_LIMIT) };
                serialize_heap(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_with(d, Scratch::Heap)
            }
        }
    )*};
}

serde_on_stack!(Payment);

#[cfg(feature = "protocol")]
mod signed {
    use super::*;
    use crate::message::{Certificate, Commitment, RedemptionClaim};
    use crate::renew::RenewalLink;
    use crate::sign::PublicKey;

    serde_on_stack!(Certificate, Commitment, RedemptionClaim, RenewalLink);

    impl serde::Serialize for PublicKey {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let (bytes, len) = self.to_encoded();
            serialize_bytes(bytes.get(..len).unwrap_or_default(), s)
        }
    }

    struct KeyVisitor;

    impl Visitor<'_> for KeyVisitor {
        type Value = PublicKey;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a public key (66 lower-case hex digits, or 33 bytes)")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<PublicKey, E> {
            s.parse().map_err(E::custom)
        }

        fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<PublicKey, E> {
            PublicKey::from_encoded(b).map_err(E::custom)
        }
    }

    impl<'de> serde::Deserialize<'de> for PublicKey {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                d.deserialize_str(KeyVisitor)
            } else {
                d.deserialize_bytes(KeyVisitor)
            }
        }
    }
}

#[cfg(all(feature = "protocol", feature = "alloc"))]
mod multi {
    use super::*;
    use crate::fraud::FraudProof;
    use crate::multi::domain::{DeviceClaim, DeviceCommitment, DomainCommitment};
    use crate::multi::grant::{GrantClaim, RangeGrant, SharedCommitment};
    use crate::multi::merkle::{LeafClaim, LeafOpening, MultiCommitment};
    use crate::multi::reservation::Reservation;
    use crate::renew::{CascadeClaim, OtsReuseProof};

    serde_on_stack!(
        MultiCommitment,
        LeafOpening,
        LeafClaim,
        SharedCommitment,
        RangeGrant,
        GrantClaim,
        Reservation,
        DomainCommitment,
        DeviceCommitment,
        DeviceClaim,
    );

    serde_on_heap!(CascadeClaim, OtsReuseProof, FraudProof);
}
