//! Traversal: producing `w_1, w_2, …, w_n` in payment order.
//!
//! The chain is computed from the top (`w_n`, from the seed) down, but spent
//! from the bottom up, so a wallet must *reverse* it. Three strategies share
//! the [`Traversal`] interface and produce identical sequences:
//!
//! | strategy | words stored | hashes per payword | allocation |
//! |---|---|---|---|
//! | [`StoreAll`] | `n` | 0 | yes (`alloc`) |
//! | [`Checkpoints`] | `⌈n/c⌉ + c` | 1 amortized, `c − 1` at worst | yes (`alloc`) |
//! | [`Pebbler`] | `k = ⌈log2 n⌉` | at most `⌈k/2⌉` | none |
//!
//! Every constructor hashes the whole chain once (`n + 1` hashes) and so also
//! yields the [`Anchor`].

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Anchor, ChainError, ChainParams, ChainSeed, Payword, Word, top_word};
use crate::hash::{HashAlg, TweakableHash};

/// A wallet-side producer of paywords in payment order.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Pebbler, Sha256, Traversal};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), 100)?;
/// let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params)?;
/// let first = wallet.next_payword().expect("100 paywords");
/// assert_eq!(first.index(), 1);
/// assert_eq!(wallet.remaining(), 99);
/// # Ok::<(), payword::ChainError>(())
/// ```
pub trait Traversal {
    /// The chain's parameters.
    fn params(&self) -> &ChainParams;

    /// The anchor `w_0`, computed at construction.
    fn anchor(&self) -> Anchor;

    /// The index of the last payword produced (0 before the first).
    fn emitted(&self) -> u32;

    /// The next payword, or `None` once `w_n` has been produced.
    fn next_payword(&mut self) -> Option<Payword>;

    /// How many paywords are left.
    fn remaining(&self) -> u32 {
        self.params().length().saturating_sub(self.emitted())
    }

    /// Advances by `units` and returns the payword that pays them (`None`, and
    /// no change, if fewer than `units` remain or `units` is 0).
    ///
    /// # Cost
    ///
    /// Produces every payword in between: `units` times the strategy's cost per
    /// payword.
    fn advance(&mut self, units: u32) -> Option<Payword> {
        if units == 0 || units > self.remaining() {
            return None;
        }
        let mut last = None;
        for _ in 0..units {
            last = self.next_payword();
        }
        last
    }
}

/// Generation position `t` (0 = top word `w_n`) of a word, and the word.
#[derive(Clone, Copy, Zeroize)]
struct Pebble {
    t: u32,
    word: [u8; 32],
}

/// One step of the *virtual* chain `v_0 = w_n, v_{t+1} = f(v_t)`: for `t < n`
/// this is the real chain step `w_{n−t−1} = F(id, n−t, w_{n−t})`; past the
/// anchor (`t ≥ n`) the padding steps of a non-power-of-two chain copy the word
/// and cost no hash.
#[inline(always)]
fn forward<H: TweakableHash>(params: &ChainParams, p: Pebble) -> Pebble {
    let n = params.length();
    let word = if p.t < n {
        H::chain_step(params.id(), n - p.t, &Word::from_bytes(p.word)).to_bytes()
    } else {
        p.word
    };
    Pebble {
        t: p.t.saturating_add(1),
        word,
    }
}

/// Walks the chain once from the top, calling `keep(t, v_t)` at each
/// generation position `t` that `positions` yields (strictly increasing;
/// positions past the anchor see the anchor), and returns the anchor.
///
/// Between kept positions it runs [`TweakableHash::chain_walk`], so the sweep
/// costs one seed expansion and exactly `n` chain steps whatever is kept.
fn sweep<H: TweakableHash>(
    seed: &ChainSeed,
    params: &ChainParams,
    positions: impl IntoIterator<Item = u32>,
    mut keep: impl FnMut(u32, &Word),
) -> Result<Anchor, ChainError> {
    let n = params.length();
    let mut word = top_word::<H>(seed, params)?.to_bytes();
    // Generation position of `word` (at most n: the anchor).
    let mut at = 0u32;
    for t in positions {
        debug_assert!(t >= at, "sweep positions must increase");
        let target = t.min(n);
        if target > at {
            word =
                H::chain_walk(params.id(), n - at, &Word::from_bytes(word), n - target).to_bytes();
            at = target;
        }
        keep(t, &Word::from_bytes(word));
    }
    let anchor = H::chain_walk(params.id(), n - at, &Word::from_bytes(word), 0);
    word.zeroize();
    Ok(Anchor::from_bytes(anchor.to_bytes()))
}

