//! Benchmarks of the crate foundation: chain step, generation, traversal,
//! vendor verification and purse payments.
//!
//! Every group holds its own floor so the figures read as ratios measured
//! side by side: the raw SHA-256 compression (`sha2::block_api::compress256`).
//! The peer chain kernel `tape_sha256::hash_chain` is measured next to the
//! SIMD kernels in `kernels/benches/kernels.rs`, which keeps that crate out
//! of the core's dev-dependencies.
//! Results and the ratios against the goals of DESIGN.md are in
//! `BENCHMARKS.md`; rerun with `cargo bench --bench chain`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use payword::{
    Blake3, ChainId, ChainParams, ChainSeed, Checkpoints, HashAlg, Payword, Pebbler, Purse,
    PurseParams, PursePayment, PurseReceiver, Receiver, Sha256, StoreAll, Traversal, TweakableHash,
    Word, chain,
};

/// Steps per iteration in the chain-step group (throughput is per step).
const STEPS: u32 = 1024;

/// The SHA-256 initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

fn id() -> ChainId {
    ChainId::from_bytes([0x42; 16])
}

fn seed() -> ChainSeed {
    ChainSeed::from_bytes([0x17; 32])
}

fn params(alg: HashAlg, n: u64) -> ChainParams {
    match ChainParams::new(alg, id(), n) {
        Ok(p) => p,
        Err(e) => unreachable!("bench parameters are valid: {e}"),
    }
}

fn ok<T, E: core::fmt::Debug>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => unreachable!("bench setup failed: {e:?}"),
    }
}

/// A padded one-block message, as the chain step builds it.
fn blocks(count: usize) -> Vec<[u8; 64]> {
    (0..count)
        .map(|i| {
            let mut b = [0u8; 64];
            b[..8].copy_from_slice(&(i as u64).to_be_bytes());
            b[53] = 0x80;
            b[56..].copy_from_slice(&(53u64 * 8).to_be_bytes());
            b
        })
        .collect()
}

fn group_defaults(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
}

/// Raw compression, our chain step and the peer kernel, per step.
fn chain_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain_step");
    group_defaults(&mut g);
    g.throughput(Throughput::Elements(u64::from(STEPS)));
    let blks = blocks(STEPS as usize);

    // The floor: 1024 calls of the compression function, each on the
    // state the previous one produced (a dependent chain, like ours).
    g.bench_function("raw_compress256_dependent", |b| {
        let block = blks[0];
        b.iter(|| {
            let mut state = IV;
            for _ in 0..STEPS {
                sha2::block_api::compress256(&mut state, core::slice::from_ref(black_box(&block)));
            }
            state
        });
    });
    // Independent compressions (the CPU may overlap them): throughput floor.
    g.bench_function("raw_compress256_independent", |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for blk in black_box(&blks) {
                let mut state = IV;
                sha2::block_api::compress256(&mut state, core::slice::from_ref(blk));
                acc ^= state[0];
            }
            acc
        });
    });
    // Our chain step as generation and verification run it.
    g.bench_function("payword_sha256_chain_walk", |b| {
        let id = id();
        b.iter(|| Sha256::chain_walk(&id, STEPS, black_box(&Word::from_bytes([1; 32])), 0));
    });
    // The same steps through the one-step API, one call per step.
    g.bench_function("payword_sha256_chain_step_calls", |b| {
        let id = id();
        b.iter(|| {
            let mut w = black_box(Word::from_bytes([1; 32]));
            for i in (1..=STEPS).rev() {
                w = Sha256::chain_step(&id, i, &w);
            }
            w
        });
    });
    g.bench_function("payword_blake3_chain_walk", |b| {
        let id = id();
        b.iter(|| Blake3::chain_walk(&id, STEPS, black_box(&Word::from_bytes([1; 32])), 0));
    });
    g.finish();
}

/// Generating a chain of 2^20 words (seed to anchor).
fn generation(c: &mut Criterion) {
    const N: u64 = 1 << 20;
    let mut g = c.benchmark_group("chain_generation");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(N));
    g.bench_function("payword_sha256_anchor/2^20", |b| {
        let p = params(HashAlg::Sha256, N);
        b.iter(|| ok(chain::anchor::<Sha256>(&seed(), black_box(&p))));
    });
    g.bench_function("payword_blake3_anchor/2^20", |b| {
        let p = params(HashAlg::Blake3, N);
        b.iter(|| ok(chain::anchor::<Blake3>(&seed(), black_box(&p))));
    });
    g.bench_function("payword_sha256_pebbler_new/2^20", |b| {
        let p = params(HashAlg::Sha256, N);
        b.iter(|| ok(Pebbler::<Sha256>::new(&seed(), black_box(p))));
    });
    g.finish();
}

