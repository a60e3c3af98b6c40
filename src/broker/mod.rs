//! The broker: one redemption pipeline over one atomic store, and
//! overspending proofs.
//!
//! Every claim kind (a plain commitment here; tree leaves, grants, devices
//! and renewal cascades in their modules) authenticates itself into a plan
//! and then runs through one pipeline (`pipeline`): one consistent read of
//! the [`Store`], pure checks and hashing, one all-or-nothing commit.
//! Redemption is idempotent and order-free: each debt keeps the highest
//! paywords ever presented, and what is owed is what those paywords pay,
//! whatever the order of the claims and however often one is repeated.
//! One credit account per certificate counts every variant's credit and
//! every live reservation, so the total credited under a certificate never
//! exceeds its credit limit and a broker-signed reservation is always
//! honoured. A plain claim past the limit is paid up to it and returns an
//! [`OverspendProof`], built only from customer-signed commitments and the
//! paywords the customer released, that anyone holding the broker's public
//! key can check.

use alloc::vec::Vec;
use core::fmt;

use crate::check::{ChainState, SessionError, check_signed};
use crate::message::{
    BrokerId, Certificate, Commitment, Encode, PaymentBody, RedemptionClaim, VendorId,
};
use crate::sign::{Digest, PublicKey};
use crate::store::{Key, MemoryStore, Store, Table};

pub(crate) mod pipeline;
pub(crate) mod record;
#[cfg(feature = "symmetric")]
pub(crate) mod symmetric;

pub use pipeline::MAX_ATTEMPTS;
pub(crate) use pipeline::{GroupPlan, Outcome, Plan, PlannedDebt, PlannedLink};
pub(crate) use record::{Account, DebtRecord, GroupRecord, Hold, Member};
pub use record::{MAX_DEBTS, MAX_HOLDS, MAX_MEMBERS};

/// The default budget for one claim: at most this many chain steps
/// (2^24, about 0.7 s of SHA-256 on one desktop core).
pub const DEFAULT_CLAIM_STEP_LIMIT: u32 = 1 << 24;

/// Evidence kind of a plain commitment's debt (the commitment follows).
pub(crate) const EVIDENCE_PLAIN: u8 = 1;

/// Why the pipeline refused a claim (the state-dependent refusals; each
/// claim kind maps them to its own error type).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A signature, vendor, validity or payword check failed.
    Invalid(SessionError),
    /// The paywords of debt `index` of the claim (0: the first chain; a
    /// cascade's generation otherwise) were refused.
    Payword {
        /// The debt's position in the claim.
        index: usize,
        /// Why.
        error: SessionError,
    },
    /// Checking the paywords would take more chain steps than the budget
    /// (checked before any hashing).
    OverBudget {
        /// Steps needed.
        needed: u64,
        /// The broker's budget.
        limit: u32,
    },
    /// This vendor already redeemed another grant overlapping this one.
    GrantOverlap,
    /// A stored renewal link continues the same chain differently: the
    /// one-time key signed twice.
    Fork {
        /// The position of the link in the claim (0 for generation 1).
        index: usize,
        /// The stored link's canonical bytes.
        stored: Vec<u8>,
    },
    /// An account, group or cascade would list more records than its
    /// maximum ([`MAX_DEBTS`], [`MAX_MEMBERS`]).
    TooManyRecords,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "claim refused: {e}"),
            Self::Payword { index, error } => write!(f, "chain {index} refused: {error}"),
            Self::OverBudget { needed, limit } => {
                write!(f, "claim needs {needed} chain steps, the limit is {limit}")
            }
            Self::GrantOverlap => f.write_str("an overlapping grant was already redeemed"),
            Self::Fork { index, .. } => {
                write!(f, "renewal link {index} forks a redeemed chain")
            }
            Self::TooManyRecords => f.write_str("too many records under one account or group"),
        }
    }
}

impl core::error::Error for Refusal {}

