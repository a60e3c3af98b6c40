//! A shared chain split between vendors by customer-signed range grants.
//!
//! The customer commits once to one chain in a [`SharedCommitment`] (no
//! vendor in it) and, for each vendor in turn, signs a small [`RangeGrant`]:
//! "indexes `(a, b]` of commitment C belong to vendor V, and `w_a` is the
//! word below them". The vendor's [`GrantSession`] accepts only paywords with
//! index in `(a, b]`, verifying them from `w_a` exactly as single-vendor
//! PayWord verifies from the anchor.
//!
//! Two grants over one commitment whose ranges overlap for different vendors
//! are an `Equivocation` proof naming the customer (both grants carry the
//! customer's signature). Paywords alone name no vendor: a vendor holding
//! another vendor's leaked paywords can neither redeem them (its own grant
//! does not cover their indexes) nor build a proof from them.
//!
//! `w_a` is trusted as signed: a customer who signs a wrong `w_a` only makes
//! paywords of their own count as paid, so neither vendor nor broker hashes
//! it down to the anchor. The anchor fixes `w_0`, which a grant starting at 0
//! must carry.

use alloc::vec::Vec;

use super::{MultiError, read_validity, tag};
use crate::chain::{Anchor, ChainId, ChainParams, Payword, Word};
use crate::check::{ChainState, SessionError, check_window};
use crate::hash::HashAlg;
use crate::message::{
    Certificate, CommittedChain, Encode, Payment, PaymentBody, VendorId, read_payword,
    write_payword,
};
use crate::sign::{Digest, PublicKey, Signed, SignedFields};
use crate::wire::{DecodeError, Reader, Writer};

/// The content of a shared commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SharedCommitmentFields {
    /// The digest of the customer's certificate.
    pub certificate: Digest,
    /// Value of one unit; at least 1.
    pub unit_value: u64,
    /// First second the commitment may be used.
    pub valid_from: u64,
    /// Last second it may be used.
    pub expires: u64,
    /// The chain's parameters.
    pub params: ChainParams,
    /// Its anchor `w_0`.
    pub anchor: Anchor,
}

/// A customer-signed commitment to one chain that range grants split between
/// vendors.
///
/// # Examples
///
/// ```
/// use payword::grant::{RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields};
/// use payword::{Anchor, ChainId, ChainParams, Digest, HashAlg, MessageSigner, VendorId, Word};
/// use ed25519_dalek::SigningKey;
///
/// let customer = SigningKey::from_bytes(&[2; 32]);
/// let shared = SharedCommitment::sign(SharedCommitmentFields {
///     certificate: Digest::from_bytes([9; 32]),
///     unit_value: 1,
///     valid_from: 0,
///     expires: 100,
///     params: ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([1; 16]), 1000)?,
///     anchor: Anchor::from_bytes([0; 32]),
/// }, &customer)?;
/// let grant = RangeGrant::sign(RangeGrantFields {
///     commitment: shared.digest(),
///     vendor: VendorId::from_bytes([7; 32]),
///     from: 0,
///     to: 400,
///     start: Word::from_bytes([0; 32]),
/// }, &customer)?;
/// assert!(grant.verify(&customer.public_key()).is_ok());
/// assert!(grant.covers(400) && !grant.covers(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type SharedCommitment = Signed<SharedCommitmentFields>;

impl crate::check::UnderCertificate for SharedCommitmentFields {
    fn certificate(&self) -> &Digest {
        &self.certificate
    }

    fn window(&self) -> (u64, u64) {
        (self.valid_from, self.expires)
    }
}

impl crate::wire::sealed::Sealed for SharedCommitmentFields {}

impl SignedFields for SharedCommitmentFields {
    const TAG: u8 = tag::SHARED_COMMITMENT;
    const MAX_LEN: usize = 32 + 24 + 1 + 16 + 4 + 32;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.certificate.as_bytes());
        w.put_u64(self.unit_value);
        w.put_u64(self.valid_from);
        w.put_u64(self.expires);
        w.put_u8(self.params.alg().tag());
        w.put(self.params.id().as_bytes());
        w.put_u32(self.params.length());
        w.put(self.anchor.as_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Digest::from_bytes(r.array("certificate")?);
        let unit_value = r.u64("unit_value")?;
        if unit_value == 0 {
            return Err(DecodeError::NonCanonical {
                field: "unit_value",
            });
        }
        let (valid_from, expires) = read_validity(r)?;
        let alg =
            HashAlg::from_tag(r.u8("hash")?).ok_or(DecodeError::NonCanonical { field: "hash" })?;
        let id = ChainId::from_bytes(r.array("chain id")?);
        let params = ChainParams::new(alg, id, r.u32("length")?.into())
            .map_err(|_| DecodeError::NonCanonical { field: "length" })?;
        let anchor = Anchor::from_bytes(r.array("anchor")?);
        Ok(Self {
            certificate,
            unit_value,
            valid_from,
            expires,
            params,
            anchor,
        })
    }
}

