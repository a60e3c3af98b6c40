//! Cost accounting: a counting wrapper over the hash layer.
//!
//! [`Counting<H>`] is a [`TweakableHash`] that computes exactly what `H`
//! computes and counts every call in a per-thread counter, so tests and
//! researchers can state costs as exact hash counts (deterministic, unlike
//! time). Counts are per thread: run the code to be measured on the thread
//! that reads them.

use core::cell::Cell;
use core::marker::PhantomData;

use crate::chain::{ChainId, Word};
use crate::hash::{HashAlg, Tweak, TweakableHash, sealed};

/// Hash calls counted on this thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HashCount {
    /// Chain steps ([`TweakableHash::chain_step`]).
    pub chain_steps: u64,
    /// One-block hashes of any other role ([`TweakableHash::hash_word`]).
    pub words: u64,
    /// Variable-length hashes ([`TweakableHash::hash_parts`]).
    pub parts: u64,
}

impl HashCount {
    /// All hash calls.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.chain_steps
            .saturating_add(self.words)
            .saturating_add(self.parts)
    }
}

std::thread_local! {
    static COUNT: Cell<HashCount> = const { Cell::new(HashCount { chain_steps: 0, words: 0, parts: 0 }) };
}

fn bump(f: impl FnOnce(&mut HashCount)) {
    COUNT.with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

/// `H`, counting its calls on the current thread.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, Counting, Sha256, TweakableHash, Word};
///
/// let (_, cost) = Counting::<Sha256>::measure(|| {
///     Counting::<Sha256>::chain_step(&ChainId::from_bytes([0; 16]), 1, &Word::from_bytes([0; 32]))
/// });
/// assert_eq!(cost.chain_steps, 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counting<H>(PhantomData<H>);

impl<H: TweakableHash> Counting<H> {
    /// Sets this thread's counters to zero.
    pub fn reset() {
        COUNT.with(|c| c.set(HashCount::default()));
    }

    /// This thread's counters.
    #[must_use]
    pub fn get() -> HashCount {
        COUNT.with(Cell::get)
    }

    /// Runs `f` and returns its result with the hashes it made on this thread.
    pub fn measure<R>(f: impl FnOnce() -> R) -> (R, HashCount) {
        let before = Self::get();
        let r = f();
        let after = Self::get();
        (
            r,
            HashCount {
                chain_steps: after.chain_steps.wrapping_sub(before.chain_steps),
                words: after.words.wrapping_sub(before.words),
                parts: after.parts.wrapping_sub(before.parts),
            },
        )
    }
}

impl<H: TweakableHash> sealed::Sealed for Counting<H> {}

impl<H: TweakableHash> TweakableHash for Counting<H> {
    const ALG: HashAlg = H::ALG;

    fn chain_step(chain_id: &ChainId, position: u32, word: &Word) -> Word {
        bump(|c| c.chain_steps = c.chain_steps.wrapping_add(1));
        H::chain_step(chain_id, position, word)
    }

    fn hash_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32] {
        bump(|c| c.words = c.words.wrapping_add(1));
        H::hash_word(tweak, word)
    }

    fn hash_parts(tweak: &Tweak, parts: &[&[u8]]) -> [u8; 32] {
        bump(|c| c.parts = c.parts.wrapping_add(1));
        H::hash_parts(tweak, parts)
    }
}
