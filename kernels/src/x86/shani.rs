//! The SHA-NI backend: one stream at the SHA unit's latency floor
//! ([`walk`]), or several interleaved streams ([`steps4`]) for throughput.
//!
//! The state stays in the SHA-NI layout (`ABEF`, `CDGH`) from step to step;
//! the next block's message words are byte shuffles of it (the word starts at
//! byte 21 of the block, so each message word straddles two state words),
//! never a store and a reload. Rounds 0..3 read only the role byte and the
//! id: their output state is computed once per chain and every step starts
//! at round 4 (30 `sha256rnds2` per step instead of 32).

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_extract_epi32, _mm_or_si128, _mm_set_epi32,
    _mm_setr_epi8, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
    _mm_shuffle_epi8, _mm_shuffle_epi32,
};

use crate::Lane;
use crate::consts::{IV, K, W13_PAD, W15_LEN, id_words, state_to_word, word_to_state};

/// A `pshufb` index that writes a zero byte.
const Z: i8 = -128;

/// One chain in flight.
#[derive(Clone, Copy)]
struct Stream {
    /// The current word as the state words `[F, E, B, A]` (lane 0 first).
    x: __m128i,
    /// `[H, G, D, C]`.
    y: __m128i,
    /// Message words `W0..W3`.
    m0: __m128i,
    /// The state after rounds 0..3, `ABEF`.
    sa: __m128i,
    /// The state after rounds 0..3, `CDGH`.
    sc: __m128i,
    /// `id[15] << 24`.
    id15: u32,
    /// The position of the next step.
    p: u32,
}

/// The IV in the SHA-NI layout.
#[derive(Clone, Copy)]
struct Iv {
    abef: __m128i,
    cdgh: __m128i,
}

#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn iv() -> Iv {
    Iv {
        abef: _mm_set_epi32(IV[0] as i32, IV[1] as i32, IV[4] as i32, IV[5] as i32),
        cdgh: _mm_set_epi32(IV[2] as i32, IV[3] as i32, IV[6] as i32, IV[7] as i32),
    }
}

/// `K[4g..4g + 4]`.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn k4(g: usize) -> __m128i {
    _mm_set_epi32(
        K[4 * g + 3] as i32,
        K[4 * g + 2] as i32,
        K[4 * g + 1] as i32,
        K[4 * g] as i32,
    )
}

/// A stream at position `p` holding the word `h` (as state words).
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn stream(h: &[u32; 8], w: &[u32; 4], id15: u32, p: u32, iv: Iv) -> Stream {
    let m0 = _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32);
    let wk = _mm_add_epi32(m0, k4(0));
    let sc = _mm_sha256rnds2_epu32(iv.cdgh, iv.abef, wk);
    let sa = _mm_sha256rnds2_epu32(iv.abef, sc, _mm_shuffle_epi32::<0x0e>(wk));
    Stream {
        x: _mm_set_epi32(h[0] as i32, h[1] as i32, h[4] as i32, h[5] as i32),
        y: _mm_set_epi32(h[2] as i32, h[3] as i32, h[6] as i32, h[7] as i32),
        m0,
        sa,
        sc,
        id15,
        p,
    }
}

/// The stream's current word as state words.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn state(s: &Stream) -> [u32; 8] {
    [
        _mm_extract_epi32::<3>(s.x) as u32,
        _mm_extract_epi32::<2>(s.x) as u32,
        _mm_extract_epi32::<3>(s.y) as u32,
        _mm_extract_epi32::<2>(s.y) as u32,
        _mm_extract_epi32::<1>(s.x) as u32,
        _mm_extract_epi32::<0>(s.x) as u32,
        _mm_extract_epi32::<1>(s.y) as u32,
        _mm_extract_epi32::<0>(s.y) as u32,
    ]
}

