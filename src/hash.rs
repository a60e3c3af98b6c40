//! Tweakable hashes: the one primitive every other layer is built on.
//!
//! Every hash the crate computes is *domain-separated* by a [`Tweak`]: a
//! [`Role`] tag, the 16-byte [`ChainId`] of the structure it belongs to, and a
//! 32-bit position. Two chains with different ids, or two positions in one
//! chain, never share a step function, so an attacker who sees many chain words
//! gains nothing from attacking them all at once (the multi-target argument of
//! Hülsing–Rijneveld–Song; RFC 8554 does the same with `I‖q‖i‖j`).
//!
//! The tweak is 21 bytes (`role ‖ chain id ‖ position`, big-endian), so a chain
//! step `tweak ‖ word` is 53 bytes and fits one SHA-256 block with its padding:
//! one compression per step. [`Sha256`] builds that padded block itself and calls
//! the compression function directly.
//!
//! The trait is sealed: the two implementations are [`Sha256`] (default) and
//! [`Blake3`], mirrored at run time by [`HashAlg`] for wire tags. Neither `sha2`
//! nor `blake3` types appear in the public API.

use core::fmt;

use rand_core::CryptoRng;
use sha2::Digest as _;

use crate::bytes::byte_newtype;

byte_newtype!(
    /// The 16-byte identifier of a chain (or of any structure whose hashes are
    /// tweaked with it). Choose it at random per chain: it keys every step
    /// function of the chain.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::ChainId;
    ///
    /// let id: ChainId = "000102030405060708090a0b0c0d0e0f".parse()?;
    /// assert_eq!(id.as_bytes()[15], 15);
    /// # Ok::<(), payword::HexError>(())
    /// ```
    ChainId,
    16
);

byte_newtype!(
    /// One 32-byte value of a chain.
    ///
    /// Words become public when they are spent; until then the words of a
    /// wallet are secret, so equality is in constant time.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Word;
    ///
    /// let w = Word::from_bytes([1; 32]);
    /// assert_eq!(Word::try_from(&w.as_bytes()[..])?, w);
    /// # Ok::<(), payword::LengthError>(())
    /// ```
    Word,
    32
);

byte_newtype!(
    /// The digest of a canonical message: its identity (brokers key their records on it) and
    /// what signatures cover. Payments name the commitment they pay under by its digest.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::Digest;
    ///
    /// let d = Digest::from_bytes([0; 32]);
    /// assert_eq!(d.to_string(), "0".repeat(64));
    /// ```
    Digest,
    32
);

impl ChainId {
    /// A fresh random chain id from the caller's cryptographic RNG.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::ChainId;
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_chacha::rand_core::SeedableRng;
    ///
    /// let mut rng = ChaCha20Rng::from_seed([0; 32]);
    /// assert_ne!(ChainId::random(&mut rng), ChainId::random(&mut rng));
    /// ```
    #[must_use]
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    /// The id of sub-structure `index` of this one (for example the chain of
    /// one denomination in a purse): `H(DeriveId, self, index)` truncated to 16
    /// bytes.
    #[must_use]
    pub fn derive<H: TweakableHash>(&self, index: u32) -> Self {
        let full = H::hash_parts(&Tweak::new(Role::DeriveId, *self, index), &[]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&full[..16]);
        Self(id)
    }
}

/// What a hash call is for. Part of every [`Tweak`], so hashes made for one
/// purpose can never be replayed as hashes for another.
///
/// The byte values are part of the known-answer vectors and never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Role {
    /// One step of a payment chain: `w_{i-1} = F(id, i, w_i)`.
    ChainStep = 0x01,
    /// Expansion of a secret seed into the top word `w_n` of a chain.
    SeedExpand = 0x02,
    /// A Merkle-tree leaf.
    MerkleLeaf = 0x03,
    /// An inner Merkle-tree node.
    MerkleNode = 0x04,
    /// A step of a one-time-signature chain.
    OtsChain = 0x05,
    /// The digest of a message that is about to be signed.
    MessageDigest = 0x06,
    /// Derivation of a sub-chain id (for example one denomination of a purse).
    DeriveId = 0x07,
    /// Derivation of chain-renewal values from a chain's seed (module
    /// `renew`): the LM-OTS seed (position 0), the next
    /// chain's seed (1), the next chain's id (2) and the signing randomizer (3).
    RenewKdf = 0x08,
}

