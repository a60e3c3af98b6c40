//! The broker side: cascade claims (tag `0x31`), their redemption and errors.

use super::*;
use crate::broker::{
    Broker, BrokerError, Plan, PlannedDebt, PlannedLink, RedeemError, Refusal, StoreFailure,
};
use crate::chain::{Payword, Word};
use crate::check::check_signed;
use crate::message::{Certificate, VendorId};
use crate::store::Store;
use crate::wire::read_list;
use alloc::vec::Vec;

/// Writes an optional payword: `0`, or `1 ‖ index (≥ 1) ‖ word`.
fn write_last(p: Option<&Payword>, w: &mut Writer<'_>) {
    match p {
        None => w.put_u8(0),
        Some(p) => {
            w.put_u8(1);
            w.put_u32(p.index());
            w.put(p.word().as_bytes());
        }
    }
}

fn read_last(r: &mut Reader<'_>) -> Result<Option<Payword>, DecodeError> {
    if !r.bool("payword flag")? {
        return Ok(None);
    }
    let index = r.u32("index")?;
    if index == 0 {
        return Err(DecodeError::NonCanonical { field: "index" });
    }
    Ok(Some(Payword::new(
        index,
        Word::from_bytes(r.array("word")?),
    )))
}

/// One renewed chain of a cascade: the link that started it and the
/// highest payword received on it.
///
/// # Examples
///
/// See [`CascadeClaim`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewedChain {
    /// The link to this chain.
    pub link: RenewalLink,
    /// The highest payword received on it, if any.
    pub last: Option<Payword>,
}

/// A cascade claim (vendor → broker, wire tag `0x31`): the certificate,
/// the commitment, the highest payword of the committed chain and, for
/// each renewal (at most [`MAX_CASCADE`]), the link and the highest
/// payword of the chain it started.
///
/// # Examples
///
/// Made by [`Session::cascade`](crate::Session::cascade) and redeemed by
/// [`Broker::redeem_cascade`](crate::Broker::redeem_cascade) (whose docs
/// have an example); see also `examples/digital_goods.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CascadeClaim {
    /// The customer's certificate.
    pub certificate: Certificate,
    /// The customer's signed commitment (generation 0).
    pub commitment: Commitment,
    /// The highest payword of the committed chain, if any.
    pub first: Option<Payword>,
    /// The renewed chains, generation 1 first.
    pub renewals: Vec<RenewedChain>,
}

impl crate::wire::sealed::Sealed for CascadeClaim {}

impl Encode for CascadeClaim {
    const TAG: u8 = tag::CASCADE_CLAIM;
    /// About 300 KiB (129 chains).
    const MAX_LEN: usize = 2
        + Certificate::MAX_LEN
        + Commitment::MAX_LEN
        + 37
        + 2
        + MAX_CASCADE * (RenewalLink::MAX_LEN + 37);

    fn write_fields(&self, w: &mut Writer<'_>) {
        self.certificate.write(w);
        self.commitment.write(w);
        write_last(self.first.as_ref(), w);
        w.put_u16(u16::try_from(self.renewals.len()).unwrap_or(u16::MAX));
        for r in &self.renewals {
            r.link.write(w);
            write_last(r.last.as_ref(), w);
        }
    }

    fn read_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate = Certificate::read(r)?;
        let commitment = Commitment::read(r)?;
        let first = read_last(r)?;
        let renewals = read_list(r, "renewals", MAX_CASCADE as u16, |r| {
            Ok(RenewedChain {
                link: RenewalLink::read(r)?,
                last: read_last(r)?,
            })
        })?;
        Ok(Self {
            certificate,
            commitment,
            first,
            renewals,
        })
    }
}

