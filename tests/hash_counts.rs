//! Exact hash counts, asserted with the counting hash `Counting<Sha256>`.
//!
//! Counting is deterministic, so these are equalities and bounds on numbers,
//! not timings. The figures asserted are independent of the implementation:
//!
//! * the pebbling bounds of Schoenmakers, "Explicit Optimal Binary Pebbling
//!   for One-Way Hash Chain Reversal" (FC 2016): for `n = 2^k` at most
//!   `⌈k/2⌉` hashes before each output (and the bound is reached), `k` stored
//!   words;
//! * the total work of *any* binary pebbling (each midpoint computed once and
//!   kept until it is output, recursively): with the `k` pebbles placed at
//!   `2^k − 2^{i+1}` by the initial sweep, reversing a segment of length `2^j`
//!   costs `C(j) = 2·C(j−1) + (2^{j−1} − 2)` (the right half, then placing the
//!   pebbles of the left half from its start), `C(1) = 1` (one hash for the
//!   word after the last pebble), so `C(k) = k·2^{k−1} − 2^k + 2`;
//! * the receiver's budget rule: a rejected payword costs zero hashes, an
//!   accepted one costs exactly `index − last`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payword::{
    ChainError, ChainId, ChainParams, ChainSeed, Counting, HashAlg, HashCount, Payword, Pebbler,
    Purse, PurseError, PurseParams, PursePayment, PurseReceiver, Receiver, Sha256, StoreAll,
    Traversal, VerifyError, Word, chain,
};

type C = Counting<Sha256>;

fn measure<R>(f: impl FnOnce() -> R) -> (R, HashCount) {
    C::measure(f)
}

fn params(n: u64) -> ChainParams {
    ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x5c; 16]), n).unwrap()
}

fn seed() -> ChainSeed {
    ChainSeed::from_bytes([0xa7; 32])
}

/// `⌈log2 n⌉`.
fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Total hashes of the output phase of binary pebbling for `n = 2^k`.
fn binary_pebbling_total(k: u32) -> u64 {
    if k == 0 {
        0
    } else {
        u64::from(k) * (1u64 << (k - 1)) + 2 - (1u64 << k)
    }
}

/// What one full pebbling run measured.
#[derive(Debug, Default)]
struct Run {
    construction: HashCount,
    max_per_payword: u64,
    total: u64,
    outputs: u64,
}

/// Builds a counting pebbler for `n` and drains it, measuring every payword.
/// Checks on the way that the indexes run 1..=n and (when `check_words`) that
/// each word hashes to the one before (one uncounted-in-the-figure hash per
/// payword, measured apart).
fn run_pebbler(n: u64, check_words: bool) -> Run {
    let p = params(n);
    let (peb, construction) = measure(|| Pebbler::<C>::new(&seed(), p).unwrap());
    let mut peb = peb;
    let k = ceil_log2(n);
    assert_eq!(peb.stored_words(), k.max(1) as usize, "n={n}");
    let mut run = Run {
        construction,
        ..Run::default()
    };
    let mut last = Payword::new(0, peb.anchor().as_word());
    loop {
        let (next, cost) = measure(|| peb.next_payword());
        let Some(pw) = next else {
            assert_eq!(cost.total(), 0, "n={n}: exhausted pebbler hashed");
            break;
        };
        assert_eq!(
            cost.words + cost.parts,
            0,
            "n={n}: only chain steps after construction"
        );
        run.max_per_payword = run.max_per_payword.max(cost.total());
        run.total += cost.total();
        run.outputs += 1;
        assert_eq!(u64::from(pw.index()), run.outputs, "n={n}");
        if check_words {
            let prev = Sha256::chain_step(p.id(), pw.index(), pw.word());
            assert_eq!(prev, *last.word(), "n={n} i={}", pw.index());
        }
        last = pw;
    }
    assert_eq!(run.outputs, n);
    run
}

use payword::TweakableHash as _;

/// The bounds every run must meet, and the exact figures for powers of two.
fn check_run(n: u64, run: &Run) {
    let k = ceil_log2(n);
    let bound = u64::from(k.div_ceil(2));
    assert!(
        run.max_per_payword <= bound,
        "n={n}: {} hashes for one payword, bound {bound}",
        run.max_per_payword
    );
    // The sweep: one seed expansion and n chain steps, nothing else hashed.
    assert_eq!(run.construction.words, 1, "n={n}");
    assert_eq!(run.construction.parts, 0, "n={n}");
    assert!(run.construction.chain_steps >= n, "n={n}");
    // Over the whole life: at most the sweep plus the binary pebbling of 2^k
    // (padding steps of a non-power-of-two chain are free).
    assert!(
        run.construction.chain_steps + run.total <= n + binary_pebbling_total(k),
        "n={n}: lifetime {} + {}",
        run.construction.chain_steps,
        run.total
    );
    if n.is_power_of_two() {
        assert_eq!(run.construction.chain_steps, n, "n={n}: construction");
        assert_eq!(
            run.max_per_payword, bound,
            "n={n}: the bound is reached exactly"
        );
        assert_eq!(
            run.total,
            binary_pebbling_total(k),
            "n={n}: total output-phase hashes"
        );
    }
}

