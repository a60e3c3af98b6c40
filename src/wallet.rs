//! The customer's wallet for one plain commitment: certificate, signed
//! commitment and chain traversal in one value, persisted *save-ahead*.
//!
//! # Save-ahead
//!
//! A wallet that persists its state before every payment it hands out
//! (store before send) never repeats a payword after a crash, but pays one
//! durable write per payment. Save-ahead amortises the write: the wallet
//! persists a record that says "paywords up to index `h` (the *horizon*) may
//! have been released", then hands out paywords up to `h` without writing,
//! and writes again, with a new horizon, before it releases the first
//! payword past `h`. With a save-ahead distance `N`, a save sets the horizon
//! to `max(e + N, e + units)` (capped at the chain length `n`), where `e` is
//! the last index released and `units` the payment that needed the save: so
//! at most one save happens per `N` units paid.
//!
//! [`Wallet::resume`] continues *strictly after* the persisted horizon. The
//! persisted traversal is the one at `e` (cheap to write: the current
//! pebbler state is copied, never advanced ahead of time); resuming skips it
//! forward to `h`, at most `max(N, units)` paywords.
//!
//! # The guarantee
//!
//! Whatever point a crash interrupts — before a save, after it, before or
//! after a payment is handed out — and provided the store's [`save`] returns
//! `Ok` only once the bytes are durable:
//!
//! * **No payword index is released twice.** A payword is released only when
//!   a persisted record's horizon covers it, and horizons only grow; the
//!   resumed wallet starts after the horizon of the last record.
//! * **At most `N` units are lost per crash** — or the units of the payment
//!   that was in flight, if that payment was larger than `N` (it needed a
//!   horizon past `e + N`, and it may or may not have reached the vendor).
//!   Lost means: paywords skipped that the vendor never received, which the
//!   next payment pays for without buying anything.
//! * **A failed save releases nothing** and changes nothing: `pay` returns
//!   the store's error and can be retried.
//! * **Rolled-back storage is refused** when the caller keeps a monotonic
//!   counter: every save carries a sequence number one above the previous
//!   one, and [`Wallet::resume`] refuses a record whose sequence is below the
//!   counter the caller passes ([`WalletError::StaleState`]). Without a
//!   counter (pass 0), a storage rollback can make the wallet repeat
//!   paywords; vendors reject those as replays, so the customer's loss is the
//!   refused payments, never a double spend.
//!
//! The record holds future paywords: it is a secret (see [`Wallet`]).
//!
//! [`save`]: WalletStore::save

use core::fmt;

use sha2::Digest as _;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::wire::{Reader, Writer};
use crate::{
    Anchor, Blake3, Certificate, ChainError, ChainParams, ChainSeed, Commitment, CommittedChain,
    DecodeError, Digest, Encode, HashAlg, Payment, PaymentBody, Payword, Pebbler,
    PebblerStateError, Sha256, Traversal, TweakableHash,
};

/// Version byte of the wallet state.
const STATE_VERSION: u8 = 1;

/// Domain prefix of the state checksum.
const CHECKSUM_DOMAIN: &[u8] = b"payword wallet state v1\0";

/// The checksum closing an encoded state: SHA-256 of a domain prefix and
/// every byte before it. It catches corrupted storage (a flipped bit in a
/// stored pebble would otherwise only show as payments vendors refuse).
fn checksum(body: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(CHECKSUM_DOMAIN);
    h.update(body);
    h.finalize().into()
}

/// Where a [`Wallet`] persists its state: called by [`Wallet::pay`] before it
/// releases any payword past the last persisted horizon (store before send).
///
/// Implemented for closures `FnMut(&[u8], u64) -> Result<(), E>`.
///
/// # Examples
///
/// ```
/// use payword::WalletStore;
///
/// /// Keeps the latest state and raises a counter once the state is stored.
/// #[derive(Default)]
/// struct Latest {
///     state: Vec<u8>,
///     counter: u64,
/// }
///
/// impl WalletStore for Latest {
///     type Error = core::convert::Infallible;
///     fn save(&mut self, state: &[u8], sequence: u64) -> Result<(), Self::Error> {
///         self.state = state.to_vec(); // a file: write, fsync, rename, fsync the directory
///         self.counter = sequence;     // then raise the monotonic counter
///         Ok(())
///     }
/// }
///
/// let mut store = Latest::default();
/// store.save(&[1, 2, 3], 1).unwrap();
/// assert_eq!((store.state.as_slice(), store.counter), (&[1, 2, 3][..], 1));
/// ```
pub trait WalletStore {
    /// Why a save failed.
    type Error;

