//! The one redemption pipeline every claim kind goes through.
//!
//! 1. The claim authenticates itself into a [`Plan`] (signatures, ids,
//!    vendor, validity; no chain hashing, no I/O): the certificate, the
//!    debts it claims (one per chain), the group its debts share caps with
//!    and the renewal links it follows.
//! 2. One consistent read of every record the plan touches.
//! 3. Pure checks and hashing: budget (before any hashing), group rules,
//!    renewal forks, each chain from its recorded paywords, then the caps,
//!    then one credit account per certificate (every variant, every live
//!    reservation).
//! 4. One all-or-nothing commit that conflicts if any record read has
//!    changed; on a conflict the broker reads again, at most
//!    [`MAX_ATTEMPTS`] times. No hashing happens inside the commit.

use alloc::vec::Vec;

use super::record::{Account, DebtRecord, GroupRecord, MAX_DEBTS, MAX_MEMBERS, Member, SLOTS};
use super::{Broker, BrokerError, Refusal, newer_parts};
use crate::Payword;
use crate::check::{ChainState, SessionError};
use crate::message::{Certificate, CommittedChain, PaymentBody, VendorId};
use crate::sign::Digest;
use crate::store::{Batch, Commit, Key, Store, Table};
use crate::verify::{PursePayment, VerifyError};

/// How often one redemption reads and commits before giving up on a store
/// that other brokers keep changing.
pub const MAX_ATTEMPTS: usize = 8;

/// One chain a claim asks to be paid for.
#[derive(Clone, Debug)]
pub(crate) struct PlannedDebt {
    /// The debt's key (commitment digest, leaf id, grant digest, device
    /// commitment digest, renewal link digest).
    pub(crate) key: Digest,
    /// The chain(s) the paywords verify against.
    pub(crate) chain: CommittedChain,
    /// Where counting starts if not at the anchor (a grant's `(a, w_a)`).
    pub(crate) start: Option<PaymentBody>,
    /// Units below `start` that this debt does not own (a grant's `a`).
    pub(crate) base: u64,
    /// The paywords claimed, if any.
    pub(crate) claimed: Option<PaymentBody>,
    /// Value of one unit.
    pub(crate) unit_value: u64,
    /// The most this debt may be credited in total (a leaf's cap).
    pub(crate) cap: u64,
    /// The signed objects behind it, for proofs.
    pub(crate) evidence: Vec<u8>,
    /// The claimed (single) payword was already walked down to the anchor
    /// and found genuine (a batch does that for many claims at once): with
    /// nothing recorded for this debt, the pipeline need not hash it again.
    pub(crate) preverified: bool,
}

/// The caps and rules a group of debts shares.
#[derive(Clone, Debug)]
pub(crate) enum GroupPlan {
    /// A leaf of a signed Merkle root: all leaves at most `total`.
    Root {
        /// The root's digest.
        id: Digest,
        /// Its total cap.
        total: u64,
        /// The leaf.
        member: Member,
        /// The signed root.
        header: Vec<u8>,
    },
    /// A range grant of a shared chain: a grant overlapping another of the
    /// same vendor is refused; of another vendor, it is evidence.
    Range {
        /// The shared commitment's digest.
        id: Digest,
        /// The grant.
        member: Member,
        /// The shared commitment.
        header: Vec<u8>,
    },
    /// A device commitment of a domain: per device at most `device_limit`,
    /// all at most `domain_limit`.
    Device {
        /// The domain's digest.
        id: Digest,
        /// Per-device limit.
        device_limit: u64,
        /// Domain-wide limit.
        domain_limit: u64,
        /// The device commitment (its slot is the device index).
        member: Member,
        /// The domain commitment.
        header: Vec<u8>,
    },
}

impl GroupPlan {
    const fn id(&self) -> &Digest {
        match self {
            Self::Root { id, .. } | Self::Range { id, .. } | Self::Device { id, .. } => id,
        }
    }

    const fn member(&self) -> &Member {
        match self {
            Self::Root { member, .. }
            | Self::Range { member, .. }
            | Self::Device { member, .. } => member,
        }
    }

    fn header(&self) -> &[u8] {
        match self {
            Self::Root { header, .. }
            | Self::Range { header, .. }
            | Self::Device { header, .. } => header,
        }
    }
}

/// A renewal link a cascade follows: the digest of the chain it continues
/// and its canonical bytes.
#[derive(Clone, Debug)]
pub(crate) struct PlannedLink {
    pub(crate) previous: Digest,
    pub(crate) bytes: Vec<u8>,
}

