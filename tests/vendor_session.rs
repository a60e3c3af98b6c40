#![cfg(all(feature = "ed25519", feature = "std"))]
//! The vendor's session for network use: exact prices (the work a payment
//! can cost is bounded by its price), checks that change nothing, and
//! sessions saved and resumed (after the commitment expired too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payword::{
    Commitment, HashAlg, MessageSigner, Payment, PaymentBody, Payword, ResumeError, Session,
    SessionError, VerifyError, Word,
};

/// A session on `plain(w, byte, 1, _)`'s commitment, and its paywords
/// (index i at position i).
fn session(w: &World, byte: u8) -> (Session, Vec<Payword>, Commitment) {
    let c = plain(w, byte, 1, 1).commitment;
    let words: Vec<Payword> = (0..=100).map(|k| payword_at(w, byte, k)).collect();
    let s = Session::open(w.vendor, &w.broker.public_key(), w.cert, c, NOW, 0).unwrap();
    (s, words, c)
}

/// Payword `k` of `plain(w, byte, …)`'s chain.
fn payword_at(w: &World, byte: u8, k: u32) -> Payword {
    match plain(w, byte, 1, k.max(1)).payment.body() {
        PaymentBody::Single(p) if k > 0 => *p,
        _ => Payword::new(0, Word::from_bytes([0; 32])),
    }
}

fn pay(c: &Commitment, p: Payword) -> Payment {
    Payment::new(c.digest(), PaymentBody::Single(p))
}

#[test]
fn an_exact_price_accepts_only_that_step() {
    let w = world(1_000);
    let (mut s, words, c) = session(&w, 40);
    assert_eq!(s.pay_exact(&pay(&c, words[3]), 3, NOW), Ok(3));
    // One short, one over, far away: refused before any hashing, with the
    // units the payment would have paid.
    for (k, paid) in [(5, 2), (7, 4), (100, 97)] {
        assert_eq!(
            s.pay_exact(&pay(&c, words[k]), 3, NOW),
            Err(SessionError::WrongPrice { price: 3, paid })
        );
    }
    let far = Payword::new(4_000_000, Word::from_bytes([1; 32]));
    assert!(matches!(
        s.pay_exact(&pay(&c, far), 3, NOW),
        Err(SessionError::WrongPrice { price: 3, .. }) | Err(SessionError::Payment(_))
    ));
    // A replay names the last index, to resynchronise.
    assert_eq!(
        s.pay_exact(&pay(&c, words[3]), 3, NOW),
        Err(SessionError::Payment(VerifyError::Replay {
            index: 3,
            last: 3
        }))
    );
    // A forged word at the right step: refused.
    let forged = Payword::new(6, Word::from_bytes([0xab; 32]));
    assert_eq!(
        s.pay_exact(&pay(&c, forged), 3, NOW),
        Err(SessionError::Payment(VerifyError::Forged))
    );
    // Nothing changed: the right payment still goes through.
    assert_eq!(s.units_paid(), 3);
    assert_eq!(s.pay_exact(&pay(&c, words[6]), 3, NOW), Ok(3));
    assert_eq!(s.units_paid(), 6);
    // Another commitment's payment.
    let other = plain(&w, 41, 1, 9).payment;
    assert_eq!(
        s.pay_exact(&other, 3, NOW),
        Err(SessionError::WrongCommitment)
    );
}

#[test]
fn checks_change_nothing() {
    let w = world(1_000);
    let (mut s, words, c) = session(&w, 42);
    let p = pay(&c, words[4]);
    assert_eq!(s.check(&p, NOW), Ok(4));
    assert_eq!(s.check(&p, NOW), Ok(4));
    assert_eq!(s.check_exact(&p, 4, NOW), Ok(4));
    assert_eq!(
        s.check_exact(&p, 2, NOW),
        Err(SessionError::WrongPrice { price: 2, paid: 4 })
    );
    assert_eq!(s.units_paid(), 0);
    assert_eq!(s.claim(), None);
    assert_eq!(s.pay(&p, NOW), Ok(4));
    assert_eq!(
        s.check(&p, NOW),
        Err(SessionError::Payment(VerifyError::Replay {
            index: 4,
            last: 4
        }))
    );
    assert_eq!(
        s.check(&pay(&c, words[5]), NOW + 20_000),
        Err(SessionError::Expired)
    );
}