/// The domain separator of one hash call: role, chain id and position.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, Role, Tweak};
///
/// let t = Tweak::new(Role::ChainStep, ChainId::from_bytes([7; 16]), 42);
/// assert_eq!(t.to_bytes()[0], 0x01);
/// assert_eq!(&t.to_bytes()[17..], &42u32.to_be_bytes());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tweak {
    role: Role,
    chain_id: ChainId,
    position: u32,
}

impl Tweak {
    /// Length of the encoded tweak in bytes.
    pub const LEN: usize = 21;

    /// A tweak for `role` at `position` of the structure `chain_id`.
    #[must_use]
    pub const fn new(role: Role, chain_id: ChainId, position: u32) -> Self {
        Self {
            role,
            chain_id,
            position,
        }
    }

    /// The role tag.
    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    /// The chain id.
    #[must_use]
    pub const fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    /// The position.
    #[must_use]
    pub const fn position(&self) -> u32 {
        self.position
    }

    /// The 21-byte encoding `role ‖ chain id ‖ position (big-endian)`.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        self.write(&mut out);
        out
    }

    #[inline(always)]
    fn write(&self, out: &mut [u8; Self::LEN]) {
        let (role, rest) = out.split_at_mut(1);
        let (id, pos) = rest.split_at_mut(16);
        role[0] = self.role as u8;
        id.copy_from_slice(self.chain_id.as_bytes());
        pos.copy_from_slice(&self.position.to_be_bytes());
    }
}

/// The hash algorithm, as a run-time value (wire tag).
///
/// # Examples
///
/// ```
/// use payword::HashAlg;
///
/// assert_eq!(HashAlg::from_tag(1), Some(HashAlg::Sha256));
/// assert_eq!(HashAlg::Blake3.tag(), 2);
/// assert_eq!(HashAlg::from_tag(0), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4). The default.
    #[default]
    Sha256,
    /// BLAKE3.
    Blake3,
}

impl HashAlg {
    /// The one-byte wire tag: 1 for SHA-256, 2 for BLAKE3.
    #[must_use]
    pub const fn tag(self) -> u8 {
        match self {
            Self::Sha256 => 1,
            Self::Blake3 => 2,
        }
    }

