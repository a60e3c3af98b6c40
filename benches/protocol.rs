//! The protocol's costs next to the primitives they are made of, in one group
//! so every figure reads as a ratio:
//!
//! - `ed25519_verify`: one strict Ed25519 verification (the floor of every
//!   signed message);
//! - `session_open`: a vendor checking a certificate and a commitment (two
//!   signature verifications, digests, window checks);
//! - `session_pay_1`: a vendor accepting a one-unit payment through the session
//!   (the per-payment cost that replaces a signed voucher);
//! - `redeem_1000`: the broker redeeming a claim of 1,000 paywords from a fresh
//!   ledger (two verifications and 1,000 chain steps);
//! - `decode_claim` / `encode_claim`: the wire format.
//!
//! ```text
//! cargo bench --bench protocol -- --warm-up-time 1 --measurement-time 3
//! ```

#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Digest, Encode, HashAlg, MemoryStore,
    MessageSigner, Payment, PaymentBody, RedemptionClaim, Session, Sha256, StoreAll, Traversal,
    VendorId,
};

const NOW: u64 = 1_000_000;

fn bench_protocol(c: &mut Criterion) {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let vendor = VendorId::from_bytes([4; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([5; 16]),
            customer_key: customer.public_key(),
            credit_limit: u64::MAX / 4,
            valid_from: 0,
            expires: NOW * 2,
        },
        &broker,
    )
    .expect("issue");
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 1 << 16).expect("params");
    let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), params).expect("chain");
    let anchor = wallet.anchor();
    let paywords: Vec<_> = wallet.collect();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor,
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

    let mut g = c.benchmark_group("protocol");
    g.throughput(Throughput::Elements(1));

    let d = Digest::from_bytes([9; 32]);
    let sig = broker.sign_digest(&d).expect("sign");
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| broker_key.verify(black_box(&d), black_box(&sig)))
    });

    g.bench_function("session_open", |b| {
        b.iter(|| {
            Session::open(
                vendor,
                &broker_key,
                black_box(cert),
                black_box(commitment),
                NOW,
                0,
            )
        })
    });

    // One-unit payments, each a fresh payword; the session is rebuilt when the
    // chain runs out.
    let fresh = || Session::open(vendor, &broker_key, cert, commitment, NOW, 0).expect("open");
    let mut session = fresh();
    let mut next = 0usize;
    g.bench_function("session_pay_1", |b| {
        b.iter(|| {
            if next == paywords.len() {
                session = fresh();
                next = 0;
            }
            let p = Payment::new(digest, PaymentBody::Single(paywords[next]));
            next += 1;
            session.pay(black_box(&p), NOW)
        })
    });

    let claim = RedemptionClaim {
        certificate: cert,
        commitment,
        payment: Payment::new(digest, PaymentBody::Single(paywords[999])),
    };
    g.bench_function("redeem_1000", |b| {
        b.iter_batched(
            || Broker::new(broker_id, broker_key, MemoryStore::new(), 0),
            |mut broker| broker.redeem(black_box(&claim), &vendor, NOW),
            BatchSize::SmallInput,
        )
    });

    let bytes = claim.to_bytes();
    g.bench_function("decode_claim", |b| {
        b.iter(|| RedemptionClaim::decode(black_box(&bytes)))
    });
    let mut buf = [0u8; RedemptionClaim::MAX_LEN];
    g.bench_function("encode_claim", |b| {
        b.iter(|| black_box(&claim).encode(&mut buf))
    });
    g.finish();
}

criterion_group!(benches, bench_protocol);
criterion_main!(benches);