/// Why a redemption did not happen: a refusal of the claim, or a failure of
/// the store. Either way nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerError<E> {
    /// The claim was refused.
    Refused(Refusal),
    /// The store failed.
    Store(E),
    /// The store returned a record that does not decode.
    Corrupt(crate::DecodeError),
    /// Other brokers kept changing the records this claim needs
    /// ([`MAX_ATTEMPTS`] reads and commits conflicted); retry later.
    Contention,
}

impl<E: fmt::Display> fmt::Display for BrokerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(r) => write!(f, "{r}"),
            Self::Store(e) => write!(f, "store error: {e}"),
            Self::Corrupt(e) => write!(f, "corrupt store record: {e}"),
            Self::Contention => f.write_str("store contention: retry later"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for BrokerError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Refused(r) => Some(r),
            Self::Store(e) => Some(e),
            Self::Corrupt(e) => Some(e),
            Self::Contention => None,
        }
    }
}

/// A store failure as the typed redemption errors carry it (the store's own
/// error is in [`BrokerError`], which the broker's read accessors such as
/// [`Broker::credited`] return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreFailure {
    /// The store failed (I/O).
    Io,
    /// A stored record does not decode.
    Corrupt,
    /// Too many conflicting commits by other brokers.
    Contention,
}

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Io => "store error",
            Self::Corrupt => "corrupt store record",
            Self::Contention => "store contention: retry later",
        })
    }
}

impl core::error::Error for StoreFailure {}

impl<E> BrokerError<E> {
    /// The store failure, or the refusal.
    pub(crate) fn split(self) -> Result<Refusal, StoreFailure> {
        match self {
            Self::Refused(r) => Ok(r),
            Self::Store(_) => Err(StoreFailure::Io),
            Self::Corrupt(_) => Err(StoreFailure::Corrupt),
            Self::Contention => Err(StoreFailure::Contention),
        }
    }
}

/// Why a claim was refused. A refused claim changes nothing in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedeemError {
    /// The certificate is from another broker.
    WrongBroker,
    /// A signature, vendor, validity or payword check failed.
    Invalid(SessionError),
    /// The claim's payment names another commitment.
    PaymentMismatch,
    /// The certificate's account would list more than [`MAX_DEBTS`] debts.
    TooManyRecords,
    /// The store failed; nothing was written.
    Store(StoreFailure),
}

impl fmt::Display for RedeemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongBroker => f.write_str("certificate is from another broker"),
            Self::Invalid(e) => write!(f, "claim refused: {e}"),
            Self::PaymentMismatch => f.write_str("payment names another commitment"),
            Self::TooManyRecords => f.write_str("too many debts under one certificate"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RedeemError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Invalid(e) => Some(e),
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for RedeemError {
    fn from(e: SessionError) -> Self {
        Self::Invalid(e)
    }
}

impl From<Refusal> for RedeemError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(e) | Refusal::Payword { error: e, .. } => Self::Invalid(e),
            Refusal::OverBudget { needed, limit } => {
                Self::Invalid(SessionError::Payment(crate::VerifyError::OverBudget {
                    steps: needed,
                    limit,
                }))
            }
            Refusal::GrantOverlap | Refusal::Fork { .. } => {
                Self::Invalid(SessionError::WrongCommitment)
            }
            Refusal::TooManyRecords => Self::TooManyRecords,
        }
    }
}

impl<E> From<BrokerError<E>> for RedeemError {
    fn from(e: BrokerError<E>) -> Self {
        e.split().map_or_else(Self::Store, Self::from)
    }
}

/// The outcome of an accepted claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// The commitment redeemed.
    pub commitment: Digest,
    /// Value newly owed to the vendor by this claim (0 for a duplicate or an
    /// older claim).
    pub owed: u64,
    /// Units paid under the commitment in total, after this claim.
    pub units: u64,
    /// Set when the certificate's credit limit was exceeded: the proof that
    /// the customer overspent.
    pub overspent: Option<OverspendProof>,
}

/// A debt as the broker recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debt {
    /// The certificate it is under.
    pub certificate: Digest,
    /// The highest paywords redeemed, if any.
    pub paid: Option<PaymentBody>,
    /// Units they pay.
    pub units: u64,
    /// Value credited for them.
    pub credited: u64,
}

