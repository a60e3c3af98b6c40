//! The vendor's side: verifying paywords with bounded work.
//!
//! A [`Receiver`] holds the state of one chain (the last accepted payword, the
//! chain length and a per-message hash budget). [`Receiver::accept`] rejects a
//! replay, an index past `n` or a step over the budget **before hashing**,
//! compares in constant time, and reports the units newly paid.
//!
//! A [`PurseReceiver`] does the same for a multi-denomination purse: chains of
//! values `1, b, b², …` under one set of parameters, so that a payment of `A`
//! units costs the digit sum of `A` in base `b` hashes instead of `A`.

use core::fmt;
use core::marker::PhantomData;

use crate::chain::traversal::{Pebbler, Traversal};
use crate::chain::{Anchor, ChainError, ChainId, ChainParams, ChainSeed, Payword, Word, walk_down};
use crate::hash::{HashAlg, Sha256, TweakableHash};
use crate::wire::{DecodeError, Reader, Writer};

/// The default per-message budget: at most this many chain steps for one
/// payment (about 3 ms of SHA-256 on a desktop core).
pub const DEFAULT_STEP_LIMIT: u32 = 1 << 16;

/// Why a payment was refused. Deliberately small: a forgery says only that it
/// is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The index is not above the last accepted index.
    Replay {
        /// The index presented.
        index: u32,
        /// The last index accepted.
        last: u32,
    },
    /// The index is above the chain length.
    PastEnd {
        /// The index presented.
        index: u32,
        /// The chain length `n`.
        length: u32,
    },
    /// Verifying would take more chain steps than the budget allows. No hash
    /// was computed.
    OverBudget {
        /// Steps the payment needs.
        steps: u64,
        /// The budget.
        limit: u32,
    },
    /// The word does not hash to the last accepted word.
    Forged,
    /// A purse payment named a denomination the purse does not have.
    UnknownDenomination {
        /// The denomination index.
        denomination: u8,
    },
    /// A purse payment advanced no chain.
    Empty,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Replay { index, last } => {
                write!(f, "replayed payword: index {index} is not above {last}")
            }
            Self::PastEnd { index, length } => {
                write!(f, "index {index} is past the chain length {length}")
            }
            Self::OverBudget { steps, limit } => {
                write!(f, "payment needs {steps} hash steps, the limit is {limit}")
            }
            Self::Forged => f.write_str("payword does not verify"),
            Self::UnknownDenomination { denomination } => {
                write!(f, "unknown denomination {denomination}")
            }
            Self::Empty => f.write_str("payment advances no chain"),
        }
    }
}

impl core::error::Error for VerifyError {}

/// How many payments [`Receiver::accept_batch`] hashes side by side (it
/// takes any number, in groups of this size).
pub const BATCH_LANES: usize = 64;

/// The vendor's receiver for one chain.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Pebbler, Receiver, Sha256, Traversal, VerifyError};
///
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([9; 16]), 1000)?;
/// let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params)?;
/// let mut vendor = Receiver::<Sha256>::new(params, wallet.anchor())?;
///
/// let p1 = wallet.next_payword().unwrap();
/// assert_eq!(vendor.accept(&p1), Ok(1));
/// let p5 = wallet.advance(4).unwrap();
/// assert_eq!(vendor.accept(&p5), Ok(4));
/// assert_eq!(vendor.accept(&p1), Err(VerifyError::Replay { index: 1, last: 5 }));
/// assert_eq!(vendor.paid(), 5);
/// # Ok::<(), payword::ChainError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Receiver<H: TweakableHash = Sha256> {
    params: ChainParams,
    last: Payword,
    limit: u32,
    _hash: PhantomData<H>,
}

impl<H: TweakableHash> Receiver<H> {
    /// A fresh receiver for a chain committed to `anchor`.
    ///
    /// # Errors
    ///
    /// [`ChainError::AlgMismatch`] if `params` is not for `H`.
    pub fn new(params: ChainParams, anchor: Anchor) -> Result<Self, ChainError> {
        Self::resume(params, Payword::new(0, anchor.as_word()))
    }

    /// A receiver resumed from a persisted last payword (for example after a
    /// restart). The payword is trusted: it must be one this receiver accepted.
    ///
    /// # Errors
    ///
    /// [`ChainError::AlgMismatch`], or [`ChainError::IndexOutOfRange`] if the
    /// index is past `n`.
    pub fn resume(params: ChainParams, last: Payword) -> Result<Self, ChainError> {
        params.check_alg::<H>()?;
        if last.index() > params.length() {
            return Err(ChainError::IndexOutOfRange {
                index: last.index().into(),
                length: params.length(),
            });
        }
        Ok(Self {
            params,
            last,
            limit: DEFAULT_STEP_LIMIT,
            _hash: PhantomData,
        })
    }

    /// Sets the per-message budget: a payment needing more than `max_steps`
    /// chain steps is refused before any hashing. A limit of 0 refuses
    /// everything.
    #[must_use]
    pub const fn with_limit(mut self, max_steps: u32) -> Self {
        self.limit = max_steps;
        self
    }

    /// The per-message budget in chain steps.
    #[must_use]
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// The chain parameters.
    #[must_use]
    pub const fn params(&self) -> &ChainParams {
        &self.params
    }

    /// The last accepted payword (index 0 and the anchor at first).
    #[must_use]
    pub const fn last(&self) -> &Payword {
        &self.last
    }

    /// Units paid so far: the last accepted index.
    #[must_use]
    pub const fn paid(&self) -> u32 {
        self.last.index()
    }

    /// The number of chain steps verifying `p` takes, checked against replay,
    /// the chain length and the budget. No hashing.
    fn steps_for(&self, p: &Payword) -> Result<u32, VerifyError> {
        let (index, last) = (p.index(), self.last.index());
        if index <= last {
            return Err(VerifyError::Replay { index, last });
        }
        if index > self.params.length() {
            return Err(VerifyError::PastEnd {
                index,
                length: self.params.length(),
            });
        }
        let steps = index - last;
        if steps > self.limit {
            return Err(VerifyError::OverBudget {
                steps: steps.into(),
                limit: self.limit,
            });
        }
        Ok(steps)
    }

