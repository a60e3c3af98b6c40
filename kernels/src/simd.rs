//! The multi-lane chain-step kernel, generic over a vector of `W` 32-bit
//! lanes ([`Simd`]); instantiated for AVX2 (8 lanes), AVX-512 (16 lanes)
//! and, for tests and miri, a plain `u32` (one lane).
//!
//! What it saves over a plain compression, per step, once a run is loaded:
//! rounds 0..3 (their message words `W0..W3` are the role byte and the id,
//! so the state after them is fixed per chain), and the schedule terms that
//! only read `W0..W3`, `W14 = 0` and `W15 = 424`. The message words are
//! built from the previous state with shifts, never through memory.

use crate::consts::{IV, K, ROUND0_T1, ROUND0_T2, W13_PAD, W15_LEN, small_sigma0, small_sigma1};
use crate::sched::Slots;

/// A vector of `W` 32-bit lanes.
///
/// Only [`load`](Simd::load) makes a value out of nothing, and it is unsafe:
/// its caller vouches that the CPU has the instructions the type uses. Every
/// other value is derived from one made that way, so the safe methods may
/// use those instructions (the token argument of the `SAFETY` comments in
/// the implementations).
pub(crate) trait Simd<const W: usize>: Copy {
    /// Loads `W` lanes.
    ///
    /// # Safety
    ///
    /// The running CPU must support the target features of `Self`.
    unsafe fn load(a: &[u32; W]) -> Self;
    /// Stores the lanes.
    fn store(self, a: &mut [u32; W]);
    /// `x` in every lane (a vector of the same kind as `self`).
    fn splat_like(self, x: u32) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, o: Self) -> Self;
    /// Lane-wise or.
    fn or(self, o: Self) -> Self;
    /// `self << 24`.
    fn shl24(self) -> Self;
    /// `self >> 8`.
    fn shr8(self) -> Self;
    /// `Sigma0`.
    fn big_sigma0(self) -> Self;
    /// `Sigma1`.
    fn big_sigma1(self) -> Self;
    /// `sigma0`.
    fn small_sigma0(self) -> Self;
    /// `sigma1`.
    fn small_sigma1(self) -> Self;
    /// `Ch(self, f, g)`.
    fn ch(self, f: Self, g: Self) -> Self;
    /// `Maj(self, b, c)`.
    fn maj(self, b: Self, c: Self) -> Self;

    /// Adds the constant `k` to every lane.
    #[inline(always)]
    fn add_const(self, k: u32) -> Self {
        self.add(self.splat_like(k))
    }
}

/// One SHA-256 round; `wk` is `W[i] + K[i]`.
#[inline(always)]
fn round<const W: usize, V: Simd<W>>(s: &mut [V; 8], wk: V) {
    let [a, b, c, d, e, f, g, h] = *s;
    let t1 = h.add(wk).add(e.big_sigma1()).add(e.ch(f, g));
    let t2 = a.big_sigma0().add(a.maj(b, c));
    *s = [t1.add(t2), a, b, c, d.add(t1), e, f, g];
}

/// Per-run values of a set of lanes: everything that depends only on the
/// chain ids.
struct Fixed<V> {
    /// The state after rounds 0..3.
    s4: [V; 8],
    /// `W0 + sigma0(W1)`: `W16 = c16 + W9` (`sigma1(W14) = 0`).
    c16: V,
    /// `W1 + sigma0(W2) + sigma1(424)`: `W17 = c17 + W10`.
    c17: V,
    /// `W2 + sigma0(W3)`: `W18 = c18 + W11 + sigma1(W16)`.
    c18: V,
    /// `W3`, for `W19`.
    w3: V,
    /// `id[15] << 24`, the fixed part of `W4`.
    id15: V,
}