/// Redeems claims for one broker, over a [`Store`].
///
/// # Examples
///
/// See `examples/quickstart.rs`.
#[derive(Clone, Debug)]
pub struct Broker<S: Store = MemoryStore> {
    pub(crate) id: BrokerId,
    pub(crate) key: PublicKey,
    pub(crate) store: S,
    pub(crate) limit: u32,
    pub(crate) grace: u64,
}

impl<S: Store> Broker<S> {
    /// A broker with identity `id` whose certificates verify under `key`,
    /// keeping its state in `store`. Claims are accepted until `grace`
    /// seconds after a commitment expires.
    #[must_use]
    pub const fn new(id: BrokerId, key: PublicKey, store: S, grace: u64) -> Self {
        Self {
            id,
            key,
            store,
            limit: DEFAULT_CLAIM_STEP_LIMIT,
            grace,
        }
    }

    /// Sets the per-claim budget in chain steps.
    #[must_use]
    pub const fn with_limit(mut self, max_steps: u32) -> Self {
        self.limit = max_steps;
        self
    }

    /// The store.
    #[must_use]
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// Checks `now` against a validity window with the broker's grace after
    /// it.
    pub(crate) const fn check_time(
        &self,
        now: u64,
        valid_from: u64,
        expires: u64,
    ) -> Result<(), SessionError> {
        crate::check::check_redeemable(now, valid_from, expires, self.grace)
    }

    pub(crate) fn read_one(&mut self, key: Key) -> Result<Option<Vec<u8>>, BrokerError<S::Error>> {
        let mut e = self.store.read(&[key]).map_err(BrokerError::Store)?;
        Ok(e.pop().and_then(|e| e.value().map(<[u8]>::to_vec)))
    }

    pub(crate) fn account(
        &mut self,
        certificate: &Digest,
    ) -> Result<Account, BrokerError<S::Error>> {
        self.read_one(Key::new(Table::Account, *certificate))?
            .map(|b| Account::decode(&b))
            .transpose()
            .map_err(BrokerError::Corrupt)
            .map(Option::unwrap_or_default)
    }

    pub(crate) fn debt_record(
        &mut self,
        key: &Digest,
    ) -> Result<Option<DebtRecord>, BrokerError<S::Error>> {
        self.read_one(Key::new(Table::Debt, *key))?
            .map(|b| DebtRecord::decode(&b))
            .transpose()
            .map_err(BrokerError::Corrupt)
    }

    /// Every debt under `certificate` with its record (for proofs).
    pub(crate) fn debt_records(
        &mut self,
        certificate: &Digest,
    ) -> Result<Vec<(Digest, DebtRecord)>, BrokerError<S::Error>> {
        let account = self.account(certificate)?;
        let keys: Vec<Key> = account
            .debts
            .iter()
            .map(|d| Key::new(Table::Debt, *d))
            .collect();
        let entries = self.store.read(&keys).map_err(BrokerError::Store)?;
        let mut out = Vec::with_capacity(entries.len());
        for (k, e) in account.debts.iter().zip(&entries) {
            if let Some(b) = e.value() {
                out.push((*k, DebtRecord::decode(b).map_err(BrokerError::Corrupt)?));
            }
        }
        Ok(out)
    }

    /// Value credited under the certificate with digest `certificate`, by
    /// every variant together.
    ///
    /// # Errors
    ///
    /// [`BrokerError::Store`] or [`BrokerError::Corrupt`].
    pub fn credited(&mut self, certificate: &Digest) -> Result<u64, BrokerError<S::Error>> {
        Ok(self.account(certificate)?.credited)
    }

    /// Value owed to `vendor`: everything credited to it by every claim
    /// kind, counted in the same commit as the credit itself.
    ///
    /// # Errors
    ///
    /// [`BrokerError::Store`] or [`BrokerError::Corrupt`].
    pub fn owed(&mut self, vendor: &VendorId) -> Result<u64, BrokerError<S::Error>> {
        self.read_one(pipeline::vendor_key(vendor))?
            .map(|b| pipeline::decode_owed(&b))
            .transpose()
            .map_err(BrokerError::Corrupt)
            .map(Option::unwrap_or_default)
    }