    /// Checks `p` without changing the state; returns the units it would pay.
    ///
    /// # Cost
    ///
    /// `p.index() − last` chain steps when the checks pass; none otherwise.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Replay`], [`VerifyError::PastEnd`],
    /// [`VerifyError::OverBudget`] (all before any hashing), or
    /// [`VerifyError::Forged`].
    #[inline]
    pub fn check(&self, p: &Payword) -> Result<u32, VerifyError> {
        let steps = self.steps_for(p)?;
        let w = walk_down::<H>(self.params.id(), p.index(), *p.word(), self.last.index());
        if bool::from(subtle::ConstantTimeEq::ct_eq(&w, self.last.word())) {
            Ok(steps)
        } else {
            Err(VerifyError::Forged)
        }
    }

    /// Verifies `p` and, if it is good, makes it the last accepted payword.
    /// Returns the units newly paid.
    ///
    /// # Cost
    ///
    /// As [`Receiver::check`].
    ///
    /// # Errors
    ///
    /// As [`Receiver::check`]; on error the state is unchanged.
    #[inline]
    pub fn accept(&mut self, p: &Payword) -> Result<u32, VerifyError> {
        let units = self.check(p)?;
        self.last = *p;
        Ok(units)
    }

    /// Verifies many independent payments at once, one per receiver (a
    /// server with many customers): `batch[i]` is a receiver and the payword
    /// it was paid, and `results[i]` gets what [`accept`](Self::accept)
    /// would have returned for it. The refusals, budgets and state changes
    /// are those of calling `accept` on each in turn; only the hashing is
    /// done together ([`TweakableHash::chain_walk_many`]: SIMD lanes for
    /// SHA-256 where the CPU has them). No allocation: the batch is walked
    /// in groups of [`BATCH_LANES`].
    ///
    /// Returns how many payments were verified: `min(batch.len(),
    /// results.len())`; the rest of the longer slice is left alone.
    ///
    /// # Cost
    ///
    /// As `accept` for each payment (replay, range and budget checked before
    /// any hashing), with the hashing of up to [`BATCH_LANES`] payments side
    /// by side.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Payword, Pebbler, Receiver, Sha256, Traversal, VerifyError};
    ///
    /// let mut wallets = Vec::new();
    /// let mut vendors = Vec::new();
    /// for i in 0..3u8 {
    ///     let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([i; 16]), 100)?;
    ///     let w = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([i; 32]), params)?;
    ///     vendors.push(Receiver::<Sha256>::new(params, w.anchor())?);
    ///     wallets.push(w);
    /// }
    /// let p1 = wallets[0].advance(1).unwrap();
    /// let p3 = wallets[1].advance(3).unwrap();
    /// let forged = Payword::new(1, *wallets[2].advance(2).unwrap().word());
    /// let [a, b, c] = &mut vendors[..] else { unreachable!() };
    /// let mut batch = [(a, p1), (b, p3), (c, forged)];
    /// let mut results = [Ok(0); 3];
    /// assert_eq!(Receiver::accept_batch(&mut batch, &mut results), 3);
    /// assert_eq!(results, [Ok(1), Ok(3), Err(VerifyError::Forged)]);
    /// assert_eq!((vendors[0].paid(), vendors[1].paid(), vendors[2].paid()), (1, 3, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_batch(
        batch: &mut [(&mut Self, Payword)],
        results: &mut [Result<u32, VerifyError>],
    ) -> usize {
        let n = batch.len().min(results.len());
        let (batch, results) = (&mut batch[..n], &mut results[..n]);
        for (items, outs) in batch
            .chunks_mut(BATCH_LANES)
            .zip(results.chunks_mut(BATCH_LANES))
        {
            let mut lanes = [crate::hash::WalkLane::new(
                ChainId::from_bytes([0; 16]),
                0,
                Word::from_bytes([0; 32]),
                0,
            ); BATCH_LANES];
            // Which lane each item hashes in, if it passed the checks.
            let mut lane_of = [usize::MAX; BATCH_LANES];
            let mut used = 0;
            for (k, ((r, p), out)) in items.iter().zip(outs.iter_mut()).enumerate() {
                match r.steps_for(p) {
                    Err(e) => *out = Err(e),
                    Ok(steps) => {
                        *out = Ok(steps);
                        if let (Some(lane), Some(slot)) = (lanes.get_mut(used), lane_of.get_mut(k))
                        {
                            *lane = crate::hash::WalkLane::new(
                                *r.params.id(),
                                p.index(),
                                *p.word(),
                                r.last.index(),
                            );
                            *slot = used;
                            used += 1;
                        }
                    }
                }
            }
            H::chain_walk_many(lanes.get_mut(..used).unwrap_or_default());
            for (k, ((r, p), out)) in items.iter_mut().zip(outs.iter_mut()).enumerate() {
                let Some(lane) = lane_of.get(k).and_then(|&i| lanes.get(i)) else {
                    continue;
                };
                if bool::from(subtle::ConstantTimeEq::ct_eq(&lane.word, r.last.word())) {
                    r.last = *p;
                } else {
                    *out = Err(VerifyError::Forged);
                }
            }
        }
        n
    }

    /// Length of an encoded receiver state, in bytes.
    pub const ENCODED_LEN: usize = 2 + 1 + 16 + 4 + 4 + 4 + 32;

    /// Writes the receiver's state into `out` (persistence, not a network
    /// message) and returns its length, [`ENCODED_LEN`](Self::ENCODED_LEN);
    /// a shorter `out` receives what fits.
    ///
    /// Layout (`docs/WIRE.md`): tag `0x50` ‖ version `1` ‖ hash tag ‖ chain
    /// id (16) ‖ length `n` (u32) ‖ step limit (u32) ‖ last accepted index
    /// (u32; the units paid, 0 before the first payment) ‖ last accepted word
    /// (32; the anchor at index 0). The state holds only public values
    /// (spent paywords); store it after every accepted payment and before
    /// delivering what was paid for.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, ChainParams, ChainSeed, HashAlg, Pebbler, Receiver, Sha256, Traversal};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([9; 16]), 100)?;
    /// let mut wallet = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params)?;
    /// let mut vendor = Receiver::<Sha256>::new(params, wallet.anchor())?.with_limit(10);
    /// vendor.accept(&wallet.advance(3).unwrap()).unwrap();
    ///
    /// let mut state = [0u8; Receiver::<Sha256>::ENCODED_LEN];
    /// assert_eq!(vendor.encode(&mut state), 63);
    /// // After a restart:
    /// let mut resumed = Receiver::<Sha256>::decode(&state)?;
    /// assert_eq!((resumed.paid(), resumed.limit()), (3, 10));
    /// assert_eq!(resumed.accept(&wallet.next_payword().unwrap()), Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = Writer::new(out);
        w.put_u8(RECEIVER_STATE_TAG);
        w.put_u8(STATE_VERSION);
        w.put_u8(self.params.alg().tag());
        w.put(self.params.id().as_bytes());
        w.put_u32(self.params.length());
        w.put_u32(self.limit);
        write_last(&self.last, &mut w);
        w.position()
    }

    /// Restores a receiver from a state written by [`encode`](Self::encode):
    /// the same parameters, last accepted payword and step limit, so it
    /// accepts and refuses exactly what the encoded one did.
    ///
    /// Strict as the message decoders: every field is range-checked, reserved
    /// values and trailing bytes are refused, so a state has one encoding.
    /// The last payword is trusted (as in [`resume`](Self::resume)): keep the
    /// state where only the vendor writes.
    ///
    /// # Cost
    ///
    /// No hashing, no allocation.
    ///
    /// # Errors
    ///
    /// [`ReceiverStateError::Decode`] naming the field (an index past `n` is
    /// [`DecodeError::NonCanonical`] of `"last index"`), or
    /// [`ReceiverStateError::WrongHash`] for a state of chains of another
    /// hash than `H`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Blake3, ChainId, ChainParams, HashAlg, Receiver, ReceiverStateError, Sha256, Anchor};
    ///
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([9; 16]), 100)?;
    /// let vendor = Receiver::<Sha256>::new(params, Anchor::from_bytes([2; 32]))?;
    /// let mut state = [0u8; Receiver::<Sha256>::ENCODED_LEN];
    /// vendor.encode(&mut state);
    /// assert_eq!(
    ///     Receiver::<Blake3>::decode(&state).unwrap_err(),
    ///     ReceiverStateError::WrongHash { expected: HashAlg::Blake3, found: HashAlg::Sha256 }
    /// );
    /// assert!(Receiver::<Sha256>::decode(&state[..62]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiverStateError> {
        let mut r = Reader::new(bytes);
        let (alg, id) = read_state_header::<H>(&mut r, RECEIVER_STATE_TAG)?;
        let length = r.u32("length")?;
        let params = ChainParams::new(alg, id, length.into())
            .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
        let limit = r.u32("limit")?;
        let last = read_last(&mut r, length)?;
        r.finish()?;
        let me = Self::resume(params, last)
            .map_err(|_| DecodeError::NonCanonical {
                field: "last index",
            })?
            .with_limit(limit);
        Ok(me)
    }
}