#[inline(always)]
fn fixed<const W: usize, V: Simd<W>>(w: [V; 4], id15: V) -> Fixed<V> {
    // Round 0 reads only the IV and W0: two additions.
    let iv = IV.map(|x| id15.splat_like(x));
    let mut s4 = [
        w[0].add_const(ROUND0_T1.wrapping_add(ROUND0_T2)),
        iv[0],
        iv[1],
        iv[2],
        w[0].add_const(ROUND0_T1.wrapping_add(IV[3])),
        iv[4],
        iv[5],
        iv[6],
    ];
    for i in 1..4 {
        round(&mut s4, w[i].add_const(K[i]));
    }
    Fixed {
        s4,
        c16: w[0].add(w[1].small_sigma0()),
        c17: w[1]
            .add(w[2].small_sigma0())
            .add_const(small_sigma1(W15_LEN)),
        c18: w[2].add(w[3].small_sigma0()),
        w3: w[3],
        id15,
    }
}

/// One chain step of every lane: `h` is the word at position `p` (as state
/// words) and becomes the word at `p - 1`.
#[inline(always)]
fn step<const W: usize, V: Simd<W>>(f: &Fixed<V>, h: &mut [V; 8], p: V) {
    // The message words: W4 = id15 | p >> 8, W5 = p << 24 | H0 >> 8,
    // W(6+j) = Hj << 24 | H(j+1) >> 8, W13 = H7 << 24 | 0x0080_0000.
    let mut w = [p; 16];
    w[4] = f.id15.or(p.shr8());
    w[5] = p.shl24().or(h[0].shr8());
    for j in 0..7 {
        w[6 + j] = h[j].shl24().or(h[j + 1].shr8());
    }
    w[13] = h[7].shl24().or(p.splat_like(W13_PAD));

    let mut s = f.s4;
    // Literal indices: rolled loops would keep the window in memory.
    macro_rules! rounds {
        ($($i:literal)*) => { $( round(&mut s, w[$i].add_const(K[$i])); )* };
    }
    rounds!(4 5 6 7 8 9 10 11 12 13);
    // W14 = 0, W15 = 424: constant round inputs.
    round(&mut s, p.splat_like(K[14]));
    round(&mut s, p.splat_like(K[15].wrapping_add(W15_LEN)));

    // W16..W31 with the fixed terms folded (window slot = index mod 16;
    // slots 14 and 15 hold the constants 0 and 424 until W30, W31).
    let w16 = f.c16.add(w[9]);
    let w17 = f.c17.add(w[10]);
    let w18 = f.c18.add(w[11]).add(w16.small_sigma1());
    let w19 =
        f.w3.add(w[4].small_sigma0())
            .add(w[12])
            .add(w17.small_sigma1());
    let w20 = w[4]
        .add(w[5].small_sigma0())
        .add(w[13])
        .add(w18.small_sigma1());
    let w21 = w[5].add(w[6].small_sigma0()).add(w19.small_sigma1());
    let w22 = w[6]
        .add(w[7].small_sigma0())
        .add(w20.small_sigma1())
        .add_const(W15_LEN);
    let w23 = w[7]
        .add(w[8].small_sigma0())
        .add(w16)
        .add(w21.small_sigma1());
    let w24 = w[8]
        .add(w[9].small_sigma0())
        .add(w17)
        .add(w22.small_sigma1());
    let w25 = w[9]
        .add(w[10].small_sigma0())
        .add(w18)
        .add(w23.small_sigma1());
    let w26 = w[10]
        .add(w[11].small_sigma0())
        .add(w19)
        .add(w24.small_sigma1());
    let w27 = w[11]
        .add(w[12].small_sigma0())
        .add(w20)
        .add(w25.small_sigma1());
    let w28 = w[12]
        .add(w[13].small_sigma0())
        .add(w21)
        .add(w26.small_sigma1());
    let w29 = w[13].add(w22).add(w27.small_sigma1());
    let w30 = w23.add(w28.small_sigma1()).add_const(small_sigma0(W15_LEN));
    let w31 = w16
        .small_sigma0()
        .add(w24)
        .add(w29.small_sigma1())
        .add_const(W15_LEN);
    w = [
        w16, w17, w18, w19, w20, w21, w22, w23, w24, w25, w26, w27, w28, w29, w30, w31,
    ];
    macro_rules! rounds16 {
        ($($i:literal)*) => { $( round(&mut s, w[$i].add_const(K[16 + $i])); )* };
    }
    rounds16!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    // W32..W63: the plain recurrence.
    macro_rules! extend {
        ($($i:literal)*) => { $({
            const J: usize = $i & 15;
            w[J] = w[J]
                .add(w[(J + 1) & 15].small_sigma0())
                .add(w[(J + 9) & 15])
                .add(w[(J + 14) & 15].small_sigma1());
            round(&mut s, w[J].add_const(K[$i]));
        })* };
    }
    extend!(32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);
    extend!(48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);
    for (hj, (sj, iv)) in h.iter_mut().zip(s.iter().zip(IV)) {
        *hj = sj.add_const(iv);
    }
}

