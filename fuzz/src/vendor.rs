//! `vendor_session`: a sequence of payments against one genuine commitment.
//!
//! The input picks the commitment (hash, single chain or purse, length, seed,
//! unit value, clock skew, per-payment budget) and then a program of
//! operations: send genuine paywords at fuzz-chosen indexes (0, past `n`,
//! `u32::MAX`, replays, steps over the budget), send forged words, name another
//! commitment, move the clock, change the budget. A model predicts the exact
//! result of every payment; the session must agree with it. In particular a
//! forged word is never accepted, the units accepted are the genuine index
//! progress, and a payment needing more chain steps than the budget is
//! refused with `OverBudget` (before any hashing, as `verify.rs` promises).

use payword::{
    Commitment, Encode, Payment, PaymentBody, Payword, PursePayment, RedemptionClaim, Session,
    SessionError, VerifyError, Word,
};

use crate::choices::{Choices, Script};
use crate::fixture::{
    CERT_FROM, CERT_UNTIL, COMMIT_FROM, COMMIT_UNTIL, Chain, Funds, NOW, OTHER_VENDOR, Signing,
    VENDOR, alg_from_bit, broker_key, certificate_fields, id_and_seed,
};

/// How an index is chosen, relative to the chain length `n` and the last
/// accepted index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Index 0 (the anchor).
    Zero,
    /// `n + 1`.
    PastEnd,
    /// `u32::MAX`.
    Max,
    /// The last accepted index again.
    Replay,
    /// The next index.
    Next,
    /// `last + 1 + k`.
    Ahead(u8),
    /// `v mod (n + 1)`.
    At(u16),
}

impl Pick {
    /// Reads a pick.
    pub fn read(c: &mut Choices<'_>) -> Self {
        match c.u8() % 8 {
            0 => Self::Zero,
            1 => Self::PastEnd,
            2 => Self::Max,
            3 => Self::Replay,
            4 => Self::Next,
            5 => Self::Ahead(c.u8()),
            _ => Self::At(c.u16()),
        }
    }

    /// Writes a pick.
    pub fn write(self, s: &mut Script) {
        match self {
            Self::Zero => s.u8(0),
            Self::PastEnd => s.u8(1),
            Self::Max => s.u8(2),
            Self::Replay => s.u8(3),
            Self::Next => s.u8(4),
            Self::Ahead(k) => s.u8(5).u8(k),
            Self::At(v) => s.u8(6).u16(v),
        };
    }

    /// The index.
    #[must_use]
    pub fn resolve(self, n: u32, last: u32) -> u32 {
        match self {
            Self::Zero => 0,
            Self::PastEnd => n.saturating_add(1),
            Self::Max => u32::MAX,
            Self::Replay => last,
            Self::Next => last.saturating_add(1),
            Self::Ahead(k) => last.saturating_add(1 + u32::from(k)),
            Self::At(v) => u32::from(v) % n.saturating_add(1).max(1),
        }
    }
}

/// How a word is forged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// The genuine word with byte `at mod 32` xored with `mask` (0 taken as 1).
    Flip {
        /// Which byte.
        at: u8,
        /// The xor mask.
        mask: u8,
    },
    /// The genuine word of a neighbouring index.
    Neighbour,
}

impl Forgery {
    fn read(c: &mut Choices<'_>) -> Self {
        match c.u8() % 2 {
            0 => Self::Flip {
                at: c.u8(),
                mask: c.u8(),
            },
            _ => Self::Neighbour,
        }
    }

    fn write(self, s: &mut Script) {
        match self {
            Self::Flip { at, mask } => s.u8(0).u8(at).u8(mask),
            Self::Neighbour => s.u8(1),
        };
    }

    /// The forged word for `index` of `chain`.
    fn word(self, chain: &Chain, index: u32) -> Word {
        match self {
            Self::Flip { at, mask } => {
                let mut w = chain.word(index).to_bytes();
                w[usize::from(at % 32)] ^= mask.max(1);
                Word::from_bytes(w)
            }
            Self::Neighbour => {
                let other = if index < chain.length() {
                    index + 1
                } else {
                    index - 1
                };
                chain.word(other)
            }
        }
    }
}

/// One operation of a session program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A genuine single payword.
    Pay(Pick),
    /// A forged single payword.
    Forge(Pick, Forgery),
    /// A genuine single payword under a commitment digest with byte
    /// `at mod 32` xored with `mask` (0 taken as 1).
    WrongDigest(Pick, u8, u8),
    /// Moves the clock to `990 + v mod 1030` (around the commitment's window).
    Clock(u16),
    /// Moves the clock anywhere.
    FarClock(u64),
    /// A purse payment: one part per set bit of the mask (denominations 0 to
    /// 7), each genuine or forged.
    Purse(u8, Vec<(Pick, bool)>),
    /// Sets the budget to `v mod (capacity in steps + 2)`.
    Limit(u16),
}