    /// Reserved value still locked at `now` under the certificate (expired
    /// reservations lock nothing, released or not).
    ///
    /// # Errors
    ///
    /// [`BrokerError::Store`] or [`BrokerError::Corrupt`].
    pub fn reserved(
        &mut self,
        certificate: &Digest,
        now: u64,
    ) -> Result<u64, BrokerError<S::Error>> {
        Ok(self
            .account(certificate)?
            .holds
            .iter()
            .fold(0u64, |t, h| t.saturating_add(h.live(now))))
    }

    /// The debt recorded under `key` (a commitment digest, leaf id, grant
    /// digest, device commitment digest or renewal link digest).
    ///
    /// # Errors
    ///
    /// [`BrokerError::Store`] or [`BrokerError::Corrupt`].
    pub fn debt(&mut self, key: &Digest) -> Result<Option<Debt>, BrokerError<S::Error>> {
        Ok(self.debt_record(key)?.map(|r| Debt {
            certificate: r.certificate,
            paid: r.paid,
            units: r.units,
            credited: r.credited,
        }))
    }

    /// The keys of every debt under the certificate, in the order first
    /// recorded.
    ///
    /// # Errors
    ///
    /// [`BrokerError::Store`] or [`BrokerError::Corrupt`].
    pub fn debts(&mut self, certificate: &Digest) -> Result<Vec<Digest>, BrokerError<S::Error>> {
        Ok(self.account(certificate)?.debts)
    }

