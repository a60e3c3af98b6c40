//! Set-up shared by the benches that measure the signed-session path
//! (`protocol`, `symmetric`): one broker, one customer, one vendor, a
//! certificate and a commitment to a 65,536-link SHA-256 chain, and the two
//! session benchmarks (`Session::open`, and `Session::pay` of one-unit
//! payments).
//!
//! Included with `mod common;`; a bench that uses only part of it leaves the
//! rest unused, hence the `dead_code` allowances.

#![allow(dead_code, clippy::expect_used)]

use std::hint::black_box;

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use ed25519_dalek::SigningKey;
use payword::{
    Anchor, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Digest, HashAlg, MessageSigner, Payment,
    PaymentBody, Payword, PublicKey, Session, Sha256, StoreAll, Traversal, VendorId,
};

/// The benches' clock.
pub const NOW: u64 = 1_000_000;
/// The customer the certificate names.
pub const CUSTOMER: CustomerId = CustomerId::from_bytes([5; 16]);
/// The vendor the commitment names.
pub const VENDOR: VendorId = VendorId::from_bytes([4; 32]);
/// The broker that issues the certificate.
pub const BROKER: BrokerId = BrokerId::from_bytes([3; 32]);

/// A signed session's ingredients.
pub struct Signed {
    /// The broker's signing key (seed `[1; 32]`).
    pub broker: SigningKey,
    /// Its public key.
    pub broker_key: PublicKey,
    /// The chain's parameters (SHA-256, 65,536 links).
    pub params: ChainParams,
    /// The chain's anchor.
    pub anchor: Anchor,
    /// Every payword of the chain, in spending order.
    pub paywords: Vec<Payword>,
    /// The customer's certificate (customer key seed `[2; 32]`).
    pub cert: Certificate,
    /// The customer's commitment to the chain, for [`VENDOR`].
    pub commitment: Commitment,
    /// The commitment's digest.
    pub digest: Digest,
}

/// Builds the chain, the certificate and the commitment.
pub fn signed() -> Signed {
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 1 << 16).expect("params");
    let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), params).expect("chain");
    let anchor = wallet.anchor();
    let paywords: Vec<_> = wallet.collect();

    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: BROKER,
            serial: 1,
            customer: CUSTOMER,
            customer_key: customer.public_key(),
            credit_limit: u64::MAX / 4,
            valid_from: 0,
            expires: NOW * 2,
        },
        &broker,
    )
    .expect("issue");
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor: VENDOR,
            unit_value: 1,
            valid_from: 0,
            expires: NOW * 2,
            chain: CommittedChain::Single { params, anchor },
            renewal: None,
        },
        &customer,
    )
    .expect("sign");
    let digest = commitment.digest();
    let broker_key = broker.public_key();
    Signed {
        broker,
        broker_key,
        params,
        anchor,
        paywords,
        cert,
        commitment,
        digest,
    }
}

/// Adds to `g` the benchmark `open` (`Session::open`: a vendor checking the
/// certificate and the commitment) and the benchmark `pay` (`Session::pay` of
/// a one-unit payment, each a fresh payword; the session is rebuilt when the
/// chain runs out).
pub fn bench_session(g: &mut BenchmarkGroup<'_, WallTime>, s: &Signed, open: &str, pay: &str) {
    g.bench_function(open, |b| {
        b.iter(|| {
            Session::open(
                VENDOR,
                &s.broker_key,
                black_box(s.cert),
                black_box(s.commitment),
                NOW,
                0,
            )
        })
    });

    let fresh =
        || Session::open(VENDOR, &s.broker_key, s.cert, s.commitment, NOW, 0).expect("open");
    let mut session = fresh();
    let mut next = 0usize;
    g.bench_function(pay, |b| {
        b.iter(|| {
            if next == s.paywords.len() {
                session = fresh();
                next = 0;
            }
            let p = Payment::new(s.digest, PaymentBody::Single(s.paywords[next]));
            next += 1;
            session.pay(black_box(&p), NOW)
        })
    });
}
