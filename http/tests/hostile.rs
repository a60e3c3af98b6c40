//! A hostile corpus of headers against the paywall: each gets its status,
//! its `PayWord-Error` code and a short message, never a panic or a 5xx,
//! and never changes the session.
//!
//! **Work per request.** The session verifies a payment of a request
//! priced `p` with a receiver whose budget is `p` chain steps
//! (`Session::pay_exact`), and refuses before any hashing a payword that
//! advances by another amount (`WrongPrice`), a replay, or an index past
//! the chain's end. The session's hash is not pluggable, so the tests
//! count hashes on a model: for every hostile payword, the same check the
//! session makes — a [`Receiver`] over `Counting<Sha256>`, resumed at the
//! session's last payword with the price as budget — counts its chain
//! steps, and the test asserts both that the count is at most the price
//! (exactly the price for a forged word at the price, 0 for the rest) and
//! that the server's refusal is the one that model gives (`Forged` ↔
//! `payment_refused`, `Replay` ↔ 409, `OverBudget` ↔ `wrong_price`,
//! `PastEnd` ↔ `payment_refused`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use http::HeaderMap;
use payword::offer::Offer;
use payword::{
    Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields,
    CommittedChain, Counting, CustomerId, Digest, Encode, HashAlg, MessageSigner, Payment,
    PaymentBody, Payword, PursePayment, Receiver, Sha256, VendorId, VerifyError, Word, chain,
};
use payword_http::header::{Authorization, Challenge, ErrorCode, Number, Opening};
use payword_http::{Paywall, Refusal};
use support::{ARTICLE, Server, UNIT_VALUE, World, raw_get, world};

/// A session the test drives by hand: a known seed, so any payword can be
/// made.
struct Manual {
    certificate: Certificate,
    commitment: Commitment,
    seed: ChainSeed,
    params: ChainParams,
}

impl Manual {
    fn new(w: &World, vendor: VendorId, unit_value: u64, n: u32, expires: u64) -> Self {
        let seed = ChainSeed::from_bytes([n as u8; 32]);
        let params = ChainParams::new(
            HashAlg::Sha256,
            ChainId::from_bytes([n as u8; 16]),
            n.into(),
        )
        .unwrap();
        let anchor = chain::anchor::<Sha256>(&seed, &params).unwrap();
        let commitment = Commitment::sign(
            CommitmentFields {
                certificate: w.certificate.digest(),
                vendor,
                unit_value,
                valid_from: w.now - 3_000,
                expires,
                chain: CommittedChain::Single { params, anchor },
                renewal: None,
            },
            &w.customer,
        )
        .unwrap();
        Self {
            certificate: w.certificate,
            commitment,
            seed,
            params,
        }
    }

    fn word(&self, i: u32) -> Payword {
        Payword::new(
            i,
            chain::word_at::<Sha256>(&self.seed, &self.params, i).unwrap(),
        )
    }

    fn payment(&self, i: u32) -> Payment {
        Payment::new(self.commitment.digest(), PaymentBody::Single(self.word(i)))
    }

    fn forged(&self, i: u32) -> Payment {
        Payment::new(
            self.commitment.digest(),
            PaymentBody::Single(Payword::new(i, Word::from_bytes([0x5a; 32]))),
        )
    }

    fn opening(&self) -> Opening {
        Opening {
            certificate: self.certificate,
            commitment: self.commitment,
        }
    }

    fn header(&self, payment: Payment, open: bool) -> String {
        Authorization {
            opening: open.then(|| self.opening()),
            payment,
        }
        .to_string()
    }

    /// The chain steps the session's check of `payment` at `last`, priced
    /// `price`, makes, and its verdict (the model).
    fn model(&self, last: u32, payment: &Payment, price: u32) -> (Result<u32, VerifyError>, u64) {
        let PaymentBody::Single(p) = payment.body() else {
            panic!("single chains only")
        };
        let receiver = Receiver::<Counting<Sha256>>::resume(self.params, self.word(last))
            .unwrap()
            .with_limit(price);
        let (verdict, cost) = Counting::<Sha256>::measure(|| receiver.check(p));
        (verdict, cost.chain_steps)
    }
}

/// What a refusal looked like on the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    code: Option<ErrorCode>,
    message: String,
    last_index: Option<u32>,
    offer: Option<Offer>,
}