/// Type tag of a persisted [`Receiver`] state (not a network message).
const RECEIVER_STATE_TAG: u8 = 0x50;
/// Type tag of a persisted [`PurseReceiver`] state (not a network message).
const PURSE_RECEIVER_STATE_TAG: u8 = 0x51;
/// Version byte of both receiver states.
const STATE_VERSION: u8 = 1;

/// Why a persisted [`Receiver`] or [`PurseReceiver`] state was refused.
///
/// # Examples
///
/// ```
/// use payword::{DecodeError, Receiver, ReceiverStateError, Sha256};
///
/// assert_eq!(
///     Receiver::<Sha256>::decode(&[0x51, 1]).unwrap_err(),
///     ReceiverStateError::Decode(DecodeError::UnknownTag { tag: 0x51 })
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiverStateError {
    /// The bytes are not a canonical receiver state: the error names the
    /// field.
    Decode(DecodeError),
    /// The state is for chains of another hash than the receiver type's.
    WrongHash {
        /// The receiver type's hash.
        expected: HashAlg,
        /// The state's.
        found: HashAlg,
    },
}

impl fmt::Display for ReceiverStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "bad receiver state: {e}"),
            Self::WrongHash { expected, found } => {
                write!(f, "receiver state is for {found} chains, not {expected}")
            }
        }
    }
}

impl core::error::Error for ReceiverStateError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            Self::WrongHash { .. } => None,
        }
    }
}

impl From<DecodeError> for ReceiverStateError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// Reads `tag ‖ version ‖ hash tag ‖ id` of a receiver state for `H`.
fn read_state_header<H: TweakableHash>(
    r: &mut Reader<'_>,
    tag: u8,
) -> Result<(HashAlg, ChainId), ReceiverStateError> {
    let t = r.u8("tag")?;
    if t != tag {
        return Err(DecodeError::UnknownTag { tag: t }.into());
    }
    let version = r.u8("version")?;
    if version != STATE_VERSION {
        return Err(DecodeError::UnknownVersion { version }.into());
    }
    let found =
        HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
    if found != H::ALG {
        return Err(ReceiverStateError::WrongHash {
            expected: H::ALG,
            found,
        });
    }
    Ok((found, ChainId::from_bytes(r.array("chain id")?)))
}

/// Writes a last accepted payword: index ‖ word.
fn write_last(p: &Payword, w: &mut Writer<'_>) {
    w.put_u32(p.index());
    w.put(p.word().as_bytes());
}

/// Reads a last accepted payword of a chain of length `n` (index 0 is the
/// anchor; an index past `n` is refused).
fn read_last(r: &mut Reader<'_>, n: u32) -> Result<Payword, DecodeError> {
    let index = r.u32("last index")?;
    if index > n {
        return Err(DecodeError::NonCanonical {
            field: "last index",
        });
    }
    Ok(Payword::new(index, Word::from_bytes(r.array("last word")?)))
}

/// The most denominations a purse may have.
pub const MAX_DENOMINATIONS: usize = 8;

/// Errors of purse parameters and purse payments on the customer side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurseError {
    /// The base must be at least 2.
    BadBase,
    /// The number of denominations must be 1 to [`MAX_DENOMINATIONS`].
    BadDenominations,
    /// The purse's capacity does not fit in a `u64`.
    CapacityOverflow,
    /// A chain parameter was refused.
    Chain(ChainError),
    /// The purse cannot pay this amount from what is left.
    InsufficientFunds {
        /// The amount asked for.
        amount: u64,
    },
    /// An amount of 0 was asked for.
    ZeroAmount,
}

impl fmt::Display for PurseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadBase => f.write_str("purse base must be at least 2"),
            Self::BadDenominations => {
                write!(f, "purse must have 1 to {MAX_DENOMINATIONS} denominations")
            }
            Self::CapacityOverflow => f.write_str("purse capacity overflows u64"),
            Self::Chain(e) => write!(f, "purse chain: {e}"),
            Self::InsufficientFunds { amount } => {
                write!(f, "purse cannot pay {amount} units from what is left")
            }
            Self::ZeroAmount => f.write_str("amount must be at least 1"),
        }
    }
}

