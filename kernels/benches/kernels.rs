//! The chain kernels side by side, in one group so the figures read as
//! ratios of one run: one raw `sha2` compression (the floor of a single
//! step), chain walks of 1,000 steps per backend against
//! `tape_sha256::hash_chain` (a peer chain kernel: SHA-256 of a 32-byte
//! digest fed back, one compression per link), one-step walks (a vendor
//! verifying one one-unit payment), and `walk_many` batches of one-step
//! lanes and of 32 lanes × 1,000 steps per backend. Throughput is per hash
//! (per step), so criterion's elements/s reads directly as hashes/s.
//!
//! Run: `cargo bench --manifest-path kernels/Cargo.toml -- --warm-up-time 1
//! --measurement-time 3`.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use payword_kernels::{Backend, Lane, walk_many_with, walk_with};

/// Steps of a long walk.
const STEPS: u32 = 1_000;

fn backends() -> Vec<Backend> {
    Backend::ALL.into_iter().filter(|b| b.available()).collect()
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => unreachable!("benchmark setup: {e:?}"),
    }
}

/// `count` lanes of `len` steps each, distinct ids, words and positions.
fn lanes(count: usize, len: u32) -> Vec<Lane> {
    (0..count)
        .map(|i| {
            let b = i as u8;
            let from = 5_000 + i as u32 * 7;
            Lane {
                id: [b ^ 0x5a; 16],
                from,
                to: from - len,
                word: [b; 32],
            }
        })
        .collect()
}

fn kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernels");
    let id = [0x42u8; 16];
    let word = [0x17u8; 32];

    // The floor: one compression of one block.
    g.throughput(Throughput::Elements(1));
    let block = [0x33u8; 64];
    g.bench_function("compress256", |b| {
        b.iter(|| {
            let mut state = [
                0x6a09_e667u32,
                0xbb67_ae85,
                0x3c6e_f372,
                0xa54f_f53a,
                0x510e_527f,
                0x9b05_688c,
                0x1f83_d9ab,
                0x5be0_cd19,
            ];
            sha2::block_api::compress256(&mut state, core::slice::from_ref(black_box(&block)));
            state
        });
    });

    // A long walk, per step; the peer's chain of as many links.
    g.throughput(Throughput::Elements(u64::from(STEPS)));
    for be in backends() {
        g.bench_with_input(BenchmarkId::new("walk_1000", be), &be, |b, &be| {
            b.iter(|| {
                ok(walk_with(
                    be,
                    black_box(&id),
                    10_000,
                    black_box(&word),
                    10_000 - STEPS,
                ))
            });
        });
    }
    g.bench_function("tape_hash_chain_1000", |b| {
        b.iter(|| tape_sha256::hash_chain(black_box(&word), u64::from(STEPS)));
    });

    // One step: a vendor verifying one one-unit payment.
    g.throughput(Throughput::Elements(1));
    for be in backends() {
        g.bench_with_input(BenchmarkId::new("walk_1", be), &be, |b, &be| {
            b.iter(|| {
                ok(walk_with(
                    be,
                    black_box(&id),
                    10_000,
                    black_box(&word),
                    9_999,
                ))
            });
        });
    }

    // Batches of one-step lanes (many independent one-unit payments).
    for count in [32usize, 64, 256] {
        let template = lanes(count, 1);
        g.throughput(Throughput::Elements(count as u64));
        for be in backends() {
            g.bench_with_input(
                BenchmarkId::new(format!("many_1step_x{count}"), be),
                &be,
                |b, &be| {
                    b.iter_batched_ref(
                        || template.clone(),
                        |l| ok(walk_many_with(be, l)),
                        BatchSize::SmallInput,
                    );
                },
            );
        }
    }

    // 32 lanes of 1,000 steps, per hash; the peer's independent chains.
    let template = lanes(32, STEPS);
    g.throughput(Throughput::Elements(32 * u64::from(STEPS)));
    for be in backends() {
        g.bench_with_input(BenchmarkId::new("many_32x1000", be), &be, |b, &be| {
            b.iter_batched_ref(
                || template.clone(),
                |l| ok(walk_many_with(be, l)),
                BatchSize::SmallInput,
            );
        });
    }
    let seeds: Vec<[u8; 32]> = template.iter().map(|l| l.word).collect();
    let lens = vec![u64::from(STEPS); 32];
    g.bench_function("tape_hash_chains_32x1000", |b| {
        let mut out = vec![[0u8; 32]; 32];
        b.iter(|| tape_sha256::hash_chains(black_box(&seeds), &lens, &mut out));
    });
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