/// The content of a range grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RangeGrantFields {
    /// The shared commitment's digest.
    pub commitment: Digest,
    /// The vendor the range belongs to.
    pub vendor: VendorId,
    /// `a`: the range is `(a, b]`; the payword at `a` is `start`.
    pub from: u32,
    /// `b`, greater than `a` and at most the chain's length.
    pub to: u32,
    /// `w_a`, the word below the range (the anchor when `a = 0`).
    pub start: Word,
}

/// A customer-signed grant: "indexes `(a, b]` of commitment C belong to
/// vendor V".
///
/// # Examples
///
/// See [`SharedCommitment`].
pub type RangeGrant = Signed<RangeGrantFields>;

impl Signed<RangeGrantFields> {
    /// The chain state at the grant's start word (or `last`).
    pub(crate) fn chain_state(
        &self,
        shared: &SharedCommitment,
        last: Option<&PaymentBody>,
        limit: u32,
    ) -> Result<ChainState, SessionError> {
        let sf = shared.fields();
        let chain = CommittedChain::Single {
            params: sf.params,
            anchor: sf.anchor,
        };
        let start = PaymentBody::Single(Payword::new(self.fields.from, self.fields.start));
        ChainState::new(&chain, Some(last.unwrap_or(&start)), limit)
    }

    /// Whether payword index `i` is in `(a, b]`.
    #[must_use]
    pub const fn covers(&self, i: u32) -> bool {
        self.fields.from < i && i <= self.fields.to
    }

    /// Whether the two ranges share an index.
    #[must_use]
    pub const fn overlaps(&self, other: &Self) -> bool {
        self.fields.from < other.fields.to && other.fields.from < self.fields.to
    }

    /// Checks that this grant was signed by the certified customer over
    /// `shared` and fits its chain (no certificate or commitment signature
    /// check).
    pub(crate) fn check_against(
        &self,
        certificate: &Certificate,
        shared: &SharedCommitment,
        shared_id: &Digest,
    ) -> Result<(), MultiError> {
        self.verify(&certificate.fields().customer_key)
            .map_err(|_| SessionError::BadCommitment)?;
        let f = &self.fields;
        if f.commitment != *shared_id || f.to > shared.fields.params.length() {
            return Err(MultiError::BadGrant);
        }
        if f.from == 0 && f.start != shared.fields.anchor.as_word() {
            return Err(MultiError::BadGrant);
        }
        Ok(())
    }
}

impl crate::wire::sealed::Sealed for RangeGrantFields {}

impl SignedFields for RangeGrantFields {
    const TAG: u8 = tag::RANGE_GRANT;
    const MAX_LEN: usize = 32 + 32 + 4 + 4 + 32;

    fn write(&self, w: &mut Writer<'_>) {
        w.put(self.commitment.as_bytes());
        w.put(self.vendor.as_bytes());
        w.put_u32(self.from);
        w.put_u32(self.to);
        w.put(self.start.as_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let commitment = Digest::from_bytes(r.array("commitment")?);
        let vendor = VendorId::from_bytes(r.array("vendor")?);
        let from = r.u32("from")?;
        let to = r.u32("to")?;
        if from >= to {
            return Err(DecodeError::NonCanonical { field: "to" });
        }
        let start = Word::from_bytes(r.array("start")?);
        Ok(Self {
            commitment,
            vendor,
            from,
            to,
            start,
        })
    }
}

/// A grant redemption claim (vendor → broker): certificate, shared
/// commitment, the vendor's grant and the highest payword received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantClaim {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The shared commitment.
    pub commitment: SharedCommitment,
    /// The vendor's grant.
    pub grant: RangeGrant,
    /// The highest payword received, inside the grant.
    pub payword: Payword,
}

impl crate::wire::sealed::Sealed for GrantClaim {}

