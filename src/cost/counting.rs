//! The per-thread counters and the counting hash wrapper.

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

    const fn minus(self, before: Self) -> Self {
        Self {
            chain_steps: self.chain_steps.wrapping_sub(before.chain_steps),
            words: self.words.wrapping_sub(before.words),
            parts: self.parts.wrapping_sub(before.parts),
        }
    }
}

/// Everything counted on this thread: hashes, and (with the feature `count`)
/// signatures made and verified and symmetric MAC operations.
///
/// Message digests computed to sign or verify a message are not hashes here:
/// they go with the signature (one per signed object). LMS and LM-OTS
/// signatures count as one signature each, not as their internal hashes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tally {
    /// Tweakable-hash calls.
    pub hashes: HashCount,
    /// Signatures made ([`Signed::sign`](crate::Signed::sign) and LM-OTS
    /// renewal links).
    pub signatures_made: u64,
    /// Signatures verified ([`PublicKey::verify`](crate::PublicKey::verify)
    /// and LM-OTS renewal links), whatever the outcome.
    pub signatures_verified: u64,
    /// HMAC computations and AEAD seals and opens (symmetric sessions).
    pub macs: u64,
}

impl Tally {
    #[cfg_attr(not(feature = "count"), allow(dead_code))]
    const fn minus(self, before: Self) -> Self {
        Self {
            hashes: self.hashes.minus(before.hashes),
            signatures_made: self.signatures_made.wrapping_sub(before.signatures_made),
            signatures_verified: self
                .signatures_verified
                .wrapping_sub(before.signatures_verified),
            macs: self.macs.wrapping_sub(before.macs),
        }
    }
}

std::thread_local! {
    static TALLY: Cell<Tally> = const {
        Cell::new(Tally {
            hashes: HashCount { chain_steps: 0, words: 0, parts: 0 },
            signatures_made: 0,
            signatures_verified: 0,
            macs: 0,
        })
    };
}

std::thread_local! {
    /// What [`Counting`] wrappers computed: separate from the `count`
    /// tally, so a `Counting` measure means the same whatever features the
    /// build unifies.
    static WRAPPED: Cell<HashCount> = const { Cell::new(HashCount { chain_steps: 0, words: 0, parts: 0 }) };
}

#[cfg_attr(not(feature = "count"), allow(dead_code))]
pub(super) fn bump(f: impl FnOnce(&mut Tally)) {
    TALLY.with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

/// Runs `f` and returns its result with everything it computed on this
/// thread: hashes of every kind, signatures made and verified, MACs.
///
/// Needs the feature `count`, which counts at the sources of cost (so it
/// sees the hashes of sessions and brokers, which pick [`Sha256`](crate::Sha256)
/// or [`Blake3`](crate::Blake3) at run time). The counters cost a
/// thread-local increment per call.
///
/// Not counted as hashes: message digests (one per signed object; they go
/// with its signature), the compressions inside an HMAC (one MAC each) or
/// an LMS / LM-OTS signature (one signature each), the wallet state's
/// checksums. Work done on other threads is not seen (for example
/// [`Broker::redeem_batch`](crate::Broker::redeem_batch) with the feature
/// `rayon`): measure on one thread.
///
/// # Examples
///
/// ```
/// use payword::cost::measure;
/// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Receiver, Sha256, StoreAll, Traversal};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 100)?;
/// let (wallet, setup) = measure(|| StoreAll::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params));
/// let mut wallet = wallet?;
/// assert_eq!(setup.hashes.chain_steps, 100); // w_100 .. w_0
/// let mut vendor = Receiver::<Sha256>::new(params, wallet.anchor())?;
/// let p = wallet.advance(7).expect("7 paywords");
/// let (paid, cost) = measure(|| vendor.accept(&p));
/// assert_eq!(paid, Ok(7));
/// assert_eq!(cost.hashes.chain_steps, 7);
/// assert_eq!(cost.signatures_verified, 0);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[cfg(feature = "count")]
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Tally) {
    let before = TALLY.with(Cell::get);
    let r = f();
    let after = TALLY.with(Cell::get);
    (r, after.minus(before))
}

/// `H`, counting its calls on the current thread.
///
/// `Counting<H>` counts its own calls only, in counters of its own: with
/// the feature `count` (which counts every hash at its source, see
/// `cost::measure`) a `Counting` measure is unchanged.
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
    /// Sets this thread's `Counting` counters to zero.
    pub fn reset() {
        WRAPPED.with(|c| c.set(HashCount::default()));
    }

    /// The hashes `Counting` wrappers computed on this thread.
    #[must_use]
    pub fn get() -> HashCount {
        WRAPPED.with(Cell::get)
    }

    /// Runs `f` and returns its result with the hashes it made on this thread.
    pub fn measure<R>(f: impl FnOnce() -> R) -> (R, HashCount) {
        let before = Self::get();
        let r = f();
        (r, Self::get().minus(before))
    }
}

fn wrap_bump(f: impl FnOnce(&mut HashCount)) {
    WRAPPED.with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

impl<H: TweakableHash> sealed::Sealed for Counting<H> {}

impl<H: TweakableHash> TweakableHash for Counting<H> {
    const ALG: HashAlg = H::ALG;

    fn chain_step(chain_id: &ChainId, position: u32, word: &Word) -> Word {
        wrap_bump(|c| c.chain_steps = c.chain_steps.wrapping_add(1));
        H::chain_step(chain_id, position, word)
    }

    fn hash_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32] {
        wrap_bump(|c| c.words = c.words.wrapping_add(1));
        H::hash_word(tweak, word)
    }

    fn hash_parts(tweak: &Tweak, parts: &[&[u8]]) -> [u8; 32] {
        wrap_bump(|c| c.parts = c.parts.wrapping_add(1));
        H::hash_parts(tweak, parts)
    }
}
