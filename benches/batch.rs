//! Batches against one at a time, in one run so every figure reads as a
//! ratio:
//!
//! - `vendor_batch`: a vendor verifying 1-unit payments of 256 independent
//!   customers, with `Receiver::accept` one by one and with
//!   `Receiver::accept_batch` (SIMD lanes where the CPU has them); per
//!   payment.
//! - `broker_batch`: the broker redeeming 10,000 fresh claims of 1,000 units
//!   each (100 customers' certificates, 100 claims each), with `Broker::redeem` one by one and with `Broker::redeem_batch`
//!   (with the `rayon` feature, on a pool of 1 thread and of 2 threads);
//!   per claim.
//!
//! ```text
//! cargo bench --features rayon --bench batch -- --warm-up-time 1 --measurement-time 5
//! ```

#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, HashAlg, MemoryStore, MessageSigner, Payment,
    PaymentBody, Payword, Receiver, RedemptionClaim, Sha256, StoreAll, Traversal, VendorId,
};

const NOW: u64 = 1_000_000;
const CUSTOMERS: usize = 256;
const CLAIMS: usize = 10_000;
const UNITS: u32 = 1_000;
/// Claims per certificate.
const PER_CERT: usize = 100;

fn params(i: usize, n: u32) -> ChainParams {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    ChainParams::new(HashAlg::Sha256, ChainId::from_bytes(id), n.into()).expect("params")
}

fn bench_vendor(c: &mut Criterion) {
    let mut receivers = Vec::new();
    let mut paywords = Vec::new();
    for i in 0..CUSTOMERS {
        let p = params(i, 16);
        let mut w =
            StoreAll::<Sha256>::new(&ChainSeed::from_bytes([i as u8; 32]), p).expect("chain");
        receivers.push(Receiver::<Sha256>::new(p, w.anchor()).expect("receiver"));
        paywords.push(w.next_payword().expect("payword"));
    }
    let mut g = c.benchmark_group("vendor_batch");
    g.throughput(Throughput::Elements(CUSTOMERS as u64));
    g.bench_function("accept_one_by_one", |b| {
        b.iter_batched_ref(
            || receivers.clone(),
            |rs| {
                for (r, p) in rs.iter_mut().zip(&paywords) {
                    black_box(r.accept(p)).expect("genuine");
                }
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("accept_batch", |b| {
        b.iter_batched_ref(
            || receivers.clone(),
            |rs| {
                let mut batch: Vec<(&mut Receiver<Sha256>, Payword)> =
                    rs.iter_mut().zip(paywords.iter().copied()).collect();
                let mut results = [Ok(0); CUSTOMERS];
                Receiver::accept_batch(&mut batch, &mut results);
                black_box(&results);
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn claims() -> (Broker, Vec<RedemptionClaim>, VendorId) {
    let broker_key = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let vendor = VendorId::from_bytes([4; 32]);
    // 100 customers, 100 claims each (an account holds at most 4,096 debts,
    // and its record grows with them).
    let certs: Vec<Certificate> = (0..CLAIMS.div_ceil(PER_CERT))
        .map(|k| {
            Certificate::issue(
                CertificateFields {
                    broker: broker_id,
                    serial: k as u64,
                    customer: CustomerId::from_bytes([k as u8; 16]),
                    customer_key: customer.public_key(),
                    credit_limit: u64::MAX / 2,
                    valid_from: NOW - 10,
                    expires: NOW + 1_000,
                },
                &broker_key,
            )
            .expect("certificate")
        })
        .collect();
    let claims = (0..CLAIMS)
        .map(|i| {
            let cert = certs[i / PER_CERT];
            let p = params(i, UNITS);
            let mut w = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), p).expect("chain");
            let commitment = Commitment::sign(
                CommitmentFields {
                    certificate: cert.digest(),
                    vendor,
                    unit_value: 1,
                    valid_from: NOW - 10,
                    expires: NOW + 1_000,
                    chain: CommittedChain::Single {
                        params: p,
                        anchor: w.anchor(),
                    },
                    renewal: None,
                },
                &customer,
            )
            .expect("commitment");
            let top = w.advance(UNITS).expect("paywords");
            RedemptionClaim {
                certificate: cert,
                commitment,
                payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
            }
        })
        .collect();
    let broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    (broker, claims, vendor)
}

fn bench_broker(c: &mut Criterion) {
    let (broker, claims, vendor) = claims();
    let mut g = c.benchmark_group("broker_batch");
    g.sample_size(10);
    g.throughput(Throughput::Elements(CLAIMS as u64));
    g.bench_function("redeem_one_by_one", |b| {
        b.iter_batched_ref(
            || broker.clone(),
            |br| {
                for claim in &claims {
                    black_box(br.redeem(claim, &vendor, NOW)).expect("redeemed");
                }
            },
            BatchSize::LargeInput,
        );
    });
    #[cfg(feature = "rayon")]
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("redeem_batch/{threads}_threads"), |b| {
            b.iter_batched_ref(
                || broker.clone(),
                |br| pool.install(|| black_box(br.redeem_batch(&claims, &vendor, NOW))),
                BatchSize::LargeInput,
            );
        });
    }
    #[cfg(not(feature = "rayon"))]
    g.bench_function("redeem_batch", |b| {
        b.iter_batched_ref(
            || broker.clone(),
            |br| black_box(br.redeem_batch(&claims, &vendor, NOW)),
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench_vendor, bench_broker);
criterion_main!(benches);