/// Largest number of pebbles: `k = ⌈log2 n⌉ ≤ 32`.
pub const MAX_PEBBLES: usize = 32;
const MAX_JOBS: usize = MAX_PEBBLES / 2;

/// A pebble that is being moved down toward the output end: it currently sits
/// in slot `q` and has `g` more steps to take there.
#[derive(Clone, Copy, Default, Zeroize)]
struct Job {
    q: u8,
    g: u64,
}

/// Optimal in-place binary pebbling (Schoenmakers, "Explicit Optimal Binary
/// Pebbling for One-Way Hash Chain Reversal", FC 2016).
///
/// For a chain of length `n = 2^k` it stores `k` words and computes at most
/// `⌈k/2⌉` hashes before each payword, the optimum for binary pebbling. The
/// storage is a fixed-size array (`MAX_PEBBLES` words, about 1.3 KiB in all):
/// no allocation, usable without `alloc`.
///
/// **Any `n`.** A chain whose length is not a power of two is run as the chain
/// of length `2^k`, `k = ⌈log2 n⌉`, extended past the anchor by padding steps
/// that copy their input and cost no hash; the first `2^k − n` outputs (the
/// padding) are consumed at construction. The bounds are then `k` words and
/// `⌈k/2⌉` hashes per payword with `k = ⌈log2 n⌉`, and construction costs
/// `n + 1` hashes for the sweep plus at most `⌈k/2⌉·(2^k − n)` for the skipped
/// rounds. In practice the skipped rounds cost about one hash each: just past
/// a power of two the construction costs about `2n` (`n = 2^23 + 1`: 16,777,239
/// hashes with the first payword, by [`cost::model`](crate::cost::model)), so
/// prefer `n = 2^k`.
///
/// **Persistence.** [`Pebbler::encode`] writes the whole state (with the
/// number of paywords emitted), [`Pebbler::decode`] restores it; the restored
/// pebbler continues after the last payword emitted. Persist after every
/// payword you hand out and before handing out the next: a state restored from
/// an older copy would emit again paywords that were already spent (harmless to
/// a vendor, who rejects them as replays, but wasted). The state holds future
/// paywords, so it is secret: zeroized on drop and never printed.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Pebbler, Sha256, Traversal};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([3; 16]), 1 << 10)?;
/// let seed = ChainSeed::from_bytes([4; 32]);
/// let mut wallet = Pebbler::<Sha256>::new(&seed, params)?;
/// assert_eq!(wallet.stored_words(), 10);
/// let p1 = wallet.next_payword().unwrap();
///
/// // Persist, restore, continue.
/// let mut buf = [0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN];
/// let len = wallet.encode(&mut buf);
/// let mut restored = Pebbler::<Sha256>::decode(&buf[..len]).unwrap();
/// assert_eq!(restored.next_payword().unwrap().index(), p1.index() + 1);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[derive(Clone)]
pub struct Pebbler<H: TweakableHash> {
    params: ChainParams,
    anchor: Anchor,
    /// `k = ⌈log2 n⌉`.
    k: u8,
    /// Paywords emitted so far.
    emitted: u32,
    /// Outputs of the `2^k` schedule done so far (padding included).
    outputs: u64,
    z: [Pebble; MAX_PEBBLES],
    jobs: [Job; MAX_JOBS],
    njobs: u8,
    /// Set when a decoded state turned out inconsistent: no more output.
    poisoned: bool,
    /// Chain steps of the schedule since this value was made or decoded (not
    /// persisted; the cost model reads it).
    steps: u64,
    _hash: core::marker::PhantomData<H>,
}

impl<H: TweakableHash> Zeroize for Pebbler<H> {
    fn zeroize(&mut self) {
        self.z.zeroize();
        self.jobs.zeroize();
    }
}

impl<H: TweakableHash> Drop for Pebbler<H> {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl<H: TweakableHash> ZeroizeOnDrop for Pebbler<H> {}

impl<H: TweakableHash> fmt::Debug for Pebbler<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pebbler")
            .field("params", &self.params)
            .field("emitted", &self.emitted)
            .finish_non_exhaustive()
    }
}