    /// Redeems a claim presented by `vendor` at time `now`.
    ///
    /// Checks the certificate (this broker's, signature), the commitment
    /// (customer's signature, names the certificate, within its validity,
    /// for `vendor`, not expired more than the grace period before `now`), and
    /// the paywords against the highest ones already recorded.
    ///
    /// # Cost
    ///
    /// The field checks (broker, vendor, time, payment names the
    /// commitment, overflow) first, at no public-key cost; then two signature
    /// verifications, one read and one commit of the store, and the chain
    /// steps from the recorded paywords to the claimed ones: at most the
    /// broker's budget, checked before hashing. A duplicate or older claim
    /// costs no hash.
    ///
    /// # Errors
    ///
    /// [`RedeemError`]; the store is unchanged.
    pub fn redeem(
        &mut self,
        claim: &RedemptionClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Redemption, RedeemError> {
        let plan = self.plan_plain(claim, vendor, now)?;
        self.finish_plain(claim, &plan, vendor, now)
    }

    /// Redeems many plain claims presented by `vendor` at time `now`, with
    /// the results of [`redeem`](Self::redeem) on each in turn.
    ///
    /// The work that needs no state is done for all of them first: the
    /// signatures, and each claimed payword walked down to its anchor (the
    /// walks of SHA-256 chains side by side in SIMD lanes, see
    /// [`TweakableHash::chain_walk_many`](crate::TweakableHash::chain_walk_many)).
    /// With the `rayon` feature that phase is spread over every core. Then
    /// each claim goes through the pipeline in order; one whose commitment
    /// has nothing recorded yet needs no more hashing there.
    ///
    /// # Cost
    ///
    /// As `redeem` for each claim; a payword is walked to its anchor only
    /// when that takes at most the broker's budget (otherwise the pipeline
    /// hashes as `redeem` does). Claims whose commitment was redeemed
    /// before hash again from the recorded paywords, as with `redeem`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::{Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams,
    ///     ChainSeed, Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg,
    ///     MemoryStore, MessageSigner, Payment, PaymentBody, Pebbler, RedemptionClaim, Sha256,
    ///     Traversal, VendorId};
    /// use ed25519_dalek::SigningKey;
    ///
    /// let (broker_key, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// let (broker_id, vendor) = (BrokerId::from_bytes([3; 32]), VendorId::from_bytes([4; 32]));
    /// let cert = Certificate::issue(CertificateFields {
    ///     broker: broker_id, serial: 1, customer: CustomerId::from_bytes([5; 16]),
    ///     customer_key: customer.public_key(), credit_limit: 1_000, valid_from: 0, expires: 100,
    /// }, &broker_key)?;
    /// let claims: Vec<RedemptionClaim> = (0..4u8).map(|i| {
    ///     let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([i; 16]), 50).unwrap();
    ///     let mut w = Pebbler::<Sha256>::new(&ChainSeed::from_bytes([i; 32]), params).unwrap();
    ///     let commitment = Commitment::sign(CommitmentFields {
    ///         certificate: cert.digest(), vendor, unit_value: 1, valid_from: 0, expires: 100,
    ///         chain: CommittedChain::Single { params, anchor: w.anchor() }, renewal: None,
    ///     }, &customer).unwrap();
    ///     let p = w.advance(10 + u32::from(i)).unwrap();
    ///     RedemptionClaim { certificate: cert, commitment, payment: Payment::new(commitment.digest(), PaymentBody::Single(p)) }
    /// }).collect();
    /// let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
    /// let owed: Vec<u64> = broker.redeem_batch(&claims, &vendor, 10).into_iter().map(|r| r.unwrap().owed).collect();
    /// assert_eq!(owed, [10, 11, 12, 13]);
    /// assert_eq!(broker.owed(&vendor)?, 46);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redeem_batch(
        &mut self,
        claims: &[RedemptionClaim],
        vendor: &VendorId,
        now: u64,
    ) -> Vec<Result<Redemption, RedeemError>> {
        let (id, key, grace) = (self.id, self.key, self.grace);
        let prepare = |c: &RedemptionClaim| plan_plain(id, &key, grace, c, vendor, now);
        #[cfg(feature = "rayon")]
        let mut plans: Vec<Result<Plan, RedeemError>> = {
            use rayon::prelude::*;
            claims.par_iter().map(prepare).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let mut plans: Vec<Result<Plan, RedeemError>> = claims.iter().map(prepare).collect();
        preverify(&mut plans, self.limit);
        claims
            .iter()
            .zip(plans)
            .map(|(claim, plan)| self.finish_plain(claim, &plan?, vendor, now))
            .collect()
    }

    /// The pipeline and the answer, for an authenticated plain claim.
    fn finish_plain(
        &mut self,
        claim: &RedemptionClaim,
        plan: &Plan,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Redemption, RedeemError> {
        let outcome = self.run(plan, vendor, now)?;
        let digest = claim.commitment.digest();
        let units = outcome.debts.first().map_or(0, |d| d.units);
        let overspent = if outcome.over_limit() {
            // The claim is committed: a store failure while gathering the
            // evidence loses no money (the proof can be built later).
            self.overspend_proof(&claim.certificate).ok().flatten()
        } else {
            None
        };
        Ok(Redemption {
            commitment: digest,
            owed: outcome.owed,
            units,
            overspent,
        })
    }

    /// Authenticates a plain claim into a plan.
    fn plan_plain(
        &self,
        claim: &RedemptionClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Plan, RedeemError> {
        plan_plain(self.id, &self.key, self.grace, claim, vendor, now)
    }

    /// An overspend proof from the plain commitments under `certificate`,
    /// if they alone were released past its credit limit.
    fn overspend_proof(
        &mut self,
        certificate: &Certificate,
    ) -> Result<Option<OverspendProof>, RedeemError> {
        let records = self.debt_records(&certificate.digest())?;
        let mut spent = Vec::new();
        let mut released: u64 = 0;
        for (_, r) in records {
            let (Some(paid), Some((&EVIDENCE_PLAIN, rest))) = (r.paid, r.evidence.split_first())
            else {
                continue;
            };
            if r.units == 0 {
                continue;
            }
            let Ok(commitment) = Commitment::decode(rest) else {
                continue;
            };
            released =
                released.saturating_add(r.units.saturating_mul(commitment.fields().unit_value));
            spent.push((commitment, paid));
        }
        Ok(
            (released > certificate.fields().credit_limit).then_some(OverspendProof {
                certificate: *certificate,
                spent,
            }),
        )
    }
}

/// The parts of `claimed` that are above what is recorded, or `None` if
/// nothing is new.
pub(crate) fn newer_parts(
    claimed: &PaymentBody,
    recorded: Option<&PaymentBody>,
) -> Option<PaymentBody> {
    match (claimed, recorded) {
        // Index 0 is the anchor: it pays nothing and is never "new".
        (PaymentBody::Single(c), None) => (c.index() > 0).then_some(*claimed),
        (PaymentBody::Purse(c), None) => {
            let mut out = crate::PursePayment::new();
            for (j, p) in c.parts().filter(|(_, p)| p.index() > 0) {
                out = out.with(j, *p);
            }
            out.parts()
                .next()
                .is_some()
                .then_some(PaymentBody::Purse(out))
        }
        (PaymentBody::Single(c), Some(PaymentBody::Single(r))) => {
            (c.index() > r.index()).then_some(*claimed)
        }
        (PaymentBody::Purse(c), Some(PaymentBody::Purse(r))) => {
            let mut out = crate::PursePayment::new();
            let mut any = false;
            for (j, p) in c.parts() {
                if p.index() > r.part(j).map_or(0, |q| q.index()) {
                    out = out.with(j, *p);
                    any = true;
                }
            }
            any.then_some(PaymentBody::Purse(out))
        }
        // A kind mismatch: let the receiver refuse it.
        (c, Some(_)) => Some(*c),
    }
}

/// Proof that a customer released paywords worth more than the credit limit
/// of their certificate: the certificate and, for each commitment, the
/// customer-signed commitment and the highest paywords redeemed.
///
/// Every object in it is signed by the customer (commitments) or the broker
/// (certificate) or is a preimage only the customer could reveal (paywords), so
/// it never blames a customer who stayed within the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverspendProof {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// Commitments under it with the highest paywords redeemed.
    pub spent: Vec<(Commitment, PaymentBody)>,
}

/// Why an [`OverspendProof`] does not prove anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// A signature, commitment or payword check failed.
    Invalid(SessionError),
    /// The same commitment is listed twice.
    Duplicate,
    /// Verifying would take more chain steps than the budget.
    OverBudget,
    /// The total is within the credit limit: no overspending.
    WithinLimit,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "invalid proof: {e}"),
            Self::Duplicate => f.write_str("a commitment is listed twice"),
            Self::OverBudget => f.write_str("proof needs more hashing than the budget"),
            Self::WithinLimit => f.write_str("total is within the credit limit"),
        }
    }
}

