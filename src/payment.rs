//! The payment message (customer → vendor): paywords under one commitment.
//!
//! Unsigned (the chain is the authentication), so it needs neither `alloc`
//! nor `ed25519`: an embedded vendor decodes payments, from bytes or from
//! their text form, and checks them with a [`Receiver`](crate::Receiver) or
//! [`PurseReceiver`](crate::PurseReceiver) and nothing else of the crate.
//! Layout in `docs/WIRE.md` (tag `0x12`).

use crate::chain::{Payword, Word};
use crate::hash::Digest;
use crate::verify::{MAX_DENOMINATIONS, PursePayment};
use crate::wire::{DecodeError, Encode, Reader, Writer};

/// The payment's type tag.
pub(crate) const TAG: u8 = 0x12;

/// What a payment reveals: one payword, or paywords of several denominations.
///
/// # Examples
///
/// ```
/// use payword::{PaymentBody, PursePayment, Payword, Word};
///
/// let single = PaymentBody::Single(Payword::new(3, Word::from_bytes([7; 32])));
/// let purse = PaymentBody::Purse(PursePayment::new().with(1, Payword::new(2, Word::from_bytes([8; 32]))));
/// assert_ne!(single, purse);
/// ```
#[allow(clippy::large_enum_variant)] // fixed size on purpose: no allocation
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentBody {
    /// The new highest payword of a single chain.
    Single(Payword),
    /// The new highest paywords of some chains of a purse.
    Purse(PursePayment),
}

/// A payment (customer → vendor): paywords under one commitment. Unsigned:
/// the chain is the authentication.
///
/// Available without `alloc` and `ed25519`, with its binary and text forms
/// ([`Encode`]).
///
/// # Examples
///
/// An embedded vendor: no allocation, no signature code.
///
/// ```
/// use payword::{
///     ChainId, ChainParams, ChainSeed, Digest, Encode, HashAlg, Payment, PaymentBody, Pebbler,
///     Receiver, Sha256, Traversal,
/// };
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 100)?;
/// let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params)?;
/// let commitment = Digest::from_bytes([3; 32]);
/// let mut vendor = Receiver::<Sha256>::new(params, wallet.anchor())?;
///
/// // The customer sends a payment as text (say in an HTTP header)…
/// let pay = Payment::new(commitment, PaymentBody::Single(wallet.next_payword().unwrap()));
/// let mut out = [0u8; Payment::MAX_TEXT_LEN];
/// let header = pay.encode_text(&mut out)?;
///
/// // …and the vendor decodes and checks it.
/// let mut scratch = [0u8; Payment::MAX_LEN];
/// let got = Payment::decode_text(header, &mut scratch)?;
/// assert_eq!(got.commitment(), &commitment);
/// let PaymentBody::Single(p) = got.body() else { unreachable!() };
/// assert_eq!(vendor.accept(p), Ok(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Payment {
    commitment: Digest,
    body: PaymentBody,
}

impl Payment {
    /// A payment under the commitment with digest `commitment`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Digest, Payment, PaymentBody, Payword, Word};
    ///
    /// let p = Payment::new(Digest::from_bytes([1; 32]), PaymentBody::Single(Payword::new(1, Word::from_bytes([2; 32]))));
    /// assert_eq!(p.commitment(), &Digest::from_bytes([1; 32]));
    /// ```
    #[must_use]
    pub const fn new(commitment: Digest, body: PaymentBody) -> Self {
        Self { commitment, body }
    }

    /// The commitment's digest.
    ///
    /// # Examples
    ///
    /// See [`Payment::new`].
    #[must_use]
    pub const fn commitment(&self) -> &Digest {
        &self.commitment
    }

    /// The paywords.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Digest, Payment, PaymentBody, Payword, Word};
    ///
    /// let body = PaymentBody::Single(Payword::new(4, Word::from_bytes([2; 32])));
    /// assert_eq!(Payment::new(Digest::from_bytes([1; 32]), body).body(), &body);
    /// ```
    #[must_use]
    pub const fn body(&self) -> &PaymentBody {
        &self.body
    }
}

pub(crate) fn write_payword(p: &Payword, w: &mut Writer<'_>) {
    w.put_u32(p.index());
    w.put(p.word().as_bytes());
}

pub(crate) fn read_payword(r: &mut Reader<'_>) -> Result<Payword, DecodeError> {
    let index = r.u32("index")?;
    if index == 0 {
        return Err(DecodeError::NonCanonical { field: "index" });
    }
    Ok(Payword::new(index, Word::from_bytes(r.array("word")?)))
}

impl crate::wire::sealed::Sealed for Payment {}