/// The message vectors `W0..W3` (fixed), `W4..W7`, `W8..W11`, `W12..W15`
/// of a stream's next step, shuffled out of its state, and `W4..W7 + K`.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn message(s: &Stream) -> ([__m128i; 4], __m128i) {
    // x bytes: F 0..4, E 4..8, B 8..12, A 12..16; y: H, G, D, C likewise.
    // W(k) for k in 5..13 is (previous word << 24) | (word >> 8): in
    // little-endian lanes, bytes 1, 2, 3 of one state word and byte 0 of the
    // one before.
    let p = s.p;
    let pw = _mm_set_epi32(0, 0, ((p & 0xff) << 24) as i32, (s.id15 | (p >> 8)) as i32);
    // W4..W7 = (x part) | (y part) | (position part). The y part and the
    // position are ready a round earlier than x (the last round writes A),
    // and the parts have no bit in common, so `or` is `+` and the round input
    // is x part + (rest + K): one add after the shuffle of x.
    let x1 = _mm_shuffle_epi8(
        s.x,
        _mm_setr_epi8(Z, Z, Z, Z, 13, 14, 15, Z, 9, 10, 11, 12, Z, Z, Z, 8),
    );
    let rest1 = _mm_or_si128(
        _mm_shuffle_epi8(
            s.y,
            _mm_setr_epi8(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 13, 14, 15, Z),
        ),
        pw,
    );
    let m1 = _mm_or_si128(x1, rest1);
    let wk1 = _mm_add_epi32(x1, _mm_add_epi32(rest1, k4(1)));
    let m2 = _mm_or_si128(
        _mm_shuffle_epi8(
            s.x,
            _mm_setr_epi8(Z, Z, Z, Z, 5, 6, 7, Z, 1, 2, 3, 4, Z, Z, Z, 0),
        ),
        _mm_shuffle_epi8(
            s.y,
            _mm_setr_epi8(9, 10, 11, 12, Z, Z, Z, 8, Z, Z, Z, Z, 5, 6, 7, Z),
        ),
    );
    let m3 = _mm_or_si128(
        _mm_shuffle_epi8(
            s.y,
            _mm_setr_epi8(1, 2, 3, 4, Z, Z, Z, 0, Z, Z, Z, Z, Z, Z, Z, Z),
        ),
        _mm_set_epi32(W15_LEN as i32, 0, W13_PAD as i32, 0),
    );
    ([s.m0, m1, m2, m3], wk1)
}

/// Rounds `4g..4g + 4` with the schedule updates of group `G` (the usual
/// SHA-NI interleave: `msg1` for groups 1..=12, `msg2` for 3..=14); `wk` is
/// `m[G & 3] + K[4G..4G + 4]`.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn group_wk<const G: usize>(
    abef: &mut __m128i,
    cdgh: &mut __m128i,
    m: &mut [__m128i; 4],
    wk: __m128i,
) {
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    if G >= 3 && G <= 14 {
        let t = _mm_alignr_epi8::<4>(m[G & 3], m[(G + 3) & 3]);
        m[(G + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(m[(G + 1) & 3], t), m[G & 3]);
    }
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32::<0x0e>(wk));
    if G >= 1 && G <= 12 {
        m[(G + 3) & 3] = _mm_sha256msg1_epu32(m[(G + 3) & 3], m[G & 3]);
    }
}

/// [`group_wk`] adding the round constants itself.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn group<const G: usize>(abef: &mut __m128i, cdgh: &mut __m128i, m: &mut [__m128i; 4]) {
    let wk = _mm_add_epi32(m[G & 3], k4(G));
    group_wk::<G>(abef, cdgh, m, wk);
}