fn send(url: &str, values: &[&[u8]]) -> Answer {
    let (base, path) = url.split_at(url.find("/article").unwrap());
    let headers: Vec<(&str, &[u8])> = values.iter().map(|v| ("Authorization", *v)).collect();
    let response = raw_get(base, path, &headers).unwrap();
    let code = response
        .header("payword-error")
        .map(|v| ErrorCode::parse(v).unwrap());
    let last_index = response
        .header("payword-last-index")
        .map(|v| Number::parse(v).unwrap());
    let offer = response
        .header("www-authenticate")
        .map(|v| Challenge::parse(v).unwrap().offer);
    let message = String::from_utf8(response.body.clone()).unwrap();
    if let Some(code) = code {
        // Every refusal: its status, a short text message, no 5xx but 503.
        assert_eq!(response.status, code.status(), "{message}");
        assert_eq!(
            response.header("content-type"),
            Some(&b"text/plain; charset=utf-8"[..])
        );
        assert!(
            message.ends_with('\n') && message.len() < 300,
            "{message:?}"
        );
        // A 402 offers the request's price.
        assert_eq!(code.status() == 402, offer.is_some());
    }
    Answer {
        status: response.status,
        code,
        message: message.trim_end().to_owned(),
        last_index,
        offer,
    }
}

#[track_caller]
fn refused(a: &Answer, status: u16, code: ErrorCode, message: &str) {
    assert_eq!((a.status, a.code), (status, Some(code)), "{a:?}");
    assert!(
        a.message.contains(message),
        "{:?} does not contain {message:?}",
        a.message
    );
    if let Some(offer) = &a.offer {
        assert_eq!(offer.fields().price, ARTICLE);
    }
}