impl core::error::Error for PurseError {}

impl From<ChainError> for PurseError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}

/// Parameters of a multi-denomination purse: `m` chains of `n` paywords each,
/// chain `j` worth `b^j` units per payword. Chain `j`'s id is
/// `id.derive(j)`.
///
/// # Examples
///
/// ```
/// use payword::{ChainId, HashAlg, PurseParams};
///
/// let p = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), 10, 4, 100)?;
/// assert_eq!(p.value(3), 1000);
/// assert_eq!(p.capacity(), 100 * 1111);
/// # Ok::<(), payword::PurseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PurseParams {
    alg: HashAlg,
    id: ChainId,
    base: u32,
    denominations: u8,
    length: u32,
    capacity: u64,
}

impl PurseParams {
    /// Checks and builds purse parameters.
    ///
    /// # Errors
    ///
    /// [`PurseError::BadBase`], [`PurseError::BadDenominations`],
    /// [`PurseError::Chain`] for a bad length, [`PurseError::CapacityOverflow`].
    pub fn new(
        alg: HashAlg,
        id: ChainId,
        base: u32,
        denominations: u8,
        length: u64,
    ) -> Result<Self, PurseError> {
        if base < 2 {
            return Err(PurseError::BadBase);
        }
        if denominations == 0 || usize::from(denominations) > MAX_DENOMINATIONS {
            return Err(PurseError::BadDenominations);
        }
        let chain = ChainParams::new(alg, id, length)?;
        let mut capacity: u64 = 0;
        let mut value: u64 = 1;
        for j in 0..denominations {
            if j > 0 {
                value = value
                    .checked_mul(base.into())
                    .ok_or(PurseError::CapacityOverflow)?;
            }
            let part = value
                .checked_mul(chain.length().into())
                .ok_or(PurseError::CapacityOverflow)?;
            capacity = capacity
                .checked_add(part)
                .ok_or(PurseError::CapacityOverflow)?;
        }
        Ok(Self {
            alg,
            id,
            base,
            denominations,
            length: chain.length(),
            capacity,
        })
    }

    /// The hash algorithm.
    #[must_use]
    pub const fn alg(&self) -> HashAlg {
        self.alg
    }

    /// The purse id (chain ids are derived from it).
    #[must_use]
    pub const fn id(&self) -> &ChainId {
        &self.id
    }

    /// The base `b`.
    #[must_use]
    pub const fn base(&self) -> u32 {
        self.base
    }

    /// The number of denominations `m`.
    #[must_use]
    pub const fn denominations(&self) -> u8 {
        self.denominations
    }

    /// The length `n` of every chain.
    #[must_use]
    pub const fn length(&self) -> u32 {
        self.length
    }

    /// The total value of the purse: `n · (1 + b + … + b^{m−1})`.
    #[must_use]
    pub const fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The value of one payword of denomination `j`: `b^j` (0 for a
    /// denomination the purse does not have).
    #[must_use]
    pub fn value(&self, j: u8) -> u64 {
        if j >= self.denominations {
            return 0;
        }
        // Cannot overflow: checked when the capacity was computed.
        u64::from(self.base).saturating_pow(j.into())
    }

    /// The parameters of the chain of denomination `j`.
    ///
    /// # Errors
    ///
    /// [`PurseError::BadDenominations`] for `j ≥ m`.
    pub fn chain(&self, j: u8) -> Result<ChainParams, PurseError> {
        if j >= self.denominations {
            return Err(PurseError::BadDenominations);
        }
        let id = match self.alg {
            HashAlg::Sha256 => self.id.derive::<Sha256>(j.into()),
            HashAlg::Blake3 => self.id.derive::<crate::hash::Blake3>(j.into()),
        };
        Ok(ChainParams::new(self.alg, id, self.length.into())?)
    }
}

/// A purse payment: for each denomination, optionally the new payword.
///
/// # Examples
///
/// ```
/// use payword::{PursePayment, Payword, Word};
///
/// let pay = PursePayment::new().with(2, Payword::new(3, Word::from_bytes([0; 32])));
/// assert_eq!(pay.part(2).map(|p| p.index()), Some(3));
/// assert!(pay.part(0).is_none());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PursePayment {
    parts: [Option<Payword>; MAX_DENOMINATIONS],
}

impl PursePayment {
    /// A payment advancing no chain.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            parts: [None; MAX_DENOMINATIONS],
        }
    }

    /// Sets the payword of denomination `j` (ignored for `j ≥ MAX_DENOMINATIONS`).
    #[must_use]
    pub fn with(mut self, j: u8, p: Payword) -> Self {
        if let Some(slot) = self.parts.get_mut(usize::from(j)) {
            *slot = Some(p);
        }
        self
    }

    /// The payword of denomination `j`, if this payment advances that chain.
    #[must_use]
    pub fn part(&self, j: u8) -> Option<&Payword> {
        self.parts.get(usize::from(j))?.as_ref()
    }

    /// The `(denomination, payword)` pairs in increasing denomination.
    pub fn parts(&self) -> impl Iterator<Item = (u8, &Payword)> {
        self.parts
            .iter()
            .zip(0u8..)
            .filter_map(|(p, j)| p.as_ref().map(|p| (j, p)))
    }
}

/// The customer's purse: one [`Pebbler`] per denomination, from one seed.
///
/// Paying `A` units advances the chains greedily from the highest
/// denomination down: with enough left in every chain and `A < b^m`, that is
/// the base-`b` digits of `A`, so the vendor hashes the digit sum of `A`: at
/// most `(b − 1)·⌈log_b A⌉` for `A ≥ 2` (and 1 for `A = 1`).
///
/// # Examples
///
/// ```
/// use payword::{ChainId, ChainSeed, HashAlg, Purse, PurseParams, PurseReceiver, Sha256};
///
/// let params = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 10, 3, 50)?;
/// let mut purse = Purse::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params)?;
/// let mut vendor = PurseReceiver::<Sha256>::new(params, purse.anchors())?;
/// let pay = purse.pay(347)?; // 3 hundreds, 4 tens, 7 ones
/// assert_eq!(vendor.accept(&pay), Ok(347));
/// assert_eq!(vendor.paid(), 347);
/// # Ok::<(), payword::PurseError>(())
/// ```
#[derive(Debug)]
pub struct Purse<H: TweakableHash> {
    params: PurseParams,
    chains: [Option<Pebbler<H>>; MAX_DENOMINATIONS],
}