impl Op {
    /// Reads an operation.
    pub fn read(c: &mut Choices<'_>) -> Self {
        match c.u8() % 8 {
            0 | 1 => Self::Pay(Pick::read(c)),
            2 => Self::Forge(Pick::read(c), Forgery::read(c)),
            3 => Self::WrongDigest(Pick::read(c), c.u8(), c.u8()),
            4 => Self::Clock(c.u16()),
            5 => Self::FarClock(c.u64()),
            6 => {
                let mask = c.u8();
                let parts = (0..8)
                    .filter(|j| mask & (1 << j) != 0)
                    .map(|_| (Pick::read(c), c.u8() & 1 == 1))
                    .collect();
                Self::Purse(mask, parts)
            }
            _ => Self::Limit(c.u16()),
        }
    }

    /// Writes an operation (for `Purse`, one part per set bit of the mask).
    pub fn write(&self, s: &mut Script) {
        match self {
            Self::Pay(p) => {
                s.u8(0);
                p.write(s);
            }
            Self::Forge(p, f) => {
                s.u8(2);
                p.write(s);
                f.write(s);
            }
            Self::WrongDigest(p, at, mask) => {
                s.u8(3);
                p.write(s);
                s.u8(*at).u8(*mask);
            }
            Self::Clock(v) => {
                s.u8(4).u16(*v);
            }
            Self::FarClock(v) => {
                s.u8(5).u64(*v);
            }
            Self::Purse(mask, parts) => {
                s.u8(6).u8(*mask);
                assert_eq!(parts.len(), mask.count_ones() as usize);
                for (p, forged) in parts {
                    p.write(s);
                    s.u8(u8::from(*forged));
                }
            }
            Self::Limit(v) => {
                s.u8(7).u16(*v);
            }
        }
    }
}

/// What the commitment looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Bit 0: BLAKE3 (else SHA-256); bit 1: a purse (else a single chain).
    pub kind: u8,
    /// Chain id and seed material.
    pub seed: [u8; 4],
    /// Purse: `1 + m mod 3` denominations.
    pub m: u8,
    /// Purse: base `2 + b mod 9`.
    pub base: u8,
    /// Length: `1 + n mod 512` (single) or `1 + n mod 64` (purse).
    pub n: u16,
    /// Unit value `1 + u`.
    pub unit: u8,
    /// Clock skew `s mod 8`.
    pub skew: u8,
    /// The session is first opened at `990 + t mod 1030`.
    pub open_at: u16,
    /// Budget `l mod (capacity in steps + 2)`.
    pub limit: u16,
}

impl Setup {
    /// Reads a setup.
    pub fn read(c: &mut Choices<'_>) -> Self {
        let kind = c.u8();
        let seed = c.array();
        let (m, base, n) = if kind & 2 != 0 {
            (c.u8(), c.u8(), u16::from(c.u8()))
        } else {
            (0, 0, c.u16())
        };
        Self {
            kind,
            seed,
            m,
            base,
            n,
            unit: c.u8(),
            skew: c.u8(),
            open_at: c.u16(),
            limit: c.u16(),
        }
    }

    /// Writes a setup.
    pub fn write(&self, s: &mut Script) {
        s.u8(self.kind).bytes(&self.seed);
        if self.kind & 2 != 0 {
            s.u8(self.m)
                .u8(self.base)
                .u8(u8::try_from(self.n).unwrap_or(u8::MAX));
        } else {
            s.u16(self.n);
        }
        s.u8(self.unit)
            .u8(self.skew)
            .u16(self.open_at)
            .u16(self.limit);
    }

    fn funds(&self) -> Funds {
        let alg = alg_from_bit(self.kind & 1 == 1);
        let (id, seed) = id_and_seed(0x5e, &self.seed);
        if self.kind & 2 != 0 {
            let n = 1 + u32::from(self.n) % 64;
            Funds::purse(
                alg,
                id,
                &seed,
                2 + u32::from(self.base % 9),
                1 + self.m % 3,
                n,
            )
        } else {
            Funds::single(alg, id, &seed, 1 + u32::from(self.n) % 512)
        }
    }
}

/// `check_window` of `session.rs`, restated.
fn window(now: u64, from: u64, until: u64, skew: u64) -> Result<(), SessionError> {
    if now.saturating_add(skew) < from {
        Err(SessionError::NotYetValid)
    } else if now.saturating_sub(skew) > until {
        Err(SessionError::Expired)
    } else {
        Ok(())
    }
}

