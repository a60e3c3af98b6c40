#![cfg(all(feature = "ed25519", feature = "std"))]
//! Text forms and serde: every message kind through base64url text (against
//! a naive reference encoder), serde JSON (hex) and, with `serde`, CBOR
//! (bytes); every refusal of the text decoder, the length check first;
//! `PublicKey`'s hex `Display`/`FromStr` and text form.
//!
//! `cargo test --test text_forms` (text forms) and
//! `cargo test --all-features --test text_forms` (serde too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt::Debug;

use common::{NOW, World, world};
use ed25519_dalek::SigningKey;
use payword::domain::{DeviceClaim, DeviceCommitment, DomainCommitment};
use payword::fraud::{EquivocationProof, FraudProof};
use payword::grant::{GrantClaim, RangeGrant, SharedCommitment};
use payword::renew::{CascadeClaim, OtsReuseProof, RenewalLink};
use payword::reservation::{Reservation, ReservationFields};
use payword::tree::{LeafClaim, LeafOpening, MultiCommitment};
use payword::{
    Certificate, Commitment, DecodeError, Digest, Encode, HashAlg, HexError, MessageSigner,
    OverspendProof, Payment, PaymentBody, Payword, PublicKey, RedemptionClaim, Sha256, Signature,
    TextError, Word,
};

/// What every message type offers here: its encodings, and serde when the
/// feature is on.
#[cfg(feature = "serde")]
trait Message: Encode + PartialEq + Debug + serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: Encode + PartialEq + Debug + serde::Serialize + serde::de::DeserializeOwned> Message for T {}
#[cfg(not(feature = "serde"))]
trait Message: Encode + PartialEq + Debug {}
#[cfg(not(feature = "serde"))]
impl<T: Encode + PartialEq + Debug> Message for T {}

/// A naive base64url encoder (RFC 4648 §5, no padding): the oracle.
fn reference_base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut acc, mut bits, mut out) = (0u32, 0u32, String::new());
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(ALPHABET[(acc >> bits) as usize & 63]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[(acc << (6 - bits)) as usize & 63]));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every check one message passes: text (with and without allocation),
/// serde JSON and CBOR. Returns the text.
fn check<T: Message>(name: &str, v: &T) -> String {
    let bytes = v.to_bytes();
    assert_eq!(T::decode(&bytes).as_ref(), Ok(v), "{name}: bytes");
    let text = v.to_text();
    assert_eq!(text, reference_base64url(&bytes), "{name}: text");
    assert_eq!(text.len(), (4 * bytes.len()).div_ceil(3), "{name}");
    assert!(text.len() <= T::MAX_TEXT_LEN, "{name}");
    assert_eq!(T::from_text(&text).as_ref(), Ok(v), "{name}: from_text");
    // Without allocation: exactly sized buffers work, one byte less does not.
    let mut out = vec![0u8; text.len()];
    assert_eq!(v.encode_text(&mut out), Ok(text.as_str()), "{name}");
    let mut short = vec![0u8; text.len() - 1];
    assert_eq!(
        v.encode_text(&mut short),
        Err(TextError::BufferTooSmall {
            needed: text.len(),
            available: text.len() - 1
        }),
        "{name}"
    );
    let mut scratch = vec![0u8; bytes.len()];
    assert_eq!(
        T::decode_text(&text, &mut scratch).as_ref(),
        Ok(v),
        "{name}"
    );
    assert_eq!(
        T::decode_text(&text, &mut scratch[..bytes.len() - 1]),
        Err(TextError::BufferTooSmall {
            needed: bytes.len(),
            available: bytes.len() - 1
        }),
        "{name}"
    );
    // Text over the type's maximum is refused on its length, even when it
    // is not base64url at all: nothing is decoded first.
    for c in ["A", "!", " ", "="] {
        let long = c.repeat(T::MAX_TEXT_LEN + 1);
        let e = Err(TextError::TooLong {
            length: T::MAX_TEXT_LEN + 1,
            max: T::MAX_TEXT_LEN,
        });
        assert_eq!(T::from_text(&long), e, "{name}");
        assert_eq!(T::decode_text(&long, &mut []), e, "{name}");
    }
    // The text of another byte in the type tag is the binary decoder's
    // refusal.
    let mut other = bytes.clone();
    other[0] ^= 0x80;
    let other = reference_base64url(&other);
    assert_eq!(
        T::from_text(&other),
        Err(TextError::Decode(DecodeError::UnknownTag {
            tag: bytes[0] ^ 0x80
        })),
        "{name}"
    );
    #[cfg(feature = "serde")]
    check_serde(name, v, &bytes);
    text
}