impl<H: TweakableHash> Purse<H> {
    /// Builds every chain of the purse from `seed` (`m·(n + 1)` hashes).
    ///
    /// # Errors
    ///
    /// [`PurseError::Chain`] if `params` is not for `H`.
    pub fn new(seed: &ChainSeed, params: PurseParams) -> Result<Self, PurseError> {
        let mut chains: [Option<Pebbler<H>>; MAX_DENOMINATIONS] = Default::default();
        for (j, slot) in (0..params.denominations()).zip(chains.iter_mut()) {
            *slot = Some(Pebbler::new(seed, params.chain(j)?)?);
        }
        Ok(Self { params, chains })
    }

    /// The purse parameters.
    #[must_use]
    pub const fn params(&self) -> &PurseParams {
        &self.params
    }

    /// The anchors of the chains, denomination 0 first.
    #[must_use]
    pub fn anchors(&self) -> PurseAnchors {
        let mut a = PurseAnchors {
            anchors: [Anchor::from_bytes([0; 32]); MAX_DENOMINATIONS],
            count: self.params.denominations(),
        };
        for (slot, chain) in a.anchors.iter_mut().zip(self.chains.iter().flatten()) {
            *slot = chain.anchor();
        }
        a
    }

    /// Units still available.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.chains
            .iter()
            .zip(0u8..)
            .filter_map(|(c, j)| {
                c.as_ref()
                    .map(|c| u64::from(c.remaining()).saturating_mul(self.params.value(j)))
            })
            .fold(0u64, u64::saturating_add)
    }

    /// Pays `amount` units. Nothing changes if it cannot be paid.
    ///
    /// # Errors
    ///
    /// [`PurseError::ZeroAmount`], [`PurseError::InsufficientFunds`].
    pub fn pay(&mut self, amount: u64) -> Result<PursePayment, PurseError> {
        if amount == 0 {
            return Err(PurseError::ZeroAmount);
        }
        let mut steps = [0u32; MAX_DENOMINATIONS];
        let mut rest = amount;
        for j in (0..self.params.denominations()).rev() {
            let value = self.params.value(j);
            let left = self
                .chains
                .get(usize::from(j))
                .and_then(Option::as_ref)
                .map_or(0, Traversal::remaining);
            let take = (rest / value).min(left.into());
            rest -= take * value;
            if let Some(s) = steps.get_mut(usize::from(j)) {
                // `take ≤ left`, a u32.
                *s = u32::try_from(take).unwrap_or(0);
            }
        }
        if rest != 0 {
            return Err(PurseError::InsufficientFunds { amount });
        }
        let mut pay = PursePayment::new();
        for ((chain, &s), j) in self.chains.iter_mut().zip(&steps).zip(0u8..) {
            if let (Some(chain), true) = (chain.as_mut(), s > 0) {
                let p = chain
                    .advance(s)
                    .ok_or(PurseError::InsufficientFunds { amount })?;
                pay = pay.with(j, p);
            }
        }
        Ok(pay)
    }
}

/// The anchors of a purse's chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PurseAnchors {
    anchors: [Anchor; MAX_DENOMINATIONS],
    count: u8,
}

impl PurseAnchors {
    /// Anchors from a slice (denomination 0 first).
    ///
    /// # Errors
    ///
    /// [`PurseError::BadDenominations`] for an empty slice or one longer than
    /// [`MAX_DENOMINATIONS`].
    pub fn from_slice(anchors: &[Anchor]) -> Result<Self, PurseError> {
        if anchors.is_empty() || anchors.len() > MAX_DENOMINATIONS {
            return Err(PurseError::BadDenominations);
        }
        let mut a = [Anchor::from_bytes([0; 32]); MAX_DENOMINATIONS];
        for (slot, x) in a.iter_mut().zip(anchors) {
            *slot = *x;
        }
        Ok(Self {
            anchors: a,
            count: anchors.len() as u8,
        })
    }

    /// The anchors, denomination 0 first.
    #[must_use]
    pub fn as_slice(&self) -> &[Anchor] {
        self.anchors.get(..usize::from(self.count)).unwrap_or(&[])
    }
}

/// The vendor's receiver for a purse: all chains advance together or none.
#[derive(Clone, Debug)]
pub struct PurseReceiver<H: TweakableHash = Sha256> {
    params: PurseParams,
    chains: [Option<Receiver<H>>; MAX_DENOMINATIONS],
    limit: u32,
}

impl<H: TweakableHash> PurseReceiver<H> {
    /// A fresh receiver for a purse committed to `anchors`.
    ///
    /// # Errors
    ///
    /// [`PurseError::BadDenominations`] if the number of anchors is not `m`,
    /// [`PurseError::Chain`] if `params` is not for `H`.
    pub fn new(params: PurseParams, anchors: PurseAnchors) -> Result<Self, PurseError> {
        if anchors.as_slice().len() != usize::from(params.denominations()) {
            return Err(PurseError::BadDenominations);
        }
        let mut chains: [Option<Receiver<H>>; MAX_DENOMINATIONS] = Default::default();
        for ((slot, anchor), j) in chains.iter_mut().zip(anchors.as_slice()).zip(0u8..) {
            *slot = Some(Receiver::new(params.chain(j)?, *anchor)?);
        }
        Ok(Self {
            params,
            chains,
            limit: DEFAULT_STEP_LIMIT,
        })
    }

    /// A receiver resumed from `anchors` and the last accepted paywords
    /// (`last`, for example from a ledger): chains that `last` does not name
    /// start at their anchor. The paywords are trusted.
    ///
    /// # Errors
    ///
    /// As [`PurseReceiver::new`], and [`PurseError::Chain`] for an index past
    /// `n`.
    pub fn resume(
        params: PurseParams,
        anchors: PurseAnchors,
        last: &PursePayment,
    ) -> Result<Self, PurseError> {
        let mut me = Self::new(params, anchors)?;
        for (j, p) in last.parts() {
            let slot = me
                .chains
                .get_mut(usize::from(j))
                .and_then(Option::as_mut)
                .ok_or(PurseError::BadDenominations)?;
            *slot = Receiver::resume(*slot.params(), *p)?;
        }
        Ok(me)
    }

    /// The last accepted payword of every chain that has been paid on.
    #[must_use]
    pub fn last_payment(&self) -> PursePayment {
        let mut pay = PursePayment::new();
        for (c, j) in self.chains.iter().zip(0u8..) {
            if let Some(c) = c.as_ref().filter(|c| c.paid() > 0) {
                pay = pay.with(j, *c.last());
            }
        }
        pay
    }