/// An authenticated claim: what it asks, before any state is read.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The verified certificate.
    pub(crate) certificate: Certificate,
    /// The debts, at least one; the first one's key is the claim's key (and
    /// the key a reservation for it names).
    pub(crate) debts: Vec<PlannedDebt>,
    /// The group, if any.
    pub(crate) group: Option<GroupPlan>,
    /// Renewal links (cascades).
    pub(crate) links: Vec<PlannedLink>,
}

/// What one debt got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DebtOutcome {
    pub(crate) key: Digest,
    /// Units recorded after the claim.
    pub(crate) units: u64,
    /// Value the new paywords are worth (before caps and credit).
    pub(crate) value: u64,
    /// Value newly credited.
    pub(crate) owed: u64,
    /// Whether the claim carried anything new for this debt.
    pub(crate) new: bool,
}

/// What a redemption did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) debts: Vec<DebtOutcome>,
    /// Value newly credited in total.
    pub(crate) owed: u64,
    /// Value the new paywords are worth after the signed caps.
    pub(crate) capped: u64,
    /// Credit available to the claim (before it).
    pub(crate) available: u64,
    /// A member of the group the claim conflicts with (another vendor's
    /// overlapping grant), as stored.
    pub(crate) conflict: Option<Member>,
    /// The group as committed.
    pub(crate) group: Option<GroupRecord>,
    /// The account as committed.
    pub(crate) account: Account,
}

impl Outcome {
    /// Whether the credit limit cut what the caps allowed.
    pub(crate) const fn over_limit(&self) -> bool {
        self.capped > self.available
    }
}

fn decode_or<T>(
    bytes: Option<&[u8]>,
    decode: impl Fn(&[u8]) -> Result<T, crate::DecodeError>,
) -> Result<Option<T>, crate::DecodeError> {
    bytes.map(decode).transpose()
}

impl<S: Store> Broker<S> {
    /// Runs a plan through the pipeline (see the [module docs](self)).
    pub(crate) fn run(
        &mut self,
        plan: &Plan,
        vendor: &VendorId,
        now: u64,
    ) -> Result<Outcome, BrokerError<S::Error>> {
        let Some(first) = plan.debts.first() else {
            return Err(BrokerError::Refused(Refusal::Invalid(
                SessionError::WrongCommitment,
            )));
        };
        let claim_key = first.key;
        let cert_id = plan.certificate.digest();
        let mut keys = Vec::with_capacity(plan.debts.len() + plan.links.len() + 2);
        keys.push(Key::new(Table::Account, cert_id));
        keys.extend(plan.debts.iter().map(|d| Key::new(Table::Debt, d.key)));
        if let Some(g) = &plan.group {
            keys.push(Key::new(Table::Group, *g.id()));
        }
        keys.extend(plan.links.iter().map(|l| Key::new(Table::Link, l.previous)));
        keys.push(vendor_key(vendor));
        // Fair exchange: a proven bad delivery caps the purchase (read last).
        keys.extend(crate::goods::record_key(plan));
        for _ in 0..MAX_ATTEMPTS {
            let entries = self.store.read(&keys).map_err(BrokerError::Store)?;
            if entries.len() != keys.len() {
                return Err(BrokerError::Corrupt(crate::DecodeError::TrailingData {
                    extra: entries.len(),
                }));
            }
            let (outcome, batch) =
                self.decide(plan, vendor, now, &keys, &entries, (claim_key, cert_id))?;
            match self.store.commit(&batch).map_err(BrokerError::Store)? {
                Commit::Done => return Ok(outcome),
                Commit::Conflict => {}
            }
        }
        Err(BrokerError::Contention)
    }

