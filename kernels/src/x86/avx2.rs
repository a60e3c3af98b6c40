//! The AVX2 backend: eight lanes in a `__m256i`.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_loadu_si256, _mm256_or_si256,
    _mm256_permute2x128_si256, _mm256_set1_epi32, _mm256_setr_epi8, _mm256_shuffle_epi8,
    _mm256_slli_epi32, _mm256_srli_epi32, _mm256_storeu_si256, _mm256_unpackhi_epi32,
    _mm256_unpackhi_epi64, _mm256_unpacklo_epi32, _mm256_unpacklo_epi64, _mm256_xor_si256,
};

use crate::Lane;
use crate::sched::Slots;
use crate::simd::{Simd, run_vectors, steps};

/// Eight lanes. A value exists only if [`Simd::load`] was called, whose
/// caller vouched for AVX2, or if it was made inside a function compiled with
/// AVX2 (`bulk8`): that is what makes the safe methods sound.
#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256i);

/// Shorthand for the token argument: every method below runs AVX2
/// instructions on a value that exists only because AVX2 is present.
macro_rules! avx2 {
    ($e:expr) => {
        // SAFETY: a value of `Avx2` exists only if the CPU supports AVX2
        // (see the type), the only feature these intrinsics need; no memory
        // is accessed.
        Avx2(unsafe { $e })
    };
}

impl Avx2 {
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        avx2!(_mm256_xor_si256(self.0, o.0))
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        avx2!(_mm256_and_si256(self.0, o.0))
    }
    #[inline(always)]
    fn shr<const N: i32>(self) -> Self {
        avx2!(_mm256_srli_epi32::<N>(self.0))
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        avx2!(_mm256_slli_epi32::<N>(self.0))
    }
}

impl Simd<8> for Avx2 {
    #[inline(always)]
    unsafe fn load(a: &[u32; 8]) -> Self {
        // SAFETY: `a` is 32 readable bytes (unaligned load); the caller
        // guarantees AVX2.
        Avx2(unsafe { _mm256_loadu_si256(a.as_ptr().cast()) })
    }
    #[inline(always)]
    fn store(self, a: &mut [u32; 8]) {
        // SAFETY: `a` is 32 writable bytes (unaligned store); `self` proves
        // AVX2 (see the type).
        unsafe { _mm256_storeu_si256(a.as_mut_ptr().cast(), self.0) }
    }
    #[inline(always)]
    fn splat_like(self, x: u32) -> Self {
        avx2!(_mm256_set1_epi32(x as i32))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        avx2!(_mm256_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        avx2!(_mm256_or_si256(self.0, o.0))
    }
    #[inline(always)]
    fn shl24(self) -> Self {
        self.shl::<24>()
    }
    #[inline(always)]
    fn shr8(self) -> Self {
        self.shr::<8>()
    }
    #[inline(always)]
    fn big_sigma0(self) -> Self {
        // ror 2 ^ ror 13 ^ ror 22, as six independent shifts.
        let r = self.shr::<2>().xor(self.shr::<13>()).xor(self.shr::<22>());
        let l = self.shl::<30>().xor(self.shl::<19>()).xor(self.shl::<10>());
        r.xor(l)
    }
    #[inline(always)]
    fn big_sigma1(self) -> Self {
        // ror 6 ^ ror 11 ^ ror 25.
        let r = self.shr::<6>().xor(self.shr::<11>()).xor(self.shr::<25>());
        let l = self.shl::<26>().xor(self.shl::<21>()).xor(self.shl::<7>());
        r.xor(l)
    }
    #[inline(always)]
    fn small_sigma0(self) -> Self {
        // ror 7 ^ ror 18 ^ shr 3.
        let r = self.shr::<7>().xor(self.shr::<18>()).xor(self.shr::<3>());
        let l = self.shl::<25>().xor(self.shl::<14>());
        r.xor(l)
    }
    #[inline(always)]
    fn small_sigma1(self) -> Self {
        // ror 17 ^ ror 19 ^ shr 10.
        let r = self.shr::<17>().xor(self.shr::<19>()).xor(self.shr::<10>());
        let l = self.shl::<15>().xor(self.shl::<13>());
        r.xor(l)
    }
    #[inline(always)]
    fn ch(self, f: Self, g: Self) -> Self {
        f.xor(g).and(self).xor(g)
    }
    #[inline(always)]
    fn maj(self, b: Self, c: Self) -> Self {
        self.and(b).or(c.and(self.or(b)))
    }
}

/// Advances the eight slots by `n` steps.
#[target_feature(enable = "avx2")]
pub(crate) fn steps8(slots: &mut Slots<8>, n: u32) {
    // SAFETY: this function is compiled with, and only callable given, AVX2.
    unsafe { steps::<8, Avx2>(slots, n) }
}

/// Byte-swaps every 32-bit lane.
#[target_feature(enable = "avx2")]
#[inline]
fn bswap(x: __m256i) -> __m256i {
    _mm256_shuffle_epi8(
        x,
        _mm256_setr_epi8(
            3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10,
            9, 8, 15, 14, 13, 12,
        ),
    )
}

/// Transposes eight rows of eight 32-bit words.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose8(r: [__m256i; 8]) -> [__m256i; 8] {
    // Block b (128 bits) of u[4i + j] is column 4b + j of rows 4i..4i + 4.
    let t: [__m256i; 8] = core::array::from_fn(|k| {
        let (a, b) = (r[k & !1], r[k | 1]);
        if k & 1 == 0 {
            _mm256_unpacklo_epi32(a, b)
        } else {
            _mm256_unpackhi_epi32(a, b)
        }
    });
    let u: [__m256i; 8] = core::array::from_fn(|k| {
        let (i, j) = (k / 4, k % 4);
        let (a, b) = (t[4 * i + (j >> 1)], t[4 * i + 2 + (j >> 1)]);
        if j & 1 == 0 {
            _mm256_unpacklo_epi64(a, b)
        } else {
            _mm256_unpackhi_epi64(a, b)
        }
    });
    core::array::from_fn(|c| {
        let j = c % 4;
        if c < 4 {
            _mm256_permute2x128_si256::<0x20>(u[j], u[4 + j])
        } else {
            _mm256_permute2x128_si256::<0x31>(u[j], u[4 + j])
        }
    })
}