/// Why a cascade claim was refused. A refused claim changes nothing in
/// the store.
///
/// # Examples
///
/// ```
/// use payword::renew::CascadeError;
///
/// let e = CascadeError::TooLong { length: 200, max: 128 };
/// assert_eq!(e.to_string(), "cascade of 200 links is over the limit 128");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CascadeError {
    /// The commitment's part failed (broker, signatures, vendor, time).
    Redeem(RedeemError),
    /// The link to chain `generation` (or that chain's payword) was
    /// refused.
    Renewal {
        /// The generation of the chain.
        generation: u32,
        /// Why.
        error: RenewError,
    },
    /// More links than [`MAX_CASCADE`].
    TooLong {
        /// Links in the claim.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The paywords need more chain steps than the broker's claim budget.
    OverBudget {
        /// Steps needed.
        needed: u64,
        /// The budget.
        limit: u32,
    },
    /// A link of the claim and a link the broker already redeemed are
    /// different but continue the same chain: its one-time key signed
    /// twice. The proof is built from the claim and the stored link.
    OtsReuse(alloc::boxed::Box<OtsReuseProof>),
}

impl fmt::Display for CascadeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redeem(e) => write!(f, "{e}"),
            Self::Renewal { generation, error } => {
                write!(f, "chain {generation} refused: {error}")
            }
            Self::TooLong { length, max } => {
                write!(f, "cascade of {length} links is over the limit {max}")
            }
            Self::OverBudget { needed, limit } => {
                write!(f, "claim needs {needed} chain steps, budget is {limit}")
            }
            Self::OtsReuse(p) => write!(
                f,
                "one-time key of chain {} signed two different links",
                p.path.len()
            ),
        }
    }
}

impl core::error::Error for CascadeError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Redeem(e) => Some(e),
            Self::Renewal { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<RedeemError> for CascadeError {
    fn from(e: RedeemError) -> Self {
        Self::Redeem(e)
    }
}

/// The outcome of an accepted cascade claim.
///
/// # Examples
///
/// See [`Broker::redeem_cascade`](crate::Broker::redeem_cascade).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CascadeRedemption {
    /// The commitment (generation 0) redeemed.
    pub commitment: Digest,
    /// Chains in the cascade (links + 1).
    pub chains: usize,
    /// Value newly owed to the vendor by this claim.
    pub owed: u64,
    /// Units recorded in total for the chains this claim names, after
    /// it (a claim that stops at an earlier generation does not count the
    /// later chains).
    pub units: u64,
    /// Whether the certificate's credit limit cut the amount owed.
    pub over_limit: bool,
}