impl core::error::Error for ProofError {}

impl OverspendProof {
    /// Checks the proof with the broker's public key; returns the total value
    /// the customer released (which is above the credit limit).
    ///
    /// # Cost
    ///
    /// `1 + k` signature verifications for `k` commitments and the chain steps
    /// from each anchor to the paywords, at most `max_steps` in total (checked
    /// per commitment before its hashing).
    ///
    /// # Errors
    ///
    /// [`ProofError`].
    pub fn verify(&self, broker_key: &PublicKey, max_steps: u32) -> Result<u64, ProofError> {
        let mut budget = max_steps;
        let mut total: u64 = 0;
        let mut seen: Vec<Digest> = Vec::new();
        for (commitment, paid) in &self.spent {
            check_signed(broker_key, &self.certificate, commitment).map_err(ProofError::Invalid)?;
            let d = commitment.digest();
            if seen.contains(&d) {
                return Err(ProofError::Duplicate);
            }
            seen.push(d);
            let mf = commitment.fields();
            let mut state =
                ChainState::new(&mf.chain, None, budget).map_err(ProofError::Invalid)?;
            let units = state.accept(paid).map_err(|e| match e {
                SessionError::Payment(crate::VerifyError::OverBudget { .. }) => {
                    ProofError::OverBudget
                }
                e => ProofError::Invalid(e),
            })?;
            budget = budget.saturating_sub(u32::try_from(steps_of(paid)).unwrap_or(u32::MAX));
            total = total.saturating_add(units.saturating_mul(mf.unit_value));
        }
        if total > self.certificate.fields().credit_limit {
            Ok(total)
        } else {
            Err(ProofError::WithinLimit)
        }
    }
}