/// A payment as the model sees it.
enum Body {
    Single(Payword),
    Purse(Vec<(u8, Payword)>),
}

/// The model of the session.
struct Model<'a> {
    funds: &'a Funds,
    last: [u32; 8],
    limit: u32,
    now: u64,
    skew: u64,
    unit_value: u64,
}

impl Model<'_> {
    fn steps_for(&self, j: u8, index: u32) -> Result<u32, VerifyError> {
        let n = self.funds.length();
        let last = self.last[usize::from(j)];
        if index <= last {
            return Err(VerifyError::Replay { index, last });
        }
        if index > n {
            return Err(VerifyError::PastEnd { index, length: n });
        }
        let steps = index - last;
        if steps > self.limit {
            return Err(VerifyError::OverBudget {
                steps: steps.into(),
                limit: self.limit,
            });
        }
        Ok(steps)
    }

    /// Units the body pays, or the error the receiver must give.
    fn verify(&self, body: &Body) -> Result<u64, VerifyError> {
        match body {
            Body::Single(p) => {
                let steps = self.steps_for(0, p.index())?;
                let chain = self.funds.chain(0).expect("chain 0");
                if !chain.is_genuine(p) {
                    return Err(VerifyError::Forged);
                }
                Ok(steps.into())
            }
            Body::Purse(parts) => {
                let mut total: u64 = 0;
                for &(j, p) in parts {
                    if j >= self.funds.denominations() {
                        return Err(VerifyError::UnknownDenomination { denomination: j });
                    }
                    total += u64::from(self.steps_for(j, p.index())?);
                }
                if parts.is_empty() {
                    return Err(VerifyError::Empty);
                }
                if total > u64::from(self.limit) {
                    return Err(VerifyError::OverBudget {
                        steps: total,
                        limit: self.limit,
                    });
                }
                let mut units = 0;
                for &(j, p) in parts {
                    if !self.funds.chain(j).is_some_and(|c| c.is_genuine(&p)) {
                        return Err(VerifyError::Forged);
                    }
                    units += u64::from(p.index() - self.last[usize::from(j)]) * self.funds.value(j);
                }
                Ok(units)
            }
        }
    }

    /// The result `Session::pay` must give.
    fn expect(&self, digest_ok: bool, body: &Body) -> Result<u64, SessionError> {
        if !digest_ok {
            return Err(SessionError::WrongCommitment);
        }
        window(self.now, COMMIT_FROM, COMMIT_UNTIL, self.skew)?;
        if matches!(body, Body::Purse(_)) != self.funds.is_purse() {
            return Err(SessionError::WrongCommitment);
        }
        let units = self.verify(body)?;
        Ok(units * self.unit_value)
    }

    fn apply(&mut self, body: &Body) {
        match body {
            Body::Single(p) => self.last[0] = p.index(),
            Body::Purse(parts) => {
                for &(j, p) in parts {
                    self.last[usize::from(j)] = p.index();
                }
            }
        }
    }

    fn last(&self) -> &[u32] {
        &self.last[..usize::from(self.funds.denominations())]
    }

    fn units(&self) -> u64 {
        self.funds.units(self.last())
    }
}

/// The largest per-payment budget the program can set.
fn capacity_steps(funds: &Funds) -> u32 {
    funds.length() * u32::from(funds.denominations())
}