impl<S: Store> Broker<S> {
    /// Redeems a cascade claim presented by `vendor` at time `now`.
    ///
    /// Checks the commitment as [`redeem`](Self::redeem) does, then each
    /// link (continues the previous chain, right generation, key and
    /// window, one-time signature under the previous chain's key); then,
    /// through the broker's one redemption pipeline, that no link continues
    /// a chain differently from a link already redeemed, and each chain's
    /// highest payword against the store.
    ///
    /// **Store.** Each chain is a debt keyed by its own digest: the
    /// commitment's for generation 0 (the same debt a plain claim on the
    /// commitment redeems), each link's after that; each debt's `credited`
    /// counts its chain's share. Redemption is idempotent and order-free
    /// per chain.
    ///
    /// **Credit.** The certificate's one credit account bounds what is owed
    /// over all of its commitments, cascades and other variants, and live
    /// reservations of other commitments are honoured. A cascade past the
    /// limit is paid up to it and reports
    /// [`over_limit`](CascadeRedemption::over_limit).
    ///
    /// # Cost
    ///
    /// Checked in this order, each bound before the work: the cascade
    /// length (at most [`MAX_CASCADE`]); the vendor and the commitment's
    /// time window; two signature verifications; per
    /// link a 164-byte digest and one LM-OTS verification (at most 1005
    /// chain steps); one read of the store; the fork check; the payword
    /// steps against the broker's claim budget (before any payword
    /// hashing); the payword steps; one commit. A duplicate claim costs no
    /// payword hash.
    ///
    /// # Errors
    ///
    /// [`CascadeError`]; the store is unchanged.
    /// [`CascadeError::OtsReuse`] carries the proof that the customer's
    /// one-time key signed both the redeemed link and the claim's.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::RenewingWallet;
    /// use payword::{Broker, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields,
    ///     HashAlg, MemoryStore, Session, Sha256, VendorId};
    /// # use payword::{BrokerId, Certificate, CertificateFields, CustomerId, MessageSigner};
    /// # use ed25519_dalek::SigningKey;
    /// # let (broker, customer) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    /// # let broker_id = BrokerId::from_bytes([3; 32]);
    /// # let cert = Certificate::issue(CertificateFields {
    /// #     broker: broker_id, serial: 1,
    /// #     customer: CustomerId::from_bytes([4; 16]), customer_key: customer.public_key(),
    /// #     credit_limit: 1_000, valid_from: 0, expires: 100,
    /// # }, &broker)?;
    /// let vendor = VendorId::from_bytes([7; 32]);
    /// let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([5; 16]), 10)?;
    /// let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([6; 32]), params, 0)?;
    /// let commitment = Commitment::sign(CommitmentFields {
    ///     certificate: cert.digest(), vendor, unit_value: 2, valid_from: 0, expires: 100,
    ///     chain: wallet.committed_chain(), renewal: Some(wallet.renewal_key()),
    /// }, &customer)?;
    /// wallet.bind(&commitment)?;
    /// let mut session = Session::open(vendor, &broker.public_key(), cert, commitment, 10, 0)?;
    /// for _ in 0..35 {
    ///     let out = wallet.pay()?;
    ///     if let Some(link) = &out.link {
    ///         session.renew(link, 10)?;
    ///     }
    ///     session.pay(&out.payment, 10)?;
    /// }
    /// let claim = session.cascade().expect("paid");
    /// let mut b = Broker::new(broker_id, broker.public_key(), MemoryStore::new(), 60);
    /// let r = b.redeem_cascade(&claim, &vendor, 50)?;
    /// assert_eq!((r.chains, r.units, r.owed), (4, 35, 70));
    /// assert_eq!(b.redeem_cascade(&claim, &vendor, 50)?.owed, 0); // idempotent
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redeem_cascade(
        &mut self,
        claim: &CascadeClaim,
        vendor: &VendorId,
        now: u64,
    ) -> Result<CascadeRedemption, CascadeError> {
        let links = claim.renewals.len();
        if links > MAX_CASCADE {
            return Err(CascadeError::TooLong {
                length: links,
                max: MAX_CASCADE,
            });
        }
        let (certificate, commitment) = (&claim.certificate, &claim.commitment);
        if certificate.fields().broker != self.id {
            return Err(RedeemError::WrongBroker.into());
        }
        // The field checks first, then the two signatures.
        let mf = commitment.fields();
        if mf.vendor != *vendor {
            return Err(RedeemError::from(SessionError::WrongVendor).into());
        }
        let check_time = |w: Window| self.check_time(now, w.valid_from, w.expires);
        let mut window = Window {
            valid_from: mf.valid_from,
            expires: mf.expires,
        };
        check_time(window).map_err(RedeemError::from)?;
        check_signed(&self.key, certificate, commitment).map_err(RedeemError::from)?;
        let cdigest = commitment.digest();
        let CommittedChain::Single { params, anchor } = mf.chain else {
            if links == 0 {
                // A purse commitment has no cascade; use `redeem`.
                return Err(RedeemError::from(SessionError::WrongCommitment).into());
            }
            return Err(CascadeError::Renewal {
                generation: 1,
                error: RenewError::NotRenewable,
            });
        };
        let cf = certificate.fields();
        let cert_window = Window {
            valid_from: cf.valid_from,
            expires: cf.expires,
        };
        let overflow = |params: &ChainParams| {
            u64::from(params.length())
                .checked_mul(mf.unit_value)
                .map(|_| ())
                .ok_or(SessionError::Overflow)
        };
        overflow(&params).map_err(RedeemError::from)?;
        let mut evidence = alloc::vec![crate::broker::EVIDENCE_PLAIN];
        evidence.extend_from_slice(&commitment.to_bytes());
        let debt =
            |key: Digest, params: ChainParams, anchor: Anchor, last: Option<Payword>, evidence| {
                PlannedDebt {
                    preverified: false,
                    key,
                    chain: CommittedChain::Single { params, anchor },
                    start: None,
                    base: 0,
                    claimed: last.map(PaymentBody::Single),
                    unit_value: mf.unit_value,
                    cap: u64::MAX,
                    evidence,
                }
            };
        let mut plan = Plan {
            certificate: *certificate,
            debts: Vec::with_capacity(links.saturating_add(1)),
            group: None,
            links: Vec::with_capacity(links),
        };
        plan.debts
            .push(debt(cdigest, params, anchor, claim.first, evidence));

        // Structure of every link, then its one-time signature.
        let mut previous = cdigest;
        let mut key = if links > 0 {
            Some(
                commitment_key(commitment).map_err(|error| CascadeError::Renewal {
                    generation: 1,
                    error,
                })?,
            )
        } else {
            None
        };
        for (i, r) in claim.renewals.iter().enumerate() {
            let generation = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
            let err = |error| CascadeError::Renewal { generation, error };
            let f = &r.link.fields;
            let k = key.ok_or(err(RenewError::NotRenewable))?;
            if f.previous != previous {
                return Err(err(RenewError::WrongPrevious));
            }
            if k.params() != RENEWAL_LMOTS || r.link.signature.params() != RENEWAL_LMOTS {
                return Err(err(RenewError::UnsupportedParams));
            }
            check_fields(f, k.q()).map_err(err)?;
            if k.q().checked_add(1) != Some(generation) {
                return Err(err(RenewError::WrongGeneration {
                    expected: generation,
                    found: f.generation,
                }));
            }
            if let Some(w) = f.window {
                if !w.is_within(&cert_window) {
                    return Err(err(RenewError::OutsideCertificate));
                }
                window = w;
            }
            check_time(window).map_err(|e| err(e.into()))?;
            overflow(&f.params).map_err(|e| err(e.into()))?;
            let digest = r.link.digest();
            crate::cost::on_verified();
            k.verify(digest.as_bytes(), &r.link.signature)
                .map_err(|_| err(RenewError::BadSignature))?;
            let bytes = r.link.to_bytes();
            let mut evidence = alloc::vec![EVIDENCE_RENEWED];
            evidence.extend_from_slice(&bytes);
            plan.debts
                .push(debt(digest, f.params, f.anchor, r.last, evidence));
            plan.links.push(PlannedLink {
                previous: f.previous,
                bytes,
            });
            previous = digest;
            key = Some(f.key);
        }

        let outcome = self.run(&plan, vendor, now).map_err(|e| match e {
            BrokerError::Refused(Refusal::Fork { index, stored }) => {
                match (RenewalLink::decode(&stored), claim.renewals.get(index)) {
                    (Ok(first), Some(r)) => {
                        CascadeError::OtsReuse(alloc::boxed::Box::new(OtsReuseProof {
                            certificate: *certificate,
                            commitment: *commitment,
                            path: claim
                                .renewals
                                .iter()
                                .take(index)
                                .map(|r| r.link.clone())
                                .collect(),
                            first,
                            second: r.link.clone(),
                        }))
                    }
                    _ => CascadeError::Redeem(RedeemError::Store(StoreFailure::Corrupt)),
                }
            }
            BrokerError::Refused(Refusal::OverBudget { needed, limit }) => {
                CascadeError::OverBudget { needed, limit }
            }
            BrokerError::Refused(Refusal::Payword { index, error }) if index > 0 => {
                CascadeError::Renewal {
                    generation: u32::try_from(index).unwrap_or(u32::MAX),
                    error: error.into(),
                }
            }
            other => CascadeError::Redeem(other.into()),
        })?;
        Ok(CascadeRedemption {
            commitment: cdigest,
            chains: plan.debts.len(),
            owed: outcome.owed,
            units: outcome
                .debts
                .iter()
                .fold(0u64, |t, d| t.saturating_add(d.units)),
            over_limit: outcome.over_limit(),
        })
    }
}

/// Evidence kind of a renewed chain's debt (its renewal link follows).
pub(crate) const EVIDENCE_RENEWED: u8 = 5;
