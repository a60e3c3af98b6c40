//! The LM-OTS algorithms shared by signing and verification: digits and checksum (RFC 8554, section 4.4), the tweaked chain step, chain walks, and the candidate public key of Algorithm 4b.

use super::*;

/// Reads a big-endian `u32` at `at`, or says how short the input was.
pub(super) fn read_u32(bytes: &[u8], at: usize) -> Result<u32, LmotsError> {
    let field = at
        .checked_add(4)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok());
    match field {
        Some(b) => Ok(u32::from_be_bytes(b)),
        None => Err(LmotsError::Truncated {
            needed: 4,
            remaining: bytes.len().saturating_sub(at),
        }),
    }
}

/// Reads a fixed-size array at `at`, or says how short the input was.
pub(super) fn read_array<const L: usize>(bytes: &[u8], at: usize) -> Result<[u8; L], LmotsError> {
    at.checked_add(L)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; L]>::try_from(s).ok())
        .ok_or(LmotsError::Truncated {
            needed: L,
            remaining: bytes.len().saturating_sub(at),
        })
}

/// RFC 8554, Algorithm 0 (`coef`, section 3.1.3): the `i`-th `w`-bit digit
/// of `s`, most significant first. Digits past the end of `s` read as 0.
pub(super) fn coef(s: &[u8], i: usize, w: u8) -> u8 {
    let w = usize::from(w);
    // w is 1, 2, 4 or 8 and i < 8·|s|, so none of this can overflow.
    let digits_per_byte = 8 / w;
    let byte = s.get(i * w / 8).copied().unwrap_or(0);
    let shift = 8 - (w * (i % digits_per_byte) + w);
    let mask = u8::MAX >> (8 - w);
    (byte >> shift) & mask
}

/// RFC 8554, Algorithm 2 (checksum, section 4.4): the sum of `2^w − 1 − d`
/// over the `8n/w` digits `d` of `q`, shifted left by `ls`.
pub(super) fn checksum(params: LmotsParams, q: &[u8; N]) -> u16 {
    let w = params.w();
    let max = u32::from(params.max_digit());
    let digits = N * 8 / usize::from(w);
    let sum: u32 = (0..digits)
        .map(|i| max - u32::from(coef(q, i, w)))
        .sum::<u32>();
    // The sum is at most 256 (W1), 384 (W2), 960 (W4) or 8160 (W8); shifted
    // by ls it stays below 2^16 for every parameter set.
    let [_, _, hi, lo] = (sum << params.ls()).to_be_bytes();
    u16::from_be_bytes([hi, lo])
}

/// The `p` digits `a[i] = coef(Q ‖ Cksm(Q), i, w)` of RFC 8554, Algorithms 3
/// and 4b.
pub(super) fn digits(params: LmotsParams, q: &[u8; N]) -> [u8; MAX_P] {
    let mut s = [0u8; N + 2];
    let (head, tail) = s.split_at_mut(N);
    head.copy_from_slice(q);
    tail.copy_from_slice(&checksum(params, q).to_be_bytes());
    let mut a = [0u8; MAX_P];
    for (i, d) in a.iter_mut().take(params.p()).enumerate() {
        *d = coef(&s, i, params.w());
    }
    a
}

/// `Q = H(I ‖ u32str(q) ‖ u16str(D_MESG) ‖ C ‖ message)` (RFC 8554,
/// Algorithms 3 and 4b).
pub(super) fn message_digest(id: &[u8; ID_LEN], q: u32, c: &[u8; N], message: &[u8]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(q.to_be_bytes());
    h.update(D_MESG);
    h.update(c);
    h.update(message);
    h.finalize().into()
}

/// `K = H(I ‖ u32str(q) ‖ u16str(D_PBLC) ‖ z[0] ‖ … ‖ z[p−1])` (RFC 8554,
/// Algorithms 1 and 4b).
pub(super) fn public_key_hash(id: &[u8; ID_LEN], q: u32, ends: &[[u8; N]]) -> [u8; N] {
    let mut h = sha2::Sha256::new();
    h.update(id);
    h.update(q.to_be_bytes());
    h.update(D_PBLC);
    for z in ends {
        h.update(z);
    }
    h.finalize().into()
}

/// One chain step `H(I ‖ u32str(q) ‖ u16str(i) ‖ u8str(j) ‖ tmp)`: 55 bytes,
/// one SHA-256 compression.
#[inline(always)]
pub(super) fn chain_step(id: &[u8; ID_LEN], q: &[u8; 4], i: u16, j: u8, tmp: &[u8; N]) -> [u8; N] {
    sha256_one_block::<55>(&[id, q, &i.to_be_bytes(), &[j], tmp])
}

/// Which part of each chain [`advance`] walks.
#[derive(Clone, Copy)]
pub(super) enum Steps<'a> {
    /// Steps `0 .. 2^w − 1` of every chain (key generation, Algorithm 1).
    Whole,
    /// Steps `0 .. a[i]` of chain `i` (signing, Algorithm 3).
    Below(&'a [u8; MAX_P]),
    /// Steps `a[i] .. 2^w − 1` of chain `i` (verification, Algorithm 4b).
    From(&'a [u8; MAX_P]),
}

/// Walks the chains `words[i]` (one per `i`) through the steps `steps` picks.
///
/// The walk goes step by step across all chains rather than chain by chain:
/// consecutive hashes are then independent of one another, so the processor
/// overlaps them instead of waiting for each result. The hashes computed,
/// and their inputs, are exactly those of the RFC's loops.
///
/// # Cost
///
/// At most `p·(2^w − 1)` compressions (exactly that many for
/// [`Steps::Whole`]).
pub(super) fn advance(
    params: LmotsParams,
    id: &[u8; ID_LEN],
    q: u32,
    words: &mut [[u8; N]],
    steps: Steps<'_>,
) {
    let qb = q.to_be_bytes();
    for j in 0..params.max_digit() {
        for ((i, word), k) in (0u16..).zip(words.iter_mut()).zip(0usize..) {
            let active = match steps {
                Steps::Whole => true,
                Steps::Below(a) => a.get(k).is_some_and(|&d| j < d),
                Steps::From(a) => a.get(k).is_some_and(|&d| j >= d),
            };
            if active {
                *word = chain_step(id, &qb, i, j, word);
            }
        }
    }
}

/// RFC 8554, Algorithm 4b over raw parts: the candidate public key for the
/// message and the signature `C`, `y` (`y` is `p·n` bytes).
pub(super) fn candidate_from_parts(
    params: LmotsParams,
    id: &[u8; ID_LEN],
    q: u32,
    message: &[u8],
    c: &[u8; N],
    y: &[u8],
) -> Result<[u8; N], LmotsError> {
    let p = params.p();
    let expected = p * N;
    if y.len() != expected {
        return Err(LmotsError::WrongLength {
            expected,
            actual: y.len(),
        });
    }
    let mut z = [[0u8; N]; MAX_P];
    let words = z.get_mut(..p).ok_or(LmotsError::Invalid)?;
    for (word, chunk) in words.iter_mut().zip(y.chunks_exact(N)) {
        word.copy_from_slice(chunk);
    }
    let a = digits(params, &message_digest(id, q, c, message));
    advance(params, id, q, words, Steps::From(&a));
    Ok(public_key_hash(id, q, words))
}