/// Every n ≤ 4096 (split in ranges so the test threads share the work).
fn exhaustive(range: core::ops::RangeInclusive<u64>) {
    for n in range {
        let run = run_pebbler(n, false);
        check_run(n, &run);
    }
}

#[test]
fn pebbling_bounds_every_n_up_to_1024() {
    exhaustive(1..=1024);
}

#[test]
fn pebbling_bounds_every_n_1025_to_2048() {
    exhaustive(1025..=2048);
}

#[test]
fn pebbling_bounds_every_n_2049_to_3072() {
    exhaustive(2049..=3072);
}

#[test]
fn pebbling_bounds_every_n_3073_to_4096() {
    exhaustive(3073..=4096);
}

#[test]
fn pebbling_exact_figures_for_powers_of_two() {
    // (k, max per payword, total output hashes) from the formulas above,
    // written out so a change of formula cannot hide a change of behaviour.
    let expected: [(u32, u64, u64); 13] = [
        (0, 0, 0),
        (1, 1, 1),
        (2, 1, 2),
        (3, 2, 6),
        (4, 2, 18),
        (5, 3, 50),
        (6, 3, 130),
        (7, 4, 322),
        (8, 4, 770),
        (9, 5, 1794),
        (10, 5, 4098),
        (11, 6, 9218),
        (12, 6, 20482),
    ];
    for (k, max, total) in expected {
        assert_eq!(binary_pebbling_total(k), total);
        let n = 1u64 << k;
        let run = run_pebbler(n, true);
        assert_eq!(run.max_per_payword, max, "k={k}");
        assert_eq!(run.total, total, "k={k}");
        assert_eq!(run.construction.total(), n + 1, "k={k}");
    }
}

/// Sampled n up to 2^20, traversed in full with every word checked.
#[test]
fn pebbling_bounds_sampled_n_up_to_2_pow_20() {
    for n in [
        4097u64,
        5000,
        (1 << 13) - 1,
        1 << 13,
        (1 << 13) + 1,
        12_345,
        1 << 14,
        (1 << 16) - 1,
        1 << 16,
        (1 << 16) + 1,
        100_000,
        1 << 18,
        1 << 20,
    ] {
        let run = run_pebbler(n, true);
        check_run(n, &run);
    }
}

/// Sampled n up to 2^24: the construction and a window of the first
/// paywords (a full traversal of 2^24 paywords is a benchmark, not a test).
/// The window checks the per-payword bound, the stored words and every word
/// of the first 2^16 paywords.
#[test]
fn pebbling_bounds_sampled_n_up_to_2_pow_24() {
    const WINDOW: u32 = 1 << 16;
    for n in [(1u64 << 22) + 3, (1 << 24) - 1, 1 << 24] {
        let p = params(n);
        let k = ceil_log2(n);
        let (peb, construction) = measure(|| Pebbler::<C>::new(&seed(), p).unwrap());
        let mut peb = peb;
        assert_eq!(peb.stored_words(), k as usize);
        assert_eq!(construction.words, 1);
        assert!(construction.chain_steps >= n);
        if n.is_power_of_two() {
            assert_eq!(construction.chain_steps, n);
        }
        let mut last = Payword::new(0, peb.anchor().as_word());
        let mut max = 0;
        for i in 1..=WINDOW {
            let (pw, cost) = measure(|| peb.next_payword().unwrap());
            assert_eq!(pw.index(), i);
            max = max.max(cost.total());
            assert_eq!(
                Sha256::chain_step(p.id(), i, pw.word()),
                *last.word(),
                "n={n} i={i}"
            );
            last = pw;
        }
        // The window's rounds all have the top bits set, so the worst round
        // (reached in the exhaustive tests) need not fall in it: a bound only.
        let bound = u64::from(k.div_ceil(2));
        assert!(max <= bound, "n={n}: {max} > {bound}");
        assert!(max >= 1, "n={n}: the window needs hashing");
    }
}

