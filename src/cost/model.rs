//! The public cost model: exact per-party costs of every scheme for a
//! workload.
//!
//! A [`Workload`] is `k` vendors, each paid `payments` payments of `units`
//! units from chains of length `n`; [`model`] returns, for the customer, the
//! vendors (summed over all `k`) and the broker, what each computes and
//! sends ([`PartyCost`]). The phases counted are the whole life of the
//! workload: the broker certifies the customer, the customer commits, pays,
//! and each vendor redeems once at the end.
//!
//! The counts are the crate's own: the lab member (`lab/`) runs the real
//! protocol with the feature `count` and asserts equality with this model
//! for a grid of workloads.
//!
//! # Examples
//!
//! ```
//! use payword::cost::model::{model, Scheme, Workload};
//!
//! let w = Workload { vendors: 3, chain_len: 1000, payments: 100, units: 1, devices: 1 };
//! let plain = model(Scheme::Plain, &w)?;
//! let tree = model(Scheme::Tree, &w)?;
//! // One customer signature per vendor against one for all of them.
//! assert_eq!(plain.customer.signatures_made, 3);
//! assert_eq!(tree.customer.signatures_made, 1);
//! // A payment costs the vendor one chain step per unit in both.
//! assert_eq!(plain.vendor.hashes, 300);
//! # Ok::<(), payword::cost::model::ModelError>(())
//! ```

use core::fmt;

use crate::chain::traversal::{Pebbler, Traversal};
use crate::chain::{ChainId, ChainParams, ChainSeed, Word};
use crate::hash::{HashAlg, Tweak, TweakableHash, sealed};

/// A scheme the crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// PayWord: one certificate, one commitment per vendor, one chain each.
    Plain,
    /// PayWord with a purse commitment (one chain per denomination 1, 10,
    /// 100, … per vendor): a payment of `u` units steps through the decimal
    /// digits of `u`.
    Purse,
    /// PayTree: one signed Merkle root over per-vendor leaves.
    Tree,
    /// One shared chain, split into signed per-vendor range grants.
    Grants,
    /// A domain account: a customer commitment over `m` device keys; each
    /// device commits to its own chain per vendor.
    Domain,
    /// Plain PayWord where each vendor first gets a broker-signed
    /// reservation of its amount (online control against overspending).
    Reservation,
    /// Self-renewing chains: a chain of length `n` renews itself with a
    /// one-time-signed link when spent; the vendor redeems the cascade.
    Renewal,
    /// Symmetric-key sessions: broker-issued tickets, HMAC-authenticated
    /// payments, no public-key operation per session.
    Symmetric,
}

impl Scheme {
    /// Every scheme, in a fixed order.
    pub const ALL: [Self; 8] = [
        Self::Plain,
        Self::Purse,
        Self::Tree,
        Self::Grants,
        Self::Domain,
        Self::Reservation,
        Self::Renewal,
        Self::Symmetric,
    ];

    /// A short lower-case name (`"plain"`, `"tree"`, …), stable for command
    /// lines and file names.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::cost::model::Scheme;
    /// assert_eq!(Scheme::from_name(Scheme::Tree.name()), Some(Scheme::Tree));
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Purse => "purse",
            Self::Tree => "tree",
            Self::Grants => "grants",
            Self::Domain => "domain",
            Self::Reservation => "reservation",
            Self::Renewal => "renewal",
            Self::Symmetric => "symmetric",
        }
    }

    /// The scheme called `name` (see [`Scheme::name`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::cost::model::Scheme;
    /// assert_eq!(Scheme::from_name("grants"), Some(Scheme::Grants));
    /// assert_eq!(Scheme::from_name("nope"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is paid: `vendors` vendors, each paid `payments` payments of `units`
/// units, from chains of length `chain_len`.
///
/// # Examples
///
/// ```
/// use payword::cost::model::Workload;
/// let w = Workload { vendors: 3, chain_len: 1000, payments: 100, units: 1, devices: 1 };
/// assert_eq!(w.units_per_vendor(), Some(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Workload {
    /// `k`, the number of vendors (1 ..= [`MAX_VENDORS`]).
    pub vendors: u32,
    /// `n`, the length of each chain (for [`Scheme::Grants`], of the one
    /// shared chain; for [`Scheme::Renewal`], of each link of the cascade).
    pub chain_len: u32,
    /// Payments to each vendor.
    pub payments: u32,
    /// Units per payment (at least 1).
    pub units: u32,
    /// `m`, the devices of a domain account ([`Scheme::Domain`] only; the
    /// first device pays every vendor). At least 1.
    pub devices: u32,
}

impl Workload {
    /// Units each vendor is paid (`None` on overflow).
    ///
    /// # Examples
    ///
    /// See [`Workload`].
    #[must_use]
    pub const fn units_per_vendor(&self) -> Option<u32> {
        self.payments.checked_mul(self.units)
    }
}