/// serde: JSON is the hex of the canonical bytes, CBOR a byte string of
/// them; both decode back through the canonical decoder.
#[cfg(feature = "serde")]
fn check_serde<T: Message>(name: &str, v: &T, bytes: &[u8]) {
    let json = serde_json::to_string(v).unwrap();
    assert_eq!(json, format!("\"{}\"", hex(bytes)), "{name}: JSON");
    assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v, "{name}");
    let mut cbor = Vec::new();
    ciborium::into_writer(v, &mut cbor).unwrap();
    let header = match bytes.len() {
        n @ 0..=23 => vec![0x40 | n as u8],
        n @ 24..=0xff => vec![0x58, n as u8],
        n @ 0x100..=0xffff => [&[0x59][..], &(n as u16).to_be_bytes()].concat(),
        n => [&[0x5a][..], &(n as u32).to_be_bytes()].concat(),
    };
    assert_eq!(cbor, [header.as_slice(), bytes].concat(), "{name}: CBOR");
    assert_eq!(
        &ciborium::from_reader::<T, _>(cbor.as_slice()).unwrap(),
        v,
        "{name}"
    );
    // Hex over 2 · MAX_LEN digits is refused before decoding; odd, upper
    // case or non-canonical bytes are refused too.
    let long = format!("\"{}\"", "0".repeat(2 * T::MAX_LEN + 2));
    let e = serde_json::from_str::<T>(&long).unwrap_err().to_string();
    assert!(e.contains("over the limit"), "{name}: {e}");
    let odd = format!("\"{}0\"", hex(bytes));
    assert!(serde_json::from_str::<T>(&odd).is_err(), "{name}");
    let upper = json.to_uppercase();
    if upper != json {
        assert!(serde_json::from_str::<T>(&upper).is_err(), "{name}");
    }
    let trailing = format!("\"{}00\"", hex(bytes));
    let e = serde_json::from_str::<T>(&trailing)
        .unwrap_err()
        .to_string();
    // A message of its type's maximum length has no room for another byte.
    let why = if bytes.len() < T::MAX_LEN {
        "trailing"
    } else {
        "over the limit"
    };
    assert!(e.contains(why), "{name}: {e}");
    let mut cbor_trailing = Vec::new();
    ciborium::into_writer(&serde_bytes_of(&[bytes, &[0]].concat()), &mut cbor_trailing).unwrap();
    assert!(
        ciborium::from_reader::<T, _>(cbor_trailing.as_slice()).is_err(),
        "{name}"
    );
}

/// A CBOR byte string (not an array of integers).
#[cfg(feature = "serde")]
fn serde_bytes_of(b: &[u8]) -> ciborium::Value {
    ciborium::Value::Bytes(b.to_vec())
}

/// One purse commitment and a purse payment under it.
fn purse(w: &World) -> (Commitment, Payment) {
    let (c, mut purse) = common::purse::<Sha256>(w, HashAlg::Sha256, 0x70, (4, 30), 3);
    let pay = Payment::new(c.digest(), PaymentBody::Purse(purse.pay(1234).unwrap()));
    (c, pay)
}

