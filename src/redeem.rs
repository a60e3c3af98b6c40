//! One interface over every vendor session and every claim.
//!
//! Each commitment scheme has its own session ([`Session`],
//! [`LeafSession`], [`GrantSession`], [`DeviceSession`]) and its own claim and
//! broker method. [`VendorSession`] and [`Claim`] let code that does not care
//! which scheme it serves — a vendor front end, a benchmark, the research
//! lab — take payments, claim and redeem through one set of calls.
//!
//! The public-key schemes only: symmetric sessions
//! ([`symmetric`](crate::symmetric)) take a request id with each payment
//! and are redeemed by their own broker; a reservation is not a session.
//! The three traits are sealed (implemented by this crate's types only), so
//! they can grow without breaking anyone.

mod sealed {
    pub trait Sealed {}
}

use crate::broker::{Broker, RedeemError, Redemption};
use crate::fraud::MultiRedemption;
use crate::message::{Payment, RedemptionClaim, VendorId};
use crate::multi::MultiError;
use crate::multi::domain::{DeviceClaim, DeviceSession};
use crate::multi::grant::{GrantClaim, GrantSession};
use crate::multi::merkle::{LeafClaim, LeafSession};
use crate::renew::{CascadeClaim, CascadeError, CascadeRedemption};
use crate::session::{Session, SessionError};
use crate::sign::Digest;
use crate::store::Store;
use crate::wire::Encode;

/// What a broker answers to a redeemed claim, whatever its scheme.
///
/// # Examples
///
/// See [`Claim`].
pub trait Redeemed: sealed::Sealed {
    /// Value newly owed to the vendor (0 for a duplicate or older claim).
    fn owed(&self) -> u64;
    /// Units paid under the claimed debt(s) in total, after this claim.
    fn units(&self) -> u64;
    /// Whether the claim revealed customer fraud or an overspent credit
    /// limit; the proof is in the concrete answer
    /// ([`Redemption::overspent`], [`MultiRedemption::fraud`],
    /// [`CascadeRedemption::over_limit`]).
    fn fraud_found(&self) -> bool;
}

macro_rules! redeemed {
    ($t:ty, |$r:ident| $fraud:expr) => {
        impl sealed::Sealed for $t {}
        impl Redeemed for $t {
            fn owed(&self) -> u64 {
                self.owed
            }
            fn units(&self) -> u64 {
                self.units
            }
            fn fraud_found(&self) -> bool {
                let $r = self;
                $fraud
            }
        }
    };
}

redeemed!(Redemption, |r| r.overspent.is_some());
redeemed!(MultiRedemption, |r| r.fraud.is_some());
redeemed!(CascadeRedemption, |r| r.over_limit);

/// A claim a vendor presents to the broker: it knows which of the broker's
/// redemption methods takes it.
///
/// # Examples
///
/// ```
/// use ed25519_dalek::SigningKey;
/// use payword::redeem::{Claim, Redeemed, VendorSession};
/// use payword::{Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
///     Commitment, CommitmentFields, CommittedChain, CustomerId, HashAlg, MemoryStore, MessageSigner,
///     Payment, PaymentBody, Session, Sha256, StoreAll, Traversal, VendorId};
///
/// let (broker_key, customer_key) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
/// let (broker_id, vendor) = (BrokerId::from_bytes([3; 32]), VendorId::from_bytes([4; 32]));
/// let cert = Certificate::issue(CertificateFields {
///     broker: broker_id, serial: 1, customer: CustomerId::from_bytes([5; 16]),
///     customer_key: customer_key.public_key(), credit_limit: 1000, valid_from: 0, expires: 100,
/// }, &broker_key)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([6; 16]), 50)?;
/// let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), params)?;
/// let commitment = Commitment::sign(CommitmentFields {
///     certificate: cert.digest(), vendor, unit_value: 2, valid_from: 0, expires: 100,
///     chain: CommittedChain::Single { params, anchor: wallet.anchor() }, renewal: None,
/// }, &customer_key)?;
///
/// // Generic over the scheme: pay, claim, redeem.
/// fn serve<V: VendorSession>(session: &mut V, payments: &[Payment], broker: &mut Broker, vendor: &VendorId)
///     -> Option<u64>
/// {
///     for p in payments {
///         session.pay(p, 10).ok()?;
///     }
///     let claim = session.claim()?;
///     Some(claim.redeem_with(broker, vendor, 20).ok()?.owed())
/// }
///
/// let mut session = Session::open(vendor, &broker_key.public_key(), cert, commitment, 10, 0)?;
/// let payments: Vec<Payment> = (0..5)
///     .map(|_| Payment::new(commitment.digest(), PaymentBody::Single(wallet.next_payword().unwrap())))
///     .collect();
/// let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), 60);
/// assert_eq!(serve(&mut session, &payments, &mut broker, &vendor), Some(10));
/// assert_eq!(session.units_paid(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Claim: Encode + sealed::Sealed {
    /// The broker's answer.
    type Redemption: Redeemed;
    /// Why the broker refuses the claim.
    type Error: core::error::Error + Send + Sync + 'static;

    /// Redeems the claim with `broker`, presented by `vendor` at `now` (the
    /// broker method of the claim's scheme, with its costs and errors).
    ///
    /// # Errors
    ///
    /// The scheme's redemption error; the broker's store is unchanged.
    fn redeem_with<S: Store>(
        &self,
        broker: &mut Broker<S>,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Self::Redemption, Self::Error>;
}

