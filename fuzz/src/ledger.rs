//! `broker_ledger`: redemption sequences against one broker.
//!
//! The input picks 1 to 3 certificates (customers, credit limits), 1 to 3
//! commitments under each (genuine chains of at most 64, single or purse,
//! SHA-256 or BLAKE3, for one of two vendors), then a program of claims for
//! fuzz-chosen paywords, presented in any order, repeated, forged, sent by the
//! wrong vendor or too late. A model predicts every redemption exactly, and
//! after every step:
//!
//! - idempotence: re-presenting an accepted claim owes 0 and changes nothing;
//! - order-freedom: each commitment's ledger entry pays the highest genuine
//!   paywords ever accepted, whatever the order;
//! - conservation: what a certificate has been credited is
//!   `min(credit limit, value released)`, and the owed amounts add up to it;
//! - an overspend proof appears exactly when the value released under a
//!   certificate exceeds its limit, and then it verifies with the broker's key
//!   and proves that value;
//! - a forged word is never recorded.

use payword::{
    Broker, Certificate, Commitment, Digest, MemoryStore, PaymentBody, Payword, PursePayment,
    RedeemError, RedemptionClaim, SessionError, VendorId, VerifyError, Word,
};

use crate::choices::{Choices, Script};
use crate::fixture::{
    BROKER_ID, COMMIT_UNTIL, Funds, GRACE, NOW, OTHER_VENDOR, Signing, VENDOR, alg_from_bit,
    broker_key, certificate_fields, id_and_seed,
};

/// One commitment of the setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitSpec {
    /// Bit 0: BLAKE3; bit 1: purse; bit 2: for the other vendor; bit 3: two
    /// denominations (purse); bits 4–7: base `2 + v mod 3` (purse).
    pub kind: u8,
    /// Length `1 + n mod 64`.
    pub n: u8,
    /// Unit value `1 + u mod 16`.
    pub unit: u8,
    /// Seed material.
    pub seed: u8,
}

/// One certificate of the setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSpec {
    /// Credit limit `16 · l`.
    pub limit: u8,
    /// 1 to 3 commitments.
    pub commitments: Vec<CommitSpec>,
}

/// The paywords of a claim: `mask` selects denominations of a purse (a single
/// chain always has its one part); part `j` is at `index[j] mod (n + 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodySpec {
    /// Denominations present (purse).
    pub mask: u8,
    /// Index of each part.
    pub index: [u8; 2],
}

/// One step of a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A genuine claim for commitment `c mod count`, now or at the last second
    /// of the grace period.
    Claim {
        /// Which commitment.
        commit: u8,
        /// Its paywords.
        body: BodySpec,
        /// Presented at the end of the grace period.
        at_edge: bool,
    },
    /// Presents an earlier claim (any, accepted or not) again.
    Again(u8),
    /// A claim with part `part mod m` (or the first present part) forged.
    Forged(u8, BodySpec, u8),
    /// A genuine claim presented by the vendor it is not for.
    WrongVendor(u8, BodySpec),
    /// A genuine claim after the grace period.
    Late(u8, BodySpec),
}

impl BodySpec {
    fn read(c: &mut Choices<'_>) -> Self {
        Self {
            mask: c.u8(),
            index: c.array(),
        }
    }

    fn write(self, s: &mut Script) {
        s.u8(self.mask).bytes(&self.index);
    }
}

impl Op {
    /// Reads a step.
    pub fn read(c: &mut Choices<'_>) -> Self {
        match c.u8() % 6 {
            op @ (0 | 1) => Self::Claim {
                commit: c.u8(),
                body: BodySpec::read(c),
                at_edge: op == 1,
            },
            2 => Self::Again(c.u8()),
            3 => Self::Forged(c.u8(), BodySpec::read(c), c.u8()),
            4 => Self::WrongVendor(c.u8(), BodySpec::read(c)),
            _ => Self::Late(c.u8(), BodySpec::read(c)),
        }
    }