/// The most pebbling-schedule outputs the model replays in one call: the
/// paywords spent on each distinct chain plus its padding
/// (`2^⌈log2 n⌉ − n`, replayed when the chain is built). About a second of
/// work in a release build; larger workloads are [`ModelError::TooLarge`].
pub const MAX_REPLAY: u64 = 1 << 23;

/// The most vendors a workload may have (the Merkle tree's leaf limit).
pub const MAX_VENDORS: u32 = 1 << 16;

/// What one party computes and sends over a workload.
///
/// # Examples
///
/// ```
/// use payword::cost::model::{model, Scheme, Workload};
/// let w = Workload { vendors: 1, chain_len: 100, payments: 10, units: 2, devices: 1 };
/// let c = model(Scheme::Plain, &w)?;
/// assert_eq!(c.vendor.hashes, 20);
/// assert_eq!(c.vendor.signatures_verified, 2); // certificate, commitment
/// # Ok::<(), payword::cost::model::ModelError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PartyCost {
    /// Tweakable-hash calls (chain steps, one-block and variable-length
    /// hashes; message digests go with their signatures).
    pub hashes: u64,
    /// Signatures made (public-key or one-time).
    pub signatures_made: u64,
    /// Signatures verified.
    pub signatures_verified: u64,
    /// HMAC computations and AEAD seals or opens.
    pub macs: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Bytes sent: the canonical encodings of the messages sent.
    pub bytes_sent: u64,
    /// Round trips this party starts and waits on (a request and its
    /// answer); one-way messages such as payments are not round trips.
    pub round_trips: u64,
    /// 32-byte words this party keeps once the last payment is made (chain
    /// words, anchors, roots, paths; keys and counters are not words).
    pub words_stored: u64,
}

/// The cost of a workload per party. Vendor figures are summed over all
/// vendors.
///
/// # Examples
///
/// See [`model`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Costs {
    /// The customer (for [`Scheme::Domain`], the account holder and its
    /// devices together).
    pub customer: PartyCost,
    /// All vendors together.
    pub vendor: PartyCost,
    /// The broker.
    pub broker: PartyCost,
}

/// Why a workload cannot be modelled.
///
/// # Examples
///
/// ```
/// use payword::cost::model::{model, ModelError, Scheme, Workload};
/// let w = Workload { vendors: 1, chain_len: 10, payments: 11, units: 1, devices: 1 };
/// assert_eq!(model(Scheme::Plain, &w), Err(ModelError::ChainTooShort { needed: 11, length: 10 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelError {
    /// `vendors`, `payments`, `units`, `chain_len` or `devices` is 0, or
    /// `vendors` is above [`MAX_VENDORS`].
    Empty,
    /// A chain of `length` cannot pay the `needed` units the scheme puts on
    /// it.
    ChainTooShort {
        /// Units the scheme needs from one chain.
        needed: u64,
        /// The chain's length.
        length: u32,
    },
    /// A count overflows `u64`.
    Overflow,
    /// The scheme allows at most `max` vendors per certificate (for
    /// [`Scheme::Reservation`], the broker's live reservations per
    /// certificate).
    TooManyVendors {
        /// The limit.
        max: u32,
    },
    /// A domain account holds at most `max` devices.
    TooManyDevices {
        /// The limit.
        max: u32,
    },
    /// A purse has at most `max` denominations: payments of more than `max`
    /// decimal digits cannot be paid from one.
    TooManyDenominations {
        /// The limit.
        max: u32,
    },
    /// Evaluating the workload would replay more than [`MAX_REPLAY`]
    /// pebbling-schedule outputs (paywords spent plus each chain's padding):
    /// it would take too long.
    TooLarge,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str(
                "a workload needs at least one vendor, payment, unit, device and chain word",
            ),
            Self::ChainTooShort { needed, length } => {
                write!(f, "a chain of length {length} cannot pay {needed} units")
            }
            Self::Overflow => f.write_str("a count overflows u64"),
            Self::TooManyVendors { max } => {
                write!(f, "the scheme allows at most {max} vendors per certificate")
            }
            Self::TooManyDevices { max } => write!(f, "a domain holds at most {max} devices"),
            Self::TooManyDenominations { max } => {
                write!(f, "a purse has at most {max} denominations")
            }
            Self::TooLarge => write!(
                f,
                "more than {MAX_REPLAY} pebbling-schedule outputs to replay"
            ),
        }
    }
}

impl core::error::Error for ModelError {}

