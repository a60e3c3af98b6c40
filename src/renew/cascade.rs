//! The broker side: cascade claims (tag `0x31`), their redemption and errors.

use super::*;
use crate::broker::{Broker, Ledger, LedgerEntry, RedeemError};
use crate::chain::{Payword, Word};
use crate::check::{ChainState, check_signed};
use crate::message::{Certificate, VendorId};
use crate::sign::message_digest;
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
/// the ledger.
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
    /// A link of the claim and a link the ledger already redeemed are
    /// different but continue the same chain: its one-time key signed
    /// twice. The proof is built from the claim and the ledger.
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

/// The ledger key under which the renewed chains of the commitment with
/// digest `commitment` are filed (never a certificate digest: it is a
/// message digest with the cascade-claim tag).
fn cascade_key(commitment: &Digest) -> Digest {
    message_digest(tag::CASCADE_CLAIM, commitment.as_bytes())
}

/// One chain of a cascade, as checked before any payword hashing.
struct Planned {
    key: Digest,
    params: ChainParams,
    anchor: Anchor,
    recorded: Option<LedgerEntry>,
    claimed: Option<Payword>,
}

impl<L: Ledger> Broker<L> {
    /// Redeems a cascade claim presented by `vendor` at time `now`.
    ///
    /// Checks the commitment as [`redeem`](Self::redeem) does, then each
    /// link (continues the previous chain, right generation, key and
    /// window, one-time signature under the previous chain's key), then
    /// that no link continues a chain differently from a link the ledger
    /// already redeemed ([`Ledger::link`]), then each chain's highest
    /// payword against the ledger.
    ///
    /// **Ledger.** Each chain is keyed by its own digest: the
    /// commitment's for generation 0 (filed under the certificate, as a
    /// plain claim is), each link's after that (filed under a per-cascade
    /// key, so [`OverspendProof`](crate::OverspendProof)s built from the
    /// certificate's entries stay valid). Redemption is idempotent and
    /// order-free per chain. The commitment's entry's `credited` counts
    /// the value credited over the whole cascade; each link entry's counts
    /// its chain's share.
    ///
    /// **Credit.** The certificate's credit limit bounds what is owed over
    /// all of its commitments and cascades. A cascade past the limit is
    /// paid up to it and reports
    /// [`over_limit`](CascadeRedemption::over_limit); no
    /// [`OverspendProof`](crate::OverspendProof) is built for renewed
    /// chains (that proof names plain commitments only).
    ///
    /// # Cost
    ///
    /// Checked in this order, each bound before the work: the cascade
    /// length (at most [`MAX_CASCADE`]); two Ed25519 verifications; a
    /// 164-byte digest per link; the payword steps against the broker's
    /// claim budget (from the ledger's records, before any hashing); one
    /// LM-OTS verification per link (at most 1005 chain steps each); the
    /// payword steps. A duplicate claim costs no payword hash. The fork
    /// check is one ledger look-up per link.
    ///
    /// # Errors
    ///
    /// [`CascadeError`]; the ledger is unchanged.
    /// [`CascadeError::OtsReuse`] carries the proof that the customer's
    /// one-time key signed both the redeemed link and the claim's.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword::renew::RenewingWallet;
    /// use payword::{Broker, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields,
    ///     HashAlg, MemoryLedger, Session, Sha256, VendorId};
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
    /// let mut b = Broker::new(broker_id, broker.public_key(), MemoryLedger::new(), 60);
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
        check_signed(&self.key, certificate, commitment).map_err(RedeemError::from)?;
        let mf = commitment.fields();
        if mf.vendor != *vendor {
            return Err(RedeemError::from(SessionError::WrongVendor).into());
        }
        let grace = self.grace;
        let check_time = |w: Window| {
            if now < w.valid_from {
                Err(SessionError::NotYetValid)
            } else if now > w.expires.saturating_add(grace) {
                Err(SessionError::Expired)
            } else {
                Ok(())
            }
        };
        let mut window = Window {
            valid_from: mf.valid_from,
            expires: mf.expires,
        };
        check_time(window).map_err(RedeemError::from)?;
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