    /// Writes a step.
    pub fn write(&self, s: &mut Script) {
        match *self {
            Self::Claim {
                commit,
                body,
                at_edge,
            } => {
                s.u8(u8::from(at_edge)).u8(commit);
                body.write(s);
            }
            Self::Again(k) => {
                s.u8(2).u8(k);
            }
            Self::Forged(commit, body, part) => {
                s.u8(3).u8(commit);
                body.write(s);
                s.u8(part);
            }
            Self::WrongVendor(commit, body) => {
                s.u8(4).u8(commit);
                body.write(s);
            }
            Self::Late(commit, body) => {
                s.u8(5).u8(commit);
                body.write(s);
            }
        }
    }
}

/// Reads the setup.
pub fn read_setup(c: &mut Choices<'_>) -> Vec<CertSpec> {
    let k = 1 + c.u8() % 3;
    (0..k)
        .map(|_| {
            let limit = c.u8();
            let count = 1 + c.u8() % 3;
            let commitments = (0..count)
                .map(|_| CommitSpec {
                    kind: c.u8(),
                    n: c.u8(),
                    unit: c.u8(),
                    seed: c.u8(),
                })
                .collect();
            CertSpec { limit, commitments }
        })
        .collect()
}

/// Writes a program: the setup (1 to 3 certificates of 1 to 3 commitments),
/// then the steps.
#[must_use]
pub fn script(certs: &[CertSpec], ops: &[Op]) -> Vec<u8> {
    assert!((1..=3).contains(&certs.len()));
    let mut s = Script::new();
    s.u8(u8::try_from(certs.len() - 1).unwrap_or(0));
    for cert in certs {
        assert!((1..=3).contains(&cert.commitments.len()));
        s.u8(cert.limit)
            .u8(u8::try_from(cert.commitments.len() - 1).unwrap_or(0));
        for m in &cert.commitments {
            s.u8(m.kind).u8(m.n).u8(m.unit).u8(m.seed);
        }
    }
    for op in ops {
        op.write(&mut s);
    }
    s.finish()
}

/// One commitment as the test knows it.
struct Committed {
    cert: usize,
    commitment: Commitment,
    digest: Digest,
    funds: Funds,
    vendor: VendorId,
    unit_value: u64,
    /// The model: highest index accepted per chain (`None` before the first
    /// accepted claim).
    last: Option<[u32; 2]>,
}

impl Committed {
    fn last(&self) -> [u32; 2] {
        self.last.unwrap_or([0; 2])
    }

    fn released(&self) -> u64 {
        let last = self.last();
        self.funds
            .units(&last[..usize::from(self.funds.denominations())])
            * self.unit_value
    }

    /// The parts a body spec names.
    fn parts(&self, body: BodySpec) -> Vec<(u8, Payword)> {
        let n = self.funds.length();
        (0..self.funds.denominations())
            .filter(|&j| !self.funds.is_purse() || body.mask & (1 << j) != 0)
            .map(|j| {
                let i = u32::from(body.index[usize::from(j)]) % (n + 1);
                let chain = self.funds.chain(j).expect("j < m");
                (j, Payword::new(i, chain.word(i)))
            })
            .collect()
    }

    fn body(&self, parts: &[(u8, Payword)]) -> PaymentBody {
        if self.funds.is_purse() {
            PaymentBody::Purse(
                parts
                    .iter()
                    .fold(PursePayment::new(), |pay, &(j, p)| pay.with(j, p)),
            )
        } else {
            PaymentBody::Single(parts.first().expect("one part").1)
        }
    }
}

/// One certificate as the test knows it.
struct Certified {
    certificate: Certificate,
    digest: Digest,
    limit: u64,
    /// The model: value credited so far.
    credited: u64,
}

/// A claim presented once, kept to present again.
#[derive(Clone)]
struct Presented {
    commit: usize,
    parts: Vec<(u8, Payword)>,
    vendor_ok: bool,
    now: u64,
}

