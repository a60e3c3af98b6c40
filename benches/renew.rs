//! Chain renewal, per chain: the customer's renewal step (next chain,
//! its one-time key, one LM-OTS signature), the vendor's check of a link, and
//! the broker's redemption of a cascade, next to one Ed25519 verification and
//! one raw LM-OTS W4 verification in the same group, so that each figure reads
//! as a ratio.
//!
//! ```text
//! cargo bench --bench renew -- --warm-up-time 1 --measurement-time 3
//! ```
#![allow(clippy::expect_used)] // a benchmark's setup failing is a bug to see

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, SigningKey};
use payword::lmots::LmotsPrivateKey;
use payword::renew::{RENEWAL_LMOTS, RenewalLink, RenewingWallet};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CustomerId, HashAlg, MemoryStore, MessageSigner, Session, Sha256, VendorId,
};

const NOW: u64 = 1_000_000;

struct World {
    broker: SigningKey,
    customer: SigningKey,
    broker_id: BrokerId,
    vendor: VendorId,
    cert: Certificate,
}

fn world() -> World {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let broker_id = BrokerId::from_bytes([3; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit: u64::MAX,
            valid_from: 0,
            expires: NOW * 2,
        },
        &broker,
    )
    .expect("certificate");
    World {
        broker,
        customer,
        broker_id,
        vendor: VendorId::from_bytes([5; 32]),
        cert,
    }
}

/// A bound wallet on chains of `n` that renews when `threshold` paywords are
/// left, and its commitment.
fn wallet(w: &World, n: u32, threshold: u32) -> (RenewingWallet<Sha256>, Commitment) {
    let params =
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), n.into()).expect("params");
    let mut wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([7; 32]), params, threshold)
            .expect("wallet");
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value: 1,
            valid_from: 0,
            expires: NOW * 2,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &w.customer,
    )
    .expect("commitment");
    wallet.bind(&c).expect("bind");
    (wallet, c)
}

fn bench_renew(c: &mut Criterion) {
    let w = world();
    let mut g = c.benchmark_group("renew");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);

    // Floors: one Ed25519 verification, one LM-OTS W4 verification.
    let sk = SigningKey::from_bytes(&[9; 32]);
    let vk = sk.verifying_key();
    let msg = [0x42u8; 32];
    let sig = sk.sign(&msg);
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), black_box(&sig)))
    });
    let key = LmotsPrivateKey::from_seed(RENEWAL_LMOTS, [1; 16], 0, &[2; 32]);
    let public = key.public_key();
    let ots = key.sign_with_randomizer([3; 32], &msg);
    g.bench_function("lmots_w4_verify", |b| {
        b.iter(|| public.verify(black_box(&msg), black_box(&ots)))
    });

    // Customer: one renewal step (a `pay` that renews), per chain length.
    // The wallet paid one payword and renews on the next `pay`.
    for n in [16u32, 1000, 1 << 16] {
        let (mut ready, _) = wallet(&w, n, n - 1);
        ready.pay().expect("first payword");
        let state = ready.to_bytes();
        g.bench_function(format!("customer_renewal/n={n}"), |b| {
            b.iter_batched(
                || RenewingWallet::<Sha256>::resume(&state, 0).expect("resume"),
                |mut wallet| {
                    let out = wallet.pay().expect("renewal");
                    assert!(out.link.is_some());
                    out
                },
                BatchSize::LargeInput,
            )
        });
    }

    // Vendor: check a link and switch chains.
    let (mut customer, commitment) = wallet(&w, 16, 15);
    let session = Session::open(w.vendor, &w.broker.public_key(), w.cert, commitment, NOW, 0)
        .expect("session");
    customer.pay().expect("first payword");
    let link: RenewalLink = customer.pay().expect("renewal").link.expect("link");
    g.bench_function("vendor_renew", |b| {
        b.iter_batched(
            || session.clone(),
            |mut s| s.renew(black_box(&link), NOW).expect("renew"),
            BatchSize::SmallInput,
        )
    });

    // Broker: a cascade of 32 chains (1 payword each) in one claim, per chain.
    let chains = 32u64;
    let (mut customer, commitment) = wallet(&w, 1, 0);
    let mut s = Session::open(w.vendor, &w.broker.public_key(), w.cert, commitment, NOW, 0)
        .expect("session");
    for _ in 0..chains {
        let out = customer.pay().expect("pay");
        if let Some(l) = &out.link {
            s.renew(l, NOW).expect("renew");
        }
        s.pay(&out.payment, NOW).expect("payment");
    }
    let claim = s.cascade().expect("claim");
    g.throughput(Throughput::Elements(chains));
    g.bench_function("broker_redeem_cascade_per_chain/chains=32", |b| {
        b.iter_batched(
            || Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 0),
            |mut broker| {
                broker
                    .redeem_cascade(black_box(&claim), &w.vendor, NOW)
                    .expect("redeem")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_renew);
criterion_main!(benches);
