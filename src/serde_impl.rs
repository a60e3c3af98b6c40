//! `serde` support (feature `serde`): every message serializes as its
//! canonical encoding, as a lower-case hex string for human-readable formats
//! (JSON) and as bytes otherwise. Deserializing runs the canonical decoder, so
//! a serde value obeys every rule of the wire format.

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

use crate::message::{Certificate, Commitment, Encode, Payment, RedemptionClaim};

/// The largest message serde handles (a redemption claim).
const BUF: usize = RedemptionClaim::MAX_LEN;

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::bytes::write_hex(f, self.0)
    }
}

fn serialize<T: Encode, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; BUF];
    let len = v.encode(&mut buf).min(BUF);
    let bytes = buf.get(..len).unwrap_or(&[]);
    if s.is_human_readable() {
        s.collect_str(&Hex(bytes))
    } else {
        s.serialize_bytes(bytes)
    }
}

struct MessageVisitor<T>(core::marker::PhantomData<T>);

impl<T: Encode> Visitor<'_> for MessageVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a canonical payword message (hex string or bytes)")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        let hex = s.as_bytes();
        if !hex.len().is_multiple_of(2) || hex.len() / 2 > BUF {
            return Err(E::custom("bad hex length"));
        }
        let mut buf = [0u8; BUF];
        for (o, pair) in buf.iter_mut().zip(hex.chunks_exact(2)) {
            let s = core::str::from_utf8(pair).map_err(|_| E::custom("bad hex"))?;
            *o = crate::bytes::parse_hex::<1>(s).ok_or_else(|| E::custom("bad hex"))?[0];
        }
        T::decode(buf.get(..hex.len() / 2).unwrap_or(&[])).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<T, E> {
        T::decode(b).map_err(E::custom)
    }
}

macro_rules! serde_via_wire {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    d.deserialize_str(MessageVisitor(core::marker::PhantomData))
                } else {
                    d.deserialize_bytes(MessageVisitor(core::marker::PhantomData))
                }
            }
        }
    )*};
}

serde_via_wire!(Certificate, Commitment, Payment, RedemptionClaim);