/// The encoded state never holds more than `k` pebbles and `⌊k/2⌋` jobs, at
/// every step of the traversal.
#[test]
fn pebbler_state_stays_within_storage_bound() {
    for n in [1u64, 2, 3, 64, 100, 1 << 10, 1000, 4095] {
        let k = ceil_log2(n).max(1) as usize;
        let mut peb = Pebbler::<Sha256>::new(&seed(), params(n)).unwrap();
        let mut buf = vec![0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
        loop {
            let len = peb.encode(&mut buf);
            assert!(len <= Pebbler::<Sha256>::MAX_ENCODED_LEN);
            // version, hash, id, n, emitted, k × (position, word), jobs, anchor.
            let jobs_at = 1 + 1 + 16 + 4 + 4 + 36 * k;
            let jobs = usize::from(buf[jobs_at]);
            assert!(jobs <= k / 2, "n={n}: {jobs} jobs");
            assert_eq!(len, jobs_at + 1 + 9 * jobs + 32, "n={n}");
            if peb.next_payword().is_none() {
                break;
            }
        }
    }
}

#[test]
fn other_strategies_cost_what_they_document() {
    let n = 1000u64;
    let p = params(n);
    let (all, cost) = measure(|| StoreAll::<C>::new(&seed(), p).unwrap());
    assert_eq!(cost.total(), n + 1);
    let (_, cost) = measure(|| all.count());
    assert_eq!(cost.total(), 0, "store-all hashes nothing per payword");

    for c in [1u32, 7, 32, 1000, 5000] {
        let (cp, cost) = measure(|| payword::Checkpoints::<C>::new(&seed(), p, c).unwrap());
        assert_eq!(cost.total(), n + 1, "c={c}");
        let mut cp = cp;
        let c_eff = u64::from(c).min(n);
        let mut total = 0;
        let mut max = 0;
        while let (Some(_), cost) = measure(|| cp.next_payword()) {
            total += cost.total();
            max = max.max(cost.total());
        }
        // Each segment of c words is rebuilt from its top checkpoint: c − 1
        // hashes (the last segment may be shorter).
        let segments = n.div_ceil(c_eff);
        let last_len = n - (segments - 1) * c_eff;
        assert_eq!(
            total,
            (segments - 1) * (c_eff - 1) + (last_len - 1),
            "c={c}"
        );
        assert_eq!(max, c_eff - 1, "c={c}");
    }
}

#[test]
fn word_at_and_anchor_cost() {
    let p = params(100);
    let (_, cost) = measure(|| chain::anchor::<C>(&seed(), &p).unwrap());
    assert_eq!(cost.total(), 101);
    let (_, cost) = measure(|| chain::word_at::<C>(&seed(), &p, 40).unwrap());
    assert_eq!(cost.total(), 61);
    let (r, cost) = measure(|| chain::word_at::<C>(&seed(), &p, 101));
    assert_eq!(
        r,
        Err(ChainError::IndexOutOfRange {
            index: 101,
            length: 100
        })
    );
    assert_eq!(cost.total(), 0);
    let (r, cost) = measure(|| chain::word_at::<C>(&seed(), &p, u32::MAX));
    assert!(r.is_err());
    assert_eq!(cost.total(), 0);
}

#[test]
fn receiver_costs_exactly_the_steps_and_nothing_when_rejecting() {
    let n = 500u64;
    let p = params(n);
    let words = StoreAll::<Sha256>::new(&seed(), p).unwrap();
    let anchor = words.anchor();
    let w: Vec<Payword> = words.collect();
    let pw = |i: u32| w[i as usize - 1];
    let mut r = Receiver::<C>::new(p, anchor).unwrap().with_limit(50);

    // 1-unit payment: one hash.
    let (res, cost) = measure(|| r.accept(&pw(1)));
    assert_eq!(res, Ok(1));
    assert_eq!(cost.total(), 1);
    // k-unit payment: k hashes.
    let (res, cost) = measure(|| r.accept(&pw(21)));
    assert_eq!(res, Ok(20));
    assert_eq!(cost.total(), 20);
    // Exactly the budget: accepted, budget hashes.
    let (res, cost) = measure(|| r.accept(&pw(71)));
    assert_eq!(res, Ok(50));
    assert_eq!(cost.total(), 50);

    let rejected = [
        (
            pw(122),
            VerifyError::OverBudget {
                steps: 51,
                limit: 50,
            },
        ),
        (
            pw(500),
            VerifyError::OverBudget {
                steps: 429,
                limit: 50,
            },
        ),
        (
            pw(71),
            VerifyError::Replay {
                index: 71,
                last: 71,
            },
        ),
        (pw(1), VerifyError::Replay { index: 1, last: 71 }),
        (
            Payword::new(501, *pw(72).word()),
            VerifyError::PastEnd {
                index: 501,
                length: 500,
            },
        ),
        (
            Payword::new(u32::MAX, Word::from_bytes([0; 32])),
            VerifyError::PastEnd {
                index: u32::MAX,
                length: 500,
            },
        ),
        (
            Payword::new(0, Word::from_bytes([0; 32])),
            VerifyError::Replay { index: 0, last: 71 },
        ),
    ];
    for (bad, err) in rejected {
        let (res, cost) = measure(|| r.accept(&bad));
        assert_eq!(res, Err(err));
        assert_eq!(cost.total(), 0, "{err:?} must cost no hash");
        let (res, cost) = measure(|| r.check(&bad));
        assert_eq!(res, Err(err));
        assert_eq!(cost.total(), 0);
    }
    // A forgery within the budget costs its steps, then fails; state unchanged.
    let forged = Payword::new(80, *pw(81).word());
    let (res, cost) = measure(|| r.accept(&forged));
    assert_eq!(res, Err(VerifyError::Forged));
    assert_eq!(cost.total(), 9);
    assert_eq!(r.paid(), 71);
    // A limit of 0 refuses everything for free.
    let mut zero = Receiver::<C>::new(p, anchor).unwrap().with_limit(0);
    let (res, cost) = measure(|| zero.accept(&pw(1)));
    assert_eq!(res, Err(VerifyError::OverBudget { steps: 1, limit: 0 }));
    assert_eq!(cost.total(), 0);
}

#[test]
fn advance_past_the_end_costs_nothing() {
    let p = params(64);
    let mut peb = Pebbler::<C>::new(&seed(), p).unwrap();
    peb.advance(60).unwrap();
    for units in [0, 5, u32::MAX] {
        let (r, cost) = measure(|| peb.advance(units));
        assert_eq!(r, None);
        assert_eq!(cost.total(), 0);
        assert_eq!(peb.emitted(), 60);
    }
    let (r, cost) = measure(|| peb.advance(4));
    assert_eq!(r.unwrap().index(), 64);
    assert!(cost.total() <= 4 * 3);
}

/// Base-`b` digit sum.
fn digit_sum(mut a: u64, b: u64) -> u64 {
    let mut s = 0;
    while a > 0 {
        s += a % b;
        a /= b;
    }
    s
}

#[test]
fn purse_payments_cost_the_digit_sum() {
    let pp = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([3; 16]), 10, 4, 200).unwrap();
    let mut purse = Purse::<C>::new(&seed(), pp).unwrap();
    let mut v = PurseReceiver::<C>::new(pp, purse.anchors()).unwrap();
    let mut paid = 0u64;
    for amount in [1u64, 9, 10, 11, 347, 999, 1000, 4321, 9999] {
        let pay = purse.pay(amount).unwrap();
        let (res, cost) = measure(|| v.accept(&pay));
        assert_eq!(res, Ok(amount));
        assert_eq!(cost.total(), digit_sum(amount, 10), "amount {amount}");
        paid += amount;
        assert_eq!(v.paid(), paid);
    }
}