    /// Sets the per-message budget (chain steps summed over all chains).
    #[must_use]
    pub fn with_limit(mut self, max_steps: u32) -> Self {
        self.limit = max_steps;
        for c in self.chains.iter_mut().flatten() {
            c.limit = max_steps;
        }
        self
    }

    /// Units paid so far.
    #[must_use]
    pub fn paid(&self) -> u64 {
        self.chains
            .iter()
            .zip(0u8..)
            .filter_map(|(c, j)| {
                c.as_ref()
                    .map(|c| u64::from(c.paid()).saturating_mul(self.params.value(j)))
            })
            .fold(0u64, u64::saturating_add)
    }

    /// The receiver of denomination `j`.
    #[must_use]
    pub fn chain(&self, j: u8) -> Option<&Receiver<H>> {
        self.chains.get(usize::from(j))?.as_ref()
    }

    /// Verifies a purse payment and, if every part is good, advances every
    /// chain it names. Returns the units newly paid.
    ///
    /// # Cost
    ///
    /// The sum over its parts of `index − last` chain steps; the replay,
    /// range and budget checks of every part come before any hashing.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Empty`], [`VerifyError::UnknownDenomination`], or the
    /// first error of any part; on error no chain changes.
    pub fn accept(&mut self, pay: &PursePayment) -> Result<u64, VerifyError> {
        let mut total_steps: u64 = 0;
        let mut any = false;
        for (j, p) in pay.parts() {
            let chain = self
                .chains
                .get(usize::from(j))
                .and_then(Option::as_ref)
                .ok_or(VerifyError::UnknownDenomination { denomination: j })?;
            total_steps += u64::from(chain.steps_for(p)?);
            any = true;
        }
        if !any {
            return Err(VerifyError::Empty);
        }
        if total_steps > u64::from(self.limit) {
            return Err(VerifyError::OverBudget {
                steps: total_steps,
                limit: self.limit,
            });
        }
        let mut units: u64 = 0;
        for (j, p) in pay.parts() {
            let chain = self
                .chains
                .get(usize::from(j))
                .and_then(Option::as_ref)
                .ok_or(VerifyError::UnknownDenomination { denomination: j })?;
            let steps = chain.check(p)?;
            units = units.saturating_add(u64::from(steps).saturating_mul(self.params.value(j)));
        }
        for (j, p) in pay.parts() {
            if let Some(Some(chain)) = self.chains.get_mut(usize::from(j)) {
                chain.last = *p;
            }
        }
        Ok(units)
    }

    /// Length of the largest encoded purse receiver state (8
    /// denominations), in bytes; a purse of `m` denominations takes
    /// `32 + 36·m`.
    pub const MAX_ENCODED_LEN: usize = 32 + 36 * MAX_DENOMINATIONS;

    /// Writes the receiver's state into `out` (persistence, not a network
    /// message) and returns its length, `32 + 36·m` (at most
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN)); a shorter `out` receives
    /// what fits.
    ///
    /// Layout (`docs/WIRE.md`): tag `0x51` ‖ version `1` ‖ hash tag ‖ purse
    /// id (16) ‖ base (u32) ‖ denominations `m` (u8) ‖ length `n` (u32) ‖
    /// step limit (u32) ‖ for each denomination, from 0: last accepted index
    /// (u32) ‖ last accepted word (32; the anchor at index 0). The units paid
    /// are `Σ index_j · b^j`. Public values only.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{ChainId, ChainSeed, HashAlg, Purse, PurseParams, PurseReceiver, Sha256};
    ///
    /// let params = PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 10, 3, 50)?;
    /// let mut purse = Purse::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params)?;
    /// let mut vendor = PurseReceiver::<Sha256>::new(params, purse.anchors())?;
    /// vendor.accept(&purse.pay(347)?).unwrap();
    ///
    /// let mut state = [0u8; PurseReceiver::<Sha256>::MAX_ENCODED_LEN];
    /// let len = vendor.encode(&mut state);
    /// assert_eq!(len, 32 + 36 * 3);
    /// let mut resumed = PurseReceiver::<Sha256>::decode(&state[..len])?;
    /// assert_eq!(resumed.paid(), 347);
    /// assert_eq!(resumed.accept(&purse.pay(12)?), Ok(12));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> usize {
        let mut w = Writer::new(out);
        w.put_u8(PURSE_RECEIVER_STATE_TAG);
        w.put_u8(STATE_VERSION);
        w.put_u8(self.params.alg().tag());
        w.put(self.params.id().as_bytes());
        w.put_u32(self.params.base());
        w.put_u8(self.params.denominations());
        w.put_u32(self.params.length());
        w.put_u32(self.limit);
        for c in self.chains.iter().flatten() {
            write_last(c.last(), &mut w);
        }
        w.position()
    }

    /// Restores a purse receiver from a state written by
    /// [`encode`](Self::encode): it accepts and refuses exactly what the
    /// encoded one did. Strict: every field is range-checked (the purse
    /// parameters as in a commitment), no trailing bytes.
    ///
    /// # Cost
    ///
    /// One hash per denomination (at most 8: the chain ids); no allocation.
    ///
    /// # Errors
    ///
    /// [`ReceiverStateError::Decode`] naming the field (more than 8
    /// denominations is [`DecodeError::LengthOverLimit`]), or
    /// [`ReceiverStateError::WrongHash`].
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{DecodeError, PurseReceiver, ReceiverStateError, Sha256};
    ///
    /// // A purse of 9 denominations.
    /// let mut state = [0u8; 24];
    /// state[..3].copy_from_slice(&[0x51, 1, 1]);
    /// state[19..24].copy_from_slice(&[0, 0, 0, 2, 9]);
    /// assert_eq!(
    ///     PurseReceiver::<Sha256>::decode(&state).unwrap_err(),
    ///     ReceiverStateError::Decode(DecodeError::LengthOverLimit { field: "denominations", length: 9, max: 8 })
    /// );
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiverStateError> {
        let mut r = Reader::new(bytes);
        let (alg, id) = read_state_header::<H>(&mut r, PURSE_RECEIVER_STATE_TAG)?;
        let base = r.u32("base")?;
        let m = r.u8("denominations")?;
        if usize::from(m) > MAX_DENOMINATIONS {
            return Err(DecodeError::LengthOverLimit {
                field: "denominations",
                length: m.into(),
                max: MAX_DENOMINATIONS as u64,
            }
            .into());
        }
        let length = r.u32("length")?;
        let params = PurseParams::new(alg, id, base, m, length.into()).map_err(|e| {
            DecodeError::NonCanonical {
                field: match e {
                    PurseError::BadBase => "base",
                    PurseError::BadDenominations => "denominations",
                    PurseError::Chain(_) => "length",
                    _ => "purse",
                },
            }
        })?;
        let limit = r.u32("limit")?;
        let mut chains: [Option<Receiver<H>>; MAX_DENOMINATIONS] = Default::default();
        for (slot, j) in chains.iter_mut().zip(0..m) {
            let last = read_last(&mut r, length)?;
            let chain = params.chain(j).map_err(|_| DecodeError::NonCanonical {
                field: "denominations",
            })?;
            let receiver =
                Receiver::resume(chain, last).map_err(|_| DecodeError::NonCanonical {
                    field: "last index",
                })?;
            *slot = Some(receiver.with_limit(limit));
        }
        r.finish()?;
        Ok(Self {
            params,
            chains,
            limit,
        })
    }
}

