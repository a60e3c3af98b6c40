#![cfg(all(feature = "ed25519", feature = "std"))]
//! Offers (a vendor's signed terms), turning one into a commitment, and the
//! `payword:` URIs of an offer and of a one-shot payment (QR flows).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferError, OfferFields};
use payword::uri::{MAX_URI_LEN, PaywordUri, UriError};
use payword::{
    BrokerId, ChainId, ChainParams, ChainSeed, Commitment, CommittedChain, DecodeError, Encode,
    HashAlg, MessageSigner, PurseParams, RedemptionClaim, Session, SessionError, Sha256, StoreAll,
    TextError, Traversal,
};

fn vendor_key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

fn fields(w: &World) -> OfferFields {
    OfferFields {
        vendor: w.vendor,
        vendor_key: vendor_key().public_key(),
        brokers: Brokers::new(&[AcceptedBroker {
            id: w.broker_id,
            key: w.broker.public_key(),
        }])
        .unwrap(),
        price: 3,
        unit_value: 7,
        kinds: ChainKinds::SINGLE_SHA256.or(ChainKinds::PURSE_BLAKE3),
        max_chain: 1_000,
        valid_from: NOW - 100,
        expires: NOW + 5_000,
    }
}

fn offer(w: &World) -> Offer {
    Offer::sign(fields(w), &vendor_key()).unwrap()
}

fn single(byte: u8, n: u32) -> CommittedChain {
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([byte; 16]), n.into()).unwrap();
    let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), params).unwrap();
    CommittedChain::Single {
        params,
        anchor: wallet.anchor(),
    }
}

#[test]
fn an_offer_becomes_a_commitment_the_vendor_accepts() {
    let w = world(100_000);
    let o = offer(&w);
    assert_eq!(Offer::decode(&o.to_bytes()).unwrap(), o);
    assert_eq!(Offer::from_text(&o.to_text()).unwrap(), o);
    o.check(NOW, 0).unwrap();
    let f = o
        .commitment_fields(&w.cert, single(1, 500), NOW, 600)
        .unwrap();
    assert_eq!((f.vendor, f.unit_value), (w.vendor, 7));
    assert_eq!((f.valid_from, f.expires), (NOW, NOW + 600));
    // Capped by the offer's end.
    let f2 = o
        .commitment_fields(&w.cert, single(1, 500), NOW, 1_000_000)
        .unwrap();
    assert_eq!(f2.expires, NOW + 5_000);
    let c = Commitment::sign(f, &w.customer).unwrap();
    Session::open(w.vendor, &w.broker.public_key(), w.cert, c, NOW, 0).unwrap();
}

#[test]
fn an_offer_refuses_what_it_does_not_accept() {
    let w = world(100_000);
    let o = offer(&w);
    assert_eq!(
        o.commitment_fields(&w.cert, single(1, 1_001), NOW, 600),
        Err(OfferError::ChainTooLong {
            length: 1_001,
            max: 1_000
        })
    );
    let blake = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([2; 16]), 10).unwrap();
    let chain = CommittedChain::Single {
        params: blake,
        anchor: payword::StoreAll::<payword::Blake3>::new(&ChainSeed::from_bytes([2; 32]), blake)
            .unwrap()
            .anchor(),
    };
    assert_eq!(
        o.commitment_fields(&w.cert, chain, NOW, 600),
        Err(OfferError::ChainNotAccepted)
    );
    // A purse over BLAKE3 is accepted.
    let pp = PurseParams::new(HashAlg::Blake3, ChainId::from_bytes([3; 16]), 10, 3, 20).unwrap();
    let purse =
        payword::Purse::<payword::Blake3>::new(&ChainSeed::from_bytes([3; 32]), pp).unwrap();
    let chain = CommittedChain::Purse {
        params: pp,
        anchors: purse.anchors(),
    };
    assert!(o.commitment_fields(&w.cert, chain, NOW, 600).is_ok());
    // A certificate of another broker.
    let mut other = fields(&w);
    other.brokers = Brokers::new(&[AcceptedBroker {
        id: BrokerId::from_bytes([77; 32]),
        key: w.broker.public_key(),
    }])
    .unwrap();
    let o2 = Offer::sign(other, &vendor_key()).unwrap();
    assert_eq!(
        o2.commitment_fields(&w.cert, single(1, 10), NOW, 600),
        Err(OfferError::BrokerNotAccepted)
    );
    // The right id under another key: the certificate does not verify.
    let mut wrong_key = fields(&w);
    wrong_key.brokers = Brokers::new(&[AcceptedBroker {
        id: w.broker_id,
        key: w.customer.public_key(),
    }])
    .unwrap();
    let o3 = Offer::sign(wrong_key, &vendor_key()).unwrap();
    assert_eq!(
        o3.commitment_fields(&w.cert, single(1, 10), NOW, 600),
        Err(OfferError::BrokerNotAccepted)
    );
    // Signed by someone else than its vendor key; expired.
    let forged = Offer::sign(fields(&w), &w.customer).unwrap();
    assert_eq!(forged.check(NOW, 0), Err(OfferError::BadSignature));
    assert_eq!(
        o.commitment_fields(&w.cert, single(1, 10), NOW + 6_000, 600),
        Err(OfferError::Window(SessionError::Expired))
    );
    // The certificate ends before the offer starts: no time to commit.
    assert_eq!(
        o.commitment_fields(&w.cert, single(1, 10), NOW, 0),
        Err(OfferError::NoTimeLeft)
    );
}