// Encoded sizes (bytes) of the messages, with Ed25519 keys and signatures
// (`docs/WIRE.md`); the lab's exactness tests check them against the real
// encodings.
const CERTIFICATE: u64 = 180;
const COMMITMENT: u64 = 210;
/// A commitment with a renewal key.
const RENEWABLE_COMMITMENT: u64 = COMMITMENT + 56;
const PAYMENT: u64 = 71;
const CLAIM: u64 = 463;
const RESERVATION: u64 = 211;
const SHARED_COMMITMENT: u64 = 176;
const GRANT: u64 = 171;
const GRANT_CLAIM: u64 = 565;
const DEVICE_COMMITMENT: u64 = 210;
/// A renewal link (LM-OTS W4 signature included) and its framing in a
/// cascade claim.
const LINK: u64 = 2_328;
const CASCADE_CLAIM: u64 = 487;
const CASCADE_PER_LINK: u64 = LINK + 37;
/// Symmetric sessions: the ticket request and the vendor's ticket part the
/// customer sends, one payment, the confirmation and claim the vendor sends,
/// the two ticket parts the broker sends.
const SYM_OPEN: u64 = 558;
const SYM_PAYMENT: u64 = 134;
const SYM_VENDOR: u64 = 561;
const SYM_TICKETS: u64 = 686;

/// Live reservations a broker holds per certificate (`MAX_HOLDS`).
const MAX_RESERVATIONS: u32 = 64;
/// Debts one certificate's account lists (`MAX_DEBTS`).
const MAX_DEBTS: u32 = 4096;
/// Members of one group: leaves, grants, device commitments
/// (`MAX_MEMBERS`).
const MAX_MEMBERS: u32 = 1024;

/// The most links of a renewal cascade ([`crate::renew::MAX_CASCADE`]).
const MAX_CASCADE: u64 = 128;

/// A hash that computes nothing, for replaying the pebbling schedule: the
/// schedule's steps depend only on `n` and the outputs taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Schedule;

impl sealed::Sealed for Schedule {}

impl TweakableHash for Schedule {
    const ALG: HashAlg = HashAlg::Sha256;

    fn chain_step(_: &ChainId, _: u32, word: &Word) -> Word {
        *word
    }

    fn chain_walk(_: &ChainId, _: u32, word: &Word, _: u32) -> Word {
        *word
    }

    fn hash_word(_: &Tweak, _: &[u8; 32]) -> [u8; 32] {
        [0; 32]
    }

    fn hash_parts(_: &Tweak, _: &[&[u8]]) -> [u8; 32] {
        [0; 32]
    }
}

/// Customer hashes for one [`Pebbler`] chain of length `n` producing the
/// advances `steps` (0s skipped): the sweep (`n` steps and the seed
/// expansion) and the schedule's steps, replayed.
fn pebbler_hashes(n: u32, steps: impl IntoIterator<Item = u32>) -> Result<u64, ModelError> {
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), n.into())
        .map_err(|_| ModelError::Empty)?;
    let mut p = Pebbler::<Schedule>::new(&ChainSeed::from_bytes([0; 32]), params)
        .map_err(|_| ModelError::Empty)?;
    let mut needed = 0u64;
    for s in steps {
        needed = needed.saturating_add(s.into());
        if s > 0 && p.advance(s).is_none() {
            return Err(ModelError::ChainTooShort { needed, length: n });
        }
    }
    u64::from(n)
        .checked_add(1)
        .and_then(|h| h.checked_add(p.schedule_steps()))
        .ok_or(ModelError::Overflow)
}

/// The schedule outputs a [`Pebbler`] of length `n` consumes when built:
/// `2^⌈log2 n⌉ − n`.
fn padding(n: u32) -> u64 {
    let k = u32::BITS - n.saturating_sub(1).leading_zeros();
    (1u64 << k) - u64::from(n)
}

/// Words a [`Pebbler`] of length `n` keeps.
fn pebbles(n: u32) -> u64 {
    u64::from((u32::BITS - n.saturating_sub(1).leading_zeros()).max(1))
}

/// `⌈log2 k⌉`, the Merkle depth for `k` leaves.
fn depth(k: u32) -> u64 {
    u64::from(u32::BITS - k.saturating_sub(1).leading_zeros())
}

/// Checked arithmetic over `u64` for the formulas.
#[derive(Clone, Copy)]
struct C(Option<u64>);

impl C {
    const fn v(x: u64) -> Self {
        Self(Some(x))
    }
    fn add(self, o: impl Into<Self>) -> Self {
        let o = o.into();
        Self(self.0.zip(o.0).and_then(|(a, b)| a.checked_add(b)))
    }
    fn mul(self, o: impl Into<Self>) -> Self {
        let o = o.into();
        Self(self.0.zip(o.0).and_then(|(a, b)| a.checked_mul(b)))
    }
    fn get(self) -> Result<u64, ModelError> {
        self.0.ok_or(ModelError::Overflow)
    }
}

impl From<u64> for C {
    fn from(x: u64) -> Self {
        Self::v(x)
    }
}

impl From<u32> for C {
    fn from(x: u32) -> Self {
        Self::v(x.into())
    }
}