impl Encode for Payment {
    const TAG: u8 = TAG;
    const MAX_LEN: usize = 2 + 32 + 1 + 1 + 36 * MAX_DENOMINATIONS;

    fn write_fields(&self, w: &mut Writer<'_>) {
        w.put(self.commitment.as_bytes());
        write_body(&self.body, w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let commitment = Digest::from_bytes(r.array("commitment")?);
        let body = read_body(r)?;
        Ok(Self { commitment, body })
    }
}

/// Writes a payment body: kind byte, then the paywords (see `docs/WIRE.md`).
pub(crate) fn write_body(body: &PaymentBody, w: &mut Writer<'_>) {
    match body {
        PaymentBody::Single(p) => {
            w.put_u8(1);
            write_payword(p, w);
        }
        PaymentBody::Purse(pay) => {
            w.put_u8(2);
            let mask = pay.parts().fold(0u8, |m, (j, _)| m | (1u8 << j));
            w.put_u8(mask);
            for (_, p) in pay.parts() {
                write_payword(p, w);
            }
        }
    }
}

/// Reads a payment body written by [`write_body`].
pub(crate) fn read_body(r: &mut Reader<'_>) -> Result<PaymentBody, DecodeError> {
    match r.u8("payment kind")? {
        1 => Ok(PaymentBody::Single(read_payword(r)?)),
        2 => {
            let mask = r.u8("denomination mask")?;
            if mask == 0 {
                return Err(DecodeError::NonCanonical {
                    field: "denomination mask",
                });
            }
            let mut pay = PursePayment::new();
            for j in 0u8..8 {
                if mask & (1 << j) != 0 {
                    pay = pay.with(j, read_payword(r)?);
                }
            }
            Ok(PaymentBody::Purse(pay))
        }
        _ => Err(DecodeError::NonCanonical {
            field: "payment kind",
        }),
    }
}

// These run without `alloc` and `ed25519` (`cargo test --no-default-features
// --lib`): the embedded vendor's whole path.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::traversal::{Pebbler, Traversal};
    use crate::chain::{ChainId, ChainParams, ChainSeed};
    use crate::hash::{HashAlg, Sha256};
    use crate::verify::{Purse, PurseParams, PurseReceiver, Receiver, VerifyError};
    use crate::wire::TextError;

    fn single() -> Payment {
        Payment::new(
            Digest::from_bytes([1; 32]),
            PaymentBody::Single(Payword::new(5, Word::from_bytes([2; 32]))),
        )
    }

    fn bytes_of(p: &Payment) -> ([u8; Payment::MAX_LEN], usize) {
        let mut buf = [0u8; Payment::MAX_LEN];
        let len = p.encode(&mut buf);
        (buf, len)
    }