/// Walks eight lanes of the same length `n >= 1` (`from - to == n` for
/// each), straight from and back to the lanes (transposes in registers).
#[target_feature(enable = "avx2")]
pub(crate) fn bulk8(lanes: &mut [Lane; 8], n: u32) {
    const { assert!(core::mem::size_of::<Lane>() == 56) };
    // Rows: bytes 0..32 of each lane (id, from, to, word 0..8) and its word.
    let head: [__m256i; 8] = core::array::from_fn(|i| {
        // SAFETY: `Lane` is `repr(C)`, 56 bytes: its first 32 bytes are
        // readable through the reference. AVX2 is enabled in this function.
        unsafe { _mm256_loadu_si256((&raw const lanes[i]).cast()) }
    });
    let words: [__m256i; 8] = core::array::from_fn(|i| {
        // SAFETY: the 32 bytes of the lane's `word`. AVX2 as above.
        unsafe { _mm256_loadu_si256(lanes[i].word.as_ptr().cast()) }
    });
    let c = transpose8(head);
    let i0 = bswap(c[0]);
    let i1 = bswap(c[1]);
    let i2 = bswap(c[2]);
    let i3 = bswap(c[3]);
    let shift = |hi: __m256i, lo: __m256i| {
        Avx2(_mm256_or_si256(
            _mm256_slli_epi32::<24>(hi),
            _mm256_srli_epi32::<8>(lo),
        ))
    };
    let w = [
        Avx2(_mm256_or_si256(
            _mm256_set1_epi32(0x0100_0000),
            _mm256_srli_epi32::<8>(i0),
        )),
        shift(i0, i1),
        shift(i1, i2),
        shift(i2, i3),
    ];
    let id15 = Avx2(_mm256_and_si256(
        c[3],
        _mm256_set1_epi32(0xff00_0000_u32 as i32),
    ));
    let mut p = Avx2(c[4]);
    let mut h = transpose8(words).map(|v| Avx2(bswap(v)));
    run_vectors(&mut h, &mut p, w, id15, n);
    let rows = transpose8(h.map(|v| bswap(v.0)));
    for (lane, row) in lanes.iter_mut().zip(rows) {
        // SAFETY: the 32 bytes of the lane's `word`, through a unique
        // reference. AVX2 as above.
        unsafe { _mm256_storeu_si256(lane.word.as_mut_ptr().cast(), row) };
        lane.from = lane.to;
    }
}