/// One chain step of each of the `S` streams, their rounds interleaved.
#[target_feature(enable = "sha,sse4.1,ssse3")]
#[inline]
fn step<const S: usize>(st: &mut [Stream; S], iv: Iv) {
    let msg = st.map(|s| message(&s));
    let mut m = msg.map(|(m, _)| m);
    let mut abef = st.map(|s| s.sa);
    let mut cdgh = st.map(|s| s.sc);
    // Group 0 (rounds 0..3) is folded into `sa`, `sc`.
    for (((a, c), m), (_, wk1)) in abef
        .iter_mut()
        .zip(cdgh.iter_mut())
        .zip(m.iter_mut())
        .zip(msg)
    {
        group_wk::<1>(a, c, m, wk1);
    }
    macro_rules! groups {
        ($($g:literal)*) => { $(
            for ((a, c), m) in abef.iter_mut().zip(cdgh.iter_mut()).zip(m.iter_mut()) {
                group::<$g>(a, c, m);
            }
        )* };
    }
    groups!(2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    for ((s, a), c) in st.iter_mut().zip(abef).zip(cdgh) {
        s.x = _mm_add_epi32(a, iv.abef);
        s.y = _mm_add_epi32(c, iv.cdgh);
        s.p = s.p.wrapping_sub(1);
    }
}

/// Steps at positions `from, from - 1, …, to + 1` on one stream.
#[target_feature(enable = "sha,sse4.1,ssse3")]
pub(crate) fn walk(id: &[u8; 16], from: u32, word: &[u8; 32], to: u32) -> [u8; 32] {
    if from <= to {
        return *word;
    }
    let iv = iv();
    let (w, id15) = id_words(id);
    let mut st = [stream(&word_to_state(word), &w, id15, from, iv)];
    for _ in to..from {
        step(&mut st, iv);
    }
    state_to_word(&state(&st[0]))
}

/// Marks a stream that holds no lane.
const EMPTY: usize = usize::MAX;

/// Walks every lane, [`STREAMS`] at a time with their rounds interleaved
/// (the SHA unit's throughput rather than its latency); a lane that
/// arrives is written back and its stream refilled with the next lane. The
/// last lane left runs alone. Lanes of at most [`SHORT`] steps are walked
/// alone as they come: the core overlaps consecutive short walks by itself,
/// and does it better than the stream bookkeeping.
#[target_feature(enable = "sha,sse4.1,ssse3")]
pub(crate) fn walk_many(lanes: &mut [Lane]) {
    walk_many_n::<STREAMS>(lanes);
}

/// [`walk_many`] with `S` streams.
#[target_feature(enable = "sha,sse4.1,ssse3")]
fn walk_many_n<const S: usize>(lanes: &mut [Lane]) {
    let iv = iv();
    let idle = stream(&[0; 8], &[0; 4], 0, 0, iv);
    let mut st = [idle; S];
    let mut who = [EMPTY; S];
    let mut rem = [0u32; S];
    let mut next = 0usize;
    let mut live = 0usize;
    loop {
        for slot in 0..S {
            if who[slot] != EMPTY {
                continue;
            }
            while let Some(lane) = lanes.get_mut(next) {
                let i = next;
                next += 1;
                if lane.from <= lane.to {
                    lane.from = lane.to;
                    continue;
                }
                if lane.from - lane.to <= SHORT {
                    lane.word = walk(&lane.id, lane.from, &lane.word, lane.to);
                    lane.from = lane.to;
                    continue;
                }
                let (w, id15) = id_words(&lane.id);
                st[slot] = stream(&word_to_state(&lane.word), &w, id15, lane.from, iv);
                who[slot] = i;
                rem[slot] = lane.from - lane.to;
                live += 1;
                break;
            }
        }
        if live == 0 {
            return;
        }
        if live == 1 && next >= lanes.len() {
            // The last lane: alone, at the latency floor.
            for slot in 0..S {
                if let Some(lane) = lanes.get_mut(who[slot]) {
                    let mut one = [st[slot]];
                    for _ in 0..rem[slot] {
                        step(&mut one, iv);
                    }
                    lane.word = state_to_word(&state(&one[0]));
                    lane.from = lane.to;
                }
            }
            return;
        }
        let mut run = u32::MAX;
        for (&r, &i) in rem.iter().zip(&who) {
            if i != EMPTY {
                run = run.min(r);
            }
        }
        for _ in 0..run {
            step(&mut st, iv);
        }
        for slot in 0..S {
            if let Some(lane) = lanes.get_mut(who[slot]) {
                rem[slot] -= run;
                if rem[slot] == 0 {
                    lane.word = state_to_word(&state(&st[slot]));
                    lane.from = lane.to;
                    who[slot] = EMPTY;
                    live -= 1;
                }
            }
        }
    }
}

/// Lanes of at most this many steps skip the streams (see [`walk_many`]).
const SHORT: u32 = 4;

/// Streams interleaved by the multi-lane SHA-NI kernel.
pub(crate) const STREAMS: usize = 4;