/// What the model expects of a redemption.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    owed: u64,
    units: u64,
    overspent: bool,
}

struct World {
    certs: Vec<Certified>,
    commits: Vec<Committed>,
    broker: Broker<MemoryStore>,
    owed_total: u64,
}

impl World {
    fn build(specs: &[CertSpec]) -> Self {
        let mut certs = Vec::new();
        let mut commits = Vec::new();
        for (ci, spec) in specs.iter().enumerate() {
            let limit = 16 * u64::from(spec.limit);
            let certificate = Signing::Native.certificate(certificate_fields(ci, ci as u64, limit));
            for (k, m) in spec.commitments.iter().enumerate() {
                let alg = alg_from_bit(m.kind & 1 == 1);
                let (id, seed) = id_and_seed(0x1e, &[ci as u8, k as u8, m.seed]);
                let n = 1 + u32::from(m.n % 64);
                let funds = if m.kind & 2 != 0 {
                    Funds::purse(
                        alg,
                        id,
                        &seed,
                        2 + u32::from((m.kind >> 4) % 3),
                        1 + (m.kind >> 3 & 1),
                        n,
                    )
                } else {
                    Funds::single(alg, id, &seed, n)
                };
                let vendor = if m.kind & 4 != 0 {
                    OTHER_VENDOR
                } else {
                    VENDOR
                };
                let unit_value = 1 + u64::from(m.unit % 16);
                let commitment = Signing::Native.commitment(
                    &certificate,
                    ci,
                    vendor,
                    unit_value,
                    funds.committed(),
                );
                commits.push(Committed {
                    cert: ci,
                    digest: commitment.digest(),
                    commitment,
                    funds,
                    vendor,
                    unit_value,
                    last: None,
                });
            }
            certs.push(Certified {
                digest: certificate.digest(),
                certificate,
                limit,
                credited: 0,
            });
        }
        Self {
            certs,
            commits,
            broker: Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE),
            owed_total: 0,
        }
    }

    /// Value released under certificate `ci`, per the model.
    fn released(&self, ci: usize) -> u64 {
        self.commits
            .iter()
            .filter(|m| m.cert == ci)
            .map(Committed::released)
            .sum()
    }

    /// The model's verdict on a claim; on success, the new last indexes.
    fn expect(&self, claim: &Presented) -> Result<(Expected, [u32; 2]), RedeemError> {
        let m = &self.commits[claim.commit];
        if !claim.vendor_ok {
            return Err(SessionError::WrongVendor.into());
        }
        if claim.now > COMMIT_UNTIL + GRACE {
            return Err(SessionError::Expired.into());
        }
        let mut last = m.last();
        let recorded = m.last.is_some();
        // What the broker looks at: the parts above the recorded ones (a
        // denomination never paid counts as not recorded).
        let newer: Vec<(u8, Payword)> = claim
            .parts
            .iter()
            .copied()
            .filter(|&(j, p)| {
                // Index 0 is the anchor: it pays nothing and is never new.
                p.index() > 0
                    && (!recorded || last[usize::from(j)] == 0 || p.index() > last[usize::from(j)])
            })
            .collect();
        let units_before = m.funds.units(&last[..usize::from(m.funds.denominations())]);
        let refuse = |e: VerifyError| RedeemError::Invalid(SessionError::Payment(e));
        // The parts at or below the recorded ones (or at the anchor) must be
        // true paywords too: a duplicate carrying a forged word is refused.
        for &(j, p) in &claim.parts {
            if newer.iter().any(|&(k, _)| k == j) {
                continue;
            }
            if let Some(chain) = m.funds.chain(j)
                && !chain.is_genuine(&p)
            {
                return Err(refuse(VerifyError::Forged));
            }
        }
        if newer.is_empty() {
            let expected = Expected {
                owed: 0,
                units: units_before,
                overspent: false,
            };
            return Ok((expected, last));
        }
        for &(j, p) in &newer {
            let l = last[usize::from(j)];
            if p.index() <= l {
                return Err(refuse(VerifyError::Replay {
                    index: p.index(),
                    last: l,
                }));
            }
        }
        if newer.is_empty() {
            return Err(refuse(VerifyError::Empty));
        }
        for &(j, p) in &newer {
            if !m.funds.chain(j).is_some_and(|c| c.is_genuine(&p)) {
                return Err(refuse(VerifyError::Forged));
            }
        }
        for &(j, p) in &newer {
            last[usize::from(j)] = p.index();
        }
        let units = m.funds.units(&last[..usize::from(m.funds.denominations())]);
        let value = (units - units_before) * m.unit_value;
        let cert = &self.certs[m.cert];
        let available = cert.limit.saturating_sub(cert.credited);
        let expected = Expected {
            owed: value.min(available),
            units,
            overspent: value > available,
        };
        Ok((expected, last))
    }

    /// Presents a claim, checks the broker against the model, updates the
    /// model; returns whether it was accepted.
    fn present(&mut self, claim: &Presented) -> bool {
        let expected = self.expect(claim);
        let m = &self.commits[claim.commit];
        let redemption = RedemptionClaim {
            certificate: self.certs[m.cert].certificate,
            commitment: m.commitment,
            payment: payword::Payment::new(m.digest, m.body(&claim.parts)),
        };
        let vendor = if claim.vendor_ok {
            m.vendor
        } else if m.vendor == VENDOR {
            OTHER_VENDOR
        } else {
            VENDOR
        };
        let got = self.broker.redeem(&redemption, &vendor, claim.now);
        crate::trace!(
            "broker_ledger: commitment {} parts {:?} vendor_ok {} now {} -> {:?}",
            claim.commit,
            claim
                .parts
                .iter()
                .map(|(j, p)| (j, p.index()))
                .collect::<Vec<_>>(),
            claim.vendor_ok,
            claim.now,
            got.as_ref()
                .map(|r| (r.owed, r.units, r.overspent.is_some()))
        );
        match (got, expected) {
            (Err(e), Err(x)) => {
                assert_eq!(e, x);
                false
            }
            (Ok(r), Ok((x, last))) => {
                assert_eq!(r.commitment, m.digest);
                let ci = m.cert;
                let got = Expected {
                    owed: r.owed,
                    units: r.units,
                    overspent: r.overspent.is_some(),
                };
                assert_eq!(got, x, "claim {:?}", claim.parts);
                let progressed = self.commits[claim.commit].last() != last;
                // A claim of nothing new leaves an unredeemed commitment
                // without a ledger entry.
                if progressed || self.commits[claim.commit].last.is_some() {
                    self.commits[claim.commit].last = Some(last);
                }
                self.certs[ci].credited += r.owed;
                self.owed_total += r.owed;
                let released = self.released(ci);
                // The proof appears exactly when the value released is over the
                // limit (for a claim that released something new).
                if progressed {
                    assert_eq!(r.overspent.is_some(), released > self.certs[ci].limit);
                } else {
                    assert_eq!(r.owed, 0);
                }
                if let Some(proof) = &r.overspent {
                    assert!(
                        released > self.certs[ci].limit,
                        "overspend proof within the limit"
                    );
                    assert_eq!(proof.certificate, self.certs[ci].certificate);
                    let with_entry = self
                        .commits
                        .iter()
                        .filter(|c| c.cert == ci && c.last.is_some())
                        .count();
                    assert_eq!(proof.spent.len(), with_entry);
                    assert_eq!(proof.verify(&broker_key(), u32::MAX), Ok(released));
                }
                true
            }
            (got, expected) => panic!(
                "broker gave {got:?}, model expected {expected:?} for {:?}",
                claim.parts
            ),
        }
    }

    /// The broker's store agrees with the model, and value is conserved.
    fn check(&mut self) {
        for m in &self.commits {
            let debt = self.broker.debt(&m.digest).expect("memory store");
            assert_eq!(debt.is_some(), m.last.is_some());
            if let Some(e) = debt {
                let last = m.last();
                let last = &last[..usize::from(m.funds.denominations())];
                assert_eq!(
                    e.units,
                    m.funds.units(last),
                    "recorded units are not the highest accepted"
                );
                assert_eq!(
                    e.paid,
                    m.funds.genuine_body(last),
                    "the store holds other paywords"
                );
            }
        }
        for (ci, c) in self.certs.iter().enumerate() {
            assert_eq!(
                self.broker.credited(&c.digest).expect("memory store"),
                c.credited
            );
            assert_eq!(
                c.credited,
                c.limit.min(self.released(ci)),
                "value not conserved"
            );
            let mut per_entry: u64 = 0;
            for d in self.broker.debts(&c.digest).expect("memory store") {
                per_entry += self
                    .broker
                    .debt(&d)
                    .expect("memory store")
                    .map_or(0, |e| e.credited);
            }
            assert_eq!(per_entry, c.credited);
        }
        let conserved: u64 = (0..self.certs.len())
            .map(|ci| self.certs[ci].limit.min(self.released(ci)))
            .sum();
        assert_eq!(self.owed_total, conserved, "owed amounts do not add up");
    }
}

