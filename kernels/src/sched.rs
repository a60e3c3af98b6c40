//! The multi-lane scheduler: a fixed set of `W` slots, each holding one
//! lane's chain, advanced together by a kernel; a slot whose lane has
//! arrived is written back and refilled with the next pending lane.

use crate::Lane;
use crate::consts::{id_words, state_to_word, word_to_state};

/// The lanes of one kernel call, structure of arrays: `h[j][s]` is state word
/// `j` of slot `s`. Aligned for vector loads of 16 words.
#[repr(C, align(64))]
pub(crate) struct Slots<const W: usize> {
    /// The current word of each slot as eight state words (big-endian
    /// values of its 4-byte groups).
    pub(crate) h: [[u32; W]; 8],
    /// Message words `W0..W3` (role byte and the first 15 bytes of the id).
    pub(crate) w: [[u32; W]; 4],
    /// The last byte of the id, shifted into the top byte of `W4`.
    pub(crate) id15: [u32; W],
    /// The position of the next step (the current word is the word at `p`).
    pub(crate) p: [u32; W],
}

impl<const W: usize> Slots<W> {
    pub(crate) const fn new() -> Self {
        Self {
            h: [[0; W]; 8],
            w: [[0; W]; 4],
            id15: [0; W],
            p: [0; W],
        }
    }

    #[inline(always)]
    fn load(&mut self, slot: usize, lane: &Lane) {
        let h = word_to_state(&lane.word);
        for (col, hj) in self.h.iter_mut().zip(h) {
            col[slot] = hj;
        }
        let (w, id15) = id_words(&lane.id);
        for (col, wj) in self.w.iter_mut().zip(w) {
            col[slot] = wj;
        }
        self.id15[slot] = id15;
        self.p[slot] = lane.from;
    }

    #[inline(always)]
    fn word(&self, slot: usize) -> [u8; 32] {
        let mut h = [0u32; 8];
        for (hj, col) in h.iter_mut().zip(&self.h) {
            *hj = col[slot];
        }
        state_to_word(&h)
    }
}

/// Marks a slot that holds no lane.
const EMPTY: usize = usize::MAX;

/// Walks every lane through `steps`, a kernel that advances all `W` slots by
/// `n` steps (`n >= 1`). Empty slots are advanced too, on whatever they
/// hold, and their results are never read.
///
/// Lanes are taken in order; the kernel runs to the nearest arrival, the
/// arrived lanes are written back and their slots refilled, so lanes of
/// different lengths cost about `sum(lengths) / W` kernel steps plus the
/// tail. When at most `tail_below` lanes are left and none is pending,
/// they are written back (word and position so far) and `tail` finishes
/// them (a narrower kernel beats a mostly idle wide one): it gets the lanes
/// from the first unfinished one on, finished ones having `from == to`.
///
/// `bulk`, if given, walks `W` lanes of one common length `n` straight from
/// and back to the lanes (no slot stores): it takes every run of `W`
/// consecutive pending lanes of equal length met while all slots are empty
/// (batches of one-step lanes, or of equal walks, go through it whole).
#[inline(always)]
pub(crate) fn run<const W: usize>(
    lanes: &mut [Lane],
    mut steps: impl FnMut(&mut Slots<W>, u32),
    bulk: Option<fn(&mut [Lane; W], u32)>,
    tail_below: usize,
    mut tail: impl FnMut(&mut [Lane]),
) {
    let mut s = Slots::<W>::new();
    let mut who = [EMPTY; W];
    let mut rem = [0u32; W];
    let mut next = 0usize;
    let mut live = 0usize;
    loop {
        if let (0, Some(bulk)) = (live, bulk) {
            while let Some(group) = lanes
                .get_mut(next..)
                .and_then(|rest| rest.first_chunk_mut::<W>())
            {
                let n = group[0].from.wrapping_sub(group[0].to);
                if group[0].from <= group[0].to
                    || group.iter().any(|l| l.from <= l.to || l.from - l.to != n)
                {
                    break;
                }
                bulk(group, n);
                next += W;
            }
        }
        for slot in 0..W {
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
                s.load(slot, lane);
                who[slot] = i;
                rem[slot] = lane.from - lane.to;
                live += 1;
                break;
            }
        }
        if live == 0 {
            return;
        }
        if next >= lanes.len() && live <= tail_below {
            let mut first = usize::MAX;
            for (slot, &i) in who.iter().enumerate() {
                if let Some(lane) = lanes.get_mut(i) {
                    // Resume the lane from the slot's current word.
                    lane.word = s.word(slot);
                    lane.from = s.p[slot];
                    first = first.min(i);
                }
            }
            // Lanes before `first` are done; done lanes after it have
            // `from == to` and are skipped.
            if let Some(rest) = lanes.get_mut(first..) {
                tail(rest);
            }
            return;
        }
        let mut run = u32::MAX;
        for (&r, &i) in rem.iter().zip(&who) {
            if i != EMPTY {
                run = run.min(r);
            }
        }
        steps(&mut s, run);
        for slot in 0..W {
            let i = who[slot];
            if let Some(lane) = lanes.get_mut(i) {
                rem[slot] -= run;
                if rem[slot] == 0 {
                    lane.word = s.word(slot);
                    lane.from = lane.to;
                    who[slot] = EMPTY;
                    live -= 1;
                }
            }
        }
    }
}
