//! Every backend this CPU has against the portable reference, on random
//! chains: ids, words, positions anywhere in `u32` (including where the
//! position's bytes carry), lengths 0..=300, batches of 0..=70 lanes of
//! different lengths (and of one common length, the vector kernels' fast
//! path).
//!
//! Not under miri: there the portable backend is the only one, and it is
//! the reference.
#![cfg(not(miri))]

use payword_kernels::{Backend, Lane, walk_many_with, walk_with};
use proptest::prelude::*;

fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    for b in Backend::ALL.into_iter().filter(|&b| b != Backend::Portable) {
        if b.available() {
            out.push(b);
        } else {
            eprintln!("skipped: backend {b} not available on this CPU");
        }
    }
    out
}

/// A position: anywhere, or near the byte boundaries the kernels split it
/// at (message words W4 and W5 hold bytes 0..3 and 3 of it).
fn position() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        (0u32..600),
        (0u32..4, 0u32..600).prop_map(|(k, d)| (1u32 << (8 * k)).wrapping_add(d)),
        (0u32..600).prop_map(|d| u32::MAX - d),
    ]
}

/// A lane of up to `max_len` steps (sometimes `from <= to`).
fn lane(max_len: u32) -> impl Strategy<Value = Lane> {
    (
        any::<[u8; 16]>(),
        any::<[u8; 32]>(),
        position(),
        0..=max_len,
        any::<bool>(),
    )
        .prop_map(|(id, word, p, len, up)| {
            let (from, to) = if up && len % 7 == 0 {
                // Backwards or empty: the word is kept.
                (p.saturating_sub(len), p)
            } else {
                (p.max(len), p.max(len) - len)
            };
            Lane { id, from, to, word }
        })
}

fn reference(lanes: &[Lane]) -> Vec<Lane> {
    let mut want = lanes.to_vec();
    walk_many_with(Backend::Portable, &mut want).unwrap();
    want
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn walk_matches_portable(l in lane(300)) {
        let want = walk_with(Backend::Portable, &l.id, l.from, &l.word, l.to).unwrap();
        for b in backends() {
            prop_assert_eq!(walk_with(b, &l.id, l.from, &l.word, l.to).unwrap(), want, "{}", b);
        }
    }

    #[test]
    fn walk_many_matches_portable(lanes in prop::collection::vec(lane(300), 0..=70)) {
        let want = reference(&lanes);
        for (w, l) in want.iter().zip(&lanes) {
            prop_assert_eq!(w.from, l.to);
        }
        for b in backends() {
            let mut got = lanes.clone();
            walk_many_with(b, &mut got).unwrap();
            prop_assert_eq!(&got, &want, "{}", b);
        }
    }

    #[test]
    fn walk_many_of_equal_lengths_matches_portable(
        lanes in prop::collection::vec(lane(0), 0..=70),
        len in prop_oneof![Just(1u32), 0u32..=300],
        odd in prop::option::of(0usize..70),
    ) {
        // One common length (each from raised to fit), one lane maybe off.
        let mut lanes: Vec<Lane> = lanes
            .into_iter()
            .map(|l| Lane { from: l.to.saturating_add(len), ..l })
            .map(|l| Lane { to: l.from - len.min(l.from), ..l })
            .collect();
        if let Some(l) = odd.and_then(|i| lanes.get_mut(i)) {
            l.to = l.from.saturating_sub(len / 2);
        }
        let want = reference(&lanes);
        for b in backends() {
            let mut got = lanes.clone();
            walk_many_with(b, &mut got).unwrap();
            prop_assert_eq!(&got, &want, "{}", b);
        }
    }
}