/// Forges part `part mod m` of `parts` (or the first part present).
fn forge(parts: &mut [(u8, Payword)], part: u8, m: u8) {
    let j = part % m.max(1);
    let k = parts.iter().position(|&(pj, _)| pj == j).unwrap_or(0);
    if let Some((_, p)) = parts.get_mut(k) {
        let mut w = p.word().to_bytes();
        w[usize::from(part % 32)] ^= 0x40;
        *p = Payword::new(p.index(), Word::from_bytes(w));
    }
}

/// The fuzz target.
pub fn broker_ledger(data: &[u8]) {
    let mut c = Choices::new(data);
    let specs = read_setup(&mut c);
    let mut world = World::build(&specs);
    let count = world.commits.len();
    let mut history: Vec<(Presented, bool)> = Vec::new();

    while !c.is_empty() {
        let op = Op::read(&mut c);
        let pick = |k: u8| usize::from(k) % count;
        let claim = match op {
            Op::Claim {
                commit,
                body,
                at_edge,
            } => {
                let m = &world.commits[pick(commit)];
                Presented {
                    commit: pick(commit),
                    parts: m.parts(body),
                    vendor_ok: true,
                    now: if at_edge { COMMIT_UNTIL + GRACE } else { NOW },
                }
            }
            Op::Again(k) => {
                if history.is_empty() {
                    continue;
                }
                history[usize::from(k) % history.len()].0.clone()
            }
            Op::Forged(commit, body, part) => {
                let m = &world.commits[pick(commit)];
                let mut parts = m.parts(body);
                forge(&mut parts, part, m.funds.denominations());
                Presented {
                    commit: pick(commit),
                    parts,
                    vendor_ok: true,
                    now: NOW,
                }
            }
            Op::WrongVendor(commit, body) => Presented {
                commit: pick(commit),
                parts: world.commits[pick(commit)].parts(body),
                vendor_ok: false,
                now: NOW,
            },
            Op::Late(commit, body) => Presented {
                commit: pick(commit),
                parts: world.commits[pick(commit)].parts(body),
                vendor_ok: true,
                now: COMMIT_UNTIL + GRACE + 1,
            },
        };
        let accepted = world.present(&claim);
        world.check();
        if accepted {
            // Idempotence: the same claim again owes nothing.
            let before = world.owed_total;
            assert!(world.present(&claim));
            assert_eq!(world.owed_total, before, "a repeated claim was paid again");
            world.check();
        }
        history.push((claim, accepted));
    }

    // Every claim ever accepted, presented again at the end, owes nothing.
    let before = world.owed_total;
    for (claim, accepted) in &history {
        if *accepted {
            assert!(world.present(claim));
        }
    }
    assert_eq!(world.owed_total, before, "an old claim was paid again");
    world.check();
}