#[test]
fn hostile_headers_get_their_status_and_message() {
    let w = world();
    let paywall = Arc::new(w.paywall());
    let server = Server::start(Arc::clone(&paywall));
    let url = server.url("/article");
    let s = Manual::new(&w, w.vendor, UNIT_VALUE, 200, w.now + 3_600);
    // Open the session and pay up to index 10.
    for (k, i) in (2..=10).step_by(2).enumerate() {
        let a = send(&url, &[s.header(s.payment(i), k == 0).as_bytes()]);
        assert_eq!((a.status, a.code), (200, None), "{a:?}");
    }
    let digest = s.commitment.digest();
    let units = || paywall.sessions().session(&digest).unwrap().units_paid();
    assert_eq!(units(), 10);
    let p = s.payment(12).to_text();
    let c = s.commitment.to_text();
    let x = s.certificate.to_text();

    // Garbage and the wrong spelling: 400.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"PayWord payment=\"!!!!\"".to_vec(),
            "payment: invalid character at byte 0",
        ),
        (
            b"PayWord %$#@!".to_vec(),
            "expected \"payment=\\\"\" at byte 8",
        ),
        (
            format!("payword payment=\"{p}\"").into_bytes(),
            "expected \"PayWord\" at byte 0",
        ),
        (
            format!("PAYWORD payment=\"{p}\"").into_bytes(),
            "expected \"PayWord\" at byte 0",
        ),
        (
            format!("PayWord payment={p}").into_bytes(),
            "expected \"payment=\\\"\"",
        ),
        (
            format!("PayWord  payment=\"{p}\"").into_bytes(),
            "at byte 8",
        ),
        (
            format!("PayWord payment=\"{p}\",").into_bytes(),
            "expected \"end of value\"",
        ),
        (
            format!("PayWord payment=\"{p}=\"").into_bytes(),
            "padding character",
        ),
        (
            format!("PayWord payment=\"{}\"", &p[..p.len() - 3]).into_bytes(),
            "payment:",
        ),
        (
            [b"PayWord payment=\"".as_slice(), &[0xff, 0xfe], b"\""].concat(),
            "visible ASCII",
        ),
        // Oversized, refused on length alone.
        (
            format!("PayWord payment=\"{}\"", "A".repeat(20_000)).into_bytes(),
            Box::leak(
                format!(
                    "header value of 20018 bytes is over the limit {}",
                    Authorization::MAX_LEN
                )
                .into_boxed_str(),
            ),
        ),
        (
            format!("PayWord payment=\"{}\"", "A".repeat(100_000)).into_bytes(),
            Box::leak(format!("over the limit {}", Authorization::MAX_LEN).into_boxed_str()),
        ),
        // The wrong message type in each parameter.
        (
            format!("PayWord payment=\"{c}\"").into_bytes(),
            "payment: text decodes to a bad encoding: unknown type tag 0x11",
        ),
        (
            format!("PayWord payment=\"{x}\"").into_bytes(),
            "unknown type tag 0x10",
        ),
        (
            format!("PayWord certificate=\"{p}\", commitment=\"{c}\", payment=\"{p}\"")
                .into_bytes(),
            "certificate: text decodes to a bad encoding: unknown type tag 0x12",
        ),
        (
            format!("PayWord certificate=\"{x}\", commitment=\"{x}\", payment=\"{p}\"")
                .into_bytes(),
            "commitment: text decodes to a bad encoding",
        ),
    ];
    for (value, message) in &cases {
        let a = send(&url, &[value]);
        refused(&a, 400, ErrorCode::Malformed, message);
        assert_eq!(units(), 10);
    }
    // Two Authorization headers.
    let a = send(
        &url,
        &[s.header(s.payment(12), false).as_bytes(), b"Bearer x"],
    );
    refused(
        &a,
        400,
        ErrorCode::Malformed,
        "header appears more than once",
    );
    // The payment does not name the commitment sent with it.
    let other = Manual::new(&w, w.vendor, UNIT_VALUE, 100, w.now + 3_600);
    let mixed = Authorization {
        opening: Some(other.opening()),
        payment: s.payment(12),
    };
    let a = send(&url, &[mixed.to_string().as_bytes()]);
    refused(
        &a,
        400,
        ErrorCode::Malformed,
        "the payment does not name the commitment",
    );

    // No payment: 402 with the offer.
    let a = send(&url, &[]);
    refused(
        &a,
        402,
        ErrorCode::PaymentRequired,
        "payment required: 2 units",
    );
    let a = send(&url, &[b"Bearer abc"]);
    refused(&a, 402, ErrorCode::PaymentRequired, "payment required");
    let a = send(&url, &[b"PayWordly payment"]);
    refused(&a, 402, ErrorCode::PaymentRequired, "payment required");

    // Commitments the terms refuse (no signature checked) or that do not
    // verify.
    let another_vendor = Manual::new(
        &w,
        VendorId::from_bytes([7; 32]),
        UNIT_VALUE,
        50,
        w.now + 3_600,
    );
    let cheap = Manual::new(&w, w.vendor, 1, 51, w.now + 3_600);
    let expired = Manual::new(&w, w.vendor, UNIT_VALUE, 52, w.now - 1_000);
    let forger = SigningKey::from_bytes(&[0x66; 32]);
    let mut forged_cert = Manual::new(&w, w.vendor, UNIT_VALUE, 53, w.now + 3_600);
    let mut fields = *w.certificate.fields();
    fields.credit_limit = u64::MAX;
    forged_cert.certificate = Certificate::issue(fields, &forger).unwrap();
    let mut other_customer = Manual::new(&w, w.vendor, UNIT_VALUE, 54, w.now + 3_600);
    let stranger = SigningKey::from_bytes(&[0x77; 32]);
    other_customer.certificate = Certificate::issue(
        CertificateFields {
            customer: CustomerId::from_bytes([0x77; 16]),
            customer_key: stranger.public_key(),
            ..*w.certificate.fields()
        },
        &w.broker,
    )
    .unwrap();
    let long = Manual::new(&w, w.vendor, UNIT_VALUE, 100_001, w.now + 3_600);
    for (m, message) in [
        (
            &another_vendor,
            "commitment refused: the commitment is for another vendor",
        ),
        (&cheap, "the commitment's unit value 1 is not the offer's 5"),
        (&expired, "commitment refused: expired"),
        (
            &forged_cert,
            "commitment refused: certificate does not verify",
        ),
        (
            &other_customer,
            "commitment refused: commitment names another certificate",
        ),
        (
            &long,
            "the chain of 100001 is longer than the offer's 100000",
        ),
    ] {
        let a = send(&url, &[m.header(m.payment(2), true).as_bytes()]);
        refused(&a, 402, ErrorCode::CommitmentRefused, message);
    }
    assert_eq!(paywall.sessions().len(), 1, "no session was opened");

    // Payments: each refused with the model's verdict, at most the price
    // in hashes.
    let unknown = Payment::new(
        Digest::from_bytes([0x42; 32]),
        PaymentBody::Single(s.word(12)),
    );
    let a = send(
        &url,
        &[Authorization {
            opening: None,
            payment: unknown,
        }
        .to_string()
        .as_bytes()],
    );
    refused(
        &a,
        402,
        ErrorCode::UnknownSession,
        "send the certificate and commitment",
    );

    let replay = s.payment(10);
    let a = send(&url, &[s.header(replay, false).as_bytes()]);
    refused(
        &a,
        409,
        ErrorCode::Replay,
        "replay: payword 10 is not above the last index 10",
    );
    assert_eq!(a.last_index, Some(10));
    assert_eq!(
        s.model(10, &replay, ARTICLE),
        (
            Err(VerifyError::Replay {
                index: 10,
                last: 10
            }),
            0
        )
    );
    // Index 0 is the anchor, never a payment: refused by the decoder.
    let zero = Payment::new(
        digest,
        PaymentBody::Single(Payword::new(0, *s.word(0).word())),
    );
    let a = send(&url, &[s.header(zero, false).as_bytes()]);
    refused(
        &a,
        400,
        ErrorCode::Malformed,
        "non-canonical or reserved value in index",
    );
    for old in [4, 9] {
        let a = send(&url, &[s.header(s.payment(old), false).as_bytes()]);
        refused(&a, 409, ErrorCode::Replay, "is not above the last index 10");
        assert_eq!(a.last_index, Some(10));
    }

    let forged = s.forged(12);
    let a = send(&url, &[s.header(forged, false).as_bytes()]);
    refused(
        &a,
        402,
        ErrorCode::PaymentRefused,
        "payment refused: payword does not verify",
    );
    assert_eq!(
        s.model(10, &forged, ARTICLE),
        (Err(VerifyError::Forged), u64::from(ARTICLE))
    );

    for far in [11, 13, 190, 200] {
        let payment = s.forged(far);
        let a = send(&url, &[s.header(payment, false).as_bytes()]);
        refused(
            &a,
            402,
            ErrorCode::WrongPrice,
            &format!("the payment advances {} units, the price is 2", far - 10),
        );
        assert_eq!(a.last_index, Some(10));
        // The session refuses on the index alone; the model's receiver,
        // budget 2, refuses a far index before hashing too (and would
        // spend 1 step on index 11, still under the price).
        let (verdict, steps) = s.model(10, &payment, ARTICLE);
        assert!(steps <= u64::from(ARTICLE));
        if far > 12 {
            assert_eq!(steps, 0);
            assert!(matches!(verdict, Err(VerifyError::OverBudget { .. })));
        }
    }

    // A purse body for a single chain.
    let purse = Payment::new(
        digest,
        PaymentBody::Purse(PursePayment::new().with(0, s.word(12))),
    );
    let a = send(&url, &[s.header(purse, false).as_bytes()]);
    refused(
        &a,
        402,
        ErrorCode::PaymentRefused,
        "payment refused: payment is for another commitment",
    );

    // Past the chain's end at exactly the price: a session on a chain of 11.
    let short = Manual::new(&w, w.vendor, UNIT_VALUE, 11, w.now + 3_600);
    for (k, i) in (2..=10).step_by(2).enumerate() {
        let a = send(&url, &[short.header(short.payment(i), k == 0).as_bytes()]);
        assert_eq!(a.status, 200, "{a:?}");
    }
    let past = short.forged(12);
    let a = send(&url, &[short.header(past, false).as_bytes()]);
    refused(
        &a,
        402,
        ErrorCode::PaymentRefused,
        "index 12 is past the chain length 11",
    );
    assert_eq!(
        short.model(10, &past, ARTICLE),
        (
            Err(VerifyError::PastEnd {
                index: 12,
                length: 11
            }),
            0
        )
    );

    // Nothing above changed the session; the real next payword is accepted.
    assert_eq!(units(), 10);
    let a = send(&url, &[s.header(s.payment(12), false).as_bytes()]);
    assert_eq!(
        (a.status, a.code, a.message.as_str()),
        (200, None, "article")
    );
    assert_eq!(units(), 12);
    server.stop();
}