/// The units paid by a receiver at `last` for a payword with `index`, with
/// `Word` comparisons; used by tests of other modules.
#[cfg(test)]
pub(crate) fn verify_from(id: &ChainId, last: Payword, p: Payword) -> bool {
    walk_down::<Sha256>(id, p.index(), *p.word(), last.index()) == *last.word()
        && p.index() > last.index()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{Word, word_at};

    fn setup(n: u64) -> (ChainSeed, ChainParams) {
        let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), n).unwrap();
        (ChainSeed::from_bytes([5; 32]), params)
    }

    #[test]
    fn receiver_rejects_in_order() {
        let (seed, params) = setup(10);
        let anchor = crate::chain::anchor::<Sha256>(&seed, &params).unwrap();
        let mut r = Receiver::<Sha256>::new(params, anchor)
            .unwrap()
            .with_limit(5);
        let w = |i| Payword::new(i, word_at::<Sha256>(&seed, &params, i).unwrap());
        assert_eq!(
            r.accept(&w(6)),
            Err(VerifyError::OverBudget { steps: 6, limit: 5 })
        );
        assert_eq!(r.accept(&w(3)), Ok(3));
        assert_eq!(
            r.accept(&w(3)),
            Err(VerifyError::Replay { index: 3, last: 3 })
        );
        assert_eq!(
            r.accept(&Payword::new(11, *w(10).word())),
            Err(VerifyError::PastEnd {
                index: 11,
                length: 10
            })
        );
        assert_eq!(
            r.accept(&Payword::new(4, *w(5).word())),
            Err(VerifyError::Forged)
        );
        assert_eq!(r.paid(), 3);
        assert!(verify_from(params.id(), w(3), w(8)));
        assert_eq!(r.accept(&w(8)), Ok(5));
    }

    /// Encodes a receiver's state into a fixed buffer.
    fn state(r: &Receiver<Sha256>) -> [u8; Receiver::<Sha256>::ENCODED_LEN] {
        let mut buf = [0u8; Receiver::<Sha256>::ENCODED_LEN];
        assert_eq!(r.encode(&mut buf), buf.len());
        buf
    }

    #[test]
    fn receiver_state_layout_and_exact_resume() {
        let (seed, params) = setup(40);
        let anchor = crate::chain::anchor::<Sha256>(&seed, &params).unwrap();
        let w = |i| Payword::new(i, word_at::<Sha256>(&seed, &params, i).unwrap());
        let fresh = Receiver::<Sha256>::new(params, anchor)
            .unwrap()
            .with_limit(6);
        let bytes = state(&fresh);
        assert_eq!(&bytes[..3], &[0x50, 1, 1]);
        assert_eq!(&bytes[3..19], &[4; 16]);
        assert_eq!(&bytes[19..31], &[0, 0, 0, 40, 0, 0, 0, 6, 0, 0, 0, 0]);
        assert_eq!(&bytes[31..], anchor.as_bytes());
        let mut live = Receiver::<Sha256>::decode(&bytes).unwrap();
        assert_eq!((live.paid(), live.limit()), (0, 6));
        assert_eq!(live.accept(&w(4)), Ok(4));
        // Resume after every payment: the resumed receiver re-encodes to the
        // same bytes and answers every next payment as the live one does.
        for next in [5, 11, 10, 20, 41, 16, 16] {
            let bytes = state(&live);
            let mut resumed = Receiver::<Sha256>::decode(&bytes).unwrap();
            assert_eq!(state(&resumed), bytes);
            assert_eq!(resumed.paid(), live.paid());
            let p = if next > 40 {
                Payword::new(next, *w(40).word())
            } else {
                w(next)
            };
            let forged = Payword::new(p.index(), Word::from_bytes([0; 32]));
            assert_eq!(resumed.check(&forged), live.check(&forged));
            assert_eq!(resumed.accept(&p), live.accept(&p), "payword {next}");
            assert_eq!(state(&resumed), state(&live));
        }
        // 10 and the second 16 (replays), 20 (9 steps, over the limit) and
        // 41 (past the end) were refused.
        assert_eq!(live.paid(), 16);
    }

    #[test]
    fn receiver_state_decoder_is_strict() {
        let (seed, params) = setup(40);
        let anchor = crate::chain::anchor::<Sha256>(&seed, &params).unwrap();
        let good = state(&Receiver::<Sha256>::new(params, anchor).unwrap());
        let decode = |b: &[u8]| Receiver::<Sha256>::decode(b).map(|r| state(&r));
        let e = |e| Err(ReceiverStateError::Decode(e));
        assert_eq!(decode(&good), Ok(good));
        for cut in 0..good.len() {
            assert!(matches!(
                decode(&good[..cut]),
                Err(ReceiverStateError::Decode(DecodeError::Truncated { .. }))
            ));
        }
        let mut long = [0u8; 64];
        long[..63].copy_from_slice(&good);
        assert_eq!(decode(&long), e(DecodeError::TrailingData { extra: 1 }));
        let with = |at: usize, bytes: &[u8]| {
            let mut b = good;
            b[at..at + bytes.len()].copy_from_slice(bytes);
            decode(&b)
        };
        assert_eq!(with(0, &[0x51]), e(DecodeError::UnknownTag { tag: 0x51 }));
        assert_eq!(with(1, &[2]), e(DecodeError::UnknownVersion { version: 2 }));
        assert_eq!(
            with(2, &[0]),
            e(DecodeError::NonCanonical { field: "hash" })
        );
        assert_eq!(
            with(2, &[3]),
            e(DecodeError::NonCanonical { field: "hash" })
        );
        assert_eq!(
            with(2, &[2]),
            Err(ReceiverStateError::WrongHash {
                expected: HashAlg::Sha256,
                found: HashAlg::Blake3
            })
        );
        assert_eq!(
            with(19, &[0, 0, 0, 0]),
            e(DecodeError::NonCanonical { field: "length" })
        );
        assert_eq!(
            with(27, &[0, 0, 0, 41]),
            e(DecodeError::NonCanonical {
                field: "last index"
            })
        );
        // Index n and any limit are fine.
        assert!(with(27, &[0, 0, 0, 40]).is_ok());
        assert!(with(23, &[0xff; 4]).is_ok());
        // A Blake3 receiver reads its own state.
        let bp = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([4; 16]), 9).unwrap();
        let mut b = [0u8; 63];
        Receiver::<crate::hash::Blake3>::new(bp, Anchor::from_bytes([1; 32]))
            .unwrap()
            .encode(&mut b);
        assert_eq!(
            Receiver::<crate::hash::Blake3>::decode(&b).map(|r| r.params().alg()),
            Ok(HashAlg::Blake3)
        );
        // Display says what was wrong.
        assert_eq!(
            ReceiverStateError::WrongHash {
                expected: HashAlg::Sha256,
                found: HashAlg::Blake3
            }
            .to_string(),
            "receiver state is for blake3 chains, not sha256"
        );
    }

    #[test]
    fn purse_receiver_state_resumes_exactly_and_is_strict() {
        let params =
            PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 4, 3, 20).unwrap();
        let mut purse = Purse::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params).unwrap();
        let mut live = PurseReceiver::<Sha256>::new(params, purse.anchors())
            .unwrap()
            .with_limit(9);
        let enc = |r: &PurseReceiver<Sha256>| {
            let mut b = [0u8; PurseReceiver::<Sha256>::MAX_ENCODED_LEN];
            let len = r.encode(&mut b);
            (b, len)
        };
        let (b, len) = enc(&live);
        assert_eq!(len, 32 + 36 * 3);
        assert_eq!(&b[..3], &[0x51, 1, 1]);
        assert_eq!(&b[19..32], &[0, 0, 0, 4, 3, 0, 0, 0, 20, 0, 0, 0, 9]);
        // 79 = 4·16 + 3·4 + 3 takes 10 steps: over the limit, refused.
        for amount in [21, 5, 63, 1, 40, 79] {
            let (b, len) = enc(&live);
            let mut resumed = PurseReceiver::<Sha256>::decode(&b[..len]).unwrap();
            assert_eq!(enc(&resumed).0[..len], b[..len]);
            assert_eq!(resumed.paid(), live.paid());
            let pay = purse.pay(amount).unwrap();
            assert_eq!(resumed.accept(&pay), live.accept(&pay), "amount {amount}");
            assert_eq!(resumed.last_payment(), live.last_payment());
        }
        // 63 = 3·16 + 3·4 + 3 is 9 steps: within the limit.
        assert_eq!(live.paid(), 130);

        let (good, len) = enc(&live);
        let decode = |b: &[u8]| PurseReceiver::<Sha256>::decode(b).map(|r| r.paid());
        let e = |e| Err(ReceiverStateError::Decode(e));
        for cut in 0..len {
            assert!(matches!(
                decode(&good[..cut]),
                Err(ReceiverStateError::Decode(DecodeError::Truncated { .. }))
            ));
        }
        assert_eq!(
            decode(&good[..=len]),
            e(DecodeError::TrailingData { extra: 1 })
        );
        let with = |at: usize, bytes: &[u8]| {
            let mut b = good;
            b[at..at + bytes.len()].copy_from_slice(bytes);
            decode(&b[..len])
        };
        assert_eq!(with(0, &[0x50]), e(DecodeError::UnknownTag { tag: 0x50 }));
        assert_eq!(
            with(19, &[0, 0, 0, 1]),
            e(DecodeError::NonCanonical { field: "base" })
        );
        assert_eq!(
            with(23, &[0]),
            e(DecodeError::NonCanonical {
                field: "denominations"
            })
        );
        assert_eq!(
            with(23, &[9]),
            e(DecodeError::LengthOverLimit {
                field: "denominations",
                length: 9,
                max: 8
            })
        );
        // Two denominations where three are encoded: trailing bytes.
        assert_eq!(with(23, &[2]), e(DecodeError::TrailingData { extra: 36 }));
        assert_eq!(
            with(24, &[0, 0, 0, 0]),
            e(DecodeError::NonCanonical { field: "length" })
        );
        // Base 2^31 with 3 denominations overflows the capacity.
        assert_eq!(
            with(19, &[0x80, 0, 0, 0]),
            e(DecodeError::NonCanonical { field: "purse" })
        );
        assert_eq!(
            with(32 + 36, &[0, 0, 0, 21]),
            e(DecodeError::NonCanonical {
                field: "last index"
            })
        );
    }

    #[test]
    fn purse_is_atomic() {
        let params =
            PurseParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 4, 3, 20).unwrap();
        let mut purse = Purse::<Sha256>::new(&ChainSeed::from_bytes([2; 32]), params).unwrap();
        let mut v = PurseReceiver::<Sha256>::new(params, purse.anchors()).unwrap();
        let good = purse.pay(21).unwrap(); // 1·16 + 1·4 + 1·1
        let mut bad = good;
        let p0 = *good.part(0).unwrap();
        bad = bad.with(0, Payword::new(p0.index(), Word::from_bytes([0; 32])));
        assert_eq!(v.accept(&bad), Err(VerifyError::Forged));
        assert_eq!(v.paid(), 0);
        assert_eq!(v.accept(&good), Ok(21));
        assert_eq!(v.accept(&PursePayment::new()), Err(VerifyError::Empty));
        let junk = PursePayment::new().with(5, p0);
        assert_eq!(
            v.accept(&junk),
            Err(VerifyError::UnknownDenomination { denomination: 5 })
        );
        assert_eq!(purse.pay(0), Err(PurseError::ZeroAmount));
        let left = purse.remaining();
        assert_eq!(left, params.capacity() - 21);
        assert_eq!(
            purse.pay(left + 1),
            Err(PurseError::InsufficientFunds { amount: left + 1 })
        );
        assert_eq!(purse.remaining(), left);
    }
}