#[test]
fn purse_payments_pay_exact_amounts() {
    let w = world(1_000_000);
    let (c, mut purse) = purse::<payword::Sha256>(&w, HashAlg::Sha256, 43, (3, 20), 2);
    let mut s = Session::open(w.vendor, &w.broker.public_key(), w.cert, c, NOW, 0).unwrap();
    let p = Payment::new(c.digest(), PaymentBody::Purse(purse.pay(347).unwrap()));
    // 347 units in 3 + 4 + 7 = 14 steps: the wrong price is refused.
    assert!(s.pay_exact(&p, 346, NOW).is_err());
    assert!(s.pay_exact(&p, 12, NOW).is_err());
    assert_eq!(s.units_paid(), 0);
    assert_eq!(s.pay_exact(&p, 347, NOW), Ok(694));
    let q = Payment::new(c.digest(), PaymentBody::Purse(purse.pay(12).unwrap()));
    assert_eq!(s.pay_exact(&q, 12, NOW), Ok(24));
    assert_eq!(s.units_paid(), 359);
}

#[test]
fn a_saved_session_resumes_and_claims_after_expiry() {
    let w = world(1_000);
    let (mut s, words, c) = session(&w, 44);
    // Saved before any payment: resumes with nothing to claim.
    let empty = Session::resume(&s.to_bytes(), &w.broker.public_key()).unwrap();
    assert_eq!((empty.units_paid(), empty.claim()), (0, None));
    s.pay(&pay(&c, words[17]), NOW).unwrap();
    let saved = s.to_bytes();
    let mut resumed = Session::resume(&saved, &w.broker.public_key()).unwrap();
    assert_eq!(resumed.to_bytes(), saved, "one encoding");
    assert_eq!(resumed.units_paid(), 17);
    assert_eq!(resumed.claim(), s.claim());
    // It goes on where it stopped: replays refused, the next step paid.
    assert_eq!(
        resumed.pay(&pay(&c, words[17]), NOW),
        Err(SessionError::Payment(VerifyError::Replay {
            index: 17,
            last: 17
        }))
    );
    assert_eq!(resumed.pay_exact(&pay(&c, words[18]), 1, NOW), Ok(1));
    // Expired long ago (the commitment's window ends at NOW + 10,000):
    // resuming needs no clock; the claim still goes to the broker.
    let mut b = broker(&w);
    let late = Session::resume(&resumed.to_bytes(), &w.broker.public_key()).unwrap();
    let claim = late.claim().unwrap();
    assert_eq!(b.redeem(&claim, &w.vendor, NOW + 10_000).unwrap().owed, 18);
    // Under another broker's key: refused.
    assert_eq!(
        Session::resume(&saved, &w.customer.public_key()).unwrap_err(),
        ResumeError::Session(SessionError::BadCertificate)
    );
}

#[test]
fn a_saved_cascade_resumes_with_its_renewals() {
    let w = world(1_000);
    // 25 payments over chains of 10: two renewals.
    let s = cascade_session(&w, 45, 1, 25);
    assert_eq!(s.generation(), 2);
    let resumed = Session::resume(&s.to_bytes(), &w.broker.public_key()).unwrap();
    assert_eq!(resumed.generation(), 2);
    assert_eq!(resumed.units_paid(), s.units_paid());
    assert_eq!(resumed.cascade(), s.cascade());
    assert_eq!(resumed.commitment_digest(), s.commitment_digest());
}

#[test]
fn a_damaged_save_is_refused_and_never_panics() {
    let w = world(1_000);
    let s = cascade_session(&w, 46, 1, 15);
    let saved = s.to_bytes();
    let key = w.broker.public_key();
    for len in 0..saved.len() {
        assert!(
            matches!(
                Session::resume(&saved[..len], &key),
                Err(ResumeError::Decode(_))
            ),
            "prefix of {len}"
        );
    }
    let mut longer = saved.clone();
    longer.push(0);
    assert!(matches!(
        Session::resume(&longer, &key),
        Err(ResumeError::Decode(_))
    ));
    // Bit flips: refused, or (inside the saved paywords, which are not
    // hashed again) a session whose claim differs and that the broker
    // refuses. Never a panic, never the same session under other terms.
    let mut refused = 0;
    for i in (0..saved.len()).step_by(7) {
        let mut b = saved.clone();
        b[i] ^= 0x10;
        match Session::resume(&b, &key) {
            Err(_) => refused += 1,
            Ok(r) => assert_ne!(r.to_bytes(), saved),
        }
    }
    assert!(refused > 0);
}