    /// The algorithm for a wire tag, or `None` for an unknown tag.
    #[must_use]
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::Sha256),
            2 => Some(Self::Blake3),
            _ => None,
        }
    }

    /// A short lower-case name (`"sha256"`, `"blake3"`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Blake3 => "blake3",
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A tweakable hash function with 32-byte output.
///
/// Sealed: implemented by [`Sha256`], [`Blake3`] and (with `std`) the counting
/// wrapper [`Counting`](crate::Counting).
///
/// # Examples
///
/// ```
/// use payword::{Blake3, ChainId, Sha256, TweakableHash, Word};
///
/// let id = ChainId::from_bytes([1; 16]);
/// let w = Word::from_bytes([2; 32]);
/// let a = Sha256::chain_step(&id, 5, &w);
/// assert_ne!(a, Sha256::chain_step(&id, 6, &w));
/// assert_ne!(a, Blake3::chain_step(&id, 5, &w));
/// ```
pub trait TweakableHash:
    sealed::Sealed + Copy + Default + fmt::Debug + Eq + Send + Sync + 'static
{
    /// The run-time tag of this algorithm.
    const ALG: HashAlg;

    /// One chain step: `F(chain_id, position, word)`, the hash of
    /// `Tweak(ChainStep, chain_id, position) ‖ word`.
    ///
    /// # Cost
    ///
    /// One compression (SHA-256: one 64-byte block; BLAKE3: one chunk).
    fn chain_step(chain_id: &ChainId, position: u32, word: &Word) -> Word;

    /// Chain steps from position `from` down to position `to`: given
    /// `word = w_from`, returns `w_to`, that is
    /// `F(chain_id, to + 1, … F(chain_id, from, word) …)`. Returns `word`
    /// unchanged when `to ≥ from`.
    ///
    /// Equal to calling [`chain_step`](Self::chain_step) at `from`,
    /// `from − 1`, …, `to + 1`; [`Sha256`] runs it faster by building the
    /// padded block once and rewriting only the position and the word.
    ///
    /// # Cost
    ///
    /// `from − to` compressions (none if `to ≥ from`).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, Sha256, TweakableHash, Word};
    ///
    /// let id = ChainId::from_bytes([1; 16]);
    /// let w5 = Word::from_bytes([5; 32]);
    /// let w4 = Sha256::chain_step(&id, 5, &w5);
    /// let w3 = Sha256::chain_step(&id, 4, &w4);
    /// assert_eq!(Sha256::chain_walk(&id, 5, &w5, 3), w3);
    /// assert_eq!(Sha256::chain_walk(&id, 5, &w5, 5), w5);
    /// ```
    #[inline]
    fn chain_walk(chain_id: &ChainId, from: u32, word: &Word, to: u32) -> Word {
        let mut w = *word;
        let mut i = from;
        while i > to {
            w = Self::chain_step(chain_id, i, &w);
            i -= 1;
        }
        w
    }

    /// Many independent walks at once: each lane's `word` (at its `from`)
    /// becomes the word at its `to`, as [`chain_walk`](Self::chain_walk)
    /// would give, and its `from` becomes `to`. Lanes may have different
    /// chains and lengths.
    ///
    /// [`Sha256`] advances the lanes side by side in SIMD registers where
    /// the CPU has them (the `simd` feature: 16 lanes with AVX-512, 8 with
    /// AVX2); otherwise, and for other hashes, one walk after another.
    ///
    /// # Cost
    ///
    /// The sum of `from − to` over the lanes, in compressions.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, Sha256, TweakableHash, WalkLane, Word};
    ///
    /// let (a, b) = (ChainId::from_bytes([1; 16]), ChainId::from_bytes([2; 16]));
    /// let w = Word::from_bytes([5; 32]);
    /// let mut lanes = [WalkLane::new(a, 9, w, 0), WalkLane::new(b, 3, w, 1)];
    /// Sha256::chain_walk_many(&mut lanes);
    /// assert_eq!(lanes[0].word, Sha256::chain_walk(&a, 9, &w, 0));
    /// assert_eq!(lanes[1].word, Sha256::chain_walk(&b, 3, &w, 1));
    /// assert_eq!((lanes[0].from, lanes[1].from), (0, 1));
    /// ```
    #[inline]
    fn chain_walk_many(lanes: &mut [WalkLane]) {
        for lane in lanes {
            lane.word = Self::chain_walk(&lane.chain_id, lane.from, &lane.word, lane.to);
            lane.from = lane.from.min(lane.to);
        }
    }

    /// The hash of `tweak ‖ word`, one compression, for any role.
    fn hash_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32];

    /// The hash of `tweak ‖ parts[0] ‖ parts[1] ‖ …`.
    ///
    /// Callers give the parts a fixed layout per role (fixed-width fields, or a
    /// length before anything variable), so the concatenation is unambiguous.
    fn hash_parts(tweak: &Tweak, parts: &[&[u8]]) -> [u8; 32];
}

/// One walk of [`TweakableHash::chain_walk_many`]: the word at position
/// `from` of chain `chain_id`, to be walked down to position `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkLane {
    /// The chain.
    pub chain_id: ChainId,
    /// The position of `word` (after the walk: `min(from, to)`).
    pub from: u32,
    /// The position to walk down to.
    pub to: u32,
    /// The word at `from` (after the walk: the word at `to`).
    pub word: Word,
}

impl WalkLane {
    /// A lane from `word` at `from` down to `to`.
    #[must_use]
    pub const fn new(chain_id: ChainId, from: u32, word: Word, to: u32) -> Self {
        Self {
            chain_id,
            from,
            to,
            word,
        }
    }
}

/// SHA-256, the default hash.
///
/// A chain step costs exactly one call of the SHA-256 compression function on
/// a block the crate pads itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sha256;

/// BLAKE3 (32-byte output, unkeyed; all domain separation is in the tweak).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Blake3;

impl sealed::Sealed for Sha256 {}
impl sealed::Sealed for Blake3 {}

/// The SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-256 of a message of at most 55 bytes given in pieces, with one
/// compression. The pieces must add up to exactly `LEN` bytes.
///
/// This is what the one-block hashes of the crate (chain steps, and RFC 8554's
/// `I‖q‖i‖j‖tmp` in LM-OTS) use.
#[inline(always)]
pub(crate) fn sha256_one_block<const LEN: usize>(pieces: &[&[u8]]) -> [u8; 32] {
    const { assert!(LEN <= 55, "a one-block SHA-256 message is at most 55 bytes") };
    let mut block = [0u8; 64];
    let mut at = 0usize;
    for piece in pieces {
        let end = at.saturating_add(piece.len()).min(LEN);
        if let (Some(dst), Some(src)) = (block.get_mut(at..end), piece.get(..end - at)) {
            dst.copy_from_slice(src);
        }
        at = end;
    }
    debug_assert_eq!(at, LEN, "pieces must add up to LEN bytes");
    block[LEN] = 0x80;
    let bits = (LEN as u64) * 8;
    block[56..].copy_from_slice(&bits.to_be_bytes());
    let mut state = SHA256_IV;
    sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));
    // The block may hold a secret (LM-OTS derives private chain values from
    // the seed through this function): clear it.
    zeroize::Zeroize::zeroize(&mut block);
    state_to_bytes(&state)
}