/// `⌈log2 n⌉` for `n ≥ 1`.
fn ceil_log2(n: u32) -> u8 {
    // n ≤ 2^32 − 1, so the result is at most 32.
    (u32::BITS - n.saturating_sub(1).leading_zeros()) as u8
}

impl<H: TweakableHash> Pebbler<H> {
    /// Size of the largest encoded state, in bytes.
    pub const MAX_ENCODED_LEN: usize =
        1 + 1 + 16 + 4 + 4 + MAX_PEBBLES * 36 + 1 + MAX_JOBS * 9 + 32;

    /// Builds the pebbler: one sweep of the chain (`n + 1` hashes) places the
    /// `k` pebbles and computes the anchor.
    ///
    /// # Errors
    ///
    /// [`ChainError::AlgMismatch`] if `params` is not for `H`.
    pub fn new(seed: &ChainSeed, params: ChainParams) -> Result<Self, ChainError> {
        let k = ceil_log2(params.length());
        let big_n: u64 = 1u64 << k;
        let mut z = [Pebble {
            t: 0,
            word: [0; 32],
        }; MAX_PEBBLES];
        // Pebble i sits at generation position 2^k − 2^{i+1} (for k = 0 the
        // only word is v_0 itself): positions 0, 2^k/2, …, 2^k − 2.
        let positions = (0..k.max(1))
            .rev()
            .map(|i| u32::try_from(big_n.saturating_sub(2u64 << i)).unwrap_or(u32::MAX));
        let anchor = sweep::<H>(seed, &params, positions, |t, w| {
            let from_end = big_n - u64::from(t);
            if k == 0 {
                z[0] = Pebble {
                    t,
                    word: w.to_bytes(),
                };
            } else if from_end.is_power_of_two() && from_end >= 2 {
                let i = from_end.trailing_zeros() as usize - 1;
                if let Some(slot) = z.get_mut(i) {
                    *slot = Pebble {
                        t,
                        word: w.to_bytes(),
                    };
                }
            }
        })?;
        let mut me = Self {
            params,
            anchor,
            k,
            emitted: 0,
            outputs: 0,
            z,
            jobs: [Job::default(); MAX_JOBS],
            njobs: 0,
            poisoned: false,
            steps: 0,
            _hash: core::marker::PhantomData,
        };
        // Consume the padding outputs of a non-power-of-two chain.
        let padding = big_n - u64::from(params.length());
        for _ in 0..padding {
            me.schedule_output();
        }
        Ok(me)
    }

    /// The number of words the pebbler keeps: `k = ⌈log2 n⌉` (1 for `n = 1`).
    #[must_use]
    pub fn stored_words(&self) -> usize {
        usize::from(self.k.max(1))
    }

    /// Counts the chain step [`forward`] makes from `p` (none past the anchor).
    fn count_step(&mut self, p: Pebble) {
        if p.t < self.params.length() {
            self.steps = self.steps.saturating_add(1);
        }
    }

    /// Chain steps the schedule has made since this pebbler was built or
    /// decoded (the construction's `n` steps and seed expansion not
    /// included).
    pub(crate) const fn schedule_steps(&self) -> u64 {
        self.steps
    }

    /// Produces the next output of the `2^k` schedule (which may be padding).
    fn schedule_output(&mut self) -> Option<Pebble> {
        let big_n = 1u64 << self.k;
        if self.poisoned || self.outputs >= big_n {
            return None;
        }
        let out = if self.outputs == 0 {
            // The last word of the chain, one step past pebble 0.
            if self.k == 0 {
                self.z[0]
            } else {
                self.count_step(self.z[0]);
                forward::<H>(&self.params, self.z[0])
            }
        } else {
            let out = self.z[0];
            let round = big_n - self.outputs;
            if self.round(round).is_none() {
                self.poisoned = true;
                return None;
            }
            out
        };
        self.outputs += 1;
        Some(out)
    }