    #[test]
    fn single_payment_layout_and_round_trip() {
        let p = single();
        let (buf, len) = bytes_of(&p);
        assert_eq!(len, 71);
        assert_eq!(&buf[..2], &[0x12, 0x01]);
        assert_eq!(&buf[2..34], &[1; 32]);
        assert_eq!(&buf[34..39], &[1, 0, 0, 0, 5]);
        assert_eq!(&buf[39..71], &[2; 32]);
        assert_eq!(Payment::decode(&buf[..len]), Ok(p));
        // Every strict prefix is truncated, one more byte is trailing data.
        for cut in 0..len {
            assert!(matches!(
                Payment::decode(&buf[..cut]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        assert_eq!(
            Payment::decode(&buf[..=len]),
            Err(DecodeError::TrailingData { extra: 1 })
        );
    }

    #[test]
    fn payment_decoder_refuses_reserved_values() {
        let (buf, len) = bytes_of(&single());
        let mut b = buf;
        b[0] = 0x11;
        assert_eq!(
            Payment::decode(&b[..len]),
            Err(DecodeError::UnknownTag { tag: 0x11 })
        );
        let mut b = buf;
        b[1] = 2;
        assert_eq!(
            Payment::decode(&b[..len]),
            Err(DecodeError::UnknownVersion { version: 2 })
        );
        let mut b = buf;
        b[34] = 3;
        assert_eq!(
            Payment::decode(&b[..len]),
            Err(DecodeError::NonCanonical {
                field: "payment kind"
            })
        );
        let mut b = buf;
        b[35..39].copy_from_slice(&[0; 4]);
        assert_eq!(
            Payment::decode(&b[..len]),
            Err(DecodeError::NonCanonical { field: "index" })
        );
        // A purse payment advancing no chain.
        let mut b = [0u8; 36];
        b[..2].copy_from_slice(&[0x12, 1]);
        b[34] = 2;
        assert_eq!(
            Payment::decode(&b),
            Err(DecodeError::NonCanonical {
                field: "denomination mask"
            })
        );
    }

    #[test]
    fn purse_payment_round_trips_through_bytes_and_text() {
        let w = |i: u8| Payword::new(u32::from(i) + 1, Word::from_bytes([i; 32]));
        let pay = PursePayment::new()
            .with(0, w(0))
            .with(3, w(3))
            .with(7, w(7));
        let p = Payment::new(Digest::from_bytes([9; 32]), PaymentBody::Purse(pay));
        let (buf, len) = bytes_of(&p);
        assert_eq!(len, 36 + 3 * 36);
        assert_eq!(buf[35], 0b1000_1001);
        assert_eq!(Payment::decode(&buf[..len]), Ok(p));
        let mut out = [0u8; Payment::MAX_TEXT_LEN];
        let text = p.encode_text(&mut out).unwrap();
        assert_eq!(text.len(), 192); // 144 bytes
        let mut scratch = [0u8; Payment::MAX_LEN];
        assert_eq!(Payment::decode_text(text, &mut scratch), Ok(p));
    }

    #[test]
    fn text_form_without_alloc() {
        let p = single();
        let mut out = [0u8; Payment::MAX_TEXT_LEN];
        let text = p.encode_text(&mut out).unwrap();
        // Pinned: Python's `base64.urlsafe_b64encode` of the same 71 bytes,
        // without its `=` padding.
        assert_eq!(
            text,
            "EgEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAFAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
        );
        let mut scratch = [0u8; 71];
        assert_eq!(Payment::decode_text(text, &mut scratch), Ok(p));
        let mut small = [0u8; 70];
        assert_eq!(
            Payment::decode_text(text, &mut small),
            Err(TextError::BufferTooSmall {
                needed: 71,
                available: 70
            })
        );
        // Oversized text is refused on its length, before any decoding, even
        // with a buffer that would hold it.
        let long = [b'A'; Payment::MAX_TEXT_LEN + 4];
        let long = core::str::from_utf8(&long).unwrap();
        let mut big = [0u8; 2 * Payment::MAX_LEN];
        assert_eq!(
            Payment::decode_text(long, &mut big),
            Err(TextError::TooLong {
                length: Payment::MAX_TEXT_LEN + 4,
                max: Payment::MAX_TEXT_LEN
            })
        );
        // A wrong byte inside is the binary decoder's error.
        let mut bad = [0u8; Payment::MAX_TEXT_LEN];
        bad[..text.len()].copy_from_slice(text.as_bytes());
        bad[1] = b'A'; // "Eg…" → "EA…": tag 0x12 → 0x10
        let bad = core::str::from_utf8(&bad[..text.len()]).unwrap();
        assert_eq!(
            Payment::decode_text(bad, &mut scratch),
            Err(TextError::Decode(DecodeError::UnknownTag { tag: 0x10 }))
        );
    }

    #[test]
    fn embedded_vendor_checks_unsigned_payments() {
        let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([3; 16]), 20).unwrap();
        let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([4; 32]), params).unwrap();
        let mut vendor = Receiver::<Sha256>::new(params, wallet.anchor()).unwrap();
        let digest = Digest::from_bytes([5; 32]);
        let mut out = [0u8; Payment::MAX_TEXT_LEN];
        let mut scratch = [0u8; Payment::MAX_LEN];
        for units in [1, 3, 2] {
            let p = wallet.advance(units).unwrap();
            let text = Payment::new(digest, PaymentBody::Single(p))
                .encode_text(&mut out)
                .unwrap();
            let got = Payment::decode_text(text, &mut scratch).unwrap();
            let PaymentBody::Single(p) = got.body() else {
                panic!("single")
            };
            assert_eq!(vendor.accept(p), Ok(units));
            assert_eq!(
                vendor.accept(p),
                Err(VerifyError::Replay {
                    index: p.index(),
                    last: p.index()
                })
            );
        }
        assert_eq!(vendor.paid(), 6);

        let pp =
            PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 10, 3, 20).unwrap();
        let mut purse = Purse::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), pp).unwrap();
        let mut pv = PurseReceiver::<Sha256>::new(pp, purse.anchors()).unwrap();
        let (buf, len) = bytes_of(&Payment::new(
            digest,
            PaymentBody::Purse(purse.pay(123).unwrap()),
        ));
        let PaymentBody::Purse(pay) = *Payment::decode(&buf[..len]).unwrap().body() else {
            panic!("purse")
        };
        assert_eq!(pv.accept(&pay), Ok(123));
    }
}