    /// Persists `state` (the wallet's whole encoding, replacing any earlier
    /// one) durably, and returns `Ok` only once it is. `sequence` is the
    /// state's sequence number: a caller with a monotonic counter raises it
    /// to `sequence` *after* the state is durable (raising it first and then
    /// failing to write would leave only states the counter refuses).
    ///
    /// `state` is a secret (it holds future paywords): store it where only
    /// the customer can read it.
    ///
    /// # Errors
    ///
    /// `Self::Error` if the state may not be durable; the wallet then
    /// releases nothing.
    ///
    /// # Examples
    ///
    /// See the [trait docs](WalletStore).
    fn save(&mut self, state: &[u8], sequence: u64) -> Result<(), Self::Error>;
}

impl<F, E> WalletStore for F
where
    F: FnMut(&[u8], u64) -> Result<(), E>,
{
    type Error = E;

    fn save(&mut self, state: &[u8], sequence: u64) -> Result<(), E> {
        self(state, sequence)
    }
}

/// Why a wallet could not be built or resumed.
///
/// # Examples
///
/// ```
/// use payword::{Wallet, WalletError};
///
/// assert!(matches!(Wallet::resume(&[], 0), Err(WalletError::Decode(_))));
/// assert_eq!(
///     WalletError::StaleState { sequence: 3, counter: 5 }.to_string(),
///     "wallet state 3 is older than the counter 5"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalletError {
    /// The commitment binds a denomination purse; the wallet pays from one
    /// chain.
    NotSingleChain,
    /// The commitment names another certificate.
    CertificateMismatch,
    /// The commitment's signature does not verify under the certified
    /// customer key.
    BadCommitment,
    /// The seed or traversal does not give the committed chain (other
    /// parameters or another anchor).
    ChainMismatch,
    /// The save-ahead distance is 0 (it must be at least 1).
    SaveAhead,
    /// The chain could not be built.
    Chain(ChainError),
    /// The persisted state's bytes are malformed (truncated, trailing,
    /// unknown version, a field out of range).
    Decode(DecodeError),
    /// The persisted traversal state is malformed.
    State(PebblerStateError),
    /// The persisted state's checksum does not match: corrupted storage.
    Checksum,
    /// The persisted state is older than the caller's monotonic counter
    /// (storage rolled back or replayed).
    StaleState {
        /// The state's sequence number.
        sequence: u64,
        /// The counter passed to [`Wallet::resume`].
        counter: u64,
    },
}

impl fmt::Display for WalletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSingleChain => f.write_str("the commitment does not bind a single chain"),
            Self::CertificateMismatch => f.write_str("the commitment names another certificate"),
            Self::BadCommitment => {
                f.write_str("the commitment signature does not verify under the certified key")
            }
            Self::ChainMismatch => f.write_str("the traversal is not of the committed chain"),
            Self::SaveAhead => f.write_str("the save-ahead distance must be at least 1"),
            Self::Chain(e) => write!(f, "chain: {e}"),
            Self::Decode(e) => write!(f, "wallet state: {e}"),
            Self::State(e) => write!(f, "wallet traversal: {e}"),
            Self::Checksum => f.write_str("wallet state checksum does not match"),
            Self::StaleState { sequence, counter } => {
                write!(
                    f,
                    "wallet state {sequence} is older than the counter {counter}"
                )
            }
        }
    }
}

impl core::error::Error for WalletError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Chain(e) => Some(e),
            Self::Decode(e) => Some(e),
            Self::State(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for WalletError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// Why [`Wallet::pay`] released nothing. `E` is the store's error.
///
/// # Examples
///
/// ```
/// use payword::PayError;
///
/// let e: PayError<&str> = PayError::Store("disk full");
/// assert_eq!(e.to_string(), "saving the wallet state failed: disk full");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayError<E> {
    /// A payment of 0 units.
    ZeroUnits,
    /// Fewer paywords are left than the payment needs.
    Insufficient {
        /// The units asked for.
        units: u32,
        /// The paywords left.
        remaining: u32,
    },
    /// The store failed: nothing was released, the wallet is unchanged.
    Store(E),
    /// The traversal state is inconsistent (never for a state this library
    /// wrote): nothing was released.
    Inconsistent,
}