    /// The pebble moves after output round `r` (`2^k − 1 ≥ r ≥ 1`): shift the
    /// pebbles below the lowest set bit of `r`, start a new job when the next
    /// bit is set, and give each running job its share of `⌈k/2⌉` hashes.
    /// Returns `None` if the state is inconsistent (only possible for a decoded
    /// state that this library did not write).
    fn round(&mut self, r: u64) -> Option<()> {
        let mut c = r;
        let mut i = 0usize;
        while c & 1 == 0 {
            let next = *self.z.get(i + 1)?;
            *self.z.get_mut(i)? = next;
            i += 1;
            c >>= 1;
        }
        i += 1;
        c >>= 1;
        if c & 1 == 1 {
            let slot = self.jobs.get_mut(usize::from(self.njobs))?;
            *slot = Job {
                q: u8::try_from(i).ok()?,
                g: 0,
            };
            self.njobs += 1;
        }
        let mut u = usize::from(self.njobs);
        let mut w = (r & 1) as usize + i + 1;
        while c != 0 {
            while c & 1 == 0 {
                w += 1;
                c >>= 1;
            }
            u = u.checked_sub(1)?;
            let Job { mut q, mut g } = *self.jobs.get(u)?;
            for _ in 0..w / 2 {
                let src = *self.z.get(usize::from(q))?;
                if g == 0 {
                    q = q.checked_sub(1)?;
                    g = 1u64.checked_shl(u32::from(q))?;
                }
                self.count_step(src);
                *self.z.get_mut(usize::from(q))? = forward::<H>(&self.params, src);
                g -= 1;
            }
            if q != 0 {
                *self.jobs.get_mut(u)? = Job { q, g };
            } else {
                self.njobs = self.njobs.checked_sub(1)?;
            }
            w &= 1;
            while c & 1 == 1 {
                w += 1;
                c >>= 1;
            }
        }
        Some(())
    }

    /// Writes the state into `out` and returns the number of bytes written
    /// (at most [`Self::MAX_ENCODED_LEN`]; `out` shorter than that is filled
    /// as far as it goes and the return value says how far it would have gone).
    ///
    /// Layout: version `1`, hash tag, chain id (16), length `n` (u32 BE),
    /// paywords emitted (u32 BE), `k` pebbles (position u32 BE ‖ word), number
    /// of jobs, jobs (slot u8 ‖ steps u64 BE), anchor (32).
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = crate::wire::Writer::new(out);
        w.put_u8(1);
        w.put_u8(self.params.alg().tag());
        w.put(self.params.id().as_bytes());
        w.put_u32(self.params.length());
        w.put_u32(self.emitted);
        for p in self.z.iter().take(usize::from(self.k.max(1))) {
            w.put_u32(p.t);
            w.put(&p.word);
        }
        w.put_u8(self.njobs);
        for j in self.jobs.iter().take(usize::from(self.njobs)) {
            w.put_u8(j.q);
            w.put_u64(j.g);
        }
        w.put(self.anchor.as_bytes());
        w.position()
    }

    /// Encodes into a fresh zeroizing buffer.
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_bytes(&self) -> zeroize::Zeroizing<alloc::vec::Vec<u8>> {
        crate::bytes::secret_bytes(Self::MAX_ENCODED_LEN, |out| self.encode(out))
    }

    /// Restores a state written by [`Self::encode`].
    ///
    /// Every field is range-checked; a state that passes the checks but was not
    /// written by this library yields wrong words (which vendors reject as
    /// forgeries), never a panic or unbounded work.
    ///
    /// # Errors
    ///
    /// [`PebblerStateError`] naming what was wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, PebblerStateError> {
        use PebblerStateError as E;
        let mut r = crate::wire::Reader::new(bytes);
        let short = |_| E::Truncated;
        if r.u8("version").map_err(short)? != 1 {
            return Err(E::UnknownVersion);
        }
        let alg = HashAlg::from_tag(r.u8("hash").map_err(short)?).ok_or(E::WrongHash)?;
        if alg != H::ALG {
            return Err(E::WrongHash);
        }
        let id = super::ChainId::from_bytes(r.array::<16>("chain id").map_err(short)?);
        let n = r.u32("length").map_err(short)?;
        let params = ChainParams::new(alg, id, n.into()).map_err(|_| E::BadField("length"))?;
        let emitted = r.u32("emitted").map_err(short)?;
        if emitted > n {
            return Err(E::BadField("emitted"));
        }
        let k = ceil_log2(n);
        let big_n = 1u64 << k;
        let mut z = [Pebble {
            t: 0,
            word: [0; 32],
        }; MAX_PEBBLES];
        for slot in z.iter_mut().take(usize::from(k.max(1))) {
            let t = r.u32("pebble position").map_err(short)?;
            if u64::from(t) >= big_n {
                return Err(E::BadField("pebble position"));
            }
            *slot = Pebble {
                t,
                word: r.array::<32>("pebble word").map_err(short)?,
            };
        }
        let njobs = r.u8("jobs").map_err(short)?;
        if usize::from(njobs) > usize::from(k / 2) {
            return Err(E::BadField("jobs"));
        }
        let mut jobs = [Job::default(); MAX_JOBS];
        for job in jobs.iter_mut().take(usize::from(njobs)) {
            let q = r.u8("job slot").map_err(short)?;
            let g = r.u64("job steps").map_err(short)?;
            if q == 0 || q >= k || g > (1u64 << q) {
                return Err(E::BadField("job"));
            }
            *job = Job { q, g };
        }
        let anchor = Anchor::from_bytes(r.array::<32>("anchor").map_err(short)?);
        r.finish().map_err(|_| E::TrailingData)?;
        let outputs = big_n - u64::from(n) + u64::from(emitted);
        Ok(Self {
            params,
            anchor,
            k,
            emitted,
            outputs,
            z,
            jobs,
            njobs,
            poisoned: false,
            steps: 0,
            _hash: core::marker::PhantomData,
        })
    }
}

