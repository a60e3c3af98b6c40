//! Known answers: the chain step as SHA-256 of the 53-byte message
//! (computed here with the `sha2` crate's ordinary hasher, independent of
//! the block the kernels build), fixed vectors computed with another
//! SHA-256 implementation (Python's `hashlib`), and the core's published
//! chain vectors (`tests/vectors/chains.json` of `payword`), on every
//! backend this CPU has.

use payword_kernels::{Backend, Lane, walk, walk_many, walk_many_with, walk_with};
use sha2::{Digest, Sha256};

/// `w[p - 1] = SHA-256(0x01 ‖ id ‖ u32_be(p) ‖ w[p])`, the textbook way.
fn step(id: &[u8; 16], p: u32, w: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(id);
    h.update(p.to_be_bytes());
    h.update(w);
    h.finalize().into()
}

fn naive_walk(id: &[u8; 16], from: u32, word: &[u8; 32], to: u32) -> [u8; 32] {
    let mut w = *word;
    let mut p = from;
    while p > to {
        w = step(id, p, &w);
        p -= 1;
    }
    w
}

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    assert_eq!(s.len(), 2 * N, "{s}");
    core::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
}

fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    for b in Backend::ALL {
        if b.available() {
            out.push(b);
        } else {
            eprintln!("skipped: backend {b} not available on this CPU");
        }
    }
    out
}

/// Checks `walk` and `walk_many` (one lane, and the lane among others) of
/// every backend against `want`.
fn check(id: [u8; 16], from: u32, word: [u8; 32], to: u32, want: [u8; 32]) {
    for b in backends() {
        assert_eq!(
            walk_with(b, &id, from, &word, to).unwrap(),
            want,
            "{b}: walk {from} -> {to}"
        );
        let lane = Lane { id, from, to, word };
        // Alone, as one of 17 equal lanes, and among lanes of other lengths.
        for count in [1usize, 17, 40] {
            let mut lanes: Vec<Lane> = (0..count)
                .map(|i| {
                    if count == 40 {
                        Lane {
                            to: lane.from.saturating_sub(i as u32 % 5),
                            ..lane
                        }
                    } else {
                        lane
                    }
                })
                .collect();
            lanes[count / 2] = lane;
            walk_many_with(b, &mut lanes).unwrap();
            assert_eq!(
                lanes[count / 2].word,
                want,
                "{b}: walk_many of {count}, {from} -> {to}"
            );
            assert_eq!(lanes[count / 2].from, to);
        }
    }
    assert_eq!(walk(&id, from, &word, to), want);
}

#[test]
fn one_step_is_sha256_of_the_53_byte_message() {
    let id: [u8; 16] = core::array::from_fn(|i| i as u8);
    for p in [1u32, 255, 256, 0x0102_0304, u32::MAX] {
        let word: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(p as u8 | 1));
        check(id, p, word, p - 1, step(&id, p, &word));
    }
}

/// Chain id, from, word, to, the expected word in hex.
type Case = ([u8; 16], u32, [u8; 32], u32, &'static str);

#[test]
#[cfg_attr(miri, ignore = "thousands of compressions: too slow under miri")]
fn fixed_vectors() {
    // Computed with Python's hashlib (another SHA-256), by iterating
    // sha256(b"\x01" + id + p.to_bytes(4, "big") + w) for p = from..to+1.
    let cases: [Case; 4] = [
        (
            core::array::from_fn(|i| i as u8),
            1,
            [0; 32],
            0,
            "66dd644d83f85696fadcaed9d86ca89b23b66aabbeed6ed3f3c2e9d68e2a1bfb",
        ),
        (
            [0x42; 16],
            1000,
            [0x17; 32],
            0,
            "c0547abe2090b70bc3d9454226b67bed32451ea671cea9ca20263846e1181a68",
        ),
        (
            core::array::from_fn(|i| 0xf0 + i as u8),
            u32::MAX,
            core::array::from_fn(|i| i as u8),
            u32::MAX - 300,
            "36ed2a981b1531fd4b5a746803894e3a112f771a6145234675cd882666c0b5e0",
        ),
        (
            [0xa5; 16],
            257,
            [0xff; 32],
            255,
            "d515729bf7a3c879d9424c95aece79a463ba510168f6b4c3077d10745918683c",
        ),
    ];
    for (id, from, word, to, hex) in cases {
        let want = unhex::<32>(hex);
        assert_eq!(naive_walk(&id, from, &word, to), want);
        check(id, from, word, to, want);
    }
}

#[test]
fn walk_that_goes_nowhere_keeps_the_word() {
    for (from, to) in [(0u32, 0u32), (5, 5), (5, 9), (0, u32::MAX)] {
        check([1; 16], from, [2; 32], to, [2; 32]);
    }
}

#[test]
#[cfg_attr(miri, ignore = "thousands of compressions: too slow under miri")]
fn core_chain_vectors() {
    // The core's published vectors: w_{i-1} = H(tweak(0x01, id, i) ‖ w_i),
    // top word w_n, every word for n <= 65, a sample for n = 1000.
    let text = include_str!("../../tests/vectors/chains.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut checked = 0;
    for c in v["chains"].as_array().unwrap() {
        if c["hash"] != "sha256" {
            continue;
        }
        let id = unhex::<16>(c["chain_id"].as_str().unwrap());
        let n = u32::try_from(c["n"].as_u64().unwrap()).unwrap();
        let top = unhex::<32>(c["top_word"].as_str().unwrap());
        let mut lanes = Vec::new();
        for (i, w) in c["words"].as_object().unwrap() {
            let i: u32 = i.parse().unwrap();
            let want = unhex::<32>(w.as_str().unwrap());
            assert_eq!(walk(&id, n, &top, i), want, "n = {n}, i = {i}");
            lanes.push((
                Lane {
                    id,
                    from: n,
                    to: i,
                    word: top,
                },
                want,
            ));
        }
        for b in backends() {
            let mut batch: Vec<Lane> = lanes.iter().map(|(l, _)| *l).collect();
            walk_many_with(b, &mut batch).unwrap();
            for (got, (_, want)) in batch.iter().zip(&lanes) {
                assert_eq!(got.word, *want, "{b}: n = {n}, i = {}", got.to);
            }
        }
        let mut batch: Vec<Lane> = lanes.iter().map(|(l, _)| *l).collect();
        walk_many(&mut batch);
        assert!(batch.iter().zip(&lanes).all(|(g, (_, w))| g.word == *w));
        checked += 1;
    }
    assert!(checked > 0, "no SHA-256 chain in the core's vectors");
}