/// One party's cost, written per vendor (`each`) plus once (`once`), then
/// multiplied out for `k` vendors.
#[derive(Clone, Copy)]
struct Row {
    hashes: C,
    made: C,
    verified: C,
    macs: C,
    messages: C,
    bytes: C,
    trips: C,
    words: C,
}

impl Row {
    const ZERO: Self = Self {
        hashes: C::v(0),
        made: C::v(0),
        verified: C::v(0),
        macs: C::v(0),
        messages: C::v(0),
        bytes: C::v(0),
        trips: C::v(0),
        words: C::v(0),
    };

    /// `once + k · each`.
    fn total(once: Self, each: Self, k: u32) -> Result<PartyCost, ModelError> {
        let f = |o: C, e: C| o.add(e.mul(k)).get();
        Ok(PartyCost {
            hashes: f(once.hashes, each.hashes)?,
            signatures_made: f(once.made, each.made)?,
            signatures_verified: f(once.verified, each.verified)?,
            macs: f(once.macs, each.macs)?,
            messages_sent: f(once.messages, each.messages)?,
            bytes_sent: f(once.bytes, each.bytes)?,
            round_trips: f(once.trips, each.trips)?,
            words_stored: f(once.words, each.words)?,
        })
    }
}

/// Per-party rows: (customer once, customer per vendor, vendor per vendor,
/// broker once, broker per vendor).
struct Rows {
    customer: (Row, Row),
    vendor: Row,
    broker: (Row, Row),
}

impl Rows {
    fn total(self, k: u32) -> Result<Costs, ModelError> {
        Ok(Costs {
            customer: Row::total(self.customer.0, self.customer.1, k)?,
            vendor: Row::total(Row::ZERO, self.vendor, k)?,
            broker: Row::total(self.broker.0, self.broker.1, k)?,
        })
    }
}

/// The broker's certificate (one signature, one message) and the customer's
/// round trip for it: the start of every public-key scheme.
fn certified() -> (Row, Row) {
    let customer = Row {
        trips: C::v(1),
        ..Row::ZERO
    };
    let broker = Row {
        made: C::v(1),
        messages: C::v(1),
        bytes: C::v(CERTIFICATE),
        ..Row::ZERO
    };
    (customer, broker)
}