/// Why a persisted [`Pebbler`] state was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PebblerStateError {
    /// The bytes ended early.
    Truncated,
    /// Bytes after the end of the state.
    TrailingData,
    /// The version byte is not 1.
    UnknownVersion,
    /// The hash tag is unknown or not this pebbler's hash.
    WrongHash,
    /// A field is out of range.
    BadField(&'static str),
}

impl fmt::Display for PebblerStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("pebbler state is truncated"),
            Self::TrailingData => f.write_str("trailing bytes after pebbler state"),
            Self::UnknownVersion => f.write_str("unknown pebbler state version"),
            Self::WrongHash => f.write_str("pebbler state is for another hash"),
            Self::BadField(name) => write!(f, "pebbler state field out of range: {name}"),
        }
    }
}

impl core::error::Error for PebblerStateError {}

impl<H: TweakableHash> Traversal for Pebbler<H> {
    fn params(&self) -> &ChainParams {
        &self.params
    }

    fn anchor(&self) -> Anchor {
        self.anchor
    }

    fn emitted(&self) -> u32 {
        self.emitted
    }

    fn next_payword(&mut self) -> Option<Payword> {
        let index = self.emitted.checked_add(1)?;
        let p = self.schedule_output()?;
        // The schedule's output is always `w_{emitted+1}`. A pebble at any
        // other position comes from a decoded state this library did not
        // write: stop rather than emit an index out of order.
        if self.params.length().checked_sub(p.t) != Some(index) {
            self.poisoned = true;
            return None;
        }
        self.emitted = index;
        Some(Payword::new(index, Word::from_bytes(p.word)))
    }
}

impl<H: TweakableHash> Iterator for Pebbler<H> {
    type Item = Payword;
    fn next(&mut self) -> Option<Payword> {
        self.next_payword()
    }
}

#[cfg(feature = "alloc")]
mod with_alloc {
    use alloc::vec::Vec;

    use super::*;

    fn reserve(v: &mut Vec<[u8; 32]>, words: u64) -> Result<(), ChainError> {
        usize::try_from(words)
            .ok()
            .and_then(|w| v.try_reserve_exact(w).ok())
            .ok_or(ChainError::OutOfMemory { words })
    }

    /// Keeps every word: no hash per payword, `n` words of memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Sha256, StoreAll, Traversal};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), 5)?;
    /// let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params)?;
    /// assert_eq!(wallet.map(|p| p.index()).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    /// # Ok::<(), payword::ChainError>(())
    /// ```
    #[derive(Clone)]
    pub struct StoreAll<H: TweakableHash> {
        params: ChainParams,
        anchor: Anchor,
        /// `words[j] = w_{n−j}`: popped from the end in payment order.
        words: Vec<[u8; 32]>,
        emitted: u32,
        _hash: core::marker::PhantomData<H>,
    }