/// The fuzz target.
pub fn vendor_session(data: &[u8]) {
    let mut c = Choices::new(data);
    let setup = Setup::read(&mut c);
    let funds = setup.funds();
    let unit_value = 1 + u64::from(setup.unit);
    let skew = u64::from(setup.skew % 8);
    let key = broker_key();
    let cert = Signing::Native.certificate(certificate_fields(0, 1, u64::MAX));
    let commitment = Signing::Native.commitment(&cert, 0, VENDOR, unit_value, funds.committed());

    // Opening: another vendor and a bad signature are refused, the clock is
    // checked against both windows.
    assert_eq!(
        Session::open(OTHER_VENDOR, &key, cert, commitment, NOW, skew).err(),
        Some(SessionError::WrongVendor)
    );
    let mut bytes = commitment.to_bytes();
    let sig_at = bytes.len() - 64;
    bytes[sig_at] ^= 1;
    let tampered = Commitment::decode(&bytes).expect("only the signature changed");
    assert_eq!(
        Session::open(VENDOR, &key, cert, tampered, NOW, skew).err(),
        Some(SessionError::BadCommitment)
    );
    let open_at = 990 + u64::from(setup.open_at % 1030);
    let expected = window(open_at, CERT_FROM, CERT_UNTIL, skew).and(window(
        open_at,
        COMMIT_FROM,
        COMMIT_UNTIL,
        skew,
    ));
    assert_eq!(
        Session::open(VENDOR, &key, cert, commitment, open_at, skew).err(),
        expected.err()
    );

    let limit = u32::from(setup.limit) % (capacity_steps(&funds) + 2);
    let mut session = Session::open(VENDOR, &key, cert, commitment, NOW, skew)
        .expect("a genuine commitment opens")
        .with_limit(limit);
    let digest = *session.commitment_digest();
    crate::trace!(
        "vendor_session: {setup:?}, n = {}, limit {limit}",
        funds.length()
    );
    let mut model = Model {
        funds: &funds,
        last: [0; 8],
        limit,
        now: NOW,
        skew,
        unit_value,
    };
    let n = funds.length();
    let chain0 = funds.chain(0).expect("chain 0");

    while !c.is_empty() {
        let op = Op::read(&mut c);
        let (body, digest_ok, forged) = match &op {
            Op::Pay(pick) => {
                let i = pick.resolve(n, model.last[0]);
                (Body::Single(Payword::new(i, chain0.word(i))), true, false)
            }
            Op::Forge(pick, how) => {
                let i = pick.resolve(n, model.last[0]);
                (
                    Body::Single(Payword::new(i, how.word(chain0, i))),
                    true,
                    true,
                )
            }
            Op::WrongDigest(pick, _, _) => {
                let i = pick.resolve(n, model.last[0]);
                (Body::Single(Payword::new(i, chain0.word(i))), false, false)
            }
            Op::Clock(v) => {
                model.now = 990 + u64::from(v % 1030);
                continue;
            }
            Op::FarClock(v) => {
                model.now = *v;
                continue;
            }
            Op::Limit(v) => {
                model.limit = u32::from(*v) % (capacity_steps(&funds) + 2);
                session = session.with_limit(model.limit);
                continue;
            }
            Op::Purse(mask, picks) => {
                let js = (0u8..8).filter(|j| mask & (1 << j) != 0);
                let mut parts = Vec::new();
                for (j, &(pick, forge)) in js.zip(picks) {
                    let chain = funds.chain(j).unwrap_or(chain0);
                    let i = pick.resolve(n, model.last[usize::from(j)]);
                    let w = if forge {
                        Forgery::Flip { at: j, mask: 0x80 }.word(chain, i)
                    } else {
                        chain.word(i)
                    };
                    parts.push((j, Payword::new(i, w)));
                }
                let forged = picks.iter().any(|&(_, f)| f);
                (Body::Purse(parts), true, forged)
            }
        };
        let named = if digest_ok {
            digest
        } else {
            let Op::WrongDigest(_, at, mask) = op else {
                unreachable!()
            };
            let mut d = digest.to_bytes();
            d[usize::from(at % 32)] ^= mask.max(1);
            payword::Digest::from_bytes(d)
        };
        let payment = Payment::new(
            named,
            match &body {
                Body::Single(p) => PaymentBody::Single(*p),
                Body::Purse(parts) => PaymentBody::Purse(
                    parts
                        .iter()
                        .fold(PursePayment::new(), |pay, &(j, p)| pay.with(j, p)),
                ),
            },
        );
        let expected = model.expect(digest_ok, &body);
        let got = session.pay(&payment, model.now);
        crate::trace!("vendor_session: {op:?} at {} -> {got:?}", model.now);
        assert_eq!(
            got,
            expected,
            "{op:?} at {} (last {:?}, limit {})",
            model.now,
            model.last(),
            model.limit
        );
        if forged {
            assert!(got.is_err(), "a forged payword was accepted: {op:?}");
        }
        if got.is_ok() {
            model.apply(&body);
        }
        assert_eq!(session.units_paid(), model.units());
        assert_eq!(session.value_paid(), model.units() * unit_value);
        let claim_body = session.claim().map(|cl| *cl.payment.body());
        assert_eq!(claim_body, funds.genuine_body(model.last()));
    }

    if let Some(claim) = session.claim() {
        assert_eq!((claim.certificate, claim.commitment), (cert, commitment));
        assert_eq!(claim.payment.commitment(), &digest);
        assert_eq!(RedemptionClaim::decode(&claim.to_bytes()), Ok(claim));
    }
}

/// Writes a program: the setup, then the operations.
#[must_use]
pub fn script(setup: &Setup, ops: &[Op]) -> Vec<u8> {
    let mut s = Script::new();
    setup.write(&mut s);
    for op in ops {
        op.write(&mut s);
    }
    s.finish()
}