/// The exact cost of `workload` under `scheme`.
///
/// What is counted (the lab's `run` does the same for real):
///
/// - the broker issues one certificate (Ed25519); the customer's request
///   for it is a round trip (its content is not a crate message);
/// - per vendor the customer builds its chain(s) with the optimal
///   [`Pebbler`] traversal (`n + 1` hashes each, plus the schedule's steps,
///   replayed exactly here without hashing), signs what the scheme signs
///   and sends the certificate with it in one message;
/// - payments go one vendor after another, one message each;
/// - each vendor redeems once at the end (one claim, one round trip).
///
/// Evaluating the model replays each distinct chain's pebbling schedule
/// (its padding and the paywords spent, at most [`MAX_REPLAY`] outputs): no
/// allocation, no hashing.
///
/// # Errors
///
/// [`ModelError::Empty`] for an empty workload (or more than
/// [`MAX_VENDORS`] vendors), [`ModelError::TooManyDevices`] (more than 16
/// for [`Scheme::Domain`]), [`ModelError::TooManyDenominations`] (a
/// [`Scheme::Purse`] payment of more than 8 digits), [`ModelError::ChainTooShort`] when the chains
/// cannot pay the workload (for [`Scheme::Renewal`], when it would need
/// more than 128 renewals), [`ModelError::TooManyVendors`] (past the
/// broker's per-certificate limits: 4,096 debts, 1,024 members of a tree,
/// grant set or domain, 64 live reservations), [`ModelError::TooLarge`] (more than
/// [`MAX_REPLAY`] paywords per chain), [`ModelError::Overflow`].
///
/// # Examples
///
/// ```
/// use payword::cost::model::{model, Scheme, Workload};
///
/// let w = Workload { vendors: 16, chain_len: 1 << 10, payments: 100, units: 5, devices: 1 };
/// let tree = model(Scheme::Tree, &w)?;
/// let grants = model(Scheme::Grants, &Workload { chain_len: 1 << 14, ..w })?;
/// // A vendor of a 16-leaf tree checks a 4-node path once; a grant costs it
/// // a third signature verification instead.
/// assert_eq!(tree.vendor.hashes, 16 * (500 + 1 + 4));
/// assert_eq!(grants.vendor.signatures_verified, 16 * 3);
/// # Ok::<(), payword::cost::model::ModelError>(())
/// ```
pub fn model(scheme: Scheme, workload: &Workload) -> Result<Costs, ModelError> {
    let w = *workload;
    let k = w.vendors;
    if k == 0
        || k > MAX_VENDORS
        || w.payments == 0
        || w.units == 0
        || w.chain_len == 0
        || w.devices == 0
    {
        return Err(ModelError::Empty);
    }
    let per_vendor = u64::from(w.payments) * u64::from(w.units);
    let n = w.chain_len;
    // Refuse what cannot be paid before replaying anything, and bound the
    // replay.
    let on_one_chain = match scheme {
        Scheme::Grants => per_vendor
            .checked_mul(k.into())
            .ok_or(ModelError::Overflow)?,
        Scheme::Purse | Scheme::Renewal => 0,
        _ => per_vendor,
    };
    if on_one_chain > u64::from(n) {
        return Err(ModelError::ChainTooShort {
            needed: on_one_chain,
            length: n,
        });
    }
    // The schedule outputs the model replays: a chain's padding
    // (`2^⌈log2 n⌉ − n`, consumed when a pebbler is built) and its outputs,
    // for each distinct chain (vendors share theirs; a purse has `m`; a
    // renewal cascade a full chain and the last one).
    let outputs = C::v(padding(n)).add(per_vendor.min(n.into()));
    let replay = match scheme {
        Scheme::Grants => C::v(padding(n)).add(on_one_chain),
        Scheme::Purse => outputs.mul(u64::from(purse_denominations(w.units))),
        Scheme::Renewal => outputs.mul(2u64),
        _ => outputs,
    };
    if replay.get()? > MAX_REPLAY {
        return Err(ModelError::TooLarge);
    }
    // The broker's per-certificate limits: debts (one per chain), group
    // members (leaves, grants, device commitments), live reservations.
    let max = match scheme {
        Scheme::Symmetric => MAX_VENDORS,
        Scheme::Reservation => MAX_RESERVATIONS,
        Scheme::Tree | Scheme::Grants | Scheme::Domain => MAX_MEMBERS,
        Scheme::Renewal => {
            let chains = per_vendor.div_ceil(n.into()).clamp(1, MAX_CASCADE + 1);
            u32::try_from(u64::from(MAX_DEBTS) / chains).unwrap_or(MAX_DEBTS)
        }
        _ => MAX_DEBTS,
    };
    if k > max {
        return Err(ModelError::TooManyVendors { max });
    }
    let p = u64::from(w.payments);
    // One chain per vendor paying `payments` advances of `units`.
    let chain = || pebbler_hashes(n, (0..w.payments).map(|_| w.units));
    let payer = |hashes: u64, made: u64, open_bytes: u64| Row {
        hashes: C::v(hashes),
        made: C::v(made),
        messages: C::v(1).add(p),
        bytes: C::v(CERTIFICATE).add(open_bytes).add(C::v(PAYMENT).mul(p)),
        words: C::v(pebbles(n)),
        ..Row::ZERO
    };
    let payee = |hashes: C, verified: u64, claim: u64, words: u64| Row {
        hashes,
        verified: C::v(verified),
        messages: C::v(1),
        bytes: C::v(claim),
        trips: C::v(1),
        words: C::v(words),
        ..Row::ZERO
    };
    let redeemer = |hashes: C, verified: u64, words: u64| Row {
        hashes,
        verified: C::v(verified),
        words: C::v(words),
        ..Row::ZERO
    };
    let (c0, b0) = certified();
    let rows = match scheme {
        Scheme::Plain | Scheme::Reservation => {
            let mut vendor = payee(C::v(per_vendor), 2, CLAIM, 2);
            // Redemption: the walk from the anchor and two id derivations.
            let mut broker = redeemer(C::v(per_vendor).add(2u64), 2, 1);
            if scheme == Scheme::Reservation {
                // The vendor sends certificate and commitment to the broker,
                // which checks the certificate, and the commitment under it
                // (certificate again, commitment), signs and answers.
                vendor.verified = vendor.verified.add(1u64);
                vendor.messages = vendor.messages.add(1u64);
                vendor.bytes = vendor.bytes.add(CERTIFICATE + COMMITMENT);
                vendor.trips = vendor.trips.add(1u64);
                broker.verified = broker.verified.add(3u64);
                broker.made = broker.made.add(1u64);
                broker.messages = broker.messages.add(1u64);
                broker.bytes = broker.bytes.add(RESERVATION);
            }
            Rows {
                customer: (c0, payer(chain()?, 1, COMMITMENT)),
                vendor,
                broker: (b0, broker),
            }
        }
        Scheme::Purse => purse(&w, c0, b0)?,
        Scheme::Tree => {
            let d = depth(k);
            let mut once = c0;
            // k leaf hashes and 2^d − 1 node hashes, one signature.
            once.hashes = C::v((1u64 << d) - 1).add(k);
            once.made = C::v(1);
            let path = C::v(per_vendor).add(1 + d);
            Rows {
                customer: (once, payer(chain()?, 0, 284 + 32 * d)),
                vendor: payee(path, 2, 537 + 32 * d, 4 + d),
                broker: (b0, redeemer(path, 2, 1)),
            }
        }
        Scheme::Grants => {
            let needed = per_vendor
                .checked_mul(k.into())
                .ok_or(ModelError::Overflow)?;
            if needed > u64::from(n) {
                return Err(ModelError::ChainTooShort { needed, length: n });
            }
            let mut once = c0;
            let steps = u64::from(k).checked_mul(p).ok_or(ModelError::Overflow)?;
            once.hashes = C::v(pebbler_hashes(n, (0..steps).map(|_| w.units))?);
            once.made = C::v(1);
            once.words = C::v(pebbles(n));
            let mut each = payer(0, 1, SHARED_COMMITMENT + GRANT);
            each.words = C::v(0);
            Rows {
                customer: (once, each),
                vendor: payee(C::v(per_vendor), 3, GRANT_CLAIM, 3),
                broker: (b0, redeemer(C::v(per_vendor), 3, 1)),
            }
        }
        Scheme::Domain => {
            if w.devices > 16 {
                return Err(ModelError::TooManyDevices { max: 16 });
            }
            let domain = 148 + 33 * u64::from(w.devices);
            let mut once = c0;
            // The account holder signs the domain once and hands it to the
            // device; the device signs one commitment per vendor.
            once.made = C::v(1);
            once.messages = C::v(1);
            once.bytes = C::v(domain);
            Rows {
                customer: (once, payer(chain()?, 1, domain + DEVICE_COMMITMENT)),
                vendor: payee(C::v(per_vendor), 3, 463 + domain, 2),
                broker: (b0, redeemer(C::v(per_vendor), 3, 1)),
            }
        }
        Scheme::Renewal => renewal(&w, c0, b0)?,
        Scheme::Symmetric => {
            let hashes = chain()?;
            let customer = Row {
                hashes: C::v(hashes),
                // Request MAC and key derivations (8), then a receipt and a
                // payment MAC per payment.
                macs: C::v(8).add(C::v(2).mul(p)),
                messages: C::v(2).add(p),
                bytes: C::v(SYM_OPEN).add(C::v(SYM_PAYMENT).mul(p)),
                trips: C::v(2),
                words: C::v(pebbles(n)),
                ..Row::ZERO
            };
            let vendor = Row {
                hashes: C::v(per_vendor),
                macs: C::v(5).add(p),
                messages: C::v(2),
                bytes: C::v(SYM_VENDOR),
                trips: C::v(1),
                words: C::v(2),
                ..Row::ZERO
            };
            let broker = Row {
                hashes: C::v(per_vendor),
                macs: C::v(12),
                messages: C::v(1),
                bytes: C::v(SYM_TICKETS),
                words: C::v(1),
                ..Row::ZERO
            };
            Rows {
                customer: (Row::ZERO, customer),
                vendor,
                broker: (Row::ZERO, broker),
            }
        }
    };
    rows.total(k)
}

