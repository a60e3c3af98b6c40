//! Traversal strategies against `n`: hashes per payword (counted with
//! [`payword::cost::measure`]), words stored, and time.
//!
//! Each strategy is run twice per `n`: once counting the hashes of every
//! payword, once timed (construction and the whole walk, without the
//! per-payword counting). The counts are compared with the bounds the crate
//! documents (`src/chain/traversal.rs`), exactly.

use std::hint::black_box;
use std::time::Instant;

use payword::{
    ChainId, ChainParams, ChainSeed, Checkpoints, HashAlg, Pebbler, Sha256, StoreAll, Traversal,
};

use crate::error::LabError;

/// A traversal strategy of payword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// `StoreAll`: every word kept.
    StoreAll,
    /// `Checkpoints` with interval `c = ⌈√n⌉`.
    Checkpoints,
    /// `Pebbler`: Schoenmakers' optimal binary pebbling.
    Pebbler,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Self; 3] = [Self::StoreAll, Self::Checkpoints, Self::Pebbler];

    /// The type's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::StoreAll => "StoreAll",
            Self::Checkpoints => "Checkpoints",
            Self::Pebbler => "Pebbler",
        }
    }
}

/// One strategy at one `n`.
#[derive(Clone, Debug, PartialEq)]
pub struct TraversalRow {
    /// The strategy.
    pub strategy: Strategy,
    /// Chain length.
    pub n: u32,
    /// `⌈log2 n⌉`.
    pub k: u32,
    /// The checkpoint interval (`Checkpoints` only).
    pub interval: Option<u32>,
    /// Hashes of construction (counted).
    pub setup_hashes: u64,
    /// Hashes of the whole walk, all `n` paywords (counted).
    pub walk_hashes: u64,
    /// Most hashes before one payword (counted).
    pub max_per_payword: u64,
    /// Words stored.
    pub stored_words: u64,
    /// Where `stored_words` comes from.
    pub storage_source: &'static str,
    /// The documented bound on hashes per payword.
    pub bound_max: u64,
    /// The documented total of the walk.
    pub bound_walk: u64,
    /// The documented storage.
    pub bound_storage: u64,
    /// Whether construction, walk, maximum and storage equal the documented
    /// figures.
    pub meets_bounds: bool,
    /// Median nanoseconds of construction.
    pub setup_ns: f64,
    /// Median nanoseconds per payword of the walk.
    pub ns_per_payword: f64,
}

/// `⌈log2 n⌉`.
#[must_use]
pub const fn ceil_log2(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        u32::BITS - (n - 1).leading_zeros()
    }
}

/// `⌈√n⌉`, the checkpoint interval minimising `⌈n/c⌉ + c`.
#[must_use]
pub fn sqrt_interval(n: u32) -> u32 {
    let mut c = f64::from(n).sqrt() as u32;
    while u64::from(c) * u64::from(c) < u64::from(n) {
        c += 1;
    }
    c.max(1)
}

/// The documented figures `(max per payword, walk total, storage, setup)`
/// of `strategy` for a chain of `n = 2^k` (setup: `n + 1` hashes).
///
/// - `StoreAll`: 0, 0, `n`.
/// - `Checkpoints` (interval `c`): `c − 1`, `(s − 1)(c − 1) + (l − 1)` for
///   `s = ⌈n/c⌉` segments and a last segment of `l` words, `⌈n/c⌉ + c`.
/// - `Pebbler`: `⌈k/2⌉`, `k·2^{k−1} − 2^k + 2`, `k` (Schoenmakers, FC 2016;
///   `tests/hash_counts.rs`); for `n` not a power of two the maximum is a
///   bound, the total is not given (returned as `u64::MAX`), construction
///   may add at most `⌈k/2⌉` hashes per padding output skipped, and
///   construction and walk together stay within `n + 1` and the binary
///   pebbling of `2^k`.
#[must_use]
pub fn documented(strategy: Strategy, n: u32) -> (u64, u64, u64, u64) {
    let n64 = u64::from(n);
    let setup = n64 + 1;
    match strategy {
        Strategy::StoreAll => (0, 0, n64, setup),
        Strategy::Checkpoints => {
            let c = u64::from(sqrt_interval(n)).min(n64).max(1);
            let segments = n64.div_ceil(c);
            let last = n64 - (segments - 1) * c;
            (
                c - 1,
                (segments - 1) * (c - 1) + (last - 1),
                segments + c,
                setup,
            )
        }
        Strategy::Pebbler => {
            let k = u64::from(ceil_log2(n));
            let total = if n.is_power_of_two() {
                if k == 0 {
                    0
                } else {
                    k * (1 << (k - 1)) + 2 - (1 << k)
                }
            } else {
                u64::MAX
            };
            (k.div_ceil(2), total, k.max(1), setup)
        }
    }
}