/// Chain steps to verify `body` from the anchors.
fn steps_of(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(p) => p.parts().map(|(_, q)| u64::from(q.index())).sum(),
    }
}

/// Authenticates a plain claim into a plan for broker `id` with key `key`
/// and grace period `grace` (no state: batches run it on many threads).
fn plan_plain(
    id: BrokerId,
    key: &PublicKey,
    grace: u64,
    claim: &RedemptionClaim,
    vendor: &VendorId,
    now: u64,
) -> Result<Plan, RedeemError> {
    let RedemptionClaim {
        certificate,
        commitment,
        payment,
    } = claim;
    if certificate.fields().broker != id {
        return Err(RedeemError::WrongBroker);
    }
    // The cheap checks first (no public-key operation for a claim that
    // fails them), then the two signatures.
    let mf = commitment.fields();
    if mf.vendor != *vendor {
        return Err(SessionError::WrongVendor.into());
    }
    crate::check::check_redeemable(now, mf.valid_from, mf.expires, grace)?;
    let digest = commitment.digest();
    if *payment.commitment() != digest {
        return Err(RedeemError::PaymentMismatch);
    }
    mf.chain
        .capacity()
        .checked_mul(mf.unit_value)
        .ok_or(SessionError::Overflow)?;
    check_signed(key, certificate, commitment)?;
    let mut evidence = alloc::vec![EVIDENCE_PLAIN];
    evidence.extend_from_slice(&commitment.to_bytes());
    Ok(Plan {
        certificate: *certificate,
        debts: alloc::vec![PlannedDebt {
            preverified: false,
            key: digest,
            chain: mf.chain,
            start: None,
            base: 0,
            claimed: Some(*payment.body()),
            unit_value: mf.unit_value,
            cap: u64::MAX,
            evidence,
        }],
        group: None,
        links: Vec::new(),
    })
}

/// Walks each plan's single claimed payword down to its anchor, many at a
/// time, and marks the genuine ones (see [`Broker::redeem_batch`]). A walk
/// longer than `limit` steps is left to the pipeline, which refuses it or
/// hashes less from a recorded payword.
fn preverify(plans: &mut [Result<Plan, RedeemError>], limit: u32) {
    use crate::HashAlg;
    use crate::hash::{Blake3, Sha256, TweakableHash, WalkLane};
    use crate::message::CommittedChain;

    fn walk_all<H: TweakableHash>(lanes: &mut [WalkLane]) {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            lanes
                .par_chunks_mut(crate::verify::BATCH_LANES)
                .for_each(|chunk| H::chain_walk_many(chunk));
        }
        #[cfg(not(feature = "rayon"))]
        H::chain_walk_many(lanes);
    }

    for alg in [HashAlg::Sha256, HashAlg::Blake3] {
        // (plan index, lane, anchor)
        let mut which = Vec::new();
        let mut lanes = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            let Ok(plan) = plan else { continue };
            let Some(d) = plan.debts.first() else {
                continue;
            };
            if let (CommittedChain::Single { params, anchor }, Some(PaymentBody::Single(p))) =
                (&d.chain, &d.claimed)
                && params.alg() == alg
                && p.index() > 0
                && p.index() <= limit
                && p.index() <= params.length()
            {
                which.push((i, anchor.as_word()));
                lanes.push(WalkLane::new(*params.id(), p.index(), *p.word(), 0));
            }
        }
        match alg {
            HashAlg::Sha256 => walk_all::<Sha256>(&mut lanes),
            HashAlg::Blake3 => walk_all::<Blake3>(&mut lanes),
        }
        for ((i, anchor), lane) in which.into_iter().zip(&lanes) {
            if bool::from(subtle::ConstantTimeEq::ct_eq(&lane.word, &anchor))
                && let Some(Ok(plan)) = plans.get_mut(i)
                && let Some(d) = plan.debts.first_mut()
            {
                d.preverified = true;
            }
        }
    }
}
