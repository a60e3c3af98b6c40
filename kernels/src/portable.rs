//! The portable backend and the reference: safe Rust over
//! `sha2::block_api::compress256`, the compression the core itself calls.
//!
//! `compress256` picks its own implementation: its software one under miri,
//! on targets without a SHA-256 unit and when built with
//! `--cfg sha2_backend="soft"`, otherwise the CPU's SHA extension. Either way
//! it is code independent of this crate's kernels, which is what a reference
//! needs.

use crate::Lane;
use crate::consts::{IV, W15_LEN, state_to_word};

/// The padded block of one chain step, built once per walk; each step
/// rewrites the position (bytes 17..21) and the word (bytes 21..53).
struct StepBlock([u8; 64]);

impl StepBlock {
    const POS: usize = 17;
    const WORD: usize = 21;

    fn new(id: &[u8; 16]) -> Self {
        let mut b = [0u8; 64];
        b[0] = crate::consts::ROLE_CHAIN_STEP;
        b[1..Self::POS].copy_from_slice(id);
        b[Self::WORD + 32] = 0x80;
        b[56..].copy_from_slice(&u64::from(W15_LEN).to_be_bytes());
        Self(b)
    }

    fn compress(&mut self, position: u32, word: &[u8; 32]) -> [u8; 32] {
        self.0[Self::POS..Self::WORD].copy_from_slice(&position.to_be_bytes());
        self.0[Self::WORD..Self::WORD + 32].copy_from_slice(word);
        let mut state = IV;
        sha2::block_api::compress256(&mut state, core::slice::from_ref(&self.0));
        state_to_word(&state)
    }
}

/// Steps at positions `from, from - 1, …, to + 1`; `word` unchanged if
/// `from <= to`.
pub(crate) fn walk(id: &[u8; 16], from: u32, word: &[u8; 32], to: u32) -> [u8; 32] {
    let mut w = *word;
    if from <= to {
        return w;
    }
    let mut block = StepBlock::new(id);
    let mut p = from;
    while p > to {
        w = block.compress(p, &w);
        p -= 1;
    }
    w
}

/// Every lane walked on its own.
pub(crate) fn walk_many(lanes: &mut [Lane]) {
    for lane in lanes {
        lane.word = walk(&lane.id, lane.from, &lane.word, lane.to);
        lane.from = lane.to;
    }
}
