//! The AVX-512 backend: sixteen lanes in a `__m512i` (AVX-512F only).

use core::arch::x86_64::{
    __m512i, _mm256_storeu_si256, _mm512_add_epi32, _mm512_and_si512, _mm512_castsi512_si256,
    _mm512_extracti64x4_epi64, _mm512_loadu_si512, _mm512_maskz_loadu_epi32, _mm512_or_si512,
    _mm512_permutex2var_epi64, _mm512_ror_epi32, _mm512_set1_epi32, _mm512_setr_epi64,
    _mm512_shuffle_i32x4, _mm512_slli_epi32, _mm512_srli_epi32, _mm512_storeu_si512,
    _mm512_ternarylogic_epi32, _mm512_unpackhi_epi32, _mm512_unpackhi_epi64, _mm512_unpacklo_epi32,
    _mm512_unpacklo_epi64,
};

use crate::Lane;
use crate::sched::Slots;
use crate::simd::{Simd, run_vectors, steps};

/// Sixteen lanes. A value exists only if [`Simd::load`] was called, whose
/// caller vouched for AVX-512F, or if it was made inside a function compiled
/// with AVX-512F (`bulk16`): that is what makes the safe methods sound.
#[derive(Clone, Copy)]
pub(crate) struct Avx512(__m512i);

/// Shorthand for the token argument, as in the AVX2 backend.
macro_rules! avx512 {
    ($e:expr) => {
        // SAFETY: a value of `Avx512` exists only if the CPU supports AVX-512F
        // (see the type), the only feature these intrinsics need; no memory
        // is accessed.
        Avx512(unsafe { $e })
    };
}

/// `a ^ b ^ c`.
const XOR3: i32 = 0x96;
/// `a ? b : c`.
const CH: i32 = 0xca;
/// `majority(a, b, c)`.
const MAJ: i32 = 0xe8;

impl Avx512 {
    #[inline(always)]
    fn tern<const IMM: i32>(a: Self, b: Self, c: Self) -> Self {
        avx512!(_mm512_ternarylogic_epi32::<IMM>(a.0, b.0, c.0))
    }
    #[inline(always)]
    fn ror<const N: i32>(self) -> Self {
        avx512!(_mm512_ror_epi32::<N>(self.0))
    }
    #[inline(always)]
    fn shr<const N: u32>(self) -> Self {
        avx512!(_mm512_srli_epi32::<N>(self.0))
    }
}

