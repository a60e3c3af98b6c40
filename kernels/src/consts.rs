//! SHA-256 constants and the fixed parts of a chain-step block.

/// The SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
pub(crate) const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The SHA-256 round constants (FIPS 180-4, section 4.2.2).
pub(crate) const K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// The role byte of a chain step (`Role::ChainStep` in the core).
pub(crate) const ROLE_CHAIN_STEP: u8 = 0x01;

/// Message word 13 without the last state word: the `0x80` pad byte sits in
/// its third byte (`H7 << 24 | 0x0080_0000`).
pub(crate) const W13_PAD: u32 = 0x0080_0000;

/// Message word 15: the bit length of the 53-byte message.
pub(crate) const W15_LEN: u32 = 53 * 8;

/// `sigma0` of the message schedule.
#[inline(always)]
pub(crate) const fn small_sigma0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

/// `sigma1` of the message schedule.
#[inline(always)]
pub(crate) const fn small_sigma1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// `Sigma0` of the rounds.
#[inline(always)]
pub(crate) const fn big_sigma0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}

/// `Sigma1` of the rounds.
#[inline(always)]
pub(crate) const fn big_sigma1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// The per-chain constant message words `W0..W3` and the top byte of `W4`
/// (`id[15] << 24`).
#[inline(always)]
pub(crate) fn id_words(id: &[u8; 16]) -> ([u32; 4], u32) {
    let w = [
        u32::from_be_bytes([ROLE_CHAIN_STEP, id[0], id[1], id[2]]),
        u32::from_be_bytes([id[3], id[4], id[5], id[6]]),
        u32::from_be_bytes([id[7], id[8], id[9], id[10]]),
        u32::from_be_bytes([id[11], id[12], id[13], id[14]]),
    ];
    (w, u32::from(id[15]) << 24)
}

/// A word as the eight big-endian state words it serializes.
#[inline(always)]
pub(crate) fn word_to_state(word: &[u8; 32]) -> [u32; 8] {
    let mut h = [0u32; 8];
    for (hj, c) in h.iter_mut().zip(word.chunks_exact(4)) {
        *hj = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    h
}

/// The inverse of [`word_to_state`].
#[inline(always)]
pub(crate) fn state_to_word(h: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (c, hj) in out.chunks_exact_mut(4).zip(h) {
        c.copy_from_slice(&hj.to_be_bytes());
    }
    out
}

/// Round 0 from the IV is `T1 = ROUND0_T1 + W0`, `T2 = ROUND0_T2`: every
/// other input is the IV.
pub(crate) const ROUND0_T1: u32 = IV[7]
    .wrapping_add(big_sigma1(IV[4]))
    .wrapping_add((IV[4] & IV[5]) ^ (!IV[4] & IV[6]))
    .wrapping_add(K[0]);

/// See [`ROUND0_T1`].
pub(crate) const ROUND0_T2: u32 =
    big_sigma0(IV[0]).wrapping_add((IV[0] & IV[1]) ^ (IV[0] & IV[2]) ^ (IV[1] & IV[2]));
