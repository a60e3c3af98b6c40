//! The SIMD chain kernels (`payword-kernels`) against their portable path.
//!
//! Input: a sequence of 56-byte lane records `id (16) ‖ from (u16) ‖ to
//! (u16) ‖ word (32) ‖ backend selector (4)`; lengths are taken modulo 512
//! so a run stays fast. Every backend the CPU has must give, for the whole
//! batch (`walk_many_with`) and for each lane alone (`walk_with`), exactly
//! the words of the portable path, with `from` set to `to`.

use payword_kernels::{Backend, Lane, walk_many_with, walk_with};

/// Bytes per lane record.
const RECORD: usize = 56;
/// The most lanes one input makes.
const MAX_LANES: usize = 80;

fn lanes(data: &[u8]) -> Vec<Lane> {
    data.chunks_exact(RECORD)
        .take(MAX_LANES)
        .map(|r| {
            let mut id = [0u8; 16];
            id.copy_from_slice(&r[..16]);
            let from = u32::from(u16::from_be_bytes([r[16], r[17]])) % 512;
            let to = u32::from(u16::from_be_bytes([r[18], r[19]])) % 512;
            let mut word = [0u8; 32];
            word.copy_from_slice(&r[20..52]);
            Lane { id, from, to, word }
        })
        .collect()
}

/// The fuzz target.
pub fn kernel_lanes(data: &[u8]) {
    let input = lanes(data);
    let mut want = input.clone();
    walk_many_with(Backend::Portable, &mut want).expect("the portable path is always there");
    for (lane, w) in input.iter().zip(&want) {
        assert_eq!(w.from, lane.to);
        if lane.from <= lane.to {
            assert_eq!(w.word, lane.word, "a lane with from <= to is unchanged");
        }
    }
    for b in Backend::ALL.into_iter().filter(|b| b.available()) {
        let mut got = input.clone();
        walk_many_with(b, &mut got).expect("available");
        assert_eq!(got, want, "walk_many on {b}");
        for (lane, w) in input.iter().zip(&want) {
            let one = walk_with(b, &lane.id, lane.from, &lane.word, lane.to).expect("available");
            assert_eq!(one, w.word, "walk on {b}");
        }
    }
}

/// Seeds: one lane of each kind (one step, many steps, none, from < to) and
/// a mixed batch of 40 lanes of different lengths.
pub fn seeds() -> Vec<crate::corpus::Seed> {
    let record = |i: u8, from: u16, to: u16| {
        let mut r = vec![i; 16];
        r.extend(from.to_be_bytes());
        r.extend(to.to_be_bytes());
        r.extend([i ^ 0x5a; 32]);
        r.extend([i; 4]);
        r
    };
    let mut mixed = Vec::new();
    for i in 0..40u8 {
        mixed.extend(record(i, u16::from(i) * 7 + 1, u16::from(i % 3)));
    }
    vec![
        ("kernel_lanes", "one-step".into(), record(1, 1, 0)),
        ("kernel_lanes", "long".into(), record(2, 300, 0)),
        ("kernel_lanes", "empty-walk".into(), record(3, 5, 9)),
        ("kernel_lanes", "mixed-40".into(), mixed),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_pass() {
        for (_, _, bytes) in seeds() {
            kernel_lanes(&bytes);
        }
    }
}