impl Encode for GrantClaim {
    const TAG: u8 = tag::GRANT_CLAIM;
    const MAX_LEN: usize =
        2 + Certificate::MAX_LEN + SharedCommitment::MAX_LEN + RangeGrant::MAX_LEN + 36;

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.commitment.write(w);
        self.grant.write(w);
        write_payword(&self.payword, w);
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            certificate: Certificate::read(r)?,
            commitment: SharedCommitment::read(r)?,
            grant: RangeGrant::read(r)?,
            payword: read_payword(r)?,
        })
    }
}

/// A vendor's session for one range grant.
///
/// Opening checks the broker's certificate, the customer's signatures over
/// the shared commitment and the grant, that the grant is this vendor's and
/// fits the chain, and the validity at `now`. Then payments (naming the
/// grant's digest) are verified from `w_a` exactly as single-vendor
/// payments, and refused outside `(a, b]`.
///
/// # Examples
///
/// ```
/// # use ed25519_dalek::SigningKey;
/// # use payword::*;
/// # use payword::{domain::*, fraud::*, grant::*, renew::*, reservation::*, tree::*};
/// # let broker = SigningKey::from_bytes(&[1; 32]);
/// # let customer = SigningKey::from_bytes(&[2; 32]);
/// # let cert = Certificate::issue(CertificateFields {
/// #     broker: BrokerId::from_bytes([1; 32]), serial: 1,
/// #     customer: CustomerId::from_bytes([3; 16]), customer_key: customer.public_key(),
/// #     credit_limit: 1000, valid_from: 0, expires: 100 }, &broker)?;
/// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([4; 16]), 100)?;
/// let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([5; 32]), params)?;
/// let vendor = VendorId::from_bytes([7; 32]);
/// let shared = SharedCommitment::sign(SharedCommitmentFields {
///     certificate: cert.digest(),
///     unit_value: 1,
///     valid_from: 0,
///     expires: 100,
///     params,
///     anchor: wallet.anchor(),
/// }, &customer)?;
/// let words: Vec<Payword> = wallet.by_ref().take(20).collect(); // w_1..=w_20
/// // Indexes (10, 20] belong to `vendor`; w_10 is the word below them.
/// let grant = RangeGrant::sign(RangeGrantFields {
///     commitment: shared.digest(),
///     vendor,
///     from: 10,
///     to: 20,
///     start: *words[9].word(),
/// }, &customer)?;
/// let mut s = GrantSession::open(vendor, &broker.public_key(), cert, shared, grant, 50, 0)?;
/// let id = *s.grant_id();
/// let pay = |p: Payword| Payment::new(id, PaymentBody::Single(p));
/// assert_eq!(s.pay(&pay(words[14]), 50)?, 5); // w_15: 5 units past w_10
/// assert!(s.pay(&pay(words[5]), 50).is_err()); // w_6 is not in (10, 20]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct GrantSession {
    certificate: Certificate,
    commitment: SharedCommitment,
    grant: RangeGrant,
    id: Digest,
    skew: u64,
    state: ChainState,
}

impl GrantSession {
    /// Opens a session on `grant` for `vendor`.
    ///
    /// # Cost
    ///
    /// Three signature verifications, no chain step.
    ///
    /// # Errors
    ///
    /// [`MultiError`] naming the check that failed.
    pub fn open(
        vendor: VendorId,
        broker_key: &PublicKey,
        certificate: Certificate,
        commitment: SharedCommitment,
        grant: RangeGrant,
        now: u64,
        skew: u64,
    ) -> Result<Self, MultiError> {
        commitment.check_under(broker_key, &certificate)?;
        let shared_id = commitment.digest();
        grant.check_against(&certificate, &commitment, &shared_id)?;
        if grant.fields.vendor != vendor {
            return Err(MultiError::WrongVendor);
        }
        let cf = certificate.fields();
        let sf = commitment.fields();
        check_window(now, cf.valid_from, cf.expires, skew)?;
        check_window(now, sf.valid_from, sf.expires, skew)?;
        u64::from(sf.params.length())
            .checked_mul(sf.unit_value)
            .ok_or(MultiError::Overflow)?;
        let state = grant.chain_state(&commitment, None, crate::DEFAULT_STEP_LIMIT)?;
        Ok(Self {
            certificate,
            commitment,
            id: grant.digest(),
            grant,
            skew,
            state,
        })
    }

    /// The grant digest payments must name.
    #[must_use]
    pub const fn grant_id(&self) -> &Digest {
        &self.id
    }