    impl<H: TweakableHash> StoreAll<H> {
        /// Computes and keeps the whole chain (`n + 1` hashes).
        ///
        /// # Errors
        ///
        /// [`ChainError::AlgMismatch`], or [`ChainError::OutOfMemory`] if `n`
        /// words cannot be reserved.
        pub fn new(seed: &ChainSeed, params: ChainParams) -> Result<Self, ChainError> {
            params.check_alg::<H>()?;
            let mut words = Vec::new();
            reserve(&mut words, params.length().into())?;
            let anchor = sweep::<H>(seed, &params, 0..params.length(), |_, w| {
                words.push(w.to_bytes());
            })?;
            Ok(Self {
                params,
                anchor,
                words,
                emitted: 0,
                _hash: core::marker::PhantomData,
            })
        }
    }

    impl<H: TweakableHash> Drop for StoreAll<H> {
        fn drop(&mut self) {
            self.words.zeroize();
        }
    }

    impl<H: TweakableHash> ZeroizeOnDrop for StoreAll<H> {}

    impl<H: TweakableHash> fmt::Debug for StoreAll<H> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("StoreAll")
                .field("params", &self.params)
                .field("emitted", &self.emitted)
                .finish_non_exhaustive()
        }
    }

    impl<H: TweakableHash> Traversal for StoreAll<H> {
        fn params(&self) -> &ChainParams {
            &self.params
        }
        fn anchor(&self) -> Anchor {
            self.anchor
        }
        fn emitted(&self) -> u32 {
            self.emitted
        }
        fn next_payword(&mut self) -> Option<Payword> {
            let mut w = self.words.pop()?;
            self.emitted += 1;
            let p = Payword::new(self.emitted, Word::from_bytes(w));
            w.zeroize();
            Some(p)
        }
    }

    impl<H: TweakableHash> Iterator for StoreAll<H> {
        type Item = Payword;
        fn next(&mut self) -> Option<Payword> {
            self.next_payword()
        }
    }

    /// Keeps a checkpoint every `c` words and one segment of `c` words at a
    /// time: `⌈n/c⌉ + c` words, each word hashed once more when its segment is
    /// refilled (`c − 1` hashes at the start of a segment, none otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Checkpoints, ChainId, ChainParams, ChainSeed, HashAlg, Sha256, Traversal};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), 1000)?;
    /// let mut wallet = Checkpoints::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params, 32)?;
    /// assert_eq!(wallet.advance(500).unwrap().index(), 500);
    /// # Ok::<(), payword::ChainError>(())
    /// ```
    #[derive(Clone)]
    pub struct Checkpoints<H: TweakableHash> {
        params: ChainParams,
        anchor: Anchor,
        interval: u32,
        /// `checkpoints[s] = w_{min((s+1)c, n)}`, the top of segment `s`.
        checkpoints: Vec<[u8; 32]>,
        /// The current segment, `segment[j] = w_{top − j}`: popping from the end
        /// gives the lowest index first.
        segment: Vec<[u8; 32]>,
        emitted: u32,
        _hash: core::marker::PhantomData<H>,
    }

    impl<H: TweakableHash> Checkpoints<H> {
        /// Sweeps the chain once (`n + 1` hashes) keeping every `interval`-th
        /// word.
        ///
        /// # Errors
        ///
        /// [`ChainError::BadInterval`] for an interval of 0,
        /// [`ChainError::AlgMismatch`], [`ChainError::OutOfMemory`].
        pub fn new(
            seed: &ChainSeed,
            params: ChainParams,
            interval: u32,
        ) -> Result<Self, ChainError> {
            params.check_alg::<H>()?;
            if interval == 0 {
                return Err(ChainError::BadInterval);
            }
            let n = params.length();
            let c = interval.min(n);
            let count = n.div_ceil(c);
            let mut checkpoints = Vec::new();
            reserve(&mut checkpoints, count.into())?;
            checkpoints.resize(count as usize, [0u8; 32]);
            let mut segment = Vec::new();
            reserve(&mut segment, c.into())?;
            // The tops of the segments, from the highest index down.
            let tops = (0..count)
                .rev()
                .map(|s| n - s.saturating_add(1).saturating_mul(c).min(n));
            let anchor = sweep::<H>(seed, &params, tops, |t, w| {
                let index = n - t;
                // Segment s covers (s·c, min((s+1)c, n)]; its top is a checkpoint.
                let s = (index - 1) / c;
                let top = s.saturating_add(1).saturating_mul(c).min(n);
                if index == top
                    && let Some(slot) = checkpoints.get_mut(s as usize)
                {
                    *slot = w.to_bytes();
                }
            })?;
            Ok(Self {
                params,
                anchor,
                interval: c,
                checkpoints,
                segment,
                emitted: 0,
                _hash: core::marker::PhantomData,
            })
        }

        /// Refills the segment that holds `w_{emitted+1}`.
        fn refill(&mut self) -> Option<()> {
            let next = self.emitted.checked_add(1)?;
            let s = (next - 1) / self.interval;
            let top = s
                .saturating_add(1)
                .saturating_mul(self.interval)
                .min(self.params.length());
            let mut w = Word::from_bytes(*self.checkpoints.get(s as usize)?);
            self.segment.clear();
            let mut i = top;
            loop {
                self.segment.push(w.to_bytes());
                if i == next {
                    break;
                }
                w = H::chain_step(self.params.id(), i, &w);
                i -= 1;
            }
            if let Some(cp) = self.checkpoints.get_mut(s as usize) {
                cp.zeroize();
            }
            Some(())
        }
    }

    impl<H: TweakableHash> Drop for Checkpoints<H> {
        fn drop(&mut self) {
            self.checkpoints.zeroize();
            self.segment.zeroize();
        }
    }

    impl<H: TweakableHash> ZeroizeOnDrop for Checkpoints<H> {}

    impl<H: TweakableHash> fmt::Debug for Checkpoints<H> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Checkpoints")
                .field("params", &self.params)
                .field("interval", &self.interval)
                .field("emitted", &self.emitted)
                .finish_non_exhaustive()
        }
    }

    impl<H: TweakableHash> Traversal for Checkpoints<H> {
        fn params(&self) -> &ChainParams {
            &self.params
        }
        fn anchor(&self) -> Anchor {
            self.anchor
        }
        fn emitted(&self) -> u32 {
            self.emitted
        }
        fn next_payword(&mut self) -> Option<Payword> {
            if self.emitted >= self.params.length() {
                return None;
            }
            if self.segment.is_empty() {
                self.refill()?;
            }
            let mut w = self.segment.pop()?;
            self.emitted += 1;
            let p = Payword::new(self.emitted, Word::from_bytes(w));
            w.zeroize();
            Some(p)
        }
    }

    impl<H: TweakableHash> Iterator for Checkpoints<H> {
        type Item = Payword;
        fn next(&mut self) -> Option<Payword> {
            self.next_payword()
        }
    }
}

