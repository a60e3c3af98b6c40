#![cfg(all(feature = "lms", feature = "ed25519", feature = "std"))]
//! LMS (RFC 8554) as a signature algorithm of the protocol: accepted
//! wherever Ed25519 is, through the one signed-message type.
//!
//! - every claim kind (plain, cascade, tree leaf, grant, device) and a
//!   reservation redeem at a broker whose certificate, and whose customer's
//!   commitments, grants, domain and device commitments, are LMS-signed;
//! - an offer signed with LMS verifies, round-trips, and its text form too;
//! - mixed worlds: an LMS broker with an Ed25519 customer and the reverse;
//! - an LMS signature never verifies under an Ed25519 key or another LMS
//!   key, and any flipped byte is refused;
//! - decoding is bounded: unknown or unaccepted parameter sets (W1, W2,
//!   typecodes past H25), leaves outside the tree and truncations are
//!   refused by the decoder, before any hashing; the largest accepted
//!   signature is [`Signature::MAX_LEN`];
//! - an exhausted signer signs nothing (`SignError::Signer`) and a failing
//!   store releases no signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use payword::lmots::LmotsParams;
use payword::lmots::lms::{LmsParams, LmsPublicKey};
use payword::lmots::signer::{
    LmsKeyError, LmsKeyState, LmsSignError, LmsSigningKey, LmsStateStore, MemoryLmsStore,
};
use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
use payword::reservation::ReservationTarget;
use payword::{
    Broker, Certificate, CertificateFields, CustomerId, DecodeError, Digest, Encode, LmsSigner,
    MemoryStore, MessageSigner, PublicKey, SigAlg, SignError, Signature, VendorId,
};

/// A world whose broker and customer sign with LMS keys (H10, W4: 1,024
/// signatures each), their counters in memory.
pub fn world_lms(
    credit_limit: u64,
) -> World<payword::LmsSigner<payword::lmots::signer::MemoryLmsStore>> {
    use payword::lmots::{
        LmotsParams,
        lms::LmsParams,
        signer::{LmsSigningKey, MemoryLmsStore},
    };
    let key = |byte: u8| {
        let k = LmsSigningKey::from_seed(
            LmsParams::Sha256M32H10,
            LmotsParams::Sha256N32W4,
            [byte; 16],
            &[byte; 32],
        )
        .unwrap();
        payword::LmsSigner::new(k, MemoryLmsStore::new()).unwrap()
    };
    world_with(key(1), key(2), credit_limit)
}

fn lms(params: LmsParams, ots: LmotsParams, byte: u8) -> LmsSigner<MemoryLmsStore> {
    let key = LmsSigningKey::from_seed(params, ots, [byte; 16], &[byte; 32]).unwrap();
    LmsSigner::new(key, MemoryLmsStore::new()).unwrap()
}

fn all_kinds(w: &World<impl MessageSigner>, phone: &impl MessageSigner) -> Vec<(&'static str, Op)> {
    vec![
        ("plain", Op::Plain(plain(w, 10, 2, 30))),
        ("cascade", Op::Cascade(cascade(w, 11, 1, 250))),
        ("leaf", Op::Leaf(leaf(w, 12, 80, 40))),
        ("grant", Op::Grant(grant(w, 13, 25))),
        ("device", Op::Device(device_with(w, phone, 14, 90, 500, 35))),
    ]
}

#[test]
fn every_claim_kind_redeems_under_lms_keys() {
    let w = world_lms(10_000);
    assert_eq!(w.cert.signature().alg(), SigAlg::Lms);
    assert_eq!(w.cert.fields().customer_key.alg(), SigAlg::Lms);
    let phone = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, 0x50);
    let mut b = Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 60);
    let mut total = 0;
    for (name, op) in all_kinds(&w, &phone) {
        let owed = op.run(&mut b, &w).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(owed, op.value(), "{name}");
        total += owed;
        // Idempotent, as with Ed25519.
        assert_eq!(op.run(&mut b, &w), Ok(0), "{name} again");
    }
    assert_eq!(total, 60 + 250 + 40 + 25 + 35);
    assert_eq!(b.owed(&w.vendor).unwrap(), total);

    // A reservation signed by the LMS broker key, over an LMS commitment.
    let reserved = plain(&w, 20, 1, 5);
    let r = b
        .reserve(
            &w.cert,
            ReservationTarget::Commitment(&reserved.commitment),
            700,
            NOW,
            NOW + 90,
            &w.broker,
        )
        .unwrap();
    assert_eq!(r.signature().alg(), SigAlg::Lms);
    assert!(r.verify(&w.broker.public_key()).is_ok());
    assert!(r.covers(&reserved.commitment.digest(), &w.vendor));
    assert_eq!(Encode::decode(&r.to_bytes()), Ok(r));
}