#[test]
fn offer_fields_are_checked_when_signed_and_decoded() {
    let w = world(1);
    assert_eq!(Brokers::new(&[]), Err(OfferError::Brokers));
    let b = AcceptedBroker {
        id: w.broker_id,
        key: w.broker.public_key(),
    };
    assert_eq!(Brokers::new(&[b, b]), Err(OfferError::Brokers));
    assert_eq!(Brokers::new(&[b; 5]), Err(OfferError::Brokers));
    for bad in [
        OfferFields {
            price: 0,
            ..fields(&w)
        },
        OfferFields {
            unit_value: 0,
            ..fields(&w)
        },
        OfferFields {
            max_chain: 0,
            ..fields(&w)
        },
        OfferFields {
            valid_from: NOW + 10,
            expires: NOW,
            ..fields(&w)
        },
    ] {
        assert!(Offer::sign(bad, &vendor_key()).is_err(), "{bad:?}");
    }
    // Every truncation and a trailing byte: refused.
    let bytes = offer(&w).to_bytes();
    for len in 0..bytes.len() {
        assert!(Offer::decode(&bytes[..len]).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Offer::decode(&longer),
        Err(DecodeError::TrailingData { extra: 1 })
    );
}

#[test]
fn uris_round_trip_and_fit_a_qr_code() {
    let w = world(100_000);
    let o = offer(&w);
    let uri = PaywordUri::Offer(o).to_string();
    assert!(uri.starts_with("payword:offer:"));
    assert_eq!(uri.parse::<PaywordUri>(), Ok(PaywordUri::Offer(o)));
    let claim = plain(&w, 30, 1, 5);
    let pay = PaywordUri::Pay(claim).to_string();
    assert!(pay.starts_with("payword:pay:"));
    assert_eq!(PaywordUri::parse(&pay), Ok(PaywordUri::Pay(claim)));
    // A QR code (version 40, low error correction) holds 2,953 bytes.
    assert!(uri.len() < 600, "{}", uri.len());
    assert!(pay.len() <= MAX_URI_LEN);
    // The longest: 12 + the text of the largest claim; an offer: 14 + 568
    // with Ed25519 only. LMS signatures (up to 2,988 bytes) make the bounds
    // larger: an LMS one-shot payment no longer fits one QR code.
    if cfg!(feature = "lms") {
        assert_eq!(MAX_URI_LEN, 9_176);
        assert_eq!(Offer::MAX_TEXT_LEN, 4_627);
    } else {
        assert_eq!(MAX_URI_LEN, 1_347);
        assert_eq!(Offer::MAX_TEXT_LEN, 568);
    }
}

#[test]
fn uris_are_decoded_strictly() {
    let w = world(100_000);
    let uri = PaywordUri::Offer(offer(&w)).to_string();
    let text = uri.strip_prefix("payword:offer:").unwrap();
    let cases = [
        format!("PAYWORD:offer:{text}"),
        format!("payword:Offer:{text}"),
        format!("payword://offer:{text}"),
        format!("web+payword:offer:{text}"),
        String::new(),
    ];
    for c in &cases {
        assert_eq!(PaywordUri::parse(c), Err(UriError::UnknownKind), "{c}");
    }
    for (c, what) in [
        (format!("{uri}?amount=3"), "query"),
        (format!("{uri}#x"), "fragment"),
        (format!("{uri}\n"), "newline"),
        (format!("{uri}="), "padding"),
        (uri.replacen('-', "%2D", 1), "percent"),
        (uri.replacen('_', "/", 1), "standard alphabet"),
    ] {
        assert!(
            matches!(PaywordUri::parse(&c), Err(UriError::Text(_))),
            "{what}: {c}"
        );
    }
    // The right kind with the other message inside.
    let payment_text = plain(&w, 31, 1, 2).payment.to_text();
    assert!(matches!(
        PaywordUri::parse(&format!("payword:offer:{payment_text}")),
        Err(UriError::Text(TextError::Decode(
            DecodeError::UnknownTag { .. }
        )))
    ));
    // Too long: refused before decoding.
    let long = format!("payword:pay:{}", "A".repeat(MAX_URI_LEN));
    assert_eq!(
        PaywordUri::parse(&long),
        Err(UriError::TooLong { length: long.len() })
    );
}

#[test]
fn a_customer_presented_payment_is_accepted_then_redeemed() {
    let w = world(100_000);
    // The customer's device shows a one-shot payment of 12 units.
    let token = plain(&w, 32, 1, 12);
    let shown = PaywordUri::Pay(token).to_string();
    // The merchant scans it, opens a session and takes the payment.
    let PaywordUri::Pay(t) = PaywordUri::parse(&shown).unwrap() else {
        panic!("not a payment")
    };
    let mut s = Session::open(
        w.vendor,
        &w.broker.public_key(),
        t.certificate,
        t.commitment,
        NOW,
        0,
    )
    .unwrap();
    assert_eq!(s.pay_exact(&t.payment, 12, NOW), Ok(12));
    // The same token is the claim.
    let claim: RedemptionClaim = t;
    assert_eq!(broker(&w).redeem(&claim, &w.vendor, NOW).unwrap().owed, 12);
}