/// Advances the lanes of `h` (state words of the current words) at
/// positions `p` by `n` steps; `w`, `id15` as in [`Slots`].
#[inline(always)]
pub(crate) fn run_vectors<const W: usize, V: Simd<W>>(
    h: &mut [V; 8],
    p: &mut V,
    w: [V; 4],
    id15: V,
    n: u32,
) {
    let f = fixed(w, id15);
    for _ in 0..n {
        step(&f, h, *p);
        *p = p.add_const(u32::MAX);
    }
}

/// Advances every slot of `slots` by `n` steps.
///
/// # Safety
///
/// The running CPU must support the target features of `V`.
#[inline(always)]
pub(crate) unsafe fn steps<const W: usize, V: Simd<W>>(slots: &mut Slots<W>, n: u32) {
    // SAFETY: the caller guarantees the target features of `V`.
    let mut p = unsafe { V::load(&slots.p) };
    // SAFETY: as above.
    let mut h = slots.h.map(|col| unsafe { V::load(&col) });
    // SAFETY: as above.
    let w = slots.w.map(|col| unsafe { V::load(&col) });
    // SAFETY: as above.
    let id15 = unsafe { V::load(&slots.id15) };
    run_vectors(&mut h, &mut p, w, id15, n);
    for (hv, col) in h.iter().zip(slots.h.iter_mut()) {
        hv.store(col);
    }
    p.store(&mut slots.p);
}

/// One lane in a plain `u32`: the generic kernel with no vector unit, so
/// that its logic (the folded schedule, the message words) is tested
/// against the reference everywhere, miri included.
#[cfg(test)]
#[derive(Clone, Copy)]
pub(crate) struct Scalar(u32);

#[cfg(test)]
impl Simd<1> for Scalar {
    #[inline(always)]
    unsafe fn load(a: &[u32; 1]) -> Self {
        Self(a[0])
    }
    #[inline(always)]
    fn store(self, a: &mut [u32; 1]) {
        a[0] = self.0;
    }
    #[inline(always)]
    fn splat_like(self, x: u32) -> Self {
        Self(x)
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self(self.0.wrapping_add(o.0))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
    #[inline(always)]
    fn shl24(self) -> Self {
        Self(self.0 << 24)
    }
    #[inline(always)]
    fn shr8(self) -> Self {
        Self(self.0 >> 8)
    }
    #[inline(always)]
    fn big_sigma0(self) -> Self {
        Self(crate::consts::big_sigma0(self.0))
    }
    #[inline(always)]
    fn big_sigma1(self) -> Self {
        Self(crate::consts::big_sigma1(self.0))
    }
    #[inline(always)]
    fn small_sigma0(self) -> Self {
        Self(small_sigma0(self.0))
    }
    #[inline(always)]
    fn small_sigma1(self) -> Self {
        Self(small_sigma1(self.0))
    }
    #[inline(always)]
    fn ch(self, f: Self, g: Self) -> Self {
        Self((self.0 & f.0) ^ (!self.0 & g.0))
    }
    #[inline(always)]
    fn maj(self, b: Self, c: Self) -> Self {
        Self((self.0 & b.0) ^ (self.0 & c.0) ^ (b.0 & c.0))
    }
}

/// The generic kernel on one scalar lane (tests only).
#[cfg(test)]
pub(crate) fn steps_scalar(slots: &mut Slots<1>, n: u32) {
    // SAFETY: `Scalar` needs no target feature.
    unsafe { steps::<1, Scalar>(slots, n) }
}