/// Times `iters` paywords from `live`, restarting it from `template`
/// (outside the timing) whenever it runs out.
fn time_paywords<T: Traversal + Clone>(template: &T, live: &mut T, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        if live.remaining() == 0 {
            *live = template.clone();
        }
        let batch = left.min(u64::from(live.remaining()));
        let start = Instant::now();
        for _ in 0..batch {
            black_box(live.next_payword());
        }
        total += start.elapsed();
        left -= batch;
    }
    total
}

/// Cost per payword of each traversal strategy, for n = 2^10 … 2^24. The
/// chain is built once per (strategy, n), outside the timing.
fn traversal(c: &mut Criterion) {
    let mut g = c.benchmark_group("traversal_per_payword");
    group_defaults(&mut g);
    g.throughput(Throughput::Elements(1));
    for k in [10u32, 16, 20, 24] {
        let n = 1u64 << k;
        let p = params(HashAlg::Sha256, n);
        let label = format!("2^{k}");
        let mut state: Option<(Pebbler<Sha256>, Pebbler<Sha256>)> = None;
        g.bench_function(BenchmarkId::new("pebbler", &label), |b| {
            let (tpl, live) = state.get_or_insert_with(|| {
                let t = ok(Pebbler::<Sha256>::new(&seed(), p));
                (t.clone(), t)
            });
            b.iter_custom(|iters| time_paywords(tpl, live, iters));
        });
        drop(state);
        // Checkpoints every ⌈√n⌉ words: about 2√n words stored.
        let interval = 1u32 << k.div_ceil(2);
        let mut state: Option<(Checkpoints<Sha256>, Checkpoints<Sha256>)> = None;
        g.bench_function(BenchmarkId::new("checkpoints_sqrt_n", &label), |b| {
            let (tpl, live) = state.get_or_insert_with(|| {
                let t = ok(Checkpoints::<Sha256>::new(&seed(), p, interval));
                (t.clone(), t)
            });
            b.iter_custom(|iters| time_paywords(tpl, live, iters));
        });
        drop(state);
        // n words: 512 MiB at 2^24 (twice, with the template).
        let mut state: Option<(StoreAll<Sha256>, StoreAll<Sha256>)> = None;
        g.bench_function(BenchmarkId::new("store_all", &label), |b| {
            let (tpl, live) = state.get_or_insert_with(|| {
                let t = ok(StoreAll::<Sha256>::new(&seed(), p));
                (t.clone(), t)
            });
            b.iter_custom(|iters| time_paywords(tpl, live, iters));
        });
        drop(state);
    }
    g.finish();
}

/// Every payword of a chain of `n`, and its anchor.
fn all_paywords<H: TweakableHash>(
    alg: HashAlg,
    n: u64,
) -> (ChainParams, payword::Anchor, Vec<Payword>) {
    let p = params(alg, n);
    let all = ok(StoreAll::<H>::new(&seed(), p));
    let anchor = all.anchor();
    (p, anchor, all.collect())
}

/// Times `iters` accepted payments taken in order from `pays` (each
/// `stride` units after the last), restarting the receiver from the anchor
/// (outside the timing) when they run out.
fn time_accepts<H: TweakableHash>(
    p: ChainParams,
    anchor: payword::Anchor,
    pays: &[Payword],
    live: &mut (Receiver<H>, usize),
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        if live.1 == pays.len() {
            *live = (ok(Receiver::<H>::new(p, anchor)), 0);
        }
        let batch = left.min((pays.len() - live.1) as u64) as usize;
        let todo = &pays[live.1..live.1 + batch];
        let mut good = 0usize;
        let start = Instant::now();
        for pw in todo {
            good += usize::from(live.0.accept(black_box(pw)).is_ok());
        }
        total += start.elapsed();
        assert_eq!(good, batch, "every payment verifies");
        live.1 += batch;
        left -= batch as u64;
    }
    total
}