impl<E: fmt::Display> fmt::Display for PayError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroUnits => f.write_str("a payment must be of at least 1 unit"),
            Self::Insufficient { units, remaining } => {
                write!(f, "{units} units asked, {remaining} left on the chain")
            }
            Self::Store(e) => write!(f, "saving the wallet state failed: {e}"),
            Self::Inconsistent => f.write_str("the wallet traversal state is inconsistent"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for PayError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// The traversal, dispatched on the committed chain's hash.
enum Chain {
    Sha256(Pebbler<Sha256>),
    Blake3(Pebbler<Blake3>),
}

macro_rules! each {
    ($chain:expr, $p:ident => $e:expr) => {
        match $chain {
            Chain::Sha256($p) => $e,
            Chain::Blake3($p) => $e,
        }
    };
}

impl Chain {
    fn new(seed: &ChainSeed, params: ChainParams) -> Result<Self, ChainError> {
        Ok(match params.alg() {
            HashAlg::Sha256 => Self::Sha256(Pebbler::new(seed, params)?),
            HashAlg::Blake3 => Self::Blake3(Pebbler::new(seed, params)?),
        })
    }

    fn decode(alg: HashAlg, bytes: &[u8]) -> Result<Self, PebblerStateError> {
        Ok(match alg {
            HashAlg::Sha256 => Self::Sha256(Pebbler::decode(bytes)?),
            HashAlg::Blake3 => Self::Blake3(Pebbler::decode(bytes)?),
        })
    }

    fn encode(&self, out: &mut [u8]) -> usize {
        each!(self, p => p.encode(out))
    }

    fn params(&self) -> &ChainParams {
        each!(self, p => p.params())
    }

    fn anchor(&self) -> Anchor {
        each!(self, p => p.anchor())
    }

    fn emitted(&self) -> u32 {
        each!(self, p => p.emitted())
    }

    fn advance(&mut self, units: u32) -> Option<Payword> {
        each!(self, p => p.advance(units))
    }
}

/// A customer wallet for one plain commitment: the certificate, the signed
/// commitment and the chain's traversal (a [`Pebbler`] over the hash the
/// commitment names: `⌈log2 n⌉` words, at most `⌈k/2⌉` hashes per payword),
/// persisted save-ahead.
///
/// # Save-ahead persistence
///
/// Built with a save-ahead distance `N ≥ 1`. [`pay`](Self::pay) takes a
/// [`WalletStore`] and, before it releases a payword past the last persisted
/// *horizon*, saves the whole state with a horizon `N` paywords ahead (or as
/// far as the payment needs, if more). The saved record says "paywords up to
/// the horizon may have been released"; [`resume`](Self::resume) continues
/// strictly after it. So after a crash at any point:
///
/// * no payword index is ever released twice;
/// * at most `N` units are lost (paywords skipped that never reached the
///   vendor), or the units of the payment in flight if it was larger than
///   `N`;
/// * a failed save releases nothing.
///
/// With a monotonic counter (a hardware or file-system counter that only
/// grows), raise it to the `sequence` each save receives once the state is
/// durable, and pass it to [`resume`](Self::resume): an older state
/// (storage rolled back or replayed) is then refused with
/// [`WalletError::StaleState`]. Before the first payment, persist
/// [`to_bytes`](Self::to_bytes) (or keep the seed to build the wallet again:
/// nothing has been released yet).
///
/// # Cost
///
/// A payment of `u` units costs `u·⌈k/2⌉` hashes at most (`k = ⌈log2 n⌉`).
/// One payment in `N` units (at most) also saves: the state is encoded (about
/// 0.5 KiB plus 36 bytes per stored word, at most
/// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN)) into a zeroizing buffer on the
/// stack, checksummed (one SHA-256 over it) and handed to the store; the
/// traversal is not advanced ahead. [`resume`](Self::resume) pays the skip
/// instead: at most `max(N, u)·⌈k/2⌉` hashes.
///
/// # Secrets
///
/// The traversal holds future paywords. The wallet is zeroized on drop, its
/// `Debug` prints no secret, it is not `Clone` (two copies would release the
/// same paywords), and its encodings come in [`Zeroizing`] buffers (or the
/// caller's buffer): **the persisted state is a secret**, as the seed is.
///
/// # Examples
///
/// ```
/// use core::convert::Infallible;
/// use ed25519_dalek::SigningKey;
/// use payword::{
///     BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
///     CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner, PaymentBody, Pebbler,
///     Receiver, Sha256, Traversal, VendorId, Wallet,
/// };
///
/// let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// let certificate = Certificate::issue(CertificateFields {
///     broker: BrokerId::from_bytes([3; 32]), serial: 1,
///     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
///     credit_limit: 1_000, valid_from: 0, expires: 100,
/// }, &broker)?;
/// // The chain: build its traversal, commit to its anchor.
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
/// let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
/// let anchor = pebbler.anchor();
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]), unit_value: 1,
///     valid_from: 0, expires: 100, chain: CommittedChain::Single { params, anchor },
///     renewal: None,
/// }, &customer)?;
/// // Save 10 paywords ahead.
/// let mut wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 10)?;
///
/// let mut disk = (Vec::new(), 0u64); // (state, monotonic counter)
/// let mut vendor = Receiver::<Sha256>::new(params, anchor)?;
/// for units in [1, 2, 3] {
///     let payment = wallet.pay(units, &mut |state: &[u8], sequence: u64| {
///         disk = (state.to_vec(), sequence);
///         Ok::<(), Infallible>(())
///     })?;
///     let PaymentBody::Single(p) = payment.body() else { unreachable!() };
///     assert_eq!(vendor.accept(p)?, units);
/// }
/// assert_eq!((wallet.emitted(), wallet.horizon(), wallet.sequence()), (6, 10, 1));
///
/// // A crash: the resumed wallet continues after the horizon (4 units lost).
/// drop(wallet);
/// let mut wallet = Wallet::resume(&disk.0, disk.1)?;
/// assert_eq!(wallet.emitted(), 10);
/// let payment = wallet.pay(1, &mut |state: &[u8], sequence: u64| {
///     disk = (state.to_vec(), sequence);
///     Ok::<(), Infallible>(())
/// })?;
/// let PaymentBody::Single(p) = payment.body() else { unreachable!() };
/// assert_eq!(vendor.accept(p)?, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Wallet {
    certificate: Certificate,
    commitment: Commitment,
    /// The commitment's digest (what payments name).
    digest: Digest,
    chain: Chain,
    /// `N`: how far ahead a save sets the horizon.
    save_ahead: u32,
    /// The horizon of the last persisted state: every payword released has
    /// an index at most this.
    horizon: u32,
    /// The sequence number of the last persisted state.
    sequence: u64,
}

