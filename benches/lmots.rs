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
//!
//! Group `lms` (feature `lms`): LMS (RFC 8554) as the protocol's signature
//! algorithm, for trees of height 5 and 10 with W4 and W8 leaves, next to
//! Ed25519 and the same raw SHA-256, all through the protocol's path:
//! [`MessageSigner::sign_digest`] (for LMS an [`LmsSigner`] over a
//! [`MemoryLmsStore`], so the state save before each signature is counted)
//! and [`PublicKey::verify`]. Group `lms_keygen`: building a whole tree
//! (`LmsSigningKey::from_seed`), 10 flat samples (one key per sample for
//! H10 W8).
//!
//! ```text
//! cargo bench --bench lmots -- --warm-up-time 1 --measurement-time 3 lms
//! ```
//!
//! A tree of height 10 signs 1,024 times. The sign benchmarks time only the
//! signatures: when the key runs out, a new one is built from the same seed
//! outside the timed span (`iter_custom`). The rebuilt key signs again with
//! leaves it already used; no signature leaves the benchmark, so the reuse
//! is harmless here and nowhere else.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use payword::lmots::{LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
use sha2::Digest as _;

#[cfg(all(feature = "lms", feature = "alloc"))]
use criterion::SamplingMode;
#[cfg(all(feature = "lms", feature = "alloc"))]
use payword::LmsSigner;
#[cfg(all(feature = "lms", feature = "alloc"))]
use payword::lmots::lms::LmsParams;
#[cfg(all(feature = "lms", feature = "alloc"))]
use payword::lmots::signer::{LmsSigningKey, MemoryLmsStore};
#[cfg(feature = "protocol")]
use payword::{Digest, MessageSigner, PublicKey, Signature};
#[cfg(all(feature = "lms", feature = "alloc"))]
use std::time::{Duration, Instant};

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

/// The LMS parameter sets benchmarked: heights 5 and 10, W4 and W8 leaves
/// (the two LM-OTS sets protocol signatures accept).
#[cfg(all(feature = "lms", feature = "alloc"))]
const LMS_SETS: [(LmsParams, LmotsParams, &str); 4] = [
    (LmsParams::Sha256M32H5, LmotsParams::Sha256N32W4, "H5_W4"),
    (LmsParams::Sha256M32H5, LmotsParams::Sha256N32W8, "H5_W8"),
    (LmsParams::Sha256M32H10, LmotsParams::Sha256N32W4, "H10_W4"),
    (LmsParams::Sha256M32H10, LmotsParams::Sha256N32W8, "H10_W8"),
];

/// A fresh signer at leaf 0 for one parameter set (builds the tree).
#[cfg(all(feature = "lms", feature = "alloc"))]
#[allow(clippy::expect_used)] // setup only: a failure here is a broken benchmark
fn lms_signer(params: LmsParams, ots: LmotsParams) -> LmsSigner<MemoryLmsStore> {
    let key = LmsSigningKey::from_seed(params, ots, ID, &SEED).expect("height <= 15");
    LmsSigner::new(key, MemoryLmsStore::new()).expect("W4 and W8 are protocol sets")
}

/// The 16 digests signed and verified, as a protocol message's digest.
#[cfg(feature = "protocol")]
fn digests() -> Vec<Digest> {
    (0..MESSAGES)
        .map(|i| Digest::from_bytes(sha2::Sha256::digest(message(i)).into()))
        .collect()
}

/// Signs the 16 digests with `signer` (its next 16 leaves) and checks each.
#[cfg(feature = "protocol")]
#[allow(clippy::expect_used)] // setup only
fn signed_digests(signer: &impl MessageSigner, digests: &[Digest]) -> Vec<Signature> {
    let public = signer.public_key();
    digests
        .iter()
        .map(|d| {
            let sig = signer.sign_digest(d).expect("the key has leaves left");
            assert!(public.verify(d, &sig).is_ok(), "a fresh signature verifies");
            sig
        })
        .collect()
}

/// Verifies the 16 signatures in turn (`PublicKey::verify`, the protocol's
/// path), so the figure is their mean.
#[cfg(feature = "protocol")]
fn bench_verify(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    public: PublicKey,
    digests: &[Digest],
    sigs: &[Signature],
) {
    let mut next = 0usize;
    g.bench_function(name, |b| {
        b.iter(|| {
            let i = next % MESSAGES;
            next = next.wrapping_add(1);
            public.verify(black_box(&digests[i]), black_box(&sigs[i]))
        })
    });
}

fn bench_lms(c: &mut Criterion) {
    let mut g = c.benchmark_group("lms");
    g.throughput(Throughput::Elements(1));

    // The same floor as group `lmots`: one SHA-256 of 55 bytes.
    let block = [0x42u8; 55];
    g.bench_function("sha256_55_bytes", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&block)))
    });

    #[cfg(feature = "protocol")]
    let digests = digests();

    #[cfg(feature = "ed25519")]
    {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let mut next = 0usize;
        g.bench_function("ed25519/sign", |b| {
            b.iter(|| {
                let i = next % MESSAGES;
                next = next.wrapping_add(1);
                sk.sign_digest(black_box(&digests[i]))
            })
        });
        let sigs = signed_digests(&sk, &digests);
        bench_verify(&mut g, "ed25519/verify", sk.public_key(), &digests, &sigs);
    }

    #[cfg(all(feature = "lms", feature = "alloc"))]
    for (params, ots, name) in LMS_SETS {
        // One key per set: its first 16 leaves sign the verify benchmark's
        // signatures, the rest are the sign benchmark's first.
        let mut signer = lms_signer(params, ots);
        let sigs = signed_digests(&signer, &digests);
        let mut next = 0usize;
        g.bench_function(format!("sign/{name}"), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut left = iters;
                let mut failed = false;
                while left > 0 {
                    if signer.remaining() == 0 {
                        signer = lms_signer(params, ots); // not timed
                    }
                    let n = left.min(u64::from(signer.remaining()));
                    let start = Instant::now();
                    for _ in 0..n {
                        let i = next % MESSAGES;
                        next = next.wrapping_add(1);
                        let sig = signer.sign_digest(black_box(&digests[i]));
                        failed |= sig.is_err();
                        let _ = black_box(sig);
                    }
                    timed += start.elapsed();
                    left -= n;
                }
                assert!(!failed, "every signature was made");
                timed
            })
        });
        bench_verify(
            &mut g,
            &format!("verify/{name}"),
            signer.public_key(),
            &digests,
            &sigs,
        );
    }
    g.finish();

    // Key generation: the whole tree, 2^h LM-OTS public keys (about a second
    // for H10 with W8), so 10 samples of equal iteration counts.
    #[cfg(all(feature = "lms", feature = "alloc"))]
    {
        let mut g = c.benchmark_group("lms_keygen");
        g.sample_size(10).sampling_mode(SamplingMode::Flat);
        for (params, ots, name) in LMS_SETS {
            g.bench_function(name, |b| {
                b.iter(|| LmsSigningKey::from_seed(params, black_box(ots), ID, &SEED))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_lmots, bench_lms);
criterion_main!(benches);