#[test]
fn every_message_kind_round_trips_through_text_and_serde() {
    let w = world(1_000_000);
    let plain = common::plain(&w, 1, 2, 10);
    let (purse_commitment, purse_payment) = purse(&w);
    let cascade: CascadeClaim = common::cascade(&w, 2, 1, 25);
    assert!(cascade.renewals.len() >= 2);
    let links: Vec<RenewalLink> = cascade.renewals.iter().map(|r| r.link.clone()).collect();
    let ots = OtsReuseProof {
        certificate: w.cert,
        commitment: cascade.commitment,
        path: vec![links[0].clone()],
        first: links[1].clone(),
        second: links[0].clone(),
    };
    let leaf: LeafClaim = common::leaf(&w, 3, 100, 5);
    let grant: GrantClaim = common::grant(&w, 4, 7);
    let other_grant = common::grant_range(&w, 4, 50, 100, 10);
    let device: DeviceClaim = common::device(&w, 5, 100, 100, 3);
    let reservation = Reservation::sign(
        ReservationFields {
            broker: w.broker_id,
            certificate: w.cert.digest(),
            key: plain.commitment.digest(),
            vendor: w.vendor,
            amount: 500,
            expires: NOW + 30,
        },
        &w.broker,
    )
    .unwrap();
    let equivocation = FraudProof::Equivocation(EquivocationProof {
        certificate: w.cert,
        commitment: grant.commitment,
        first: grant.grant,
        second: other_grant.grant,
    });
    let overspent = FraudProof::Overspent(OverspendProof {
        certificate: w.cert,
        spent: vec![
            (plain.commitment, *plain.payment.body()),
            (purse_commitment, *purse_payment.body()),
        ],
    });

    let mut texts = vec![
        check::<Certificate>("certificate", &plain.certificate),
        check::<Commitment>("commitment", &plain.commitment),
        check::<Commitment>("purse commitment", &purse_commitment),
        check::<Commitment>("renewing commitment", &cascade.commitment),
        check::<Payment>("payment", &plain.payment),
        check::<Payment>("purse payment", &purse_payment),
        check::<RedemptionClaim>("redemption claim", &plain),
    ];
    for (i, l) in links.iter().enumerate() {
        texts.push(check::<RenewalLink>(&format!("renewal link {i}"), l));
    }
    texts.push(check::<CascadeClaim>("cascade claim", &cascade));
    texts.push(check::<OtsReuseProof>("one-time key reuse proof", &ots));
    texts.push(check::<MultiCommitment>(
        "multi commitment",
        &leaf.opening.commitment,
    ));
    texts.push(check::<LeafOpening>("leaf opening", &leaf.opening));
    texts.push(check::<LeafClaim>("leaf claim", &leaf));
    texts.push(check::<SharedCommitment>(
        "shared commitment",
        &grant.commitment,
    ));
    texts.push(check::<RangeGrant>("range grant", &grant.grant));
    texts.push(check::<GrantClaim>("grant claim", &grant));
    texts.push(check::<Reservation>("reservation", &reservation));
    texts.push(check::<DomainCommitment>(
        "domain commitment",
        &device.domain,
    ));
    texts.push(check::<DeviceCommitment>(
        "device commitment",
        &device.commitment,
    ));
    texts.push(check::<DeviceClaim>("device claim", &device));
    texts.push(check::<FraudProof>("equivocation proof", &equivocation));
    texts.push(check::<FraudProof>("overspend proof", &overspent));
    texts.push(check::<FraudProof>(
        "reuse fraud proof",
        &FraudProof::OtsReuse(Box::new(ots.clone())),
    ));
    // Every text is URL- and header-safe, and different messages differ.
    for t in &texts {
        assert!(
            t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
    let distinct: std::collections::BTreeSet<_> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len());
}

#[test]
fn text_of_one_type_is_refused_as_another() {
    let w = world(1_000);
    let plain = common::plain(&w, 1, 1, 3);
    let text = plain.payment.to_text();
    assert_eq!(
        Certificate::from_text(&text),
        Err(TextError::Decode(DecodeError::UnknownTag { tag: 0x12 }))
    );
    // A certificate (180 bytes) fits in a payment's maximum (324): refused
    // by its tag.
    assert_eq!(
        Payment::from_text(&plain.certificate.to_text()),
        Err(TextError::Decode(DecodeError::UnknownTag { tag: 0x10 }))
    );
    // A redemption claim's text is over a payment's maximum: refused on
    // length alone.
    let claim = plain.to_text();
    assert!(claim.len() > Payment::MAX_TEXT_LEN);
    assert_eq!(
        Payment::from_text(&claim),
        Err(TextError::TooLong {
            length: claim.len(),
            max: Payment::MAX_TEXT_LEN
        })
    );
}

/// A payment whose text has `-` and `_` in it (bytes `0xfb`).
fn payment_fb() -> (Payment, String) {
    let p = Payment::new(
        Digest::from_bytes([0xfb; 32]),
        PaymentBody::Single(Payword::new(9, Word::from_bytes([0xff; 32]))),
    );
    let t = p.to_text();
    assert!(t.contains('-') && t.contains('_'));
    (p, t)
}

/// Both decoders (allocating and not) give the same answer.
fn both(text: &str) -> Result<Payment, TextError> {
    let a = Payment::from_text(text);
    let mut scratch = [0u8; Payment::MAX_LEN];
    assert_eq!(Payment::decode_text(text, &mut scratch), a, "{text:?}");
    a
}

#[test]
fn every_rejection_class_is_named() {
    let (p, t) = payment_fb();
    assert_eq!(both(&t), Ok(p));
    assert_eq!(t.len(), 95); // 71 bytes: the last group holds 2 bytes
    // Padding, at the end (as a padded encoder writes it) or anywhere.
    assert_eq!(
        both(&format!("{t}=")),
        Err(TextError::Padding { position: 95 })
    );
    assert_eq!(
        both(&format!("{}={}", &t[..40], &t[41..])),
        Err(TextError::Padding { position: 40 })
    );
    // The standard alphabet's '+' and '/' for '-' and '_'.
    let plus = t.replacen('-', "+", 1);
    let at = t.find('-').unwrap();
    assert_eq!(
        both(&plus),
        Err(TextError::StandardAlphabet { position: at })
    );
    let slash = t.replacen('_', "/", 1);
    let at = t.find('_').unwrap();
    assert_eq!(
        both(&slash),
        Err(TextError::StandardAlphabet { position: at })
    );
    // Whitespace anywhere, the ends included.
    for (text, at) in [
        (format!(" {t}"), 0),
        (format!("{t}\n"), 95),
        (format!("{t}\r\n"), 95),
        (format!("{}\t{}", &t[..10], &t[10..]), 10),
        (format!("{} {}", &t[..64], &t[64..]), 64),
    ] {
        assert_eq!(both(&text), Err(TextError::Whitespace { position: at }));
    }
    // Other characters.
    for bad in [".", "é", "\0", "*", "~"] {
        let text = format!("{}{bad}{}", &t[..20], &t[20..]);
        assert_eq!(
            both(&text),
            Err(TextError::InvalidCharacter { position: 20 })
        );
    }
    // A length that no base64url text has.
    assert_eq!(
        both(&format!("{t}AA")),
        Err(TextError::InvalidLength { length: 97 })
    );
    // Non-canonical trailing bits: 2 bytes in 3 characters leave 2 bits
    // that must be clear.
    let last = t.as_bytes()[94];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = alphabet.iter().position(|&c| c == last).unwrap();
    assert_eq!(value & 3, 0);
    for low in 1..4 {
        let text = format!("{}{}", &t[..94], char::from(alphabet[value | low]));
        assert_eq!(both(&text), Err(TextError::NonCanonicalTrailingBits));
    }
    // Good base64url of bytes that are not a canonical payment.
    let mut bytes = p.to_bytes();
    bytes[35..39].copy_from_slice(&[0; 4]);
    assert_eq!(
        both(&reference_base64url(&bytes)),
        Err(TextError::Decode(DecodeError::NonCanonical {
            field: "index"
        }))
    );
    let mut bytes = p.to_bytes();
    bytes.push(0);
    assert_eq!(
        both(&reference_base64url(&bytes)),
        Err(TextError::Decode(DecodeError::TrailingData { extra: 1 }))
    );
    assert_eq!(
        both(&reference_base64url(&bytes[..70])),
        Err(TextError::Decode(DecodeError::Truncated {
            field: "word",
            needed: 32,
            remaining: 31
        }))
    );
    assert_eq!(
        both(""),
        Err(TextError::Decode(DecodeError::Truncated {
            field: "tag",
            needed: 1,
            remaining: 0
        }))
    );
    // Errors say what was wrong, in lower case.
    assert_eq!(
        TextError::Whitespace { position: 3 }.to_string(),
        "whitespace at byte 3"
    );
    assert_eq!(
        TextError::TooLong {
            length: 500,
            max: 432
        }
        .to_string(),
        "text of 500 bytes is over the limit 432"
    );
    let e: &dyn std::error::Error = &TextError::Decode(DecodeError::TrailingData { extra: 1 });
    assert!(e.source().is_some());
}

#[test]
fn oversized_text_is_refused_before_decoding() {
    // A megabyte of garbage for the largest message type: refused on its
    // length, not character by character (the first character is invalid,
    // so decoding anything would have said so).
    let huge = "!".repeat(1 << 20);
    assert!(huge.len() > CascadeClaim::MAX_TEXT_LEN);
    assert_eq!(
        CascadeClaim::from_text(&huge),
        Err(TextError::TooLong {
            length: 1 << 20,
            max: CascadeClaim::MAX_TEXT_LEN
        })
    );
    assert_eq!(
        FraudProof::from_text(&huge),
        Err(TextError::TooLong {
            length: 1 << 20,
            max: FraudProof::MAX_TEXT_LEN
        })
    );
    // One character over a payment's maximum, one under.
    let at_max = "A".repeat(Payment::MAX_TEXT_LEN);
    assert_eq!(
        Payment::from_text(&at_max),
        Err(TextError::Decode(DecodeError::UnknownTag { tag: 0 }))
    );
    assert!(matches!(
        Payment::from_text(&format!("{at_max}A")),
        Err(TextError::TooLong {
            length: 433,
            max: 432
        })
    ));
    // The maxima are ⌈4 · MAX_LEN / 3⌉.
    assert_eq!(Payment::MAX_TEXT_LEN, (4 * Payment::MAX_LEN).div_ceil(3));
    assert_eq!(
        CascadeClaim::MAX_TEXT_LEN,
        (4 * CascadeClaim::MAX_LEN).div_ceil(3)
    );
}

#[test]
fn public_key_display_from_str_and_text() {
    let pk = SigningKey::from_bytes(&[2; 32]).public_key();
    let shown = pk.to_string();
    assert_eq!(shown, format!("01{}", hex(pk.as_bytes())));
    assert_eq!(shown.len(), 66);
    assert_eq!(shown.parse::<PublicKey>(), Ok(pk));
    // One spelling: upper case (of the whole or one digit) is refused.
    let upper = shown.to_uppercase();
    assert_ne!(upper, shown);
    let hex_error = Err(TextError::Hex(HexError { expected_len: 33 }));
    assert_eq!(upper.parse::<PublicKey>(), hex_error);
    let i = shown.find(|c: char| c.is_ascii_lowercase()).unwrap();
    let one = format!(
        "{}{}{}",
        &shown[..i],
        shown[i..=i].to_uppercase(),
        &shown[i + 1..]
    );
    assert_eq!(one.parse::<PublicKey>(), hex_error);
    // Wrong lengths, the bare 32 key bytes included, and junk.
    for s in [
        &shown[2..],
        &shown[..64],
        "",
        format!("{shown}00").as_str(),
        format!(" {shown}").as_str(),
    ] {
        assert_eq!(s.parse::<PublicKey>(), hex_error, "{s:?}");
    }
    // An unknown algorithm tag.
    assert_eq!(
        format!("03{}", &shown[2..]).parse::<PublicKey>(),
        Err(TextError::Decode(DecodeError::NonCanonical {
            field: "public key"
        }))
    );
    // The base64url text form.
    let text = pk.to_text();
    assert_eq!(text.len(), 44);
    let mut encoded = vec![1u8];
    encoded.extend_from_slice(pk.as_bytes());
    assert_eq!(text, reference_base64url(&encoded));
    assert_eq!(PublicKey::from_text(&text), Ok(pk));
    let mut out = [0u8; PublicKey::MAX_TEXT_LEN];
    assert_eq!(pk.encode_text(&mut out), Ok(text.as_str()));
    assert_eq!(
        pk.encode_text(&mut out[..43]),
        Err(TextError::BufferTooSmall {
            needed: 44,
            available: 43
        })
    );
    assert_eq!(
        PublicKey::from_text(&"A".repeat(PublicKey::MAX_TEXT_LEN + 1)),
        Err(TextError::TooLong {
            length: PublicKey::MAX_TEXT_LEN + 1,
            max: PublicKey::MAX_TEXT_LEN
        })
    );
    assert_eq!(
        PublicKey::from_text(&format!("{text}=")),
        Err(TextError::Padding { position: 44 })
    );
    assert_eq!(
        PublicKey::from_text(&text[..41]),
        Err(TextError::InvalidLength { length: 41 })
    );
    assert_eq!(
        PublicKey::from_text(&text[..40]),
        Err(TextError::Decode(DecodeError::Truncated {
            field: "public key",
            needed: 32,
            remaining: 29
        }))
    );
    // Signatures have a text form too.
    let sig = SigningKey::from_bytes(&[2; 32])
        .sign_digest(&Digest::from_bytes([5; 32]))
        .unwrap();
    let st = sig.to_text();
    assert_eq!(st.len(), 87);
    assert_eq!(Signature::from_text(&st), Ok(sig));
    assert_eq!(
        Signature::from_text(&text),
        Err(TextError::Decode(DecodeError::Truncated {
            field: "signature",
            needed: 64,
            remaining: 32
        }))
    );
}

#[cfg(feature = "serde")]
#[test]
fn public_key_serde_is_its_hex_or_its_bytes() {
    let pk = PublicKey::ed25519([0xab; 32]);
    let json = serde_json::to_string(&pk).unwrap();
    // Pinned: the representation must not drift.
    assert_eq!(
        json,
        "\"01abababababababababababababababababababababababababababababababab\""
    );
    assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), pk);
    assert!(serde_json::from_str::<PublicKey>(&json.to_uppercase()).is_err());
    assert!(serde_json::from_str::<PublicKey>(&format!("\"02{}\"", &json[3..])).is_err());
    let mut cbor = Vec::new();
    ciborium::into_writer(&pk, &mut cbor).unwrap();
    assert_eq!(cbor[..2], [0x58, 33]);
    assert_eq!(cbor[2], 1);
    assert_eq!(cbor[3..], [0xab; 32]);
    assert_eq!(
        ciborium::from_reader::<PublicKey, _>(cbor.as_slice()).unwrap(),
        pk
    );
    // Inside a container, as an application would keep keys.
    let keys = std::collections::BTreeMap::from([("broker", pk)]);
    let json = serde_json::to_string(&keys).unwrap();
    assert_eq!(json, format!("{{\"broker\":\"01{}\"}}", "ab".repeat(32)));
    assert_eq!(
        serde_json::from_str::<std::collections::BTreeMap<&str, PublicKey>>(&json).unwrap(),
        keys
    );
}

