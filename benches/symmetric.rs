//! Symmetric-key sessions against the signed-commitment path, in one group
//! so every figure reads as a ratio:
//!
//! - `signed_open`: `Session::open` (two Ed25519 verifications, digests);
//! - `signed_pay_1`: `Session::pay` of a one-unit payment (one chain step);
//! - `sym_issue`: the broker checking a ticket request and sealing both
//!   ticket parts (HMACs, two XChaCha20-Poly1305 encryptions);
//! - `sym_vendor_open`: `SymmetricSession::open` (one AEAD decryption, key
//!   derivations, replay cache);
//! - `sym_customer_open`: `CustomerSession::open`;
//! - `sym_customer_pay`: the customer MACing a payword (receipt and MAC);
//! - `sym_pay_1`: `SymmetricSession::pay` of a one-unit payment (one HMAC
//!   and one chain step);
//! - `sym_redeem_1000`: the broker checking a claim of 1,000 paywords.
//!
//! ```text
//! cargo bench --bench symmetric -- --warm-up-time 1 --measurement-time 2
//! ```

#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use payword::symmetric::{
    BrokerKeys, CustomerSession, LongTermKey, ReplayCache, RequestFields, RequestId, RequestNonce,
    SymmetricBroker, SymmetricClaim, SymmetricSession, TicketRequest,
};
use payword::{CustomerId, VendorId};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

mod common;
use common::{BROKER, CUSTOMER, NOW, VENDOR};

struct Keys(LongTermKey, LongTermKey);

impl BrokerKeys for Keys {
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
        (*id == CUSTOMER).then_some(&self.0)
    }
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
        (*id == VENDOR).then_some(&self.1)
    }
}

fn bench_symmetric(c: &mut Criterion) {
    // The signed path.
    let signed = common::signed();
    let (params, anchor) = (signed.params, signed.anchor);
    let paywords = &signed.paywords;

    // The symmetric path.
    let mut rng = ChaCha20Rng::from_seed([8; 32]);
    let keys = Keys(LongTermKey::random(&mut rng), LongTermKey::random(&mut rng));
    let sym = SymmetricBroker::new(BROKER);
    let request = TicketRequest::new(
        RequestFields {
            broker: BROKER,
            customer: CUSTOMER,
            certificate: 1,
            vendor: VENDOR,
            nonce: RequestNonce::random(&mut rng),
            params,
            anchor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 3_600,
        },
        &keys.0,
    )
    .expect("request");
    let ticket = sym.issue(&request, &keys, NOW, &mut rng).expect("ticket");
    let open_vendor = || {
        SymmetricSession::open(
            VENDOR,
            BROKER,
            &keys.1,
            &ticket.vendor,
            &mut ReplayCache::<64>::new(),
            NOW,
            0,
        )
        .expect("open")
    };
    let cs = CustomerSession::open(&request, &keys.0, &ticket.customer, NOW, 0).expect("open");
    let request_id = RequestId::from_bytes([9; 16]);
    let payments: Vec<_> = paywords.iter().map(|p| cs.pay(request_id, *p)).collect();

    let mut g = c.benchmark_group("symmetric");
    g.throughput(Throughput::Elements(1));

    common::bench_session(&mut g, &signed, "signed_open", "signed_pay_1");

    let mut issue_rng = ChaCha20Rng::from_seed([10; 32]);
    g.bench_function("sym_issue", |b| {
        b.iter(|| sym.issue(black_box(&request), &keys, NOW, &mut issue_rng))
    });
    g.bench_function("sym_vendor_open", |b| {
        b.iter_batched_ref(
            ReplayCache::<64>::new,
            |cache| {
                SymmetricSession::open(
                    VENDOR,
                    BROKER,
                    &keys.1,
                    black_box(&ticket.vendor),
                    cache,
                    NOW,
                    0,
                )
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("sym_customer_open", |b| {
        b.iter(|| CustomerSession::open(&request, &keys.0, black_box(&ticket.customer), NOW, 0))
    });
    let mut i = 0usize;
    g.bench_function("sym_customer_pay", |b| {
        b.iter(|| {
            i = (i + 1) % paywords.len();
            cs.pay(request_id, black_box(paywords[i]))
        })
    });
    let mut vs = open_vendor();
    let mut next = 0usize;
    g.bench_function("sym_pay_1", |b| {
        b.iter(|| {
            if next == payments.len() {
                vs = open_vendor();
                next = 0;
            }
            let p = &payments[next];
            next += 1;
            vs.pay(black_box(p), &request_id, NOW)
        })
    });
    let claim = SymmetricClaim {
        ticket: ticket.vendor,
        payment: payments[999],
    };
    g.bench_function("sym_redeem_1000", |b| {
        b.iter(|| sym.redeem(black_box(&claim), &keys, NOW, 0, 1 << 16))
    });
    g.finish();
}

criterion_group!(benches, bench_symmetric);
criterion_main!(benches);
