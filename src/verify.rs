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
use crate::chain::{Anchor, ChainError, ChainId, ChainParams, ChainSeed, Payword, walk_down};
use crate::hash::{HashAlg, Sha256, TweakableHash};

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