#[test]
fn mixed_worlds_work_both_ways() {
    let ed = SigningKey::from_bytes(&[9; 32]);
    let l = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, 0x61);
    // An LMS broker certifies an Ed25519 customer…
    let cert = Certificate::issue(
        CertificateFields {
            broker: payword::BrokerId::from_bytes([3; 32]),
            serial: 1,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: ed.public_key(),
            credit_limit: 100,
            valid_from: 0,
            expires: 10,
        },
        &l,
    )
    .unwrap();
    assert!(cert.verify(&l.public_key()).is_ok());
    assert!(cert.verify(&ed.public_key()).is_err());
    // …and an Ed25519 broker an LMS customer.
    let cert2 = Certificate::issue(
        CertificateFields {
            customer_key: l.public_key(),
            ..*cert.fields()
        },
        &ed,
    )
    .unwrap();
    assert!(cert2.verify(&ed.public_key()).is_ok());
    assert!(cert2.verify(&l.public_key()).is_err());
    for c in [cert, cert2] {
        assert_eq!(Certificate::decode(&c.to_bytes()), Ok(c));
        assert_eq!(Certificate::from_text(&c.to_text()), Ok(c));
    }
}

#[test]
fn offers_sign_with_lms() {
    let vendor = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, 0x70);
    let broker = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, 0x71);
    let fields = OfferFields {
        vendor: VendorId::from_bytes([5; 32]),
        vendor_key: vendor.public_key(),
        brokers: Brokers::new(&[AcceptedBroker {
            id: payword::BrokerId::from_bytes([7; 32]),
            key: broker.public_key(),
        }])
        .unwrap(),
        price: 3,
        unit_value: 7,
        kinds: ChainKinds::SINGLE_SHA256,
        max_chain: 1_000,
        valid_from: 0,
        expires: 100,
    };
    let offer = Offer::sign(fields, &vendor).unwrap();
    assert!(offer.verify(&vendor.public_key()).is_ok());
    assert_eq!(Offer::decode(&offer.to_bytes()), Ok(offer));
    assert_eq!(Offer::from_text(&offer.to_text()), Ok(offer));
    // The vendor's key and the broker's key inside are LMS keys, 57 bytes each.
    assert_eq!(offer.fields().vendor_key.encoded_len(), 57);
}

#[test]
fn lms_signatures_bind_key_message_and_bytes() {
    let a = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, 0x81);
    let b = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, 0x82);
    let ed = SigningKey::from_bytes(&[0x83; 32]);
    let d = Digest::from_bytes([1; 32]);
    let sig = a.sign_digest(&d).unwrap();
    assert_eq!(
        sig.as_bytes().len(),
        LmsParams::Sha256M32H5.signature_len(LmotsParams::Sha256N32W4)
    );
    assert!(a.public_key().verify(&d, &sig).is_ok());
    assert!(
        a.public_key()
            .verify(&Digest::from_bytes([2; 32]), &sig)
            .is_err()
    );
    assert!(b.public_key().verify(&d, &sig).is_err());
    assert!(ed.public_key().verify(&d, &sig).is_err());
    // An Ed25519 signature never verifies under an LMS key.
    let es = ed.sign_digest(&d).unwrap();
    assert!(a.public_key().verify(&d, &es).is_err());
    // Every byte matters: flip each one of the encoding and decode again.
    let mut enc = vec![SigAlg::Lms.tag()];
    enc.extend_from_slice(sig.as_bytes());
    let mut refused_by_decoder = 0;
    let mut refused_by_verify = 0;
    for i in 0..enc.len() {
        let mut bad = enc.clone();
        bad[i] ^= 0x01;
        let decoded = Signature::from_text(&text_of(&bad));
        match decoded {
            Err(_) => refused_by_decoder += 1,
            Ok(s) => {
                assert!(a.public_key().verify(&d, &s).is_err(), "byte {i}");
                refused_by_verify += 1;
            }
        }
    }
    assert_eq!(refused_by_decoder + refused_by_verify, enc.len());
    // The tag and the typecodes are the decoder's; everything else verify's.
    assert!(refused_by_decoder >= 3, "{refused_by_decoder}");
    assert!(refused_by_verify > 2000, "{refused_by_verify}");
}

/// The base64url text form of raw bytes (the way to feed an arbitrary
/// encoding to the public decoder).
fn text_of(bytes: &[u8]) -> String {
    use base64ct::Encoding as _;
    let mut buf = vec![0u8; bytes.len().div_ceil(3) * 4];
    base64ct::Base64UrlUnpadded::encode(bytes, &mut buf)
        .unwrap()
        .to_owned()
}