impl fmt::Debug for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("commitment", &self.digest)
            .field("params", self.chain.params())
            .field("emitted", &self.chain.emitted())
            .field("horizon", &self.horizon)
            .field("save_ahead", &self.save_ahead)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

// The traversal (the only secret) zeroizes itself on drop.
impl ZeroizeOnDrop for Wallet {}

impl Wallet {
    /// Largest encoded state, in bytes (about 2.1 KiB).
    pub const MAX_ENCODED_LEN: usize = 1
        + 4
        + 8
        + 4
        + <Certificate as Encode>::MAX_LEN
        + <Commitment as Encode>::MAX_LEN
        + 2
        + Pebbler::<Sha256>::MAX_ENCODED_LEN
        + 32;

    /// A wallet paying through `commitment` from the chain of `seed`, saving
    /// `save_ahead` paywords ahead. Nothing is persisted or released yet.
    ///
    /// # Cost
    ///
    /// `n + 1` hashes (the traversal sweeps the chain) and one signature
    /// verification. Use [`from_pebbler`](Self::from_pebbler) to reuse the
    /// traversal the anchor was taken from.
    ///
    /// # Errors
    ///
    /// [`WalletError::SaveAhead`] for 0; [`WalletError::NotSingleChain`];
    /// [`WalletError::CertificateMismatch`]; [`WalletError::BadCommitment`];
    /// [`WalletError::Chain`]; [`WalletError::ChainMismatch`] if the seed
    /// does not give the committed anchor.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// use payword::{Wallet, WalletError};
    ///
    /// let seed = ChainSeed::from_bytes([6; 32]);
    /// let params = ChainParams::new(HashAlg::Blake3, ChainId::from_bytes([5; 16]), 100)?;
    /// let anchor = Pebbler::<payword::Blake3>::new(&seed, params)?.anchor();
    /// let commitment = Commitment::sign(CommitmentFields {
    ///     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    ///     unit_value: 1, valid_from: 0, expires: 100,
    ///     chain: CommittedChain::Single { params, anchor }, renewal: None,
    /// }, &customer)?;
    /// let wallet = Wallet::new(certificate, commitment, &seed, 10)?;
    /// assert_eq!(wallet.remaining(), 100);
    /// assert_eq!(
    ///     Wallet::new(certificate, commitment, &ChainSeed::from_bytes([0; 32]), 10).unwrap_err(),
    ///     WalletError::ChainMismatch
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        certificate: Certificate,
        commitment: Commitment,
        seed: &ChainSeed,
        save_ahead: u32,
    ) -> Result<Self, WalletError> {
        let (params, _) = Self::check(&certificate, &commitment, save_ahead)?;
        let chain = Chain::new(seed, params).map_err(WalletError::Chain)?;
        Self::assemble(certificate, commitment, chain, save_ahead)
    }

    /// A wallet paying through `commitment` from `pebbler`, the traversal
    /// the committed anchor was taken from (which the wallet takes over:
    /// paywords it already produced count as released).
    ///
    /// # Cost
    ///
    /// One signature verification; the traversal's state is copied.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); [`WalletError::ChainMismatch`] if `pebbler` is
    /// not of the committed chain.
    ///
    /// # Examples
    ///
    /// See the [type docs](Self).
    pub fn from_pebbler<H: TweakableHash>(
        certificate: Certificate,
        commitment: Commitment,
        pebbler: Pebbler<H>,
        save_ahead: u32,
    ) -> Result<Self, WalletError> {
        Self::check(&certificate, &commitment, save_ahead)?;
        let mut buf = Zeroizing::new([0u8; Pebbler::<Sha256>::MAX_ENCODED_LEN]);
        let len = pebbler.encode(&mut buf[..]);
        drop(pebbler);
        let bytes = buf
            .get(..len)
            .ok_or(WalletError::State(PebblerStateError::Truncated))?;
        let chain = Chain::decode(H::ALG, bytes).map_err(WalletError::State)?;
        Self::assemble(certificate, commitment, chain, save_ahead)
    }

    /// The checks every constructor makes; returns the committed chain.
    fn check(
        certificate: &Certificate,
        commitment: &Commitment,
        save_ahead: u32,
    ) -> Result<(ChainParams, Anchor), WalletError> {
        if save_ahead == 0 {
            return Err(WalletError::SaveAhead);
        }
        let chain = Self::binding(certificate, commitment)?;
        commitment
            .verify(&certificate.fields().customer_key)
            .map_err(|_| WalletError::BadCommitment)?;
        Ok(chain)
    }

    /// The committed single chain, if the commitment names the certificate.
    fn binding(
        certificate: &Certificate,
        commitment: &Commitment,
    ) -> Result<(ChainParams, Anchor), WalletError> {
        let f = commitment.fields();
        if f.certificate != certificate.digest() {
            return Err(WalletError::CertificateMismatch);
        }
        match f.chain {
            CommittedChain::Single { params, anchor } => Ok((params, anchor)),
            CommittedChain::Purse { .. } => Err(WalletError::NotSingleChain),
        }
    }

    /// A fresh wallet whose horizon is what its traversal already produced.
    fn assemble(
        certificate: Certificate,
        commitment: Commitment,
        chain: Chain,
        save_ahead: u32,
    ) -> Result<Self, WalletError> {
        let (params, anchor) = Self::binding(&certificate, &commitment)?;
        if *chain.params() != params || chain.anchor() != anchor {
            return Err(WalletError::ChainMismatch);
        }
        Ok(Self {
            certificate,
            digest: commitment.digest(),
            commitment,
            horizon: chain.emitted(),
            chain,
            save_ahead,
            sequence: 0,
        })
    }

    /// Pays `units`: advances the chain by `units` and returns the payment
    /// (one payword, under the commitment). If the payword is past the
    /// persisted horizon, first saves the state with a new horizon through
    /// `store` (store before send); see the [type docs](Self).
    ///
    /// # Cost
    ///
    /// At most `units·⌈k/2⌉` hashes, plus a save when the horizon moves
    /// (encoding and one SHA-256 over at most
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN) bytes, and the store).
    ///
    /// # Errors
    ///
    /// [`PayError::ZeroUnits`]; [`PayError::Insufficient`];
    /// [`PayError::Store`] if the save fails; [`PayError::Inconsistent`].
    /// On error nothing is released, and except for `Inconsistent` nothing
    /// changes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    /// #     unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// use payword::{PayError, PaymentBody};
    ///
    /// let mut wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 3)?;
    /// let mut saves = 0;
    /// let mut store = |_state: &[u8], _sequence: u64| {
    ///     saves += 1;
    ///     Ok::<(), std::io::Error>(())
    /// };
    /// let payment = wallet.pay(2, &mut store)?;
    /// assert!(matches!(payment.body(), PaymentBody::Single(p) if p.index() == 2));
    /// assert_eq!(payment.commitment(), &wallet.commitment_digest());
    /// wallet.pay(1, &mut store)?; // index 3: within the horizon, no save
    /// wallet.pay(1, &mut store)?; // index 4: saves again
    /// assert_eq!(saves, 2);
    ///
    /// // A store that fails: nothing is released.
    /// let mut full = |_: &[u8], _: u64| Err::<(), _>(std::io::Error::other("disk full"));
    /// assert!(matches!(wallet.pay(5, &mut full), Err(PayError::Store(e)) if e.to_string() == "disk full"));
    /// assert_eq!(wallet.emitted(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pay<S: WalletStore + ?Sized>(
        &mut self,
        units: u32,
        store: &mut S,
    ) -> Result<Payment, PayError<S::Error>> {
        if units == 0 {
            return Err(PayError::ZeroUnits);
        }
        let remaining = self.remaining();
        if units > remaining {
            return Err(PayError::Insufficient { units, remaining });
        }
        let emitted = self.chain.emitted();
        // No overflow: units ≤ n − emitted.
        let target = emitted.saturating_add(units);
        if target > self.horizon {
            let horizon = emitted
                .saturating_add(self.save_ahead)
                .max(target)
                .min(self.chain.params().length());
            let sequence = self.sequence.saturating_add(1);
            let mut buf = Zeroizing::new([0u8; Self::MAX_ENCODED_LEN]);
            let len = self.write_state(&mut buf[..], horizon, sequence);
            let state = buf.get(..len).ok_or(PayError::Inconsistent)?;
            store.save(state, sequence).map_err(PayError::Store)?;
            self.horizon = horizon;
            self.sequence = sequence;
        }
        let p = self.chain.advance(units).ok_or(PayError::Inconsistent)?;
        Ok(Payment::new(self.digest, PaymentBody::Single(p)))
    }

    /// The certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    /// #     unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// let wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 10)?;
    /// assert_eq!(wallet.certificate(), &certificate);
    /// assert_eq!(wallet.commitment(), &commitment);
    /// assert_eq!(wallet.commitment_digest(), commitment.digest());
    /// assert_eq!(wallet.params(), &params);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The signed commitment.
    ///
    /// # Examples
    ///
    /// See [`certificate`](Self::certificate).
    #[must_use]
    pub const fn commitment(&self) -> &Commitment {
        &self.commitment
    }

    /// The commitment's digest, which every payment names.
    ///
    /// # Examples
    ///
    /// See [`certificate`](Self::certificate).
    #[must_use]
    pub const fn commitment_digest(&self) -> Digest {
        self.digest
    }

    /// The committed chain's parameters.
    ///
    /// # Examples
    ///
    /// See [`certificate`](Self::certificate).
    #[must_use]
    pub fn params(&self) -> &ChainParams {
        self.chain.params()
    }

    /// The index of the last payword released (by this wallet or, after
    /// [`resume`](Self::resume), possibly by its previous incarnation): the
    /// units the vendor can have been paid in all.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    /// #     unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// let mut wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 8)?;
    /// assert_eq!((wallet.emitted(), wallet.remaining(), wallet.horizon()), (0, 100, 0));
    /// assert_eq!((wallet.save_ahead(), wallet.sequence()), (8, 0));
    /// wallet.pay(5, &mut |_: &[u8], _: u64| Ok::<(), core::convert::Infallible>(()))?;
    /// assert_eq!((wallet.emitted(), wallet.remaining(), wallet.horizon()), (5, 95, 8));
    /// assert_eq!((wallet.save_ahead(), wallet.sequence()), (8, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn emitted(&self) -> u32 {
        self.chain.emitted()
    }

    /// Paywords left on the chain.
    ///
    /// # Examples
    ///
    /// See [`emitted`](Self::emitted).
    #[must_use]
    pub fn remaining(&self) -> u32 {
        self.chain
            .params()
            .length()
            .saturating_sub(self.chain.emitted())
    }

    /// The horizon of the last persisted state: paywords up to this index may
    /// have been released; a wallet resumed from that state starts after it.
    ///
    /// # Examples
    ///
    /// See [`emitted`](Self::emitted).
    #[must_use]
    pub const fn horizon(&self) -> u32 {
        self.horizon
    }

    /// The save-ahead distance `N`.
    ///
    /// # Examples
    ///
    /// See [`emitted`](Self::emitted).
    #[must_use]
    pub const fn save_ahead(&self) -> u32 {
        self.save_ahead
    }

    /// The sequence number of the last persisted state (0 before the first
    /// save): the value a monotonic counter holds.
    ///
    /// # Examples
    ///
    /// See [`emitted`](Self::emitted).
    #[must_use]
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Writes the state with the given horizon and sequence; returns its
    /// full length.
    fn write_state(&self, out: &mut [u8], horizon: u32, sequence: u64) -> usize {
        let head = {
            let mut w = Writer::new(out);
            w.put_u8(STATE_VERSION);
            w.put_u32(self.save_ahead);
            w.put_u64(sequence);
            w.put_u32(horizon);
            self.certificate.write(&mut w);
            self.commitment.write(&mut w);
            let len = self.chain.encode(&mut []);
            w.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
            w.position()
        };
        let body = head.saturating_add(self.chain.encode(out.get_mut(head..).unwrap_or_default()));
        if let Some(b) = out.get(..body) {
            let sum = checksum(b);
            let mut w = Writer::new(out.get_mut(body..).unwrap_or_default());
            w.put(&sum);
        }
        body.saturating_add(32)
    }

    /// Writes the state into `out` and returns its length (at most
    /// [`MAX_ENCODED_LEN`](Self::MAX_ENCODED_LEN); a shorter `out` receives
    /// what fits, without a valid checksum, and the return value is the full
    /// length). The bytes are a secret: zeroize them after use.
    ///
    /// Layout: version `1` ‖ save-ahead `N` (u32) ‖ sequence (u64) ‖ horizon
    /// (u32) ‖ certificate ‖ commitment (their canonical encodings) ‖
    /// traversal length (u16) ‖ traversal ([`Pebbler::encode`]) ‖ checksum
    /// (32: SHA-256 of `"payword wallet state v1\0"` and every byte before
    /// it). Integers are big-endian.
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    /// #     unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// use zeroize::Zeroizing;
    ///
    /// let wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 10)?;
    /// let mut buf = Zeroizing::new([0u8; Wallet::MAX_ENCODED_LEN]);
    /// let len = wallet.encode(&mut buf[..]);
    /// assert_eq!(&buf[..len], &wallet.to_bytes()[..]);
    /// assert_eq!(wallet.encode(&mut []), len);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, out: &mut [u8]) -> usize {
        self.write_state(out, self.horizon, self.sequence)
    }

    /// The state in a fresh zeroizing vector (see [`encode`](Self::encode)).
    ///
    /// # Examples
    ///
    /// See [`resume`](Self::resume).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<alloc::vec::Vec<u8>> {
        crate::bytes::secret_bytes(Self::MAX_ENCODED_LEN, |out| self.encode(out))
    }

    /// Restores a wallet from a persisted state and continues strictly after
    /// its horizon, refusing a state whose sequence number is below
    /// `counter` (pass 0 without a monotonic counter).
    ///
    /// The decoder is strict: the bytes must be exactly one state as
    /// [`encode`](Self::encode) writes it, with a matching checksum, a
    /// traversal of the committed chain and `emitted ≤ horizon ≤ n`. It
    /// allocates nothing and never panics. The commitment's signature is not
    /// checked again (the constructor did; the checksum covers the bytes).
    ///
    /// # Cost
    ///
    /// One SHA-256 over the bytes, then the skip to the horizon: at most
    /// `max(N, u)·⌈k/2⌉` hashes, `u` the payment that made the last save.
    ///
    /// # Errors
    ///
    /// [`WalletError::Decode`], [`WalletError::Checksum`],
    /// [`WalletError::State`], [`WalletError::CertificateMismatch`],
    /// [`WalletError::NotSingleChain`], [`WalletError::ChainMismatch`] for
    /// bytes that are not such a state; [`WalletError::StaleState`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use payword::{BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    /// #     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MessageSigner,
    /// #     Pebbler, Sha256, Traversal, VendorId, Wallet};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let certificate = Certificate::issue(CertificateFields {
    /// #     broker: BrokerId::from_bytes([3; 32]), serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// # let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 100)?;
    /// # let pebbler = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([6; 32]), params)?;
    /// # let commitment = Commitment::sign(CommitmentFields {
    /// #     certificate: certificate.digest(), vendor: VendorId::from_bytes([7; 32]),
    /// #     unit_value: 1, valid_from: 0, expires: 100,
    /// #     chain: CommittedChain::Single { params, anchor: pebbler.anchor() }, renewal: None,
    /// # }, &customer)?;
    /// use payword::WalletError;
    ///
    /// let mut wallet = Wallet::from_pebbler(certificate, commitment, pebbler, 10)?;
    /// let first = wallet.to_bytes();
    /// let mut saved = None;
    /// wallet.pay(3, &mut |state: &[u8], sequence: u64| {
    ///     saved = Some((state.to_vec(), sequence));
    ///     Ok::<(), core::convert::Infallible>(())
    /// })?;
    /// let (state, counter) = saved.unwrap();
    ///
    /// let back = Wallet::resume(&state, counter)?;
    /// assert_eq!((back.emitted(), back.horizon(), back.sequence()), (10, 10, 1));
    /// // The state from before the save is older than the counter.
    /// assert_eq!(
    ///     Wallet::resume(&first, counter).unwrap_err(),
    ///     WalletError::StaleState { sequence: 0, counter: 1 }
    /// );
    /// assert_eq!(Wallet::resume(&state[1..], 0).unwrap_err().to_string(),
    ///     "wallet state: unknown version 0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(bytes: &[u8], counter: u64) -> Result<Self, WalletError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("version")?;
        if version != STATE_VERSION {
            return Err(DecodeError::UnknownVersion { version }.into());
        }
        let save_ahead = r.u32("save_ahead")?;
        let sequence = r.u64("sequence")?;
        let horizon = r.u32("horizon")?;
        let certificate = Certificate::read(&mut r)?;
        let commitment = Commitment::read(&mut r)?;
        let len = r.u16("traversal length")?;
        let traversal = r.take("traversal", usize::from(len))?;
        let sum = r.array::<32>("checksum")?;
        r.finish()?;
        let body = bytes
            .get(..bytes.len().saturating_sub(32))
            .unwrap_or_default();
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&checksum(body)[..], &sum[..])) {
            return Err(WalletError::Checksum);
        }
        if save_ahead == 0 {
            return Err(DecodeError::NonCanonical {
                field: "save_ahead",
            }
            .into());
        }
        let (params, _) = Self::binding(&certificate, &commitment)?;
        let chain = Chain::decode(params.alg(), traversal).map_err(WalletError::State)?;
        let mut wallet = Self::assemble(certificate, commitment, chain, save_ahead)?;
        if horizon < wallet.chain.emitted() || horizon > params.length() {
            return Err(DecodeError::NonCanonical { field: "horizon" }.into());
        }
        if sequence < counter {
            return Err(WalletError::StaleState { sequence, counter });
        }
        // Continue strictly after every payword that may have been released.
        let skip = horizon - wallet.chain.emitted();
        if skip > 0 && wallet.chain.advance(skip).is_none() {
            return Err(WalletError::State(PebblerStateError::BadField("pebbles")));
        }
        wallet.horizon = horizon;
        wallet.sequence = sequence;
        Ok(wallet)
    }
}
