//! Cost accounting: counting what the protocol computes, and the public cost
//! model that predicts it.
//!
//! - [`Counting<H>`] (feature `std`) is a [`TweakableHash`](crate::TweakableHash)
//!   that computes exactly what `H` computes and counts every call.
//! - With the feature `count`, *every* hash, signature and MAC the crate
//!   computes on a thread is counted at its source (the SHA-256 and BLAKE3
//!   hash layer, [`Signed::sign`](crate::Signed::sign),
//!   [`PublicKey::verify`](crate::PublicKey::verify), the LM-OTS renewal
//!   links, the symmetric sessions' HMACs and AEAD), so the sessions and the
//!   broker, which pick their hash at run time from a commitment, are counted
//!   too: see `measure` (feature `count`).
//! - [`model`] (always available, `no_std`) gives the exact per-party costs of
//!   every scheme for a workload; the lab member's tests run the real protocol
//!   under `count` and assert equality.
//!
//! Counts are per thread: run the code to be measured on the thread that reads
//! them.

#[cfg(feature = "std")]
mod counting;
pub mod model;

#[cfg(feature = "count")]
pub use counting::measure;
#[cfg(feature = "std")]
pub use counting::{Counting, HashCount, Tally};

// Hooks at the sources of cost. Without `count` they are empty and vanish.

/// `n` chain steps were computed.
#[inline(always)]
pub(crate) fn on_chain_steps(n: u64) {
    #[cfg(feature = "count")]
    counting::bump(|t| t.hashes.chain_steps = t.hashes.chain_steps.wrapping_add(n));
    let _ = n;
}

/// One single-block hash (`hash_word`) was computed.
#[inline(always)]
pub(crate) fn on_word() {
    #[cfg(feature = "count")]
    counting::bump(|t| t.hashes.words = t.hashes.words.wrapping_add(1));
}

/// One variable-length hash (`hash_parts`) was computed.
#[inline(always)]
pub(crate) fn on_parts() {
    #[cfg(feature = "count")]
    counting::bump(|t| t.hashes.parts = t.hashes.parts.wrapping_add(1));
}

/// A signature was made.
#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
#[inline(always)]
pub(crate) fn on_signed() {
    #[cfg(feature = "count")]
    counting::bump(|t| t.signatures_made = t.signatures_made.wrapping_add(1));
}

/// A signature was verified (whatever the outcome).
#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
#[inline(always)]
pub(crate) fn on_verified() {
    #[cfg(feature = "count")]
    counting::bump(|t| t.signatures_verified = t.signatures_verified.wrapping_add(1));
}

/// A MAC was computed or an AEAD sealed or opened.
#[cfg_attr(not(feature = "symmetric"), allow(dead_code))]
#[inline(always)]
pub(crate) fn on_mac() {
    #[cfg(feature = "count")]
    counting::bump(|t| t.macs = t.macs.wrapping_add(1));
}