    /// Step 3: everything between the read and the commit. Pure: no I/O.
    #[allow(clippy::too_many_lines)]
    fn decide(
        &self,
        plan: &Plan,
        vendor: &VendorId,
        now: u64,
        keys: &[Key],
        entries: &[crate::store::Entry],
        (claim_key, cert_id): (Digest, Digest),
    ) -> Result<(Outcome, Batch), BrokerError<S::Error>> {
        let corrupt = BrokerError::Corrupt;
        let mut at = entries.iter();
        let mut next = || at.next().and_then(crate::store::Entry::value);
        let mut account = decode_or(next(), Account::decode)
            .map_err(corrupt)?
            .unwrap_or_default();
        let mut debts: Vec<Option<DebtRecord>> = Vec::with_capacity(plan.debts.len());
        for _ in &plan.debts {
            debts.push(decode_or(next(), DebtRecord::decode).map_err(corrupt)?);
        }
        let group = match &plan.group {
            Some(_) => decode_or(next(), GroupRecord::decode).map_err(corrupt)?,
            None => None,
        };
        let mut links: Vec<Option<&[u8]>> = Vec::with_capacity(plan.links.len());
        for _ in &plan.links {
            links.push(next());
        }
        let vendor_owed = next().map(decode_owed).transpose().map_err(corrupt)?;
        let goods_record = crate::goods::record_key(plan).and_then(|_| next());
        let goods_caps = crate::goods::debt_caps(plan, goods_record, vendor).map_err(corrupt)?;
        let refuse = |r| Err(BrokerError::Refused(r));

        // Renewal forks: a stored link continuing the same chain differently.
        for (i, (l, stored)) in plan.links.iter().zip(&links).enumerate() {
            if let Some(s) = stored
                && *s != l.bytes.as_slice()
            {
                return refuse(Refusal::Fork {
                    index: i,
                    stored: s.to_vec(),
                });
            }
        }

        // Group rules that need no hashing.
        let mut conflict = None;
        if let (Some(GroupPlan::Range { member, .. }), Some(g)) = (&plan.group, &group) {
            for other in &g.members {
                if other.id != member.id && other.overlaps(member) {
                    if other.vendor == *vendor {
                        return refuse(Refusal::GrantOverlap);
                    }
                    if conflict.is_none() {
                        conflict = Some(other.clone());
                    }
                }
            }
        }

        // Budget, before any hashing: the new paywords from the recorded
        // ones, and the recorded ones down to any claimed part that is not
        // new (a duplicate must be a true payword too). Parts at the same
        // index as recorded are compared without hashing.
        let mut needed: u64 = 0;
        let mut stale = Vec::with_capacity(plan.debts.len());
        for (index, (d, rec)) in plan.debts.iter().zip(&debts).enumerate() {
            let recorded = rec
                .as_ref()
                .and_then(|r| r.paid.as_ref())
                .or(d.start.as_ref());
            let old = match &d.claimed {
                Some(c) => older_parts(&d.chain, c, recorded).map_err(|error| {
                    BrokerError::Refused(Refusal::Payword {
                        index,
                        error: SessionError::Payment(error),
                    })
                })?,
                None => None,
            };
            if let Some((lower, upper)) = &old {
                needed = needed.saturating_add(steps_between(upper, Some(lower)));
            }
            stale.push(old);
            if let Some(c) = &d.claimed
                && let Some(new) = newer_parts(c, recorded)
            {
                needed = needed.saturating_add(steps_between(&new, recorded));
            }
        }
        if needed > u64::from(self.limit) {
            return refuse(Refusal::OverBudget {
                needed,
                limit: self.limit,
            });
        }

        // Hashing: claimed parts below the recorded ones, from below.
        for (index, (d, old)) in plan.debts.iter().zip(&stale).enumerate() {
            if let Some((lower, upper)) = old {
                let refused = |error| BrokerError::Refused(Refusal::Payword { index, error });
                ChainState::new(&d.chain, Some(lower), self.limit)
                    .map_err(refused)?
                    .accept(upper)
                    .map_err(refused)?;
            }
        }

        // Hashing: each chain from its recorded paywords.
        let mut outcomes = Vec::with_capacity(plan.debts.len());
        let mut paid_after: Vec<Option<PaymentBody>> = Vec::with_capacity(plan.debts.len());
        let mut capped_total: u64 = 0;
        for (index, (d, rec)) in plan.debts.iter().zip(&debts).enumerate() {
            let refused = |error| BrokerError::Refused(Refusal::Payword { index, error });
            let recorded = rec.as_ref().and_then(|r| r.paid.as_ref());
            let from = recorded.or(d.start.as_ref());
            let before_units = rec.as_ref().map_or(0, |r| r.units);
            let credited = rec.as_ref().map_or(0, |r| r.credited);
            let new = d.claimed.as_ref().and_then(|c| newer_parts(c, from));
            let (units, value, last) = match &new {
                None => (before_units, 0, None),
                Some(body) => {
                    let (before, state) = if d.preverified && from.is_none() {
                        // Walked to the anchor already: the receiver resumes at
                        // the claimed payword, as accepting it would leave it.
                        let state =
                            ChainState::new(&d.chain, Some(body), self.limit).map_err(refused)?;
                        (0, state)
                    } else {
                        let mut state =
                            ChainState::new(&d.chain, from, self.limit).map_err(refused)?;
                        let before = state.paid();
                        state.accept(body).map_err(refused)?;
                        (before, state)
                    };
                    let after = state.paid();
                    let units = after.saturating_sub(d.base);
                    let value = after.saturating_sub(before).saturating_mul(d.unit_value);
                    (units, value, Some(state.last().unwrap_or(*body)))
                }
            };
            paid_after.push(last);
            let cap = d
                .cap
                .min(goods_caps.get(index).copied().unwrap_or(u64::MAX));
            let capped = value.min(cap.saturating_sub(credited));
            capped_total = capped_total.saturating_add(capped);
            outcomes.push(DebtOutcome {
                key: d.key,
                units,
                value: capped,
                owed: 0,
                new: new.is_some(),
            });
        }

        // Group caps.
        let mut group_rec = match (&plan.group, group) {
            (Some(_), Some(g)) => Some(g),
            (Some(p), None) => Some(GroupRecord::new(p.header().to_vec())),
            (None, _) => None,
        };
        let group_cap = match (&plan.group, &group_rec) {
            (Some(GroupPlan::Root { total, .. }), Some(g)) => total.saturating_sub(g.credited),
            (
                Some(GroupPlan::Device {
                    device_limit,
                    domain_limit,
                    member,
                    ..
                }),
                Some(g),
            ) => {
                let slot = usize::try_from(member.slot).unwrap_or(usize::MAX);
                let used = g.slots.get(slot).copied().unwrap_or(u64::MAX);
                device_limit
                    .saturating_sub(used)
                    .min(domain_limit.saturating_sub(g.credited))
            }
            _ => u64::MAX,
        };
        let capped = capped_total.min(group_cap);

        // One credit account per certificate.
        let limit = plan.certificate.fields().credit_limit;
        let available = account.available(limit, &claim_key, now);
        let owed = capped.min(available);

        // Spread what is owed over the debts in order.
        let mut left = owed;
        for o in &mut outcomes {
            let share = o.value.min(left);
            left -= share;
            o.owed = share;
        }

        // The writes.
        let mut batch = Batch::new();
        for (k, e) in keys.iter().zip(entries) {
            batch = batch.expect(*k, e.version());
        }
        let mut dirty_account = false;
        for (((d, rec), o), paid) in plan
            .debts
            .iter()
            .zip(&debts)
            .zip(&outcomes)
            .zip(&paid_after)
        {
            let Some(paid) = *paid else { continue };
            let record = DebtRecord {
                certificate: cert_id,
                paid: Some(paid),
                units: o.units,
                credited: rec
                    .as_ref()
                    .map_or(0, |r| r.credited)
                    .saturating_add(o.owed),
                evidence: d.evidence.clone(),
            };
            batch = batch.write(Key::new(Table::Debt, d.key), record.encode());
            if rec.is_none() {
                if account.debts.len() >= MAX_DEBTS {
                    return refuse(Refusal::TooManyRecords);
                }
                account.debts.push(d.key);
                dirty_account = true;
            }
        }
        if owed > 0 {
            account.credited = account.credited.saturating_add(owed);
            if let Some(h) = account.holds.iter_mut().find(|h| h.key == claim_key) {
                h.left = h.left.saturating_sub(owed.min(h.live(now)));
            }
            dirty_account = true;
        }
        if account.certificate.is_none() && dirty_account {
            account.certificate = Some(plan.certificate);
        }
        if dirty_account {
            batch = batch.write(Key::new(Table::Account, cert_id), account.encode());
        }
        if let (Some(p), Some(g)) = (&plan.group, group_rec.as_mut()) {
            let any_new = outcomes.iter().any(|o| o.new);
            let member = p.member();
            let known = g.members.iter().any(|m| m.id == member.id);
            if any_new || owed > 0 {
                if !known {
                    if g.members.len() >= MAX_MEMBERS {
                        return refuse(Refusal::TooManyRecords);
                    }
                    g.members.push(member.clone());
                }
                g.credited = g.credited.saturating_add(owed);
                if let GroupPlan::Device { member, .. } = p
                    && let Some(s) = g
                        .slots
                        .get_mut(usize::try_from(member.slot).unwrap_or(SLOTS))
                {
                    *s = s.saturating_add(owed);
                }
                batch = batch.write(Key::new(Table::Group, *p.id()), g.encode());
            }
        }
        for (l, stored) in plan.links.iter().zip(&links) {
            if stored.is_none() {
                batch = batch.write(Key::new(Table::Link, l.previous), l.bytes.clone());
            }
        }
        if owed > 0 {
            let total = vendor_owed.unwrap_or(0).saturating_add(owed);
            batch = batch.write(vendor_key(vendor), encode_owed(total));
        }
        Ok((
            Outcome {
                debts: outcomes,
                owed,
                capped,
                available,
                conflict,
                group: group_rec,
                account,
            },
            batch,
        ))
    }
}

