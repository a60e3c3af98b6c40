//! Unit tests of the internals: the generic kernel on a scalar lane (runs
//! under miri) and each SIMD kernel without the single-stream tail.

use crate::consts::{id_words, word_to_state};
use crate::sched::{Slots, run};
use crate::{Lane, portable};

/// A deterministic byte stream (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        core::array::from_fn(|_| self.next() as u8)
    }
}

/// Lanes of mixed lengths, some empty, positions near the byte and u32
/// boundaries (the position straddles message words 4 and 5).
fn lanes(rng: &mut Rng, count: usize, max_len: u32) -> [Lane; 40] {
    let starts = [0u32, 1, 255, 256, 257, 65_536, 0x0100_0000, u32::MAX];
    let mut out = [Lane {
        id: [0; 16],
        from: 0,
        to: 0,
        word: [0; 32],
    }; 40];
    for lane in out.iter_mut().take(count) {
        let len = (rng.next() % u64::from(max_len + 1)) as u32;
        let base = starts[(rng.next() % 8) as usize];
        let from = base.saturating_add(len.min(3)).max(len);
        *lane = Lane {
            id: rng.bytes(),
            from,
            to: from - len,
            word: rng.bytes(),
        };
    }
    out
}

fn reference(lanes: &[Lane]) -> [Lane; 40] {
    let mut want = [Lane {
        id: [0; 16],
        from: 0,
        to: 0,
        word: [0; 32],
    }; 40];
    want[..lanes.len()].copy_from_slice(lanes);
    portable::walk_many(&mut want[..lanes.len()]);
    want
}

#[test]
fn scalar_kernel_matches_portable() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cases = if cfg!(miri) { 3 } else { 40 };
    for count in 0..cases {
        let mut got = lanes(&mut rng, count % 40, if cfg!(miri) { 3 } else { 20 });
        let want = reference(&got[..count % 40]);
        run::<1>(
            &mut got[..count % 40],
            crate::simd::steps_scalar,
            None,
            0,
            |_| unreachable!(),
        );
        assert_eq!(got, want);
    }
}

#[test]
fn scalar_kernel_one_step_block() {
    // One step against sha2 directly.
    let id = [7u8; 16];
    let word = [9u8; 32];
    let mut s = Slots::<1>::new();
    let h = word_to_state(&word);
    for (col, hj) in s.h.iter_mut().zip(h) {
        col[0] = hj;
    }
    let (w, id15) = id_words(&id);
    for (col, wj) in s.w.iter_mut().zip(w) {
        col[0] = wj;
    }
    s.id15[0] = id15;
    s.p[0] = 0x0102_0304;
    crate::simd::steps_scalar(&mut s, 1);
    let got = crate::consts::state_to_word(&s.h.map(|c| c[0]));
    assert_eq!(got, portable::walk(&id, 0x0102_0304, &word, 0x0102_0303));
    assert_eq!(s.p[0], 0x0102_0303);
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
mod x86 {
    use super::*;
    use crate::x86::{avx2, avx512, has_avx2, has_avx512, has_shani, shani};

    fn check<const W: usize>(
        name: &str,
        steps: impl Fn(&mut Slots<W>, u32) + Copy,
        bulk: Option<fn(&mut [Lane; W], u32)>,
    ) {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for count in 0..=40 {
            for max_len in [0u32, 1, 2, 9, 70] {
                let mut got = lanes(&mut rng, count, max_len);
                let want = reference(&got[..count]);
                run::<W>(&mut got[..count], steps, bulk, 0, |_| unreachable!());
                assert_eq!(got, want, "{name}: {count} lanes, lengths <= {max_len}");
                // Equal lengths: the bulk path, if any.
                let len = max_len.min(3);
                for lane in got.iter_mut() {
                    lane.to = lane.from.saturating_sub(len);
                }
                let want = reference(&got[..count]);
                run::<W>(&mut got[..count], steps, bulk, 0, |_| unreachable!());
                assert_eq!(got, want, "{name}: {count} lanes of length {len}");
            }
        }
    }

    #[test]
    fn shani_kernels_match_portable() {
        if !has_shani() {
            std::eprintln!("skipped: no SHA-NI");
            return;
        }
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for count in 0..=40 {
            for max_len in [0u32, 1, 2, 9, 70] {
                let mut got = lanes(&mut rng, count, max_len);
                let want = reference(&got[..count]);
                // SAFETY: SHA-NI, SSE4.1 and SSSE3 detected above.
                unsafe { shani::walk_many(&mut got[..count]) };
                assert_eq!(got, want, "sha-ni: {count} lanes, lengths <= {max_len}");
            }
        }
        let mut rng = Rng(5);
        for len in [0u32, 1, 2, 3, 100, 300] {
            for from in [len, len + 1, 255 + len, 256 + len, u32::MAX] {
                let id = rng.bytes();
                let word = rng.bytes();
                let to = from - len;
                // SAFETY: as above.
                let got = unsafe { shani::walk(&id, from, &word, to) };
                assert_eq!(got, portable::walk(&id, from, &word, to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn avx2_kernel_matches_portable() {
        if !has_avx2() {
            std::eprintln!("skipped: no AVX2");
            return;
        }
        // SAFETY: AVX2 detected above.
        check::<8>(
            "avx2",
            |s, n| unsafe { avx2::steps8(s, n) },
            // SAFETY: as above.
            Some(|l, n| unsafe { avx2::bulk8(l, n) }),
        );
    }

    #[test]
    fn avx512_kernel_matches_portable() {
        if !has_avx512() {
            std::eprintln!("skipped: no AVX-512F");
            return;
        }
        // SAFETY: AVX-512F detected above.
        check::<16>(
            "avx512",
            |s, n| unsafe { avx512::steps16(s, n) },
            // SAFETY: as above.
            Some(|l, n| unsafe { avx512::bulk16(l, n) }),
        );
    }
}