/// A purse of `m` decimal denominations per vendor, `m` the digits of the
/// payment size; payments are paid greedily from the highest denomination,
/// as [`Purse::pay`](crate::Purse::pay) does (falling back to lower ones as
/// chains run out).
fn purse(w: &Workload, c0: Row, b0: Row) -> Result<Rows, ModelError> {
    let n = w.chain_len;
    let m = purse_denominations(w.units);
    if usize::from(m) > crate::verify::MAX_DENOMINATIONS {
        return Err(ModelError::TooManyDenominations {
            max: crate::verify::MAX_DENOMINATIONS as u32,
        });
    }
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0; 16]), n.into())
        .map_err(|_| ModelError::Empty)?;
    let new = || Pebbler::<Schedule>::new(&ChainSeed::from_bytes([0; 32]), params).ok();
    let mut chains: [Option<Pebbler<Schedule>>; crate::verify::MAX_DENOMINATIONS] =
        Default::default();
    for slot in chains.iter_mut().take(m.into()) {
        *slot = Some(new().ok_or(ModelError::Empty)?);
    }
    let (mut steps, mut bytes) = (0u64, 0u64);
    let mut used = 0u64;
    let mut touched = [false; crate::verify::MAX_DENOMINATIONS];
    for _ in 0..w.payments {
        let mut rest = u64::from(w.units);
        let mut parts = 0u64;
        for (j, slot) in chains.iter_mut().enumerate().take(m.into()).rev() {
            let Some(chain) = slot.as_mut() else { continue };
            let value = 10u64.pow(j as u32);
            let take = (rest / value).min(chain.remaining().into());
            if take > 0 {
                rest -= take * value;
                let t = u32::try_from(take).map_err(|_| ModelError::Overflow)?;
                chain.advance(t).ok_or(ModelError::Overflow)?;
                steps = steps.checked_add(take).ok_or(ModelError::Overflow)?;
                parts += 1;
                if let Some(f) = touched.get_mut(j) {
                    *f = true;
                }
            }
        }
        if rest != 0 {
            return Err(ModelError::ChainTooShort {
                needed: u64::from(w.units) * u64::from(w.payments),
                length: n,
            });
        }
        bytes = bytes
            .checked_add(36 + 36 * parts)
            .ok_or(ModelError::Overflow)?;
    }
    for t in touched {
        used += u64::from(t);
    }
    let schedule = chains
        .iter()
        .flatten()
        .map(Pebbler::schedule_steps)
        .fold(0u64, u64::saturating_add);
    let m64 = u64::from(m);
    let p = u64::from(w.payments);
    // Chains of the purse: `m` sweeps, `m` id derivations, the schedules.
    let hashes = C::v(u64::from(n) + 2).mul(m64).add(schedule);
    let customer = Row {
        hashes,
        made: C::v(1),
        messages: C::v(1).add(p),
        bytes: C::v(CERTIFICATE + 183 + 32 * m64).add(bytes),
        words: C::v(pebbles(n)).mul(m64),
        ..Row::ZERO
    };
    // Each side derives the `m` chain ids, then steps each chain.
    let walk = C::v(steps).add(m64);
    let vendor = Row {
        hashes: walk,
        verified: C::v(2),
        messages: C::v(1),
        bytes: C::v(CERTIFICATE + 183 + 32 * m64 + 36 + 36 * used + 2),
        trips: C::v(1),
        words: C::v(2 * m64),
        ..Row::ZERO
    };
    let broker = Row {
        hashes: walk,
        verified: C::v(2),
        words: C::v(m64),
        ..Row::ZERO
    };
    Ok(Rows {
        customer: (c0, customer),
        vendor,
        broker: (b0, broker),
    })
}