/// A header past hyper's own limit is refused by hyper (431) and the
/// server goes on.
#[test]
fn a_header_past_the_http_limit_is_refused_by_the_server() {
    let w = world();
    let server = Server::start(Arc::new(w.paywall()));
    let huge = format!("PayWord payment=\"{}\"", "A".repeat(1 << 20));
    let (base, _) = server.url.split_at(server.url.len());
    match raw_get(base, "/article", &[("Authorization", huge.as_bytes())]) {
        Ok(r) => assert_eq!(r.status, 431, "{r:?}"),
        // The server may close the connection while the client still
        // writes.
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
            "{e}"
        ),
    }
    let a = send(&server.url("/article"), &[]);
    assert_eq!(a.status, 402);
    server.stop();
}

/// Thousands of mutated and random values straight into
/// `Paywall::admit`: never a panic, never admitted, never a 5xx, a short
/// message, and the session unchanged.
#[test]
fn mutated_and_random_headers_never_panic() {
    let w = world();
    let paywall: Paywall = w.paywall();
    let s = Manual::new(&w, w.vendor, UNIT_VALUE, 300, w.now + 3_600);
    let admit = |value: &[u8]| -> Result<u32, Refusal> {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_bytes(value).unwrap(),
        );
        paywall
            .admit(&headers, ARTICLE, "/article")
            .map(|p| p.units)
    };
    for (k, i) in (2..=10).step_by(2).enumerate() {
        assert_eq!(admit(s.header(s.payment(i), k == 0).as_bytes()).unwrap(), 2);
    }
    let digest = s.commitment.digest();
    let units = || paywall.sessions().session(&digest).unwrap().units_paid();
    let allowed = [
        ErrorCode::Malformed,
        ErrorCode::PaymentRequired,
        ErrorCode::UnknownSession,
        ErrorCode::CommitmentRefused,
        ErrorCode::WrongPrice,
        ErrorCode::PaymentRefused,
        ErrorCode::Replay,
    ];
    let check = |value: &[u8], counts: &mut [u32; 8]| {
        let e = admit(value)
            .map(|_| String::from_utf8_lossy(value).into_owned())
            .expect_err("a mutated header was admitted");
        let at = allowed
            .iter()
            .position(|c| *c == e.code())
            .unwrap_or_else(|| panic!("{e}"));
        counts[at] += 1;
        assert!(e.status().as_u16() < 500);
        assert!(!e.message().is_empty() && e.message().len() < 300, "{e}");
        let _ = e.into_response();
    };
    let mut counts = [0u32; 8];
    // Every byte of both header forms, replaced by a few others.
    for valid in [
        s.header(s.payment(12), true),
        s.header(s.payment(12), false),
    ] {
        let bytes = valid.as_bytes();
        for at in 0..bytes.len() {
            for b in [b'A', b'"', b' ', b'-', b'~', 0xc3] {
                if bytes[at] == b {
                    continue;
                }
                let mut v = bytes.to_vec();
                v[at] = b;
                check(&v, &mut counts);
            }
            // Cut short there.
            if at > 0 {
                check(&bytes[..at], &mut counts);
            }
        }
    }
    // Random values (a seeded generator), with and without the scheme.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..2_000 {
        let len = (next() % 3_000) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| (next() % 95 + 32) as u8).collect();
        if round % 2 == 0 {
            v.splice(0..0, b"PayWord payment=\"".iter().copied());
        }
        // A header value cannot hold control characters; a leading space
        // would be trimmed by a real server: keep both out.
        if v.first() == Some(&b' ') || v.is_empty() {
            v.insert(0, b'x');
        }
        check(&v, &mut counts);
    }
    assert_eq!(units(), 10, "the session never moved");
    // The mutations reach every stage: the parser, the terms, the
    // session lookup, the index check and the hash check.
    let [
        malformed,
        required,
        unknown,
        commitment,
        wrong_price,
        refused,
        _,
        _,
    ] = counts;
    assert!(malformed > 1_000 && required > 500, "{counts:?}");
    assert!(
        unknown > 0 && commitment > 0 && wrong_price > 0 && refused > 0,
        "{counts:?}"
    );
    assert!(admit(s.header(s.payment(12), false).as_bytes()).is_ok());
}