enum Any {
    StoreAll(StoreAll<Sha256>),
    Checkpoints(Checkpoints<Sha256>),
    Pebbler(Box<Pebbler<Sha256>>),
}

impl Any {
    fn new(strategy: Strategy, n: u32) -> Result<Self, LabError> {
        let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x7a; 16]), n.into())
            .map_err(|e| LabError::measure("chain parameters", e))?;
        let seed = ChainSeed::from_bytes([0x3c; 32]);
        let e = |e| LabError::measure(strategy.name(), e);
        Ok(match strategy {
            Strategy::StoreAll => Self::StoreAll(StoreAll::new(&seed, params).map_err(e)?),
            Strategy::Checkpoints => {
                Self::Checkpoints(Checkpoints::new(&seed, params, sqrt_interval(n)).map_err(e)?)
            }
            Strategy::Pebbler => Self::Pebbler(Box::new(Pebbler::new(&seed, params).map_err(e)?)),
        })
    }

    fn next(&mut self) -> Option<payword::Payword> {
        match self {
            Self::StoreAll(t) => t.next_payword(),
            Self::Checkpoints(t) => t.next_payword(),
            Self::Pebbler(t) => t.next_payword(),
        }
    }

    fn stored(&self, n: u32) -> (u64, &'static str) {
        match self {
            Self::StoreAll(_) => (n.into(), "all n words"),
            Self::Checkpoints(_) => {
                let c = u64::from(sqrt_interval(n));
                (u64::from(n).div_ceil(c) + c, "⌈n/c⌉ + c, documented")
            }
            Self::Pebbler(p) => (p.stored_words() as u64, "stored_words()"),
        }
    }
}

/// Measures `strategy` at `n`: one counted pass and `reps` timed passes
/// (median).
///
/// # Errors
///
/// [`LabError::Measure`] if the chain cannot be built or the walk stops
/// early (a bug).
pub fn measure(strategy: Strategy, n: u32, reps: usize) -> Result<TraversalRow, LabError> {
    let (t, setup) = payword::cost::measure(|| Any::new(strategy, n));
    let mut t = t?;
    let (stored_words, storage_source) = t.stored(n);
    let mut walk = 0u64;
    let mut max = 0u64;
    let mut outputs = 0u64;
    loop {
        let (p, c) = payword::cost::measure(|| t.next());
        if p.is_none() {
            break;
        }
        outputs += 1;
        walk += c.hashes.total();
        max = max.max(c.hashes.total());
    }
    if outputs != u64::from(n) {
        return Err(LabError::Measure(format!(
            "{} gave {outputs} paywords of {n}",
            strategy.name()
        )));
    }
    drop(t);
    let mut setups = Vec::with_capacity(reps);
    let mut walks = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let mut t = Any::new(strategy, n)?;
        setups.push(start.elapsed().as_secs_f64() * 1e9);
        let start = Instant::now();
        while let Some(p) = t.next() {
            black_box(p);
        }
        walks.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(n.max(1)));
    }
    let (bound_max, bound_walk, bound_storage, bound_setup) = documented(strategy, n);
    let setup_hashes = setup.hashes.total();
    let meets_bounds = if bound_walk == u64::MAX {
        // Pebbler, n not a power of two: it runs the 2^k schedule and skips
        // the padding at construction (at most ⌈k/2⌉ hashes per skipped
        // output); over its life it hashes at most the sweep and the binary
        // pebbling of 2^k.
        let k = ceil_log2(n);
        let big = 1u64 << k;
        let pebbling = u64::from(k) * (big / 2) + 2 - big;
        setup_hashes >= bound_setup
            && setup_hashes <= bound_setup + bound_max * (big - u64::from(n))
            && setup_hashes + walk <= bound_setup + pebbling
            && max <= bound_max
            && stored_words == bound_storage
    } else {
        setup_hashes == bound_setup
            && walk == bound_walk
            && max == bound_max
            && stored_words == bound_storage
    };
    Ok(TraversalRow {
        strategy,
        n,
        k: ceil_log2(n),
        interval: matches!(strategy, Strategy::Checkpoints).then(|| sqrt_interval(n)),
        setup_hashes,
        walk_hashes: walk,
        max_per_payword: max,
        stored_words,
        storage_source,
        bound_max,
        bound_walk,
        bound_storage,
        meets_bounds,
        setup_ns: median(&mut setups),
        ns_per_payword: median(&mut walks),
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Timed passes for a chain of `n`: 5 up to 2^14, 3 up to 2^18, 1 beyond.
#[must_use]
pub const fn reps_for(n: u32) -> usize {
    if n <= 1 << 14 {
        5
    } else if n <= 1 << 18 {
        3
    } else {
        1
    }
}