/// Decimal denominations of a purse paying `units` at a time: the digits of
/// `units`.
///
/// # Examples
///
/// ```
/// use payword::cost::model::purse_denominations;
/// assert_eq!(purse_denominations(1), 1);
/// assert_eq!(purse_denominations(347), 3);
/// ```
#[must_use]
pub const fn purse_denominations(units: u32) -> u8 {
    let mut m = 1u8;
    let mut v = units / 10;
    while v > 0 {
        m += 1;
        v /= 10;
    }
    m
}

/// Self-renewing chains of length `n`: a vendor paid `U` units sees
/// `⌈U/n⌉ − 1` renewal links.
fn renewal(w: &Workload, c0: Row, b0: Row) -> Result<Rows, ModelError> {
    let n = u64::from(w.chain_len);
    let u = u64::from(w.units);
    let total = u64::from(w.payments) * u;
    let renewals = total.div_ceil(n) - 1;
    if renewals > MAX_CASCADE {
        return Err(ModelError::ChainTooShort {
            needed: total,
            length: w.chain_len,
        });
    }
    // Chain g pays units (g·n, min((g+1)·n, total)], one payword at a time:
    // every chain but the last is spent whole (one replay serves them all).
    let last = u32::try_from(total - renewals * n).map_err(|_| ModelError::Overflow)?;
    let mut hashes = C::v(pebbler_hashes(w.chain_len, (0..last).map(|_| 1))?);
    if renewals > 0 {
        let whole = pebbler_hashes(w.chain_len, (0..w.chain_len).map(|_| 1))?;
        hashes = hashes.add(C::v(whole).mul(renewals));
    }
    // The one-time key's derivation when the wallet is made; per link five
    // derivations: the next seed and chain id, the next one-time key, the
    // current one (to sign) and the link's randomizer.
    hashes = hashes.add(1u64).add(C::v(5).mul(renewals));
    // A boundary inside a payment makes the customer close the old chain
    // with one more payment message before the link.
    let inside = (1..=renewals).filter(|g| (g * n) % u != 0).count() as u64;
    let p = u64::from(w.payments);
    let customer = Row {
        hashes,
        made: C::v(1).add(renewals),
        messages: C::v(1).add(p).add(inside).add(renewals),
        bytes: C::v(CERTIFICATE + RENEWABLE_COMMITMENT)
            .add(C::v(PAYMENT).mul(p.saturating_add(inside)))
            .add(C::v(LINK).mul(renewals)),
        words: C::v(pebbles(w.chain_len)),
        ..Row::ZERO
    };
    let vendor = Row {
        hashes: C::v(total),
        verified: C::v(2).add(renewals),
        messages: C::v(1),
        bytes: C::v(CASCADE_CLAIM).add(C::v(CASCADE_PER_LINK).mul(renewals)),
        trips: C::v(1),
        words: C::v(2),
        ..Row::ZERO
    };
    let broker = Row {
        hashes: C::v(total).add(2u64),
        verified: C::v(2).add(renewals),
        words: C::v(1).add(renewals),
        ..Row::ZERO
    };
    Ok(Rows {
        customer: (c0, customer),
        vendor,
        broker: (b0, broker),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(vendors: u32, chain_len: u32, payments: u32, units: u32) -> Workload {
        Workload {
            vendors,
            chain_len,
            payments,
            units,
            devices: 1,
        }
    }

    #[test]
    fn empty_and_oversized_workloads_are_refused() {
        for bad in [
            w(0, 10, 1, 1),
            w(1, 0, 1, 1),
            w(1, 10, 0, 1),
            w(1, 10, 1, 0),
            w(MAX_VENDORS + 1, 10, 1, 1),
        ] {
            for s in Scheme::ALL {
                assert_eq!(model(s, &bad), Err(ModelError::Empty), "{s} {bad:?}");
            }
        }
        let many = Workload {
            devices: 17,
            ..w(1, 10, 1, 1)
        };
        assert_eq!(
            model(Scheme::Domain, &many),
            Err(ModelError::TooManyDevices { max: 16 })
        );
        assert!(model(Scheme::Plain, &many).is_ok());
        assert_eq!(
            model(Scheme::Purse, &w(1, 10, 1, 999_999_999)),
            Err(ModelError::TooManyDenominations { max: 8 })
        );
    }

    #[test]
    fn extreme_inputs_end_quickly_with_a_typed_answer() {
        // Huge chains, vendors and payments: refused or answered without
        // replaying more than MAX_REPLAY paywords, and without overflow.
        let huge = w(MAX_VENDORS, u32::MAX, u32::MAX, u32::MAX);
        for s in Scheme::ALL {
            assert!(model(s, &huge).is_err(), "{s}");
        }
        let long = w(64, u32::MAX, 1, 1);
        for s in Scheme::ALL {
            let c = model(s, &long).unwrap();
            assert!(c.customer.hashes > u64::from(u32::MAX), "{s}");
        }
        // A chain just past a power of two: its padding alone is 2^31 − 1
        // schedule outputs, refused before anything is replayed.
        let padded = w(1, (1 << 31) + 1, 1, 1);
        for s in Scheme::ALL {
            assert_eq!(model(s, &padded), Err(ModelError::TooLarge), "{s}");
        }
        // At the budget, answered.
        assert!(model(Scheme::Plain, &w(1, 1 << 23, 1 << 10, 1 << 13)).is_ok());
        assert_eq!(
            model(Scheme::Plain, &w(1, (1 << 23) + 1, 2, 1)),
            Err(ModelError::TooLarge)
        );
        let wide = w(MAX_VENDORS, u32::MAX, 1, 1);
        assert!(model(Scheme::Symmetric, &wide).is_ok());
        assert_eq!(
            model(Scheme::Tree, &wide),
            Err(ModelError::TooManyVendors { max: 1024 })
        );
        assert_eq!(
            model(Scheme::Reservation, &w(65, 100, 1, 1)),
            Err(ModelError::TooManyVendors { max: 64 })
        );
        assert_eq!(
            model(Scheme::Plain, &w(1, u32::MAX, 1 << 20, 1 << 10)),
            Err(ModelError::TooLarge)
        );
        assert_eq!(
            model(Scheme::Renewal, &w(1, 1, 200, 1)),
            Err(ModelError::ChainTooShort {
                needed: 200,
                length: 1
            })
        );
    }

    #[test]
    fn costs_grow_with_the_work() {
        for s in Scheme::ALL {
            let a = model(s, &w(3, 1000, 10, 2)).unwrap();
            let b = model(s, &w(3, 1000, 20, 2)).unwrap();
            assert!(b.vendor.hashes > a.vendor.hashes, "{s}");
            assert!(b.customer.bytes_sent > a.customer.bytes_sent, "{s}");
            assert_eq!(a.vendor.round_trips, b.vendor.round_trips, "{s}");
        }
    }

    #[test]
    fn the_documented_multi_vendor_figures() {
        // docs/COSTS.md: the Merkle variant, k = 16 (d = 4), n = 1000.
        let c = model(Scheme::Tree, &w(16, 1000, 100, 1)).unwrap();
        assert_eq!(c.customer.signatures_made, 1);
        assert_eq!(c.vendor.bytes_sent, 16 * (537 + 32 * 4));
        assert_eq!(c.vendor.hashes, 16 * (100 + 1 + 4));
        // One signature per vendor in plain PayWord, 1 + k with grants.
        assert_eq!(
            model(Scheme::Plain, &w(16, 1000, 1, 1))
                .unwrap()
                .customer
                .signatures_made,
            16
        );
        assert_eq!(
            model(Scheme::Grants, &w(16, 1000, 1, 1))
                .unwrap()
                .customer
                .signatures_made,
            17
        );
        // A purse pays 347 units with 3 + 4 + 7 = 14 chain steps.
        let p = model(Scheme::Purse, &w(1, 100, 1, 347)).unwrap();
        assert_eq!(p.vendor.hashes, 14 + 3);
    }

    #[test]
    fn names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(Scheme::from_name(s.name()), Some(s));
        }
    }
}