impl Simd<16> for Avx512 {
    #[inline(always)]
    unsafe fn load(a: &[u32; 16]) -> Self {
        // SAFETY: `a` is 64 readable bytes (unaligned load); the caller
        // guarantees AVX-512F.
        Avx512(unsafe { _mm512_loadu_si512(a.as_ptr().cast()) })
    }
    #[inline(always)]
    fn store(self, a: &mut [u32; 16]) {
        // SAFETY: `a` is 64 writable bytes (unaligned store); `self` proves
        // AVX-512F (see the type).
        unsafe { _mm512_storeu_si512(a.as_mut_ptr().cast(), self.0) }
    }
    #[inline(always)]
    fn splat_like(self, x: u32) -> Self {
        avx512!(_mm512_set1_epi32(x as i32))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        avx512!(_mm512_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        avx512!(_mm512_or_si512(self.0, o.0))
    }
    #[inline(always)]
    fn shl24(self) -> Self {
        avx512!(_mm512_slli_epi32::<24>(self.0))
    }
    #[inline(always)]
    fn shr8(self) -> Self {
        self.shr::<8>()
    }
    #[inline(always)]
    fn big_sigma0(self) -> Self {
        Self::tern::<XOR3>(self.ror::<2>(), self.ror::<13>(), self.ror::<22>())
    }
    #[inline(always)]
    fn big_sigma1(self) -> Self {
        Self::tern::<XOR3>(self.ror::<6>(), self.ror::<11>(), self.ror::<25>())
    }
    #[inline(always)]
    fn small_sigma0(self) -> Self {
        Self::tern::<XOR3>(self.ror::<7>(), self.ror::<18>(), self.shr::<3>())
    }
    #[inline(always)]
    fn small_sigma1(self) -> Self {
        Self::tern::<XOR3>(self.ror::<17>(), self.ror::<19>(), self.shr::<10>())
    }
    #[inline(always)]
    fn ch(self, f: Self, g: Self) -> Self {
        Self::tern::<CH>(self, f, g)
    }
    #[inline(always)]
    fn maj(self, b: Self, c: Self) -> Self {
        Self::tern::<MAJ>(self, b, c)
    }
}

/// Advances the sixteen slots by `n` steps.
#[target_feature(enable = "avx512f")]
pub(crate) fn steps16(slots: &mut Slots<16>, n: u32) {
    // SAFETY: this function is compiled with, and only callable given,
    // AVX-512F.
    unsafe { steps::<16, Avx512>(slots, n) }
}

/// Byte-swaps every 32-bit lane (AVX-512F only: two rotations and a select).
#[target_feature(enable = "avx512f")]
#[inline]
fn bswap(x: __m512i) -> __m512i {
    // Bytes b0 b1 b2 b3 (b0 least significant): ror 8 = b1 b2 b3 b0,
    // rol 8 = b3 b0 b1 b2; the swap takes bytes 1 and 3 from the first,
    // 0 and 2 from the second.
    _mm512_ternarylogic_epi32::<CH>(
        _mm512_set1_epi32(0xff00_ff00_u32 as i32),
        _mm512_ror_epi32::<8>(x),
        _mm512_ror_epi32::<24>(x),
    )
}

/// Transposes sixteen rows of sixteen 32-bit words.
#[target_feature(enable = "avx512f")]
#[inline]
fn transpose16(r: [__m512i; 16]) -> [__m512i; 16] {
    // Pairs of rows, then quadruples, interleaved within 128-bit blocks:
    // block b of u[4i + j] is column 4b + j of rows 4i..4i + 4.
    let t: [__m512i; 16] = core::array::from_fn(|k| {
        let (a, b) = (r[k & !1], r[k | 1]);
        if k & 1 == 0 {
            _mm512_unpacklo_epi32(a, b)
        } else {
            _mm512_unpackhi_epi32(a, b)
        }
    });
    let u: [__m512i; 16] = core::array::from_fn(|k| {
        let (i, j) = (k / 4, k % 4);
        let (a, b) = (t[4 * i + (j >> 1)], t[4 * i + 2 + (j >> 1)]);
        if j & 1 == 0 {
            _mm512_unpacklo_epi64(a, b)
        } else {
            _mm512_unpackhi_epi64(a, b)
        }
    });
    // Then gather block b of u[j], u[4 + j], u[8 + j], u[12 + j].
    let mut out = r;
    for j in 0..4 {
        let x01 = _mm512_shuffle_i32x4::<0x44>(u[j], u[4 + j]);
        let y01 = _mm512_shuffle_i32x4::<0x44>(u[8 + j], u[12 + j]);
        let x23 = _mm512_shuffle_i32x4::<0xee>(u[j], u[4 + j]);
        let y23 = _mm512_shuffle_i32x4::<0xee>(u[8 + j], u[12 + j]);
        out[j] = _mm512_shuffle_i32x4::<0x88>(x01, y01);
        out[4 + j] = _mm512_shuffle_i32x4::<0xdd>(x01, y01);
        out[8 + j] = _mm512_shuffle_i32x4::<0x88>(x23, y23);
        out[12 + j] = _mm512_shuffle_i32x4::<0xdd>(x23, y23);
    }
    out
}

/// Sixteen lanes, loaded for the kernel: state words, position, `W0..W3`
/// and `id15` (as in [`Slots`]).
struct Loaded {
    h: [Avx512; 8],
    p: Avx512,
    w: [Avx512; 4],
    id15: Avx512,
}

/// Loads sixteen lanes straight from memory (transposes in registers
/// instead of the scheduler's word-by-word slot stores).
#[target_feature(enable = "avx512f")]
#[inline]
fn load16(lanes: &[Lane; 16]) -> Loaded {
    const { assert!(core::mem::size_of::<Lane>() == 56) };
    // Each lane as a row of 14 words (id 0..4, from, to, word 6..14).
    let rows: [__m512i; 16] = core::array::from_fn(|i| {
        // SAFETY: `Lane` is `repr(C)` and 56 bytes: the mask enables the
        // first 14 words (56 bytes) of the lane, which the reference makes
        // readable; disabled words are not accessed (AVX-512 masked loads
        // suppress them). AVX-512F is enabled in this function.
        unsafe { _mm512_maskz_loadu_epi32(0x3fff, (&raw const lanes[i]).cast()) }
    });
    let c = transpose16(rows);
    // Message words W0..W3 and id15: the id bytes moved down one byte
    // behind the role byte.
    let i0 = bswap(c[0]);
    let i1 = bswap(c[1]);
    let i2 = bswap(c[2]);
    let i3 = bswap(c[3]);
    let shift = |hi: __m512i, lo: __m512i| {
        Avx512(_mm512_or_si512(
            _mm512_slli_epi32::<24>(hi),
            _mm512_srli_epi32::<8>(lo),
        ))
    };
    Loaded {
        h: core::array::from_fn(|j| Avx512(bswap(c[6 + j]))),
        p: Avx512(c[4]),
        w: [
            Avx512(_mm512_or_si512(
                _mm512_set1_epi32(0x0100_0000),
                _mm512_srli_epi32::<8>(i0),
            )),
            shift(i0, i1),
            shift(i1, i2),
            shift(i2, i3),
        ],
        id15: Avx512(_mm512_and_si512(
            c[3],
            _mm512_set1_epi32(0xff00_0000_u32 as i32),
        )),
    }
}

/// Stores the words `h` into sixteen lanes and sets `from = to`.
#[target_feature(enable = "avx512f")]
#[inline]
fn store16(lanes: &mut [Lane; 16], h: [Avx512; 8]) {
    // Lane 4b + r gets block b of a[r] (H0..H3) and of e[r] (H4..H7).
    let o = h.map(|v| bswap(v.0));
    let s: [__m512i; 8] = core::array::from_fn(|k| {
        let (a, b) = (o[k & !1], o[k | 1]);
        if k & 1 == 0 {
            _mm512_unpacklo_epi32(a, b)
        } else {
            _mm512_unpackhi_epi32(a, b)
        }
    });
    let quad = |lo: __m512i, hi: __m512i, r: usize| -> __m512i {
        if r & 1 == 0 {
            _mm512_unpacklo_epi64(lo, hi)
        } else {
            _mm512_unpackhi_epi64(lo, hi)
        }
    };
    // 64-bit indices: blocks (0 of a, 0 of b, 1 of a, 1 of b) and (2, 2, 3, 3).
    let first = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    let second = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    for r in 0..4 {
        let a = quad(s[r >> 1], s[2 + (r >> 1)], r);
        let e = quad(s[4 + (r >> 1)], s[6 + (r >> 1)], r);
        for (half, idx) in [first, second].into_iter().enumerate() {
            let x = _mm512_permutex2var_epi64(a, idx, e);
            let lo = _mm512_castsi512_si256(x);
            let hi = _mm512_extracti64x4_epi64::<1>(x);
            let (l0, l1) = (8 * half + r, 8 * half + 4 + r);
            // SAFETY: each store writes the 32 bytes of one lane's `word`,
            // through a unique reference; AVX-512F (hence AVX) is enabled.
            unsafe {
                _mm256_storeu_si256(lanes[l0].word.as_mut_ptr().cast(), lo);
                _mm256_storeu_si256(lanes[l1].word.as_mut_ptr().cast(), hi);
            }
        }
    }
    for lane in lanes.iter_mut() {
        lane.from = lane.to;
    }
}

/// Walks sixteen lanes of the same length `n >= 1` (`from - to == n` for
/// each), straight from and back to the lanes.
#[target_feature(enable = "avx512f")]
pub(crate) fn bulk16(lanes: &mut [Lane; 16], n: u32) {
    let Loaded {
        mut h,
        mut p,
        w,
        id15,
    } = load16(lanes);
    run_vectors(&mut h, &mut p, w, id15, n);
    store16(lanes, h);
}
