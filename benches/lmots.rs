//! LM-OTS (RFC 8554) key generation, signing and verification for the four
//! parameter sets, next to Ed25519 sign / verify and one raw SHA-256 of 55
//! bytes (the cost of one chain step) in the same group, so that every figure
//! reads as a ratio.
//!
//! Verification cost depends on the message digest (a digit `a` leaves
//! `2^w − 1 − a` steps to the verifier), so the verify benchmarks cycle
//! through signatures on 16 different messages and report the mean.
//!
//! ```text
//! cargo bench --bench lmots -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use payword::lmots::{LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
use sha2::Digest as _;

const ID: [u8; 16] = [0x1d; 16];
const SEED: [u8; 32] = [0x5e; 32];
const MESSAGES: usize = 16;

fn short(params: LmotsParams) -> &'static str {
    match params {
        LmotsParams::Sha256N32W1 => "W1",
        LmotsParams::Sha256N32W2 => "W2",
        LmotsParams::Sha256N32W4 => "W4",
        LmotsParams::Sha256N32W8 => "W8",
        _ => "W?",
    }
}

fn message(i: usize) -> Vec<u8> {
    format!("renewal link {i}: next chain parameters").into_bytes()
}

fn bench_lmots(c: &mut Criterion) {
    let mut g = c.benchmark_group("lmots");
    g.throughput(Throughput::Elements(1));

    // The floor: one SHA-256 of a 55-byte input, the size of a chain step.
    let block = [0x42u8; 55];
    g.bench_function("sha256_55_bytes", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&block)))
    });

    #[cfg(feature = "ed25519")]
    {
        use ed25519_dalek::{Signer as _, SigningKey};
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let vk = sk.verifying_key();
        let msg = message(0);
        let sig = sk.sign(&msg);
        g.bench_function("ed25519/sign", |b| b.iter(|| sk.sign(black_box(&msg))));
        g.bench_function("ed25519/verify", |b| {
            b.iter(|| vk.verify_strict(black_box(&msg), black_box(&sig)))
        });
    }

    for params in LmotsParams::ALL {
        let name = short(params);

        g.bench_function(format!("keygen/{name}"), |b| {
            let sk = LmotsPrivateKey::from_seed(params, ID, 0, &SEED);
            b.iter(|| black_box(&sk).public_key())
        });

        let msg = message(0);
        let mut q = 0u32;
        g.bench_function(format!("sign/{name}"), |b| {
            b.iter_batched(
                || {
                    q = q.wrapping_add(1);
                    (
                        LmotsPrivateKey::from_seed(params, ID, q, &SEED),
                        [q as u8; 32],
                    )
                },
                |(sk, c)| sk.sign_with_randomizer(c, black_box(&msg)),
                BatchSize::SmallInput,
            )
        });

        let signed: Vec<(LmotsPublicKey, Vec<u8>, LmotsSignature)> = (0..MESSAGES)
            .map(|i| {
                let sk = LmotsPrivateKey::from_seed(params, ID, i as u32, &SEED);
                let pk = sk.public_key();
                let m = message(i);
                let sig = sk.sign_with_randomizer([i as u8; 32], &m);
                (pk, m, sig)
            })
            .collect();
        let mut next = 0usize;
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                let (pk, m, sig) = &signed[next % MESSAGES];
                next = next.wrapping_add(1);
                pk.verify(black_box(m), black_box(sig))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_lmots);
criterion_main!(benches);