fn good_err<E: std::error::Error + Send + Sync + Clone + PartialEq + 'static>(examples: &[E]) {
    for e in examples {
        let s = e.to_string();
        let first = s.chars().next().unwrap();
        assert!(
            first.is_lowercase() || first.is_ascii_digit(),
            "lower case: {s:?}"
        );
        assert!(!s.ends_with('.'), "no trailing period: {s:?}");
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), s);
    }
}

/// C-GOOD-ERR for the errors of the text forms and of the receiver states.
#[test]
fn c_good_err() {
    good_err(&[
        TextError::TooLong {
            length: 500,
            max: 432,
        },
        TextError::Padding { position: 1 },
        TextError::StandardAlphabet { position: 1 },
        TextError::Whitespace { position: 1 },
        TextError::InvalidCharacter { position: 1 },
        TextError::InvalidLength { length: 5 },
        TextError::NonCanonicalTrailingBits,
        TextError::BufferTooSmall {
            needed: 9,
            available: 8,
        },
        TextError::Hex(HexError { expected_len: 33 }),
        TextError::Decode(DecodeError::TrailingData { extra: 1 }),
    ]);
    good_err(&[
        payword::ReceiverStateError::Decode(DecodeError::UnknownVersion { version: 2 }),
        payword::ReceiverStateError::WrongHash {
            expected: HashAlg::Sha256,
            found: HashAlg::Blake3,
        },
    ]);
}