/// The key of what `vendor` is owed.
pub(crate) fn vendor_key(vendor: &VendorId) -> Key {
    Key::new(Table::Vendor, Digest::from_bytes(*vendor.as_bytes()))
}

/// A vendor record: the value owed, `u64` big-endian.
pub(crate) fn encode_owed(owed: u64) -> Vec<u8> {
    owed.to_be_bytes().to_vec()
}

/// Decodes a vendor record.
pub(crate) fn decode_owed(bytes: &[u8]) -> Result<u64, crate::DecodeError> {
    let mut r = crate::wire::Reader::new(bytes);
    let owed = r.u64("owed")?;
    r.finish()?;
    Ok(owed)
}

/// The parts of `claimed` that are not above what is recorded (or the
/// anchors), as `(claimed parts, recorded parts)` to verify by hashing the
/// recorded parts down to the claimed ones; `None` if there are none to
/// hash.
///
/// # Errors
///
/// [`VerifyError::Forged`] if a part at the same index as recorded (or at
/// index 0, the anchor) has another word.
fn older_parts(
    chain: &CommittedChain,
    claimed: &PaymentBody,
    recorded: Option<&PaymentBody>,
) -> Result<Option<(PaymentBody, PaymentBody)>, VerifyError> {
    use subtle::ConstantTimeEq;
    let same = |a: &Payword, b: &Payword| bool::from(a.word().ct_eq(b.word()));
    match (claimed, recorded, chain) {
        (PaymentBody::Single(c), r, CommittedChain::Single { anchor, .. }) => {
            let r = match r {
                Some(PaymentBody::Single(r)) => *r,
                Some(PaymentBody::Purse(_)) => return Ok(None),
                None => Payword::new(0, anchor.as_word()),
            };
            if c.index() > r.index() {
                Ok(None)
            } else if c.index() == r.index() {
                if same(c, &r) {
                    Ok(None)
                } else {
                    Err(VerifyError::Forged)
                }
            } else {
                Ok(Some((*claimed, PaymentBody::Single(r))))
            }
        }
        (PaymentBody::Purse(c), r, CommittedChain::Purse { anchors, .. }) => {
            let r = match r {
                Some(PaymentBody::Purse(r)) => Some(r),
                Some(PaymentBody::Single(_)) => return Ok(None),
                None => None,
            };
            let mut lower = PursePayment::new();
            let mut upper = PursePayment::new();
            let mut any = false;
            for (j, p) in c.parts() {
                let at = match r.and_then(|r| r.part(j)) {
                    Some(q) => *q,
                    None => match anchors.as_slice().get(usize::from(j)) {
                        Some(a) => Payword::new(0, a.as_word()),
                        // An unknown denomination: the receiver refuses it.
                        None => continue,
                    },
                };
                if p.index() > at.index() {
                    continue;
                }
                if p.index() == at.index() {
                    if !same(p, &at) {
                        return Err(VerifyError::Forged);
                    }
                    continue;
                }
                lower = lower.with(j, *p);
                upper = upper.with(j, at);
                any = true;
            }
            Ok(any.then_some((PaymentBody::Purse(lower), PaymentBody::Purse(upper))))
        }
        // A kind mismatch: the receiver refuses it.
        _ => Ok(None),
    }
}

/// Chain steps from `recorded` (or the anchors) to `new`.
fn steps_between(new: &PaymentBody, recorded: Option<&PaymentBody>) -> u64 {
    match new {
        PaymentBody::Single(p) => {
            let from = match recorded {
                Some(PaymentBody::Single(r)) => r.index(),
                _ => 0,
            };
            u64::from(p.index().saturating_sub(from))
        }
        PaymentBody::Purse(p) => p
            .parts()
            .map(|(j, q)| {
                let from = match recorded {
                    Some(PaymentBody::Purse(r)) => r.part(j).map_or(0, |x| x.index()),
                    _ => 0,
                };
                u64::from(q.index().saturating_sub(from))
            })
            .fold(0, u64::saturating_add),
    }
}