#[test]
fn rejected_purse_payments_cost_nothing() {
    let pp = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([3; 16]), 4, 3, 50).unwrap();
    let mut purse = Purse::<C>::new(&seed(), pp).unwrap();
    let mut v = PurseReceiver::<C>::new(pp, purse.anchors())
        .unwrap()
        .with_limit(10);
    let good = purse.pay(6).unwrap(); // 1·4 + 2·1: 3 hashes
    assert_eq!(v.accept(&good), Ok(6));
    let p0 = *good.part(0).unwrap();
    let next = purse.pay(37).unwrap(); // 2·16 + 1·4 + 1·1: 4 hashes

    let cases = [
        (PursePayment::new(), VerifyError::Empty),
        (
            PursePayment::new().with(3, p0),
            VerifyError::UnknownDenomination { denomination: 3 },
        ),
        // One good part and one replayed part: refused before hashing either.
        (
            next.with(0, p0),
            VerifyError::Replay {
                index: p0.index(),
                last: p0.index(),
            },
        ),
        (
            PursePayment::new().with(0, Payword::new(51, *p0.word())),
            VerifyError::PastEnd {
                index: 51,
                length: 50,
            },
        ),
        // Summed over chains: 11 steps > 10.
        (
            PursePayment::new()
                .with(0, Payword::new(p0.index() + 6, *p0.word()))
                .with(2, Payword::new(5, *p0.word())),
            VerifyError::OverBudget {
                steps: 11,
                limit: 10,
            },
        ),
    ];
    for (pay, err) in cases {
        let (res, cost) = measure(|| v.accept(&pay));
        assert_eq!(res, Err(err));
        assert_eq!(cost.total(), 0, "{err:?}");
    }
    assert_eq!(v.paid(), 6);
    let (res, cost) = measure(|| v.accept(&next));
    assert_eq!(res, Ok(37));
    assert_eq!(cost.total(), 4);
    // Customer side: an amount that cannot be paid costs nothing.
    let left = purse.remaining();
    let (res, cost) = measure(|| purse.pay(left + 1));
    assert_eq!(res, Err(PurseError::InsufficientFunds { amount: left + 1 }));
    assert_eq!(cost.total(), 0);
}
