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
use payword::{
    Broker, Digest, Encode, MemoryStore, MessageSigner, Payment, PaymentBody, RedemptionClaim,
};

mod common;
use common::{BROKER, NOW, VENDOR};

fn bench_protocol(c: &mut Criterion) {
    let s = common::signed();
    let broker_key = s.broker_key;
    let mut g = c.benchmark_group("protocol");
    g.throughput(Throughput::Elements(1));

    let d = Digest::from_bytes([9; 32]);
    let sig = s.broker.sign_digest(&d).expect("sign");
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| broker_key.verify(black_box(&d), black_box(&sig)))
    });

    // `session_open`, then `session_pay_1`: one-unit payments, each a fresh
    // payword; the session is rebuilt when the chain runs out.
    common::bench_session(&mut g, &s, "session_open", "session_pay_1");

    let claim = RedemptionClaim {
        certificate: s.cert,
        commitment: s.commitment,
        payment: Payment::new(s.digest, PaymentBody::Single(s.paywords[999])),
    };
    g.bench_function("redeem_1000", |b| {
        b.iter_batched(
            || Broker::new(BROKER, broker_key, MemoryStore::new(), 0),
            |mut broker| broker.redeem(black_box(&claim), &VENDOR, NOW),
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