        // Structure of every link, and the plan of every chain.
        let mut plan = Vec::with_capacity(links.saturating_add(1));
        plan.push(Planned {
            key: cdigest,
            params,
            anchor,
            recorded: self.ledger.entry(&cdigest),
            claimed: claim.first,
        });
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
        let mut keys = Vec::with_capacity(links);
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
            plan.push(Planned {
                key: digest,
                params: f.params,
                anchor: f.anchor,
                recorded: self.ledger.entry(&digest),
                claimed: r.last,
            });
            keys.push(k);
            previous = digest;
            key = Some(f.key);
        }

        // Payword budget, before any payword hashing.
        let mut needed: u64 = 0;
        for p in &plan {
            let recorded = recorded_index(p.recorded.as_ref());
            if let Some(c) = p.claimed
                && c.index() > recorded
            {
                needed = needed.saturating_add(u64::from(c.index() - recorded));
            }
        }
        if needed > u64::from(self.limit) {
            return Err(CascadeError::OverBudget {
                needed,
                limit: self.limit,
            });
        }

        // One-time signatures.
        for (i, (r, k)) in claim.renewals.iter().zip(&keys).enumerate() {
            let generation = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
            let digest = plan.get(i + 1).map(|p| p.key).unwrap_or(previous);
            k.verify(digest.as_bytes(), &r.link.signature)
                .map_err(|_| CascadeError::Renewal {
                    generation,
                    error: RenewError::BadSignature,
                })?;
        }

        // A link the ledger knows that continues the same chain
        // differently: the one-time key signed twice.
        for (i, r) in claim.renewals.iter().enumerate() {
            if let Some(known) = self.ledger.link(&r.link.fields.previous)
                && known != r.link
            {
                return Err(CascadeError::OtsReuse(alloc::boxed::Box::new(
                    OtsReuseProof {
                        certificate: *certificate,
                        commitment: *commitment,
                        path: claim
                            .renewals
                            .iter()
                            .take(i)
                            .map(|r| r.link.clone())
                            .collect(),
                        first: known,
                        second: r.link.clone(),
                    },
                )));
            }
        }

        // Paywords.
        let mut updates = Vec::with_capacity(plan.len());
        let mut value: u64 = 0;
        let mut units_total: u64 = 0;
        for (g, p) in plan.iter().enumerate() {
            let generation = u32::try_from(g).unwrap_or(u32::MAX);
            let err = |e: SessionError| {
                if g == 0 {
                    CascadeError::Redeem(e.into())
                } else {
                    CascadeError::Renewal {
                        generation,
                        error: e.into(),
                    }
                }
            };
            let chain = CommittedChain::Single {
                params: p.params,
                anchor: p.anchor,
            };
            let recorded = p.recorded.as_ref().map(|e| e.paid);
            let before = recorded_index(p.recorded.as_ref());
            let mut units = u64::from(before);
            match p.claimed {
                Some(c) if c.index() > before => {
                    let mut state =
                        ChainState::new(&chain, recorded.as_ref(), self.limit).map_err(err)?;
                    state.accept(&PaymentBody::Single(c)).map_err(err)?;
                    units = state.paid();
                    let v = units
                        .saturating_sub(u64::from(before))
                        .saturating_mul(mf.unit_value);
                    value = value.saturating_add(v);
                    updates.push((g, c, units, v));
                }
                _ => {}
            }
            units_total = units_total.saturating_add(units);
        }

        // Credit, then the ledger (nothing was written before this point).
        let cert_digest = certificate.digest();
        let available = self.multi.available(
            cf.credit_limit,
            self.ledger.credited(&cert_digest),
            &cert_digest,
            &cdigest,
            now,
        );
        let owed = value.min(available);
        if !updates.is_empty() {
            let mut left = owed;
            let mut first_entry = None;
            for &(g, c, units, v) in &updates {
                let share = v.min(left);
                left -= share;
                let Some(p) = plan.get(g) else { continue };
                let entry = LedgerEntry {
                    certificate: *certificate,
                    commitment: *commitment,
                    paid: PaymentBody::Single(c),
                    units,
                    credited: p.recorded.map_or(0, |e| e.credited).saturating_add(share),
                };
                if g == 0 {
                    first_entry = Some(entry);
                } else {
                    self.ledger.store(&cascade_key(&cdigest), &p.key, entry, 0);
                }
            }
            // The commitment's entry carries the whole cascade's credit.
            let recorded = plan.first().and_then(|p| p.recorded);
            let mut entry = first_entry.unwrap_or_else(|| {
                recorded.unwrap_or(LedgerEntry {
                    certificate: *certificate,
                    commitment: *commitment,
                    paid: PaymentBody::Single(Payword::new(0, anchor.as_word())),
                    units: 0,
                    credited: 0,
                })
            });
            entry.credited = recorded.map_or(0, |e| e.credited).saturating_add(owed);
            self.ledger.store(&cert_digest, &cdigest, entry, owed);
        }
        self.multi.use_reservation(&cert_digest, &cdigest, owed);
        for r in &claim.renewals {
            self.ledger.store_link(&r.link);
        }
        Ok(CascadeRedemption {
            commitment: cdigest,
            chains: plan.len(),
            owed,
            units: units_total,
            over_limit: value > available,
        })
    }
}

fn recorded_index(e: Option<&LedgerEntry>) -> u32 {
    match e.map(|e| &e.paid) {
        Some(PaymentBody::Single(p)) => p.index(),
        _ => 0,
    }
}