#[cfg(feature = "alloc")]
pub use with_alloc::{Checkpoints, StoreAll};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{ChainId, word_at};
    use crate::hash::Sha256;

    fn params(n: u64) -> ChainParams {
        ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x11; 16]), n).unwrap()
    }

    #[test]
    fn pebbler_matches_direct_words_small_n() {
        let seed = ChainSeed::from_bytes([0x22; 32]);
        for n in 1..=70u32 {
            let p = params(n.into());
            let mut peb = Pebbler::<Sha256>::new(&seed, p).unwrap();
            assert_eq!(
                peb.anchor().as_word(),
                word_at::<Sha256>(&seed, &p, 0).unwrap()
            );
            for i in 1..=n {
                let got = peb.next_payword().unwrap();
                assert_eq!(got.index(), i, "n={n}");
                assert_eq!(
                    *got.word(),
                    word_at::<Sha256>(&seed, &p, i).unwrap(),
                    "n={n} i={i}"
                );
            }
            assert_eq!(peb.next_payword(), None);
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn all_strategies_agree() {
        let seed = ChainSeed::from_bytes([0x33; 32]);
        for n in [1u32, 2, 3, 7, 8, 64, 65, 100] {
            let p = params(n.into());
            let a: Vec<_> = Pebbler::<Sha256>::new(&seed, p).unwrap().collect();
            let b: Vec<_> = StoreAll::<Sha256>::new(&seed, p).unwrap().collect();
            for c in [1u32, 3, 8, 1000] {
                let d: Vec<_> = Checkpoints::<Sha256>::new(&seed, p, c).unwrap().collect();
                assert_eq!(a, d, "n={n} c={c}");
            }
            assert_eq!(a, b);
            assert_eq!(a.len(), n as usize);
        }
    }
}