/// The padded SHA-256 block of one chain step, `tweak(ChainStep, id, i) ‖
/// word ‖ 0x80 ‖ zeros ‖ 424` (53 bytes of message, bit length 424).
///
/// A walk builds it once and then rewrites only the position (bytes 17..21)
/// and the word (bytes 21..53) per step: fewer stores before each compression
/// than building the block afresh, which is what limits a dependent chain of
/// compressions through `compress256` (it reads the block from memory right
/// after those stores).
struct StepBlock([u8; 64]);

impl StepBlock {
    const POS: usize = 1 + 16;
    const WORD: usize = Tweak::LEN;

    #[inline(always)]
    fn new(chain_id: &ChainId) -> Self {
        let mut b = [0u8; 64];
        b[0] = Role::ChainStep as u8;
        b[1..Self::POS].copy_from_slice(chain_id.as_bytes());
        b[Self::WORD + 32] = 0x80;
        b[56..].copy_from_slice(&((Tweak::LEN as u64 + 32) * 8).to_be_bytes());
        Self(b)
    }

    #[inline(always)]
    fn set_position(&mut self, position: u32) {
        self.0[Self::POS..Self::WORD].copy_from_slice(&position.to_be_bytes());
    }

    #[inline(always)]
    fn set_word(&mut self, word: &[u8; 32]) {
        self.0[Self::WORD..Self::WORD + 32].copy_from_slice(word);
    }

    /// Writes the digest held in `state` as the word, in four 8-byte stores.
    #[inline(always)]
    fn set_word_from_state(&mut self, state: &[u32; 8]) {
        let dst = &mut self.0[Self::WORD..Self::WORD + 32];
        for (chunk, pair) in dst.chunks_exact_mut(8).zip(state.chunks_exact(2)) {
            let v = (u64::from(pair[0]) << 32) | u64::from(pair[1]);
            chunk.copy_from_slice(&v.to_be_bytes());
        }
    }

    #[inline(always)]
    fn compress(&self) -> [u32; 8] {
        let mut state = SHA256_IV;
        sha2::block_api::compress256(&mut state, core::slice::from_ref(&self.0));
        state
    }
}

#[inline(always)]
fn state_to_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The chain walk on `sha2`'s compression (the path without the `simd`
/// kernels): the padded block is built once, then only the position and the
/// word are rewritten per step. `from > to`.
#[cfg_attr(feature = "simd", allow(dead_code))]
#[inline]
fn portable_walk(chain_id: &ChainId, from: u32, word: &Word, to: u32) -> Word {
    let mut block = StepBlock::new(chain_id);
    block.set_word(word.as_bytes());
    block.set_position(from);
    let mut state = block.compress();
    let mut i = from.saturating_sub(1);
    while i > to {
        block.set_position(i);
        block.set_word_from_state(&state);
        state = block.compress();
        i -= 1;
    }
    Word::from_bytes(state_to_bytes(&state))
}

impl TweakableHash for Sha256 {
    const ALG: HashAlg = HashAlg::Sha256;

    #[inline]
    fn chain_step(chain_id: &ChainId, position: u32, word: &Word) -> Word {
        crate::cost::on_chain_steps(1);
        #[cfg(feature = "simd")]
        if let Some(below) = position.checked_sub(1) {
            return Word::from_bytes(payword_kernels::walk(
                chain_id.as_bytes(),
                position,
                word.as_bytes(),
                below,
            ));
        }
        let mut block = StepBlock::new(chain_id);
        block.set_position(position);
        block.set_word(word.as_bytes());
        Word::from_bytes(state_to_bytes(&block.compress()))
    }

    #[inline]
    fn chain_walk(chain_id: &ChainId, from: u32, word: &Word, to: u32) -> Word {
        if from <= to {
            return *word;
        }
        crate::cost::on_chain_steps(u64::from(from - to));
        #[cfg(feature = "simd")]
        {
            Word::from_bytes(payword_kernels::walk(
                chain_id.as_bytes(),
                from,
                word.as_bytes(),
                to,
            ))
        }
        #[cfg(not(feature = "simd"))]
        portable_walk(chain_id, from, word, to)
    }

