//! Symmetric-session claims (module [`symmetric`](crate::symmetric)) through
//! the one redemption pipeline: a [`SymmetricClaim`] authenticates into a
//! plan of one debt, keyed by its ticket, and is then recorded like any
//! other claim (idempotent, order-free, counted against the certificate's
//! credit account and the vendor's owed total).

use core::fmt;

use super::{Broker, BrokerError, Plan, PlannedDebt, Refusal, StoreFailure};
use crate::message::{Certificate, CommittedChain, Encode, PaymentBody, VendorId};
use crate::sign::Digest;
use crate::store::Store;
use crate::symmetric::{
    BrokerKeys, SymmetricBroker, SymmetricClaim, SymmetricError, SymmetricRedemption,
};
use crate::verify::VerifyError;

/// Evidence kind of a symmetric claim's debt: the evidence is the claim's
/// encoding, which starts with its wire tag (apart from the small evidence
/// kinds of the other claim kinds). Overspend and fraud proofs skip it: a
/// symmetric claim carries no customer signature.
pub(crate) const EVIDENCE_SYMMETRIC: u8 = crate::message::tag::SYMMETRIC_CLAIM;

/// What [`Broker::redeem_symmetric`] recorded for a symmetric claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SymmetricCredit {
    /// What the claim itself is worth in total (as
    /// [`SymmetricBroker::redeem`] reports it).
    pub redemption: SymmetricRedemption,
    /// The key of the ticket's debt record
    /// ([`SymmetricBroker::debt_key`]; read it with [`Broker::debt`]).
    pub debt: Digest,
    /// Value newly owed to the vendor by this claim (0 for a duplicate or an
    /// older claim).
    pub owed: u64,
    /// Units paid under the ticket in total, after this claim.
    pub units: u64,
    /// Whether the certificate's credit limit cut what the new paywords are
    /// worth (the rest is not owed, now or later).
    pub limited: bool,
}

/// Why [`Broker::redeem_symmetric`] refused a claim. A refused claim changes
/// nothing in the store.
///
/// # Examples
///
/// ```
/// use payword::symmetric::SymmetricError;
/// use payword::SymmetricRedeemError;
///
/// let e = SymmetricRedeemError::from(SymmetricError::BadMac);
/// assert_eq!(e.to_string(), "claim refused: payment MAC does not verify");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SymmetricRedeemError {
    /// The claim is refused as [`SymmetricBroker::redeem`] refuses it
    /// (ticket, MAC, validity with the broker's grace, vendor; a forged,
    /// replayed or over-budget payword is [`SymmetricError::Chain`]).
    Claim(SymmetricError),
    /// The certificate, or the symmetric broker, is another broker's.
    WrongBroker,
    /// The certificate's signature does not verify under the broker's key.
    BadCertificate,
    /// The certificate is not the one the ticket names (another customer,
    /// or another serial).
    WrongCertificate,
    /// The certificate's account would list more than
    /// [`MAX_DEBTS`](crate::MAX_DEBTS) debts.
    TooManyRecords,
    /// The store failed; nothing was written.
    Store(StoreFailure),
}

impl fmt::Display for SymmetricRedeemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Claim(e) => write!(f, "claim refused: {e}"),
            Self::WrongBroker => f.write_str("certificate or ticket is from another broker"),
            Self::BadCertificate => f.write_str("certificate does not verify"),
            Self::WrongCertificate => f.write_str("ticket names another certificate"),
            Self::TooManyRecords => f.write_str("too many debts under one certificate"),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for SymmetricRedeemError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Claim(e) => Some(e),
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SymmetricError> for SymmetricRedeemError {
    fn from(e: SymmetricError) -> Self {
        Self::Claim(e)
    }
}

impl From<Refusal> for SymmetricRedeemError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(e) | Refusal::Payword { error: e, .. } => {
                Self::Claim(crate::symmetric::chain_error(e))
            }
            Refusal::OverBudget { needed, limit } => {
                Self::Claim(SymmetricError::Chain(VerifyError::OverBudget {
                    steps: needed,
                    limit,
                }))
            }
            Refusal::TooManyRecords => Self::TooManyRecords,
            // A symmetric plan has no group and no renewal links.
            Refusal::GrantOverlap | Refusal::Fork { .. } => Self::Claim(SymmetricError::Malformed),
        }
    }
}