#[test]
fn decoding_refuses_unaccepted_parameter_sets_before_hashing() {
    let sig_of = |q: u32, ots: u32, ots_len: usize, lms_type: u32, h: usize| {
        let mut v = q.to_be_bytes().to_vec();
        v.extend(ots.to_be_bytes());
        v.extend(vec![0u8; ots_len - 4]);
        v.extend(lms_type.to_be_bytes());
        v.extend(vec![0u8; 32 * h]);
        v
    };
    let w4 = LmotsParams::Sha256N32W4;
    // A well-formed W4/H5 signature decodes (it verifies nothing, of course).
    let ok = sig_of(0, 3, w4.signature_len(), 5, 5);
    assert!(Signature::lms(&ok).is_ok());
    // W1 and W2 are refused by their typecode, whatever follows.
    for (t, p) in [(1, LmotsParams::Sha256N32W1), (2, LmotsParams::Sha256N32W2)] {
        assert_eq!(
            Signature::lms(&sig_of(0, t, p.signature_len(), 5, 5)),
            Err(DecodeError::NonCanonical {
                field: "lm-ots typecode"
            })
        );
    }
    // Unknown LM-OTS and LMS typecodes.
    assert_eq!(
        Signature::lms(&sig_of(0, 9, w4.signature_len(), 5, 5)),
        Err(DecodeError::NonCanonical {
            field: "lm-ots typecode"
        })
    );
    assert_eq!(
        Signature::lms(&sig_of(0, 3, w4.signature_len(), 10, 5)),
        Err(DecodeError::NonCanonical {
            field: "lms typecode"
        })
    );
    // A leaf outside the tree.
    assert_eq!(
        Signature::lms(&sig_of(32, 3, w4.signature_len(), 5, 5)),
        Err(DecodeError::NonCanonical { field: "lms leaf" })
    );
    // Truncated and too long.
    assert!(matches!(
        Signature::lms(&ok[..ok.len() - 1]),
        Err(DecodeError::Truncated { .. })
    ));
    let mut long = ok.clone();
    long.push(0);
    assert_eq!(
        Signature::lms(&long),
        Err(DecodeError::TrailingData { extra: 1 })
    );
    // The largest accepted: W4 under H25.
    let largest = sig_of(0, 3, w4.signature_len(), 9, 25);
    assert_eq!(largest.len(), Signature::MAX_LEN);
    assert!(Signature::lms(&largest).is_ok());
    // Keys: W1 and W2 keys are refused too.
    for (ots, ok) in [
        (LmotsParams::Sha256N32W1, false),
        (LmotsParams::Sha256N32W2, false),
        (LmotsParams::Sha256N32W4, true),
        (LmotsParams::Sha256N32W8, true),
    ] {
        let k = LmsPublicKey::new(LmsParams::Sha256M32H10, ots, [1; 16], [2; 32]);
        assert_eq!(PublicKey::lms(&k).is_some(), ok);
        let mut enc = vec![2u8];
        enc.extend(k.to_bytes());
        assert_eq!(PublicKey::from_encoded(&enc).is_ok(), ok, "{ots}");
    }
}

#[test]
fn an_exhausted_or_failing_signer_signs_nothing() {
    let signer = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, 0x90);
    let fields = CertificateFields {
        broker: payword::BrokerId::from_bytes([3; 32]),
        serial: 1,
        customer: CustomerId::from_bytes([4; 16]),
        customer_key: signer.public_key(),
        credit_limit: 100,
        valid_from: 0,
        expires: 10,
    };
    let mut leaves = std::collections::BTreeSet::new();
    for serial in 0..32 {
        let c = Certificate::issue(CertificateFields { serial, ..fields }, &signer).unwrap();
        leaves.insert(u32::from_be_bytes(
            c.signature().as_bytes()[..4].try_into().unwrap(),
        ));
    }
    assert_eq!(leaves.len(), 32, "every leaf used once");
    assert_eq!(signer.remaining(), 0);
    assert_eq!(Certificate::issue(fields, &signer), Err(SignError::Signer));
    assert!(matches!(
        signer.sign_typed(&Digest::from_bytes([0; 32])),
        Err(LmsSignError::Key(LmsKeyError::Exhausted { leaves: 32 }))
    ));

    struct Broken;
    impl LmsStateStore for Broken {
        type Error = &'static str;
        fn save(&mut self, _: &LmsKeyState) -> Result<(), &'static str> {
            Err("read-only file system")
        }
    }
    let key = LmsSigningKey::from_seed(
        LmsParams::Sha256M32H5,
        LmotsParams::Sha256N32W4,
        [1; 16],
        &[1; 32],
    )
    .unwrap();
    let broken = LmsSigner::new(key, Broken).unwrap();
    assert_eq!(
        broken.sign_typed(&Digest::from_bytes([0; 32])),
        Err(LmsSignError::Store("read-only file system"))
    );
    assert_eq!(Certificate::issue(fields, &broken), Err(SignError::Signer));
    // Two leaves burned, none released.
    assert_eq!(broken.remaining(), 30);
}