/// Vendor verification of 1-unit and k-unit payments, beside one raw
/// compression.
fn verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("vendor_verify");
    group_defaults(&mut g);
    g.throughput(Throughput::Elements(1));
    let blks = blocks(1024);
    g.bench_function("raw_compress256_one_block", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let mut state = IV;
            sha2::block_api::compress256(
                &mut state,
                core::slice::from_ref(black_box(&blks[i & 1023])),
            );
            i = i.wrapping_add(1);
            state
        });
    });
    // The same, after writing 4 bytes (a position) into the block: what any
    // caller of `compress256` pays when it assembles the block just before
    // (the 16-byte loads of the block cannot be forwarded from the smaller
    // store, so back-to-back compressions no longer overlap).
    g.bench_function("raw_compress256_one_block_after_4_byte_store", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let mut block = blks[i & 1023];
            block[17..21].copy_from_slice(&(i as u32).to_be_bytes());
            let mut state = IV;
            sha2::block_api::compress256(&mut state, core::slice::from_ref(black_box(&block)));
            i = i.wrapping_add(1);
            state
        });
    });
    let n = 1u64 << 16;
    let (p, anchor, all) = all_paywords::<Sha256>(HashAlg::Sha256, n);
    for k in [1usize, 16, 256] {
        let pays: Vec<Payword> = all.iter().skip(k - 1).step_by(k).copied().collect();
        let mut live = (ok(Receiver::<Sha256>::new(p, anchor)), 0usize);
        g.bench_function(BenchmarkId::new("sha256_accept_units", k), |b| {
            b.iter_custom(|iters| time_accepts(p, anchor, &pays, &mut live, iters));
        });
    }
    let (pb, anchor_b, all_b) = all_paywords::<Blake3>(HashAlg::Blake3, n);
    let mut live = (ok(Receiver::<Blake3>::new(pb, anchor_b)), 0usize);
    g.bench_function(BenchmarkId::new("blake3_accept_units", 1), |b| {
        b.iter_custom(|iters| time_accepts(pb, anchor_b, &all_b, &mut live, iters));
    });
    g.finish();
}

/// Purse payments (base 10, five denominations, chains of 2^12): the
/// customer paying and the vendor accepting.
fn purse(c: &mut Criterion) {
    let mut g = c.benchmark_group("purse");
    group_defaults(&mut g);
    g.throughput(Throughput::Elements(1));
    let pp = ok(PurseParams::new(HashAlg::Sha256, id(), 10, 5, 1 << 12));
    let new_purse = || ok(Purse::<Sha256>::new(&seed(), pp));
    for amount in [1u64, 347, 9_999] {
        // Customer side. Greedy payment cannot make change, so a purse pays
        // `amount` a fixed number of times before it must be replaced
        // (outside the timing): count them once.
        let per_purse = {
            let mut p = new_purse();
            let mut count = 0u64;
            while p.pay(amount).is_ok() {
                count += 1;
            }
            count
        };
        let mut live = (new_purse(), 0u64);
        g.bench_function(BenchmarkId::new("customer_pay", amount), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    if live.1 == per_purse {
                        live = (new_purse(), 0);
                    }
                    let batch = left.min(per_purse - live.1);
                    let mut good = 0u64;
                    let start = Instant::now();
                    for _ in 0..batch {
                        good += u64::from(black_box(live.0.pay(black_box(amount))).is_ok());
                    }
                    total += start.elapsed();
                    assert_eq!(good, batch, "every purse payment is made");
                    live.1 += batch;
                    left -= batch;
                }
                total
            });
        });
        // Vendor side: the payments of one purse, accepted in order.
        let mut source = new_purse();
        let anchors = source.anchors();
        let mut pays: Vec<PursePayment> = Vec::new();
        while pays.len() < 4096 {
            match source.pay(amount) {
                Ok(pay) => pays.push(pay),
                Err(_) => break,
            }
        }
        let fresh = || ok(PurseReceiver::<Sha256>::new(pp, anchors));
        let mut vendor = (fresh(), 0usize);
        g.bench_function(BenchmarkId::new("vendor_accept", amount), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    if vendor.1 == pays.len() {
                        vendor = (fresh(), 0);
                    }
                    let batch = left.min((pays.len() - vendor.1) as u64) as usize;
                    let mut good = 0usize;
                    let start = Instant::now();
                    for pay in &pays[vendor.1..vendor.1 + batch] {
                        good += usize::from(vendor.0.accept(black_box(pay)).is_ok());
                    }
                    total += start.elapsed();
                    assert_eq!(good, batch, "every purse payment verifies");
                    vendor.1 += batch;
                    left -= batch as u64;
                }
                total
            });
        });
    }
    g.finish();
}

criterion_group!(benches, chain_step, generation, traversal, verify, purse);
criterion_main!(benches);