    /// Accepts a payment at `now`; returns the value newly paid.
    ///
    /// # Cost
    ///
    /// The chain steps from the last accepted payword (at most the default
    /// budget); none if a check fails first.
    ///
    /// # Errors
    ///
    /// [`MultiError::WrongCommitment`], [`MultiError::OutsideGrant`],
    /// [`MultiError::Invalid`]. On error nothing changes.
    pub fn pay(&mut self, payment: &Payment, now: u64) -> Result<u64, MultiError> {
        if *payment.commitment() != self.id {
            return Err(MultiError::WrongCommitment);
        }
        let PaymentBody::Single(p) = payment.body() else {
            return Err(MultiError::WrongCommitment);
        };
        if !self.grant.covers(p.index()) {
            return Err(MultiError::OutsideGrant);
        }
        let sf = self.commitment.fields();
        check_window(now, sf.valid_from, sf.expires, self.skew)?;
        let units = self.state.accept(payment.body())?;
        Ok(units.saturating_mul(sf.unit_value))
    }

    /// Units paid so far under the grant.
    #[must_use]
    pub fn units_paid(&self) -> u64 {
        self.state
            .paid()
            .saturating_sub(self.grant.fields.from.into())
    }

    /// The claim to send to the broker, or `None` before any payment.
    #[must_use]
    pub fn claim(&self) -> Option<GrantClaim> {
        let Some(PaymentBody::Single(p)) = self.state.last() else {
            return None;
        };
        (p.index() > self.grant.fields.from).then_some(GrantClaim {
            certificate: self.certificate,
            commitment: self.commitment,
            grant: self.grant,
            payword: p,
        })
    }
}

/// Evidence kind of a grant's debt (shared commitment and grant follow).
pub(crate) const EVIDENCE_GRANT: u8 = 3;

impl GrantClaim {
    /// Authenticates the claim for `vendor` at `now` into a plan: this
    /// broker's certificate, the customer's signatures over the shared
    /// commitment and the grant, that the grant is `vendor`'s, fits the
    /// chain and covers the payword, validity with the broker's `grace`. No
    /// chain hashing, no I/O.
    pub(crate) fn plan(
        &self,
        broker: (&crate::BrokerId, &PublicKey),
        vendor: &VendorId,
        time: (u64, u64),
    ) -> Result<crate::broker::Plan, MultiError> {
        let (now, grace) = time;
        let GrantClaim {
            certificate,
            commitment,
            grant,
            payword,
        } = self;
        if certificate.fields().broker != *broker.0 {
            return Err(MultiError::WrongBroker);
        }
        // The field checks first, then the three signatures.
        let g = grant.fields();
        if g.vendor != *vendor {
            return Err(MultiError::WrongVendor);
        }
        let sf = commitment.fields();
        crate::check::check_redeemable(now, sf.valid_from, sf.expires, grace)?;
        if !grant.covers(payword.index()) {
            return Err(MultiError::OutsideGrant);
        }
        u64::from(sf.params.length())
            .checked_mul(sf.unit_value)
            .ok_or(MultiError::Overflow)?;
        commitment.check_under(broker.1, certificate)?;
        let shared_id = commitment.digest();
        grant.check_against(certificate, commitment, &shared_id)?;
        let id = grant.digest();
        let mut evidence = alloc::vec![EVIDENCE_GRANT];
        evidence.extend_from_slice(&commitment.to_bytes());
        evidence.extend_from_slice(&grant.to_bytes());
        Ok(crate::broker::Plan {
            certificate: *certificate,
            debts: alloc::vec![crate::broker::PlannedDebt {
                preverified: false,
                key: id,
                chain: CommittedChain::Single {
                    params: sf.params,
                    anchor: sf.anchor,
                },
                start: Some(PaymentBody::Single(Payword::new(g.from, g.start))),
                base: u64::from(g.from),
                claimed: Some(PaymentBody::Single(*payword)),
                unit_value: sf.unit_value,
                cap: u64::MAX,
                evidence,
            }],
            group: Some(crate::broker::GroupPlan::Range {
                id: shared_id,
                member: crate::broker::Member {
                    id,
                    slot: 0,
                    vendor: g.vendor,
                    from: g.from,
                    to: g.to,
                    bytes: grant.to_bytes(),
                },
                header: commitment.to_bytes(),
            }),
            links: Vec::new(),
        })
    }
}