#[test]
fn w1_and_w2_keys_cannot_sign_protocol_messages() {
    for ots in [LmotsParams::Sha256N32W1, LmotsParams::Sha256N32W2] {
        let key = LmsSigningKey::from_seed(LmsParams::Sha256M32H5, ots, [1; 16], &[1; 32]).unwrap();
        assert_eq!(
            LmsSigner::new(key, MemoryLmsStore::new()).err(),
            Some(LmsKeyError::OtsNotSupported {
                typecode: ots.typecode()
            })
        );
    }
}

/// The size table of the README ("Hash-only mode"): encoded signature
/// lengths (tag included) and signatures per key for every height.
#[test]
fn readme_size_table() {
    let table = [
        (LmsParams::Sha256M32H5, 32, 2_349, 1_293),
        (LmsParams::Sha256M32H10, 1_024, 2_509, 1_453),
        (LmsParams::Sha256M32H15, 32_768, 2_669, 1_613),
        (LmsParams::Sha256M32H20, 1_048_576, 2_829, 1_773),
        (LmsParams::Sha256M32H25, 33_554_432, 2_989, 1_933),
    ];
    for (h, leaves, w4, w8) in table {
        assert_eq!(h.leaves(), leaves);
        assert_eq!(1 + h.signature_len(LmotsParams::Sha256N32W4), w4);
        assert_eq!(1 + h.signature_len(LmotsParams::Sha256N32W8), w8);
    }
    // A real H5/W8 signature has the table's length once encoded.
    let s = lms(LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, 0xa0);
    assert_eq!(
        s.sign_digest(&Digest::from_bytes([1; 32]))
            .unwrap()
            .encoded_len(),
        1_293
    );
    assert_eq!(s.public_key().encoded_len(), 57);
}

/// A store that, while saving, calls back into the shared signer that is
/// signing (a reentrant store): the inner call is refused with `Busy`
/// instead of deadlocking, and the outer signature is still made.
#[test]
fn a_reentrant_store_gets_busy_not_a_deadlock() {
    use payword::lmots::signer::{LmsKeyState, LmsSignError, LmsStateStore};
    use std::sync::{Arc, Mutex};

    /// (the inner call was refused with `Busy`, `remaining()` inside)
    type Seen = (bool, Option<u32>);
    type Callback = Box<dyn Fn() -> Seen + Send>;
    struct Reentrant {
        callback: Arc<Mutex<Option<Callback>>>,
        seen: Arc<Mutex<Vec<Seen>>>,
    }
    impl LmsStateStore for Reentrant {
        type Error = std::convert::Infallible;
        fn save(&mut self, _: &LmsKeyState) -> Result<(), Self::Error> {
            if let Some(f) = self.callback.lock().unwrap().as_ref() {
                self.seen.lock().unwrap().push(f());
            }
            Ok(())
        }
    }

    let callback: Arc<Mutex<Option<Callback>>> = Arc::new(Mutex::new(None));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let key = payword::lmots::signer::LmsSigningKey::from_seed(
        payword::lmots::lms::LmsParams::Sha256M32H5,
        payword::lmots::LmotsParams::Sha256N32W4,
        [7; 16],
        &[8; 32],
    )
    .unwrap();
    let store = Reentrant {
        callback: Arc::clone(&callback),
        seen: Arc::clone(&seen),
    };
    let signer = Arc::new(payword::SharedLmsSigner::new(
        payword::LmsSigner::new(key, store).unwrap(),
    ));
    let inner = Arc::clone(&signer);
    *callback.lock().unwrap() = Some(Box::new(move || {
        let r = inner.sign_typed(&payword::Digest::from_bytes([1; 32]));
        (matches!(r, Err(LmsSignError::Busy)), inner.remaining())
    }));
    let sig = signer.sign_typed(&payword::Digest::from_bytes([2; 32]));
    assert!(sig.is_ok());
    assert_eq!(*seen.lock().unwrap(), vec![(true, None)]);
    // Outside the store, the signer is usable again: one leaf was used.
    *callback.lock().unwrap() = None;
    assert_eq!(signer.remaining(), Some(31));
    assert!(
        signer
            .sign_typed(&payword::Digest::from_bytes([3; 32]))
            .is_ok()
    );
}