    #[cfg(feature = "simd")]
    fn chain_walk_many(lanes: &mut [WalkLane]) {
        const CHUNK: usize = 64;
        let blank = payword_kernels::Lane {
            id: [0; 16],
            from: 0,
            to: 0,
            word: [0; 32],
        };
        for group in lanes.chunks_mut(CHUNK) {
            // A pass over the lanes only when counting.
            #[cfg(feature = "count")]
            crate::cost::on_chain_steps(
                group
                    .iter()
                    .map(|l| u64::from(l.from.saturating_sub(l.to)))
                    .sum(),
            );
            let mut k = [blank; CHUNK];
            for (dst, src) in k.iter_mut().zip(group.iter()) {
                *dst = payword_kernels::Lane {
                    id: *src.chain_id.as_bytes(),
                    from: src.from,
                    to: src.to,
                    word: *src.word.as_bytes(),
                };
            }
            payword_kernels::walk_many(k.get_mut(..group.len()).unwrap_or_default());
            for (dst, src) in group.iter_mut().zip(k.iter()) {
                dst.word = Word::from_bytes(src.word);
                dst.from = dst.from.min(dst.to);
            }
        }
    }

    #[inline]
    fn hash_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32] {
        crate::cost::on_word();
        // Build the single padded block directly: tweak (21) ‖ word (32) ‖ 0x80
        // ‖ zeros ‖ bit length 424. One compression, no buffering.
        let mut block = [0u8; 64];
        let (head, tail) = block.split_at_mut(Tweak::LEN);
        let mut t = [0u8; Tweak::LEN];
        tweak.write(&mut t);
        head.copy_from_slice(&t);
        tail[..32].copy_from_slice(word);
        tail[32] = 0x80;
        block[56..].copy_from_slice(&(53u64 * 8).to_be_bytes());
        let mut state = SHA256_IV;
        sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));
        state_to_bytes(&state)
    }

    fn hash_parts(tweak: &Tweak, parts: &[&[u8]]) -> [u8; 32] {
        crate::cost::on_parts();
        let mut h = sha2::Sha256::new();
        h.update(tweak.to_bytes());
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }
}

impl TweakableHash for Blake3 {
    const ALG: HashAlg = HashAlg::Blake3;

    #[inline]
    fn chain_step(chain_id: &ChainId, position: u32, word: &Word) -> Word {
        crate::cost::on_chain_steps(1);
        Word::from_bytes(blake3_word(
            &Tweak::new(Role::ChainStep, *chain_id, position),
            word.as_bytes(),
        ))
    }

    #[inline]
    fn hash_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32] {
        crate::cost::on_word();
        blake3_word(tweak, word)
    }

    fn hash_parts(tweak: &Tweak, parts: &[&[u8]]) -> [u8; 32] {
        crate::cost::on_parts();
        let mut h = blake3::Hasher::new();
        h.update(&tweak.to_bytes());
        for p in parts {
            h.update(p);
        }
        *h.finalize().as_bytes()
    }
}

/// BLAKE3 of `tweak ‖ word` (uncounted: the callers count).
#[inline]
fn blake3_word(tweak: &Tweak, word: &[u8; 32]) -> [u8; 32] {
    let mut input = [0u8; Tweak::LEN + 32];
    let (head, tail) = input.split_at_mut(Tweak::LEN);
    let mut t = [0u8; Tweak::LEN];
    tweak.write(&mut t);
    head.copy_from_slice(&t);
    tail.copy_from_slice(word);
    *blake3::hash(&input).as_bytes()
}

/// A streaming hash of a message: `SHA-256(Tweak(MessageDigest, 0, type tag)
/// ‖ bytes…)`, fed piece by piece so no buffer bounds the message.
///
/// Under `cfg(fuzzing)` (set only by `cargo fuzz`) it is a cheap fold instead,
/// so a fuzzer can build messages whose digests it predicts.
#[derive(Clone)]
pub(crate) struct MessageHasher {
    #[cfg(not(fuzzing))]
    inner: sha2::Sha256,
    #[cfg(fuzzing)]
    fold: [u8; 32],
    #[cfg(fuzzing)]
    at: usize,
}