macro_rules! claim {
    ($claim:ty, $method:ident, $redemption:ty, $error:ty) => {
        impl sealed::Sealed for $claim {}
        impl Claim for $claim {
            type Redemption = $redemption;
            type Error = $error;

            fn redeem_with<S: Store>(
                &self,
                broker: &mut Broker<S>,
                vendor: &VendorId,
                now: u64,
            ) -> Result<$redemption, $error> {
                broker.$method(self, vendor, now)
            }
        }
    };
}

claim!(RedemptionClaim, redeem, Redemption, RedeemError);
claim!(LeafClaim, redeem_leaf, MultiRedemption, MultiError);
claim!(GrantClaim, redeem_grant, MultiRedemption, MultiError);
claim!(DeviceClaim, redeem_device, MultiRedemption, MultiError);
claim!(
    CascadeClaim,
    redeem_cascade,
    CascadeRedemption,
    CascadeError
);

/// A vendor's session with one customer, whatever the commitment scheme:
/// it takes payments and makes the claim the broker redeems.
///
/// A [`Session`] that accepted renewal links is claimed with
/// [`Session::cascade`] (a [`CascadeClaim`]): its [`VendorSession::claim`] is
/// then `None` rather than the claim of the first chain only.
///
/// # Examples
///
/// See [`Claim`].
pub trait VendorSession: sealed::Sealed {
    /// The claim this session makes.
    type Claim: Claim;
    /// Why a payment is refused.
    type Error: core::error::Error + Send + Sync + 'static;

    /// The digest payments to this session name.
    fn id(&self) -> &Digest;

    /// Accepts `payment` at `now`; returns the value newly paid.
    ///
    /// # Errors
    ///
    /// The scheme's session error; the session is unchanged.
    fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, Self::Error>;

    /// Units paid so far.
    fn units_paid(&self) -> u64;

    /// The claim for everything paid so far (`None` before the first
    /// payment, and for a renewed [`Session`]: see the trait docs).
    fn claim(&self) -> Option<Self::Claim>;
}

macro_rules! vendor_session {
    ($session:ty, $id:ident, $claim:ty, $error:ty, |$s:ident| $claimed:expr) => {
        impl sealed::Sealed for $session {}
        impl VendorSession for $session {
            type Claim = $claim;
            type Error = $error;

            fn id(&self) -> &Digest {
                <$session>::$id(self)
            }
            fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, $error> {
                <$session>::pay(self, payment, now)
            }
            fn units_paid(&self) -> u64 {
                <$session>::units_paid(self)
            }
            fn claim(&self) -> Option<$claim> {
                let $s = self;
                $claimed
            }
        }
    };
}

vendor_session!(
    Session,
    commitment_digest,
    RedemptionClaim,
    SessionError,
    |s| {
        // A renewed session's payments span several chains: only its cascade
        // claims them all.
        if s.generation() == 0 { s.claim() } else { None }
    }
);
vendor_session!(LeafSession, leaf_id, LeafClaim, MultiError, |s| s.claim());
vendor_session!(GrantSession, grant_id, GrantClaim, MultiError, |s| s
    .claim());
vendor_session!(
    DeviceSession,
    commitment_digest,
    DeviceClaim,
    MultiError,
    |s| s.claim()
);