impl<E> From<BrokerError<E>> for SymmetricRedeemError {
    fn from(e: BrokerError<E>) -> Self {
        e.split().map_or_else(Self::Store, Self::from)
    }
}

impl<S: Store> Broker<S> {
    /// Records a vendor's [`SymmetricClaim`] presented by `vendor` at time
    /// `now`, through the broker's one redemption pipeline.
    ///
    /// Checks the claim as [`SymmetricBroker::redeem`] does (the vendor's
    /// ticket part opens under the vendor's long-term key from `keys`, the
    /// payment's MAC, the customer's receipt, the ticket's window with this
    /// broker's grace), that `sym` and `certificate` are this broker's, that
    /// `certificate` verifies under the broker's key and is the one the
    /// ticket names (customer and serial), and that `vendor` is the
    /// ticket's. Then the ticket is one debt, keyed by
    /// [`SymmetricBroker::debt_key`], on the ticket's chain: like every
    /// claim kind, redemption is idempotent and order-free (the highest
    /// payword ever presented is what is owed), it is counted in the
    /// certificate's one credit account together with every other claim
    /// under it (a claim past the credit limit is paid up to it; symmetric
    /// claims carry no customer signature, so no overspend proof), and the
    /// vendor's [`owed`](Self::owed) total grows in the same commit.
    ///
    /// # Cost
    ///
    /// One signature verification, one XChaCha20-Poly1305 decryption, six
    /// HMAC-SHA256, one read and one commit of the store, and the chain
    /// steps from the recorded payword to the claimed one: at most the
    /// broker's budget, checked before hashing. A duplicate costs no hash.
    ///
    /// # Errors
    ///
    /// [`SymmetricRedeemError`]; the store is unchanged.
    ///
    /// # Examples
    ///
    /// See `tests/symmetric.rs` (`broker_*`).
    pub fn redeem_symmetric<K: BrokerKeys + ?Sized>(
        &mut self,
        sym: &SymmetricBroker,
        claim: &SymmetricClaim,
        keys: &K,
        certificate: &Certificate,
        vendor: &VendorId,
        now: u64,
    ) -> Result<SymmetricCredit, SymmetricRedeemError> {
        let cf = certificate.fields();
        if *sym.id() != self.id || cf.broker != self.id {
            return Err(SymmetricRedeemError::WrongBroker);
        }
        let (terms, redemption) = sym.authenticate(claim, keys, now, self.grace)?;
        if terms.vendor != *vendor {
            return Err(SymmetricError::WrongVendor.into());
        }
        if terms.customer != cf.customer || terms.certificate != cf.serial {
            return Err(SymmetricRedeemError::WrongCertificate);
        }
        certificate
            .verify(&self.key)
            .map_err(|_| SymmetricRedeemError::BadCertificate)?;
        terms.max_value().ok_or(SymmetricError::Overflow)?;
        let debt = sym.debt_key(&terms.ticket);
        // The claim's encoding: its first byte, the claim's wire tag, is
        // the evidence kind.
        let evidence = claim.to_bytes();
        debug_assert_eq!(evidence.first(), Some(&EVIDENCE_SYMMETRIC));
        let plan = Plan {
            certificate: *certificate,
            debts: alloc::vec![PlannedDebt {
                key: debt,
                chain: CommittedChain::Single {
                    params: terms.params,
                    anchor: terms.anchor,
                },
                start: None,
                base: 0,
                claimed: Some(PaymentBody::Single(*claim.payment.payword())),
                unit_value: terms.unit_value,
                cap: u64::MAX,
                evidence,
                preverified: false,
            }],
            group: None,
            links: alloc::vec::Vec::new(),
        };
        let outcome = self.run(&plan, vendor, now)?;
        Ok(SymmetricCredit {
            redemption,
            debt,
            owed: outcome.owed,
            units: outcome.debts.first().map_or(0, |d| d.units),
            limited: outcome.over_limit(),
        })
    }
}