// Only signed messages (feature `ed25519`) hash message digests.
#[cfg_attr(not(feature = "protocol"), allow(dead_code))]
impl MessageHasher {
    /// A hasher for a message of type `type_tag`.
    pub(crate) fn new(type_tag: u8) -> Self {
        #[cfg(not(fuzzing))]
        {
            let tweak = Tweak::new(
                Role::MessageDigest,
                ChainId::from_bytes([0; 16]),
                u32::from(type_tag),
            );
            let mut inner = sha2::Sha256::new();
            inner.update(tweak.to_bytes());
            Self { inner }
        }
        #[cfg(fuzzing)]
        {
            Self {
                fold: [type_tag; 32],
                at: 0,
            }
        }
    }

    /// Feeds `bytes`.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        #[cfg(not(fuzzing))]
        self.inner.update(bytes);
        #[cfg(fuzzing)]
        for b in bytes {
            let i = self.at;
            if let Some(d) = self.fold.get_mut(i % 32) {
                *d ^= b.rotate_left((i / 32) as u32 % 8);
            }
            self.at = i.wrapping_add(1);
        }
    }

    /// The digest.
    pub(crate) fn finish(self) -> [u8; 32] {
        #[cfg(not(fuzzing))]
        {
            self.inner.finalize().into()
        }
        #[cfg(fuzzing)]
        {
            self.fold
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_block_matches_sha2_for_every_length() {
        let data: [u8; 55] = core::array::from_fn(|i| i as u8 ^ 0x5a);
        macro_rules! check {
            ($($n:literal)*) => {$(
                let expect: [u8; 32] = sha2::Sha256::digest(&data[..$n]).into();
                // Split the input in two pieces at every point.
                for cut in 0..=$n {
                    let got = sha256_one_block::<$n>(&[&data[..cut], &data[cut..$n]]);
                    assert_eq!(got, expect, "len {} cut {}", $n, cut);
                }
            )*};
        }
        check!(0 1 20 21 31 32 53 54 55);
    }

    #[test]
    fn chain_step_is_sha256_of_tweak_and_word() {
        let id = ChainId::from_bytes([0xab; 16]);
        let w = Word::from_bytes([0x11; 32]);
        let mut msg = [0u8; 53];
        msg[..21].copy_from_slice(&Tweak::new(Role::ChainStep, id, 9).to_bytes());
        msg[21..].copy_from_slice(w.as_bytes());
        let expect: [u8; 32] = sha2::Sha256::digest(msg).into();
        assert_eq!(Sha256::chain_step(&id, 9, &w).to_bytes(), expect);
        assert_eq!(
            Blake3::chain_step(&id, 9, &w).to_bytes(),
            *blake3::hash(&msg).as_bytes()
        );
        let parts = Sha256::hash_parts(&Tweak::new(Role::ChainStep, id, 9), &[w.as_bytes()]);
        assert_eq!(parts, expect);
        let parts = Blake3::hash_parts(&Tweak::new(Role::ChainStep, id, 9), &[&w.to_bytes()]);
        assert_eq!(parts, *blake3::hash(&msg).as_bytes());
    }

    #[test]
    fn chain_walk_equals_repeated_steps() {
        let id = ChainId::from_bytes([0x5a; 16]);
        let top = Word::from_bytes([0xc4; 32]);
        for (from, to) in [
            (0u32, 0u32),
            (1, 0),
            (2, 0),
            (9, 3),
            (5, 5),
            (4, 7),
            (u32::MAX, u32::MAX - 3),
        ] {
            let mut w = top;
            let mut i = from;
            while i > to {
                w = Sha256::chain_step(&id, i, &w);
                i -= 1;
            }
            assert_eq!(Sha256::chain_walk(&id, from, &top, to), w, "{from} -> {to}");
            let mut b = top;
            let mut i = from;
            while i > to {
                b = Blake3::chain_step(&id, i, &b);
                i -= 1;
            }
            assert_eq!(Blake3::chain_walk(&id, from, &top, to), b, "{from} -> {to}");
        }
    }

    #[test]
    fn roles_separate_domains() {
        let id = ChainId::from_bytes([3; 16]);
        let w = [9u8; 32];
        let a = Sha256::hash_word(&Tweak::new(Role::ChainStep, id, 1), &w);
        let b = Sha256::hash_word(&Tweak::new(Role::SeedExpand, id, 1), &w);
        assert_ne!(a, b);
    }

    #[test]
    fn hash_alg_tags_round_trip() {
        for alg in [HashAlg::Sha256, HashAlg::Blake3] {
            assert_eq!(HashAlg::from_tag(alg.tag()), Some(alg));
        }
        for tag in [0u8, 3, 0xff] {
            assert_eq!(HashAlg::from_tag(tag), None);
        }
    }
}
